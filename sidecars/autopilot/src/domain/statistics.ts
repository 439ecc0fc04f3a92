// Two-sample statistics used by the judges. Every function is pure and checked against SciPy
// (see scipy-reference.test.ts); conventions (continuity correction, tie handling, quantile type)
// follow SciPy/R so the numbers can be compared one to one.
import { fisherFSf, kolmogorovSf, logGamma, normalPpf, normalSf, studentTTwoSidedP } from './special';

/** Summary statistics of one sample, as reported beside every metric decision. */
export interface SampleSummary {
  count: number;
  mean: number;
  standardDeviation: number;
  min: number;
  max: number;
  median: number;
}

/** Ascending copy of `values` (numeric sort, never lexicographic). */
export function sortAscending(values: readonly number[]): number[] {
  return Array.from(Float64Array.from(values).sort());
}

/** Arithmetic mean; NaN for an empty sample. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Sample variance with Bessel's correction (ddof = 1); NaN below two values. */
export function sampleVariance(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  const m = mean(values);
  let sum = 0;
  for (const value of values) sum += (value - m) * (value - m);
  return sum / (n - 1);
}

/** Percentile `p` in [0, 100] of an ascending sample with linear interpolation (R type 7, NumPy's default). */
export function percentileSorted(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = ((n - 1) * p) / 100;
  const lower = Math.floor(h);
  const upper = Math.min(lower + 1, n - 1);
  const low = sorted[lower]!;
  return low + (h - lower) * (sorted[upper]! - low);
}

/** Median of a sample. */
export function median(values: readonly number[]): number {
  return percentileSorted(sortAscending(values), 50);
}

/** Count, mean, standard deviation (ddof 1), min, max and median of a sample. */
export function summarize(values: readonly number[]): SampleSummary {
  const sorted = sortAscending(values);
  const n = sorted.length;
  return {
    count: n,
    mean: mean(sorted),
    standardDeviation: Math.sqrt(sampleVariance(sorted)),
    min: n ? sorted[0]! : Number.NaN,
    max: n ? sorted[n - 1]! : Number.NaN,
    median: percentileSorted(sorted, 50),
  };
}

/** Rank sum of the first sample and the tie term Σ(t³ − t) over the pooled, ascending-sorted samples. */
interface MergedRanks {
  rankSumFirst: number;
  tieTerm: number;
}

// Merges two ascending samples (the first shifted by −shift) and assigns average ranks to ties,
// in O(n) instead of a full sort: this is the inner loop of the confidence-interval root search.
function mergedRanks(firstSorted: readonly number[], secondSorted: readonly number[], shift: number): MergedRanks {
  let i = 0;
  let j = 0;
  let position = 0;
  let rankSumFirst = 0;
  let tieTerm = 0;
  const n1 = firstSorted.length;
  const n2 = secondSorted.length;
  while (i < n1 || j < n2) {
    const a = i < n1 ? firstSorted[i]! - shift : Infinity;
    const b = j < n2 ? secondSorted[j]! : Infinity;
    // NaN (a shift of ±Infinity or NaN, from values whose differences overflow) would never advance.
    if (Number.isNaN(a) || Number.isNaN(b)) throw new RangeError('cannot rank: a value or the shift is not finite');
    const value = a <= b ? a : b;
    let countFirst = 0;
    let countSecond = 0;
    while (i < n1 && firstSorted[i]! - shift === value) {
      countFirst++;
      i++;
    }
    while (j < n2 && secondSorted[j]! === value) {
      countSecond++;
      j++;
    }
    const t = countFirst + countSecond;
    const averageRank = position + (t + 1) / 2;
    rankSumFirst += countFirst * averageRank;
    tieTerm += t * t * t - t;
    position += t;
  }
  return { rankSumFirst, tieTerm };
}

/** Result of a Mann–Whitney U test: U of the first sample, its two-sided p-value and how it was computed. */
export interface MannWhitneyResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
  /** Normal deviate used for the asymptotic p-value (continuity-corrected); NaN for the exact method. */
  z: number;
  /** Whether the pooled sample has tied values (the exact method is then not used). */
  hasTies: boolean;
}

