// Postgres rows of the Terraform stage. Each change is a compare-and-set on `version` in one statement
// (no transaction held across calls to Terraform Cloud), so concurrent pollers never both act.
import type { Database } from '@isd/kit';
import type { PlanSummary } from './plan-summary';
import type { TerraformRunStatus } from './schemas';

/** What the approval opened on the plan asks for, kept from the create payload. */
export interface ApprovalRequest {
  approverGroups: Array<{ name: string; required: number }>;
  allowSelfApproval: boolean;
  timeoutMs: number | null;
  instructions: string;
}

export interface HistoryEntry {
  at: string;
  status: TerraformRunStatus;
  terraformStatus: string | null;
  note: string;
}

export interface TerraformRun {
  id: string;
  executionId: string;
  stageId: string;
  attempt: number;
  application: string;
  pipelineName: string | null;
  pipelineId: string | null;
  triggeredBy: string | null;
  organization: string;
  workspace: string;
  message: string;
  /** Run variables in the order given, values as HCL text (jsonb would reorder an object's keys). */
  variables: Array<{ key: string; value: string }>;
  approvalRequest: ApprovalRequest;
  status: TerraformRunStatus;
  version: number;
  tfcWorkspaceId: string | null;
  tfcRunId: string | null;
  tfcStatus: string | null;
  plan: PlanSummary | null;
  approvalId: string | null;
  error: string | null;
  failures: number;
  history: HistoryEntry[];
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export type NewTerraformRun = Pick<
  TerraformRun,
  | 'id'
  | 'executionId'
  | 'stageId'
  | 'attempt'
  | 'application'
  | 'pipelineName'
  | 'pipelineId'
  | 'triggeredBy'
  | 'organization'
  | 'workspace'
  | 'message'
  | 'variables'
  | 'approvalRequest'
  | 'createdAt'
>;

/** Fields a compare-and-set may change. */
export interface RunChange {
  status?: TerraformRunStatus;
  tfcWorkspaceId?: string;
  tfcRunId?: string;
  tfcStatus?: string | null;
  plan?: PlanSummary;
  approvalId?: string;
  error?: string | null;
  failures?: number;
  /** Appended to the history. */
  event?: HistoryEntry;
  finished?: boolean;
}

interface Row {
  id: string;
  execution_id: string;
  stage_id: string;
  attempt: number;
  application: string;
  pipeline_name: string | null;
  pipeline_id: string | null;
  triggered_by: string | null;
  organization: string;
  workspace: string;
  message: string;
  variables: Array<{ key: string; value: string }>;
  approval_request: ApprovalRequest;
  status: TerraformRunStatus;
  version: number;
  tfc_workspace_id: string | null;
  tfc_run_id: string | null;
  tfc_status: string | null;
  plan: PlanSummary | null;
  approval_id: string | null;
  error: string | null;
  failures: number;
  history: HistoryEntry[];
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const toRun = (row: Row): TerraformRun => ({
  id: row.id,
  executionId: row.execution_id,
  stageId: row.stage_id,
  attempt: row.attempt,
  application: row.application,
  pipelineName: row.pipeline_name,
  pipelineId: row.pipeline_id,
  triggeredBy: row.triggered_by,
  organization: row.organization,
  workspace: row.workspace,
  message: row.message,
  variables: row.variables,
  approvalRequest: row.approval_request,
  status: row.status,
  version: row.version,
  tfcWorkspaceId: row.tfc_workspace_id,
  tfcRunId: row.tfc_run_id,
  tfcStatus: row.tfc_status,
  plan: row.plan,
  approvalId: row.approval_id,
  error: row.error,
  failures: row.failures,
  history: row.history,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
  finishedAt: row.finished_at ? new Date(row.finished_at) : null,
});

export class TerraformRunStore {
  constructor(private readonly database: Database) {}

