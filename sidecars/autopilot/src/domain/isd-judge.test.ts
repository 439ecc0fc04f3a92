// The `isd` judge on the cases Kayenta gets wrong (reference notes §1.5) and on the ones it must keep right.
import { classifyIsdMetric, createIsdJudge } from './isd-judge';
import { classifyKayentaMetric } from './kayenta-judge';
import { createJudge } from './judges';
import {
  JudgeInputError,
  normalizeMetricConfig,
  type MetricConfigInput,
  type MetricInput,
  type MetricResult,
} from './model';
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
    const badCount = { ...metric([1, 2, 3], [1, 2, 3]), canary: { values: [1, 2, 3], seriesCount: -1 } };
    expect(() =>
      judge.judge({ metrics: [badCount], groupWeights: {}, thresholds: { pass: 50, marginal: 40 } }),
    ).toThrow(/metrics\.0\.canary\.seriesCount: must be a whole number ≥ 0/);
  });
});

describe('isd judge under production conditions', () => {
  const n = 240;
  // AR(1) noise around a level, the way scraped latency and memory move.
  const arSeries = (seed: number, level: number, cv: number, phi: number, scaleAt: (t: number) => number = () => 1) => {
    const random = createRandom(seed);
    let state = random.normal();
    return Array.from({ length: n }, (_, t) => {
      state = phi * state + Math.sqrt(1 - phi * phi) * random.normal();
      return level * scaleAt(t) * (1 + cv * state);
    });
  };

  it('catches a 30 % step halfway through the window without the step inflating the autocorrelation', () => {
    const baseline = arSeries(21, 100, 0.05, 0.3);
    const canary = arSeries(22, 100, 0.05, 0.3, (t) => (t >= n / 2 ? 1.3 : 1));
    const result = classifyIsdMetric(metric(canary, baseline));
    expect(result.classification).toBe('High');
    expect(result.numbers.autocorrelation).toBeLessThan(0.5);
    expect(result.numbers.recentRelativeChange).toBeGreaterThan(0.25);
    expect(result.findings.find((f) => f.test === 'location-recent')?.regression).toBe(true);
  });

  it('catches a memory leak that grows 20 % over the window', () => {
    const baseline = arSeries(23, 1000, 0.01, 0.6);
    const canary = arSeries(24, 1000, 0.01, 0.6, (t) => 1 + (0.2 * t) / (n - 1));
    const result = classifyIsdMetric(metric(canary, baseline));
    expect(result.classification).toBe('High');
    expect(result.findings.find((f) => f.test === 'drift')?.regression).toBe(true);
    expect(result.numbers.driftEndChange).toBeGreaterThan(0.15);
  });

  it('passes the same ramp on both sides (shared traffic growth) and a 2 % node offset', () => {
    const ramp = (t: number) => 1 + (0.3 * t) / (n - 1);
    const baseline = arSeries(25, 100, 0.03, 0.5, ramp);
    const canary = arSeries(26, 102, 0.03, 0.5, ramp);
    expect(classifyIsdMetric(metric(canary, baseline)).classification).toBe('Pass');
  });

  it('catches a 10 % latency increase and passes a 4 % one', () => {
    const baseline = arSeries(27, 200, 0.05, 0.3);
    expect(classifyIsdMetric(metric(arSeries(28, 220, 0.05, 0.3), baseline)).classification).toBe('High');
    expect(classifyIsdMetric(metric(arSeries(29, 208, 0.05, 0.3), baseline)).classification).toBe('Pass');
  });

  it('says in one sentence why: the effect with its interval, the deciding test and the data used', () => {
    const baseline = arSeries(27, 200, 0.05, 0.3);
    const canary = arSeries(28, 220, 0.05, 0.3);
    canary[3] = Number.NaN;
    const result = classifyIsdMetric(metric(canary, baseline));
    expect(result.reason).toMatch(
      /^High: mean [\d.]+ → [\d.]+ \(\+[\d.]+%; 98% interval of the shift canary − baseline \[[\d.]+, [\d.]+\]\); decided by the whole-window location test \(canary is higher: .*\)(, also the last-third location test)?; on 240 baseline and 239 canary points \(1 of 240 canary points missing \(left out\)\)\.$/,
    );
    expect(result.reason).not.toMatch(/\n/);
    const pass = classifyIsdMetric(metric(arSeries(30, 200, 0.05, 0.3), baseline));
    expect(pass.reason).toMatch(
      /^Pass: mean .*; no harmful change found by the whole-window location test, .* on 240 baseline and 240 canary points, nothing missing\.$/,
    );
  });
});

