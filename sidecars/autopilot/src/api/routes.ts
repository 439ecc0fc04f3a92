// The autopilot HTTP API: verifications (Orca's gate contract: create → 202 + Location, monitor, cancel),
// their report, and metric templates (list, versions, create, import).
import { randomUUID } from 'node:crypto';
import {
  canAccessApplication,
  findUnresolvedExpression,
  InputError,
  isAdmin,
  requireApplicationRead,
  NotAllowedError,
  NotFoundError,
  type Caller,
  type HttpApp,
  type Logger,
} from '@isd/kit';
import { z } from 'zod';
import type { AutopilotConfig } from '../config';
import { analysisWindows, type JudgeName } from '../domain';
import { ProviderError } from '../providers/provider';
import type { ProviderRegistry } from '../providers/registry';
import type { VerificationRunner } from '../analysis/runner';
import { renderReportHtml } from '../report/html';
import { buildReport } from '../report/report';
import type { StoredTemplate, TemplateStore } from '../store/template-store';
import type { VerificationRecord, VerificationStore } from '../store/verification-store';
import { importKayentaConfig, importOpsmxTemplate } from '../templates/import';
import { expandQuery, parseTemplate, scopeKeysUsed, type Template } from '../templates/template';
import {
  encodeVerificationCursor,
  verificationListQuery,
  verificationListSchema,
  createVerificationSchema,
  importParams,
  importQuery,
  jsonObjectSchema,
  reportQuery,
  templateParams,
  templateRefSchema,
  templateSummarySchema,
  verificationIdParams,
  verificationViewSchema,
  type CreateVerificationBody,
} from './schemas';
import { verificationView } from './views';

/** What the routes need. */
export interface RouteDependencies {
  config: AutopilotConfig;
  logger: Logger;
  templates: TemplateStore;
  verifications: VerificationStore;
  providers: ProviderRegistry;
  runner: VerificationRunner;
}

const DEFAULT_THRESHOLDS = { pass: 80, marginal: 60 };
const QUERY_CHECK_CONCURRENCY = 8;

