// Runs a verification one analysis window at a time from the job queue: fetch every metric for both
// sides, judge, store, decide (early stop at or below marginal), and schedule the next window. Jobs live
// in Postgres, so a restarted or another replica continues; every step is idempotent per (id, index).
import { createHash } from 'node:crypto';
import type { JobQueue, Logger } from '@isd/kit';
import { appendAuditRecord, appendVerificationAudit, type AuditTarget } from '../audit/append';
import type { AutopilotMetrics } from './metrics';
import { createJudge, decideRun, type JudgeInput, type JudgeResult, type MetricInput } from '../domain';
import { combineResults } from './combine';
import { analysisOptions, LogComparison, LogLimitError, sideQuery, type LogLimits } from '../logs';
import { storedLogAnalysis, type StoredLogAnalysis } from '../logs/log-view';
import type { LogProviderRegistry } from '../logs/providers/registry';
import type { LogProvider } from '../logs/providers/provider';
import { ProviderError, type FetchedSeries, type MetricsProvider } from '../providers/provider';
import type { ProviderRegistry } from '../providers/registry';
import type { LogMarkStore } from '../store/log-mark-store';
import type { MetricData, SideData, VerificationRecord, VerificationStore } from '../store/verification-store';
import { expandQuery, metricConfigOf, type TemplateMetric } from '../templates/template';

/** Job kind of one analysis window. */
export const INTERVAL_JOB = 'verification-interval';
/** Job kind of the deadline that ends a verification whose window jobs kept failing. */
export const WATCHDOG_JOB = 'verification-watchdog';
export const AUDIT_JOB = 'verification-audit';
/** Job kind that appends a feedback mark (or its removal) to the audit trail. */
export const MARK_AUDIT_JOB = 'log-mark-audit';

/** Data of an interval job. */
export interface IntervalJobData {
  verificationId: string;
  index: number;
}

/** Prometheus refuses more than 11,000 points per series; the step grows to stay under it. */
const MAX_POINTS_PER_SERIES = 11_000;
const FETCH_CONCURRENCY = 8;

/** Options of the runner. */
export interface RunnerOptions {
  store: VerificationStore;
  providers: ProviderRegistry;
  logProviders: LogProviderRegistry;
  /** Feedback on log clusters, read per application when a window's logs are analysed. */
  marks: LogMarkStore;
  jobs: JobQueue;
  logger: Logger;
  providerAttempts: number;
  providerRetryDelayMs: number;
  /** The longest request timeout of any provider account, to size how long a window job may run. */
  providerTimeoutMs: number;
  /** Longest one try at reading a window's logs may take. */
  maxLogReadMs: number;
  /** Characters of log lines one side of a window may read (a line counts its length plus one). */
  maxLogReadChars: number;
  /** Points one window's metric judgement may hold, every series of every metric on both sides together. */
  maxMetricPoints: number;
  /** How many distinct events, and characters of them, one window's log comparison may hold, and what it may compare. */
  logLimits: LogLimits;
  /** The clock the log reading deadline is measured on (tests inject one). */
  now?: () => number;
  metrics: AutopilotMetrics;
  /** How long after the last window's end a still-running verification is ended in error. */
  watchdogGraceMs: number;
  /** Sapor's audit trail; each finished verification is appended from a retried job. */
  audit?: AuditTarget;
}

/** Judges verification windows from the job queue. */
export class VerificationRunner {
  private readonly log: Logger;

  constructor(private readonly options: RunnerOptions) {
    this.log = options.logger.child({ module: 'runner' });
  }