describe('isd judge on absent series and no data', () => {
  const absent = (size: number) => ({ values: Array<number>(size).fill(Number.NaN), seriesCount: 0 });
  const judgeOne = (m: MetricInput) =>
    createIsdJudge().judge({ metrics: [m], groupWeights: {}, thresholds: { pass: 95, marginal: 75 } });

  it('reads an error counter absent on both sides as zero events: a critical metric passes', () => {
    const m: MetricInput = {
      config: normalizeMetricConfig({ name: 'errors', critical: true, direction: 'increase' }),
      baseline: absent(60),
      canary: absent(60),
    };
    const result = judgeOne(m);
    expect(result.classification).toBe('pass');
    expect(result.metrics[0]!.classification).toBe('Pass');
    expect(result.metrics[0]!.reason).toMatch(/zero events on both sides — neither query matched a series/);
  });

  it('reports "no data on either side" for series without points, without failing the run', () => {
    const nothing = { values: Array<number>(60).fill(Number.NaN) };
    const m: MetricInput = {
      config: normalizeMetricConfig({ name: 'latency', critical: true }),
      baseline: nothing,
      canary: nothing,
    };
    const result = judgeOne(m);
    expect(result.metrics[0]!.classification).toBe('Nodata');
    expect(result.metrics[0]!.critical).toBe(false);
    expect(result.metrics[0]!.noDataOnEitherSide).toBe(true);
    expect(result.metrics[0]!.reason).toMatch(/^Nodata: no data on either side .*not scored/);
    expect(result.classification).toBe('pass');
    // mustHaveData makes it a failure.
    const strict = judgeOne({ ...m, config: normalizeMetricConfig({ name: 'latency', mustHaveData: true }) });
    expect(strict.metrics[0]!.classification).toBe('NodataFailMetric');
    expect(strict.classification).toBe('fail');
  });

  it('with nanStrategy replace, reads a baseline counter that does not exist yet as zeros and flags new canary errors', () => {
    const m: MetricInput = {
      config: normalizeMetricConfig({ name: 'errors', nanStrategy: 'replace', direction: 'increase' }),
      baseline: absent(60),
      canary: { values: Array.from({ length: 60 }, (_, t) => (t % 4 === 0 ? 2 : 0)), seriesCount: 1 },
    };
    const result = classifyIsdMetric(m);
    expect(result.classification).toBe('High');
    expect(result.warnings.join(' ')).toMatch(/no baseline data.*read as 60 zeros \(nanStrategy replace\)/);
  });
});

