// The third held-out set: production situations neither the production set (production.ts) nor held-out
// set 2 (heldout2.ts) models, written before any change to the judge for them and judged as whole runs
// with a ground truth. As in the other sets, the series come from seeded simulators of the processes
// (requests, endpoints, pauses, pods, CPU limits, scrapes), never from curves fitted to an answer; a
// regression is a change of the process, not of the judged numbers.
//
// What is new here:
// - a canary that is slow only at the start (a step: the first 10 % of the window), then equal;
// - a stop-the-world pause on one side (one GC pause: a few requests wait up to seconds), and frequent pauses;
// - traffic over five endpoints of very different speeds, one of which regresses;
// - a regression that starts late (the last 20 % of the window), and a slow leak (5 %/hour, short window);
// - error counts so rare that a side has 0–3 over the window (0 against 1–2 is chance, against 20 is not);
// - CPU utilisation bounded at 100 % (a saturated side pinned at its limit);
// - a canary side unscraped for minutes, and lost scrapes on both sides;
// - a gauge that is exactly constant (zero variance) on both sides;
// - one canary pod against the average of ten baseline pods (no request counts).
import type { MetricInput, Random } from '@isd/autopilot';
import {
  bytesMetric,
  generateFamilyRuns,
  input,
  logUniform,
  one,
  windowOf,
  type HeldOutFamily,
  type HeldOutRun,
} from './heldout2';
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
  type Window,
} from './production';

// ---------------------------------------------------------------- latency over endpoints, with pauses

type Quantile = 'p50' | 'p90' | 'p99' | 'mean';

/** One endpoint of the service: its own latency distribution and its share of the requests. */
export interface Endpoint {
  model: LatencyModel;
  share: number;
}

/** A side's state at one step: each endpoint's speed factor, and stop-the-world pauses. */
export interface SideAt {
  /** Per endpoint: latency × this (node, load, regression). */
  scales: readonly number[];
  /** Length of each pause in seconds (0: none). A request arriving during one waits U(0, pause) more. */
  pauseSeconds: number;
  /** Share of the step's time spent paused (so of its requests that arrive during a pause). */
  pauseShare: number;
}

/** One request's latency from an endpoint's model scaled by `scale`. */
function drawLatency(random: Random, model: LatencyModel, scale: number): number {
  const slow = random.next() < model.slowShare;
  return model.medianSeconds * scale * (slow ? model.slowFactor : 1) * Math.exp(model.sigma * random.normal());
}

function chooseEndpoint(random: Random, endpoints: readonly Endpoint[]): number {
  let u = random.next();
  for (let i = 0; i < endpoints.length - 1; i++) {
    u -= endpoints[i]!.share;
    if (u < 0) return i;
  }
  return endpoints.length - 1;
}

/**
 * One side's latency series over several endpoints: per step, Poisson requests at the side's rate, each
 * endpoint's requests into the shared histogram buckets (Prometheus sums the buckets over endpoints), the
 * requests that arrived during a pause drawn one by one with their wait added; then the statistic as
 * histogram_quantile computes it, or `_sum / _count` (over at most 400 drawn requests).
 */
export function endpointLatencySide(
  random: Random,
  rps: readonly number[],
  stepSeconds: number,
  endpoints: readonly Endpoint[],
  buckets: readonly number[],
  stat: Quantile,
  at: (t: number) => SideAt,
  counts: number[],
): number[] {
  return rps.map((rate, t) => {
    const side = at(t);
    const requests = rate * stepSeconds;
    const paused = Math.min(1, side.pauseShare);
    // One request; `waits` whether it arrived during a pause (then it waits out the rest of it).
    const draw = (waits: boolean) => {
      const e = chooseEndpoint(random, endpoints);
      return (
        drawLatency(random, endpoints[e]!.model, side.scales[e]!) + (waits ? side.pauseSeconds * random.next() : 0)
      );
    };
    if (stat === 'mean') {
      const drawn = Math.min(poisson(random, requests), 400);
      counts.push(drawn);
      if (drawn === 0) return Number.NaN;
      let sum = 0;
      for (let i = 0; i < drawn; i++) sum += draw(random.next() < paused);
      return sum / drawn;
    }
    const cumulative = new Array<number>(buckets.length + 1).fill(0);
    endpoints.forEach((endpoint, e) => {
      const filled = bucketCounts(
        random,
        buckets,
        endpoint.model,
        side.scales[e]!,
        requests * endpoint.share * (1 - paused),
      );
      filled.forEach((count, i) => (cumulative[i]! += count));
    });
    const waited = paused > 0 ? poisson(random, requests * paused) : 0;
    const perBucket = new Array<number>(buckets.length + 1).fill(0);
    for (let i = 0; i < waited; i++) {
      const latency = draw(true);
      const index = buckets.findIndex((le) => latency <= le);
      perBucket[index < 0 ? buckets.length : index]!++;
    }
    let running = 0;
    perBucket.forEach((count, i) => {
      running += count;
      cumulative[i]! += running;
    });
    counts.push(cumulative[buckets.length]!);
    return histogramQuantile(stat === 'p50' ? 0.5 : stat === 'p90' ? 0.9 : 0.99, buckets, cumulative);
  });
}

