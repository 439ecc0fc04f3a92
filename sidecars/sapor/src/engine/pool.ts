// A pool of evaluation worker threads: policies run off the event loop, each worker under V8 heap limits
// and each job under a wall-clock deadline enforced from here. A worker that overruns its deadline or
// its heap is terminated and replaced; the job fails with a BudgetExceededError naming the limit.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError, UnavailableError, type Logger } from '@isd/kit';
import { BudgetExceededError, type BudgetLimit } from '@isd/rego';
import { BUNDLE_MISSING, type JobError, type WorkerJob } from './jobs';

/** Size and limits of the pool. */
export interface PoolOptions {
  /** Worker threads. */
  size: number;
  /** V8 old-generation heap of each worker (MiB); a worker that needs more is ended. */
  maxOldGenerationMb: number;
  /** V8 young-generation heap of each worker (MiB). */
  maxYoungGenerationMb: number;
  /** Jobs waiting for a worker beyond which new ones are refused (503). */
  queueLimit: number;
  /**
   * Jobs one caller may have waiting or running beyond which their new ones are refused (503), so one user
   * cannot fill the queue that Orca's gates and everyone else's checks wait in. Service calls are not capped.
   */
  perCallerLimit: number;
}

/** Who a job is run for: a user's name, or none for the service (Orca, Front50, sapor's own syncs). */
export type JobCaller = string | undefined;

interface Task {
  job: WorkerJob;
  /** The lane the task waits in (its caller's). */
  lane: string;
  deadlineMs: number;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Set once the worker is being replaced: its late messages and exit are ignored. */
  retired: boolean;
  task?: Task;
  timer?: NodeJS.Timeout;
  /** Policy sets this worker compiled (it may have evicted some; it then asks again). */
  bundles: Set<string>;
}

type WorkerMessage =
  { ready: true } | { id: number; ok: true; value: unknown } | { id: number; ok: false; error: JobError };

const MiB = 1024 * 1024;
/** Wait before replacing a worker that died while starting (a broken install must not spin). */
const RESTART_BACKOFF_MS = 1_000;

/** Rebuilds an error that crossed the thread boundary, as the class callers check for. */
function fromJobError(error: JobError): Error {
  if (error.code === 'eval_budget_exceeded' && error.limit)
    return new BudgetExceededError(error.limit as BudgetLimit, error.used ?? 0);
  return Object.assign(new Error(error.message), { name: error.name, code: error.code });
}

