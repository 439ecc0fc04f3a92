// What sapor's daily retention removes (docs/decisions/227), each kept for its own setting: the decision log
// and the inputs kept with policy gates (policy.decisionLogRetentionDays), audit records (audit.retentionDays),
// and policy gates, superseded policy versions and account history (retention.days).
import { expiredRecordsSweep, type Queryable, type RetentionBatch, type RetentionSweep } from '@isd/kit';
import type { SaporConfig } from './config';

/**
 * Deletes history rows (keyed by name and version) superseded by a newer row of the same name that is itself
 * older than the cutoff: the row in force at the cutoff, and the newest of every name (which numbers the
 * next version), always stay. `keep` excludes rows something kept still refers to.
 */
async function deleteSupersededBatch(
  client: Queryable,
  history: { table: string; at: string; keep?: string },
  cutoff: Date,
  limit: number,
): Promise<RetentionBatch> {
  const { table, at, keep } = history;
  const result = await client.query(
    `WITH chosen AS (
       SELECT h.name, h.version FROM ${table} h
        WHERE EXISTS (SELECT 1 FROM ${table} n WHERE n.name = h.name AND n.version > h.version AND n.${at} < $1)
          ${keep ? `AND NOT (${keep})` : ''}
        ORDER BY h.${at} LIMIT $2 FOR UPDATE SKIP LOCKED)
     DELETE FROM ${table} t USING chosen WHERE t.name = chosen.name AND t.version = chosen.version`,
    [cutoff, limit],
  );
  const deleted = result.rowCount ?? 0;
  return { records: deleted, rows: { [table]: deleted } };
}

/** The sweeps, shortest-lived data first. */
export function saporSweeps(config: Pick<SaporConfig, 'policy' | 'audit' | 'retention'>): RetentionSweep[] {
  const decisionLogDays = config.policy.decisionLogRetentionDays;
  const { days } = config.retention;
  return [
    expiredRecordsSweep(decisionLogDays, {
      table: 'decision_log',
      key: 'decision_id',
      where: 'created_at < $1',
      orderBy: 'created_at',
    }),
    {
      // A gate's input (up to 256 KiB) goes with its decision row; the gate stays, and input_bytes tells a
      // dropped input from one too large to keep.
      name: 'policy gate inputs',
      days: decisionLogDays,
      async removeBatch(client, cutoff, limit) {
        const result = await client.query(
          `UPDATE policy_gates SET input = NULL WHERE id IN (
             SELECT id FROM policy_gates WHERE input IS NOT NULL AND created_at < $1
              ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
          [cutoff, limit],
        );
        const dropped = result.rowCount ?? 0;
        return { records: dropped, rows: { 'policy_gates.input': dropped } };
      },
    },
    expiredRecordsSweep(config.audit.retentionDays, {
      table: 'audit_records',
      key: 'seq',
      where: 'occurred_at < $1',
      orderBy: 'occurred_at',
      // The one way an audit record leaves: the append-only trigger lets this transaction delete.
      unlockSetting: 'isd.audit_retention',
    }),
    // Policy gates are decided when created: none is ever waiting.
    expiredRecordsSweep(days, { table: 'policy_gates', where: 'created_at < $1', orderBy: 'created_at' }),
    {
      name: 'policy_versions',
      days,
      removeBatch: (client, cutoff, limit) =>
        deleteSupersededBatch(
          client,
          {
            table: 'policy_versions',
            at: 'created_at',
            keep: `EXISTS (SELECT 1 FROM policies p WHERE p.name = h.name AND p.current_version = h.version)
                   OR EXISTS (SELECT 1 FROM policy_gates g WHERE g.policy_name = h.name AND g.policy_version = h.version)`,
          },
          cutoff,
          limit,
        ),
    },
    {
      name: 'account_history',
      days,
      removeBatch: (client, cutoff, limit) =>
        deleteSupersededBatch(client, { table: 'account_history', at: 'occurred_at' }, cutoff, limit),
    },
  ];
}
