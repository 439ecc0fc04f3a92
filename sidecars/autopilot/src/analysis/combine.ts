// One window's result from the metric judge's and the log analysis's: the weighted combined score
// (docs/log-scoring.md), classified by the verification's thresholds; a critical log cluster fails it.
import { classifyScore, type JudgeResult, type ScoreThresholds } from '../domain';
import { combinedScore, type LogAnalysis } from '../logs';
import type { StoredLogAnalysis } from '../logs/log-view';
import type { ScoreWeights } from '../store/verification-store';

/**
 * The interval's result: the metric judge's, the log analysis's, or both combined by the verification's
 * weights. A critical log cluster scores 0 and says so first in the reason.
 */
export function combineResults(
  metric: JudgeResult | undefined,
  logs: StoredLogAnalysis | null,
  weights: ScoreWeights,
  thresholds: ScoreThresholds,
): JudgeResult {
  if (!logs) {
    if (!metric) throw new Error('a verification without metrics and logs');
    return metric;
  }
  const weighted = combinedScore(
    { ...(metric ? { metric: metric.score } : {}), log: { score: logs.score, failed: logs.failed } },
    weights,
  );
  // A failing critical metric scores the run 0 with metrics alone; logs must not lift it.
  const criticalMetric = metric?.metrics.some((m) => m.critical && m.classification !== 'Pass') === true;
  const combined = criticalMetric ? { score: 0 } : weighted;
  const classification = logs.failed ? 'fail' : classifyScore(combined.score, thresholds);
  const logReason = logSummary(logs);
  const parts = metric
    ? `metrics ${metric.score} × ${weights.metric} + logs ${logs.score} × ${weights.log}`
    : `logs ${logs.score}`;
  const reason = logs.failed
    ? `critical log cluster: ${logs.reasons[0] ?? ''}`
    : criticalMetric
      ? `${metric!.reason}; ${logReason}`
      : `${parts} = ${combined.score}: ${classification}; ${logReason}${metric ? `; metrics: ${metric.reason}` : ''}`;
  return {
    judge: `${metric?.judge ?? 'none'}+logs`,
    score: combined.score,
    classification,
    reason,
    groupScores: metric?.groupScores ?? [],
    metrics: metric?.metrics ?? [],
  };
}

function logSummary(logs: Pick<LogAnalysis, 'reasons' | 'baselineEvents' | 'canaryEvents'>): string {
  const counted = `logs: ${logs.baselineEvents} baseline / ${logs.canaryEvents} canary events`;
  return logs.reasons.length ? `${counted}, ${logs.reasons.join('; ')}` : `${counted}, no unexpected cluster`;
}
