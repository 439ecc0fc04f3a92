// A faithful reimplementation of Kayenta's NetflixACAJudge-v1.0: same pre-processing, the same
// Mann–Whitney interval classifier (98 % interval, 25 % tolerance of the estimate, effect-size gates),
// the same scoring. It keeps Kayenta's blind spots on purpose; the `isd` judge fixes them. Checked beside
// Kayenta's own code by bench/judge/kayenta-peer.ts (decision 233: the one refusal is ±Infinity, a gap here).
import type {
  Finding,
  Judge,
  JudgeInput,
  JudgeResult,
  MetricConfig,
  MetricInput,
  MetricResult,
  SideSummary,
} from './model';
import { validateJudgeInput } from './model';
import { preprocessSide, type PreprocessedSide } from './preprocessing';
import { createRandom, type Random } from './random';
import { scoreMetrics } from './scoring';
import { commonLanguageEffectSize, kayentaShiftInterval, meanRatio, sortAscending, summarize } from './statistics';

/** Classifier parameters; the judge uses Kayenta's literals (tolerance 0.25, confidence 0.98). */
export interface KayentaClassifierOptions {
  tolerance: number;
  confidenceLevel: number;
}

const KAYENTA_DEFAULTS: KayentaClassifierOptions = { tolerance: 0.25, confidenceLevel: 0.98 };

/** Creates the `kayenta` judge (NetflixACAJudge-v1.0 semantics). */
export function createKayentaJudge(options: Partial<KayentaClassifierOptions> = {}): Judge {
  const classifier = { ...KAYENTA_DEFAULTS, ...options };
  return {
    name: 'kayenta',
    judge(input: JudgeInput): JudgeResult {
      validateJudgeInput(input);
      const random = createRandom(input.seed ?? 0);
      const metrics = input.metrics
        .filter((metric) => !metric.config.muted)
        .map((metric) => classifyKayentaMetric(metric, classifier, random));
      const score = scoreMetrics(metrics, input.groupWeights, input.thresholds);
      return {
        judge: 'kayenta',
        score: score.score,
        classification: score.classification,
        reason: score.reason,
        groupScores: score.groupScores,
        metrics,
      };
    },
  };
}

function sideSummary(side: PreprocessedSide): SideSummary {
  return {
    ...summarize(side.values),
    receivedCount: side.receivedCount,
    missingCount: side.missingCount,
    outlierCount: side.outlierCount,
  };
}

function isConstant(values: readonly number[]): boolean {
  return values.every((value) => value === values[0]);
}

/** Classifies one metric exactly as Kayenta's MannWhitneyClassifier does (experiment = canary, control = baseline). */
export function classifyKayentaMetric(
  metric: MetricInput,
  options: KayentaClassifierOptions = KAYENTA_DEFAULTS,
  random: Random = createRandom(0),
): MetricResult {
  const config = metric.config;
  const canary = preprocessSide(metric.canary.values, config.nanStrategy, config.outliers);
  const baseline = preprocessSide(metric.baseline.values, config.nanStrategy, config.outliers);
  const base = {
    name: config.name,
    groups: config.groups,
    baseline: sideSummary(baseline),
    canary: sideSummary(canary),
    warnings:
      baseline.values.length > 0 && baseline.values.length < 50
        ? [`baseline has ${baseline.values.length} points (< 50)`]
        : [],
  };
  const result = (
    classification: MetricResult['classification'],
    reason: string,
    critical: boolean,
    numbers: Record<string, number> = {},
    findings: Finding[] = [],
  ): MetricResult => ({
    ...base,
    classification,
    critical,
    reason,
    numbers,
    findings,
  });

  if (canary.values.length === 0 || baseline.values.length === 0) {
    const empty = canary.values.length === 0 ? 'canary' : 'baseline';
    if (config.nanStrategy === 'replace') return result('Pass', `no ${empty} data (nanStrategy replace)`, false);
    if (config.mustHaveData && !config.critical)
      return result('NodataFailMetric', `no ${empty} data and the metric must have data`, false);
    return result('Nodata', `no ${empty} data`, config.critical);
  }
  const experimentSorted = sortAscending(canary.values);
  const controlSorted = sortAscending(baseline.values);
  if (
    experimentSorted.length === controlSorted.length &&
    experimentSorted.every((value, i) => value === controlSorted[i])
  ) {
    return result('Pass', 'The Canary and Baseline data are identical', false, { ratio: 1 });
  }
  if (new Set([...experimentSorted, ...controlSorted]).size === 1)
    return result('Pass', 'all values are equal', false, { ratio: 1 });

  // When both sides are constant Kayenta jitters them by σ = value·1e-5 (kayenta PR #343) so the rank
  // interval is defined; a single constant side is left as it is (that is what spinnaker#6278 ran into).
  const bothConstant = isConstant(canary.values) && isConstant(baseline.values);
  const experiment = bothConstant ? addNoise(canary.values, random) : canary.values;
  const control = bothConstant ? addNoise(baseline.values, random) : baseline.values;

  let interval;
  try {
    interval = kayentaShiftInterval(experiment, control, options.confidenceLevel);
  } catch (error) {
    return result('Error', `Metric Classification Failed: ${(error as Error).message}`, false);
  }
  const ratio = meanRatio(experiment, control);
  const effect = config.effectSize.measure === 'cles' ? commonLanguageEffectSize(experiment, control) : ratio;
  const bound = options.tolerance * Math.abs(interval.estimate);
  const numbers = {
    ratio,
    effectSize: effect,
    confidenceLower: interval.lower,
    confidenceUpper: interval.upper,
    estimate: interval.estimate,
    lowerBound: -bound,
    upperBound: bound,
    confidenceLevel: options.confidenceLevel,
  };
  const finding = (regression: boolean, message: string): Finding[] => [
    { test: 'mann-whitney-interval', regression, message, numbers },
  ];
  const { direction, effectSize } = config;
  const isHigh =
    (direction === 'increase' || direction === 'either') &&
    interval.lower > bound &&
    (Number.isNaN(effect) || effect >= effectSize.allowedIncrease);
  const isLow =
    (direction === 'decrease' || direction === 'either') &&
    interval.upper < -bound &&
    (Number.isNaN(effect) || effect <= effectSize.allowedDecrease);
  if (isHigh) {
    const critical = config.critical && (Number.isNaN(effect) || effect >= effectSize.criticalIncrease);
    const reason = explain('High', numbers, config, canary.values.length, baseline.values.length);
    return result('High', reason, critical, numbers, finding(true, reason));
  }
  if (isLow) {
    const critical = config.critical && (Number.isNaN(effect) || effect <= effectSize.criticalDecrease);
    const reason = explain('Low', numbers, config, canary.values.length, baseline.values.length);
    return result('Low', reason, critical, numbers, finding(true, reason));
  }
  const reason = explain('Pass', numbers, config, canary.values.length, baseline.values.length);
  return result('Pass', reason, false, numbers, finding(false, reason));
}

