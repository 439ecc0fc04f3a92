// Delivery insights end to end: executions synced incrementally from the Gate API harness into Postgres,
// DORA measures and gate numbers over HTTP, the same numbers in /metrics, and the failure paths (Gate
// down → the sync fails and is retried, the data is kept, the error and staleness reported).
import type { RunningService } from '@isd/kit';
import { createTestDatabase, eventually, startTestService, testServiceConfig } from '@isd/test-support';
import { startGateApi, type GateApiHarness } from '../../../test/harness/gate';
import { saporService, type SaporConfig } from '../src';
import { client } from './helpers';

const HOUR = 3_600_000;
const now = Date.now();
const base = now - 5 * 24 * HOUR; // five days ago
const SERVICE = { username: 'sapor', password: 'internal-gate-password' };
const people = { admin: 'root@example.com', webReader: 'reader@example.com' };

function execution(
  id: string,
  application: string,
  status: string,
  triggeredHour: number,
  finishedHour: number | undefined,
  account = 'prod-east',
) {
  return {
    id,
    application,
    name: 'deploy',
    type: 'PIPELINE',
    pipelineConfigId: `${application}-deploy`,
    status,
    buildTime: base + triggeredHour * HOUR,
    startTime: base + triggeredHour * HOUR,
    ...(finishedHour === undefined ? {} : { endTime: base + finishedHour * HOUR }),
    stages: [
      { type: 'bakeManifest', status: 'SUCCEEDED', context: {} },
      { type: 'deployManifest', status: status === 'RUNNING' ? 'RUNNING' : 'SUCCEEDED', context: { account } },
    ],
  };
}

async function startSapor(gate: GateApiHarness, insights: Record<string, unknown>) {
  const config = testServiceConfig(saporService, {
    databaseUrl: await createTestDatabase(),
    users: {
      [people.admin]: { roles: ['admin'], admin: true },
      [people.webReader]: { roles: ['dev'], applications: { web: ['READ'] } },
    },
    extra: {
      gate: { url: gate.url, ...SERVICE, timeoutMs: 2_000, retries: 1, backoffMs: 1 },
      insights: { environments: { 'prod-east': 'production' }, ...insights },
    },
  });
  return startTestService(saporService, config);
}