describe('isd judge on shares and transients (held-out set 2)', () => {
  // Per step: 2,000 requests, failures Binomial(2000, p) approximated by a normal draw, as a success rate.
  const successRate = (seed: number, n: number, failureShare: number): number[] => {
    const random = createRandom(seed);
    const sd = Math.sqrt(failureShare * (1 - failureShare) * 2000);
    return Array.from({ length: n }, () => 1 - Math.max(0, failureShare * 2000 + sd * random.normal()) / 2000);
  };

  it('fails a success rate whose failures grow tenfold though the rate itself falls by 0.9 %', () => {
    const m = metric(successRate(2, 120, 0.01), successRate(1, 120, 0.001), { direction: 'decrease' });
    const result = classifyIsdMetric(m);
    expect(result.numbers.relativeChange).toBeGreaterThan(-0.01);
    expect(result.classification).toBe('Low');
    expect(result.findings.find((f) => f.test === 'location')!.regression).toBe(true);
  });

  it('passes a success rate that moves within the margin of its failure share, and a share far from 1 as before', () => {
    // Failures 1.00 % → 1.03 %: significant with this much data, but 3 % of the failure share.
    const near = metric(successRate(4, 2000, 0.0103), successRate(3, 2000, 0.01), { direction: 'decrease' });
    expect(classifyIsdMetric(near).classification).toBe('Pass');
    // A share near 0.3 falling by 5 % of its level is below the margin whichever way it is measured.
    const low = metric(normalSample(6, 300, 0.285, 0.01), normalSample(5, 300, 0.3, 0.01), { direction: 'decrease' });
    expect(classifyIsdMetric(low).classification).toBe('Pass');
    // The same fall on values above 1 (not a share) keeps the relative margin: 0.9 % of 100 is no regression.
    const level = metric(normalSample(8, 120, 99.1, 0.05), normalSample(7, 120, 100, 0.05), { direction: 'decrease' });
    expect(classifyIsdMetric(level).classification).toBe('Pass');
  });

  // Baseline noise around 100; the canary adds `extra(t)` to the same kind of noise.
  const withExtra = (seed: number, n: number, extra: (t: number) => number) =>
    normalSample(seed, n, 100, 5).map((value, t) => value + extra(t));

  it('sets aside a start-up transient: slower first minutes, then equal with confidence', () => {
    const m = metric(
      withExtra(2, 240, (t) => 150 * Math.exp(-t / 20)),
      withExtra(1, 240, () => 0),
    );
    const result = classifyIsdMetric(m);
    expect(result.numbers.relativeChange).toBeGreaterThan(0.1);
    expect(result.classification).toBe('Pass');
    expect(result.numbers.startupTransient).toBe(1);
    const location = result.findings.find((f) => f.test === 'location')!;
    expect(location.regression).toBe(false);
    expect(location.message).toMatch(/^start-up transient, set aside: canary is higher/);
  });

  it('still fails a canary that is worse to the end, or whose end is too noisy to show a recovery', () => {
    // Worse throughout, a little less at the end: the last third is not within the margin.
    const sustained = metric(
      withExtra(2, 240, (t) => 12 - t / 60),
      withExtra(1, 240, () => 0),
    );
    expect(classifyIsdMetric(sustained).classification).toBe('High');
    // The same warm-up as above on noise 8× larger: the last third's estimate is near zero but its bound
    // is not within the margin, so nothing shows that the canary recovered.
    const random = createRandom(5);
    const noisy = (extra: (t: number) => number) =>
      Array.from({ length: 240 }, (_, t) => 100 + 40 * random.normal() + extra(t));
    const transientInNoise = metric(
      noisy((t) => 600 * Math.exp(-t / 20)),
      noisy(() => 0),
    );
    const result = classifyIsdMetric(transientInNoise);
    expect(result.numbers.startupTransient).toBeUndefined();
    expect(result.classification).toBe('High');
  });
});

describe('isd judge on warm-ups of caches and compilers (held-out set 4)', () => {
  // Poisson draws (Knuth): events per step of a low-rate counter.
  const poissonSeries = (seed: number, rates: number[]): number[] => {
    const random = createRandom(seed);
    return rates.map((rate) => {
      let k = 0;
      for (let product = random.next(); product > Math.exp(-rate); product *= random.next()) k++;
      return k;
    });
  };

  it('bounds the last third by its own noise when the warm-up reads as correlated noise over the window', () => {
    // A cache that takes a quarter of the window to fill: ×5 at first, decaying with a 40-step constant.
    // The level-shift-and-trend fit leaves the curve in the whole window's residuals (variance ×4.6),
    // while the last third is white noise at the baseline's level.
    const random = createRandom(3);
    const baseline = Array.from({ length: 240 }, () => 100 + 10 * random.normal());
    const canary = Array.from({ length: 240 }, (_, t) => 100 + 10 * random.normal() + 400 * Math.exp(-t / 40));
    const result = classifyIsdMetric(metric(canary, baseline));
    expect(result.numbers.varianceInflation).toBeGreaterThan(4);
    expect(result.numbers.recentRelativeChange).toBeLessThan(0.065);
    expect(result.numbers.startupTransient).toBe(1);
    expect(result.classification).toBe('Pass');
  });

  it('asks the normal level of a large excess that came only from the start of a sparse count', () => {
    // DB queries per step while a cache fills: ×10 at first, back to 3 per step within minutes. The mean
    // is +70 % (so the ×50 lower bar applied), the last third's mean is at the baseline's, but 3 events
    // per step are too noisy for its confidence bound to show a recovery.
    const rates = (extra: (t: number) => number) => Array.from({ length: 120 }, (_, t) => 3 * (1 + extra(t)));
    const warmUp = (t: number) => 9 * Math.exp(-t / 8);
    const baseline = poissonSeries(
      5,
      rates(() => 0),
    );
    const result = classifyIsdMetric(metric(poissonSeries(105, rates(warmUp)), baseline));
    expect(result.numbers.relativeChange).toBeGreaterThan(0.5);
    expect(result.classification).toBe('Pass');
    const location = result.findings.find((f) => f.test === 'location')!;
    expect(location.message).toMatch(/^start-up transient, set aside: .* shows no change at level 0\.001$/);
    // The same start with an end still 40 % above the baseline keeps the alarm.
    const worse = poissonSeries(
      105,
      rates((t) => warmUp(t) + 0.4),
    );
    expect(classifyIsdMetric(metric(worse, baseline)).classification).toBe('High');
  });
});