/** Registers every autopilot route on the service's HTTP app. */
export function registerRoutes(http: HttpApp, deps: RouteDependencies): void {
  const { config, templates, verifications, runner } = deps;
  const publicUrl = config.server.publicUrl;

  /** A verification the caller may see; otherwise the same 404 as one that does not exist. */
  const visibleVerification = async (id: string, caller: Caller) => {
    const verification = await verifications.get(id);
    if (!verification || !canAccessApplication(caller, verification.application, 'READ'))
      throw new NotFoundError(`no verification ${id}`, { code: 'verification_not_found' });
    return verification;
  };

  const view = async (id: string) => {
    const verification = await verifications.get(id);
    if (!verification) throw new NotFoundError(`no verification ${id}`, { code: 'verification_not_found' });
    return verificationView(verification, await verifications.intervals(id, { withData: 'summary' }), publicUrl);
  };

  http.route(
    {
      method: 'post',
      path: '/api/v1/verifications',
      summary: 'Start a verification (idempotent per executionId + stageId)',
      tags: ['verifications'],
      auth: 'service',
      body: createVerificationSchema,
      responses: { 202: { description: 'started (or already started)', schema: verificationViewSchema } },
    },
    async ({ body, log }) => {
      rejectFailedExpressions(body);
      const existing = await verifications.getByStage(body.executionId, body.stageId);
      if (existing) {
        // Orca re-POSTs after a 5xx: answer the same Location, and re-queue the next window in case the
        // first attempt died between storing the verification and queueing its job.
        await runner.scheduleNext(existing, (await verifications.intervals(existing.id, { withData: 'none' })).length);
        await runner.scheduleWatchdog(existing);
        return accepted(await view(existing.id));
      }
      const prepared = await prepareVerification(body, deps, log);
      const { verification } = await verifications.createOrGet(prepared);
      await runner.scheduleNext(
        verification,
        (await verifications.intervals(verification.id, { withData: 'none' })).length,
      );
      await runner.scheduleWatchdog(verification);
      return accepted(await view(verification.id));
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/verifications',
      summary: "An application's verifications, newest first, filtered and keyset-paged (`next` cursor)",
      tags: ['verifications'],
      auth: 'service-or-user',
      query: verificationListQuery,
      responses: {
        200: { description: 'a page of verifications, without intervals', schema: verificationListSchema },
        400: { description: 'a filter is malformed (the message names it)' },
        404: { description: 'the caller may not READ the application' },
      },
    },
    async ({ query, caller }) => {
      if (query.from && query.to && query.from >= query.to)
        throw new InputError('query.from: must be before query.to', {
          code: 'invalid_range',
          issues: [{ path: 'query.from', message: 'must be before query.to' }],
        });
      requireApplicationRead(caller, query.application, `application ${query.application}`);
      const rows = await verifications.list({
        application: query.application,
        pipeline: query.pipeline,
        stageId: query.stageId,
        status: query.status,
        from: query.from,
        to: query.to,
        after: query.cursor,
        limit: query.limit,
      });
      const last = rows[rows.length - 1];
      return {
        status: 200,
        body: {
          verifications: rows.map(verificationSummary),
          next: rows.length === query.limit && last ? encodeVerificationCursor(last.cursor) : null,
        },
      };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/verifications/:id',
      summary: 'Status, score, intervals and per-metric results of a verification',
      tags: ['verifications'],
      auth: 'service-or-user',
      params: verificationIdParams,
      responses: { 200: { description: 'the verification', schema: verificationViewSchema } },
    },
    async ({ params, caller }) => {
      await visibleVerification(params.id, caller);
      return { status: 200, body: await view(params.id) };
    },
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/verifications/:id/cancel',
      summary: 'Cancel a running verification (idempotent; a finished one is left as it is)',
      tags: ['verifications'],
      // Only Orca cancels: a canceled verification cancels the pipeline stage, which users do through Orca.
      auth: 'service',
      params: verificationIdParams,
      body: z.unknown().optional(),
      responses: { 200: { description: 'the verification after the cancel', schema: verificationViewSchema } },
    },
    async ({ params, caller }) => {
      const verification = await verifications.get(params.id);
      if (!verification) throw new NotFoundError(`no verification ${params.id}`, { code: 'verification_not_found' });
      if (verification.status === 'running') {
        await runner.finish(params.id, {
          status: 'canceled',
          score: verification.score,
          reason: `canceled by ${callerName(caller)}`,
        });
      }
      return { status: 200, body: await view(params.id) };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/verifications/:id/report',
      summary:
        'Report: verdict, score, and per metric the series, distributions, classification and reason (HTML, or JSON with ?format=json / Accept: application/json)',
      tags: ['verifications'],
      auth: 'service-or-user',
      params: verificationIdParams,
      query: reportQuery,
      responses: { 200: { description: 'text/html report, or its JSON form' } },
    },
    async ({ params, query, accepts, caller }) => {
      const verification = await visibleVerification(params.id, caller);
      const report = buildReport(verification, await verifications.intervals(params.id), publicUrl);
      const wantsJson =
        query.format === 'json' ||
        (query.format === undefined && accepts(['text/html', 'application/json']) === 'application/json');
      if (wantsJson) return { status: 200, body: report };
      return {
        status: 200,
        contentType: 'text/html; charset=utf-8',
        headers: { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:" },
        body: renderReportHtml(report),
      };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/templates',
      summary: 'Metric templates (latest version of each)',
      tags: ['templates'],
      auth: 'service-or-user',
      responses: { 200: { description: 'templates', schema: z.object({ templates: z.array(templateSummarySchema) }) } },
    },
    async ({ caller }) => ({
      status: 200,
      body: {
        templates: (await templates.listLatest())
          .filter((stored) => mayReadTemplate(caller, stored))
          .map(templateSummary),
      },
    }),
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/templates/:name',
      summary: 'The latest version of a template',
      tags: ['templates'],
      auth: 'service-or-user',
      params: templateParams,
      responses: { 200: { description: 'the template' } },
    },
    async ({ params, caller }) => ({
      status: 200,
      body: templateDetail(await mustGetTemplate(templates, params.name, undefined, caller)),
    }),
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/templates/:name/versions',
      summary: 'Every version of a template, newest first',
      tags: ['templates'],
      auth: 'service-or-user',
      params: templateParams,
      responses: { 200: { description: 'versions' } },
    },
    async ({ params, caller }) => {
      const versions = await templates.versions(params.name);
      // Ownership is the latest version's: an owner that moved hides the older versions too.
      if (versions.length === 0 || !mayReadTemplate(caller, versions[0]!))
        throw new NotFoundError(`no template ${params.name}`, { code: 'template_not_found' });
      return { status: 200, body: { versions: versions.map(templateSummary) } };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/templates/:name/versions/:version',
      summary: 'One version of a template',
      tags: ['templates'],
      auth: 'service-or-user',
      params: templateParams,
      responses: { 200: { description: 'the template version' } },
    },
    async ({ params, caller }) => {
      await mustGetTemplate(templates, params.name, undefined, caller);
      return {
        status: 200,
        body: templateDetail(await mustGetTemplate(templates, params.name, params.version, caller)),
      };
    },
  );

  const saveTemplate = async (template: Template, source: string, caller: Caller, pathPrefix: string) => {
    const latest = await templates.get(template.name);
    // The caller must own the template as it is now (if it exists) and as it will be.
    if (latest) {
      if (!mayReadTemplate(caller, latest))
        throw new NotAllowedError(`template name ${template.name} is taken`, { code: 'template_name_taken' });
      assertTemplateOwner(caller, latest.definition.application, config.templates.editorRoles, template.name);
    }
    assertTemplateOwner(caller, template.application, config.templates.editorRoles, template.name);
    await checkTemplateQueries(template, deps, pathPrefix);
    const { template: stored, created } = await templates.save(template, source, callerName(caller));
    return {
      status: created ? 201 : 200,
      body: templateDetail(stored),
      headers: { Location: `/api/v1/templates/${encodeURIComponent(stored.name)}/versions/${stored.version}` },
    };
  };

  http.route(
    {
      method: 'post',
      path: '/api/v1/templates',
      summary: 'Create a template version (the same definition as the latest version is a no-op)',
      tags: ['templates'],
      auth: 'user',
      body: jsonObjectSchema,
      responses: { 201: { description: 'new version' }, 200: { description: 'unchanged: the latest version' } },
    },
    async ({ body, caller }) => saveTemplate(parseTemplate(body, 'body'), 'api', caller, 'body'),
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/templates/import/:format',
      summary: 'Import a Kayenta canary config or an OpsMx metric template as a template version',
      tags: ['templates'],
      auth: 'user',
      params: importParams,
      query: importQuery,
      body: jsonObjectSchema,
      responses: { 201: { description: 'new version' }, 200: { description: 'unchanged: the latest version' } },
    },
    async ({ params, query, body, caller }) => {
      const template = prefixIssues(
        () =>
          params.format === 'kayenta' ? importKayentaConfig(body, query.name) : importOpsmxTemplate(body, query.name),
        'body',
      );
      return saveTemplate(template, `import:${params.format}`, caller, 'body');
    },
  );
}

