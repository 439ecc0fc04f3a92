// The keyset cursor of a paged list: the last row's creation time in microseconds (Postgres keeps them, so rows
// made in one millisecond are neither skipped nor repeated) and its id, opaque to the caller.
import { z } from 'zod';

/** Where the next page starts: after this row. */
export interface PageCursor {
  createdMicros: string;
  id: string;
}

const CURSOR_TEXT = /^([0-9]{1,19})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The opaque `next` of a page. */
export function encodePageCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.createdMicros}.${cursor.id}`).toString('base64url');
}

/** The `next` of a page of `limit` rows (each with its cursor): null when the page is the last one. */
export function nextPageCursor(rows: Array<{ cursor: PageCursor }>, limit: number): string | null {
  const last = rows[rows.length - 1];
  return rows.length === limit && last ? encodePageCursor(last.cursor) : null;
}

/** The `cursor` query parameter: a `next` of a previous page, decoded; anything else is a 400 naming it. */
export const pageCursorParam = z
  .string()
  .max(200)
  .transform((text, context): PageCursor => {
    const match = CURSOR_TEXT.exec(Buffer.from(text, 'base64url').toString());
    if (!match) {
      context.addIssue({ code: 'custom', message: 'expected the `next` cursor of a previous page' });
      return z.NEVER;
    }
    return { createdMicros: match[1]!, id: match[2]! };
  })
  .describe('`next` of the previous page');
