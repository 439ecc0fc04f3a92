// `npx tsx --tsconfig tsconfig.tests.json bench/judge/split-counts.ts`: the evidence behind decision 176
// (the isd judge under an unequal traffic split). It measures, on the held-out unequal-split runs, what
// the spread test would decide if it received each side's per-step request counts (a `_count` query):
// the shared-pattern residuals scaled by √(requests per step), so that the sampling noise of a per-step
// mean or quantile (variance ∝ 1 / requests) weighs the same on both sides. The judge itself does not
// receive counts yet; this is the prototype of the test the decision describes, not a second judge.
import {
  brownForsythe,
  createIsdJudge,
  createRandom,
  kolmogorovSmirnovPValue,
  median,
  mean,
  normalCdf,
  percentileSorted,
  sortAscending,
  type MetricInput,
  type Random,
} from '@isd/autopilot';
import { requestCountsOf, splitLatency, type LatencyAt, type RequestCounts } from './heldout2';

/** The spread decision of the isd judge's rule (level, ratio ≥ 1.2) on count-scaled residuals. */
export interface CountScaledSpread {
  spreadRatio: number;
  pValue: number;
  regression: boolean;
}

const ALPHA = 0.001;
const MINIMUM_SPREAD_RATIO = 1.2;

/**
 * Each side minus the centred moving average of the two sides' pointwise mean (the judge's shared
 * pattern), times √(requests at that step). Under pure sampling noise the scaled residuals have the same
 * spread on both sides whatever the split; a canary whose process varies more still shows more.
 */
export function countScaledSpread(
  baseline: ReadonlyArray<number>,
  canary: ReadonlyArray<number>,
  counts: RequestCounts,
): CountScaledSpread | undefined {
  const n = baseline.length;
  if (n !== canary.length || counts.baseline.length !== n || counts.canary.length !== n || n < 30) return undefined;
  const pointwise = baseline.map((b, t) => {
    const c = canary[t]!;
    if (Number.isNaN(b)) return c;
    return Number.isNaN(c) ? b : (b + c) / 2;
  });
  const half = Math.max(5, Math.round(n / 30));
  const trend = (t: number) => {
    const window = pointwise.slice(Math.max(0, t - half), Math.min(n, t + half + 1)).filter((v) => !Number.isNaN(v));
    return window.length === 0 ? Number.NaN : mean(window);
  };
  const scaled = (values: ReadonlyArray<number>, requests: readonly number[]) =>
    values
      .map((value, t) => (value - trend(t)) * Math.sqrt(requests[t]!))
      .filter((value, t) => Number.isFinite(value) && requests[t]! > 0);
  const b = scaled(baseline, counts.baseline);
  const c = scaled(canary, counts.canary);
  if (b.length < 2 || c.length < 2) return undefined;
  return compareSpread(b, c);
}

/** Variance per unit of 1 / requests of the baseline's count-scaled residuals (all of it read as sampling). */
export function samplingVariancePerRequest(baseline: ReadonlyArray<number>, counts: readonly number[]): number {
  const n = baseline.length;
  const half = Math.max(5, Math.round(n / 30));
  const z: number[] = [];
  for (let t = 0; t < n; t++) {
    const window = baseline.slice(Math.max(0, t - half), Math.min(n, t + half + 1)).filter((v) => !Number.isNaN(v));
    if (Number.isNaN(baseline[t]!) || counts[t]! === 0 || window.length === 0) continue;
    z.push((baseline[t]! - mean(window)) * Math.sqrt(counts[t]!));
  }
  return mean(z.map((value) => value * value));
}

/** The isd upper-shape decision (KS D ≥ 0.2 at p < 0.001, P75/90/95 up ≥ 10 %) against a noise-matched baseline. */
export function countMatchedShapeUp(
  baseline: ReadonlyArray<number>,
  canary: ReadonlyArray<number>,
  counts: RequestCounts,
): { d: number; pValue: number; tailUp: number; regression: boolean } | undefined {
  const kappa = samplingVariancePerRequest(baseline, counts.baseline);
  // Each baseline step as the canary would have measured it: the same value plus the extra sampling
  // noise of the canary's fewer requests at that step (a normal kernel; none when the canary had more).
  const kernels: Array<[number, number]> = [];
  baseline.forEach((value, t) => {
    const nb = counts.baseline[t]!;
    const nc = counts.canary[t]!;
    if (Number.isNaN(value) || nb === 0) return;
    const extra = nc > 0 ? Math.max(0, kappa * (1 / nc - 1 / nb)) : 0;
    kernels.push([value, Math.sqrt(extra)]);
  });
  const c = sortAscending(canary.filter((value) => !Number.isNaN(value)));
  if (kernels.length < 30 || c.length < 30) return undefined;
  const cdf = (x: number) =>
    mean(kernels.map(([center, sd]) => (sd === 0 ? (x >= center ? 1 : 0) : normalCdf((x - center) / sd))));
  let d = 0;
  c.forEach((x, i) => {
    d = Math.max(d, cdf(x - 1e-12) - i / c.length);
  });
  const quantile = (q: number) => {
    let low = Math.min(...kernels.map(([center, sd]) => center - 10 * sd));
    let high = Math.max(...kernels.map(([center, sd]) => center + 10 * sd));
    for (let i = 0; i < 60; i++) {
      const middle = (low + high) / 2;
      if (cdf(middle) < q) low = middle;
      else high = middle;
    }
    return (low + high) / 2;
  };
  const tailUp = Math.max(
    ...[75, 90, 95].map((p) => {
      const b = quantile(p / 100);
      return (percentileSorted(c, p) - b) / Math.abs(b);
    }),
  );
  const pValue = kolmogorovSmirnovPValue(d, kernels.length, c.length, 'greater');
  return { d, pValue, tailUp, regression: pValue < ALPHA && d >= 0.2 && tailUp >= 0.1 };
}

