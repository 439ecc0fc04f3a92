// JFrog Xray: the security issues Xray found in one artifact (`POST /xray/api/v1/summary/artifact`
// with `{paths: ["<artifactoryId>/<repository>/<path>"]}`), counted by severity.
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector } from './connector';
import { asArray, asRecord, asString, fetchJson, joinUrl } from './http-json';

type XrayRequest = Extract<EvidenceRequest, { connector: 'xray' }>;

const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Unknown'] as const;

/** JFrog Xray artifact evidence: fail on Critical or High issues, or when Xray has not scanned the artifact. */
export const xrayConnector: Connector<XrayRequest> = async (request, context) => {
  const xray = context.config.xray;
  if (!xray) throw notConfigured('JFrog Xray', 'xray');
  const name = `${request.repository}/${request.path}`;
  const body = asRecord(
    await fetchJson(xray.url, 'xray/api/v1/summary/artifact', {
      method: 'POST',
      body: { paths: [`${xray.artifactoryId}/${name}`] },
      headers: xray.token ? { authorization: `Bearer ${xray.token}` } : {},
      signal: context.signal,
      maxResponseBytes: context.config.maxResponseBytes,
    }),
  );
  const artifact = asArray(body.artifacts).map(asRecord)[0];
  const error = asArray(body.errors).map(asRecord)[0];
  if (!artifact) {
    const why = asString(error?.error) ?? 'no result';
    return { status: 'fail', summary: `${name} not scanned by Xray: ${why}`, data: { artifact: name, scanned: false } };
  }
  const counts = new Map<string, number>(SEVERITIES.map((severity) => [severity, 0]));
  const issues = asArray(artifact.issues).map((item) => {
    const issue = asRecord(item);
    const severity = SEVERITIES.find((known) => known === asString(issue.severity)) ?? 'Unknown';
    counts.set(severity, (counts.get(severity) ?? 0) + 1);
    return {
      id: asString(issue.issue_id) ?? '',
      summary: asString(issue.summary) ?? '',
      severity,
      type: asString(issue.issue_type) ?? '',
      cves: asArray(issue.cves).flatMap((cve) =>
        asString(asRecord(cve).cve) ? [asString(asRecord(cve).cve) as string] : [],
      ),
    };
  });
  const severe = (counts.get('Critical') ?? 0) + (counts.get('High') ?? 0);
  const bySeverity = Object.fromEntries(
    SEVERITIES.map((severity) => [severity.toLowerCase(), counts.get(severity) ?? 0]),
  );
  return {
    status: severe > 0 ? 'fail' : (counts.get('Medium') ?? 0) > 0 ? 'warn' : 'pass',
    summary: `${name}: ${issues.length} issue${issues.length === 1 ? '' : 's'} (${
      SEVERITIES.filter((severity) => counts.get(severity))
        .map((severity) => `${counts.get(severity)} ${severity}`)
        .join(', ') || 'none'
    })`,
    data: {
      artifact: name,
      scanned: true,
      issues: bySeverity,
      top: issues.filter((issue) => issue.severity === 'Critical' || issue.severity === 'High').slice(0, 20),
      // The artifact's page in the JFrog platform UI, where Xray's findings are shown.
      url: joinUrl(xray.url, `ui/repos/tree/General/${name}`),
    },
  };
};