/** How the Mann–Whitney p-value is computed; `auto` is exact when the smaller sample has ≤ 8 values and there are no ties (SciPy's rule). */
export type MannWhitneyMethod = 'auto' | 'exact' | 'asymptotic';

/**
 * Two-sided Mann–Whitney U test of `first` against `second`, as SciPy's
 * `mannwhitneyu(first, second, alternative='two-sided', use_continuity=True, method=...)`.
 */
export function mannWhitneyU(
  first: readonly number[],
  second: readonly number[],
  method: MannWhitneyMethod = 'auto',
): MannWhitneyResult {
  const n1 = first.length;
  const n2 = second.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU needs at least one value in each sample');
  const { rankSumFirst, tieTerm } = mergedRanks(sortAscending(first), sortAscending(second), 0);
  const u1 = rankSumFirst - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const u = Math.max(u1, u2);
  const hasTies = tieTerm > 0;
  const chosen = method === 'auto' ? (Math.min(n1, n2) <= 8 && !hasTies ? 'exact' : 'asymptotic') : method;
  if (chosen === 'exact') {
    const p = Math.min(1, 2 * mannWhitneyExactSf(Math.round(u), n1, n2));
    return { statistic: u1, pValue: p, method: 'exact', z: Number.NaN, hasTies };
  }
  const n = n1 + n2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = (u - (n1 * n2) / 2 - 0.5) / sigma;
  const p = sigma === 0 ? Number.NaN : Math.min(1, Math.max(0, 2 * normalSf(z)));
  return { statistic: u1, pValue: p, method: 'asymptotic', z, hasTies };
}

const exactCountCache = new Map<string, Float64Array>();

/** P(U ≥ u) under the null for sample sizes n1, n2 without ties (Gaussian binomial coefficients). */
export function mannWhitneyExactSf(u: number, n1: number, n2: number): number {
  const m = Math.min(n1, n2);
  const n = Math.max(n1, n2);
  if ((m + n) * m * m * n > 2e8)
    throw new RangeError(`exact Mann–Whitney distribution for ${n1}×${n2} is too large; use the asymptotic method`);
  const key = `${m}x${n}`;
  let counts = exactCountCache.get(key);
  if (!counts) {
    // polys[j] = Gaussian binomial [t choose j]_q as coefficient arrays, built by q-Pascal:
    // [t, j] = [t−1, j−1] + q^j·[t−1, j]; all additions are of positive numbers, so it stays exact enough.
    const degree = m * n;
    const polys: Float64Array[] = [];
    for (let j = 0; j <= m; j++) polys.push(new Float64Array(degree + 1));
    polys[0]![0] = 1;
    for (let t = 1; t <= m + n; t++) {
      for (let j = Math.min(t, m); j >= 1; j--) {
        const target = polys[j]!;
        const previous = polys[j - 1]!;
        const maxDegree = Math.min(j * (t - j), degree);
        for (let s = maxDegree; s >= 0; s--) {
          target[s] = (s >= j ? target[s - j]! : 0) + previous[s]!;
        }
      }
    }
    counts = polys[m]!;
    // Bounded: a long-running service sees many sample-size pairs.
    if (exactCountCache.size >= 64) exactCountCache.clear();
    exactCountCache.set(key, counts);
  }
  let total = 0;
  let tail = 0;
  for (let s = 0; s < counts.length; s++) {
    total += counts[s]!;
    if (s >= u) tail += counts[s]!;
  }
  return tail / total;
}

/** Kayenta's Mann–Whitney confidence interval for the shift experiment − control, and its point estimate. */
export interface ShiftInterval {
  lower: number;
  upper: number;
  estimate: number;
  confidenceLevel: number;
}

/**
 * The asymptotic Wilcoxon–Mann–Whitney statistic for shift `shift` of `experiment` against `control`:
 * ((Σ ranks(x − shift) − nx(nx+1)/2 − nx·ny/2) − sign·½) / σ with tie-corrected σ. Kayenta's `wilcoxonDiff`
 * (without the quantile); at shift 0 it is SciPy's continuity-corrected z with the sign of U_x − nx·ny/2.
 */
