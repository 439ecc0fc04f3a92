// Batches decision log rows: concurrent evaluations share one multi-row INSERT instead of one each.
import type { Database } from '@isd/kit';
import type { Logger } from '@isd/kit';
import type { DecisionRecord } from './policy-store';
import { jsonbText } from './jsonb';

const MAX_BATCH = 500;
const COLUMNS = 11;

interface Pending {
  record: DecisionRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Writes decision log rows with group commit: a row is inserted at once when nothing is being written,
 * and rows arriving meanwhile go together in the next INSERT. `write` resolves once its row is committed.
 */
export class DecisionLogWriter {
  private pending: Pending[] = [];
  private writing: Promise<void> | undefined;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
  ) {}

  /** Queues a row; the promise settles when it is written. */
  write(record: DecisionRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      this.kick();
    });
  }

  /** Waits until every queued row is written. */
  async flush(): Promise<void> {
    while (this.writing || this.pending.length) {
      this.kick();
      await this.writing;
    }
  }

  private kick(): void {
    if (this.writing || !this.pending.length) return;
    const batch = this.pending.splice(0, MAX_BATCH);
    this.writing = this.insert(batch).finally(() => {
      this.writing = undefined;
      this.kick();
    });
  }

  private async insert(batch: Pending[]): Promise<void> {
    const values: unknown[] = [];
    const rows = batch.map(({ record }, index) => {
      values.push(
        record.decisionId,
        record.source,
        record.path,
        record.engine,
        JSON.stringify(record.policies),
        record.revision,
        record.inputDigest,
        record.outcome,
        record.result === undefined ? null : jsonbText(record.result.text),
        record.error,
        record.durationMs,
      );
      const base = index * COLUMNS;
      return `(${Array.from({ length: COLUMNS }, (_, column) => `$${base + column + 1}`).join(', ')})`;
    });
    try {
      await this.database.query(
        `INSERT INTO decision_log (decision_id, source, path, engine, policies, revision, input_digest, outcome, result, error, duration_ms) VALUES ${rows.join(', ')}`,
        values,
      );
      for (const item of batch) item.resolve();
    } catch (error) {
      this.logger.error({ err: error, rows: batch.length }, 'writing the decision log failed');
      for (const item of batch) item.reject(error);
    }
  }
}