  /** Registers the job handler. */
  async start(): Promise<void> {
    // A job counts as lost (its replica died) once it runs longer than the slowest legitimate window: every
    // try of a provider request timing out, plus a minute for judging and storing.
    const { providerAttempts, providerRetryDelayMs, providerTimeoutMs } = this.options;
    // Log reading is bounded by maxLogReadMs per try, and runs beside the metric fetches.
    const expireInSeconds =
      Math.ceil((providerAttempts * (providerTimeoutMs + providerRetryDelayMs + this.options.maxLogReadMs)) / 1000) +
      60;
    await this.options.jobs.define<IntervalJobData>(
      INTERVAL_JOB,
      (job) => this.runInterval(job.data.verificationId, job.data.index),
      {
        retryLimit: 5,
        retryDelaySeconds: 2,
        expireInSeconds,
      },
    );
    await this.options.jobs.define<{ verificationId: string }>(
      WATCHDOG_JOB,
      (job) => this.runWatchdog(job.data.verificationId),
      {
        retryLimit: 10,
        retryDelaySeconds: 30,
        expireInSeconds: 60,
      },
    );
    const audit = this.options.audit;
    if (audit)
      await this.options.jobs.define<{ verificationId: string }>(
        AUDIT_JOB,
        async (job) => {
          const record = await this.options.store.get(job.data.verificationId);
          if (record) await appendVerificationAudit(audit, record);
        },
        {
          retryLimit: 50,
          retryDelaySeconds: 5,
          retryBackoff: true,
          expireInSeconds: Math.ceil(audit.timeoutMs / 1000) + 60,
        },
      );
    if (audit)
      await this.options.jobs.define<{ record: Record<string, unknown> }>(
        MARK_AUDIT_JOB,
        (job) => appendAuditRecord(audit, job.data.record),
        {
          retryLimit: 50,
          retryDelaySeconds: 5,
          retryBackoff: true,
          expireInSeconds: Math.ceil(audit.timeoutMs / 1000) + 60,
        },
      );
  }

  /** Queues the audit append of a feedback mark (no-op without `audit`); idempotent on the record's key. */
  async auditMark(record: Record<string, unknown>): Promise<void> {
    if (!this.options.audit) return;
    await this.options.jobs.send(MARK_AUDIT_JOB, { record }, { key: String(record.key) });
  }

  /**
   * Queues the deadline of a verification (idempotent): if its window jobs exhausted their retries (a
   * database outage, a crash loop), the verification must still end, in `error`, never stay running.
   * The grace counts from the last window's end or from now, whichever is later: a verification of a
   * window already in the past gets the same grace as a live one.
   */
  async scheduleWatchdog(verification: VerificationRecord): Promise<void> {
    const last = verification.windows[verification.windows.length - 1];
    if (!last || verification.status !== 'running') return;
    await this.options.jobs.send<{ verificationId: string }>(
      WATCHDOG_JOB,
      { verificationId: verification.id },
      { startAfter: new Date(Math.max(last.endMs, Date.now()) + this.options.watchdogGraceMs), key: verification.id },
    );
  }

  private async runWatchdog(id: string): Promise<void> {
    const verification = await this.options.store.get(id);
    if (!verification || verification.status !== 'running') return;
    const judged = (await this.options.store.intervals(id, { withData: 'none' })).length;
    this.log.warn(
      { verificationId: id, judged, windows: verification.windows.length },
      'verification did not finish in time: ended in error',
    );
    await this.finish(id, {
      status: 'error',
      score: verification.score,
      reason: `${judged} of ${verification.windows.length} intervals judged`,
      error: `the analysis did not finish within ${this.options.watchdogGraceMs} ms after its last window ended or it was started (window jobs failed repeatedly; see the service logs)`,
    });
  }

  /** Queues the next unjudged window (idempotent per window: re-sending is a no-op). */
  async scheduleNext(verification: VerificationRecord, judgedCount: number): Promise<void> {
    const window = verification.windows[judgedCount];
    if (!window || verification.status !== 'running') return;
    await this.options.jobs.send<IntervalJobData>(
      INTERVAL_JOB,
      { verificationId: verification.id, index: window.index },
      { startAfter: new Date(window.endMs), key: `${verification.id}:${window.index}` },
    );
  }

