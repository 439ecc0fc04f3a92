// Waiting for a verification's window jobs instead of sleeping: a test that checks that nothing judged a
// canceled (or already decided) verification waits until every window job queued for it has run to its
// end, after which nothing is left that could judge it, rather than for a guessed number of seconds.
import type { RunningService } from '@isd/kit';
import { eventually } from '@isd/test-support';
import { INTERVAL_JOB } from '../src/analysis/runner';
import type { AutopilotConfig } from '../src/config';

/** pg-boss states a job never leaves (its handler returned, it ran out of retries, or it was canceled). */
const SETTLED = new Set(['completed', 'failed', 'cancelled']);

/**
 * Resolves once the verification has at least one window job and all of them are settled; a job a
 * finishing one queues (the next window) is seen before the finishing one completes, so none slips by.
 */
export async function windowJobsSettled(
  service: RunningService<AutopilotConfig>,
  verificationId: string,
  timeoutMs = 20_000,
): Promise<void> {
  await eventually(
    async () => {
      const { rows } = await service.database.query<{ state: string }>(
        `SELECT state FROM ${service.database.schema}_jobs.job WHERE name = $1 AND data->>'verificationId' = $2`,
        [INTERVAL_JOB, verificationId],
      );
      return rows.length > 0 && rows.every((row) => SETTLED.has(row.state)) ? true : undefined;
    },
    timeoutMs,
    `the window jobs of verification ${verificationId} to finish`,
  );
}
