// The autopilot HTTP API: verifications (Orca's gate contract: create → 202 + Location, monitor, cancel),
// their report, metric and log templates (list, versions, create, import), and feedback marks on log
// clusters per application.
import { randomUUID } from 'node:crypto';
import {
  canAccessApplication,
  nextPageCursor,
  findUnresolvedExpression,
  InputError,
  isAdmin,
  requireApplicationRead,
  NotAllowedError,
  NotFoundError,
  UserWriteBudget,
  type Caller,
  type FieldIssue,
  type HttpApp,
  type Logger,
} from '@isd/kit';
import { z } from 'zod';
import type { AutopilotConfig } from '../config';
import { analysisWindows, type JudgeName } from '../domain';
import { ProviderError } from '../providers/provider';
import { ScopeValueError } from '../providers/scope-value';
import type { ProviderRegistry } from '../providers/registry';
import type { VerificationRunner } from '../analysis/runner';
import { logMarkAuditRecord } from '../audit/append';
import { clusterKey, importOpsmxLogTemplate, logTemplateSchema, scopeFilter, type LogTemplate } from '../logs';
import type { LogMarkView } from '../logs/log-view';
import type { LogProviderRegistry } from '../logs/providers/registry';
import type { LogMarkStore, StoredLogMark } from '../store/log-mark-store';
import { renderReportHtml } from '../report/html';
import { buildReport } from '../report/report';
import type { StoredTemplate, TemplateStore } from '../store/template-store';
import type { VerificationRecord, VerificationStore } from '../store/verification-store';
import { registerArgoRoutes } from './argo';
import { importKayentaConfig, importOpsmxTemplate } from '../templates/import';
import { expandQuery, scopeKeysUsed, templateSchema, type Template } from '../templates/template';
import {
  applicationParams,
  verificationListFilter,
  verificationListQuery,
  verificationListSchema,
  createVerificationSchema,
  LOG_TEMPLATE_REFUSALS,
  TEMPLATE_REFUSALS,
  VERIFICATION_REFUSALS,
  logImportParams,
  logImportQuery,
  logMarkBody,
  logMarkListSchema,
  logMarkParams,
  logMarkViewSchema,
  logTemplateSummarySchema,
  importParams,
  importQuery,
  jsonObjectSchema,
  reportQuery,
  templateParams,
  templateVersionParams,
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
  logTemplates: TemplateStore<LogTemplate>;
  marks: LogMarkStore;
  verifications: VerificationStore;
  providers: ProviderRegistry;
  logProviders: LogProviderRegistry;
  runner: VerificationRunner;
}

const DEFAULT_THRESHOLDS = { pass: 80, marginal: 60 };
/** Writes answer 429 for the kit's limit of requests in flight and for the user's writes per minute. */
const WRITE_LIMIT_RESPONSE = {
  description:
    'the user has its limit of requests in flight (server.userInFlightLimit) or made userWrites.perMinute changes this minute; retry after Retry-After seconds',
};
const QUERY_CHECK_CONCURRENCY = 8;

