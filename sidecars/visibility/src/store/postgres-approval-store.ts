// Postgres implementation of the approval store: one row per gate, decisions keyed by person, and an
// append-only audit table; every state change is a compare-and-set on (status, version).
import type { Database, Queryable } from '@isd/kit';
import type { EvidenceRequest } from '../api/schemas';
import type { Actor, Approval, ApprovalStatus, AutoDecisionResult, Decision, EvidenceCard } from '../domain/model';
import type { ApprovalFilter, ApprovalStore, ApprovalTransaction, AuditEntry, NewApproval } from './approval-store';

/** A gate row as Postgres renders it in JSON (timestamps as ISO strings). */
interface ApprovalJson {
  id: string;
  execution_id: string;
  stage_id: string;
  attempt: number;
  application: string;
  pipeline_name: string | null;
  pipeline_id: string | null;
  triggered_by: string | null;
  status: ApprovalStatus;
  version: number;
  rules: Approval['rules'];
  instructions: string;
  evidence_request: EvidenceRequest[];
  evidence: EvidenceCard[] | null;
  evidence_digest: string | null;
  auto_decision: Approval['autoDecision'];
  auto_result: AutoDecisionResult | null;
  created_at: string;
  deadline: string;
  closed_at: string | null;
  decisions: Array<{
    user_name: string;
    action: Decision['action'];
    comment: string;
    groups: string[];
    evidence_digest: string | null;
    decided_at: string;
    break_glass?: boolean;
  }> | null;
}

interface ApprovalRow {
  approval: ApprovalJson;
}

const APPROVAL_COLUMNS = [
  'id',
  'execution_id',
  'stage_id',
  'attempt',
  'application',
  'pipeline_name',
  'pipeline_id',
  'triggered_by',
  'status',
  'version',
  'rules',
  'instructions',
  'evidence_request',
  'evidence',
  'evidence_digest',
  'auto_decision',
  'auto_result',
  'created_at',
  'deadline',
  'closed_at',
] as const;

// A read is one row by primary key: the decisions are mirrored on the gate row (migration 002). The row
// comes back as one JSON column: the driver's per-column work on 21 typed columns cost more than the query.
const SELECT_APPROVAL = `
  SELECT json_build_object(${APPROVAL_COLUMNS.map((column) => `'${column}', a.${column}`).join(', ')},
                           'decisions', a.decisions_json) AS approval
    FROM approvals a`;

function toApproval({ approval: row }: ApprovalRow): Approval {
  return {
    id: row.id,
    executionId: row.execution_id,
    stageId: row.stage_id,
    attempt: row.attempt,
    application: row.application,
    pipelineName: row.pipeline_name,
    pipelineId: row.pipeline_id,
    triggeredBy: row.triggered_by,
    status: row.status,
    version: row.version,
    rules: row.rules,
    instructions: row.instructions,
    evidenceRequest: row.evidence_request,
    evidence: row.evidence,
    evidenceDigest: row.evidence_digest,
    autoDecision: row.auto_decision,
    autoResult: row.auto_result,
    createdAt: new Date(row.created_at),
    deadline: new Date(row.deadline),
    closedAt: row.closed_at === null ? null : new Date(row.closed_at),
    decisions: (row.decisions ?? []).map((decision) => ({
      user: decision.user_name,
      action: decision.action,
      comment: decision.comment,
      groups: decision.groups,
      evidenceDigest: decision.evidence_digest,
      decidedAt: new Date(decision.decided_at),
      breakGlass: decision.break_glass === true,
    })),
  };
}

