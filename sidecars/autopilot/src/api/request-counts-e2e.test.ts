// End to end against a real Prometheus: a canary that gets a twentieth of the baseline's requests (one canary
// pod beside a large stable deployment). Its latency histogram is backfilled into Prometheus's storage as an
// hour of 5 s scrapes of seeded requests, and autopilot judges the hour. With `countQuery` a healthy canary
// passes; without it the same data fails (the canary's fewer requests read as instability); a slower canary
// fails either way; the report says the counts were used, with each side's requests.
import type { RunningService } from '@isd/kit';
import {
  createTestDatabase,
  eventually,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
import { startPrometheus, type PrometheusServer } from '../../test/prometheus-harness';
import type { AutopilotConfig } from '../config';
import { createRandom, type Random } from '../domain';
import { autopilotService } from '../service';

// Tests read response JSON several levels deep; a loose type keeps those reads short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseJson = Record<string, any>;

jest.setTimeout(120_000);

const SCRAPE_SECONDS = 5;
const HISTORY_SECONDS = 3600;
const BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6];
const FAMILY = 'http_request_duration_seconds';
const BASELINE_RPS = 40;
const CANARY_RPS = 2;

function poisson(random: Random, lambda: number): number {
  // Knuth's method in chunks of 30, so a large λ does not underflow exp(−λ).
  let count = 0;
  for (let left = lambda; left > 0; left -= 30) {
    const limit = Math.exp(-Math.min(30, left));
    let product = random.next();
    while (product > limit) {
      count++;
      product *= random.next();
    }
  }
  return count;
}

interface Side {
  deployment: string;
  rps: number;
  /** Latency factor of this side's requests (1: as the baseline). */
  slower: number;
}

/**
 * One side's histogram as Prometheus would have scraped it every 5 s: per scrape, Poisson requests with
 * log-normal latencies (median 100 ms), cumulative bucket counters, `_sum` and `_count`.
 */
function openMetricsLines(random: Random, side: Side, startSeconds: number): { lines: string[]; requests: number } {
  const buckets = new Array<number>(BUCKETS.length + 1).fill(0);
  let sum = 0;
  let count = 0;
  const series = new Map<string, string[]>();
  const add = (name: string, le: string | undefined, value: number, at: number) => {
    const labels = `namespace="prod",deployment="${side.deployment}"${le === undefined ? '' : `,le="${le}"`}`;
    const key = `${name}{${labels}}`;
    const lines = series.get(key) ?? [];
    lines.push(`${key} ${Number(value.toPrecision(12))} ${at}`);
    series.set(key, lines);
  };
  for (let at = startSeconds; at <= startSeconds + HISTORY_SECONDS; at += SCRAPE_SECONDS) {
    const requests = poisson(random, side.rps * SCRAPE_SECONDS);
    for (let i = 0; i < requests; i++) {
      const latency = 0.1 * side.slower * Math.exp(0.5 * random.normal());
      sum += latency;
      count++;
      const bucket = BUCKETS.findIndex((le) => latency <= le);
      buckets[bucket < 0 ? BUCKETS.length : bucket]!++;
    }
    let cumulative = 0;
    buckets.forEach((inBucket, i) => {
      cumulative += inBucket;
      add(`${FAMILY}_bucket`, i < BUCKETS.length ? String(BUCKETS[i]) : '+Inf', cumulative, at);
    });
    add(`${FAMILY}_sum`, undefined, sum, at);
    add(`${FAMILY}_count`, undefined, count, at);
  }
  // Each series' samples together, in time order, as the backfill reader wants them.
  return { lines: [...series.values()].flat(), requests: count };
}

const MEAN = `sum(rate(${FAMILY}_sum{\${scope}}[15s])) / sum(rate(${FAMILY}_count{\${scope}}[15s]))`;
const P90 = `histogram_quantile(0.9, sum by (le) (rate(${FAMILY}_bucket{\${scope}}[15s])))`;
const COUNT = `sum(increase(${FAMILY}_count{\${scope}}[15s]))`;

let prometheus: PrometheusServer;
let service: RunningService<AutopilotConfig>;
let startMs: number;
const requests: Record<string, number> = {};

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

const template = (name: string, countQuery: string | undefined) => ({
  name,
  application: 'web',
  stepSeconds: 15,
  metrics: [
    { name: 'latency mean', query: MEAN, direction: 'increase', groups: ['latency'], unit: 's' },
    { name: 'latency p90', query: P90, direction: 'increase', groups: ['latency'], unit: 's' },
  ].map((metric) => ({ ...metric, ...(countQuery ? { countQuery } : {}) })),
});

