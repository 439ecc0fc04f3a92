// Time structure inside an analysis window: a straight-line trend, and a trend with one level shift.
// The `isd` judge uses them to test whether the canary drifts away from the baseline (a leak, a step
// change halfway through) and to measure noise autocorrelation without counting a genuine shift or
// ramp as "correlated noise" (which would inflate every variance and hide the change it comes from).

/** Points of one series in time order: x is the step index on the window's grid, y the value. */
export interface TimedPoints {
  x: number[];
  y: number[];
}

/** Ordinary least-squares line through the points, with the residuals and the slope's standard error. */
export interface LinearFit {
  intercept: number;
  slope: number;
  residuals: number[];
  /** Standard error of the slope for independent residuals (multiply by √inflation for correlated ones). */
  slopeStandardError: number;
}

/** Fits y = intercept + slope·x by least squares; needs at least three points with two distinct x. */
export function linearFit(points: TimedPoints): LinearFit {
  const n = points.x.length;
  if (n < 3) throw new RangeError('linearFit needs at least three points');
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += points.x[i]!;
    sy += points.y[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = points.x[i]! - mx;
    sxx += dx * dx;
    sxy += dx * (points.y[i]! - my);
  }
  if (sxx === 0) throw new RangeError('linearFit needs two distinct x values');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const residuals = points.y.map((y, i) => y - intercept - slope * points.x[i]!);
  const sse = residuals.reduce((sum, r) => sum + r * r, 0);
  return { intercept, slope, residuals, slopeStandardError: Math.sqrt(sse / (n - 2) / sxx) };
}

/**
 * Residuals after the best fit of "one level shift plus a common slope" (the shift point chosen by least
 * squares, each segment at least max(5, 10 %) of the points). Noise measured on these residuals is not
 * inflated by a step change or a ramp; for stationary noise the extra two parameters remove almost nothing.
 * Below 20 points the plain linear-fit residuals are returned.
 */
export function shiftAndTrendResiduals(points: TimedPoints): number[] {
  const n = points.x.length;
  if (n < 3) return [...points.y];
  if (n < 20) return linearFit(points).residuals;
  // Prefix sums of x, y, x², xy, y² give every segment's centred sums in O(1).
  const px = new Float64Array(n + 1);
  const py = new Float64Array(n + 1);
  const pxx = new Float64Array(n + 1);
  const pxy = new Float64Array(n + 1);
  const pyy = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const x = points.x[i]!;
    const y = points.y[i]!;
    px[i + 1] = px[i]! + x;
    py[i + 1] = py[i]! + y;
    pxx[i + 1] = pxx[i]! + x * x;
    pxy[i + 1] = pxy[i]! + x * y;
    pyy[i + 1] = pyy[i]! + y * y;
  }
  const centred = (from: number, to: number) => {
    const count = to - from;
    const sx = px[to]! - px[from]!;
    const sy = py[to]! - py[from]!;
    return {
      count,
      meanX: sx / count,
      meanY: sy / count,
      sxx: pxx[to]! - pxx[from]! - (sx * sx) / count,
      sxy: pxy[to]! - pxy[from]! - (sx * sy) / count,
      syy: pyy[to]! - pyy[from]! - (sy * sy) / count,
    };
  };
  const minimumSegment = Math.max(5, Math.ceil(0.1 * n));
  let best = { split: -1, sse: Infinity, slope: 0 };
  for (let split = minimumSegment; split <= n - minimumSegment; split++) {
    const a = centred(0, split);
    const b = centred(split, n);
    const sxx = a.sxx + b.sxx;
    const slope = sxx > 0 ? (a.sxy + b.sxy) / sxx : 0;
    const sse = a.syy + b.syy - slope * (a.sxy + b.sxy);
    if (sse < best.sse) best = { split, sse, slope };
  }
  if (best.split < 0) return linearFit(points).residuals;
  const first = centred(0, best.split);
  const second = centred(best.split, n);
  return points.y.map((y, i) => {
    const segment = i < best.split ? first : second;
    return y - segment.meanY - best.slope * (points.x[i]! - segment.meanX);
  });
}

/**
 * Sum of squared residuals of the best single level shift (two flat segments, the split chosen by least
 * squares, each at least max(5, 10 %) of the points); Infinity below ten points. Beside a line's, it says
 * whether a change is a trend or a step.
 */
export function levelShiftSse(values: readonly number[]): number {
  const n = values.length;
  const minimumSegment = Math.max(5, Math.ceil(0.1 * n));
  const sum = new Float64Array(n + 1);
  const squares = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    sum[i + 1] = sum[i]! + values[i]!;
    squares[i + 1] = squares[i]! + values[i]! * values[i]!;
  }
  const sse = (from: number, to: number) => squares[to]! - squares[from]! - (sum[to]! - sum[from]!) ** 2 / (to - from);
  let best = Infinity;
  for (let split = minimumSegment; split <= n - minimumSegment; split++)
    best = Math.min(best, sse(0, split) + sse(split, n));
  return best;
}

/**
 * The smallest value in each of `blocks` equal spans of a grid of `gridLength` steps (NaN for a span with
 * no point). A series whose noise only ever adds to a floor (a heap between collections, queueing above a
 * service time) moves its floor by a change that its noise hides: these minima trace that floor.
 */
export function blockMinima(points: TimedPoints, gridLength: number, blocks: number): number[] {
  const minima = new Array<number>(blocks).fill(Number.NaN);
  points.x.forEach((x, i) => {
    const block = Math.min(blocks - 1, Math.floor((x * blocks) / gridLength));
    const y = points.y[i]!;
    if (!(minima[block]! <= y)) minima[block] = y;
  });
  return minima;
}
