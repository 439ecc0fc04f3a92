// The default `isd` judge. It keeps Kayenta's model (per-metric classification, groups, weights,
// thresholds, critical metrics) and its rank-based location test, and adds what Kayenta misses:
// a parametric location test for few samples, a spread test (Brown–Forsythe) and a one-sided
// distribution test (Kolmogorov–Smirnov) for variance/shape changes, a count test for error counters
// with a mostly-zero baseline, explicit no-data results that quote the query, and a reason with the
// numbers for every decision.
import type { Finding, Judge, JudgeInput, JudgeResult, MetricInput, MetricResult, SideSummary } from './model';
import { validateJudgeInput } from './model';
import { preprocessSide, type PreprocessedSide } from './preprocessing';
import { NoiseMatchedBaseline, perRequestEventTest, planRequestCounts, type RequestCountPlan } from './request-counts';
import { scoreMetrics } from './scoring';
import { fisherFSf, logGamma, normalPpf, normalSf, studentTTwoSidedP } from './special';
import { blockMinima, levelShiftSse, linearFit, shiftAndTrendResiduals, type TimedPoints } from './trend';
import {
  brownForsythe,
  commonLanguageEffectSize,
  fisherExactGreater,
  kayentaShiftInterval,
  kolmogorovSmirnov,
  kolmogorovSmirnovPValue,
  lagOneAutocorrelation,
  mannWhitneyU,
  mean,
  median,
  percentileSorted,
  sortAscending,
  summarize,
  welchTTest,
} from './statistics';

/** Tuning of the `isd` judge; the defaults are what the quality benchmark (bench/judge) measures. */
export interface IsdJudgeOptions {
  /** Significance level of each test family (location, spread, shape, zero-baseline counts). */
  alpha: number;
  /** Relative change of the mean below which a significant shift is not a regression (0.1 = 10 %). */
  minimumRelativeChange: number;
  /** Canary/baseline spread ratio (mean absolute deviation from the median) that counts as a regression. */
  minimumSpreadRatio: number;
  /** Smallest one-sided Kolmogorov–Smirnov distance that counts as a shape regression. */
  minimumShapeDistance: number;
  /** Relative move of the upper (lower) quartile/deciles needed for a shape regression (0.1 = 10 %). */
  minimumTailChange: number;
  /** Fewer valid points than this on a side means no data. */
  minimumSamples: number;
  /** Confidence level of the reported shift interval. */
  confidenceLevel: number;
  /** Baseline share of zeros from which a non-negative metric is treated as an event counter. */
  zeroInflatedShare: number;
}

/** Default `isd` judge options. */
export const DEFAULT_ISD_OPTIONS: IsdJudgeOptions = {
  alpha: 0.001,
  minimumRelativeChange: 0.065,
  minimumSpreadRatio: 1.2,
  minimumShapeDistance: 0.2,
  minimumTailChange: 0.1,
  minimumSamples: 3,
  confidenceLevel: 0.98,
  zeroInflatedShare: 0.5,
};

/** Creates the default `isd` judge. */
export function createIsdJudge(options: Partial<IsdJudgeOptions> = {}): Judge {
  const settings = { ...DEFAULT_ISD_OPTIONS, ...options };
  return {
    name: 'isd',
    judge(input: JudgeInput): JudgeResult {
      validateJudgeInput(input);
      const metrics = input.metrics
        .filter((metric) => !metric.config.muted)
        .map((metric) => classifyIsdMetric(metric, settings, input.stepSeconds));
      const score = scoreMetrics(metrics, input.groupWeights, input.thresholds);
      const regressions = metrics.filter(
        (m) => m.classification === 'High' || m.classification === 'Low' || m.classification === 'NodataFailMetric',
      );
      const reason =
        regressions.length > 0
          ? `${score.reason}. Regressions: ${regressions.map((m) => `${m.name} (${m.reason})`).join(' | ')}`
          : score.reason;
      return {
        judge: 'isd',
        score: score.score,
        classification: score.classification,
        reason,
        groupScores: score.groupScores,
        metrics,
      };
    },
  };
}