function compareSpread(b: number[], c: number[]): CountScaledSpread {
  const mad = (values: number[]) => {
    const center = median(values);
    return mean(values.map((value) => Math.abs(value - center)));
  };
  const spreadRatio = mad(c) / mad(b);
  const pValue = brownForsythe(c, b).pValue;
  return { spreadRatio, pValue, regression: pValue < ALPHA && spreadRatio >= MINIMUM_SPREAD_RATIO };
}

interface Tally {
  runs: number;
  judgeStops: number;
  spreadOnlyStops: number;
  countedStops: number;
  countedBothStops: number;
}

/** Judges `runs` split runs and counts the stops with the spread test as it is and count-scaled. */
function measure(random: Random, runs: number, change: number | ((t: number) => LatencyAt)): Tally {
  const judge = createIsdJudge();
  const tally: Tally = { runs, judgeStops: 0, spreadOnlyStops: 0, countedStops: 0, countedBothStops: 0 };
  for (let i = 0; i < runs; i++) {
    const metric: MetricInput = splitLatency(random, change).metrics[0]!;
    const result = judge.judge({ metrics: [metric], groupWeights: {}, thresholds: { pass: 95, marginal: 75 } });
    const findings = result.metrics[0]!.findings.filter((finding) => finding.regression).map((f) => f.test);
    const others = findings.filter((test) => test !== 'spread');
    if (result.classification !== 'pass') tally.judgeStops++;
    if (findings.length > 0 && others.length === 0) tally.spreadOnlyStops++;
    const counted = countScaledSpread(
      metric.baseline.values as number[],
      metric.canary.values as number[],
      requestCountsOf(metric)!,
    );
    if (others.length > 0 || counted?.regression) tally.countedStops++;
    const shape = countMatchedShapeUp(
      metric.baseline.values as number[],
      metric.canary.values as number[],
      requestCountsOf(metric)!,
    );
    const rest = others.filter((test) => test !== 'shape-up');
    const shapeUp = shape ? shape.regression : findings.includes('shape-up');
    if (rest.length > 0 || counted?.regression || shapeUp) tally.countedBothStops++;
  }
  return tally;
}

function main(): void {
  const seed = Number(process.env.BENCH_SEED ?? 20261122);
  const runs = Number(process.env.BENCH_PER_FAMILY ?? 200);
  const pct = (count: number, total: number) => `${((100 * count) / total).toFixed(1)} %`;
  // A canary whose own process varies more: each step's latency × a log-normal factor (σ 0.1 / 0.2).
  const unstable = (sigma: number, random: Random) => () => {
    const factor = Math.exp(sigma * random.normal());
    return { body: factor, slow: factor };
  };
  const families: Array<[string, (random: Random) => Tally]> = [
    ['A/A unequal split', (r) => measure(r, runs, 1)],
    ['unequal split, latency +20 %', (r) => measure(r, runs, 1.2)],
    ['unequal split, canary per-step ×LogNormal(0, 0.1)', (r) => measure(r, runs, unstable(0.1, r))],
    ['unequal split, canary per-step ×LogNormal(0, 0.2)', (r) => measure(r, runs, unstable(0.2, r))],
  ];
  console.log(`seed ${seed}, ${runs} runs per family: stops of the isd judge, and with a count-scaled spread test`);
  families.forEach(([name, run], index) => {
    const t = run(createRandom((seed ^ Math.imul(index + 301, 0x85ebca6b)) >>> 0));
    console.log(
      `${name.padEnd(52)} isd ${pct(t.judgeStops, t.runs).padStart(7)} (spread alone ${pct(t.spreadOnlyStops, t.runs).padStart(7)})  count-scaled spread ${pct(t.countedStops, t.runs).padStart(7)}, and shape ${pct(t.countedBothStops, t.runs).padStart(7)}`,
    );
  });
}

if (require.main === module) main();
