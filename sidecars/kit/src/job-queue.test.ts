import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '@isd/test-support';
import { migrate, openDatabase, type Database } from './database';
import { createJobQueue, type JobQueue } from './job-queue';
import { createLogger } from './logger';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A promise the test resolves when it chooses, so handlers run exactly as long as the test needs. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe.each([
  [
    'real Postgres',
    async () => {
      const url = await createTestDatabase('jobs');
      return {
        database: await openDatabase({ url, embeddedDataDir: 'unused', schema: 'jobs' }),
        // A second replica: its own connection pool on the same database.
        openReplica: () => openDatabase({ url, embeddedDataDir: 'unused', schema: 'jobs' }),
      };
    },
  ],
  [
    'embedded PGlite',
    async () => {
      const database = await openDatabase({
        embeddedDataDir: path.join(os.tmpdir(), `isd-jobs-${process.pid}-${Date.now()}`),
        schema: 'jobs',
      });
      // PGlite serves one process; a second queue shares its connection.
      return { database, openReplica: async () => database };
    },
  ],
])('job queue on %s', (_name, open) => {
  let database: Database;
  let openReplica: () => Promise<Database>;
  let queue: JobQueue;

  beforeAll(async () => {
    ({ database, openReplica } = await open());
    await migrate(database, []);
    queue = await createJobQueue({ database, logger, pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1 });
  });

  afterAll(async () => {
    await queue.stop();
    await database.close();
  });

  it('runs a delayed job no earlier than asked', async () => {
    const ran: { at: number; data: { n: number } }[] = [];
    await queue.define<{ n: number }>('delayed', async (job) => {
      ran.push({ at: Date.now(), data: job.data });
    });
    const sentAt = Date.now();
    await queue.send('delayed', { n: 1 }, { startAfter: new Date(sentAt + 1500) });
    await until(() => ran.length === 1);
    expect(ran[0]!.data).toEqual({ n: 1 });
    expect(ran[0]!.at - sentAt).toBeGreaterThanOrEqual(1000);
  });

  it('runs a job sent to start in the past, even after a maintenance pass', async () => {
    // pg-boss archives queued jobs whose start_after + retention has passed: a past start must not mean that.
    await queue.declare('overdue');
    const sentAt = new Date();
    await queue.send('overdue', { n: 1 }, { startAfter: new Date(0), key: 'long-overdue' });
    const maintainedSince = async () => {
      const { rows } = await database.pool.query<{ maintained: boolean }>(
        `SELECT maintained_on > $1 AS maintained FROM jobs_jobs.version`,
        [sentAt],
      );
      return rows[0]?.maintained === true;
    };
    const deadline = Date.now() + 15_000;
    while (!(await maintainedSince())) {
      if (Date.now() > deadline) throw new Error('no maintenance pass in 15 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ran: number[] = [];
    await queue.define<{ n: number }>('overdue', async (job) => {
      ran.push(job.data.n);
    });
    await until(() => ran.length === 1);
    expect(ran).toEqual([1]);
  });

  it('retries a job whose handler fails', async () => {
    let attempts = 0;
    const seen: number[] = [];
    await queue.define(
      'flaky',
      async (job) => {
        attempts++;
        seen.push(job.attempt);
        if (attempts < 3) throw new Error('not yet');
      },
      { retryLimit: 5, retryDelaySeconds: 1, retryBackoff: false },
    );
    await queue.send('flaky', {});
    await until(() => attempts === 3);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('sends a job once per idempotency key', async () => {
    await queue.declare('timer');
    const first = await queue.send('timer', {}, { key: 'gate-1', startAfter: new Date(Date.now() + 60_000) });
    const second = await queue.send('timer', {}, { key: 'gate-1', startAfter: new Date(Date.now() + 60_000) });
    expect(first).toEqual(expect.any(String));
    expect(second).toBeNull();
  });

  it('runs up to its concurrency of one kind at once, never more', async () => {
    const total = 12;
    const concurrency = 3;
    let running = 0;
    let most = 0;
    let done = 0;
    const waiting: (() => void)[] = [];
    await queue.declare('bounded');
    for (let n = 0; n < total; n++) await queue.send('bounded', { n });
    await queue.define(
      'bounded',
      async () => {
        running++;
        most = Math.max(most, running);
        const hold = gate();
        waiting.push(hold.open);
        await hold.promise;
        running--;
        done++;
      },
      { concurrency },
    );
    // Release one job at a time, each time once every free slot has been filled again.
    while (done < total) {
      await until(() => running === Math.min(concurrency, total - done));
      waiting.shift()!();
      const before = done;
      await until(() => done > before);
    }
    expect(most).toBe(concurrency);
  });

  it('retries a failing job of a batch alone, the others of the batch once', async () => {
    const runs = new Map<string, number[]>();
    await queue.declare('batch', { retryLimit: 3, retryDelaySeconds: 1, retryBackoff: false });
    // Queued before a worker exists, so its first fetch takes all four in one batch.
    for (const label of ['a', 'b', 'c', 'd']) await queue.send('batch', { label });
    await queue.define<{ label: string }>(
      'batch',
      async (job) => {
        runs.set(job.data.label, [...(runs.get(job.data.label) ?? []), job.attempt]);
        if (job.data.label === 'b' && job.attempt === 1) throw new Error('b fails once');
      },
      { retryLimit: 3, retryDelaySeconds: 1, retryBackoff: false, concurrency: 4 },
    );
    await until(() => runs.size === 4 && runs.get('b')!.length === 2);
    // The retry of b comes a second later; a batch-wide failure would have rerun a, c and d by then.
    await queue.send('batch', { label: 'marker' }, { startAfter: new Date(Date.now() + 1500) });
    await until(() => runs.has('marker'));
    expect(Object.fromEntries(runs)).toEqual({ a: [1], b: [1, 2], c: [1], d: [1], marker: [1] });
  });

  it('never runs one job on two queues of the same database (two replicas)', async () => {
    const replicaDatabase = await openReplica();
    const replica = await createJobQueue({
      database: replicaDatabase,
      logger,
      pollingIntervalSeconds: 0.5,
      maintenanceIntervalSeconds: 1,
    });
    try {
      const total = 60;
      const concurrency = 4;
      const runs: { n: number; on: string }[] = [];
      const release = gate();
      let holding = 0;
      await queue.declare('shared');
      for (let n = 0; n < total; n++) await queue.send('shared', { n });
      const handler = (on: string) => async (job: { data: { n: number } }) => {
        runs.push({ n: job.data.n, on });
        holding++;
        await release.promise;
      };
      await queue.define('shared', handler('first'), { concurrency });
      await replica.define('shared', handler('second'), { concurrency });
      // Both replicas fill their slots while the jobs are held, so both take part.
      await until(() => holding === 2 * concurrency);
      release.open();
      await until(() => runs.length >= total);
      await replica.send('shared', { n: total });
      await until(() => runs.some((run) => run.n === total));
      const perJob = new Map<number, number>();
      for (const run of runs) perJob.set(run.n, (perJob.get(run.n) ?? 0) + 1);
      expect(perJob.size).toBe(total + 1);
      expect([...perJob.values()].every((count) => count === 1)).toBe(true);
      expect(new Set(runs.map((run) => run.on))).toEqual(new Set(['first', 'second']));
    } finally {
      await replica.stop();
      if (replicaDatabase !== database) await replicaDatabase.close();
    }
  });

  it('lets two replicas declare the same new kinds at the same moment', async () => {
    const replicaDatabase = await openReplica();
    const replica = await createJobQueue({ database: replicaDatabase, logger, pollingIntervalSeconds: 0.5 });
    try {
      // Racing create_queue calls can deadlock in Postgres; each replica must still end up declared.
      const kinds = Array.from({ length: 20 }, (_, n) => `racing-${n}`);
      await Promise.all(kinds.flatMap((kind) => [queue.declare(kind), replica.declare(kind)]));
      for (const kind of kinds) expect(await queue.send(kind, { kind })).toEqual(expect.any(String));
    } finally {
      await replica.stop();
      if (replicaDatabase !== database) await replicaDatabase.close();
    }
  });

  it('refuses a second handler for one kind and a concurrency that is not a positive integer', async () => {
    await queue.define('once', async () => {});
    await expect(queue.define('once', async () => {})).rejects.toThrow('job kind once is already defined');
    await expect(queue.define('zero', async () => {}, { concurrency: 0 })).rejects.toThrow(
      'job kind zero: concurrency must be a positive integer, got 0',
    );
  });
});