const fmt = (value: number): string => {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return abs >= 1e-3 && abs < 1e6 ? String(Number(value.toPrecision(4))) : value.toExponential(2);
};
const percent = (value: number): string =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${fmt(value * 100)}%` : value > 0 ? '+∞%' : String(value);

// Below this many points per side the asymptotic KS p-value is too optimistic to act on.
const MIN_SHAPE_POINTS = 30;
// Points per side in the last third of the window below which it is not compared on its own.
const MIN_RECENT_POINTS = 20;
// Aligned steps below which no drift (trend difference) is fitted.
const MIN_DRIFT_POINTS = 30;
// Level of the evidence (falling canary − baseline trend, last third within the margin) that marks a
// whole-window excess as a start-up transient that ended.
const TRANSIENT_LEVEL = 0.05;
// A canary is pinned at the edge of the window's range when this share of its last third lies within
// this share of the range from the edge.
const PINNED_SHARE = 0.5;
const PINNED_TOLERANCE = 0.01;
// A divergence is steady when a line fits it better than one level shift and each half of the window
// diverges on its own by at least this share of the whole-window slope: a step, or a divergence that
// starts late, leaves one half flat.
const STEADY_HALF_SHARE = 0.25;
// The floor test: steps of the window below which it is not run, its blocks, and the blocks at the end.
const MIN_FLOOR_STEPS = 60;
const FLOOR_BLOCKS = 20;
const FLOOR_END_BLOCKS = 2;
const FLOOR_SUPPORT_LEVEL = 0.05;

function sideSummary(side: PreprocessedSide): SideSummary {
  return {
    ...summarize(side.values),
    receivedCount: side.receivedCount,
    missingCount: side.missingCount,
    outlierCount: side.outlierCount,
  };
}

function meanAbsoluteDeviation(values: readonly number[]): number {
  const center = median(values);
  return mean(values.map((value) => Math.abs(value - center)));
}

function describeSeries(label: string, series: MetricInput['baseline'], side: PreprocessedSide): string {
  const query = series.query ? ` for query ${JSON.stringify(series.query)}` : '';
  const labels =
    series.labels && Object.keys(series.labels).length > 0 ? ` (labels ${JSON.stringify(series.labels)})` : '';
  const real = side.receivedCount - side.missingCount;
  return `no ${label} data${query}${labels}: ${real} real of ${side.receivedCount} points (${side.missingCount} missing)`;
}

/**
 * Classifies one metric with the `isd` rules; every decision carries findings with their numbers.
 * `stepSeconds` (seconds between points, when known) only changes how trends are worded: per hour.
 */
export function classifyIsdMetric(
  metric: MetricInput,
  options: IsdJudgeOptions = DEFAULT_ISD_OPTIONS,
  stepSeconds?: number,
): MetricResult {
  const config = metric.config;
  const canarySide = preprocessSide(metric.canary.values, config.nanStrategy, config.outliers);
  const baselineSide = preprocessSide(metric.baseline.values, config.nanStrategy, config.outliers);
  const warnings: string[] = [];
  const baseLabels = metric.baseline.labels;
  const canaryLabels = metric.canary.labels;
  if (baseLabels && canaryLabels) {
    const onlyBaseline = Object.keys(baseLabels).filter((key) => !(key in canaryLabels));
    const onlyCanary = Object.keys(canaryLabels).filter((key) => !(key in baseLabels));
    if (onlyBaseline.length > 0 || onlyCanary.length > 0) {
      warnings.push(
        `label keys differ between the series: only baseline has [${onlyBaseline.join(', ')}], only canary has [${onlyCanary.join(', ')}]`,
      );
    }
  }
  for (const [label, side] of [
    ['baseline', baselineSide],
    ['canary', canarySide],
  ] as const) {
    if (side.missingCount > 0) {
      const handling = config.nanStrategy === 'replace' ? 'replaced by 0' : 'removed';
      warnings.push(`${side.missingCount} of ${side.receivedCount} ${label} points were missing (${handling})`);
    }
    if (side.outlierCount > 0)
      warnings.push(`${side.outlierCount} ${label} outliers removed (IQR factor ${config.outliers.factor})`);
  }
  const base: Omit<MetricResult, 'classification' | 'critical' | 'reason' | 'numbers' | 'findings'> = {
    name: config.name,
    groups: config.groups,
    baseline: sideSummary(baselineSide),
    canary: sideSummary(canarySide),
    warnings,
  };
  if (metric.baseline.requestCounts && metric.canary.requestCounts)
    base.requestCounts = {
      used: false,
      baselineTotal: knownTotal(metric.baseline.requestCounts),
      canaryTotal: knownTotal(metric.canary.requestCounts),
      stepsWithCounts: 0,
      note: 'request counts not used: the metric was decided before the spread and shape tests',
    };

  // Missing data is a result of its own, never a silent pass.
  const realCanary = canarySide.receivedCount - canarySide.missingCount;
  const realBaseline = baselineSide.receivedCount - baselineSide.missingCount;
  if (realBaseline === 0 && realCanary === 0) return noDataOnEitherSide(metric, base, baselineSide, canarySide);
  const noData: string[] = [];
  const replaced = (series: MetricInput['baseline'], side: PreprocessedSide, real: number) =>
    config.nanStrategy === 'replace' &&
    real === 0 &&
    series.seriesCount === 0 &&
    side.values.length >= options.minimumSamples;
  for (const [label, series, side, real] of [
    ['baseline', metric.baseline, baselineSide, realBaseline],
    ['canary', metric.canary, canarySide, realCanary],
  ] as const) {
    // With `replace`, a side whose query matched no series at all reads as zeros (a counter Prometheus
    // has not created yet has counted nothing); the warning keeps a canary that is not scraped visible.
    // A series that exists but has no point is a scrape problem: no data.
    if (replaced(series, side, real))
      warnings.push(
        `${describeSeries(label, series, side)}; read as ${side.values.length} zeros (nanStrategy replace)`,
      );
    else if (real === 0 || side.values.length < options.minimumSamples)
      noData.push(describeSeries(label, series, side));
  }
  if (noData.length > 0) {
    const classification = config.mustHaveData ? 'NodataFailMetric' : 'Nodata';
    const reason = `${classification}: ${noData.join('; ')}${config.mustHaveData ? ' — the metric must have data' : ''} (at least ${options.minimumSamples} points per side needed).`;
    const numbers = { baselineCount: baselineSide.values.length, canaryCount: canarySide.values.length };
    return {
      ...base,
      classification,
      critical: config.critical,
      reason,
      numbers,
      findings: [{ test: 'data', regression: config.mustHaveData, message: reason, numbers }],
    };
  }

  const canary = canarySide.values;
  const baseline = baselineSide.values;
  const nc = canary.length;
  const nb = baseline.length;
  if (nb < 50 || nc < 50)
    warnings.push(`few points (baseline ${nb}, canary ${nc}; 50+ recommended): only large changes can be detected`);
  const harmUp = config.direction !== 'decrease';
  const harmDown = config.direction !== 'increase';
  const findings: Finding[] = [];

  const baselineMean = mean(baseline);
  const canaryMean = mean(canary);
  const relativeChange =
    baselineMean === 0
      ? canaryMean === 0
        ? 0
        : Math.sign(canaryMean) * Infinity
      : (canaryMean - baselineMean) / Math.abs(baselineMean);
  const numbers: Record<string, number> = { baselineMean, canaryMean, relativeChange };
  if (baselineMean !== 0 && canaryMean !== 0) numbers.meanRatio = canaryMean / baselineMean;
  numbers.cles = commonLanguageEffectSize(canary, baseline);

  const everyValue = [...canary, ...baseline];
  if (everyValue.every((value) => value === everyValue[0])) {
    const reason = `Pass: every baseline and canary value equals ${fmt(everyValue[0]!)}`;
    return {
      ...base,
      classification: 'Pass',
      critical: false,
      reason,
      numbers,
      findings: [{ test: 'identical', regression: false, message: reason, numbers }],
    };
  }

  // Time-aligned series: take out the pattern both sides share. Rank and t tests assume independent
  // points; with lag-1 autocorrelation ρ the variance of a mean grows by (1 + ρ)/(1 − ρ), so the p-values
  // below use that inflation (raw ones are reported beside them). ρ is measured per side after removing a
  // level shift and a linear trend: a genuine step or leak is not noise, and counting it as correlated
  // noise would inflate every variance and hide the very change that caused it.
  const fences = config.outliers.strategy === 'remove' ? { canary: canarySide, baseline: baselineSide } : undefined;
  const timedBaseline = timedPoints(metric.baseline.values, config.nanStrategy, fences?.baseline.values);
  const timedCanary = timedPoints(metric.canary.values, config.nanStrategy, fences?.canary.values);
  const residuals =
    config.outliers.strategy === 'remove'
      ? undefined
      : sharedPatternResiduals(metric.baseline.values, metric.canary.values, config.nanStrategy);
  // Request counts on both sides: the spread and shape tests compare per request (decision 176).
  const countPlan = requestCountPlan(metric, timedBaseline, residuals, warnings);
  if (countPlan) {
    base.requestCounts = countPlan.use;
    numbers.baselineRequests = countPlan.use.baselineTotal;
    numbers.canaryRequests = countPlan.use.canaryTotal;
  }
  // Short series (< 20 points per side) keep ρ = 0, as before: too few points to estimate it.
  const rho =
    nb < 20 || nc < 20
      ? 0
      : estimateAutocorrelation(
          shiftAndTrendResiduals(residuals?.timedBaseline ?? timedBaseline),
          shiftAndTrendResiduals(residuals?.timedCanary ?? timedCanary),
        );
  const inflation = (1 + rho) / (1 - rho);
  numbers.autocorrelation = rho;
  numbers.varianceInflation = inflation;
  const autocorrelationNote =
    rho > 0.05 ? `; noise autocorrelation ρ=${fmt(rho)}, p-values use ${fmt(inflation)}× variance` : '';

  const allowedIncrease = config.effectSize.measure === 'meanRatio' ? config.effectSize.allowedIncrease : 1;
  const allowedDecrease = config.effectSize.measure === 'meanRatio' ? config.effectSize.allowedDecrease : 1;
  const minimumUp = Math.max(options.minimumRelativeChange, allowedIncrease - 1);
  // A share (every value in [0, 1]: success rate, availability, hit ratio) whose harm is falling moves
  // its complement, the failure share, by orders of magnitude while itself moving by a percent: 99.9 % →
  // 99 % is −0.9 % of the level but ten times the failures. Its fall is measured against the smaller of
  // the level and the room below 1, so the practical margin means the same as it does for an error ratio.
  const share = everyValue.every((value) => value >= 0 && value <= 1);
  const harmfulFall = (b: number, c: number): boolean => {
    if (b === 0) return c < 0;
    const ratioFall = (c - b) / Math.abs(b);
    const scale = share ? Math.min(b, 1 - b) : Math.abs(b);
    const fall = scale === 0 ? (c < b ? -Infinity : 0) : (c - b) / scale;
    return ratioFall <= -(1 - allowedDecrease) && fall <= -options.minimumRelativeChange;
  };
  const sparse = baseline.filter((value) => value === 0).length / nb >= options.zeroInflatedShare;

  // Location over the whole window: rank test (robust) and Welch's t (sharper with few points).
  const whole = compareLocation(canary, baseline, inflation, sparse, options);
  numbers.mannWhitneyP = whole.mannWhitneyP;
  numbers.mannWhitneyRawP = whole.mannWhitneyRawP;
  numbers.mannWhitneyU = whole.mannWhitneyU;
  if (whole.welchP !== undefined) {
    numbers.welchP = whole.welchP;
    numbers.welchRawP = whole.welchRawP!;
    numbers.welchT = whole.welchT!;
  }
  numbers.locationAlpha = whole.alpha;
  try {
    const interval = kayentaShiftInterval(canary, baseline, options.confidenceLevel);
    numbers.shiftEstimate = interval.estimate;
    numbers.shiftLower = interval.lower;
    numbers.shiftUpper = interval.upper;
  } catch {
    // All observations tied after the shift: no interval, the tests above still decide.
  }
  const clesGateUp = config.effectSize.measure !== 'cles' || numbers.cles! >= config.effectSize.allowedIncrease;
  const clesGateDown = config.effectSize.measure !== 'cles' || numbers.cles! <= config.effectSize.allowedDecrease;
  let locationUp = harmUp && whole.up && relativeChange >= minimumUp && clesGateUp;
  let locationDown = harmDown && whole.down && harmfulFall(baselineMean, canaryMean) && clesGateDown;
  const benignShift = (!harmUp && whole.up) || (!harmDown && whole.down);
  const locationText = `mean ${fmt(baselineMean)} → ${fmt(canaryMean)} (${percent(relativeChange)}); ${whole.text}${autocorrelationNote}${
    numbers.shiftEstimate !== undefined
      ? `; shift estimate ${fmt(numbers.shiftEstimate)}, ${fmt(options.confidenceLevel * 100)}% interval [${fmt(numbers.shiftLower!)}, ${fmt(numbers.shiftUpper!)}]`
      : ''
  }`;
  findings.push({
    test: 'location',
    regression: locationUp || locationDown,
    message: locationUp
      ? `canary is higher: ${locationText}`
      : locationDown
        ? `canary is lower: ${locationText}`
        : `no harmful shift: ${locationText}`,
    numbers: pick(numbers, [
      'baselineMean',
      'canaryMean',
      'relativeChange',
      'mannWhitneyP',
      'welchP',
      'locationAlpha',
      'shiftEstimate',
      'shiftLower',
      'shiftUpper',
    ]),
  });

  // The last-third and drift tests share one test level (half each), so adding them does not add false
  // alarms beyond one more family.
  const halfAlpha = { ...options, alpha: options.alpha / 2 };

  // Location over the last third of the window: a regression that builds up (a leak) or starts halfway
  // (a step change) is diluted in the whole-window mean but complete at the end of the window.
  let recentUp = false;
  let recentDown = false;
  let recentRatio = Number.NaN;
  let recentMeans: { baseline: number; canary: number; standardError: number } | undefined;
  const gridLength = Math.max(metric.baseline.values.length, metric.canary.values.length);
  const recentFrom = Math.floor((2 * gridLength) / 3);
  const recentBaseline = valuesFrom(timedBaseline, recentFrom);
  const recentCanary = valuesFrom(timedCanary, recentFrom);
  if (gridLength >= 60 && recentBaseline.length >= MIN_RECENT_POINTS && recentCanary.length >= MIN_RECENT_POINTS) {
    // No lower evidence bar for large changes here: a third of the window is short enough for a shared
    // incident's noise to look like a large change.
    const recent = compareLocation(recentCanary, recentBaseline, inflation, sparse, halfAlpha, false);
    const b = mean(recentBaseline);
    const c = mean(recentCanary);
    const change = b === 0 ? (c === 0 ? 0 : Math.sign(c) * Infinity) : (c - b) / Math.abs(b);
    recentRatio = b !== 0 ? c / b : Number.NaN;
    const variance = (values: readonly number[]) => summarize(values).standardDeviation ** 2;
    // The bound on the last third (decision 156) uses that third's own noise autocorrelation: a start-up
    // transient the level-shift-and-trend fit leaves in the whole window's residuals reads there as
    // correlated noise (variance ×4–5) and would widen the bound on a last third that has none of it.
    const recentResiduals = [residuals?.timedBaseline ?? timedBaseline, residuals?.timedCanary ?? timedCanary].map(
      (points) => pointsFrom(points, recentFrom),
    );
    const recentRho = recentResiduals.every((points) => points.x.length >= 20)
      ? estimateAutocorrelation(...recentResiduals.map(shiftAndTrendResiduals))
      : rho;
    recentMeans = {
      baseline: b,
      canary: c,
      standardError: Math.sqrt(
        ((1 + recentRho) / (1 - recentRho)) *
          (variance(recentCanary) / recentCanary.length + variance(recentBaseline) / recentBaseline.length),
      ),
    };
    recentUp = harmUp && recent.up && change >= minimumUp && clesGateUp && !locationDown;
    recentDown = harmDown && recent.down && harmfulFall(b, c) && clesGateDown && !locationUp;
    numbers.recentRelativeChange = change;
    numbers.recentMannWhitneyP = recent.mannWhitneyP;
    if (recent.welchP !== undefined) numbers.recentWelchP = recent.welchP;
    const text = `last third of the window (${recentBaseline.length} baseline, ${recentCanary.length} canary points): mean ${fmt(b)} → ${fmt(c)} (${percent(change)}); ${recent.text}`;
    findings.push({
      test: 'location-recent',
      regression: recentUp || recentDown,
      message: recentUp
        ? `canary is higher at the end: ${text}`
        : recentDown
          ? `canary is lower at the end: ${text}`
          : `no harmful shift at the end: ${text}`,
      numbers: {
        baselineMean: b,
        canaryMean: c,
        relativeChange: change,
        mannWhitneyP: recent.mannWhitneyP,
        ...(recent.welchP !== undefined ? { welchP: recent.welchP } : {}),
        alpha: recent.alpha,
      },
    });
  }

  // Drift: the canary − baseline difference per time step, fitted by a line. A slope that carries the
  // difference past the practical margin by the end of the window is a regression building up; the
  // shared pattern (traffic, daily cycle) cancels in the difference.
  let driftUp = false;
  let driftDown = false;
  let driftRatio = Number.NaN;
  let leakUp = false;
  let leakDown = false;
  const difference = pointwiseDifference(metric.baseline.values, metric.canary.values, config.nanStrategy);
  if (difference && difference.x.length >= MIN_DRIFT_POINTS && !sparse) {
    const fit = linearFit(difference);
    const driftRho = estimateAutocorrelation(shiftAndTrendResiduals(difference));
    const driftInflation = (1 + driftRho) / (1 - driftRho);
    const n = difference.x.length;
    const t = fit.slopeStandardError > 0 ? fit.slope / (fit.slopeStandardError * Math.sqrt(driftInflation)) : 0;
    const p = fit.slopeStandardError > 0 ? studentTTwoSidedP(t, Math.max(1, (n - 2) / driftInflation)) : 1;
    const lastX = difference.x[n - 1]!;
    const endDifference = fit.intercept + fit.slope * lastX;
    const endChange = baselineMean === 0 ? Number.NaN : endDifference / Math.abs(baselineMean);
    driftRatio = baselineMean === 0 ? Number.NaN : (baselineMean + endDifference) / baselineMean;
    const tier = sparse ? 1 : Math.abs(endChange) >= 0.5 ? 50 : Math.abs(endChange) >= 0.2 ? 5 : 1;
    const alpha = halfAlpha.alpha * tier;
    driftUp = harmUp && p < alpha && fit.slope > 0 && endChange >= minimumUp && !locationDown;
    driftDown =
      harmDown && p < alpha && fit.slope < 0 && harmfulFall(baselineMean, baselineMean + endDifference) && !locationUp;
    numbers.driftSlopePerStep = fit.slope;
    numbers.driftP = p;
    numbers.driftEndChange = endChange;
    const text = `canary − baseline changes by ${fmt(fit.slope)} per step over ${n} aligned steps, reaching ${percent(endChange)} of the baseline mean at the end; trend t-test p=${fmt(p)} (level ${fmt(alpha)}${driftRho > 0.05 ? `, residual autocorrelation ρ=${fmt(driftRho)}` : ''})`;
    findings.push({
      test: 'drift',
      regression: driftUp || driftDown,
      message: driftUp
        ? `canary drifts up: ${text}`
        : driftDown
          ? `canary drifts down: ${text}`
          : `no harmful drift: ${text}`,
      numbers: { slopePerStep: fit.slope, driftP: p, endChange, alpha },
    });

    // A leak whose end-of-window difference is still under the margin keeps growing after promotion. The
    // same trend, beyond chance at the drift test's own level (one test, two bars), is a regression when
    // it would pass the margin if it went on for as long again as it was watched, and only when it is
    // the canary's own steady divergence: a line fits it better than one step, each half of the window
    // diverges, and the baseline moves less on its own (a shared ramp seen through a small level offset
    // also leaves a slope in the difference).
    const harmSign = fit.slope > 0 ? 1 : -1;
    const harmful = fit.slope > 0 ? harmUp && !driftUp && !locationDown : harmDown && !driftDown && !locationUp;
    if (harmful && p < halfAlpha.alpha && baselineMean !== 0) {
      const span = lastX - difference.x[0]!;
      const projectedDifference = endDifference + fit.slope * span;
      const relative = (value: number) => value / Math.abs(baselineMean);
      const projectedChange = relative(projectedDifference);
      const projectedHarm =
        harmSign > 0 ? projectedChange >= minimumUp : harmfulFall(baselineMean, baselineMean + projectedDifference);
      const middle = difference.x[0]! + span / 2;
      const halfSlope = (first: boolean) =>
        slopeOf({
          x: difference.x.filter((x) => first === x < middle),
          y: difference.y.filter((_, i) => first === difference.x[i]! < middle),
        });
      const halves = [halfSlope(true), halfSlope(false)] as const;
      const lineSse = fit.residuals.reduce((sum, r) => sum + r * r, 0);
      const steady =
        halves.every((slope) => harmSign * slope >= STEADY_HALF_SHARE * Math.abs(fit.slope)) &&
        lineSse < levelShiftSse(difference.y);
      const baselineSlope = slopeOf(timedBaseline);
      const baselineFlat = Math.abs(baselineSlope) < Math.abs(fit.slope);
      const leak = projectedHarm && steady && baselineFlat;
      if (harmSign > 0) leakUp = leak;
      else leakDown = leak;
      const changePerHour = stepSeconds !== undefined ? relative((fit.slope * 3600) / stepSeconds) : undefined;
      const rate =
        changePerHour !== undefined
          ? `${percent(changePerHour)} of the baseline mean per hour`
          : `${percent(relative(fit.slope * span))} of the baseline mean over the window's ${span} steps`;
      const horizon = stepSeconds !== undefined ? `${fmt((span * stepSeconds) / 60)} min` : `${span} steps`;
      const unmet = [
        projectedHarm ? '' : 'the projection stays within the margin',
        steady ? '' : 'not a steady trend (one half of the window does not diverge, or one step fits as well)',
        baselineFlat ? '' : 'the baseline moves as much on its own (a shared movement, not the canary)',
      ].filter(Boolean);
      const text = `canary − baseline changes by ${rate} (${fmt(fit.slope)} per step; first half ${fmt(halves[0])}, second half ${fmt(halves[1])}; baseline's own ${fmt(baselineSlope)}); trend p=${fmt(p)} (level ${fmt(halfAlpha.alpha)}); ${percent(endChange)} at the end, ${percent(projectedChange)} projected after as long again (${horizon}), margin ${percent(harmSign * minimumUp)}`;
      numbers.leakProjectedChange = projectedChange;
      if (changePerHour !== undefined) numbers.leakChangePerHour = changePerHour;
      findings.push({
        test: 'leak',
        regression: leak,
        message: leak ? `canary leaks: ${text}` : `no steady leak (${unmet.join('; ')}): ${text}`,
        numbers: {
          slopePerStep: fit.slope,
          firstHalfSlope: halves[0],
          secondHalfSlope: halves[1],
          baselineSlope,
          driftP: p,
          endChange,
          projectedChange,
          ...(changePerHour !== undefined ? { changePerHour } : {}),
        },
      });
    }
  }

  // Floor: a series whose noise only adds to a floor (a heap between collections) can move its floor by
  // far less than its noise, and a change that starts late is diluted in every whole-window statistic.
  // The lowest value of each twentieth of the window traces the floor; the canary − baseline difference of
  // those minima over the last tenth is compared with the first half's (a fixed split, not a search, so
  // the drift test's level holds). It is a regression when the canary's floor ends beyond the margin and
  // the rise is the canary's own and builds up: the canary's floor rose beyond chance on its own, the end
  // is above every floor of the first half, the baseline's floor did not move (p ≥ 0.05 either way: a
  // shared ramp or a falling baseline also moves the difference), and the tenth before the end had
  // already risen (p < 0.05: noise that jumps at the end is not a leak).
  let floorUp = false;
  let floorDown = false;
  let floorRatio = Number.NaN;
  if (difference && gridLength >= MIN_FLOOR_STEPS && !sparse && baselineMean !== 0) {
    for (const harmSign of [harmUp ? 1 : 0, harmDown ? -1 : 0].filter((sign) => sign !== 0)) {
      const floors = (points: TimedPoints) =>
        blockMinima({ x: points.x, y: points.y.map((y) => harmSign * y) }, gridLength, FLOOR_BLOCKS);
      const baselineFloor = floors(timedBaseline);
      const canaryFloor = floors(timedCanary);
      const blocksOfBoth = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) => from + i).filter(
          (k) => Number.isFinite(baselineFloor[k]!) && Number.isFinite(canaryFloor[k]!),
        );
      const before = blocksOfBoth(0, FLOOR_BLOCKS - FLOOR_END_BLOCKS);
      const half = before.filter((k) => k < FLOOR_BLOCKS / 2).length;
      const late = blocksOfBoth(FLOOR_BLOCKS - FLOOR_END_BLOCKS, FLOOR_BLOCKS);
      if (half < FLOOR_BLOCKS / 4 || late.length === 0) continue;
      const early = before.slice(0, half);
      const gap = (k: number) => canaryFloor[k]! - baselineFloor[k]!;
      const riseOf = (of: (k: number) => number) => floorRise(before.map(of), half, late.map(of));
      const rise = riseOf(gap);
      const canaryRise = riseOf((k) => canaryFloor[k]!);
      const baselineRise = riseOf((k) => baselineFloor[k]!);
      const beforeEnd = blocksOfBoth(FLOOR_BLOCKS - 2 * FLOOR_END_BLOCKS, FLOOR_BLOCKS - FLOOR_END_BLOCKS);
      const buildUp = beforeEnd.length > 0 ? floorRise(before.map(gap), half, beforeEnd.map(gap)) : undefined;
      // Minima that never vary early on (a count's zero, a whole number of connections) are a bound, not
      // a measured floor: there is no noise to compare a change with.
      if (rise === undefined || canaryRise === undefined || baselineRise === undefined || rise.p >= halfAlpha.alpha)
        continue;
      const lateGap = mean(late.map(gap));
      const endChange = lateGap / Math.abs(baselineMean);
      const beyondMargin = harmSign > 0 ? endChange >= minimumUp : harmfulFall(baselineMean, baselineMean - lateGap);
      const own =
        canaryRise.p < halfAlpha.alpha &&
        Math.min(...late.map(gap)) > Math.max(...early.map(gap)) &&
        Math.min(baselineRise.p, 1 - baselineRise.p) >= FLOOR_SUPPORT_LEVEL / 2 &&
        buildUp !== undefined &&
        buildUp.p < FLOOR_SUPPORT_LEVEL;
      const floor = beyondMargin && own;
      if (harmSign > 0) floorUp = floor && !locationDown;
      else floorDown = floor && !locationUp;
      if (floor) floorRatio = (baselineMean + harmSign * lateGap) / baselineMean;
      const edge = harmSign > 0 ? 'lowest' : 'highest';
      const share = (value: number) => percent((harmSign * value) / Math.abs(baselineMean));
      const text = `the ${edge} value of each ${FLOOR_BLOCKS}th of the window, canary − baseline, is ${share(lateGap)} of the baseline mean over the last ${late.length} blocks against ${share(lateGap - rise.change)} over the first half; rise p=${fmt(rise.p)} (level ${fmt(halfAlpha.alpha)}); the canary's own ${edge} values move ${share(canaryRise.change)} (p=${fmt(canaryRise.p)}), the baseline's ${share(baselineRise.change)} (p=${fmt(baselineRise.p)})`;
      const unmet = [
        beyondMargin ? '' : `the end is within the margin ${percent(harmSign * minimumUp)}`,
        own
          ? ''
          : `not the canary's own rise beyond chance, above the whole first half, with the baseline's steady (level ${fmt(FLOOR_SUPPORT_LEVEL)})`,
      ].filter(Boolean);
      numbers.floorEndChange = harmSign * endChange;
      numbers.floorP = rise.p;
      findings.push({
        test: 'floor',
        regression: harmSign > 0 ? floorUp : floorDown,
        message: floor
          ? `canary's ${harmSign > 0 ? 'floor rises' : 'ceiling falls'}: ${text}`
          : `no harmful ${harmSign > 0 ? 'floor' : 'ceiling'} change (${unmet.join('; ')}): ${text}`,
        numbers: {
          lateGap,
          floorP: rise.p,
          canaryRise: canaryRise.change,
          canaryRiseP: canaryRise.p,
          baselineRise: baselineRise.change,
          baselineRiseP: baselineRise.p,
          endChange: harmSign * endChange,
        },
      });
    }
  }

  // Spread: a variance increase hurts in either direction (slower tail, or lower dips). Baseline and
  // canary run at the same time, so a shared daily/traffic pattern is removed first when the series are
  // aligned; otherwise that pattern dominates both spreads and hides a noise increase.
  let spreadUp = false;
  const spreadBaseline = residuals?.baseline ?? baseline;
  const spreadCanary = countPlan?.scaledCanaryResiduals ?? residuals?.canary ?? canary;
  const perRequest = countPlan?.scaledCanaryResiduals
    ? ` (per request: canary residuals × √(canary/baseline requests), ${countPlan.use.stepsWithCounts} steps)`
    : '';
  if (spreadBaseline.length >= 2 && spreadCanary.length >= 2) {
    const baselineSpread = meanAbsoluteDeviation(spreadBaseline);
    const canarySpread = meanAbsoluteDeviation(spreadCanary);
    const spreadRatio = baselineSpread === 0 ? (canarySpread === 0 ? 1 : Infinity) : canarySpread / baselineSpread;
    const bf = brownForsythe(spreadCanary, spreadBaseline);
    const brownForsytheP = Number.isNaN(bf.pValue)
      ? bf.pValue
      : fisherFSf(bf.statistic / inflation, 1, bf.degreesOfFreedom / inflation);
    numbers.spreadRatio = spreadRatio;
    numbers.brownForsytheP = brownForsytheP;
    numbers.brownForsytheRawP = bf.pValue;
    const significant =
      (brownForsytheP < options.alpha || (Number.isNaN(bf.pValue) && spreadRatio === Infinity)) &&
      spreadRatio >= options.minimumSpreadRatio;
    spreadUp = significant && !benignShift;
    findings.push({
      test: 'spread',
      regression: spreadUp,
      message: `${spreadUp ? 'canary varies more' : 'no harmful spread change'}: mean absolute deviation${residuals ? ` around the shared ${residuals.windowPoints}-point moving average` : ''}${perRequest} ${fmt(baselineSpread)} → ${fmt(canarySpread)} (×${fmt(spreadRatio)}); Brown–Forsythe p=${Number.isNaN(brownForsytheP) ? 'undefined (no spread on either side)' : fmt(brownForsytheP)} (level ${fmt(options.alpha)}, ratio ≥ ${options.minimumSpreadRatio} needed${autocorrelationNote})`,
      numbers: {
        baselineSpread,
        canarySpread,
        spreadRatio,
        brownForsytheP,
        brownForsytheRawP: bf.pValue,
        brownForsytheW: bf.statistic,
      },
    });
  }

  // Shape: one-sided KS in each harmful direction catches tails and bimodality the mean hides.
  let shapeUp = false;
  let shapeDown = false;
  // It needs enough points for the asymptotic p-value, and the upper (or lower) quantiles must move by
  // the same practical margin as the mean, so a small uniform offset between instances is not a regression.
  const baselineSorted = sortAscending(baseline);
  const canarySorted = sortAscending(canary);
  // With request counts the canary is compared with the baseline as it would have measured it: each
  // baseline point plus the extra sampling noise of the canary's fewer requests at that step.
  const matched =
    countPlan?.baselineExtraSd && countPlan.baselineExtraSd.some((sd) => sd > 0)
      ? new NoiseMatchedBaseline(timedBaseline.y, countPlan.baselineExtraSd)
      : undefined;
  const quantileChange = (p: number) => {
    const b = matched ? matched.percentile(p) : percentileSorted(baselineSorted, p);
    const c = percentileSorted(canarySorted, p);
    return b === 0 ? (c === 0 ? 0 : Math.sign(c) * Infinity) : (c - b) / Math.abs(b);
  };
  const tailUp = Math.max(quantileChange(75), quantileChange(90), quantileChange(95));
  const tailDown = Math.min(quantileChange(25), quantileChange(10), quantileChange(5));
  for (const [harm, alternative, label] of [
    [harmUp, 'greater', 'up'],
    [harmDown, 'less', 'down'],
  ] as const) {
    if (!harm || nb < MIN_SHAPE_POINTS || nc < MIN_SHAPE_POINTS) continue;
    const statistic = matched
      ? matched.ksDistance(canarySorted, alternative)
      : kolmogorovSmirnov(baseline, canary, alternative).statistic;
    const ks = {
      statistic,
      pValue: kolmogorovSmirnovPValue(statistic, nb / inflation, nc / inflation, alternative),
    };
    const tailMoved = label === 'up' ? tailUp >= options.minimumTailChange : tailDown <= -options.minimumTailChange;
    const regression =
      ks.pValue < options.alpha && ks.statistic >= options.minimumShapeDistance && tailMoved && !benignShift;
    if (label === 'up') shapeUp = regression;
    else shapeDown = regression;
    numbers[`ks${label === 'up' ? 'Up' : 'Down'}D`] = ks.statistic;
    numbers[`ks${label === 'up' ? 'Up' : 'Down'}P`] = ks.pValue;
    findings.push({
      test: `shape-${label}`,
      regression,
      message: `${regression ? `canary distribution moved ${label}` : `no harmful shape change ${label}`}: Kolmogorov–Smirnov${matched ? ' against the baseline plus the canary’s extra sampling noise' : ''} D=${fmt(ks.statistic)}, p=${fmt(ks.pValue)}, ${label === 'up' ? 'upper' : 'lower'} quantiles (P${label === 'up' ? '75/90/95' : '25/10/5'}) moved up to ${percent(label === 'up' ? tailUp : tailDown)} (level ${fmt(options.alpha)}, D ≥ ${options.minimumShapeDistance} and ${percent(label === 'up' ? options.minimumRelativeChange : -options.minimumRelativeChange)} needed)`,
      numbers: { ksD: ks.statistic, ksP: ks.pValue, tailChange: label === 'up' ? tailUp : tailDown },
    });
  }

  // Event counters: a mostly-zero baseline hides bursts from rank tests; compare the share of
  // non-zero points, and treat errors from a baseline that had none as new errors.
  let zeroUp = false;
  const nonNegative = everyValue.every((value) => value >= 0);
  const baselineNonZero = baseline.filter((value) => value !== 0).length;
  // With unequal request counts a small canary's one event among few requests is a ratio above anything
  // the baseline had, so the events are compared per request instead (decision 181).
  const perRequestEvents =
    countPlan?.use.used && metric.baseline.requestCounts && metric.canary.requestCounts
      ? perRequestEventTest(
          metric.baseline.values,
          metric.canary.values,
          metric.baseline.requestCounts,
          metric.canary.requestCounts,
        )
      : undefined;
  if (harmUp && nonNegative && (nb - baselineNonZero) / nb >= options.zeroInflatedShare && perRequestEvents) {
    const events = perRequestEvents;
    zeroUp = events.pValue < options.alpha;
    const newEvents = zeroUp && events.baselineEvents === 0;
    Object.assign(numbers, {
      baselineEvents: events.baselineEvents,
      canaryEvents: events.canaryEvents,
      expectedCanaryEvents: events.expectedCanaryEvents,
      eventDispersion: events.dispersion,
      perRequestEventsP: events.pValue,
    });
    findings.push({
      test: 'zero-baseline-counts',
      regression: zeroUp,
      message: `${newEvents ? 'new events: baseline had none' : zeroUp ? 'more events per request in the canary' : 'no harmful change in events per request'}: events (value × requests) baseline ${fmt(events.baselineEvents)}, canary ${fmt(events.canaryEvents)} where its ${fmt(events.canaryShare * 100)} % share of the requests expects ${fmt(events.expectedCanaryEvents)}, over ${events.steps} steps; conditional binomial per step, counts ÷ the baseline's dispersion ${fmt(events.dispersion)}, p=${fmt(events.pValue)} (level ${fmt(options.alpha)})`,
      numbers: {
        baselineEvents: events.baselineEvents,
        canaryEvents: events.canaryEvents,
        expectedCanaryEvents: events.expectedCanaryEvents,
        canaryShare: events.canaryShare,
        dispersion: events.dispersion,
        pValue: events.pValue,
      },
    });
  } else if (harmUp && nonNegative && (nb - baselineNonZero) / nb >= options.zeroInflatedShare) {
    const canaryNonZero = canary.filter((value) => value !== 0).length;
    const fisherP = fisherExactGreater(canaryNonZero, nc, baselineNonZero, nb);
    // A burst shows as canary values above anything the baseline had; with exchangeable sides, k such
    // points have probability at most C(nc, k) / C(nb + nc, k).
    const baselineMax = baseline.reduce((max, value) => (value > max ? value : max), -Infinity);
    const aboveBaselineMax = canary.filter((value) => value > baselineMax).length;
    const exceedanceP =
      aboveBaselineMax === 0 ? 1 : Math.exp(logChoose(nc, aboveBaselineMax) - logChoose(nb + nc, aboveBaselineMax));
    const newErrors = baselineNonZero === 0 && canaryNonZero >= Math.max(3, Math.ceil(0.1 * nc));
    zeroUp = fisherP < options.alpha || exceedanceP < options.alpha || newErrors;
    numbers.baselineNonZero = baselineNonZero;
    numbers.canaryNonZero = canaryNonZero;
    numbers.fisherP = fisherP;
    numbers.aboveBaselineMax = aboveBaselineMax;
    numbers.exceedanceP = exceedanceP;
    const sums = `sum ${fmt(baselineMean * nb)} → ${fmt(canaryMean * nc)}`;
    findings.push({
      test: 'zero-baseline-counts',
      regression: zeroUp,
      message: `${newErrors ? 'new events: baseline had none' : zeroUp ? 'burst of events in the canary' : 'no harmful change in event counts'}: non-zero points baseline ${baselineNonZero}/${nb}, canary ${canaryNonZero}/${nc} (${sums}); Fisher exact p=${fmt(fisherP)}; ${aboveBaselineMax} canary points above the baseline maximum ${fmt(baselineMax)}, p=${fmt(exceedanceP)} (level ${fmt(options.alpha)}${baselineNonZero === 0 ? `; new-events rule needs ≥ ${Math.max(3, Math.ceil(0.1 * nc))}` : ''})`,
      numbers: { baselineNonZero, canaryNonZero, fisherP, aboveBaselineMax, exceedanceP },
    });
  }

  // A start-up transient (a canary warming its JIT and caches): the whole window is worse, but the
  // canary − baseline difference falls over the window and the last third is back within the margin with
  // confidence (its one-sided 95 % bound, not just its estimate: a noisy last third is no evidence of
  // recovery). The verdict is about the canary as it now runs, which shows no harm, so the whole-window
  // location and shape findings are set aside (kept, with the reason). Both pieces of evidence use
  // p < 0.05: they can only withdraw an alarm, never raise one. A canary held at the edge of the
  // window's range at the end (CPU pinned at its limit, a full pool) shows no recovery: the difference
  // shrinks because its values cannot go further, so a censored end keeps the alarm.
  const fallingTrend = (sign: number) =>
    numbers.driftP !== undefined && numbers.driftP < TRANSIENT_LEVEL && sign * numbers.driftSlopePerStep! < 0;
  const z = -normalPpf(TRANSIENT_LEVEL);
  const top = everyValue.reduce((max, value) => (value > max ? value : max), -Infinity);
  const bottom = everyValue.reduce((min, value) => (value < min ? value : min), Infinity);
  const pinnedAt = (edge: number) =>
    recentCanary.filter((value) => Math.abs(value - edge) <= PINNED_TOLERANCE * (top - bottom)).length >=
    PINNED_SHARE * recentCanary.length;
  // The lower evidence bar for a large change (×5 at 20 %, ×50 at 50 %) presumes a shift that lasts. When
  // the difference falls over the window and the last third's mean is back within the margin, the size
  // came from the start (a cache filling, a JIT compiling): the whole window must then show the change
  // at the normal level. Unlike the rule below this needs no confidence bound on the last third, so it
  // also covers a noisy end (few events per step), where the bound cannot show a recovery.
  const largeStartOnly = (up: boolean): boolean => {
    if (!fallingTrend(up ? 1 : -1) || recentMeans === undefined || whole.alpha <= options.alpha) return false;
    const { baseline: b, canary: c } = recentMeans;
    const endWithin = up ? b !== 0 && (c - b) / Math.abs(b) < minimumUp : !harmfulFall(b, c);
    const strict = compareLocation(canary, baseline, inflation, sparse, options, false);
    return endWithin && !(up ? strict.up : strict.down);
  };
  if ((locationUp && largeStartOnly(true)) || (locationDown && largeStartOnly(false))) {
    for (const finding of findings.filter((f) => f.test === 'location' && f.regression)) {
      finding.regression = false;
      finding.message = `start-up transient, set aside: ${finding.message}; the difference falls over the window (trend p=${fmt(numbers.driftP!)}), the last third's mean is within the margin (${percent(numbers.recentRelativeChange!)}) and the whole window shows no change at level ${fmt(options.alpha)}`;
    }
    locationUp = false;
    locationDown = false;
    numbers.startupTransient = 1;
  }
  const endedUp =
    (locationUp || shapeUp) &&
    !pinnedAt(top) &&
    recentMeans !== undefined &&
    recentMeans.baseline !== 0 &&
    (recentMeans.canary + z * recentMeans.standardError - recentMeans.baseline) / Math.abs(recentMeans.baseline) <
      minimumUp &&
    fallingTrend(1);
  const endedDown =
    (locationDown || shapeDown) &&
    !pinnedAt(bottom) &&
    recentMeans !== undefined &&
    !harmfulFall(recentMeans.baseline, recentMeans.canary - z * recentMeans.standardError) &&
    fallingTrend(-1);
  for (const [ended, tests] of [
    [endedUp, ['location', 'shape-up']],
    [endedDown, ['location', 'shape-down']],
  ] as const) {
    if (!ended) continue;
    for (const finding of findings) {
      if (!finding.regression || !(tests as readonly string[]).includes(finding.test)) continue;
      finding.regression = false;
      finding.message = `start-up transient, set aside: ${finding.message}; the difference falls over the window (trend p=${fmt(numbers.driftP!)}) and the last third is within the margin (${percent(numbers.recentRelativeChange!)})`;
    }
  }
  if (endedUp) {
    locationUp = false;
    shapeUp = false;
  }
  if (endedDown) {
    locationDown = false;
    shapeDown = false;
  }
  if (endedUp || endedDown) numbers.startupTransient = 1;

  const regressions = findings.filter((finding) => finding.regression);
  const effect = `mean ${fmt(baselineMean)} → ${fmt(canaryMean)} (${percent(relativeChange)}${
    numbers.shiftLower !== undefined
      ? `; ${fmt(options.confidenceLevel * 100)}% interval of the shift canary − baseline [${fmt(numbers.shiftLower)}, ${fmt(numbers.shiftUpper!)}]`
      : ''
  })`;
  const data = describeData(baselineSide, canarySide, config.nanStrategy);
  if (regressions.length === 0) {
    const checked = findings.map((finding) => TEST_NAMES[finding.test] ?? finding.test).join(', ');
    const reason = `Pass: ${effect}; no harmful change found by ${checked} on ${data}.`;
    return { ...base, classification: 'Pass', critical: false, reason, numbers, findings };
  }
  const up =
    locationUp ||
    ((recentUp || driftUp || leakUp || floorUp) && !locationDown) ||
    ((spreadUp || shapeUp || zeroUp) &&
      harmUp &&
      !locationDown &&
      !shapeDown &&
      !recentDown &&
      !driftDown &&
      !leakDown &&
      !floorDown) ||
    (spreadUp && !harmDown);
  const classification = up ? 'High' : 'Low';
  const beyond = (ratio: number) =>
    up
      ? Number.isNaN(ratio) || ratio >= config.effectSize.criticalIncrease
      : Number.isNaN(ratio) || ratio <= config.effectSize.criticalDecrease;
  // A location-type finding is critical beyond the critical ratio of the part of the window it measured;
  // the distribution and count findings have no ratio bound and are critical as they are.
  const critical =
    config.critical &&
    regressions.some((finding) =>
      finding.test === 'location'
        ? beyond(numbers.meanRatio ?? Number.NaN)
        : finding.test === 'location-recent'
          ? beyond(recentRatio)
          : finding.test === 'drift' || finding.test === 'leak'
            ? beyond(driftRatio)
            : finding.test === 'floor'
              ? beyond(floorRatio)
              : true,
    );
  const deciding = regressions[0]!;
  const others = regressions.slice(1).map((finding) => TEST_NAMES[finding.test] ?? finding.test);
  const reason = `${classification}: ${effect}; decided by ${TEST_NAMES[deciding.test] ?? deciding.test} (${deciding.message})${
    others.length > 0 ? `, also ${others.join(', ')}` : ''
  }; on ${data}.`;
  return { ...base, classification, critical, reason, numbers, findings };
}