/** Registers every autopilot route on the service's HTTP app. */
export function registerRoutes(http: HttpApp, deps: RouteDependencies): void {
  const { config, templates, marks, verifications, runner } = deps;
  const publicUrl = config.server.publicUrl;
  const writes = new UserWriteBudget({
    perMinute: config.userWrites.perMinute,
    configKey: 'userWrites.perMinute',
    writes: 'template or log mark changes',
  });

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
      responses: {
        202: { description: 'started (or already started)', schema: verificationViewSchema },
        400: { description: VERIFICATION_REFUSALS },
      },
    },
    async ({ body, log }) => {
      rejectFailedExpressions(body);
      return accepted(await view((await startOrResumeVerification(body, deps, log)).id));
    },
  );

  registerArgoRoutes(http, deps, (body, log) => startOrResumeVerification(body, deps, log));

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
      const rows = await verifications.list(verificationListFilter(query, caller));
      return {
        status: 200,
        body: {
          verifications: rows.map(verificationSummary),
          next: nextPageCursor(rows, query.limit),
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
      responses: {
        200: { description: 'the verification', schema: verificationViewSchema },
        404: { description: 'no such verification, or not visible to the caller' },
      },
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
      responses: {
        200: { description: 'the verification after the cancel', schema: verificationViewSchema },
        404: { description: 'no such verification' },
      },
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
      responses: {
        200: {
          description: 'text/html report, or its JSON form',
          schema: z.record(z.string(), z.unknown()),
          otherContentTypes: ['text/html'],
        },
        404: { description: 'no such verification, or not visible to the caller' },
      },
    },
    async ({ params, query, accepts, caller }) => {
      const verification = await visibleVerification(params.id, caller);
      const currentMarks = verification.logTemplate
        ? new Map((await marks.list(verification.application)).map((m) => [m.clusterKey, markView(m)]))
        : new Map<string, LogMarkView>();
      const report = buildReport(verification, await verifications.intervals(params.id), publicUrl, currentMarks);
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
      responses: {
        200: { description: 'the template' },
        404: { description: 'no such template, or not visible to the caller' },
      },
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
      responses: {
        200: { description: 'versions' },
        404: { description: 'no such template, or not visible to the caller' },
      },
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
      params: templateVersionParams,
      responses: {
        200: { description: 'the template version' },
        404: { description: 'no such template, or not visible to the caller' },
      },
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
    await writes.spend(caller);
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
      body: templateSchema,
      responses: {
        201: { description: 'new version' },
        200: { description: 'unchanged: the latest version' },
        400: { description: TEMPLATE_REFUSALS },
        429: WRITE_LIMIT_RESPONSE,
      },
    },
    async ({ body, caller }) => saveTemplate(body, 'api', caller, 'body'),
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
      responses: {
        201: { description: 'new version' },
        200: { description: 'unchanged: the latest version' },
        429: WRITE_LIMIT_RESPONSE,
      },
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

  registerLogTemplateRoutes(http, deps, writes);
  registerLogMarkRoutes(http, deps, writes);
}

