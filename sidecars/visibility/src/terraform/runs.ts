// The Terraform stage: queue a Terraform Cloud run that waits for confirmation, show its plan to approver
// groups as an approval gate, then apply it (approved) or discard it (rejected, expired). A job per run
// reads Terraform Cloud every `pollIntervalMs` and moves the run on, whether or not Orca polls.
import { randomUUID } from 'node:crypto';
import type { Caller, JobQueue, Logger } from '@isd/kit';
import { InputError, NotFoundError, canAccessApplication } from '@isd/kit';
import type { ApprovalGate } from '../approvals';
import type { VisibilityConfig } from '../config';
import { digestOf } from '../domain/digest';
import type { Approval, EvidenceCard } from '../domain/model';
import { approverGroupsOf } from '../domain/quorum';
import type { ApprovalStore } from '../store/approval-store';
import type { TerraformConfig } from './config';
import { planLine, summarisePlan, type PlanSummary } from './plan-summary';
import { finishedTerraformStatuses, type CreateTerraformRunRequest, type TerraformRunStatus } from './schemas';
import { TerraformCloudClient, TerraformCloudError, type TfcRun } from './tfc-client';
import type { RunChange, TerraformRun, TerraformRunStore } from './store';

export const terraformJobName = 'terraform-run-advance';

/** Run statuses in which Terraform Cloud waits for someone to apply or discard the plan. */
const CONFIRMABLE = new Set(['planned', 'cost_estimated', 'policy_checked', 'post_plan_completed']);
/** Run statuses after which Terraform Cloud does nothing more with the run. */
const TFC_FINAL = new Set([
  'applied',
  'planned_and_finished',
  'planned_and_saved',
  'discarded',
  'errored',
  'canceled',
  'force_canceled',
  'policy_soft_failed',
]);

