import { createHash } from 'node:crypto';
import PgBoss from 'pg-boss';
import { ensureSchema, type Database } from './database';
import type { Logger } from './logger';

/** What a job handler receives. */
export interface Job<Data> {
  id: string;
  name: string;
  data: Data;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
}

/** How a job kind is retried and how long a worker may hold it. */
export interface JobKindOptions {
  retryLimit?: number;
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
  /**
   * How long a job may stay active before it is considered lost (its worker died) and retried.
   * Keep it a little above the handler's longest run.
   */
  expireInSeconds?: number;
}

/** When and how one job is sent. */
export interface SendOptions {
  /** Run no earlier than this time. */
  startAfter?: Date;
  /**
   * Idempotency key: sending again with a key already used for this kind does nothing (e.g. one
   * timeout timer per gate, however often the request that schedules it is retried).
   */
  key?: string;
}

/** Options for {@link createJobQueue}. */
export interface JobQueueOptions {
  database: Database;
  logger: Logger;
  /** How often idle workers look for new jobs. */
  pollingIntervalSeconds?: number;
  /** How often lost (expired) jobs are found and retried. */
  maintenanceIntervalSeconds?: number;
}

/**
 * A Postgres-backed job queue (pg-boss) for delayed and retried work. Jobs live in the service's
 * database, so a restarted or another replica picks up what a dead one left.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly database: Database;
  private readonly schema: string;
  private readonly logger: Logger;
  private readonly pollingIntervalSeconds: number;
  private started = false;

  constructor(options: JobQueueOptions) {
    this.logger = options.logger.child({ module: 'job-queue' });
    this.pollingIntervalSeconds = options.pollingIntervalSeconds ?? 1;
    this.database = options.database;
    this.schema = `${options.database.schema}_jobs`;
    const pool = options.database.pool;
    this.boss = new PgBoss({
      db: { executeSql: (text: string, values: unknown[]) => pool.query(text, values) },
      schema: this.schema,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 30,
    });
    this.boss.on('error', (error: Error) => this.logger.warn({ err: error }, 'job queue error'));
  }

  /** Creates the queue tables (under pg-boss's own advisory lock) and starts maintenance. */
  async start(): Promise<void> {
    // pg-boss tolerates racing replicas except on its own CREATE SCHEMA, so the schema is made first.
    await ensureSchema(this.database, this.schema);
    await this.boss.start();
    this.started = true;
  }

  /**
   * Registers the handler of one job kind and starts working on it. A handler that throws has its
   * job retried per the kind's options.
   */
  async define<Data extends object>(
    name: string,
    handler: (job: Job<Data>) => Promise<void>,
    options: JobKindOptions = {},
  ): Promise<void> {
    await this.declare(name, options);
    await this.boss.work<Data>(
      name,
      { pollingIntervalSeconds: this.pollingIntervalSeconds, batchSize: 1, includeMetadata: true },
      async (jobs) => {
        for (const job of jobs) {
          try {
            await handler({ id: job.id, name: job.name, data: job.data, attempt: job.retryCount + 1 });
          } catch (error) {
            this.logger.warn(
              { err: error, job: job.name, jobId: job.id },
              'job failed; it will be retried if retries remain',
            );
            throw error;
          }
        }
      },
    );
  }

  /** Declares a job kind (idempotent) so jobs can be sent to it; `define` does this too. */
  async declare(name: string, options: JobKindOptions = {}): Promise<void> {
    await this.boss.createQueue(name, {
      name,
      retryLimit: options.retryLimit ?? 5,
      retryDelay: options.retryDelaySeconds ?? 5,
      retryBackoff: options.retryBackoff ?? true,
      expireInSeconds: options.expireInSeconds ?? 300,
    });
  }

  /** Queues a job; returns its id, or null when a job with the same key was already sent. */
  async send<Data extends object>(name: string, data: Data, options: SendOptions = {}): Promise<string | null> {
    return this.boss.send(name, data, {
      ...(options.startAfter ? { startAfter: options.startAfter } : {}),
      ...(options.key ? { id: jobIdForKey(name, options.key) } : {}),
    });
  }

  /** Cancels queued jobs by id (e.g. a timer no longer needed). */
  async cancel(name: string, ids: string[]): Promise<void> {
    if (ids.length) await this.boss.cancel(name, ids);
  }

  /** Stops fetching jobs and waits for running handlers to finish. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, close: false, wait: true, timeout: 10_000 });
  }
}

/** Opens a job queue on the database and starts it. */
export async function createJobQueue(options: JobQueueOptions): Promise<JobQueue> {
  const queue = new JobQueue(options);
  await queue.start();
  return queue;
}

/** A UUID derived from (kind, key), so the job table's primary key makes the send idempotent. */
function jobIdForKey(name: string, key: string): string {
  const hex = createHash('sha256').update(`${name}\0${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
