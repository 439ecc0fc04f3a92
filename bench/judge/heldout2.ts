// The second held-out set: production situations the production set (production.ts) does not model,
// written before any change to the judge for them and judged as whole runs with a ground truth. Like the
// production set, the series come from seeded simulators of the processes (traffic, requests, queues,
// counters, scrapes), never from curves fitted to an answer; a regression is a change of the process
// (a slower slow path, a lost share of requests, more errors per request), not of the judged numbers.
//
// What is new here:
// - unequal traffic split (the canary gets 5–20 % of the requests, the baseline the rest);
// - canary warm-up (a healthy canary slower for its first minutes: JIT, caches);
// - a regression only in the tail (the slow path slower, p99 +40 %, p50 unchanged) judged on p99;
// - direction `decrease` (throughput per pod, success rate) and `either`;
// - counters read through rate() with pod restarts (reset, scrape gap, a partial first rate) and sparse
//   series (scraped once a minute on a 15 s grid: three points in four missing);
// - very different scales (bytes ~1e9, error ratios ~1e-4) and integer gauges (queue length, ready pods);
// - multi-metric templates with group weights and a critical metric;
// - a slow drift over a long window, and an intermittent regression (bad one minute in five).
import {
  createRandom,
  normalizeMetricConfig,
  type JudgeInput,
  type MetricConfigInput,
  type MetricInput,
  type Random,
} from '@isd/autopilot';
import {
  BUCKET_LAYOUTS,
  bucketCounts,
  choose,
  histogramQuantile,
  nodeFactor,
  poisson,
  randomLatencyModel,
  trafficPattern,
  uniform,
  type LatencyModel,
  type ProductionTruth,
  type Window,
} from './production';

/** One run of the held-out set: a template (one or more metrics, group weights) with its ground truth. */
export interface HeldOutRun {
  family: string;
  truth: ProductionTruth;
  metrics: MetricInput[];
  groupWeights: JudgeInput['groupWeights'];
}

export interface HeldOutFamily {
  name: string;
  truth: ProductionTruth;
  generate(random: Random): Omit<HeldOutRun, 'family' | 'truth'>;
}

/** A window of `minMinutes`–`maxMinutes` at a 15, 30 or 60 s step (at most 480 points). */
export function windowOf(random: Random, minMinutes: number, maxMinutes: number, steps = [15, 30, 60]): Window {
  const stepSeconds = choose(random, steps);
  const minutes = uniform(random, minMinutes, maxMinutes);
  return { stepSeconds, points: Math.min(480, Math.round((minutes * 60) / stepSeconds)) };
}

export const logUniform = (random: Random, min: number, max: number) =>
  Math.exp(uniform(random, Math.log(min), Math.log(max)));

export function input(config: MetricConfigInput, baseline: number[], canary: number[], query: string): MetricInput {
  return {
    config: normalizeMetricConfig(config),
    baseline: { values: baseline, query: `${query}{version="baseline"}` },
    canary: { values: canary, query: `${query}{version="canary"}` },
  };
}

export const one = (metric: MetricInput): Omit<HeldOutRun, 'family' | 'truth'> => ({
  metrics: [metric],
  groupWeights: {},
});

// ---------------------------------------------------------------- latency

type Quantile = 'p50' | 'p90' | 'p99' | 'mean';

/** A side's latency distribution at one step: the body and the slow path scaled separately. */
export interface LatencyAt {
  body: number;
  slow: number;
}

function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** The mixture's CDF with the body scaled by `body` and the slow path by `slow`. */
function mixtureCdf(model: LatencyModel, at: LatencyAt, x: number): number {
  if (x <= 0) return 0;
  const bodyCdf = normalCdf((Math.log(x) - Math.log(model.medianSeconds * at.body)) / model.sigma);
  const slowCdf = normalCdf((Math.log(x) - Math.log(model.medianSeconds * at.slow * model.slowFactor)) / model.sigma);
  return (1 - model.slowShare) * bodyCdf + model.slowShare * slowCdf;
}

/** The mixture's true quantile (bisection on the log scale). */
export function mixtureQuantile(model: LatencyModel, at: LatencyAt, q: number): number {
  let low = Math.log(model.medianSeconds) - 20;
  let high = Math.log(model.medianSeconds * model.slowFactor * Math.max(at.body, at.slow)) + 20;
  for (let i = 0; i < 100; i++) {
    const middle = (low + high) / 2;
    if (mixtureCdf(model, at, Math.exp(middle)) < q) low = middle;
    else high = middle;
  }
  return Math.exp((low + high) / 2);
}

