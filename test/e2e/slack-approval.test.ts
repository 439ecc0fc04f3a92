// Approving from Slack: the real visibility service on real Postgres, talking to the Slack contract
// harness (Web API and signed interactivity requests as Slack's docs describe them). A press opens a
// confirmation; the submission decides through the same rules as a decision through Gate.
import type { RunningService } from '@isd/kit';
import { visibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';
import {
  createTestDatabase,
  eventually,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '../support';
import { buttonsOf, startSlackHarness, type SlackHarness, type SlackMessage } from '../harness/slack';

jest.setTimeout(60_000);

const BOT_TOKEN = 'xoxb-test-bot-token';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const CHANNEL = 'C0DEPLOY';

// Spinnaker users (the static map, as Fiat would answer). Slack users map to them by profile e-mail,
// except U0RM2, mapped explicitly to rm2 (its Slack e-mail is a personal one).
const users = {
  'rm1@example.com': { roles: ['release-managers'], applications: { shop: ['READ' as const, 'WRITE' as const] } },
  rm2: { roles: ['release-managers'], applications: { shop: ['READ' as const] } },
  'alice@example.com': {
    roles: ['release-managers', 'developers'],
    applications: { shop: ['READ' as const, 'WRITE' as const] },
  },
  'outsider@example.com': { roles: ['marketing'], applications: { shop: ['READ' as const] } },
};

let slack: SlackHarness;
let visibility: RunningService<VisibilityConfig>;
let requestUrl: string;

beforeAll(async () => {
  slack = await startSlackHarness({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    channels: [CHANNEL],
    users: [
      { id: 'U0RM1', name: 'rm1', email: 'RM1@example.com' },
      { id: 'U0RM2', name: 'rm2', email: 'robin@personal.example' },
      { id: 'U0ALICE', name: 'alice', email: 'alice@example.com' },
      { id: 'U0OUT', name: 'outsider', email: 'outsider@example.com' },
      { id: 'U0NOMAIL', name: 'guest' },
    ],
  });
  const databaseUrl = await createTestDatabase('visibility');
  const config = testServiceConfig(visibilityService, {
    databaseUrl,
    users,
    extra: {
      notifications: {
        slack: {
          botToken: BOT_TOKEN,
          channel: CHANNEL,
          apiUrl: slack.apiUrl,
          signingSecret: SIGNING_SECRET,
          users: { U0RM2: 'rm2' },
        },
        // Gates of 1 h get their reminder 2 s after activation.
        reminderBeforeDeadlineMs: [3_598_000],
        retryDelaySeconds: 1,
      },
    },
  });
  visibility = await startTestService(visibilityService, config);
  requestUrl = `${visibility.url}/api/v1/slack/interactions`;
});

afterAll(async () => {
  await visibility?.stop();
  await slack?.close();
});

async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`${visibility.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON fields
  return { status: response.status, body: (await response.json()) as any };
}

async function createGate(overrides: Record<string, unknown> = {}): Promise<string> {
  const created = await call('POST', '/api/v1/approvals', serviceHeaders(), {
    application: 'shop',
    pipelineName: 'deploy',
    executionId: `exec-${Math.random().toString(36).slice(2)}`,
    stageId: 'stage-1',
    triggeredBy: 'alice@example.com',
    approverGroups: [{ name: 'release-managers', required: 1 }],
    timeoutMs: 3_600_000,
    ...overrides,
  });
  expect(created.status).toBe(202);
  return created.body.id as string;
}

/** The gate's Slack message once it is posted. */
function messageOf(id: string): Promise<SlackMessage> {
  return eventually(
    async () =>
      slack.messages.find((message) => buttonsOf(message).some((button) => button.value === id)) ??
      slack.messages.find((message) => message.text.includes(id)),
    20_000,
    `the Slack message of ${id}`,
  );
}

/** Presses a button and returns the modal visibility opened for it. */
async function pressFor(user: string, message: SlackMessage, actionId: string): Promise<string> {
  const before = new Set(slack.views.keys());
  const pressed = await slack.press(requestUrl, { user, message, actionId });
  expect(pressed.status).toBe(200);
  const viewId = [...slack.views.keys()].find((key) => !before.has(key));
  if (!viewId) throw new Error(`no modal opened: ${JSON.stringify(slack.calls.slice(-2))}`);
  return viewId;
}

/** The stable code of a problem+json answer (its type is urn:isd:problem:<code>). */
const codeOf = (body: unknown) => String((body as { type?: string }).type).replace('urn:isd:problem:', '');
const gateState = async (id: string) => (await call('GET', `/api/v1/approvals/${id}`, serviceHeaders())).body;
const auditOf = async (id: string) =>
  (await call('GET', `/api/v1/approvals/${id}/audit`, serviceHeaders())).body.events;

describe('Slack approvals', () => {
  it('a confirmed press decides exactly as the same person deciding through Gate', async () => {
    const viaSlack = await createGate({ approverGroups: [{ name: 'release-managers', required: 2 }] });
    const viaGate = await createGate({ approverGroups: [{ name: 'release-managers', required: 2 }] });
    const message = await messageOf(viaSlack);
    expect(buttonsOf(message).map((button) => button.action_id)).toEqual(['isd_approve', 'isd_reject']);

    const viewId = await pressFor('U0RM1', message, 'isd_approve');
    // The press alone decides nothing: it only asks for confirmation.
    expect((await gateState(viaSlack)).decisions ?? []).toHaveLength(0);
    expect(slack.views.get(viewId)?.view.title).toEqual({ type: 'plain_text', text: 'Approve gate' });

    const submitted = await slack.submit(requestUrl, {
      user: 'U0RM1',
      viewId,
      values: { comment: 'dashboards green' },
    });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toBeUndefined(); // no errors: Slack closes the modal

    const gated = await call('POST', `/api/v1/approvals/${viaGate}/decisions`, gateHeaders('rm1@example.com'), {
      action: 'approve',
      comment: 'dashboards green',
    });
    expect(gated.status).toBe(200);

    const [slackGate, gateGate] = [await gateState(viaSlack), await gateState(viaGate)];
    const shape = (gate: Record<string, unknown>) => ({
      status: gate.status,
      decisions: (gate.decisions as Array<Record<string, unknown>>).map(({ user, action, comment, groups }) => ({
        user,
        action,
        comment,
        groups,
      })),
      progress: gate.approverGroups ?? gate.quorum ?? null,
    });
    expect(shape(slackGate)).toEqual(shape(gateGate));
    expect(slackGate.status).toBe('activated');
    expect(slackGate.decisions[0].user).toBe('rm1@example.com');

    const [slackEvent, gateEvent] = [(await auditOf(viaSlack)).at(-1), (await auditOf(viaGate)).at(-1)];
    expect({ ...slackEvent, at: 0, channel: 0, authMethod: 0 }).toEqual({
      ...gateEvent,
      at: 0,
      channel: 0,
      authMethod: 0,
    });
    expect([slackEvent.channel, slackEvent.authMethod]).toEqual(['slack', 'slack-signature']);

    // The message shows the progress of the open gate.
    await eventually(
      async () => (message.updates > 0 && /1 of 2/.test(JSON.stringify(message.blocks)) ? true : undefined),
      20_000,
    );

    // The second approver, mapped explicitly, closes the gate; the message loses its buttons.
    const second = await pressFor('U0RM2', message, 'isd_approve');
    expect((await slack.submit(requestUrl, { user: 'U0RM2', viewId: second, values: {} })).status).toBe(200);
    expect((await gateState(viaSlack)).status).toBe('approved');
    expect((await gateState(viaSlack)).decisions.map((decision: { user: string }) => decision.user)).toEqual([
      'rm1@example.com',
      'rm2',
    ]);
    await eventually(async () => (message.text.startsWith('[APPROVED]') ? true : undefined), 20_000);
    expect(buttonsOf(message)).toHaveLength(0);
  });

  it('refuses forged, tampered, stale and replayed requests and the gate stays untouched', async () => {
    const id = await createGate();
    const message = await messageOf(id);
    const viewId = await pressFor('U0RM1', message, 'isd_reject');
    // Capture a genuine submission without sending it, by signing the same body the harness would send.
    const accepted = await slack.submit(requestUrl, { user: 'U0RM1', viewId, values: { comment: '' } });
    // A reject without a reason is refused inside the modal (and that request is now spent).
    expect(accepted.body).toEqual({ response_action: 'errors', errors: { comment: 'a reject needs a comment' } });
    const { body } = accepted.request;
    const now = Math.floor(Date.now() / 1000);
    const attempt = (headers: Record<string, string>, text = body) => slack.send(requestUrl, { headers, body: text });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };

    const replayed = await attempt(accepted.request.headers);
    expect([replayed.status, codeOf(replayed.body)]).toEqual([401, 'slack_request_replayed']);

    const forged = await attempt({
      ...form,
      'x-slack-request-timestamp': String(now),
      'x-slack-signature': slack.sign(now, body, 'not-the-signing-secret'),
    });
    expect([forged.status, codeOf(forged.body)]).toEqual([401, 'slack_signature_invalid']);

    const tampered = body.replace('U0RM1', 'U0RM2');
    const swapped = await attempt(
      { ...form, 'x-slack-request-timestamp': String(now), 'x-slack-signature': slack.sign(now, body) },
      tampered,
    );
    expect([swapped.status, codeOf(swapped.body)]).toEqual([401, 'slack_signature_invalid']);

    const old = now - 400;
    const stale = await attempt({
      ...form,
      'x-slack-request-timestamp': String(old),
      'x-slack-signature': slack.sign(old, body),
    });
    expect([stale.status, codeOf(stale.body)]).toEqual([401, 'slack_request_stale']);

    const future = now + 400;
    const ahead = await attempt({
      ...form,
      'x-slack-request-timestamp': String(future),
      'x-slack-signature': slack.sign(future, body),
    });
    expect(ahead.status).toBe(401);

    const unsigned = await attempt(form);
    expect([unsigned.status, codeOf(unsigned.body)]).toEqual([401, 'slack_timestamp_invalid']);

    const state = await gateState(id);
    expect(state.status).toBe('activated');
    expect(state.decisions ?? []).toHaveLength(0);

    // A correctly signed copy at another timestamp is a new request and is accepted (once): the refusals
    // above were the signature's. The same body at the same timestamp is the same signature: a replay.
    const other = Number(accepted.request.headers['x-slack-request-timestamp']) - 2;
    const fresh = await attempt({
      ...form,
      'x-slack-request-timestamp': String(other),
      'x-slack-signature': slack.sign(other, body),
    });
    expect(fresh.status).toBe(200);
    const malformed = 'payload=%7Bnot-json';
    const bad = await attempt(
      { ...form, 'x-slack-request-timestamp': String(now), 'x-slack-signature': slack.sign(now, malformed) },
      malformed,
    );
    expect([bad.status, (bad.body as { detail?: string }).detail]).toEqual([400, 'body.payload: not valid JSON']);
  });

  it('refuses, with the reason in Slack, a person who may not approve', async () => {
    const id = await createGate();
    const message = await messageOf(id);
    const refusal = async (user: string) => {
      const viewId = await pressFor(user, message, 'isd_approve');
      const answer = await slack.submit(requestUrl, { user, viewId, values: { comment: 'lgtm' } });
      expect(answer.status).toBe(200);
      return (answer.body as { response_action: string; errors: { comment: string } }).errors?.comment;
    };
    expect(await refusal('U0OUT')).toMatch(/outsider@example\.com is not in any approver group/);
    expect(await refusal('U0ALICE')).toMatch(/triggered this execution .* does not allow self-approval/);
    expect(await refusal('U0NOMAIL')).toMatch(/not linked to a Spinnaker user/);
    const state = await gateState(id);
    expect(state.status).toBe('activated');
    expect(state.decisions ?? []).toHaveLength(0);
    expect(
      slack.calls
        .filter((entry) => entry.method === 'users.info')
        .every((entry) => entry.error !== 'invalid_arguments'),
    ).toBe(true);
  });

  it('reminds in the thread of the gate message, without a second set of buttons, and updates it on expiry', async () => {
    const id = await createGate();
    const message = await messageOf(id);
    const reminder = await eventually(
      async () => slack.messages.find((candidate) => candidate.threadTs === message.ts),
      20_000,
      'the reminder',
    );
    expect(reminder.text).toBe('Reminder: approval needed for shop / deploy');
    expect(buttonsOf(reminder)).toHaveLength(0);
    expect(slack.calls.find((entry) => entry.args.thread_ts === message.ts)?.args.reply_broadcast).toBe(true);

    const expiring = await createGate({ timeoutMs: 2_000 });
    const expiringMessage = await messageOf(expiring);
    await eventually(async () => (expiringMessage.text.startsWith('[EXPIRED]') ? true : undefined), 20_000);
    expect(buttonsOf(expiringMessage)).toHaveLength(0);
  });

  it('updates the message when the gate is rejected through Gate, or canceled', async () => {
    const rejected = await createGate();
    const canceled = await createGate();
    const [rejectedMessage, canceledMessage] = [await messageOf(rejected), await messageOf(canceled)];
    const decided = await call('POST', `/api/v1/approvals/${rejected}/decisions`, gateHeaders('rm2'), {
      action: 'reject',
      comment: 'error budget spent',
    });
    expect(decided.status).toBe(200);
    expect((await call('POST', `/api/v1/approvals/${canceled}/cancel`, serviceHeaders(), {})).status).toBe(200);
    await eventually(async () => (rejectedMessage.text.startsWith('[REJECTED]') ? true : undefined), 20_000);
    await eventually(async () => (canceledMessage.text.startsWith('[CANCELED]') ? true : undefined), 20_000);
    expect(buttonsOf(rejectedMessage)).toHaveLength(0);
    expect(JSON.stringify(rejectedMessage.blocks)).toContain('rejected by rm2');

    // A press on a stale copy of the message is refused in the modal: the gate is closed.
    const staleCopy = {
      ...rejectedMessage,
      blocks: [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'isd_approve',
              value: rejected,
              text: { type: 'plain_text', text: 'Approve…' },
            },
          ],
        },
      ],
    };
    const viewId = await pressFor('U0RM1', staleCopy, 'isd_approve');
    const late = await slack.submit(requestUrl, { user: 'U0RM1', viewId, values: {} });
    expect((late.body as { errors: { comment: string } }).errors.comment).toMatch(/already rejected/);
  });
});
