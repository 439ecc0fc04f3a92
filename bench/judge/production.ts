// The production scenario set: seeded simulators of how services and their telemetry behave, not
// curves fitted to examples. A scenario is one template (one metric, as Prometheus would return it for
// the baseline and the canary over the same window) judged as a whole run, with a ground truth.
//
// Processes modelled:
// - traffic: requests per step are Poisson around a rate that follows a shared daily/ramp pattern and a
//   slow random walk; each side gets its own arrivals (load balancer split).
// - latency: each request's latency is a log-normal body plus a heavy tail of slow requests (a mixture),
//   scaled by the side's node factor (identical deployments on different nodes differ by ~±2 %).
//   Prometheus sees only histogram bucket counts; quantiles are computed as `histogram_quantile` does
//   (linear interpolation inside the bucket, NaN when no request arrived).
// - errors: each request fails with a base probability, multiplied during incidents; incidents of a
//   dependency hit both sides at once (shared), small per-side blips hit one side. A counter that never
//   counted an error does not exist in Prometheus: its query matches no series.
// - CPU: idle share plus cost per request, with AR(1) measurement noise.
// - memory: a GC sawtooth (the heap grows with traffic, drops at collection) around a resident base.
import {
  createRandom,
  normalizeMetricConfig,
  type MetricConfigInput,
  type MetricInput,
  type Random,
} from '@isd/autopilot';

/** Ground truth of a production scenario. */
export type ProductionTruth = 'regression' | 'no-change';

/** One production scenario: a single-metric run with its ground truth. */
export interface ProductionScenario {
  family: string;
  truth: ProductionTruth;
  /** Held-out families are never looked at while tuning the judge; they are reported separately. */
  heldOut: boolean;
  metric: MetricInput;
}

/** A family: how to generate one scenario. */
interface Family {
  name: string;
  truth: ProductionTruth;
  heldOut: boolean;
  generate(random: Random): MetricInput;
}

export const uniform = (random: Random, min: number, max: number) => min + (max - min) * random.next();
export const choose = <T>(random: Random, values: readonly T[]): T =>
  values[Math.floor(random.next() * values.length)]!;

/** Poisson draw (Knuth below 30, normal approximation above). */
export function poisson(random: Random, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda < 30) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let product = random.next();
    while (product > limit) {
      k++;
      product *= random.next();
    }
    return k;
  }
  return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * random.normal()));
}

/** The analysis window: step and number of points (30–120 min at 15, 30 or 60 s, at most 480 points). */
export interface Window {
  stepSeconds: number;
  points: number;
}

export function randomWindow(random: Random): Window {
  const stepSeconds = choose(random, [15, 30, 60]);
  const minutes = uniform(random, 30, 120);
  return { stepSeconds, points: Math.min(480, Math.round((minutes * 60) / stepSeconds)) };
}

/**
 * Requests per second of one side at each step: a base rate times a shared pattern (part of a daily
 * cycle, sometimes a ramp) and a slow random walk, the same for both sides (they share the traffic).
 */
export function trafficPattern(random: Random, window: Window, baseRps: number): number[] {
  const amplitude = uniform(random, 0, 0.3);
  const period = uniform(random, window.points, 6 * window.points);
  const phase = uniform(random, 0, 2 * Math.PI);
  const ramp = random.next() < 0.3 ? uniform(random, -0.3, 0.3) : 0;
  let walk = 0;
  return Array.from({ length: window.points }, (_, t) => {
    walk = 0.97 * walk + 0.03 * random.normal();
    const factor =
      (1 + amplitude * Math.sin((2 * Math.PI * t) / period + phase)) *
      (1 + (ramp * t) / window.points) *
      Math.exp(walk);
    return Math.max(0, baseRps * factor);
  });
}

/** A latency distribution: log-normal body plus a share of slow requests (log-normal too, further out). */
export interface LatencyModel {
  medianSeconds: number;
  sigma: number;
  slowShare: number;
  slowFactor: number;
}