function knownTotal(counts: ReadonlyArray<number | null>): number {
  return counts.reduce<number>((sum, count) => sum + (count ?? 0), 0);
}

/**
 * The per-request comparison of a metric with request counts on both sides (undefined without them). When
 * the counts cannot be used a warning says why, and the spread and shape tests run as without counts.
 */
function requestCountPlan(
  metric: MetricInput,
  timedBaseline: TimedPoints,
  residuals: SharedResiduals | undefined,
  warnings: string[],
): RequestCountPlan | undefined {
  const baselineCounts = metric.baseline.requestCounts;
  const canaryCounts = metric.canary.requestCounts;
  if (!baselineCounts && !canaryCounts) return undefined;
  if (!baselineCounts || !canaryCounts) {
    warnings.push(
      `request counts only on the ${baselineCounts ? 'baseline' : 'canary'} side: not used (both sides need them)`,
    );
    return undefined;
  }
  const reason =
    metric.config.outliers.strategy === 'remove'
      ? 'outlier removal (outliers.strategy remove) breaks the step alignment the per-request comparison needs'
      : 'the per-request comparison needs time-aligned series (the same number of steps) of at least 30 steps';
  const plan = planRequestCounts(baselineCounts, canaryCounts, timedBaseline, residuals, reason);
  if (!plan.use.used) warnings.push(plan.use.note);
  return plan;
}

