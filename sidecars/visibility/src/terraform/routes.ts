// HTTP routes of the Terraform stage: Orca's create / monitor / cancel; Deck reads the same body (the
// approval inside it is decided through the approval routes).
import type { Caller, HttpApp } from '@isd/kit';
import type { ApprovalGate } from '../approvals';
import { presentApproval } from '../api/present';
import type { Approval } from '../domain/model';
import { planLine } from './plan-summary';
import type { TerraformRuns } from './runs';
import {
  createTerraformRunSchema,
  terraformCancelSchema,
  terraformRunIdParamsSchema,
  terraformRunSchema,
  type TerraformRunBody,
} from './schemas';
import type { TerraformRun } from './store';

const problem = (description: string) => ({ description });

/** One line for Orca's progress and Deck: where the run is. */
export function progressMessage(run: TerraformRun, approval: Approval | null): string {
  const where = `${run.organization}/${run.workspace}`;
  const terraform = run.tfcRunId ? ` (Terraform run ${run.tfcRunId}: ${run.tfcStatus ?? 'unknown'})` : '';
  switch (run.status) {
    case 'planning':
      return run.error ? `planning in ${where}; last error: ${run.error}` : `planning in ${where}${terraform}`;
    case 'awaiting_approval': {
      const groups = approval?.rules.groups.map((group) => `${group.required} of ${group.name}`).join(', ') ?? '';
      return `plan ${run.plan ? planLine(run.plan) : ''} waits for approval (${groups})${terraform}`;
    }
    case 'applying':
      return `applying in ${where}${terraform}`;
    case 'applied':
      return `applied in ${where}: ${run.plan ? planLine(run.plan) : ''}`;
    case 'no_changes':
      return `no changes in ${where}; nothing applied`;
    case 'rejected':
    case 'expired':
      return `approval ${run.status}; the plan was discarded`;
    case 'canceled':
      return 'canceled';
    default:
      return run.error ?? run.status;
  }
}

export function presentTerraformRun(
  run: TerraformRun,
  approval: Approval | null,
  caller: Caller,
  gate: ApprovalGate,
  runUrl: string | null,
  now: Date,
): TerraformRunBody {
  return {
    id: run.id,
    status: run.status,
    message: progressMessage(run, approval),
    application: run.application,
    pipelineName: run.pipelineName,
    executionId: run.executionId,
    stageId: run.stageId,
    attempt: run.attempt,
    triggeredBy: run.triggeredBy,
    organization: run.organization,
    workspace: run.workspace,
    variables: run.variables.map((variable) => variable.key),
    terraform: { runId: run.tfcRunId, status: run.tfcStatus, url: runUrl },
    plan: run.plan,
    approval: approval ? presentApproval(approval, caller, gate.links(approval), now) : null,
    error: run.error,
    history: run.history,
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}

export function registerTerraformRoutes(
  http: HttpApp,
  runs: TerraformRuns,
  gate: ApprovalGate,
  runUrl: (run: TerraformRun) => string | null,
  now: () => Date,
): void {
  const tags = ['terraform'];
  const body = async (run: TerraformRun, caller: Caller) =>
    presentTerraformRun(run, await runs.approvalOf(run), caller, gate, runUrl(run), now());

  http.route(
    {
      method: 'post',
      path: '/api/v1/terraform-runs',
      summary:
        'Start the Terraform stage (Orca): plan in Terraform Cloud, approval on the plan, apply; idempotent on (executionId, stageId)',
      tags,
      auth: 'service',
      rejectUnresolvedExpressions: true,
      body: createTerraformRunSchema,
      responses: {
        202: { description: 'the run (new or existing); Location is its monitor URL', schema: terraformRunSchema },
        400: problem(
          'a field is invalid or holds an unevaluated ${...}; the workspace is not allowed; no terraform config',
        ),
        401: problem('no or a wrong service token'),
      },
    },
    async ({ body: request, caller }) => {
      const run = await runs.create(request);
      return {
        status: 202,
        headers: { Location: `/api/v1/terraform-runs/${run.id}` },
        body: await body(run, caller),
      };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/terraform-runs/:id',
      summary: "The run: status (Orca's monitor), plan, approval and history (Deck)",
      tags,
      auth: 'service-or-user',
      params: terraformRunIdParamsSchema,
      responses: { 200: { description: 'the run', schema: terraformRunSchema }, 404: problem('no such run') },
    },
    async ({ params, caller }) => ({
      status: 200,
      body: await body(await runs.get(params.id.toLowerCase(), caller), caller),
    }),
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/terraform-runs/:id/cancel',
      summary: 'Cancel (Orca, when the execution is canceled): closes the approval, discards the plan; idempotent',
      tags,
      auth: 'service',
      params: terraformRunIdParamsSchema,
      body: terraformCancelSchema,
      responses: { 200: { description: 'the run', schema: terraformRunSchema }, 404: problem('no such run') },
    },
    async ({ params, caller }) => ({
      status: 200,
      body: await body(await runs.cancel(params.id.toLowerCase()), caller),
    }),
  );
}
