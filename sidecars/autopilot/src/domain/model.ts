// The metric model shared by both judges: metric configuration (the Kayenta canary-config fields plus
// ISD's outlier option), the per-metric input series with the query and labels that produced them,
// and the judge result with its reasons and numbers.
import type { SampleSummary } from './statistics';

/** Which change is a regression: `increase` (latency, errors), `decrease` (throughput), or `either`. */
export type MetricDirection = 'increase' | 'decrease' | 'either';
/** What to do with NaN points (gaps): drop them, or treat them as 0 (counters with no events). */
export type NanStrategy = 'remove' | 'replace';
/** Outlier handling before the comparison: `remove` applies Kayenta's IQR fences; `none` and `keep` keep every point. */
export type OutlierStrategy = 'none' | 'remove' | 'keep';
/** The effect-size measure the bounds apply to (Kayenta's `meanRatio` or common-language effect size). */
export type EffectSizeMeasure = 'meanRatio' | 'cles';

/** Effect-size bounds: a significant change only counts beyond `allowed*`; `critical*` makes a critical metric fail the run. */
export interface EffectSizeBounds {
  measure: EffectSizeMeasure;
  allowedIncrease: number;
  allowedDecrease: number;
  criticalIncrease: number;
  criticalDecrease: number;
}

/** Configuration of one metric, with Kayenta's defaults filled in by `normalizeMetricConfig`. */
export interface MetricConfig {
  name: string;
  groups: string[];
  direction: MetricDirection;
  critical: boolean;
  mustHaveData: boolean;
  muted: boolean;
  nanStrategy: NanStrategy;
  effectSize: EffectSizeBounds;
  outliers: { strategy: OutlierStrategy; factor: number };
}

/** One side's series as fetched from a provider: values (NaN for gaps) plus where they came from. */
export interface MetricSeries {
  values: number[];
  /** The provider query that produced the series, quoted in reasons when data is missing. */
  query?: string;
  /** The series labels/tags, compared between sides to explain label mismatches. */
  labels?: Record<string, string>;
  /**
   * How many series the query matched (0: absent, e.g. a Prometheus counter that has not counted its
   * first event yet). Unknown when not given.
   */
  seriesCount?: number;
  /**
   * Requests behind each point (a histogram's `_count` rate over the same steps), aligned with `values`:
   * same length, each a finite number ≥ 0, or null where the count is unknown. With both sides' counts the
   * `isd` judge compares the spread and shape per request (decision 176), so a canary that gets a small
   * share of the traffic is not failed for the larger sampling noise of its fewer requests.
   */
  requestCounts?: Array<number | null>;
}

/** One metric to judge: its configuration and the baseline and canary series. */
export interface MetricInput {
  config: MetricConfig;
  baseline: MetricSeries;
  canary: MetricSeries;
}

/** Score thresholds: score ≥ pass passes, ≥ marginal is marginal, below fails. */
export interface ScoreThresholds {
  pass: number;
  marginal: number;
}

/** Everything a judge needs for one interval. */
export interface JudgeInput {
  metrics: MetricInput[];
  /** Weight per group in percent; groups without a weight share what is left of 100. */
  groupWeights: Record<string, number>;
  thresholds: ScoreThresholds;
  /** Seed for Kayenta's tie-breaking noise, so a judgement can be reproduced exactly. */
  seed?: number;
  /** Seconds between points, when known: lets findings about trends speak per hour instead of per step. */
  stepSeconds?: number;
}

/** Per-metric classification labels (Kayenta's). */
export type MetricClassification = 'Pass' | 'High' | 'Low' | 'Nodata' | 'NodataFailMetric' | 'Error';

/** One piece of evidence behind a decision: the test, its numbers, and what it says in words. */
export interface Finding {
  test: string;
  /** Whether this finding alone marks the metric as a regression. */
  regression: boolean;
  message: string;
  numbers: Record<string, number>;
}

/** Summary of one side after pre-processing, with how many points were missing or removed. */
export interface SideSummary extends SampleSummary {
  /** Points received from the provider. */
  receivedCount: number;
  /** NaN / non-finite points among them. */
  missingCount: number;
  /** Points removed as outliers. */
  outlierCount: number;
}

/** The judge's decision on one metric, with the reason in words and the numbers behind it. */
export interface MetricResult {
  name: string;
  groups: string[];
  classification: MetricClassification;
  /** True when this result fails the whole run (a critical metric failing). */
  critical: boolean;
  reason: string;
  findings: Finding[];
  /**
   * Headline numbers (p-values, effect sizes, interval), named with their meaning. A relative change from a
   * zero baseline is ±Infinity and an undefined ratio NaN; both serialize to null in JSON.
   */
  numbers: Record<string, number>;
  baseline: SideSummary;
  canary: SideSummary;
  warnings: string[];
  /**
   * Set when neither side had a single data point: reported as Nodata but never scored against the
   * canary (not critical, not counted in the "≥ 50 % Nodata" rule), since nothing shows a difference.
   */
  noDataOnEitherSide?: boolean;
  /** Set when the metric had request counts on both sides: whether the judge used them, and the totals. */
  requestCounts?: RequestCountUse;
}