/**
 * Neither side has a single point. When neither query matched any series, nothing was counted on either
 * side (Prometheus creates a labelled counter only at its first increment): zero events, a Pass. With
 * `nanStrategy: replace` all-missing sides are zeros too. Otherwise the metric is Nodata "on either side":
 * shown with the reason but not scored (not critical, not in the ≥ 50 % Nodata rule), so a healthy service
 * whose error counter does not exist yet is not failed. `mustHaveData` turns all of these into a failure.
 */
function noDataOnEitherSide(
  metric: MetricInput,
  base: Omit<MetricResult, 'classification' | 'critical' | 'reason' | 'numbers' | 'findings'>,
  baselineSide: PreprocessedSide,
  canarySide: PreprocessedSide,
): MetricResult {
  const config = metric.config;
  const absent = metric.baseline.seriesCount === 0 && metric.canary.seriesCount === 0;
  const what = `${describeSeries('baseline', metric.baseline, baselineSide)}; ${describeSeries('canary', metric.canary, canarySide)}`;
  const numbers = { baselineCount: 0, canaryCount: 0 };
  const result = (
    classification: MetricResult['classification'],
    reason: string,
    regression: boolean,
    extra: Partial<MetricResult> = {},
  ): MetricResult => ({
    ...base,
    classification,
    critical: false,
    reason,
    numbers,
    findings: [{ test: 'data', regression, message: reason, numbers }],
    ...extra,
  });
  if (config.mustHaveData)
    return result(
      'NodataFailMetric',
      `NodataFailMetric: no data on either side (${what}) and the metric must have data.`,
      true,
      { critical: config.critical },
    );
  if (absent)
    return result(
      'Pass',
      `Pass: zero events on both sides — neither query matched a series (${what}), which is how a counter looks before its first increment.`,
      false,
    );
  if (config.nanStrategy === 'replace')
    return result(
      'Pass',
      `Pass: every point is missing on both sides and reads as 0 (nanStrategy replace): ${what}.`,
      false,
    );
  return result(
    'Nodata',
    `Nodata: no data on either side (${what}); not scored, since nothing shows a difference (mustHaveData: true fails instead, nanStrategy: replace reads it as zero events).`,
    false,
    { noDataOnEitherSide: true },
  );
}