/** Log templates: the same list / versions / create / import routes as metric templates, under /log-templates. */
function registerLogTemplateRoutes(http: HttpApp, deps: RouteDependencies, writes: UserWriteBudget): void {
  const { config, logTemplates, logProviders } = deps;
  const mustGet = async (name: string, version: number | undefined, caller: Caller) => {
    const stored = await logTemplates.get(name, version);
    if (!stored || !mayReadTemplate(caller, stored))
      throw new NotFoundError(`no log template ${name}${version ? ` version ${version}` : ''}`, {
        code: 'template_not_found',
      });
    return stored;
  };
  const detail = (stored: StoredTemplate<LogTemplate>) => ({
    ...logTemplateSummary(stored),
    definition: stored.definition,
  });

  http.route(
    {
      method: 'get',
      path: '/api/v1/log-templates',
      summary: 'Log templates (latest version of each)',
      tags: ['log templates'],
      auth: 'service-or-user',
      responses: {
        200: { description: 'log templates', schema: z.object({ templates: z.array(logTemplateSummarySchema) }) },
      },
    },
    async ({ caller }) => ({
      status: 200,
      body: {
        templates: (await logTemplates.listLatest())
          .filter((stored) => mayReadTemplate(caller, stored))
          .map(logTemplateSummary),
      },
    }),
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/log-templates/:name',
      summary: 'The latest version of a log template',
      tags: ['log templates'],
      auth: 'service-or-user',
      params: templateParams,
      responses: {
        200: { description: 'the log template' },
        404: { description: 'no such log template, or not visible to the caller' },
      },
    },
    async ({ params, caller }) => ({ status: 200, body: detail(await mustGet(params.name, undefined, caller)) }),
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/log-templates/:name/versions',
      summary: 'Every version of a log template, newest first',
      tags: ['log templates'],
      auth: 'service-or-user',
      params: templateParams,
      responses: {
        200: { description: 'versions' },
        404: { description: 'no such log template, or not visible to the caller' },
      },
    },
    async ({ params, caller }) => {
      const versions = await logTemplates.versions(params.name);
      if (versions.length === 0 || !mayReadTemplate(caller, versions[0]!))
        throw new NotFoundError(`no log template ${params.name}`, { code: 'template_not_found' });
      return { status: 200, body: { versions: versions.map(logTemplateSummary) } };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/log-templates/:name/versions/:version',
      summary: 'One version of a log template',
      tags: ['log templates'],
      auth: 'service-or-user',
      params: templateVersionParams,
      responses: {
        200: { description: 'the log template version' },
        404: { description: 'no such log template, or not visible to the caller' },
      },
    },
    async ({ params, caller }) => {
      await mustGet(params.name, undefined, caller);
      return { status: 200, body: detail(await mustGet(params.name, params.version, caller)) };
    },
  );

  const save = async (template: LogTemplate, source: string, caller: Caller) => {
    const latest = await logTemplates.get(template.name);
    if (latest) {
      if (!mayReadTemplate(caller, latest))
        throw new NotAllowedError(`log template name ${template.name} is taken`, { code: 'template_name_taken' });
      assertTemplateOwner(caller, latest.definition.application, config.templates.editorRoles, template.name);
    }
    assertTemplateOwner(caller, template.application, config.templates.editorRoles, template.name);
    logProviders.check(template, 'body.');
    if (config.analysis.checkQueriesOnCreate) await logProviders.checkQuery(template, 'body.');
    await writes.spend(caller);
    const { template: stored, created } = await logTemplates.save(template, source, callerName(caller));
    return {
      status: created ? 201 : 200,
      body: detail(stored),
      headers: { Location: `/api/v1/log-templates/${encodeURIComponent(stored.name)}/versions/${stored.version}` },
    };
  };

  http.route(
    {
      method: 'post',
      path: '/api/v1/log-templates',
      summary: 'Create a log template version (the same definition as the latest version is a no-op)',
      tags: ['log templates'],
      auth: 'user',
      body: logTemplateSchema,
      responses: {
        201: { description: 'new version' },
        200: { description: 'unchanged: the latest version' },
        400: { description: LOG_TEMPLATE_REFUSALS },
        429: WRITE_LIMIT_RESPONSE,
      },
    },
    async ({ body, caller }) => save(body, 'api', caller),
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/log-templates/import/:format',
      summary: 'Import an OpsMx log template (its JSON) as a log template version; `?provider=` names the account',
      tags: ['log templates'],
      auth: 'user',
      params: logImportParams,
      query: logImportQuery,
      body: jsonObjectSchema,
      responses: {
        201: { description: 'new version' },
        200: { description: 'unchanged: the latest version' },
        429: WRITE_LIMIT_RESPONSE,
      },
    },
    async ({ params, query, body, caller }) =>
      save(
        prefixIssues(() => importOpsmxLogTemplate(body, query), 'body'),
        `import:${params.format}`,
        caller,
      ),
  );
}

function logTemplateSummary(stored: StoredTemplate<LogTemplate>) {
  return {
    name: stored.name,
    version: stored.version,
    description: stored.description,
    provider: stored.definition.provider,
    application: stored.definition.application ?? null,
    scoringAlgorithm: stored.definition.scoringAlgorithm,
    sensitivity: stored.definition.sensitivity,
    source: stored.source,
    createdBy: stored.createdBy,
    createdAt: stored.createdAt,
  };
}

function markView(mark: StoredLogMark): LogMarkView {
  return { mark: mark.mark, comment: mark.comment, markedBy: mark.markedBy, markedAt: mark.markedAt };
}

/**
 * Feedback on log clusters: a person (through Gate, X-SPINNAKER-USER) with WRITE on the application marks
 * a cluster expected, ignorable or critical; later runs of that application apply it. A service token is
 * refused (the kit's `user` auth), so no caller can set a mark in someone else's name.
 */
