// Retention (docs/decisions/227) on real Postgres with real verifications judged from the demo metrics
// source: details go after retention.detailDays (the report still renders and says so), whole
// verifications after retention.days, running ones never; a re-post of a deleted stage is a fresh run.
import path from 'node:path';
import { loadConfig, Retention, type RunningService } from '@isd/kit';
import {
  createTestDatabase,
  eventually,
  serviceHeaders,
  startTestService,
  startupRetentionDone,
  testServiceConfig,
} from '@isd/test-support';
import { Registry } from 'prom-client';
import { autopilotConfigSchema, type AutopilotConfig } from './config';
import { startDemoPrometheus } from './demo/demo-prometheus';
import { autopilotSweeps } from './retention';
import { autopilotService } from './service';

jest.setTimeout(60_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads of nested JSON
type Json = Record<string, any>;

const RETENTION = { days: 400, detailDays: 30 };
const METRICS_ORIGIN_MS = Date.now();
let demo: Awaited<ReturnType<typeof startDemoPrometheus>>;
let service: RunningService<AutopilotConfig>;

beforeAll(async () => {
  demo = await startDemoPrometheus({ port: 0, host: '127.0.0.1', originMs: METRICS_ORIGIN_MS });
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_retention'),
      extra: {
        providers: { demo: { type: 'prometheus', url: demo.url } },
        analysis: { defaultProvider: 'demo', providerAttempts: 1, providerRetryDelayMs: 0 },
        templates: { directory: path.join(__dirname, '../demo/templates') },
        retention: RETENTION,
      },
    }),
  );
  await startupRetentionDone(service);
});

