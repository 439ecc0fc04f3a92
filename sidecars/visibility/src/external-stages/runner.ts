// Runs external-system stages for Orca: create (idempotent per execution, stage and attempt), the
// monitor poll that reads the external system and moves the run on, cancel. The driver of each system
// does the talking; this decides when to talk and records what happened.
import { randomUUID } from 'node:crypto';
import type { Caller, Logger } from '@isd/kit';
import { InputError, NotFoundError, canAccessApplication } from '@isd/kit';
import type { ExternalRef, ExternalStageKind, ExternalStageRun, ExternalStageStatus } from './model';
import { isFinal } from './model';
import type { ExternalStageStore, RunUpdate } from './store';
import { ExternalSystemError } from './vendor-http';

/** What a driver learnt from the external system. */
export interface Observation {
  /** `failed`: the external thing itself failed (a job that ended in error), not the call. */
  outcome: 'waiting' | 'done' | 'rejected' | 'failed';
  /** The external thing as read (status, summary, ...), shown by Deck. */
  observed: Record<string, unknown>;
  message: string;
}

/** Talks to one external system. Failures are ExternalSystemError (permanent or transient). */
export interface StageDriver {
  kind: ExternalStageKind;
  /** The system's name in messages. */
  system: string;
  /**
   * Performs the stage's action; `resumed` means an earlier try may have made the thing already, so the
   * driver looks for it first.
   */
  start(run: ExternalStageRun, resumed: boolean): Promise<Observation & { ref: ExternalRef }>;
  /** Reads the thing the run made. */
  observe(run: ExternalStageRun): Promise<Observation>;
  /** Stops the thing the run made when the pipeline is canceled (only where stopping is safe); returns what it did. */
  cancel?(run: ExternalStageRun): Promise<string>;
}

/** Timing of runs (config `externalStages`). */
export interface ExternalStageSettings {
  /** Polls closer together than this reuse the last reading. */
  pollIntervalMs: number;
  /** How long one request holds a create (and how long a failed create waits before the next try). */
  createLeaseMs: number;
  defaultTimeoutMs: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  /** Creates for the same stage within this window are Orca's retries; later ones after a final run act again. */
  retryWindowMs: number;
}

/** The fields every create carries. */
export interface StageCreate {
  application: string;
  pipelineName?: string;
  pipelineId?: string;
  executionId: string;
  stageId: string;
  attempt?: number;
  triggeredBy?: string;
  timeoutMs?: number;
}

/** The external-system stages' use cases; the routes call these. */
export class ExternalStages {
  private readonly drivers = new Map<ExternalStageKind, StageDriver>();

  constructor(
    private readonly options: {
      store: ExternalStageStore;
      settings: ExternalStageSettings;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  /** Makes a driver available; a kind without one is refused on create (its system is not configured). */
  register(driver: StageDriver): void {
    this.drivers.set(driver.kind, driver);
  }

  /** Creates the run for (execution, stage, attempt) and starts it, or returns the run Orca already created. */
  async create(
    kind: ExternalStageKind,
    request: StageCreate & Record<string, unknown>,
    notConfigured: () => InputError,
  ): Promise<{ run: ExternalStageRun; created: boolean }> {
    if (!this.drivers.has(kind)) throw notConfigured();
    const { settings, store } = this.options;
    const timeoutMs = request.timeoutMs ?? settings.defaultTimeoutMs;
    if (timeoutMs < settings.minTimeoutMs || timeoutMs > settings.maxTimeoutMs)
      throw new InputError(
        `timeoutMs must be between ${settings.minTimeoutMs} and ${settings.maxTimeoutMs}, not ${timeoutMs}`,
        {
          code: 'timeout_out_of_range',
          issues: [
            { path: 'body.timeoutMs', message: `between ${settings.minTimeoutMs} and ${settings.maxTimeoutMs}` },
          ],
        },
      );
    const now = this.options.now();
    const attempt = request.attempt ?? (await this.attemptFor(kind, request.executionId, request.stageId, now));
    const { run, created } = await store.createOrGet({
      id: randomUUID(),
      kind,
      executionId: request.executionId,
      stageId: request.stageId,
      attempt,
      application: request.application,
      pipelineName: request.pipelineName ?? null,
      pipelineId: request.pipelineId ?? null,
      triggeredBy: request.triggeredBy ?? null,
      request: { ...request, timeoutMs },
      createdAt: now,
      deadline: new Date(now.getTime() + timeoutMs),
    });
    return { run: created ? await this.advance(run) : run, created };
  }

  /** A retry of Orca's create within the window (or while running) is the same run; later, a new attempt. */
  private async attemptFor(kind: ExternalStageKind, executionId: string, stageId: string, now: Date): Promise<number> {
    const latest = await this.options.store.latestFor(kind, executionId, stageId);
    if (!latest) return 1;
    const retry =
      !isFinal(latest.status) || now.getTime() - latest.createdAt.getTime() < this.options.settings.retryWindowMs;
    return retry ? latest.attempt : latest.attempt + 1;
  }

  /** The run, moved on by what the external system says now (Orca's monitor poll and Deck both read this). */
  async poll(kind: ExternalStageKind, id: string, caller: Caller): Promise<ExternalStageRun> {
    return this.advance(await this.load(kind, id, caller));
  }

  /** Cancels the run (Orca, when the execution is canceled); the driver stops what it made where it can. */
  async cancel(kind: ExternalStageKind, id: string, caller: Caller): Promise<ExternalStageRun> {
    let run = await this.load(kind, id, caller);
    const driver = this.drivers.get(kind);
    let outcome = run.ref ? `${run.ref.id} is left as it is` : '';
    if (!isFinal(run.status) && driver) outcome = (await this.stopWhatItMade(run, driver)) ?? outcome;
    while (!isFinal(run.status)) {
      const now = this.options.now();
      const message = `canceled${outcome ? `; ${outcome}` : ''}`;
      const result = await this.options.store.update(
        run.id,
        run.status,
        { status: 'canceled', message, closedAt: now },
        now,
      );
      run = result.run;
    }
    return run;
  }

  /**
   * Asks the system to stop what the run made, where the driver can (AWX jobs); undefined when it cannot.
   * Best effort: the run ends for Orca whatever the system answers, and the text says which.
   */
  private async stopWhatItMade(run: ExternalStageRun, driver: StageDriver): Promise<string | undefined> {
    if (!run.ref || !driver.cancel) return undefined;
    return driver.cancel(run).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      this.options.logger.warn({ runId: run.id, reason }, `${driver.system} did not stop ${run.ref?.id ?? ''}`);
      return `${run.ref?.id ?? ''} could not be stopped: ${reason}`;
    });
  }

