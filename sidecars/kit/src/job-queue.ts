import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import PgBoss from 'pg-boss';
import { ensureSchema, type Database, type Queryable } from './database';
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
  /**
   * The longest an idle worker waits before looking for jobs again. It also looks up when the next
   * queued job falls due and wakes then, so this bounds only how late a job sent by another replica is
   * noticed.
   */
  pollingIntervalSeconds?: number;
  /** How often lost (expired) jobs are found and retried. */
  maintenanceIntervalSeconds?: number;
  /** How many jobs of one kind a replica runs at once (a kind may ask for fewer or more in `define`). */
  concurrency?: number;
}

/**
 * A Postgres-backed job queue (pg-boss) for delayed and retried work. Jobs live in the service's
 * database, so a restarted or another replica picks up what a dead one left.
 *
 * Each kind has its own worker that keeps up to `concurrency` jobs running: it fetches as many due jobs
 * as it has free slots (pg-boss's `FOR UPDATE SKIP LOCKED` fetch, so a job goes to one replica only),
 * completes or fails each job on its own (a failed job is retried alone, never its batch), and fetches
 * again as soon as a slot frees while work is left. pg-boss's own `work` loop is not used: it waits for
 * a whole batch and then a polling interval before fetching again, which judged one job per second.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly database: Database;
  private readonly schema: string;
  private readonly logger: Logger;
  private readonly pollingIntervalMs: number;
  private readonly concurrency: number;
  private readonly workers = new Map<string, KindWorker>();
  private started = false;
  /** The connection holding the declaration lock, for pg-boss's statements made while declaring. */
  private readonly declaringOn = new AsyncLocalStorage<Queryable>();

  constructor(options: JobQueueOptions) {
    this.logger = options.logger.child({ module: 'job-queue' });
    this.pollingIntervalMs = (options.pollingIntervalSeconds ?? 1) * 1000;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.database = options.database;
    this.schema = `${options.database.schema}_jobs`;
    const pool = options.database.pool;
    this.boss = new PgBoss({
      db: {
        executeSql: (text: string, values: unknown[]) => (this.declaringOn.getStore() ?? pool).query(text, values),
      },
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
    options: JobKindOptions & { concurrency?: number } = {},
  ): Promise<void> {
    if (this.workers.has(name)) throw new Error(`job kind ${name} is already defined`);
    const concurrency = options.concurrency ?? this.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error(`job kind ${name}: concurrency must be a positive integer, got ${concurrency}`);
    await this.declare(name, options);
    const worker = new KindWorker({
      name,
      boss: this.boss,
      handler: handler as (job: Job<object>) => Promise<void>,
      concurrency,
      pollingIntervalMs: this.pollingIntervalMs,
      // Like pg-boss's worker: a handler running past the kind's expiry is failed (and retried).
      timeoutMs: (options.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS) * 1000,
      nextDueInMs: () => this.nextDueInMs(name),
      logger: this.logger,
    });
    this.workers.set(name, worker);
    worker.start();
  }

  /** Declares a job kind (idempotent) so jobs can be sent to it; `define` does this too. */
  async declare(name: string, options: JobKindOptions = {}): Promise<void> {
    const queueOptions = {
      name,
      retryLimit: options.retryLimit ?? 5,
      retryDelay: options.retryDelaySeconds ?? 5,
      retryBackoff: options.retryBackoff ?? true,
      expireInSeconds: options.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS,
    };
    // Racing create_queue calls deadlock in Postgres (a queue row insert against another replica's
    // partition attach with its foreign key to that table), so declarations are serialised per
    // database under an advisory lock; pg-boss's statements run on the lock holder's connection.
    await this.database.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`isd-job-kinds:${this.schema}`]);
      await this.declaringOn.run(client, () => this.boss.createQueue(name, queueOptions));
    });
  }

  /** Queues a job; returns its id, or null when a job with the same key was already sent. */
  async send<Data extends object>(name: string, data: Data, options: SendOptions = {}): Promise<string | null> {
    // A start in the past means "now": pg-boss keeps a queued job until start_after + its retention and its
    // maintenance archives it, unrun, once that has passed, so a job sent to start in 1970 (or a deadline
    // weeks gone) would vanish at the next maintenance pass.
    const startAfter = options.startAfter && options.startAfter.getTime() > Date.now() ? options.startAfter : undefined;
    const id = await this.boss.send(name, data, {
      ...(startAfter ? { startAfter } : {}),
      ...(options.key ? { id: jobIdForKey(name, options.key) } : {}),
    });
    // A worker of this replica that sleeps past the new job's due time wakes for it.
    if (id) this.workers.get(name)?.dueAt(startAfter?.getTime() ?? Date.now());
    return id;
  }

  /** Cancels queued jobs by id (e.g. a timer no longer needed). */
  async cancel(name: string, ids: string[]): Promise<void> {
    if (ids.length) await this.boss.cancel(name, ids);
  }

  /** Stops fetching jobs and waits for running handlers to finish. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await Promise.all([...this.workers.values()].map((worker) => worker.stop(STOP_TIMEOUT_MS)));
    this.workers.clear();
    await this.boss.stop({ graceful: true, close: false, wait: true, timeout: STOP_TIMEOUT_MS });
  }

  /** Milliseconds until the earliest queued job of a kind falls due (≤ 0: due now); null when none is queued. */
  private async nextDueInMs(name: string): Promise<number | null> {
    // Served by pg-boss's own index on (name, start_after) WHERE state < 'active'.
    const { rows } = await this.database.pool.query<{ ms: number | string | null }>(
      `SELECT (EXTRACT(EPOCH FROM (min(start_after) - now())) * 1000)::float8 AS ms
         FROM ${quoteIdentifier(this.schema)}.job WHERE name = $1 AND state < 'active'`,
      [name],
    );
    const ms = rows[0]?.ms;
    return ms === null || ms === undefined ? null : Number(ms);
  }
}