const TEST_NAMES: Record<string, string> = {
  location: 'the whole-window location test',
  'location-recent': 'the last-third location test',
  drift: 'the drift (trend difference) test',
  leak: 'the steady-divergence (leak) test',
  floor: 'the floor (lowest values per block) test',
  spread: 'the spread test',
  'shape-up': 'the upper-shape test',
  'shape-down': 'the lower-shape test',
  'zero-baseline-counts': 'the event-count test',
};

/** What data a decision used: points per side, and what was missing or removed. */
function describeData(baseline: PreprocessedSide, canary: PreprocessedSide, nanStrategy: 'remove' | 'replace'): string {
  const missing = (label: string, side: PreprocessedSide) =>
    side.missingCount > 0
      ? `${side.missingCount} of ${side.receivedCount} ${label} points missing (${nanStrategy === 'replace' ? 'read as 0' : 'left out'})`
      : '';
  const outliers = (label: string, side: PreprocessedSide) =>
    side.outlierCount > 0 ? `${side.outlierCount} ${label} outliers removed` : '';
  const notes = [
    missing('baseline', baseline),
    missing('canary', canary),
    outliers('baseline', baseline),
    outliers('canary', canary),
  ].filter(Boolean);
  return `${baseline.values.length} baseline and ${canary.values.length} canary points${notes.length > 0 ? ` (${notes.join(', ')})` : ', nothing missing'}`;
}