export function wilcoxonShiftStatistic(
  experimentSorted: readonly number[],
  controlSorted: readonly number[],
  shift: number,
): number {
  const nx = experimentSorted.length;
  const ny = controlSorted.length;
  const { rankSumFirst, tieTerm } = mergedRanks(experimentSorted, controlSorted, shift);
  const dz = rankSumFirst - (nx * (nx + 1)) / 2 - (nx * ny) / 2;
  const correction = Math.sign(dz) * 0.5;
  const sigma = Math.sqrt(((nx * ny) / 12) * (nx + ny + 1 - tieTerm / ((nx + ny) * (nx + ny - 1))));
  if (sigma === 0) throw new RangeError('cannot compute confidence interval when all observations are tied');
  return (dz - correction) / sigma;
}

/**
 * Brent's zeroin (Brent 1973; R's `R_zeroin2`), the search Kayenta's BrentSolver.java runs: starts from
 * [a, b] with f(a), f(b) given, stops when the bracket is within 2·ε·|b| + tolerance/2, and returns the
 * last iterate rather than failing when the iterations run out or the signs do not bracket a root. Unlike
 * SciPy's brentq (used here before decision 233) its iterates, and so its answers, are Kayenta's exactly:
 * the rank statistic is a step function, so where in its flat or jumping stretch a search stops depends
 * on the path, and the 1e-4 tolerance is absolute (coarse for metrics of 1e-4 and below).
 */