/** A kind's jobs run this many at a time per replica unless configured otherwise. */
export const DEFAULT_CONCURRENCY = 16;
const DEFAULT_EXPIRE_SECONDS = 300;
const STOP_TIMEOUT_MS = 10_000;

interface KindWorkerOptions {
  name: string;
  boss: PgBoss;
  handler: (job: Job<object>) => Promise<void>;
  concurrency: number;
  pollingIntervalMs: number;
  timeoutMs: number;
  nextDueInMs: () => Promise<number | null>;
  logger: Logger;
}

/**
 * Keeps up to `concurrency` jobs of one kind running. The loop fetches only into free slots, then sleeps
 * until slots free (when the last fetch filled every slot, more work is likely waiting), the next queued
 * job falls due, a job is sent from this replica, or the polling interval ends — never a busy loop.
 * Database round trips per job are what limits a loaded replica, so a full worker fetches again only
 * once a quarter of its slots are free, and jobs finishing together are completed in one statement.
 */
class KindWorker {
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Sleeping until enough slots free (every slot was taken), rather than until the clock. */
  private waitingForSlots = false;
  /** Completions not yet written; they go out together on the next turn of the event loop. */
  private completing: { ids: string[]; written: Promise<void> } | undefined;
  private sleepUntil = -Infinity;
  /** Consecutive sleeps for a job due now that the fetch did not get (locked by another replica): backs off. */
  private dueNowStreak = 0;

  constructor(private readonly options: KindWorkerOptions) {}

  start(): void {
    this.loop = this.run().catch((error: unknown) =>
      this.options.logger.error({ err: error, job: this.options.name }, 'job worker stopped unexpectedly'),
    );
  }

  /** A job of this kind falls due at `atMs`: wake then if sleeping longer. */
  dueAt(atMs: number): void {
    // Awake, it looks up the next due job before sleeping; waiting for a slot, a free slot wakes it.
    if (!this.wake || atMs >= this.sleepUntil) return;
    const delay = atMs - Date.now();
    if (delay <= 0) this.wake?.();
    else setTimeout(() => this.wake?.(), delay).unref();
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    const drained = Promise.all(this.running.values()).then(() => true);
    const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    if (!(await Promise.race([drained, timedOut]))) {
      // Failed now, so another replica retries them instead of waiting for their expiry.
      const ids = [...this.running.keys()];
      await Promise.all(
        ids.map((id) =>
          this.options.boss.fail(this.options.name, id, { message: 'shut down while active' }).catch(() => undefined),
        ),
      );
    }
  }

