// Verification: the autopilot score of a verification (`GET /api/v1/verifications/{id}`).
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector } from './connector';
import { asNumber, asRecord, asString, fetchJson } from './http-json';

type VerificationRequest = Extract<EvidenceRequest, { connector: 'verification' }>;

/** Verification score evidence. */
export const verificationConnector: Connector<VerificationRequest> = async (request, context) => {
  const autopilot = context.config.autopilot;
  if (!autopilot) throw notConfigured('verification', 'autopilot');
  const body = asRecord(
    await fetchJson(autopilot.url, `api/v1/verifications/${encodeURIComponent(request.verificationId)}`, {
      headers: autopilot.token ? { 'x-isd-service-token': autopilot.token } : {},
      signal: context.signal,
      maxResponseBytes: context.config.maxResponseBytes,
    }),
  );
  const verdict = asString(body.status) ?? 'unknown';
  const score = asNumber(body.score) ?? null;
  const status = verdict === 'pass' ? 'pass' : verdict === 'fail' || verdict === 'error' ? 'fail' : 'warn';
  return {
    status,
    summary: `verification ${request.verificationId}: ${verdict}${score !== null ? `, score ${score}` : ''}`,
    data: { verificationId: request.verificationId, verdict, score, url: asString(body.reportUrl) ?? null },
  };
};