/**
 * How much slower the slow path must get for the true p99 to rise by `factor` with the body unchanged
 * (so p50 stays where it was): the effect is defined on the process, then realised through requests.
 */
export function slowPathScaleForP99(model: LatencyModel, factor: number): number {
  const target = factor * mixtureQuantile(model, { body: 1, slow: 1 }, 0.99);
  let low = 1;
  let high = 1e4;
  for (let i = 0; i < 100; i++) {
    const middle = Math.sqrt(low * high);
    if (mixtureQuantile(model, { body: 1, slow: middle }, 0.99) < target) low = middle;
    else high = middle;
  }
  return Math.sqrt(low * high);
}

/**
 * One side's latency series: per step, Poisson requests at that side's rate, histogram buckets filled
 * from the mixture (Prometheus sees only the buckets), then the statistic as histogram_quantile computes
 * it, or `_sum / _count`. `at(t)` is the side's distribution at step t (node, load, regression).
 */
function latencySide(
  random: Random,
  rps: readonly number[],
  stepSeconds: number,
  model: LatencyModel,
  buckets: readonly number[],
  stat: Quantile,
  at: (t: number) => LatencyAt,
  counts: number[] = [],
): number[] {
  return rps.map((rate, t) => {
    const scale = at(t);
    const requests = rate * stepSeconds;
    if (stat === 'mean') {
      const count = poisson(random, requests);
      // The mean is computed over at most 400 drawn requests (for speed), so that is its sample size.
      counts.push(Math.min(count, 400));
      if (count === 0) return Number.NaN;
      let sum = 0;
      const drawn = Math.min(count, 400);
      for (let i = 0; i < drawn; i++) {
        const slow = random.next() < model.slowShare;
        sum +=
          model.medianSeconds *
          (slow ? scale.slow * model.slowFactor : scale.body) *
          Math.exp(model.sigma * random.normal());
      }
      return sum / drawn;
    }
    // bucketCounts takes one scale for the whole mixture; split the rate into body and slow requests.
    const body = bucketCounts(
      random,
      buckets,
      { ...model, slowShare: 0 },
      scale.body,
      requests * (1 - model.slowShare),
    );
    const slow = bucketCounts(
      random,
      buckets,
      { ...model, slowShare: 0, medianSeconds: model.medianSeconds * model.slowFactor },
      scale.slow,
      requests * model.slowShare,
    );
    const cumulative = body.map((count, i) => count + slow[i]!);
    counts.push(cumulative[cumulative.length - 1]!);
    return histogramQuantile(stat === 'p50' ? 0.5 : stat === 'p90' ? 0.9 : 0.99, buckets, cumulative);
  });
}

interface LatencyRunOptions {
  window: Window;
  /** Requests per second of the whole service (both sides together). */
  totalRps: number;
  /** The canary's share of the requests; the baseline gets as many unless `baselineGetsRest`. */
  canaryShare: number;
  baselineGetsRest: boolean;
  stat: Quantile;
  model: LatencyModel;
  /** The canary's own change at step t (1 = none), for the body and the slow path. */
  canaryChange: (t: number) => LatencyAt;
}

function latencyMetric(random: Random, options: LatencyRunOptions, name?: string): MetricInput {
  const { window, stat, model } = options;
  const buckets = choose(random, BUCKET_LAYOUTS);
  const total = trafficPattern(random, window, options.totalRps);
  const canaryRps = total.map((rate) => rate * options.canaryShare);
  const baselineRps = options.baselineGetsRest ? total.map((rate) => rate * (1 - options.canaryShare)) : canaryRps;
  // Latency rises a little with the service's load, which both sides share.
  const load = total.map((rate) => 1 + 0.1 * (rate / options.totalRps - 1));
  const [baselineNode, canaryNode] = [nodeFactor(random), nodeFactor(random)];
  const counts = { baseline: [] as number[], canary: [] as number[] };
  const baseline = latencySide(
    random,
    baselineRps,
    window.stepSeconds,
    model,
    buckets,
    stat,
    (t) => ({ body: baselineNode * load[t]!, slow: baselineNode * load[t]! }),
    counts.baseline,
  );
  const canary = latencySide(
    random,
    canaryRps,
    window.stepSeconds,
    model,
    buckets,
    stat,
    (t) => {
      const change = options.canaryChange(t);
      return { body: canaryNode * load[t]! * change.body, slow: canaryNode * load[t]! * change.slow };
    },
    counts.canary,
  );
  const query =
    stat === 'mean'
      ? 'rate(http_request_duration_seconds_sum[1m]) / rate(http_request_duration_seconds_count[1m])'
      : `histogram_quantile(${stat === 'p50' ? 0.5 : stat === 'p90' ? 0.9 : 0.99}, rate(http_request_duration_seconds_bucket[1m]))`;
  const metric = input(
    { name: name ?? `latency ${stat}`, groups: ['latency'], direction: 'increase' },
    baseline,
    canary,
    query,
  );
  // What the template's `countQuery` (the histogram's `_count` rate) returns: the requests behind each step.
  metric.baseline.requestCounts = counts.baseline;
  metric.canary.requestCounts = counts.canary;
  return metric;
}

