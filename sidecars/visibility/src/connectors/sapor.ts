// Automatic decisions: sapor's OPA-compatible `POST /v1/data/{path}` over the gathered evidence.
import type { VisibilityConfig } from '../config';
import type { Approval, AutoDecisionResult } from '../domain/model';
import { asArray, asRecord, asString, fetchJson } from './http-json';

/** What the policy sees: the gate (from the service's own records) and the evidence keyed by connector. */
export interface PolicyInput {
  approval: {
    id: string;
    application: string;
    pipelineName: string | null;
    executionId: string;
    stageId: string;
    triggeredBy: string | null;
  };
  evidence: Record<string, Array<Record<string, unknown>>>;
}

/**
 * Reads an OPA result: a boolean is allow/deny; an object's `deny` (strings or `{msg}`) denies and its
 * `allow` decides when present; an undefined document decides nothing.
 */
export function interpretPolicyResult(body: unknown): Pick<AutoDecisionResult, 'outcome' | 'decisionId' | 'messages'> {
  const record = asRecord(body);
  const decisionId = asString(record.decision_id) ?? null;
  if (!('result' in record) || record.result === undefined)
    return { outcome: 'undefined', decisionId, messages: ['the policy document is undefined'] };
  const result = record.result;
  if (typeof result === 'boolean') return { outcome: result ? 'allow' : 'deny', decisionId, messages: [] };
  const object = asRecord(result);
  const denies = asArray(object.deny)
    .map((item) => (typeof item === 'string' ? item : (asString(asRecord(item).msg) ?? JSON.stringify(item))))
    .slice(0, 50);
  const messages = [
    ...denies,
    ...asArray(object.messages)
      .filter((item): item is string => typeof item === 'string')
      .slice(0, 50),
  ];
  if (typeof object.allow === 'boolean')
    return { outcome: object.allow && denies.length === 0 ? 'allow' : 'deny', decisionId, messages };
  if ('deny' in object) return { outcome: denies.length ? 'deny' : 'allow', decisionId, messages };
  return { outcome: 'undefined', decisionId, messages: ['the policy result has neither allow nor deny'] };
}

/** Evaluates the policy; an unreachable or failing sapor gives outcome `error` with its message. */
export async function evaluatePolicy(
  sapor: NonNullable<VisibilityConfig['sapor']>,
  policyPath: string,
  input: PolicyInput,
  now: () => Date = () => new Date(),
): Promise<AutoDecisionResult> {
  try {
    const body = await fetchJson(sapor.url, `v1/data/${policyPath}`, {
      method: 'POST',
      body: { input },
      headers: sapor.token ? { 'x-isd-service-token': sapor.token } : {},
      signal: AbortSignal.timeout(sapor.timeoutMs),
      maxResponseBytes: 1024 * 1024,
    });
    return { ...interpretPolicyResult(body), evaluatedAt: now().toISOString() };
  } catch (error) {
    return {
      outcome: 'error',
      decisionId: null,
      messages: [(error as Error).message],
      evaluatedAt: now().toISOString(),
    };
  }
}

/**
 * Appends a closed gate's outcome to the audit trail in sapor (`POST /api/v1/audit/records`, idempotent
 * on the key `approval:{id}`, so a retried job is one record). Throws when sapor refuses or is down: the
 * job queue retries.
 */
export async function appendApprovalAudit(
  sapor: NonNullable<VisibilityConfig['sapor']>,
  approval: Approval,
): Promise<void> {
  if (!approval.closedAt || approval.status === 'activated') return;
  const last = approval.decisions.at(-1);
  const decidedByPeople = approval.status === 'approved' || approval.status === 'rejected';
  await fetchJson(sapor.url, 'api/v1/audit/records', {
    method: 'POST',
    body: {
      source: 'visibility',
      key: `approval:${approval.id}`,
      type: 'approval',
      outcome: approval.status,
      application: approval.application,
      actor: decidedByPeople && last ? last.user : approval.status === 'canceled' ? 'orca' : 'visibility',
      occurredAt: approval.closedAt.toISOString(),
      subject: {
        approvalId: approval.id,
        executionId: approval.executionId,
        stageId: approval.stageId,
        pipelineName: approval.pipelineName,
        triggeredBy: approval.triggeredBy,
      },
      details: {
        waitMs: approval.closedAt.getTime() - approval.createdAt.getTime(),
        evidenceDigest: approval.evidenceDigest,
        decisions: approval.decisions.map((decision) => ({
          user: decision.user,
          action: decision.action,
          comment: decision.comment,
          decidedAt: decision.decidedAt.toISOString(),
          breakGlass: decision.breakGlass,
        })),
        ...(approval.autoResult ? { policy: approval.autoResult } : {}),
      },
    },
    headers: sapor.token ? { 'x-isd-service-token': sapor.token } : {},
    signal: AbortSignal.timeout(sapor.timeoutMs),
    maxResponseBytes: 1024 * 1024,
  });
}
