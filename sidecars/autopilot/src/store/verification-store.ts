// Verifications and their judged intervals in Postgres. Status changes only away from `running`
// (guarded in SQL), so a late interval job, a cancel and a second replica cannot overwrite a verdict.
import { applicationPageQuery, type Database, type PageCursor } from '@isd/kit';
import type { AnalysisWindow, JudgeResult, ScoreThresholds } from '../domain';
import type { LogTemplate } from '../logs';
import type { StoredLogAnalysis } from '../logs/log-view';
import type { Template } from '../templates/template';

/** Weights of the metric and the log score in the combined score. */
export interface ScoreWeights {
  metric: number;
  log: number;
}

/** Where a verification is. */
export type VerificationStatus = 'running' | 'pass' | 'marginal' | 'fail' | 'error' | 'canceled';

/** Everything the create request fixed, kept for the report and for re-evaluation. */
export interface VerificationSpec {
  application: string;
  executionId: string;
  stageId: string;
  baseline: Record<string, string>;
  canary: Record<string, string>;
  startMs: number;
  lifetimeMs: number;
  intervalMs: number;
  lookbackMs?: number;
  beginAfterMs?: number;
}

/** A stored verification. */
export interface VerificationRecord {
  id: string;
  executionId: string;
  stageId: string;
  application: string;
  /** The pipeline's name and config id as Orca sent them (null for older stages). */
  pipelineName: string | null;
  pipelineId: string | null;
  spec: VerificationSpec;
  template: Template;
  templateName: string;
  templateVersion: number | null;
  /** The log template snapshot; null when the verification reads metrics only. */
  logTemplate: LogTemplate | null;
  logTemplateVersion: number | null;
  weights: ScoreWeights;
  judge: string;
  thresholds: ScoreThresholds;
  windows: AnalysisWindow[];
  status: VerificationStatus;
  score: number | null;
  reason: string | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** When retention dropped the fetched points and log examples (retention.detailDays); null while kept. */
  detailsDroppedAt: string | null;
}

/** One side of one metric as fetched: the query, what came back, and problems in words. */
export interface SideData {
  query: string;
  labels: Record<string, string>;
  seriesCount: number;
  problems: string[];
  timestampsMs: number[];
  /** null where the provider had no point (JSON has no NaN). */
  values: Array<number | null>;
  /** The metric's `countQuery` as sent, when the template has one. */
  countQuery?: string;
  /** Requests behind each point, aligned with `values` by timestamp; null where the count is unknown. */
  requestCounts?: Array<number | null>;
}

/** The fetched data of one metric in one interval. */
export interface MetricData {
  name: string;
  provider: string;
  baseline: SideData;
  canary: SideData;
}

/** A judged interval. */
export interface IntervalRecord {
  index: number;
  startMs: number;
  endMs: number;
  score: number;
  classification: string;
  result: JudgeResult;
  data: MetricData[];
  /** The metric judge's score before logs were combined in (null: no metrics). */
  metricScore: number | null;
  /** The window's log analysis (null: no log template). */
  logs: StoredLogAnalysis | null;
  /** A critical log cluster failed this window (read even when `logs` is not loaded). */
  logsFailed: boolean;
  judgedAt: string;
}

interface VerificationRow {
  id: string;
  execution_id: string;
  stage_id: string;
  application: string;
  pipeline_name: string | null;
  pipeline_id: string | null;
  request: VerificationSpec;
  template: Template;
  template_name: string;
  template_version: number | null;
  log_template: LogTemplate | null;
  log_template_version: number | null;
  weights: ScoreWeights;
  judge: string;
  thresholds: ScoreThresholds;
  windows: AnalysisWindow[];
  status: VerificationStatus;
  score: number | null;
  reason: string | null;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  details_dropped_at: Date | null;
}

interface IntervalRow {
  index: number;
  start_ms: string;
  end_ms: string;
  score: number;
  classification: string;
  result: JudgeResult;
  series: MetricData[];
  metric_score: number | null;
  logs: StoredLogAnalysis | null;
  logs_failed: boolean | null;
  judged_at: Date;
}

/** A metric's data without its points: what the monitor body shows. */
function withoutPoints(data: MetricData): MetricData {
  const strip = ({ requestCounts: _counts, ...side }: SideData): SideData => ({
    ...side,
    timestampsMs: [],
    values: [],
  });
  return { ...data, baseline: strip(data.baseline), canary: strip(data.canary) };
}

