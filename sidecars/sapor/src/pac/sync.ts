// Pipelines as code: render the repository, check each pipeline with the static policies, diff it
// against what Gate has, and save only what changed and passed. Syncs run one at a time across replicas
// (a lease row); a trigger that arrives while one runs bumps `requested`, and the running replica only
// gives up the lease when nothing was requested meanwhile — so a push is never lost to a running sync.
// Saves send Front50's stale check (the `updateTs` the diff was made against), so an edit made in Deck
// after the diff is reported as a conflict instead of being overwritten unseen.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { NotFoundError, UnavailableError, type Database, type Logger } from '@isd/kit';
import { compare, type Operation } from 'fast-json-patch';
import type { AuditStore } from '../audit/audit-store';
import type { GateClient } from '../gate-client';
import type { PolicyService } from '../policy-service';
import type { PipelinesAsCodeConfig } from './config';
import { renderDefinitions, SERVER_FIELDS, type DefinitionError, type RenderedPipeline } from './render';
import type { DefinitionRepository, DefinitionTree } from './repository';

type Json = Record<string, unknown>;

/** What happened (or would happen) to one pipeline. */
export type PacOutcome =
  'saved' | 'would-save' | 'unchanged' | 'denied' | 'not-allowed' | 'conflict' | 'failed' | 'skipped';

export interface PacItem {
  application: string;
  name: string;
  file: string;
  action: 'create' | 'update' | 'unchanged';
  outcome: PacOutcome;
  policy: { status: 'allow' | 'deny'; messages: string[]; decisionId: string } | null;
  /** RFC 6902 operations from what Spinnaker has to the definition. */
  diff: Operation[];
  error?: string;
  /** The rendered pipeline (dry runs only). */
  pipeline?: Json;
}

export interface PacPlan {
  commit: string | null;
  items: PacItem[];
  errors: DefinitionError[];
}

export interface PacSyncRecord extends PacPlan {
  id: string;
  trigger: string;
  ref: string;
  status: 'running' | 'succeeded' | 'partial' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  counts: Partial<Record<PacOutcome | 'invalid', number>>;
}

export interface PipelinesAsCodeOptions {
  database: Database;
  gate: GateClient | undefined;
  policy: Pick<PolicyService, 'pipelineCheck'>;
  audit: AuditStore;
  repository: DefinitionRepository | undefined;
  config: PipelinesAsCodeConfig;
  logger: Logger;
  /** Called after a sync fetched its tree (tests push while a sync runs). */
  afterFetch?: (tree: DefinitionTree) => Promise<void>;
  /** Called after a sync's diff, before its saves (tests edit a pipeline in Spinnaker meanwhile). */
  afterPlan?: () => Promise<void>;
}

interface SyncRow {
  id: string;
  trigger: string;
  ref: string;
  commit: string | null;
  status: PacSyncRecord['status'];
  started_at: Date;
  finished_at: Date | null;
  error: string | null;
  counts: PacSyncRecord['counts'];
  items: PacItem[];
  errors: DefinitionError[];
}

function toRecord(row: SyncRow): PacSyncRecord {
  return {
    id: row.id,
    trigger: row.trigger,
    ref: row.ref,
    commit: row.commit,
    status: row.status,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    error: row.error,
    counts: row.counts,
    items: row.items,
    errors: row.errors,
  };
}

/** Fields Spinnaker keeps that a definition does not state; carried over so they are not a diff. */
const CARRIED_FIELDS = [...SERVER_FIELDS, 'index'];

/** The config to save: the definition plus what Spinnaker keeps for the pipeline it replaces. */
export function desiredPipeline(definition: Json, current: Json | undefined): Json {
  const desired: Json = { ...definition };
  if (current)
    for (const field of CARRIED_FIELDS) if (field in current && !(field in desired)) desired[field] = current[field];
  return desired;
}

/** The pipeline of `application` named `name`: exact name first, then Front50's case-insensitive match. */
export function findByName(configs: Json[], name: string): Json | undefined {
  return (
    configs.find((config) => config.name === name) ??
    configs.find((config) => typeof config.name === 'string' && config.name.toLowerCase() === name.toLowerCase())
  );
}

function isGateDown(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'gate_unavailable' || code === 'gate_circuit_open';
}

/** Renders, checks, diffs and saves pipeline definitions; one per sapor replica. */
export class PipelinesAsCode {
  private readonly holder = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private running: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly allowed: Set<string> | undefined;

  constructor(private readonly options: PipelinesAsCodeOptions) {
    const { applications } = options.config;
    this.allowed = applications.length ? new Set(applications.map((app) => app.toLowerCase())) : undefined;
  }

