// End to end against the self-hosted stores: a real Graphite (carbon + graphite-web) and a real InfluxDB
// 1.x hold a baseline, a healthy and a degraded canary of known latencies; one template reads both
// stores, and a verification over a window in the past passes the healthy canary and fails the degraded one.
import type { RunningService } from '@isd/kit';
import {
  createTestDatabase,
  eventually,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
import { createRandom } from '../domain';
import { createGraphiteProvider } from '../providers/graphite';
import { autopilotService } from '../service';
import type { AutopilotConfig } from '../config';
import {
  startGraphite,
  startInfluxdb,
  type GraphiteServer,
  type InfluxdbServer,
} from '../../test/metric-stores-harness';

// Tests read response JSON several levels deep; a loose type keeps those reads short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseJson = Record<string, any>;

jest.setTimeout(180_000);

let graphite: GraphiteServer;
let influx: InfluxdbServer;
let service: RunningService<AutopilotConfig>;
// Two minutes of points, ending a minute ago: the verification's only window is already in the past.
const endMs = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const startMs = endMs - 120_000;
/** Mean latency (ms) of each deployment; the noise is seeded, so every run sees the same points. */
const MEANS: Record<string, number> = { 'web-v1': 100, 'web-v2': 100, 'web-v3': 150 };

async function call(method: string, path: string, body?: unknown, headers = serviceHeaders()) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as LooseJson) : undefined,
  };
}

beforeAll(async () => {
  [graphite, influx] = await Promise.all([startGraphite(), startInfluxdb()]);
  await influx.admin('CREATE DATABASE metrics');
  const graphitePoints: Array<{ path: string; value: number; atMs: number }> = [];
  const influxLines: string[] = [];
  Object.entries(MEANS).forEach(([deployment, mean], index) => {
    const random = createRandom(index + 1);
    for (let atMs = startMs; atMs <= endMs; atMs += 1_000) {
      const value = mean + 5 * random.normal();
      graphitePoints.push({ path: `latency;namespace=prod;deployment=${deployment}`, value, atMs });
      influxLines.push(`latency,namespace=prod,deployment=${deployment} value=${value} ${atMs}`);
    }
  });
  await Promise.all([graphite.send(graphitePoints), influx.write('metrics', influxLines)]);
  // carbon writes and registers tags asynchronously: wait until Graphite serves all three series.
  const reader = createGraphiteProvider('graphite', { url: graphite.url, timeoutMs: 10_000 });
  await eventually(
    async () => {
      const all = await reader.fetch("seriesByTag('name=latency')", { startMs, endMs, stepSeconds: 1 });
      return all.seriesCount === 3 ? true : undefined;
    },
    60_000,
    'three tagged series in Graphite',
  );
  const databaseUrl = await createTestDatabase('autopilot_stores');
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl,
      users: { alice: { roles: [], applications: { web: ['READ', 'WRITE'] } } },
      extra: {
        providers: {
          carbon: { type: 'graphite', url: graphite.url, timeoutMs: 10_000 },
          influx: { type: 'influxdb', url: influx.url, database: 'metrics', timeoutMs: 10_000 },
        },
        analysis: { providerAttempts: 1, providerRetryDelayMs: 0 },
      },
    }),
  );
  const created = await call(
    'POST',
    '/api/v1/templates',
    {
      name: 'latency-stores',
      application: 'web',
      stepSeconds: 5,
      metrics: [
        {
          name: 'graphite latency',
          provider: 'graphite',
          query: "seriesByTag('name=latency',${scope})",
          direction: 'increase',
          groups: ['latency'],
        },
        {
          name: 'influx latency',
          provider: 'influx',
          query:
            'SELECT mean("value") FROM latency WHERE ${scope} AND time >= $start AND time < $end GROUP BY time(${stepSeconds}s)',
          direction: 'increase',
          groups: ['latency'],
        },
      ],
    },
    gateHeaders('alice'),
  );
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await service?.stop();
  await Promise.all([graphite?.stop(), influx?.stop()]);
});