  /** Judges window `index` of a verification, stores it and decides whether to continue. */
  async runInterval(id: string, index: number): Promise<void> {
    const { store } = this.options;
    const verification = await store.get(id);
    if (!verification || verification.status !== 'running') return;
    const window = verification.windows[index];
    if (!window) return;
    const log = this.log.child({ verificationId: id, interval: index });
    let intervals = await store.intervals(id, { withData: 'none' });
    if (!intervals.some((interval) => interval.index === index)) {
      const stepSeconds = metricStepSeconds(
        verification.template,
        window.endMs - window.startMs,
        this.options.maxMetricPoints,
      );
      let data: MetricData[] = [];
      let logs: StoredLogAnalysis | null = null;
      const fetchStarted = performance.now();
      try {
        // Metrics and logs are read side by side; either failing ends the verification in error.
        [data, logs] = await Promise.all([
          verification.template.metrics.length > 0
            ? this.fetchAll(verification, window.startMs, window.endMs, stepSeconds)
            : Promise.resolve([]),
          this.analyseLogs(verification, window),
        ]);
      } catch (error) {
        const cause =
          error instanceof ProviderError
            ? error.message
            : `unexpected failure while fetching: ${(error as Error).message}`;
        log.warn({ err: error }, 'verification ended in error: provider failed');
        await this.finish(id, {
          status: 'error',
          score: null,
          reason: `interval ${index + 1}: ${error instanceof ProviderError && error.message.startsWith('logs:') ? 'logs' : 'metrics'} could not be fetched`,
          error: cause,
        });
        return;
      }
      const judgeStarted = performance.now();
      let metricResult: JudgeResult | undefined;
      try {
        if (data.length > 0)
          metricResult = createJudge(verification.judge).judge(judgeInput(verification, data, index, stepSeconds));
      } catch (error) {
        await this.finish(id, {
          status: 'error',
          score: null,
          reason: `interval ${index + 1}: the judge refused the input`,
          error: (error as Error).message,
        });
        return;
      }
      const result = combineResults(metricResult, logs, verification.weights, verification.thresholds);
      const storeStarted = performance.now();
      const interval = {
        index,
        startMs: window.startMs,
        endMs: window.endMs,
        score: result.score,
        classification: result.classification,
        result,
        data,
        metricScore: metricResult?.score ?? null,
        logs,
      };
      // Saved: the list read above plus this one (a round trip less per window), shaped as a read without
      // data returns it; not saved: another run stored it first, so read what is there.
      intervals = (await store.saveInterval(id, interval))
        ? [
            ...intervals,
            {
              ...interval,
              data: [],
              logs: null,
              logsFailed: logs?.failed === true,
              judgedAt: new Date().toISOString(),
            },
          ].sort((a, b) => a.index - b.index)
        : await store.intervals(id, { withData: 'none' });
      const timings = {
        fetchMs: Math.round(judgeStarted - fetchStarted),
        judgeMs: Math.round(storeStarted - judgeStarted),
        storeMs: Math.round(performance.now() - storeStarted),
      };
      log.info(
        {
          score: result.score,
          classification: result.classification,
          metrics: data.length,
          logScore: logs?.score,
          ...timings,
        },
        'interval judged',
      );
      const { metrics } = this.options;
      metrics.windowsJudged.inc({ judge: verification.judge, classification: result.classification });
      metrics.windowPhaseSeconds.observe({ phase: 'fetch' }, timings.fetchMs / 1000);
      metrics.windowPhaseSeconds.observe({ phase: 'judge' }, timings.judgeMs / 1000);
      metrics.windowPhaseSeconds.observe({ phase: 'store' }, timings.storeMs / 1000);
    }
    const scores = intervals.map((interval) => interval.score);
    const last = intervals[intervals.length - 1];
    // A critical log cluster fails the run whatever the thresholds (its interval's result says which).
    if (last?.logsFailed) return this.finish(id, { status: 'fail', score: last.score, reason: last.result.reason });
    const decision = decideRun(scores, verification.windows.length, verification.thresholds);
    if (decision.status === 'running') {
      if (last) await store.updateProgress(id, last.score, `${decision.reason}; ${last.result.reason}`);
      await this.scheduleNext(verification, intervals.length);
      return;
    }
    await this.finish(id, {
      status: decision.status,
      score: last?.score ?? null,
      reason: `${decision.reason}; ${last?.result.reason ?? ''}`.replace(/; $/, ''),
    });
  }

  /** Ends a running verification and counts the verdict (once: a verification already finished is left alone). */
  async finish(id: string, outcome: Parameters<VerificationStore['finish']>[1]): Promise<void> {
    const finished = await this.options.store.finish(id, outcome);
    if (finished) this.options.metrics.verificationsFinished.inc({ status: outcome.status });
    if (finished && this.options.audit)
      await this.options.jobs
        .send(AUDIT_JOB, { verificationId: id }, { key: `${id}:audit` })
        .catch((error: unknown) =>
          this.log.error({ err: error, verificationId: id }, 'queueing the audit append failed'),
        );
  }

