// Request counts in the `isd` judge (decision 176): an unequal traffic split is compared per request, equal
// counts and no counts judge exactly as before, and bad counts are refused naming the field. The event-count
// test compares events per request (decision 181).
import { classifyIsdMetric, createIsdJudge } from './isd-judge';
import { JudgeInputError, normalizeMetricConfig, type MetricConfigInput, type MetricInput } from './model';
import { createRandom, type Random } from './random';
import {
  baselineDispersion,
  NoiseMatchedBaseline,
  perRequestEventTest,
  perRequestFactor,
  planRequestCounts,
} from './request-counts';
import { kolmogorovSmirnov } from './statistics';

const STEPS = 240;
/** Requests per step of a side: a traffic pattern both sides share, times the side's share. */
const traffic = (share: number) =>
  Array.from({ length: STEPS }, (_, t) => Math.max(1, Math.round(share * (2000 + 600 * Math.sin(t / 25)))));

/**
 * Per-step means of `counts[t]` requests whose latencies have SD `requestSd` around a level that follows the
 * shared load, plus the side's own process noise (SD `processSd` per step).
 */
function perStepMeans(random: Random, counts: number[], level: number, requestSd: number, processSd = 0): number[] {
  return counts.map(
    (n, t) =>
      level * (1 + 0.05 * Math.sin(t / 25)) +
      processSd * random.normal() +
      (requestSd / Math.sqrt(n)) * random.normal(),
  );
}

function metric(
  baseline: number[],
  canary: number[],
  counts?: { baseline?: Array<number | null>; canary?: Array<number | null> },
  config: Partial<MetricConfigInput> = {},
): MetricInput {
  return {
    config: normalizeMetricConfig({ name: 'latency', groups: ['latency'], direction: 'increase', ...config }),
    baseline: { values: baseline, ...(counts?.baseline ? { requestCounts: counts.baseline } : {}) },
    canary: { values: canary, ...(counts?.canary ? { requestCounts: counts.canary } : {}) },
  };
}

const regressions = (result: ReturnType<typeof classifyIsdMetric>) =>
  result.findings.filter((finding) => finding.regression).map((finding) => finding.test);

/**
 * The result without what only counts add (the totals, and the words saying the tests compared per
 * request), to compare with a judgement without counts.
 */
function withoutCountReport(result: ReturnType<typeof classifyIsdMetric>) {
  const { requestCounts: _use, numbers, findings, ...rest } = result;
  const { baselineRequests: _b, canaryRequests: _c, ...otherNumbers } = numbers;
  const message = (text: string) =>
    text
      .replace(/ \(per request: canary residuals × √\(canary\/baseline requests\), \d+ steps\)/g, '')
      .replace(/ against the baseline plus the canary’s extra sampling noise/g, '');
  return {
    ...rest,
    reason: message(rest.reason),
    numbers: otherNumbers,
    findings: findings.map((finding) => ({ ...finding, message: message(finding.message) })),
  };
}

