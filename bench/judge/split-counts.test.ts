// The count-aware spread and shape comparisons of decision 176 separate fewer requests from a less stable
// canary, and reduce to the isd judge's own tests when both sides have the same counts.
import { brownForsythe, createRandom, type Random } from '@isd/autopilot';
import { requestCountsOf, splitLatency } from './heldout2';
import { countMatchedShapeUp, countScaledSpread } from './split-counts';

/** Per-step means of `counts[t]` requests ~ N(level, requestSd²), plus process noise N(0, processSd²). */
function perStepMeans(random: Random, counts: number[], level: number, requestSd: number, processSd = 0): number[] {
  return counts.map((n) => level + processSd * random.normal() + (requestSd / Math.sqrt(n)) * random.normal());
}

describe('count-aware comparisons under an unequal split', () => {
  const steps = 300;
  const baselineCounts = Array.from({ length: steps }, (_, t) => 900 + 300 * Math.sin(t / 20));
  const canaryCounts = baselineCounts.map((n) => Math.round(n / 9));

  it('do not read the sampling noise of a 10 % canary as instability, which the plain spread test does', () => {
    const random = createRandom(3);
    const baseline = perStepMeans(random, baselineCounts, 100, 40);
    const canary = perStepMeans(random, canaryCounts, 100, 40);
    // The per-step values alone: the canary varies three times as much, far past the 0.001 level.
    expect(brownForsythe(canary, baseline).pValue).toBeLessThan(1e-6);
    const counts = { baseline: baselineCounts, canary: canaryCounts };
    expect(countScaledSpread(baseline, canary, counts)!.regression).toBe(false);
    expect(countMatchedShapeUp(baseline, canary, counts)!.regression).toBe(false);
  });

  it('still find a canary whose process varies more than its request count explains', () => {
    const random = createRandom(4);
    const baseline = perStepMeans(random, baselineCounts, 100, 40, 0.5);
    const canary = perStepMeans(random, canaryCounts, 100, 40, 12);
    const counts = { baseline: baselineCounts, canary: canaryCounts };
    const spread = countScaledSpread(baseline, canary, counts)!;
    expect(spread.regression).toBe(true);
    expect(spread.spreadRatio).toBeGreaterThan(2);
  });

  it('with equal counts on both sides are the plain tests: a doubled variance is found', () => {
    const random = createRandom(5);
    const equal = Array.from({ length: steps }, () => 400);
    const baseline = perStepMeans(random, equal, 100, 40);
    const canary = perStepMeans(random, equal, 100, 40 * Math.SQRT2 * 1.2);
    const spread = countScaledSpread(baseline, canary, { baseline: equal, canary: equal })!;
    expect(spread.regression).toBe(true);
    const slower = canary.map((value) => value * 1.3);
    expect(countMatchedShapeUp(baseline, slower, { baseline: equal, canary: equal })!.regression).toBe(true);
  });

  it('reads the counts the held-out simulator drew for each side of a split run', () => {
    const metric = splitLatency(createRandom(8), 1).metrics[0]!;
    const counts = requestCountsOf(metric)!;
    expect(counts.baseline).toHaveLength(metric.baseline.values.length);
    expect(counts.canary).toHaveLength(metric.canary.values.length);
    const total = (values: number[]) => values.reduce((sum, value) => sum + value, 0);
    // The canary takes 5–20 % of the traffic.
    const share = total(counts.canary) / (total(counts.canary) + total(counts.baseline));
    expect(share).toBeGreaterThan(0.03);
    expect(share).toBeLessThan(0.25);
  });
});