  /**
   * Reads both sides' logs of one window page by page into one comparison (memory grows with the distinct
   * events, not the lines), with the application's current marks applied. A provider that cannot be
   * reached is retried like a metrics provider, each try reading the window afresh.
   */
  private async analyseLogs(
    verification: VerificationRecord,
    window: { startMs: number; endMs: number },
  ): Promise<StoredLogAnalysis | null> {
    const template = verification.logTemplate;
    if (!template) return null;
    let provider: LogProvider;
    let queries: { baseline: string; canary: string };
    try {
      provider = this.options.logProviders.forTemplate(template);
      queries = {
        baseline: sideQuery(template, verification.spec.baseline, provider.type),
        canary: sideQuery(template, verification.spec.canary, provider.type),
      };
    } catch (error) {
      // Checked at create; only a config change since (an account removed) gets here.
      throw new ProviderError(template.provider, 'query', `logs: ${(error as Error).message}`, { cause: error });
    }
    const marks = await this.options.marks.list(verification.application);
    const options = {
      ...analysisOptions(
        template,
        marks.map((m) => ({
          clusterKey: m.clusterKey,
          mark: m.mark,
          user: m.markedBy,
          atMs: Date.parse(m.markedAt),
        })),
      ),
      limits: this.options.logLimits,
    };
    const now = this.options.now ?? Date.now;
    const analysis = await this.withRetry(provider.name, 'logs', async () => {
      const comparison = new LogComparison(options);
      const limit = {
        deadline: now() + this.options.maxLogReadMs,
        limitMs: this.options.maxLogReadMs,
        maxChars: this.options.maxLogReadChars,
        now,
      };
      if (template.scoringAlgorithm !== 'autonomous')
        await readLogsInto(comparison, 'baseline', provider, queries.baseline, window, limit);
      await readLogsInto(comparison, 'canary', provider, queries.canary, window, limit);
      try {
        return comparison.finish();
      } catch (error) {
        throw limitAsProviderError(error, provider.name);
      }
    });
    return storedLogAnalysis(analysis, {
      template: { name: template.name, version: verification.logTemplateVersion },
      provider: provider.name,
      queries,
    });
  }

  /** Runs `work` up to providerAttempts times while it fails with an unavailable provider. */
  private async withRetry<T>(providerName: string, what: string, work: () => Promise<T>): Promise<T> {
    const attempts = this.options.providerAttempts;
    for (let attempt = 1; ; attempt++) {
      try {
        const value = await work();
        this.options.metrics.providerRequests.inc({ provider: providerName, outcome: 'ok' });
        return value;
      } catch (error) {
        this.options.metrics.providerRequests.inc({
          provider: providerName,
          outcome: error instanceof ProviderError ? error.kind : 'unavailable',
        });
        const retriable = error instanceof ProviderError && error.kind === 'unavailable';
        if (!retriable || attempt >= attempts) {
          if (error instanceof ProviderError)
            throw new ProviderError(
              error.provider,
              error.kind,
              `${what}: ${error.message}${retriable && attempts > 1 ? ` (after ${attempts} tries)` : ''}`,
              { cause: error },
            );
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, this.options.providerRetryDelayMs));
      }
    }
  }

  private async fetchAll(
    verification: VerificationRecord,
    startMs: number,
    endMs: number,
    stepSeconds: number,
  ): Promise<MetricData[]> {
    const metrics = verification.template.metrics;
    const results: MetricData[] = new Array(metrics.length);
    let next = 0;
    let failed = false;
    const worker = async () => {
      // One failure ends the window in error, so the other workers stop instead of querying on.
      while (next < metrics.length && !failed) {
        const at = next++;
        try {
          results[at] = await this.fetchMetric(verification, metrics[at]!, at, startMs, endMs, stepSeconds);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, metrics.length) }, worker));
    return results;
  }

  private async fetchMetric(
    verification: VerificationRecord,
    metric: TemplateMetric,
    at: number,
    startMs: number,
    endMs: number,
    stepSeconds: number,
  ): Promise<MetricData> {
    const provider = this.options.providers.resolve(metric.provider, `template.metrics.${at}.provider`);
    const window = { startMs, endMs, stepSeconds };
    const side = async (scope: Record<string, string>): Promise<SideData> => {
      const fill = (query: string) => expandQuery(query, scope, provider, stepSeconds);
      const countQuery = metric.countQuery;
      // The counts run beside the values: the same provider, scope, step and window.
      const [series, counts] = await Promise.all([
        this.fetchWithRetry(provider, fill(metric.query), window, metric.name),
        countQuery === undefined
          ? undefined
          : this.fetchWithRetry(provider, fill(countQuery), window, `${metric.name} (countQuery)`),
      ]);
      const data = toSideData(series);
      return counts ? withRequestCounts(data, counts) : data;
    };
    const [baseline, canary] = await Promise.all([side(verification.spec.baseline), side(verification.spec.canary)]);
    flagLabelMismatch(baseline, canary, verification);
    return { name: metric.name, provider: provider.name, baseline, canary };
  }

  private async fetchWithRetry(
    provider: MetricsProvider,
    query: string,
    window: { startMs: number; endMs: number; stepSeconds: number },
    metric: string,
  ): Promise<FetchedSeries> {
    const attempts = this.options.providerAttempts;
    for (let attempt = 1; ; attempt++) {
      try {
        const series = await provider.fetch(query, window);
        this.options.metrics.providerRequests.inc({ provider: provider.name, outcome: 'ok' });
        return series;
      } catch (error) {
        this.options.metrics.providerRequests.inc({
          provider: provider.name,
          outcome: error instanceof ProviderError ? error.kind : 'unavailable',
        });
        const retriable = error instanceof ProviderError && error.kind === 'unavailable';
        if (!retriable || attempt >= attempts) {
          if (error instanceof ProviderError) {
            throw new ProviderError(
              error.provider,
              error.kind,
              `metric ${metric}: ${error.message}${retriable && attempts > 1 ? ` (after ${attempts} tries)` : ''}`,
              { cause: error },
            );
          }
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, this.options.providerRetryDelayMs));
      }
    }
  }
}