  /** Starts the timer (and a first sync) when configured; resumes a sync a stopped replica left requested. */
  start(): void {
    const interval = this.options.config.syncIntervalMs;
    if (!this.options.repository) return;
    if (interval > 0) {
      void this.trigger('start').catch(() => undefined);
      this.timer = setInterval(() => void this.trigger('timer').catch(() => undefined), interval);
      this.timer.unref();
    } else void this.kick().catch(() => undefined);
  }

  /** Stops the timer and waits for this replica's sync; later kicks do nothing (another replica runs them). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Renders a tree (no Gate): the pipelines and the definition errors. */
  render(tree: { files: ReadonlyMap<string, string>; errors?: DefinitionError[] }): {
    pipelines: RenderedPipeline[];
    errors: DefinitionError[];
  } {
    const rendered = renderDefinitions(tree.files, this.options.config.limits);
    return { pipelines: rendered.pipelines, errors: [...(tree.errors ?? []), ...rendered.errors] };
  }

  /**
   * Policy results and diffs for rendered pipelines against Gate's current configs; saves nothing. A dry run
   * checks every pipeline and returns it; a sync checks only the changed ones (nothing else is saved).
   */
  async plan(
    pipelines: RenderedPipeline[],
    dryRun: boolean,
    caller?: string,
  ): Promise<Array<PacItem & { desired: Json }>> {
    const gate = this.requireGate();
    const byApplication = new Map<string, RenderedPipeline[]>();
    for (const pipeline of pipelines)
      byApplication.set(pipeline.application, [...(byApplication.get(pipeline.application) ?? []), pipeline]);
    const items: Array<PacItem & { desired: Json }> = [];
    for (const [application, group] of byApplication) {
      if (this.allowed && !this.allowed.has(application.toLowerCase())) {
        for (const pipeline of group)
          items.push({
            application,
            name: pipeline.name,
            file: pipeline.file,
            action: 'unchanged',
            outcome: 'not-allowed',
            policy: null,
            diff: [],
            error: `application ${application} is not in pipelinesAsCode.applications`,
            desired: pipeline.pipeline,
          });
        continue;
      }
      // Any Gate failure here ends the plan: nothing is saved from a partial picture.
      const configs = await gate.pipelineConfigs(application);
      for (const pipeline of group) {
        const current = findByName(configs, pipeline.name);
        const desired = desiredPipeline(pipeline.pipeline, current);
        const diff = compare(current ?? {}, desired);
        const action = !current ? 'create' : diff.length ? 'update' : 'unchanged';
        const check =
          action === 'unchanged' && !dryRun
            ? undefined
            : await this.options.policy.pipelineCheck(desired, current, caller);
        const policy = check ? { status: check.status, messages: check.messages, decisionId: check.decisionId } : null;
        items.push({
          application,
          name: pipeline.name,
          file: pipeline.file,
          action,
          outcome: check?.status === 'deny' ? 'denied' : action === 'unchanged' ? 'unchanged' : 'would-save',
          policy,
          diff,
          ...(dryRun ? { pipeline: desired } : {}),
          desired,
        });
      }
    }
    return items;
  }

  /**
   * A dry run for CI: render, check and diff a tree; nothing is saved or stored. `caller`: the user asking;
   * `rendered`: the tree already rendered by the caller (rendering is the costly part).
   */
  async dryRun(
    tree: DefinitionTree | { commit: null; files: Map<string, string>; errors: DefinitionError[] },
    caller?: string,
    rendered: { pipelines: RenderedPipeline[]; errors: DefinitionError[] } = this.render(tree),
  ): Promise<PacPlan> {
    const { pipelines, errors } = rendered;
    const items = await this.plan(pipelines, true, caller);
    return { commit: tree.commit, items: items.map(({ desired: _desired, ...item }) => item), errors };
  }

  /** Fetches `ref` of the configured repository (for a dry run). */
  async fetch(ref?: string): Promise<DefinitionTree> {
    if (!this.options.repository)
      throw new NotFoundError('no pipelines-as-code repository is configured (pipelinesAsCode.git)', {
        code: 'pipelines_repository_not_configured',
      });
    return this.options.repository.fetchTree(ref);
  }

  /**
   * Asks for a sync. Resolves when this replica has run every sync asked of it, or when another replica
   * holds the lease (it will run this request before letting go).
   */
  async trigger(reason: string): Promise<void> {
    await this.request(reason);
    return this.kick();
  }

  /** Records that a sync is wanted (durably: a replica that runs one next picks it up); see {@link kick}. */
  async request(reason: string): Promise<void> {
    await this.options.database.query(
      'UPDATE pac_sync_state SET requested = requested + 1, last_trigger = $1 WHERE id = 1',
      [reason],
    );
  }

