// What autopilot's daily retention removes (docs/decisions/227). Finished verifications lose their bulky
// details after retention.detailDays and go entirely after retention.days; a running one is never chosen.
import { expiredRecordsSweep, type Queryable, type RetentionBatch, type RetentionSweep } from '@isd/kit';

/** What a trimmed verification lost, in the words the report shows. */
export const DROPPED_DETAILS =
  'fetched metric points, log example lines and the log clusters that cost no points (retention.detailDays)';

const FINISHED = `status <> 'running' AND finished_at < $1`;

/**
 * Drops the fetched points (the series with points become their summary: queries, labels and problems, which
 * the report lists the metrics by) and, of the log analysis, the example lines and the clusters that cost
 * nothing: what stays still names every metric and every cluster that took points.
 */
async function dropDetails(client: Queryable, cutoff: Date, limit: number): Promise<RetentionBatch> {
  const { rows: chosen } = await client.query<{ id: string }>(
    `SELECT id FROM verifications WHERE ${FINISHED} AND details_dropped_at IS NULL
      ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [cutoff, limit],
  );
  if (chosen.length === 0) return { records: 0, rows: {} };
  const ids = chosen.map((row) => row.id);
  const intervals = await client.query(
    `UPDATE verification_intervals SET series = CASE WHEN series = '[]' THEN series ELSE summary END,
            logs = CASE WHEN logs IS NULL THEN NULL ELSE jsonb_set(logs, '{clusters}', COALESCE(
              (SELECT jsonb_agg(jsonb_set(cluster, '{examples}', '{"baseline": [], "canary": []}'))
                 FROM jsonb_array_elements(logs->'clusters') AS cluster
                WHERE cluster->>'unexpected' = 'true' OR cluster->>'critical' = 'true'),
              '[]'::jsonb)) END
      WHERE verification_id = ANY($1)`,
    [ids],
  );
  await client.query('UPDATE verifications SET details_dropped_at = now() WHERE id = ANY($1)', [ids]);
  return { records: ids.length, rows: { 'verification_intervals.details': intervals.rowCount ?? 0 } };
}

/** The sweeps: details first, then whole verifications, then test verifications. */
export function autopilotSweeps(retention: { days: number; detailDays: number }): RetentionSweep[] {
  return [
    { name: 'verification details', days: retention.detailDays, removeBatch: dropDetails },
    expiredRecordsSweep(retention.days, {
      table: 'verifications',
      where: FINISHED,
      orderBy: 'finished_at',
      children: [{ table: 'verification_intervals', column: 'verification_id' }],
    }),
    expiredRecordsSweep(retention.days, { table: 'test_verifications', where: FINISHED, orderBy: 'finished_at' }),
  ];
}
