// The accounts API against a real kube-apiserver (the kubeconfig check), Clouddriver's account API behind
// the Gate API harness, and failure paths: bad fields, non-admins, a kubeconfig that cannot reach or use its
// cluster, Clouddriver refusing the account, and Gate down. Nothing refused ever reaches Clouddriver.
import fs from 'node:fs';
import net from 'node:net';
import type { RunningService } from '@isd/kit';
import { createTestCa, startKubeApiServer, type KubeApiServer } from '@isd/test-support';
import { startClouddriverAccountApi, type ClouddriverAccountApi } from '../../../test/harness/clouddriver';
import { startGateApi, type GateApiHarness } from '../../../test/harness/gate';
import { renderKubeconfig } from '../../../test/harness/kube-apiserver/kubeconfig';
import type { SaporConfig } from '../src';
import { AccountStore } from '../src/accounts/store';
import { client, startSapor, users } from './helpers';

jest.setTimeout(120_000);

let apiServer: KubeApiServer;
let clouddriver: ClouddriverAccountApi;
let gate: GateApiHarness;
let sapor: RunningService<SaporConfig>;
let api: ReturnType<typeof client>;
let adminKubeconfig: string;

const SAPOR_GATE_USER = 'sapor-svc';
/** Fiat as Clouddriver sees it; tests change sapor's entry to produce refusals. */
const clouddriverUsers = { [SAPOR_GATE_USER]: { roles: ['spinnaker-admins'], accountManager: true } };

beforeAll(async () => {
  apiServer = await startKubeApiServer();
  adminKubeconfig = fs.readFileSync(apiServer.kubeconfigPath, 'utf8');
  // Sapor's Gate identity is an account manager but not a Fiat admin: it may only write accounts whose
  // WRITE permission names its role, which is how a refusal by Clouddriver is produced below.
  clouddriver = await startClouddriverAccountApi({ users: clouddriverUsers });
  gate = await startGateApi({ basicAuthUsers: { [SAPOR_GATE_USER]: 'secret' }, clouddriverUrl: clouddriver.url });
  sapor = await startSapor({
    gate: {
      url: gate.url,
      username: SAPOR_GATE_USER,
      password: 'secret',
      retries: 1,
      backoffMs: 10,
      breakerThreshold: 100,
    },
    accounts: { backend: 'clouddriver', checkTimeoutMs: 3_000 },
  });
  api = client(sapor.url);
}, 180_000);

afterAll(async () => {
  await sapor?.stop();
  await gate?.close();
  await clouddriver?.close();
  await apiServer?.stop();
});

const writable = { READ: ['dev'], WRITE: ['spinnaker-admins'] };

function account(name: string, extra: Record<string, unknown> = {}) {
  return { name, kubeconfig: adminKubeconfig, permissions: writable, ...extra };
}

