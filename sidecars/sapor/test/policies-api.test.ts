// Policy management over the API: admin-only saves, versions, tests run on save, parse errors located.
import type { RunningService } from '@isd/kit';
import type { SaporConfig } from '../src';
import { client, savePolicy, startSapor, users } from './helpers';

let sapor: RunningService<SaporConfig>;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  sapor = await startSapor();
  api = client(sapor.url);
});

afterAll(async () => {
  await sapor.stop();
});

const allowV1 = `package isd.deploy

default allow := false

allow if input.user == "alice"

test_alice_allowed if allow with input as {"user": "alice"}

test_bob_denied if not allow with input as {"user": "bob"}
`;

describe('saving policies', () => {
  it('saves a first version as an admin user through Gate and runs its tests', async () => {
    const response = await api.asUser(users.admin, 'PUT', '/api/v1/policies/deploy', {
      source: allowV1,
      description: 'who may deploy',
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      name: 'deploy',
      version: 1,
      regoVersion: 'v1',
      packages: ['isd.deploy'],
      origin: 'api',
      createdBy: users.admin,
      testsPassed: 2,
    });
    expect(response.headers.get('location')).toBe('/api/v1/policies/deploy/versions/1');
  });

  it('answers 200 without a new version when the content is unchanged', async () => {
    const response = await api.asUser(users.admin, 'PUT', '/api/v1/policies/deploy', { source: allowV1 });
    expect(response.status).toBe(200);
    expect(response.body.version).toBe(1);
  });

  it('keeps every version and serves each with its sources', async () => {
    const changed = allowV1.replace('input.user == "alice"', 'input.user in {"alice", "carol"}');
    expect((await api.asUser(users.admin, 'PUT', '/api/v1/policies/deploy', { source: changed })).status).toBe(201);
    const versions = await api.asService('GET', '/api/v1/policies/deploy/versions');
    expect(versions.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const first = await api.asService('GET', '/api/v1/policies/deploy/versions/1');
    expect(first.body.modules[0].source).toBe(allowV1);
    const current = await api.asUser(users.developer, 'GET', '/api/v1/policies/deploy');
    expect(current.body.version).toBe(2);
  });

  it('refuses a policy whose test fails, naming the failing test', async () => {
    const broken = allowV1.replace('test_bob_denied if not allow', 'test_bob_denied if allow');
    const response = await api.asUser(users.admin, 'PUT', '/api/v1/policies/deploy', { source: broken });
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('urn:isd:problem:policy_test_failed');
    expect(response.body.detail).toContain('data.isd.deploy.test_bob_denied');
    expect((await api.asService('GET', '/api/v1/policies/deploy')).body.version).toBe(2);
  });

  it('checks a policy without saving it, listing every test', async () => {
    const broken = allowV1.replace('test_bob_denied if not allow', 'test_bob_denied if allow');
    const response = await api.asUser(users.developer, 'POST', '/api/v1/policies/deploy/check', { source: broken });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      passed: false,
      packages: ['isd.deploy'],
      tests: [
        { name: 'data.isd.deploy.test_alice_allowed', passed: true },
        { name: 'data.isd.deploy.test_bob_denied', passed: false, error: 'undefined' },
      ],
    });
    expect((await api.asService('POST', '/api/v1/policies/deploy/check', { source: allowV1 })).body.passed).toBe(true);
    expect((await api.asService('GET', '/api/v1/policies/deploy')).body.version).toBe(2);
    expect((await api.asService('POST', '/api/v1/policies/deploy/check', { source: 'package' })).status).toBe(400);
  });

  it('evaluates a draft on an input for the playground, with its tests, without saving it', async () => {
    const draft = allowV1.replace('input.user == "alice"', 'input.user in {"alice", "carol"}');
    const liveBefore = await api.asService('GET', '/api/v1/policies/deploy');
    const carol = await api.asUser(users.developer, 'POST', '/api/v1/policies/deploy/check', {
      source: draft,
      input: { user: 'carol' },
    });
    expect(carol.status).toBe(200);
    expect(carol.body).toMatchObject({
      passed: true,
      tests: [{ passed: true }, { passed: true }],
      evaluation: { document: 'data.isd.deploy', result: { allow: true }, warnings: [] },
    });
    const rule = await api.asUser(users.developer, 'POST', '/api/v1/policies/deploy/check', {
      source: draft,
      input: { user: 'dave' },
      query: 'isd/deploy/allow',
    });
    expect(rule.body.evaluation).toEqual({ document: 'data.isd.deploy.allow', result: false, warnings: [] });
    // An undefined document has no result; the live version is unchanged.
    const missing = await api.asUser(users.developer, 'POST', '/api/v1/policies/deploy/check', {
      source: draft,
      input: {},
      query: 'isd.deploy.nothing',
    });
    expect(missing.body.evaluation).toEqual({ document: 'data.isd.deploy.nothing', warnings: [] });
    expect((await api.asService('GET', '/api/v1/policies/deploy')).body).toEqual(liveBefore.body);
    const badQuery = await api.asUser(users.developer, 'POST', '/api/v1/policies/deploy/check', {
      source: draft,
      input: {},
      query: 'isd/"x',
    });
    expect(badQuery.status).toBe(400);
    expect(JSON.stringify(badQuery.body)).toContain('body.query');
  });

  it('refuses a syntax error with the file, line, column and what was expected', async () => {
    const response = await api.asUser(users.admin, 'PUT', '/api/v1/policies/bad', {
      modules: [{ name: 'bad.rego', source: 'package x\n\nallow if {\n  input.a ==\n}\n' }],
    });
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('urn:isd:problem:policy_parse_error');
    expect(response.body.field).toBe('body.modules.0.source');
    expect(response.body.detail).toMatch(/bad\.rego:5/);
    expect(response.body.detail).toMatch(/expected/);
    expect(response.body.detail).toMatch(/column \d+/);
  });

  it('parses v0 syntax only when the policy says so', async () => {
    const v0 = 'package isd.legacy\n\ndeny[msg] {\n  input.x\n  msg := "x is set"\n}\n';
    expect((await api.asUser(users.admin, 'PUT', '/api/v1/policies/legacy', { source: v0 })).status).toBe(400);
    const saved = await api.asUser(users.admin, 'PUT', '/api/v1/policies/legacy', { source: v0, regoVersion: 'v0' });
    expect(saved.status).toBe(201);
    expect(saved.body.regoVersion).toBe('v0');
  });

  it('refuses a policy that conflicts with the live set', async () => {
    const response = await api.asUser(users.admin, 'PUT', '/api/v1/policies/clash', {
      source: 'package isd.deploy\n\nallow contains "x" if true\n',
    });
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('urn:isd:problem:policy_compile_error');
  });

  it('refuses users without an admin role (403), the service token (403, saying why) and requests without Gate proof (401)', async () => {
    const developer = await api.asUser(users.developer, 'PUT', '/api/v1/policies/mine', {
      source: 'package mine\n\nallow := true\n',
    });
    expect(developer.status).toBe(403);
    expect(developer.body.detail).toContain('admin');
    const forged = await api.raw(
      'PUT',
      '/api/v1/policies/mine',
      { source: 'package mine\n\nallow := true\n' },
      { 'content-type': 'application/json', 'x-spinnaker-user': users.admin },
    );
    expect(forged.status).toBe(401);
    const orca = await api.asService('PUT', '/api/v1/policies/mine', { source: 'package mine\n\nallow := true\n' });
    expect(orca.status).toBe(403);
    expect(orca.body.detail).toMatch(/service token cannot change policies.*through Gate/);
    expect(orca.body.detail).not.toContain('did not come through Gate');
    const orcaDelete = await api.asService('DELETE', '/api/v1/policies/mine');
    expect(orcaDelete.status).toBe(403);
    expect(orcaDelete.body.detail).toMatch(/service token cannot change policies/);
  });

  it('names the field for malformed bodies and names', async () => {
    const both = await api.asUser(users.admin, 'PUT', '/api/v1/policies/x', {
      source: 'package x',
      modules: [{ name: 'a.rego', source: 'package x' }],
    });
    expect(both.status).toBe(400);
    expect(both.body.field).toBe('body.modules');
    const badName = await api.asUser(users.admin, 'PUT', '/api/v1/policies/..%2Fetc', { source: 'package x' });
    expect(badName.status).toBe(400);
    expect(badName.body.field).toBe('path.name');
    const badVersion = await api.asUser(users.admin, 'PUT', '/api/v1/policies/x', {
      source: 'package x',
      regoVersion: 'v2',
    });
    expect(badVersion.body.field).toBe('body.regoVersion');
  });

  it('deletes a policy: it stops deciding but its versions stay readable', async () => {
    await savePolicy(api, 'temporary', 'package isd.temporary\n\nallow := true\n');
    expect((await api.asService('POST', '/v1/data/isd/temporary/allow', { input: {} })).body.result).toBe(true);
    expect((await api.asUser(users.admin, 'DELETE', '/api/v1/policies/temporary')).status).toBe(204);
    expect((await api.asService('POST', '/v1/data/isd/temporary/allow', { input: {} })).body).toEqual({});
    expect((await api.asService('GET', '/api/v1/policies/temporary')).status).toBe(404);
    expect((await api.asService('GET', '/api/v1/policies/temporary/versions/1')).status).toBe(200);
    expect((await api.asUser(users.admin, 'DELETE', '/api/v1/policies/temporary')).status).toBe(404);
  });

  it('lists live policies without their sources', async () => {
    const list = await api.asService('GET', '/api/v1/policies');
    expect(list.status).toBe(200);
    const names = list.body.policies.map((policy: { name: string }) => policy.name);
    expect(names).toEqual(expect.arrayContaining(['deploy', 'legacy']));
    expect(list.body.policies[0].modules).toBeUndefined();
  });

  it('publishes the routes in the OpenAPI document', async () => {
    const response = await fetch(`${sapor.url}/openapi.json`);
    const document = (await response.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/policies/{name}',
        '/api/v1/policy-gates',
        '/api/v1/policies/pipeline-check',
        '/v1/data',
      ]),
    );
  });
});
