// Slack, as an attacker sees it.
// - Identity: with identityFromEmail local-part a Slack user is the part of their profile e-mail before @; a
//   guest or a Slack Connect user of another organisation (alice@partner.example) pressing Approve in the
//   shared channel was therefore the Spinnaker user alice, with alice's approver roles. The mapping now holds
//   only within notifications.slack.emailDomains, which local-part requires.
// - Text: what pipelines, approvers and evidence peers write reaches the bot's messages as mrkdwn, where
//   `<!channel>` pings everyone and `<https://x|Spinnaker>` is a link showing other text; it is escaped as
//   Slack's docs say.
import type { RunningService } from '@isd/kit';
import { visibilityService, visibilityConfigSchema, type VisibilityConfig } from '@isd/visibility';
import {
  createTestDatabase,
  eventually,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
import {
  buttonsOf,
  mrkdwnControls,
  mrkdwnTexts,
  startSlackHarness,
  type SlackHarness,
  type SlackMessage,
} from '../harness/slack';

jest.setTimeout(60_000);

const BOT_TOKEN = 'xoxb-test-bot-token';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const CHANNEL = 'C0DEPLOY';

let slack: SlackHarness;
let visibility: RunningService<VisibilityConfig>;
let requestUrl: string;

beforeAll(async () => {
  slack = await startSlackHarness({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    channels: [CHANNEL],
    users: [
      { id: 'U0ALICE', name: 'alice', email: 'alice@example.com' },
      // The same local part at a partner organisation, in the shared channel through Slack Connect.
      { id: 'U0MALLORY', name: 'alice', email: 'alice@partner.example', teamId: 'T0PARTNER' },
      { id: 'U0BOB', name: 'bob', email: 'bob@EXAMPLE.com' },
    ],
  });
  visibility = await startTestService(
    visibilityService,
    testServiceConfig(visibilityService, {
      databaseUrl: await createTestDatabase('visibility_slack_identity'),
      users: {
        alice: { roles: ['release-managers'], applications: { shop: ['READ', 'WRITE'] } },
        bob: { roles: ['release-managers'], applications: { shop: ['READ', 'WRITE'] } },
      },
      extra: {
        notifications: {
          slack: {
            botToken: BOT_TOKEN,
            channel: CHANNEL,
            apiUrl: slack.apiUrl,
            signingSecret: SIGNING_SECRET,
            identityFromEmail: 'local-part',
            emailDomains: ['Example.com'],
          },
          retryDelaySeconds: 1,
        },
      },
    }),
  );
  requestUrl = `${visibility.url}/api/v1/slack/interactions`;
});

afterAll(async () => {
  await visibility?.stop();
  await slack?.close();
});

async function createGate(overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await fetch(`${visibility.url}/api/v1/approvals`, {
    method: 'POST',
    headers: serviceHeaders(),
    body: JSON.stringify({
      application: 'shop',
      pipelineName: 'deploy',
      executionId: `exec-${Math.random().toString(36).slice(2)}`,
      stageId: 'stage-1',
      triggeredBy: 'carol',
      approverGroups: [{ name: 'release-managers', required: 1 }],
      timeoutMs: 3_600_000,
      ...overrides,
    }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

const gateOf = async (id: string) =>
  (await (await fetch(`${visibility.url}/api/v1/approvals/${id}`, { headers: serviceHeaders() })).json()) as {
    status: string;
    decisions: { user: string }[];
  };

function messageOf(id: string): Promise<SlackMessage> {
  return eventually(
    async () => slack.messages.find((message) => buttonsOf(message).some((button) => button.value === id)),
    20_000,
    `the Slack message of ${id}`,
  );
}

/** Presses Approve as `user` and submits the confirmation; returns Slack's answer to the submission. */
async function approveAs(user: string, message: SlackMessage) {
  const before = new Set(slack.views.keys());
  expect((await slack.press(requestUrl, { user, message, actionId: 'isd_approve' })).status).toBe(200);
  const viewId = [...slack.views.keys()].find((key) => !before.has(key));
  if (!viewId) throw new Error('no confirmation opened');
  return slack.submit(requestUrl, { user, viewId, values: { comment: 'lgtm' } });
}

describe('Slack identity from e-mail', () => {
  it('does not let alice@partner.example approve as alice; alice@example.com and bob@EXAMPLE.com are who they say', async () => {
    const id = await createGate();
    const message = await messageOf(id);
    const outsider = await approveAs('U0MALLORY', message);
    expect(outsider.status).toBe(200);
    expect(JSON.stringify(outsider.body)).toContain('not linked to a Spinnaker user');
    expect(await gateOf(id)).toMatchObject({ status: 'activated', decisions: [] });

    expect((await approveAs('U0ALICE', message)).status).toBe(200);
    expect(await gateOf(id)).toMatchObject({ status: 'approved', decisions: [{ user: 'alice' }] });

    const second = await createGate();
    expect((await approveAs('U0BOB', await messageOf(second))).status).toBe(200);
    expect(await gateOf(second)).toMatchObject({ status: 'approved', decisions: [{ user: 'bob' }] });
  });

  it('refuses local-part without emailDomains at start-up, naming the key', () => {
    const result = visibilityConfigSchema.safeParse({
      auth: { serviceToken: 'service-token-0123456789' },
      notifications: { slack: { botToken: 'xoxb-1', channel: 'C1', identityFromEmail: 'local-part' } },
    });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['notifications.slack.emailDomains']);
  });
});

describe('Slack message text', () => {
  it('shows pipeline names, instructions and comments as written: no broadcast, mention or disguised link', async () => {
    const hostile = '<!channel> sign in again at <https://evil.example/login|Spinnaker> & ask <@U0ALICE>';
    const id = await createGate({ pipelineName: 'deploy <!here>', instructions: hostile });
    const message = await messageOf(id);
    const shown = mrkdwnTexts(message);
    expect(shown.flatMap(mrkdwnControls)).toEqual([]);
    expect(shown.join('\n')).toContain(
      '&lt;!channel&gt; sign in again at &lt;https://evil.example/login|Spinnaker&gt; &amp; ask &lt;@U0ALICE&gt;',
    );

    // The confirmation modal names the pipeline too.
    const before = new Set(slack.views.keys());
    await slack.press(requestUrl, { user: 'U0ALICE', message, actionId: 'isd_reject' });
    const viewId = [...slack.views.keys()].find((key) => !before.has(key))!;
    const modal = slack.views.get(viewId)!.view;
    expect(mrkdwnTexts({ text: '', blocks: modal.blocks as unknown[] }).flatMap(mrkdwnControls)).toEqual([]);

    // An approver's comment is quoted in the outcome, which updates the message.
    const decided = await fetch(`${visibility.url}/api/v1/approvals/${id}/decisions`, {
      method: 'POST',
      headers: gateHeaders('alice'),
      body: JSON.stringify({ action: 'reject', comment: '<!everyone> <https://evil.example|approved>' }),
    });
    expect(decided.status).toBe(200);
    const updated = await eventually(
      async () => slack.messages.find((m) => m.ts === message.ts && m.updates > 0),
      20_000,
      'the outcome update',
    );
    expect(mrkdwnTexts(updated).join('\n')).toContain('&lt;!everyone&gt;');
    expect(mrkdwnTexts(updated).flatMap(mrkdwnControls)).toEqual([]);
  });
});
