// `npm run bench:judge:split`: the isd judge under an unequal traffic split with and without each side's
// request counts (decision 176), on what the main bench (`npm run bench:judge`) does not hold: a small
// canary whose own process varies more from step to step (each step's latency × LogNormal(0, σ)), the
// price of reading all of the baseline's residual variance as sampling noise. The A/A split and the +20 %
// family are the held-out set's own, repeated here from this script's random streams for comparison.
import {
  createIsdJudge,
  createRandom,
  type Judge,
  type MetricInput,
  type MetricSeries,
  type Random,
} from '@isd/autopilot';
import { splitLatency, type LatencyAt } from './heldout2';

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
  families.forEach(([name, change], index) => {
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
  console.log(JSON.stringify(summary));
}

if (require.main === module) main();