  private async run(): Promise<void> {
    const { boss, name, concurrency, pollingIntervalMs, logger } = this.options;
    while (!this.stopping) {
      const free = concurrency - this.running.size;
      let filled = false;
      let fetched = 0;
      if (free > 0) {
        try {
          const jobs = await boss.fetch<object>(name, { batchSize: free, includeMetadata: true });
          for (const job of jobs)
            this.begin(job.id, { id: job.id, name: job.name, data: job.data, attempt: job.retryCount + 1 });
          fetched = jobs.length;
          filled = fetched === free;
        } catch (error) {
          logger.warn({ err: error, job: name }, 'fetching jobs failed; trying again after the polling interval');
        }
      }
      if (this.stopping) break;
      if (filled || free <= 0) {
        // Every slot is taken: the next fetch waits for slots to free, not for the clock.
        this.dueNowStreak = 0;
        this.waitingForSlots = true;
        await this.sleep(Infinity);
        this.waitingForSlots = false;
        continue;
      }
      let waitMs = pollingIntervalMs;
      try {
        const dueInMs = await this.options.nextDueInMs();
        if (dueInMs !== null && dueInMs <= 0) {
          // Due but not fetched. Usually it fell due after the fetch (jobs were fetched): fetch again
          // soon. Nothing fetched at all means another replica holds it (or fetching fails): back off,
          // so a job that cannot be fetched costs no busy loop.
          if (fetched > 0) this.dueNowStreak = 0;
          waitMs = Math.min(pollingIntervalMs, MIN_SLEEP_MS * 2 ** this.dueNowStreak++);
        } else {
          this.dueNowStreak = 0;
          // Jobs falling due close together are fetched together rather than one round trip each.
          if (dueInMs !== null) waitMs = Math.min(waitMs, Math.max(dueInMs, MIN_SLEEP_MS));
        }
      } catch (error) {
        logger.warn({ err: error, job: name }, 'looking up the next due job failed');
      }
      await this.sleep(waitMs);
    }
  }

  /** Sleeps up to `ms`, or until woken by a freed slot, a local send or stop. */
  private async sleep(ms: number): Promise<void> {
    // Waiting for a slot (ms = Infinity), a local send need not wake it.
    this.sleepUntil = Number.isFinite(ms) ? Date.now() + ms : -Infinity;
    await new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(resolve, ms) : undefined;
      this.wake = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
    this.sleepUntil = -Infinity;
  }

  private begin(id: string, job: Job<object>): void {
    const { boss, name, handler, timeoutMs, concurrency, logger } = this.options;
    const run = (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          handler(job),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`job ran longer than its expiry (${timeoutMs} ms)`)), timeoutMs);
          }),
        ]);
      } catch (error) {
        logger.warn({ err: error, job: name, jobId: id }, 'job failed; it will be retried if retries remain');
        // Only this job fails; pg-boss retries it per the kind's options.
        await boss.fail(name, id, { message: (error as Error).message ?? String(error) });
        return;
      } finally {
        clearTimeout(timer);
      }
      await this.complete(id);
    })()
      .catch((error: unknown) =>
        logger.warn(
          { err: error, job: name, jobId: id },
          'recording the job outcome failed; it is retried after expiry',
        ),
      )
      .finally(() => {
        this.running.delete(id);
        if (this.waitingForSlots && concurrency - this.running.size >= Math.ceil(concurrency / 4)) this.wake?.();
      });
    this.running.set(id, run);
  }

  /** Marks a job completed, in one statement with the others finishing in the same turn. */
  private complete(id: string): Promise<void> {
    if (!this.completing) {
      const batch = { ids: [] as string[], written: Promise.resolve() };
      batch.written = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.completing = undefined;
        await this.options.boss.complete(this.options.name, batch.ids);
      });
      this.completing = batch;
    }
    this.completing.ids.push(id);
    return this.completing.written;
  }
}

/**
 * The shortest sleep of an idle worker: jobs falling due within it are fetched together, and a job due
 * "now" that it cannot fetch never spins it. It adds at most this much to a job's lateness.
 */
const MIN_SLEEP_MS = 100;

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
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