interface LocationComparison {
  up: boolean;
  down: boolean;
  alpha: number;
  mannWhitneyP: number;
  mannWhitneyRawP: number;
  mannWhitneyU: number;
  welchP?: number;
  welchRawP?: number;
  welchT?: number;
  text: string;
}

/**
 * Mann–Whitney and Welch's t on canary vs baseline with variance inflation, Bonferroni over the two.
 * Large changes need less evidence: noise rarely moves a mean by 50 % (×50 level) or 20 % (×5), and a
 * doubling seen in 7 points must not pass just because 7 points cannot reach p < 0.001 — except for
 * sparse counters, where a mean near zero makes any relative change look huge.
 */
function compareLocation(
  canary: readonly number[],
  baseline: readonly number[],
  inflation: number,
  sparse: boolean,
  options: IsdJudgeOptions,
  relaxForLargeChanges = true,
): LocationComparison {
  const nc = canary.length;
  const nb = baseline.length;
  const baselineMean = mean(baseline);
  const canaryMean = mean(canary);
  const magnitude =
    baselineMean === 0 ? (canaryMean === 0 ? 0 : Infinity) : Math.abs((canaryMean - baselineMean) / baselineMean);
  const tier = sparse || !relaxForLargeChanges ? 1 : magnitude >= 0.5 ? 50 : magnitude >= 0.2 ? 5 : 1;
  const alpha = options.alpha * tier;
  const mw = mannWhitneyU(canary, baseline);
  const mannWhitneyP = mw.method === 'asymptotic' ? Math.min(1, 2 * normalSf(mw.z / Math.sqrt(inflation))) : mw.pValue;
  const canVaryT =
    nb >= 2 && nc >= 2 && !(summarize(canary).standardDeviation === 0 && summarize(baseline).standardDeviation === 0);
  const welch = canVaryT ? welchTTest(canary, baseline) : undefined;
  const welchP = welch
    ? studentTTwoSidedP(welch.statistic / Math.sqrt(inflation), welch.degreesOfFreedom / inflation)
    : undefined;
  const mwSignificant = 2 * mannWhitneyP < alpha;
  const welchSignificant = welchP !== undefined && 2 * welchP < alpha;
  const up = (mwSignificant && mw.statistic > (nc * nb) / 2) || (welchSignificant && welch!.statistic > 0);
  const down = (mwSignificant && mw.statistic < (nc * nb) / 2) || (welchSignificant && welch!.statistic < 0);
  return {
    up,
    down,
    alpha,
    mannWhitneyP,
    mannWhitneyRawP: mw.pValue,
    mannWhitneyU: mw.statistic,
    ...(welch ? { welchP, welchRawP: welch.pValue, welchT: welch.statistic } : {}),
    text: `Mann–Whitney p=${fmt(mannWhitneyP)}${welchP !== undefined ? `, Welch t p=${fmt(welchP)}` : ''} (level ${fmt(alpha)} split over both tests)`,
  };
}

