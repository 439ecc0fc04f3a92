import { isIsdError } from '@isd/kit';
import { stringify } from 'yaml';
import { saporConfigSchema } from '../config';
import { parseKubeconfig, summarize } from './kubeconfig';

const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const PEM_KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n';
const b64 = (text: string) => Buffer.from(text).toString('base64');

function kubeconfig(user: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'east', cluster: { server: 'https://east.example:6443', 'certificate-authority-data': b64(PEM_CERT) } },
      { name: 'west', cluster: { server: 'https://west.example:6443', 'insecure-skip-tls-verify': true } },
    ],
    users: [
      { name: 'deployer', user },
      { name: 'reader', user: { token: 'reader-token' } },
    ],
    contexts: [
      { name: 'east', context: { cluster: 'east', user: 'deployer', namespace: 'apps' } },
      { name: 'west', context: { cluster: 'west', user: 'reader' } },
    ],
    'current-context': 'east',
    ...extra,
  });
}

function refusal(run: () => unknown): { status: number; field: string | undefined; message: string } {
  try {
    run();
  } catch (error) {
    if (isIsdError(error)) return { status: error.status, field: error.issues[0]?.path, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseKubeconfig', () => {
  it('uses the current context: server, CA, client certificate and the context namespace', () => {
    const parsed = parseKubeconfig(
      kubeconfig({ 'client-certificate-data': b64(PEM_CERT), 'client-key-data': b64(PEM_KEY) }),
    );
    expect(parsed).toMatchObject({
      context: 'east',
      server: 'https://east.example:6443',
      namespace: 'apps',
      auth: { kind: 'client-certificate' },
      tls: { caPem: PEM_CERT, certPem: PEM_CERT, keyPem: PEM_KEY },
    });
    expect(summarize(parsed)).toEqual({
      server: 'https://east.example:6443',
      context: 'east',
      auth: 'client-certificate',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('uses a named context with a token and insecure-skip-tls-verify', () => {
    const parsed = parseKubeconfig(kubeconfig({ token: 't' }), 'west');
    expect(parsed).toMatchObject({
      server: 'https://west.example:6443',
      auth: { kind: 'token', token: 'reader-token' },
    });
    expect(parsed.tls.insecureSkipVerify).toBe(true);
  });

  it.each([
    ['no credentials', kubeconfig({}), 'kubeconfig.users[deployer].user'],
    [
      'a client key file',
      kubeconfig({ 'client-certificate-data': b64(PEM_CERT), 'client-key': '/k.pem' }),
      'client-key',
    ],
    ['an auth provider', kubeconfig({ 'auth-provider': { name: 'gcp' } }), 'auth-provider'],
    [
      'a key that is not PEM',
      kubeconfig({ 'client-certificate-data': b64(PEM_CERT), 'client-key-data': b64('nope') }),
      'client-key-data',
    ],
    ['no current context', kubeconfig({ token: 't' }, { 'current-context': '' }), 'kubeconfig.current-context'],
    [
      'a server that is not a URL',
      kubeconfig({ token: 't' }).replace('https://east.example:6443', 'east:6443'),
      'server',
    ],
    [
      'a server URL with a credential (it is shown in answers)',
      kubeconfig({ token: 't' }).replace('https://east.example:6443', 'https://admin:s3cret@east.example:6443'),
      'server',
    ],
    ['a list instead of a mapping', '- a\n- b\n', 'kubeconfig'],
  ])('refuses %s with a 400 naming the field', (_case, text, field) => {
    const result = refusal(() => parseKubeconfig(text));
    expect(result.status).toBe(400);
    expect(result.field).toContain(field);
  });

  it('names a context the kubeconfig does not hold', () => {
    expect(refusal(() => parseKubeconfig(kubeconfig({ token: 't' }), 'north'))).toMatchObject({
      status: 400,
      field: 'context',
    });
  });
});

describe('accounts config', () => {
  it('defaults to no back end and admin as the account role', () => {
    const config = saporConfigSchema.parse({ auth: { serviceToken: 'x'.repeat(24) } });
    expect(config.accounts).toMatchObject({ backend: 'none', adminRoles: ['admin'], checkTimeoutMs: 5_000 });
  });

  it('refuses backend git without a repository, naming the key', () => {
    const result = saporConfigSchema.safeParse({
      auth: { serviceToken: 'x'.repeat(24) },
      accounts: { backend: 'git' },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain('accounts.git');
  });

  it('refuses a git folder that climbs out of the repository', () => {
    const result = saporConfigSchema.safeParse({
      auth: { serviceToken: 'x'.repeat(24) },
      accounts: { backend: 'git', git: { url: '/repo.git', directory: '../elsewhere' } },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain('accounts.git.directory');
  });
});
