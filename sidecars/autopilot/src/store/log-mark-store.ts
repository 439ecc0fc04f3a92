// Feedback on log clusters, per application: one current mark per cluster (a later mark replaces it),
// with who set it and when. The runner reads an application's marks when it analyses a window.
import type { Database } from '@isd/kit';
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
  constructor(private readonly database: Database) {}

  /** Sets (or replaces) the mark of a cluster; returns it as stored. */
  async put(mark: Omit<StoredLogMark, 'markedAt'>): Promise<StoredLogMark> {
    const result = await this.database.query<MarkRow>(
      `INSERT INTO log_marks (application, cluster_key, template, mark, comment, marked_by, marked_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (application, cluster_key) DO UPDATE SET
         template = COALESCE(EXCLUDED.template, log_marks.template), mark = EXCLUDED.mark,
         comment = EXCLUDED.comment, marked_by = EXCLUDED.marked_by, marked_at = EXCLUDED.marked_at
       RETURNING *`,
      [applicationKey(mark.application), mark.clusterKey, mark.template, mark.mark, mark.comment, mark.markedBy],
    );
    return fromRow(result.rows[0]!);
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