describe('isd judge with request counts (unequal split)', () => {
  const baselineCounts = traffic(0.9);
  const canaryCounts = traffic(0.1);

  it('passes a healthy canary with a tenth of the traffic, which fails on its sampling noise without counts', () => {
    for (const seed of [1, 2, 3]) {
      const random = createRandom(seed);
      const baseline = perStepMeans(random, baselineCounts, 0.2, 0.3);
      const canary = perStepMeans(random, canaryCounts, 0.2, 0.3);
      const without = classifyIsdMetric(metric(baseline, canary));
      expect(without.classification).toBe('High');
      expect(regressions(without)).toContain('spread');
      const withCounts = classifyIsdMetric(
        metric(baseline, canary, { baseline: baselineCounts, canary: canaryCounts }),
      );
      expect(withCounts.classification).toBe('Pass');
      expect(withCounts.requestCounts).toMatchObject({
        used: true,
        baselineTotal: baselineCounts.reduce((a, b) => a + b, 0),
        canaryTotal: canaryCounts.reduce((a, b) => a + b, 0),
        stepsWithCounts: STEPS,
      });
      expect(withCounts.numbers.canaryRequests).toBe(withCounts.requestCounts!.canaryTotal);
      expect(withCounts.findings.find((f) => f.test === 'spread')!.message).toMatch(/× √\(canary\/baseline requests\)/);
      expect(withCounts.findings.find((f) => f.test === 'shape-up')!.message).toMatch(/extra sampling noise/);
    }
  });

  it('still fails a small canary that is slower, or whose own process varies more than its requests explain', () => {
    const random = createRandom(4);
    const baseline = perStepMeans(random, baselineCounts, 0.2, 0.3);
    const slower = perStepMeans(random, canaryCounts, 0.2 * 1.3, 0.3 * 1.3);
    const counts = { baseline: baselineCounts, canary: canaryCounts };
    expect(classifyIsdMetric(metric(baseline, slower, counts)).classification).toBe('High');
    const unstable = perStepMeans(random, canaryCounts, 0.2, 0.3, 0.05);
    const result = classifyIsdMetric(metric(baseline, unstable, counts));
    expect(result.classification).toBe('High');
    expect(regressions(result)).toContain('spread');
  });

  it('judges exactly as without counts when both sides have the same counts at every step', () => {
    const counts = traffic(0.5);
    const cases: Array<[string, (random: Random) => [number[], number[]]]> = [
      ['healthy', (r) => [perStepMeans(r, counts, 0.2, 0.3), perStepMeans(r, counts, 0.2, 0.3)]],
      ['variance ×2', (r) => [perStepMeans(r, counts, 0.2, 0.3, 0.005), perStepMeans(r, counts, 0.2, 0.3, 0.02)]],
      ['slower', (r) => [perStepMeans(r, counts, 0.2, 0.3), perStepMeans(r, counts, 0.25, 0.3)]],
      ['faster', (r) => [perStepMeans(r, counts, 0.2, 0.3), perStepMeans(r, counts, 0.15, 0.3)]],
    ];
    const seen = new Set<string>();
    for (const [, make] of cases) {
      for (const direction of ['increase', 'decrease', 'either'] as const) {
        const [baseline, canary] = make(createRandom(7));
        const plain = classifyIsdMetric(metric(baseline, canary, undefined, { direction }));
        const equal = classifyIsdMetric(
          metric(baseline, canary, { baseline: counts, canary: [...counts] }, { direction }),
        );
        expect(equal.requestCounts?.used).toBe(true);
        expect(withoutCountReport(equal)).toEqual(plain);
        seen.add(plain.classification);
      }
    }
    // The cases cover passes and both kinds of regression.
    expect(seen).toEqual(new Set(['Pass', 'High', 'Low']));
  });

  it('leaves a step whose count is unknown out of the per-request spread, and drops counts known at too few steps', () => {
    const random = createRandom(5);
    const baseline = perStepMeans(random, baselineCounts, 0.2, 0.3);
    const canary = perStepMeans(random, canaryCounts, 0.2, 0.3);
    const someUnknown = canaryCounts.map((count, t) => (t % 10 === 0 ? null : count));
    const partly = classifyIsdMetric(metric(baseline, canary, { baseline: baselineCounts, canary: someUnknown }));
    expect(partly.classification).toBe('Pass');
    expect(partly.requestCounts).toMatchObject({ used: true, stepsWithCounts: STEPS - STEPS / 10 });
    const mostlyUnknown = canaryCounts.map((count, t) => (t % 3 === 0 ? count : null));
    const few = classifyIsdMetric(metric(baseline, canary, { baseline: baselineCounts, canary: mostlyUnknown }));
    expect(few.requestCounts?.used).toBe(false);
    expect(few.warnings.join(' ')).toMatch(/request counts not used: only 80 of 240 canary steps have a count/);
    expect(withoutCountReport(few)).toEqual({
      ...classifyIsdMetric(metric(baseline, canary)),
      warnings: few.warnings,
    });
  });

  it('keeps a repeated baseline value exact: no shape alarm for an error ratio that is 0 at most steps', () => {
    for (const seed of [9, 10, 11]) {
      const random = createRandom(seed);
      // Errors per request at 0.02 %: most steps have no error at all on either side.
      const ratio = (counts: number[]) =>
        counts.map((n) => {
          let errors = 0;
          for (let i = 0; i < n; i++) if (random.next() < 0.0002) errors++;
          return errors / n;
        });
      const baseline = ratio(baselineCounts);
      const canary = ratio(canaryCounts);
      const result = classifyIsdMetric(metric(baseline, canary, { baseline: baselineCounts, canary: canaryCounts }));
      // (The event-count test reads the counts too: see decision 181 and its tests below.)
      const shape = result.findings.find((finding) => finding.test === 'shape-up')!;
      expect(shape.message).toMatch(/extra sampling noise/);
      expect(shape.regression).toBe(false);
      const zeros = baseline.filter((value) => value === 0).length;
      expect(zeros).toBeGreaterThan(STEPS / 2);
      const occurrences = new Map<number, number>();
      for (const value of baseline) occurrences.set(value, (occurrences.get(value) ?? 0) + 1);
      const repeated = baseline.filter((value) => occurrences.get(value)! > 1).length;
      expect(result.requestCounts?.note).toContain(`(${repeated} baseline points on a repeated value kept exact)`);
    }
  });

  it('adds the extra noise only to baseline values that occur once, where the canary had fewer requests', () => {
    const timed = { x: [0, 1, 2, 3, 4], y: [0, 0, 0.5, 0.7, 0.9] };
    const plan = planRequestCounts(
      [100, 100, 100, 100, 10],
      [10, 10, 10, 100, 100],
      timed,
      { timedCanary: { x: [0, 1, 2, 3, 4], y: [0, 0, 0.1, -0.1, 0.05] }, windowPoints: 3 },
      'not aligned',
    );
    expect(plan.baselineExtraSd!.map((sd) => sd > 0)).toEqual([false, false, true, false, false]);
  });

  it('says why counts are not used: one side only, outlier removal, series not aligned', () => {
    const random = createRandom(6);
    const baseline = perStepMeans(random, baselineCounts, 0.2, 0.3);
    const canary = perStepMeans(random, canaryCounts, 0.2, 0.3);
    const oneSide = classifyIsdMetric(metric(baseline, canary, { canary: canaryCounts }));
    expect(oneSide.warnings).toContain('request counts only on the canary side: not used (both sides need them)');
    expect(oneSide.requestCounts).toBeUndefined();
    const removed = classifyIsdMetric(
      metric(
        baseline,
        canary,
        { baseline: baselineCounts, canary: canaryCounts },
        { outliers: { strategy: 'remove' } },
      ),
    );
    expect(removed.requestCounts?.used).toBe(false);
    expect(removed.warnings.join(' ')).toMatch(/outliers.strategy remove/);
    const shorter = classifyIsdMetric(
      metric(baseline, canary.slice(0, 200), { baseline: baselineCounts, canary: canaryCounts.slice(0, 200) }),
    );
    expect(shorter.requestCounts?.used).toBe(false);
    expect(shorter.warnings.join(' ')).toMatch(/time-aligned/);
  });

  it('refuses counts that do not fit the values, naming the field', () => {
    const judge = createIsdJudge();
    const input = (counts: { baseline?: Array<number | null>; canary?: Array<number | null> }) => ({
      metrics: [metric([1, 2, 3], [1, 2, 3], counts)],
      groupWeights: {},
      thresholds: { pass: 95, marginal: 75 },
    });
    const issues = (counts: { baseline?: Array<number | null>; canary?: Array<number | null> }) => {
      try {
        judge.judge(input(counts));
      } catch (error) {
        expect(error).toBeInstanceOf(JudgeInputError);
        return (error as JudgeInputError).issues;
      }
      throw new Error('accepted');
    };
    expect(issues({ canary: [1, 2] })).toEqual([
      { path: 'metrics.0.canary.requestCounts', message: 'must have one count per value: 2 counts for 3 values' },
    ]);
    expect(issues({ baseline: [1, -1, 2] })[0]!.path).toBe('metrics.0.baseline.requestCounts.1');
    expect(issues({ baseline: [1, 2, Number.NaN] })[0]!.path).toBe('metrics.0.baseline.requestCounts.2');
    expect(issues({ baseline: [Infinity, 2, 3] })[0]!.message).toMatch(/finite number ≥ 0/);
    expect(() => judge.judge(input({ baseline: [1, null, 3], canary: [0, 0, 0] }))).not.toThrow();
  });
});

