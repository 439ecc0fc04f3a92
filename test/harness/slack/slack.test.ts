// The Slack harness itself: its signatures are Slack's (the documented worked example) and its Web API
// answers as Slack documents (HTTP 200 with ok:false and Slack's error codes).
import { startSlackHarness, type SlackHarness } from './slack';

const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';

let slack: SlackHarness;
beforeAll(async () => {
  slack = await startSlackHarness({
    botToken: 'xoxb-1',
    signingSecret: DOC_SECRET,
    channels: ['C1'],
    users: [{ id: 'U1', name: 'ann', email: 'ann@example.com' }],
  });
});
afterAll(() => slack.close());

async function api(method: string, init: { token?: string; json?: unknown; form?: Record<string, string> }) {
  const response = await fetch(`${slack.apiUrl}/${method}`, {
    method: 'POST',
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      'content-type': init.form ? 'application/x-www-form-urlencoded' : 'application/json; charset=utf-8',
    },
    body: init.form ? new URLSearchParams(init.form).toString() : JSON.stringify(init.json ?? {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

it("signs as Slack's documented example", () => {
  expect(slack.sign(1531420618, DOC_BODY)).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
});

it('answers auth failures and unknown objects with HTTP 200 and Slack error codes', async () => {
  expect(await api('chat.postMessage', { json: { channel: 'C1', text: 'x' } })).toEqual({
    status: 200,
    body: { ok: false, error: 'not_authed' },
  });
  expect((await api('chat.postMessage', { token: 'xoxb-2', json: { channel: 'C1', text: 'x' } })).body.error).toBe(
    'invalid_auth',
  );
  expect((await api('chat.postMessage', { token: 'xoxb-1', json: { channel: 'C9', text: 'x' } })).body.error).toBe(
    'channel_not_found',
  );
  expect(
    (await api('chat.update', { token: 'xoxb-1', json: { channel: 'C1', ts: '1.2', text: 'x' } })).body.error,
  ).toBe('message_not_found');
  expect((await api('users.info', { token: 'xoxb-1', form: { user: 'U9' } })).body.error).toBe('user_not_found');
  expect((await api('users.lookupByEmail', { token: 'xoxb-1', form: { email: 'x@y.z' } })).body.error).toBe(
    'users_not_found',
  );
  expect((await api('views.open', { token: 'xoxb-1', json: { trigger_id: '1.2', view: {} } })).body.error).toBe(
    'exchanged_trigger_id',
  );
});

it('reads users.* arguments from the form only, as Slack reads JSON only for write methods', async () => {
  const byForm = await api('users.lookupByEmail', { token: 'xoxb-1', form: { email: 'ANN@example.com' } });
  expect(byForm.body).toMatchObject({ ok: true, user: { id: 'U1', profile: { email: 'ann@example.com' } } });
  expect((await api('users.info', { token: 'xoxb-1', json: { user: 'U1' } })).body.ok).toBe(false);
  const posted = await api('chat.postMessage', { token: 'xoxb-1', json: { channel: 'C1', text: 'hello' } });
  expect(posted.body).toMatchObject({ ok: true, channel: 'C1' });
  const updated = await api('chat.update', {
    token: 'xoxb-1',
    json: { channel: 'C1', ts: posted.body.ts, text: 'bye' },
  });
  expect(updated.body).toMatchObject({ ok: true, ts: posted.body.ts, text: 'bye' });
  expect(slack.messages.at(-1)).toMatchObject({ text: 'bye', updates: 1 });
});
