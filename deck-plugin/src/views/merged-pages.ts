// One newest-first list over several keyset-paged lists (autopilot's metric and test verifications).
// The merged cursor remembers, per list, the cursor of the page it is in and how many of that page's
// rows were shown, so every row appears once, in order, and Previous/Next work as for one list.
import type { Page } from '../api/sidecar-shapes';

/** Loads one page of a list, newest first, `limit` rows from `cursor` (undefined: the first page). */
export type PageLoader<T> = (cursor: string | undefined, limit: number) => Promise<Page<T>>;

interface Position {
  /** The cursor of the page this list is in (undefined: its first page). */
  cursor?: string;
  /** Rows of that page already shown. */
  shown: number;
  done?: true;
}

/** Rows are ordered as autopilot orders each list: created at, then id, both descending. */
function newer(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): boolean {
  const at = Date.parse(a.createdAt);
  const bt = Date.parse(b.createdAt);
  return at !== bt ? at > bt : a.id > b.id;
}

function positionsOf(cursor: string | undefined, count: number): Position[] {
  if (cursor === undefined) return Array.from({ length: count }, () => ({ shown: 0 }));
  const parsed = JSON.parse(cursor) as Position[];
  if (!Array.isArray(parsed) || parsed.length !== count) throw new Error('this page cursor is of other lists');
  return parsed;
}

/**
 * The page of the merged list at `cursor`: up to `limit` rows. A page may hold fewer rows than `limit`
 * when one list's loaded page runs out before the others' (its next rows are not known yet), never rows
 * out of order.
 */
export async function loadMergedPage<T extends { createdAt: string; id: string }>(
  loaders: Array<PageLoader<T>>,
  limit: number,
  cursor: string | undefined,
): Promise<Page<T>> {
  const positions = positionsOf(cursor, loaders.length);
  const pages = await Promise.all(
    loaders.map((load, i) =>
      positions[i]!.done ? Promise.resolve<Page<T>>({ items: [], next: null }) : load(positions[i]!.cursor, limit),
    ),
  );
  const taken = positions.map((position) => position.shown);
  const items: T[] = [];
  while (items.length < limit) {
    let best = -1;
    let unknownAhead = false;
    pages.forEach((page, i) => {
      const row = page.items[taken[i]!];
      if (row === undefined) {
        if (page.next !== null) unknownAhead = true;
        return;
      }
      if (best < 0 || newer(row, pages[best]!.items[taken[best]!]!)) best = i;
    });
    if (best < 0 || unknownAhead) break;
    items.push(pages[best]!.items[taken[best]!]!);
    taken[best]!++;
  }
  const next = pages.map((page, i): Position => {
    if (taken[i]! < page.items.length) return { cursor: positions[i]!.cursor, shown: taken[i]! };
    return page.next === null ? { shown: 0, done: true } : { cursor: page.next, shown: 0 };
  });
  return { items, next: next.every((position) => position.done) ? null : JSON.stringify(next) };
}
