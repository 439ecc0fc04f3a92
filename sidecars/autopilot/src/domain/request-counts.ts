// Per-request comparison of an unequal traffic split (decision 176). A per-step mean or quantile computed
// from n requests has sampling variance κ / n, so a canary that gets 5–20 % of the traffic varies more
// than its baseline even when both run the same code. With each side's per-step request counts the `isd`
// judge's spread test compares residuals scaled to the baseline's requests, and its shape tests compare the
// canary with the baseline as the canary would have measured it (plus the extra noise of fewer requests).
// Equal counts on both sides leave both tests exactly as they are without counts.
import type { RequestCountUse } from './model';
import { fastNormalCdf, incompleteBeta } from './special';
import { mean } from './statistics';
import type { TimedPoints } from './trend';

/** How the request counts enter the spread and shape tests of one metric. */
export interface RequestCountPlan {
  use: RequestCountUse;
  /** The canary's shared-pattern residuals scaled per request (only when `use.used`). */
  scaledCanaryResiduals?: number[];
  /** Per baseline point (in the order of the baseline's timed points): extra sampling SD the canary would add. */
  baselineExtraSd?: number[];
}

const known = (count: number | null | undefined): count is number => typeof count === 'number';

/**
 * Factor that brings a canary residual at one step to the baseline's requests at that step: √(n_c / n_b).
 * Equal counts give exactly 1 (so the test is unchanged); an unknown or zero count on one side gives none.
 */
export function perRequestFactor(baseline: number | null | undefined, canary: number | null | undefined) {
  if (!known(baseline) || !known(canary)) return undefined;
  if (baseline === canary) return 1;
  if (baseline === 0 || canary === 0) return undefined;
  return Math.sqrt(canary / baseline);
}

/** Sum of the known counts. */
function total(counts: ReadonlyArray<number | null>): number {
  return counts.reduce<number>((sum, count) => sum + (known(count) ? count : 0), 0);
}

/**
 * Plans the per-request comparison. `residuals` are the shared-pattern residuals with their grid steps
 * (undefined when the series are not time-aligned, too short, or outliers were removed: then the counts
 * cannot be matched to steps and are not used). Steps where either side's count is unknown, or zero on one
 * side only, are left out of the canary's scaled residuals and add no extra noise to the baseline.
 */
export function planRequestCounts(
  baselineCounts: ReadonlyArray<number | null>,
  canaryCounts: ReadonlyArray<number | null>,
  timedBaseline: TimedPoints,
  residuals: { timedCanary: TimedPoints; windowPoints: number } | undefined,
  notAlignedReason: string,
): RequestCountPlan {
  const base = { baselineTotal: total(baselineCounts), canaryTotal: total(canaryCounts) };
  if (!residuals)
    return { use: { used: false, stepsWithCounts: 0, ...base, note: `request counts not used: ${notAlignedReason}` } };
  const scaled: number[] = [];
  residuals.timedCanary.x.forEach((step, i) => {
    const factor = perRequestFactor(baselineCounts[step], canaryCounts[step]);
    if (factor !== undefined) scaled.push(residuals.timedCanary.y[i]! * factor);
  });
  const canaryPoints = residuals.timedCanary.x.length;
  // Counts for only a few steps would judge the spread on a fraction of the window: then not at all.
  if (scaled.length < 2 || scaled.length < canaryPoints / 2)
    return {
      use: {
        used: false,
        stepsWithCounts: scaled.length,
        ...base,
        note: `request counts not used: only ${scaled.length} of ${canaryPoints} canary steps have a count on both sides (half needed)`,
      },
    };
  // Normal sampling noise fits a continuous per-step value (a mean, an interpolated quantile). A value the
  // baseline has more than once is a point the measurement lands on exactly (0 errors, a histogram bucket's
  // bound), which fewer requests do not blur: it stays a point mass. Smearing it would itself make a shape
  // difference (an error ratio that is 0 at most steps would have a quarter of its mass moved below 0).
  const occurrences = new Map<number, number>();
  for (const value of timedBaseline.y) occurrences.set(value, (occurrences.get(value) ?? 0) + 1);
  const kappa = samplingVariancePerRequest(timedBaseline, baselineCounts, residuals.windowPoints);
  let exact = 0;
  const baselineExtraSd = timedBaseline.x.map((step, i) => {
    if (occurrences.get(timedBaseline.y[i]!)! > 1) {
      exact++;
      return 0;
    }
    const nb = baselineCounts[step];
    const nc = canaryCounts[step];
    if (!known(nb) || !known(nc) || nb === 0 || nc === 0 || nc >= nb || !(kappa > 0)) return 0;
    return Math.sqrt(kappa * (1 / nc - 1 / nb));
  });
  const share = base.baselineTotal > 0 ? base.canaryTotal / base.baselineTotal : Number.NaN;
  return {
    use: {
      used: true,
      stepsWithCounts: scaled.length,
      ...base,
      note: `compared per request: ${base.baselineTotal} baseline and ${base.canaryTotal} canary requests (canary/baseline ${Number.isFinite(share) ? share.toPrecision(3) : 'n/a'}); spread on canary residuals × √(canary/baseline requests) at ${scaled.length} of ${canaryPoints} steps, shape against the baseline plus the canary's extra sampling noise${exact > 0 ? ` (${exact} baseline points on a repeated value kept exact)` : ''}`,
    },
    scaledCanaryResiduals: scaled,
    baselineExtraSd,
  };
}

