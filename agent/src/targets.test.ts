import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createTarget } from './targets';

describe('targets', () => {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'agent-targets-'));

  it('adds none, basic and bearer credentials', () => {
    expect(createTarget({ name: 'a', type: 'generic', url: 'http://x' }, 0).credentialHeaders()).toEqual([]);
    expect(
      createTarget(
        { name: 'a', type: 'jenkins', url: 'http://x', credentials: { type: 'basic', username: 'u', password: 'p' } },
        0,
      ).credentialHeaders(),
    ).toEqual([{ name: 'Authorization', value: `Basic ${Buffer.from('u:p').toString('base64')}` }]);
    expect(
      createTarget(
        { name: 'a', type: 'generic', url: 'https://x', credentials: { type: 'bearer', token: 't' } },
        0,
      ).credentialHeaders(),
    ).toEqual([{ name: 'Authorization', value: 'Bearer t' }]);
  });

  it('reads a bearer token file (rotated ServiceAccount tokens are re-read)', () => {
    const tokenFile = path.join(directory, 'token');
    writeFileSync(tokenFile, 'first\n');
    const target = createTarget(
      { name: 'k', type: 'kubernetes', url: 'https://10.0.0.1', credentials: { type: 'bearer', tokenFile } },
      0,
    );
    expect(target.credentialHeaders()).toEqual([{ name: 'Authorization', value: 'Bearer first' }]);
  });

  it('resolves a kubeconfig: server, CA, token user and the chosen context', () => {
    const kubeconfig = stringify({
      apiVersion: 'v1',
      clusters: [
        {
          name: 'one',
          cluster: {
            server: 'https://one.example:6443',
            'certificate-authority-data': Buffer.from('CA ONE').toString('base64'),
          },
        },
        { name: 'two', cluster: { server: 'https://two.example:6443' } },
      ],
      users: [
        { name: 'alice', user: { token: 'alice-token' } },
        { name: 'bob', user: { username: 'bob', password: 'pw' } },
      ],
      contexts: [
        { name: 'first', context: { cluster: 'one', user: 'alice' } },
        { name: 'second', context: { cluster: 'two', user: 'bob' } },
      ],
      'current-context': 'first',
    });
    const current = createTarget({ name: 'k', type: 'kubernetes', kubeconfig }, 0);
    expect(current.url.href).toBe('https://one.example:6443/');
    expect(current.credentialHeaders()).toEqual([{ name: 'Authorization', value: 'Bearer alice-token' }]);
    expect((current.agent as unknown as { options: { ca?: string } }).options.ca).toBe('CA ONE');
    const other = createTarget({ name: 'k', type: 'kubernetes', kubeconfig, context: 'second' }, 0);
    expect(other.url.host).toBe('two.example:6443');
    expect(other.credentialHeaders()[0]?.value).toBe(`Basic ${Buffer.from('bob:pw').toString('base64')}`);
  });

  it('names the key of a bad service entry', () => {
    expect(() => createTarget({ name: 'a', type: 'generic' }, 3)).toThrow('services[3].url: is required');
    expect(() => createTarget({ name: 'a', type: 'generic', url: 'ftp://x' }, 1)).toThrow(
      'services[1].url: must be http or https',
    );
    expect(() =>
      createTarget({ name: 'k', type: 'kubernetes', kubeconfig: 'apiVersion: v1\ncontexts: []\n' }, 2),
    ).toThrow(/services\[2\]\.kubeconfig: context/);
    expect(() =>
      createTarget({ name: 'a', type: 'generic', url: 'http://x', credentials: { type: 'bearer' } }, 0),
    ).toThrow('services[0].credentials: bearer credentials need token or tokenFile');
  });
});
