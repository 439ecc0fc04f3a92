// `npm run bench:judge:split`: the isd judge under an unequal traffic split with and without each side's
// request counts (decision 176), on what the main bench (`npm run bench:judge`) does not hold: a small
// canary whose own process varies more from step to step (each step's latency × LogNormal(0, σ)), the
// price of reading all of the baseline's residual variance as sampling noise. The A/A split and the +20 %
// family are the held-out set's own, repeated here from this script's random streams for comparison.
// Then an error ratio under the same split (A/A, bursty A/A, ×2, ×5, new errors), judged by `isd` with and
// without counts and by `kayenta`: the event-count test per request (decision 181). BENCH_ONLY=errors runs
// only those.
import {
  createIsdJudge,
  createKayentaJudge,
  createRandom,
  type Judge,
  type MetricInput,
  type MetricSeries,
  type Random,
} from '@isd/autopilot';
import { splitErrorRatio, splitLatency, type LatencyAt, type SplitErrorChange } from './heldout2';

const THRESHOLDS = { pass: 95, marginal: 75 };

/** Stops (fail or marginal) of one run's single metric, judged with and without its request counts. */
export function judgeSplitRun(judge: Judge, metric: MetricInput): { withCounts: boolean; withoutCounts: boolean } {
  const strip = ({ requestCounts: _dropped, ...side }: MetricSeries): MetricSeries => side;
  const stops = (m: MetricInput) =>
    judge.judge({ metrics: [m], groupWeights: {}, thresholds: THRESHOLDS }).classification !== 'pass';
  return {
    withCounts: stops(metric),
    withoutCounts: stops({ ...metric, baseline: strip(metric.baseline), canary: strip(metric.canary) }),
  };
}

/** A canary whose own process varies more: each step's latency × a log-normal factor. */
export const unstableCanary = (sigma: number, random: Random) => (): LatencyAt => {
  const factor = Math.exp(sigma * random.normal());
  return { body: factor, slow: factor };
};

function main(): void {
  const seed = Number(process.env.BENCH_SEED ?? 20261122);
  const runs = Number(process.env.BENCH_PER_FAMILY ?? 200);
  const judge = createIsdJudge();
  const pct = (count: number) => `${((100 * count) / runs).toFixed(1)} %`;
  const families: Array<[string, (random: Random) => number | ((t: number) => LatencyAt)]> = [
    ['A/A unequal split', () => 1],
    ['unequal split, latency +20 %', () => 1.2],
    ['unequal split, canary per-step ×LogNormal(0, 0.1)', (r) => unstableCanary(0.1, r)],
    ['unequal split, canary per-step ×LogNormal(0, 0.2)', (r) => unstableCanary(0.2, r)],
  ];
  console.log(`seed ${seed}, ${runs} runs per family: stops of the isd judge without → with request counts`);
  const summary: Record<string, { withoutCounts: number; withCounts: number }> = {};
  // BENCH_ONLY=errors runs only the error-ratio families below.
  const latencyFamilies = process.env.BENCH_ONLY === 'errors' ? [] : families;
  latencyFamilies.forEach(([name, change], index) => {
    const random = createRandom((seed ^ Math.imul(index + 301, 0x85ebca6b)) >>> 0);
    let withCounts = 0;
    let withoutCounts = 0;
    for (let i = 0; i < runs; i++) {
      const stops = judgeSplitRun(judge, splitLatency(random, change(random)).metrics[0]!);
      if (stops.withCounts) withCounts++;
      if (stops.withoutCounts) withoutCounts++;
    }
    summary[name] = { withoutCounts: withoutCounts / runs, withCounts: withCounts / runs };
    console.log(`${name.padEnd(52)} ${pct(withoutCounts).padStart(7)} → ${pct(withCounts).padStart(7)}`);
  });
  // The error ratio under the same split, judged by the event-count test's inputs (decision 181).
  const errorFamilies: Array<[string, SplitErrorChange]> = [
    ['A/A error ratio, unequal split', { factor: 1 }],
    ['A/A error ratio, unequal split, bursty errors', { factor: 1, bursty: true }],
    ['error ratio ×2, unequal split', { factor: 2 }],
    ['error ratio ×2, unequal split, bursty', { factor: 2, bursty: true }],
    ['error ratio ×5, unequal split', { factor: 5 }],
    ['error ratio ×5, unequal split, bursty', { factor: 5, bursty: true }],
    ['new errors (baseline none), unequal split', { factor: 1, newErrors: true }],
  ];
  const kayenta = createKayentaJudge();
  console.log(`\nerror ratio, unequal split: stops of isd without → with request counts; kayenta`);
  const errors: Record<string, { withoutCounts: number; withCounts: number; kayenta: number }> = {};
  errorFamilies.forEach(([name, change], index) => {
    const random = createRandom((seed ^ Math.imul(index + 401, 0x85ebca6b)) >>> 0);
    const counts = { withCounts: 0, withoutCounts: 0, kayenta: 0 };
    for (let i = 0; i < runs; i++) {
      const metric = splitErrorRatio(random, change).metrics[0]!;
      const stops = judgeSplitRun(judge, metric);
      if (stops.withCounts) counts.withCounts++;
      if (stops.withoutCounts) counts.withoutCounts++;
      if (judgeSplitRun(kayenta, metric).withCounts) counts.kayenta++;
    }
    errors[name] = {
      withoutCounts: counts.withoutCounts / runs,
      withCounts: counts.withCounts / runs,
      kayenta: counts.kayenta / runs,
    };
    console.log(
      `${name.padEnd(52)} ${pct(counts.withoutCounts).padStart(7)} → ${pct(counts.withCounts).padStart(7)}; kayenta ${pct(counts.kayenta).padStart(7)}`,
    );
  });
  console.log(JSON.stringify({ latency: summary, errorRatio: errors }));
}

if (require.main === module) main();