/**
 * Streams one side's logs into the comparison. Past the deadline, or past `maxChars` characters read, it stops
 * with a query error (not retried: the same query would take as long again) naming how far it got, so a window
 * whose query matches far more than expected ends in `error` instead of running until the job expires. The
 * character bound ends a source that answers full pages without end (or lines that mask into few events, which
 * the distinct-event bounds let through) long before the deadline.
 */
export async function readLogsInto(
  comparison: Pick<LogComparison, 'add'>,
  side: 'baseline' | 'canary',
  provider: Pick<LogProvider, 'name' | 'lines'>,
  query: string,
  window: { startMs: number; endMs: number },
  limit: { deadline: number; limitMs: number; maxChars: number; now: () => number },
): Promise<number> {
  let lines = 0;
  let chars = 0;
  const stop = (what: string) =>
    new ProviderError(
      provider.name,
      'query',
      `${provider.name}: ${what} after ${lines} lines of ${JSON.stringify(query)}: narrow the log template's query or shorten the interval`,
    );
  for await (const line of provider.lines(query, window)) {
    // Counted before the line is used; one more for each line, so that empty lines count too.
    chars += line.text.length + 1;
    if (chars > limit.maxChars)
      throw stop(
        `the ${side} logs hold more than ${limit.maxChars} characters in this window (analysis.maxLogReadChars)`,
      );
    try {
      comparison.add(side, line.text, line.timeMs);
    } catch (error) {
      throw limitAsProviderError(error, provider.name);
    }
    lines++;
    if (limit.now() > limit.deadline)
      throw stop(`reading the ${side} logs took longer than analysis.maxLogReadMs (${limit.limitMs} ms)`);
  }
  return lines;
}

/** A comparison's limit as the verification's error: not retried, the same window holds as many events again. */
function limitAsProviderError(error: unknown, providerName: string): unknown {
  return error instanceof LogLimitError
    ? new ProviderError(providerName, 'query', `${providerName}: ${error.message}`, { cause: error })
    : error;
}

function toSideData(series: FetchedSeries): SideData {
  return {
    query: series.query,
    labels: series.labels,
    seriesCount: series.seriesCount,
    problems: [...series.problems],
    timestampsMs: series.timestampsMs,
    values: series.values.map((value) => (Number.isFinite(value) ? value : null)),
  };
}

/**
 * Adds the count query's series to a side, aligned by timestamp to the metric's points: a step the count
 * series has no finite point for, or a negative count (a counter reset read badly), is an unknown count
 * (null), which the judge leaves out of its per-request comparison.
 */
