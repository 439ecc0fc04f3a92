// Feedback on log clusters, per application: one current mark per cluster (a later mark replaces it),
// with who set it and when. The runner reads an application's marks when it analyses a window.
import { InputError, type Database } from '@isd/kit';
import type { Mark } from '../logs';

/** A stored mark. */
export interface StoredLogMark {
  application: string;
  clusterKey: string;
  /** The cluster's template text, when the marker sent it (Deck and the report do). */
  template: string | null;
  mark: Mark;
  comment: string | null;
  markedBy: string;
  markedAt: string;
}

interface MarkRow {
  application: string;
  cluster_key: string;
  template: string | null;
  mark: Mark;
  comment: string | null;
  marked_by: string;
  marked_at: Date;
}

function fromRow(row: MarkRow): StoredLogMark {
  return {
    application: row.application,
    clusterKey: row.cluster_key,
    template: row.template,
    mark: row.mark,
    comment: row.comment,
    markedBy: row.marked_by,
    markedAt: row.marked_at.toISOString(),
  };
}

/** Application names are case-insensitive in Spinnaker; marks are kept under the lower-case name. */
const applicationKey = (application: string) => application.toLowerCase();

export class LogMarkStore {
  /** `maxPerApplication` bounds what one application's writers can make every report and window read. */
  constructor(
    private readonly database: Database,
    private readonly maxPerApplication: number,
  ) {}

  /**
   * Sets (or replaces) the mark of a cluster; returns it as stored. A new cluster beyond the application's
   * limit is a 400 naming the limit (replacing or removing a mark always works).
   */
  async put(mark: Omit<StoredLogMark, 'markedAt'>): Promise<StoredLogMark> {
    const application = applicationKey(mark.application);
    return this.database.transaction(async (client) => {
      // One writer per application at a time, so concurrent new marks cannot pass the count together.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`autopilot-log-marks:${application}`]);
      const { rows } = await client.query<{ marks: number; exists: boolean }>(
        `SELECT count(*)::int AS marks, bool_or(cluster_key = $2) AS exists FROM log_marks WHERE application = $1`,
        [application, mark.clusterKey],
      );
      const { marks, exists } = rows[0] ?? { marks: 0, exists: false };
      if (!exists && marks >= this.maxPerApplication)
        throw new InputError(
          `${mark.application} already has ${marks} marked log clusters, the limit (logMarks.maxPerApplication): remove marks no longer needed first`,
          {
            code: 'log_mark_limit',
            issues: [{ path: 'path.clusterKey', message: `at most ${this.maxPerApplication} marks per application` }],
          },
        );
      const result = await client.query<MarkRow>(
        `INSERT INTO log_marks (application, cluster_key, template, mark, comment, marked_by, marked_at)
         VALUES ($1, $2, $3, $4, $5, $6, now())
         ON CONFLICT (application, cluster_key) DO UPDATE SET
           template = COALESCE(EXCLUDED.template, log_marks.template), mark = EXCLUDED.mark,
           comment = EXCLUDED.comment, marked_by = EXCLUDED.marked_by, marked_at = EXCLUDED.marked_at
         RETURNING *`,
        [application, mark.clusterKey, mark.template, mark.mark, mark.comment, mark.markedBy],
      );
      return fromRow(result.rows[0]!);
    });
  }

  /** Removes the mark of a cluster; false when there was none. */
  async remove(application: string, clusterKey: string): Promise<boolean> {
    const result = await this.database.query('DELETE FROM log_marks WHERE application = $1 AND cluster_key = $2', [
      applicationKey(application),
      clusterKey,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Every mark of an application, newest first. */
  async list(application: string): Promise<StoredLogMark[]> {
    const result = await this.database.query<MarkRow>(
      'SELECT * FROM log_marks WHERE application = $1 ORDER BY marked_at DESC, cluster_key',
      [applicationKey(application)],
    );
    return result.rows.map(fromRow);
  }
}
