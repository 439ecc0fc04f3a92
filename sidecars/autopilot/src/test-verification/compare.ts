// Compares the test results of a canary build with the baseline's, each given as one or more runs:
// new failures, fixed tests, flaky tests (failing in some attempts and passing in others), duration
// regressions per test and for the whole suite, missing, new and newly skipped tests; then a score and a
// verdict on the same thresholds as metric verifications. Rules and weights: docs/decisions/110.
import { classifyScore, type ScoreThresholds } from '../domain';
import type { TestCase, TestOutcome } from './results';

/** When a test or the suite counts as slower. */
export interface DurationRule {
  /** A test is slower when its canary median is at least this many times its baseline median… */
  ratio: number;
  /** …and at least this many ms longer (sub-second tests jitter by tens of ms run to run). */
  minIncreaseMs: number;
  /** The suite total (tests run on both sides) is slower at this ratio… */
  suiteRatio: number;
  /** …and this many ms more. */
  suiteMinIncreaseMs: number;
}

export const DEFAULT_DURATION_RULE: DurationRule = {
  ratio: 1.5,
  minIncreaseMs: 250,
  suiteRatio: 1.2,
  suiteMinIncreaseMs: 2_000,
};

/** Points one finding costs (100 = a perfect canary). */
export const PENALTIES = {
  newFailure: 50,
  newlyFlaky: 20,
  missing: 10,
  newlySkipped: 5,
  slowerTest: 5,
  slowerTestsCap: 25,
  slowerSuite: 15,
} as const;

/** Entries kept per list in the report (the counts are always complete). */
export const MAX_LISTED = 500;

/** One run's results with where they came from. */
export interface TestRun {
  label: string;
  cases: TestCase[];
}

/** A test's outcome over all attempts of one side. */
export type SideStatus = 'absent' | 'skipped' | 'passed' | 'failed' | 'flaky';

export interface SideTally {
  status: SideStatus;
  passed: number;
  failed: number;
  skipped: number;
  /** Median of the timed attempts that ran (null: none). */
  medianMs: number | null;
}

export interface TestFinding {
  id: string;
  suite: string;
  name: string;
  message: string | null;
  baseline: SideTally;
  canary: SideTally;
}

export interface SlowerTest {
  id: string;
  baselineMs: number;
  canaryMs: number;
  /** null when the baseline took 0 ms. */
  ratio: number | null;
}

