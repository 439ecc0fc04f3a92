// The text of gate notifications, shared by Slack and email.
import type { Approval } from '../domain/model';
import { evaluateQuorum } from '../domain/quorum';

/** Which moment a notification is about. */
export type NotificationEvent = 'activated' | 'reminder' | 'outcome';

/** A channel-neutral notification. */
export interface NotificationMessage {
  subject: string;
  lines: string[];
  link: string | null;
  /** Set while the gate is open: channels that can take a decision (Slack buttons) offer it for this gate. */
  decide?: { approvalId: string };
}

/** Builds the message for one event of one gate. */
export function notificationMessage(
  approval: Approval,
  event: NotificationEvent,
  link: string | null,
): NotificationMessage {
  const where = `${approval.application}${approval.pipelineName ? ` / ${approval.pipelineName}` : ''}`;
  const quorum = evaluateQuorum(approval.rules, approval.decisions);
  const groups = quorum.groups.map((group) => `${group.name}: ${group.approvals} of ${group.required}`).join(', ');
  const evidence = (approval.evidence ?? []).map((card) => `${card.connector}: ${card.status} — ${card.summary}`);
  if (event === 'outcome') {
    const last = approval.decisions[approval.decisions.length - 1];
    const by =
      approval.status === 'expired'
        ? 'no decision before the deadline'
        : approval.status === 'canceled'
          ? 'the execution was canceled'
          : last
            ? `${last.action === 'approve' ? 'approved' : 'rejected'} by ${last.user}${last.comment ? `: “${last.comment}”` : ''}`
            : 'decided by policy';
    return {
      subject: `[${approval.status.toUpperCase()}] approval for ${where}`,
      lines: [`The gate is ${approval.status}: ${by}.`, `Approvals: ${groups}`],
      link,
    };
  }
  const prefix = event === 'reminder' ? 'Reminder: approval' : 'Approval';
  return {
    subject: `${prefix} needed for ${where}`,
    lines: [
      `${prefix} needed for ${where} (execution ${approval.executionId}), triggered by ${approval.triggeredBy ?? 'unknown'}.`,
      `Approvals: ${groups}`,
      `Expires ${approval.deadline.toISOString()}.`,
      ...(approval.instructions ? [approval.instructions] : []),
      ...evidence,
    ],
    link,
    decide: { approvalId: approval.id },
  };
}
