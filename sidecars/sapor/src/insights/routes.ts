// Delivery insights over HTTP: DORA measures from the synced deployments, gate numbers from the audit
// trail, and a sync on demand. Reads only sapor's own tables: a dashboard never reaches Spinnaker.
import {
  InputError,
  NotAllowedError,
  applicationScope,
  isAdmin,
  requireApplicationRead,
  type Database,
  type HttpApp,
  type UserWriteBudget,
} from '@isd/kit';
import { WRITE_LIMIT_RESPONSE } from '../api/routes';
import { z } from 'zod';
import { measure, percentile, type DeploymentRow } from './dora';
import type { InsightsSync } from './sync';

const DAY_MS = 86_400_000;
/** Longest range one request may ask for (rows are measured in memory). */
const MAX_RANGE_DAYS = 400;
/** How far after the range a restoring success is looked for. */
const RESTORE_LOOKAHEAD_DAYS = 90;
const name = z.string().min(1).max(200);
const instant = z.iso.datetime({ offset: true }).transform((text) => new Date(text));

export const doraQuerySchema = z.strictObject({
  application: name.optional(),
  pipeline: name.optional(),
  environment: name.optional(),
  from: instant.optional().describe('Start of the range (ISO 8601); default 30 days before `to`'),
  to: instant.optional().describe('End of the range, exclusive (ISO 8601); default now'),
  groupBy: z
    .enum(['application', 'pipeline', 'environment'])
    .default('application')
    .describe('application, application+pipeline, or application+environment'),
});

const freshnessSchema = z.object({
  lastSuccessAt: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  stale: z.boolean(),
});

function range(query: { from?: Date; to?: Date }): { from: Date; to: Date } {
  const to = query.to ?? new Date();
  const from = query.from ?? new Date(to.getTime() - 30 * DAY_MS);
  if (from >= to)
    throw new InputError('query.from: must be before query.to', {
      code: 'invalid_range',
      issues: [{ path: 'query.from', message: 'must be before query.to' }],
    });
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS)
    throw new InputError(`query.from: the range may span at most ${MAX_RANGE_DAYS} days`, {
      code: 'range_too_long',
      issues: [{ path: 'query.from', message: `at most ${MAX_RANGE_DAYS} days before query.to` }],
    });
  return { from, to };
}

function groupKey(row: DeploymentRow, groupBy: 'application' | 'pipeline' | 'environment'): string {
  const parts = [row.application.toLowerCase()];
  if (groupBy === 'pipeline') parts.push(row.pipelineName);
  if (groupBy === 'environment') parts.push(row.environment);
  return JSON.stringify(parts);
}

interface GateAuditRow {
  application: string;
  type: string;
  outcome: string;
  count: string;
  wait_ms: number[] | null;
  scores: number[] | null;
}