const NO_PAUSE = { pauseSeconds: 0, pauseShare: 0 };

interface EndpointRunOptions {
  window: Window;
  perSideRps: number;
  endpoints: readonly Endpoint[];
  stat: Quantile;
  /** The canary's change at step t: per-endpoint factors (1 = none) and pauses. */
  canary: (t: number) => SideAt;
  /** Pass each side's requests as `requestCounts` (what a template's `countQuery` returns). */
  withCounts: boolean;
}

/** A latency metric of equal-traffic sides (same pattern, each on its own node), over `endpoints`. */
function endpointLatencyMetric(random: Random, options: EndpointRunOptions): MetricInput {
  const { window, endpoints, stat } = options;
  const buckets = choose(random, BUCKET_LAYOUTS);
  const rps = trafficPattern(random, window, options.perSideRps);
  const load = rps.map((rate) => 1 + 0.1 * (rate / options.perSideRps - 1));
  const [baselineNode, canaryNode] = [nodeFactor(random), nodeFactor(random)];
  const counts = { baseline: [] as number[], canary: [] as number[] };
  const baseline = endpointLatencySide(
    random,
    rps,
    window.stepSeconds,
    endpoints,
    buckets,
    stat,
    (t) => ({ scales: endpoints.map(() => baselineNode * load[t]!), ...NO_PAUSE }),
    counts.baseline,
  );
  const canary = endpointLatencySide(
    random,
    rps,
    window.stepSeconds,
    endpoints,
    buckets,
    stat,
    (t) => {
      const change = options.canary(t);
      return { ...change, scales: change.scales.map((factor) => factor * canaryNode * load[t]!) };
    },
    counts.canary,
  );
  const query =
    stat === 'mean'
      ? 'sum(rate(http_request_duration_seconds_sum[1m])) / sum(rate(http_request_duration_seconds_count[1m]))'
      : `histogram_quantile(${stat === 'p50' ? 0.5 : stat === 'p90' ? 0.9 : 0.99}, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))`;
  const metric = input(
    { name: `latency ${stat}`, groups: ['latency'], direction: 'increase' },
    baseline,
    canary,
    query,
  );
  if (options.withCounts) {
    metric.baseline.requestCounts = counts.baseline;
    metric.canary.requestCounts = counts.canary;
  }
  return metric;
}

const uniformScales = (endpoints: readonly Endpoint[], factor: number, pause = NO_PAUSE): SideAt => ({
  scales: endpoints.map(() => factor),
  ...pause,
});

/** A single-endpoint service (the production set's latency model). */
const singleEndpoint = (random: Random): Endpoint[] => [{ model: randomLatencyModel(random), share: 1 }];

/**
 * Five endpoints (a health check, reads, writes, a search, a report): medians spread over two decades,
 * shares drawn uniformly on the simplex (each 20 % on average).
 */
export function fiveEndpoints(random: Random): Endpoint[] {
  const weights = Array.from({ length: 5 }, () => -Math.log(1 - random.next()));
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((weight) => ({
    model: { ...randomLatencyModel(random), medianSeconds: logUniform(random, 0.005, 0.5) },
    share: weight / total,
  }));
}

/** Latency families share their window, traffic and statistic draws. */
function latencyRun(
  random: Random,
  endpoints: (random: Random) => Endpoint[],
  canary: (window: Window, endpoints: readonly Endpoint[]) => (t: number) => SideAt,
  stats: readonly Quantile[] = ['p50', 'p90', 'mean'],
  window: Window = windowOf(random, 30, 120),
): MetricInput {
  const chosen = endpoints(random);
  return endpointLatencyMetric(random, {
    window,
    perSideRps: logUniform(random, 5, 100),
    endpoints: chosen,
    stat: choose(random, stats),
    canary: canary(window, chosen),
    withCounts: random.next() < 0.5,
  });
}