const same = (): LatencyAt => ({ body: 1, slow: 1 });
const scaled = (factor: number): LatencyAt => ({ body: factor, slow: factor });

/** Unequal split: the canary takes 5–20 % of 5–200 rps, the baseline (the stable version) the rest. */
export function splitLatency(
  random: Random,
  change: number | ((t: number) => LatencyAt),
): Omit<HeldOutRun, 'family' | 'truth'> {
  const metric = latencyMetric(random, {
    window: windowOf(random, 30, 120),
    totalRps: logUniform(random, 5, 200),
    canaryShare: uniform(random, 0.05, 0.2),
    baselineGetsRest: true,
    stat: choose(random, ['p50', 'p90', 'p99', 'mean'] as const),
    model: randomLatencyModel(random),
    canaryChange: typeof change === 'number' ? () => scaled(change) : change,
  });
  return { metrics: [metric], groupWeights: {} };
}

/** The slow path (1.5–4 % of requests: cache misses, a downstream call) gets slower; judged on p99. */
function tailLatency(random: Random, p99Factor: number): Omit<HeldOutRun, 'family' | 'truth'> {
  const model = { ...randomLatencyModel(random), slowShare: uniform(random, 0.015, 0.04) };
  const slow = p99Factor === 1 ? 1 : slowPathScaleForP99(model, p99Factor);
  const metric = latencyMetric(random, {
    window: windowOf(random, 30, 120),
    totalRps: logUniform(random, 10, 200),
    canaryShare: 0.5,
    baselineGetsRest: false,
    stat: 'p99',
    model,
    canaryChange: () => ({ body: 1, slow }),
  });
  return { metrics: [metric], groupWeights: {} };
}

/** A healthy canary slower in its first minutes (×1.5–3 decaying with a 1–3 min time constant). */
function warmUpLatency(random: Random): Omit<HeldOutRun, 'family' | 'truth'> {
  const window = windowOf(random, 30, 120);
  const extra = uniform(random, 0.5, 2);
  const tauSteps = uniform(random, 60, 180) / window.stepSeconds;
  const metric = latencyMetric(random, {
    window,
    totalRps: logUniform(random, 5, 100),
    canaryShare: 0.5,
    baselineGetsRest: false,
    stat: choose(random, ['p50', 'p90', 'mean'] as const),
    model: randomLatencyModel(random),
    canaryChange: (t) => scaled(1 + extra * Math.exp(-t / tauSteps)),
  });
  return { metrics: [metric], groupWeights: {} };
}

/** A slow regression: the canary's latency grows by 1 % every 10 minutes over a 2–8 h window. */
function driftLatency(random: Random, percentPer10Minutes: number): Omit<HeldOutRun, 'family' | 'truth'> {
  const window = windowOf(random, 120, 480, [60]);
  const perStep = percentPer10Minutes / 100 / (600 / window.stepSeconds);
  const metric = latencyMetric(random, {
    window,
    totalRps: logUniform(random, 5, 100),
    canaryShare: 0.5,
    baselineGetsRest: false,
    stat: choose(random, ['p50', 'p90', 'mean'] as const),
    model: randomLatencyModel(random),
    canaryChange: (t) => scaled(1 + perStep * t),
  });
  return { metrics: [metric], groupWeights: {} };
}

