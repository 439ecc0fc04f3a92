// Per-request comparison of an unequal traffic split (decision 176). A per-step mean or quantile computed
// from n requests has sampling variance κ / n, so a canary that gets 5–20 % of the traffic varies more
// than its baseline even when both run the same code. With each side's per-step request counts the `isd`
// judge's spread test compares residuals scaled to the baseline's requests, and its shape tests compare the
// canary with the baseline as the canary would have measured it (plus the extra noise of fewer requests).
// Equal counts on both sides leave both tests exactly as they are without counts.
import type { RequestCountUse } from './model';
import { normalCdf } from './special';
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
  const kappa = samplingVariancePerRequest(timedBaseline, baselineCounts, residuals.windowPoints);
  const baselineExtraSd = timedBaseline.x.map((step) => {
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
      note: `compared per request: ${base.baselineTotal} baseline and ${base.canaryTotal} canary requests (canary/baseline ${Number.isFinite(share) ? share.toPrecision(3) : 'n/a'}); spread on canary residuals × √(canary/baseline requests) at ${scaled.length} of ${canaryPoints} steps, shape against the baseline plus the canary's extra sampling noise`,
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

/**
 * The baseline as the canary would have measured it: each baseline point spread by a normal kernel of its
 * extra sampling SD (a point mass where that is 0). Gives the one-sided KS distances against the canary
 * and the quantiles the tail rule compares.
 */
export class NoiseMatchedBaseline {
  private readonly centers: number[];
  private readonly sds: number[];

  constructor(values: readonly number[], extraSd: readonly number[]) {
    this.centers = [...values];
    this.sds = [...extraSd];
  }

  /** P(X < x) (left limit) or P(X ≤ x) of the kernel mixture. */
  cdf(x: number, inclusive: boolean): number {
    let sum = 0;
    for (let i = 0; i < this.centers.length; i++) {
      const center = this.centers[i]!;
      const sd = this.sds[i]!;
      if (sd > 0) sum += normalCdf((x - center) / sd);
      else if (center < x || (inclusive && center === x)) sum += 1;
    }
    return sum / this.centers.length;
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
    let low = Infinity;
    let high = -Infinity;
    this.centers.forEach((center, i) => {
      low = Math.min(low, center - 10 * this.sds[i]!);
      high = Math.max(high, center + 10 * this.sds[i]!);
    });
    for (let i = 0; i < 80 && high - low > 1e-12 * Math.max(1, Math.abs(low), Math.abs(high)); i++) {
      const middle = (low + high) / 2;
      if (this.cdf(middle, true) < q) low = middle;
      else high = middle;
    }
    return (low + high) / 2;
  }
}
