// Slack contract harness, written from Slack's API documentation (api.slack.com): the Web API methods
// visibility calls (chat.postMessage, chat.update, users.info, users.lookupByEmail, views.open) with
// Slack's answers and error codes, and Slack's side of interactivity: signed, form-encoded `payload=`
// requests for a button press (block_actions) and a modal submission (view_submission).
//
// What it holds to, from the docs:
// - every method answers HTTP 200 with `{ok: false, error}` on failure; no token → `not_authed`, a wrong
//   one → `invalid_auth`;
// - JSON bodies are read only by write methods (chat.*, views.*); read methods (users.*) take form or
//   query arguments, so their JSON arguments are not seen;
// - trigger ids are single use (`exchanged_trigger_id`) and belong to the press that issued them;
// - interactivity requests carry `X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=<hex HMAC-SHA256
//   of "v0:{timestamp}:{body}" keyed by the signing secret>`; the body is `payload=<url-encoded JSON>`;
// - a modal's `private_metadata` and `callback_id` come back in view_submission as the app set them,
//   with the person's input under `view.state.values[block_id][action_id].value`;
// - in a Slack Connect channel a user of another organisation presses buttons too: `team` is the workspace
//   the interaction came from, `user.team_id` (and users.info's `team_id`) the user's own.
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Slack user of the workspace. */
export interface SlackUser {
  id: string;
  name: string;
  email?: string;
  deleted?: boolean;
  isBot?: boolean;
  /** Their home workspace when it is not the harness's (a Slack Connect user of another organisation). */
  teamId?: string;
}

/** One message in a channel, as last posted or updated. */
export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  updates: number;
  /** The parent message's ts when posted as a thread reply. */
  threadTs?: string;
}

/** A recorded Web API call. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  error: string | null;
}

/** The answer the app's Request URL gave to an interaction. */
export interface InteractionResponse {
  status: number;
  body: unknown;
  /** The exact request sent, so a test can replay or tamper with it. */
  request: { headers: Record<string, string>; body: string };
}

/** Options of {@link startSlackHarness}. */
export interface SlackHarnessOptions {
  botToken: string;
  signingSecret: string;
  teamId?: string;
  users: SlackUser[];
  channels: string[];
  /** Seconds since the epoch used for request timestamps (default: the real clock). */
  clockSeconds?: () => number;
}

/** A running harness. */
export interface SlackHarness {
  /** Web API base URL (`.../api`), what `notifications.slack.apiUrl` is set to. */
  apiUrl: string;
  calls: SlackCall[];
  messages: SlackMessage[];
  /** Modals opened through views.open, by view id. */
  views: Map<string, { user: string; view: Record<string, unknown> }>;
  /** A person presses a button of a message: Slack posts a signed block_actions payload to `requestUrl`. */
  press(
    requestUrl: string,
    options: { user: string; message: SlackMessage; actionId: string },
  ): Promise<InteractionResponse>;
  /** A person submits an open modal with `values` (block id → text): a signed view_submission. */
  submit(
    requestUrl: string,
    options: { user: string; viewId: string; values: Record<string, string> },
  ): Promise<InteractionResponse>;
  /** Sends a raw request to the Request URL (for replays and forgeries). */
  send(requestUrl: string, request: { headers: Record<string, string>; body: string }): Promise<InteractionResponse>;
  /** Signs `body` with the signing secret at `timestamp`, as Slack does. */
  sign(timestamp: number, body: string, secret?: string): string;
  close(): Promise<void>;
}

const WRITE_METHODS = new Set(['chat.postMessage', 'chat.update', 'views.open']);
const READ_METHODS = new Set(['users.info', 'users.lookupByEmail']);