function tokenKubeconfig(token: string, server = apiServer.url, caPem = apiServer.caPem): string {
  return renderKubeconfig({ server, caPem, token });
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('validation and authorization', () => {
  it.each([
    ['neither kubeconfig nor agent', { name: 'a1', permissions: writable }, 'kubeconfig'],
    ['both kubeconfig and agent', account('a1', { agent: { name: 'x' } }), 'agent'],
    ['an upper-case name', account('Prod'), 'name'],
    ['namespaces and omitNamespaces', account('a1', { namespaces: ['a'], omitNamespaces: ['b'] }), 'omitNamespaces'],
    ['an unknown field', account('a1', { kubeconfigFile: '/etc/kube' }), ''],
    ['a permission that is not a list', account('a1', { permissions: { WRITE: 'admins' } }), 'permissions.WRITE'],
  ])('refuses %s with a 400 naming the field', async (_case, body, field) => {
    const response = await api.asUser(users.admin, 'POST', '/api/v1/accounts', body);
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain(field);
  });

  it.each([
    ['not YAML', () => 'clusters: [unclosed', 'kubeconfig'],
    [
      'an exec plugin',
      () => adminKubeconfig.replace('"client-certificate-data"', '"exec": {"command": "aws"}, "x"'),
      '.exec',
    ],
    [
      'a CA file path',
      () => adminKubeconfig.replace('"certificate-authority-data"', '"certificate-authority": "/ca.crt", "x"'),
      'certificate-authority',
    ],
  ])('refuses a kubeconfig with %s, naming where', async (_case, kubeconfig, field) => {
    const response = await api.asUser(
      users.admin,
      'POST',
      '/api/v1/accounts',
      account('a2', { kubeconfig: kubeconfig() }),
    );
    expect(response.status).toBe(400);
    expect(response.body.field).toContain(field);
  });

  it('refuses a context the kubeconfig does not hold', async () => {
    const response = await api.asUser(users.admin, 'POST', '/api/v1/accounts', account('a3', { context: 'other' }));
    expect(response.status).toBe(400);
    expect(response.body.detail).toContain('other');
  });

  it('is for account admins only: a developer and the service token get 403', async () => {
    expect((await api.asUser(users.developer, 'POST', '/api/v1/accounts', account('a4'))).status).toBe(403);
    expect((await api.asUser(users.developer, 'GET', '/api/v1/accounts')).status).toBe(403);
    expect((await api.asService('POST', '/api/v1/accounts', account('a4'))).status).toBe(403);
    expect((await api.asService('GET', '/api/v1/accounts/a4/history')).status).toBe(403);
    expect(clouddriver.requests).toHaveLength(0);
  });
});

describe('the kubeconfig is checked against the cluster before anything is written', () => {
  it('refuses a wrong token (401 from the API server) with a 400 naming the cause', async () => {
    const response = await api.asUser(
      users.admin,
      'POST',
      '/api/v1/accounts',
      account('wrong-token', { kubeconfig: tokenKubeconfig('not-the-token') }),
    );
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('urn:isd:problem:cluster_credentials_refused');
    expect(response.body.detail).toContain(apiServer.url);
    expect(response.body.detail).not.toContain('not-the-token');
  });

  it('refuses a server nothing listens on', async () => {
    const server = `https://127.0.0.1:${await closedPort()}`;
    const response = await api.asUser(
      users.admin,
      'POST',
      '/api/v1/accounts',
      account('unreachable', { kubeconfig: tokenKubeconfig(apiServer.token, server) }),
    );
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('urn:isd:problem:cluster_unreachable');
    expect(response.body.detail).toContain(server);
  });

  it('refuses a server whose certificate the kubeconfig’s CA did not sign', async () => {
    const otherCa = createTestCa('some-other-ca');
    const response = await api.asUser(
      users.admin,
      'POST',
      '/api/v1/accounts',
      account('wrong-ca', { kubeconfig: tokenKubeconfig(apiServer.token, apiServer.url, otherCa.certificatePem) }),
    );
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('urn:isd:problem:cluster_unreachable');
  });

  it('refuses a namespace the cluster does not have', async () => {
    const response = await api.asUser(
      users.admin,
      'POST',
      '/api/v1/accounts',
      account('missing-ns', { namespaces: ['default', 'no-such-namespace'] }),
    );
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('urn:isd:problem:namespace_missing');
    expect(response.body.detail).toContain('no-such-namespace');
  });

  it('wrote nothing for any refused account', () => {
    expect(clouddriver.requests.filter((request) => request.method !== 'GET')).toHaveLength(0);
  });
});

describe('Clouddriver account API back end (through Gate)', () => {
  it('creates, reads, replaces and deletes an account, keeping every version and auditing each change', async () => {
    const created = await api.asUser(
      users.admin,
      'POST',
      '/api/v1/accounts',
      account('prod-east', { namespaces: ['default', 'kube-system'], environment: 'production' }),
    );
    expect(created.status).toBe(201);
    expect(created.body.account).toMatchObject({
      name: 'prod-east',
      version: 1,
      backend: 'clouddriver',
      environment: 'production',
      namespaces: ['default', 'kube-system'],
      kubeconfig: { server: apiServer.url, auth: 'client-certificate', context: 'isd-test' },
      agent: null,
      createdBy: users.admin,
    });
    // What Clouddriver stored: a kubernetes ManagedAccount with the kubeconfig inline, written as sapor's
    // Gate identity.
    expect(clouddriver.accounts.get('prod-east')).toEqual({
      '@type': 'kubernetes',
      name: 'prod-east',
      environment: 'production',
      namespaces: ['default', 'kube-system'],
      permissions: writable,
      kubeconfigContents: adminKubeconfig,
    });
    expect(clouddriver.requests.find((request) => request.method === 'POST')?.user).toBe(SAPOR_GATE_USER);

    // No credential in any answer.
    const key = JSON.parse(adminKubeconfig).users[0].user['client-key-data'] as string;
    const read = await api.asUser(users.admin, 'GET', '/api/v1/accounts/prod-east');
    const listed = await api.asUser(users.admin, 'GET', '/api/v1/accounts');
    for (const body of [created.body, read.body, listed.body]) {
      expect(JSON.stringify(body)).not.toContain(key);
      expect(JSON.stringify(body)).not.toContain('PRIVATE KEY');
    }
    expect(listed.body.accounts.map((entry: { name: string }) => entry.name)).toEqual(['prod-east']);

    const tokenConfig = tokenKubeconfig(apiServer.token);
    const replaced = await api.asUser(users.admin, 'PUT', '/api/v1/accounts/prod-east', {
      kubeconfig: tokenConfig,
      permissions: { ...writable, EXECUTE: ['dev'] },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.account).toMatchObject({ version: 2, namespaces: [], kubeconfig: { auth: 'token' } });
    expect(clouddriver.accounts.get('prod-east')?.kubeconfigContents).toBe(tokenConfig);
    expect(JSON.stringify(replaced.body)).not.toContain(apiServer.token);

    const deleted = await api.asUser(users.admin, 'DELETE', '/api/v1/accounts/prod-east');
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ name: 'prod-east', version: 3, revoked: 0 });
    expect(clouddriver.accounts.has('prod-east')).toBe(false);
    expect((await api.asUser(users.admin, 'GET', '/api/v1/accounts/prod-east')).status).toBe(404);

    const history = await api.asUser(users.admin, 'GET', '/api/v1/accounts/prod-east/history');
    expect(history.status).toBe(200);
    expect(
      history.body.history.map((entry: { version: number; action: string }) => [entry.version, entry.action]),
    ).toEqual([
      [3, 'deleted'],
      [2, 'updated'],
      [1, 'created'],
    ]);
    expect(history.body.history[2].account.namespaces).toEqual(['default', 'kube-system']);
    expect(JSON.stringify(history.body)).not.toContain(apiServer.token);

    // Account records have no application: only admins and services see them.
    const audit = await api.asService('GET', '/api/v1/audit?type=account');
    const trail = audit.body.records.filter(
      (record: { subject: { account?: string } }) => record.subject.account === 'prod-east',
    );
    expect(trail.map((record: { outcome: string; actor: string }) => [record.outcome, record.actor])).toEqual([
      ['deleted', users.admin],
      ['updated', users.admin],
      ['created', users.admin],
    ]);
    expect(trail[2].details).toMatchObject({ version: 1, backend: 'clouddriver', server: apiServer.url });
  });

  it('a PUT of an account removed from Clouddriver by hand writes it again', async () => {
    expect((await api.asUser(users.admin, 'POST', '/api/v1/accounts', account('removed-by-hand'))).status).toBe(201);
    clouddriver.accounts.delete('removed-by-hand');
    const replaced = await api.asUser(
      users.admin,
      'PUT',
      '/api/v1/accounts/removed-by-hand',
      account('removed-by-hand'),
    );
    expect(replaced.status).toBe(200);
    expect(clouddriver.accounts.get('removed-by-hand')?.kubeconfigContents).toBe(adminKubeconfig);
  });

  it('a PUT naming another account in the body is refused', async () => {
    const response = await api.asUser(users.admin, 'PUT', '/api/v1/accounts/some-account', account('other-name'));
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('name');
  });

  it('Clouddriver refusing the account (no WRITE role of the writer) is a 400 with its reason; nothing is kept', async () => {
    const response = await api.asUser(
      users.admin,
      'POST',
      '/api/v1/accounts',
      account('refused', { permissions: { WRITE: ['someone-else'] } }),
    );
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('urn:isd:problem:account_refused_by_clouddriver');
    expect(response.body.detail).toContain('Cannot create account without specifying WRITE permissions');
    expect((await api.asUser(users.admin, 'GET', '/api/v1/accounts/refused')).status).toBe(404);
    expect((await api.asUser(users.admin, 'GET', '/api/v1/accounts/refused/history')).status).toBe(404);
  });

  it('sapor’s Gate identity not being an account manager is a 503 saying what it needs', async () => {
    clouddriverUsers[SAPOR_GATE_USER].accountManager = false;
    try {
      const response = await api.asUser(users.admin, 'POST', '/api/v1/accounts', account('not-manager'));
      expect(response.status).toBe(503);
      expect(response.body.type).toBe('urn:isd:problem:account_write_forbidden');
      expect(response.body.detail).toContain('account manager');
    } finally {
      clouddriverUsers[SAPOR_GATE_USER].accountManager = true;
    }
    expect((await api.asUser(users.admin, 'GET', '/api/v1/accounts/not-manager')).status).toBe(404);
  });

  it('an account Clouddriver already has is a 409', async () => {
    clouddriver.accounts.set('hand-made', { '@type': 'kubernetes', name: 'hand-made', permissions: writable });
    const response = await api.asUser(users.admin, 'POST', '/api/v1/accounts', account('hand-made'));
    expect(response.status).toBe(409);
    expect(response.body.detail).toContain('Cannot create duplicate account');
  });

  it('a duplicate here is a 409 before anything is checked or written', async () => {
    expect((await api.asUser(users.admin, 'POST', '/api/v1/accounts', account('twice'))).status).toBe(201);
    const writes = clouddriver.requests.length;
    const again = await api.asUser(users.admin, 'POST', '/api/v1/accounts', account('twice'));
    expect(again.status).toBe(409);
    expect(clouddriver.requests).toHaveLength(writes);
  });

  it('Gate down: 503 naming Gate, and the account is not recorded', async () => {
    gate.down = true;
    try {
      const response = await api.asUser(users.admin, 'POST', '/api/v1/accounts', account('while-down'));
      expect(response.status).toBe(503);
      expect(response.body.detail).toContain('Gate');
    } finally {
      gate.down = false;
    }
    expect((await api.asUser(users.admin, 'GET', '/api/v1/accounts/while-down')).status).toBe(404);
    expect(clouddriver.accounts.has('while-down')).toBe(false);
  });

  it('Clouddriver without account storage is a 503, not a client mistake', async () => {
    const noStorage = await startClouddriverAccountApi({
      users: { [SAPOR_GATE_USER]: { roles: ['spinnaker-admins'], accountManager: true } },
      storageEnabled: false,
    });
    const otherGate = await startGateApi({
      basicAuthUsers: { [SAPOR_GATE_USER]: 'secret' },
      clouddriverUrl: noStorage.url,
    });
    const other = await startSapor({
      gate: { url: otherGate.url, username: SAPOR_GATE_USER, password: 'secret', retries: 0 },
      accounts: { backend: 'clouddriver' },
    });
    try {
      const response = await client(other.url).asUser(users.admin, 'POST', '/api/v1/accounts', account('no-storage'));
      expect(response.status).toBe(503);
      expect(response.body.detail).toContain('AccountDefinitionService');
    } finally {
      await other.stop();
      await otherGate.close();
      await noStorage.close();
    }
  });

  it('a change while another replica holds the account’s lease is a 409; an expired lease is taken over', async () => {
    const store = new AccountStore(sapor.database);
    expect(await store.acquire('leased', 'other-replica', 60_000)).toBe(true);
    const busy = await api.asUser(users.admin, 'POST', '/api/v1/accounts', account('leased'));
    expect(busy.status).toBe(409);
    expect(busy.body.type).toBe('urn:isd:problem:account_busy');
    expect(clouddriver.accounts.has('leased')).toBe(false);
    await store.release('leased', 'other-replica');
    // A replica that died holding it: its lease has run out.
    expect(await store.acquire('leased', 'dead-replica', -1_000)).toBe(true);
    const created = await api.asUser(users.admin, 'POST', '/api/v1/accounts', account('leased'));
    expect(created.status).toBe(201);
    // Released after the change.
    expect(await store.acquire('leased', 'next', 60_000)).toBe(true);
    await store.release('leased', 'next');
  });

  it('an account through an agent is refused when no controller is configured', async () => {
    const response = await api.asUser(users.admin, 'POST', '/api/v1/accounts', {
      name: 'remote',
      agent: { name: 'cluster-b' },
      permissions: writable,
    });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('agent');
  });
});

describe('/openapi.json', () => {
  it('documents the accounts endpoints with their request body and answers', async () => {
    const openapi = (await api.raw('GET', '/openapi.json', undefined, {})).body as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(openapi.paths['/api/v1/accounts'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(openapi.paths['/api/v1/accounts/{name}'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(openapi.paths['/api/v1/accounts/{name}/history'] ?? {})).toEqual(['get']);
    const post = openapi.paths['/api/v1/accounts']!.post!;
    expect(JSON.stringify(post.requestBody)).toContain('kubeconfig');
    expect(JSON.stringify(post.requestBody)).toContain('agent');
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['201', '400', '403', '409', '503']));
  });
});
