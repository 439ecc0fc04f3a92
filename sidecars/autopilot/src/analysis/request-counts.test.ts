// The count query's series joins the metric's points by timestamp; what cannot be a count is unknown.
import type { FetchedSeries } from '../providers/provider';
import type { SideData } from '../store/verification-store';
import { withRequestCounts } from './runner';

const side = (timestampsMs: number[]): SideData => ({
  query: 'p90{pod="a"}',
  labels: {},
  seriesCount: 1,
  problems: [],
  timestampsMs,
  values: timestampsMs.map(() => 0.2),
});

const counts = (timestampsMs: number[], values: number[], extra: Partial<FetchedSeries> = {}): FetchedSeries => ({
  query: 'sum(rate(x_count{pod="a"}[1m]))',
  timestampsMs,
  values,
  labels: {},
  seriesCount: 1,
  problems: [],
  ...extra,
});

describe('request counts beside the values', () => {
  it('aligns the counts by timestamp to the metric’s steps, unknown where the count series has no point', () => {
    const result = withRequestCounts(
      side([60_000, 120_000, 180_000, 240_000]),
      // Another order, a step the metric does not have, one missing, one gap.
      counts([240_000, 60_000, 300_000, 180_000], [40, 10, 99, Number.NaN]),
    );
    expect(result.requestCounts).toEqual([10, null, null, 40]);
    expect(result.countQuery).toBe('sum(rate(x_count{pod="a"}[1m]))');
    expect(result.problems).toEqual([
      'countQuery: 2 of 4 steps have no request count (left out of the per-request comparison)',
    ]);
    expect(result.values).toEqual([0.2, 0.2, 0.2, 0.2]);
  });

  it('reads a negative count as unknown and says so, and keeps the count query’s own problems', () => {
    const result = withRequestCounts(
      side([0, 60_000]),
      counts([0, 60_000], [-3, 5], { problems: ['prom warned: slow query'] }),
    );
    expect(result.requestCounts).toEqual([null, 5]);
    expect(result.problems).toContain('countQuery: prom warned: slow query');
    expect(result.problems).toContain(
      'countQuery: 1 negative counts from sum(rate(x_count{pod="a"}[1m])) read as unknown',
    );
  });

  it('has no count at all when the count query matched no series', () => {
    const result = withRequestCounts(
      side([0, 60_000]),
      counts([0, 60_000], [Number.NaN, Number.NaN], { seriesCount: 0, problems: ['no series matched x'] }),
    );
    expect(result.requestCounts).toEqual([null, null]);
    expect(result.problems).toEqual(['countQuery: no series matched x']);
  });
});