describe('isd judge on gaps, constant gauges and bounded metrics (held-out set 3)', () => {
  it('fails a constant gauge that is lower on the canary though one baseline scrape was lost', () => {
    const baseline = Array<number>(75).fill(16);
    baseline[57] = Number.NaN;
    const result = classifyIsdMetric(metric(Array<number>(75).fill(10), baseline, { direction: 'decrease' }));
    // The lost point must not make the shared pattern jump and read as correlated noise.
    expect(result.numbers.autocorrelation).toBe(0);
    expect(result.classification).toBe('Low');
  });

  it('does not read a gap in one side of two series at different levels as correlated noise', () => {
    // The canary is not scraped for 10 steps in every 40; its noise is white, 10 % above the baseline.
    const baseline = normalSample(1, 240, 100, 1);
    const canary = normalSample(2, 240, 110, 1).map((value, t) => (t % 40 >= 30 ? Number.NaN : value));
    const result = classifyIsdMetric(metric(canary, baseline));
    expect(result.numbers.autocorrelation).toBeLessThan(0.1);
    expect(result.classification).toBe('High');
  });

  it('keeps the alarm when a canary pinned at the top of the range (CPU at its limit) looks like a transient', () => {
    // CPU in % of the limit: demand rises from 75 % to 105 % over the window; the canary needs 25 % more
    // per request, so it sits at 100 % for most of the window, and the baseline climbs to meet it.
    const random = createRandom(3);
    const measured = (demand: number) => (demand >= 100 ? 100 - 0.2 * Math.abs(random.normal()) : demand);
    const demand = Array.from({ length: 240 }, (_, t) => 75 + (30 * t) / 240);
    const baseline = demand.map((d) => measured(d * (1 + 0.03 * random.normal())));
    const canary = demand.map((d) => measured(1.25 * d * (1 + 0.03 * random.normal())));
    const result = classifyIsdMetric(metric(canary, baseline));
    expect(result.numbers.relativeChange).toBeGreaterThan(0.065);
    expect(result.numbers.startupTransient).toBeUndefined();
    expect(result.classification).toBe('High');
  });
});

