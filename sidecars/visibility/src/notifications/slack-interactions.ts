// Decisions from Slack: a button press opens a confirmation modal; its submission decides the gate
// through the same ApprovalGate.decide as Gate, as the Spinnaker user the Slack user maps to. Every
// request is verified with the app's signing secret (v0 HMAC-SHA256 of `v0:{timestamp}:{body}`), must
// be recent, and is accepted once (its signature is remembered in Postgres).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller, Logger, PermissionResolver, Queryable, Reply } from '@isd/kit';
import { AuthenticationError, InputError, isIsdError } from '@isd/kit';
import { decisionRequestSchema } from '../api/schemas';
import type { ApprovalGate } from '../approvals';
import { callSlackApi, SLACK_ACTIONS, slackText, type SlackConfig } from './slack';

/** The callback id of the confirmation modal. */
export const DECISION_VIEW = 'isd_decision';
/** Block and action id of the modal's comment input. */
export const COMMENT_INPUT = 'comment';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Kept a little longer than the accepted age, so a replay inside the window always finds its row. */
const SIGNATURE_RETENTION_MS = 10 * 60 * 1000;

/** What the modal carries from the press to the submission (Slack keeps it; the request is signed). */
interface ModalState {
  approvalId: string;
  action: 'approve' | 'reject';
}

/** The dependencies of {@link SlackInteractions}. */
export interface SlackInteractionsOptions {
  config: SlackConfig;
  timeoutMs: number;
  gate: ApprovalGate;
  permissions: PermissionResolver;
  database: Queryable;
  logger: Logger;
  now?: () => Date;
}

/** Handles Slack's interactivity requests (the app's Request URL). */
export class SlackInteractions {
  private readonly now: () => Date;

