// The `isd` judge on the cases Kayenta gets wrong (reference notes §1.5) and on the ones it must keep right.
import { classifyIsdMetric, createIsdJudge } from './isd-judge';
import { classifyKayentaMetric } from './kayenta-judge';
import { createJudge } from './judges';
import { JudgeInputError, normalizeMetricConfig, type MetricConfigInput, type MetricInput } from './model';
import { createRandom } from './random';

function metric(canary: number[], baseline: number[], config: Partial<MetricConfigInput> = {}): MetricInput {
  return {
    config: normalizeMetricConfig({ name: 'm', groups: ['g'], direction: 'increase', ...config }),
    canary: { values: canary },
    baseline: { values: baseline },
  };
}

const normalSample = (seed: number, n: number, center: number, sd: number): number[] => {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => center + sd * random.normal());
};

describe('isd judge fixes Kayenta blind spots', () => {
  it('fails the spinnaker#6278 case (70× mean with 10 points) and says why with the numbers', () => {
    const m = metric([100, 100, 100, 100, 100, 100, 100, 1, 1, 1], Array<number>(10).fill(1));
    expect(classifyKayentaMetric(m).classification).toBe('Pass');
    const result = classifyIsdMetric(m);
    expect(result.classification).toBe('High');
    expect(result.reason).toMatch(/mean 1 → 70\.3/);
    expect(result.reason).toMatch(/Welch t p=/);
    expect(result.numbers.welchP).toBeLessThan(0.01);
    expect(result.warnings.join(' ')).toMatch(/few points/);
  });

  it('fails the kayenta#426 sparse error counts as new events', () => {
    const m = metric([0, 1, 2, 1, 0, 0], [0, 0, 0, 0, 0, 0]);
    expect(classifyKayentaMetric(m).classification).toBe('Pass');
    const result = classifyIsdMetric(m);
    expect(result.classification).toBe('High');
    expect(result.reason).toMatch(/new events: baseline had none/);
  });

  it('fails a mostly-zero error counter followed by a burst, which Kayenta passes', () => {
    const random = createRandom(11);
    const baseline = Array.from({ length: 240 }, () => (random.next() < 0.02 ? 1 : 0));
    const canary = Array.from({ length: 240 }, (_, i) =>
      i >= 100 && i < 112 ? random.integer(2, 15) : random.next() < 0.02 ? 1 : 0,
    );
    const m = metric(canary, baseline);
    expect(classifyKayentaMetric(m).classification).toBe('Pass');
    const result = classifyIsdMetric(m);
    expect(result.classification).toBe('High');
    expect(result.findings.filter((f) => f.regression).map((f) => f.test)).toContain('zero-baseline-counts');
    expect(result.reason).toMatch(/canary points above the baseline maximum 1, p=/);
    expect(result.numbers.canaryNonZero).toBeGreaterThan(result.numbers.baselineNonZero!);
  });

  it('fails a variance doubling (kayenta#780) that Kayenta passes', () => {
    const m = metric(normalSample(2, 300, 100, 10 * Math.SQRT2), normalSample(1, 300, 100, 10));
    expect(classifyKayentaMetric(m).classification).toBe('Pass');
    const result = classifyIsdMetric(m);
    expect(result.classification).toBe('High');
    expect(result.reason).toMatch(/canary varies more.*Brown–Forsythe p=/);
  });

  it('passes unchanged metrics: at most 1 alarm in 100 seeded no-change pairs', () => {
    let alarms = 0;
    for (let seed = 0; seed < 100; seed++) {
      const result = classifyIsdMetric(
        metric(normalSample(1000 + seed, 120, 50, 5), normalSample(5000 + seed, 120, 50, 5), { direction: 'either' }),
      );
      if (result.classification !== 'Pass') alarms++;
    }
    expect(alarms).toBeLessThanOrEqual(1);
  });

  it('widens its p-values for autocorrelated noise instead of raising false alarms', () => {
    let alarms = 0;
    let lastInflation = 0;
    for (let seed = 0; seed < 40; seed++) {
      const random = createRandom(900 + seed);
      const series = () => {
        let state = 0;
        return Array.from(
          { length: 300 },
          () => (state = 0.85 * state + Math.sqrt(1 - 0.85 * 0.85) * random.normal()) * 5 + 100,
        );
      };
      const result = classifyIsdMetric(metric(series(), series(), { direction: 'either' }));
      if (result.classification !== 'Pass') alarms++;
      lastInflation = result.numbers.varianceInflation!;
    }
    expect(alarms).toBe(0);
    expect(lastInflation).toBeGreaterThan(5);
  });

  it('ignores changes in the harmless direction and small significant changes', () => {
    const improved = metric(normalSample(3, 200, 80, 8), normalSample(4, 200, 100, 10), { direction: 'increase' });
    expect(classifyIsdMetric(improved).classification).toBe('Pass');
    const tiny = metric(normalSample(5, 2000, 101, 5), normalSample(6, 2000, 100, 5));
    const result = classifyIsdMetric(tiny);
    expect(result.numbers.mannWhitneyP).toBeLessThan(0.001);
    expect(result.classification).toBe('Pass');
  });

  it('classifies a throughput drop as Low for direction decrease', () => {
    expect(
      classifyIsdMetric(metric(normalSample(7, 100, 50, 5), normalSample(8, 100, 100, 10), { direction: 'decrease' }))
        .classification,
    ).toBe('Low');
  });
});