/** Starts the harness on 127.0.0.1. */
export async function startSlackHarness(options: SlackHarnessOptions): Promise<SlackHarness> {
  const teamId = options.teamId ?? 'T0001';
  const clock = options.clockSeconds ?? (() => Math.floor(Date.now() / 1000));
  const calls: SlackCall[] = [];
  const messages: SlackMessage[] = [];
  const views = new Map<string, { user: string; view: Record<string, unknown> }>();
  /** Trigger ids issued by presses and not yet used: id → the user who pressed. */
  const triggers = new Map<string, string>();
  let sequence = 0;

  const userById = (id: string) => options.users.find((user) => user.id === id);
  const userJson = (user: SlackUser) => ({
    id: user.id,
    team_id: user.teamId ?? teamId,
    name: user.name,
    deleted: user.deleted ?? false,
    is_bot: user.isBot ?? false,
    profile: { real_name: user.name, display_name: user.name, ...(user.email ? { email: user.email } : {}) },
  });

  const methods: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
    'chat.postMessage': (args) => {
      const channel = String(args.channel ?? '');
      if (!options.channels.includes(channel)) return { ok: false, error: 'channel_not_found' };
      if (!args.text && !args.blocks) return { ok: false, error: 'no_text' };
      const blocksError = checkBlocks(args.blocks);
      if (blocksError) return { ok: false, error: 'invalid_blocks', errors: [blocksError] };
      const ts = `${clock()}.${String(++sequence).padStart(6, '0')}`;
      const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
      const message: SlackMessage = {
        channel,
        ts,
        text: String(args.text ?? ''),
        blocks: (args.blocks as unknown[]) ?? [],
        updates: 0,
        ...(threadTs ? { threadTs } : {}),
      };
      messages.push(message);
      return { ok: true, channel, ts, message: { text: message.text, blocks: message.blocks, ts } };
    },
    'chat.update': (args) => {
      const channel = String(args.channel ?? '');
      if (!options.channels.includes(channel)) return { ok: false, error: 'channel_not_found' };
      const message = messages.find((candidate) => candidate.channel === channel && candidate.ts === args.ts);
      if (!message) return { ok: false, error: 'message_not_found' };
      const blocksError = checkBlocks(args.blocks);
      if (blocksError) return { ok: false, error: 'invalid_blocks', errors: [blocksError] };
      message.text = String(args.text ?? '');
      message.blocks = (args.blocks as unknown[]) ?? [];
      message.updates += 1;
      return { ok: true, channel, ts: message.ts, text: message.text };
    },
    'users.info': (args) => {
      const user = userById(String(args.user ?? ''));
      return user ? { ok: true, user: userJson(user) } : { ok: false, error: 'user_not_found' };
    },
    'users.lookupByEmail': (args) => {
      const email = String(args.email ?? '').toLowerCase();
      const user = options.users.find((candidate) => candidate.email?.toLowerCase() === email);
      return user ? { ok: true, user: userJson(user) } : { ok: false, error: 'users_not_found' };
    },
    'views.open': (args) => {
      const trigger = String(args.trigger_id ?? '');
      const user = triggers.get(trigger);
      if (!trigger) return { ok: false, error: 'invalid_arguments' };
      if (user === undefined) return { ok: false, error: 'exchanged_trigger_id' };
      triggers.delete(trigger);
      const view = args.view as Record<string, unknown> | undefined;
      const viewError = checkModal(view);
      if (viewError || !view)
        return { ok: false, error: 'invalid_arguments', response_metadata: { messages: [viewError] } };
      const id = `V${String(++sequence).padStart(8, '0')}`;
      views.set(id, { user, view });
      return { ok: true, view: { ...view, id, team_id: teamId } };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://slack.invalid');
      const method = url.pathname.replace(/^\/api\//, '');
      const answer = (value: Record<string, unknown>, status = 200) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(value));
      };
      const handler = methods[method];
      if (!url.pathname.startsWith('/api/') || !handler) return answer({ ok: false, error: 'unknown_method' }, 404);
      const args: Record<string, unknown> = Object.fromEntries(url.searchParams);
      const type = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
      if (type === 'application/x-www-form-urlencoded')
        Object.assign(args, Object.fromEntries(new URLSearchParams(body)));
      else if (type === 'application/json' && WRITE_METHODS.has(method)) {
        try {
          Object.assign(args, JSON.parse(body) as Record<string, unknown>);
        } catch {
          return answer({ ok: false, error: 'invalid_json' });
        }
      }
      // Read methods ignore a JSON body, as Slack does.
      if (type === 'application/json' && READ_METHODS.has(method) && Object.keys(args).length === 0) {
        const result = { ok: false, error: 'invalid_arguments' };
        calls.push({ method, args, error: result.error });
        return answer(result);
      }
      const authorization = req.headers.authorization;
      const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? (args.token as string | undefined);
      const result = !token
        ? { ok: false, error: 'not_authed' }
        : token !== options.botToken
          ? { ok: false, error: 'invalid_auth' }
          : handler(args);
      calls.push({ method, args, error: result.ok === true ? null : String(result.error) });
      answer(result);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sign = (timestamp: number, body: string, secret = options.signingSecret) =>
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

  const send = async (requestUrl: string, request: { headers: Record<string, string>; body: string }) => {
    const response = await fetch(requestUrl, { method: 'POST', headers: request.headers, body: request.body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text
    }
    return { status: response.status, body: parsed, request };
  };

  const signed = (payload: Record<string, unknown>) => {
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const timestamp = clock();
    return {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': sign(timestamp, body),
      },
      body,
    };
  };

  const userRef = (id: string) => {
    const user = userById(id);
    if (!user) throw new Error(`the harness has no Slack user ${id}`);
    return { id: user.id, username: user.name, name: user.name, team_id: user.teamId ?? teamId };
  };

  return {
    apiUrl: `${base}/api`,
    calls,
    messages,
    views,
    sign,
    send,
    async press(requestUrl, { user, message, actionId }) {
      const button = buttonsOf(message).find((element) => element.action_id === actionId);
      if (!button) throw new Error(`message ${message.ts} has no button ${actionId}`);
      const triggerId = `${++sequence}.${randomBytes(6).toString('hex')}`;
      triggers.set(triggerId, user);
      return send(
        requestUrl,
        signed({
          type: 'block_actions',
          team: { id: teamId, domain: 'example' },
          user: userRef(user),
          api_app_id: 'A0001',
          container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
          trigger_id: triggerId,
          channel: { id: message.channel, name: 'deployments' },
          message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks },
          response_url: `${base}/actions/${message.ts}`,
          actions: [
            {
              type: 'button',
              action_id: button.action_id,
              block_id: 'actions',
              value: button.value,
              text: button.text,
              action_ts: `${clock()}.000001`,
            },
          ],
        }),
      );
    },
    async submit(requestUrl, { user, viewId, values }) {
      const opened = views.get(viewId);
      if (!opened) throw new Error(`no open view ${viewId}`);
      if (opened.user !== user) throw new Error(`view ${viewId} was opened for ${opened.user}, not ${user}`);
      const inputs = ((opened.view.blocks as Array<Record<string, unknown>>) ?? []).filter(
        (block) => block.type === 'input',
      );
      const state: Record<string, Record<string, { type: string; value: string | null }>> = {};
      for (const block of inputs) {
        const element = block.element as { action_id: string; type: string };
        state[String(block.block_id)] = {
          [element.action_id]: { type: element.type, value: values[String(block.block_id)] ?? null },
        };
      }
      return send(
        requestUrl,
        signed({
          type: 'view_submission',
          team: { id: teamId, domain: 'example' },
          user: userRef(user),
          api_app_id: 'A0001',
          trigger_id: `${++sequence}.${randomBytes(6).toString('hex')}`,
          view: {
            ...opened.view,
            id: viewId,
            team_id: teamId,
            state: { values: state },
            hash: randomBytes(4).toString('hex'),
          },
          response_urls: [],
        }),
      );
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The buttons with an action id in a message's actions blocks. */
export function buttonsOf(message: SlackMessage): Array<{ action_id: string; value?: string; text: unknown }> {
  return (message.blocks as Array<{ type?: string; elements?: Array<Record<string, unknown>> }>)
    .filter((block) => block.type === 'actions')
    .flatMap((block) => block.elements ?? [])
    .filter((element) => element.type === 'button' && typeof element.action_id === 'string')
    .map((element) => ({
      action_id: String(element.action_id),
      value: element.value as string | undefined,
      text: element.text,
    }));
}

/** Block Kit limits from the reference that an app can break: block count, button text, value and id lengths. */
function checkBlocks(blocks: unknown): string | null {
  if (blocks === undefined) return null;
  if (!Array.isArray(blocks) || blocks.length > 50) return 'blocks must be an array of at most 50';
  for (const block of blocks as Array<{
    type?: string;
    elements?: Array<Record<string, unknown>>;
    text?: { text?: string };
  }>) {
    if (block.type === 'section' && (block.text?.text?.length ?? 0) > 3000) return 'section text longer than 3000';
    for (const element of block.elements ?? []) {
      if (element.type !== 'button') continue;
      const text = (element.text as { text?: string } | undefined)?.text ?? '';
      if (text.length === 0 || text.length > 75) return 'button text must be 1-75 characters';
      if (typeof element.value === 'string' && element.value.length > 2000) return 'button value longer than 2000';
      if (typeof element.action_id === 'string' && element.action_id.length > 255) return 'action_id longer than 255';
    }
  }
  return null;
}

/** Modal view limits: type, title and button texts up to 24 characters, private_metadata up to 3000. */
function checkModal(view: Record<string, unknown> | undefined): string | null {
  if (!view || view.type !== 'modal') return 'view.type must be modal';
  const textOf = (value: unknown) => (value as { text?: string } | undefined)?.text ?? '';
  if (!textOf(view.title) || textOf(view.title).length > 24) return 'view.title must be 1-24 characters';
  for (const key of ['submit', 'close'])
    if (view[key] !== undefined && textOf(view[key]).length > 24) return `view.${key} longer than 24`;
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000)
    return 'private_metadata longer than 3000';
  const blocks = view.blocks as Array<{ type?: string }> | undefined;
  if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > 100) return 'view.blocks must hold 1-100 blocks';
  if (blocks.some((block) => block.type === 'input') && view.submit === undefined)
    return 'a modal with input blocks needs submit';
  return null;
}

/**
 * The control sequences Slack acts on in mrkdwn text ("Formatting text for app surfaces"): `<!channel>`,
 * `<!here>`, `<!everyone>`, `<!subteam^…>`, `<@U…>`, `<#C…>` and links `<url|label>`. Text escaped as the
 * docs say (`&lt;`, `&gt;`, `&amp;`) holds none.
 */
export function mrkdwnControls(text: string): string[] {
  return [...text.matchAll(/<([^<>]+)>/g)].map((match) => match[1]!);
}

/** Every mrkdwn text of a message's blocks and its top-level text (which Slack formats as mrkdwn too). */
export function mrkdwnTexts(message: Pick<SlackMessage, 'text' | 'blocks'>): string[] {
  const texts = [message.text];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const object = value as Record<string, unknown>;
      if (object.type === 'mrkdwn' && typeof object.text === 'string') texts.push(object.text);
      Object.values(object).forEach(visit);
    }
  };
  visit(message.blocks);
  return texts;
}
