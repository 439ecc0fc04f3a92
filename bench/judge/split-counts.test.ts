// The split measurement judges each run with and without the request counts the held-out simulator drew.
import { createIsdJudge, createRandom } from '@isd/autopilot';
import { splitLatency } from './heldout2';
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
});
