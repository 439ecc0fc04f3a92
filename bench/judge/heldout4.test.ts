// The fourth held-out set's simulators are deterministic and their families are what their names say.
import { mean } from '@isd/autopilot';
import { erlangC, generateHeldOut4Runs, HELDOUT4_FAMILIES } from './heldout4';

const finite = (values: number[]) => values.filter((value) => Number.isFinite(value));
const meanOf = (values: number[]) => mean(finite(values));
const runsOf = (prefix: string, count = 20, seed = 3) => generateHeldOut4Runs(seed, count, (f) => f.startsWith(prefix));
const metricOf = (run: { metrics: Array<{ config: { name: string } }> }, name: string) =>
  run.metrics.find((m) => m.config.name === name)! as ReturnType<typeof runsOf>[number]['metrics'][number];
const ratio = (values: { baseline: { values: number[] }; canary: { values: number[] } }, from = 0, to?: number) =>
  meanOf(values.canary.values.slice(from, to)) / meanOf(values.baseline.values.slice(from, to));

describe('held-out set 4', () => {
  it('generates the same runs from the same seed, other runs from another, each family from its own stream', () => {
    const runs = generateHeldOut4Runs(5, 1);
    expect(generateHeldOut4Runs(5, 1)).toEqual(runs);
    expect(generateHeldOut4Runs(6, 1, (f) => f === runs[0]!.family)[0]!.metrics[0]!.canary.values).not.toEqual(
      runs[0]!.metrics[0]!.canary.values,
    );
    expect(runsOf('A/A Pareto', 1, 5)).toEqual(runs.filter((run) => run.family.startsWith('A/A Pareto')));
    expect(new Set(runs.map((run) => run.family))).toEqual(new Set(HELDOUT4_FAMILIES.map((f) => f.name)));
    expect(HELDOUT4_FAMILIES.filter((f) => f.truth === 'no-change').length).toBe(9);
  });

  it('computes the Erlang C waiting probability', () => {
    expect(erlangC(1, 0.6)).toBeCloseTo(0.6, 12); // M/M/1: a request waits with probability ρ
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 12);
    expect(erlangC(8, 2)).toBeLessThan(0.01);
  });

  it('moves the 12-metric template together on a side, and an allocation regression shows as GC and CPU', () => {
    for (const run of runsOf('A/A 12-metric')) {
      expect(run.metrics).toHaveLength(12);
      // Small counts (errors, DB connections) differ by their noise; the continuous metrics by a few percent.
      for (const name of ['latency p50', 'latency mean', 'throughput per pod', 'cpu cores', 'memory bytes'])
        expect(Math.abs(ratio(metricOf(run, name)) - 1)).toBeLessThan(0.15);
    }
    const allocation = runsOf('12-metric template: allocation');
    for (const run of allocation) {
      expect(ratio(metricOf(run, 'gc pause seconds per second'))).toBeGreaterThan(1.6);
    }
    // CPU per request +20 %, diluted by idle CPU and hidden in single runs by the node's contention.
    expect(mean(allocation.map((run) => ratio(metricOf(run, 'cpu cores'))))).toBeGreaterThan(1.04);
    // One side's contention moves its latency and its DB connections together.
    const correlations = runsOf('A/A 12-metric').map((run) => {
      const [x, y] = [metricOf(run, 'latency mean').canary.values, metricOf(run, 'cpu cores').canary.values];
      const [mx, my] = [meanOf(x), meanOf(y)];
      let [sxy, sxx, syy] = [0, 0, 0];
      x.forEach((v, t) => {
        if (!Number.isFinite(v)) return;
        sxy += (v - mx) * (y[t]! - my);
        sxx += (v - mx) ** 2;
        syy += (y[t]! - my) ** 2;
      });
      return sxy / Math.sqrt(sxx * syy);
    });
    expect(mean(correlations)).toBeGreaterThan(0.1);
  });

  it('warms the canary cache up, and leaves it short of the baseline when it misses more', () => {
    for (const run of runsOf('A/A canary cache')) {
      const hit = metricOf(run, 'cache hit ratio');
      const n = hit.baseline.values.length;
      expect(ratio(hit, 0, 2)).toBeLessThan(0.8);
      expect(Math.abs(ratio(hit, Math.floor((2 * n) / 3)) - 1)).toBeLessThan(0.03);
    }
    for (const run of runsOf('cache warm-up, canary misses')) {
      const db = metricOf(run, 'db queries per second');
      expect(ratio(db, Math.floor((2 * db.baseline.values.length) / 3))).toBeGreaterThan(1.4);
    }
  });

  it('hides a sparse counter until its first error, and a side without errors has no series', () => {
    const runs = runsOf('A/A sparse counter', 50);
    for (const run of runs) {
      for (const side of [run.metrics[0]!.baseline, run.metrics[0]!.canary]) {
        const first = side.values.findIndex((v) => Number.isFinite(v));
        if (first < 0) continue;
        expect(side.values.slice(first).filter(Number.isNaN).length).toBeLessThan(0.1 * side.values.length);
        expect(side.seriesCount).toBe(1);
      }
    }
    expect(runs.some((run) => Number.isNaN(run.metrics[0]!.canary.values[0]!))).toBe(true);
    const errors = (prefix: string) => runsOf(prefix, 50).map((run) => ratio(run.metrics[0]!));
    expect(mean(errors('sparse counter: canary'))).toBeGreaterThan(2);
  });

  it('loses the busiest scrapes of one side, and slows the canary at the peak only when its pool is small', () => {
    const lost = (side: 'baseline' | 'canary') =>
      runsOf('canary loses busiest')
        .map((run) => run.metrics[0]![side].values.filter(Number.isNaN).length)
        .reduce((a, b) => a + b, 0);
    expect(lost('canary')).toBeGreaterThan(3 * lost('baseline'));
    const peakRatios = runsOf('peak only').map((run) => {
      const { baseline, canary } = run.metrics[0]!;
      const rates = baseline.values.map((_, t) => canary.values[t]! / baseline.values[t]!);
      return Math.max(...finite(rates)) / ratio(run.metrics[0]!, 0, 5);
    });
    expect(Math.min(...peakRatios)).toBeGreaterThan(1.2);
  });

  it('leaks only late, keeps healthy heavy-tailed and bimodal sides equal, and retries raise the upper quantiles', () => {
    for (const run of runsOf('leak from')) {
      const n = run.metrics[0]!.baseline.values.length;
      expect(Math.abs(ratio(run.metrics[0]!, 0, Math.floor(n / 2)) - 1)).toBeLessThan(0.06);
      expect(ratio(run.metrics[0]!, n - 3)).toBeGreaterThan(1.03);
    }
    for (const prefix of ['A/A Pareto', 'A/A bimodal', 'A/A traffic ramp', 'A/A shared traffic peak'])
      expect(Math.abs(mean(runsOf(prefix).map((run) => ratio(run.metrics[0]!))) - 1)).toBeLessThan(0.1);
    expect(Math.min(...runsOf('bimodal canary').map((run) => ratio(run.metrics[0]!)))).toBeGreaterThan(1.03);
  });
});