/** A healthy canary slower (×1.3–2) for the first 10 % of the window only (JIT, cold caches), then equal. */
function coldStart(random: Random): MetricInput {
  const extra = uniform(random, 1.3, 2);
  return latencyRun(
    random,
    singleEndpoint,
    (window, endpoints) => (t) => uniformScales(endpoints, t < 0.1 * window.points ? extra : 1),
  );
}

/** The canary's latency ×`factor` from 80 % of the window on (a regression that starts late: a cache fills). */
function lateRegression(random: Random, factor: [number, number]): MetricInput {
  const f = uniform(random, factor[0], factor[1]);
  return latencyRun(
    random,
    singleEndpoint,
    (window, endpoints) => (t) => uniformScales(endpoints, t >= 0.8 * window.points ? f : 1),
  );
}

/** Five endpoints; `slowerFactor` > 1 makes one of them (drawn at random) that much slower on the canary. */
function mixedEndpoints(random: Random, slowerFactor: number): MetricInput {
  const slower = random.integer(0, 4);
  return latencyRun(random, fiveEndpoints, (_window, endpoints) => () => ({
    scales: endpoints.map((_, e) => (e === slower ? slowerFactor : 1)),
    ...NO_PAUSE,
  }));
}

/**
 * One long stop-the-world pause (a full GC, 1–4 s) on one side at one random moment: the requests that
 * arrive during it wait. Judged on p90, p99 or the mean.
 */
function oneGcPause(random: Random): MetricInput {
  const pauseSeconds = uniform(random, 1, 4);
  return latencyRun(
    random,
    singleEndpoint,
    (window, endpoints) => {
      const pauseStep = random.integer(0, window.points - 1);
      return (t) =>
        uniformScales(
          endpoints,
          1,
          t === pauseStep ? { pauseSeconds, pauseShare: pauseSeconds / window.stepSeconds } : NO_PAUSE,
        );
    },
    ['p90', 'p99', 'mean'],
  );
}

/**
 * Frequent stop-the-world pauses on the canary (a GC regression: 0.3–1 s every 10–30 s, so 1–10 % of the
 * time paused). Judged on p90, p99 or the mean.
 */
function frequentPauses(random: Random): MetricInput {
  const pauseSeconds = uniform(random, 0.3, 1);
  const everySeconds = uniform(random, 10, 30);
  return latencyRun(
    random,
    singleEndpoint,
    (_window, endpoints) => () =>
      uniformScales(endpoints, 1, { pauseSeconds, pauseShare: pauseSeconds / everySeconds }),
    ['p90', 'p99', 'mean'],
  );
}

/**
 * Lost scrapes: both sides miss 1–5 % of their points, and the canary's pod is not scraped at all for
 * 5–20 minutes (its target dropped from service discovery, a network partition); canary latency ×`factor`.
 */
function scrapeGaps(random: Random, factor: number): MetricInput {
  const window = windowOf(random, 30, 120);
  const metric = latencyRun(
    random,
    singleEndpoint,
    (_window, endpoints) => () => uniformScales(endpoints, factor),
    undefined,
    window,
  );
  const lost = uniform(random, 0.01, 0.05);
  const drop = (values: number[]) => values.map((value) => (random.next() < lost ? Number.NaN : value));
  const gapPoints = Math.min(window.points - 1, Math.round((uniform(random, 5, 20) * 60) / window.stepSeconds));
  const gapStart = random.integer(0, window.points - gapPoints);
  metric.baseline.values = drop(metric.baseline.values);
  metric.canary.values = drop(metric.canary.values).map((value, t) =>
    t >= gapStart && t < gapStart + gapPoints ? Number.NaN : value,
  );
  // A lost point has no count either (the whole scrape is missing).
  for (const side of [metric.baseline, metric.canary]) {
    if (side.requestCounts)
      side.requestCounts = side.requestCounts.map((n, t) => (Number.isNaN(side.values[t]) ? null : n));
  }
  return metric;
}

// ---------------------------------------------------------------- rare errors

/**
 * Errors per step (`sum(increase(http_errors_total[1m]))`, integer counts) so rare that each side
 * expects 0.2–3 over the whole window: the same error probability per request on both sides, or a new
 * failure path on the canary expecting `canaryExpected` errors over the window.
 */
