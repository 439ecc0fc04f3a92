// What visibility's daily retention removes (docs/decisions/227): records that finished more than
// retention.days ago. A gate that is still open, a Terraform run or external stage still running, is never chosen.
import { expiredRecordsSweep, type RetentionSweep } from '@isd/kit';

/** The sweeps, Terraform runs first: a run's approval goes in the approvals sweep once the run is gone. */
export function visibilitySweeps(days: number): RetentionSweep[] {
  return [
    expiredRecordsSweep(days, { table: 'terraform_runs', where: 'finished_at < $1', orderBy: 'finished_at' }),
    expiredRecordsSweep(days, {
      table: 'external_stage_runs',
      where: `status NOT IN ('creating', 'waiting') AND closed_at < $1`,
      orderBy: 'closed_at',
    }),
    expiredRecordsSweep(days, {
      table: 'approvals',
      // A gate opened by a Terraform run that is still kept stays with it.
      where: `status <> 'activated' AND closed_at < $1
              AND NOT EXISTS (SELECT 1 FROM terraform_runs t WHERE t.approval_id = approvals.id)`,
      orderBy: 'closed_at',
      children: [
        { table: 'decisions', column: 'approval_id' },
        { table: 'audit_events', column: 'approval_id' },
        { table: 'slack_messages', column: 'approval_id' },
        { table: 'email_links', column: 'approval_id' },
      ],
      // The audit trail refuses deletes except from the retention run's own transaction (migration 008).
      unlockSetting: 'isd.retention',
    }),
  ];
}
