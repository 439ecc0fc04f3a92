// The window runner through the service, against a local server answering like Prometheus's HTTP API
// (documented `matrix` responses computed from the request): retries after a 503, marginal and critical
// outcomes, sliding windows, and a query refused at run time ending in error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import { createTestDatabase, eventually, serviceHeaders, startTestService, testServiceConfig } from '@isd/test-support';
import { startReplayServer, type RecordedRequest, type ReplayServer } from '../../test/replay-server';
import { windowJobsSettled } from '../../test/window-jobs';
import type { AutopilotConfig } from '../config';
import { autopilotService } from '../service';

// Tests read response JSON several levels deep; a loose type keeps those reads short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseJson = Record<string, any>;

jest.setTimeout(30_000);

let prometheus: ReplayServer;
let service: RunningService<AutopilotConfig>;
let failNextRangeQueries = 0;
/** Range queries for `hang{…}` are answered only when this settles (the watchdog test lets them go). */
let hangUntil: Promise<void> = Promise.resolve();

/** Deterministic noise in [-1, 1] from a time stamp. */
function noise(seconds: number, salt: number): number {
  const x = Math.sin(seconds * 12.9898 + salt * 78.233) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

/** Answers like Prometheus: a vector for instant queries, a matrix over start..end by step for ranges. */
function prometheusAnswer(request: RecordedRequest) {
  const form = new URLSearchParams(request.body);
  const query = form.get('query') ?? '';
  if (request.url.pathname.endsWith('/api/v1/query')) {
    if (query.includes('((('))
      return {
        status: 400,
        body: { status: 'error', errorType: 'bad_data', error: '1:4: parse error: unexpected "("' },
      };
    return { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [] } } };
  }
  if (failNextRangeQueries > 0) {
    failNextRangeQueries--;
    return { status: 503, body: 'Service Unavailable' };
  }
  // A counter that has not counted anything yet: Prometheus has no series for it.
  if (query.startsWith('absent'))
    return { status: 200, body: { status: 'success', data: { resultType: 'matrix', result: [] } } };
  if (query.startsWith('hang'))
    return { status: 200, body: { status: 'success', data: { resultType: 'matrix', result: [] } }, until: hangUntil };
  if (query.startsWith('explode'))
    return {
      status: 422,
      body: { status: 'error', errorType: 'execution', error: 'many-to-many matching not allowed' },
    };
  const canary = query.includes('web-v2');
  const degraded = canary && query.startsWith('latency');
  const start = Number(form.get('start'));
  const end = Number(form.get('end'));
  const step = Number((form.get('step') ?? '1s').replace('s', ''));
  const values: Array<[number, string]> = [];
  // Memory whose canary leaks 12 % of its size per hour: 4 % by the end of a 20-minute window.
  if (query.startsWith('memory'))
    for (let t = Math.ceil(start / step) * step; t <= end; t += step)
      values.push([
        t,
        String(1000 * (1 + (canary ? (0.12 * (t - start)) / 3600 : 0)) * (1 + 0.002 * noise(t, canary ? 2 : 1))),
      ]);
  else
    for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
      const base = query.startsWith('errors') ? 5 : 100;
      values.push([t, String(base * (degraded ? 2 : 1) + noise(t, canary ? 2 : 1) * base * 0.05)]);
    }
  return {
    status: 200,
    body: {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [{ metric: { job: 'app', deployment: canary ? 'web-v2' : 'web-v1' }, values }],
      },
    },
  };
}

beforeAll(async () => {
  prometheus = await startReplayServer();
  prometheus.respond(prometheusAnswer);
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_runner'),
      extra: {
        providers: { prom: { type: 'prometheus', url: prometheus.url, timeoutMs: 2_000 } },
        analysis: { providerAttempts: 2, providerRetryDelayMs: 50 },
      },
    }),
  );
});

afterAll(async () => {
  await service?.stop();
  await prometheus?.close();
});

let stage = 0;
async function verify(template: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const response = await fetch(`${service.url}/api/v1/verifications`, {
    method: 'POST',
    headers: serviceHeaders(),
    body: JSON.stringify({
      application: 'app',
      executionId: 'exec',
      stageId: `stage-${++stage}`,
      template: { stepSeconds: 10, ...template },
      baseline: { deployment: 'web-v1' },
      canary: { deployment: 'web-v2' },
      // Windows in the past run at once, one after the other.
      startTime: new Date(Date.now() - 30 * 60_000).toISOString(),
      lifetimeMs: 20 * 60_000,
      intervalMs: null,
      thresholds: { pass: 80, marginal: 40 },
      judge: 'kayenta',
      ...overrides,
    }),
  });
  expect(response.status).toBe(202);
  const location = response.headers.get('location')!;
  return eventually(
    async () => {
      const body = (await (
        await fetch(`${service.url}${location}`, { headers: serviceHeaders() })
      ).json()) as LooseJson;
      return body.status === 'running' ? undefined : body;
    },
    20_000,
    'the verification to finish',
  );
}

