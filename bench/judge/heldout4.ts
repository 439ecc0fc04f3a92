// The fourth held-out set: production situations none of the earlier sets (production.ts, heldout2.ts,
// heldout3.ts) models, written before any change to the judge for them and judged as whole runs with a
// ground truth. As in the other sets, the series come from seeded simulators of the processes (requests,
// queues, caches, collectors, counters, scrapes), never from curves fitted to an answer; a regression is a
// change of the process, not of the judged numbers.
//
// What is new here:
// - a 12-metric template whose healthy noise is correlated within a side (one node's contention moves its
//   latency, CPU, in-flight requests and DB connections together), and an allocation regression that
//   shows as GC time, CPU and tail latency at once;
// - traffic that ramps ×2–3.5 through the window into a queue (latency grows non-linearly with load), and a
//   shared traffic peak into a worker pool (M/M/c), where a canary with fewer workers is slow only at the peak;
// - a canary whose cache fills and whose JIT compiles in its first minutes, across a 4-metric template;
// - a sparse error counter that does not exist until its first error (Prometheus creates the series then, and
//   `increase()` never sees that first error), read with `increase()`'s extrapolation;
// - one side whose scrapes time out at its busiest steps (the points lost are not random);
// - heavy-tailed (Pareto) latency with a timeout cap; bimodal latency (cache hits and misses) whose quantiles
//   sit between the modes; a canary rescheduled mid-window (gap, then a second warm-up);
// - a leak that starts in the second half of the window.
import type { MetricInput, Random } from '@isd/autopilot';
import {
  generateFamilyRuns,
  input,
  logUniform,
  sharedIncidents,
  errorCounts,
  windowOf,
  one,
  type HeldOutFamily,
  type HeldOutRun,
} from './heldout2';
import { endpointLatencySide } from './heldout3';
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
} from './production';

type Quantile = 'p50' | 'p90' | 'p99' | 'mean';
type Template = Omit<HeldOutRun, 'family' | 'truth'>;

const QUANTILE: Record<Exclude<Quantile, 'mean'>, number> = { p50: 0.5, p90: 0.9, p99: 0.99 };
/** Requests drawn one by one per step at most (for speed); the step's statistic comes from them. */
const MAX_DRAWN = 200;

/** The mean of a step's requests drawn one by one (at most MAX_DRAWN; NaN for none); their number goes to `counts`. */
function drawnMean(random: Random, requests: number, counts: number[], draw: () => number): number {
  const drawn = Math.min(poisson(random, requests), MAX_DRAWN);
  counts.push(drawn);
  if (drawn === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < drawn; i++) sum += draw();
  return sum / drawn;
}

function latencyQuery(stat: Quantile): string {
  return stat === 'mean'
    ? 'sum(rate(http_request_duration_seconds_sum[1m])) / sum(rate(http_request_duration_seconds_count[1m]))'
    : `histogram_quantile(${QUANTILE[stat]}, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))`;
}

function latencyInput(
  stat: Quantile,
  baseline: number[],
  canary: number[],
  counts?: { baseline: Array<number | null>; canary: Array<number | null> },
): MetricInput {
  const metric = input(
    { name: `latency ${stat}`, groups: ['latency'], direction: 'increase' },
    baseline,
    canary,
    latencyQuery(stat),
  );
  if (counts) {
    metric.baseline.requestCounts = counts.baseline;
    metric.canary.requestCounts = counts.canary;
  }
  return metric;
}

/** Cumulative bucket counts of `requests` Poisson requests whose latency has the CDF `cdf`. */
function bucketCountsFrom(random: Random, buckets: readonly number[], cdf: (x: number) => number, requests: number) {
  const cumulative: number[] = [];
  let previous = 0;
  let total = 0;
  for (const le of buckets) {
    const p = cdf(le);
    total += poisson(random, requests * Math.max(0, p - previous));
    cumulative.push(total);
    previous = Math.max(previous, p);
  }
  total += poisson(random, requests * (1 - previous));
  cumulative.push(total);
  return cumulative;
}

/** Cumulative bucket counts of latencies drawn one by one. */
function bucketsOf(buckets: readonly number[], latencies: readonly number[]): number[] {
  const perBucket = new Array<number>(buckets.length + 1).fill(0);
  for (const latency of latencies) {
    const index = buckets.findIndex((le) => latency <= le);
    perBucket[index < 0 ? buckets.length : index]!++;
  }
  let running = 0;
  return perBucket.map((count) => (running += count));
}

/**
 * One side's latency series from requests drawn one by one (`draw(t)`: one request's latency at step t):
 * per step Poisson requests at the side's rate, at most MAX_DRAWN of them drawn; the mean of those, or
 * the quantile histogram_quantile computes from their buckets. `counts` receives the requests used.
 */
function drawnLatencySide(
  random: Random,
  rps: readonly number[],
  stepSeconds: number,
  buckets: readonly number[],
  stat: Quantile,
  draw: (t: number) => number,
  counts: number[],
): number[] {
  return rps.map((rate, t) => {
    const drawn = Math.min(poisson(random, rate * stepSeconds), MAX_DRAWN);
    counts.push(drawn);
    if (drawn === 0) return Number.NaN;
    const latencies = Array.from({ length: drawn }, () => draw(t));
    if (stat === 'mean') return latencies.reduce((sum, latency) => sum + latency, 0) / drawn;
    return histogramQuantile(QUANTILE[stat], buckets, bucketsOf(buckets, latencies));
  });
}

