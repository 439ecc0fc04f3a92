// The default `isd` judge. It keeps Kayenta's model (per-metric classification, groups, weights,
// thresholds, critical metrics) and its rank-based location test, and adds what Kayenta misses:
// a parametric location test for few samples, a spread test (Brown–Forsythe) and a one-sided
// distribution test (Kolmogorov–Smirnov) for variance/shape changes, a count test for error counters
// with a mostly-zero baseline, explicit no-data results that quote the query, and a reason with the
// numbers for every decision.
import type { Finding, Judge, JudgeInput, JudgeResult, MetricInput, MetricResult, SideSummary } from './model';
import { validateJudgeInput } from './model';
import { preprocessSide, type PreprocessedSide } from './preprocessing';
import { scoreMetrics } from './scoring';
import { fisherFSf, logGamma, normalSf, studentTTwoSidedP } from './special';
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
  minimumRelativeChange: 0.1,
  minimumSpreadRatio: 1.2,
  minimumShapeDistance: 0.2,
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
        .map((metric) => classifyIsdMetric(metric, settings));
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

/** Classifies one metric with the `isd` rules; every decision carries findings with their numbers. */
export function classifyIsdMetric(metric: MetricInput, options: IsdJudgeOptions = DEFAULT_ISD_OPTIONS): MetricResult {
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
  const base = {
    name: config.name,
    groups: config.groups,
    baseline: sideSummary(baselineSide),
    canary: sideSummary(canarySide),
    warnings,
  };

  // Missing data is a result of its own, never a silent pass: a side with no real points is "no data"
  // even when NaNs would be replaced by zeros.
  const realCanary = canarySide.receivedCount - canarySide.missingCount;
  const realBaseline = baselineSide.receivedCount - baselineSide.missingCount;
  const noData: string[] = [];
  if (realBaseline === 0 || baselineSide.values.length < options.minimumSamples)
    noData.push(describeSeries('baseline', metric.baseline, baselineSide));
  if (realCanary === 0 || canarySide.values.length < options.minimumSamples)
    noData.push(describeSeries('canary', metric.canary, canarySide));
  if (noData.length > 0) {
    const classification = config.mustHaveData ? 'NodataFailMetric' : 'Nodata';
    const reason = `${noData.join('; ')}${config.mustHaveData ? ' — the metric must have data' : ''} (at least ${options.minimumSamples} points per side needed)`;
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

  // Time-aligned series: take out the pattern both sides share; the residuals also show how autocorrelated
  // the noise is. Rank and t tests assume independent points; with lag-1 autocorrelation ρ the variance of
  // a mean grows by (1 + ρ)/(1 − ρ), so the p-values below are computed with that inflation (raw ones are
  // reported beside them).
  const residuals =
    config.outliers.strategy === 'remove'
      ? undefined
      : sharedPatternResiduals(metric.baseline.values, metric.canary.values, config.nanStrategy);
  const rho = estimateAutocorrelation(residuals?.baseline ?? baseline, residuals?.canary ?? canary);
  const inflation = (1 + rho) / (1 - rho);
  numbers.autocorrelation = rho;
  numbers.varianceInflation = inflation;
  const autocorrelationNote =
    rho > 0.05 ? `; noise autocorrelation ρ=${fmt(rho)}, p-values use ${fmt(inflation)}× variance` : '';

  // Location: rank test (robust) and Welch's t (sharper with few points), Bonferroni over the two.
  // Large changes need less evidence: noise rarely moves a mean by 50 % (×50 level) or 20 % (×5), and a
  // doubling seen in 7 points must not pass just because 7 points cannot reach p < 0.001.
  const mw = mannWhitneyU(canary, baseline);
  const canVaryT =
    nb >= 2 && nc >= 2 && !(summarize(canary).standardDeviation === 0 && summarize(baseline).standardDeviation === 0);
  const welch = canVaryT ? welchTTest(canary, baseline) : undefined;
  const magnitude = Math.abs(relativeChange);
  // …except for sparse counters, where a mean near zero makes any relative change look huge.
  const baselineZeroShare = baseline.filter((value) => value === 0).length / nb;
  const sparse = baselineZeroShare >= options.zeroInflatedShare;
  const tier = sparse ? 1 : magnitude >= 0.5 ? 50 : magnitude >= 0.2 ? 5 : 1;
  const locationAlpha = options.alpha * tier;
  const mannWhitneyP = mw.method === 'asymptotic' ? Math.min(1, 2 * normalSf(mw.z / Math.sqrt(inflation))) : mw.pValue;
  const welchP = welch
    ? studentTTwoSidedP(welch.statistic / Math.sqrt(inflation), welch.degreesOfFreedom / inflation)
    : Number.NaN;
  numbers.mannWhitneyP = mannWhitneyP;
  numbers.mannWhitneyRawP = mw.pValue;
  numbers.mannWhitneyU = mw.statistic;
  if (welch) {
    numbers.welchP = welchP;
    numbers.welchRawP = welch.pValue;
    numbers.welchT = welch.statistic;
  }
  numbers.locationAlpha = locationAlpha;
  try {
    const interval = kayentaShiftInterval(canary, baseline, options.confidenceLevel);
    numbers.shiftEstimate = interval.estimate;
    numbers.shiftLower = interval.lower;
    numbers.shiftUpper = interval.upper;
  } catch {
    // All observations tied after the shift: no interval, the tests above still decide.
  }
  const mwUp = 2 * mannWhitneyP < locationAlpha && mw.statistic > (nc * nb) / 2;
  const mwDown = 2 * mannWhitneyP < locationAlpha && mw.statistic < (nc * nb) / 2;
  const welchUp = welch !== undefined && 2 * welchP < locationAlpha && welch.statistic > 0;
  const welchDown = welch !== undefined && 2 * welchP < locationAlpha && welch.statistic < 0;
  const allowedIncrease = config.effectSize.measure === 'meanRatio' ? config.effectSize.allowedIncrease : 1;
  const allowedDecrease = config.effectSize.measure === 'meanRatio' ? config.effectSize.allowedDecrease : 1;
  const clesGateUp = config.effectSize.measure !== 'cles' || numbers.cles >= config.effectSize.allowedIncrease;
  const clesGateDown = config.effectSize.measure !== 'cles' || numbers.cles <= config.effectSize.allowedDecrease;
  const practicalUp = relativeChange >= Math.max(options.minimumRelativeChange, allowedIncrease - 1) && clesGateUp;
  const practicalDown = relativeChange <= -Math.max(options.minimumRelativeChange, 1 - allowedDecrease) && clesGateDown;
  const locationText = `mean ${fmt(baselineMean)} → ${fmt(canaryMean)} (${percent(relativeChange)}); Mann–Whitney p=${fmt(mannWhitneyP)}${welch ? `, Welch t p=${fmt(welchP)}` : ''} (level ${fmt(locationAlpha)} split over both tests${autocorrelationNote})${
    numbers.shiftEstimate !== undefined
      ? `; shift estimate ${fmt(numbers.shiftEstimate)}, ${fmt(options.confidenceLevel * 100)}% interval [${fmt(numbers.shiftLower!)}, ${fmt(numbers.shiftUpper!)}]`
      : ''
  }`;
  const locationUp = harmUp && (mwUp || welchUp) && practicalUp;
  const locationDown = harmDown && (mwDown || welchDown) && practicalDown;
  const benignShift = (!harmUp && (mwUp || welchUp)) || (!harmDown && (mwDown || welchDown));
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

  // Spread: a variance increase hurts in either direction (slower tail, or lower dips). Baseline and
  // canary run at the same time, so a shared daily/traffic pattern is removed first when the series are
  // aligned; otherwise that pattern dominates both spreads and hides a noise increase.
  let spreadUp = false;
  const spreadBaseline = residuals?.baseline ?? baseline;
  const spreadCanary = residuals?.canary ?? canary;
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
      message: `${spreadUp ? 'canary varies more' : 'no harmful spread change'}: mean absolute deviation${residuals ? ` around the shared ${residuals.windowPoints}-point moving average` : ''} ${fmt(baselineSpread)} → ${fmt(canarySpread)} (×${fmt(spreadRatio)}); Brown–Forsythe p=${fmt(brownForsytheP)} (level ${fmt(options.alpha)}, ratio ≥ ${options.minimumSpreadRatio} needed${autocorrelationNote})`,
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
  const quantileChange = (p: number) => {
    const b = percentileSorted(baselineSorted, p);
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
    const rawKs = kolmogorovSmirnov(baseline, canary, alternative);
    const ks = {
      statistic: rawKs.statistic,
      pValue: kolmogorovSmirnovPValue(rawKs.statistic, nb / inflation, nc / inflation, alternative),
    };
    const tailMoved =
      label === 'up' ? tailUp >= options.minimumRelativeChange : tailDown <= -options.minimumRelativeChange;
    const regression =
      ks.pValue < options.alpha && ks.statistic >= options.minimumShapeDistance && tailMoved && !benignShift;
    if (label === 'up') shapeUp = regression;
    else shapeDown = regression;
    numbers[`ks${label === 'up' ? 'Up' : 'Down'}D`] = ks.statistic;
    numbers[`ks${label === 'up' ? 'Up' : 'Down'}P`] = ks.pValue;
    findings.push({
      test: `shape-${label}`,
      regression,
      message: `${regression ? `canary distribution moved ${label}` : `no harmful shape change ${label}`}: Kolmogorov–Smirnov D=${fmt(ks.statistic)}, p=${fmt(ks.pValue)}, ${label === 'up' ? 'upper' : 'lower'} quantiles (P${label === 'up' ? '75/90/95' : '25/10/5'}) moved up to ${percent(label === 'up' ? tailUp : tailDown)} (level ${fmt(options.alpha)}, D ≥ ${options.minimumShapeDistance} and ${percent(label === 'up' ? options.minimumRelativeChange : -options.minimumRelativeChange)} needed)`,
      numbers: { ksD: ks.statistic, ksP: ks.pValue, tailChange: label === 'up' ? tailUp : tailDown },
    });
  }

  // Event counters: a mostly-zero baseline hides bursts from rank tests; compare the share of
  // non-zero points, and treat errors from a baseline that had none as new errors.
  let zeroUp = false;
  const nonNegative = everyValue.every((value) => value >= 0);
  const baselineNonZero = baseline.filter((value) => value !== 0).length;
  if (harmUp && nonNegative && (nb - baselineNonZero) / nb >= options.zeroInflatedShare) {
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

  const regressions = findings.filter((finding) => finding.regression);
  if (regressions.length === 0) {
    const reason = `Pass: ${findings.map((finding) => finding.message).join('; ')}`;
    return { ...base, classification: 'Pass', critical: false, reason, numbers, findings };
  }
  const up =
    locationUp || ((spreadUp || shapeUp || zeroUp) && harmUp && !locationDown && !shapeDown) || (spreadUp && !harmDown);
  const classification = up ? 'High' : 'Low';
  const ratio = numbers.meanRatio ?? Number.NaN;
  const beyondCritical = up
    ? Number.isNaN(ratio) || ratio >= config.effectSize.criticalIncrease
    : Number.isNaN(ratio) || ratio <= config.effectSize.criticalDecrease;
  const critical = config.critical && (beyondCritical || regressions.some((finding) => finding.test !== 'location'));
  const reason = `${classification}: ${regressions.map((finding) => finding.message).join('; ')}`;
  return { ...base, classification, critical, reason, numbers, findings };
}

/**
 * For time-aligned series (same length, ≥ 30 points): each side minus the centred moving average of the
 * two sides' pointwise mean, i.e. with the pattern both share (daily cycle, traffic) taken out.
 */
function sharedPatternResiduals(
  baselineRaw: ReadonlyArray<number | null>,
  canaryRaw: ReadonlyArray<number | null>,
  nanStrategy: 'remove' | 'replace',
): { baseline: number[]; canary: number[]; windowPoints: number } | undefined {
  const n = baselineRaw.length;
  if (n !== canaryRaw.length || n < 30) return undefined;
  const clean = (value: number | null): number =>
    value === null || !Number.isFinite(value) ? (nanStrategy === 'replace' ? 0 : Number.NaN) : value;
  const b = baselineRaw.map(clean);
  const c = canaryRaw.map(clean);
  const pointwise = b.map((value, t) => {
    const other = c[t]!;
    if (Number.isNaN(value)) return other;
    return Number.isNaN(other) ? value : (value + other) / 2;
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
  const residualsOf = (values: number[]) =>
    values
      .flatMap((value, t) => (Number.isNaN(value) ? [] : [value - trend(t)]))
      .filter((value) => !Number.isNaN(value));
  return { baseline: residualsOf(b), canary: residualsOf(c), windowPoints: 2 * half + 1 };
}

/** Pooled lag-1 autocorrelation of the two sides, clamped to [0, 0.9]; 0 below 20 points per side. */
function estimateAutocorrelation(baseline: readonly number[], canary: readonly number[]): number {
  if (baseline.length < 20 || canary.length < 20) return 0;
  const values = [lagOneAutocorrelation(baseline), lagOneAutocorrelation(canary)].filter(
    (value) => !Number.isNaN(value),
  );
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