async function insertAudit(client: Queryable, approvalId: string, entry: AuditEntry): Promise<void> {
  await client.query(
    `INSERT INTO audit_events (approval_id, event, actor, auth_method, channel, from_status, to_status, comment, evidence_digest, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      approvalId,
      entry.event,
      entry.actor.name,
      entry.actor.authMethod,
      entry.actor.channel,
      entry.fromStatus ?? null,
      entry.toStatus ?? null,
      entry.comment ?? null,
      entry.evidenceDigest ?? null,
      JSON.stringify(entry.details ?? {}),
    ],
  );
}

/** The approval store on the service's Postgres (or embedded PGlite) database. */
export class PostgresApprovalStore implements ApprovalStore {
  /** Named (server-side prepared) statements, except on PGlite whose one session all connections share. */
  private readonly prepared: boolean;

  constructor(private readonly database: Database) {
    this.prepared = !database.isEmbedded;
  }

  async createOrGet(approval: NewApproval, actor: Actor): Promise<{ approval: Approval; created: boolean }> {
    const created = await this.database.transaction(async (client) => {
      const inserted = await client.query(
        `INSERT INTO approvals (id, execution_id, stage_id, attempt, application, pipeline_name, pipeline_id, triggered_by, status,
                                rules, approver_groups, instructions, evidence_request, auto_decision, created_at, deadline)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'activated', $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (execution_id, stage_id, attempt) DO NOTHING
         RETURNING id`,
        [
          approval.id,
          approval.executionId,
          approval.stageId,
          approval.attempt,
          approval.application,
          approval.pipelineName,
          approval.pipelineId,
          approval.triggeredBy,
          JSON.stringify(approval.rules),
          approval.rules.groups.map((group) => group.name),
          approval.instructions,
          JSON.stringify(approval.evidenceRequest),
          approval.autoDecision ? JSON.stringify(approval.autoDecision) : null,
          approval.createdAt,
          approval.deadline,
        ],
      );
      if (inserted.rowCount === 0) return false;
      await insertAudit(client, approval.id, {
        event: 'activated',
        actor,
        toStatus: 'activated',
        details: {
          rules: approval.rules,
          deadline: approval.deadline.toISOString(),
          autoDecision: approval.autoDecision,
        },
      });
      return true;
    });
    const { rows } = await this.database.query<ApprovalRow>(
      `${SELECT_APPROVAL} WHERE a.execution_id = $1 AND a.stage_id = $2 AND a.attempt = $3`,
      [approval.executionId, approval.stageId, approval.attempt],
    );
    const row = rows[0];
    if (!row) throw new Error(`approval for ${approval.executionId}/${approval.stageId} vanished after insert`);
    return { approval: toApproval(row), created };
  }

  async get(id: string): Promise<Approval | null> {
    const text = `${SELECT_APPROVAL} WHERE a.id = $1`;
    const { rows } = this.prepared
      ? await this.database.pool.query<ApprovalRow>({ name: 'visibility-approval-by-id', text, values: [id] })
      : await this.database.query<ApprovalRow>(text, [id]);
    return rows[0] ? toApproval(rows[0]) : null;
  }

  async latestFor(executionId: string, stageId: string): Promise<Approval | null> {
    const { rows } = await this.database.query<ApprovalRow>(
      `${SELECT_APPROVAL} WHERE a.execution_id = $1 AND a.stage_id = $2 ORDER BY a.attempt DESC LIMIT 1`,
      [executionId, stageId],
    );
    return rows[0] ? toApproval(rows[0]) : null;
  }

  async list(filter: ApprovalFilter): Promise<Approval[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (clause: (placeholder: string) => string, value: unknown) => {
      values.push(value);
      where.push(clause(`$${values.length}`));
    };
    if (filter.status) add((p) => `a.status = ${p}`, filter.status);
    if (filter.application) add((p) => `a.application = ${p}`, filter.application);
    if (filter.executionId) add((p) => `a.execution_id = ${p}`, filter.executionId);
    if (filter.groupsAnyOf) add((p) => `a.approver_groups && ${p}::text[]`, filter.groupsAnyOf);
    if (filter.deadlineAfter) add((p) => `a.deadline > ${p}`, filter.deadlineAfter);
    if (filter.visibleTo) {
      const { scope, groups } = filter.visibleTo;
      values.push(scope.readable, groups, scope.othersReadable, scope.unreadable);
      const [readable, held, others, unreadable] = [4, 3, 2, 1].map((back) => `$${values.length - back + 1}`);
      where.push(
        `(lower(a.application) = ANY(${readable}::text[]) OR a.approver_groups && ${held}::text[]
          OR (${others}::boolean AND NOT lower(a.application) = ANY(${unreadable}::text[])))`,
      );
    }
    if (filter.undecidedBy) {
      add(
        (p) => `NOT EXISTS (SELECT 1 FROM decisions d WHERE d.approval_id = a.id AND lower(d.user_name) = lower(${p}))`,
        filter.undecidedBy,
      );
    }
    values.push(filter.limit, filter.offset);
    const { rows } = await this.database.query<ApprovalRow>(
      `${SELECT_APPROVAL} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY a.created_at DESC, a.id LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    return rows.map(toApproval);
  }

  async withLock<T>(
    id: string,
    work: (approval: Approval | null, transaction: ApprovalTransaction) => Promise<T>,
  ): Promise<T> {
    return this.database.transaction(async (client) => {
      const row = (await client.query<ApprovalRow>(`${SELECT_APPROVAL} WHERE a.id = $1 FOR UPDATE`, [id])).rows[0];
      const approval = row ? toApproval(row) : null;
      const transaction: ApprovalTransaction = {
        async addDecision(decision) {
          await client.query(
            `INSERT INTO decisions (approval_id, user_name, action, comment, groups, evidence_digest, decided_at, break_glass)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [
              id,
              decision.user,
              decision.action,
              decision.comment,
              decision.groups,
              decision.evidenceDigest,
              decision.decidedAt,
              decision.breakGlass,
            ],
          );
          await client.query(`UPDATE approvals SET decisions_json = decisions_json || $2::jsonb WHERE id = $1`, [
            id,
            JSON.stringify([
              {
                user_name: decision.user,
                action: decision.action,
                comment: decision.comment,
                groups: decision.groups,
                evidence_digest: decision.evidenceDigest,
                decided_at: decision.decidedAt.toISOString(),
                break_glass: decision.breakGlass,
              },
            ]),
          ]);
        },
        async transition(expectedVersion, to, entry) {
          const updated = await client.query(
            `UPDATE approvals SET status = $3, version = version + 1, closed_at = now()
              WHERE id = $1 AND version = $2 AND status = 'activated'`,
            [id, expectedVersion, to],
          );
          if (updated.rowCount !== 1) return false;
          await insertAudit(client, id, { ...entry, fromStatus: 'activated', toStatus: to });
          return true;
        },
        async touch(expectedVersion, entry) {
          const updated = await client.query(
            `UPDATE approvals SET version = version + 1 WHERE id = $1 AND version = $2`,
            [id, expectedVersion],
          );
          if (updated.rowCount !== 1) return false;
          await insertAudit(client, id, entry);
          return true;
        },
        async setEvidence(cards, digest) {
          await client.query(
            `UPDATE approvals SET evidence = $2, evidence_digest = $3, version = version + 1 WHERE id = $1`,
            [id, JSON.stringify(cards), digest],
          );
        },
        async setAutoResult(result) {
          await client.query(`UPDATE approvals SET auto_result = $2, version = version + 1 WHERE id = $1`, [
            id,
            JSON.stringify(result),
          ]);
        },
        async audit(entry) {
          await insertAudit(client, id, entry);
        },
      };
      return work(approval, transaction);
    });
  }

  async markJobsQueued(id: string): Promise<void> {
    await this.database.query('UPDATE approvals SET jobs_queued = true WHERE id = $1 AND NOT jobs_queued', [id]);
  }

  async markOutcomeQueued(id: string): Promise<void> {
    await this.database.query('UPDATE approvals SET outcome_queued = true WHERE id = $1 AND NOT outcome_queued', [id]);
  }

  async withOutcomePending(olderThanMs: number, limit: number): Promise<string[]> {
    const { rows } = await this.database.query<{ id: string }>(
      `SELECT id FROM approvals WHERE status <> 'activated' AND NOT outcome_queued
          AND closed_at < now() - make_interval(secs => $1::double precision / 1000)
        ORDER BY closed_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((row) => row.id);
  }

  async withJobsPending(olderThanMs: number, limit: number): Promise<Approval[]> {
    const { rows } = await this.database.query<ApprovalRow>(
      `${SELECT_APPROVAL} WHERE NOT a.jobs_queued AND a.created_at < now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY a.created_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map(toApproval);
  }

  async auditTrail(id: string): Promise<Array<AuditEntry & { at: Date }>> {
    const { rows } = await this.database.query<{
      at: Date;
      event: string;
      actor: string;
      auth_method: Actor['authMethod'];
      channel: Actor['channel'];
      from_status: ApprovalStatus | null;
      to_status: ApprovalStatus | null;
      comment: string | null;
      evidence_digest: string | null;
      details: Record<string, unknown>;
    }>('SELECT * FROM audit_events WHERE approval_id = $1 ORDER BY id', [id]);
    return rows.map((row) => ({
      at: row.at,
      event: row.event,
      actor: { name: row.actor, authMethod: row.auth_method, channel: row.channel },
      fromStatus: row.from_status,
      toStatus: row.to_status,
      comment: row.comment,
      evidenceDigest: row.evidence_digest,
      details: row.details,
    }));
  }

  async slackMessage(id: string): Promise<{ channel: string; ts: string } | null> {
    const { rows } = await this.database.query<{ channel: string; ts: string }>(
      'SELECT channel, ts FROM slack_messages WHERE approval_id = $1',
      [id],
    );
    return rows[0] ?? null;
  }

  async saveSlackMessage(id: string, channel: string, ts: string): Promise<void> {
    await this.database.query(
      'INSERT INTO slack_messages (approval_id, channel, ts) VALUES ($1, $2, $3) ON CONFLICT (approval_id) DO UPDATE SET channel = $2, ts = $3',
      [id, channel, ts],
    );
  }
}
