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

describe.each([
  [
    'real Postgres',
    async () => openDatabase({ url: await createTestDatabase('jobs'), embeddedDataDir: 'unused', schema: 'jobs' }),
  ],
  [
    'embedded PGlite',
    async () =>
      openDatabase({
        embeddedDataDir: path.join(os.tmpdir(), `isd-jobs-${process.pid}-${Date.now()}`),
        schema: 'jobs',
      }),
  ],
])('job queue on %s', (_name, open) => {
  let database: Database;
  let queue: JobQueue;

  beforeAll(async () => {
    database = await open();
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
});
