// A tiny service built on the kit, used to test the kit's machinery across processes (replicas,
// kill -9 during a job) without depending on any gate's code.
import path from 'node:path';
import { baseConfigSchema, type ServiceDefinition } from '@isd/kit';
import { z } from 'zod';

export const fixtureConfigSchema = baseConfigSchema({ name: 'fixture', port: 0 }).extend({
  work: z.strictObject({ durationMs: z.number().int().min(0).default(0) }).prefault({}),
});
export type FixtureConfig = z.infer<typeof fixtureConfigSchema>;

/** Jobs of kind `slow-work` record an attempt, sleep `work.durationMs`, then mark themselves finished. */
export const fixtureService: ServiceDefinition<FixtureConfig> = {
  name: 'fixture',
  version: '0.0.0',
  description: 'kit test fixture',
  configSchema: fixtureConfigSchema,
  migrationsDir: path.join(__dirname, 'migrations'),
  async setup({ config, database, jobs, http }) {
    await jobs.define<{ key: string }>(
      'slow-work',
      async (job) => {
        await database.query(
          'INSERT INTO work_done (job_key, attempts) VALUES ($1, 1) ON CONFLICT (job_key) DO UPDATE SET attempts = work_done.attempts + 1',
          [job.data.key],
        );
        await new Promise((resolve) => setTimeout(resolve, config.work.durationMs));
        await database.query('UPDATE work_done SET finished_at = now() WHERE job_key = $1', [job.data.key]);
      },
      { retryLimit: 3, retryDelaySeconds: 1, retryBackoff: false, expireInSeconds: 2 },
    );
    http.route(
      {
        method: 'post',
        path: '/work',
        summary: 'Queue slow work',
        auth: 'service',
        body: z.strictObject({ key: z.string().min(1) }),
        responses: { 202: { description: 'queued' } },
      },
      async ({ body }) => {
        await jobs.send('slow-work', { key: body.key }, { key: body.key });
        return { status: 202, body: { queued: body.key } };
      },
    );
  },
};
