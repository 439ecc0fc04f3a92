// Push webhooks of GitHub, GitLab and Bitbucket (Cloud and Data Center): the caller is proven by the
// shared secret — an HMAC-SHA256 of the exact body (GitHub `X-Hub-Signature-256`, Bitbucket
// `X-Hub-Signature`) or GitLab's `X-Gitlab-Token` — compared in constant time, before the body is read.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AuthenticationError, InputError } from '@isd/kit';

/** What a verified webhook said. */
export type WebhookEvent =
  | { kind: 'push'; provider: string; refs: string[]; commit: string | null }
  | { kind: 'ignored'; provider: string; reason: string };

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function equalSecrets(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkHmac(given: string | undefined, body: string, secret: string, headerName: string): void {
  if (!given)
    throw new AuthenticationError(
      `the webhook has no ${headerName} signature; set the webhook secret at the git host`,
      {
        code: 'webhook_signature_missing',
      },
    );
  const expected = `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
  if (!equalSecrets(given.trim().toLowerCase(), expected))
    throw new AuthenticationError(`the ${headerName} signature does not match the body and the configured secret`, {
      code: 'webhook_signature_invalid',
    });
}

function parse(body: string): Record<string, unknown> {
  try {
    const value = JSON.parse(body) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InputError('body: a push webhook body is a JSON object (set the content type to application/json)', {
    code: 'webhook_body_invalid',
    issues: [{ path: 'body', message: 'not a JSON object' }],
  });
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** Verifies the webhook's secret and reads which refs the push moved. */
export function readWebhook(headers: IncomingHttpHeaders, body: string, secret: string): WebhookEvent {
  const github = header(headers, 'x-github-event');
  if (github !== undefined) {
    checkHmac(header(headers, 'x-hub-signature-256'), body, secret, 'X-Hub-Signature-256');
    if (github !== 'push') return { kind: 'ignored', provider: 'github', reason: `event ${github}` };
    const payload = parse(body);
    if (payload.deleted === true) return { kind: 'ignored', provider: 'github', reason: 'a deleted ref' };
    return { kind: 'push', provider: 'github', refs: [text(payload.ref)].filter(isText), commit: text(payload.after) };
  }
  const gitlab = header(headers, 'x-gitlab-event');
  if (gitlab !== undefined) {
    const token = header(headers, 'x-gitlab-token');
    if (!token)
      throw new AuthenticationError('the webhook has no X-Gitlab-Token; set the secret token at GitLab', {
        code: 'webhook_signature_missing',
      });
    if (!equalSecrets(token, secret))
      throw new AuthenticationError('the X-Gitlab-Token does not match the configured secret', {
        code: 'webhook_signature_invalid',
      });
    if (gitlab !== 'Push Hook' && gitlab !== 'Tag Push Hook')
      return { kind: 'ignored', provider: 'gitlab', reason: `event ${gitlab}` };
    const payload = parse(body);
    return {
      kind: 'push',
      provider: 'gitlab',
      refs: [text(payload.ref)].filter(isText),
      commit: text(payload.checkout_sha) ?? text(payload.after),
    };
  }
  const bitbucket = header(headers, 'x-event-key');
  if (bitbucket !== undefined) {
    checkHmac(header(headers, 'x-hub-signature'), body, secret, 'X-Hub-Signature');
    const payload = parse(body);
    if (bitbucket === 'repo:push') {
      // Bitbucket Cloud: push.changes[].new = {type: branch|tag, name, target: {hash}}; new is null on delete.
      const changes = Array.isArray(record(payload.push).changes) ? (record(payload.push).changes as unknown[]) : [];
      const moved = changes.map((change) => record(record(change).new)).filter((target) => text(target.name));
      return {
        kind: 'push',
        provider: 'bitbucket-cloud',
        refs: moved.map((target) => `${target.type === 'tag' ? 'refs/tags' : 'refs/heads'}/${String(target.name)}`),
        commit: moved.length === 1 ? text(record(moved[0]!.target).hash) : null,
      };
    }
    if (bitbucket === 'repo:refs_changed') {
      // Bitbucket Data Center: changes[] = {ref: {id: refs/heads/main}, toHash, type: UPDATE|ADD|DELETE}.
      const changes = (Array.isArray(payload.changes) ? payload.changes : []).map(record);
      const moved = changes.filter((change) => change.type !== 'DELETE' && text(record(change.ref).id));
      return {
        kind: 'push',
        provider: 'bitbucket-server',
        refs: moved.map((change) => String(record(change.ref).id)),
        commit: moved.length === 1 ? text(moved[0]!.toHash) : null,
      };
    }
    return { kind: 'ignored', provider: 'bitbucket', reason: `event ${bitbucket}` };
  }
  throw new InputError(
    'headers: not a push webhook of GitHub (X-GitHub-Event), GitLab (X-Gitlab-Event) or Bitbucket (X-Event-Key)',
    { code: 'webhook_unknown', issues: [{ path: 'headers', message: 'no known webhook event header' }] },
  );
}

function isText(value: string | null): value is string {
  return value !== null;
}

/** True when a pushed ref (`refs/heads/main`, `refs/tags/v1`) is the configured branch or tag. */
export function refMatches(pushed: string, configured: string): boolean {
  return pushed === configured || pushed === `refs/heads/${configured}` || pushed === `refs/tags/${configured}`;
}
