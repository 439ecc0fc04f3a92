// Retention (docs/decisions/227): the decision log and gate inputs after policy.decisionLogRetentionDays,
// policy gates after retention.days, superseded policy versions and account history entries once superseded
// that long ago (the newest, the live one and a version a kept gate names stay), a batch per transaction.
import { randomUUID } from 'node:crypto';
import { Retention, type RunningService } from '@isd/kit';
import { startupRetentionDone } from '@isd/test-support';
import { Registry } from 'prom-client';
import { saporConfigSchema, PostgresPolicyStore, type SaporConfig } from '../src';
import { saporSweeps } from '../src/retention';
import { client, decision, gateRecord, savePolicy, startSapor, users } from './helpers';

let sapor: RunningService<SaporConfig>;
let store: PostgresPolicyStore;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  sapor = await startSapor({ retention: { days: 400, batchSize: 2 } });
  await startupRetentionDone(sapor);
  store = new PostgresPolicyStore(sapor.database, sapor.logger);
  api = client(sapor.url);
});
afterAll(() => sapor?.stop());

function run(): Promise<Record<string, number>> {
  return new Retention({
    database: sapor.database,
    jobs: sapor.jobs,
    logger: sapor.logger,
    registry: new Registry(),
    sweeps: saporSweeps(sapor.config),
    batchSize: sapor.config.retention.batchSize,
  }).run();
}

async function backdate(table: string, column: string, where: string, days: number, values: unknown[]) {
  await sapor.database.query(
    `UPDATE ${table} SET ${column} = ${column} - make_interval(days => ${days}) WHERE ${where}`,
    values,
  );
}

it('deletes decision rows past the decision log retention, in batches, and drops old gate inputs keeping the gates', async () => {
  const old = Array.from({ length: 5 }, () => randomUUID());
  const fresh = randomUUID();
  for (const decisionId of [...old, fresh]) await store.logDecision(decision(decisionId));
  await backdate('decision_log', 'created_at', 'decision_id = ANY($1)', 100, [old]);
  const withInput = (await store.insertGate(gateRecord(`in-${randomUUID()}`), { pipeline: { name: 'old' } })).gate;
  await backdate('policy_gates', 'created_at', 'id = $1', 100, [withInput.id]);

  const deleted = await run();

  expect(deleted.decision_log).toBe(5);
  for (const decisionId of old) expect(await store.decision(decisionId)).toBeUndefined();
  expect(await store.decision(fresh)).toBeDefined();
  expect(deleted['policy_gates.input']).toBe(1);
  expect(await store.gateInput(withInput.id)).toEqual({ input: null, inputBytes: expect.any(Number) });
  expect(await store.gate(withInput.id)).toMatchObject({ id: withInput.id, status: 'allow' });
});

it('deletes policy gates past retention.days; the API answers 404 and a re-post of the stage is one fresh gate', async () => {
  const executionId = `old-${randomUUID()}`;
  const old = (await store.insertGate(gateRecord(executionId))).gate;
  const recent = (await store.insertGate(gateRecord(`recent-${randomUUID()}`))).gate;
  await backdate('policy_gates', 'created_at', 'id = $1', 401, [old.id]);

  expect((await run()).policy_gates).toBe(1);

  expect((await api.asService('GET', `/api/v1/policy-gates/${old.id}`)).status).toBe(404);
  expect((await api.asService('GET', `/api/v1/policy-gates/${old.id}/input`)).status).toBe(404);
  expect((await api.asService('GET', `/api/v1/policy-gates/${recent.id}`)).status).toBe(200);
  const listed = await api.asUser(users.admin, 'GET', '/api/v1/policy-gates?application=app&limit=100');
  expect(listed.status).toBe(200);
  expect(listed.body.gates.map((gate: { id: string }) => gate.id)).not.toContain(old.id);
  const again = await Promise.all([1, 2].map(() => store.insertGate(gateRecord(executionId))));
  expect(again.filter((answer) => answer.created)).toHaveLength(1);
  expect(again[0]?.gate.id).toBe(again[1]?.gate.id);
  expect(again[0]?.gate.id).not.toBe(old.id);
});

