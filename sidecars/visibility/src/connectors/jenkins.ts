// Jenkins: build result, number, URL and test counts from `/job/{name}/{n}/api/json`.
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector } from './connector';
import { asArray, asNumber, asRecord, asString, basicAuth, fetchJson } from './http-json';

type JenkinsRequest = Extract<EvidenceRequest, { connector: 'jenkins' }>;

const TREE =
  'number,result,building,url,duration,timestamp,fullDisplayName,actions[_class,failCount,skipCount,totalCount,urlName]';

/** `folder/job` → `job/folder/job/job` as Jenkins nests folders. */
export function jenkinsJobPath(job: string): string {
  return job
    .split('/')
    .map((part) => `job/${encodeURIComponent(part)}`)
    .join('/');
}

/** Jenkins build evidence. */
export const jenkinsConnector: Connector<JenkinsRequest> = async (request, context) => {
  const jenkins = context.config.jenkins;
  if (!jenkins) throw notConfigured('Jenkins', 'jenkins');
  const path = `${jenkinsJobPath(request.job)}/${request.build}/api/json?tree=${encodeURIComponent(TREE)}`;
  const build = asRecord(
    await fetchJson(jenkins.url, path, {
      headers: basicAuth(jenkins.user, jenkins.apiToken),
      signal: context.signal,
      maxResponseBytes: context.config.maxResponseBytes,
    }),
  );
  const tests = asArray(build.actions)
    .map(asRecord)
    .find((action) => typeof action.totalCount === 'number');
  const result = asString(build.result) ?? null;
  const building = build.building === true;
  const number = asNumber(build.number) ?? null;
  const failed = asNumber(tests?.failCount) ?? 0;
  const status =
    building || result === null ? 'warn' : result === 'SUCCESS' ? 'pass' : result === 'UNSTABLE' ? 'warn' : 'fail';
  const testText = tests
    ? `, tests ${asNumber(tests.totalCount)} run, ${failed} failed, ${asNumber(tests.skipCount) ?? 0} skipped`
    : '';
  return {
    status,
    summary: `${request.job} #${number ?? '?'}: ${building ? 'BUILDING' : (result ?? 'no result')}${testText}`,
    data: {
      job: request.job,
      number,
      result,
      building,
      url: asString(build.url) ?? null,
      durationMs: asNumber(build.duration) ?? null,
      startedAt: asNumber(build.timestamp) ? new Date(build.timestamp as number).toISOString() : null,
      tests: tests ? { total: asNumber(tests.totalCount) ?? 0, failed, skipped: asNumber(tests.skipCount) ?? 0 } : null,
    },
  };
};