function verificationSummary(verification: VerificationRecord) {
  return {
    id: verification.id,
    status: verification.status,
    score: verification.score,
    reason: verification.reason,
    application: verification.application,
    pipelineName: verification.pipelineName,
    pipelineId: verification.pipelineId,
    executionId: verification.executionId,
    stageId: verification.stageId,
    template: { name: verification.templateName, version: verification.templateVersion },
    thresholds: verification.thresholds,
    createdAt: verification.createdAt,
    finishedAt: verification.finishedAt,
  };
}

function accepted(body: { id: string }) {
  return { status: 202, body, headers: { Location: `/api/v1/verifications/${body.id}` } };
}

function callerName(caller: Caller): string {
  return caller.kind === 'user' ? caller.user : caller.kind === 'service' ? caller.name : 'anonymous';
}

/** Shared templates (no application) are seen by everyone; an application's only with READ on it. */
function mayReadTemplate(caller: Caller, template: StoredTemplate): boolean {
  const owner = template.definition.application;
  return owner === undefined || canAccessApplication(caller, owner, 'READ');
}

/**
 * Who may change a template: WRITE on its application; for a shared one, a Fiat admin or a holder of
 * one of `editorRoles`. A user who may not even see the application gets the same answer as for a
 * missing one (404 wording), so the check reveals nothing.
 */
function assertTemplateOwner(caller: Caller, owner: string | undefined, editorRoles: string[], name: string): void {
  if (owner !== undefined) {
    requireApplicationRead(caller, owner, `application ${owner}`);
    if (canAccessApplication(caller, owner, 'WRITE')) return;
    throw new NotAllowedError(
      `${callerName(caller)} may not change template ${name}: needs WRITE on application ${owner}`,
      {
        code: 'not_template_editor',
      },
    );
  }
  if (isAdmin(caller)) return;
  const allowed = new Set(editorRoles.map((role) => role.toLowerCase()));
  if (caller.kind === 'user' && caller.roles.some((role) => allowed.has(role))) return;
  throw new NotAllowedError(
    `${callerName(caller)} may not change the shared template ${name}: needs to be an admin${
      editorRoles.length ? ` or hold one of the roles ${editorRoles.join(', ')}` : ''
    }, or the template needs an application the user may WRITE`,
    { code: 'not_template_editor' },
  );
}