async function verify(stageId: string, canary: string): Promise<LooseJson> {
  const created = await call('POST', '/api/v1/verifications', {
    application: 'web',
    executionId: 'exec-stores',
    stageId,
    template: { name: 'latency-stores', version: null },
    baseline: { namespace: 'prod', deployment: 'web-v1' },
    canary: { namespace: 'prod', deployment: canary },
    startTime: new Date(startMs).toISOString(),
    lifetimeMs: endMs - startMs,
    intervalMs: null,
    thresholds: { pass: 80, marginal: 60 },
    judge: null,
  });
  expect(created.status).toBe(202);
  return eventually(
    async () => {
      const { body } = await call('GET', created.headers.get('location')!);
      return body && body.status !== 'running' ? body : undefined;
    },
    60_000,
    `verification ${stageId} to finish`,
  );
}

describe('verification against a real Graphite and a real InfluxDB', () => {
  it('passes a healthy canary and fails a degraded one on both stores', async () => {
    const [healthy, degraded] = await Promise.all([verify('healthy', 'web-v2'), verify('degraded', 'web-v3')]);
    expect(healthy.status).toBe('pass');
    expect(healthy.score).toBe(100);
    expect(healthy.metrics.map((metric: LooseJson) => metric.classification)).toEqual(['Pass', 'Pass']);
    // 2 minutes at a 5 s step: 25 grid points, of which the influx GROUP BY fills the 24 before `time < $end`.
    expect(healthy.metrics[0].baseline.count).toBeGreaterThanOrEqual(24);
    expect(healthy.metrics[1].baseline.count).toBeGreaterThanOrEqual(24);

    expect(degraded.status).toBe('fail');
    expect(degraded.metrics.map((metric: LooseJson) => metric.classification)).toEqual(['High', 'High']);
    expect(degraded.metrics[0].canary.query).toBe("seriesByTag('name=latency','namespace=prod','deployment=web-v3')");
    expect(degraded.metrics[1].canary.query).toBe(
      "SELECT mean(\"value\") FROM latency WHERE namespace = 'prod' AND deployment = 'web-v3' AND time >= $start AND time < $end GROUP BY time(5s)",
    );
    expect(degraded.metrics[0].canary.mean).toBeGreaterThan(140);
    expect(degraded.metrics[1].canary.mean).toBeGreaterThan(140);
  });

  it('answers 400, not 500, for a scope value a Graphite tag expression cannot hold', async () => {
    const refused = await call('POST', '/api/v1/verifications', {
      application: 'web',
      executionId: 'exec-stores',
      stageId: 'bad-scope',
      template: { name: 'latency-stores', version: null },
      baseline: { namespace: 'prod', deployment: 'web;v1' },
      canary: { namespace: 'prod', deployment: 'web-v2' },
      lifetimeMs: 60_000,
    });
    expect(refused.status).toBe(400);
    expect(refused.body!.errors).toContainEqual({
      path: expect.stringMatching(/metrics\.0\.query$/),
      message: expect.stringMatching(/scope label "deployment": the value "web;v1" .*cannot hold/),
    });
  });

  it('refuses a template whose queries the stores refuse, naming the metric', async () => {
    const refused = await call(
      'POST',
      '/api/v1/templates',
      {
        name: 'broken-stores',
        application: 'web',
        metrics: [
          { name: 'g', provider: 'graphite', query: 'noSuchFunction(${scope.deployment})', groups: ['a'] },
          { name: 'i', provider: 'influx', query: 'SELECT mean(value FROM latency WHERE ${scope}', groups: ['a'] },
        ],
      },
      gateHeaders('alice'),
    );
    expect(refused.status).toBe(400);
    const paths = (refused.body!.errors as Array<{ path: string }>).map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/metrics\.0\.query$/),
        expect.stringMatching(/metrics\.1\.query$/),
      ]),
    );
  });
});