/** Intermittent: one minute in five the canary is ×1.6–2.5 slower (a periodic job, a lock), else equal. */
function intermittentLatency(random: Random): Omit<HeldOutRun, 'family' | 'truth'> {
  const window = windowOf(random, 30, 120);
  const factor = uniform(random, 1.6, 2.5);
  const phase = random.integer(0, 4);
  const metric = latencyMetric(random, {
    window,
    totalRps: logUniform(random, 5, 100),
    canaryShare: 0.5,
    baselineGetsRest: false,
    stat: choose(random, ['p50', 'p90', 'mean'] as const),
    model: randomLatencyModel(random),
    canaryChange: (t) => {
      const minute = Math.floor((t * window.stepSeconds) / 60);
      return scaled((minute + phase) % 5 === 0 ? factor : 1);
    },
  });
  return { metrics: [metric], groupWeights: {} };
}

// ---------------------------------------------------------------- throughput, success rate, either

/**
 * Requests served per second per pod (`direction: decrease`): each side's pods get an equal share of a
 * shared traffic pattern; `lostShare` of the canary's requests never reach it (failed readiness, dropped
 * connections).
 */
function throughputMetric(random: Random, window: Window, lostShare: number, direction = 'decrease'): MetricInput {
  const perPod = logUniform(random, 1, 200);
  const rps = trafficPattern(random, window, perPod);
  const side = (kept: number) =>
    rps.map((rate) => poisson(random, rate * kept * window.stepSeconds) / window.stepSeconds);
  return input(
    { name: 'throughput per pod', groups: ['traffic'], direction },
    side(1),
    side(1 - lostShare),
    'sum(rate(http_requests_total[1m])) / count(up)',
  );
}

/** Per-step errors of one side: a base probability, shared dependency incidents, per-side blips. */
export function errorCounts(
  random: Random,
  window: Window,
  rps: readonly number[],
  errorRate: number,
  shared: readonly number[],
  factor: number,
  burst?: () => number,
): { requests: number[]; errors: number[] } {
  const requests: number[] = [];
  const errors: number[] = [];
  rps.forEach((rate, t) => {
    const n = poisson(random, rate * window.stepSeconds);
    const blip = random.next() < 0.01 ? uniform(random, 2, 5) : 1;
    const p = Math.min(1, errorRate * factor * shared[t]! * blip * (burst ? burst() : 1));
    requests.push(n);
    errors.push(Math.min(n, poisson(random, n * p)));
  });
  return { requests, errors };
}

/** Incidents of a shared dependency: ×5–50 errors on both sides for up to 10 minutes, `perHour` on average. */
export function sharedIncidents(random: Random, window: Window, perHour: number): number[] {
  const shared = new Array<number>(window.points).fill(1);
  const incidents = poisson(random, (perHour * window.points * window.stepSeconds) / 3600);
  for (let i = 0; i < incidents; i++) {
    const start = random.integer(0, window.points - 1);
    const length = random.integer(1, Math.max(1, Math.round(600 / window.stepSeconds)));
    const factor = uniform(random, 5, 50);
    for (let t = start; t < Math.min(window.points, start + length); t++) shared[t] = factor;
  }
  return shared;
}

/** Success rate (1 − errors/requests, `direction: decrease`), 0.1–1 % errors, canary errors ×`factor`. */
function successRateMetric(random: Random, window: Window, factor: number, critical = false): MetricInput {
  const rps = trafficPattern(random, window, logUniform(random, 5, 200));
  const errorRate = logUniform(random, 0.001, 0.01);
  const shared = sharedIncidents(random, window, 1);
  const ratio = ({ requests, errors }: { requests: number[]; errors: number[] }) =>
    requests.map((n, t) => (n === 0 ? Number.NaN : 1 - errors[t]! / n));
  return input(
    { name: 'success rate', groups: ['errors'], direction: 'decrease', critical },
    ratio(errorCounts(random, window, rps, errorRate, shared, 1)),
    ratio(errorCounts(random, window, rps, errorRate, shared, factor)),
    'sum(rate(http_requests_total{code!~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
  );
}

/**
 * Error ratio per step at `scale` errors per request (1e-4 at high traffic, or 0.1–0.5 %), shared
 * incidents and blips; the canary's errors per request ×`factor`.
 */
function errorRatioMetric(
  random: Random,
  window: Window,
  errorRate: number,
  rpsRange: [number, number],
  factor: number,
  critical: boolean,
): MetricInput {
  const rps = trafficPattern(random, window, logUniform(random, rpsRange[0], rpsRange[1]));
  const shared = sharedIncidents(random, window, 1);
  const ratio = ({ requests, errors }: { requests: number[]; errors: number[] }) =>
    requests.map((n, t) => (n === 0 ? Number.NaN : errors[t]! / n));
  return input(
    { name: 'error ratio', groups: ['errors'], direction: 'increase', critical },
    ratio(errorCounts(random, window, rps, errorRate, shared, 1)),
    ratio(errorCounts(random, window, rps, errorRate, shared, factor)),
    'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
  );
}

