// The test verification gate (`isdTestVerificationGate`): create → 202 + Location, monitor, cancel and
// the JSON report, in the same contract as the metric verification gate. Create checks every run now
// (its source is configured, a URL lies under one, inline XML reads), so a typo fails the stage at once
// with a 400 naming the field instead of an `error` verdict later.
import { randomUUID } from 'node:crypto';
import {
  canAccessApplication,
  findUnresolvedExpression,
  InputError,
  nextPageCursor,
  NotFoundError,
  type Caller,
  type FieldIssue,
  type HttpApp,
} from '@isd/kit';
import { z } from 'zod';
import type { AutopilotConfig } from '../config';
import { renderTestReportHtml } from '../report/test-html';
import type { TestVerificationRecord, TestVerificationStore } from '../store/test-verification-store';
import { DEFAULT_DURATION_RULE, type TestComparison } from '../test-verification/compare';
import { parseTestResultsXml, TestReportError } from '../test-verification/results';
import type { TestVerificationRunner } from '../test-verification/runner';
import { JENKINS_PERMALINKS, sourceForUrl, type TestRunSpec } from '../test-verification/sources';
import {
  reportQuery,
  testVerificationListSchema,
  verificationIdParams,
  verificationListFilter,
  verificationListQuery,
} from './schemas';

const SOURCE_NAME = /^[A-Za-z0-9_-]+$/;
const BUILD = new RegExp(`^(?:[1-9][0-9]{0,9}|${JENKINS_PERMALINKS.join('|')})$`);
/** Entries of each list the monitor body carries (Orca stores it on every poll); the report has them all. */
const MONITOR_LIST = 20;

/** A path segment that is neither empty, `.` nor `..` (no lookahead: Python reads the pattern alike). */
const SEGMENT = '(?:[^/.][^/]*|\\.[^/.][^/]*|\\.\\.[^/]+)';
/** A relative path of such segments: it cannot leave the job or the build's artifacts. */
const RELATIVE_PATH = new RegExp(`^${SEGMENT}(?:/${SEGMENT})*$`);

/** Run fields that are present when neither absent nor null (Orca sends null for an empty parameter). */
const given = (value: unknown) => value !== null && value !== undefined;
const RUN_KINDS = ['job', 'url', 'xml'] as const;

/**
 * Which fields go together in a run, which JSON Schema can say: the document carries the same rules as `anyOf`
 * (a property whose schema is `{type: 'null'}` is absent or null), the refinement names the field.
 */
function runRules(run: Partial<Record<string, unknown>>, context: z.RefinementCtx): void {
  const named = RUN_KINDS.filter((key) => given(run[key]));
  if (named.length !== 1) {
    context.addIssue({
      code: 'custom',
      path: [],
      input: run,
      message:
        named.length === 0
          ? 'name a Jenkins build ({source, job, build}), an artifact url, or inline xml'
          : `name only one of job, url and xml (got ${named.join(', ')})`,
    });
    return;
  }
  const add = (path: string, message: string) =>
    context.addIssue({ code: 'custom', path: [path], input: run, message });
  if (given(run.job) && !given(run.build)) add('build', 'required with job: a build number or permalink');
  if (!given(run.job) && given(run.artifact)) add('artifact', 'only with job (an archived file of that build)');
  if (given(run.xml) && given(run.source)) add('source', 'inline xml reads from no source');
}

const absent = { type: 'null' };
const RUN_FORMS = [
  {
    required: ['job', 'build'],
    properties: { job: { type: 'string' }, build: { not: absent }, url: absent, xml: absent },
  },
  { required: ['url'], properties: { url: { type: 'string' }, job: absent, xml: absent, artifact: absent } },
  {
    required: ['xml'],
    properties: { xml: { type: 'string' }, job: absent, url: absent, artifact: absent, source: absent },
  },
];

/** One run of a side: a Jenkins build (and optional archived artifact), an artifact URL, or inline XML. */
const testRunSchema = z
  .strictObject({
    source: z.string().regex(SOURCE_NAME, 'a test source name: letters, digits, `_` or `-`').nullish(),
    job: z
      .string()
      .min(1)
      .max(1024)
      .regex(RELATIVE_PATH, 'job and folder names separated by single `/`, none `.` or `..`')
      .nullish()
      .describe('Jenkins job, folders separated by `/`'),
    build: z
      .union([
        z.number().int().positive(),
        z.string().regex(BUILD, `a build number or one of ${JENKINS_PERMALINKS.join(', ')}`),
      ])
      .nullish(),
    artifact: z
      .string()
      .min(1)
      .max(2048)
      .regex(RELATIVE_PATH, 'a relative path without empty, `.` or `..` segments')
      .nullish()
      .describe('Path of an archived JUnit/xUnit XML file of the build'),
    url: z.string().min(1).max(4096).nullish().describe('URL of a JUnit/xUnit XML file under a configured test source'),
    xml: z.string().min(1).nullish().describe('The JUnit/xUnit XML itself'),
    label: z.string().min(1).max(256).nullish().describe('Name shown in the report'),
  })
  .superRefine(runRules)
  .meta({ anyOf: RUN_FORMS });