/** What the judge did with a metric's request counts (decision 176). */
export interface RequestCountUse {
  /** True when the spread and shape tests compared the sides per request. */
  used: boolean;
  /** Requests over the steps that have a count, per side. */
  baselineTotal: number;
  canaryTotal: number;
  /** Canary steps whose count (and the baseline's) was known and used. */
  stepsWithCounts: number;
  /** Why the counts were not used, or how they were used, in words. */
  note: string;
}

/** A group's score: 100 × passing / counted metrics. */
export interface GroupScore {
  name: string;
  score: number;
  weight: number;
  counted: number;
  passed: number;
}

/** Overall verdict of one interval. */
export type ScoreClassification = 'pass' | 'marginal' | 'fail';

/** A judge's result for one interval. */
export interface JudgeResult {
  judge: string;
  score: number;
  classification: ScoreClassification;
  reason: string;
  groupScores: GroupScore[];
  metrics: MetricResult[];
}

/** A judge: classifies every metric and scores the interval. */
export interface Judge {
  readonly name: string;
  judge(input: JudgeInput): JudgeResult;
}

/** One invalid field of a judge input, as a path (`metrics.2.config.direction`) and a message. */
export interface JudgeFieldIssue {
  path: string;
  message: string;
}

/**
 * Invalid judge input or metric configuration. Shaped like the kit's `InputError` (name, category, code,
 * issues with field paths) so the service maps it to 400 without this pure module importing the kit.
 */
export class JudgeInputError extends Error {
  readonly category = 'InputError' as const;
  readonly code = 'invalid_judge_input';
  readonly issues: JudgeFieldIssue[];