/** Judges the backfilled hour as one window with `templateName`, canary `deployment`; resolves when done. */
async function verify(templateName: string, deployment: string): Promise<LooseJson> {
  const created = await call('POST', '/api/v1/verifications', {
    application: 'web',
    executionId: `exec-${templateName}-${deployment}`,
    stageId: 'verify',
    template: { name: templateName },
    baseline: { namespace: 'prod', deployment: 'web-stable' },
    canary: { namespace: 'prod', deployment },
    startTime: new Date(startMs).toISOString(),
    lifetimeMs: HISTORY_SECONDS * 1000,
    thresholds: { pass: 95, marginal: 75 },
    judge: 'isd',
  });
  // The same execution and stage again is the same verification (Orca retries): 200 with it.
  expect([200, 202]).toContain(created.status);
  const location = created.headers.get('location')!;
  return eventually(
    async () => {
      const { body } = await call('GET', location);
      return body && body.status !== 'running' ? body : undefined;
    },
    30_000,
    `${location} to finish`,
  );
}

beforeAll(async () => {
  // Whole minutes, an hour and a few minutes back: the window is history when it is judged.
  const startSeconds = Math.floor(Date.now() / 60_000) * 60 - HISTORY_SECONDS - 300;
  startMs = startSeconds * 1000;
  const random = createRandom(20261207);
  const sides: Side[] = [
    { deployment: 'web-stable', rps: BASELINE_RPS, slower: 1 },
    { deployment: 'web-canary', rps: CANARY_RPS, slower: 1 },
    { deployment: 'web-canary-slow', rps: CANARY_RPS, slower: 1.3 },
  ];
  const lines = [`# HELP ${FAMILY} request latency`, `# TYPE ${FAMILY} histogram`];
  for (const side of sides) {
    const generated = openMetricsLines(random, side, startSeconds);
    lines.push(...generated.lines);
    requests[side.deployment] = generated.requests;
  }
  prometheus = await startPrometheus([], { backfill: `${lines.join('\n')}\n# EOF\n` });
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_request_counts'),
      users: { alice: { roles: [], applications: { web: ['READ', 'WRITE'] } } },
      extra: {
        providers: { prom: { type: 'prometheus', url: prometheus.url, timeoutMs: 10_000 } },
        analysis: { providerAttempts: 1, providerRetryDelayMs: 0 },
      },
    }),
  );
  for (const [name, countQuery] of [
    ['latency-per-request', COUNT],
    ['latency-per-point', undefined],
  ] as const) {
    const created = await call('POST', '/api/v1/templates', template(name, countQuery), gateHeaders('alice'));
    expect(created.status).toBe(201);
  }
});

afterAll(async () => {
  await service?.stop();
  await prometheus?.stop();
});

describe('a canary with a twentieth of the baseline’s requests, on a real Prometheus', () => {
  it('passes when healthy with countQuery, and fails the same data without it', async () => {
    const perRequest = await verify('latency-per-request', 'web-canary');
    expect(perRequest.status).toBe('pass');
    for (const metric of perRequest.metrics.filter((m: LooseJson) => m.kind === 'metric')) {
      expect(metric.classification).toBe('Pass');
    }
    const perPoint = await verify('latency-per-point', 'web-canary');
    expect(perPoint.status).toBe('fail');
    expect(perPoint.reason).toMatch(/spread test|upper-shape test/);
  });

  it('fails a canary whose requests are 30 % slower, with or without countQuery', async () => {
    for (const name of ['latency-per-request', 'latency-per-point']) {
      const slow = await verify(name, 'web-canary-slow');
      expect(slow.status).toBe('fail');
      expect(slow.metrics.find((m: LooseJson) => m.name === 'latency mean').classification).toBe('High');
    }
  });

  it('reports per metric that the counts were used, with both sides’ requests', async () => {
    const result = await verify('latency-per-request', 'web-canary');
    const report = await call('GET', `${result.reportUrl}?format=json`);
    expect(report.status).toBe(200);
    for (const metric of report.body!.metrics.filter((m: LooseJson) => m.kind === 'metric')) {
      expect(metric.canary.countQuery).toBe(
        `sum(increase(${FAMILY}_count{namespace="prod",deployment="web-canary"}[15s]))`,
      );
      const counts = metric.requestCounts;
      expect(counts.used).toBe(true);
      // increase() over 15 s steps adds up to about the requests the sides served in the hour.
      expect(counts.baselineTotal / requests['web-stable']!).toBeGreaterThan(0.8);
      expect(counts.baselineTotal / requests['web-stable']!).toBeLessThan(1.2);
      expect(counts.canaryTotal / requests['web-canary']!).toBeGreaterThan(0.8);
      expect(counts.canaryTotal / requests['web-canary']!).toBeLessThan(1.2);
      expect(metric.findings.find((f: LooseJson) => f.test === 'spread').message).toMatch(/per request/);
    }
    const html = await fetch(`${service.url}${result.reportUrl}`, { headers: serviceHeaders() }).then((r) => r.text());
    expect(html).toMatch(/Request counts used<\/b>: baseline [\d,.]+ requests, canary [\d,.]+/);
    expect(html).toContain('requests: <code>sum(increase(');
  });
});