it('deletes policy versions superseded before the cutoff, never the live one, the newest or one a kept gate names', async () => {
  for (let version = 1; version <= 4; version++)
    await savePolicy(api, 'kept', `package isd.kept\n\nallow := ${version} > 0\n`);
  // v1 and v2 were superseded 450 and 420 days ago; v3 only 10 days ago; v4 is live.
  await backdate('policy_versions', 'created_at', `name = 'kept' AND version = 1`, 500, []);
  await backdate('policy_versions', 'created_at', `name = 'kept' AND version = 2`, 450, []);
  await backdate('policy_versions', 'created_at', `name = 'kept' AND version = 3`, 420, []);
  await backdate('policy_versions', 'created_at', `name = 'kept' AND version = 4`, 10, []);
  // A gate decided on v1 keeps it while the gate is kept.
  const gate = (await store.insertGate(gateRecord(`v1-${randomUUID()}`, { name: 'kept', version: 1 }))).gate;
  // A deleted policy: its newest version stays, so a re-created one numbers on.
  await savePolicy(api, 'gone', 'package isd.gone\n\nallow := true\n');
  await savePolicy(api, 'gone', 'package isd.gone\n\nallow := false\n');
  expect((await api.asUser(users.admin, 'DELETE', '/api/v1/policies/gone')).status).toBeLessThan(300);
  await backdate('policy_versions', 'created_at', `name = 'gone'`, 600, []);

  const versions = async (name: string) =>
    (
      await sapor.database.query<{ version: number }>(
        'SELECT version FROM policy_versions WHERE name = $1 ORDER BY version',
        [name],
      )
    ).rows.map((row) => row.version);
  await run();
  expect(await versions('kept')).toEqual([1, 3, 4]);
  expect(await versions('gone')).toEqual([2]);
  expect((await api.asUser(users.admin, 'GET', '/api/v1/policies/kept/versions/2')).status).toBe(404);
  expect((await api.asUser(users.admin, 'GET', '/api/v1/policies/kept')).body.version).toBe(4);

  await backdate('policy_gates', 'created_at', 'id = $1', 401, [gate.id]);
  await run();
  expect(await versions('kept')).toEqual([3, 4]);
  expect((await savePolicy(api, 'gone', 'package isd.gone\n\nallow := 1 > 0\n')).version).toBe(3);
});

it('deletes account history entries superseded before the cutoff, keeping the newest of each account', async () => {
  const insert = (name: string, version: number, daysAgo: number) =>
    sapor.database.query(
      `INSERT INTO account_history (name, version, action, backend, actor, occurred_at)
       VALUES ($1, $2, 'updated', 'clouddriver', 'admin', now() - make_interval(days => $3))`,
      [name, version, daysAgo],
    );
  for (const [version, daysAgo] of [
    [1, 900],
    [2, 800],
    [3, 5],
  ] as const)
    await insert('prod', version, daysAgo);
  await insert('legacy', 1, 900);
  await run();
  const { rows } = await sapor.database.query<{ name: string; version: number }>(
    'SELECT name, version FROM account_history ORDER BY name, version',
  );
  expect(rows).toEqual([
    { name: 'legacy', version: 1 },
    { name: 'prod', version: 2 },
    { name: 'prod', version: 3 },
  ]);
});

it('refuses a retention setting that cannot hold, naming the key', () => {
  const parse = (retention: unknown) =>
    saporConfigSchema.safeParse({ auth: { serviceToken: 'service-token-0123456789' }, retention });
  expect(parse({ days: 0 }).error?.issues[0]?.path.join('.')).toBe('retention.days');
  expect(parse({ batchSize: 1.5 }).error?.issues[0]?.path.join('.')).toBe('retention.batchSize');
  expect(parse({ dayz: 3 }).error?.issues[0]?.message).toMatch(/dayz/);
  expect(parse(undefined).data?.retention).toEqual({ days: 400, batchSize: 500 });
});