/**
 * Orca leaves a failed SpEL expression as literal `${...}` text: refuse it naming the field. Inline
 * template queries are exempt, since `${scope}` placeholders are meant to be there (they are checked
 * against the known placeholders instead).
 */
function rejectFailedExpressions(body: CreateVerificationBody): void {
  const copy = JSON.parse(JSON.stringify(body)) as CreateVerificationBody & {
    template: { metrics?: Array<Record<string, unknown>> };
  };
  if (Array.isArray(copy.template.metrics)) {
    for (const metric of copy.template.metrics) if (metric && typeof metric === 'object') delete metric.query;
  }
  const unresolved = findUnresolvedExpression(copy);
  if (unresolved) {
    throw new InputError(
      `field body.${unresolved.path} holds the unevaluated expression ${unresolved.expression}: a SpEL expression failed in Orca`,
      {
        code: 'unresolved_expression',
        issues: [{ path: `body.${unresolved.path}`, message: 'unevaluated SpEL expression' }],
      },
    );
  }
}

function prefixIssues<T>(work: () => T, prefix: string): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof InputError) {
      const issues = error.issues.map((issue) => ({
        ...issue,
        path: issue.path === '(root)' ? prefix : `${prefix}.${issue.path}`,
      }));
      throw new InputError(`${issues[0]?.path ?? prefix}: ${issues[0]?.message ?? error.message}`, {
        code: error.code,
        issues,
      });
    }
    throw error;
  }
}

async function mustGetTemplate(
  templates: TemplateStore,
  name: string,
  version: number | undefined,
  caller: Caller,
): Promise<StoredTemplate> {
  const template = await templates.get(name, version);
  if (!template || !mayReadTemplate(caller, template))
    throw new NotFoundError(`no template ${name}${version ? ` version ${version}` : ''}`, {
      code: 'template_not_found',
    });
  return template;
}

function templateSummary(template: StoredTemplate) {
  return {
    name: template.name,
    version: template.version,
    description: template.description,
    metricCount: template.definition.metrics.length,
    groups: [...new Set(template.definition.metrics.flatMap((metric) => metric.groups))],
    source: template.source,
    createdBy: template.createdBy,
    createdAt: template.createdAt,
  };
}

function templateDetail(template: StoredTemplate) {
  return { ...templateSummary(template), definition: template.definition };
}

/**
 * Every metric must resolve to a provider account, and (when enabled) each provider must accept the
 * query's syntax. A provider that cannot be reached is not a template error: the check is skipped.
 */