const durationsSchema = z
  .strictObject({
    ratio: z.number().min(1).max(1000).optional(),
    minIncreaseMs: z.number().int().min(0).optional(),
    suiteRatio: z.number().min(1).max(1000).optional(),
    suiteMinIncreaseMs: z.number().int().min(0).optional(),
  })
  .nullish();

/** `POST /api/v1/test-verifications`: the payload of the `isdTestVerificationGate` stage. */
export const createTestVerificationSchema = z.object({
  application: z.string().min(1).max(256),
  pipelineName: z.string().min(1).max(256).nullish(),
  pipelineId: z.string().min(1).max(256).nullish(),
  executionId: z.string().min(1).max(256),
  stageId: z.string().min(1).max(256),
  baseline: z.array(testRunSchema).min(1, 'name at least one baseline run').describe("The baseline build's runs"),
  canary: z.array(testRunSchema).min(1, 'name at least one canary run').describe("The canary build's runs"),
  thresholds: z
    .strictObject({ pass: z.number().min(0).max(100), marginal: z.number().min(0).max(100) })
    .refine((t) => t.marginal <= t.pass, { message: 'marginal must not exceed pass', path: ['marginal'] })
    .nullish(),
  durations: durationsSchema.describe(
    'When a test or the suite counts as slower: {ratio, minIncreaseMs, suiteRatio, suiteMinIncreaseMs}',
  ),
});

type CreateBody = z.output<typeof createTestVerificationSchema>;
type RunInput = z.output<typeof testRunSchema>;

export interface TestVerificationDependencies {
  config: AutopilotConfig;
  store: TestVerificationStore;
  runner: TestVerificationRunner;
}

const DEFAULT_THRESHOLDS = { pass: 80, marginal: 60 };

