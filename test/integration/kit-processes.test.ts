// The kit's promises that only show across processes: replicas starting together, and a job whose
// process is killed with SIGKILL running again after a restart.
import path from 'node:path';
import pg from 'pg';
import {
  createTestDatabase,
  eventually,
  freePort,
  spawnTypeScript,
  TEST_GATE_TOKEN,
  TEST_SERVICE_TOKEN,
  type ChildService,
} from '@isd/test-support';

const entry = path.join(__dirname, 'fixture-service', 'main.ts');

/** Spawning tsx processes on two busy cores can take a while; each readiness wait alone allows 90 s. */
const PROCESS_TEST_TIMEOUT_MS = 240_000;

function fixtureEnv(databaseUrl: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    FIXTURE_SERVER__PORT: String(port),
    FIXTURE_SERVER__HOST: '127.0.0.1',
    FIXTURE_AUTH__SERVICE_TOKEN: TEST_SERVICE_TOKEN,
    FIXTURE_AUTH__GATE_TOKEN: TEST_GATE_TOKEN,
    FIXTURE_LOG__LEVEL: 'warn',
    FIXTURE_LOG__PRETTY: 'false',
    FIXTURE_JOBS__POLLING_INTERVAL_SECONDS: '0.5',
    FIXTURE_JOBS__MAINTENANCE_INTERVAL_SECONDS: '1',
    ...extra,
  };
}

async function readyz(port: number): Promise<true | undefined> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  return response.ok ? true : undefined;
}

const children: ChildService[] = [];

/** Waits for every child on its port; a child that never gets ready fails the test with every child's output. */
async function allReady(ports: number[], what: string): Promise<void> {
  for (const [index, port] of ports.entries()) {
    await eventually(() => readyz(port), 90_000, `${what} ${index} ready`).catch((error: Error) => {
      throw new Error(
        `${error.message}\n${children.map((child, i) => `process ${i} output:\n${child.output()}`).join('\n')}`,
      );
    });
  }
}

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop('SIGKILL')));
});

it(
  'starts two replicas at the same moment against one empty database; migrations run once',
  async () => {
    const databaseUrl = await createTestDatabase('replicas');
    const ports = [await freePort(), await freePort()];
    children.push(...ports.map((port) => spawnTypeScript(entry, fixtureEnv(databaseUrl, port))));
    await allReady(ports, 'replica');
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT version FROM fixture.schema_migrations');
      expect(rows).toEqual([{ version: 1 }]);
    } finally {
      await client.end();
    }
  },
  PROCESS_TEST_TIMEOUT_MS,
);

it(
  'runs a job again after its process is killed with SIGKILL mid-job and restarted',
  async () => {
    const databaseUrl = await createTestDatabase('killjob');
    const port = await freePort();
    const env = fixtureEnv(databaseUrl, port, { FIXTURE_WORK__DURATION_MS: '4000' });
    const first = spawnTypeScript(entry, env);
    children.push(first);
    await allReady([port], 'first process');
    const response = await fetch(`http://127.0.0.1:${port}/work`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-isd-service-token': TEST_SERVICE_TOKEN },
      body: JSON.stringify({ key: 'job-1' }),
    });
    expect(response.status).toBe(202);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const row = async () =>
        (await client.query('SELECT attempts, finished_at FROM fixture.work_done WHERE job_key = $1', ['job-1']))
          .rows[0];
      await eventually(async () => ((await row())?.attempts === 1 ? true : undefined), 15_000, 'job started');
      await first.stop('SIGKILL');
      expect((await row())?.finished_at).toBeNull();

      children.push(spawnTypeScript(entry, { ...env, FIXTURE_WORK__DURATION_MS: '100' }));
      await allReady([port], 'restarted process');
      const finished = await eventually(
        async () => {
          const current = await row();
          return current?.finished_at ? current : undefined;
        },
        30_000,
        'job finished after restart',
      );
      expect(finished.attempts).toBe(2);
    } finally {
      await client.end();
    }
  },
  PROCESS_TEST_TIMEOUT_MS,
);
