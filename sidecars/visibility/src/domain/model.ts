// The approval gate's records, as the domain sees them (no I/O here).
import type { EvidenceRequest } from '../api/schemas';

/** Gate states; every state but `activated` is terminal. */
export type ApprovalStatus = 'activated' | 'approved' | 'rejected' | 'expired' | 'canceled';

/** The terminal states: once reached, nothing changes the gate. */
export const terminalStatuses: readonly ApprovalStatus[] = ['approved', 'rejected', 'expired', 'canceled'];

/** One approver group in the rules snapshot. */
export interface ApproverGroupRule {
  name: string;
  required: number;
}

/** Who may decide, snapshotted when the gate activates and never widened by a later request. */
export interface ApprovalRules {
  groups: ApproverGroupRule[];
  allowSelfApproval: boolean;
}

/** What an approver can do. */
export type DecisionAction = 'approve' | 'reject';

/** A recorded decision of one person. */
export interface Decision {
  user: string;
  action: DecisionAction;
  comment: string;
  /** The approver groups (of the snapshot) the user belonged to when deciding. */
  groups: string[];
  evidenceDigest: string | null;
  decidedAt: Date;
  /** A self-approval let through by the audited break-glass path. */
  breakGlass: boolean;
}

/** What one connector found, or why it could not. */
export interface EvidenceCard {
  connector: string;
  label?: string;
  status: 'pass' | 'fail' | 'warn' | 'info' | 'error';
  summary: string;
  error?: string;
  data: Record<string, unknown>;
  fetchedAt: string;
  durationMs: number;
}

/** Automatic decision settings from the payload. */
export interface AutoDecisionRequest {
  policyPath: string;
  mode: 'approve' | 'reject' | 'recommend';
}

/** What the policy said. */
export interface AutoDecisionResult {
  outcome: 'allow' | 'deny' | 'undefined' | 'error';
  decisionId: string | null;
  messages: string[];
  evaluatedAt: string;
}

/** A gate instance as stored. */
export interface Approval {
  id: string;
  executionId: string;
  stageId: string;
  attempt: number;
  application: string;
  pipelineName: string | null;
  pipelineId: string | null;
  triggeredBy: string | null;
  status: ApprovalStatus;
  version: number;
  rules: ApprovalRules;
  instructions: string;
  evidenceRequest: EvidenceRequest[];
  evidence: EvidenceCard[] | null;
  evidenceDigest: string | null;
  autoDecision: AutoDecisionRequest | null;
  autoResult: AutoDecisionResult | null;
  createdAt: Date;
  deadline: Date;
  closedAt: Date | null;
  decisions: Decision[];
}

/** How the actor of a transition proved who they are. */
export type AuthMethod = 'gate-user' | 'slack-signature' | 'service-token' | 'system' | 'policy';

/** Through what the actor acted. */
export type Channel = 'api' | 'slack' | 'email' | 'orca' | 'timer' | 'policy';

/** The actor of a transition, for the audit trail. */
export interface Actor {
  name: string;
  authMethod: AuthMethod;
  channel: Channel;
}
