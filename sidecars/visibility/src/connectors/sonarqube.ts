// SonarQube: quality gate status and its conditions from `/api/qualitygates/project_status`.
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector } from './connector';
import { asArray, asRecord, asString, fetchJson, joinUrl } from './http-json';

type SonarRequest = Extract<EvidenceRequest, { connector: 'sonarqube' }>;

/** SonarQube quality gate evidence. */
export const sonarqubeConnector: Connector<SonarRequest> = async (request, context) => {
  const sonar = context.config.sonarqube;
  if (!sonar) throw notConfigured('SonarQube', 'sonarqube');
  const query = new URLSearchParams({ projectKey: request.projectKey });
  if (request.branch) query.set('branch', request.branch);
  if (request.pullRequest) query.set('pullRequest', request.pullRequest);
  const body = asRecord(
    await fetchJson(sonar.url, `api/qualitygates/project_status?${query}`, {
      // SonarQube takes a user token as the basic-auth user with an empty password.
      headers: sonar.token ? { authorization: `Basic ${Buffer.from(`${sonar.token}:`).toString('base64')}` } : {},
      signal: context.signal,
      maxResponseBytes: context.config.maxResponseBytes,
    }),
  );
  const project = asRecord(body.projectStatus);
  const gate = asString(project.status) ?? 'NONE';
  const conditions = asArray(project.conditions).map((item) => {
    const condition = asRecord(item);
    return {
      metric: asString(condition.metricKey) ?? '',
      status: asString(condition.status) ?? '',
      comparator: asString(condition.comparator) ?? null,
      threshold: asString(condition.errorThreshold) ?? null,
      actual: asString(condition.actualValue) ?? null,
    };
  });
  const failing = conditions.filter((condition) => condition.status === 'ERROR');
  const dashboard = new URL(joinUrl(sonar.url, 'dashboard'));
  dashboard.searchParams.set('id', request.projectKey);
  return {
    status: gate === 'OK' ? 'pass' : gate === 'ERROR' ? 'fail' : 'warn',
    summary: `quality gate ${gate}${failing.length ? `: ${failing.map((condition) => `${condition.metric} ${condition.actual} (${condition.comparator} ${condition.threshold})`).join(', ')}` : ''}`,
    data: { projectKey: request.projectKey, qualityGate: gate, conditions, url: dashboard.toString() },
  };
};