export function registerTestVerificationRoutes(http: HttpApp, deps: TestVerificationDependencies): void {
  const { store, runner } = deps;
  const publicUrl = deps.config.server.publicUrl;
  const visible = async (id: string, caller: Caller) => {
    const verification = await store.get(id);
    if (!verification || !canAccessApplication(caller, verification.application, 'READ'))
      throw new NotFoundError(`no test verification ${id}`, { code: 'verification_not_found' });
    return verification;
  };

  http.route(
    {
      method: 'post',
      path: '/api/v1/test-verifications',
      summary:
        "Start comparing a canary build's test results with the baseline's (idempotent per executionId + stageId)",
      tags: ['test verifications'],
      auth: 'service',
      body: createTestVerificationSchema,
      responses: { 202: { description: 'started (or already started); Location is the monitor URL' } },
    },
    async ({ body }) => {
      rejectFailedExpressions(body);
      const existing = await store.getByStage(body.executionId, body.stageId);
      const verification = existing ?? (await store.createOrGet(prepare(body, deps.config))).verification;
      // Re-sent on every (re-)POST so a crash between storing and queueing heals; the job key makes it once.
      if (verification.status === 'running') await runner.schedule(verification.id);
      return {
        status: 202,
        body: testVerificationView(verification, publicUrl),
        headers: { Location: `/api/v1/test-verifications/${verification.id}` },
      };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/test-verifications',
      summary: "An application's test verifications, newest first, filtered and keyset-paged (`next` cursor)",
      tags: ['test verifications'],
      auth: 'service-or-user',
      query: verificationListQuery,
      responses: {
        200: { description: 'a page of test verifications, without findings', schema: testVerificationListSchema },
        400: { description: 'a filter is malformed (the message names it)' },
        404: { description: 'the caller may not READ the application' },
      },
    },
    async ({ query, caller }) => {
      const rows = await store.list(verificationListFilter(query, caller));
      return {
        status: 200,
        body: {
          testVerifications: rows.map((row) => testVerificationSummary(row, publicUrl)),
          next: nextPageCursor(rows, query.limit),
        },
      };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/test-verifications/:id',
      summary: 'Status, score and the main findings of a test verification',
      tags: ['test verifications'],
      auth: 'service-or-user',
      params: verificationIdParams,
      responses: {
        200: { description: 'the test verification' },
        404: { description: 'no such test verification, or not visible to the caller' },
      },
    },
    async ({ params, caller }) => ({
      status: 200,
      body: testVerificationView(await visible(params.id, caller), publicUrl),
    }),
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/test-verifications/:id/cancel',
      summary: 'Cancel a running test verification (idempotent; a finished one is left as it is)',
      tags: ['test verifications'],
      auth: 'service',
      params: verificationIdParams,
      body: z.unknown().optional(),
      responses: {
        200: { description: 'the test verification after the cancel' },
        404: { description: 'no such test verification' },
      },
    },
    async ({ params, caller }) => {
      const verification = await store.get(params.id);
      if (!verification)
        throw new NotFoundError(`no test verification ${params.id}`, { code: 'verification_not_found' });
      if (verification.status === 'running')
        await runner.finish(params.id, {
          status: 'canceled',
          score: null,
          reason: `canceled by ${caller.kind === 'service' ? caller.name : caller.kind === 'user' ? caller.user : 'anonymous'}`,
        });
      return { status: 200, body: testVerificationView((await store.get(params.id))!, publicUrl) };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/test-verifications/:id/report',
      summary:
        'The whole comparison: every new failure, flaky, slower, missing, new and newly skipped test (HTML, or JSON with ?format=json / Accept: application/json)',
      tags: ['test verifications'],
      auth: 'service-or-user',
      params: verificationIdParams,
      query: reportQuery,
      responses: {
        200: {
          description: 'text/html report, or its JSON form',
          schema: z.record(z.string(), z.unknown()),
          otherContentTypes: ['text/html'],
        },
        404: { description: 'no such test verification, or not visible to the caller' },
      },
    },
    async ({ params, query, accepts, caller }) => {
      const verification = await visible(params.id, caller);
      const report = { ...testVerificationSummary(verification, publicUrl), report: verification.report };
      const wantsJson =
        query.format === 'json' ||
        (query.format === undefined && accepts(['text/html', 'application/json']) === 'application/json');
      if (wantsJson) return { status: 200, body: report };
      return {
        status: 200,
        contentType: 'text/html; charset=utf-8',
        headers: { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:" },
        body: renderTestReportHtml(report),
      };
    },
  );
}

/** Checks every run against the configured sources and builds the record to store. */
function prepare(body: CreateBody, config: AutopilotConfig) {
  const issues: FieldIssue[] = [];
  const maxRuns = config.testVerification.maxRuns;
  const resolveSide = (side: 'baseline' | 'canary') => {
    if (body[side].length > maxRuns)
      issues.push({ path: `body.${side}`, message: `at most ${maxRuns} runs (testVerification.maxRuns)` });
    return body[side].map((run, index) => resolveRun(run, `body.${side}.${index}`, config, issues));
  };
  const baseline = resolveSide('baseline');
  const canary = resolveSide('canary');
  if (issues.length)
    throw new InputError(`${issues[0]!.path}: ${issues[0]!.message}`, { code: 'validation_failed', issues });
  return {
    id: randomUUID(),
    executionId: body.executionId,
    stageId: body.stageId,
    application: body.application,
    pipelineName: body.pipelineName ?? null,
    pipelineId: body.pipelineId ?? null,
    spec: {
      baseline: baseline as TestRunSpec[],
      canary: canary as TestRunSpec[],
      durations: { ...DEFAULT_DURATION_RULE, ...stripNullish(body.durations ?? {}) },
    },
    thresholds: body.thresholds ?? DEFAULT_THRESHOLDS,
  };
}