function rareErrors(random: Random, canaryExpected?: [number, number]): MetricInput {
  const window = windowOf(random, 30, 120);
  const rps = trafficPattern(random, window, logUniform(random, 5, 200));
  const requests = rps.reduce((sum, rate) => sum + rate * window.stepSeconds, 0);
  const perRequest = uniform(random, 0.2, 3) / requests;
  const canaryPerRequest = canaryExpected
    ? perRequest + uniform(random, canaryExpected[0], canaryExpected[1]) / requests
    : perRequest;
  const side = (p: number) =>
    rps.map((rate) => {
      const n = poisson(random, rate * window.stepSeconds);
      return poisson(random, n * p);
    });
  return input(
    { name: 'errors', groups: ['errors'], direction: 'increase' },
    side(perRequest),
    side(canaryPerRequest),
    'sum(increase(http_errors_total[1m]))',
  );
}

// ---------------------------------------------------------------- CPU

/**
 * CPU of a pod in cores: idle + CPU seconds per request × its requests, on its node (±2 %), with AR(1)
 * noise in the cost (GC, JIT, neighbours). Each pod gets an equal share of the service's traffic.
 */
function podCpu(
  random: Random,
  window: Window,
  rps: readonly number[],
  idle: number,
  cost: number,
  cv: number,
  phi: number,
): number[] {
  const node = nodeFactor(random);
  let noise = random.normal();
  return rps.map((rate) => {
    noise = phi * noise + Math.sqrt(1 - phi * phi) * random.normal();
    const served = poisson(random, rate * window.stepSeconds) / window.stepSeconds;
    return Math.max(0, (idle + cost * served) * node * (1 + cv * noise));
  });
}

/**
 * `avg(rate(container_cpu_usage_seconds_total[1m]))` per side: one canary pod against ten baseline pods
 * (a 1:10 split of the traffic, every pod the same share), so the baseline's average is smoother; the
 * canary's CPU per request ×`costFactor`.
 */
function cpuOnePodVersusTen(random: Random, costFactor: number): MetricInput {
  const window = windowOf(random, 30, 120);
  const rps = trafficPattern(random, window, logUniform(random, 2, 100));
  const idle = uniform(random, 0.01, 0.1);
  const cost = logUniform(random, 0.001, 0.02);
  const cv = uniform(random, 0.03, 0.1);
  const phi = uniform(random, 0.3, 0.8);
  const pods = Array.from({ length: 10 }, () => podCpu(random, window, rps, idle, cost, cv, phi));
  const baseline = rps.map((_, t) => pods.reduce((sum, pod) => sum + pod[t]!, 0) / pods.length);
  const canary = podCpu(random, window, rps, idle, cost * costFactor, cv, phi);
  return input(
    { name: 'cpu per pod', groups: ['system'], direction: 'increase' },
    baseline,
    canary,
    'avg(rate(container_cpu_usage_seconds_total[1m]))',
  );
}

/**
 * CPU utilisation in percent of the pod's limit, bounded at 100 %: the demand (mean 70–95 % of the
 * limit, peaks of the traffic above it) is throttled at the limit, where the cgroup reports ~100 % with
 * a tiny jitter; the canary's CPU per request ×`costFactor`.
 */
function saturatedCpu(random: Random, costFactor: number): MetricInput {
  const window = windowOf(random, 30, 120);
  const rps = trafficPattern(random, window, logUniform(random, 5, 100));
  const meanRps = rps.reduce((sum, rate) => sum + rate, 0) / rps.length;
  const idle = uniform(random, 0.02, 0.1);
  const cost = (uniform(random, 0.7, 0.95) - idle) / meanRps; // cores per request/s at a limit of 1 core
  const cv = uniform(random, 0.02, 0.06);
  const phi = uniform(random, 0.3, 0.8);
  const side = (factor: number) =>
    podCpu(random, window, rps, idle, cost * factor, cv, phi).map((cores) =>
      cores >= 1 ? 100 * (1 - 0.002 * Math.abs(random.normal())) : 100 * cores,
    );
  return input(
    { name: 'cpu utilisation %', groups: ['system'], direction: 'increase' },
    side(1),
    side(costFactor),
    '100 * sum(rate(container_cpu_usage_seconds_total[1m])) / sum(kube_pod_container_resource_limits{resource="cpu"})',
  );
}

// ---------------------------------------------------------------- constant gauges, leaks

/**
 * A configuration gauge (worker pool size, `direction: decrease`): exactly constant on each side, with
 * 0–3 % of scrapes lost; the canary's pool is `factor` of the baseline's (rounded to whole workers).
 */
