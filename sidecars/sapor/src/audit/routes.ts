// The audit trail's HTTP API: services append (service token), users and services query across every
// service (READ on the application). There is deliberately no route that changes or removes a record.
import { InputError, applicationScope, requireApplicationRead, type HttpApp } from '@isd/kit';
import { z } from 'zod';
import { AUDIT_TYPES, type AuditRecord, type AuditStore } from './audit-store';

const MAX_PAGE = 1000;
const jsonObject = z.record(z.string(), z.unknown());
const name = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

export const auditAppendSchema = z.strictObject({
  source: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected a lower-case service name')
    .describe('The service that made the decision (visibility, autopilot, sapor, …)'),
  key: name.describe("The source's idempotency key for this decision (e.g. the approval id): a retry is one record"),
  type: z.enum(AUDIT_TYPES).describe('What kind of decision'),
  outcome: z
    .string()
    .regex(/^[a-z][a-z_-]{0,39}$/, 'expected a lower-case word such as approved, deny, pass, created')
    .describe('approved/rejected, allow/deny, pass/marginal/fail, created/updated/deleted, promoted'),
  application: name.nullable().default(null).describe('The application decided on; null = none (admins only)'),
  actor: name.describe('Who decided: a user name, or the service for an automatic decision'),
  occurredAt: z.iso.datetime({ offset: true }).describe('When the decision was made (ISO 8601)'),
  subject: jsonObject.default({}).describe('What was decided on: executionId, stageId, pipeline, account, …'),
  details: jsonObject
    .default({})
    .describe('Decision specifics: policy version and input digest, score, messages, comment, …'),
});

const auditRecordSchema = auditAppendSchema.extend({
  id: z.string().uuid(),
  seq: z.string(),
  occurredAt: z.string(),
  recordedAt: z.string(),
});

const dateParameter = z.iso.datetime({ offset: true }).transform((text) => new Date(text));

export const auditQuerySchema = z.strictObject({
  application: name.optional(),
  type: z.enum(AUDIT_TYPES).optional(),
  actor: name.optional(),
  source: z.string().max(63).optional(),
  from: dateParameter.optional().describe('Decisions at or after this instant (ISO 8601)'),
  to: dateParameter.optional().describe('Decisions before this instant (ISO 8601)'),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,18}$/, 'expected the cursor of a previous page')
    .optional()
    .describe('`next` of the previous page'),
  format: z.enum(['json', 'csv']).optional().describe('Overrides the Accept header'),
});

const CSV_COLUMNS = [
  'id',
  'occurredAt',
  'recordedAt',
  'source',
  'type',
  'outcome',
  'application',
  'actor',
  'subject',
  'details',
] as const;

/** One CSV cell (RFC 4180 quoting); a leading =, +, -, @ is prefixed with ' so spreadsheets do not run it. */
function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(records: AuditRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const record of records) lines.push(CSV_COLUMNS.map((column) => csvCell(record[column])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Registers the audit routes. */
export function registerAuditRoutes(http: HttpApp, store: AuditStore): void {
  http.route(
    {
      method: 'post',
      path: '/api/v1/audit/records',
      summary: 'Appends one decision to the audit trail (services only; idempotent on source and key)',
      tags: ['audit'],
      auth: 'service',
      body: auditAppendSchema,
      responses: {
        201: { description: 'appended', schema: auditRecordSchema },
        200: { description: 'already appended with this source and key: the stored record, unchanged' },
      },
    },
    async ({ body }) => {
      const { record, created } = await store.append({ ...body, occurredAt: new Date(body.occurredAt) });
      return { status: created ? 201 : 200, body: record };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/audit',
      summary: 'Audit records of every service, newest first; JSON or text/csv; paged with cursor',
      tags: ['audit'],
      auth: 'service-or-user',
      query: auditQuerySchema,
      responses: {
        200: {
          description: '`{records, next}` (next = cursor of the following page, or null), or CSV with a Link header',
          schema: z.object({ records: z.array(auditRecordSchema), next: z.string().nullable() }),
          otherContentTypes: ['text/csv'],
        },
        404: { description: 'the caller may not READ the application' },
      },
    },
    async ({ query, caller, accepts }) => {
      if (query.from && query.to && query.from >= query.to)
        throw new InputError('query.from: must be before query.to', {
          code: 'invalid_range',
          issues: [{ path: 'query.from', message: 'must be before query.to' }],
        });
      if (query.application !== undefined)
        requireApplicationRead(caller, query.application, `application ${query.application}`);
      const records = await store.query(
        {
          application: query.application,
          type: query.type,
          actor: query.actor,
          source: query.source,
          from: query.from,
          to: query.to,
          before: query.cursor,
          limit: query.limit,
        },
        applicationScope(caller),
      );
      const next = records.length === query.limit ? records[records.length - 1]!.seq : null;
      const csv = query.format ? query.format === 'csv' : accepts(['application/json', 'text/csv']) === 'text/csv';
      if (!csv) return { status: 200, body: { records, next } };
      const headers: Record<string, string> = {};
      if (next) {
        const params = new URLSearchParams();
        for (const [key, value] of Object.entries(query))
          if (value !== undefined && key !== 'cursor')
            params.set(key, value instanceof Date ? value.toISOString() : String(value));
        params.set('cursor', next);
        headers.link = `</api/v1/audit?${params.toString()}>; rel="next"`;
      }
      return { status: 200, body: toCsv(records), contentType: 'text/csv; charset=utf-8', headers };
    },
  );
}
