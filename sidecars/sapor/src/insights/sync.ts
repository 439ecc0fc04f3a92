// Incremental sync of Spinnaker executions into Postgres, so insights never scan Spinnaker: each run
// reads Gate's executions search from a watermark (trigger time) and upserts deployment rows. The
// watermark stops at the oldest execution still running, so it is read again until it is final.
import { UnavailableError, type ApplicationScope, type Database, type Logger } from '@isd/kit';
import type { GateClient } from '../gate-client';
import { deploymentsOf, isFinal, triggerTimeOf, type DeploymentOutcome, type DeploymentRow } from './dora';

/** How a sync reads and classifies executions. */
export interface InsightsSyncOptions {
  deployStageTypes: string[];
  environments: Record<string, string>;
  /** The first sync reads this far back. */
  backfillDays: number;
  /** Re-read this much before the watermark (clock skew between Orca replicas). */
  overlapMs: number;
  pageSize: number;
  /** Data older than this since the last successful sync is marked stale. */
  staleAfterMs: number;
  now?: () => number;
}

/** The sync's state, as reported with every insight. */
export interface SyncState {
  watermarkMs: number | null;
  lastSuccessAt: string | null;
  lastAttemptAt: string | null;
  lastError: string | null;
  stale: boolean;
}

interface StateRow {
  watermark_ms: string | null;
  last_success_at: Date | null;
  last_attempt_at: Date | null;
  last_error: string | null;
}

interface DeploymentDbRow {
  execution_id: string;
  environment: string;
  application: string;
  pipeline_name: string;
  pipeline_config_id: string | null;
  outcome: DeploymentOutcome;
  triggered_at: Date;
  finished_at: Date | null;
}

/** Filters of a deployments read. */
export interface DeploymentFilter {
  application?: string;
  pipeline?: string;
  environment?: string;
  finishedFrom: Date;
  finishedTo?: Date;
}

export class InsightsSync {
  private readonly deployStageTypes: ReadonlySet<string>;
  private readonly environments: ReadonlyMap<string, string>;
  private readonly now: () => number;
  private running: Promise<{ executions: number; deployments: number }> | undefined;

  constructor(
    private readonly database: Database,
    private readonly gate: GateClient | undefined,
    private readonly options: InsightsSyncOptions,
    private readonly logger: Logger,
  ) {
    this.deployStageTypes = new Set(options.deployStageTypes);
    this.environments = new Map(Object.entries(options.environments));
    this.now = options.now ?? Date.now;
  }

  /** Runs one sync (a sync already running is shared); throws when Gate fails, after recording why. */
  sync(): Promise<{ executions: number; deployments: number }> {
    this.running ??= this.syncOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async syncOnce(): Promise<{ executions: number; deployments: number }> {
    if (!this.gate)
      throw new UnavailableError('gate.url is not set; insights cannot read executions', {
        code: 'gate_not_configured',
      });
    const state = await this.readState();
    const startedAt = new Date(this.now());
    const from = Math.max(
      0,
      (state.watermarkMs ?? this.now() - this.options.backfillDays * 86_400_000) - this.options.overlapMs,
    );
    let executions = 0;
    let deployments = 0;
    let oldestOpen: number | undefined;
    let newest: number | undefined;
    try {
      for await (const page of this.gate.searchExecutions('*', { from, pageSize: this.options.pageSize })) {
        const rows: DeploymentRow[] = [];
        for (const execution of page) {
          executions += 1;
          const at = triggerTimeOf(execution);
          if (at === undefined) continue;
          newest = Math.max(newest ?? at, at);
          if (!isFinal(execution)) oldestOpen = Math.min(oldestOpen ?? at, at);
          rows.push(...deploymentsOf(execution, this.deployStageTypes, this.environments));
        }
        await this.upsert(rows);
        deployments += rows.length;
      }
    } catch (error) {
      await this.database.query('UPDATE insights_sync_state SET last_attempt_at = $1, last_error = $2', [
        startedAt,
        (error as Error).message.slice(0, 2000),
      ]);
      this.logger.warn({ err: error }, 'insights sync failed; data kept, marked stale when too old');
      throw error;
    }
    const watermark = oldestOpen ?? newest ?? state.watermarkMs ?? from;
    await this.database.query(
      `UPDATE insights_sync_state SET watermark_ms = $1, last_success_at = $2, last_attempt_at = $2, last_error = NULL,
              executions_read = executions_read + $3`,
      [watermark, startedAt, executions],
    );
    this.logger.info({ executions, deployments, from, watermark }, 'insights synced');
    return { executions, deployments };
  }

  private async upsert(rows: DeploymentRow[]): Promise<void> {
    for (const row of rows) {
      await this.database.query(
        `INSERT INTO insights_deployments (execution_id, environment, application, pipeline_name, pipeline_config_id, outcome, triggered_at, finished_at, synced_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
         ON CONFLICT (execution_id, environment) DO UPDATE SET outcome = EXCLUDED.outcome, finished_at = EXCLUDED.finished_at,
           pipeline_name = EXCLUDED.pipeline_name, synced_at = now()`,
        [
          row.executionId,
          row.environment,
          row.application,
          row.pipelineName,
          row.pipelineConfigId,
          row.outcome,
          row.triggeredAt,
          row.finishedAt,
        ],
      );
    }
  }

  /** The sync state, with `stale` when the last success is older than staleAfterMs (or there is none). */
  async readState(): Promise<SyncState> {
    const { rows } = await this.database.query<StateRow>('SELECT * FROM insights_sync_state');
    const row = rows[0]!;
    const lastSuccess = row.last_success_at?.getTime();
    return {
      watermarkMs: row.watermark_ms === null ? null : Number(row.watermark_ms),
      lastSuccessAt: row.last_success_at?.toISOString() ?? null,
      lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
      lastError: row.last_error,
      stale: lastSuccess === undefined || this.now() - lastSuccess > this.options.staleAfterMs,
    };
  }

  /** Finished deployments matching the filter, inside the caller's application scope. */
  async deployments(filter: DeploymentFilter, scope: ApplicationScope): Promise<DeploymentRow[]> {
    const where = ["outcome IN ('success', 'failure')", 'finished_at >= $1'];
    const values: unknown[] = [filter.finishedFrom];
    const add = (clause: (placeholder: string) => string, value: unknown) => {
      values.push(value);
      where.push(clause(`$${values.length}`));
    };
    if (filter.finishedTo) add((p) => `finished_at < ${p}`, filter.finishedTo);
    if (filter.application) add((p) => `lower(application) = lower(${p})`, filter.application);
    if (filter.pipeline) add((p) => `pipeline_name = ${p}`, filter.pipeline);
    if (filter.environment) add((p) => `environment = ${p}`, filter.environment);
    if (!scope.all) {
      values.push(scope.readable, scope.unreadable, scope.othersReadable);
      const n = values.length;
      where.push(
        `(lower(application) = ANY($${n - 2}::text[]) OR ($${n}::boolean AND NOT lower(application) = ANY($${n - 1}::text[])))`,
      );
    }
    const { rows } = await this.database.query<DeploymentDbRow>(
      `SELECT * FROM insights_deployments WHERE ${where.join(' AND ')} ORDER BY finished_at`,
      values,
    );
    return rows.map((row) => ({
      executionId: row.execution_id,
      environment: row.environment,
      application: row.application,
      pipelineName: row.pipeline_name,
      pipelineConfigId: row.pipeline_config_id,
      outcome: row.outcome,
      triggeredAt: row.triggered_at,
      finishedAt: row.finished_at,
    }));
  }
}
