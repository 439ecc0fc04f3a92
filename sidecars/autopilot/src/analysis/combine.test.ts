import type { JudgeResult, MetricResult } from '../domain';
import { analyzeLogs, parseLogTemplate, analysisOptions, storedLogAnalysis } from '../logs';
import { combineResults } from './combine';

const thresholds = { pass: 80, marginal: 60 };

function metricResult(score: number, critical = false): JudgeResult {
  // Only the fields combineResults reads are meaningful here.
  const metric = { name: 'latency', classification: critical ? 'High' : 'Pass', critical } as unknown as MetricResult;
  return {
    judge: 'isd',
    score,
    classification: score >= 80 ? 'pass' : 'fail',
    reason: `metric score ${score}`,
    groupScores: [],
    metrics: [metric],
  };
}

function logs(canaryExtra: string[]) {
  const baseline = Array.from({ length: 200 }, (_, i) => `INFO GET /items/${i} 200`);
  const analysis = analyzeLogs(
    baseline,
    [...baseline, ...canaryExtra],
    analysisOptions(parseLogTemplate({ name: 't', provider: 'p' })),
  );
  return storedLogAnalysis(analysis, {
    template: { name: 't', version: 1 },
    provider: 'p',
    queries: { baseline: 'b', canary: 'c' },
  });
}

describe('combined metric and log score', () => {
  it('weighs the metric and log scores by the verification weights', () => {
    // Five lines: up to three new lines at an even split are what chance does (decision 185).
    const withError = logs(
      [7, 8, 9, 10, 11].map(
        (order) => `ERROR order ${order} failed: java.lang.IllegalStateException: stock is negative`,
      ),
    );
    expect(withError.score).toBeLessThan(100);
    const even = combineResults(metricResult(100), withError, { metric: 1, log: 1 }, thresholds);
    expect(even.score).toBeCloseTo((100 + withError.score) / 2, 2);
    const metricHeavy = combineResults(metricResult(100), withError, { metric: 3, log: 1 }, thresholds);
    expect(metricHeavy.score).toBeCloseTo((300 + withError.score) / 4, 2);
    expect(metricHeavy.score).toBeGreaterThan(even.score);
    expect(metricHeavy.reason).toContain(`metrics 100 × 3 + logs ${withError.score} × 1`);
    // Logs only: the log score, whatever the weights.
    expect(combineResults(undefined, withError, { metric: 3, log: 1 }, thresholds).score).toBe(withError.score);
    // Metrics only: the judge's result unchanged.
    const judged = metricResult(70);
    expect(combineResults(judged, null, { metric: 1, log: 1 }, thresholds)).toBe(judged);
  });

  it('a critical log cluster fails the window whatever the metrics and thresholds say', () => {
    const fatal = logs(Array.from({ length: 4 }, () => 'FATAL out of disk on /var/lib/data'));
    expect(fatal.failed).toBe(true);
    const result = combineResults(metricResult(100), fatal, { metric: 100, log: 0.01 }, { pass: 0, marginal: 0 });
    expect(result).toMatchObject({ score: 0, classification: 'fail' });
    expect(result.reason).toMatch(/^critical log cluster: critical topic: FATAL/);
  });

  it('a failing critical metric keeps the score at 0 however clean the logs', () => {
    const clean = logs([]);
    expect(clean.score).toBe(100);
    const result = combineResults(metricResult(0, true), clean, { metric: 1, log: 1 }, thresholds);
    expect(result).toMatchObject({ score: 0, classification: 'fail' });
  });
});