  constructor(private readonly options: SlackInteractionsOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Verifies, then handles one request; a refused decision is answered inside Slack, not as an HTTP error. */
  async handle(headers: IncomingHttpHeaders, rawBody: string): Promise<Reply> {
    await this.verify(headers, rawBody);
    const payload = parsePayload(headers, rawBody);
    const teamId = this.options.config.teamId;
    if (teamId && payload.team?.id !== teamId)
      throw new AuthenticationError(`requests from Slack workspace ${String(payload.team?.id)} are not accepted`, {
        code: 'slack_team_not_accepted',
      });
    if (payload.type === 'block_actions') return this.pressed(payload);
    if (payload.type === 'view_submission' && payload.view?.callback_id === DECISION_VIEW)
      return this.submitted(payload);
    // Other interactions (a closed modal, the link button) need no answer.
    return { status: 200 };
  }

  /**
   * Slack's signature check: a recent timestamp, the HMAC of `v0:{ts}:{body}` with the signing secret,
   * and a signature not seen before (a replay inside the window is refused).
   */
  async verify(headers: IncomingHttpHeaders, rawBody: string): Promise<void> {
    checkSlackSignature(
      this.options.config.signingSecret,
      headers,
      rawBody,
      this.now(),
      this.options.config.signatureMaxAgeSeconds,
    );
    const signature = single(headers['x-slack-signature']) as string;
    const { database } = this.options;
    const now = this.now();
    await database.query('DELETE FROM slack_request_signatures WHERE seen_at < $1', [
      new Date(now.getTime() - SIGNATURE_RETENTION_MS),
    ]);
    const { rows } = await database.query(
      'INSERT INTO slack_request_signatures (signature, seen_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING signature',
      [signature, now],
    );
    if (rows.length === 0)
      throw new AuthenticationError('this Slack request was already received (replay)', {
        code: 'slack_request_replayed',
      });
  }

  /** A press on Approve or Reject opens the confirmation modal; nothing is decided yet. */
  private async pressed(payload: SlackPayload): Promise<Reply> {
    const action = payload.actions?.[0];
    const kind =
      action?.action_id === SLACK_ACTIONS.approve
        ? 'approve'
        : action?.action_id === SLACK_ACTIONS.reject
          ? 'reject'
          : null;
    if (!kind) return { status: 200 };
    if (typeof action?.value !== 'string' || !UUID.test(action.value))
      throw new InputError('payload.actions.0.value: an approval id (UUID)', { code: 'validation_failed' });
    if (typeof payload.trigger_id !== 'string')
      throw new InputError('payload.trigger_id: required to open the confirmation', { code: 'validation_failed' });
    const approval = await this.options.gate.peek(action.value.toLowerCase());
    const where = approval
      ? `${approval.application}${approval.pipelineName ? ` / ${approval.pipelineName}` : ''}`
      : 'this gate';
    const state: ModalState = { approvalId: action.value.toLowerCase(), action: kind };
    await callSlackApi(
      this.options.config,
      'views.open',
      {
        trigger_id: payload.trigger_id,
        view: {
          type: 'modal',
          callback_id: DECISION_VIEW,
          private_metadata: JSON.stringify(state),
          title: { type: 'plain_text', text: kind === 'approve' ? 'Approve gate' : 'Reject gate' },
          submit: { type: 'plain_text', text: kind === 'approve' ? 'Approve' : 'Reject' },
          close: { type: 'plain_text', text: 'Cancel' },
          blocks: [
            {
              type: 'section',
              text: {
                type: 'mrkdwn',
                text: `${kind === 'approve' ? 'Approve' : 'Reject'} the deployment of ${slackText(where)}?`,
              },
            },
            {
              type: 'input',
              block_id: COMMENT_INPUT,
              optional: kind === 'approve',
              label: { type: 'plain_text', text: kind === 'approve' ? 'Comment' : 'Reason (required)' },
              element: { type: 'plain_text_input', action_id: COMMENT_INPUT, multiline: true },
            },
          ],
        },
      },
      this.options.timeoutMs,
    );
    return { status: 200 };
  }

  /** The confirmed decision: decided exactly as through Gate, or refused with the reason shown in the modal. */
  private async submitted(payload: SlackPayload): Promise<Reply> {
    const state = modalState(payload.view?.private_metadata);
    const comment = payload.view?.state?.values?.[COMMENT_INPUT]?.[COMMENT_INPUT]?.value ?? '';
    const refuse = (message: string): Reply => ({
      status: 200,
      body: { response_action: 'errors', errors: { [COMMENT_INPUT]: message.slice(0, 1900) } },
    });
    const request = decisionRequestSchema.safeParse({ action: state.action, comment: comment ?? '' });
    if (!request.success) return refuse(request.error.issues[0]?.message ?? 'the decision is not valid');
    const slackUser = payload.user?.id;
    if (typeof slackUser !== 'string' || !/^[UW][A-Z0-9]+$/.test(slackUser))
      throw new InputError('payload.user.id: a Slack user id', { code: 'validation_failed' });
    try {
      const user = await this.spinnakerUser(slackUser);
      if (!user)
        return refuse(
          `Your Slack account (${slackUser}) is not linked to a Spinnaker user; ask an administrator to map it.`,
        );
      const permissions = await this.options.permissions.permissionsFor(user);
      const caller: Caller = { kind: 'user', user, roles: permissions.roles, permissions, via: 'slack' };
      await this.options.gate.decide(state.approvalId, caller, request.data);
      await this.options.gate.refreshSlack(state.approvalId);
      return { status: 200 };
    } catch (error) {
      // Client-side refusals (not an approver, self-approval, closed gate, Fiat down) are told to the person.
      if (isIsdError(error) && error.category !== 'InternalError') {
        this.options.logger.info({ err: error, slackUser, approvalId: state.approvalId }, 'Slack decision refused');
        return refuse(error.message);
      }
      throw error;
    }
  }

  /**
   * The Spinnaker user of a Slack user: the explicit mapping, else their profile e-mail (users.info) when it is
   * in one of `emailDomains` (any domain when unset, which only the full-address mode allows).
   */
  private async spinnakerUser(slackUser: string): Promise<string | null> {
    const { config, timeoutMs } = this.options;
    // The id was checked against Slack's id pattern, and only own keys count: never Object.prototype's.
    const mapped = Object.hasOwn(config.users, slackUser) ? config.users[slackUser] : undefined;
    if (mapped) return mapped;
    if (config.identityFromEmail === 'off') return null;
    let answer: { user?: { deleted?: boolean; is_bot?: boolean; profile?: { email?: unknown } } };
    try {
      answer = await callSlackApi(config, 'users.info', { user: slackUser }, timeoutMs);
    } catch (error) {
      if (/user_not_found|user_not_visible/.test((error as Error).message)) return null;
      throw error;
    }
    const email = answer.user?.profile?.email;
    if (answer.user?.deleted || answer.user?.is_bot || typeof email !== 'string') return null;
    const at = email.lastIndexOf('@');
    if (at <= 0) return null;
    const domain = email.slice(at + 1).toLowerCase();
    // A guest's or a Slack Connect user's address is in another domain: it names nobody here.
    if (config.emailDomains && !config.emailDomains.includes(domain)) return null;
    return config.identityFromEmail === 'local-part' ? email.slice(0, at) : email.toLowerCase();
  }
}

/**
 * Slack's v0 signature check (api.slack.com "Verifying requests from Slack"): the timestamp within
 * `maxAgeSeconds` of `now` either way, and `X-Slack-Signature` the HMAC-SHA256 of `v0:{ts}:{body}` keyed
 * by the signing secret, compared in constant time. Throws AuthenticationError naming what failed.
 */
export function checkSlackSignature(
  secret: string | undefined,
  headers: IncomingHttpHeaders,
  rawBody: string,
  now: Date,
  maxAgeSeconds: number,
): void {
  if (!secret) throw new AuthenticationError('Slack interactivity is not configured (signingSecret)');
  const timestamp = single(headers['x-slack-request-timestamp']);
  const signature = single(headers['x-slack-signature']);
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    throw new AuthenticationError('X-Slack-Request-Timestamp is missing or not a number', {
      code: 'slack_timestamp_invalid',
    });
  if (!signature || !/^v0=[0-9a-f]{64}$/.test(signature))
    throw new AuthenticationError('X-Slack-Signature is missing or not a v0 signature', {
      code: 'slack_signature_invalid',
    });
  const ageSeconds = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (ageSeconds > maxAgeSeconds)
    throw new AuthenticationError(
      `the Slack request timestamp is ${Math.round(ageSeconds)} s away from now (at most ${maxAgeSeconds})`,
      { code: 'slack_request_stale' },
    );
  const expected = createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature.slice(3), 'hex')))
    throw new AuthenticationError('the Slack signature does not match the request', {
      code: 'slack_signature_invalid',
    });
}