const exponential = (random: Random, mean: number) => -mean * Math.log(1 - random.next());

// ---------------------------------------------------------------- a 12-metric template, correlated noise

/**
 * A whole template on one window, 12 metrics in four groups (latency 30 %, errors 30 %, saturation 20 %,
 * resources 20 %; every one-metric failure stops the run). Each side runs on its own node whose contention
 * (a slow AR(1) factor, 2–6 %, φ 0.85–0.98: noisy neighbours, CPU steal) scales that side's service time, so
 * its latency, CPU, in-flight requests and DB connections move together. Garbage collection pauses the side
 * `gcShare` of the time (requests arriving then wait) and costs CPU. `allocation` × the garbage per request
 * (2: a change that allocates twice as much: GC time ×2, CPU per request +20 %, pauses lengthen the tail).
 */
function correlatedTemplate(random: Random, allocation: number): Template {
  const window = windowOf(random, 30, 120);
  const perSideRps = logUniform(random, 10, 200);
  const rps = trafficPattern(random, window, perSideRps);
  const buckets = choose(random, BUCKET_LAYOUTS);
  const model = randomLatencyModel(random);
  const errorRate = logUniform(random, 0.0005, 0.005);
  const shared = sharedIncidents(random, window, 1);
  const idle = uniform(random, 0.05, 0.3);
  const computeCost = logUniform(random, 0.002, 0.01); // cores per request/s, without GC
  const gcCostShare = 0.2; // of the CPU per request at allocation 1
  const gcShare = uniform(random, 0.005, 0.02); // of the time paused at the mean rate, allocation 1
  const pauseSeconds = uniform(random, 0.02, 0.2);
  const contentionSd = uniform(random, 0.02, 0.06);
  const phi = uniform(random, 0.85, 0.98);
  const dbCallsPerRequest = uniform(random, 1, 6);
  const dbSeconds = logUniform(random, 0.002, 0.02);
  const resident = logUniform(random, 0.3, 4) * 2 ** 30;
  const heapLimit = resident * uniform(random, 0.05, 0.25);
  const garbagePerRequest = (heapLimit * uniform(random, 3, 40)) / rps.reduce((sum, rate) => sum + rate, 0);
  const meanLatency =
    model.medianSeconds *
    Math.exp((model.sigma * model.sigma) / 2) *
    (1 - model.slowShare + model.slowShare * model.slowFactor);

  const side = (garbage: number) => {
    const node = nodeFactor(random);
    let contention = random.normal();
    let heap = uniform(random, 0, heapLimit);
    const series = {
      p50: [] as number[],
      p90: [] as number[],
      p99: [] as number[],
      mean: [] as number[],
      requests: [] as number[],
      errorRatio: [] as number[],
      throughput: [] as number[],
      inFlight: [] as number[],
      dbConnections: [] as number[],
      dbCallsPerRequest: [] as number[],
      cpu: [] as number[],
      gcSecondsPerSecond: [] as number[],
      memory: [] as number[],
    };
    const { requests, errors } = errorCounts(random, window, rps, errorRate, shared, 1);
    rps.forEach((rate, t) => {
      contention = phi * contention + Math.sqrt(1 - phi * phi) * random.normal();
      const slowdown = node * Math.exp(contentionSd * contention);
      const load = 1 + 0.1 * (rate / perSideRps - 1);
      const n = requests[t]!;
      const served = n / window.stepSeconds;
      const paused = Math.min(0.5, gcShare * garbage * (rate / perSideRps) * (0.7 + 0.6 * random.next()));
      // One histogram per step gives the three quantiles; requests arriving in a pause wait out its rest.
      const cumulative = bucketCounts(random, buckets, model, slowdown * load, n * (1 - paused));
      const waited = Array.from({ length: poisson(random, n * paused) }, () => {
        const slow = random.next() < model.slowShare;
        const latency =
          model.medianSeconds *
          slowdown *
          load *
          (slow ? model.slowFactor : 1) *
          Math.exp(model.sigma * random.normal());
        return latency + pauseSeconds * random.next();
      });
      bucketsOf(buckets, waited).forEach((count, i) => (cumulative[i]! += count));
      for (const stat of ['p50', 'p90', 'p99'] as const)
        series[stat].push(histogramQuantile(QUANTILE[stat], buckets, cumulative));
      // `_sum / _count` over the same process (drawn apart, at most MAX_DRAWN requests).
      const drawn = Math.min(n, MAX_DRAWN);
      let sum = 0;
      for (let i = 0; i < drawn; i++) {
        const slow = random.next() < model.slowShare;
        sum +=
          model.medianSeconds *
            slowdown *
            load *
            (slow ? model.slowFactor : 1) *
            Math.exp(model.sigma * random.normal()) +
          (random.next() < paused ? pauseSeconds * random.next() : 0);
      }
      series.mean.push(drawn === 0 ? Number.NaN : sum / drawn);
      series.requests.push(drawn);
      series.errorRatio.push(n === 0 ? Number.NaN : errors[t]! / n);
      series.throughput.push(served);
      // Little's law: requests in flight = arrival rate × time in the system (an integer gauge).
      series.inFlight.push(poisson(random, rate * meanLatency * slowdown * load * (1 + paused)));
      series.dbConnections.push(poisson(random, rate * dbCallsPerRequest * dbSeconds * slowdown));
      const calls = poisson(random, n * dbCallsPerRequest);
      series.dbCallsPerRequest.push(n === 0 ? Number.NaN : calls / n);
      const cost = computeCost * (1 - gcCostShare + gcCostShare * garbage);
      series.cpu.push((idle + cost * served) * slowdown * (1 + 0.02 * random.normal()));
      series.gcSecondsPerSecond.push(paused);
      heap += garbagePerRequest * garbage * rate * (0.8 + 0.4 * random.next());
      if (heap >= heapLimit) heap = uniform(random, 0, 0.1) * heapLimit;
      series.memory.push(Math.round((resident + heap) * (1 + 0.002 * random.normal())));
    });
    return series;
  };
  const baseline = side(1);
  const canary = side(allocation);
  const metric = (
    key: Exclude<keyof typeof baseline, 'requests'>,
    name: string,
    group: string,
    query: string,
    direction = 'increase',
    critical = false,
  ) => input({ name, groups: [group], direction, critical }, baseline[key], canary[key], query);
  const latency = (stat: Quantile) => {
    const m = metric(stat, `latency ${stat}`, 'latency', latencyQuery(stat));
    m.baseline.requestCounts = baseline.requests;
    m.canary.requestCounts = canary.requests;
    return m;
  };
  return {
    metrics: [
      latency('p50'),
      latency('p90'),
      latency('p99'),
      latency('mean'),
      metric(
        'errorRatio',
        'error ratio',
        'errors',
        'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
        'increase',
        true,
      ),
      metric('throughput', 'throughput per pod', 'errors', 'sum(rate(http_requests_total[1m]))', 'decrease'),
      metric('inFlight', 'requests in flight', 'saturation', 'sum(http_requests_in_flight)'),
      metric('dbConnections', 'db connections in use', 'saturation', 'sum(hikaricp_connections_active)'),
      metric(
        'dbCallsPerRequest',
        'db calls per request',
        'saturation',
        'sum(rate(db_client_calls_total[1m])) / sum(rate(http_requests_total[1m]))',
      ),
      metric('cpu', 'cpu cores', 'resources', 'sum(rate(container_cpu_usage_seconds_total[1m]))'),
      metric(
        'gcSecondsPerSecond',
        'gc pause seconds per second',
        'resources',
        'sum(rate(jvm_gc_pause_seconds_sum[1m]))',
      ),
      metric('memory', 'memory bytes', 'resources', 'sum(container_memory_working_set_bytes)'),
    ],
    groupWeights: { latency: 30, errors: 30, saturation: 20, resources: 20 },
  };
}