/** How the errors of an unequal-split error-ratio run change on the canary. */
export interface SplitErrorChange {
  /** The canary's errors per request × this. */
  factor: number;
  /** The baseline makes no errors at all; the canary's errors are a new failure path. */
  newErrors?: boolean;
  /**
   * Errors come in bursts (retries, a bad downstream pod, a GC pause): each side's per-step error
   * probability × LogNormal(−σ²/2, σ), mean 1, σ drawn from 0.5–1.2 per run (over-dispersed counts).
   */
  bursty?: boolean;
}

/**
 * Error ratio (failed requests per request, `direction: increase`) under an unequal split: the canary takes
 * 5–20 % of 5–200 rps, the baseline the rest; 0.02–1 % of requests fail, with shared dependency incidents and
 * per-side blips; each side's request counts are what the template's `countQuery` returns. Errors are rare
 * events, so a small canary's ratio is 0 at most steps and 1/n (n its few requests) at a step with one error.
 */
export function splitErrorRatio(random: Random, change: SplitErrorChange): Omit<HeldOutRun, 'family' | 'truth'> {
  const window = windowOf(random, 30, 120);
  const total = trafficPattern(random, window, logUniform(random, 5, 200));
  const canaryShare = uniform(random, 0.05, 0.2);
  const errorRate = logUniform(random, 0.0002, 0.01);
  const shared = sharedIncidents(random, window, 1);
  const sigma = change.bursty ? uniform(random, 0.5, 1.2) : 0;
  const burst = change.bursty ? () => Math.exp(sigma * random.normal() - (sigma * sigma) / 2) : undefined;
  const side = (share: number, rate: number, factor: number) => {
    const rps = total.map((r) => r * share);
    const { requests, errors } = errorCounts(random, window, rps, rate, shared, factor, burst);
    return { values: requests.map((n, t) => (n === 0 ? Number.NaN : errors[t]! / n)), requests };
  };
  const baseline = side(1 - canaryShare, change.newErrors ? 0 : errorRate, 1);
  const canary = side(canaryShare, errorRate, change.factor);
  const metric = input(
    { name: 'error ratio', groups: ['errors'], direction: 'increase' },
    baseline.values,
    canary.values,
    'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
  );
  // The template's `countQuery` (`sum(increase(http_requests_total[1m]))`): the requests behind each step.
  metric.baseline.requestCounts = baseline.requests;
  metric.canary.requestCounts = canary.requests;
  return one(metric);
}

/**
 * A metric judged with `direction: either` (connection-pool use, cache hit share: both ways are bad):
 * level × shared pattern × AR(1) noise; the canary's level ×`factor`.
 */
function eitherMetric(random: Random, window: Window, factor: number): MetricInput {
  const rps = trafficPattern(random, window, 1);
  const level = logUniform(random, 0.5, 500);
  const cv = uniform(random, 0.02, 0.08);
  const phi = uniform(random, 0.2, 0.8);
  const side = (f: number) => {
    const node = nodeFactor(random);
    let noise = random.normal();
    return rps.map((rate) => {
      noise = phi * noise + Math.sqrt(1 - phi * phi) * random.normal();
      return level * (0.5 + 0.5 * rate) * node * f * (1 + cv * noise);
    });
  };
  return input(
    { name: 'pool in use', groups: ['system'], direction: 'either' },
    side(1),
    side(factor),
    'avg(db_pool_connections_in_use)',
  );
}

// ---------------------------------------------------------------- counters, sparse series, scales, gauges

/**
 * Errors per second through `rate(errors_total[r])` from scraped counters on a 15 s grid: each side's
 * counter is scraped every 15, 30 or 60 s (2 % of scrapes lost), and r is 1 m, or 90 s for a 60 s scrape,
 * which holds two samples only half the time (the other grid points are empty: a sparse series). The
 * canary's pod restarts 1–2 times: the counter resets (rate() counts from 0 again), and the pod is not
 * scraped for 30–90 s.
 */
