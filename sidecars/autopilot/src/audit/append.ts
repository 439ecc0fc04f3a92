// Appends a finished verification to the one audit trail in sapor (`POST /api/v1/audit/records`,
// docs/decisions/055), through the kit's outbound client. Idempotent on `verification:{id}`, so the
// retried job that calls it never records twice; a refusal or an unreachable sapor throws (retry).
import { UnavailableError, outboundRequest } from '@isd/kit';
import type { AutopilotConfig } from '../config';
import type { StoredLogMark } from '../store/log-mark-store';
import type { TestVerificationRecord } from '../store/test-verification-store';
import type { VerificationRecord } from '../store/verification-store';

export type AuditTarget = NonNullable<AutopilotConfig['audit']>;

/** The audit record of a finished verification; undefined while it is still running. */
export function verificationAuditRecord(record: VerificationRecord): Record<string, unknown> | undefined {
  if (record.status === 'running' || !record.finishedAt) return undefined;
  return {
    source: 'autopilot',
    key: `verification:${record.id}`,
    type: 'verification',
    outcome: record.status,
    application: record.application,
    actor: 'autopilot',
    occurredAt: new Date(record.finishedAt).toISOString(),
    subject: { verificationId: record.id, executionId: record.executionId, stageId: record.stageId },
    details: {
      score: record.score,
      reason: record.reason,
      error: record.error,
      judge: record.judge,
      template: record.templateName,
      templateVersion: record.templateVersion,
      logTemplate: record.logTemplate?.name ?? null,
      logTemplateVersion: record.logTemplateVersion,
      weights: record.logTemplate ? record.weights : null,
      thresholds: record.thresholds,
    },
  };
}

export async function appendVerificationAudit(target: AuditTarget, record: VerificationRecord): Promise<void> {
  const body = verificationAuditRecord(record);
  if (body) await appendAuditRecord(target, body);
}

/** The audit record of a finished test verification (`details.kind: test-verification`); undefined while running. */
export function testVerificationAuditRecord(record: TestVerificationRecord): Record<string, unknown> | undefined {
  if (record.status === 'running' || !record.finishedAt) return undefined;
  return {
    source: 'autopilot',
    key: `test-verification:${record.id}`,
    type: 'verification',
    outcome: record.status,
    application: record.application,
    actor: 'autopilot',
    occurredAt: new Date(record.finishedAt).toISOString(),
    subject: { testVerificationId: record.id, executionId: record.executionId, stageId: record.stageId },
    details: {
      kind: 'test-verification',
      score: record.score,
      reason: record.reason,
      error: record.error,
      thresholds: record.thresholds,
      counts: record.report?.counts ?? null,
      baselineRuns: record.spec.baseline.map((run) => run.label),
      canaryRuns: record.spec.canary.map((run) => run.label),
    },
  };
}

/** The audit record of a feedback mark on a log cluster (idempotent on the cluster and the time of the mark). */
export function logMarkAuditRecord(mark: StoredLogMark, action: 'marked' | 'unmarked'): Record<string, unknown> {
  return {
    source: 'autopilot',
    key: `log-mark:${mark.application}:${mark.clusterKey}:${mark.markedAt}`,
    type: 'verification',
    outcome: action === 'marked' ? mark.mark : 'unmarked',
    application: mark.application,
    actor: mark.markedBy,
    occurredAt: mark.markedAt,
    subject: { clusterKey: mark.clusterKey },
    details: { kind: 'log-cluster-mark', template: mark.template, comment: mark.comment },
  };
}

/** POSTs one record to sapor's audit trail; a refusal or an unreachable sapor throws (the job retries). */
export async function appendAuditRecord(target: AuditTarget, body: Record<string, unknown>): Promise<void> {
  const response = await outboundRequest({
    base: target.url,
    path: 'api/v1/audit/records',
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(target.token ? { 'x-isd-service-token': target.token } : {}),
    },
    body: JSON.stringify(body),
    timeoutMs: target.timeoutMs,
    maxResponseBytes: 256 * 1024,
  });
  if (response.status !== 200 && response.status !== 201)
    throw new UnavailableError(
      `sapor answered ${response.status} to the audit append of ${String(body.key)}: ${response.text.slice(0, 300)}`,
      { code: 'audit_append_failed' },
    );
}