function registerLogMarkRoutes(http: HttpApp, deps: RouteDependencies, writes: UserWriteBudget): void {
  const { marks, runner } = deps;
  const requireWrite = (caller: Caller, application: string) => {
    requireApplicationRead(caller, application, `application ${application}`);
    if (!canAccessApplication(caller, application, 'WRITE'))
      throw new NotAllowedError(
        `${callerName(caller)} may not mark log clusters of ${application}: needs WRITE on the application`,
        { code: 'not_application_writer' },
      );
  };

  http.route(
    {
      method: 'get',
      path: '/api/v1/applications/:application/log-marks',
      summary: "An application's marks on log clusters, newest first, with who set them and when",
      tags: ['log marks'],
      auth: 'service-or-user',
      params: applicationParams,
      responses: { 200: { description: 'marks', schema: logMarkListSchema } },
    },
    async ({ params, caller }) => {
      requireApplicationRead(caller, params.application, `application ${params.application}`);
      return { status: 200, body: { marks: await marks.list(params.application) } };
    },
  );

  http.route(
    {
      method: 'put',
      path: '/api/v1/applications/:application/log-marks/:clusterKey',
      summary: 'Mark a log cluster expected, ignorable or critical for later runs of the application',
      tags: ['log marks'],
      auth: 'user',
      params: logMarkParams,
      body: logMarkBody,
      responses: {
        200: { description: 'the mark as stored', schema: logMarkViewSchema },
        400: { description: 'a new cluster beyond logMarks.maxPerApplication, or a template of another cluster' },
        429: WRITE_LIMIT_RESPONSE,
      },
    },
    async ({ params, body, caller }) => {
      requireWrite(caller, params.application);
      if (body.template !== undefined && clusterKey(body.template) !== params.clusterKey)
        throw new InputError(`body.template: its key is ${clusterKey(body.template)}, not ${params.clusterKey}`, {
          code: 'cluster_key_mismatch',
          issues: [{ path: 'body.template', message: `not the template of cluster ${params.clusterKey}` }],
        });
      await writes.spend(caller);
      const stored = await marks.put({
        application: params.application,
        clusterKey: params.clusterKey,
        template: body.template ?? null,
        mark: body.mark,
        comment: body.comment ?? null,
        markedBy: callerName(caller),
      });
      await runner.auditMark(logMarkAuditRecord(stored, 'marked'));
      return { status: 200, body: stored };
    },
  );

  http.route(
    {
      method: 'delete',
      path: '/api/v1/applications/:application/log-marks/:clusterKey',
      summary: 'Remove the mark of a log cluster (later runs score it as found)',
      tags: ['log marks'],
      auth: 'user',
      params: logMarkParams,
      responses: {
        204: { description: 'removed' },
        404: { description: 'no mark on this cluster' },
        429: WRITE_LIMIT_RESPONSE,
      },
    },
    async ({ params, caller }) => {
      requireWrite(caller, params.application);
      await writes.spend(caller);
      const existing = (await marks.list(params.application)).find((m) => m.clusterKey === params.clusterKey);
      if (!existing || !(await marks.remove(params.application, params.clusterKey)))
        throw new NotFoundError(`no mark on cluster ${params.clusterKey} of ${params.application}`, {
          code: 'mark_not_found',
        });
      await runner.auditMark(
        logMarkAuditRecord(
          { ...existing, markedBy: callerName(caller), markedAt: new Date().toISOString() },
          'unmarked',
        ),
      );
      return { status: 204 };
    },
  );
}

/**
 * Create-or-get on `(executionId, stageId)`: a repeated request answers the stored verification and
 * re-queues its next window, in case the first attempt died between storing it and queueing its job.
 */
