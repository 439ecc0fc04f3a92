// Test verifications in Postgres. As for metric verifications, status changes only away from `running`
// (guarded in SQL), so a retried job, a cancel and a second replica cannot overwrite a verdict.
import type { Database, PageCursor } from '@isd/kit';
import type { ScoreThresholds } from '../domain';
import type { DurationRule, TestComparison } from '../test-verification/compare';
import type { TestRunSpec } from '../test-verification/sources';
import { listQuery, type VerificationListFilter, type VerificationStatus } from './verification-store';

/** What the create request fixed. */
export interface TestVerificationSpec {
  baseline: TestRunSpec[];
  canary: TestRunSpec[];
  durations: DurationRule;
}

export interface TestVerificationRecord {
  id: string;
  executionId: string;
  stageId: string;
  application: string;
  pipelineName: string | null;
  pipelineId: string | null;
  spec: TestVerificationSpec;
  thresholds: ScoreThresholds;
  status: VerificationStatus;
  score: number | null;
  reason: string | null;
  error: string | null;
  report: TestComparison | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export type NewTestVerification = Pick<
  TestVerificationRecord,
  'id' | 'executionId' | 'stageId' | 'application' | 'pipelineName' | 'pipelineId' | 'spec' | 'thresholds'
>;

interface Row {
  id: string;
  execution_id: string;
  stage_id: string;
  application: string;
  pipeline_name: string | null;
  pipeline_id: string | null;
  request: TestVerificationSpec;
  thresholds: ScoreThresholds;
  status: VerificationStatus;
  score: number | null;
  reason: string | null;
  error: string | null;
  report: TestComparison | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/** Every column but the report. */
const LIST_COLUMNS =
  'id, execution_id, stage_id, application, pipeline_name, pipeline_id, request, thresholds, status, score, reason, error, created_at, updated_at, finished_at';

function fromRow(row: Row): TestVerificationRecord {
  return {
    id: row.id,
    executionId: row.execution_id,
    stageId: row.stage_id,
    application: row.application,
    pipelineName: row.pipeline_name,
    pipelineId: row.pipeline_id,
    spec: row.request,
    thresholds: row.thresholds,
    status: row.status,
    score: row.score,
    reason: row.reason,
    error: row.error,
    report: row.report,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
  };
}

/** The outcome a finished test verification is stored with. */
export interface TestVerificationOutcome {
  status: Exclude<VerificationStatus, 'running'>;
  score: number | null;
  reason: string;
  error?: string;
  report?: TestComparison;
}

export class TestVerificationStore {
  constructor(private readonly database: Database) {}

  /** Inserts the test verification, or returns the one already created for (executionId, stageId). */
  async createOrGet(
    verification: NewTestVerification,
  ): Promise<{ verification: TestVerificationRecord; created: boolean }> {
    const inserted = await this.database.query<Row>(
      `INSERT INTO test_verifications (id, execution_id, stage_id, application, pipeline_name, pipeline_id, request, thresholds, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running') ON CONFLICT (execution_id, stage_id) DO NOTHING RETURNING *`,
      [
        verification.id,
        verification.executionId,
        verification.stageId,
        verification.application,
        verification.pipelineName,
        verification.pipelineId,
        JSON.stringify(verification.spec),
        JSON.stringify(verification.thresholds),
      ],
    );
    if (inserted.rows[0]) return { verification: fromRow(inserted.rows[0]), created: true };
    return { verification: (await this.getByStage(verification.executionId, verification.stageId))!, created: false };
  }

  async getByStage(executionId: string, stageId: string): Promise<TestVerificationRecord | undefined> {
    const result = await this.database.query<Row>(
      'SELECT * FROM test_verifications WHERE execution_id = $1 AND stage_id = $2',
      [executionId, stageId],
    );
    return result.rows[0] ? fromRow(result.rows[0]) : undefined;
  }

  /** A page of an application's test verifications, newest first, without their reports (large). */
  async list(
    filter: VerificationListFilter,
  ): Promise<Array<Omit<TestVerificationRecord, 'report'> & { cursor: PageCursor }>> {
    const { text, values } = listQuery('test_verifications', `${LIST_COLUMNS}, NULL::jsonb AS report`, filter);
    const result = await this.database.query<Row & { created_micros: string }>(text, values);
    return result.rows.map((row) => {
      const { report: _report, ...record } = fromRow(row);
      return { ...record, cursor: { createdMicros: row.created_micros, id: row.id } };
    });
  }

  async get(id: string): Promise<TestVerificationRecord | undefined> {
    const result = await this.database.query<Row>('SELECT * FROM test_verifications WHERE id = $1', [id]);
    return result.rows[0] ? fromRow(result.rows[0]) : undefined;
  }

  /** Ends a running test verification; undefined when it was no longer running. */
  async finish(id: string, outcome: TestVerificationOutcome): Promise<TestVerificationRecord | undefined> {
    const result = await this.database.query<Row>(
      `UPDATE test_verifications SET status = $2, score = $3, reason = $4, error = $5, report = COALESCE($6, report),
         updated_at = now(), finished_at = now()
       WHERE id = $1 AND status = 'running' RETURNING *`,
      [
        id,
        outcome.status,
        outcome.score,
        outcome.reason,
        outcome.error ?? null,
        outcome.report ? JSON.stringify(outcome.report) : null,
      ],
    );
    return result.rows[0] ? fromRow(result.rows[0]) : undefined;
  }
}
