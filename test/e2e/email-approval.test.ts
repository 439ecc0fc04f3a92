// Deciding from an e-mail link through Gate: the mailed link opens the page in the browser's Gate session
// (Gate's proxy forwards the signed-in user to visibility's Gate-only listener, with no credential
// header), and the page's form POST goes the same way. Mail over real SMTP.
import type { RunningService } from '@isd/kit';
import { renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import { visibilityService, type VisibilityConfig } from '@isd/visibility';
import { startGateProxy, type GateProxy } from '../harness/gate';
import {
  createTestDatabase,
  eventually,
  serviceHeaders,
  startSmtp,
  startTestService,
  testServiceConfig,
} from '../support';

jest.setTimeout(60_000);

const LINK_BASE = 'https://spinnaker-api.example.com/proxies/visibility';

let visibility: RunningService<VisibilityConfig>;
let gate: GateProxy;
let smtp: Awaited<ReturnType<typeof startSmtp>>;

beforeAll(async () => {
  smtp = await startSmtp();
  const config = testServiceConfig(visibilityService, {
    databaseUrl: await createTestDatabase('email_links'),
    users: { bob: ['release-managers'], mallory: ['marketing'] },
    extra: {
      notifications: {
        email: {
          host: '127.0.0.1',
          port: smtp.port,
          from: 'isd@example.com',
          to: ['release-managers@example.com'],
          decisionLinkBase: LINK_BASE,
        },
        reminderBeforeDeadlineMs: [],
      },
    },
  });
  visibility = await startTestService(visibilityService, { ...config, server: { ...config.server, gatePort: 0 } });
  gate = await startGateProxy({
    gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
    targets: { visibility: visibility.gateUrl as string },
  });
});

afterAll(async () => {
  await gate?.close();
  await visibility?.stop();
  await smtp?.close();
});

it('opens the mailed link in a Gate session and decides with its form, once', async () => {
  const executionId = `exec-${Date.now()}`;
  const created = await fetch(`${visibility.url}/api/v1/approvals`, {
    method: 'POST',
    headers: serviceHeaders(),
    body: JSON.stringify({
      application: 'shop',
      executionId,
      stageId: 'stage-1',
      triggeredBy: 'alice',
      approverGroups: [{ name: 'release-managers', required: 1 }],
      timeoutMs: 3_600_000,
    }),
  });
  expect(created.status).toBe(202);
  const id = ((await created.json()) as { id: string }).id;
  const mail = await eventually(
    async () => smtp.mails.find((candidate) => candidate.raw.replace(/=\r?\n/g, '').includes(executionId)),
    20_000,
  );
  const mailed = new RegExp(`${LINK_BASE.replace(/[.]/g, '\\.')}(/api/v1/email-decisions/[A-Za-z0-9_-]{43})`).exec(
    mail.raw.replace(/=\r?\n/g, ''),
  )?.[1];
  if (!mailed) throw new Error(`no link in ${mail.raw}`);
  // The browser follows the link to Gate (here the harness at its own address).
  const link = `${gate.baseUrl}/proxies/visibility${mailed}`;

  expect((await fetch(link)).status).toBe(401); // no Gate session
  const bob = gate.login('bob');
  const page = await fetch(link, { headers: { cookie: bob } });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Signed in as <b>bob</b>');

  const post = (cookie: string, form: Record<string, string>) =>
    fetch(link, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  const refused = await post(gate.login('mallory'), { action: 'approve' });
  expect(refused.status).toBe(403);
  const decided = await post(bob, { action: 'approve', comment: 'from my inbox' });
  expect(decided.status).toBe(200);
  expect(await decided.text()).toContain('The gate is approved');
  expect((await post(bob, { action: 'approve' })).status).toBe(410);

  const state = (await (
    await fetch(`${visibility.url}/api/v1/approvals/${id}`, { headers: serviceHeaders() })
  ).json()) as {
    status: string;
    decisions: Array<{ user: string; comment: string }>;
  };
  expect(state.status).toBe('approved');
  expect(state.decisions).toEqual([expect.objectContaining({ user: 'bob', comment: 'from my inbox' })]);
});