afterAll(async () => {
  await service?.stop();
  await demo?.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { ...serviceHeaders(), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? (JSON.parse(text) as Json) : { html: text } };
}

function payload(stageId: string, startMs = METRICS_ORIGIN_MS - 15 * 60_000) {
  return {
    application: 'demo',
    executionId: 'exec-retention',
    stageId,
    template: { name: 'demo-golden-signals' },
    baseline: { namespace: 'demo', deployment: 'demo-baseline' },
    canary: { namespace: 'demo', deployment: 'demo-canary-degraded' },
    startTime: new Date(startMs).toISOString(),
    lifetimeMs: 600_000,
    intervalMs: 600_000,
  };
}

async function finishedVerification(stageId: string): Promise<Json> {
  const created = await call('POST', '/api/v1/verifications', payload(stageId));
  expect(created.status).toBe(202);
  return eventually(async () => {
    const { body } = await call('GET', `/api/v1/verifications/${created.body.id as string}`);
    return body.status !== 'running' ? body : undefined;
  });
}

/** Moves a verification's creation and end back by `days`. */
async function age(id: string, days: number): Promise<void> {
  await service.database.query(
    `UPDATE verifications SET created_at = created_at - make_interval(days => $2),
            finished_at = finished_at - make_interval(days => $2) WHERE id = $1`,
    [id, days],
  );
}

function retention(): Retention {
  return new Retention({
    database: service.database,
    jobs: service.jobs,
    logger: service.logger,
    registry: new Registry(),
    sweeps: autopilotSweeps(RETENTION),
    batchSize: 2,
  });
}

const cluster = (template: string, costly: boolean) => ({
  template,
  clusterKey: template,
  topic: 'error',
  tags: [],
  kind: costly ? 'canary-only' : 'common',
  baselineCount: costly ? 0 : 5,
  canaryCount: 7,
  rateRatio: null,
  examples: { baseline: costly ? [] : ['ERROR quiet one'], canary: [`ERROR ${template} at line 7`] },
  unexpected: costly,
  penalty: costly ? 10 : 0,
  critical: false,
});

it('drops a finished verification’s points and log examples after detailDays; its verdict and report stay', async () => {
  const trimmed = await finishedVerification('trimmed');
  expect(trimmed.status).toBe('fail');
  const before = (await call('GET', `/api/v1/verifications/${trimmed.id as string}/report?format=json`)).body;
  expect(before.metrics[0].baselineSeries.values.length).toBeGreaterThan(0);
  expect(before.detailsDropped).toBeNull();
  // A log analysis on its last window: one cluster that cost points, one that did not.
  await service.database.query(`UPDATE verification_intervals SET logs = $2 WHERE verification_id = $1`, [
    trimmed.id,
    JSON.stringify({
      template: { name: 'errors', version: 1 },
      provider: 'loki',
      queries: { baseline: 'b', canary: 'c' },
      score: 80,
      failed: false,
      reasons: ['1 unexpected cluster'],
      baselineEvents: 5,
      canaryEvents: 14,
      clusterCount: 2,
      clusters: [cluster('new failure', true), cluster('known noise', false)],
    }),
  ]);
  await age(trimmed.id as string, RETENTION.detailDays + 1);

  await retention().run();

  const after = await call('GET', `/api/v1/verifications/${trimmed.id as string}`);
  expect(after.status).toBe(200);
  expect(after.body).toMatchObject({ status: 'fail', score: trimmed.score, reason: trimmed.reason });
  expect(after.body.detailsDropped).toMatchObject({ dropped: expect.stringContaining('metric points') });
  const report = (await call('GET', `/api/v1/verifications/${trimmed.id as string}/report?format=json`)).body;
  expect(report.detailsDropped).toEqual(after.body.detailsDropped);
  expect(report.metrics.map((m: Json) => [m.name, m.classification, m.reason])).toEqual(
    before.metrics.map((m: Json) => [m.name, m.classification, m.reason]),
  );
  expect(report.metrics[0].baselineSeries.values).toEqual([]);
  expect(report.logs[0].clusterCount).toBe(2);
  expect(report.logs[0].clusters).toHaveLength(1);
  expect(report.logs[0].clusters[0]).toMatchObject({
    template: 'new failure',
    classification: 'unexpected',
    examples: { baseline: [], canary: [] },
  });
  const html = await call('GET', `/api/v1/verifications/${trimmed.id as string}/report`);
  expect(html.status).toBe(200);
  expect(html.body.html).toContain('Dropped on');
  expect(html.body.html).toContain('FAIL'.toLowerCase());

  // A second run leaves it as it is.
  const again = await retention().run();
  expect(again['verification_intervals.details'] ?? 0).toBe(0);
});

it('deletes finished verifications past retention.days with their intervals; a running one stays whatever its age', async () => {
  const old = await finishedVerification('old');
  const running = await call('POST', '/api/v1/verifications', payload('running', Date.now()));
  expect(running.body.status).toBe('running');
  await age(old.id as string, RETENTION.days + 1);
  await service.database.query(
    `UPDATE verifications SET created_at = created_at - interval '1000 days' WHERE id = $1`,
    [running.body.id],
  );

  const deleted = await retention().run();

  expect(deleted.verifications).toBe(1);
  expect(deleted.verification_intervals).toBeGreaterThan(0);
  expect((await call('GET', `/api/v1/verifications/${old.id as string}`)).status).toBe(404);
  expect((await call('GET', `/api/v1/verifications/${old.id as string}/report`)).status).toBe(404);
  const { rowCount } = await service.database.query('SELECT 1 FROM verification_intervals WHERE verification_id = $1', [
    old.id,
  ]);
  expect(rowCount).toBe(0);
  expect((await call('GET', `/api/v1/verifications/${running.body.id as string}`)).body.status).toBe('running');
  const list = await call('GET', '/api/v1/verifications?application=demo&limit=100');
  expect(list.status).toBe(200);
  expect(list.body.verifications.map((v: Json) => v.id)).not.toContain(old.id);

  // Orca re-posting the deleted stage starts one fresh verification, never the deleted verdict.
  const reposted = await Promise.all([1, 2].map(() => call('POST', '/api/v1/verifications', payload('old'))));
  expect(new Set(reposted.map((answer) => answer.body.id)).size).toBe(1);
  expect(reposted[0]?.body.id).not.toBe(old.id);
  expect(reposted[0]?.body.status).toBe('running');
  await call('POST', `/api/v1/verifications/${running.body.id as string}/cancel`);
});

it('deletes finished test verifications past retention.days; a running one stays', async () => {
  const insert = async (status: string, finished: boolean) => {
    const { rows } = await service.database.query<{ id: string }>(
      `INSERT INTO test_verifications (id, execution_id, stage_id, application, request, thresholds, status, created_at, finished_at)
       VALUES (gen_random_uuid(), 'exec-t', gen_random_uuid()::text, 'demo', '{}', '{}', $1,
               now() - interval '500 days', CASE WHEN $2 THEN now() - interval '500 days' END) RETURNING id`,
      [status, finished],
    );
    return rows[0]!.id;
  };
  const done = await insert('pass', true);
  const running = await insert('running', false);
  const deleted = await retention().run();
  expect(deleted.test_verifications).toBe(1);
  const { rows } = await service.database.query<{ id: string }>('SELECT id FROM test_verifications');
  expect(rows.map((row) => row.id)).toEqual([running]);
  expect(rows.map((row) => row.id)).not.toContain(done);
});

it('refuses retention settings that cannot hold, naming the key', () => {
  const parse = (retention: unknown) =>
    autopilotConfigSchema.safeParse({ auth: { serviceToken: 'service-token-0123456789' }, retention });
  expect(parse({ days: 30, detailDays: 60 }).error?.issues.map((i) => i.path.join('.'))).toEqual([
    'retention.detailDays',
  ]);
  expect(parse({ days: 0 }).error?.issues[0]?.path.join('.')).toBe('retention.days');
  expect(parse({ batchSize: 0 }).error?.issues.map((i) => i.path.join('.'))).toEqual(['retention.batchSize']);
  expect(parse({}).data?.retention).toEqual({ days: 400, detailDays: 30, batchSize: 500 });
  // At start-up the message names the key and where the value came from.
  expect(() =>
    loadConfig(autopilotConfigSchema, {
      env: { AUTOPILOT_AUTH__SERVICE_TOKEN: 'service-token-0123456789', AUTOPILOT_RETENTION__DETAIL_DAYS: '900' },
      envPrefix: 'AUTOPILOT_',
    }),
  ).toThrow(
    /retention\.detailDays.*AUTOPILOT_RETENTION__DETAIL_DAYS|AUTOPILOT_RETENTION__DETAIL_DAYS.*retention\.detailDays/,
  );
});