/**
 * κ̂: the variance per request of the baseline's residuals around its own centred moving average (the same
 * window as the shared pattern), i.e. mean of residual² × requests. All of the baseline's residual variance
 * is read as sampling noise: the conservative reading for the canary's expected extra noise.
 */
export function samplingVariancePerRequest(
  timedBaseline: TimedPoints,
  counts: ReadonlyArray<number | null>,
  windowPoints: number,
): number {
  const half = Math.floor(windowPoints / 2);
  const { x, y } = timedBaseline;
  const n = x.length;
  // Prefix sums over the timed points; the window is in grid steps, so search by step.
  const sums = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) sums[i + 1] = sums[i]! + y[i]!;
  const scaled: number[] = [];
  let low = 0;
  let high = 0;
  for (let i = 0; i < n; i++) {
    while (x[low]! < x[i]! - half) low++;
    while (high < n && x[high]! <= x[i]! + half) high++;
    const count = counts[x[i]!];
    if (!known(count) || count === 0) continue;
    const average = (sums[high]! - sums[low]!) / (high - low);
    scaled.push((y[i]! - average) ** 2 * count);
  }
  return scaled.length === 0 ? 0 : mean(scaled);
}

/** Noisy kernels kept exactly; beyond this many, every k-th in center order stands for its k neighbours. */
const MAX_SMOOTH_KERNELS = 600;

/**
 * The baseline as the canary would have measured it: each baseline point spread by a normal kernel of its
 * extra sampling SD (a point mass where that is 0). Gives the one-sided KS distances against the canary
 * and the quantiles the tail rule compares. The CDF costs one normal CDF per noisy kernel, so a long window
 * keeps at most 600 of them (every k-th in center order, weighted k): the CDF then moves by less than k / n
 * plus the kernels' own smoothness, far below the 0.2 distance the shape test asks for.
 */
export class NoiseMatchedBaseline {
  /** Centers of the kernels without extra noise, sorted. */
  private readonly points: number[];
  /** The noisy kernels (or their representatives): center, SD and how many kernels each stands for. */
  private readonly centers: Float64Array;
  private readonly sds: Float64Array;
  private readonly weights: Float64Array;
  private readonly total: number;

  constructor(values: readonly number[], extraSd: readonly number[]) {
    this.total = values.length;
    const noisy: Array<{ center: number; sd: number }> = [];
    const points: number[] = [];
    values.forEach((center, i) => {
      const sd = extraSd[i]!;
      if (sd > 0) noisy.push({ center, sd });
      else points.push(center);
    });
    this.points = points.sort((a, b) => a - b);
    noisy.sort((a, b) => a.center - b.center);
    const every = Math.ceil(noisy.length / MAX_SMOOTH_KERNELS);
    const kept = Math.ceil(noisy.length / every);
    this.centers = new Float64Array(kept);
    this.sds = new Float64Array(kept);
    this.weights = new Float64Array(kept);
    for (let j = 0; j < kept; j++) {
      const first = j * every;
      const size = Math.min(every, noisy.length - first);
      // The middle kernel of each run of `every` stands for the run.
      const kernel = noisy[first + Math.floor((size - 1) / 2)]!;
      this.centers[j] = kernel.center;
      this.sds[j] = kernel.sd;
      this.weights[j] = size;
    }
  }