describe('the noise-matched baseline', () => {
  it('is the plain sample when no step has extra noise: the same KS distances as the two-sample test', () => {
    const random = createRandom(8);
    for (let round = 0; round < 20; round++) {
      // Rounded values give ties within and across the samples.
      const baseline = Array.from({ length: 40 }, () => Math.round(10 * random.normal()));
      const canary = Array.from({ length: 35 }, () => Math.round(10 * random.normal() + round / 4));
      const matched = new NoiseMatchedBaseline(
        baseline,
        baseline.map(() => 0),
      );
      const sorted = [...canary].sort((a, b) => a - b);
      for (const alternative of ['greater', 'less'] as const)
        expect(matched.ksDistance(sorted, alternative)).toBeCloseTo(
          kolmogorovSmirnov(baseline, canary, alternative).statistic,
          12,
        );
    }
  });

  it('widens the baseline by the extra noise: its quantiles move out, its median stays', () => {
    const values = Array.from({ length: 101 }, (_, i) => i / 100);
    const wide = new NoiseMatchedBaseline(
      values,
      values.map(() => 0.5),
    );
    expect(wide.percentile(50)).toBeCloseTo(0.5, 6);
    expect(wide.percentile(95)).toBeGreaterThan(1.2);
    expect(wide.percentile(5)).toBeLessThan(-0.2);
  });

  it('scales a canary residual to the baseline requests: exactly 1 for equal counts, none for an unknown count', () => {
    expect(perRequestFactor(400, 400)).toBe(1);
    expect(perRequestFactor(0, 0)).toBe(1);
    expect(perRequestFactor(900, 100)).toBeCloseTo(1 / 3, 12);
    expect(perRequestFactor(null, 100)).toBeUndefined();
    expect(perRequestFactor(900, 0)).toBeUndefined();
  });
});

