// Retention (docs/decisions/227): closed gates, finished Terraform runs and external stage runs older than
// retention.days go with their children, a batch per transaction; open ones stay whatever their age.
import { Retention, type RunningService } from '@isd/kit';
import { startupRetentionDone } from '@isd/test-support';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import type { VisibilityConfig } from '../src';
import { visibilitySweeps } from '../src/retention';
import { asOrca, asUser, createPayload, eventually, startVisibility } from './helpers';

jest.setTimeout(60_000);

const DAYS = 400;

let service: RunningService<VisibilityConfig> & { cleanup(): Promise<void> };

beforeAll(async () => {
  service = await startVisibility('postgres', { retention: { days: DAYS, batchSize: 2 } });
  await startupRetentionDone(service);
});
afterAll(() => service?.cleanup());

function retention(batchSize = 2): { run: Retention; registry: Registry } {
  const registry = new Registry();
  const run = new Retention({
    database: service.database,
    jobs: service.jobs,
    logger: service.logger,
    registry,
    sweeps: visibilitySweeps(DAYS),
    batchSize,
  });
  return { run, registry };
}

/** Moves a gate's creation and closing back by `days`. */
async function age(table: string, id: string, days: number): Promise<void> {
  const closing = table === 'approvals' ? 'closed_at' : table === 'terraform_runs' ? 'finished_at' : 'closed_at';
  await service.database.query(
    `UPDATE ${table} SET created_at = created_at - make_interval(days => $2),
            ${closing} = ${closing} - make_interval(days => $2) WHERE id = $1`,
    [id, days],
  );
}

async function createGate(payload = createPayload()): Promise<string> {
  const created = await asOrca(service.url, 'POST', '/api/v1/approvals', payload);
  expect(created.status).toBe(202);
  return created.body.id as string;
}

async function approvedGate(payload = createPayload()): Promise<string> {
  const id = await createGate(payload);
  const decided = await asUser(service.url, 'rm1', 'POST', `/api/v1/approvals/${id}/decisions`, { action: 'approve' });
  expect(decided.body.status).toBe('approved');
  // The closing request returns before its outcome is queued (an update of the row); a row another
  // transaction holds is skipped by retention until its next run, so the test waits for that update.
  await eventually(async () => {
    const { rows } = await service.database.query('SELECT 1 FROM approvals WHERE id = $1 AND outcome_queued', [id]);
    return rows.length ? true : undefined;
  });
  return id;
}