  /** P(X < x) (left limit) or P(X ≤ x) of the kernel mixture. */
  cdf(x: number, inclusive: boolean): number {
    // Point masses below x (or at it, inclusive): binary search in the sorted centers.
    let low = 0;
    let high = this.points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const center = this.points[middle]!;
      if (center < x || (inclusive && center === x)) low = middle + 1;
      else high = middle;
    }
    let sum = low;
    const { centers, sds, weights } = this;
    for (let j = 0; j < centers.length; j++) sum += weights[j]! * fastNormalCdf((x - centers[j]!) / sds[j]!);
    return sum / this.total;
  }

  /**
   * One-sided KS distance against the sorted canary: `greater` = sup (F_baseline − F_canary), the canary
   * sitting higher; `less` = sup (F_canary − F_baseline).
   */
  ksDistance(canarySorted: readonly number[], alternative: 'greater' | 'less'): number {
    const n = canarySorted.length;
    let d = 0;
    for (let i = 0; i < n; i++) {
      const value = canarySorted[i]!;
      if (alternative === 'greater') {
        // Just below a canary value: F_canary is the share strictly below it.
        if (i > 0 && canarySorted[i - 1] === value) continue;
        d = Math.max(d, this.cdf(value, false) - i / n);
      } else {
        if (i + 1 < n && canarySorted[i + 1] === value) continue;
        d = Math.max(d, (i + 1) / n - this.cdf(value, true));
      }
    }
    return d;
  }

  /** The p-th percentile (0–100) of the mixture, by bisection on its CDF. */
  percentile(p: number): number {
    const q = p / 100;
    let low = this.points.length > 0 ? this.points[0]! : Infinity;
    let high = this.points.length > 0 ? this.points[this.points.length - 1]! : -Infinity;
    for (let j = 0; j < this.centers.length; j++) {
      low = Math.min(low, this.centers[j]! - 10 * this.sds[j]!);
      high = Math.max(high, this.centers[j]! + 10 * this.sds[j]!);
    }
    for (let i = 0; i < 80 && high - low > 1e-12 * Math.max(1, Math.abs(low), Math.abs(high)); i++) {
      const middle = (low + high) / 2;
      if (this.cdf(middle, true) < q) low = middle;
      else high = middle;
    }
    return (low + high) / 2;
  }
}

/** The event-count test compared per request (decision 181). */
export interface PerRequestEvents {
  /** Events per side over the steps used: value × requests (a ratio metric's failed requests). */
  baselineEvents: number;
  canaryEvents: number;
  /** Events the canary would have with its share of the requests at each step: Σ events_t × π_t. */
  expectedCanaryEvents: number;
  /** π̄, the canary's event-weighted share of the requests. */
  canaryShare: number;
  /** φ̂ ≥ 1, the baseline's over-dispersion (Pearson χ² per step around its own local rate). */
  dispersion: number;
  /** Steps with a finite value and a positive count on both sides. */
  steps: number;
  /** One-sided p-value that the canary has more events per request than the baseline. */
  pValue: number;
}

/**
 * The event-count test per request, for a ratio metric (events per request) with each side's request counts.
 * At step t the events are e = value × requests; given both sides' events at that step, the canary's are
 * Binomial(e_b + e_c, π_t = n_c / (n_b + n_c)) when both sides fail at the same rate per request (the
 * conditional test of two Poisson rates, Przyborowski & Wilenski 1940; Lehmann & Romano, Testing
 * Statistical Hypotheses, §4.5). Conditioning per step cancels what both sides share at that step (traffic,
 * a dependency's incident). Summed over the steps that is a Poisson-binomial; the binomial with the same
 * mean share π̄ has the heavier upper tail (Hoeffding 1956), so its tail is a conservative p-value.
 * Production errors come in bursts (one bad downstream pod, retries), so counts vary more than Poisson: the
 * baseline's dispersion φ̂ (quasi-Poisson, McCullagh & Nelder 1989 §4.5) divides both counts, as the
 * Rao–Scott (1992) correction divides clustered binary counts by their design effect. φ̂ ≥ 1 keeps a unit
 * smaller than one event (counts as rates per second) conservative.
 *
 * Returns undefined when the counts are the same on both sides at every step used (the test then runs
 * exactly as without counts), or when no step has both sides' values and counts.
 */
