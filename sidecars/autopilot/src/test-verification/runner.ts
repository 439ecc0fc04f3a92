// Runs a test verification from the job queue: read every baseline and canary run, compare, store the
// report and the verdict. A source that cannot be reached is tried again (analysis.providerAttempts
// tries in all); a report that cannot be read, or a build Jenkins does not have, ends the verification in
// `error` at once, naming the run. A watchdog ends a verification whose job never finished (a replica
// crash loop), so Orca never polls `running` until its stage timeout.
import type { JobQueue, Logger } from '@isd/kit';
import { appendAuditRecord, testVerificationAuditRecord, type AuditTarget } from '../audit/append';
import type { TestVerificationOutcome, TestVerificationStore } from '../store/test-verification-store';
import { compareTestRuns, type TestRun } from './compare';
import type { ResultLimits } from './results';
import { readTestRun, TestFetchError, type TestRunSpec, type TestSourceConfig } from './sources';

export const TEST_VERIFICATION_JOB = 'test-verification';
export const TEST_WATCHDOG_JOB = 'test-verification-watchdog';
export const TEST_AUDIT_JOB = 'test-verification-audit';

const READ_CONCURRENCY = 4;

export interface TestRunnerOptions {
  store: TestVerificationStore;
  jobs: JobQueue;
  logger: Logger;
  sources: Record<string, TestSourceConfig>;
  limits: ResultLimits;
  attempts: number;
  retryDelayMs: number;
  watchdogGraceMs: number;
  /** Sapor's audit trail; each finished test verification is appended from a retried job. */
  audit?: AuditTarget;
}

export class TestVerificationRunner {
  private readonly log: Logger;

  constructor(private readonly options: TestRunnerOptions) {
    this.log = options.logger.child({ module: 'test-verification' });
  }

  async start(): Promise<void> {
    const slowest = Math.max(30_000, ...Object.values(this.options.sources).map((source) => source.timeoutMs));
    await this.options.jobs.define<{ id: string }>(TEST_VERIFICATION_JOB, (job) => this.run(job.data.id, job.attempt), {
      retryLimit: this.options.attempts - 1,
      retryDelaySeconds: Math.ceil(this.options.retryDelayMs / 1000),
      // Runs are read a few at a time; each read is bounded by its source's timeout.
      expireInSeconds: Math.ceil((slowest * 10) / 1000) + 60,
    });
    await this.options.jobs.define<{ id: string }>(TEST_WATCHDOG_JOB, (job) => this.watchdog(job.data.id), {
      retryLimit: 10,
      retryDelaySeconds: 30,
      expireInSeconds: 60,
    });
    const audit = this.options.audit;
    if (audit)
      await this.options.jobs.define<{ id: string }>(
        TEST_AUDIT_JOB,
        async (job) => {
          const record = await this.options.store.get(job.data.id);
          const body = record && testVerificationAuditRecord(record);
          if (body) await appendAuditRecord(audit, body);
        },
        {
          retryLimit: 50,
          retryDelaySeconds: 5,
          retryBackoff: true,
          expireInSeconds: Math.ceil(audit.timeoutMs / 1000) + 60,
        },
      );
  }

  /** Queues the comparison and its deadline (both idempotent per verification). */
  async schedule(id: string): Promise<void> {
    await this.options.jobs.send(TEST_VERIFICATION_JOB, { id }, { key: id });
    await this.options.jobs.send(
      TEST_WATCHDOG_JOB,
      { id },
      { key: id, startAfter: new Date(Date.now() + this.options.watchdogGraceMs) },
    );
  }

  async finish(id: string, outcome: TestVerificationOutcome): Promise<void> {
    const finished = await this.options.store.finish(id, outcome);
    // Keyed per verification: a second finish (there is none, the SQL guards it) would not append twice.
    if (finished && this.options.audit) await this.options.jobs.send(TEST_AUDIT_JOB, { id }, { key: id });
  }

  /** Reads, compares and stores; throws only to have the job retried after a transient failure. */
  async run(id: string, attempt: number): Promise<void> {
    const verification = await this.options.store.get(id);
    if (!verification || verification.status !== 'running') return;
    const { spec, thresholds } = verification;
    let baseline: TestRun[];
    let canary: TestRun[];
    try {
      [baseline, canary] = await Promise.all([this.readAll(spec.baseline), this.readAll(spec.canary)]);
    } catch (error) {
      if (!(error instanceof TestFetchError)) throw error;
      if (error.transient && attempt < this.options.attempts) {
        this.log.warn({ id, attempt, err: error }, 'test results not read: trying again');
        throw error;
      }
      const tries = error.transient ? ` (after ${attempt} ${attempt === 1 ? 'try' : 'tries'})` : '';
      await this.finish(id, {
        status: 'error',
        score: null,
        reason: 'test results could not be read',
        error: `${error.message}${tries}`,
      });
      return;
    }
    let report;
    try {
      report = compareTestRuns(baseline, canary, thresholds, spec.durations);
    } catch (error) {
      // Only an empty canary throws: nothing ran, which must not pass.
      await this.finish(id, {
        status: 'error',
        score: null,
        reason: 'nothing to compare',
        error: (error as Error).message,
      });
      return;
    }
    this.log.info(
      { id, score: report.score, verdict: report.verdict, counts: report.counts },
      'test verification judged',
    );
    await this.finish(id, { status: report.verdict, score: report.score, reason: report.reason, report });
  }

  private async watchdog(id: string): Promise<void> {
    const verification = await this.options.store.get(id);
    if (verification?.status !== 'running') return;
    this.log.error({ id }, 'test verification did not finish in time: ended in error');
    await this.finish(id, {
      status: 'error',
      score: null,
      reason: 'did not finish in time',
      error: `the test results were not judged within ${this.options.watchdogGraceMs} ms (the job failed repeatedly; see the service logs)`,
    });
  }

  /** Reads runs a few at a time, in order. */
  private async readAll(specs: TestRunSpec[]): Promise<TestRun[]> {
    const runs: TestRun[] = new Array(specs.length);
    let next = 0;
    const worker = async () => {
      while (next < specs.length) {
        const index = next++;
        runs[index] = await readTestRun(specs[index]!, this.options.sources, this.options.limits);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, specs.length) }, worker));
    return runs;
  }
}