async function count(table: string, column: string, id: string): Promise<number> {
  const { rows } = await service.database.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${table} WHERE ${column} = $1`,
    [id],
  );
  return Number(rows[0]?.n);
}

it('deletes closed gates past the retention with their decisions, audit trail, Slack message and e-mail links', async () => {
  const oldClosed = await approvedGate();
  await service.database.query(`INSERT INTO slack_messages (approval_id, channel, ts) VALUES ($1, 'C1', '1.2')`, [
    oldClosed,
  ]);
  await service.database.query(
    `INSERT INTO email_links (token_hash, approval_id, recipient, created_at) VALUES ($1, $2, 'rm@x.io', now())`,
    [randomUUID(), oldClosed],
  );
  const oldOpen = await createGate();
  const recentClosed = await approvedGate();
  await age('approvals', oldClosed, DAYS + 1);
  await age('approvals', oldOpen, DAYS + 100);
  await age('approvals', recentClosed, DAYS - 1);
  expect(await count('audit_events', 'approval_id', oldClosed)).toBeGreaterThan(0);

  const { run, registry } = retention();
  const deleted = await run.run();

  expect((await asOrca(service.url, 'GET', `/api/v1/approvals/${oldClosed}`)).status).toBe(404);
  expect((await asUser(service.url, 'rm1', 'GET', `/api/v1/approvals/${oldClosed}/audit`)).status).toBe(404);
  for (const [table, column] of [
    ['decisions', 'approval_id'],
    ['audit_events', 'approval_id'],
    ['slack_messages', 'approval_id'],
    ['email_links', 'approval_id'],
  ] as const)
    expect(await count(table, column, oldClosed)).toBe(0);
  expect((await asOrca(service.url, 'GET', `/api/v1/approvals/${oldOpen}`)).body.status).toBe('activated');
  expect((await asOrca(service.url, 'GET', `/api/v1/approvals/${recentClosed}`)).body.status).toBe('approved');
  expect(deleted).toMatchObject({ approvals: 1, decisions: 1, slack_messages: 1, email_links: 1 });
  expect(deleted.audit_events).toBeGreaterThanOrEqual(2);
  expect(await registry.getSingleMetricAsString('retention_deleted_rows_total')).toContain(
    'retention_deleted_rows_total{table="approvals"} 1',
  );
  // The list shows what is left, and the audit trail still refuses deletes outside the retention run.
  const list = await asUser(service.url, 'rm1', 'GET', '/api/v1/approvals?application=shop');
  expect(list.status).toBe(200);
  expect(JSON.stringify(list.body)).not.toContain(oldClosed);
  await expect(
    service.database.query('DELETE FROM audit_events WHERE approval_id = $1', [recentClosed]),
  ).rejects.toThrow(/append-only/);
});

it("Orca re-posting a deleted gate's stage gets one fresh open gate, never the old outcome", async () => {
  const payload = createPayload();
  const old = await approvedGate(payload);
  await age('approvals', old, DAYS + 1);
  await retention().run.run();

  const again = await Promise.all([1, 2, 3].map(() => asOrca(service.url, 'POST', '/api/v1/approvals', payload)));
  expect(new Set(again.map((answer) => answer.body.id)).size).toBe(1);
  expect(again[0]?.body).toMatchObject({ status: 'activated', decisions: [] });
  expect(again[0]?.body.id).not.toBe(old);
});

it('removes a backlog in batches of batchSize, each its own transaction', async () => {
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await approvedGate());
  for (const id of ids) await age('approvals', id, DAYS + 10);
  const approvals = visibilitySweeps(DAYS).find((sweep) => sweep.name === 'approvals')!;
  const cutoff = new Date(Date.now() - DAYS * 24 * 60 * 60 * 1000);
  const batch = await service.database.transaction((client) => approvals.removeBatch(client, cutoff, 2));
  expect(batch.records).toBe(2);
  expect(batch.rows.approvals).toBe(2);
  const left = await service.database.query('SELECT id FROM approvals WHERE id = ANY($1)', [ids]);
  expect(left.rowCount).toBe(3);

  await retention(2).run.run();
  expect((await service.database.query('SELECT id FROM approvals WHERE id = ANY($1)', [ids])).rowCount).toBe(0);
});

it('keeps a running Terraform run, and the gate it opened, whatever their age; a finished one goes', async () => {
  const running = await insertTerraformRun(await approvedGate(), null);
  const finished = await insertTerraformRun(await approvedGate(), new Date());
  for (const run of [running, finished]) {
    await age('terraform_runs', run.id, DAYS + 30);
    await age('approvals', run.approvalId, DAYS + 30);
  }
  const deleted = await retention().run.run();
  expect(await count('terraform_runs', 'id', running.id)).toBe(1);
  expect(await count('approvals', 'id', running.approvalId)).toBe(1);
  expect(await count('terraform_runs', 'id', finished.id)).toBe(0);
  expect(await count('approvals', 'id', finished.approvalId)).toBe(0);
  expect(deleted).toMatchObject({ terraform_runs: 1, approvals: 1 });
});

it('keeps a waiting external stage run whatever its age; a closed one goes', async () => {
  const waiting = await insertExternalRun('waiting', null);
  const done = await insertExternalRun('done', new Date());
  for (const id of [waiting, done]) await age('external_stage_runs', id, DAYS + 5);
  await retention().run.run();
  expect(await count('external_stage_runs', 'id', waiting)).toBe(1);
  expect(await count('external_stage_runs', 'id', done)).toBe(0);
  expect((await asOrca(service.url, 'GET', `/api/v1/jira-issues/${done}`)).status).toBe(404);
});

async function insertTerraformRun(
  approvalId: string,
  finishedAt: Date | null,
): Promise<{ id: string; approvalId: string }> {
  const id = randomUUID();
  await service.database.query(
    `INSERT INTO terraform_runs (id, execution_id, stage_id, attempt, application, organization, workspace, message,
                                 variables, approval_request, status, approval_id, created_at, updated_at, finished_at)
     VALUES ($1, $2, 'tf', 1, 'shop', 'org', 'ws', 'm', '{}', '{}', $3, $4, now(), now(), $5)`,
    [id, `exec-${id}`, finishedAt ? 'applied' : 'applying', approvalId, finishedAt],
  );
  return { id, approvalId };
}

async function insertExternalRun(status: string, closedAt: Date | null): Promise<string> {
  const id = randomUUID();
  await service.database.query(
    `INSERT INTO external_stage_runs (id, kind, execution_id, stage_id, application, request, status, deadline, closed_at)
     VALUES ($1, 'jira', $2, 'jira', 'shop', '{}', $3, now() + interval '1 day', $4)`,
    [id, `exec-${id}`, status, closedAt],
  );
  return id;
}
