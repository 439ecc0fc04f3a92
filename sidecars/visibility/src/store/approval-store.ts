// What the gate logic needs from storage; the Postgres implementation is the only one.
import type { ApplicationScope } from '@isd/kit';
import type { EvidenceRequest } from '../api/schemas';
import type {
  Actor,
  Approval,
  ApprovalRules,
  ApprovalStatus,
  AutoDecisionRequest,
  AutoDecisionResult,
  Decision,
  EvidenceCard,
} from '../domain/model';

/** A new gate, as create writes it. */
export interface NewApproval {
  id: string;
  executionId: string;
  stageId: string;
  attempt: number;
  application: string;
  pipelineName: string | null;
  pipelineId: string | null;
  triggeredBy: string | null;
  rules: ApprovalRules;
  instructions: string;
  evidenceRequest: EvidenceRequest[];
  autoDecision: AutoDecisionRequest | null;
  createdAt: Date;
  deadline: Date;
}

/** Filters of the list query. */
export interface ApprovalFilter {
  status?: ApprovalStatus;
  application?: string;
  executionId?: string;
  /** Only gates one of these groups may decide, that `undecidedBy` has not decided yet. */
  groupsAnyOf?: string[];
  undecidedBy?: string;
  /** Only gates whose deadline is after this time. */
  deadlineAfter?: Date;
  /** Only gates of applications in `scope`, or that one of `groups` may decide (see `mayView`). */
  visibleTo?: { scope: Exclude<ApplicationScope, { all: true }>; groups: string[] };
  limit: number;
  offset: number;
}

/** One audit row. */
export interface AuditEntry {
  event: string;
  actor: Actor;
  fromStatus?: ApprovalStatus | null;
  toStatus?: ApprovalStatus | null;
  comment?: string | null;
  evidenceDigest?: string | null;
  details?: Record<string, unknown>;
}

/** Operations inside the transaction that holds one gate's row lock. */
export interface ApprovalTransaction {
  addDecision(decision: Decision): Promise<void>;
  /**
   * Compare-and-set: moves the gate from `activated` at `expectedVersion` to `to`, and audits it.
   * Returns false (and changes nothing) when the gate is no longer at that version and state.
   */
  transition(expectedVersion: number, to: ApprovalStatus, entry: AuditEntry): Promise<boolean>;
  /** Bumps the version (a decision that did not close the gate still changes it) and audits. */
  touch(expectedVersion: number, entry: AuditEntry): Promise<boolean>;
  setEvidence(cards: EvidenceCard[], digest: string): Promise<void>;
  setAutoResult(result: AutoDecisionResult): Promise<void>;
  audit(entry: AuditEntry): Promise<void>;
}

/** Storage of gates, decisions and the audit trail. */
export interface ApprovalStore {
  /** Inserts the gate, or returns the one already there for (executionId, stageId, attempt). */
  createOrGet(approval: NewApproval, actor: Actor): Promise<{ approval: Approval; created: boolean }>;
  get(id: string): Promise<Approval | null>;
  /** The highest attempt's gate for an execution's stage, or null. */
  latestFor(executionId: string, stageId: string): Promise<Approval | null>;
  list(filter: ApprovalFilter): Promise<Approval[]>;
  /** Runs `work` with the gate's row locked (null when there is no such gate); commits if it resolves. */
  withLock<T>(
    id: string,
    work: (approval: Approval | null, transaction: ApprovalTransaction) => Promise<T>,
  ): Promise<T>;
  /** Records that a gate's jobs (timer, evidence, notifications) are queued. */
  markJobsQueued(id: string): Promise<void>;
  /** Records that a closed gate's outcome notifications are queued. */
  markOutcomeQueued(id: string): Promise<void>;
  /** Ids of closed gates whose outcome notifications may not have been queued. */
  withOutcomePending(olderThanMs: number, limit: number): Promise<string[]>;
  /** Gates whose jobs may not have been queued (a crash between commit and queueing). */
  withJobsPending(olderThanMs: number, limit: number): Promise<Approval[]>;
  auditTrail(id: string): Promise<Array<AuditEntry & { at: Date }>>;
  slackMessage(id: string): Promise<{ channel: string; ts: string } | null>;
  saveSlackMessage(id: string, channel: string, ts: string): Promise<void>;
}