function addNoise(values: readonly number[], random: Random): number[] {
  return values.map((value) => value + random.normal() * value * 1e-5);
}

/**
 * Kayenta's decision in one sentence of words and numbers: where the interval of the shift lies against
 * the tolerance band, the estimate, the mean ratio as a percentage, the effect-size gate and the data.
 */
function explain(
  label: 'High' | 'Low' | 'Pass',
  numbers: Record<string, number>,
  config: MetricConfig,
  canaryCount: number,
  baselineCount: number,
): string {
  const f = (value: number | undefined): string => {
    if (value === undefined || !Number.isFinite(value)) return String(value);
    const abs = Math.abs(value);
    return abs === 0 || (abs >= 1e-3 && abs < 1e6) ? String(Number(value.toPrecision(4))) : value.toExponential(3);
  };
  const level = `${f((numbers.confidenceLevel ?? 0) * 100)}%`;
  const interval = `[${f(numbers.confidenceLower)}, ${f(numbers.confidenceUpper)}]`;
  const tolerance = `±${f(numbers.upperBound)} (25 % of the estimate ${f(numbers.estimate)})`;
  const ratio = numbers.ratio ?? Number.NaN;
  const ratioWords = Number.isFinite(ratio)
    ? `the canary mean is ${f(ratio)}× the baseline mean (${ratio >= 1 ? '+' : ''}${f((ratio - 1) * 100)}%)`
    : 'the mean ratio is undefined (a mean of 0)';
  const measure = config.effectSize.measure;
  const effect = measure === 'cles' ? `CLES ${f(numbers.effectSize)}` : `mean ratio ${f(numbers.effectSize)}`;
  const data = `Mann–Whitney shift interval on ${baselineCount} baseline and ${canaryCount} canary points`;
  if (label === 'High')
    return `High: the canary is higher — the ${level} interval of the shift canary − baseline ${interval} lies entirely above the tolerance ${tolerance} and ${ratioWords}, at least allowedIncrease ${config.effectSize.allowedIncrease} (${effect}); ${data}.`;
  if (label === 'Low')
    return `Low: the canary is lower — the ${level} interval of the shift canary − baseline ${interval} lies entirely below the tolerance ${tolerance.replace('±', '−')} and ${ratioWords}, at most allowedDecrease ${config.effectSize.allowedDecrease} (${effect}); ${data}.`;
  const lower = numbers.confidenceLower ?? 0;
  const upper = numbers.confidenceUpper ?? 0;
  const bound = numbers.upperBound ?? 0;
  const why =
    lower > bound || upper < -bound
      ? `the interval ${interval} clears the tolerance ${tolerance} but the ${effect} is within allowedIncrease ${config.effectSize.allowedIncrease} / allowedDecrease ${config.effectSize.allowedDecrease}, or the direction is not harmful (${config.direction})`
      : `the ${level} interval of the shift canary − baseline ${interval} does not clear the tolerance ${tolerance}`;
  return `Pass: ${why}; ${ratioWords}; ${data}.`;
}
