// Postgres records of external-system stage runs. Every change is a compare-and-set on the status the
// writer read, so a late poll never overwrites a cancel or a final outcome.
import type { Database } from '@isd/kit';
import type { ExternalRef, ExternalStageKind, ExternalStageRun, ExternalStageStatus } from './model';

interface RunRow {
  id: string;
  kind: ExternalStageKind;
  execution_id: string;
  stage_id: string;
  attempt: number;
  application: string;
  pipeline_name: string | null;
  pipeline_id: string | null;
  triggered_by: string | null;
  request: Record<string, unknown>;
  status: ExternalStageStatus;
  message: string;
  ref: ExternalRef | null;
  observed: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  observed_at: Date | null;
  deadline: Date;
  closed_at: Date | null;
}

function toRun(row: RunRow): ExternalStageRun {
  return {
    id: row.id,
    kind: row.kind,
    executionId: row.execution_id,
    stageId: row.stage_id,
    attempt: row.attempt,
    application: row.application,
    pipelineName: row.pipeline_name,
    pipelineId: row.pipeline_id,
    triggeredBy: row.triggered_by,
    request: row.request,
    status: row.status,
    message: row.message,
    ref: row.ref,
    observed: row.observed,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    observedAt: row.observed_at ? new Date(row.observed_at) : null,
    deadline: new Date(row.deadline),
    closedAt: row.closed_at ? new Date(row.closed_at) : null,
  };
}

/** A run to insert. */
export type NewRun = Pick<
  ExternalStageRun,
  | 'id'
  | 'kind'
  | 'executionId'
  | 'stageId'
  | 'attempt'
  | 'application'
  | 'pipelineName'
  | 'pipelineId'
  | 'triggeredBy'
  | 'request'
  | 'createdAt'
  | 'deadline'
>;

/** A change of a run's status and what was learnt. */
export interface RunUpdate {
  status: ExternalStageStatus;
  message: string;
  ref?: ExternalRef | null;
  observed?: Record<string, unknown> | null;
  observedAt?: Date;
  closedAt?: Date | null;
  /** Keeps the create claim (a transient failure waits for the lease before the next try). */
  keepClaim?: boolean;
}

/** The external_stage_runs table. */
export class ExternalStageStore {
  constructor(private readonly database: Database) {}

  /** Inserts the run unless one exists for (kind, execution, stage, attempt); returns the stored one. */
  async createOrGet(run: NewRun): Promise<{ run: ExternalStageRun; created: boolean }> {
    const inserted = await this.database.query<RunRow>(
      `INSERT INTO external_stage_runs (id, kind, execution_id, stage_id, attempt, application, pipeline_name, pipeline_id,
                                        triggered_by, request, status, created_at, updated_at, deadline)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'creating', $11, $11, $12)
       ON CONFLICT (kind, execution_id, stage_id, attempt) DO NOTHING
       RETURNING *`,
      [
        run.id,
        run.kind,
        run.executionId,
        run.stageId,
        run.attempt,
        run.application,
        run.pipelineName,
        run.pipelineId,
        run.triggeredBy,
        JSON.stringify(run.request),
        run.createdAt,
        run.deadline,
      ],
    );
    if (inserted.rows[0]) return { run: toRun(inserted.rows[0]), created: true };
    const { rows } = await this.database.query<RunRow>(
      `SELECT * FROM external_stage_runs WHERE kind = $1 AND execution_id = $2 AND stage_id = $3 AND attempt = $4`,
      [run.kind, run.executionId, run.stageId, run.attempt],
    );
    if (!rows[0]) throw new Error(`external stage run of ${run.executionId}/${run.stageId} vanished after a conflict`);
    return { run: toRun(rows[0]), created: false };
  }

  /** The newest attempt of a stage, if any. */
  async latestFor(kind: ExternalStageKind, executionId: string, stageId: string): Promise<ExternalStageRun | null> {
    const { rows } = await this.database.query<RunRow>(
      `SELECT * FROM external_stage_runs WHERE kind = $1 AND execution_id = $2 AND stage_id = $3
        ORDER BY attempt DESC LIMIT 1`,
      [kind, executionId, stageId],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  async get(id: string): Promise<ExternalStageRun | null> {
    const { rows } = await this.database.query<RunRow>(`SELECT * FROM external_stage_runs WHERE id = $1`, [id]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  /**
   * Claims a `creating` run for `leaseMs` so only one request performs the external create: the number
   * of this try (1 for the first), or null when another request holds it or the run has moved on.
   */
  async claimCreate(id: string, now: Date, leaseMs: number): Promise<number | null> {
    const { rows } = await this.database.query<{ create_tries: number }>(
      `UPDATE external_stage_runs SET claimed_until = $3, create_tries = create_tries + 1
        WHERE id = $1 AND status = 'creating' AND (claimed_until IS NULL OR claimed_until <= $2)
        RETURNING create_tries`,
      [id, now, new Date(now.getTime() + leaseMs)],
    );
    return rows[0]?.create_tries ?? null;
  }

  /**
   * Claims the next reading of a `waiting` run whose last one is at least `intervalMs` old, so concurrent polls
   * (Orca's, users', other replicas') make one call to the external system: true for the one request that
   * reads. The claim is the reading's time; a request that dies before reading leaves the run to the next poll
   * after the interval.
   */
  async claimObservation(id: string, now: Date, intervalMs: number): Promise<boolean> {
    const { rowCount } = await this.database.query(
      `UPDATE external_stage_runs SET observed_at = $2
        WHERE id = $1 AND status = 'waiting' AND (observed_at IS NULL OR observed_at <= $3)`,
      [id, now, new Date(now.getTime() - intervalMs)],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Applies `update` if the run is still in status `from`; returns the run as stored afterwards. */
  async update(
    id: string,
    from: ExternalStageStatus,
    update: RunUpdate,
    now: Date,
  ): Promise<{ run: ExternalStageRun; applied: boolean }> {
    const { rows } = await this.database.query<RunRow>(
      `UPDATE external_stage_runs
          SET status = $3, message = $4,
              ref = CASE WHEN $5::boolean THEN $6::jsonb ELSE ref END,
              observed = CASE WHEN $7::boolean THEN $8::jsonb ELSE observed END,
              observed_at = COALESCE($9, observed_at),
              closed_at = COALESCE($10, closed_at),
              claimed_until = CASE WHEN $12::boolean THEN claimed_until ELSE NULL END,
              updated_at = $11
        WHERE id = $1 AND status = $2
        RETURNING *`,
      [
        id,
        from,
        update.status,
        update.message,
        update.ref !== undefined,
        update.ref ? JSON.stringify(update.ref) : null,
        update.observed !== undefined,
        update.observed ? JSON.stringify(update.observed) : null,
        update.observedAt ?? null,
        update.closedAt ?? null,
        now,
        update.keepClaim ?? false,
      ],
    );
    if (rows[0]) return { run: toRun(rows[0]), applied: true };
    const current = await this.get(id);
    if (!current) throw new Error(`external stage run ${id} vanished`);
    return { run: current, applied: false };
  }
}
