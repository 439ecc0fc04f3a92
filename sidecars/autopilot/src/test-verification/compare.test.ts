import { compareTestRuns, DEFAULT_DURATION_RULE, PENALTIES, type TestRun } from './compare';
import type { TestCase, TestOutcome } from './results';

const thresholds = { pass: 80, marginal: 60 };

function test(
  name: string,
  outcome: TestOutcome = 'passed',
  durationMs: number | null = 10,
  failedAttempts = 0,
): TestCase {
  return {
    id: `com.acme.T.${name}`,
    suite: 'com.acme.T',
    className: 'com.acme.T',
    name,
    outcome,
    durationMs,
    message: outcome === 'failed' ? `${name} broke` : null,
    failedAttempts,
  };
}

const run = (label: string, ...cases: TestCase[]): TestRun => ({ label, cases });

describe('compareTestRuns', () => {
  it('passes a canary whose results equal the baseline, with 100', () => {
    const cases = [test('a'), test('b', 'skipped'), test('c', 'failed')];
    const result = compareTestRuns([run('b1', ...cases)], [run('c1', ...cases)], thresholds);
    expect(result).toMatchObject({ score: 100, verdict: 'pass', penalties: [] });
    expect(result.counts).toMatchObject({ stillFailing: 1, newFailures: 0, fixed: 0, flaky: 0 });
    expect(result.reason).toMatch(/^no new failures.*score 100 is pass/);
  });

  it('fails a canary with a new failure; fixed and still-failing tests cost nothing', () => {
    const result = compareTestRuns(
      [run('b1', test('a'), test('b', 'failed'), test('c', 'failed'))],
      [run('c1', test('a', 'failed'), test('b'), test('c', 'failed'))],
      thresholds,
    );
    expect(result.newFailures.map((f) => [f.name, f.message, f.baseline.status, f.canary.status])).toEqual([
      ['a', 'a broke', 'passed', 'failed'],
    ]);
    expect(result.fixed.map((f) => f.name)).toEqual(['b']);
    expect(result.stillFailing.map((f) => f.name)).toEqual(['c']);
    expect(result.score).toBe(100 - PENALTIES.newFailure);
    expect(result.verdict).toBe('fail');
  });

  it('finds flaky tests across runs and within a run (reruns), and charges only newly flaky ones', () => {
    const result = compareTestRuns(
      [run('b1', test('a'), test('old', 'failed')), run('b2', test('a'), test('old'))],
      [
        run('c1', test('a', 'failed'), test('old'), test('rerun', 'passed', 10, 2)),
        run('c2', test('a'), test('old', 'failed'), test('rerun')),
      ],
      thresholds,
    );
    const flaky = new Map(result.flaky.map((f) => [f.name, f]));
    expect(flaky.get('a')).toMatchObject({ newlyFlaky: true, canary: { passed: 1, failed: 1 } });
    expect(flaky.get('old')).toMatchObject({ newlyFlaky: false, baseline: { status: 'flaky' } });
    // A new test that needed reruns is flaky from its first build.
    expect(flaky.get('rerun')).toMatchObject({ newlyFlaky: true, canary: { passed: 2, failed: 2 } });
    expect(result.counts).toMatchObject({ flaky: 3, newlyFlaky: 2, newFailures: 0, newTests: 1 });
    expect(result.score).toBe(100 - 2 * PENALTIES.newlyFlaky);
    expect(result.verdict).toBe('marginal');
  });

  it('flags a slower test only beyond both the ratio and the absolute floor', () => {
    const baseline = [run('b', test('tiny', 'passed', 2), test('long', 'passed', 10_000), test('mid', 'passed', 400))];
    const canary = [run('c', test('tiny', 'passed', 40), test('long', 'passed', 11_000), test('mid', 'passed', 900))];
    const result = compareTestRuns(baseline, canary, thresholds);
    // tiny: 20× but 38 ms (noise); long: +1 s but 1.1×; mid: 2.25× and +500 ms; the suite 1.15×.
    expect(result.slower).toEqual([{ id: 'com.acme.T.mid', baselineMs: 400, canaryMs: 900, ratio: 2.25 }]);
    expect(result.score).toBe(100 - PENALTIES.slowerTest);
  });

  it('ignores a slowdown whose runs overlap the baseline runs (noise), and counts one that does not', () => {
    const side = (label: string, times: number[]) =>
      times.map((ms, i) => run(`${label}${i}`, test('io', 'passed', ms)));
    const noisy = compareTestRuns(side('b', [300, 1400, 320]), side('c', [900, 1000, 1100]), thresholds);
    expect(noisy.slower).toEqual([]);
    const real = compareTestRuns(side('b', [300, 350, 320]), side('c', [900, 1000, 1100]), thresholds);
    expect(real.slower).toEqual([{ id: 'com.acme.T.io', baselineMs: 320, canaryMs: 1000, ratio: 3.13 }]);
  });

  it('compares suite totals over the tests both sides ran, so new tests do not count as slowdown', () => {
    const many = (ms: number) => Array.from({ length: 20 }, (_, i) => test(`t${i}`, 'passed', ms));
    const result = compareTestRuns(
      [run('b', ...many(200))],
      [run('c', ...many(240), test('brand-new', 'passed', 60_000))],
      thresholds,
    );
    expect(result.suite).toEqual({ baselineMs: 4000, canaryMs: 4800, ratio: 1.2, slower: false, tests: 20 });
    const slowSuite = compareTestRuns([run('b', ...many(200))], [run('c', ...many(300))], thresholds);
    expect(slowSuite.suite).toMatchObject({ slower: true, ratio: 1.5 });
    // No single test crossed the 250 ms floor; the suite as a whole did.
    expect(slowSuite.slower).toEqual([]);
    expect(slowSuite.score).toBe(100 - PENALTIES.slowerSuite);
    expect(result.counts.newTests).toBe(1);
  });

  it('counts missing and newly skipped tests, but not a test the baseline skipped too', () => {
    const result = compareTestRuns(
      [run('b', test('gone'), test('hidden', 'failed'), test('off', 'skipped'), test('kept'))],
      [run('c', test('hidden', 'skipped'), test('kept'))],
      thresholds,
    );
    expect(result.missing.map((f) => f.name)).toEqual(['gone']);
    expect(result.newlySkipped.map((f) => f.name)).toEqual(['hidden']);
    expect(result.score).toBe(100 - PENALTIES.missing - PENALTIES.newlySkipped);
    expect(result.penalties.map((p) => p.rule)).toEqual(['missing test', 'newly skipped']);
  });

  it('caps the slower-test penalty, never scores below 0, and applies the thresholds as metric verifications do', () => {
    const baseline = run('b', ...Array.from({ length: 10 }, (_, i) => test(`s${i}`, 'passed', 100)));
    const canary = run('c', ...Array.from({ length: 10 }, (_, i) => test(`s${i}`, 'passed', 1000)));
    const slow = compareTestRuns([baseline], [canary], { pass: 60, marginal: 50 });
    expect(slow.penalties).toContainEqual({ rule: 'slower test', count: 10, points: PENALTIES.slowerTestsCap });
    expect(slow.score).toBe(100 - PENALTIES.slowerTestsCap - PENALTIES.slowerSuite);
    expect(slow.verdict).toBe('pass'); // 60 ≥ pass 60
    const broken = compareTestRuns(
      [run('b', test('a'), test('b'), test('c'))],
      [run('c', test('a', 'failed'), test('b', 'failed'), test('c', 'failed'))],
      thresholds,
    );
    expect(broken).toMatchObject({ score: 0, verdict: 'fail' });
    expect(broken.reason).toMatch(/^3 new failures; score 0 is fail/);
  });

  it('refuses a canary without test cases, and treats an empty baseline as all-new tests', () => {
    expect(() => compareTestRuns([run('b', test('a'))], [run('c')], thresholds)).toThrow(/no test case/);
    const result = compareTestRuns([], [run('c', test('a'), test('b', 'failed'))], thresholds);
    expect(result.counts).toMatchObject({ newTests: 2, newFailures: 1 });
  });

  it('summarises every run and keeps the rule it applied', () => {
    const result = compareTestRuns(
      [run('web #41', test('a', 'passed', 5), test('b', 'skipped', null))],
      [run('web #42', test('a', 'failed', 7))],
      thresholds,
    );
    expect(result.baseline.runs).toEqual([
      { label: 'web #41', tests: 2, passed: 1, failed: 0, skipped: 1, durationMs: 5 },
    ]);
    expect(result.canary.runs[0]).toMatchObject({ label: 'web #42', failed: 1, durationMs: 7 });
    expect(result.durationRule).toEqual(DEFAULT_DURATION_RULE);
  });
});