/** The run variables as Terraform Cloud takes them: HCL literals (strings quoted, with `${` and `%{` escaped). */
export function hclValue(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  // `$$$$` is one literal `$$` in a replacement string.
  return JSON.stringify(value).replace(/\$\{/g, '$$$${').replace(/%\{/g, '%%{');
}

/** True when `organization/workspace` matches one of the allowed patterns (`*` matches any run of characters). */
export function workspaceAllowed(allowed: string[], organization: string, workspace: string): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((pattern) => {
    const subject = pattern.includes('/') ? `${organization}/${workspace}` : workspace;
    const regex = new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    return regex.test(subject);
  });
}

export interface TerraformRunsOptions {
  config: VisibilityConfig;
  store: TerraformRunStore;
  approvals: ApprovalStore;
  gate: ApprovalGate;
  jobs: JobQueue;
  logger: Logger;
  now: () => Date;
}

export class TerraformRuns {
  private readonly client: TerraformCloudClient | null;
  private readonly logger: Logger;

  constructor(private readonly options: TerraformRunsOptions) {
    this.client = options.config.terraform ? new TerraformCloudClient(options.config.terraform) : null;
    this.logger = options.logger.child({ module: 'terraform' });
  }

  private get tf(): TerraformConfig | undefined {
    return this.options.config.terraform;
  }

  async defineJobs(): Promise<void> {
    await this.options.jobs.define<{ runId: string }>(terraformJobName, (job) => this.advance(job.data.runId), {
      retryLimit: 20,
      retryDelaySeconds: 5,
      expireInSeconds: Math.ceil(((this.tf?.requestTimeoutMs ?? 30_000) * 6) / 1000) + 60,
    });
  }

  /** Orca's create: the run for (executionId, stageId, attempt), new or the one a retry already made. */
  async create(request: CreateTerraformRunRequest): Promise<TerraformRun> {
    const tf = this.tf;
    if (!tf)
      throw new InputError('the Terraform stage needs Terraform Cloud, and visibility has no `terraform` config', {
        code: 'terraform_not_configured',
        issues: [{ path: 'body.workspace', message: 'terraform is not configured in visibility' }],
      });
    const organization = request.organization ?? tf.organization;
    if (!workspaceAllowed(tf.allowedWorkspaces, organization, request.workspace))
      throw new InputError(`workspace ${organization}/${request.workspace} is not in terraform.allowedWorkspaces`, {
        code: 'workspace_not_allowed',
        issues: [{ path: 'body.workspace', message: 'not an allowed workspace' }],
      });
    const { minTimeoutMs, maxTimeoutMs } = this.options.config.approvals;
    if (request.timeoutMs !== undefined && (request.timeoutMs < minTimeoutMs || request.timeoutMs > maxTimeoutMs))
      throw new InputError(`timeoutMs must be between ${minTimeoutMs} and ${maxTimeoutMs}`, {
        code: 'timeout_out_of_range',
        issues: [{ path: 'body.timeoutMs', message: `between ${minTimeoutMs} and ${maxTimeoutMs}` }],
      });
    const now = this.options.now();
    const latest = await this.options.store.latestFor(request.executionId, request.stageId);
    // Orca re-POSTs a create only within its create timeout: a later create of a finished stage is a restart.
    const retry =
      latest &&
      (!latest.finishedAt || now.getTime() - latest.createdAt.getTime() < this.options.config.approvals.retryWindowMs);
    const attempt = latest ? (retry ? latest.attempt : latest.attempt + 1) : 1;
    const variables = Object.entries(request.variables ?? {}).map(([key, value]) => ({ key, value: hclValue(value) }));
    const { run, created } = await this.options.store.createOrGet({
      id: randomUUID(),
      executionId: request.executionId,
      stageId: request.stageId,
      attempt,
      application: request.application,
      pipelineName: request.pipelineName ?? null,
      pipelineId: request.pipelineId ?? null,
      triggeredBy: request.triggeredBy ?? null,
      organization,
      workspace: request.workspace,
      message:
        request.message ??
        `Spinnaker ${request.application}${request.pipelineName ? ` / ${request.pipelineName}` : ''}${request.triggeredBy ? ` by ${request.triggeredBy}` : ''}`,
      variables,
      approvalRequest: {
        approverGroups: request.approverGroups.map((group) => ({ name: group.name, required: group.required ?? 1 })),
        allowSelfApproval: request.allowSelfApproval ?? false,
        timeoutMs: request.timeoutMs ?? null,
        instructions: request.instructions ?? '',
      },
      createdAt: now,
    });
    if (created) await this.schedule(run, new Date(0));
    return run;
  }

  /** The run, when the caller may see it: Orca, READ on the application, or a member of its approver groups. */
  async get(id: string, caller: Caller): Promise<TerraformRun> {
    const run = await this.options.store.get(id);
    if (!run || !mayView(run, caller))
      throw new NotFoundError(`no Terraform run ${id}`, { code: 'terraform_run_not_found' });
    return run;
  }

  /** The approval opened on the run's plan, if any. */
  approvalOf(run: TerraformRun): Promise<Approval | null> {
    return run.approvalId ? this.options.approvals.get(run.approvalId) : Promise.resolve(null);
  }

  /** Orca's cancel: closes the approval and stops the Terraform Cloud run when it can still be stopped. */
  async cancel(id: string): Promise<TerraformRun> {
    for (;;) {
      const run = await this.options.store.get(id);
      if (!run) throw new NotFoundError(`no Terraform run ${id}`, { code: 'terraform_run_not_found' });
      if (run.finishedAt) return run;
      if (run.approvalId) await this.options.gate.cancel(run.approvalId);
      let note = 'canceled by Orca';
      if (this.client && run.tfcRunId) {
        note = await this.stopInTerraform(run.tfcRunId, 'Spinnaker execution canceled').catch(
          (error: unknown) => `canceled by Orca; stopping the Terraform run failed: ${(error as Error).message}`,
        );
      }
      const updated = await this.options.store.update(
        run.id,
        run.version,
        { status: 'canceled', finished: true, event: this.event('canceled', run.tfcStatus, note) },
        this.options.now(),
      );
      if (updated) return updated;
    }
  }

  /** Discards a run waiting for confirmation, cancels one still planning; one applying is left to finish. */
  private async stopInTerraform(runId: string, comment: string): Promise<string> {
    const client = this.client!;
    const current = await client.getRun(runId);
    if (current.isDiscardable) {
      await client.action(runId, 'discard', comment);
      return 'canceled by Orca; Terraform run discarded';
    }
    if (current.isCancelable && !['apply_queued', 'applying', 'confirmed'].includes(current.status)) {
      await client.action(runId, 'cancel', comment);
      return 'canceled by Orca; Terraform run canceled';
    }
    return `canceled by Orca; Terraform run left ${current.status}`;
  }

  /** The poll job: one step of the run's life, then the next poll (unless finished or another poller won). */
  async advance(id: string): Promise<void> {
    const run = await this.options.store.get(id);
    if (!run || run.finishedAt) return;
    const tf = this.tf;
    if (!tf || !this.client) {
      await this.save(run, {
        status: 'errored',
        finished: true,
        error: 'visibility has no terraform config any more',
      });
      return;
    }
    let change: RunChange;
    try {
      change = await this.step(run, this.client, tf);
      if (run.failures) change.failures = 0;
    } catch (caught) {
      // Anything else that failed in the step (opening the approval, a database hiccup) is tried again like
      // a network error, so the poll chain goes on instead of ending in a job that exhausted its retries.
      const error =
        caught instanceof TerraformCloudError
          ? caught
          : new TerraformCloudError(caught instanceof Error ? caught.message : String(caught), true);
      const failures = run.failures + 1;
      if (error.transient && failures < tf.failureLimit) {
        this.logger.warn({ runId: run.id, failures, err: error }, 'Terraform Cloud call failed; trying again');
        change = { failures, error: error.message };
      } else {
        change = {
          status: 'errored',
          finished: true,
          error: error.transient ? `${failures} failed calls in a row; last: ${error.message}` : error.message,
          failures,
          event: this.event('errored', run.tfcStatus, error.message),
        };
      }
    }
    await this.save(run, change);
  }

  private async save(run: TerraformRun, change: RunChange): Promise<void> {
    const updated = await this.options.store.update(run.id, run.version, change, this.options.now());
    // Null: another poller or Orca's cancel moved the run first, and that one schedules what follows.
    if (updated && !updated.finishedAt)
      await this.schedule(updated, new Date(this.options.now().getTime() + this.tf!.pollIntervalMs));
    if (updated?.finishedAt) this.logger.info({ runId: run.id, status: updated.status }, 'terraform run finished');
  }

  /** Queues the next poll; keyed by version so only the poller that wrote this version queues it. */
  private async schedule(run: TerraformRun, at: Date): Promise<void> {
    await this.options.jobs.send(
      terraformJobName,
      { runId: run.id },
      { key: `${run.id}:v${run.version}`, startAfter: at },
    );
  }

  /** Re-queues polls a crash lost (their key is the same as the lost one, so nothing runs twice). */
  async reconcile(): Promise<number> {
    const poll = this.tf?.pollIntervalMs ?? 5_000;
    const stale = await this.options.store.stale(new Date(this.options.now().getTime() - poll * 3 - 60_000), 500);
    for (const run of stale) await this.schedule(run, new Date(0));
    return stale.length;
  }

  private event(status: TerraformRunStatus, terraformStatus: string | null, note: string) {
    return { at: this.options.now().toISOString(), status, terraformStatus, note };
  }

  /** What to change after reading Terraform Cloud once; throws TerraformCloudError on a failed call. */
  private async step(run: TerraformRun, client: TerraformCloudClient, tf: TerraformConfig): Promise<RunChange> {
    if (!run.tfcRunId) {
      const workspaceId = run.tfcWorkspaceId ?? (await client.workspaceId(run.organization, run.workspace));
      // The marker finds a run created by an earlier attempt of this step that crashed before recording it.
      const marker = `[isd ${run.id}]`;
      const existing = await client.findRun(workspaceId, marker);
      const created = existing ?? (await client.createRun(workspaceId, `${run.message} ${marker}`, run.variables));
      return {
        tfcWorkspaceId: workspaceId,
        tfcRunId: created.id,
        tfcStatus: created.status,
        error: null,
        event: this.event('planning', created.status, `Terraform run ${created.id} queued`),
      };
    }
    const tfc = await client.getRun(run.tfcRunId);
    const seen: RunChange = tfc.status !== run.tfcStatus ? { tfcStatus: tfc.status } : {};
    const moved = (status: TerraformRunStatus, note: string, extra: RunChange = {}): RunChange => ({
      ...seen,
      tfcStatus: tfc.status,
      status,
      event: this.event(status, tfc.status, note),
      ...(finishedTerraformStatuses.has(status) ? { finished: true } : {}),
      ...extra,
    });
    switch (run.status) {
      case 'planning':
        return this.afterPlanning(run, tfc, client, tf, moved, seen);
      case 'awaiting_approval':
        return this.afterDecision(run, tfc, client, moved, seen);
      case 'applying':
        if (tfc.status === 'applied') return moved('applied', 'applied');
        if (TFC_FINAL.has(tfc.status))
          return moved('errored', `apply ended ${tfc.status}`, {
            error: tfc.errorText ?? `the Terraform run ended ${tfc.status} while applying`,
          });
        return { ...seen, error: null };
      default:
        return seen;
    }
  }

  private async afterPlanning(
    run: TerraformRun,
    tfc: TfcRun,
    client: TerraformCloudClient,
    tf: TerraformConfig,
    moved: (status: TerraformRunStatus, note: string, extra?: RunChange) => RunChange,
    seen: RunChange,
  ): Promise<RunChange> {
    if (tfc.status === 'planned_and_finished') {
      const plan: PlanSummary = {
        additions: 0,
        changes: 0,
        destructions: 0,
        replacements: 0,
        resourceChanges: [],
        omitted: 0,
      };
      return moved('no_changes', 'the plan has no changes; nothing to approve or apply', { plan });
    }
    if (tfc.status === 'discarded' || tfc.status === 'canceled' || tfc.status === 'force_canceled')
      return moved('discarded', `the Terraform run was ${tfc.status} outside ISD`, {
        error: `the Terraform run was ${tfc.status} in Terraform Cloud before it was approved`,
      });
    if (TFC_FINAL.has(tfc.status) || tfc.status === 'applying' || tfc.status === 'confirmed')
      return moved('errored', `the run ended ${tfc.status} before approval`, {
        error: tfc.errorText ?? `the Terraform run is ${tfc.status}; ISD only applies runs it saw planned`,
      });
    if (!CONFIRMABLE.has(tfc.status) || !tfc.isConfirmable || !tfc.planId) return { ...seen, error: null };
    const json = await client.planJson(tfc.planId);
    if (json === null) return { ...seen, error: null };
    let plan: PlanSummary;
    try {
      plan = summarisePlan(json, tf.maxResourceChanges);
    } catch (error) {
      throw new TerraformCloudError(`the plan JSON of ${tfc.id} is unreadable: ${(error as Error).message}`, false);
    }
    const approval = await this.openApproval(run, tfc, plan);
    return moved('awaiting_approval', `planned: ${planLine(plan)}; approval ${approval.id} opened`, {
      plan,
      approvalId: approval.id,
      error: null,
    });
  }

  /** Opens the approval on the plan (idempotent: the same attempt returns the same gate) with the plan as evidence. */
  private async openApproval(run: TerraformRun, tfc: TfcRun, plan: PlanSummary): Promise<Approval> {
    const request = run.approvalRequest;
    const { approval } = await this.options.gate.create({
      application: run.application,
      pipelineName: run.pipelineName ?? undefined,
      pipelineId: run.pipelineId ?? undefined,
      executionId: run.executionId,
      stageId: run.stageId,
      attempt: run.attempt,
      triggeredBy: run.triggeredBy ?? undefined,
      approverGroups: request.approverGroups,
      allowSelfApproval: request.allowSelfApproval,
      timeoutMs: request.timeoutMs ?? undefined,
      instructions: request.instructions,
      evidence: [],
      autoDecision: undefined,
    });
    const card: EvidenceCard = {
      connector: 'terraform',
      label: `${run.organization}/${run.workspace}`,
      status: plan.destructions > 0 ? 'warn' : 'info',
      summary: `Terraform plan ${tfc.id}: ${planLine(plan)}`,
      data: {
        organization: run.organization,
        workspace: run.workspace,
        runId: tfc.id,
        url: this.client!.runUrl(run.organization, run.workspace, tfc.id),
        ...plan,
      },
      fetchedAt: this.options.now().toISOString(),
      durationMs: 0,
    };
    const digest = digestOf([card]);
    await this.options.approvals.withLock(approval.id, async (current, transaction) => {
      if (!current || current.evidence) return;
      await transaction.setEvidence([card], digest);
      await transaction.audit({
        event: 'evidence',
        actor: { name: 'terraform', authMethod: 'system', channel: 'timer' },
        evidenceDigest: digest,
        details: { cards: [{ connector: 'terraform', status: card.status, error: null }], terraformRunId: tfc.id },
      });
    });
    return approval;
  }

  private async afterDecision(
    run: TerraformRun,
    tfc: TfcRun,
    client: TerraformCloudClient,
    moved: (status: TerraformRunStatus, note: string, extra?: RunChange) => RunChange,
    seen: RunChange,
  ): Promise<RunChange> {
    const approval = run.approvalId ? await this.options.approvals.get(run.approvalId) : null;
    if (!approval) return moved('errored', 'approval missing', { error: `approval ${run.approvalId} is gone` });
    const waiting = CONFIRMABLE.has(tfc.status);
    const stoppedOutside = ['discarded', 'canceled', 'force_canceled', 'errored'].includes(tfc.status);
    const decider = approval.decisions.at(-1);
    const who = decider ? `${decider.user}${decider.comment ? `: ${decider.comment}` : ''}` : approval.status;
    if (approval.status === 'activated') {
      if (waiting) return { ...seen, error: null };
      // Someone applied or discarded the run in Terraform Cloud itself: the gate no longer decides anything.
      await this.options.gate.cancel(approval.id);
      if (stoppedOutside)
        return moved('discarded', `the Terraform run was ${tfc.status} outside ISD`, {
          error: tfc.errorText ?? `the Terraform run was ${tfc.status} in Terraform Cloud while waiting for approval`,
        });
      return moved('errored', `the Terraform run was confirmed outside ISD (${tfc.status})`, {
        error: `the Terraform run was confirmed in Terraform Cloud (now ${tfc.status}) without this approval`,
      });
    }
    if (approval.status === 'approved') {
      if (stoppedOutside && !waiting)
        return moved('discarded', `approved, but the Terraform run was ${tfc.status} outside ISD`, {
          error: tfc.errorText ?? `the Terraform run was ${tfc.status} in Terraform Cloud before it could be applied`,
        });
      // Not waiting any more (and not stopped): an earlier step applied it and crashed before saving.
      if (waiting) await this.actOnce(client, tfc.id, 'apply', `Approved in ISD by ${who}`);
      const approvers = approval.decisions.filter((decision) => decision.action === 'approve').map((d) => d.user);
      return moved('applying', `approved by ${approvers.join(', ')}; apply queued`);
    }
    if (waiting) await this.actOnce(client, tfc.id, 'discard', `${approval.status} in ISD (${who})`);
    const status: TerraformRunStatus =
      approval.status === 'rejected' ? 'rejected' : approval.status === 'expired' ? 'expired' : 'canceled';
    return moved(
      status,
      `approval ${approval.status}; the Terraform run was ${waiting ? 'discarded' : `left ${tfc.status}`}`,
    );
  }

  /** Sends an action; a 409 after an earlier attempt already acted (a crash between action and save) is fine. */
  private async actOnce(client: TerraformCloudClient, runId: string, action: 'apply' | 'discard', comment: string) {
    try {
      await client.action(runId, action, comment);
    } catch (error) {
      if (!(error instanceof TerraformCloudError) || error.status !== 409) throw error;
      const now = await client.getRun(runId);
      const done =
        action === 'apply' ? !CONFIRMABLE.has(now.status) && now.status !== 'discarded' : now.status === 'discarded';
      if (!done) throw error;
    }
  }
}

/** Who may see a run: Orca, whoever may READ its application, and the members of its approver groups. */
export function mayView(run: TerraformRun, caller: Caller): boolean {
  if (canAccessApplication(caller, run.application, 'READ')) return true;
  return (
    caller.kind === 'user' &&
    approverGroupsOf({ groups: run.approvalRequest.approverGroups, allowSelfApproval: false }, caller.roles).length > 0
  );
}