const latency = { name: 'latency', query: 'latency{${scope}}', direction: 'increase', groups: ['latency'] };
const errors = { name: 'errors', query: 'errors{${scope}}', direction: 'increase', groups: ['errors'] };

describe('verification runner', () => {
  it('retries a provider answering 503 and then judges normally', async () => {
    const before = prometheus.requests.length;
    failNextRangeQueries = 1;
    const result = await verify({ metrics: [errors] });
    expect(result.status).toBe('pass');
    const rangeCalls = prometheus.requests
      .slice(before)
      .filter((request) => request.url.pathname.endsWith('query_range'));
    expect(rangeCalls).toHaveLength(3); // one 503, then baseline and canary
  });

  it('gives marginal when half the groups fail, with Kayenta weights and the reason', async () => {
    const result = await verify({ metrics: [latency, errors], groupWeights: { latency: 50, errors: 50 } });
    expect(result.status).toBe('marginal');
    expect(result.score).toBe(50);
    expect(result.metrics.map((metric: { classification: string }) => metric.classification)).toEqual(['High', 'Pass']);
    expect(result.reason).toMatch(/latency 0 × 50%, errors 100 × 50%/);
  });

  it('fails the run when a critical metric fails, whatever the other groups score', async () => {
    const result = await verify({
      metrics: [{ ...latency, critical: true }, errors],
      groupWeights: { latency: 10, errors: 90 },
    });
    expect(result.status).toBe('fail');
    expect(result.score).toBe(0);
    expect(result.reason).toMatch(/critical metric\(s\) latency \(High\)/);
    expect(result.metrics[0].critical).toBe(true);
  });

  it('judges sliding windows of lookbackMs and asks the provider for exactly those ranges', async () => {
    const before = prometheus.requests.length;
    const startMs = Math.floor((Date.now() - 40 * 60_000) / 60_000) * 60_000;
    const result = await verify(
      { metrics: [errors] },
      {
        startTime: new Date(startMs).toISOString(),
        lifetimeMs: 30 * 60_000,
        intervalMs: 10 * 60_000,
        lookbackMs: 5 * 60_000,
      },
    );
    expect(result.status).toBe('pass');
    expect(result.intervals.map((interval: { status: string }) => interval.status)).toEqual([
      'judged',
      'judged',
      'judged',
    ]);
    const ranges = prometheus.requests
      .slice(before)
      .filter(
        (request) =>
          request.url.pathname.endsWith('query_range') &&
          new URLSearchParams(request.body).get('query')!.includes('web-v1'),
      )
      .map((request) => {
        const form = new URLSearchParams(request.body);
        return (Number(form.get('end')) - Number(form.get('start'))) * 1000;
      });
    expect(ranges).toEqual([5 * 60_000, 5 * 60_000, 5 * 60_000]);
  });

  it('passes a healthy canary whose critical error counter does not exist yet on either side (isd judge)', async () => {
    const result = await verify(
      {
        metrics: [
          errors,
          { name: 'new errors', query: 'absent_errors_total{${scope}}', direction: 'increase', critical: true },
        ],
      },
      { judge: 'isd' },
    );
    expect(result.status).toBe('pass');
    expect(result.metrics[1].classification).toBe('Pass');
    expect(result.metrics[1].reason).toMatch(/zero events on both sides — neither query matched a series/);
  });

  it('fails a steady leak under the margin and words it per hour of the template step (isd judge)', async () => {
    const memory = { name: 'memory', query: 'memory{${scope}}', direction: 'increase', groups: ['system'] };
    const result = await verify({ metrics: [memory] }, { judge: 'isd' });
    expect(result.status).toBe('fail');
    expect(result.metrics[0].reason).toMatch(
      /decided by the steady-divergence \(leak\) test \(canary leaks: canary − baseline changes by \+1[12](\.\d+)?% of the baseline mean per hour .* projected after as long again \(19\.\d+ min\)/,
    );
  });

  it('judges windows that ended longer ago than the watchdog grace (an analysis of history)', async () => {
    const result = await verify(
      { metrics: [errors] },
      { startTime: new Date(Date.now() - 3 * 3_600_000).toISOString() },
    );
    expect(result.status).toBe('pass');
  });

  it('ends in error when the provider refuses a query at run time', async () => {
    const result = await verify({ metrics: [{ name: 'explode', query: 'explode{${scope}}' }] });
    expect(result.status).toBe('error');
    expect(result.error).toMatch(
      /metric explode: prom refused the query explode\{deployment="web-v1"\}: execution: many-to-many matching not allowed/,
    );
  });
});

describe('watchdog', () => {
  it('ends a verification in error when its window has not finished long after the last window ended', async () => {
    const impatient = await startTestService(
      autopilotService,
      testServiceConfig(autopilotService, {
        databaseUrl: await createTestDatabase('autopilot_watchdog'),
        extra: {
          providers: { prom: { type: 'prometheus', url: prometheus.url, timeoutMs: 5_000 } },
          analysis: { providerAttempts: 1, checkQueriesOnCreate: false, watchdogGraceMs: 500 },
        },
      }),
    );
    // The window's query hangs until the watchdog has ended the verification, whatever the machine's speed.
    let release = () => {};
    hangUntil = new Promise<void>((resolve) => (release = resolve));
    try {
      const response = await fetch(`${impatient.url}/api/v1/verifications`, {
        method: 'POST',
        headers: serviceHeaders(),
        body: JSON.stringify({
          application: 'app',
          executionId: 'e',
          stageId: 's',
          template: { metrics: [{ name: 'slow', query: 'hang{${scope}}' }] },
          baseline: { deployment: 'web-v1' },
          canary: { deployment: 'web-v2' },
          startTime: new Date(Date.now() - 2 * 60_000).toISOString(),
          lifetimeMs: 60_000,
        }),
      });
      const result = await eventually(
        async () => {
          const body = (await (
            await fetch(`${impatient.url}${response.headers.get('location')}`, { headers: serviceHeaders() })
          ).json()) as LooseJson;
          return body.status === 'running' ? undefined : body;
        },
        10_000,
        'the watchdog',
      );
      expect(result.status).toBe('error');
      expect(result.error).toMatch(/did not finish within 500 ms after its last window ended or it was started/);
      expect(result.reason).toBe('0 of 1 intervals judged');
      // The slow window finishing afterwards does not overwrite the verdict: let it answer, wait until its
      // job has ended.
      release();
      await windowJobsSettled(impatient, result.id as string);
      const later = (await (
        await fetch(`${impatient.url}${response.headers.get('location')}`, { headers: serviceHeaders() })
      ).json()) as LooseJson;
      expect(later.status).toBe('error');
    } finally {
      release();
      await impatient.stop();
    }
  });
});

describe('service metrics', () => {
  it('counts verdicts, judged windows, window phases and provider outcomes on /metrics', async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(value(/autopilot_verifications_finished_total\{[^}]*status="marginal"[^}]*\} (\d+)/)).toBe(1);
    expect(value(/autopilot_verifications_finished_total\{[^}]*status="error"[^}]*\} (\d+)/)).toBe(1);
    expect(value(/autopilot_provider_requests_total\{[^}]*outcome="unavailable"[^}]*\} (\d+)/)).toBe(1);
    // Baseline and canary are fetched together, so the refused query is counted once per side.
    expect(value(/autopilot_provider_requests_total\{[^}]*outcome="query"[^}]*\} (\d+)/)).toBe(2);
    expect(value(/autopilot_window_phase_seconds_count\{[^}]*phase="judge"[^}]*\} (\d+)/)).toBeGreaterThanOrEqual(6);
    expect(value(/autopilot_windows_judged_total\{[^}]*classification="fail"[^}]*\} (\d+)/)).toBe(1);
  });
});

