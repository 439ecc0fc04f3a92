// JIRA: issues (key, summary, status, priority) from `/rest/api/2/search`.
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector } from './connector';
import { ConnectorError, asArray, asNumber, asRecord, asString, basicAuth, fetchJson, joinUrl } from './http-json';

type JiraRequest = Extract<EvidenceRequest, { connector: 'jira' }>;

const MAX_ISSUES = 100;

/** JIRA issue evidence. */
export const jiraConnector: Connector<JiraRequest> = async (request, context) => {
  const jira = context.config.jira;
  if (!jira) throw notConfigured('JIRA', 'jira');
  const jql = request.jql ?? (request.issues?.length ? `key in (${request.issues.join(',')}) ORDER BY key` : undefined);
  if (!jql) throw new ConnectorError('the jira connector needs `issues` or `jql`');
  const query = new URLSearchParams({ jql, fields: 'summary,status,priority', maxResults: String(MAX_ISSUES) });
  const body = asRecord(
    await fetchJson(jira.url, `rest/api/2/search?${query}`, {
      headers: basicAuth(jira.user, jira.apiToken),
      signal: context.signal,
      maxResponseBytes: context.config.maxResponseBytes,
    }),
  );
  const issues = asArray(body.issues).map((item) => {
    const issue = asRecord(item);
    const fields = asRecord(issue.fields);
    const key = asString(issue.key) ?? '';
    return {
      key,
      summary: asString(fields.summary) ?? '',
      status: asString(asRecord(fields.status).name) ?? 'unknown',
      statusCategory: asString(asRecord(asRecord(fields.status).statusCategory).key) ?? null,
      priority: asString(asRecord(fields.priority).name) ?? null,
      url: joinUrl(jira.url, `browse/${encodeURIComponent(key)}`),
    };
  });
  const missing = (request.issues ?? []).filter((key) => !issues.some((issue) => issue.key === key));
  const byStatus = new Map<string, number>();
  for (const issue of issues) byStatus.set(issue.status, (byStatus.get(issue.status) ?? 0) + 1);
  const counts = [...byStatus].map(([status, count]) => `${count} ${status}`).join(', ');
  return {
    status: missing.length ? 'warn' : 'info',
    summary: `${asNumber(body.total) ?? issues.length} issue${issues.length === 1 ? '' : 's'}${counts ? `: ${counts}` : ''}${missing.length ? `; not found: ${missing.join(', ')}` : ''}`,
    data: { jql, total: asNumber(body.total) ?? issues.length, issues, missing },
  };
};
