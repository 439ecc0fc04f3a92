// Storage of policies, their versions, decisions and gate records (interface + Postgres implementation).
import { applicationPageQuery, type Database, type Logger, type PageCursor, type Queryable } from '@isd/kit';
import { DecisionLogWriter } from './decision-log';
import { jsonbText } from './jsonb';
import { RawJSON, stringifyJSON, type RegoVersion } from '@isd/rego';

/** One Rego file of a policy. */
export interface PolicyModule {
  name: string;
  source: string;
}

/** Where a policy version came from. */
export type PolicyOrigin = 'api' | 'directory' | 'git';

/** One saved version of a policy. */
export interface PolicyVersion {
  name: string;
  version: number;
  regoVersion: RegoVersion;
  modules: PolicyModule[];
  packages: string[];
  digest: string;
  description: string | null;
  origin: PolicyOrigin;
  originRef: string | null;
  createdBy: string | null;
  createdAt: string;
}

/** A new version to save; `version` and `createdAt` are assigned by the store. */
export type NewPolicyVersion = Omit<PolicyVersion, 'version' | 'createdAt'>;

/** The current versions of every live policy and the revision they correspond to. */
export interface ActivePolicies {
  revision: number;
  policies: PolicyVersion[];
}

/** A decision log row. */
export interface DecisionRecord {
  decisionId: string;
  source: 'data-api' | 'policy-gate' | 'pipeline-check';
  path: string;
  engine: 'builtin' | 'opa';
  policies: Array<{ name: string; version: number }>;
  revision: number | null;
  inputDigest: string;
  outcome: 'defined' | 'undefined' | 'allow' | 'deny' | 'error';
  /**
   * The result's JSON text. Stored as jsonb, which keeps a number's digits and decimal places (`1.0`,
   * `2.50`, 30 digits) but writes an exponent out in full (`1e400`) and `-0` as `0` (decision 208).
   */
  result: RawJSON | undefined;
  error: string | null;
  durationMs: number;
  createdAt?: string;
}

/** A stored runtime gate decision. */
export interface PolicyGateRecord {
  id: string;
  executionId: string;
  stageId: string;
  application: string;
  pipelineName: string | null;
  pipelineId: string | null;
  triggeredBy: string | null;
  policyPath: string;
  status: 'allow' | 'deny';
  messages: string[];
  policyName: string | null;
  policyVersion: number | null;
  decisionId: string;
  inputDigest: string;
  createdAt: string;
}

/** Largest gate input kept for display (bytes of JSON); larger ones keep only their digest and size. */
export const MAX_KEPT_INPUT_BYTES = 256 * 1024;

/** Filters of a gate list page. */
export interface GateListFilter {
  application: string;
  status?: 'allow' | 'deny';
  /** The decided document path (`data.isd.deploy`). */
  policy?: string;
  pipeline?: string;
  from?: Date;
  to?: Date;
  after?: PageCursor;
  limit: number;
}

/** Result of saving: the version now current and whether it was newly written. */
export interface SaveResult {
  version: PolicyVersion;
  created: boolean;
}

/** What the service needs from storage. */
export interface PolicyStore {
  revision(): Promise<number>;
  active(): Promise<ActivePolicies>;
  /**
   * Saves a version in one transaction when the active set is still at `expectedRevision` (else returns
   * `stale`); identical content to the current version is not saved again.
   */
  save(policy: NewPolicyVersion, expectedRevision: number): Promise<SaveResult | 'stale'>;
  /** Marks a policy deleted; false when it was not live. */
  remove(name: string, expectedRevision: number): Promise<boolean | 'stale'>;
  current(name: string): Promise<PolicyVersion | undefined>;
  version(name: string, version: number): Promise<PolicyVersion | undefined>;
  versions(name: string): Promise<PolicyVersion[]>;
  /** Live policy names with their origin. */
  origins(): Promise<Array<{ name: string; origin: PolicyOrigin }>>;
  /** Resolves once the row is committed (rows are written in small batches). */
  logDecision(decision: DecisionRecord): Promise<void>;
  /** Writes every queued decision row. */
  flushDecisions(): Promise<void>;
  decision(decisionId: string): Promise<DecisionRecord | undefined>;
  /** Inserts a gate unless one exists for (executionId, stageId); returns the stored one either way. */
  insertGate(
    gate: Omit<PolicyGateRecord, 'createdAt'>,
    input?: unknown,
  ): Promise<{ gate: PolicyGateRecord; created: boolean }>;
  gate(id: string): Promise<PolicyGateRecord | undefined>;
  /** One page of an application's gates, newest first (created_at, then id). */
  listGates(filter: GateListFilter): Promise<Array<PolicyGateRecord & { cursor: PageCursor }>>;
  /** The input a gate was decided on; `input` null when it was too large to keep (or predates keeping inputs). */
  gateInput(id: string): Promise<{ input: RawJSON | null; inputBytes: number | null } | undefined>;
  /** The application of the gate a decision was made for; undefined for a decision of no gate. */
  applicationOfDecision(decisionId: string): Promise<string | undefined>;
  gateFor(executionId: string, stageId: string): Promise<PolicyGateRecord | undefined>;
}