function resetCounterMetric(random: Random, factor: number): MetricInput {
  const window: Window = { stepSeconds: 15, points: Math.round((uniform(random, 30, 120) * 60) / 15) };
  const rps = trafficPattern(random, window, logUniform(random, 5, 200));
  const errorRate = logUniform(random, 0.0005, 0.01);
  const shared = sharedIncidents(random, window, 1);
  const scrapeSeconds = choose(random, [15, 30, 60]);
  const rangeSeconds = Math.max(60, 1.5 * scrapeSeconds);
  const seconds = window.points * window.stepSeconds;
  const restarts = (count: number) =>
    Array.from({ length: count }, () => ({ at: uniform(random, 0.1, 0.9) * seconds, down: uniform(random, 30, 90) }));
  const side = (f: number, podRestarts: Array<{ at: number; down: number }>) => {
    const { errors } = errorCounts(random, window, rps, errorRate, shared, f);
    // The counter's value at each second-resolution scrape: errors accumulate per grid step.
    const samples: Array<{ time: number; value: number }> = [];
    let counter = 0;
    let accumulated = 0;
    for (let time = 0; time < seconds; time += scrapeSeconds) {
      const step = Math.min(window.points - 1, Math.floor(time / window.stepSeconds));
      while (accumulated <= step) counter += errors[accumulated++]!;
      const restart = podRestarts.find((r) => time >= r.at && time < r.at + r.down);
      if (restart) {
        counter = 0; // the new process counts from zero
        continue; // and is not scraped while it starts
      }
      if (random.next() >= 0.02) samples.push({ time, value: counter });
    }
    // rate(x[r]) at each grid point: increase between the first and last sample in (t − r, t], resets
    // added back as Prometheus does, divided by their time distance (no extrapolation, close enough here).
    return Array.from({ length: window.points }, (_, t) => {
      const end = t * window.stepSeconds;
      const inRange = samples.filter((s) => s.time > end - rangeSeconds && s.time <= end);
      if (inRange.length < 2) return Number.NaN;
      let increase = 0;
      for (let i = 1; i < inRange.length; i++) {
        const delta = inRange[i]!.value - inRange[i - 1]!.value;
        increase += delta >= 0 ? delta : inRange[i]!.value;
      }
      return increase / (inRange[inRange.length - 1]!.time - inRange[0]!.time);
    });
  };
  return input(
    { name: 'errors per second', groups: ['errors'], direction: 'increase' },
    side(1, []),
    side(factor, restarts(random.integer(1, 2))),
    `sum(rate(http_errors_total[${rangeSeconds}s]))`,
  );
}

/**
 * Memory in bytes (resident 0.5–8 GiB, values ~1e9): a GC sawtooth driven by traffic; the canary leaks
 * `leakShare` of its resident size over the window.
 */
export function bytesMetric(random: Random, window: Window, leakShare: number): MetricInput {
  const rps = trafficPattern(random, window, logUniform(random, 2, 200));
  const resident = logUniform(random, 0.5, 8) * 2 ** 30;
  const heapLimit = resident * uniform(random, 0.05, 0.25);
  const collections = uniform(random, 3, 40);
  const perRequest = (heapLimit * collections) / rps.reduce((sum, r) => sum + r, 0);
  const side = (leak: number) => {
    const node = nodeFactor(random);
    let heap = uniform(random, 0, heapLimit);
    return rps.map((rate, t) => {
      heap += perRequest * rate * (0.8 + 0.4 * random.next());
      if (heap >= heapLimit) heap = uniform(random, 0, 0.1) * heapLimit;
      return Math.round(
        (resident * node + heap + (leak * resident * t) / (window.points - 1)) * (1 + 0.002 * random.normal()),
      );
    });
  };
  return input(
    { name: 'memory bytes', groups: ['system'], direction: 'increase' },
    side(0),
    side(leakShare),
    'sum(container_memory_working_set_bytes)',
  );
}

/**
 * Queue length sampled each step (an integer gauge, mostly 0–3): an M/M/1 queue's length evolving by
 * arrivals and departures between samples; the canary's service is `slower`× slower (utilisation up).
 */
function queueLengthMetric(random: Random, window: Window, slower: number): MetricInput {
  const utilisation = uniform(random, 0.15, 0.45);
  const serviceRate = logUniform(random, 5, 50); // per second
  const side = (factor: number) => {
    const mu = serviceRate / factor;
    const lambda = utilisation * serviceRate;
    let length = 0;
    // Simulate the birth–death chain in small time slices and sample it at each step.
    const slice = 1 / (4 * (lambda + mu));
    const perStep = Math.max(1, Math.round(window.stepSeconds / slice));
    return Array.from({ length: window.points }, () => {
      for (let i = 0; i < perStep; i++) {
        const u = random.next();
        if (u < lambda * slice) length++;
        else if (u < (lambda + mu) * slice && length > 0) length--;
      }
      return length;
    });
  };
  return input(
    { name: 'queue length', groups: ['system'], direction: 'increase' },
    side(1),
    side(slower),
    'max(work_queue_length)',
  );
}

