// DORA measures from Spinnaker executions; every definition here is written out in docs/insights.md.
// Pure functions: an execution becomes deployment rows (one per environment it deployed to), and rows
// become the four measures for a group.

/** Orca statuses after which an execution no longer changes. */
const FINAL_STATUSES = new Set(['SUCCEEDED', 'TERMINAL', 'FAILED_CONTINUE', 'CANCELED', 'STOPPED', 'SKIPPED']);
const FAILED_STATUSES = new Set(['TERMINAL', 'FAILED_CONTINUE']);
/** A deploy stage in one of these never deployed anything. */
const NOT_RUN_STATUSES = new Set(['NOT_STARTED', 'SKIPPED']);

export type DeploymentOutcome = 'success' | 'failure' | 'canceled' | 'running';

/** One deployment: an execution's deploy stages to one environment. */
export interface DeploymentRow {
  executionId: string;
  application: string;
  pipelineName: string;
  pipelineConfigId: string | null;
  environment: string;
  outcome: DeploymentOutcome;
  triggeredAt: Date;
  finishedAt: Date | null;
}

type Json = Record<string, unknown>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function epoch(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Whether an execution will not change any more (its deployment rows are final). */
export function isFinal(execution: Json): boolean {
  return FINAL_STATUSES.has(String(execution.status));
}

/** The trigger time Gate's search filters on (`buildTime`, else `startTime`). */
export function triggerTimeOf(execution: Json): number | undefined {
  return epoch(execution.buildTime) ?? epoch(execution.startTime);
}

/**
 * The deployments of one execution: for each environment a deploy stage (type in `deployStageTypes`)
 * that actually ran targeted — environment = `environments[account]` or the account itself.
 * Outcome: running until the execution is final; failure if the execution ended TERMINAL or
 * FAILED_CONTINUE (a deploy, or anything after it such as a verification, failed); canceled if a person
 * or system stopped it; otherwise success.
 */
export function deploymentsOf(
  execution: Json,
  deployStageTypes: ReadonlySet<string>,
  environments: ReadonlyMap<string, string>,
): DeploymentRow[] {
  const id = text(execution.id);
  const application = text(execution.application);
  const triggeredAt = triggerTimeOf(execution);
  if (!id || !application || triggeredAt === undefined || execution.type === 'ORCHESTRATION') return [];
  const stages = Array.isArray(execution.stages) ? (execution.stages as unknown[]) : [];
  const targets = new Set<string>();
  for (const stage of stages) {
    if (!stage || typeof stage !== 'object') continue;
    const { type, status, context } = stage as Json;
    if (typeof type !== 'string' || !deployStageTypes.has(type) || NOT_RUN_STATUSES.has(String(status))) continue;
    const ctx = (context && typeof context === 'object' ? context : {}) as Json;
    const account = text(ctx.account) ?? text(ctx.credentials) ?? text(ctx.deploymentAccount) ?? 'unknown';
    targets.add(environments.get(account) ?? account);
  }
  const status = String(execution.status);
  const outcome: DeploymentOutcome = !isFinal(execution)
    ? 'running'
    : FAILED_STATUSES.has(status)
      ? 'failure'
      : status === 'SUCCEEDED'
        ? 'success'
        : 'canceled';
  const finished = epoch(execution.endTime);
  return [...targets].sort().map((environment) => ({
    executionId: id,
    application,
    pipelineName: text(execution.name) ?? '(unnamed)',
    pipelineConfigId: text(execution.pipelineConfigId) ?? null,
    environment,
    outcome,
    triggeredAt: new Date(triggeredAt),
    finishedAt: outcome === 'running' || finished === undefined ? null : new Date(finished),
  }));
}

/** Nearest-rank percentile of sorted numbers; null for none. */
export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** The four measures of one group of deployment rows over [from, to). */
export interface DoraMeasures {
  deployments: { successful: number; failed: number; perDay: number };
  leadTimeMs: { median: number | null; p90: number | null; count: number };
  changeFailureRate: number | null;
  timeToRestoreMs: { median: number | null; count: number; unrestored: number };
}

/**
 * Computes the measures. `rows` are the group's finished deployments finishing in [from, to) plus, for
 * time to restore, later successes (`after`) of the same environments, so an incident near `to` can end.
 */
export function measure(rows: DeploymentRow[], after: DeploymentRow[], from: Date, to: Date): DoraMeasures {
  const inRange = rows.filter(
    (row) => row.finishedAt && row.finishedAt >= from && row.finishedAt < to && row.outcome !== 'running',
  );
  const successes = inRange.filter((row) => row.outcome === 'success');
  const failures = inRange.filter((row) => row.outcome === 'failure');
  const days = Math.max((to.getTime() - from.getTime()) / 86_400_000, 1 / 24);
  const leadTimes = successes.map((row) => row.finishedAt!.getTime() - row.triggeredAt.getTime()).sort((a, b) => a - b);

  // Incidents: per environment, a run of failed deployments ended by the next successful one.
  const byEnvironment = new Map<string, DeploymentRow[]>();
  for (const row of [...inRange, ...after]) {
    if (row.outcome !== 'success' && row.outcome !== 'failure') continue;
    const list = byEnvironment.get(row.environment) ?? [];
    list.push(row);
    byEnvironment.set(row.environment, list);
  }
  const restores: number[] = [];
  let unrestored = 0;
  for (const list of byEnvironment.values()) {
    const seen = new Set<string>();
    const ordered = list
      .filter((row) => (seen.has(row.executionId) ? false : (seen.add(row.executionId), true)))
      .sort((a, b) => a.finishedAt!.getTime() - b.finishedAt!.getTime());
    let incidentStart: Date | undefined;
    for (const row of ordered) {
      if (row.outcome === 'failure') {
        if (!incidentStart && row.finishedAt! >= from && row.finishedAt! < to) incidentStart = row.finishedAt!;
      } else if (incidentStart) {
        restores.push(row.finishedAt!.getTime() - incidentStart.getTime());
        incidentStart = undefined;
      }
    }
    if (incidentStart) unrestored += 1;
  }
  restores.sort((a, b) => a - b);
  const finished = successes.length + failures.length;
  return {
    deployments: {
      successful: successes.length,
      failed: failures.length,
      perDay: Math.round((successes.length / days) * 1000) / 1000,
    },
    leadTimeMs: { median: percentile(leadTimes, 50), p90: percentile(leadTimes, 90), count: leadTimes.length },
    changeFailureRate: finished ? Math.round((failures.length / finished) * 10_000) / 10_000 : null,
    timeToRestoreMs: { median: percentile(restores, 50), count: restores.length, unrestored },
  };
}