// ---------------------------------------------------------------- queues under changing load

/** Mean time in an M/M/1 queue (exponential sojourn) of service time `serviceSeconds` at arrival `rate`. */
function mm1Sojourn(serviceSeconds: number, rate: number): number {
  const utilisation = Math.min(0.97, rate * serviceSeconds);
  return serviceSeconds / (1 - utilisation);
}

/** Exponential latencies of mean `mean(t)` as histogram buckets (p90) or their mean over the drawn requests. */
function exponentialLatencySide(
  random: Random,
  rps: readonly number[],
  stepSeconds: number,
  buckets: readonly number[],
  stat: 'p90' | 'mean',
  mean: (t: number) => number,
  counts: number[],
): number[] {
  return rps.map((rate, t) => {
    const m = mean(t);
    const requests = rate * stepSeconds;
    if (stat === 'mean') {
      return drawnMean(random, requests, counts, () => exponential(random, m));
    }
    const cumulative = bucketCountsFrom(random, buckets, (x) => 1 - Math.exp(-x / m), requests);
    counts.push(cumulative[buckets.length]!);
    return histogramQuantile(0.9, buckets, cumulative);
  });
}

/**
 * Traffic that ramps ×2–3.5 through the window (a morning ramp) into an M/M/1 queue per side: utilisation
 * rises from 0.15–0.35 to 0.5–0.7, so latency grows non-linearly and a node's ±2 % speed is amplified at
 * the end. The canary's service time ×`serviceFactor`. Judged on the mean or p90; with request counts.
 */
function rampQueue(random: Random, serviceFactor: number): MetricInput {
  const window = windowOf(random, 30, 120);
  const ramp = uniform(random, 1, 2.5);
  const endUtilisation = uniform(random, 0.5, 0.7);
  const serviceSeconds = logUniform(random, 0.005, 0.05);
  const perSideRps = endUtilisation / (1 + ramp) / serviceSeconds;
  const walk = trafficPattern(random, window, 1);
  const rps = walk.map((factor, t) => perSideRps * factor * (1 + (ramp * t) / (window.points - 1)));
  const buckets = choose(random, BUCKET_LAYOUTS);
  const stat = choose(random, ['p90', 'mean'] as const);
  const counts = { baseline: [] as number[], canary: [] as number[] };
  const side = (factor: number, sideCounts: number[]) => {
    const service = serviceSeconds * factor * nodeFactor(random);
    return exponentialLatencySide(
      random,
      rps,
      window.stepSeconds,
      buckets,
      stat,
      (t) => mm1Sojourn(service, rps[t]!),
      sideCounts,
    );
  };
  return latencyInput(stat, side(1, counts.baseline), side(serviceFactor, counts.canary), counts);
}

