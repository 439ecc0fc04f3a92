// Deciding from e-mail: each recipient's mail carries a single-use link. The link only opens a page (a
// GET never decides) that the user reaches through Gate, so they are logged in; the page's form POSTs the
// decision, which goes through the same ApprovalGate.decide as any decision through Gate. A link dies
// with its gate (closed or past its deadline) and after the one decision it led to.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller, Queryable, Reply } from '@isd/kit';
import { InputError, isIsdError } from '@isd/kit';
import { decisionRequestSchema } from '../api/schemas';
import type { ApprovalGate } from '../approvals';
import type { Approval } from '../domain/model';
import { evaluateQuorum } from '../domain/quorum';

/** Tokens are 32 random bytes, base64url: 43 characters. */
export const EMAIL_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A new single-use token for `recipient`'s mail about gate `approvalId`; only its hash is stored. */
export async function issueEmailLink(
  database: Queryable,
  approvalId: string,
  recipient: string,
  now: Date = new Date(),
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await database.query(
    'INSERT INTO email_links (token_hash, approval_id, recipient, created_at) VALUES ($1, $2, $3, $4)',
    [hashOf(token), approvalId, recipient, now],
  );
  return token;
}

/** Redeems e-mail decision links: the page, then the form's decision. */
export class EmailLinks {
  constructor(
    private readonly database: Queryable,
    private readonly gate: ApprovalGate,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The page a link lands on: the gate and a form to approve or reject. Nothing is decided here. */
  async page(token: string, caller: Caller): Promise<Reply> {
    const found = await this.usable(token, caller);
    if ('reply' in found) return found.reply;
    const { approval } = found;
    const quorum = evaluateQuorum(approval.rules, approval.decisions);
    const rows = [
      `Application: ${approval.application}${approval.pipelineName ? ` / ${approval.pipelineName}` : ''}`,
      `Execution: ${approval.executionId}, triggered by ${approval.triggeredBy ?? 'unknown'}`,
      `Approvals: ${quorum.groups.map((group) => `${group.name}: ${group.approvals} of ${group.required}`).join(', ')}`,
      `Expires: ${approval.deadline.toISOString()}`,
      ...(approval.instructions ? [approval.instructions] : []),
      ...(approval.evidence ?? []).map((card) => `${card.connector}: ${card.status} — ${card.summary}`),
    ];
    const user = caller.kind === 'user' ? caller.user : '';
    return html(
      200,
      'Approval',
      `<p>Signed in as <b>${escapeHtml(user)}</b>.</p><ul>${rows.map((row) => `<li>${escapeHtml(row)}</li>`).join('')}</ul>
<form method="post">
<label>Comment (required to reject)<br><textarea name="comment" rows="4" cols="60"></textarea></label><br>
<button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="reject">Reject</button>
</form>`,
    );
  }

  /**
   * The form's POST: claims the link (so two submissions cannot both use it), decides as the logged-in
   * user, and gives the link back when the decision was refused (nothing was decided with it).
   */
  async submit(token: string, caller: Caller, headers: IncomingHttpHeaders, rawBody: string): Promise<Reply> {
    const type = headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded')
      throw new InputError(`the decision form is form-encoded, not ${type ?? 'untyped'}`, {
        code: 'unsupported_media_type',
      });
    const form = new URLSearchParams(rawBody);
    const parsed = decisionRequestSchema.safeParse({ action: form.get('action'), comment: form.get('comment') ?? '' });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return html(400, 'Not decided', `<p>${escapeHtml(`${issue?.path.join('.') || 'form'}: ${issue?.message}`)}</p>`);
    }
    const found = await this.usable(token, caller);
    if ('reply' in found) return found.reply;
    const user = caller.kind === 'user' ? caller.user : '';
    const claimed = await this.database.query(
      'UPDATE email_links SET used_at = $2, used_by = $3 WHERE token_hash = $1 AND used_at IS NULL RETURNING approval_id',
      [hashOf(token), this.now(), user],
    );
    if (claimed.rows.length === 0) return html(410, 'Link used', '<p>This link was already used.</p>');
    try {
      const approval = await this.gate.decide(found.approval.id, caller, parsed.data, 'email');
      return html(
        200,
        'Decided',
        `<p>${escapeHtml(`You ${parsed.data.action === 'approve' ? 'approved' : 'rejected'}. The gate is ${approval.status}.`)}</p>`,
      );
    } catch (error) {
      await this.database.query('UPDATE email_links SET used_at = NULL, used_by = NULL WHERE token_hash = $1', [
        hashOf(token),
      ]);
      if (isIsdError(error) && error.category !== 'InternalError' && error.category !== 'UnavailableError')
        return html(error.status, 'Not decided', `<p>${escapeHtml(error.message)}</p>`);
      throw error;
    }
  }

  /** The link's gate when the link is known, unused and the gate still open; otherwise the page to show. */
  private async usable(token: string, caller: Caller): Promise<{ approval: Approval } | { reply: Reply }> {
    const { rows } = EMAIL_TOKEN_PATTERN.test(token)
      ? await this.database.query<{ approval_id: string; used_at: Date | null }>(
          'SELECT approval_id, used_at FROM email_links WHERE token_hash = $1',
          [hashOf(token)],
        )
      : { rows: [] };
    const link = rows[0];
    if (!link) return { reply: html(404, 'Unknown link', '<p>This approval link is not known.</p>') };
    if (link.used_at) return { reply: html(410, 'Link used', '<p>This link was already used.</p>') };
    let approval: Approval;
    try {
      approval = await this.gate.get(link.approval_id, caller);
    } catch (error) {
      if (isIsdError(error) && error.category === 'NotFoundError')
        return { reply: html(404, 'Unknown link', '<p>This approval link is not known.</p>') };
      throw error;
    }
    if (approval.status !== 'activated' || approval.deadline.getTime() <= this.now().getTime())
      return {
        reply: html(
          410,
          'Gate closed',
          `<p>${escapeHtml(`The gate is ${approval.status === 'activated' ? 'expired' : approval.status}; it can no longer be decided.`)}</p>`,
        ),
      };
    return { approval };
  }
}

function html(status: number, title: string, body: string): Reply {
  return {
    status,
    contentType: 'text/html; charset=utf-8',
    // The page holds a live link token: never cached, never framed.
    headers: {
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; form-action 'self'",
      'referrer-policy': 'no-referrer',
    },
    body: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  };
}
