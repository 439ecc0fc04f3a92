// `npm run bench:judge:calibration`: how often the isd judge's tests reject on healthy A/A pairs whose
// noise is AR(1) (decision 255). Each cell judges RUNS pairs of one metric, both sides unit AR(1) noise
// with coefficient φ over n points (level 100, 5 % noise), and counts each test's p-value below LEVEL:
// a calibrated test rejects about LEVEL of the time. The verdict column is the share of runs that do not
// pass (the practical margin included). LEVEL (0.01), RUNS (300), PHIS and NS (comma lists) override.
import { classifyIsdMetric, createRandom, normalizeMetricConfig, type Random } from '@isd/autopilot';

const level = Number(process.env.LEVEL ?? 0.01);
const runs = Number(process.env.RUNS ?? 300);
const list = (value: string | undefined, fallback: string) => (value ?? fallback).split(',').map(Number);
const phis = list(process.env.PHIS, '0,0.5,0.8,0.9,0.95,0.98');
const lengths = list(process.env.NS, '20,30,60,120,200');
const config = normalizeMetricConfig({ name: 'm', groups: ['g'], direction: 'either' });

function ar1(random: Random, phi: number, n: number): number[] {
  let value = random.normal();
  return Array.from({ length: n }, () => (value = phi * value + Math.sqrt(1 - phi * phi) * random.normal()));
}

const percent = (count: number, total: number) =>
  total === 0 ? '    –' : ((100 * count) / total).toFixed(1).padStart(5);
console.log(`share of ${runs} A/A runs per cell with p < ${level} (%), mean autocorrelation used, share not passing`);
console.log('   φ     n  Welch    MW  drift  last third   ρ used  not pass');
for (const phi of phis)
  for (const n of lengths) {
    const random = createRandom(1000 + Math.round(phi * 100) * 7 + n);
    const count = { welch: 0, mannWhitney: 0, drift: 0, recent: 0, recentJudged: 0, notPass: 0, rho: 0 };
    for (let i = 0; i < runs; i++) {
      const [baseline, canary] = [0, 1].map(() => ar1(random, phi, n).map((v) => 100 * (1 + 0.05 * v)));
      const result = classifyIsdMetric({ config, canary: { values: canary! }, baseline: { values: baseline! } });
      const { numbers } = result;
      if ((numbers.welchP ?? 1) < level) count.welch++;
      if ((numbers.mannWhitneyP ?? 1) < level) count.mannWhitney++;
      if ((numbers.driftP ?? 1) < level) count.drift++;
      if (numbers.recentMannWhitneyP !== undefined) {
        count.recentJudged++;
        if (numbers.recentMannWhitneyP < level) count.recent++;
      }
      if (result.classification !== 'Pass') count.notPass++;
      count.rho += numbers.autocorrelation ?? 0;
    }
    console.log(
      `${phi.toFixed(2)} ${String(n).padStart(5)}  ${percent(count.welch, runs)} ${percent(count.mannWhitney, runs)}  ${percent(count.drift, runs)}       ${percent(count.recent, count.recentJudged)}     ${(count.rho / runs).toFixed(2)}     ${percent(count.notPass, runs)}`,
    );
  }