/** Poisson draw (Knuth's product of uniforms; the means here are small). */
function poisson(random: Random, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let product = random.next();
  while (product > limit) {
    k++;
    product *= random.next();
  }
  return k;
}

/**
 * An error ratio per step: Poisson errors at `rate` per request among `counts[t]` requests, the rate × `burst()`
 * at each step (1 without bursts).
 */
function errorRatio(random: Random, counts: number[], rate: number, burst: () => number = () => 1): number[] {
  return counts.map((n) => Math.min(n, poisson(random, n * rate * burst())) / n);
}

const eventFinding = (result: ReturnType<typeof classifyIsdMetric>) =>
  result.findings.find((finding) => finding.test === 'zero-baseline-counts')!;

describe('the event-count test with request counts (decision 181)', () => {
  const baselineCounts = traffic(0.9);
  const canaryCounts = traffic(0.1);
  const errors = { name: 'error ratio', groups: ['errors'] };

  it('passes a healthy small canary whose single errors are ratios above anything the baseline had', () => {
    const [largeCounts, smallCounts] = [traffic(0.8), traffic(0.2)];
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = createRandom(seed);
      const baseline = errorRatio(random, largeCounts, 0.0002);
      const canary = errorRatio(random, smallCounts, 0.0002);
      expect(baseline.filter((value) => value === 0).length).toBeGreaterThan(STEPS / 2);
      const withCounts = classifyIsdMetric(
        metric(baseline, canary, { baseline: largeCounts, canary: smallCounts }, errors),
      );
      const finding = eventFinding(withCounts);
      expect(finding.regression).toBe(false);
      expect(finding.message).toMatch(/no harmful change in events per request/);
      expect(withCounts.classification).toBe('Pass');
      // Without counts the canary's errors are ratios above the baseline maximum: the exceedance rule fires.
      const without = eventFinding(classifyIsdMetric(metric(baseline, canary, undefined, errors)));
      expect(without.regression).toBe(true);
      expect(without.numbers!.exceedanceP).toBeLessThan(0.001);
    }
  });

  it('stops a small canary with more errors per request, and one with errors the baseline never had', () => {
    for (const seed of [1, 2, 3]) {
      const random = createRandom(seed);
      const baseline = errorRatio(random, baselineCounts, 0.0003);
      const worse = classifyIsdMetric(
        metric(
          baseline,
          errorRatio(random, canaryCounts, 0.0003 * 4),
          { baseline: baselineCounts, canary: canaryCounts },
          errors,
        ),
      );
      expect(eventFinding(worse).regression).toBe(true);
      expect(eventFinding(worse).message).toMatch(/more events per request in the canary/);
      expect(worse.classification).toBe('High');
      const none = baselineCounts.map(() => 0);
      const fresh = classifyIsdMetric(
        metric(
          none,
          errorRatio(random, canaryCounts, 0.0003),
          { baseline: baselineCounts, canary: canaryCounts },
          errors,
        ),
      );
      expect(eventFinding(fresh).regression).toBe(true);
      expect(eventFinding(fresh).message).toMatch(/^new events: baseline had none/);
    }
  });

  it('reads bursty baseline errors as dispersion, so a small canary from the same bursty process passes', () => {
    const stops: number[] = [];
    const dispersions: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const random = createRandom(seed);
      // Each step's error rate × LogNormal(−σ²/2, σ), σ = 1.2: errors come in bursts on each side.
      const burst = () => Math.exp(1.2 * random.normal() - 0.72);
      const baseline = errorRatio(random, baselineCounts, 0.0003, burst);
      const canary = errorRatio(random, canaryCounts, 0.0003, burst);
      const result = classifyIsdMetric(
        metric(baseline, canary, { baseline: baselineCounts, canary: canaryCounts }, errors),
      );
      dispersions.push(eventFinding(result).numbers!.dispersion!);
      if (eventFinding(result).regression) stops.push(seed);
    }
    expect(stops).toEqual([]);
    expect(Math.min(...dispersions)).toBeGreaterThan(1);
    expect(dispersions.reduce((sum, value) => sum + value, 0) / dispersions.length).toBeGreaterThan(1.5);
  });

  it('judges exactly as without counts when both sides have the same counts at every step', () => {
    const counts = traffic(0.5);
    const seen = new Set<boolean>();
    for (const [seed, baselineRate, canaryRate] of [
      [1, 0.0003, 0.0003],
      [2, 0.0003, 0.003],
      [3, 0, 0.0003],
      [4, 0.0002, 0.0002],
    ] as const) {
      const random = createRandom(seed);
      const baseline = errorRatio(random, counts, baselineRate);
      const canary = errorRatio(random, counts, canaryRate);
      expect(perRequestEventTest(baseline, canary, counts, [...counts])).toBeUndefined();
      const plain = classifyIsdMetric(metric(baseline, canary, undefined, errors));
      const equal = classifyIsdMetric(metric(baseline, canary, { baseline: counts, canary: [...counts] }, errors));
      expect(withoutCountReport(equal)).toEqual(plain);
      seen.add(eventFinding(plain).regression);
    }
    expect(seen).toEqual(new Set([true, false]));
  });

  it('is the binomial tail of the canary’s events at its share of the requests, counts ÷ the dispersion', () => {
    const steps = 60;
    const baselineCounts = Array.from({ length: steps }, () => 900);
    const canaryCounts = Array.from({ length: steps }, () => 100);
    // Baseline: one error at every third step (φ̂ = 1 after the floor); canary: 6 errors.
    const baseline = baselineCounts.map((n, t) => (t % 3 === 0 ? 1 / n : 0));
    const canary = canaryCounts.map((n, t) => (t % 10 === 0 ? 1 / n : 0));
    const result = perRequestEventTest(baseline, canary, baselineCounts, canaryCounts)!;
    expect(result).toMatchObject({ baselineEvents: 20, canaryEvents: 6, steps, dispersion: 1 });
    expect(result.canaryShare).toBeCloseTo(0.1, 12);
    let tail = 0;
    for (let k = 6; k <= 26; k++) {
      let logChoose = 0;
      for (let i = 0; i < k; i++) logChoose += Math.log(26 - i) - Math.log(i + 1);
      tail += Math.exp(logChoose + k * Math.log(0.1) + (26 - k) * Math.log(0.9));
    }
    expect(result.pValue).toBeCloseTo(tail, 10);
    // Counts in another unit (×10: an `increase` over overlapping ranges) scale φ̂ with them: the same p.
    const random = createRandom(4);
    const bursty = baselineCounts.map((n) => poisson(random, 2 * Math.exp(random.normal() - 0.5)) / n);
    const once = perRequestEventTest(bursty, canary, baselineCounts, canaryCounts)!;
    const tenfold = perRequestEventTest(
      bursty,
      canary,
      baselineCounts.map((n) => n * 10),
      canaryCounts.map((n) => n * 10),
    )!;
    expect(once.dispersion).toBeGreaterThan(1);
    expect(tenfold.dispersion).toBeCloseTo(once.dispersion * 10, 9);
    expect(tenfold.pValue).toBeCloseTo(once.pValue, 12);
  });
});

describe('the baseline dispersion of events', () => {
  const counts = Array.from({ length: 400 }, () => 2000);
  const events = (values: number[]) => values.map((errors, t) => errors / counts[t]!);

  it('is about 1 for Poisson errors, also when the rate changes for a while, and well above 1 for bursts', () => {
    const random = createRandom(3);
    const poissonErrors = counts.map(() => poisson(random, 0.8));
    const plain = baselineDispersion(events(poissonErrors), counts);
    expect(plain).toBeGreaterThanOrEqual(1);
    expect(plain).toBeLessThan(1.25);
    // A dependency's incident: ×10 errors for 40 steps, a change the canary shares, not dispersion.
    const incident = counts.map((_, t) => poisson(random, t >= 200 && t < 240 ? 8 : 0.8));
    expect(baselineDispersion(events(incident), counts)).toBeLessThan(1.5);
    const bursts = counts.map(() => poisson(random, 0.8 * Math.exp(1.2 * random.normal() - 0.72)));
    expect(baselineDispersion(events(bursts), counts)).toBeGreaterThan(2);
    // No events: nothing to estimate, Poisson assumed.
    expect(baselineDispersion(events(counts.map(() => 0)), counts)).toBe(1);
  });
});
