// Turns a stored gate into the instance body for a given caller (canDecide is per user).
import type { Caller } from '@isd/kit';
import type { Approval } from '../domain/model';
import { checkDecision, evaluateQuorum } from '../domain/quorum';
import type { ApprovalInstanceBody } from './schemas';

/** The instance body Orca's monitor and Deck read. */
export function presentApproval(
  approval: Approval,
  caller: Caller,
  links: Record<string, string>,
  now: Date,
): ApprovalInstanceBody {
  const quorum = evaluateQuorum(approval.rules, approval.decisions);
  const open = approval.status === 'activated' && now.getTime() < approval.deadline.getTime();
  const may = (action: 'approve' | 'reject') =>
    open &&
    caller.kind === 'user' &&
    checkDecision(approval.rules, approval.triggeredBy, approval.decisions, caller.user, caller.roles, action) === null;
  return {
    id: approval.id,
    status: approval.status,
    application: approval.application,
    pipelineName: approval.pipelineName,
    pipelineId: approval.pipelineId,
    executionId: approval.executionId,
    stageId: approval.stageId,
    attempt: approval.attempt,
    triggeredBy: approval.triggeredBy,
    approverGroups: quorum.groups,
    allowSelfApproval: approval.rules.allowSelfApproval,
    decisions: approval.decisions.map((decision) => ({
      user: decision.user,
      action: decision.action,
      comment: decision.comment,
      at: decision.decidedAt.toISOString(),
      groups: decision.groups,
      evidenceDigest: decision.evidenceDigest,
      breakGlass: decision.breakGlass,
    })),
    evidenceStatus: approval.evidence || approval.evidenceRequest.length === 0 ? 'gathered' : 'pending',
    evidence: approval.evidence ?? [],
    evidenceDigest: approval.evidenceDigest,
    autoDecision: approval.autoDecision ? { ...approval.autoDecision, result: approval.autoResult } : null,
    instructions: approval.instructions,
    createdAt: approval.createdAt.toISOString(),
    deadline: approval.deadline.toISOString(),
    closedAt: approval.closedAt ? approval.closedAt.toISOString() : null,
    canDecide: may('reject') || may('approve'),
    canApprove: may('approve'),
    links,
  };
}