async function checkTemplateQueries(
  template: Template,
  deps: RouteDependencies,
  pathPrefix: string,
  scope?: Record<string, string>,
): Promise<void> {
  const issues: { path: string; message: string }[] = [];
  const check = async (metric: Template['metrics'][number], index: number) => {
    const path = `${pathPrefix}.metrics.${index}`;
    let provider;
    try {
      provider = deps.providers.resolve(metric.provider, `${path}.provider`);
    } catch (error) {
      if (error instanceof InputError) issues.push(...error.issues);
      return;
    }
    if (!deps.config.analysis.checkQueriesOnCreate) return;
    const sampleScope =
      scope ?? Object.fromEntries([...scopeKeysUsed(metric.query), 'isd_check'].map((key) => [key, 'isd-check']));
    const query = expandQuery(metric.query, sampleScope, (s) => provider.renderScope(s), template.stepSeconds);
    try {
      const complaint = await provider.checkQuery(query);
      if (complaint) issues.push({ path: `${path}.query`, message: complaint });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      deps.logger.warn({ provider: provider.name, err: error }, 'provider unreachable: query syntax not checked');
    }
  };
  // A few checks at a time: a 200-metric template must not hit the provider with 200 requests at once.
  let next = 0;
  const worker = async () => {
    while (next < template.metrics.length) {
      const index = next++;
      await check(template.metrics[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(QUERY_CHECK_CONCURRENCY, template.metrics.length) }, worker));
  if (issues.length) {
    issues.sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
    throw new InputError(`${issues[0]!.path}: ${issues[0]!.message}`, { code: 'invalid_template', issues });
  }
}

/** Resolves the template, checks scopes, windows and queries, and builds the record to store. */
async function prepareVerification(body: CreateVerificationBody, deps: RouteDependencies, log: Logger) {
  const { config, templates } = deps;
  let template: Template;
  let templateVersion: number | null = null;
  let templatePath: string;
  if ('metrics' in body.template) {
    template = parseTemplate({ name: 'inline', ...body.template }, 'body.template');
    templatePath = 'body.template';
  } else {
    const ref = templateRefSchema.safeParse(body.template);
    if (!ref.success) {
      const issues = ref.error.issues.map((issue) => ({
        path: ['body', 'template', ...issue.path.map(String)].join('.'),
        message: issue.message,
      }));
      throw new InputError(`${issues[0]!.path}: ${issues[0]!.message}`, { code: 'validation_failed', issues });
    }
    const stored = await templates.get(ref.data.name, ref.data.version ?? undefined);
    if (!stored) {
      const what = ref.data.version ? `${ref.data.name} version ${ref.data.version}` : ref.data.name;
      throw new InputError(`body.template: no template ${what}`, {
        code: 'template_not_found',
        issues: [
          { path: ref.data.version ? 'body.template.version' : 'body.template.name', message: `no template ${what}` },
        ],
      });
    }
    if (
      stored.definition.application !== undefined &&
      stored.definition.application.toLowerCase() !== body.application.toLowerCase()
    )
      throw new InputError(`body.template: template ${stored.name} belongs to another application`, {
        code: 'template_of_other_application',
        issues: [{ path: 'body.template.name', message: `belongs to application ${stored.definition.application}` }],
      });
    template = stored.definition;
    templateVersion = stored.version;
    templatePath = `template(${stored.name}@${stored.version})`;
  }
  const issues: { path: string; message: string }[] = [];
  template.metrics.forEach((metric) => {
    for (const key of scopeKeysUsed(metric.query)) {
      for (const side of ['baseline', 'canary'] as const) {
        if (body[side][key] === undefined)
          issues.push({
            path: `body.${side}.${key}`,
            message: `metric ${metric.name} reads \${scope.${key}}: the ${side} scope needs label ${key}`,
          });
      }
    }
  });
  const startMs = body.startTime ? Date.parse(body.startTime) : Date.now();
  const lifetimeMs = body.lifetimeMs;
  const intervalMs = body.intervalMs ?? lifetimeMs;
  // A start far from now is almost always a unit or SpEL mistake (seconds for ms, a stale timestamp).
  if (Math.abs(startMs - Date.now()) > config.analysis.maxLifetimeMs) {
    issues.push({ path: 'body.startTime', message: `must be within ${config.analysis.maxLifetimeMs} ms of now` });
  }
  if (lifetimeMs > config.analysis.maxLifetimeMs)
    issues.push({ path: 'body.lifetimeMs', message: `must be at most ${config.analysis.maxLifetimeMs} ms` });
  if (intervalMs < config.analysis.minIntervalMs)
    issues.push({ path: 'body.intervalMs', message: `must be at least ${config.analysis.minIntervalMs} ms` });
  if (intervalMs > lifetimeMs) issues.push({ path: 'body.intervalMs', message: 'must not exceed lifetimeMs' });
  if (issues.length)
    throw new InputError(`${issues[0]!.path}: ${issues[0]!.message}`, { code: 'validation_failed', issues });
  const windows = analysisWindows({
    startMs,
    lifetimeMs,
    intervalMs,
    ...(body.lookbackMs ? { lookbackMs: body.lookbackMs } : {}),
    ...(body.beginAfterMs ? { beginAfterMs: body.beginAfterMs } : {}),
  });
  if (windows.length === 0)
    throw new InputError('body.lifetimeMs: no analysis window fits', {
      issues: [{ path: 'body.lifetimeMs', message: 'no analysis window fits' }],
    });
  // Check the queries as they will run (baseline scope), so a typo fails the stage now, not in an hour.
  await checkTemplateQueries(template, deps, templatePath, body.baseline);
  const judge: JudgeName = body.judge ?? template.judge ?? config.analysis.defaultJudge;
  log.info(
    { executionId: body.executionId, stageId: body.stageId, template: template.name, windows: windows.length },
    'verification accepted',
  );
  return {
    id: randomUUID(),
    executionId: body.executionId,
    stageId: body.stageId,
    application: body.application,
    pipelineName: body.pipelineName ?? null,
    pipelineId: body.pipelineId ?? null,
    spec: {
      application: body.application,
      executionId: body.executionId,
      stageId: body.stageId,
      baseline: body.baseline,
      canary: body.canary,
      startMs,
      lifetimeMs,
      intervalMs,
      ...(body.lookbackMs ? { lookbackMs: body.lookbackMs } : {}),
      ...(body.beginAfterMs ? { beginAfterMs: body.beginAfterMs } : {}),
    },
    template,
    templateName: template.name,
    templateVersion,
    judge,
    thresholds: body.thresholds ?? DEFAULT_THRESHOLDS,
    windows,
  };
}
