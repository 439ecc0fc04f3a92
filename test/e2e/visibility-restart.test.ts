// Kill -9 the visibility service while gates are open and their timers pending, restart it on the same
// database, and check that nothing was lost: gates, partial decisions, pending timers (which then fire),
// and a gate whose jobs were never queued because the crash came between its commit and the queueing.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import {
  createTestDatabase,
  freePort,
  gateHeaders,
  serviceHeaders,
  TEST_GATE_TOKEN,
  TEST_SERVICE_TOKEN,
} from './visibility-support';

jest.setTimeout(120_000);

const root = path.resolve(__dirname, '..', '..');

interface Child {
  process: ChildProcess;
  url: string;
  output: string[];
}

/** A Slack incoming-webhook stand-in that records message texts. */
async function startSlack(): Promise<{ url: string; texts: string[]; close(): Promise<void> }> {
  const texts: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      texts.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text: string }).text);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T/B/x`,
    texts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function startChild(databaseUrl: string, port: number, slackUrl: string): Promise<Child> {
  const output: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'sidecars/visibility/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      VISIBILITY_DATABASE__URL: databaseUrl,
      VISIBILITY_SERVER__PORT: String(port),
      VISIBILITY_SERVER__HOST: '127.0.0.1',
      VISIBILITY_AUTH__SERVICE_TOKEN: TEST_SERVICE_TOKEN,
      VISIBILITY_AUTH__GATE_TOKEN: TEST_GATE_TOKEN,
      VISIBILITY_AUTH__USERS: '{rm1: [release-managers], rm2: [release-managers]}',
      VISIBILITY_JOBS__POLLING_INTERVAL_SECONDS: '0.5',
      VISIBILITY_JOBS__MAINTENANCE_INTERVAL_SECONDS: '1',
      VISIBILITY_APPROVALS__RECONCILE_INTERVAL_MS: '1000',
      VISIBILITY_NOTIFICATIONS__SLACK__WEBHOOK_URL: slackUrl,
      VISIBILITY_NOTIFICATIONS__RETRY_DELAY_SECONDS: '1',
      VISIBILITY_LOG__LEVEL: 'warn',
      VISIBILITY_LOG__PRETTY: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`visibility exited with ${child.exitCode}: ${output.join('')}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { process: child, url, output };
    if (Date.now() > deadline) throw new Error(`visibility did not become ready: ${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function killHard(child: Child): Promise<void> {
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGKILL');
  await exited;
}

async function json(url: string, method: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function statusOf(url: string, id: string): Promise<string> {
  return (await json(`${url}/api/v1/approvals/${id}`, 'GET', serviceHeaders())).body.status as string;
}

describe('visibility survives kill -9', () => {
  let child: Child | undefined;
  afterEach(async () => {
    if (child && child.process.exitCode === null) await killHard(child);
  });

  it('keeps open gates, decisions, timers and outcome notifications across a kill -9 and a restart', async () => {
    const databaseUrl = await createTestDatabase('visibility_restart');
    const port = await freePort();
    const slack = await startSlack();
    try {
      child = await startChild(databaseUrl, port, slack.url);
      const create = (executionId: string, timeoutMs: number, required = 1) =>
        json(`${child?.url}/api/v1/approvals`, 'POST', serviceHeaders(), {
          application: 'shop',
          pipelineName: 'deploy',
          pipelineId: 'p',
          executionId,
          stageId: 's',
          triggeredBy: 'alice',
          approverGroups: [{ name: 'release-managers', required }],
          timeoutMs,
        });
      const short = await Promise.all([1, 2, 3].map((index) => create(`short-${index}`, 8_000)));
      const long = await create('long', 86_400_000, 2);
      expect([...short, long].every((answer) => answer.status === 202)).toBe(true);
      const longId = long.body.id as string;
      const partial = await json(`${child.url}/api/v1/approvals/${longId}/decisions`, 'POST', gateHeaders('rm1'), {
        action: 'approve',
        comment: 'first',
      });
      expect(partial.body.status).toBe('activated');

      // A gate committed by a replica that died before queueing its jobs (jobs_queued = false, no timer).
      const orphanId = randomUUID();
      // And a gate approved by a replica that died before queueing its outcome notification.
      const closedId = randomUUID();
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const rules = JSON.stringify({ groups: [{ name: 'release-managers', required: 1 }], allowSelfApproval: false });
        await client.query(
          `INSERT INTO visibility.approvals (id, execution_id, stage_id, application, status, rules, approver_groups, deadline, created_at)
         VALUES ($1, 'orphan', 's', 'shop', 'activated', $2, $3, now() + interval '3 seconds', now() - interval '10 seconds')`,
          [orphanId, rules, ['release-managers']],
        );
        await client.query(
          `INSERT INTO visibility.approvals (id, execution_id, stage_id, application, pipeline_name, status, rules, approver_groups, deadline,
                                           created_at, closed_at, jobs_queued)
         VALUES ($1, 'closed', 's', 'billing', 'release', 'approved', $2, $3, now() + interval '1 hour', now() - interval '1 minute',
                 now() - interval '10 seconds', true)`,
          [closedId, rules, ['release-managers']],
        );
      } finally {
        await client.end();
      }

      await killHard(child);
      expect(
        await fetch(`${child.url}/healthz`).then(
          () => 'up',
          () => 'down',
        ),
      ).toBe('down');

      child = await startChild(databaseUrl, port, slack.url);
      const ids = short.map((answer) => answer.body.id as string);
      const restarted = await json(`${child.url}/api/v1/approvals/${longId}`, 'GET', serviceHeaders());
      expect(restarted.body).toMatchObject({
        status: 'activated',
        decisions: [{ user: 'rm1', action: 'approve', comment: 'first' }],
      });
      for (const id of ids) expect(['activated', 'expired']).toContain(await statusOf(child.url, id));

      // The timers queued before the kill fire after the restart; the orphan's timer is queued by the sweep.
      const deadline = Date.now() + 45_000;
      let statuses: string[] = [];
      while (Date.now() < deadline) {
        statuses = await Promise.all([...ids, orphanId].map((id) => statusOf(child?.url as string, id)));
        if (statuses.every((status) => status === 'expired')) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(statuses).toEqual(['expired', 'expired', 'expired', 'expired']);

      const second = await json(`${child.url}/api/v1/approvals/${longId}/decisions`, 'POST', gateHeaders('rm2'), {
        action: 'approve',
      });
      expect(second.body.status).toBe('approved');
      const audit = await json(`${child.url}/api/v1/approvals/${ids[0] as string}/audit`, 'GET', serviceHeaders());
      expect(
        (audit.body.events as Array<{ event: string; actor: string }>).map((event) => `${event.event}:${event.actor}`),
      ).toEqual(['activated:orca', 'expired:deadline']);

      // Outcome notifications: the expired gates', and the one whose replica died before queueing it.
      const notified = Date.now() + 30_000;
      const wanted = () =>
        slack.texts.filter((text) => text === '[EXPIRED] approval for shop / deploy').length >= 3 &&
        slack.texts.includes('[APPROVED] approval for billing / release');
      while (!wanted() && Date.now() < notified) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(wanted()).toBe(true);
    } finally {
      await slack.close();
    }
  });
});
