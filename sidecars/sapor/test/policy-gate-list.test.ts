// The application's runtime gate decisions as Deck's Policies view reads them: a keyset-paged list
// (10,000 seeded rows, every one once in a stable order), the input each gate was decided on, the 400s
// that name a bad parameter, and READ on the application.
import { randomUUID } from 'node:crypto';
import type { RunningService } from '@isd/kit';
import { createTestDatabase, startTestService, testServiceConfig } from '@isd/test-support';
import { saporService, type SaporConfig } from '../src';
import { startGateApi, type GateApiHarness } from '../../../test/harness/gate';
import { client, examplesDir, fixture, savePolicy, users } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely
type Json = Record<string, any>;

let sapor: RunningService<SaporConfig>;
let gate: GateApiHarness;
let api: ReturnType<typeof client>;
const execution = fixture('execution-prod-deploy.json') as Json;
const reader = 'reader@example.com';
const SEEDED = 10_000;

beforeAll(async () => {
  gate = await startGateApi({ basicAuthUsers: { sapor: 'gate-basic-password' } });
  sapor = await startTestService(
    saporService,
    testServiceConfig(saporService, {
      databaseUrl: await createTestDatabase('sapor_gate_list'),
      users: {
        [users.admin]: ['admin'],
        [reader]: { roles: ['dev'], applications: { other: ['READ'] } },
      },
      extra: {
        policy: { directory: examplesDir, maxSteps: 200_000, timeoutMs: 2_000 },
        gate: { url: gate.url, username: 'sapor', password: 'gate-basic-password', timeoutMs: 2_000 },
      },
    }),
  );
  api = client(sapor.url);
  await savePolicy(api, 'size', 'package isd.test.size\n\ndeny contains "too long" if count(input.params.text) > 10\n');
});

afterAll(async () => {
  await sapor?.stop();
  await gate?.close();
});

/** Decides a gate of a fresh copy of the fixture execution; returns the stored decision. */
async function decide(policy: string, params: Record<string, unknown>) {
  const copy = JSON.parse(JSON.stringify(execution)) as Json;
  copy.id = randomUUID();
  gate.executions.push(copy);
  const created = await api.asService('POST', '/api/v1/policy-gates', {
    application: copy.application,
    pipelineName: copy.name,
    pipelineId: copy.pipelineConfigId,
    executionId: copy.id,
    stageId: 'gate-stage',
    triggeredBy: copy.trigger.user,
    policy,
    params,
  });
  expect(created.status).toBe(202);
  return created.body as Json;
}

describe('GET /api/v1/policy-gates', () => {
  it('lists the application’s decisions newest first with reasons, and each one’s input on request', async () => {
    const allowed = await decide('isd/test/size', { text: 'short' });
    const denied = await decide('isd/test/size', { text: 'far too long for it' });
    const application = execution.application as string;
    const listed = await api.asUser(users.admin, 'GET', `/api/v1/policy-gates?application=${application}`);
    expect(listed.status).toBe(200);
    expect(listed.body.gates.map((row: Json) => row.id)).toEqual([denied.id, allowed.id]);
    expect(listed.body.gates[0]).toMatchObject({
      status: 'deny',
      messages: ['too long'],
      policy: { path: 'data.isd.test.size', name: 'size' },
      pipelineName: execution.name,
    });
    expect(listed.body.gates[0].input).toBeUndefined();
    expect(listed.body.next).toBeNull();

    const denyOnly = await api.asUser(
      users.admin,
      'GET',
      `/api/v1/policy-gates?application=${application}&status=deny`,
    );
    expect(denyOnly.body.gates.map((row: Json) => row.id)).toEqual([denied.id]);

    const input = await api.asUser(users.admin, 'GET', `/api/v1/policy-gates/${denied.id}/input`);
    expect(input.status).toBe(200);
    expect(input.body).toMatchObject({
      id: denied.id,
      omitted: null,
      input: { kind: 'runtime', application, params: { text: 'far too long for it' } },
    });
    expect(input.body.inputBytes).toBeGreaterThan(100);
  });

  it('keeps only the digest and size of an input larger than it keeps', async () => {
    const big = await decide('isd/test/size', { text: 'x'.repeat(300 * 1024) });
    const input = await api.asUser(users.admin, 'GET', `/api/v1/policy-gates/${big.id}/input`);
    expect(input.body.input).toBeNull();
    expect(input.body.omitted).toContain(big.inputDigest);
    expect(input.body.inputBytes).toBeGreaterThan(300 * 1024);
  });

  it('pages through 10,000 decisions once each, in a stable order', async () => {
    // Rows in fours a minute apart: two pairs with the same instant, 7 µs apart (within one millisecond).
    await sapor.database.query(
      `INSERT INTO policy_gates (id, execution_id, stage_id, application, pipeline_name, policy_path, status, messages,
                                 decision_id, input_digest, created_at)
       SELECT gen_random_uuid(), 'exec-' || n, 's', 'bulk', 'deploy-' || (n % 3), 'data.isd.deploy',
              CASE WHEN n % 7 = 0 THEN 'deny' ELSE 'allow' END, '[]', gen_random_uuid(), 'sha256:x',
              timestamptz '2026-11-01T00:00:00Z' + ((n / 4) * interval '1 minute') + ((n / 2) % 2) * interval '7 microseconds'
       FROM generate_series(1, $1) AS n`,
      [SEEDED],
    );
    const ids: string[] = [];
    const times: number[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/policy-gates?application=bulk&limit=199${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api.asUser(users.admin, 'GET', url);
      expect(page.status).toBe(200);
      for (const row of page.body.gates as Json[]) {
        ids.push(row.id as string);
        times.push(Date.parse(row.createdAt as string));
      }
      cursor = page.body.next as string | null;
    } while (cursor);
    expect(ids).toHaveLength(SEEDED);
    expect(new Set(ids).size).toBe(SEEDED);
    expect(times.every((time, index) => index === 0 || time <= times[index - 1]!)).toBe(true);
    const denies = await api.asUser(users.admin, 'GET', '/api/v1/policy-gates?application=bulk&status=deny&limit=200');
    expect(denies.body.gates.every((row: Json) => row.status === 'deny')).toBe(true);
  });

  it.each([
    ['', 'query.application'],
    ['application=web&limit=0', 'query.limit'],
    ['application=web&limit=201', 'query.limit'],
    ['application=web&cursor=abc', 'query.cursor'],
    ['application=web&status=maybe', 'query.status'],
    ['application=web&from=soon', 'query.from'],
    ['application=web&from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'query.from'],
    ['application=web&colour=blue', 'colour'],
  ])('answers 400 naming the bad parameter for %s', async (query, field) => {
    const answer = await api.asUser(users.admin, 'GET', `/api/v1/policy-gates?${query}`);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain(field);
  });

  it('shows an application’s decisions and inputs only to users who may READ it', async () => {
    const decided = await decide('isd/test/size', { text: 'short' });
    const application = execution.application as string;
    expect((await api.asUser(reader, 'GET', `/api/v1/policy-gates?application=${application}`)).status).toBe(404);
    expect((await api.asUser(reader, 'GET', `/api/v1/policy-gates/${decided.id}/input`)).status).toBe(404);
    expect((await api.asUser(reader, 'GET', '/api/v1/policy-gates?application=other')).status).toBe(200);
  });
});

it('publishes the list and input routes in the OpenAPI document', async () => {
  const document = await api.asService('GET', '/openapi.json');
  expect(Object.keys(document.body.paths)).toEqual(
    expect.arrayContaining(['/api/v1/policy-gates', '/api/v1/policy-gates/{id}/input']),
  );
});
