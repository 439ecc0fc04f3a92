// Bamboo: one build result from the REST API (`GET /rest/api/latest/result/{PLAN-KEY}-{number}`):
// build state, life cycle state and test counts.
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector } from './connector';
import { asNumber, asRecord, asString, basicAuth, fetchJson, joinUrl } from './http-json';

type BambooRequest = Extract<EvidenceRequest, { connector: 'bamboo' }>;

/** Bamboo build result evidence. */
export const bambooConnector: Connector<BambooRequest> = async (request, context) => {
  const bamboo = context.config.bamboo;
  if (!bamboo) throw notConfigured('Bamboo', 'bamboo');
  const resultKey = `${request.plan}-${request.build}`;
  const body = asRecord(
    await fetchJson(bamboo.url, `rest/api/latest/result/${resultKey}`, {
      // A personal access token goes as a bearer token; otherwise user and password as basic auth.
      headers: bamboo.token ? { authorization: `Bearer ${bamboo.token}` } : basicAuth(bamboo.user, bamboo.password),
      signal: context.signal,
      maxResponseBytes: context.config.maxResponseBytes,
    }),
  );
  const state = asString(body.buildState) ?? 'Unknown';
  const lifeCycle = asString(body.lifeCycleState) ?? 'Unknown';
  const tests = {
    passed: asNumber(body.successfulTestCount) ?? 0,
    failed: asNumber(body.failedTestCount) ?? 0,
    skipped: asNumber(body.skippedTestCount) ?? 0,
  };
  const key = asString(body.buildResultKey) ?? resultKey;
  const finished = lifeCycle === 'Finished';
  return {
    status: !finished ? 'warn' : state === 'Successful' ? 'pass' : state === 'Failed' ? 'fail' : 'warn',
    summary: `${key}: ${finished ? state : lifeCycle}, tests ${tests.passed} passed, ${tests.failed} failed, ${tests.skipped} skipped`,
    data: {
      plan: request.plan,
      buildNumber: asNumber(body.buildNumber) ?? request.build,
      buildState: state,
      lifeCycleState: lifeCycle,
      tests,
      url: joinUrl(bamboo.url, `browse/${key}`),
    },
  };
};
