// The production scenario simulators are deterministic, compute quantiles as Prometheus does, and their
// labels mean what they say.
import { mean } from '@isd/autopilot';
import { generateProductionScenarios, histogramQuantile, poisson, PRODUCTION_FAMILIES } from './production';
import { createRandom } from '@isd/autopilot';

const finite = (values: number[]) => values.filter((value) => Number.isFinite(value));

describe('production scenarios', () => {
  const scenarios = generateProductionScenarios(7, 4);

  it('generates the same runs from the same seed and other runs from another seed', () => {
    expect(generateProductionScenarios(7, 4)).toEqual(scenarios);
    expect(generateProductionScenarios(8, 4)[0]!.metric.canary.values).not.toEqual(scenarios[0]!.metric.canary.values);
    const cpuOnly = generateProductionScenarios(7, 4, (family) => family === 'A/A CPU');
    expect(cpuOnly).toEqual(scenarios.filter((s) => s.family === 'A/A CPU'));
    expect(new Set(scenarios.map((s) => s.family))).toEqual(new Set(PRODUCTION_FAMILIES.map((f) => f.name)));
  });

  it('computes histogram_quantile like Prometheus (interpolation in the bucket, +Inf bucket, no requests)', () => {
    const buckets = [1, 2, 4];
    const cumulative = [10, 20, 30, 40];
    expect(histogramQuantile(0.1, buckets, cumulative)).toBeCloseTo(0.4);
    expect(histogramQuantile(0.5, buckets, cumulative)).toBeCloseTo(2);
    expect(histogramQuantile(0.7, buckets, cumulative)).toBeCloseTo(3.6);
    expect(histogramQuantile(0.9, buckets, cumulative)).toBe(4);
    expect(histogramQuantile(0.5, buckets, [0, 0, 0, 0])).toBeNaN();
  });

  it('draws Poisson counts with the right mean', () => {
    const random = createRandom(3);
    for (const lambda of [0.3, 4, 80]) {
      const draws = Array.from({ length: 4000 }, () => poisson(random, lambda));
      expect(mean(draws)).toBeCloseTo(lambda, lambda < 1 ? 1 : 0);
    }
  });

  it('makes regressions that move the canary up and absent counters that have no series', () => {
    const wanted = ['memory leak ramp', 'CPU +15 %', 'low traffic latency +50 %', 'A/A error counter absent'];
    const many = generateProductionScenarios(11, 12, (family) => wanted.some((w) => family.startsWith(w)));
    for (const family of ['memory leak ramp', 'CPU +15 %', 'low traffic latency +50 %']) {
      const runs = many.filter((s) => s.family.startsWith(family));
      const higher = runs.filter(
        (s) => mean(finite(s.metric.canary.values)) > mean(finite(s.metric.baseline.values)),
      ).length;
      expect(higher / runs.length).toBeGreaterThan(0.9);
    }
    const absent = many.filter((s) => s.family.includes('absent'));
    expect(absent.every((s) => s.metric.baseline.seriesCount === 0 && s.metric.canary.values.every(Number.isNaN))).toBe(
      true,
    );
  });
});