/**
 * Ready pods (`direction: decrease`, an integer gauge): 2–5 pods, each one failing a readiness probe now
 * and then (a GC pause, 0.2–1 % of steps); the canary crash-loops: each pod is down `downShare` of the time
 * in restarts lasting 1–3 minutes.
 */
function readyPodsMetric(random: Random, window: Window, downShare: number): MetricInput {
  const pods = random.integer(2, 5);
  const blip = uniform(random, 0.002, 0.01);
  const side = (down: number) => {
    const downUntil = new Array<number>(pods).fill(-1);
    const restartSteps = () => Math.max(1, Math.round(uniform(random, 60, 180) / window.stepSeconds));
    // A restart starts with probability chosen so a pod is down `down` of the time on average.
    const startChance = down === 0 ? 0 : down / ((1 - down) * ((60 + 180) / 2 / window.stepSeconds));
    return Array.from({ length: window.points }, (_, t) => {
      let ready = 0;
      for (let pod = 0; pod < pods; pod++) {
        if (downUntil[pod]! < t && random.next() < startChance) downUntil[pod] = t + restartSteps() - 1;
        const isDown = downUntil[pod]! >= t || random.next() < blip;
        if (!isDown) ready++;
      }
      return ready;
    });
  };
  return input(
    { name: 'ready pods', groups: ['system'], direction: 'decrease' },
    side(0),
    side(downShare),
    'sum(kube_pod_status_ready{condition="true"})',
  );
}

// ---------------------------------------------------------------- multi-metric templates

/**
 * A whole template on one window: three latency metrics, error ratio (critical) and success rate, CPU
 * (as an `either` metric), memory bytes, throughput, queue length; groups latency 40 %, errors 40 %,
 * the rest shared. `bad` makes the critical error ratio (only) regress ×5.
 */
function template(random: Random, badErrorFactor: number): Omit<HeldOutRun, 'family' | 'truth'> {
  const window = windowOf(random, 30, 120);
  const model = randomLatencyModel(random);
  const totalRps = logUniform(random, 10, 200);
  const latency = (stat: Quantile) =>
    latencyMetric(
      random,
      { window, totalRps, canaryShare: 0.5, baselineGetsRest: false, stat, model, canaryChange: same },
      `latency ${stat}`,
    );
  const metrics = [
    latency('p50'),
    latency('p99'),
    latency('mean'),
    errorRatioMetric(random, window, logUniform(random, 0.0005, 0.002), [10, 200], badErrorFactor, true),
    successRateMetric(random, window, 1),
    eitherMetric(random, window, 1),
    bytesMetric(random, window, 0),
    throughputMetric(random, window, 0),
    queueLengthMetric(random, window, 1),
  ];
  return { metrics, groupWeights: { latency: 40, errors: 40 } };
}

// ---------------------------------------------------------------- families

