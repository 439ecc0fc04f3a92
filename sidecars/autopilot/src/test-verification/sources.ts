// Where a test verification reads each run's results: a Jenkins build's test report (Jenkins' JSON) or
// an archived artifact of it, an artifact URL, or XML sent inline. Only accounts from config
// (`testSources`) are ever called: a URL in the stage must lie under one of their base URLs, and the
// request goes through the kit's outbound client with that base as the allowed prefix, so a stage
// cannot point autopilot at another host, and a source's credentials never leave its own base.
import { assertWithinBase, OutboundError, outboundRequest, parseBase, parsePeerJson } from '@isd/kit';
import { z } from 'zod';
import { parseJenkinsTestReport, parseTestResultsXml, TestReportError, type ResultLimits } from './results';
import type { TestRun } from './compare';

const tlsSchema = z
  .strictObject({
    caFile: z.string().min(1).optional().describe('PEM file of the CA that signed the server certificate'),
    certFile: z.string().min(1).optional().describe('PEM client certificate (mutual TLS)'),
    keyFile: z.string().min(1).optional().describe('PEM client key (mutual TLS)'),
    insecureSkipVerify: z.boolean().default(false).describe('Skip certificate verification (tests only)'),
  })
  .optional();

const timeoutMs = z.number().int().positive().default(30_000).describe('Timeout of one request');

/** A server test results are read from. */
export const testSourceConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('jenkins'),
    url: z.string().url().describe('Jenkins base URL (the one serving /job/…)'),
    user: z.string().min(1).optional().describe('Jenkins user'),
    apiToken: z.string().min(1).optional().describe("The user's API token (basic auth with user)"),
    tls: tlsSchema,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('http'),
    url: z.string().url().describe('Base URL artifact URLs must lie under (e.g. an Artifactory or Nexus repository)'),
    bearerToken: z.string().min(1).optional().describe('Bearer token'),
    username: z.string().min(1).optional().describe('Basic auth user'),
    password: z.string().min(1).optional().describe('Basic auth password'),
    tls: tlsSchema,
    timeoutMs,
  }),
]);

export type TestSourceConfig = z.infer<typeof testSourceConfigSchema>;

/** Jenkins permalinks a stage may name instead of a build number. */
export const JENKINS_PERMALINKS = [
  'lastBuild',
  'lastCompletedBuild',
  'lastSuccessfulBuild',
  'lastStableBuild',
  'lastUnstableBuild',
  'lastFailedBuild',
] as const;

/** One run to read, as stored (resolved against the configured sources at create). */
export type TestRunSpec =
  | { kind: 'jenkins'; label: string; source: string; job: string; build: string; artifact: string | null }
  | { kind: 'url'; label: string; source: string; url: string }
  | { kind: 'inline'; label: string; xml: string };

/** Why a run could not be read; `transient` failures (network, 5xx, 429) are worth another try. */
export class TestFetchError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'TestFetchError';
  }
}

const JENKINS_TREE =
  'suites[name,duration,cases[className,name,duration,status,skipped,errorDetails,skippedMessage]],childReports[result[suites[name,duration,cases[className,name,duration,status,skipped,errorDetails,skippedMessage]]]]';

/** `folder/job` → `job/folder/job/job`, each segment encoded, as Jenkins nests folders. */
export function jenkinsJobPath(job: string): string {
  return job
    .split('/')
    .map((part) => `job/${encodeURIComponent(part)}`)
    .join('/');
}

/** The source a URL lies under, and the path below its base; undefined when it lies under none. */
export function sourceForUrl(
  url: string,
  sources: Record<string, TestSourceConfig>,
): { source: string; path: string } | undefined {
  let candidate: URL;
  try {
    candidate = new URL(url);
  } catch {
    return undefined;
  }
  for (const [name, config] of Object.entries(sources)) {
    const base = parseBase(config.url);
    try {
      assertWithinBase(candidate, base);
    } catch {
      continue;
    }
    const basePath = base.pathname.replace(/\/+$/, '');
    return { source: name, path: `${candidate.pathname.slice(basePath.length).replace(/^\//, '')}${candidate.search}` };
  }
  return undefined;
}