describe('on embedded PGlite (the default without database.url)', () => {
  // PGlite's start and its one statement at a time take tens of seconds on two busy cores.
  it('stores templates and runs a verification on the same SQL', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-autopilot-pglite-'));
    const embedded = await startTestService(
      autopilotService,
      testServiceConfig(autopilotService, {
        embeddedDataDir: dataDir,
        // A shared template (no owning application) is changed by admins only.
        users: { alice: { roles: [], admin: true } },
        extra: { providers: { prom: { type: 'prometheus', url: prometheus.url, timeoutMs: 2_000 } } },
      }),
    );
    try {
      const headers = {
        'content-type': 'application/json',
        'x-isd-gate-token': 'test-gate-token-0123456789abc',
        'x-spinnaker-user': 'alice',
      };
      const created = await fetch(`${embedded.url}/api/v1/templates`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'errors', stepSeconds: 10, metrics: [errors] }),
      });
      expect(created.status).toBe(201);
      const list = (await (await fetch(`${embedded.url}/api/v1/templates`, { headers })).json()) as {
        templates: Array<{ name: string; version: number }>;
      };
      expect(list.templates).toEqual([expect.objectContaining({ name: 'errors', version: 1 })]);
      const response = await fetch(`${embedded.url}/api/v1/verifications`, {
        method: 'POST',
        headers: serviceHeaders(),
        body: JSON.stringify({
          application: 'app',
          executionId: 'e',
          stageId: 's',
          template: { name: 'errors' },
          baseline: { deployment: 'web-v1' },
          canary: { deployment: 'web-v2' },
          startTime: new Date(Date.now() - 20 * 60_000).toISOString(),
          lifetimeMs: 10 * 60_000,
        }),
      });
      expect(response.status).toBe(202);
      const result = await eventually(
        async () => {
          const body = (await (
            await fetch(`${embedded.url}${response.headers.get('location')}`, { headers: serviceHeaders() })
          ).json()) as LooseJson;
          return body.status === 'running' ? undefined : body;
        },
        60_000,
        'the verification to finish on PGlite',
      );
      expect(result).toMatchObject({ status: 'pass', template: { name: 'errors', version: 1 }, judge: 'isd' });
    } finally {
      await embedded.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