/** Registers the insights routes. */
export function registerInsightsRoutes(
  http: HttpApp,
  sync: InsightsSync,
  database: Database,
  writes: UserWriteBudget,
): void {
  http.route(
    {
      method: 'get',
      path: '/api/v1/insights/dora',
      summary: 'DORA measures per application, pipeline or environment over a time range (docs/insights.md)',
      tags: ['insights'],
      auth: 'service-or-user',
      query: doraQuerySchema,
      responses: {
        200: {
          description: '`{from, to, groupBy, groups[], freshness}`; freshness.stale when the last sync is too old',
          schema: z.object({
            from: z.string(),
            to: z.string(),
            groupBy: doraQuerySchema.shape.groupBy.unwrap(),
            groups: z.array(z.record(z.string(), z.unknown())),
            freshness: freshnessSchema,
          }),
        },
      },
    },
    async ({ query, caller }) => {
      const { from, to } = range(query);
      if (query.application) requireApplicationRead(caller, query.application, `application ${query.application}`);
      const scope = applicationScope(caller);
      const filter = { application: query.application, pipeline: query.pipeline, environment: query.environment };
      const rows = await sync.deployments({ ...filter, finishedFrom: from, finishedTo: to }, scope);
      const later = await sync.deployments(
        { ...filter, finishedFrom: to, finishedTo: new Date(to.getTime() + RESTORE_LOOKAHEAD_DAYS * DAY_MS) },
        scope,
      );
      const groups = new Map<string, { rows: DeploymentRow[]; after: DeploymentRow[] }>();
      for (const row of rows) {
        const key = groupKey(row, query.groupBy);
        const group = groups.get(key) ?? { rows: [], after: [] };
        group.rows.push(row);
        groups.set(key, group);
      }
      for (const row of later) groups.get(groupKey(row, query.groupBy))?.after.push(row);
      const body = [...groups.values()].map(({ rows: groupRows, after }) => {
        const first = groupRows[0]!;
        return {
          application: first.application,
          ...(query.groupBy === 'pipeline' ? { pipeline: first.pipelineName } : {}),
          ...(query.groupBy === 'environment' ? { environment: first.environment } : {}),
          ...measure(groupRows, after, from, to),
        };
      });
      body.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      const { watermarkMs: _watermark, ...freshness } = await sync.readState();
      return {
        status: 200,
        body: { from: from.toISOString(), to: to.toISOString(), groupBy: query.groupBy, groups: body, freshness },
      };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/insights/gates',
      summary: "The gates' own records per application over a time range: decisions, approval waits, scores",
      tags: ['insights'],
      auth: 'service-or-user',
      query: z.strictObject({ application: name.optional(), from: instant.optional(), to: instant.optional() }),
      responses: { 200: { description: '`{from, to, applications[]}` from the audit trail' } },
    },
    async ({ query, caller }) => {
      const { from, to } = range(query);
      if (query.application) requireApplicationRead(caller, query.application, `application ${query.application}`);
      const scope = applicationScope(caller);
      const values: unknown[] = [from, to];
      const where = ['occurred_at >= $1', 'occurred_at < $2', 'application IS NOT NULL'];
      if (query.application) {
        values.push(query.application);
        where.push(`lower(application) = lower($${values.length})`);
      }
      if (!scope.all) {
        values.push(scope.readable, scope.unreadable, scope.othersReadable);
        const n = values.length;
        where.push(
          `(lower(application) = ANY($${n - 2}::text[]) OR ($${n}::boolean AND NOT lower(application) = ANY($${n - 1}::text[])))`,
        );
      }
      // waitMs and score are read only when they are JSON numbers (details come from other services).
      const { rows } = await database.query<GateAuditRow>(
        `SELECT lower(application) AS application, type, outcome, count(*) AS count,
                array_agg((details->>'waitMs')::double precision) FILTER (WHERE jsonb_typeof(details->'waitMs') = 'number') AS wait_ms,
                array_agg((details->>'score')::double precision) FILTER (WHERE jsonb_typeof(details->'score') = 'number') AS scores
         FROM audit_records WHERE ${where.join(' AND ')}
         GROUP BY lower(application), type, outcome`,
        values,
      );
      const byApplication = new Map<
        string,
        { decisions: Record<string, Record<string, number>>; waits: number[]; scores: number[] }
      >();
      for (const row of rows) {
        const entry = byApplication.get(row.application) ?? { decisions: {}, waits: [], scores: [] };
        const outcomes = (entry.decisions[row.type] ??= {});
        outcomes[row.outcome] = Number(row.count);
        if (row.type === 'approval') entry.waits.push(...(row.wait_ms ?? []));
        if (row.type === 'verification') entry.scores.push(...(row.scores ?? []));
        byApplication.set(row.application, entry);
      }
      const applications = [...byApplication.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([application, { decisions, waits, scores }]) => {
          waits.sort((a, b) => a - b);
          return {
            application,
            decisions,
            policyDenials: decisions.policy?.deny ?? 0,
            approvalWaitMs: { median: percentile(waits, 50), p90: percentile(waits, 90), count: waits.length },
            verificationScore: {
              mean: scores.length ? Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 100) / 100 : null,
              count: scores.length,
            },
          };
        });
      return { status: 200, body: { from: from.toISOString(), to: to.toISOString(), applications } };
    },
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/insights/sync',
      summary: 'Syncs executions from Gate now (services and admins); the timer does this every syncIntervalMs',
      tags: ['insights'],
      auth: 'service-or-user',
      responses: {
        200: { description: '`{executions, deployments}` read in this sync' },
        429: WRITE_LIMIT_RESPONSE,
        503: { description: 'Gate failed; the last error is kept and the data marked stale when too old' },
      },
    },
    async ({ caller }) => {
      if (!isAdmin(caller))
        throw new NotAllowedError('only services and admins may start a sync', { code: 'not_admin' });
      await writes.spend(caller);
      return { status: 200, body: await sync.sync() };
    },
  );
}
