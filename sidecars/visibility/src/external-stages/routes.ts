// HTTP routes of the external-system stages: Orca's create, monitor and cancel; Deck reads the same run.
import type { Caller, HttpApp } from '@isd/kit';
import { InputError } from '@isd/kit';
import type { ExternalStageKind, ExternalStageRun } from './model';
import type { ExternalStages } from './runner';
import {
  cancelRunSchema,
  createAwxJobSchema,
  createJiraIssueSchema,
  createServiceNowChangeSchema,
  runBodySchema,
  runIdParamsSchema,
} from './schemas';

const problem = (description: string) => ({ description });

/** The body Orca's monitor reads `$.status` and `$.message` from, and Deck shows. */
export function presentRun(run: ExternalStageRun) {
  return {
    id: run.id,
    kind: run.kind,
    status: run.status,
    message: run.message,
    application: run.application,
    pipelineName: run.pipelineName,
    executionId: run.executionId,
    stageId: run.stageId,
    attempt: run.attempt,
    ref: run.ref,
    observed: run.observed,
    request: run.request,
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
    observedAt: run.observedAt?.toISOString() ?? null,
    deadline: run.deadline.toISOString(),
    closedAt: run.closedAt?.toISOString() ?? null,
  };
}

/** Registers create, monitor and cancel for one kind of stage under `basePath`. */
function registerKind(
  http: HttpApp,
  stages: ExternalStages,
  options: {
    kind: ExternalStageKind;
    basePath: string;
    what: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind's zod schema has its own output type
    body: any;
    notConfigured: () => InputError;
  },
): void {
  const tags = ['external stages'];
  const { kind, basePath, what } = options;
  http.route(
    {
      method: 'post',
      path: basePath,
      summary: `Create the ${what} for an execution's stage (Orca); idempotent on (executionId, stageId, attempt)`,
      tags,
      auth: 'service',
      rejectUnresolvedExpressions: true,
      body: options.body,
      responses: {
        202: { description: 'the run (new or existing); Location is its monitor URL', schema: runBodySchema },
        400: problem('a field is invalid or holds an unevaluated ${...}; the system is not configured'),
        401: problem('no or a wrong service token'),
      },
    },
    async ({ body }) => {
      const { run } = await stages.create(kind, body as Parameters<ExternalStages['create']>[1], options.notConfigured);
      return { status: 202, headers: { Location: `${basePath}/${run.id}` }, body: presentRun(run) };
    },
  );
  http.route(
    {
      method: 'get',
      path: `${basePath}/:id`,
      summary: `The ${what} run: status (Orca's monitor), what the system says, and its link`,
      tags,
      auth: 'service-or-user',
      params: runIdParamsSchema,
      responses: { 200: { description: 'the run', schema: runBodySchema }, 404: problem('no such run') },
    },
    async ({ params, caller }: { params: { id: string }; caller: Caller }) => ({
      status: 200,
      body: presentRun(await stages.poll(kind, params.id.toLowerCase(), caller)),
    }),
  );
  http.route(
    {
      method: 'post',
      path: `${basePath}/:id/cancel`,
      summary: `Cancel the ${what} run (Orca, when the execution is canceled); idempotent`,
      tags,
      auth: 'service',
      params: runIdParamsSchema,
      body: cancelRunSchema,
      responses: { 200: { description: 'the run', schema: runBodySchema }, 404: problem('no such run') },
    },
    async ({ params, caller }: { params: { id: string }; caller: Caller }) => ({
      status: 200,
      body: presentRun(await stages.cancel(kind, params.id.toLowerCase(), caller)),
    }),
  );
}

/** Registers the routes of every external-system stage. */
export function registerExternalStageRoutes(http: HttpApp, stages: ExternalStages): void {
  registerKind(http, stages, {
    kind: 'jira',
    basePath: '/api/v1/jira-issues',
    what: 'JIRA issue',
    body: createJiraIssueSchema,
    notConfigured: () =>
      new InputError(
        'the JIRA stage needs JIRA, and it is not configured for this visibility service (config `connectors.jira.url`)',
        {
          code: 'jira_not_configured',
          issues: [{ path: 'body.project', message: 'JIRA is not configured' }],
        },
      ),
  });
  registerKind(http, stages, {
    kind: 'servicenow',
    basePath: '/api/v1/servicenow-changes',
    what: 'ServiceNow change request',
    body: createServiceNowChangeSchema,
    notConfigured: () =>
      new InputError(
        'the ServiceNow stage needs ServiceNow, and it is not configured for this visibility service (config `connectors.servicenow.url`)',
        {
          code: 'servicenow_not_configured',
          issues: [{ path: 'body.shortDescription', message: 'ServiceNow is not configured' }],
        },
      ),
  });
  registerKind(http, stages, {
    kind: 'awx',
    basePath: '/api/v1/awx-jobs',
    what: 'Ansible (AWX) job',
    body: createAwxJobSchema,
    notConfigured: () =>
      new InputError(
        'the Ansible stage needs AWX, and it is not configured for this visibility service (config `connectors.awx.url`)',
        { code: 'awx_not_configured', issues: [{ path: 'body.jobTemplate', message: 'AWX is not configured' }] },
      ),
  });
}