describe('both judges on degenerate series', () => {
  const judgeOne = (name: 'isd' | 'kayenta', canary: number[], baseline: number[]) =>
    createJudge(name).judge({
      metrics: [metric(canary, baseline)],
      groupWeights: {},
      thresholds: { pass: 95, marginal: 75 },
    });

  it('gives a defined result for empty, all-NaN, single-point, infinite and constant series', () => {
    const cases: Array<[string, number[], number[]]> = [
      ['empty', [], []],
      ['empty canary', [], [1, 2, 3]],
      ['all NaN', [Number.NaN, Number.NaN, Number.NaN], [Number.NaN, Number.NaN, Number.NaN]],
      ['single point', [50], [5]],
      ['all infinite', [Infinity, -Infinity, Infinity], [1, 2, 3]],
      ['some infinite', [1, 2, Infinity, 3, 4], [1, 2, 3, -Infinity, 4]],
      ['constant, both zero', Array<number>(60).fill(0), Array<number>(60).fill(0)],
      ['constant, different', Array<number>(60).fill(3), Array<number>(60).fill(0)],
    ];
    for (const name of ['isd', 'kayenta'] as const) {
      for (const [label, canary, baseline] of cases) {
        const result = judgeOne(name, canary, baseline);
        expect({ label, name, score: Number.isFinite(result.score) }).toEqual({ label, name, score: true });
        if (name === 'isd') expect(JSON.stringify(result)).not.toMatch(/NaN/);
      }
    }
    expect(judgeOne('isd', [], []).metrics[0]!.classification).toBe('Nodata');
    expect(judgeOne('isd', [Infinity, -Infinity, Infinity], [1, 2, 3]).metrics[0]!.reason).toMatch(/3 missing/);
    expect(judgeOne('isd', Array<number>(60).fill(3), Array<number>(60).fill(0)).metrics[0]!.classification).toBe(
      'High',
    );
  });

  it('refuses values so large that their squares overflow, naming the first one, instead of hanging', () => {
    const huge = Array.from({ length: 60 }, (_, i) => (i % 2 ? 1e308 : -1e308));
    for (const name of ['isd', 'kayenta'] as const) {
      expect(() => judgeOne(name, [1, 2, 3], [1, 2, 1e200])).toThrow(
        /metrics\.0\.baseline\.values\.2: must be within ±1e\+150 \(got 1e\+200\)/,
      );
      expect(() => judgeOne(name, huge, huge)).toThrow(JudgeInputError);
      // An infinite point is a gap; a huge one after it is still refused.
      expect(() => judgeOne(name, [1, Infinity, 1e200], [1, 2, 3])).toThrow(
        /metrics\.0\.canary\.values\.2: must be within/,
      );
    }
    // Kayenta's classifier on its own (no validation) reports an error rather than ranking forever.
    const metricOfHuge = metric(Array<number>(50).fill(1.5e308), Array<number>(50).fill(1e308));
    expect(classifyKayentaMetric(metricOfHuge).classification).toBe('Error');
  });
});

describe('isd judge on a per-pod average with one canary pod against ten (held-out set 3)', () => {
  // CPU per pod in cores around a shared traffic cycle, with each pod's own noise (CV 8 %); a side's value
  // is the average over its pods, so ten baseline pods vary √10 times less than the one canary pod.
  const perPodAverage = (random: ReturnType<typeof createRandom>, pods: number, cost: number) =>
    Array.from({ length: 240 }, (_, t) => {
      const load = 0.5 * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 240));
      let sum = 0;
      for (let pod = 0; pod < pods; pod++) sum += load * cost * (1 + 0.08 * random.normal());
      return sum / pods;
    });
  const podMetric = (seed: number, canaryCost: number, withPodCounts: boolean) => {
    const random = createRandom(seed);
    const m = metric(perPodAverage(random, 1, canaryCost), perPodAverage(random, 10, 1));
    if (withPodCounts) {
      m.baseline.requestCounts = m.baseline.values.map(() => 10);
      m.canary.requestCounts = m.canary.values.map(() => 1);
    }
    return m;
  };

  it('passes the same code when the pods behind each point are given as counts, and still fails +20 %', () => {
    const healthy = [1, 2, 3, 4, 5].map((seed) => classifyIsdMetric(podMetric(seed, 1, true)).classification);
    expect(healthy).toEqual(['Pass', 'Pass', 'Pass', 'Pass', 'Pass']);
    // Without the counts the single pod's larger noise is read as a canary that varies more.
    expect(classifyIsdMetric(podMetric(1, 1, false)).classification).toBe('High');
    expect(classifyIsdMetric(podMetric(1, 1.2, true)).classification).toBe('High');
  });
});