  /** Runs pending syncs after the one running in this process; concurrent kicks share one queued drain. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.queued) return this.queued;
    const next = this.running.then(() => {
      this.queued = undefined;
      return this.drain();
    });
    this.queued = next;
    this.running = next.catch((error: unknown) => this.options.logger.warn({ err: error }, 'pipelines sync failed'));
    return next;
  }

  private async drain(): Promise<void> {
    const { database, config } = this.options;
    for (;;) {
      const acquired = await database.query<{ requested: string; completed: string; last_trigger: string | null }>(
        `UPDATE pac_sync_state SET lease_holder = $1, lease_until = now() + $2 * interval '1 millisecond'
          WHERE id = 1 AND (lease_holder IS NULL OR lease_holder = $1 OR lease_until < now())
          RETURNING requested, completed, last_trigger`,
        [this.holder, config.leaseMs],
      );
      const state = acquired.rows[0];
      if (!state) return; // another replica syncs, and will see this request before it lets go
      const target = state.requested;
      if (state.requested !== state.completed) {
        const renew = setInterval(
          () =>
            void database
              .query(
                `UPDATE pac_sync_state SET lease_until = now() + $2 * interval '1 millisecond' WHERE id = 1 AND lease_holder = $1`,
                [this.holder, config.leaseMs],
              )
              .catch(() => undefined),
          Math.max(500, Math.floor(config.leaseMs / 3)),
        );
        renew.unref();
        try {
          await this.runSync(state.last_trigger ?? 'manual');
        } finally {
          clearInterval(renew);
          await database.query('UPDATE pac_sync_state SET completed = $2 WHERE id = 1 AND lease_holder = $1', [
            this.holder,
            target,
          ]);
        }
      }
      // Let go only if nothing was requested while this sync ran; otherwise run again.
      const released = await database.query(
        `UPDATE pac_sync_state SET lease_holder = NULL, lease_until = NULL
          WHERE id = 1 AND lease_holder = $1 AND requested = $2 RETURNING id`,
        [this.holder, target],
      );
      if (released.rowCount) return;
    }
  }

  private requireGate(): GateClient {
    if (!this.options.gate)
      throw new UnavailableError('gate.url is not configured: pipelines cannot be compared or saved', {
        code: 'gate_not_configured',
      });
    return this.options.gate;
  }

  /** One sync, stored from start to end; a failure is stored, never thrown. */
  private async runSync(trigger: string): Promise<void> {
    const { database, logger } = this.options;
    const ref = this.options.config.git.ref;
    const id = randomUUID();
    // A sync a dead replica left running is over: this replica holds the lease now.
    await database.query(
      `UPDATE pac_syncs SET status = 'failed', finished_at = now(), error = 'abandoned: the replica running it stopped'
        WHERE status = 'running'`,
    );
    await database.query('INSERT INTO pac_syncs (id, trigger, ref, status) VALUES ($1, $2, $3, $4)', [
      id,
      trigger,
      ref,
      'running',
    ]);
    let commit: string | null = null;
    let items: PacItem[] = [];
    let errors: DefinitionError[] = [];
    try {
      const tree = await this.fetch();
      commit = tree.commit;
      await this.options.afterFetch?.(tree);
      const rendered = this.render(tree);
      errors = rendered.errors;
      const planned = await this.plan(rendered.pipelines, false);
      await this.options.afterPlan?.();
      items = await this.apply(id, commit, planned);
      const counts = countOf(items, errors);
      const problems = errors.length + items.filter((item) => !['saved', 'unchanged'].includes(item.outcome)).length;
      await this.finish(id, problems ? 'partial' : 'succeeded', commit, items, errors, counts, null);
      logger.info({ syncId: id, commit, ...counts }, 'pipelines synced');
    } catch (error) {
      const message = (error as Error).message;
      await this.finish(id, 'failed', commit, items, errors, countOf(items, errors), message);
      logger.warn({ syncId: id, commit, err: error }, 'pipelines sync failed');
    }
    // Retention is kept where rows are added: every sync stores one, so the table never outgrows it.
    await this.pruneSyncs().catch((error: unknown) => logger.warn({ err: error }, 'pruning stored syncs failed'));
  }

  /** Deletes finished syncs past `syncRetentionDays`, and beyond the newest `maxStoredSyncs` (the one just stored stays). */
  private async pruneSyncs(): Promise<void> {
    const { syncRetentionDays, maxStoredSyncs } = this.options.config;
    const { rowCount } = await this.options.database.query(
      `DELETE FROM pac_syncs
        WHERE status <> 'running'
          AND (finished_at < now() - make_interval(days => $1)
               OR seq <= (SELECT seq FROM pac_syncs ORDER BY seq DESC OFFSET $2 LIMIT 1))`,
      [syncRetentionDays, maxStoredSyncs],
    );
    if (rowCount) this.options.logger.info({ deleted: rowCount }, 'stored syncs past retention deleted');
  }

