// The second held-out set's simulators are deterministic and their regressions are what their names say.
import { createRandom, mean } from '@isd/autopilot';
import { randomLatencyModel } from './production';
import { generateHeldOut2Runs, HELDOUT2_FAMILIES, mixtureQuantile, slowPathScaleForP99 } from './heldout2';

const finite = (values: number[]) => values.filter((value) => Number.isFinite(value));
const meanOf = (values: number[]) => mean(finite(values));

describe('held-out set 2', () => {
  it('generates the same runs from the same seed, other runs from another, each family from its own stream', () => {
    const runs = generateHeldOut2Runs(5, 1);
    expect(generateHeldOut2Runs(5, 1)).toEqual(runs);
    expect(
      generateHeldOut2Runs(6, 1, (family) => family === runs[0]!.family)[0]!.metrics[0]!.canary.values,
    ).not.toEqual(runs[0]!.metrics[0]!.canary.values);
    const queue = generateHeldOut2Runs(5, 1, (family) => family.startsWith('A/A queue'));
    expect(queue).toEqual(runs.filter((run) => run.family.startsWith('A/A queue')));
    expect(new Set(runs.map((run) => run.family))).toEqual(new Set(HELDOUT2_FAMILIES.map((f) => f.name)));
  });

  it('slows the slow path so that the true p99 rises by the factor while the median stays', () => {
    const random = createRandom(9);
    for (let i = 0; i < 5; i++) {
      const model = { ...randomLatencyModel(random), slowShare: 0.02 + 0.005 * i };
      const slow = slowPathScaleForP99(model, 1.4);
      expect(slow).toBeGreaterThan(1);
      const before = { body: 1, slow: 1 };
      const after = { body: 1, slow };
      expect(mixtureQuantile(model, after, 0.99) / mixtureQuantile(model, before, 0.99)).toBeCloseTo(1.4, 3);
      expect(mixtureQuantile(model, after, 0.5) / mixtureQuantile(model, before, 0.5)).toBeCloseTo(1, 2);
    }
  });

  it('moves the canary the way each regression family says', () => {
    const regressions = new Set(HELDOUT2_FAMILIES.filter((f) => f.truth === 'regression').map((f) => f.name));
    const runs = generateHeldOut2Runs(11, 12, (family) => regressions.has(family) && !family.startsWith('9-metric'));
    const share = (family: string, moved: (baseline: number, canary: number) => boolean) => {
      const selected = runs.filter((run) => run.family === family);
      const metric = (run: (typeof selected)[number]) => run.metrics[0]!;
      return (
        selected.filter((run) => moved(meanOf(metric(run).baseline.values), meanOf(metric(run).canary.values))).length /
        selected.length
      );
    };
    expect(share('throughput per pod −20 % (decrease)', (b, c) => c < 0.9 * b)).toBe(1);
    expect(share('success rate: errors ×10 (decrease)', (b, c) => c < b)).toBeGreaterThan(0.9);
    expect(share('memory bytes leak +20 %', (b, c) => c > b && b > 1e8)).toBe(1);
    expect(share('queue length, service ×1.5 slower', (b, c) => c > b)).toBeGreaterThan(0.9);
    expect(share('ready pods, canary crash-looping (10 % down)', (b, c) => c < b)).toBeGreaterThan(0.9);
    expect(share('slow drift +1 %/10 min (2–8 h)', (b, c) => c > b)).toBeGreaterThan(0.9);
  });

  it('reads scraped counters through rate(): sparse points, no negative rate after a reset', () => {
    const runs = generateHeldOut2Runs(3, 30, (family) => family.startsWith('A/A rate()'));
    const missing = (values: number[]) => values.filter(Number.isNaN).length / values.length;
    for (const run of runs) {
      const { baseline, canary } = run.metrics[0]!;
      for (const values of [baseline.values, canary.values]) expect(finite(values).every((v) => v >= 0)).toBe(true);
      // Never a series with no point at all: rate()'s range always spans at least two scrapes.
      expect(missing(baseline.values)).toBeLessThan(0.8);
    }
    // The restarted canary misses more points than the baseline; a 60 s scrape leaves about half empty.
    const total = (side: 'baseline' | 'canary') => mean(runs.map((run) => missing(run.metrics[0]![side].values)));
    expect(total('canary')).toBeGreaterThan(total('baseline'));
    expect(runs.some((run) => missing(run.metrics[0]!.baseline.values) > 0.3)).toBe(true);
  });

  it('builds the 9-metric template with weights and one critical metric', () => {
    const [run] = generateHeldOut2Runs(4, 1, (family) => family.startsWith('A/A 9-metric'));
    expect(run!.metrics).toHaveLength(9);
    expect(run!.groupWeights).toEqual({ latency: 40, errors: 40 });
    expect(run!.metrics.filter((metric) => metric.config.critical).map((m) => m.config.name)).toEqual(['error ratio']);
    expect(new Set(run!.metrics.map((m) => m.config.direction))).toEqual(new Set(['increase', 'decrease', 'either']));
  });
});