/** Erlang C: the probability that a request waits in an M/M/c queue with offered load `a` (< c). */
export function erlangC(servers: number, offered: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < servers; k++) {
    term *= offered / k;
    sum += term;
  }
  const last = ((term * offered) / servers) * (servers / (servers - offered));
  return last / (sum + last);
}

/**
 * A worker pool (M/M/c: c workers, exponential service) under a shared traffic peak: traffic ×1.8–2.5 for
 * 10–20 minutes (a push notification, a batch client), ramping in and out over 2 minutes; utilisation
 * 0.15–0.3 outside it. Each request's latency is its service plus, with the Erlang C probability, an
 * exponential wait. `canaryWorkers(c, peakLoad)` gives the canary's pool (c: the same as the baseline).
 */
function peakPool(random: Random, canaryWorkers: (workers: number, peakOffered: number) => number): MetricInput {
  const window = windowOf(random, 45, 120);
  const workers = random.integer(4, 16);
  const serviceSeconds = logUniform(random, 0.02, 0.2);
  const utilisation = uniform(random, 0.15, 0.3);
  const perSideRps = (utilisation * workers) / serviceSeconds;
  const peak = uniform(random, 1.8, 2.5);
  const stepsPerMinute = 60 / window.stepSeconds;
  const peakLength = uniform(random, 10, 20) * stepsPerMinute;
  const peakStart = uniform(random, 0.2, 0.6) * window.points;
  const edge = 2 * stepsPerMinute;
  const pattern = trafficPattern(random, window, 1);
  const rps = pattern.map((factor, t) => {
    const into = Math.min(1, Math.max(0, (t - peakStart) / edge), Math.max(0, (peakStart + peakLength - t) / edge));
    return perSideRps * factor * (1 + (peak - 1) * into);
  });
  const peakOffered = perSideRps * peak * serviceSeconds;
  const buckets = choose(random, BUCKET_LAYOUTS);
  const stat = choose(random, ['p90', 'mean'] as const);
  const counts = { baseline: [] as number[], canary: [] as number[] };
  const side = (servers: number, sideCounts: number[]) => {
    const service = serviceSeconds * nodeFactor(random);
    return drawnLatencySide(
      random,
      rps,
      window.stepSeconds,
      buckets,
      stat,
      (t) => {
        const offered = Math.min(0.97 * servers, rps[t]! * service);
        const waits = random.next() < erlangC(servers, offered);
        return exponential(random, service) + (waits ? exponential(random, service / (servers - offered)) : 0);
      },
      sideCounts,
    );
  };
  return latencyInput(
    stat,
    side(workers, counts.baseline),
    side(canaryWorkers(workers, peakOffered), counts.canary),
    counts,
  );
}

/** The canary's pool: the fewest workers that keep its utilisation at the peak at 0.8–0.95 (fewer than c). */
const undersizedPool = (random: Random) => (workers: number, peakOffered: number) => {
  const target = uniform(random, 0.8, 0.95);
  return Math.min(workers - 1, Math.max(1, Math.ceil(peakOffered / target)));
};

// ---------------------------------------------------------------- a cache that fills, a JIT that compiles

/**
 * A 4-metric template (cache hit ratio `decrease`, latency p90, DB queries per second, CPU cores; 25 % each).
 * Hits are served at the model's speed, misses go to the database (the model's slow path, ×4–20). The
 * baseline's cache is warm (hit ratio 0.7–0.95); the canary's starts empty and fills with a 2–6 minute time
 * constant, and its JIT burns +30–100 % CPU decaying over 1–4 minutes. `missFactor` × the canary's steady
 * miss share (a smaller cache, a changed key).
 */