  private async load(kind: ExternalStageKind, id: string, caller: Caller): Promise<ExternalStageRun> {
    const run = await this.options.store.get(id);
    if (!run || run.kind !== kind || !canAccessApplication(caller, run.application, 'READ'))
      throw new NotFoundError(`no ${kind} stage run ${id}`, { code: 'stage_run_not_found' });
    return run;
  }

  /** One step: time out, create, or read the external system, whichever is due. */
  private async advance(run: ExternalStageRun): Promise<ExternalStageRun> {
    if (isFinal(run.status)) return run;
    const driver = this.drivers.get(run.kind);
    const now = this.options.now();
    if (now.getTime() >= run.deadline.getTime()) {
      const last = run.observed?.['status'];
      // The stage fails here, so what it started must not go on unseen (an AWX playbook still deploying).
      const stopped = driver && (await this.stopWhatItMade(run, driver));
      return this.record(run, {
        status: 'timeout',
        message: `timed out after ${formatDuration(run.deadline.getTime() - run.createdAt.getTime())}${
          run.ref ? `; ${run.ref.id} was last ${typeof last === 'string' ? last : 'unread'}` : ''
        }${stopped ? `; ${stopped}` : ''}`,
        closedAt: now,
      });
    }
    if (!driver) {
      return this.record(run, {
        status: 'failed',
        message: `the ${run.kind} connection is no longer configured in visibility`,
        closedAt: now,
      });
    }
    if (run.status === 'creating') return this.start(run, driver, now);
    const interval = this.options.settings.pollIntervalMs;
    if (run.observedAt && now.getTime() - run.observedAt.getTime() < interval) return run;
    // Polls arriving together (users' and Orca's) read the system once: the others answer the stored run.
    if (!(await this.options.store.claimObservation(run.id, now, interval)))
      return (await this.options.store.get(run.id)) ?? run;
    try {
      const observation = await driver.observe(run);
      return this.record(run, { ...this.fromObservation(observation, now), observedAt: now });
    } catch (error) {
      return this.failure(run, driver, error, now);
    }
  }

  private async start(run: ExternalStageRun, driver: StageDriver, now: Date): Promise<ExternalStageRun> {
    const tries = await this.options.store.claimCreate(run.id, now, this.options.settings.createLeaseMs);
    if (tries === null) return (await this.options.store.get(run.id)) ?? run;
    try {
      const { ref, ...observation } = await driver.start(run, tries > 1);
      return this.record(run, { ...this.fromObservation(observation, now), ref, observedAt: now });
    } catch (error) {
      return this.failure(run, driver, error, now);
    }
  }

  private fromObservation(observation: Observation, now: Date): RunUpdate {
    const status: ExternalStageStatus = observation.outcome;
    return {
      status,
      message: observation.message,
      observed: observation.observed,
      ...(status === 'waiting' ? {} : { closedAt: now }),
    };
  }

  /** A permanent failure ends the run with the system's words; a transient one is retried by the next poll. */
  private async failure(
    run: ExternalStageRun,
    driver: StageDriver,
    error: unknown,
    now: Date,
  ): Promise<ExternalStageRun> {
    if (!(error instanceof ExternalSystemError)) {
      this.options.logger.error({ err: error, runId: run.id }, `${driver.system} stage step failed unexpectedly`);
      throw error;
    }
    if (error.permanent)
      return this.record(run, {
        status: 'failed',
        message: error.message,
        ...(error.ref ? { ref: error.ref } : {}),
        closedAt: now,
      });
    this.options.logger.warn({ runId: run.id, reason: error.message }, `${driver.system} stage step will be retried`);
    return this.record(run, {
      status: run.status,
      message: `${error.message}; trying again`,
      ...(run.status === 'waiting' ? { observedAt: now } : { keepClaim: true }),
    });
  }

  private async record(run: ExternalStageRun, update: RunUpdate): Promise<ExternalStageRun> {
    return (await this.options.store.update(run.id, run.status, update, this.options.now())).run;
  }
}

/** A duration in its largest whole units, e.g. `1d 2h`. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0 && parts.length < 2) {
      parts.push(`${count}${unit}`);
      rest -= count * size;
    }
  }
  return parts.join(' ') || `${ms}ms`;
}