function constantGauge(random: Random, factor: [number, number] | 1): MetricInput {
  const window = windowOf(random, 30, 120);
  const size = choose(random, [4, 8, 10, 16, 20, 32, 50, 64, 100, 200]);
  const canarySize = factor === 1 ? size : Math.max(1, Math.round(size * uniform(random, factor[0], factor[1])));
  const lost = uniform(random, 0, 0.03);
  const side = (value: number) =>
    Array.from({ length: window.points }, () => (random.next() < lost ? Number.NaN : value));
  return input(
    { name: 'worker pool size', groups: ['system'], direction: 'decrease' },
    side(size),
    side(canarySize),
    'avg(executor_pool_max_threads)',
  );
}

/** Memory with a GC sawtooth over a short window (30–90 min); the canary leaks 5 % of its size per hour. */
function slowLeak(random: Random, percentPerHour: number): MetricInput {
  const window = windowOf(random, 30, 90);
  const hours = (window.points * window.stepSeconds) / 3600;
  return bytesMetric(random, window, (percentPerHour / 100) * hours);
}

// ---------------------------------------------------------------- families

/** The families, in the order they are generated and printed: healthy ones first, then regressions. */
export const HELDOUT3_FAMILIES: readonly HeldOutFamily[] = [
  {
    name: 'A/A cold start: first 10 % ×1.3–2, then equal',
    truth: 'no-change',
    generate: (r) => one(coldStart(r)),
  },
  { name: 'A/A one GC pause of 1–4 s on the canary', truth: 'no-change', generate: (r) => one(oneGcPause(r)) },
  { name: 'A/A five endpoints (mixed speeds)', truth: 'no-change', generate: (r) => one(mixedEndpoints(r, 1)) },
  { name: 'A/A rare errors (0.2–3 per side per window)', truth: 'no-change', generate: (r) => one(rareErrors(r)) },
  { name: 'A/A CPU % bounded at 100 (saturating)', truth: 'no-change', generate: (r) => one(saturatedCpu(r, 1)) },
  {
    name: 'A/A canary unscraped 5–20 min, 1–5 % lost',
    truth: 'no-change',
    generate: (r) => one(scrapeGaps(r, 1)),
  },
  {
    name: 'A/A constant gauge (zero variance)',
    truth: 'no-change',
    generate: (r) => one(constantGauge(r, 1)),
  },
  {
    name: 'A/A CPU: 1 canary pod vs avg of 10',
    truth: 'no-change',
    generate: (r) => one(cpuOnePodVersusTen(r, 1)),
  },
  {
    name: 'late regression: +30–60 % in the last 20 %',
    truth: 'regression',
    generate: (r) => one(lateRegression(r, [1.3, 1.6])),
  },
  {
    name: 'one endpoint of five ×2 slower',
    truth: 'regression',
    generate: (r) => one(mixedEndpoints(r, 2)),
  },
  {
    name: 'frequent GC pauses (0.3–1 s every 10–30 s)',
    truth: 'regression',
    generate: (r) => one(frequentPauses(r)),
  },
  {
    name: 'new rare failure: +10–30 canary errors',
    truth: 'regression',
    generate: (r) => one(rareErrors(r, [10, 30])),
  },
  {
    name: 'CPU % bounded at 100: cost +25 %',
    truth: 'regression',
    generate: (r) => one(saturatedCpu(r, 1.25)),
  },
  {
    name: 'canary unscraped 5–20 min: latency +25 %',
    truth: 'regression',
    generate: (r) => one(scrapeGaps(r, 1.25)),
  },
  {
    name: 'constant gauge: canary pool 50–80 %',
    truth: 'regression',
    generate: (r) => one(constantGauge(r, [0.5, 0.8])),
  },
  {
    name: 'CPU 1 pod vs avg of 10: cost +20 %',
    truth: 'regression',
    generate: (r) => one(cpuOnePodVersusTen(r, 1.2)),
  },
  { name: 'slow leak 5 %/hour (30–90 min)', truth: 'regression', generate: (r) => one(slowLeak(r, 5)) },
];

/** The runs of held-out set 3 (generateFamilyRuns). */
export function generateHeldOut3Runs(
  seed: number,
  perFamily: number,
  only: (family: string) => boolean = () => true,
): HeldOutRun[] {
  return generateFamilyRuns(HELDOUT3_FAMILIES, { offset: 301, multiplier: 0x9e3779b1 }, seed, perFamily, only);
}