describe('insights from synced executions', () => {
  let gate: GateApiHarness;
  let sapor: RunningService<SaporConfig>;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    gate = await startGateApi({ basicAuthUsers: { [SERVICE.username]: SERVICE.password } });
    sapor = await startSapor(gate, { syncIntervalMs: 0, staleAfterMs: 3_600_000 });
    api = client(sapor.url);
  });
  afterAll(async () => {
    await sapor.stop();
    await gate.close();
  });

  const range = () =>
    `from=${new Date(base - HOUR).toISOString()}&to=${new Date(now + HOUR).toISOString()}`.replace(/:/g, '%3A');

  it('is stale before the first sync, then reads executions and answers the DORA measures', async () => {
    const before = await api.asService('GET', `/api/v1/insights/dora?${range()}`);
    expect(before.status).toBe(200);
    expect(before.body.freshness).toMatchObject({ stale: true, lastSuccessAt: null });

    gate.executions.push(
      execution('w1', 'web', 'SUCCEEDED', 0, 1),
      execution('w2', 'web', 'TERMINAL', 2, 3),
      execution('w3', 'web', 'SUCCEEDED', 4, 7),
      execution('w4', 'web', 'RUNNING', 8, undefined),
      execution('w5', 'web', 'SUCCEEDED', 9, 10, 'staging'),
      execution('a1', 'api', 'SUCCEEDED', 1, 2),
    );
    const synced = await api.asService('POST', '/api/v1/insights/sync');
    expect(synced.status).toBe(200);
    expect(synced.body).toEqual({ executions: 6, deployments: 6 });

    const dora = await api.asService('GET', `/api/v1/insights/dora?${range()}&application=web&groupBy=environment`);
    expect(dora.status).toBe(200);
    expect(dora.body.freshness).toMatchObject({ stale: false, lastError: null });
    const production = dora.body.groups.find((group: { environment: string }) => group.environment === 'production');
    expect(production).toMatchObject({
      application: 'web',
      deployments: { successful: 2, failed: 1 },
      leadTimeMs: { median: HOUR, p90: 3 * HOUR, count: 2 },
      changeFailureRate: 0.3333,
      timeToRestoreMs: { median: 4 * HOUR, count: 1, unrestored: 0 },
    });
    expect(dora.body.groups.map((group: { environment: string }) => group.environment).sort()).toEqual([
      'production',
      'staging',
    ]);
  });

  it('syncs incrementally from the oldest running execution, and picks up its end', async () => {
    const searchesBefore = gate.requests.filter((request) => request.path.endsWith('/executions/search')).length;
    const running = gate.executions.find((candidate) => candidate.id === 'w4')!;
    Object.assign(running, execution('w4', 'web', 'SUCCEEDED', 8, 9));
    gate.executions.push(execution('w6', 'web', 'SUCCEEDED', 11, 12));
    const synced = await api.asService('POST', '/api/v1/insights/sync');
    // Only from w4's trigger time (minus the overlap) on: w4, w5, w6 — not the whole history again.
    expect(synced.body.executions).toBe(3);
    const search = gate.requests.filter((request) => request.path.endsWith('/executions/search'))[searchesBefore]!;
    expect(Number(search.query.triggerTimeStartBoundary)).toBe(base + 8 * HOUR - 60_000);
    const dora = await api.asService('GET', `/api/v1/insights/dora?${range()}&application=web&environment=production`);
    expect(dora.body.groups[0].deployments).toMatchObject({ successful: 4, failed: 1 });
  });

  it('groups by pipeline, and shows a user only applications they may READ', async () => {
    const reader = await api.asUser(people.webReader, 'GET', `/api/v1/insights/dora?${range()}&groupBy=pipeline`);
    expect(reader.status).toBe(200);
    expect(reader.body.groups.map((group: { application: string; pipeline: string }) => group.application)).toEqual([
      'web',
    ]);
    expect(reader.body.groups[0].pipeline).toBe('deploy');
    expect((await api.asUser(people.webReader, 'GET', '/api/v1/insights/dora?application=api')).status).toBe(404);
    expect((await api.asUser(people.webReader, 'POST', '/api/v1/insights/sync')).status).toBe(403);
  });

  it('exports the same numbers as Prometheus gauges', async () => {
    const response = await fetch(`${sapor.url}/metrics`);
    const text = await response.text();
    expect(text).toMatch(/isd_insights_deployments\{application="web",environment="production"[^}]*\} 4/);
    expect(text).toMatch(/isd_insights_failed_deployments\{application="web",environment="production"[^}]*\} 1/);
    expect(text).toMatch(/isd_insights_change_failure_rate\{application="web",environment="production"[^}]*\} 0\.2/);
    expect(text).toMatch(/isd_insights_stale\{[^}]*\} 0/);
  });

  it('keeps the data and reports the error when Gate is down; the next sync recovers', async () => {
    gate.down = true;
    const failed = await api.asService('POST', '/api/v1/insights/sync');
    expect(failed.status).toBe(503);
    const dora = await api.asService('GET', `/api/v1/insights/dora?${range()}&application=web&environment=production`);
    expect(dora.body.groups[0].deployments.successful).toBe(4);
    expect(dora.body.freshness.lastError).toMatch(/Gate is unreachable/);
    gate.down = false;
    expect((await api.asService('POST', '/api/v1/insights/sync')).status).toBe(200);
    const after = await api.asService('GET', `/api/v1/insights/dora?${range()}`);
    expect(after.body.freshness.lastError).toBeNull();
  });

  it('documents the insights and audit endpoints in /openapi.json', async () => {
    const openapi = (await api.raw('GET', '/openapi.json', undefined, {})).body as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>>;
    };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/insights/dora',
        '/api/v1/insights/gates',
        '/api/v1/insights/sync',
        '/api/v1/audit',
      ]),
    );
    const parameters = (openapi.paths['/api/v1/insights/dora']!.get!.parameters ?? []).map((p) => p.name);
    expect(parameters).toEqual(
      expect.arrayContaining(['application', 'pipeline', 'environment', 'from', 'to', 'groupBy']),
    );
  });

  it('refuses a bad range and unknown parameters naming them', async () => {
    const response = await api.asService('GET', '/api/v1/insights/dora?from=yesterday&groupBy=team&color=red');
    expect(response.status).toBe(400);
    const fields = (response.body.errors as Array<{ path: string }>).map((issue) => issue.path);
    expect(fields).toEqual(expect.arrayContaining(['query.from', 'query.groupBy']));
    const reversed = await api.asService(
      'GET',
      '/api/v1/insights/dora?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    expect(reversed.status).toBe(400);
    const long = await api.asService('GET', '/api/v1/insights/dora?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(long.status).toBe(400);
    expect(long.body.detail).toMatch(/at most 400 days/);
  });

  it('summarises the gates from the audit trail: decisions, approval waits, verification scores', async () => {
    const at = new Date(now - HOUR).toISOString();
    const append = (body: Record<string, unknown>) =>
      api.asService('POST', '/api/v1/audit/records', { application: 'web', actor: 'x', occurredAt: at, ...body });
    await append({
      source: 'visibility',
      key: 'a1',
      type: 'approval',
      outcome: 'approved',
      details: { waitMs: 60_000 },
    });
    await append({
      source: 'visibility',
      key: 'a2',
      type: 'approval',
      outcome: 'rejected',
      details: { waitMs: 180_000 },
    });
    await append({ source: 'autopilot', key: 'v1', type: 'verification', outcome: 'pass', details: { score: 92 } });
    await append({ source: 'autopilot', key: 'v2', type: 'verification', outcome: 'fail', details: { score: 'high' } });
    await append({ source: 'sapor', key: 'p1', type: 'policy', outcome: 'deny' });
    const gates = await api.asService('GET', `/api/v1/insights/gates?${range()}&application=web`);
    expect(gates.status).toBe(200);
    expect(gates.body.applications).toEqual([
      {
        application: 'web',
        decisions: {
          approval: { approved: 1, rejected: 1 },
          verification: { pass: 1, fail: 1 },
          policy: { deny: 1 },
        },
        policyDenials: 1,
        approvalWaitMs: { median: 60_000, p90: 180_000, count: 2 },
        verificationScore: { mean: 92, count: 1 },
      },
    ]);
  });
});

describe('the sync timer', () => {
  it('syncs on its own, and a sync that fails while Gate is down is retried until it succeeds', async () => {
    const gate = await startGateApi({ basicAuthUsers: { [SERVICE.username]: SERVICE.password } });
    gate.executions.push(execution('t1', 'web', 'SUCCEEDED', 0, 1));
    gate.down = true;
    const sapor = await startSapor(gate, { syncIntervalMs: 8_000 });
    const api = client(sapor.url);
    try {
      await eventually(async () => {
        const dora = await api.asService('GET', '/api/v1/insights/dora');
        expect(dora.body.freshness.lastError).toMatch(/unreachable/);
        return true;
      }, 20_000);
      gate.down = false;
      await eventually(async () => {
        const dora = await api.asService('GET', '/api/v1/insights/dora');
        expect(dora.body.freshness).toMatchObject({ stale: false, lastError: null });
        expect(dora.body.groups).toHaveLength(1);
        return true;
      }, 30_000);
    } finally {
      await sapor.stop();
      await gate.close();
    }
  }, 60_000);
});