/** The finite points of a raw series with their grid index (NaN as 0 with `replace`, or kept values only). */
function timedPoints(
  raw: ReadonlyArray<number | null>,
  nanStrategy: 'remove' | 'replace',
  kept?: readonly number[],
): TimedPoints {
  const allowed = kept ? new Set(kept) : undefined;
  const x: number[] = [];
  const y: number[] = [];
  raw.forEach((value, t) => {
    const finite = value !== null && Number.isFinite(value);
    if (!finite && nanStrategy === 'remove') return;
    const v = finite ? value : 0;
    if (allowed && !allowed.has(v)) return;
    x.push(t);
    y.push(v);
  });
  return { x, y };
}

/**
 * How far the block values at the end sit above those of the first half, with a one-sided p-value: a
 * t-test whose noise is the larger of the first half's spread (inflated by its lag-one autocorrelation)
 * and the block-to-block changes of everything before the end (von Neumann's successive differences,
 * which a steady rise barely moves but noise in the second half does). Undefined without any noise.
 */
function floorRise(
  before: readonly number[],
  half: number,
  end: readonly number[],
): { change: number; p: number } | undefined {
  const early = before.slice(0, half);
  const rho = Math.min(0.9, Math.max(0, lagOneAutocorrelation(early)));
  const earlyVariance = summarize(early).standardDeviation ** 2 * ((1 + rho) / (1 - rho));
  let successive = 0;
  for (let k = 1; k < before.length; k++) successive += (before[k]! - before[k - 1]!) ** 2;
  const changeVariance = successive / (2 * (before.length - 1));
  const standardError = Math.sqrt(Math.max(earlyVariance, changeVariance) * (1 / end.length + 1 / early.length));
  if (!(standardError > 0)) return undefined;
  const change = mean(end) - mean(early);
  const twoSided = studentTTwoSidedP(change / standardError, early.length - 1);
  return { change, p: change > 0 ? twoSided / 2 : 1 - twoSided / 2 };
}

