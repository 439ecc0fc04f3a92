// End to end against a real Prometheus scraping prom-client apps: a degraded canary fails the gate, a
// healthy one passes, a restart during a window loses nothing, cancel is idempotent, bad templates and
// queries are 400 naming the field, and an unreachable provider ends in `error` with the cause.
import type { RunningService } from '@isd/kit';
import {
  createTestDatabase,
  eventually,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
import { autopilotService } from '../service';
import type { AutopilotConfig } from '../config';
import {
  startDemoApp,
  startPrometheus,
  waitForSamples,
  type DemoApp,
  type PrometheusServer,
} from '../../test/prometheus-harness';
import { windowJobsSettled } from '../../test/window-jobs';

// Tests read response JSON several levels deep; a loose type keeps those reads short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseJson = Record<string, any>;

jest.setTimeout(60_000);

const LATENCY = 'demo_request_latency_seconds{${scope}}';
const scope = (deployment: string) => ({ namespace: 'prod', deployment });

let apps: DemoApp[];
let prometheus: PrometheusServer;
let service: RunningService<AutopilotConfig>;
let databaseUrl: string;

function config(url: string, extra: Record<string, unknown> = {}): AutopilotConfig {
  return testServiceConfig(autopilotService, {
    databaseUrl: url,
    // alice owns the web application's template (WRITE on web, as Fiat would say).
    users: { alice: { roles: [], applications: { web: ['READ', 'WRITE'] } } },
    extra: {
      providers: { prom: { type: 'prometheus', url: prometheus.url, timeoutMs: 5_000 } },
      analysis: { providerAttempts: 1, providerRetryDelayMs: 0 },
      ...extra,
    },
  });
}

async function call(base: string, method: string, path: string, body?: unknown, headers = serviceHeaders()) {
  const response = await fetch(`${base}${path}`, {
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

function verificationPayload(stageId: string, canary: string, overrides: Record<string, unknown> = {}) {
  return {
    application: 'web',
    executionId: 'exec-1',
    stageId,
    template: { name: 'latency', version: null },
    baseline: scope('web-v1'),
    canary: scope(canary),
    startTime: null,
    lifetimeMs: 10_000,
    intervalMs: 5_000,
    thresholds: { pass: 80, marginal: 60 },
    judge: null,
    ...overrides,
  };
}

async function finished(base: string, location: string, timeoutMs = 25_000) {
  return eventually(
    async () => {
      const { body } = await call(base, 'GET', location);
      return body && body.status !== 'running' ? body : undefined;
    },
    timeoutMs,
    `${location} to finish`,
  );
}

beforeAll(async () => {
  apps = await Promise.all([
    startDemoApp(scope('web-v1'), { meanSeconds: 0.1, sdSeconds: 0.005, seed: 1 }),
    startDemoApp(scope('web-v2-slow'), { meanSeconds: 0.3, sdSeconds: 0.005, seed: 2 }),
    startDemoApp(scope('web-v2'), { meanSeconds: 0.1, sdSeconds: 0.005, seed: 3 }),
    // A canary target carrying an extra label: its series differ in kind, not only in scope.
    startDemoApp({ ...scope('web-v3'), zone: 'eu-1' }, { meanSeconds: 0.1, sdSeconds: 0.005, seed: 4 }),
  ]);
  prometheus = await startPrometheus(apps);
  databaseUrl = await createTestDatabase('autopilot_e2e');
  service = await startTestService(autopilotService, config(databaseUrl));
  const created = await call(
    service.url,
    'POST',
    '/api/v1/templates',
    {
      name: 'latency',
      description: 'request latency',
      application: 'web',
      stepSeconds: 1,
      metrics: [{ name: 'latency', query: LATENCY, unit: 's', direction: 'increase', groups: ['latency'] }],
    },
    gateHeaders('alice'),
  );
  expect(created.status).toBe(201);
  await waitForSamples(prometheus.url, 'demo_request_latency_seconds', 4);
});

afterAll(async () => {
  await service?.stop();
  await prometheus?.stop();
  await Promise.all((apps ?? []).map((app) => app.close()));
});

describe('verification against a real Prometheus', () => {
  it('fails the gate when the canary latency is degraded and passes it when the canary is healthy', async () => {
    const slow = await call(
      service.url,
      'POST',
      '/api/v1/verifications',
      verificationPayload('stage-slow', 'web-v2-slow', { pipelineName: 'deploy-web', pipelineId: 'pipe-web' }),
    );
    const healthy = await call(
      service.url,
      'POST',
      '/api/v1/verifications',
      verificationPayload('stage-healthy', 'web-v2'),
    );
    expect(slow.status).toBe(202);
    expect(slow.headers.get('location')).toBe(`/api/v1/verifications/${slow.body!.id}`);
    expect(slow.body!.status).toBe('running');
    expect(healthy.status).toBe(202);

    const [slowResult, healthyResult] = await Promise.all([
      finished(service.url, slow.headers.get('location')!),
      finished(service.url, healthy.headers.get('location')!),
    ]);
    expect(slowResult.status).toBe('fail');
    expect(slowResult.score).toBeLessThan(60);
    expect(slowResult.metrics[0]).toMatchObject({ name: 'latency', kind: 'metric', classification: 'High' });
    expect(slowResult.metrics[0].canary.query).toBe(
      'demo_request_latency_seconds{namespace="prod",deployment="web-v2-slow"}',
    );
    expect(slowResult.metrics[0].reason).toEqual(expect.any(String));
    // The first interval already scored at or below marginal: Kayenta's rule stops the run there.
    expect(slowResult.intervals.map((interval: { status: string }) => interval.status)).toEqual(['judged', 'skipped']);
    expect(slowResult.reason).toMatch(/interval 1 of 2 scored 0 ≤ marginal 60: stopped early/);

    expect(healthyResult.status).toBe('pass');
    expect(healthyResult.score).toBe(100);
    expect(healthyResult.intervals.map((interval: { status: string }) => interval.status)).toEqual([
      'judged',
      'judged',
    ]);
    expect(healthyResult.metrics[0].classification).toBe('Pass');
    expect(healthyResult.metrics[0].baseline.count).toBeGreaterThanOrEqual(5);

    // The report draws both sides' series and distributions, and its JSON form has the same content.
    const html = await fetch(`${service.url}${slowResult.reportUrl}`, { headers: serviceHeaders() });
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    const page = await html.text();
    expect(page).toContain('data-status="fail"');
    expect(page).toMatch(/<path d="M[^"]+" fill="none" stroke="#1f77b4"[^>]*data-side="baseline"/);
    expect(page).toMatch(/<rect [^>]*data-side="canary"/);
    const json = await call(service.url, 'GET', `${slowResult.reportUrl}?format=json`);
    expect(json.body).toMatchObject({ status: 'fail', metrics: [{ name: 'latency', classification: 'High' }] });
    expect(
      json.body!.metrics[0].canarySeries.values.filter((v: number | null) => v !== null).length,
    ).toBeGreaterThanOrEqual(5);
    expect(json.body!.metrics[0].distribution.canaryQuantiles.p50).toBeGreaterThan(0.25);
    // The judge's evidence is in the report; the monitor body Orca stores on every poll stays small.
    expect(json.body!.metrics[0].findings.some((finding: { regression: boolean }) => finding.regression)).toBe(true);
    expect(Object.keys(json.body!.metrics[0].numbers).length).toBeGreaterThan(0);
    expect(slowResult.metrics[0].findings).toBeUndefined();
    expect(json.body!.metrics[0].unit).toBe('s');

    // The application's list files the run under the pipeline Orca named.
    const listed = await call(service.url, 'GET', '/api/v1/verifications?application=web&pipeline=deploy-web');
    expect(listed.body!.verifications).toEqual([
      expect.objectContaining({
        id: slow.body!.id,
        pipelineName: 'deploy-web',
        pipelineId: 'pipe-web',
        status: 'fail',
      }),
    ]);
  });

  it('answers a repeated create with the same verification (idempotent on executionId + stageId)', async () => {
    const first = await call(
      service.url,
      'POST',
      '/api/v1/verifications',
      verificationPayload('stage-idem', 'web-v2', { lifetimeMs: 60_000 }),
    );
    const second = await call(
      service.url,
      'POST',
      '/api/v1/verifications',
      verificationPayload('stage-idem', 'web-v2', { lifetimeMs: 60_000 }),
    );
    expect(second.status).toBe(202);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    // Retries racing each other still make one verification.
    const racing = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(
          service.url,
          'POST',
          '/api/v1/verifications',
          verificationPayload('stage-race', 'web-v2', { lifetimeMs: 60_000 }),
        ),
      ),
    );
    expect(new Set(racing.map((response) => response.headers.get('location'))).size).toBe(1);
    expect(racing.every((response) => response.status === 202)).toBe(true);
    await call(service.url, 'POST', `${racing[0]!.headers.get('location')}/cancel`, {});
    await call(service.url, 'POST', `${first.headers.get('location')}/cancel`, {});
  });

  it('cancels a running verification, twice without harm, and never judges it afterwards', async () => {
    const created = await call(
      service.url,
      'POST',
      '/api/v1/verifications',
      verificationPayload('stage-cancel', 'web-v2-slow', { lifetimeMs: 2_000, intervalMs: 1_000 }),
    );
    const location = created.headers.get('location')!;
    const canceled = await call(service.url, 'POST', `${location}/cancel`, {});
    expect(canceled.status).toBe(200);
    expect(canceled.body!.status).toBe('canceled');
    const again = await call(service.url, 'POST', `${location}/cancel`, {});
    expect(again.status).toBe(200);
    expect(again.body!.status).toBe('canceled');
    // The first window's job still runs when the window ends; once it (and anything it could queue) has
    // finished, nothing is left that could judge the verification.
    await windowJobsSettled(service, location.split('/').pop()!);
    const later = await call(service.url, 'GET', location);
    expect(later.body!.status).toBe('canceled');
    expect(later.body!.intervals.every((interval: { status: string }) => interval.status === 'skipped')).toBe(true);
  });

  it('finishes a verification whose service was restarted during a window', async () => {
    const url = await createTestDatabase('autopilot_restart');
    const first = await startTestService(autopilotService, config(url));
    await call(
      first.url,
      'POST',
      '/api/v1/templates',
      {
        name: 'latency',
        application: 'web',
        stepSeconds: 1,
        metrics: [{ name: 'latency', query: LATENCY, direction: 'increase' }],
      },
      gateHeaders('alice'),
    );
    const created = await call(
      first.url,
      'POST',
      '/api/v1/verifications',
      verificationPayload('stage-restart', 'web-v2-slow', { lifetimeMs: 6_000, intervalMs: 3_000 }),
    );
    expect(created.status).toBe(202);
    await first.stop();
    const second = await startTestService(autopilotService, config(url));
    try {
      const result = await finished(second.url, created.headers.get('location')!);
      expect(result.status).toBe('fail');
      expect(
        result.intervals.filter((interval: { status: string }) => interval.status === 'judged').length,
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await second.stop();
    }
  });

  it('reports a label mismatch and a query matching nothing per metric with the query, never as a silent pass', async () => {
    const created = await call(
      service.url,
      'POST',
      '/api/v1/verifications',
      verificationPayload('stage-labels', 'web-v3', {
        template: {
          stepSeconds: 1,
          metrics: [
            { name: 'latency', query: LATENCY },
            { name: 'missing', query: 'demo_missing_metric{${scope}}', mustHaveData: true },
          ],
        },
        lifetimeMs: 3_000,
        intervalMs: null,
        judge: 'kayenta',
      }),
    );
    expect(created.status).toBe(202);
    const result = await finished(service.url, created.headers.get('location')!);
    const [latency, missing] = result.metrics;
    expect(latency.problems.join(' ')).toMatch(/label mismatch: .*only canary: zone/);
    expect(missing.classification).toBe('NodataFailMetric');
    expect(missing.reason).toContain('no series matched demo_missing_metric{namespace="prod",deployment="web-v1"}');
    expect(missing.reason).toContain('no series matched demo_missing_metric{namespace="prod",deployment="web-v3"}');
    expect(result.status).not.toBe('pass');
  });

  it('refuses bad templates and bad queries with 400 naming the field', async () => {
    const badDirection = await call(
      service.url,
      'POST',
      '/api/v1/templates',
      { name: 'bad', application: 'web', metrics: [{ name: 'm', query: LATENCY, direction: 'up' }] },
      gateHeaders('alice'),
    );
    expect(badDirection.status).toBe(400);
    expect(badDirection.body!.field).toBe('body.metrics.0.direction');

    const badPlaceholder = await call(
      service.url,
      'POST',
      '/api/v1/templates',
      { name: 'bad', application: 'web', metrics: [{ name: 'm', query: 'up{${scop}}' }] },
      gateHeaders('alice'),
    );
    expect(badPlaceholder.status).toBe(400);
    expect(badPlaceholder.body!.field).toBe('body.metrics.0.query');

    const badSyntax = await call(
      service.url,
      'POST',
      '/api/v1/templates',
      { name: 'bad', application: 'web', metrics: [{ name: 'm', query: 'rate(demo_requests_total{${scope}}[1m]' }] },
      gateHeaders('alice'),
    );
    expect(badSyntax.status).toBe(400);
    expect(badSyntax.body!.field).toBe('body.metrics.0.query');
    expect(badSyntax.body!.detail).toMatch(/parse error/i);

    const inline = await call(
      service.url,
      'POST',
      '/api/v1/verifications',
      verificationPayload('stage-bad-inline', 'web-v2', {
        template: {
          stepSeconds: 1,
          metrics: [
            { name: 'ok', query: LATENCY },
            { name: 'broken', query: 'sum(demo_requests_total{${scope}} by' },
          ],
        },
      }),
    );
    expect(inline.status).toBe(400);
    expect(inline.body!.field).toBe('body.template.metrics.1.query');

    const unknownTemplate = await call(
      service.url,
      'POST',
      '/api/v1/verifications',
      verificationPayload('stage-unknown', 'web-v2', { template: { name: 'nope' } }),
    );
    expect(unknownTemplate.status).toBe(400);
    expect(unknownTemplate.body!.field).toBe('body.template.name');

    const spel = await call(
      service.url,
      'POST',
      '/api/v1/verifications',
      verificationPayload('stage-spel', '${trigger.tag}'),
    );
    expect(spel.status).toBe(400);
    expect(spel.body!.field).toBe('body.canary.deployment');

    const missingScope = await call(service.url, 'POST', '/api/v1/verifications', {
      ...verificationPayload('stage-noscope', 'web-v2'),
      baseline: undefined,
    });
    expect(missingScope.status).toBe(400);
    expect(missingScope.body!.field).toBe('body.baseline');
  });

  it('ends in error naming the cause when the provider is down, never in a pass', async () => {
    const down = await startTestService(
      autopilotService,
      testServiceConfig(autopilotService, {
        databaseUrl: await createTestDatabase('autopilot_down'),
        extra: {
          providers: { prom: { type: 'prometheus', url: 'http://127.0.0.1:1', timeoutMs: 1_000 } },
          analysis: { providerAttempts: 2, providerRetryDelayMs: 100 },
        },
      }),
    );
    try {
      const created = await call(
        down.url,
        'POST',
        '/api/v1/verifications',
        verificationPayload('stage-down', 'web-v2', {
          template: { stepSeconds: 1, metrics: [{ name: 'latency', query: LATENCY }] },
          lifetimeMs: 1_000,
          intervalMs: null,
        }),
      );
      expect(created.status).toBe(202);
      const result = await finished(down.url, created.headers.get('location')!);
      expect(result.status).toBe('error');
      expect(result.error).toMatch(/metric latency: prom: ECONNREFUSED/);
      expect(result.error).toMatch(/after 2 tries/);
      expect(result.score).toBeNull();
    } finally {
      await down.stop();
    }
  });
});