function fromRow(row: VerificationRow): VerificationRecord {
  return {
    id: row.id,
    executionId: row.execution_id,
    stageId: row.stage_id,
    application: row.application,
    pipelineName: row.pipeline_name,
    pipelineId: row.pipeline_id,
    spec: row.request,
    template: row.template,
    templateName: row.template_name,
    templateVersion: row.template_version,
    logTemplate: row.log_template,
    logTemplateVersion: row.log_template_version,
    weights: row.weights,
    judge: row.judge,
    thresholds: row.thresholds,
    windows: row.windows,
    status: row.status,
    score: row.score,
    reason: row.reason,
    error: row.error,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
    detailsDroppedAt: row.details_dropped_at ? row.details_dropped_at.toISOString() : null,
  };
}

/** Filters of a verification list page. */
export interface VerificationListFilter {
  application: string;
  pipeline?: string;
  stageId?: string;
  status?: VerificationStatus;
  from?: Date;
  to?: Date;
  /** The last row of the previous page. */
  after?: PageCursor;
  limit: number;
}

/** The SQL of one list page of an application's verifications (metric or test ones share the filtered columns). */
export function listQuery(
  table: 'verifications' | 'test_verifications',
  columns: string,
  filter: VerificationListFilter,
): { text: string; values: unknown[] } {
  const { pipeline, stageId, status, ...page } = filter;
  return applicationPageQuery(table, columns, {
    ...page,
    equal: { pipeline_name: pipeline, stage_id: stageId, status },
  });
}

/** What a new verification is created with. */
export type NewVerification = Omit<
  VerificationRecord,
  'status' | 'score' | 'reason' | 'error' | 'createdAt' | 'updatedAt' | 'finishedAt' | 'detailsDroppedAt'
>;

/** Verifications and intervals in Postgres. */
export class VerificationStore {
  constructor(private readonly database: Database) {}

  /** Inserts the verification, or returns the one already created for (executionId, stageId). */
  async createOrGet(verification: NewVerification): Promise<{ verification: VerificationRecord; created: boolean }> {
    const inserted = await this.database.query<VerificationRow>(
      `INSERT INTO verifications (id, execution_id, stage_id, application, request, template, template_name, template_version, judge, thresholds, windows, log_template, log_template_version, weights, pipeline_name, pipeline_id, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'running')
       ON CONFLICT (execution_id, stage_id) DO NOTHING RETURNING *`,
      [
        verification.id,
        verification.executionId,
        verification.stageId,
        verification.application,
        JSON.stringify(verification.spec),
        JSON.stringify(verification.template),
        verification.templateName,
        verification.templateVersion,
        verification.judge,
        JSON.stringify(verification.thresholds),
        JSON.stringify(verification.windows),
        verification.logTemplate === null ? null : JSON.stringify(verification.logTemplate),
        verification.logTemplateVersion,
        JSON.stringify(verification.weights),
        verification.pipelineName,
        verification.pipelineId,
      ],
    );
    if (inserted.rows[0]) return { verification: fromRow(inserted.rows[0]), created: true };
    const existing = await this.database.query<VerificationRow>(
      'SELECT * FROM verifications WHERE execution_id = $1 AND stage_id = $2',
      [verification.executionId, verification.stageId],
    );
    return { verification: fromRow(existing.rows[0]!), created: false };
  }

  /**
   * One page of an application's verifications, newest first in a stable order (created_at, then id),
   * without their intervals. `after` is the last row of the previous page (keyset paging: a page costs the
   * same however deep it is, and rows created meanwhile do not shift later pages).
   */
  async list(filter: VerificationListFilter): Promise<Array<VerificationRecord & { cursor: PageCursor }>> {
    const { text, values } = listQuery('verifications', '*', filter);
    const result = await this.database.query<VerificationRow & { created_micros: string }>(text, values);
    return result.rows.map((row) => ({ ...fromRow(row), cursor: { createdMicros: row.created_micros, id: row.id } }));
  }