/** Least-squares slope of the points; NaN when there are fewer than three or no two distinct x. */
function slopeOf(points: TimedPoints): number {
  const distinct = points.x.some((x) => x !== points.x[0]);
  return points.x.length >= 3 && distinct ? linearFit(points).slope : Number.NaN;
}

function valuesFrom(points: TimedPoints, fromIndex: number): number[] {
  return points.y.filter((_, i) => points.x[i]! >= fromIndex);
}

function pointsFrom(points: TimedPoints, fromIndex: number): TimedPoints {
  const x = points.x.filter((t) => t >= fromIndex);
  return { x, y: valuesFrom(points, fromIndex) };
}

/** canary − baseline at every grid step where both have a value; undefined when the grids differ. */
function pointwiseDifference(
  baselineRaw: ReadonlyArray<number | null>,
  canaryRaw: ReadonlyArray<number | null>,
  nanStrategy: 'remove' | 'replace',
): TimedPoints | undefined {
  if (baselineRaw.length !== canaryRaw.length) return undefined;
  const value = (v: number | null) =>
    v !== null && Number.isFinite(v) ? v : nanStrategy === 'replace' ? 0 : Number.NaN;
  const x: number[] = [];
  const y: number[] = [];
  for (let t = 0; t < baselineRaw.length; t++) {
    const b = value(baselineRaw[t]!);
    const c = value(canaryRaw[t]!);
    if (Number.isNaN(b) || Number.isNaN(c)) continue;
    x.push(t);
    y.push(c - b);
  }
  return { x, y };
}

/**
 * For time-aligned series (same length, ≥ 30 points): each side minus the centred moving average of the
 * two sides' pointwise mean, i.e. with the pattern both share (daily cycle, traffic) taken out. Where one
 * side has no point, the pointwise mean is the other side moved by half the sides' level difference (their
 * means over the steps both have): the other side alone would make the pattern jump at every gap when the
 * levels differ, and the smoothed jump would read as strongly correlated noise.
 */
function sharedPatternResiduals(
  baselineRaw: ReadonlyArray<number | null>,
  canaryRaw: ReadonlyArray<number | null>,
  nanStrategy: 'remove' | 'replace',
): SharedResiduals | undefined {
  const n = baselineRaw.length;
  if (n !== canaryRaw.length || n < 30) return undefined;
  const clean = (value: number | null): number =>
    value === null || !Number.isFinite(value) ? (nanStrategy === 'replace' ? 0 : Number.NaN) : value;
  const b = baselineRaw.map(clean);
  const c = canaryRaw.map(clean);
  let levelDifference = 0; // baseline − canary over the steps both have
  let both = 0;
  b.forEach((value, t) => {
    if (Number.isNaN(value) || Number.isNaN(c[t]!)) return;
    levelDifference += value - c[t]!;
    both++;
  });
  const halfDifference = both > 0 ? levelDifference / both / 2 : 0;
  const pointwise = b.map((value, t) => {
    const other = c[t]!;
    if (Number.isNaN(value)) return other + halfDifference;
    return Number.isNaN(other) ? value - halfDifference : (value + other) / 2;
  });
  const half = Math.max(5, Math.round(n / 30));
  // Prefix sums over the finite points give every centred window mean in O(n).
  const sums = new Float64Array(n + 1);
  const counts = new Float64Array(n + 1);
  for (let t = 0; t < n; t++) {
    const finite = !Number.isNaN(pointwise[t]!);
    sums[t + 1] = sums[t]! + (finite ? pointwise[t]! : 0);
    counts[t + 1] = counts[t]! + (finite ? 1 : 0);
  }
  const trend = (t: number): number => {
    const low = Math.max(0, t - half);
    const high = Math.min(n, t + half + 1);
    const count = counts[high]! - counts[low]!;
    return count === 0 ? Number.NaN : (sums[high]! - sums[low]!) / count;
  };
  const residualsOf = (values: number[]): TimedPoints => {
    const x: number[] = [];
    const y: number[] = [];
    values.forEach((value, t) => {
      const residual = value - trend(t);
      if (Number.isNaN(residual)) return;
      x.push(t);
      y.push(residual);
    });
    return { x, y };
  };
  const timedBaseline = residualsOf(b);
  const timedCanary = residualsOf(c);
  return {
    baseline: timedBaseline.y,
    canary: timedCanary.y,
    timedBaseline,
    timedCanary,
    windowPoints: 2 * half + 1,
  };
}

interface SharedResiduals {
  baseline: number[];
  canary: number[];
  timedBaseline: TimedPoints;
  timedCanary: TimedPoints;
  windowPoints: number;
}

/**
 * Pooled lag-1 autocorrelation of the given series (each side's residuals), clamped to [0, 0.9]; series
 * below 20 points are left out, and with none left it is 0.
 */
function estimateAutocorrelation(...series: ReadonlyArray<readonly number[]>): number {
  const values = series
    .filter((values) => values.length >= 20)
    .map((values) => lagOneAutocorrelation(values))
    .filter((value) => !Number.isNaN(value));
  if (values.length === 0) return 0;
  return Math.min(0.9, Math.max(0, mean(values)));
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

function pick(numbers: Record<string, number>, keys: string[]): Record<string, number> {
  const picked: Record<string, number> = {};
  for (const key of keys) if (numbers[key] !== undefined) picked[key] = numbers[key]!;
  return picked;
}