export function zeroinRoot(
  f: (x: number) => number,
  ax: number,
  bx: number,
  fax: number,
  fbx: number,
  tolerance = 1e-4,
  maxIterations = 1000,
): number {
  let [a, b, fa, fb] = [ax, bx, fax, fbx];
  let [c, fc] = [a, fa];
  if (fa === 0) return a;
  if (fb === 0) return b;
  for (let iteration = 0; iteration <= maxIterations; iteration++) {
    const previousStep = b - a;
    if (Math.abs(fc) < Math.abs(fb)) {
      // Keep b the best approximation: swap b and c.
      [a, b, c] = [b, c, b];
      [fa, fb, fc] = [fb, fc, fb];
    }
    const tolerated = 2 * Number.EPSILON * Math.abs(b) + tolerance / 2;
    let step = (c - b) / 2;
    if (Math.abs(step) <= tolerated || fb === 0) return b;
    if (Math.abs(previousStep) >= tolerated && Math.abs(fa) > Math.abs(fb)) {
      // Interpolation: linear (secant) with two points, inverse quadratic with three.
      const cb = c - b;
      let p: number;
      let q: number;
      if (a === c) {
        const t1 = fb / fa;
        p = cb * t1;
        q = 1 - t1;
      } else {
        const qa = fa / fc;
        const t1 = fb / fc;
        const t2 = fb / fa;
        p = t2 * (cb * qa * (qa - t1) - (b - a) * (t1 - 1));
        q = (qa - 1) * (t1 - 1) * (t2 - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (p < 0.75 * cb * q - Math.abs(tolerated * q) / 2 && p < Math.abs((previousStep * q) / 2)) step = p / q;
    }
    if (Math.abs(step) < tolerated) step = step > 0 ? tolerated : -tolerated;
    [a, fa] = [b, fb];
    b += step;
    fb = f(b);
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) [c, fc] = [a, fa];
  }
  return b;
}

/**
 * Kayenta's MannWhitney.scala interval: roots of the shift statistic at ±z(1−α/2) searched on
 * [min x − max y, max x − min y] with Kayenta's zeroin (tolerance 1e-4; the endpoint when there is no
 * sign change), and the estimate as the root at 0 (Kayenta keeps the continuity correction there, unlike
 * R, and searches even when the signs do not bracket, as its solver does).
 */
export function kayentaShiftInterval(
  experiment: readonly number[],
  control: readonly number[],
  confidenceLevel: number,
  tolerance = 1e-4,
): ShiftInterval {
  if (experiment.length === 0 || control.length === 0)
    throw new RangeError('kayentaShiftInterval needs data on both sides');
  const x = sortAscending(experiment);
  const y = sortAscending(control);
  const muMin = x[0]! - y[y.length - 1]!;
  const muMax = x[x.length - 1]! - y[0]!;
  const alpha = 1 - confidenceLevel;
  const zQuantile = normalPpf(alpha / 2);
  const difference = (quantile: number) => (shift: number) => wilcoxonShiftStatistic(x, y, shift) - quantile;
  const root = (quantile: number): number => {
    const f = difference(quantile);
    const [fMin, fMax] = [f(muMin), f(muMax)];
    if (fMin <= 0) return muMin;
    if (fMax >= 0) return muMax;
    return zeroinRoot(f, muMin, muMax, fMin, fMax, tolerance);
  };
  const lower = root(-zQuantile);
  const upper = root(zQuantile);
  const f0 = difference(0);
  const estimate = zeroinRoot(f0, muMin, muMax, f0(muMin), f0(muMax), tolerance);
  return { lower, upper, estimate, confidenceLevel };
}

/** mean(canary) / mean(baseline); NaN when either mean is 0 (Kayenta's `meanRatio` effect size). */
export function meanRatio(canary: readonly number[], baseline: readonly number[]): number {
  const c = mean(canary);
  const b = mean(baseline);
  if (c === 0 || b === 0) return Number.NaN;
  return c / b;
}

/** Common-language effect size P(canary > baseline) + ½·P(tie) = U_canary / (nc·nb) (Kayenta's CLES). */
export function commonLanguageEffectSize(canary: readonly number[], baseline: readonly number[]): number {
  const nc = canary.length;
  const nb = baseline.length;
  const { rankSumFirst } = mergedRanks(sortAscending(canary), sortAscending(baseline), 0);
  return (rankSumFirst - (nc * (nc + 1)) / 2) / (nc * nb);
}

/** Which difference a one-sided two-sample test looks for. */
export type Alternative = 'two-sided' | 'greater' | 'less';

/** Result of a two-sample Kolmogorov–Smirnov test. */
export interface KolmogorovSmirnovResult {
  statistic: number;
  pValue: number;
}

/**
 * Two-sample Kolmogorov–Smirnov test with SciPy's `ks_2samp` statistic conventions: `greater` is
 * max(F_first − F_second). p-values: two-sided from the limiting Kolmogorov distribution at √(mn/(m+n))·D
 * (SciPy's `kstwobign.sf`); one-sided from Hodges' approximation, as `ks_2samp(method='asymp')` does.
 */
export function kolmogorovSmirnov(
  first: readonly number[],
  second: readonly number[],
  alternative: Alternative = 'two-sided',
): KolmogorovSmirnovResult {
  const a = sortAscending(first);
  const b = sortAscending(second);
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('kolmogorovSmirnov needs at least one value in each sample');
  let i = 0;
  let j = 0;
  let maxPlus = 0;
  let maxMinus = 0;
  while (i < n1 || j < n2) {
    const value = Math.min(i < n1 ? a[i]! : Infinity, j < n2 ? b[j]! : Infinity);
    while (i < n1 && a[i]! === value) i++;
    while (j < n2 && b[j]! === value) j++;
    const difference = i / n1 - j / n2;
    if (difference > maxPlus) maxPlus = difference;
    if (-difference > maxMinus) maxMinus = -difference;
  }
  const d = alternative === 'two-sided' ? Math.max(maxPlus, maxMinus) : alternative === 'greater' ? maxPlus : maxMinus;
  return { statistic: d, pValue: kolmogorovSmirnovPValue(d, n1, n2, alternative) };
}

/**
 * p-value of a two-sample KS distance `d` for sample sizes n1, n2 (which may be fractional effective
 * sizes): the limiting Kolmogorov distribution for two-sided, Hodges' approximation for one-sided.
 */
export function kolmogorovSmirnovPValue(d: number, n1: number, n2: number, alternative: Alternative): number {
  const en = (n1 * n2) / (n1 + n2);
  if (alternative === 'two-sided') return Math.min(1, Math.max(0, kolmogorovSf(Math.sqrt(en) * d)));
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const z = Math.sqrt(en) * d;
  const exponent = -2 * z * z - (2 * z * (m + 2 * n)) / Math.sqrt(m * n * (m + n)) / 3;
  return Math.min(1, Math.max(0, Math.exp(exponent)));
}

/** Lag-1 sample autocorrelation of a series in time order; NaN below three points or without variance. */
export function lagOneAutocorrelation(values: readonly number[]): number {
  const n = values.length;
  if (n < 3) return Number.NaN;
  const m = mean(values);
  let numerator = 0;
  let denominator = 0;
  for (let t = 0; t < n; t++) {
    const deviation = values[t]! - m;
    denominator += deviation * deviation;
    if (t > 0) numerator += deviation * (values[t - 1]! - m);
  }
  return denominator === 0 ? Number.NaN : numerator / denominator;
}

/** Result of a test with an F or t statistic. */
export interface TestResult {
  statistic: number;
  pValue: number;
  degreesOfFreedom: number;
}

/**
 * Brown–Forsythe test for equal spread (Levene with median centring), as SciPy's
 * `levene(first, second, center='median')`; `degreesOfFreedom` is the denominator (N − 2).
 */
export function brownForsythe(first: readonly number[], second: readonly number[]): TestResult {
  const n1 = first.length;
  const n2 = second.length;
  const n = n1 + n2;
  if (n1 < 2 || n2 < 2) throw new RangeError('brownForsythe needs at least two values in each sample');
  const z1 = absoluteDeviations(first);
  const z2 = absoluteDeviations(second);
  const m1 = mean(z1);
  const m2 = mean(z2);
  const grand = (m1 * n1 + m2 * n2) / n;
  const between = n1 * (m1 - grand) ** 2 + n2 * (m2 - grand) ** 2;
  let within = 0;
  for (const z of z1) within += (z - m1) ** 2;
  for (const z of z2) within += (z - m2) ** 2;
  const statistic = ((n - 2) * between) / within;
  return { statistic, pValue: within === 0 ? Number.NaN : fisherFSf(statistic, 1, n - 2), degreesOfFreedom: n - 2 };
}

function absoluteDeviations(values: readonly number[]): number[] {
  const center = median(values);
  return values.map((value) => Math.abs(value - center));
}

/** Welch's unequal-variance t-test of mean(first) − mean(second), as SciPy's `ttest_ind(equal_var=False)`. */
export function welchTTest(first: readonly number[], second: readonly number[]): TestResult {
  const n1 = first.length;
  const n2 = second.length;
  if (n1 < 2 || n2 < 2) throw new RangeError('welchTTest needs at least two values in each sample');
  const v1 = sampleVariance(first) / n1;
  const v2 = sampleVariance(second) / n2;
  const standardError = Math.sqrt(v1 + v2);
  const statistic = (mean(first) - mean(second)) / standardError;
  const degreesOfFreedom = (v1 + v2) ** 2 / ((v1 * v1) / (n1 - 1) + (v2 * v2) / (n2 - 1));
  return { statistic, pValue: studentTTwoSidedP(statistic, degreesOfFreedom), degreesOfFreedom };
}

/**
 * One-sided Fisher exact test that the share of "successes" is larger in group 1:
 * P(X ≥ k1) for X hypergeometric, as SciPy's `fisher_exact([[k1, n1−k1], [k2, n2−k2]], alternative='greater')`.
 */
export function fisherExactGreater(k1: number, n1: number, k2: number, n2: number): number {
  const total = n1 + n2;
  const successes = k1 + k2;
  const maxK = Math.min(n1, successes);
  const logChooseTotal = logChoose(total, successes);
  let p = 0;
  for (let k = k1; k <= maxK; k++) {
    p += Math.exp(logChoose(n1, k) + logChoose(n2, successes - k) - logChooseTotal);
  }
  return Math.min(1, p);
}

function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}
