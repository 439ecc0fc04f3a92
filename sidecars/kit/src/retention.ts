// Retention: finished records past their configured age are removed (or trimmed) once a day, a bounded
// batch per transaction, so no statement holds a table for long and a years-old backlog drains in steps.
// Each service lists its sweeps; the kit schedules them on the job queue, logs and counts what went.
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Database, Queryable } from './database';
import type { JobQueue } from './job-queue';
import type { Logger } from './logger';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What one batch removed: how many records the sweep chose, and the rows that went per table. */
export interface RetentionBatch {
  records: number;
  rows: Record<string, number>;
}

/** One kind of record a retention run removes or trims. */
export interface RetentionSweep {
  /** Its name in logs: the parent table, or what is trimmed. */
  name: string;
  /** Records older than this many days go. */
  days: number;
  /**
   * Removes (or trims) at most `limit` records older than `cutoff` with their children, inside the
   * transaction `client` belongs to. A record still running or waiting is never chosen.
   */
  removeBatch(client: Queryable, cutoff: Date, limit: number): Promise<RetentionBatch>;
}

/** A parent table's rows to delete with their children, chosen by `where` (SQL on the parent, `$1` is the cutoff). */
export interface ExpiredRecords {
  table: string;
  /** The parent's key column; `id` unless named. */
  key?: string;
  /** Condition on the parent, `$1` being the cutoff; it must exclude running and waiting records. */
  where: string;
  /** Column the oldest records are chosen by. */
  orderBy: string;
  /** Tables referencing the parent's key, deleted first (by their column naming the parent). */
  children?: Array<{ table: string; column: string }>;
  /**
   * A setting turned on for the batch's transaction before it deletes (`set_config(name, 'on', true)`): an
   * append-only table's trigger lets only such a transaction delete.
   */
  unlockSetting?: string;
}

/**
 * Deletes one batch of expired records and their children. The chosen parents are locked (`SKIP LOCKED`:
 * a row another transaction holds is left for the next run), so a record cannot change under the delete.
 */
export async function deleteExpiredBatch(
  client: Queryable,
  records: ExpiredRecords,
  cutoff: Date,
  limit: number,
): Promise<RetentionBatch> {
  const key = records.key ?? 'id';
  if (records.unlockSetting) await client.query("SELECT set_config($1, 'on', true)", [records.unlockSetting]);
  const { rows: chosen } = await client.query<{ key: unknown }>(
    `SELECT ${key} AS key FROM ${records.table} WHERE ${records.where}
      ORDER BY ${records.orderBy} LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [cutoff, limit],
  );
  const rows: Record<string, number> = {};
  if (chosen.length === 0) return { records: 0, rows };
  const ids = chosen.map((row) => row.key);
  for (const child of records.children ?? []) {
    const result = await client.query(`DELETE FROM ${child.table} WHERE ${child.column} = ANY($1)`, [ids]);
    rows[child.table] = result.rowCount ?? 0;
  }
  const result = await client.query(`DELETE FROM ${records.table} WHERE ${key} = ANY($1)`, [ids]);
  rows[records.table] = result.rowCount ?? 0;
  return { records: chosen.length, rows };
}

/** A sweep of a table's expired records with their children, named for the table. */
export function expiredRecordsSweep(days: number, records: ExpiredRecords): RetentionSweep {
  return {
    name: records.table,
    days,
    removeBatch: (client, cutoff, limit) => deleteExpiredBatch(client, records, cutoff, limit),
  };
}

/** The `retention.batchSize` key every service's retention section has. */
export const retentionBatchSizeSchema = z
  .number()
  .int()
  .min(1)
  .max(10_000)
  .default(500)
  .describe('Records removed per transaction by the daily retention run (smaller: shorter row locks, more statements)');

/** A `retention.*Days` key: whole days, at least one. */
export function retentionDaysSchema(defaultDays: number, description: string) {
  return z.number().int().min(1).max(36_500).default(defaultDays).describe(description);
}

export interface RetentionOptions {
  database: Database;
  jobs: JobQueue;
  logger: Logger;
  registry: Registry;
  sweeps: RetentionSweep[];
  batchSize: number;
  /** Job kind name; one per service. */
  jobName?: string;
  now?: () => Date;
}

/** Runs a service's sweeps: daily on the job queue (`schedule`), or once (`run`). */
export class Retention {
  private readonly deleted: Counter<'table'>;
  private readonly now: () => Date;
  private readonly jobName: string;

  constructor(private readonly options: RetentionOptions) {
    this.now = options.now ?? (() => new Date());
    this.jobName = options.jobName ?? 'retention';
    this.deleted = new Counter({
      name: 'retention_deleted_rows_total',
      help: 'Rows removed (or trimmed) by the daily retention run, by table',
      labelNames: ['table'],
      registers: [options.registry],
    });
  }

  /**
   * Defines the daily job and queues today's run. The job key is the day, so replicas run it once a day;
   * the next day's run is queued before the work, so a failing run never ends the schedule.
   */
  async schedule(): Promise<void> {
    const { jobs } = this.options;
    const dayKey = (at: Date) => at.toISOString().slice(0, 10);
    await jobs.define<{ day: string }>(
      this.jobName,
      async () => {
        const next = new Date(this.now().getTime() + DAY_MS);
        await jobs.send(this.jobName, { day: dayKey(next) }, { startAfter: next, key: dayKey(next) });
        await this.run();
      },
      // Every batch commits on its own, so a run cut short loses nothing; the first run on an old database
      // may drain a large backlog, hence the long expiry.
      { retryLimit: 3, expireInSeconds: 6 * 60 * 60 },
    );
    const today = this.now();
    await jobs.send(this.jobName, { day: dayKey(today) }, { key: dayKey(today) });
  }

  /** One run of every sweep, batch by batch until a batch comes back short; returns rows removed per table. */
  async run(): Promise<Record<string, number>> {
    const { database, logger, sweeps, batchSize } = this.options;
    const total: Record<string, number> = {};
    for (const sweep of sweeps) {
      const cutoff = new Date(this.now().getTime() - sweep.days * DAY_MS);
      let records = 0;
      for (;;) {
        const batch = await database.transaction((client) => sweep.removeBatch(client, cutoff, batchSize));
        records += batch.records;
        for (const [table, count] of Object.entries(batch.rows)) {
          total[table] = (total[table] ?? 0) + count;
          if (count) this.deleted.inc({ table }, count);
        }
        if (batch.records < batchSize) break;
      }
      logger.info({ sweep: sweep.name, records, cutoff }, 'retention sweep done');
    }
    logger.info({ deleted: total }, 'retention run done');
    return total;
  }
}