export function randomLatencyModel(random: Random): LatencyModel {
  return {
    medianSeconds: Math.exp(uniform(random, Math.log(0.02), Math.log(0.4))),
    sigma: uniform(random, 0.3, 0.9),
    slowShare: uniform(random, 0.002, 0.03),
    slowFactor: uniform(random, 4, 20),
  };
}

export const BUCKET_LAYOUTS: readonly number[][] = [
  // Prometheus client default buckets.
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  // Exponential, factor 2 from 1 ms.
  Array.from({ length: 16 }, (_, i) => 0.001 * 2 ** i),
  // Exponential, factor 1.5 from 5 ms.
  Array.from({ length: 20 }, (_, i) => 0.005 * 1.5 ** i),
];

function normalCdf(z: number): number {
  // Abramowitz–Stegun 7.1.26 is enough for bucket probabilities.
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** P(latency ≤ x) under the model scaled by `scale`. */
export function latencyCdf(model: LatencyModel, scale: number, x: number): number {
  if (x <= 0) return 0;
  const body = normalCdf((Math.log(x) - Math.log(model.medianSeconds * scale)) / model.sigma);
  const slow = normalCdf((Math.log(x) - Math.log(model.medianSeconds * scale * model.slowFactor)) / model.sigma);
  return (1 - model.slowShare) * body + model.slowShare * slow;
}

/** Bucket counts of one step (cumulative, as Prometheus `le` buckets, last = +Inf = total). */
export function bucketCounts(
  random: Random,
  buckets: readonly number[],
  model: LatencyModel,
  scale: number,
  requests: number,
) {
  const cumulative: number[] = [];
  let previousCdf = 0;
  let total = 0;
  for (const le of buckets) {
    const cdf = latencyCdf(model, scale, le);
    total += poisson(random, requests * (cdf - previousCdf));
    cumulative.push(total);
    previousCdf = cdf;
  }
  total += poisson(random, requests * (1 - previousCdf));
  cumulative.push(total);
  return cumulative;
}

/** Prometheus `histogram_quantile(q, …)` over cumulative counts (`le` bounds, last bucket +Inf). */
export function histogramQuantile(q: number, buckets: readonly number[], cumulative: readonly number[]): number {
  const total = cumulative[cumulative.length - 1]!;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let index = cumulative.findIndex((count) => count >= rank);
  if (index < 0) index = cumulative.length - 1;
  if (index === buckets.length) return buckets[buckets.length - 1]!; // +Inf bucket: the highest finite bound
  const upper = buckets[index]!;
  const lower = index === 0 ? 0 : buckets[index - 1]!;
  const below = index === 0 ? 0 : cumulative[index - 1]!;
  const inBucket = cumulative[index]! - below;
  if (index === 0 && upper <= 0) return upper;
  return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
}

type LatencyStat = 'p50' | 'p90' | 'p99' | 'mean';

/**
 * One side's latency series: per step, Poisson requests at the side's rate, bucket counts, then the
 * statistic (a quantile as histogram_quantile computes it, or the mean from `_sum / _count`).
 */
function latencySeries(
  random: Random,
  rps: readonly number[],
  stepSeconds: number,
  model: LatencyModel,
  buckets: readonly number[],
  stat: LatencyStat,
  scaleAt: (t: number) => number,
  counts: number[] = [],
): number[] {
  return rps.map((rate, t) => {
    const scale = scaleAt(t);
    const requests = rate * stepSeconds;
    if (stat === 'mean') {
      const count = poisson(random, requests);
      // The mean is computed over at most 400 drawn requests, so that is its sample size.
      counts.push(Math.min(count, 400));
      if (count === 0) return Number.NaN;
      // Sum of `count` latencies drawn from the mixture.
      let sum = 0;
      for (let i = 0; i < Math.min(count, 400); i++) {
        const slow = random.next() < model.slowShare;
        sum += model.medianSeconds * scale * (slow ? model.slowFactor : 1) * Math.exp(model.sigma * random.normal());
      }
      // Above 400 requests the mean of 400 draws stands in for the mean of all (same expectation).
      return sum / Math.min(count, 400);
    }
    const cumulative = bucketCounts(random, buckets, model, scale, requests);
    counts.push(cumulative[cumulative.length - 1]!);
    return histogramQuantile(stat === 'p50' ? 0.5 : stat === 'p90' ? 0.9 : 0.99, buckets, cumulative);
  });
}

/** A node factor: identical deployments on different nodes differ by a couple of percent. */
export const nodeFactor = (random: Random) => 1 + uniform(random, -0.02, 0.02);

export function metric(
  config: MetricConfigInput,
  baseline: number[],
  canary: number[],
  query: string,
  seriesCount?: { baseline: number; canary: number },
): MetricInput {
  return {
    config: normalizeMetricConfig(config),
    baseline: {
      values: baseline,
      query: `${query}{version="baseline"}`,
      ...(seriesCount ? { seriesCount: seriesCount.baseline } : {}),
    },
    canary: {
      values: canary,
      query: `${query}{version="canary"}`,
      ...(seriesCount ? { seriesCount: seriesCount.canary } : {}),
    },
  };
}

interface LatencyScenarioOptions {
  rps: [number, number];
  /** Both sides on nodes of the same speed (no node offset), when the scenario sets the difference itself. */
  sameNode?: boolean;
  stats: readonly LatencyStat[];
  canaryScale: (random: Random, window: Window) => (t: number) => number;
}

function latencyScenario(random: Random, options: LatencyScenarioOptions): MetricInput {
  const window = randomWindow(random);
  const model = randomLatencyModel(random);
  const buckets = choose(random, BUCKET_LAYOUTS);
  const stat = choose(random, options.stats);
  const perSideRps = Math.exp(uniform(random, Math.log(options.rps[0]), Math.log(options.rps[1])));
  const rps = trafficPattern(random, window, perSideRps);
  // Latency rises a little with load (shared by both sides, since they share the traffic).
  const loadFactor = rps.map((rate) => 1 + 0.1 * (rate / perSideRps - 1));
  const [baselineNode, canaryNode] = options.sameNode ? [1, 1] : [nodeFactor(random), nodeFactor(random)];
  const canaryScale = options.canaryScale(random, window);
  const counts = { baseline: [] as number[], canary: [] as number[] };
  const baseline = latencySeries(
    random,
    rps,
    window.stepSeconds,
    model,
    buckets,
    stat,
    (t) => baselineNode * loadFactor[t]!,
    counts.baseline,
  );
  const canary = latencySeries(
    random,
    rps,
    window.stepSeconds,
    model,
    buckets,
    stat,
    (t) => canaryNode * loadFactor[t]! * canaryScale(t),
    counts.canary,
  );
  const query =
    stat === 'mean'
      ? 'rate(http_request_duration_seconds_sum[1m]) / rate(http_request_duration_seconds_count[1m])'
      : `histogram_quantile(${stat === 'p50' ? 0.5 : stat === 'p90' ? 0.9 : 0.99}, rate(http_request_duration_seconds_bucket[1m]))`;
  return withCounts(
    counts,
    { name: `latency ${stat}`, groups: ['latency'], direction: 'increase' },
    baseline,
    canary,
    query,
  );
}

/**
 * A metric with the requests behind each step on both sides: what the template's `countQuery` (a
 * histogram's `_count` rate, or the request rate of an error ratio) returns.
 */
function withCounts(counts: { baseline: number[]; canary: number[] }, ...args: Parameters<typeof metric>): MetricInput {
  const input = metric(...args);
  input.baseline.requestCounts = counts.baseline;
  input.canary.requestCounts = counts.canary;
  return input;
}

interface ErrorScenarioOptions {
  rps: [number, number];
  baseErrorRate: [number, number];
  canaryErrorFactor: number;
  /** Incidents of a shared dependency per hour (both sides at once). */
  sharedIncidentsPerHour: number;
}

/** Error ratio per step (errors / requests), with shared incidents and per-side blips. */
function errorScenario(random: Random, options: ErrorScenarioOptions): MetricInput {
  const window = randomWindow(random);
  const perSideRps = Math.exp(uniform(random, Math.log(options.rps[0]), Math.log(options.rps[1])));
  const rps = trafficPattern(random, window, perSideRps);
  const errorRate = uniform(random, options.baseErrorRate[0], options.baseErrorRate[1]);
  const hours = (window.points * window.stepSeconds) / 3600;
  const shared = new Array<number>(window.points).fill(1);
  const incidents = poisson(random, options.sharedIncidentsPerHour * hours);
  for (let i = 0; i < incidents; i++) {
    const start = random.integer(0, window.points - 1);
    const length = random.integer(1, Math.max(1, Math.round(600 / window.stepSeconds)));
    const factor = uniform(random, 5, 50);
    for (let t = start; t < Math.min(window.points, start + length); t++) shared[t] = factor;
  }
  const side = (factor: number, counts: number[]) =>
    rps.map((rate, t) => {
      const requests = poisson(random, rate * window.stepSeconds);
      counts.push(requests);
      if (requests === 0) return Number.NaN;
      // A per-side blip (one pod restarting, a retry storm) on about 1 % of the steps.
      const blip = random.next() < 0.01 ? uniform(random, 2, 5) : 1;
      const p = Math.min(1, errorRate * factor * shared[t]! * blip);
      return Math.min(requests, poisson(random, requests * p)) / requests;
    });
  const counts = { baseline: [] as number[], canary: [] as number[] };
  const baseline = side(1, counts.baseline);
  const canary = side(options.canaryErrorFactor, counts.canary);
  return withCounts(
    counts,
    {
      name: 'error ratio',
      groups: ['errors'],
      direction: 'increase',
      critical: random.next() < 0.5,
      nanStrategy: choose(random, ['remove', 'replace'] as const),
    },
    baseline,
    canary,
    'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
  );
}

/** CPU cores used: idle plus cost per request, node factor, AR(1) noise; `canaryFactor` scales the canary. */
function cpuScenario(random: Random, canaryFactor: number): MetricInput {
  const window = randomWindow(random);
  const perSideRps = Math.exp(uniform(random, Math.log(2), Math.log(200)));
  const rps = trafficPattern(random, window, perSideRps);
  const idle = uniform(random, 0.05, 0.3);
  const costPerRequest = uniform(random, 0.001, 0.01);
  const cv = uniform(random, 0.02, 0.06);
  const phi = uniform(random, 0.2, 0.8);
  const side = (factor: number) => {
    const node = nodeFactor(random);
    let noise = random.normal();
    return rps.map((rate) => {
      noise = phi * noise + Math.sqrt(1 - phi * phi) * random.normal();
      return (idle + costPerRequest * rate) * node * factor * (1 + cv * noise);
    });
  };
  return metric(
    { name: 'cpu', groups: ['system'], direction: 'increase' },
    side(1),
    side(canaryFactor),
    'sum(rate(container_cpu_usage_seconds_total[1m]))',
  );
}

/**
 * Memory working set: resident base plus a heap that grows with the allocation rate (∝ traffic) and drops
 * at each collection; `leakShare` is how much the canary grows over the window (0 = no leak).
 */
function memoryScenario(random: Random, leakShare: number): MetricInput {
  const window = randomWindow(random);
  const perSideRps = Math.exp(uniform(random, Math.log(2), Math.log(200)));
  const rps = trafficPattern(random, window, perSideRps);
  const resident = uniform(random, 200, 2000); // MiB
  const heapLimit = resident * uniform(random, 0.05, 0.25);
  const collectionsPerWindow = uniform(random, 3, 40);
  const allocationPerRequest = (heapLimit * collectionsPerWindow) / rps.reduce((sum, r) => sum + r, 0);
  const leakStart = random.next() < 0.5 ? 0 : random.integer(0, Math.floor(window.points / 3));
  const side = (leak: number) => {
    const node = nodeFactor(random);
    let heap = uniform(random, 0, heapLimit);
    return rps.map((rate, t) => {
      heap += allocationPerRequest * rate * (0.8 + 0.4 * random.next());
      if (heap >= heapLimit) heap = uniform(random, 0, 0.1) * heapLimit;
      const leaked = t < leakStart ? 0 : (leak * resident * (t - leakStart)) / (window.points - 1 - leakStart);
      return (resident * node + heap + leaked) * (1 + 0.002 * random.normal());
    });
  };
  return metric(
    { name: 'memory', groups: ['system'], direction: 'increase' },
    side(0),
    side(leakShare),
    'sum(container_memory_working_set_bytes) / 2^20',
  );
}

/** Latency in a queue (M/M/1-like): mean ∝ service time / (1 − utilisation), gamma-ish per-step noise. */
function queueScenario(random: Random, serviceFactor: number): MetricInput {
  const window = randomWindow(random);
  const perSideRps = Math.exp(uniform(random, Math.log(5), Math.log(100)));
  const rps = trafficPattern(random, window, perSideRps);
  const serviceSeconds = uniform(random, 0.005, 0.05);
  const utilisation = uniform(random, 0.2, 0.6);
  const capacity = perSideRps / utilisation;
  const side = (factor: number, counts: number[]) => {
    const node = nodeFactor(random);
    return rps.map((rate) => {
      const u = Math.min(0.95, (rate / capacity) * factor);
      const meanLatency = (serviceSeconds * factor * node) / (1 - u);
      const requests = Math.max(1, poisson(random, rate * 15));
      counts.push(requests);
      // The mean of `requests` exponential-ish waits: relative noise 1/√requests.
      return meanLatency * Math.max(0.05, 1 + random.normal() / Math.sqrt(requests));
    });
  };
  const counts = { baseline: [] as number[], canary: [] as number[] };
  return withCounts(
    counts,
    { name: 'queue latency', groups: ['latency'], direction: 'increase' },
    side(1, counts.baseline),
    side(serviceFactor, counts.canary),
    'rate(queue_wait_seconds_sum[1m]) / rate(queue_wait_seconds_count[1m])',
  );
}

const NORMAL_TRAFFIC: [number, number] = [2, 100];
const LOW_TRAFFIC: [number, number] = [0.05, 1];
const ALL_STATS: readonly LatencyStat[] = ['p50', 'p90', 'p99', 'mean'];
const unchanged = () => () => 1;

/** The families, in the order they are generated and printed. */
export const PRODUCTION_FAMILIES: readonly Family[] = [
  {
    name: 'A/A heavy-tailed latency (histogram buckets)',
    truth: 'no-change',
    heldOut: false,
    generate: (random) => latencyScenario(random, { rps: NORMAL_TRAFFIC, stats: ALL_STATS, canaryScale: unchanged }),
  },
  {
    name: 'A/A low traffic latency (0.05–1 rps)',
    truth: 'no-change',
    heldOut: false,
    generate: (random) => latencyScenario(random, { rps: LOW_TRAFFIC, stats: ALL_STATS, canaryScale: unchanged }),
  },
  {
    // Builds of the same code differ a little (JIT, allocation, a dependency's patch release): the
    // canary's latency level differs from the baseline's by up to ±5 %, which is within tolerance.
    name: 'A/A 5 % jitter (canary level within ±5 %)',
    truth: 'no-change',
    heldOut: false,
    generate: (random) =>
      latencyScenario(random, {
        rps: NORMAL_TRAFFIC,
        stats: ALL_STATS,
        sameNode: true,
        canaryScale: (r) => {
          const level = 1 + uniform(r, -0.05, 0.05);
          return () => level;
        },
      }),
  },
  {
    name: 'A/A bursty errors partly shared',
    truth: 'no-change',
    heldOut: false,
    generate: (random) =>
      errorScenario(random, {
        rps: [1, 100],
        baseErrorRate: [0.0002, 0.005],
        canaryErrorFactor: 1,
        sharedIncidentsPerHour: 1.5,
      }),
  },
  {
    name: 'A/A error counter absent on both sides (critical)',
    truth: 'no-change',
    heldOut: false,
    generate: (random) => {
      const window = randomWindow(random);
      const nothing = () => new Array<number>(window.points).fill(Number.NaN);
      return metric(
        { name: 'errors', groups: ['errors'], direction: 'increase', critical: true },
        nothing(),
        nothing(),
        'sum(rate(http_requests_total{code=~"5.."}[1m]))',
        { baseline: 0, canary: 0 },
      );
    },
  },
  {
    name: 'A/A CPU',
    truth: 'no-change',
    heldOut: false,
    generate: (random) => cpuScenario(random, 1),
  },
  {
    name: 'A/A memory (GC sawtooth)',
    truth: 'no-change',
    heldOut: false,
    generate: (random) => memoryScenario(random, 0),
  },
  {
    name: 'latency +10 %',
    truth: 'regression',
    heldOut: false,
    generate: (random) =>
      latencyScenario(random, { rps: [5, 100], stats: ['p50', 'p90', 'mean'], canaryScale: () => () => 1.1 }),
  },
  {
    name: 'step change mid-window (+20–50 %)',
    truth: 'regression',
    heldOut: false,
    generate: (random) =>
      latencyScenario(random, {
        rps: NORMAL_TRAFFIC,
        stats: ['p50', 'p90', 'mean'],
        canaryScale: (r, window) => {
          const at = Math.round(window.points * uniform(r, 0.3, 0.7));
          const size = 1 + uniform(r, 0.2, 0.5);
          return (t) => (t >= at ? size : 1);
        },
      }),
  },
  {
    name: 'memory leak ramp (+15–50 % over the window)',
    truth: 'regression',
    heldOut: false,
    generate: (random) => memoryScenario(random, uniform(random, 0.15, 0.5)),
  },
  {
    name: 'error rate ×5 (0.1 % → 0.5 %)',
    truth: 'regression',
    heldOut: false,
    generate: (random) =>
      errorScenario(random, {
        rps: [3, 100],
        baseErrorRate: [0.001, 0.001],
        canaryErrorFactor: 5,
        sharedIncidentsPerHour: 1,
      }),
  },
  {
    name: 'CPU +15 %',
    truth: 'regression',
    heldOut: false,
    generate: (random) => cpuScenario(random, 1.15),
  },
  {
    name: 'low traffic latency +50 %',
    truth: 'regression',
    heldOut: false,
    generate: (random) =>
      latencyScenario(random, { rps: [0.2, 1], stats: ['p50', 'mean'], canaryScale: () => () => 1.5 }),
  },
  {
    name: 'held out: A/A queueing latency',
    truth: 'no-change',
    heldOut: true,
    generate: (random) => queueScenario(random, 1),
  },
  {
    name: 'held out: queueing latency, service time +12 %',
    truth: 'regression',
    heldOut: true,
    generate: (random) => queueScenario(random, 1.12),
  },
];

/**
 * Generates `perFamily` scenarios of every family (or of those `only` accepts) from `seed`; each family
 * draws from its own stream, so leaving families out does not change the others.
 */
export function generateProductionScenarios(
  seed: number,
  perFamily: number,
  only: (family: string) => boolean = () => true,
): ProductionScenario[] {
  return PRODUCTION_FAMILIES.flatMap((family, index) => {
    if (!only(family.name)) return [];
    const random = createRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    return Array.from({ length: perFamily }, () => ({
      family: family.name,
      truth: family.truth,
      heldOut: family.heldOut,
      metric: family.generate(random),
    }));
  });
}