function cacheWarmUp(random: Random, missFactor: number): Template {
  const window = windowOf(random, 45, 120);
  const perSideRps = logUniform(random, 5, 150);
  const rps = trafficPattern(random, window, perSideRps);
  const buckets = choose(random, BUCKET_LAYOUTS);
  const hit = uniform(random, 0.7, 0.95);
  const base = randomLatencyModel(random);
  const stepsPerMinute = 60 / window.stepSeconds;
  const fillSteps = uniform(random, 2, 6) * stepsPerMinute;
  const jit = uniform(random, 0.3, 1);
  const jitSteps = uniform(random, 1, 4) * stepsPerMinute;
  const idle = uniform(random, 0.05, 0.3);
  const cost = logUniform(random, 0.002, 0.01);
  const side = (hitAt: (t: number) => number, jitAt: (t: number) => number) => {
    const node = nodeFactor(random);
    const out = {
      hitRatio: [] as number[],
      p90: [] as number[],
      dbQps: [] as number[],
      cpu: [] as number[],
      requests: [] as number[],
    };
    rps.forEach((rate, t) => {
      const n = poisson(random, rate * window.stepSeconds);
      const h = hitAt(t);
      const hits = Math.min(n, poisson(random, n * h));
      out.hitRatio.push(n === 0 ? Number.NaN : hits / n);
      const model: LatencyModel = { ...base, slowShare: 1 - h };
      const cumulative = bucketCounts(random, buckets, model, node, n);
      out.p90.push(histogramQuantile(0.9, buckets, cumulative));
      out.requests.push(cumulative[buckets.length]!);
      out.dbQps.push((n - hits) / window.stepSeconds);
      out.cpu.push((idle + cost * (n / window.stepSeconds)) * node * jitAt(t) * (1 + 0.03 * random.normal()));
    });
    return out;
  };
  const baseline = side(
    () => hit,
    () => 1,
  );
  const canaryHit = 1 - (1 - hit) * missFactor;
  const canary = side(
    (t) => canaryHit * (1 - Math.exp(-t / fillSteps)),
    (t) => 1 + jit * Math.exp(-t / jitSteps),
  );
  const p90 = latencyInput('p90', baseline.p90, canary.p90, { baseline: baseline.requests, canary: canary.requests });
  return {
    metrics: [
      input(
        { name: 'cache hit ratio', groups: ['cache'], direction: 'decrease' },
        baseline.hitRatio,
        canary.hitRatio,
        'sum(rate(cache_hits_total[1m])) / sum(rate(cache_requests_total[1m]))',
      ),
      p90,
      input(
        { name: 'db queries per second', groups: ['db'], direction: 'increase' },
        baseline.dbQps,
        canary.dbQps,
        'sum(rate(db_queries_total[1m]))',
      ),
      input(
        { name: 'cpu cores', groups: ['system'], direction: 'increase' },
        baseline.cpu,
        canary.cpu,
        'sum(rate(container_cpu_usage_seconds_total[1m]))',
      ),
    ],
    groupWeights: { cache: 25, latency: 25, db: 25, system: 25 },
  };
}

// ---------------------------------------------------------------- a sparse counter that appears late

/**
 * `sum(increase(app_errors_total[r]))` of a counter scraped every 15 s that each side expects to count 5–40
 * times over the window (its errors per 15 s Poisson, following the traffic). The series does not exist
 * before the side's first error (Prometheus creates a labelled counter at its first increment, at 1), so
 * `increase()` never counts that first error; a side without any error has no series at all. r is 1 minute
 * (2 minutes at a 60 s step); `increase()` extrapolates the samples' span to the range, as Prometheus does
 * (×4/3 for four samples 45 s apart), and is empty until two samples exist. The canary's errors ×`factor`.
 */
function lateCounter(random: Random, factor: number): MetricInput {
  const window = windowOf(random, 30, 120);
  const scrape = 15;
  const rangeSeconds = window.stepSeconds === 60 ? 120 : 60;
  const seconds = window.points * window.stepSeconds;
  const walk = trafficPattern(random, { stepSeconds: scrape, points: Math.ceil(seconds / scrape) }, 1);
  const walkTotal = walk.reduce((sum, w) => sum + w, 0);
  const expected = uniform(random, 5, 40);
  const side = (f: number) => {
    // The counter's samples: absent until the first error.
    const samples: Array<{ time: number; value: number }> = [];
    let counter = 0;
    walk.forEach((w, i) => {
      counter += poisson(random, (expected * f * w) / walkTotal);
      if (counter > 0 && random.next() >= 0.01) samples.push({ time: i * scrape, value: counter });
    });
    const values = Array.from({ length: window.points }, (_, t) => {
      const end = t * window.stepSeconds;
      const inRange = samples.filter((s) => s.time > end - rangeSeconds && s.time <= end);
      if (inRange.length < 2) return Number.NaN;
      const first = inRange[0]!;
      const last = inRange[inRange.length - 1]!;
      return ((last.value - first.value) * rangeSeconds) / (last.time - first.time);
    });
    return { values, seriesCount: samples.length > 0 ? 1 : 0 };
  };
  const baseline = side(1);
  const canary = side(factor);
  const metric = input(
    { name: 'errors', groups: ['errors'], direction: 'increase' },
    baseline.values,
    canary.values,
    `sum(increase(app_errors_total[${rangeSeconds / 60}m]))`,
  );
  metric.baseline.seriesCount = baseline.seriesCount;
  metric.canary.seriesCount = canary.seriesCount;
  return metric;
}

// ---------------------------------------------------------------- scrapes lost at the busiest steps

/**
 * Queue latency (M/M/1, utilisation 0.4–0.65 on average) under the shared traffic pattern; one side's
 * scrapes time out at its busiest steps: of the steps in the top 5–15 % of traffic, 60–90 % are lost on
 * that side (the exporter answers late when the pod is busy), and 1 % of every side's scrapes are lost at
 * random. `lossy`: which side loses its busy steps. The canary's service time ×`serviceFactor`.
 */
