// Slack: an incoming-webhook message, or with a bot token a chat.postMessage that is updated in place
// (chat.update) when the gate is decided.
import { outboundRequest } from '@isd/kit';
import type { VisibilityConfig } from '../config';
import type { NotificationMessage } from './messages';

type SlackConfig = NonNullable<VisibilityConfig['notifications']['slack']>;

function blocks(message: NotificationMessage) {
  const text = [`*${message.subject}*`, ...message.lines].join('\n');
  return {
    text: message.subject,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } },
      ...(message.link
        ? [
            {
              type: 'actions',
              elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open approval' }, url: message.link }],
            },
          ]
        : []),
    ],
  };
}

const MAX_SLACK_RESPONSE_BYTES = 256 * 1024;

/** POSTs JSON to `path` under `base` through the kit's outbound client (the bot token never leaves Slack's base). */
async function post(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<unknown> {
  const response = await outboundRequest({
    base,
    path,
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
    timeoutMs,
    maxResponseBytes: MAX_SLACK_RESPONSE_BYTES,
    maxRedirects: 0,
  });
  if (response.status < 200 || response.status > 299)
    throw new Error(`Slack answered ${response.status}: ${response.text.slice(0, 200)}`);
  try {
    return JSON.parse(response.text) as unknown;
  } catch {
    return response.text;
  }
}

/** Sends (or, when `previous` is given and a bot token is configured, updates) a Slack message. */
export async function sendSlack(
  config: SlackConfig,
  message: NotificationMessage,
  previous: { channel: string; ts: string } | null,
  timeoutMs: number,
): Promise<{ channel: string; ts: string } | null> {
  if (config.botToken && config.channel) {
    const method = previous ? 'chat.update' : 'chat.postMessage';
    const body = {
      channel: previous?.channel ?? config.channel,
      ...(previous ? { ts: previous.ts } : {}),
      ...blocks(message),
    };
    const answer = (await post(
      config.apiUrl,
      method,
      body,
      { authorization: `Bearer ${config.botToken}` },
      timeoutMs,
    )) as {
      ok?: boolean;
      error?: string;
      channel?: string;
      ts?: string;
    };
    if (!answer || answer.ok !== true)
      throw new Error(`Slack ${method} failed: ${answer?.error ?? 'no ok in the answer'}`);
    return { channel: answer.channel ?? body.channel, ts: answer.ts ?? previous?.ts ?? '' };
  }
  if (!config.webhookUrl) throw new Error('Slack needs webhookUrl, or botToken and channel');
  await post(config.webhookUrl, '', blocks(message), {}, timeoutMs);
  return null;
}