/** The families, in the order they are generated and printed: healthy ones first, then regressions. */
export const HELDOUT2_FAMILIES: readonly HeldOutFamily[] = [
  { name: 'A/A unequal split (canary 5–20 % of traffic)', truth: 'no-change', generate: (r) => splitLatency(r, 1) },
  { name: 'A/A canary warm-up (slower first minutes)', truth: 'no-change', generate: (r) => warmUpLatency(r) },
  { name: 'A/A p99 with a 1.5–4 % slow path', truth: 'no-change', generate: (r) => tailLatency(r, 1) },
  {
    name: 'A/A throughput per pod (decrease)',
    truth: 'no-change',
    generate: (r) => one(throughputMetric(r, windowOf(r, 30, 120), 0)),
  },
  {
    name: 'A/A success rate (decrease)',
    truth: 'no-change',
    generate: (r) => one(successRateMetric(r, windowOf(r, 30, 120), 1)),
  },
  { name: 'A/A either direction', truth: 'no-change', generate: (r) => one(eitherMetric(r, windowOf(r, 30, 120), 1)) },
  {
    name: 'A/A rate() with restarts, sparse scrapes',
    truth: 'no-change',
    generate: (r) => one(resetCounterMetric(r, 1)),
  },
  {
    name: 'A/A memory bytes (~1e9)',
    truth: 'no-change',
    generate: (r) => one(bytesMetric(r, windowOf(r, 30, 120), 0)),
  },
  {
    name: 'A/A error ratio ~1e-4',
    truth: 'no-change',
    generate: (r) => one(errorRatioMetric(r, windowOf(r, 30, 120), logUniform(r, 5e-5, 3e-4), [200, 2000], 1, false)),
  },
  {
    name: 'A/A queue length (integer gauge 0–3)',
    truth: 'no-change',
    generate: (r) => one(queueLengthMetric(r, windowOf(r, 30, 120), 1)),
  },
  {
    name: 'A/A ready pods (integer gauge, decrease)',
    truth: 'no-change',
    generate: (r) => one(readyPodsMetric(r, windowOf(r, 30, 120), 0)),
  },
  { name: 'A/A 9-metric template (weights, critical)', truth: 'no-change', generate: (r) => template(r, 1) },
  { name: 'A/A long window (2–8 h)', truth: 'no-change', generate: (r) => driftLatency(r, 0) },
  { name: 'unequal split, latency +20 %', truth: 'regression', generate: (r) => splitLatency(r, 1.2) },
  { name: 'tail only: p99 +40 %, p50 unchanged', truth: 'regression', generate: (r) => tailLatency(r, 1.4) },
  {
    name: 'throughput per pod −20 % (decrease)',
    truth: 'regression',
    generate: (r) => one(throughputMetric(r, windowOf(r, 30, 120), 0.2)),
  },
  {
    name: 'success rate: errors ×10 (decrease)',
    truth: 'regression',
    generate: (r) => one(successRateMetric(r, windowOf(r, 30, 120), 10)),
  },
  {
    name: 'either direction, ±15 %',
    truth: 'regression',
    generate: (r) => one(eitherMetric(r, windowOf(r, 30, 120), r.next() < 0.5 ? 0.85 : 1.15)),
  },
  {
    name: 'rate() with restarts, sparse: errors ×5',
    truth: 'regression',
    generate: (r) => one(resetCounterMetric(r, 5)),
  },
  {
    name: 'memory bytes leak +20 %',
    truth: 'regression',
    generate: (r) => one(bytesMetric(r, windowOf(r, 30, 120), 0.2)),
  },
  {
    name: 'error ratio ~1e-4, ×5',
    truth: 'regression',
    generate: (r) => one(errorRatioMetric(r, windowOf(r, 30, 120), logUniform(r, 5e-5, 3e-4), [200, 2000], 5, false)),
  },
  {
    name: 'queue length, service ×1.5 slower',
    truth: 'regression',
    generate: (r) => one(queueLengthMetric(r, windowOf(r, 30, 120), 1.5)),
  },
  {
    name: 'ready pods, canary crash-looping (10 % down)',
    truth: 'regression',
    generate: (r) => one(readyPodsMetric(r, windowOf(r, 30, 120), 0.1)),
  },
  { name: '9-metric template, critical errors ×5', truth: 'regression', generate: (r) => template(r, 5) },
  { name: 'slow drift +1 %/10 min (2–8 h)', truth: 'regression', generate: (r) => driftLatency(r, 1) },
  { name: 'intermittent: ×1.6–2.5 one minute in five', truth: 'regression', generate: (r) => intermittentLatency(r) },
];

/**
 * Generates `perFamily` runs of each of `families` (or of those `only` accepts) from `seed`; each family draws
 * from its own stream (the seed mixed with the family's index and the set's `salt`), so leaving families out
 * does not change the others.
 */
export function generateFamilyRuns(
  families: readonly HeldOutFamily[],
  salt: { offset: number; multiplier: number },
  seed: number,
  perFamily: number,
  only: (family: string) => boolean,
): HeldOutRun[] {
  return families.flatMap((family, index) => {
    if (!only(family.name)) return [];
    const random = createRandom((seed ^ Math.imul(index + salt.offset, salt.multiplier)) >>> 0);
    return Array.from({ length: perFamily }, () => ({
      family: family.name,
      truth: family.truth,
      ...family.generate(random),
    }));
  });
}

/** The runs of held-out set 2 (generateFamilyRuns). */
export function generateHeldOut2Runs(
  seed: number,
  perFamily: number,
  only: (family: string) => boolean = () => true,
): HeldOutRun[] {
  return generateFamilyRuns(HELDOUT2_FAMILIES, { offset: 101, multiplier: 0x85ebca6b }, seed, perFamily, only);
}