describe('isd judge makes missing data explicit', () => {
  it('reports an empty canary series with its query and the label mismatch, never a silent pass', () => {
    const m: MetricInput = {
      config: normalizeMetricConfig({ name: 'latency', nanStrategy: 'replace' }),
      baseline: { values: [1, 2, 3, 2], query: 'rate(x{app="a"}[1m])', labels: { app: 'a', version: 'v1' } },
      canary: { values: [NaN, NaN, NaN, NaN], query: 'rate(x{app="a"}[1m])', labels: { app: 'a', pod: 'p' } },
    };
    const result = classifyIsdMetric(m);
    expect(result.classification).toBe('Nodata');
    expect(result.reason).toContain('no canary data for query "rate(x{app=\\"a\\"}[1m])"');
    expect(result.reason).toContain('0 real of 4 points (4 missing)');
    expect(result.warnings.join(' ')).toMatch(
      /label keys differ.*only baseline has \[version\], only canary has \[pod\]/,
    );
    // Kayenta turns the missing canary into zeros and reports a drop instead of missing data.
    expect(classifyKayentaMetric(m).classification).toBe('Low');
  });

  it('fails a must-have-data metric and a critical metric without data fails the run', () => {
    expect(classifyIsdMetric(metric([], [1, 2, 3], { mustHaveData: true })).classification).toBe('NodataFailMetric');
    const judged = createIsdJudge().judge({
      metrics: [
        metric([], [1, 2, 3], { critical: true }),
        { ...metric([1, 2, 3], [1, 2, 3]), config: normalizeMetricConfig({ name: 'other' }) },
      ],
      groupWeights: {},
      thresholds: { pass: 90, marginal: 50 },
    });
    expect(judged.score).toBe(0);
    expect(judged.reason).toMatch(/critical metric\(s\) m \(Nodata\)/);
  });
});

describe('isd judge run', () => {
  it('scores groups and reports the regressions in the run reason', () => {
    const judge = createJudge('isd');
    const result = judge.judge({
      metrics: [
        {
          ...metric(normalSample(9, 100, 200, 20), normalSample(10, 100, 100, 10)),
          config: normalizeMetricConfig({ name: 'latency', groups: ['latency'], direction: 'increase' }),
        },
        {
          ...metric(normalSample(11, 100, 10, 1), normalSample(12, 100, 10, 1)),
          config: normalizeMetricConfig({ name: 'cpu', groups: ['system'] }),
        },
      ],
      groupWeights: { latency: 60, system: 40 },
      thresholds: { pass: 90, marginal: 50 },
    });
    expect(result.score).toBe(40);
    expect(result.classification).toBe('fail');
    expect(result.reason).toMatch(/Regressions: latency \(High: mean .*; decided by the whole-window location test/);
  });

  it('rejects bad input with the path of each bad field', () => {
    const judge = createJudge();
    const run = () =>
      judge.judge({ metrics: [metric([1], [1])], groupWeights: { g: 130 }, thresholds: { pass: 50, marginal: 70 } });
    expect(run).toThrow(JudgeInputError);
    try {
      run();
    } catch (error) {
      expect((error as JudgeInputError).issues.map((issue) => issue.path)).toEqual([
        'thresholds.marginal',
        'groupWeights',
      ]);
    }
    expect(() => normalizeMetricConfig({ name: 'x', direction: 'up', nanStrategy: 'zero' }, 'metrics.3')).toThrow(
      /metrics\.3\.direction.*metrics\.3\.nanStrategy/,
    );
    expect(() => createJudge('netflix')).toThrow(/judge: must be one of isd, kayenta/);
  });
});
