// Appends a finished verification to the one audit trail in sapor (`POST /api/v1/audit/records`,
// docs/decisions/055), through the kit's outbound client. Idempotent on `verification:{id}`, so the
// retried job that calls it never records twice; a refusal or an unreachable sapor throws (retry).
import { UnavailableError, outboundRequest } from '@isd/kit';
import type { AutopilotConfig } from '../config';
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
      thresholds: record.thresholds,
    },
  };
}

export async function appendVerificationAudit(target: AuditTarget, record: VerificationRecord): Promise<void> {
  const body = verificationAuditRecord(record);
  if (!body) return;
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
      `sapor answered ${response.status} to the audit append of verification ${record.id}: ${response.text.slice(0, 300)}`,
      { code: 'audit_append_failed' },
    );
}
