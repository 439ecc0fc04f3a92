// Scoring with Kayenta's semantics (ScoringHelper / WeightedSumScorer / ThresholdScoreClassifier):
// per-group pass ratios, weighted sum, critical and no-data overrides, threshold classification.
import type { GroupScore, MetricResult, ScoreClassification, ScoreThresholds } from './model';

/** The interval score with the group scores and, when an override applied, why. */
export interface IntervalScore {
  score: number;
  classification: ScoreClassification;
  reason: string;
  groupScores: GroupScore[];
}

const COUNTED = new Set(['Pass', 'High', 'Low', 'NodataFailMetric']);

/**
 * Scores classified metrics: group score = 100·Pass/(Pass+High+Low+NodataFailMetric) (Nodata and Error
 * excluded; a group with nothing counted scores 100); unweighted groups share 100 − Σweights; the sum is
 * rounded to 2 decimals. A critical failure or ≥ 50 % Nodata metrics sets the score to 0 (metrics
 * flagged `noDataOnEitherSide` do not count towards the 50 %).
 */
export function scoreMetrics(
  results: readonly MetricResult[],
  groupWeights: Record<string, number>,
  thresholds: ScoreThresholds,
): IntervalScore {
  const groups = new Map<string, { counted: number; passed: number }>();
  for (const result of results) {
    for (const group of result.groups.length > 0 ? result.groups : ['default']) {
      const entry = groups.get(group) ?? { counted: 0, passed: 0 };
      if (COUNTED.has(result.classification)) entry.counted++;
      if (result.classification === 'Pass') entry.passed++;
      groups.set(group, entry);
    }
  }
  // Group names are the template author's: read weights through a Map so `constructor` is not Object's.
  const weights = new Map(Object.entries(groupWeights));
  const weighted = [...groups.keys()].filter((group) => weights.has(group));
  const unweighted = [...groups.keys()].filter((group) => !weights.has(group));
  const weightSum = weighted.reduce((sum, group) => sum + weights.get(group)!, 0);
  const sharedWeight = unweighted.length > 0 ? (100 - weightSum) / unweighted.length : 0;
  const groupScores: GroupScore[] = [...groups.entries()].map(([name, { counted, passed }]) => ({
    name,
    score: counted === 0 ? 100 : (100 * passed) / counted,
    weight: weights.get(name) ?? sharedWeight,
    counted,
    passed,
  }));
  let score = Math.round(groupScores.reduce((sum, group) => sum + (group.score * group.weight) / 100, 0) * 100) / 100;
  let reason = `weighted sum of ${groupScores.length} group score(s): ${groupScores.map((g) => `${g.name} ${round(g.score)} × ${round(g.weight)}%`).join(', ')}`;
  const criticalFailures = results.filter((result) => result.critical && result.classification !== 'Pass');
  // A metric without data on either side (isd judge) says nothing about the canary: it is shown, not scored.
  const nodata = results.filter((result) => result.classification === 'Nodata' && !result.noDataOnEitherSide);
  if (criticalFailures.length > 0) {
    score = 0;
    reason = `Canary Failed: critical metric(s) ${criticalFailures.map((r) => `${r.name} (${r.classification})`).join(', ')}`;
  } else if (results.length > 0 && nodata.length / results.length >= 0.5) {
    score = 0;
    reason = `Canary Failed: ${nodata.length} of ${results.length} metrics have no data (${nodata.map((r) => r.name).join(', ')})`;
  } else if (results.length === 0) {
    score = 0;
    reason = 'no metrics to judge';
  }
  const classification = classifyScore(score, thresholds);
  return {
    score,
    classification,
    reason: `${reason}; score ${score} is ${classification} (pass ≥ ${thresholds.pass}, marginal ≥ ${thresholds.marginal})`,
    groupScores,
  };
}

/** Kayenta's ThresholdScoreClassifier: ≥ pass → pass, ≥ marginal → marginal, else fail. */
export function classifyScore(score: number, thresholds: ScoreThresholds): ScoreClassification {
  if (score >= thresholds.pass) return 'pass';
  if (score >= thresholds.marginal) return 'marginal';
  return 'fail';
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** One analysis window [startMs, endMs). */
export interface AnalysisWindow {
  index: number;
  startMs: number;
  endMs: number;
}

/** How a verification is cut into judged intervals (Kayenta standalone canary analysis semantics). */
export interface WindowPlan {
  startMs: number;
  lifetimeMs: number;
  /** Judge every `intervalMs`; omitted or ≥ lifetime means one judgement at the end. */
  intervalMs?: number;
  /** > 0 makes the windows slide (each covers the last `lookbackMs`); otherwise they grow from the start. */
  lookbackMs?: number;
  /** Warm-up skipped before the first window starts. */
  beginAfterMs?: number;
}

/** The windows to judge: growing from the start, or sliding with a fixed look-back. */
export function analysisWindows(plan: WindowPlan): AnalysisWindow[] {
  const { startMs, lifetimeMs } = plan;
  if (!(lifetimeMs > 0)) throw new RangeError('lifetimeMs must be > 0');
  const begin = startMs + (plan.beginAfterMs ?? 0);
  const interval =
    plan.intervalMs && plan.intervalMs > 0 && plan.intervalMs < lifetimeMs ? plan.intervalMs : lifetimeMs;
  const count = Math.floor(lifetimeMs / interval);
  const windows: AnalysisWindow[] = [];
  for (let index = 0; index < count; index++) {
    const endMs = begin + (index + 1) * interval;
    const sliding = (plan.lookbackMs ?? 0) > 0;
    windows.push({ index, startMs: sliding ? Math.max(begin, endMs - plan.lookbackMs!) : begin, endMs });
  }
  return windows;
}

/** The run's state after the interval scores so far. */
export interface RunDecision {
  status: 'running' | ScoreClassification;
  stoppedEarly: boolean;
  reason: string;
}

/**
 * Kayenta's multi-interval rule: an interval scoring at or below `marginal` stops the run as failed;
 * otherwise the run continues until all planned intervals are judged, and the last score decides.
 */
export function decideRun(
  intervalScores: readonly number[],
  plannedIntervals: number,
  thresholds: ScoreThresholds,
): RunDecision {
  const lastIndex = intervalScores.length - 1;
  for (let index = 0; index < intervalScores.length; index++) {
    const score = intervalScores[index]!;
    if (score <= thresholds.marginal && index < plannedIntervals - 1) {
      return {
        status: 'fail',
        stoppedEarly: true,
        reason: `interval ${index + 1} of ${plannedIntervals} scored ${score} ≤ marginal ${thresholds.marginal}: stopped early`,
      };
    }
  }
  if (intervalScores.length < plannedIntervals) {
    return {
      status: 'running',
      stoppedEarly: false,
      reason: `${intervalScores.length} of ${plannedIntervals} intervals judged`,
    };
  }
  const last = intervalScores[lastIndex]!;
  const status = classifyScore(last, thresholds);
  return {
    status,
    stoppedEarly: false,
    reason: `final interval scored ${last}: ${status} (pass ≥ ${thresholds.pass}, marginal ≥ ${thresholds.marginal})`,
  };
}