interface VersionRow {
  name: string;
  version: number;
  rego_version: RegoVersion;
  modules: PolicyModule[];
  packages: string[];
  digest: string;
  description: string | null;
  origin: PolicyOrigin;
  origin_ref: string | null;
  created_by: string | null;
  created_at: Date;
}

function toVersion(row: VersionRow): PolicyVersion {
  return {
    name: row.name,
    version: row.version,
    regoVersion: row.rego_version,
    modules: row.modules,
    packages: row.packages,
    digest: row.digest,
    description: row.description,
    origin: row.origin,
    originRef: row.origin_ref,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

interface GateRow {
  id: string;
  execution_id: string;
  stage_id: string;
  application: string;
  pipeline_name: string | null;
  pipeline_id: string | null;
  triggered_by: string | null;
  policy_path: string;
  status: 'allow' | 'deny';
  messages: string[];
  policy_name: string | null;
  policy_version: number | null;
  decision_id: string;
  input_digest: string;
  created_at: Date;
}

function toGate(row: GateRow): PolicyGateRecord {
  return {
    id: row.id,
    executionId: row.execution_id,
    stageId: row.stage_id,
    application: row.application,
    pipelineName: row.pipeline_name,
    pipelineId: row.pipeline_id,
    triggeredBy: row.triggered_by,
    policyPath: row.policy_path,
    status: row.status,
    messages: row.messages,
    policyName: row.policy_name,
    policyVersion: row.policy_version,
    decisionId: row.decision_id,
    inputDigest: row.input_digest,
    createdAt: row.created_at.toISOString(),
  };
}

const VERSION_COLUMNS =
  'v.name, v.version, v.rego_version, v.modules, v.packages, v.digest, v.description, v.origin, v.origin_ref, v.created_by, v.created_at';

/** The Postgres implementation (tables from `migrations/001_policies.sql`). */
export class PostgresPolicyStore implements PolicyStore {
  private readonly decisions: DecisionLogWriter;

  constructor(
    private readonly database: Database,
    logger: Logger,
  ) {
    this.decisions = new DecisionLogWriter(database, logger);
  }

  async revision(): Promise<number> {
    const { rows } = await this.database.query<{ revision: string }>('SELECT revision FROM policy_revision');
    return Number(rows[0]?.revision ?? 0);
  }

  async active(): Promise<ActivePolicies> {
    // One statement, so the revision and the versions come from the same snapshot. (A LEFT JOIN form of
    // this query was costed high enough to trigger Postgres' JIT: 700 ms per call.)
    const { rows } = await this.database.query<VersionRow & { revision: string }>(
      `SELECT (SELECT revision FROM policy_revision) AS revision, ${VERSION_COLUMNS}
         FROM policies p JOIN policy_versions v ON v.name = p.name AND v.version = p.current_version
        ORDER BY v.name`,
    );
    const revision = rows[0] ? Number(rows[0].revision) : await this.revision();
    return { revision, policies: rows.map(toVersion) };
  }

  private async lockRevision(client: Queryable, expected: number): Promise<boolean> {
    const { rows } = await client.query<{ revision: string }>('SELECT revision FROM policy_revision FOR UPDATE');
    return Number(rows[0]?.revision ?? 0) === expected;
  }

  async save(policy: NewPolicyVersion, expectedRevision: number): Promise<SaveResult | 'stale'> {
    return this.database.transaction(async (client) => {
      if (!(await this.lockRevision(client, expectedRevision))) return 'stale' as const;
      const { rows: current } = await client.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM policies p JOIN policy_versions v ON v.name = p.name AND v.version = p.current_version WHERE p.name = $1`,
        [policy.name],
      );
      const existing = current[0];
      if (existing && existing.digest === policy.digest) return { version: toVersion(existing), created: false };
      const { rows: next } = await client.query<{ version: number }>(
        'SELECT coalesce(max(version), 0) + 1 AS version FROM policy_versions WHERE name = $1',
        [policy.name],
      );
      const version = next[0]?.version ?? 1;
      const { rows } = await client.query<VersionRow>(
        `INSERT INTO policy_versions AS v (name, version, rego_version, modules, packages, digest, description, origin, origin_ref, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${VERSION_COLUMNS}`,
        [
          policy.name,
          version,
          policy.regoVersion,
          JSON.stringify(policy.modules),
          JSON.stringify(policy.packages),
          policy.digest,
          policy.description,
          policy.origin,
          policy.originRef,
          policy.createdBy,
        ],
      );
      await client.query(
        `INSERT INTO policies (name, current_version, origin, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (name) DO UPDATE SET current_version = $2, origin = $3, updated_at = now()`,
        [policy.name, version, policy.origin],
      );
      await client.query('UPDATE policy_revision SET revision = revision + 1');
      return { version: toVersion(rows[0] as VersionRow), created: true };
    });
  }

  async remove(name: string, expectedRevision: number): Promise<boolean | 'stale'> {
    return this.database.transaction(async (client) => {
      if (!(await this.lockRevision(client, expectedRevision))) return 'stale' as const;
      const { rowCount } = await client.query(
        'UPDATE policies SET current_version = NULL, updated_at = now() WHERE name = $1 AND current_version IS NOT NULL',
        [name],
      );
      if (!rowCount) return false;
      await client.query('UPDATE policy_revision SET revision = revision + 1');
      return true;
    });
  }

  async current(name: string): Promise<PolicyVersion | undefined> {
    const { rows } = await this.database.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM policies p JOIN policy_versions v ON v.name = p.name AND v.version = p.current_version WHERE p.name = $1`,
      [name],
    );
    return rows[0] ? toVersion(rows[0]) : undefined;
  }

  async version(name: string, version: number): Promise<PolicyVersion | undefined> {
    const { rows } = await this.database.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM policy_versions v WHERE v.name = $1 AND v.version = $2`,
      [name, version],
    );
    return rows[0] ? toVersion(rows[0]) : undefined;
  }

  async versions(name: string): Promise<PolicyVersion[]> {
    const { rows } = await this.database.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM policy_versions v WHERE v.name = $1 ORDER BY v.version DESC`,
      [name],
    );
    return rows.map(toVersion);
  }

  async origins(): Promise<Array<{ name: string; origin: PolicyOrigin }>> {
    const { rows } = await this.database.query<{ name: string; origin: PolicyOrigin }>(
      'SELECT name, origin FROM policies WHERE current_version IS NOT NULL ORDER BY name',
    );
    return rows;
  }

  async logDecision(decision: DecisionRecord): Promise<void> {
    await this.decisions.write(decision);
  }

  async flushDecisions(): Promise<void> {
    await this.decisions.flush();
  }

  async decision(decisionId: string): Promise<DecisionRecord | undefined> {
    await this.decisions.flush();
    const { rows } = await this.database.query<{
      decision_id: string;
      source: DecisionRecord['source'];
      path: string;
      engine: DecisionRecord['engine'];
      policies: DecisionRecord['policies'];
      revision: string | null;
      input_digest: string;
      outcome: DecisionRecord['outcome'];
      result: string | null;
      error: string | null;
      duration_ms: number;
      created_at: Date;
      // The result as jsonb's text: the driver's JSON.parse would round its numbers.
    }>(
      `SELECT decision_id, source, path, engine, policies, revision, input_digest, outcome, result::text AS result, error,
              duration_ms, created_at FROM decision_log WHERE decision_id = $1`,
      [decisionId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      decisionId: row.decision_id,
      source: row.source,
      path: row.path,
      engine: row.engine,
      policies: row.policies,
      revision: row.revision === null ? null : Number(row.revision),
      inputDigest: row.input_digest,
      outcome: row.outcome,
      result: row.result === null ? undefined : new RawJSON(row.result),
      error: row.error,
      durationMs: row.duration_ms,
      createdAt: row.created_at.toISOString(),
    };
  }

  async insertGate(
    gate: Omit<PolicyGateRecord, 'createdAt'>,
    input?: unknown,
  ): Promise<{ gate: PolicyGateRecord; created: boolean }> {
    const inputJson = input === undefined ? undefined : stringifyJSON(input);
    const inputBytes = inputJson === undefined ? null : Buffer.byteLength(inputJson);
    const keptInput =
      inputJson !== undefined && inputBytes !== null && inputBytes <= MAX_KEPT_INPUT_BYTES
        ? jsonbText(inputJson)
        : null;
    const { rows } = await this.database.query<GateRow>(
      `INSERT INTO policy_gates (id, execution_id, stage_id, application, pipeline_name, pipeline_id, triggered_by, policy_path, status, messages,
                                 policy_name, policy_version, decision_id, input_digest, input, input_bytes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (execution_id, stage_id) DO NOTHING RETURNING *`,
      [
        gate.id,
        gate.executionId,
        gate.stageId,
        gate.application,
        gate.pipelineName,
        gate.pipelineId,
        gate.triggeredBy,
        gate.policyPath,
        gate.status,
        JSON.stringify(gate.messages),
        gate.policyName,
        gate.policyVersion,
        gate.decisionId,
        gate.inputDigest,
        keptInput,
        inputBytes,
      ],
    );
    if (rows[0]) return { gate: toGate(rows[0]), created: true };
    const existing = await this.gateFor(gate.executionId, gate.stageId);
    if (!existing) throw new Error('policy gate vanished between insert and read');
    return { gate: existing, created: false };
  }

  /** The application of the gate a decision was made for; undefined for a decision of no gate. */
  async applicationOfDecision(decisionId: string): Promise<string | undefined> {
    const { rows } = await this.database.query<{ application: string }>(
      'SELECT application FROM policy_gates WHERE decision_id = $1 LIMIT 1',
      [decisionId],
    );
    return rows[0]?.application;
  }

  async listGates(filter: GateListFilter): Promise<Array<PolicyGateRecord & { cursor: PageCursor }>> {
    const { status, policy, pipeline, ...page } = filter;
    // The inputs stay out of the list (they can be large).
    const { text, values } = applicationPageQuery(
      'policy_gates',
      `id, execution_id, stage_id, application, pipeline_name, pipeline_id, triggered_by, policy_path, status,
       messages, policy_name, policy_version, decision_id, input_digest, created_at`,
      { ...page, equal: { status, policy_path: policy, pipeline_name: pipeline } },
    );
    const { rows } = await this.database.query<GateRow & { created_micros: string }>(text, values);
    return rows.map((row) => ({ ...toGate(row), cursor: { createdMicros: row.created_micros, id: row.id } }));
  }

  async gateInput(id: string): Promise<{ input: RawJSON | null; inputBytes: number | null } | undefined> {
    // As jsonb's text, so the input's numbers are shown as kept (see DecisionRecord.result).
    const { rows } = await this.database.query<{ input: string | null; input_bytes: number | null }>(
      'SELECT input::text AS input, input_bytes FROM policy_gates WHERE id = $1',
      [id],
    );
    const row = rows[0];
    return row ? { input: row.input === null ? null : new RawJSON(row.input), inputBytes: row.input_bytes } : undefined;
  }

  async gate(id: string): Promise<PolicyGateRecord | undefined> {
    const { rows } = await this.database.query<GateRow>('SELECT * FROM policy_gates WHERE id = $1', [id]);
    return rows[0] ? toGate(rows[0]) : undefined;
  }

  async gateFor(executionId: string, stageId: string): Promise<PolicyGateRecord | undefined> {
    const { rows } = await this.database.query<GateRow>(
      'SELECT * FROM policy_gates WHERE execution_id = $1 AND stage_id = $2',
      [executionId, stageId],
    );
    return rows[0] ? toGate(rows[0]) : undefined;
  }
}