  /** Inserts the run, or returns the one already there for (executionId, stageId, attempt). */
  async createOrGet(run: NewTerraformRun): Promise<{ run: TerraformRun; created: boolean }> {
    const history: HistoryEntry[] = [
      { at: run.createdAt.toISOString(), status: 'planning', terraformStatus: null, note: 'stage started' },
    ];
    const inserted = await this.database.query(
      `INSERT INTO terraform_runs (id, execution_id, stage_id, attempt, application, pipeline_name, pipeline_id, triggered_by,
                                   organization, workspace, message, variables, approval_request, status, history,
                                   created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'planning', $14, $15, $15)
       ON CONFLICT (execution_id, stage_id, attempt) DO NOTHING`,
      [
        run.id,
        run.executionId,
        run.stageId,
        run.attempt,
        run.application,
        run.pipelineName,
        run.pipelineId,
        run.triggeredBy,
        run.organization,
        run.workspace,
        run.message,
        JSON.stringify(run.variables),
        JSON.stringify(run.approvalRequest),
        JSON.stringify(history),
        run.createdAt,
      ],
    );
    const { rows } = await this.database.query<Row>(
      'SELECT * FROM terraform_runs WHERE execution_id = $1 AND stage_id = $2 AND attempt = $3',
      [run.executionId, run.stageId, run.attempt],
    );
    if (!rows[0]) throw new Error(`terraform run for ${run.executionId}/${run.stageId} vanished after insert`);
    return { run: toRun(rows[0]), created: (inserted.rowCount ?? 0) > 0 };
  }

  async get(id: string): Promise<TerraformRun | null> {
    const { rows } = await this.database.query<Row>('SELECT * FROM terraform_runs WHERE id = $1', [id]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  async latestFor(executionId: string, stageId: string): Promise<TerraformRun | null> {
    const { rows } = await this.database.query<Row>(
      'SELECT * FROM terraform_runs WHERE execution_id = $1 AND stage_id = $2 ORDER BY attempt DESC LIMIT 1',
      [executionId, stageId],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  /**
   * Compare-and-set: applies `change` when the run is still at `version` and not finished; returns the
   * new row, or null when another poller (or Orca's cancel) changed it first.
   */
  async update(id: string, version: number, change: RunChange, now: Date): Promise<TerraformRun | null> {
    const { rows } = await this.database.query<Row>(
      `UPDATE terraform_runs SET
         version = version + 1,
         updated_at = $3,
         status = COALESCE($4, status),
         tfc_workspace_id = COALESCE($5, tfc_workspace_id),
         tfc_run_id = COALESCE($6, tfc_run_id),
         tfc_status = CASE WHEN $7::boolean THEN $8 ELSE tfc_status END,
         plan = COALESCE($9::jsonb, plan),
         approval_id = COALESCE($10::uuid, approval_id),
         error = CASE WHEN $11::boolean THEN $12 ELSE error END,
         failures = COALESCE($13, failures),
         history = CASE WHEN $14::jsonb IS NULL THEN history ELSE history || $14::jsonb END,
         finished_at = CASE WHEN $15::boolean THEN $3 ELSE finished_at END
       WHERE id = $1 AND version = $2 AND finished_at IS NULL
       RETURNING *`,
      [
        id,
        version,
        now,
        change.status ?? null,
        change.tfcWorkspaceId ?? null,
        change.tfcRunId ?? null,
        change.tfcStatus !== undefined,
        change.tfcStatus ?? null,
        change.plan ? JSON.stringify(change.plan) : null,
        change.approvalId ?? null,
        change.error !== undefined,
        change.error ?? null,
        change.failures ?? null,
        change.event ? JSON.stringify([change.event]) : null,
        change.finished === true,
      ],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  /** Open runs not changed for `staleMs`: their poll job may have been lost in a crash. */
  async stale(olderThan: Date, limit: number): Promise<TerraformRun[]> {
    const { rows } = await this.database.query<Row>(
      'SELECT * FROM terraform_runs WHERE finished_at IS NULL AND updated_at < $1 ORDER BY updated_at LIMIT $2',
      [olderThan, limit],
    );
    return rows.map(toRun);
  }
}