function busyScrapesLost(random: Random, serviceFactor: number, lossy: 'baseline' | 'canary' | 'either'): MetricInput {
  const window = windowOf(random, 30, 120);
  const utilisation = uniform(random, 0.4, 0.65);
  const serviceSeconds = logUniform(random, 0.005, 0.05);
  const rps = trafficPattern(random, window, utilisation / serviceSeconds);
  const buckets = choose(random, BUCKET_LAYOUTS);
  const stat = choose(random, ['p90', 'mean'] as const);
  const counts = { baseline: [] as number[], canary: [] as number[] };
  const side = (factor: number, sideCounts: number[]) => {
    const service = serviceSeconds * factor * nodeFactor(random);
    return exponentialLatencySide(
      random,
      rps,
      window.stepSeconds,
      buckets,
      stat,
      (t) => mm1Sojourn(service, rps[t]!),
      sideCounts,
    );
  };
  const baseline = side(1, counts.baseline);
  const canary = side(serviceFactor, counts.canary);
  const busiest = uniform(random, 0.05, 0.15);
  const threshold = [...rps].sort((a, b) => b - a)[Math.floor(busiest * rps.length)]!;
  const lostShare = uniform(random, 0.6, 0.9);
  const loser = lossy === 'either' ? (random.next() < 0.5 ? 'baseline' : 'canary') : lossy;
  const lose = (values: number[], sideCounts: number[], busy: boolean) => {
    const lost = values.map(
      (_, t) => random.next() < 0.01 || (busy && rps[t]! >= threshold && random.next() < lostShare),
    );
    return {
      values: values.map((v, t) => (lost[t] ? Number.NaN : v)),
      counts: sideCounts.map((n, t) => (lost[t] ? null : n)),
    };
  };
  const b = lose(baseline, counts.baseline, loser === 'baseline');
  const c = lose(canary, counts.canary, loser === 'canary');
  return latencyInput(
    stat,
    b.values,
    c.values,
    random.next() < 0.5 ? { baseline: b.counts, canary: c.counts } : undefined,
  );
}

// ---------------------------------------------------------------- heavy tails, two modes

/**
 * Pareto latency (minimum 5–50 ms, tail index α 1.2–2.5: the mean of a few requests is dominated by the
 * slowest) cut at a 10–30 s timeout (a request that times out is recorded at the timeout), on both sides;
 * node ±2 % and load. Quantiles from histogram buckets, the mean from requests drawn one by one. The
 * canary's latency ×`factor`.
 */
function paretoLatency(random: Random, factor: number): MetricInput {
  const window = windowOf(random, 30, 120);
  const perSideRps = logUniform(random, 5, 100);
  const rps = trafficPattern(random, window, perSideRps);
  const minimum = logUniform(random, 0.005, 0.05);
  const alpha = uniform(random, 1.2, 2.5);
  const timeout = uniform(random, 10, 30);
  const buckets = choose(random, BUCKET_LAYOUTS);
  const stat = choose(random, ['p50', 'p90', 'p99', 'mean'] as const);
  const counts = { baseline: [] as number[], canary: [] as number[] };
  const side = (f: number, sideCounts: number[]) => {
    const node = nodeFactor(random);
    return rps.map((rate) => {
      const scale = minimum * f * node * (1 + 0.1 * (rate / perSideRps - 1));
      const requests = rate * window.stepSeconds;
      if (stat === 'mean') {
        return drawnMean(random, requests, sideCounts, () =>
          Math.min(timeout, scale * (1 - random.next()) ** (-1 / alpha)),
        );
      }
      const cdf = (x: number) => (x >= timeout ? 1 : x <= scale ? 0 : 1 - (scale / x) ** alpha);
      const cumulative = bucketCountsFrom(random, buckets, cdf, requests);
      sideCounts.push(cumulative[buckets.length]!);
      return histogramQuantile(QUANTILE[stat], buckets, cumulative);
    });
  };
  return latencyInput(stat, side(1, counts.baseline), side(factor, counts.canary), counts);
}

/**
 * Bimodal latency on both sides: cache hits at the model's speed, misses ×10–50 slower; the miss share (5–40 %)
 * follows a slow walk both sides share (the key mix of the traffic), so a quantile near the share of misses
 * jumps between the modes. Judged on p50, p90, p99 or the mean.
 */
function bimodalShared(random: Random): MetricInput {
  const window = windowOf(random, 30, 120);
  const perSideRps = logUniform(random, 5, 100);
  const rps = trafficPattern(random, window, perSideRps);
  const base = randomLatencyModel(random);
  const missFactor = uniform(random, 10, 50);
  const missShare = uniform(random, 0.05, 0.4);
  const mix = trafficPattern(random, window, 1);
  const buckets = choose(random, BUCKET_LAYOUTS);
  const stat = choose(random, ['p50', 'p90', 'p99', 'mean'] as const);
  const counts = { baseline: [] as number[], canary: [] as number[] };
  // The shared miss share per step: the two sides see the same key mix.
  const node = { baseline: nodeFactor(random), canary: nodeFactor(random) };
  const bimodalSide = (which: 'baseline' | 'canary', sideCounts: number[]) =>
    rps.map((rate, t) => {
      const share = Math.min(0.9, missShare * mix[t]!);
      const model: LatencyModel = { ...base, slowShare: share, slowFactor: missFactor };
      const requests = rate * window.stepSeconds;
      if (stat === 'mean') {
        return drawnMean(
          random,
          requests,
          sideCounts,
          () =>
            base.medianSeconds *
            node[which] *
            (random.next() < share ? missFactor : 1) *
            Math.exp(base.sigma * random.normal()),
        );
      }
      const cumulative = bucketCounts(random, buckets, model, node[which], requests);
      sideCounts.push(cumulative[buckets.length]!);
      return histogramQuantile(QUANTILE[stat], buckets, cumulative);
    });
  return latencyInput(stat, bimodalSide('baseline', counts.baseline), bimodalSide('canary', counts.canary), counts);
}

