// Slack: an incoming-webhook message, or with a bot token a chat.postMessage that is updated in place
// (chat.update) when the gate is decided.
import { outboundRequest, parsePeerJson } from '@isd/kit';
import type { VisibilityConfig } from '../config';
import type { NotificationMessage } from './messages';

export type SlackConfig = NonNullable<VisibilityConfig['notifications']['slack']>;

/** Action ids of the decision buttons; the button value is the approval id. */
export const SLACK_ACTIONS = { approve: 'isd_approve', reject: 'isd_reject' } as const;

/** Whether presses can be received and verified: buttons are shown only then. */
export function slackInteractive(config: SlackConfig): boolean {
  return Boolean(config.signingSecret && config.botToken && config.channel);
}

/**
 * Text for a Slack mrkdwn field, shown as written. Slack reads `<…>` as control sequences (`<!channel>` pings
 * everyone, `<https://x|Approve>` is a link that shows other text) and `&` as the start of an escape, so its
 * docs ("Escaping text") have the app replace exactly these three. Gate text comes from pipelines, approvers'
 * comments and evidence peers (commit messages, issue titles): without this, any of them could post a
 * broadcast or a disguised link in the bot's name.
 */
export function slackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function blocks(message: NotificationMessage, interactive: boolean) {
  const text = [`*${slackText(message.subject)}*`, ...message.lines.map(slackText)].join('\n');
  const elements = [
    ...(interactive && message.decide
      ? [
          {
            type: 'button',
            style: 'primary',
            action_id: SLACK_ACTIONS.approve,
            text: { type: 'plain_text', text: 'Approve…' },
            value: message.decide.approvalId,
          },
          {
            type: 'button',
            style: 'danger',
            action_id: SLACK_ACTIONS.reject,
            text: { type: 'plain_text', text: 'Reject…' },
            value: message.decide.approvalId,
          },
        ]
      : []),
    ...(message.link
      ? [{ type: 'button', text: { type: 'plain_text', text: 'Open approval' }, url: message.link }]
      : []),
  ];
  return {
    text: slackText(message.subject),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } },
      ...(elements.length ? [{ type: 'actions', elements }] : []),
    ],
  };
}

const MAX_SLACK_RESPONSE_BYTES = 256 * 1024;

/** POSTs to `path` under `base` through the kit's outbound client (the bot token never leaves Slack's base). */
async function post(
  base: string,
  path: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<unknown> {
  const response = await outboundRequest({
    base,
    path,
    method: 'POST',
    headers,
    body,
    timeoutMs,
    maxResponseBytes: MAX_SLACK_RESPONSE_BYTES,
    maxRedirects: 0,
  });
  if (response.status < 200 || response.status > 299)
    throw new Error(`Slack answered ${response.status}: ${response.text.slice(0, 200)}`);
  try {
    return parsePeerJson(response.text);
  } catch {
    return response.text;
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';
const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * Calls a Slack Web API method with the bot token; an answer without `ok: true` throws naming Slack's
 * error. Read methods (users.*) take form arguments: Slack reads JSON bodies only for write methods.
 */
export async function callSlackApi<Answer extends object>(
  config: SlackConfig,
  method: string,
  args: Record<string, unknown>,
  timeoutMs: number,
): Promise<Answer & { ok: true }> {
  if (!config.botToken) throw new Error(`Slack ${method} needs notifications.slack.botToken`);
  const form = method.startsWith('users.');
  const body = form
    ? new URLSearchParams(Object.entries(args).map(([key, value]): [string, string] => [key, String(value)])).toString()
    : JSON.stringify(args);
  const answer = (await post(
    config.apiUrl,
    method,
    body,
    { 'content-type': form ? FORM_TYPE : JSON_TYPE, authorization: `Bearer ${config.botToken}` },
    timeoutMs,
  )) as { ok?: unknown; error?: unknown } | null;
  if (!answer || typeof answer !== 'object' || answer.ok !== true)
    throw new Error(
      `Slack ${method} failed: ${typeof answer?.error === 'string' ? answer.error : 'no ok in the answer'}`,
    );
  return answer as Answer & { ok: true };
}

/**
 * Sends (or, when `previous` is given and a bot token is configured, updates) a Slack message; with
 * `thread`, the message is a reply in that message's thread, also shown in the channel.
 */
export async function sendSlack(
  config: SlackConfig,
  message: NotificationMessage,
  previous: { channel: string; ts: string } | null,
  timeoutMs: number,
  thread?: { channel: string; ts: string },
): Promise<{ channel: string; ts: string } | null> {
  if (config.botToken && config.channel) {
    const method = previous ? 'chat.update' : 'chat.postMessage';
    const channel = previous?.channel ?? thread?.channel ?? config.channel;
    const answer = await callSlackApi<{ channel?: string; ts?: string }>(
      config,
      method,
      {
        channel,
        ...(previous ? { ts: previous.ts } : {}),
        ...(thread ? { thread_ts: thread.ts, reply_broadcast: true } : {}),
        ...blocks(message, slackInteractive(config)),
      },
      timeoutMs,
    );
    return { channel: answer.channel ?? channel, ts: answer.ts ?? previous?.ts ?? '' };
  }
  if (!config.webhookUrl) throw new Error('Slack needs webhookUrl, or botToken and channel');
  await post(config.webhookUrl, '', JSON.stringify(blocks(message, false)), { 'content-type': JSON_TYPE }, timeoutMs);
  return null;
}
