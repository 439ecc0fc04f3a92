// The audit trail in Postgres: append (idempotent per source and key) and filtered newest-first pages. The
// daily retention run (src/retention.ts) is the only way a record ever leaves (see migrations/002_audit.sql
// and docs/decisions/055).
import { randomUUID } from 'node:crypto';
import type { ApplicationScope, Database } from '@isd/kit';

export const AUDIT_TYPES = ['approval', 'policy', 'verification', 'account', 'promotion', 'pipeline'] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

/** What a service appends. */
export interface AuditAppend {
  source: string;
  key: string;
  type: AuditType;
  outcome: string;
  application: string | null;
  actor: string;
  occurredAt: Date;
  subject: Record<string, unknown>;
  details: Record<string, unknown>;
}

/** A stored record. */
export interface AuditRecord extends Omit<AuditAppend, 'occurredAt'> {
  id: string;
  seq: string;
  occurredAt: string;
  recordedAt: string;
}

/** Filters of a query; `before` is the cursor (a seq) of the previous page's last record. */
export interface AuditQuery {
  application?: string;
  type?: AuditType;
  actor?: string;
  source?: string;
  from?: Date;
  to?: Date;
  before?: string;
  limit: number;
}

interface AuditRow {
  seq: string;
  id: string;
  source: string;
  record_key: string;
  type: AuditType;
  outcome: string;
  application: string | null;
  actor: string;
  occurred_at: Date;
  recorded_at: Date;
  subject: Record<string, unknown>;
  details: Record<string, unknown>;
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    seq: String(row.seq),
    source: row.source,
    key: row.record_key,
    type: row.type,
    outcome: row.outcome,
    application: row.application,
    actor: row.actor,
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    subject: row.subject,
    details: row.details,
  };
}

/** Appends and reads audit records. */
export class AuditStore {
  constructor(private readonly database: Database) {}

  /**
   * Appends a record; a second append with the same (source, key) returns the first record unchanged
   * (`created: false`), so a retried append never duplicates and never rewrites.
   */
  async append(entry: AuditAppend): Promise<{ record: AuditRecord; created: boolean }> {
    const inserted = await this.database.query<AuditRow>(
      `INSERT INTO audit_records (id, source, record_key, type, outcome, application, actor, occurred_at, subject, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (source, record_key) DO NOTHING RETURNING *`,
      [
        randomUUID(),
        entry.source,
        entry.key,
        entry.type,
        entry.outcome,
        entry.application,
        entry.actor,
        entry.occurredAt,
        JSON.stringify(entry.subject),
        JSON.stringify(entry.details),
      ],
    );
    if (inserted.rows[0]) return { record: toRecord(inserted.rows[0]), created: true };
    const existing = await this.database.query<AuditRow>(
      'SELECT * FROM audit_records WHERE source = $1 AND record_key = $2',
      [entry.source, entry.key],
    );
    return { record: toRecord(existing.rows[0]!), created: false };
  }

  /** One page, newest first, inside the caller's application scope. */
  async query(query: AuditQuery, scope: ApplicationScope): Promise<AuditRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (clause: (placeholder: string) => string, value: unknown) => {
      values.push(value);
      where.push(clause(`$${values.length}`));
    };
    if (!scope.all) {
      values.push(scope.readable, scope.unreadable, scope.othersReadable);
      const [readable, unreadable, others] = [values.length - 2, values.length - 1, values.length];
      where.push(
        `application IS NOT NULL AND (lower(application) = ANY($${readable}::text[]) OR ($${others}::boolean AND NOT lower(application) = ANY($${unreadable}::text[])))`,
      );
    }
    if (query.application !== undefined) add((p) => `lower(application) = lower(${p})`, query.application);
    if (query.type !== undefined) add((p) => `type = ${p}`, query.type);
    if (query.actor !== undefined) add((p) => `actor = ${p}`, query.actor);
    if (query.source !== undefined) add((p) => `source = ${p}`, query.source);
    if (query.from !== undefined) add((p) => `occurred_at >= ${p}`, query.from);
    if (query.to !== undefined) add((p) => `occurred_at < ${p}`, query.to);
    if (query.before !== undefined) add((p) => `seq < ${p}::bigint`, query.before);
    values.push(query.limit);
    const { rows } = await this.database.query<AuditRow>(
      `SELECT * FROM audit_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map(toRecord);
  }
}
