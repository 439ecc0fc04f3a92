// The merged list of several keyset-paged lists: every row once, newest first, paging forward from any
// page's cursor, with lists of any lengths and interleavings (ties in time broken by id as autopilot does).
import type { Page } from '../api/sidecar-shapes';
import { loadMergedPage, type PageLoader } from './merged-pages';

interface Row {
  id: string;
  createdAt: string;
}

/** A keyset-paged list as autopilot serves it: newest first, the cursor is the last row's id. */
function list(rows: Row[]): PageLoader<Row> & { calls: number } {
  const sorted = [...rows].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (b.id > a.id ? 1 : -1));
  const load = async (cursor: string | undefined, limit: number): Promise<Page<Row>> => {
    load.calls++;
    const start = cursor === undefined ? 0 : sorted.findIndex((row) => row.id === cursor) + 1;
    const items = sorted.slice(start, start + limit);
    return { items, next: items.length === limit ? items[items.length - 1]!.id : null };
  };
  load.calls = 0;
  return load;
}

/** Deterministic pseudo-random numbers (a test that fails must fail again). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function rows(prefix: string, count: number, next: () => number): Row[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${String(i).padStart(4, '0')}`,
    // Few distinct instants, so ties across lists happen.
    createdAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(next() * 40) * 60_000).toISOString(),
  }));
}

async function walk(loaders: Array<PageLoader<Row>>, limit: number) {
  const pages: Row[][] = [];
  let cursor: string | undefined;
  do {
    const page = await loadMergedPage(loaders, limit, cursor);
    pages.push(page.items);
    cursor = page.next ?? undefined;
    if (pages.length > 1000) throw new Error('paging does not end');
  } while (cursor !== undefined);
  return pages;
}

describe('loadMergedPage', () => {
  it.each([
    [0, 0, 5],
    [0, 7, 5],
    [12, 0, 5],
    [5, 5, 5],
    [37, 3, 10],
    [3, 37, 10],
    [50, 50, 7],
    [101, 60, 50],
  ])('shows %i + %i rows once each, newest first, %i a page', async (a, b, limit) => {
    const next = random(a * 1000 + b);
    const all = [...rows('a', a, next), ...rows('b', b, next)];
    const pages = await walk(
      [list(all.filter((r) => r.id[0] === 'a')), list(all.filter((r) => r.id[0] === 'b'))],
      limit,
    );
    const seen = pages.flat();
    expect(seen.map((row) => row.id).sort()).toEqual(all.map((row) => row.id).sort());
    for (let i = 1; i < seen.length; i++) {
      const [before, after] = [seen[i - 1]!, seen[i]!];
      const order = Date.parse(before.createdAt) - Date.parse(after.createdAt);
      expect(order > 0 || (order === 0 && before.id > after.id)).toBe(true);
    }
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
    // Pages are only short where one list's loaded rows ran out: never more than twice the pages needed.
    expect(pages.length).toBeLessThanOrEqual(Math.max(1, 2 * Math.ceil((a + b) / limit)));
  });

  it('opens the same page again from its cursor (Previous keeps cursors) and skips a finished list', async () => {
    const next = random(7);
    const a = list(rows('a', 4, next));
    const b = list(rows('b', 30, next));
    const first = await loadMergedPage([a, b], 10, undefined);
    const second = await loadMergedPage([a, b], 10, first.next!);
    const again = await loadMergedPage([a, b], 10, first.next!);
    expect(again).toEqual(second);
    let cursor: string | null = second.next;
    while (cursor) cursor = (await loadMergedPage([a, b], 10, cursor)).next;
    // Once list a is exhausted it is not asked again.
    const callsOfA = a.calls;
    expect(callsOfA).toBeLessThan(b.calls);
  });

  it('refuses a cursor of other lists instead of showing wrong rows', async () => {
    await expect(loadMergedPage([list([])], 5, JSON.stringify([{ shown: 0 }, { shown: 0 }]))).rejects.toThrow(
      /other lists/,
    );
  });
});