export async function startOrResumeVerification(
  body: CreateVerificationBody,
  deps: RouteDependencies,
  log: Logger,
): Promise<VerificationRecord> {
  const { verifications, runner } = deps;
  const existing = await verifications.getByStage(body.executionId, body.stageId);
  const verification =
    existing ?? (await verifications.createOrGet(await prepareVerification(body, deps, log))).verification;
  await runner.scheduleNext(
    verification,
    (await verifications.intervals(verification.id, { withData: 'none' })).length,
  );
  await runner.scheduleWatchdog(verification);
  return verification;
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
function mayReadTemplate(caller: Caller, template: { definition: { application?: string | undefined } }): boolean {
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
 * template queries and count queries are exempt, since `${scope}` placeholders are meant to be there (they are checked
 * against the known placeholders instead).
 */
function rejectFailedExpressions(body: CreateVerificationBody): void {
  const copy = JSON.parse(JSON.stringify(body)) as CreateVerificationBody & {
    template?: { metrics?: Array<Record<string, unknown>> } | null;
    logTemplate?: { query?: unknown } | null;
  };
  if (copy.template && Array.isArray(copy.template.metrics)) {
    for (const metric of copy.template.metrics)
      if (metric && typeof metric === 'object') {
        delete metric.query;
        delete metric.countQuery;
      }
  }
  // An inline log template's query holds `${scope}` on purpose.
  if (copy.logTemplate && typeof copy.logTemplate === 'object') delete copy.logTemplate.query;
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
    // The count query is checked like the query: it runs with the same scope and step.
    for (const field of ['query', 'countQuery'] as const) {
      const text = metric[field];
      if (text === undefined) continue;
      const sampleScope =
        scope ?? Object.fromEntries([...scopeKeysUsed(text), 'isd_check'].map((key) => [key, 'isd-check']));
      let query: string;
      try {
        query = expandQuery(text, sampleScope, provider, template.stepSeconds);
      } catch (error) {
        // A scope value the provider's selector syntax cannot hold (e.g. a Graphite tag value with `;`).
        if (!(error instanceof ProviderError && error.kind === 'query')) throw error;
        issues.push({ path: `${path}.${field}`, message: error.message });
        continue;
      }
      try {
        const complaint = await provider.checkQuery(query);
        if (complaint) issues.push({ path: `${path}.${field}`, message: complaint });
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        deps.logger.warn({ provider: provider.name, err: error }, 'provider unreachable: query syntax not checked');
        return;
      }
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

/**
 * Each side's scope written into a metric's query: a value the query cannot hold where the template puts it
 * (a quote of a literal it cannot escape, a wildcard, a Datadog filter's `,`) is refused naming the label, so
 * the stage fails now, whether or not queries are checked against the provider. An unknown provider is
 * checkTemplateQueries' to report.
 */
function scopeValueIssues(
  metric: Template['metrics'][number],
  index: number,
  body: Pick<CreateVerificationBody, 'baseline' | 'canary'>,
  deps: RouteDependencies,
): FieldIssue[] {
  let provider;
  try {
    provider = deps.providers.resolve(metric.provider, `template.metrics.${index}.provider`);
  } catch {
    return [];
  }
  const issues: FieldIssue[] = [];
  for (const side of ['baseline', 'canary'] as const) {
    try {
      for (const query of [metric.query, ...(metric.countQuery === undefined ? [] : [metric.countQuery])])
        expandQuery(query, body[side], provider, 60);
    } catch (error) {
      if (error instanceof ScopeValueError)
        issues.push({ path: `body.${side}.${error.label}`, message: `metric ${metric.name}: ${error.message}` });
      // Another refusal of the provider's selector syntax is checkTemplateQueries' to name.
      else if (!(error instanceof ProviderError && error.kind === 'query')) throw error;
    }
  }
  return issues;
}

/**
 * What a log provider's quoted filter value cannot hold: every store's string ends at a line break (an
 * escape would be read differently by each), and Splunk's search reads `*` as a wildcard even inside
 * quotes, with no escape (help.splunk.com, "Backslashes"): `pod="*"` would read every pod's logs.
 */
function logScopeValueProblem(type: string, value: string): string | undefined {
  if (/[\u0000-\u001f\u007f]/.test(value)) return `the value ${JSON.stringify(value)} holds a control character`;
  if (type === 'splunk' && value.includes('*'))
    return `the value ${JSON.stringify(value)} holds *, which Splunk's search reads as a wildcard and cannot escape`;
  return undefined;
}

/** Resolves the template, checks scopes, windows and queries, and builds the record to store. */
async function prepareVerification(body: CreateVerificationBody, deps: RouteDependencies, log: Logger) {
  const { config, templates } = deps;
  const logs = body.logTemplate ? await resolveLogTemplate(body, deps) : null;
  let template: Template;
  let templateVersion: number | null = null;
  let templatePath: string;
  if (!body.template) {
    // Logs only: an empty metric template, so the window jobs read no metrics.
    template = { name: '', stepSeconds: 60, groupWeights: {}, metrics: [] };
    templatePath = 'body.template';
  } else if ('metrics' in body.template) {
    template = body.template;
    templatePath = 'body.template';
  } else {
    const ref = body.template;
    const stored = await templates.get(ref.name, ref.version ?? undefined);
    if (!stored) {
      const what = ref.version ? `${ref.name} version ${ref.version}` : ref.name;
      throw new InputError(`body.template: no template ${what}`, {
        code: 'template_not_found',
        issues: [
          { path: ref.version ? 'body.template.version' : 'body.template.name', message: `no template ${what}` },
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
  template.metrics.forEach((metric, index) => {
    let missing = false;
    for (const key of new Set([...scopeKeysUsed(metric.query), ...scopeKeysUsed(metric.countQuery ?? '')])) {
      for (const side of ['baseline', 'canary'] as const) {
        if (!Object.hasOwn(body[side], key)) {
          missing = true;
          issues.push({
            path: `body.${side}.${key}`,
            message: `metric ${metric.name} reads \${scope.${key}}: the ${side} scope needs label ${key}`,
          });
        }
      }
    }
    if (!missing) issues.push(...scopeValueIssues(metric, index, body, deps));
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
  if (template.metrics.length > 0) await checkTemplateQueries(template, deps, templatePath, body.baseline);
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
    logTemplate: logs?.template ?? null,
    logTemplateVersion: logs?.version ?? null,
    weights: body.weights ?? { metric: config.analysis.metricWeight, log: config.analysis.logWeight },
    judge,
    thresholds: body.thresholds ?? DEFAULT_THRESHOLDS,
    windows,
  };
}

/**
 * The log template a verification names (stored by {name, version?}, or inline), checked against its
 * provider account and both scopes: a filterKey the scope cannot fill is a 400 naming the scope label.
 */
async function resolveLogTemplate(
  body: CreateVerificationBody,
  deps: RouteDependencies,
): Promise<{ template: LogTemplate; version: number | null }> {
  const input = body.logTemplate!;
  let template: LogTemplate;
  let version: number | null = null;
  let prefix: string;
  if ('provider' in input) {
    template = input;
    prefix = 'body.logTemplate.';
  } else {
    const ref = input;
    const stored = await deps.logTemplates.get(ref.name, ref.version ?? undefined);
    const what = ref.version ? `${ref.name} version ${ref.version}` : ref.name;
    if (!stored)
      throw new InputError(`body.logTemplate: no log template ${what}`, {
        code: 'template_not_found',
        issues: [{ path: `body.logTemplate.${ref.version ? 'version' : 'name'}`, message: `no log template ${what}` }],
      });
    if (
      stored.definition.application !== undefined &&
      stored.definition.application.toLowerCase() !== body.application.toLowerCase()
    )
      throw new InputError(`body.logTemplate: log template ${stored.name} belongs to another application`, {
        code: 'template_of_other_application',
        issues: [{ path: 'body.logTemplate.name', message: `belongs to application ${stored.definition.application}` }],
      });
    template = stored.definition;
    version = stored.version;
    prefix = `logTemplate(${stored.name}@${stored.version}).`;
  }
  deps.logProviders.check(template, prefix);
  const providerType = deps.logProviders.account(template.provider, `${prefix}provider`).config.type;
  const issues: { path: string; message: string }[] = [];
  for (const side of ['baseline', 'canary'] as const) {
    const found = scopeFilter(template, body[side]);
    if ('missing' in found)
      issues.push({
        path: `body.${side}.${found.missing}`,
        message: `log template ${template.name} filters on ${found.missing}: the ${side} scope needs that label (or exactly one label)`,
      });
    else
      for (const [label, value] of found.labels) {
        const problem = logScopeValueProblem(providerType, value);
        if (problem)
          issues.push({ path: `body.${side}.${label}`, message: `log template ${template.name}: ${problem}` });
      }
  }
  if (issues.length)
    throw new InputError(`${issues[0]!.path}: ${issues[0]!.message}`, { code: 'validation_failed', issues });
  // The query as the baseline will run it, so a bad one fails the stage now, not when the window ends.
  if (deps.config.analysis.checkQueriesOnCreate) await deps.logProviders.checkQuery(template, prefix, body.baseline);
  return { template, version };
}