  private async finish(
    id: string,
    status: PacSyncRecord['status'],
    commit: string | null,
    items: PacItem[],
    errors: DefinitionError[],
    counts: PacSyncRecord['counts'],
    error: string | null,
  ): Promise<void> {
    await this.options.database.query(
      `UPDATE pac_syncs SET status = $2, commit = $3, items = $4, errors = $5, counts = $6, error = $7, finished_at = now()
        WHERE id = $1`,
      [id, status, commit, JSON.stringify(items), JSON.stringify(errors), JSON.stringify(counts), error],
    );
  }

  /** Saves the changed pipelines that passed, one by one; after Gate fails, the rest are not attempted. */
  private async apply(syncId: string, commit: string, planned: Array<PacItem & { desired: Json }>): Promise<PacItem[]> {
    const gate = this.requireGate();
    const results: PacItem[] = [];
    let gateDown: string | undefined;
    for (const { desired, ...item } of planned) {
      if (item.outcome === 'denied') await this.audit(syncId, commit, item, 'denied');
      if (item.outcome !== 'would-save') {
        results.push(item);
        continue;
      }
      if (gateDown) {
        results.push({ ...item, outcome: 'skipped', error: `not attempted: ${gateDown}` });
        continue;
      }
      try {
        await gate.savePipeline(desired, { staleCheck: true });
        results.push({ ...item, outcome: 'saved' });
        await this.audit(syncId, commit, item, 'saved');
      } catch (error) {
        const message = (error as Error).message;
        if (isGateDown(error)) {
          gateDown = message;
          results.push({ ...item, outcome: 'failed', error: message });
        } else if (/stale/i.test(message)) {
          // A retried save whose first attempt landed is refused as stale too: look before calling it a conflict.
          const landed = await this.landed(item.application, desired).catch(() => false);
          if (landed) {
            results.push({ ...item, outcome: 'saved' });
            await this.audit(syncId, commit, item, 'saved');
          } else
            results.push({
              ...item,
              outcome: 'conflict',
              error: `changed in Spinnaker after the diff was made; not overwritten (${message})`,
            });
        } else results.push({ ...item, outcome: 'failed', error: message });
      }
    }
    return results;
  }

  private async landed(application: string, desired: Json): Promise<boolean> {
    const configs = await this.requireGate().pipelineConfigs(application);
    const current = findByName(configs, String(desired.name));
    if (!current) return false;
    const ignored = new Set(CARRIED_FIELDS);
    const strip = (pipeline: Json) => Object.fromEntries(Object.entries(pipeline).filter(([key]) => !ignored.has(key)));
    return compare(strip(current), strip(desired)).length === 0;
  }

  private async audit(syncId: string, commit: string, item: PacItem, outcome: 'saved' | 'denied'): Promise<void> {
    await this.options.audit.append({
      source: 'sapor',
      // A definition denied again by the next syncs of the same commit is one record, not one per sync.
      key:
        outcome === 'saved'
          ? `pipelines-as-code:${syncId}:${item.application}:${item.name}`
          : `pipelines-as-code:denied:${commit}:${item.application}:${item.name}`,
      type: 'pipeline',
      outcome,
      application: item.application,
      actor: this.options.config.actor,
      occurredAt: new Date(),
      subject: { pipeline: item.name, file: item.file, commit },
      details: {
        syncId,
        action: item.action,
        changes: item.diff.length,
        ...(item.policy ? { decisionId: item.policy.decisionId, messages: item.policy.messages } : {}),
      },
    });
  }

  /** Stored syncs, newest first. */
  async syncs(limit: number, before?: string): Promise<PacSyncRecord[]> {
    const { rows } = await this.options.database.query<SyncRow>(
      `SELECT * FROM pac_syncs WHERE ($2::uuid IS NULL OR seq < (SELECT seq FROM pac_syncs WHERE id = $2))
        ORDER BY seq DESC LIMIT $1`,
      [limit, before ?? null],
    );
    return rows.map(toRecord);
  }

  async sync(id: string): Promise<PacSyncRecord | undefined> {
    const { rows } = await this.options.database.query<SyncRow>('SELECT * FROM pac_syncs WHERE id = $1', [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }
}

function countOf(items: PacItem[], errors: DefinitionError[]): PacSyncRecord['counts'] {
  const counts: PacSyncRecord['counts'] = {};
  for (const item of items) counts[item.outcome] = (counts[item.outcome] ?? 0) + 1;
  if (errors.length) counts.invalid = errors.length;
  return counts;
}