function authHeaders(config: TestSourceConfig): Record<string, string> {
  if (config.type === 'jenkins')
    return config.user && config.apiToken
      ? { Authorization: `Basic ${Buffer.from(`${config.user}:${config.apiToken}`).toString('base64')}` }
      : {};
  if (config.bearerToken) return { Authorization: `Bearer ${config.bearerToken}` };
  if (config.username && config.password)
    return { Authorization: `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}` };
  return {};
}

/** Reads one run's test cases. */
export async function readTestRun(
  spec: TestRunSpec,
  sources: Record<string, TestSourceConfig>,
  limits: ResultLimits,
): Promise<TestRun> {
  const parse = (read: () => TestRun['cases']): TestRun => {
    try {
      return { label: spec.label, cases: read() };
    } catch (error) {
      if (error instanceof TestReportError) throw new TestFetchError(`${spec.label}: ${error.problem}`, false);
      throw error;
    }
  };
  if (spec.kind === 'inline') return parse(() => parseTestResultsXml(spec.xml, limits));
  const config = sources[spec.source];
  // The account was checked at create; config may have changed since.
  if (!config) throw new TestFetchError(`${spec.label}: no test source ${spec.source} is configured`, false);
  let path: string;
  let json = false;
  if (spec.kind === 'jenkins') {
    const build = `${jenkinsJobPath(spec.job)}/${encodeURIComponent(spec.build)}`;
    if (spec.artifact) path = `${build}/artifact/${spec.artifact.split('/').map(encodeURIComponent).join('/')}`;
    else {
      path = `${build}/testReport/api/json?tree=${encodeURIComponent(JENKINS_TREE)}`;
      json = true;
    }
  } else {
    path = sourceForUrl(spec.url, { [spec.source]: config })?.path ?? '';
  }
  const text = await fetchText(spec, config, path, limits.maxBytes);
  // A URL may name Jenkins' JSON as well as an XML file: the first character tells them apart.
  if (json || /^\s*\{/.test(text))
    return parse(() => {
      let body: unknown;
      try {
        body = parsePeerJson(text);
      } catch {
        throw new TestReportError('the answer is not JSON');
      }
      return parseJenkinsTestReport(body, limits);
    });
  return parse(() => parseTestResultsXml(text, limits));
}

async function fetchText(spec: TestRunSpec, config: TestSourceConfig, path: string, maxBytes: number) {
  let response;
  try {
    response = await outboundRequest({
      base: config.url,
      path,
      method: 'GET',
      headers: { Accept: 'application/json, application/xml, text/xml;q=0.9, */*;q=0.5', ...authHeaders(config) },
      timeoutMs: config.timeoutMs,
      maxResponseBytes: maxBytes,
      tls: config.tls,
    });
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    if (error.code === 'too_large')
      throw new TestFetchError(`${spec.label}: the report is larger than ${maxBytes} bytes`, false);
    const transient = error.code === 'timeout' || error.code === 'unreachable';
    throw new TestFetchError(`${spec.label}: ${error.message}`, transient);
  }
  if (response.status === 200) return response.text;
  const transient = response.status >= 500 || response.status === 429;
  const why =
    response.status === 404
      ? spec.kind === 'jenkins'
        ? spec.artifact
          ? 'Jenkins has no such build or artifact (404)'
          : 'Jenkins has no such build, or the build published no test report (404)'
        : 'not found (404)'
      : response.status === 401 || response.status === 403
        ? `refused the credentials of the test source (${response.status})`
        : `answered ${response.status}`;
  throw new TestFetchError(`${spec.label}: ${why}`, transient);
}
