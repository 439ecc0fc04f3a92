// HCL AppScan on Cloud: one scan's latest execution (`GET /api/v2/Scans/{scanId}`) after logging in with
// the configured API key (`POST /api/v2/Account/ApiKeyLogin` → bearer token): issue counts by severity.
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector } from './connector';
import { ConnectorError, asNumber, asRecord, asString, fetchJson, joinUrl } from './http-json';

type AppScanRequest = Extract<EvidenceRequest, { connector: 'appscan' }>;

/** AppScan scan evidence: fail on critical or high issues, warn while running or on medium issues. */
export const appscanConnector: Connector<AppScanRequest> = async (request, context) => {
  const appscan = context.config.appscan;
  if (!appscan) throw notConfigured('HCL AppScan', 'appscan');
  const options = { signal: context.signal, maxResponseBytes: context.config.maxResponseBytes };
  const login = asRecord(
    await fetchJson(appscan.url, 'api/v2/Account/ApiKeyLogin', {
      ...options,
      method: 'POST',
      body: { KeyId: appscan.keyId, KeySecret: appscan.keySecret },
    }),
  );
  const token = asString(login.Token);
  if (!token) throw new ConnectorError('AppScan API key login answered without a Token');
  const scan = asRecord(
    await fetchJson(appscan.url, `api/v2/Scans/${encodeURIComponent(request.scanId)}`, {
      ...options,
      headers: { authorization: `Bearer ${token}` },
    }),
  );
  const execution = asRecord(scan.LatestExecution);
  const progress = asString(execution.ExecutionProgress) ?? 'Unknown';
  const issues = {
    critical: asNumber(execution.NCriticalIssues) ?? 0,
    high: asNumber(execution.NHighIssues) ?? 0,
    medium: asNumber(execution.NMediumIssues) ?? 0,
    low: asNumber(execution.NLowIssues) ?? 0,
  };
  const appId = asString(scan.AppId);
  const completed = progress === 'Completed';
  const name = asString(scan.Name) ?? request.scanId;
  return {
    status: !completed ? 'warn' : issues.critical + issues.high > 0 ? 'fail' : issues.medium > 0 ? 'warn' : 'pass',
    summary: `${name}: ${completed ? `${issues.critical} critical, ${issues.high} high, ${issues.medium} medium, ${issues.low} low issues` : `scan ${progress}`}`,
    data: {
      scanId: request.scanId,
      progress,
      issues,
      url: appId ? joinUrl(appscan.url, `main/myapps/${appId}/scans/${request.scanId}/scanOverview`) : null,
    },
  };
};