function resolveRun(run: RunInput, path: string, config: AutopilotConfig, issues: FieldIssue[]): TestRunSpec | null {
  // The schema's runRules made sure the run names exactly one of job, url and xml, and what goes with it.
  const sources = config.testSources;
  if (run.xml) {
    try {
      parseTestResultsXml(run.xml, testResultLimits(config));
    } catch (error) {
      if (!(error instanceof TestReportError)) throw error;
      issues.push({ path: `${path}.xml`, message: error.problem });
    }
    return { kind: 'inline', label: run.label ?? `inline ${path.split('.').slice(1).join(' ')}`, xml: run.xml };
  }
  if (run.url) {
    const found = sourceForUrl(run.url, run.source ? pick(sources, run.source) : sources);
    if (!found) {
      issues.push({
        path: `${path}.url`,
        message: run.source
          ? `is not under test source ${run.source}${sources[run.source] ? '' : ' (no such source)'}`
          : `is not under the URL of any configured test source (testSources: ${Object.keys(sources).join(', ') || 'none'})`,
      });
      return null;
    }
    return { kind: 'url', label: run.label ?? run.url.replace(/\?.*$/, ''), source: found.source, url: run.url };
  }
  const jenkins = Object.entries(sources)
    .filter(([, source]) => source.type === 'jenkins')
    .map(([name]) => name);
  let source = run.source ?? null;
  if (source === null) {
    if (jenkins.length === 1) source = jenkins[0]!;
    else
      issues.push({
        path: `${path}.source`,
        message: jenkins.length
          ? `name the Jenkins test source (configured: ${jenkins.join(', ')})`
          : 'no Jenkins test source is configured (testSources)',
      });
  } else if (!jenkins.includes(source)) {
    issues.push({
      path: `${path}.source`,
      message: `no Jenkins test source ${source} (configured: ${jenkins.join(', ') || 'none'})`,
    });
  }
  const job = run.job!;
  const build = String(run.build ?? '');
  return {
    kind: 'jenkins',
    label: run.label ?? `${job} #${build}${run.artifact ? ` ${run.artifact}` : ''}`,
    source: source ?? '',
    job,
    build,
    artifact: run.artifact ?? null,
  };
}

/** The report limits of the service's config. */
export function testResultLimits(config: AutopilotConfig) {
  return {
    maxBytes: config.testVerification.maxReportBytes,
    maxTestCases: config.testVerification.maxTestCases,
    maxDepth: 32,
  };
}

function pick<T>(record: Record<string, T>, key: string): Record<string, T> {
  return key in record ? { [key]: record[key]! } : {};
}

function stripNullish<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}

/** A failed SpEL expression stays `${…}` in Orca's payload; inline XML may hold `${` legitimately. */
function rejectFailedExpressions(body: CreateBody): void {
  const copy = structuredClone(body) as Record<string, unknown>;
  for (const side of ['baseline', 'canary'] as const)
    for (const run of copy[side] as Array<Record<string, unknown>>) delete run.xml;
  const unresolved = findUnresolvedExpression(copy);
  if (unresolved)
    throw new InputError(
      `field body.${unresolved.path} holds the unevaluated expression ${unresolved.expression}: a SpEL expression failed in Orca`,
      {
        code: 'unresolved_expression',
        issues: [{ path: `body.${unresolved.path}`, message: 'unevaluated SpEL expression' }],
      },
    );
}

function reportUrl(id: string, publicUrl: string | undefined): string {
  const path = `/api/v1/test-verifications/${id}/report`;
  return publicUrl ? `${publicUrl.replace(/\/$/, '')}${path}` : path;
}

function testVerificationSummary(verification: Omit<TestVerificationRecord, 'report'>, publicUrl: string | undefined) {
  const runs = (specs: TestRunSpec[]) => specs.map((spec) => ({ kind: spec.kind, label: spec.label }));
  return {
    id: verification.id,
    kind: 'test' as const,
    status: verification.status,
    score: verification.score,
    reason: verification.reason,
    ...(verification.error ? { error: verification.error } : {}),
    application: verification.application,
    executionId: verification.executionId,
    stageId: verification.stageId,
    pipelineName: verification.pipelineName,
    thresholds: verification.thresholds,
    durations: verification.spec.durations,
    baselineRuns: runs(verification.spec.baseline),
    canaryRuns: runs(verification.spec.canary),
    reportUrl: reportUrl(verification.id, publicUrl),
    createdAt: verification.createdAt,
    finishedAt: verification.finishedAt,
  };
}

/** The monitor body: status for Orca, the counts and the first findings of each kind for Deck. */
export function testVerificationView(verification: TestVerificationRecord, publicUrl: string | undefined) {
  const report: TestComparison | null = verification.report;
  return {
    ...testVerificationSummary(verification, publicUrl),
    counts: report?.counts ?? null,
    suite: report?.suite ?? null,
    baseline: report?.baseline ?? null,
    canary: report?.canary ?? null,
    penalties: report?.penalties ?? [],
    newFailures: report?.newFailures.slice(0, MONITOR_LIST) ?? [],
    flaky: report?.flaky.slice(0, MONITOR_LIST) ?? [],
    slower: report?.slower.slice(0, MONITOR_LIST) ?? [],
    missing: report?.missing.slice(0, MONITOR_LIST) ?? [],
  };
}
