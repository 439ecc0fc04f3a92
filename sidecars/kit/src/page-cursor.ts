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

/** One page of an application's rows, newest first: the rows after `after`, optionally filtered. */
export interface ApplicationPage {
  application: string;
  /** Column name → the value it must equal; undefined values filter nothing. */
  equal: Record<string, string | undefined>;
  from?: Date;
  to?: Date;
  after?: PageCursor;
  limit: number;
}

/**
 * The SQL of one page of a table with `application`, `created_at` and a uuid `id`, keyset-paged on
 * (created_at, id). Each row also carries `created_micros`, its cursor's time: Postgres keeps microseconds, a
 * Date only milliseconds. `table`, `columns` and the `equal` keys are the caller's SQL, never user input.
 */
export function applicationPageQuery(
  table: string,
  columns: string,
  page: ApplicationPage,
): { text: string; values: unknown[] } {
  const values: unknown[] = [page.application];
  const where = ['lower(application) = lower($1)'];
  const add = (clause: (n: string) => string, value: unknown) => {
    values.push(value);
    where.push(clause(`$${values.length}`));
  };
  for (const [column, value] of Object.entries(page.equal))
    if (value !== undefined) add((n) => `${column} = ${n}`, value);
  if (page.from !== undefined) add((n) => `created_at >= ${n}`, page.from);
  if (page.to !== undefined) add((n) => `created_at < ${n}`, page.to);
  if (page.after !== undefined) {
    values.push(page.after.createdMicros, page.after.id);
    where.push(
      `(created_at, id) < ('epoch'::timestamptz + $${values.length - 1}::bigint * interval '1 microsecond', $${values.length}::uuid)`,
    );
  }
  values.push(page.limit);
  return {
    text: `SELECT ${columns}, (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_micros FROM ${table}
       WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
    values,
  };
}