/**
 * One bad endpoint on the canary: 8–20 % of its requests time out once and retry (+0.3–2 s, spread ±25 %),
 * a second mode far above the body; the baseline is the plain latency model. Judged on p90, p99 or the mean.
 */
function retriedRequests(random: Random): MetricInput {
  const window = windowOf(random, 30, 120);
  const perSideRps = logUniform(random, 5, 100);
  const rps = trafficPattern(random, window, perSideRps);
  const model = randomLatencyModel(random);
  const share = uniform(random, 0.08, 0.2);
  const retrySeconds = uniform(random, 0.3, 2);
  const buckets = choose(random, BUCKET_LAYOUTS);
  const stat = choose(random, ['p90', 'p99', 'mean'] as const);
  const counts = { baseline: [] as number[], canary: [] as number[] };
  const side = (retried: number, sideCounts: number[]) => {
    const node = nodeFactor(random);
    return rps.map((rate) => {
      const load = 1 + 0.1 * (rate / perSideRps - 1);
      // One request: its own latency, plus the timeout and retry for `retried` of them.
      const draw = (retries: boolean) => {
        const slow = random.next() < model.slowShare;
        const own =
          model.medianSeconds * node * load * (slow ? model.slowFactor : 1) * Math.exp(model.sigma * random.normal());
        return own + (retries ? retrySeconds * Math.exp(0.25 * random.normal()) : 0);
      };
      const requests = rate * window.stepSeconds;
      if (stat === 'mean') {
        return drawnMean(random, requests, sideCounts, () => draw(random.next() < retried));
      }
      const cumulative = bucketCounts(random, buckets, model, node * load, requests * (1 - retried));
      // The retried requests drawn one by one (at most MAX_DRAWN, their buckets scaled up to all of them).
      const retriedCount = retried > 0 ? poisson(random, requests * retried) : 0;
      const drawn = Math.min(retriedCount, MAX_DRAWN);
      if (drawn > 0) {
        const scale = retriedCount / drawn;
        const slow = bucketsOf(
          buckets,
          Array.from({ length: drawn }, () => draw(true)),
        );
        slow.forEach((count, i) => (cumulative[i]! += Math.round(count * scale)));
      }
      sideCounts.push(cumulative[buckets.length]!);
      return histogramQuantile(QUANTILE[stat], buckets, cumulative);
    });
  };
  return latencyInput(stat, side(0, counts.baseline), side(share, counts.canary), counts);
}

// ---------------------------------------------------------------- a pod rescheduled, a late leak

/**
 * A healthy canary pod rescheduled once (a node drain) at 30–70 % of the window: unscraped for 1–3 minutes,
 * then a fresh process, ×1.5–3 slower decaying with a 1–3 minute time constant. Judged on p50, p90 or the
 * mean; half the runs with request counts.
 */
function rescheduledCanary(random: Random): MetricInput {
  const window = windowOf(random, 30, 120);
  const perSideRps = logUniform(random, 5, 100);
  const rps = trafficPattern(random, window, perSideRps);
  const model = randomLatencyModel(random);
  const buckets = choose(random, BUCKET_LAYOUTS);
  const stat = choose(random, ['p50', 'p90', 'mean'] as const);
  const stepsPerMinute = 60 / window.stepSeconds;
  const at = Math.round(uniform(random, 0.3, 0.7) * window.points);
  const gap = Math.max(1, Math.round(uniform(random, 1, 3) * stepsPerMinute));
  const extra = uniform(random, 0.5, 2);
  const tau = uniform(random, 1, 3) * stepsPerMinute;
  const load = rps.map((rate) => 1 + 0.1 * (rate / perSideRps - 1));
  const endpoints = [{ model, share: 1 }];
  const counts = { baseline: [] as number[], canary: [] as number[] };
  const side = (warm: (t: number) => number, sideCounts: number[]) => {
    const node = nodeFactor(random);
    return endpointLatencySide(
      random,
      rps,
      window.stepSeconds,
      endpoints,
      buckets,
      stat,
      (t) => ({ scales: [node * load[t]! * warm(t)], pauseSeconds: 0, pauseShare: 0 }),
      sideCounts,
    );
  };
  const baseline = side(() => 1, counts.baseline);
  const canary = side((t) => (t < at + gap ? 1 : 1 + extra * Math.exp(-(t - at - gap) / tau)), counts.canary);
  const down = (t: number) => t >= at && t < at + gap;
  return latencyInput(
    stat,
    baseline,
    canary.map((v, t) => (down(t) ? Number.NaN : v)),
    random.next() < 0.5
      ? { baseline: counts.baseline, canary: counts.canary.map((n, t) => (down(t) ? null : n)) }
      : undefined,
  );
}

