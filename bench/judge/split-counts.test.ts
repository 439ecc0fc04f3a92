// The split measurement judges each run with and without the request counts the held-out simulator drew.
import { createIsdJudge, createRandom } from '@isd/autopilot';
import { splitErrorRatio, splitLatency } from './heldout2';
import { judgeSplitRun, unstableCanary } from './split-counts';

describe('unequal split with request counts', () => {
  it('carries the counts the simulator drew on each side of a split run (the canary 5–20 % of the traffic)', () => {
    const metric = splitLatency(createRandom(8), 1).metrics[0]!;
    const counts = { baseline: metric.baseline.requestCounts!, canary: metric.canary.requestCounts! };
    expect(counts.baseline).toHaveLength(metric.baseline.values.length);
    expect(counts.canary).toHaveLength(metric.canary.values.length);
    const total = (values: Array<number | null>) => values.reduce<number>((sum, value) => sum + (value ?? 0), 0);
    const share = total(counts.canary) / (total(counts.canary) + total(counts.baseline));
    expect(share).toBeGreaterThan(0.03);
    expect(share).toBeLessThan(0.25);
  });

  it('stops fewer healthy split runs with counts, and still stops a canary whose process is unstable', () => {
    const judge = createIsdJudge();
    const random = createRandom(21);
    const tally = (change: () => number | ((t: number) => { body: number; slow: number }), runs: number) => {
      let withCounts = 0;
      let withoutCounts = 0;
      for (let i = 0; i < runs; i++) {
        const stops = judgeSplitRun(judge, splitLatency(random, change()).metrics[0]!);
        if (stops.withCounts) withCounts++;
        if (stops.withoutCounts) withoutCounts++;
      }
      return { withCounts, withoutCounts };
    };
    const healthy = tally(() => 1, 30);
    expect(healthy.withoutCounts).toBeGreaterThan(10);
    expect(healthy.withCounts).toBeLessThan(5);
    const unstable = tally(() => unstableCanary(0.3, random), 20);
    // The price of decision 176: about half of these are found (the bench measures the rates).
    expect(unstable.withCounts).toBeGreaterThanOrEqual(8);
  });

  it('draws error ratios whose events per request are the family’s: the same, ×5, or none on the baseline', () => {
    const random = createRandom(12);
    const perRequest = (series: { values: number[]; requestCounts?: Array<number | null> }) => {
      let events = 0;
      let requests = 0;
      series.values.forEach((value, t) => {
        const count = series.requestCounts![t]!;
        if (Number.isFinite(value)) events += value * count;
        requests += count;
      });
      return events / requests;
    };
    const ratio = (factor: number, bursty: boolean) => {
      let canary = 0;
      let baseline = 0;
      for (let i = 0; i < 40; i++) {
        const metric = splitErrorRatio(random, { factor, bursty }).metrics[0]!;
        expect(metric.canary.requestCounts).toHaveLength(metric.canary.values.length);
        canary += perRequest(metric.canary);
        baseline += perRequest(metric.baseline);
      }
      return canary / baseline;
    };
    expect(ratio(1, false)).toBeGreaterThan(0.8);
    expect(ratio(1, false)).toBeLessThan(1.25);
    expect(ratio(5, true)).toBeGreaterThan(3.5);
    expect(ratio(5, true)).toBeLessThan(7);
    const fresh = splitErrorRatio(random, { factor: 1, newErrors: true }).metrics[0]!;
    expect(fresh.baseline.values.every((value) => value === 0 || Number.isNaN(value))).toBe(true);
    expect(fresh.canary.values.some((value) => value > 0)).toBe(true);
  });
});