  constructor(issues: JudgeFieldIssue[]) {
    super(`invalid judge input: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
    this.name = 'InputError';
    this.issues = issues;
  }
}

/** A metric configuration as written by users or imported from Kayenta: everything but the name optional. */
export interface MetricConfigInput {
  name: string;
  groups?: string[];
  direction?: string;
  critical?: boolean;
  mustHaveData?: boolean;
  muted?: boolean;
  nanStrategy?: string;
  effectSize?: Partial<EffectSizeBounds> & { measure?: string };
  outliers?: { strategy?: string; factor?: number; outlierFactor?: number };
}

const DIRECTIONS: readonly MetricDirection[] = ['increase', 'decrease', 'either'];
const NAN_STRATEGIES: readonly NanStrategy[] = ['remove', 'replace'];
const OUTLIER_STRATEGIES: readonly OutlierStrategy[] = ['none', 'remove', 'keep'];
const MEASURES: readonly EffectSizeMeasure[] = ['meanRatio', 'cles'];

/**
 * Fills Kayenta's defaults (direction either, nanStrategy remove, outliers keep with factor 3, effect
 * bounds 1.0 for meanRatio / 0.5 for CLES) and validates; throws `JudgeInputError` naming each bad field
 * under `path`.
 */
export function normalizeMetricConfig(input: MetricConfigInput, path = 'config'): MetricConfig {
  const issues: JudgeFieldIssue[] = [];
  const oneOf = <T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, field: string): T => {
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    issues.push({
      path: `${path}.${field}`,
      message: `must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`,
    });
    return fallback;
  };
  if (typeof input.name !== 'string' || input.name.trim() === '')
    issues.push({ path: `${path}.name`, message: 'must be a non-empty string' });
  const groups = input.groups ?? [];
  if (!Array.isArray(groups) || groups.some((group) => typeof group !== 'string' || group === '')) {
    issues.push({ path: `${path}.groups`, message: 'must be a list of non-empty group names' });
  }
  const direction = oneOf(input.direction, DIRECTIONS, 'either', 'direction');
  const nanStrategy = oneOf(input.nanStrategy, NAN_STRATEGIES, 'remove', 'nanStrategy');
  const measure = oneOf(input.effectSize?.measure, MEASURES, 'meanRatio', 'effectSize.measure');
  const neutral = measure === 'cles' ? 0.5 : 1.0;
  const bound = (field: keyof Omit<EffectSizeBounds, 'measure'>): number => {
    const value = input.effectSize?.[field];
    if (value === undefined) return neutral;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      issues.push({ path: `${path}.effectSize.${field}`, message: 'must be a finite number ≥ 0' });
      return neutral;
    }
    return value;
  };
  const effectSize: EffectSizeBounds = {
    measure,
    allowedIncrease: bound('allowedIncrease'),
    allowedDecrease: bound('allowedDecrease'),
    criticalIncrease: bound('criticalIncrease'),
    criticalDecrease: bound('criticalDecrease'),
  };
  const outlierStrategy = oneOf(input.outliers?.strategy, OUTLIER_STRATEGIES, 'keep', 'outliers.strategy');
  const factor = input.outliers?.factor ?? input.outliers?.outlierFactor ?? 3.0;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor <= 0) {
    issues.push({ path: `${path}.outliers.factor`, message: 'must be a finite number > 0' });
  }
  for (const flag of ['critical', 'mustHaveData', 'muted'] as const) {
    if (input[flag] !== undefined && typeof input[flag] !== 'boolean')
      issues.push({ path: `${path}.${flag}`, message: 'must be true or false' });
  }
  if (issues.length > 0) throw new JudgeInputError(issues);
  return {
    name: input.name,
    groups: [...groups],
    direction,
    critical: input.critical ?? false,
    mustHaveData: input.mustHaveData ?? false,
    muted: input.muted ?? false,
    nanStrategy,
    effectSize,
    outliers: { strategy: outlierStrategy, factor },
  };
}

/**
 * The largest magnitude a judged value may have: the statistics square and sum values, and beyond this
 * their squares summed over a long window overflow to Infinity (±Infinity itself is a gap, like NaN).
 */
export const MAX_JUDGED_MAGNITUDE = 1e150;

/** Checks a judge input (thresholds, weights, series) and throws `JudgeInputError` listing every bad field. */
export function validateJudgeInput(input: JudgeInput): void {
  const issues: JudgeFieldIssue[] = [];
  const { pass, marginal } = input.thresholds ?? ({} as ScoreThresholds);
  if (typeof pass !== 'number' || !(pass >= 0 && pass <= 100))
    issues.push({ path: 'thresholds.pass', message: 'must be a number in [0, 100]' });
  if (typeof marginal !== 'number' || !(marginal >= 0 && marginal <= 100))
    issues.push({ path: 'thresholds.marginal', message: 'must be a number in [0, 100]' });
  else if (typeof pass === 'number' && marginal > pass)
    issues.push({ path: 'thresholds.marginal', message: `must not exceed thresholds.pass (${pass})` });
  if (
    input.stepSeconds !== undefined &&
    !(typeof input.stepSeconds === 'number' && input.stepSeconds > 0 && Number.isFinite(input.stepSeconds))
  )
    issues.push({
      path: 'stepSeconds',
      message: `must be a finite number of seconds > 0 when given (got ${String(input.stepSeconds)})`,
    });
  if (!Array.isArray(input.metrics)) issues.push({ path: 'metrics', message: 'must be a list' });
  let weightSum = 0;
  for (const [group, weight] of Object.entries(input.groupWeights ?? {})) {
    if (typeof weight !== 'number' || !(weight >= 0))
      issues.push({ path: `groupWeights.${group}`, message: 'must be a number ≥ 0' });
    else weightSum += weight;
  }
  if (weightSum > 100 + 1e-9)
    issues.push({ path: 'groupWeights', message: `weights total ${weightSum}, more than 100` });
  const names = new Set<string>();
  (Array.isArray(input.metrics) ? input.metrics : []).forEach((metric, index) => {
    const base = `metrics.${index}`;
    if (!metric?.config || typeof metric.config.name !== 'string') {
      issues.push({
        path: `${base}.config`,
        message: 'must be a normalized metric config (see normalizeMetricConfig)',
      });
      return;
    }
    if (names.has(metric.config.name))
      issues.push({
        path: `${base}.config.name`,
        message: `duplicate metric name ${JSON.stringify(metric.config.name)}`,
      });
    names.add(metric.config.name);
    for (const side of ['baseline', 'canary'] as const) {
      const values = metric[side]?.values;
      if (!Array.isArray(values))
        issues.push({ path: `${base}.${side}.values`, message: 'must be a list of numbers (NaN or null for gaps)' });
      else if (values.some((value) => value !== null && typeof value !== 'number')) {
        issues.push({ path: `${base}.${side}.values`, message: 'must contain only numbers (NaN or null for gaps)' });
      } else {
        const huge = values.findIndex(
          (value) => value !== null && Number.isFinite(value) && Math.abs(value) > MAX_JUDGED_MAGNITUDE,
        );
        if (huge >= 0)
          issues.push({
            path: `${base}.${side}.values.${huge}`,
            message: `must be within ±${MAX_JUDGED_MAGNITUDE} (got ${String(values[huge])}): squares and sums of larger values overflow; scale the query (bytes to GiB, say)`,
          });
      }
      const counts = metric[side]?.requestCounts;
      if (counts !== undefined) {
        const path = `${base}.${side}.requestCounts`;
        if (!Array.isArray(counts)) issues.push({ path, message: 'must be a list of request counts when given' });
        else if (Array.isArray(values) && counts.length !== values.length)
          issues.push({
            path,
            message: `must have one count per value: ${counts.length} counts for ${values.length} values`,
          });
        else {
          const bad = counts.findIndex(
            (count) => count !== null && !(typeof count === 'number' && Number.isFinite(count) && count >= 0),
          );
          if (bad >= 0)
            issues.push({
              path: `${path}.${bad}`,
              message: `must be a finite number ≥ 0, or null for an unknown count (got ${String(counts[bad])})`,
            });
        }
      }
      const seriesCount = metric[side]?.seriesCount;
      if (seriesCount !== undefined && !(Number.isInteger(seriesCount) && seriesCount >= 0))
        issues.push({ path: `${base}.${side}.seriesCount`, message: 'must be a whole number ≥ 0 when given' });
    }
  });
  if (issues.length > 0) throw new JudgeInputError(issues);
}