export function perRequestEventTest(
  baselineValues: readonly number[],
  canaryValues: readonly number[],
  baselineCounts: ReadonlyArray<number | null>,
  canaryCounts: ReadonlyArray<number | null>,
): PerRequestEvents | undefined {
  const usable = (value: number | undefined, count: number | null | undefined): count is number =>
    value !== undefined && Number.isFinite(value) && value >= 0 && known(count) && count > 0;
  let baselineEvents = 0;
  let canaryEvents = 0;
  let expectedCanaryEvents = 0;
  let steps = 0;
  let unequal = false;
  const length = Math.min(baselineValues.length, canaryValues.length, baselineCounts.length, canaryCounts.length);
  for (let t = 0; t < length; t++) {
    const nb = baselineCounts[t];
    const nc = canaryCounts[t];
    if (!usable(baselineValues[t], nb) || !usable(canaryValues[t], nc)) continue;
    steps++;
    if (nb !== nc) unequal = true;
    const eb = baselineValues[t]! * nb;
    const ec = canaryValues[t]! * nc;
    baselineEvents += eb;
    canaryEvents += ec;
    expectedCanaryEvents += (eb + ec) * (nc / (nb + nc));
  }
  if (steps === 0 || !unequal) return undefined;
  const events = baselineEvents + canaryEvents;
  const canaryShare = events > 0 ? expectedCanaryEvents / events : 0;
  const dispersion = baselineDispersion(baselineValues, baselineCounts);
  // P(X ≥ k) of Binomial(n, π) is I_π(k, n − k + 1); with φ̂ the counts are k / φ̂ and n / φ̂.
  const pValue =
    canaryEvents <= 0 || canaryShare <= 0
      ? 1
      : canaryShare >= 1
        ? 1
        : incompleteBeta(canaryShare, canaryEvents / dispersion, (events - canaryEvents) / dispersion + 1);
  return { baselineEvents, canaryEvents, expectedCanaryEvents, canaryShare, dispersion, steps, pValue };
}

/** Steps on each side whose events give a step its expectation in φ̂. */
const DISPERSION_NEIGHBOURS = 2;

/**
 * φ̂: the baseline's Pearson χ² per step, each step's events against its requests × the baseline's rate at
 * the two steps on each side of it (not the step itself). Like the mean square successive difference (von
 * Neumann 1941) it reads only step-to-step variation as dispersion: a change of the rate that lasts longer
 * (traffic, a dependency's incident, which the canary shares and the per-step test cancels) is not. A run
 * step's neighbours are found by step index (a gap leaves fewer). At least 1; 1 without events.
 */
export function baselineDispersion(
  values: readonly number[],
  counts: ReadonlyArray<number | null>,
  half = DISPERSION_NEIGHBOURS,
): number {
  const steps: Array<{ t: number; events: number; requests: number }> = [];
  const length = Math.min(values.length, counts.length);
  for (let t = 0; t < length; t++) {
    const count = counts[t];
    const value = values[t]!;
    if (known(count) && count > 0 && Number.isFinite(value) && value >= 0)
      steps.push({ t, events: value * count, requests: count });
  }
  let chiSquare = 0;
  let terms = 0;
  let low = 0;
  let high = 0;
  let windowEvents = 0;
  let windowRequests = 0;
  for (const step of steps) {
    while (high < steps.length && steps[high]!.t <= step.t + half) {
      windowEvents += steps[high]!.events;
      windowRequests += steps[high]!.requests;
      high++;
    }
    while (steps[low]!.t < step.t - half) {
      windowEvents -= steps[low]!.events;
      windowRequests -= steps[low]!.requests;
      low++;
    }
    const otherRequests = windowRequests - step.requests;
    const otherEvents = windowEvents - step.events;
    // Running sums leave rounding residue where the other steps had no events: read that as none.
    if (otherRequests <= 0 || !(otherEvents > 1e-9 * windowEvents)) continue;
    const expected = (step.requests * otherEvents) / otherRequests;
    // The rate of the other steps is itself estimated: e_t − n_t·λ̂ has variance φ·λ·n_t·(1 + n_t / N_other).
    chiSquare += (step.events - expected) ** 2 / (expected * (1 + step.requests / otherRequests));
    terms++;
  }
  return terms === 0 ? 1 : Math.max(1, chiSquare / terms);
}