export function withRequestCounts(side: SideData, counts: FetchedSeries): SideData {
  const byTime = new Map<number, number>();
  counts.timestampsMs.forEach((atMs, i) => byTime.set(atMs, counts.values[i]!));
  let negative = 0;
  const requestCounts = side.timestampsMs.map((atMs) => {
    const count = byTime.get(atMs);
    if (count === undefined || !Number.isFinite(count)) return null;
    if (count < 0) {
      negative++;
      return null;
    }
    return count;
  });
  const problems = [...side.problems, ...counts.problems.map((problem) => `countQuery: ${problem}`)];
  if (negative > 0) problems.push(`countQuery: ${negative} negative counts from ${counts.query} read as unknown`);
  const known = requestCounts.filter((count) => count !== null).length;
  if (known < requestCounts.length && counts.seriesCount === 1)
    problems.push(
      `countQuery: ${requestCounts.length - known} of ${requestCounts.length} steps have no request count (left out of the per-request comparison)`,
    );
  return { ...side, problems, countQuery: counts.query, requestCounts };
}

/**
 * Baseline and canary should differ only in their scope labels; other label names present on one side
 * only mean the two queries select different kinds of series, which the user must see.
 */
function flagLabelMismatch(baseline: SideData, canary: SideData, verification: VerificationRecord): void {
  if (baseline.seriesCount !== 1 || canary.seriesCount !== 1) return;
  const scopeKeys = new Set([...Object.keys(verification.spec.baseline), ...Object.keys(verification.spec.canary)]);
  const names = (labels: Record<string, string>) =>
    Object.keys(labels)
      .filter((key) => !scopeKeys.has(key))
      .sort();
  const onlyBaseline = names(baseline.labels).filter((key) => !(key in canary.labels));
  const onlyCanary = names(canary.labels).filter((key) => !(key in baseline.labels));
  if (onlyBaseline.length === 0 && onlyCanary.length === 0) return;
  const message = `label mismatch: baseline series ${JSON.stringify(baseline.labels)} vs canary series ${JSON.stringify(canary.labels)} (only baseline: ${onlyBaseline.join(', ') || '-'}; only canary: ${onlyCanary.join(', ') || '-'})`;
  baseline.problems.push(message);
  canary.problems.push(message);
}

/**
 * The step a window's metrics are fetched at: the template's, grown so that one series holds at most
 * Prometheus's 11,000 points and all series of the window (each metric and its count query, both sides)
 * at most `maxMetricPoints`. The judges' work grows with the points (some 4 µs each for `isd` on autopilot's
 * one thread), so a template of many metrics at a tiny step over a long window is judged at a coarser step
 * instead of holding that thread for minutes.
 */
export function metricStepSeconds(
  template: { stepSeconds: number; metrics: ReadonlyArray<{ countQuery?: string }> },
  windowMs: number,
  maxMetricPoints: number,
): number {
  const seconds = windowMs / 1000;
  const series = 2 * template.metrics.reduce((sum, metric) => sum + (metric.countQuery === undefined ? 1 : 2), 0);
  // A series over `seconds` at step s holds up to seconds / s + 1 points.
  const perSeries = Math.max(1, Math.floor(maxMetricPoints / Math.max(1, series)) - 1);
  return Math.max(template.stepSeconds, Math.ceil(seconds / MAX_POINTS_PER_SERIES), Math.ceil(seconds / perSeries));
}

function judgeInput(
  verification: VerificationRecord,
  data: MetricData[],
  index: number,
  stepSeconds: number,
): JudgeInput {
  const metrics: MetricInput[] = verification.template.metrics.map((metric, at) => {
    const fetched = data[at]!;
    const side = (data: SideData) => ({
      values: data.values.map((value) => (value === null ? Number.NaN : value)),
      query: data.query,
      labels: data.labels,
      seriesCount: data.seriesCount,
      ...(data.requestCounts ? { requestCounts: data.requestCounts } : {}),
    });
    return {
      config: metricConfigOf(metric),
      baseline: side(fetched.baseline),
      canary: side(fetched.canary),
    };
  });
  // The seed fixes Kayenta's tie-breaking noise per window, so a re-judged window gives the same numbers.
  const seed = createHash('sha256').update(`${verification.id}:${index}`).digest().readUInt32BE(0);
  return {
    metrics,
    groupWeights: verification.template.groupWeights,
    thresholds: verification.thresholds,
    seed,
    stepSeconds,
  };
}