/** How a worker for this file is started: compiled JavaScript directly; TypeScript sources through tsx. */
function startWorker(resourceLimits: Worker['resourceLimits']): Worker {
  if (__filename.endsWith('.js')) return new Worker(path.join(__dirname, 'evaluation-worker.js'), { resourceLimits });
  // Running from sources (tests, tsx): tsx's CommonJS hook loads the entry, @isd/* mapped to sources.
  const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
  const tsconfig = process.env.TSX_TSCONFIG_PATH ?? path.join(repoRoot, 'tsconfig.tests.json');
  const entry = path.join(__dirname, 'evaluation-worker.ts');
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register({ tsconfig: ${JSON.stringify(tsconfig)} });
require(${JSON.stringify(entry)});`;
  return new Worker(bootstrap, { eval: true, resourceLimits });
}

/** The service's lane; user lanes are prefixed, so no user name can share it. */
const SERVICE_LANE = 'service';

/**
 * Waiting jobs, one FIFO lane per caller, served in turn (round robin): a caller with a hundred jobs waiting
 * delays another caller's next job by at most one job of theirs per worker, not by the hundred.
 */
class FairQueue {
  /** Lanes with waiting tasks, in serving order (a Map keeps insertion order; a served lane goes to the back). */
  private readonly lanes = new Map<string, Task[]>();
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(task: Task): void {
    const lane = this.lanes.get(task.lane);
    if (lane) lane.push(task);
    else this.lanes.set(task.lane, [task]);
    this.size++;
  }

  /** The next task of the lane whose turn it is; that lane then waits behind the others. */
  shift(): Task | undefined {
    for (const [name, lane] of this.lanes) {
      const task = lane.shift()!;
      this.lanes.delete(name);
      if (lane.length > 0) this.lanes.set(name, lane);
      this.size--;
      return task;
    }
    return undefined;
  }

  waiting(lane: string): number {
    return this.lanes.get(lane)?.length ?? 0;
  }

  /** Removes and returns every waiting task. */
  drain(): Task[] {
    const all = [...this.lanes.values()].flat();
    this.lanes.clear();
    this.size = 0;
    return all;
  }
}

export class EvaluationPool {
  private readonly slots: Slot[] = [];
  private readonly queue = new FairQueue();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly options: PoolOptions,
    private readonly logger?: Logger,
  ) {
    for (let i = 0; i < options.size; i++) this.slots.push(this.spawn());
  }

  /**
   * Runs a job for `caller` on a free worker when its lane's turn comes; fails with BudgetExceededError('time')
   * after deadlineMs of running.
   */
  run<T>(job: WorkerJob, deadlineMs: number, caller?: JobCaller): Promise<T> {
    if (this.closed) return Promise.reject(new UnavailableError('the evaluation pool is shut down'));
    if (this.queue.length >= this.options.queueLimit)
      return Promise.reject(
        new UnavailableError(`${this.queue.length} evaluations are waiting for a worker; retry later`, {
          code: 'evaluation_queue_full',
        }),
      );
    const lane = caller === undefined ? SERVICE_LANE : `user:${caller}`;
    if (caller !== undefined) {
      const mine = this.queue.waiting(lane) + this.slots.filter((slot) => slot.task?.lane === lane).length;
      if (mine >= this.options.perCallerLimit)
        return Promise.reject(
          new UnavailableError(
            `${caller} has ${mine} evaluations waiting or running (at most ${this.options.perCallerLimit}); retry when they are done`,
            { code: 'evaluation_queue_full' },
          ),
        );
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, lane, deadlineMs, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  /** Workers that are started and idle or busy (for tests and metrics). */
  get liveWorkers(): number {
    return this.slots.filter((slot) => slot.ready && !slot.retired).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.drain()) task.reject(new UnavailableError('the evaluation pool is shut down'));
    await Promise.all(
      this.slots.map((slot) => {
        slot.retired = true;
        if (slot.timer) clearTimeout(slot.timer);
        slot.task?.reject(new UnavailableError('the evaluation pool is shut down'));
        return slot.worker.terminate();
      }),
    );
  }

  private spawn(): Slot {
    const worker = startWorker({
      maxOldGenerationSizeMb: this.options.maxOldGenerationMb,
      maxYoungGenerationSizeMb: this.options.maxYoungGenerationMb,
    });
    const slot: Slot = { worker, ready: false, retired: false, bundles: new Set() };
    worker.on('message', (message: WorkerMessage) => this.onMessage(slot, message));
    worker.on('error', (error: Error & { code?: string }) => {
      const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.replace(
        slot,
        outOfMemory
          ? new BudgetExceededError('memory', this.options.maxOldGenerationMb * MiB)
          : new Error(`the evaluation worker failed: ${error.message}`),
      );
    });
    worker.on('exit', (code) => this.replace(slot, new Error(`the evaluation worker exited (code ${code})`)));
    // An idle pool does not keep the process alive.
    worker.unref();
    return slot;
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    if (slot.retired) return;
    if ('ready' in message) {
      slot.ready = true;
      this.dispatch();
      return;
    }
    const task = slot.task;
    if (!task || message.id !== this.taskIds.get(task)) return;
    if (!message.ok && message.error.code === BUNDLE_MISSING && task.job.kind === 'evaluate') {
      // The worker evicted that policy set: send the job again with its sources (same deadline).
      slot.bundles.delete(task.job.bundle.key);
      this.send(slot, task);
      return;
    }
    if (slot.timer) clearTimeout(slot.timer);
    slot.task = undefined;
    if (message.ok) {
      if (task.job.kind === 'evaluate') slot.bundles.add(task.job.bundle.key);
      task.resolve(message.value);
    } else task.reject(fromJobError(message.error));
    this.dispatch();
  }

  private readonly taskIds = new WeakMap<Task, number>();

  /** Posts the task to the slot's worker; a job that cannot be copied to it (too deeply nested) fails alone. */
  private send(slot: Slot, task: Task): void {
    const id = this.nextId++;
    this.taskIds.set(task, id);
    let job = task.job;
    // A worker that compiled this policy set gets only its key.
    if (job.kind === 'evaluate' && slot.bundles.has(job.bundle.key)) job = { ...job, bundle: { key: job.bundle.key } };
    try {
      slot.worker.postMessage({ id, job });
    } catch (error) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.task = undefined;
      task.reject(
        new InputError(`the evaluation input cannot be passed to a worker: ${(error as Error).message}`, {
          code: 'input_not_transferable',
        }),
      );
      queueMicrotask(() => this.dispatch());
    }
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (!slot.ready || slot.retired || slot.task) continue;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.timer = setTimeout(
        () => this.replace(slot, new BudgetExceededError('time', task.deadlineMs)),
        task.deadlineMs,
      );
      this.send(slot, task);
    }
    // Workers keep the process alive only while there is work (running or waiting for a starting worker).
    for (const slot of this.slots) {
      if (slot.task || this.queue.length > 0) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  /** Ends a worker (overrun, out of memory, crashed), fails its job with `error`, and starts another. */
  private replace(slot: Slot, error: Error): void {
    if (slot.retired) return;
    slot.retired = true;
    if (slot.timer) clearTimeout(slot.timer);
    const task = slot.task;
    slot.task = undefined;
    if (task) task.reject(error);
    const index = this.slots.indexOf(slot);
    void slot.worker.terminate();
    if (this.closed || index < 0) return;
    this.logger?.warn({ err: error, busy: task !== undefined }, 'evaluation worker replaced');
    const start = (): void => {
      if (this.closed) return;
      this.slots[index] = this.spawn();
      this.dispatch();
    };
    if (slot.ready) start();
    else {
      // It died while starting (a broken install?): with no worker left, waiting jobs get a clear 503
      // instead of waiting forever.
      if (this.liveWorkers === 0)
        for (const waiting of this.queue.drain())
          waiting.reject(
            new UnavailableError(`the evaluation worker could not start: ${error.message}`, {
              code: 'evaluation_unavailable',
            }),
          );
      setTimeout(start, RESTART_BACKOFF_MS).unref();
    }
  }
}