  /** The verification of an Orca stage, or undefined. */
  async getByStage(executionId: string, stageId: string): Promise<VerificationRecord | undefined> {
    const result = await this.database.query<VerificationRow>(
      'SELECT * FROM verifications WHERE execution_id = $1 AND stage_id = $2',
      [executionId, stageId],
    );
    return result.rows[0] ? fromRow(result.rows[0]) : undefined;
  }

  /** One verification, or undefined. */
  async get(id: string): Promise<VerificationRecord | undefined> {
    const result = await this.database.query<VerificationRow>('SELECT * FROM verifications WHERE id = $1', [id]);
    return result.rows[0] ? fromRow(result.rows[0]) : undefined;
  }

  /**
   * The judged intervals of a verification, in order. Fetched series are large, so only the last
   * interval's data is loaded (`data` is empty on the others): with its points (`last`, the default, for
   * the report), without them (`summary`: queries, labels, problems; for the monitor body), or none.
   */
  async intervals(id: string, options: { withData?: 'last' | 'summary' | 'none' } = {}): Promise<IntervalRecord[]> {
    const column = options.withData === 'summary' ? 'summary' : 'series';
    const series =
      options.withData === 'none'
        ? `'[]'::jsonb`
        : `CASE WHEN index = max(index) OVER () THEN ${column} ELSE '[]'::jsonb END`;
    // Clusters with their examples are shown for the last window only, like the series.
    const logs = options.withData === 'none' ? 'NULL::jsonb' : `CASE WHEN index = max(index) OVER () THEN logs END`;
    const result = await this.database.query<IntervalRow>(
      `SELECT verification_id, index, start_ms, end_ms, score, classification, result, ${series} AS series, metric_score, ${logs} AS logs, (logs->>'failed')::boolean AS logs_failed, judged_at
       FROM verification_intervals WHERE verification_id = $1 ORDER BY index`,
      [id],
    );
    return result.rows.map((row) => ({
      index: row.index,
      startMs: Number(row.start_ms),
      endMs: Number(row.end_ms),
      score: row.score,
      classification: row.classification,
      result: row.result,
      data: row.series,
      metricScore: row.metric_score,
      logs: row.logs,
      logsFailed: row.logs_failed === true,
      judgedAt: row.judged_at.toISOString(),
    }));
  }

  /** Stores a judged interval; false when that interval was already stored (a retried job). */
  async saveInterval(id: string, interval: Omit<IntervalRecord, 'judgedAt' | 'logsFailed'>): Promise<boolean> {
    const result = await this.database.query(
      `INSERT INTO verification_intervals (verification_id, index, start_ms, end_ms, score, classification, result, series, summary, metric_score, logs)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (verification_id, index) DO NOTHING`,
      [
        id,
        interval.index,
        interval.startMs,
        interval.endMs,
        interval.score,
        interval.classification,
        JSON.stringify(interval.result),
        JSON.stringify(interval.data),
        JSON.stringify(interval.data.map(withoutPoints)),
        interval.metricScore,
        interval.logs === null ? null : JSON.stringify(interval.logs),
      ],
    );
    if ((result.rowCount ?? 0) === 0) return false;
    // The report draws the last interval only (which covers the whole run for growing windows): earlier
    // series are dropped so a long run does not store every point once per interval.
    await this.database.query(
      `UPDATE verification_intervals SET series = '[]' WHERE verification_id = $1 AND index < $2 AND series <> '[]'`,
      [id, interval.index],
    );
    return true;
  }

  /** Ends a running verification; returns the updated record, or undefined when it was no longer running. */
  async finish(
    id: string,
    outcome: { status: Exclude<VerificationStatus, 'running'>; score: number | null; reason: string; error?: string },
  ): Promise<VerificationRecord | undefined> {
    const result = await this.database.query<VerificationRow>(
      `UPDATE verifications SET status = $2, score = $3, reason = $4, error = $5, updated_at = now(), finished_at = now()
       WHERE id = $1 AND status = 'running' RETURNING *`,
      [id, outcome.status, outcome.score, outcome.reason, outcome.error ?? null],
    );
    return result.rows[0] ? fromRow(result.rows[0]) : undefined;
  }

  /** Records the latest interval score of a running verification. */
  async updateProgress(id: string, score: number, reason: string): Promise<void> {
    await this.database.query(
      `UPDATE verifications SET score = $2, reason = $3, updated_at = now() WHERE id = $1 AND status = 'running'`,
      [id, score, reason],
    );
  }
}