/**
 * Memory bytes (resident 0.5–8 GiB, a GC sawtooth driven by traffic, heap 5–25 % of resident) on both sides;
 * the canary leaks from `from` of the window on (0.5–0.75: a code path only later traffic reaches, a cache
 * without eviction filling), reaching `leakShare` of the resident size at the end.
 */
function lateLeak(random: Random, leakShare: number): MetricInput {
  const window = windowOf(random, 30, 120);
  const rps = trafficPattern(random, window, logUniform(random, 2, 200));
  const resident = logUniform(random, 0.5, 8) * 2 ** 30;
  const heapLimit = resident * uniform(random, 0.05, 0.25);
  const perRequest = (heapLimit * uniform(random, 3, 40)) / rps.reduce((sum, r) => sum + r, 0);
  const from = Math.round(uniform(random, 0.5, 0.75) * window.points);
  const side = (leak: number) => {
    const node = nodeFactor(random);
    let heap = uniform(random, 0, heapLimit);
    return rps.map((rate, t) => {
      heap += perRequest * rate * (0.8 + 0.4 * random.next());
      if (heap >= heapLimit) heap = uniform(random, 0, 0.1) * heapLimit;
      const leaked = t < from ? 0 : (leak * resident * (t - from)) / Math.max(1, window.points - 1 - from);
      return Math.round((resident * node + heap + leaked) * (1 + 0.002 * random.normal()));
    });
  };
  return input(
    { name: 'memory bytes', groups: ['system'], direction: 'increase' },
    side(0),
    side(leakShare),
    'sum(container_memory_working_set_bytes)',
  );
}

// ---------------------------------------------------------------- families

/** The families, in the order they are generated and printed: healthy ones first, then regressions. */
export const HELDOUT4_FAMILIES: readonly HeldOutFamily[] = [
  {
    name: 'A/A 12-metric template, correlated noise per side',
    truth: 'no-change',
    generate: (r) => correlatedTemplate(r, 1),
  },
  { name: 'A/A traffic ramp ×2–3.5 into a queue', truth: 'no-change', generate: (r) => one(rampQueue(r, 1)) },
  { name: 'A/A canary cache fill + JIT warm-up (4 metrics)', truth: 'no-change', generate: (r) => cacheWarmUp(r, 1) },
  {
    name: 'A/A sparse counter absent until its first error',
    truth: 'no-change',
    generate: (r) => one(lateCounter(r, 1)),
  },
  {
    name: 'A/A one side loses its busiest scrapes',
    truth: 'no-change',
    generate: (r) => one(busyScrapesLost(r, 1, 'either')),
  },
  {
    name: 'A/A Pareto latency (α 1.2–2.5, timeout cap)',
    truth: 'no-change',
    generate: (r) => one(paretoLatency(r, 1)),
  },
  {
    name: 'A/A canary rescheduled mid-window (gap, warm-up)',
    truth: 'no-change',
    generate: (r) => one(rescheduledCanary(r)),
  },
  {
    name: 'A/A shared traffic peak ×1.8–2.5 (worker pool)',
    truth: 'no-change',
    generate: (r) => one(peakPool(r, (workers) => workers)),
  },
  { name: 'A/A bimodal latency, shared miss share', truth: 'no-change', generate: (r) => one(bimodalShared(r)) },
  {
    name: '12-metric template: allocation ×2 (GC time ×2)',
    truth: 'regression',
    generate: (r) => correlatedTemplate(r, 2),
  },
  { name: 'traffic ramp: canary service time +8 %', truth: 'regression', generate: (r) => one(rampQueue(r, 1.08)) },
  {
    name: 'cache warm-up, canary misses ×1.6–2.5 after',
    truth: 'regression',
    generate: (r) => cacheWarmUp(r, uniform(r, 1.6, 2.5)),
  },
  { name: 'sparse counter: canary errors ×3', truth: 'regression', generate: (r) => one(lateCounter(r, 3)) },
  {
    name: 'canary loses busiest scrapes, service +15 %',
    truth: 'regression',
    generate: (r) => one(busyScrapesLost(r, 1.15, 'canary')),
  },
  { name: 'Pareto latency: canary ×1.25', truth: 'regression', generate: (r) => one(paretoLatency(r, 1.25)) },
  {
    name: 'leak from 50–75 % of the window (+8–20 %)',
    truth: 'regression',
    generate: (r) => one(lateLeak(r, uniform(r, 0.08, 0.2))),
  },
  {
    name: 'peak only: canary pool too small for the peak',
    truth: 'regression',
    generate: (r) => one(peakPool(r, undersizedPool(r))),
  },
  {
    name: 'bimodal canary: 8–20 % retried (+0.3–2 s)',
    truth: 'regression',
    generate: (r) => one(retriedRequests(r)),
  },
];

/** The runs of held-out set 4 (generateFamilyRuns). */
export function generateHeldOut4Runs(
  seed: number,
  perFamily: number,
  only: (family: string) => boolean = () => true,
): HeldOutRun[] {
  return generateFamilyRuns(HELDOUT4_FAMILIES, { offset: 401, multiplier: 0xc2b2ae35 }, seed, perFamily, only);
}
