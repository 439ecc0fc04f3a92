// The benchmark's scenario generator is deterministic and its labels mean what they say.
import { mean } from '@isd/autopilot';
import { generateScenarios, generateTimingMetrics, SCENARIO_KINDS } from './scenarios';

const finite = (values: number[]) => values.filter((value) => Number.isFinite(value));

describe('judge benchmark scenarios', () => {
  const scenarios = generateScenarios(42, 5);

  it('generates the same data from the same seed and other data from another seed', () => {
    expect(generateScenarios(42, 5)).toEqual(scenarios);
    expect(generateScenarios(43, 5)[0]!.metric.canary.values).not.toEqual(scenarios[0]!.metric.canary.values);
  });

  it('generates every kind, with regressions that really move the canary up', () => {
    expect(new Set(scenarios.map((s) => s.kind))).toEqual(new Set(SCENARIO_KINDS));
    for (const s of scenarios.filter((x) => x.kind === 'mean shift' && x.magnitude === '300%')) {
      expect(mean(finite(s.metric.canary.values))).toBeGreaterThan(2 * mean(finite(s.metric.baseline.values)));
    }
    for (const s of scenarios.filter((x) => x.kind.startsWith('error burst'))) {
      expect(Math.max(...s.metric.canary.values)).toBeGreaterThan(Math.max(...s.metric.baseline.values));
    }
    expect(scenarios.filter((s) => s.inTarget).every((s) => s.truth === 'regression')).toBe(true);
    expect(
      scenarios
        .filter((s) => s.kind.startsWith('canary series missing'))
        .every((s) => s.metric.canary.values.every(Number.isNaN)),
    ).toBe(true);
  });

  it('builds the timing set at the requested size', () => {
    const metrics = generateTimingMetrics(1, 4, 1000);
    expect(metrics).toHaveLength(4);
    expect(metrics.every((m) => m.baseline.values.length === 1000 && m.canary.values.length === 1000)).toBe(true);
  });
});
