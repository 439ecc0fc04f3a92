import { createTestDatabase } from '@isd/test-support';
import { Registry } from 'prom-client';
import { migrate, openDatabase, type Database } from './database';
import { createJobQueue, type JobQueue } from './job-queue';
import { createLogger } from './logger';
import { Retention, deleteExpiredBatch, type RetentionSweep } from './retention';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const DAY_MS = 24 * 60 * 60 * 1000;

let database: Database;
let jobs: JobQueue;

beforeAll(async () => {
  database = await openDatabase({ url: await createTestDatabase('retention'), embeddedDataDir: 'unused', schema: 'r' });
  await migrate(database, []);
  await database.query(`CREATE TABLE runs (id int PRIMARY KEY, status text NOT NULL, finished_at timestamptz)`);
  await database.query(`CREATE TABLE steps (run_id int NOT NULL REFERENCES runs (id), n int NOT NULL)`);
  jobs = await createJobQueue({ database, logger, pollingIntervalSeconds: 0.5 });
});
afterAll(async () => {
  await jobs.stop();
  await database.close();
});

const runsSweep: RetentionSweep = {
  name: 'runs',
  days: 30,
  removeBatch: (client, cutoff, limit) =>
    deleteExpiredBatch(
      client,
      {
        table: 'runs',
        where: `status <> 'running' AND finished_at < $1`,
        orderBy: 'finished_at',
        children: [{ table: 'steps', column: 'run_id' }],
      },
      cutoff,
      limit,
    ),
};

it('removes old finished records with their children in batches, keeps running ones, and counts rows per table', async () => {
  const old = new Date(Date.now() - 40 * DAY_MS);
  for (let id = 1; id <= 7; id++) {
    await database.query('INSERT INTO runs VALUES ($1, $2, $3)', [id, id === 7 ? 'running' : 'done', old]);
    await database.query('INSERT INTO steps VALUES ($1, 1), ($1, 2)', [id]);
  }
  await database.query(`INSERT INTO runs VALUES (8, 'done', now())`);
  const batches: number[] = [];
  const counted: RetentionSweep = {
    ...runsSweep,
    async removeBatch(client, cutoff, limit) {
      const batch = await runsSweep.removeBatch(client, cutoff, limit);
      batches.push(batch.records);
      return batch;
    },
  };
  const registry = new Registry();
  const retention = new Retention({ database, jobs, logger, registry, sweeps: [counted], batchSize: 4 });

  expect(await retention.run()).toEqual({ runs: 6, steps: 12 });
  // 6 to remove with batches of 4: a full batch, then a short one that ends the sweep.
  expect(batches).toEqual([4, 2]);
  const { rows } = await database.query<{ id: number }>('SELECT id FROM runs ORDER BY id');
  expect(rows.map((row) => row.id)).toEqual([7, 8]);
  expect(await registry.getSingleMetricAsString('retention_deleted_rows_total')).toContain(
    'retention_deleted_rows_total{table="steps"} 12',
  );
});

it('schedules one run per day whatever the number of replicas', async () => {
  const ran: string[] = [];
  const schedule = (jobName: string) =>
    new Retention({
      database,
      jobs,
      logger,
      registry: new Registry(),
      jobName,
      sweeps: [{ name: 'noop', days: 1, removeBatch: async () => (ran.push(jobName), { records: 0, rows: {} }) }],
      batchSize: 10,
    });
  await schedule('retention-a').schedule();
  // Another replica sends the same day's job: its key makes it the same job.
  expect(
    await jobs.send(
      'retention-a',
      { day: new Date().toISOString().slice(0, 10) },
      {
        key: new Date().toISOString().slice(0, 10),
      },
    ),
  ).toBeNull();
  const deadline = Date.now() + 20_000;
  while (ran.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(ran).toEqual(['retention-a']);
});
