import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, envNameForPath, loadConfig } from './config';
import { baseConfigSchema, loadServiceConfig } from './service';

const schema = baseConfigSchema({ name: 'visibility', port: 8096 });
const tokens = { ISD_AUTH__SERVICE_TOKEN: 'a-service-token-123456', ISD_AUTH__GATE_TOKEN: 'a-gate-token-123456789' };

function writeYaml(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-config-'));
  const file = path.join(dir, 'config.yml');
  fs.writeFileSync(file, text);
  return file;
}

function errorOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills defaults and reads tokens from the environment', () => {
    const config = loadConfig(schema, { env: tokens, envPrefix: 'ISD_' });
    expect(config.server.port).toBe(8096);
    expect(config.server.bodyLimitBytes).toBe(1024 * 1024);
    expect(config.database.embeddedDataDir).toBe(path.join('.isd', 'visibility'));
    expect(config.auth.serviceToken).toBe('a-service-token-123456');
  });

  it('lets the environment override the file, with YAML scalar types', () => {
    const file = writeYaml('server:\n  port: 9000\nlog:\n  level: debug\n');
    const config = loadConfig(schema, {
      file,
      env: { ...tokens, ISD_SERVER__PORT: '9100', ISD_SERVER__BODY_LIMIT_BYTES: '2048' },
      envPrefix: 'ISD_',
    });
    expect(config.server.port).toBe(9100);
    expect(config.server.bodyLimitBytes).toBe(2048);
    expect(config.log.level).toBe('debug');
  });

  it('refuses a wrong type with a one-line message naming the key and the value', () => {
    const file = writeYaml('server:\n  port: eighty\n');
    const message = errorOf(() => loadConfig(schema, { file, env: tokens, envPrefix: 'ISD_' }));
    expect(message).toMatch(/^config: server\.port has value "eighty" \(in .*config\.yml\): .*number/);
    expect(message).not.toContain('\n');
  });

  it('names the environment variable a bad value came from', () => {
    const message = errorOf(() =>
      loadConfig(schema, { env: { ...tokens, ISD_SERVER__PORT: '70000' }, envPrefix: 'ISD_' }),
    );
    expect(message).toContain('server.port has value 70000 (from ISD_SERVER__PORT)');
  });

  it('refuses an unknown key', () => {
    const file = writeYaml('server:\n  prot: 80\n');
    expect(errorOf(() => loadConfig(schema, { file, env: tokens, envPrefix: 'ISD_' }))).toMatch(
      /^config: unknown key server\.prot/,
    );
  });

  it('refuses a missing required value', () => {
    const message = errorOf(() =>
      loadConfig(schema, { env: { ISD_AUTH__GATE_TOKEN: tokens.ISD_AUTH__GATE_TOKEN }, envPrefix: 'ISD_' }),
    );
    expect(message).toMatch(/^config: auth\.serviceToken is required but missing/);
    // With nothing under auth at all, still the key to set, not only its section.
    expect(errorOf(() => loadConfig(schema, { env: {}, envPrefix: 'ISD_' }))).toMatch(
      /^config: auth\.serviceToken is required but missing/,
    );
  });

  it('refuses a file that is not YAML', () => {
    const file = writeYaml('server: [unclosed\n');
    expect(errorOf(() => loadConfig(schema, { file, env: tokens, envPrefix: 'ISD_' }))).toMatch(/is not valid YAML/);
  });

  it('maps key paths to environment names', () => {
    expect(envNameForPath('ISD_', ['database', 'poolSize'])).toBe('ISD_DATABASE__POOL_SIZE');
  });

  it('reads --config FILE (or --config=FILE) from the command line and refuses anything else, naming it', () => {
    const definition = { name: 'visibility', configSchema: schema };
    const env = {
      VISIBILITY_AUTH__SERVICE_TOKEN: tokens.ISD_AUTH__SERVICE_TOKEN,
      VISIBILITY_AUTH__GATE_TOKEN: tokens.ISD_AUTH__GATE_TOKEN,
    };
    const file = writeYaml('server: { port: 9123 }\n');
    expect(loadServiceConfig(definition, env, ['--config', file]).server.port).toBe(9123);
    expect(loadServiceConfig(definition, env, [`--config=${file}`]).server.port).toBe(9123);
    expect(loadServiceConfig(definition, { ...env, VISIBILITY_CONFIG_FILE: file }, []).server.port).toBe(9123);
    expect(errorOf(() => loadServiceConfig(definition, env, ['--port', '1']))).toMatch(
      /command line: Unknown option '--port'/,
    );
    expect(errorOf(() => loadServiceConfig(definition, env, ['--config']))).toMatch(
      /command line: .*--config <value>' argument missing/,
    );
    expect(errorOf(() => loadServiceConfig(definition, env, [file]))).toMatch(/command line: Unexpected argument/);
  });
});
