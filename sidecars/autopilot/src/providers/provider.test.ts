// The step grid every provider's points are placed on.
import { alignToGrid, stepGrid } from './provider';

describe('step grid', () => {
  it('starts at the first step boundary inside the window and ends at its end', () => {
    expect(stepGrid({ startMs: 1_500, endMs: 5_000, stepSeconds: 1 })).toEqual([2_000, 3_000, 4_000, 5_000]);
    expect(stepGrid({ startMs: 0, endMs: 59_999, stepSeconds: 60 })).toEqual([0]);
  });

  it('puts points on the nearest step, averages finer points, and leaves gaps and non-finite values as NaN', () => {
    const grid = [0, 10_000, 20_000, 30_000];
    const values = alignToGrid(grid, 10, [
      [100, 1],
      [9_000, 2],
      [11_000, 4],
      [20_000, Number.NaN],
      [45_000, 9],
    ]);
    expect(values).toEqual([1, 3, Number.NaN, Number.NaN]);
  });
});
