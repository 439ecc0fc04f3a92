// Line fits and level-shift residuals used to keep a genuine change out of the noise estimate.
import { createRandom } from './random';
import { lagOneAutocorrelation } from './statistics';
import { blockMinima, levelShiftSse, linearFit, shiftAndTrendResiduals } from './trend';

describe('trend', () => {
  it('fits a straight line exactly', () => {
    const fit = linearFit({ x: [0, 1, 2, 3, 4], y: [1, 3, 5, 7, 9] });
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(1);
    expect(fit.slopeStandardError).toBeCloseTo(0);
    expect(() => linearFit({ x: [1, 1, 1], y: [1, 2, 3] })).toThrow(/distinct/);
  });

  it('removes a level shift and a ramp, leaving white noise uncorrelated', () => {
    const random = createRandom(5);
    const x = Array.from({ length: 200 }, (_, t) => t);
    const noise = x.map(() => random.normal());
    const y = x.map((t) => 0.05 * t + (t >= 120 ? 10 : 0) + noise[t]!);
    expect(lagOneAutocorrelation(y)).toBeGreaterThan(0.8);
    const residuals = shiftAndTrendResiduals({ x, y });
    expect(Math.abs(lagOneAutocorrelation(residuals))).toBeLessThan(0.2);
    residuals.forEach((r, t) => expect(Math.abs(r - noise[t]!)).toBeLessThan(1));
  });

  it('keeps the autocorrelation of AR(1) noise that has no shift', () => {
    const random = createRandom(6);
    let state = 0;
    const y = Array.from({ length: 400 }, () => (state = 0.7 * state + random.normal()));
    const residuals = shiftAndTrendResiduals({ x: y.map((_, t) => t), y });
    expect(lagOneAutocorrelation(residuals)).toBeGreaterThan(0.55);
  });
});

describe('levelShiftSse', () => {
  it('is zero for one clean step, and no better than a line for a clean ramp', () => {
    expect(levelShiftSse([1, 1, 1, 1, 1, 1, 5, 5, 5, 5, 5, 5])).toBeCloseTo(0);
    const ramp = Array.from({ length: 60 }, (_, t) => t);
    expect(levelShiftSse(ramp)).toBeGreaterThan(1000);
    expect(linearFit({ x: ramp, y: ramp }).residuals.every((r) => Math.abs(r) < 1e-9)).toBe(true);
  });
});

describe('blockMinima', () => {
  it('takes the smallest value of each equal span of the grid, NaN for a span without points', () => {
    const points = { x: [0, 1, 2, 3, 6, 7], y: [5, 3, 4, 9, 2, 8] };
    expect(blockMinima(points, 8, 4)).toEqual([3, 4, Number.NaN, 2]);
  });
});
