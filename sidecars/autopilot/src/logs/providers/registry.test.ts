import { InputError } from '@isd/kit';
import { autopilotConfigSchema } from '../../config';
import { parseLogTemplate } from '../log-template';
import { LogProviderRegistry } from './registry';

const logProviders = autopilotConfigSchema.shape.logProviders;
const accounts = logProviders.parse({
  os: { type: 'opensearch', url: 'http://127.0.0.1:9200', index: 'logs-*', username: 'isd', password: 'pw' },
  bare: { type: 'opensearch', url: 'http://127.0.0.1:9201' },
  loki: { type: 'loki', url: 'http://127.0.0.1:3100', orgId: 't1' },
  splunk: { type: 'splunk', url: 'https://127.0.0.1:8089', token: 'tok' },
});
const registry = new LogProviderRegistry(accounts);

function issuePath(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    if (error instanceof InputError) return error.issues[0]?.path;
    throw error;
  }
  return undefined;
}

describe('log provider accounts', () => {
  it('makes the provider a template names, by account name or by a type with one account', () => {
    expect(registry.forTemplate(parseLogTemplate({ name: 't', provider: 'os' }))).toMatchObject({
      type: 'opensearch',
      name: 'os',
    });
    expect(registry.forTemplate(parseLogTemplate({ name: 't', provider: 'loki' })).type).toBe('loki');
    expect(registry.forTemplate(parseLogTemplate({ name: 't', provider: 'splunk' })).type).toBe('splunk');
  });

  it('names the template field an account cannot serve', () => {
    const check = (input: Record<string, unknown>) => () => registry.check(parseLogTemplate(input), 'body.');
    expect(issuePath(check({ name: 't', provider: 'nowhere' }))).toBe('body.provider');
    for (const provider of ['constructor', 'toString', '__proto__'])
      // was a 500: Object.prototype's member
      expect(issuePath(check({ name: 't', provider }))).toBe('body.provider');
    expect(issuePath(check({ name: 't', provider: 'opensearch' }))).toBe('body.provider'); // two accounts of the type
    expect(issuePath(check({ name: 't', provider: 'bare' }))).toBe('body.index'); // no index anywhere
    expect(issuePath(check({ name: 't', provider: 'bare', index: 'a/b' }))).toBe('body.index');
    expect(issuePath(check({ name: 't', provider: 'loki', index: 'x' }))).toBe('body.index');
    expect(issuePath(check({ name: 't', provider: 'bare', index: 'app-*,audit-*' }))).toBeUndefined();
  });

  it('refuses an unknown account type or key in config, naming it', () => {
    expect(() => logProviders.parse({ x: { type: 'graylog', url: 'http://a' } })).toThrow(/type/);
    expect(() => logProviders.parse({ x: { type: 'loki', url: 'http://a', index: 'i' } })).toThrow(/index/);
  });
});