describe('isd judge on a steady leak under the practical margin (decision 234)', () => {
  const n = 240; // an hour of 15 s steps
  // AR(1) noise around a level, times a shape over the window (a ramp, a step).
  const series = (seed: number, level: number, shape: (t: number) => number = () => 1, cv = 0.01) => {
    const random = createRandom(seed);
    let state = random.normal();
    return Array.from({ length: n }, (_, t) => {
      state = 0.5 * state + Math.sqrt(0.75) * random.normal();
      return level * shape(t) * (1 + cv * state);
    });
  };
  const judged = (m: MetricInput) =>
    createIsdJudge().judge({ metrics: [m], groupWeights: {}, thresholds: { pass: 95, marginal: 75 }, stepSeconds: 15 })
      .metrics[0]!;
  const leakFinding = (result: ReturnType<typeof judged>) => result.findings.find((f) => f.test === 'leak');

  it('fails memory that leaks 4 % per hour though its end is under the margin, and says the rate and projection', () => {
    const baseline = series(41, 1000);
    const canary = series(42, 1000, (t) => 1 + (0.04 * t) / (n - 1));
    const result = judged(metric(canary, baseline));
    expect(result.numbers.driftEndChange).toBeLessThan(0.065);
    expect(result.findings.find((f) => f.test === 'drift')?.regression).toBe(false);
    expect(result.classification).toBe('High');
    const leak = leakFinding(result)!;
    expect(leak.regression).toBe(true);
    expect(leak.numbers.changePerHour).toBeCloseTo(0.04, 2);
    expect(leak.numbers.projectedChange).toBeGreaterThan(0.065);
    expect(leak.message).toMatch(/^canary leaks: canary − baseline changes by \+4\.\d+% of the baseline mean per hour/);
    expect(leak.message).toMatch(/projected after as long again \(59\.75 min\), margin \+6\.5%/);
    expect(result.reason).toMatch(/decided by the steady-divergence \(leak\) test/);
  });

  it('fails a throughput that falls steadily for direction decrease, and words the rate per window without a step', () => {
    const baseline = series(43, 500);
    const canary = series(44, 500, (t) => 1 - (0.04 * t) / (n - 1));
    const result = classifyIsdMetric(metric(canary, baseline, { direction: 'decrease' }));
    expect(result.classification).toBe('Low');
    expect(leakFinding(result)?.message).toMatch(
      /changes by -\d\.\d+% of the baseline mean over the window's 239 steps/,
    );
  });

  it('passes a shared ramp seen through a 3 % level offset: the baseline moves more than the difference', () => {
    const ramp = (t: number) => 1 + (3 * t) / (n - 1);
    const result = judged(metric(series(46, 103, ramp), series(45, 100, ramp)));
    expect(result.classification).toBe('Pass');
    const leak = leakFinding(result)!;
    expect(leak.numbers.projectedChange).toBeGreaterThan(0.065);
    expect(leak.message).toMatch(/^no steady leak \(the baseline moves as much on its own/);
  });

  it('passes a one-time step that ended: +4 % at 40 % of the window and flat after, or +6 % for a while', () => {
    const flat = series(47, 1000, () => 1, 0.005);
    const stepped = judged(
      metric(
        series(48, 1000, (t) => (t >= 0.4 * n ? 1.04 : 1), 0.005),
        flat,
      ),
    );
    expect(stepped.classification).toBe('Pass');
    const leak = leakFinding(stepped)!;
    expect(leak.numbers.driftP).toBeLessThan(1e-6);
    expect(leak.numbers.projectedChange).toBeGreaterThan(0.065);
    expect(leak.message).toMatch(/^no steady leak \(not a steady trend/);
    const bump = judged(
      metric(
        series(48, 1000, (t) => (t >= 0.4 * n && t < 0.85 * n ? 1.06 : 1), 0.005),
        flat,
      ),
    );
    expect(bump.classification).toBe('Pass');
    expect(leakFinding(bump)?.regression ?? false).toBe(false);
  });

  it('passes noisy flat series: no leak finding in 40 seeded healthy pairs', () => {
    const flagged = Array.from({ length: 40 }, (_, seed) =>
      judged(
        metric(
          series(100 + seed, 1000, () => 1, 0.05),
          series(200 + seed, 1000, () => 1, 0.05),
        ),
      ),
    ).filter((result) => leakFinding(result)?.regression);
    expect(flagged).toHaveLength(0);
  });

  it('refuses a step length that is not a positive number of seconds, naming the field', () => {
    const input = { metrics: [metric([1, 2, 3], [1, 2, 3])], groupWeights: {}, thresholds: { pass: 95, marginal: 75 } };
    expect(() => createIsdJudge().judge({ ...input, stepSeconds: 0 })).toThrow(/stepSeconds: must be a finite number/);
    expect(() => createIsdJudge().judge({ ...input, stepSeconds: Number.NaN })).toThrow(JudgeInputError);
  });
});

describe('isd judge on a floor that rises late (decision 249)', () => {
  const n = 240; // an hour of 15 s steps
  // Memory: a resident size, a heap that grows with the traffic and falls back after each collection
  // (about thirty a window), plus `extra(t)` bytes (a leak) and 0.2 % noise.
  const memory = (seed: number, extra: (t: number) => number = () => 0) => {
    const random = createRandom(seed);
    const resident = 1000;
    const heapLimit = 150;
    let heap = random.next() * heapLimit;
    return Array.from({ length: n }, (_, t) => {
      heap += (heapLimit / 8) * (0.8 + 0.4 * random.next());
      if (heap >= heapLimit) heap = 0.1 * heapLimit * random.next();
      return (resident + heap + extra(t)) * (1 + 0.002 * random.normal());
    });
  };
  // The canary leaks from 70 % of the window on, reaching +10 % of the resident size at the end.
  const lateLeak = (t: number) => (t < 0.7 * n ? 0 : (100 * (t - 0.7 * n)) / (0.3 * n - 1));
  const floorFinding = (result: MetricResult) => result.findings.find((f) => f.test === 'floor');

  it('fails memory whose floor rises from 70 % of the window though its sawtooth hides it from the other tests', () => {
    const result = classifyIsdMetric(metric(memory(61, lateLeak), memory(62)));
    expect(result.classification).toBe('High');
    const floor = floorFinding(result)!;
    expect(floor.regression).toBe(true);
    expect(result.findings.filter((f) => f.regression).map((f) => f.test)).toEqual(['floor']);
    expect(floor.numbers.endChange).toBeGreaterThan(0.065);
    expect(floor.message).toMatch(
      /^canary's floor rises: the lowest value of each 20th of the window, canary − baseline, is \+\d+\.\d+% of the baseline mean over the last 2 blocks against [+-]\d\.\d+% over the first half; rise p=/,
    );
    expect(result.reason).toMatch(/decided by the floor \(lowest values per block\) test/);
  });

  it('does not call a shared ramp seen through a 5 % level offset a floor rise: the baseline floor rises too', () => {
    // Both sides ×3 over the second half; the difference rises with them (the drift test's concern).
    const ramp = (t: number) => 1 + (2 * Math.max(0, t - 0.5 * n)) / (0.5 * n);
    const baseline = memory(64).map((value, t) => value * ramp(t));
    const canary = memory(63).map((value, t) => 1.05 * value * ramp(t));
    const floor = floorFinding(classifyIsdMetric(metric(canary, baseline)))!;
    expect(floor.numbers.endChange).toBeGreaterThan(0.065);
    expect(floor.numbers.baselineRiseP).toBeLessThan(0.001);
    expect(floor.regression).toBe(false);
    expect(floor.message).toMatch(/^no harmful floor change \(not the canary's own rise/);
  });

  it('does not call a jump in the last tenth alone a floor rise: a leak builds up', () => {
    const jump = (t: number) => (t >= 0.9 * n ? 100 : 0);
    const result = classifyIsdMetric(metric(memory(65, jump), memory(66)));
    const floor = floorFinding(result)!;
    expect(floor.regression).toBe(false);
    expect(floor.message).toMatch(/^no harmful floor change \(not the canary's own rise/);
  });

  it('passes healthy sawtooth pairs and a floor stuck at zero: no floor regression in 40 seeded pairs', () => {
    const healthy = Array.from({ length: 40 }, (_, seed) =>
      classifyIsdMetric(metric(memory(300 + seed), memory(400 + seed))),
    ).filter((result) => floorFinding(result)?.regression);
    expect(healthy).toHaveLength(0);
    const zeros = (ones: number) => Array.from({ length: n }, (_, t) => (t % 8 === 0 || t >= n - ones ? 1 : 0));
    const sparseEnd = classifyIsdMetric(metric(zeros(24), zeros(0)));
    expect(floorFinding(sparseEnd)).toBeUndefined();
  });
});