export interface RunSummary {
  label: string;
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

export interface TestComparison {
  score: number;
  verdict: 'pass' | 'marginal' | 'fail';
  reason: string;
  thresholds: ScoreThresholds;
  durationRule: DurationRule;
  baseline: { runs: RunSummary[]; tests: number };
  canary: { runs: RunSummary[]; tests: number };
  counts: {
    newFailures: number;
    stillFailing: number;
    fixed: number;
    flaky: number;
    newlyFlaky: number;
    slower: number;
    missing: number;
    newTests: number;
    newlySkipped: number;
  };
  newFailures: TestFinding[];
  stillFailing: TestFinding[];
  fixed: TestFinding[];
  flaky: Array<TestFinding & { newlyFlaky: boolean }>;
  slower: SlowerTest[];
  suite: { baselineMs: number; canaryMs: number; ratio: number | null; slower: boolean; tests: number };
  missing: TestFinding[];
  newTests: TestFinding[];
  newlySkipped: TestFinding[];
  penalties: Array<{ rule: string; count: number; points: number }>;
}

interface Attempts {
  first: TestCase;
  outcomes: TestOutcome[];
  failedAttempts: number;
  durations: number[];
  message: string | null;
}

function collect(runs: TestRun[]): Map<string, Attempts> {
  const byId = new Map<string, Attempts>();
  for (const run of runs) {
    for (const testCase of run.cases) {
      let attempts = byId.get(testCase.id);
      if (!attempts) {
        attempts = { first: testCase, outcomes: [], failedAttempts: 0, durations: [], message: null };
        byId.set(testCase.id, attempts);
      }
      attempts.outcomes.push(testCase.outcome);
      attempts.failedAttempts += testCase.failedAttempts;
      if (testCase.outcome !== 'skipped' && testCase.durationMs !== null) attempts.durations.push(testCase.durationMs);
      // The failure message is what a reader needs; a skip reason only when nothing failed.
      if (testCase.message && (testCase.outcome === 'failed' || attempts.message === null))
        attempts.message = testCase.message;
    }
  }
  return byId;
}

function tally(attempts: Attempts | undefined): SideTally {
  if (!attempts) return { status: 'absent', passed: 0, failed: 0, skipped: 0, medianMs: null };
  const passed = attempts.outcomes.filter((o) => o === 'passed').length;
  // A pass after failed reruns inside one run is a failed attempt too.
  const failed = attempts.outcomes.filter((o) => o === 'failed').length + attempts.failedAttempts;
  const skipped = attempts.outcomes.filter((o) => o === 'skipped').length;
  const status: SideStatus =
    passed > 0 && failed > 0 ? 'flaky' : failed > 0 ? 'failed' : passed > 0 ? 'passed' : 'skipped';
  return { status, passed, failed, skipped, medianMs: median(attempts.durations) };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summarize(run: TestRun): RunSummary {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let durationMs = 0;
  for (const testCase of run.cases) {
    if (testCase.outcome === 'passed') passed++;
    else if (testCase.outcome === 'failed') failed++;
    else skipped++;
    durationMs += testCase.durationMs ?? 0;
  }
  return { label: run.label, tests: run.cases.length, passed, failed, skipped, durationMs };
}

/**
 * Judges the canary's runs against the baseline's. Throws when the canary has no test case at all:
 * nothing ran, so there is nothing to pass.
 */
export function compareTestRuns(
  baselineRuns: TestRun[],
  canaryRuns: TestRun[],
  thresholds: ScoreThresholds,
  durationRule: DurationRule = DEFAULT_DURATION_RULE,
): TestComparison {
  const baseline = collect(baselineRuns);
  const canary = collect(canaryRuns);
  if (canary.size === 0) throw new Error('the canary runs hold no test case: nothing to compare');
  const ids = [...new Set([...baseline.keys(), ...canary.keys()])].sort();
  const lists = {
    newFailures: [] as TestFinding[],
    stillFailing: [] as TestFinding[],
    fixed: [] as TestFinding[],
    flaky: [] as Array<TestFinding & { newlyFlaky: boolean }>,
    missing: [] as TestFinding[],
    newTests: [] as TestFinding[],
    newlySkipped: [] as TestFinding[],
  };
  const slower: SlowerTest[] = [];
  const timing = new Map<string, { b: number[]; c: number[] }>();
  for (const id of ids) {
    const b = baseline.get(id);
    const c = canary.get(id);
    const finding: TestFinding = {
      id,
      suite: (c ?? b)!.first.suite,
      name: (c ?? b)!.first.name,
      message: c?.message ?? b?.message ?? null,
      baseline: tally(b),
      canary: tally(c),
    };
    const bs = finding.baseline.status;
    const cs = finding.canary.status;
    if (cs === 'failed') (bs === 'failed' ? lists.stillFailing : lists.newFailures).push(finding);
    else if (cs === 'passed' && bs === 'failed') lists.fixed.push(finding);
    // A canary that only skips a test the baseline ran may hide a failure.
    else if (cs === 'skipped' && bs !== 'absent' && bs !== 'skipped') lists.newlySkipped.push(finding);
    if (cs === 'flaky' || bs === 'flaky')
      lists.flaky.push({ ...finding, newlyFlaky: cs === 'flaky' && bs !== 'flaky' && bs !== 'failed' });
    if (cs === 'absent' && bs !== 'skipped') lists.missing.push(finding);
    if (bs === 'absent') lists.newTests.push(finding);
    if (b && c && b.durations.length && c.durations.length) {
      timing.set(id, { b: b.durations, c: c.durations });
      const slow = slowerTest(id, b.durations, c.durations, durationRule);
      if (slow) slower.push(slow);
    }
  }
  slower.sort((x, y) => y.canaryMs - y.baselineMs - (x.canaryMs - x.baselineMs));
  const suite = suiteTotals(baselineRuns, canaryRuns, new Set(timing.keys()), durationRule);
  const newlyFlaky = lists.flaky.filter((f) => f.newlyFlaky).length;

  const penalties = [
    { rule: 'new failure', count: lists.newFailures.length, points: lists.newFailures.length * PENALTIES.newFailure },
    { rule: 'newly flaky', count: newlyFlaky, points: newlyFlaky * PENALTIES.newlyFlaky },
    { rule: 'missing test', count: lists.missing.length, points: lists.missing.length * PENALTIES.missing },
    {
      rule: 'newly skipped',
      count: lists.newlySkipped.length,
      points: lists.newlySkipped.length * PENALTIES.newlySkipped,
    },
    {
      rule: 'slower test',
      count: slower.length,
      points: Math.min(PENALTIES.slowerTestsCap, slower.length * PENALTIES.slowerTest),
    },
    { rule: 'slower suite', count: suite.slower ? 1 : 0, points: suite.slower ? PENALTIES.slowerSuite : 0 },
  ].filter((penalty) => penalty.count > 0);
  const score = Math.max(0, 100 - penalties.reduce((sum, penalty) => sum + penalty.points, 0));
  const verdict = classifyScore(score, thresholds);
  const findings = penalties.map((penalty) => `${penalty.count} ${penalty.rule}${penalty.count === 1 ? '' : 's'}`);
  const reason = `${findings.length ? findings.join(', ') : 'no new failures, flaky, slower or missing tests'}; score ${score} is ${verdict} (pass ≥ ${thresholds.pass}, marginal ≥ ${thresholds.marginal})`;
  const cap = <T>(list: T[]) => list.slice(0, MAX_LISTED);
  return {
    score,
    verdict,
    reason,
    thresholds,
    durationRule,
    baseline: { runs: baselineRuns.map(summarize), tests: baseline.size },
    canary: { runs: canaryRuns.map(summarize), tests: canary.size },
    counts: {
      newFailures: lists.newFailures.length,
      stillFailing: lists.stillFailing.length,
      fixed: lists.fixed.length,
      flaky: lists.flaky.length,
      newlyFlaky,
      slower: slower.length,
      missing: lists.missing.length,
      newTests: lists.newTests.length,
      newlySkipped: lists.newlySkipped.length,
    },
    newFailures: cap(lists.newFailures),
    stillFailing: cap(lists.stillFailing),
    fixed: cap(lists.fixed),
    flaky: cap(lists.flaky.sort((x, y) => Number(y.newlyFlaky) - Number(x.newlyFlaky))),
    slower: cap(slower),
    suite,
    missing: cap(lists.missing),
    newTests: cap(lists.newTests),
    newlySkipped: cap(lists.newlySkipped),
    penalties,
  };
}

/**
 * A test is slower when the canary's median is `ratio` times and `minIncreaseMs` above the baseline's,
 * and — when both sides ran it at least twice — even the canary's fastest attempt is slower than the
 * baseline's slowest: overlapping ranges are run-to-run noise, not a regression.
 */
function slowerTest(id: string, b: number[], c: number[], rule: DurationRule): SlowerTest | null {
  const baselineMs = median(b)!;
  const canaryMs = median(c)!;
  if (canaryMs - baselineMs < rule.minIncreaseMs) return null;
  if (canaryMs < baselineMs * rule.ratio) return null;
  if (b.length >= 2 && c.length >= 2 && Math.min(...c) <= Math.max(...b)) return null;
  return { id, baselineMs, canaryMs, ratio: baselineMs > 0 ? round2(canaryMs / baselineMs) : null };
}

/** Median per-run total of the tests both sides ran (new and dropped tests would skew a plain total). */
function suiteTotals(baselineRuns: TestRun[], canaryRuns: TestRun[], common: Set<string>, rule: DurationRule) {
  const totals = (runs: TestRun[]) =>
    runs.map((run) =>
      run.cases.reduce(
        (sum, testCase) =>
          common.has(testCase.id) && testCase.outcome !== 'skipped' ? sum + (testCase.durationMs ?? 0) : sum,
        0,
      ),
    );
  const baselineMs = median(totals(baselineRuns)) ?? 0;
  const canaryMs = median(totals(canaryRuns)) ?? 0;
  const slower =
    common.size > 0 && canaryMs - baselineMs >= rule.suiteMinIncreaseMs && canaryMs >= baselineMs * rule.suiteRatio;
  return {
    baselineMs,
    canaryMs,
    ratio: baselineMs > 0 ? round2(canaryMs / baselineMs) : null,
    slower,
    tests: common.size,
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