/** The parts of Slack's interaction payload this handler reads. */
interface SlackPayload {
  type?: string;
  team?: { id?: string };
  user?: { id?: string };
  trigger_id?: string;
  actions?: Array<{ action_id?: string; value?: string }>;
  view?: {
    callback_id?: string;
    private_metadata?: string;
    state?: { values?: Record<string, Record<string, { value?: string | null }>> };
  };
}

/** Slack posts `payload=<json>` form-encoded. */
function parsePayload(headers: IncomingHttpHeaders, rawBody: string): SlackPayload {
  const type = headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    throw new InputError(`a Slack interaction is form-encoded, not ${type ?? 'untyped'}`, {
      code: 'unsupported_media_type',
    });
  const text = new URLSearchParams(rawBody).get('payload');
  if (!text) throw new InputError('body.payload: required (the interaction JSON)', { code: 'validation_failed' });
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new InputError('body.payload: not valid JSON', { code: 'validation_failed' });
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload))
    throw new InputError('body.payload: must be a JSON object', { code: 'validation_failed' });
  return payload as SlackPayload;
}

function modalState(metadata: string | undefined): ModalState {
  try {
    const state = JSON.parse(metadata ?? '') as Partial<ModalState>;
    if (typeof state.approvalId === 'string' && UUID.test(state.approvalId))
      if (state.action === 'approve' || state.action === 'reject')
        return { approvalId: state.approvalId, action: state.action };
  } catch {
    // fall through to the error below
  }
  throw new InputError('payload.view.private_metadata: not a decision this service opened', {
    code: 'validation_failed',
  });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
