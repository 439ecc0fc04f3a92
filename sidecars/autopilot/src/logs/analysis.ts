// Log analysis of a canary against a baseline: events (lines, or a stack trace with its opening line) are
// mined into templates, grouped into clusters per template, classified by topic, compared by rate and
// scored. The formulas are in docs/log-scoring.md.
import { incompleteBeta } from '../domain/special';
import { fisherExactGreater } from '../domain/statistics';
import { detectHeaders, messageOf } from './header';
import { lineSeconds } from './line-time';
import { MinerWorkError, TemplateMiner, type MinerOptions, type Template } from './miner';
import { EventAssembler, eventText } from './multiline';
import type { LogLine } from './providers/provider';
import { structuredText } from './structured';
import { severity, topicClassifier, type Topic, type TopicOptions } from './topics';

export const ALGORITHMS = ['canary', 'definite', 'comprehensive', 'autonomous'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export const SENSITIVITIES = ['low', 'medium', 'high'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];
export type Mark = 'expected' | 'ignorable' | 'critical';

export type ClusterKind = 'canary-only' | 'increased' | 'burst' | 'both' | 'baseline-only';

/** What the burst test saw (decisions 247, 251): the canary's busiest window against the baseline's. */
export interface BurstFinding {
  /** The window length, of those tested, where the canary's busiest window was least likely. */
  windowSeconds: number;
  /** The canary's events of the cluster within its busiest window, and of the whole interval. */
  canaryInWindow: number;
  canaryCount: number;
  /** The same for the baseline's busiest window. */
  baselineInWindow: number;
  baselineCount: number;
  /** The chance of a canary window that busy, were its events as concentrated as the baseline's, times the lengths tested. */
  chance: number;
}

export interface LogCluster {
  /** The template text: the cluster's identity, also across runs (feedback marks refer to it). */
  template: string;
  topic: Topic;
  tags: string[];
  kind: ClusterKind;
  baselineCount: number;
  canaryCount: number;
  /** Canary rate ÷ baseline rate (Infinity when the baseline never logged it). */
  rateRatio: number;
  examples: { baseline: string[]; canary: string[] };
  /** For kind `burst`: what the canary's busiest window held against the baseline's. */
  burst?: BurstFinding;
  mark?: Mark;
  /** True when the cluster reduces the score (or fails the run). */
  unexpected: boolean;
  /** Points this cluster takes off 100 (before the algorithm's normalisation). */
  penalty: number;
  critical: boolean;
}

export interface LogAnalysisOptions {
  algorithm?: Algorithm;
  sensitivity?: Sensitivity;
  topics?: TopicOptions;
  miner?: MinerOptions;
  /** Marks from feedback, by cluster template. */
  marks?: { get(template: string): Mark | undefined };
  /** Score INFO clusters too (OpsMx `infoScoring`); off by default. */
  infoScoring?: boolean;
  examplesPerSide?: number;
  /** Bounds on what a comparison holds: it grows with the distinct events, which the logged application controls. */
  limits?: LogLimits;
}

/**
 * How many distinct events (after masking), and how many characters of them, one comparison may hold, and how
 * many token positions its template miner may compare.
 */
export interface LogLimits {
  maxDistinctEvents: number;
  maxDistinctChars: number;
  maxTemplateComparisons: number;
}

/** Lines are cut to this many characters: the head is what a template is mined from. */
export const MAX_LINE_CHARS = 65_536;

/** The logs of a window hold more distinct events than the comparison may keep. */
export class LogLimitError extends Error {
  constructor(
    message: string,
    /** The configuration key of the limit. */
    readonly key: 'maxLogDistinctEvents' | 'maxLogDistinctChars' | 'maxLogTemplateComparisons',
  ) {
    super(message);
    this.name = 'LogLimitError';
  }
}

export interface LogAnalysis {
  score: number;
  /** A critical cluster appeared: the run fails whatever the score. */
  failed: boolean;
  reasons: string[];
  algorithm: Algorithm;
  sensitivity: Sensitivity;
  baselineEvents: number;
  canaryEvents: number;
  clusters: LogCluster[];
}

/** Topic weights per sensitivity: the points one unexpected cluster of that topic costs at the least. */
export const TOPIC_WEIGHTS: Record<Sensitivity, Record<Exclude<Topic, 'CRITICAL'>, number>> = {
  low: { ERROR: 10, WARN: 3, INFO: 0.5 },
  medium: { ERROR: 20, WARN: 6, INFO: 1 },
  high: { ERROR: 30, WARN: 10, INFO: 2 },
};

/** OpsMx cardinality: a cluster in both versions counts when its rate grew this many times (2× ERROR/WARN). */
const INCREASE_RATIO = 2;
/** Rate ratio at which an increased cluster costs as much as a new one. */
const FULL_RATIO = 8;
/**
 * An increase must also be more than chance (decision 160): a cluster of 1 line in the baseline and 4 in
 * the canary has doubled, but a healthy canary shows that often. It counts when, were each of the cluster's
 * events as likely on either side as any event (by the sides' sizes), the canary getting this many or more
 * is rarer than chance allows over all the clusters tested at once: Benjamini–Hochberg at this false
 * discovery rate over the scored clusters both sides log (decision 185), as a log of hundreds of templates
 * shows a few 1 % events in every healthy canary.
 */
const INCREASE_FDR = 0.01;
/**
 * A cluster only the canary logs counts when chance would leave a scored cluster (any error or warning topic)
 * all on the canary side, with at least as many events, fewer times than this in expectation (decisions 185,
 * 213).
 */
const NEW_EVENT_CHANCE = 0.1;
/**
 * A change is far beyond chance when chance would show one like it in fewer than this share of healthy runs:
 * an increase whose binomial tail times the number of clusters tested (Bonferroni) is below it, a canary-only
 * cluster whose expected number of chance ones is. The `canary` normalisation does not discount it
 * (decision 214).
 */
const FAR_BEYOND_CHANCE = 0.001;
/**
 * The burst test's windows (decisions 247, 251): a cluster whose events the canary logs packed into one of these
 * many seconds, where the baseline spreads them, is a burst even when its count over the interval is not beyond
 * chance. A burst spread over minutes fills a longer window, not a minute.
 */
export const BURST_WINDOWS_SECONDS = [60, 300, 900] as const;
/**
 * A window length is tested only where the events fall in at least this many of its windows (laid end to end):
 * in a shorter interval one window holds much of a cluster on either side, and which side's events a window
 * boundary happens to split is chance, not a burst. Counted windows, not the span between the first and last
 * time, so a stray line does not count.
 */
const MIN_WINDOWS_SPANNED = 10;
/** Event times are kept per this many seconds: memory grows with a cluster's busy buckets, not its lines. */
const TIME_BUCKET_SECONDS = 5;
/** Buckets kept over all events and sides at most; beyond it the burst test is not made (reported in reasons). */
const MAX_TIME_BUCKETS = 200_000;

/** P(X ≥ canary) for X ~ Binomial(baseline + canary, canary side's share of all events): I_p(k, n − k + 1). */
function increaseByChance(baseline: number, canary: number, sides: { baseline: number; canary: number }): number {
  return incompleteBeta(sides.canary / (sides.baseline + sides.canary), canary, baseline + 1);
}

interface ClusterCounts {
  baseline: number;
  canary: number;
  scored: boolean;
  /** The events of each side per time bucket, when every event of the cluster had a time. */
  times?: { baseline: ReadonlyMap<number, number>; canary: ReadonlyMap<number, number> };
}

/** Events counted per time bucket, in time order. */
const inTimeOrder = (buckets: ReadonlyMap<number, number>) => [...buckets].sort((a, b) => a[0] - b[0]);

/** The most events any window of this many seconds holds, from events counted per time bucket in time order. */
function busiestWindow(sorted: readonly (readonly [number, number])[], windowSeconds: number): number {
  const span = windowSeconds / TIME_BUCKET_SECONDS;
  let best = 0;
  let inWindow = 0;
  let first = 0;
  for (const [bucket, count] of sorted) {
    inWindow += count;
    while (sorted[first]![0] <= bucket - span) inWindow -= sorted[first++]![1];
    best = Math.max(best, inWindow);
  }
  return best;
}

/**
 * How likely a canary window as busy as its busiest is, were the canary's events of the cluster as concentrated
 * as the baseline's (healthy logs are bursty: a kind the baseline logs in bursts tests against them).
 * - Within a minute, decision 247's test: the baseline's busiest share taken as known, as (busiest + 1) ÷
 *   (events + 1), so a baseline of few events, whose spread says little, asks for more.
 * - In a longer window a kind's busiest share is larger, and from a baseline of tens of events too unsure to take
 *   as known (decision 247 saw a healthy burst the coin split unevenly called one): both shares are samples,
 *   Fisher's exact test of the canary's busiest count of its events against the baseline's (decision 251).
 */
function windowChance(
  windowSeconds: number,
  canary: { inWindow: number; count: number },
  baseline: { inWindow: number; count: number },
): number {
  if (windowSeconds > BURST_WINDOWS_SECONDS[0])
    return fisherExactGreater(canary.inWindow, canary.count, baseline.inWindow, baseline.count);
  const share = (baseline.inWindow + 1) / (baseline.count + 1);
  if (share >= 1) return 1;
  // P(X ≥ canary.inWindow) for X ~ Binomial(canary events, the baseline's busiest share).
  return incompleteBeta(share, canary.inWindow, canary.count - canary.inWindow + 1);
}

/**
 * The burst test of one cluster both sides log (decisions 247, 251) at each window length the interval allows:
 * the least likely length counts, its chance times the lengths tested (searching them is chance's too).
 */
function burstByChance(
  times: NonNullable<ClusterCounts['times']>,
  counts: ClusterCounts,
  windowsSeconds: readonly number[],
): BurstFinding | undefined {
  const baseline = inTimeOrder(times.baseline);
  const canary = inTimeOrder(times.canary);
  let least: BurstFinding | undefined;
  for (const windowSeconds of windowsSeconds) {
    const baselineInWindow = busiestWindow(baseline, windowSeconds);
    const canaryInWindow = busiestWindow(canary, windowSeconds);
    const chance = windowChance(
      windowSeconds,
      { inWindow: canaryInWindow, count: counts.canary },
      { inWindow: baselineInWindow, count: counts.baseline },
    );
    if (least === undefined || chance < least.chance)
      least = {
        windowSeconds,
        canaryInWindow,
        canaryCount: counts.canary,
        baselineInWindow,
        baselineCount: counts.baseline,
        chance,
      };
  }
  return least && { ...least, chance: Math.min(1, least.chance * windowsSeconds.length) };
}

/**
 * Bursts beyond chance (decision 247): the burst test of each scored cluster both sides log with every event
 * timed and a higher rate in the canary, with a Benjamini–Hochberg correction over those clusters as for
 * increases (decision 185); far beyond chance as there (decision 214).
 */
function burstsBeyondChance(
  clusters: readonly ClusterCounts[],
  sides: { baseline: number; canary: number },
  windowsSeconds: readonly number[],
): ({ finding: BurstFinding; far: boolean } | undefined)[] {
  const result: ({ finding: BurstFinding; far: boolean } | undefined)[] = clusters.map(() => undefined);
  const tested = clusters
    .map((c, index) => ({
      index,
      finding: c.times && c.scored && c.baseline > 0 ? burstByChance(c.times, c, windowsSeconds) : undefined,
    }))
    .filter(
      (t): t is { index: number; finding: BurstFinding } =>
        t.finding !== undefined &&
        clusters[t.index]!.canary / sides.canary > clusters[t.index]!.baseline / sides.baseline,
    )
    .sort((a, b) => a.finding.chance - b.finding.chance);
  let significant = 0;
  for (let k = 1; k <= tested.length; k++)
    if (tested[k - 1]!.finding.chance <= (k / tested.length) * INCREASE_FDR) significant = k;
  for (let k = 0; k < significant; k++) {
    const { index, finding } = tested[k]!;
    result[index] = { finding, far: finding.chance * tested.length < FAR_BEYOND_CHANCE };
  }
  return result;
}

/**
 * Which clusters changed more than chance explains (decision 185), and which far beyond it (decision 214),
 * were each event as likely on either side as any event (by the sides' sizes):
 * - an increase, by its one-sided binomial tail, with a Benjamini–Hochberg correction over the scored clusters
 *   both sides log;
 * - a scored canary-only cluster of n events, when the scored clusters (every error and warning topic
 *   together, decision 213) with at least n events, it among them, would leave all their events on the canary
 *   side fewer than NEW_EVENT_CHANCE times in expectation, Σ share^(events): where the log's error and warning
 *   events recur, a new error counts from its fourth line at an even split (share^4 ≈ 0.06); where the log is
 *   full of rare error or warning templates, a new one needs more.
 */
function changesBeyondChance(
  clusters: readonly ClusterCounts[],
  sides: { baseline: number; canary: number },
): { counts: boolean; far: boolean }[] {
  const result = clusters.map(() => ({ counts: false, far: false }));
  const share = sides.canary / (sides.baseline + sides.canary);
  const tested = clusters
    .map((c, index) => ({ index, c }))
    .filter(({ c }) => c.scored && c.baseline > 0 && c.canary > 0)
    .map(({ index, c }) => ({ index, p: increaseByChance(c.baseline, c.canary, sides) }))
    .sort((a, b) => a.p - b.p);
  let significant = 0;
  for (let k = 1; k <= tested.length; k++) if (tested[k - 1]!.p <= (k / tested.length) * INCREASE_FDR) significant = k;
  for (let k = 0; k < significant; k++)
    result[tested[k]!.index] = { counts: true, far: tested[k]!.p * tested.length < FAR_BEYOND_CHANCE };

  // The events of each scored cluster: the chance terms of a canary-only cluster of n events. Counted over all
  // scored topics at once, so chance shows a new cluster in fewer than NEW_EVENT_CHANCE runs, not that many per
  // topic (decision 213). An unscored cluster never counts, whatever chance says.
  const sizes = clusters.filter((c) => c.scored).map((c) => c.baseline + c.canary);
  for (const [index, c] of clusters.entries()) {
    if (!c.scored || c.baseline > 0 || c.canary === 0) continue;
    // Without a baseline (autonomous) every canary cluster is new.
    if (sides.baseline === 0) {
      result[index] = { counts: true, far: false };
      continue;
    }
    let expected = 0;
    for (const events of sizes) if (events >= c.canary) expected += share ** events;
    result[index] = { counts: expected < NEW_EVENT_CHANCE, far: expected < FAR_BEYOND_CHANCE };
  }
  return result;
}

interface Side {
  count: number;
  examples: string[];
  /** The side's events per time bucket (made on its first timed event); `untimed` counts the others. */
  times: Map<number, number> | undefined;
  untimed: number;
}

// Every field set from the start: one object shape for all sides keeps the per-line code monomorphic.
const emptySide = (): Side => ({ count: 0, examples: [], times: undefined, untimed: 0 });

interface Entry {
  baseline: Side;
  canary: Side;
  /** The event's lines, as a reader sees them. */
  example: string;
  /**
   * For an event whose line names its fields (JSON, logfmt, klog, access): the text read from them, `LEVEL message
   * cause`, which is mined whole (it has no header) and classified instead of the raw line (decision 220).
   */
  described?: string;
}

/** Compares two sides whatever their size, line by line: memory grows with the distinct events, not lines. */
export class LogComparison {
  private readonly miner: TemplateMiner;
  private readonly examplesPerSide: number;
  // Events kept by their masked text until finish() maps each distinct one to its final template.
  private readonly texts = new Map<string, Entry>();
  private readonly totals = { baseline: 0, canary: 0 };
  private readonly assemblers = { baseline: new EventAssembler(), canary: new EventAssembler() };
  private distinctChars = 0;
  private timeBuckets = 0;
  /** More time buckets than MAX_TIME_BUCKETS: event times are no longer kept, and no burst is tested. */
  private timesDropped = false;

  constructor(private readonly options: LogAnalysisOptions = {}) {
    this.miner = new TemplateMiner(options.miner, options.limits?.maxTemplateComparisons);
    this.examplesPerSide = options.examplesPerSide ?? 3;
    topicClassifier(options.topics); // fail early on a bad tag pattern
  }

  /** `timeMs`: when the line was logged, as its provider records it; without it the time is read from the text. */
  add(side: 'baseline' | 'canary', line: string, timeMs?: number): void {
    if (side === 'baseline' && this.options.algorithm === 'autonomous') return;
    const assembler = this.assemblers[side];
    const event = assembler.push(line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line, timeMs);
    if (event) this.addEvent(side, event, assembler.doneTimeMs);
  }

  private addEvent(side: 'baseline' | 'canary', event: string[], timeMs: number | undefined): void {
    // Kept by masked text: lines that differ only in their variables share one entry. Templates are mined in
    // finish(), once the header of the lines is known.
    const described = event[0] === undefined ? undefined : structuredText(event[0]);
    const full = eventText(event, described); // the first line itself when it was not read
    const text = this.miner.mask(full);
    this.totals[side]++;
    let entry = this.texts.get(text);
    if (!entry) {
      this.holdDistinct(side, text);
      entry = { baseline: emptySide(), canary: emptySide(), example: event.join('\n') };
      if (described !== undefined) entry.described = full;
      this.texts.set(text, entry);
    }
    const s = entry[side];
    s.count++;
    if (s.examples.length < this.examplesPerSide) s.examples.push(event.join('\n'));
    if (!this.timesDropped) this.addTime(s, event[0], timeMs);
  }

  /**
   * Counts the event in its time bucket (decisions 247, 248): at the provider's time of its first line, else at
   * the time read from that line's text; untimed when it has neither.
   */
  private addTime(side: Side, firstLine: string | undefined, timeMs: number | undefined): void {
    const seconds =
      timeMs !== undefined ? Math.floor(timeMs / 1000) : firstLine === undefined ? undefined : lineSeconds(firstLine);
    if (seconds === undefined) {
      side.untimed++;
      return;
    }
    const bucket = Math.floor(seconds / TIME_BUCKET_SECONDS);
    const times = (side.times ??= new Map());
    const count = times.get(bucket);
    if (count === undefined && ++this.timeBuckets > MAX_TIME_BUCKETS) {
      this.timesDropped = true;
      for (const entry of this.texts.values()) for (const s of [entry.baseline, entry.canary]) s.times?.clear();
      return;
    }
    times.set(bucket, (count ?? 0) + 1);
  }

  /** The burst windows (BURST_WINDOWS_SECONDS) of which the events fill at least MIN_WINDOWS_SPANNED, laid end to end. */
  private burstWindows(): number[] {
    if (this.timesDropped) return [];
    const buckets = new Set<number>();
    for (const entry of this.texts.values())
      for (const side of [entry.baseline, entry.canary])
        for (const bucket of side.times?.keys() ?? []) buckets.add(bucket);
    return BURST_WINDOWS_SECONDS.filter((windowSeconds) => {
      const windows = new Set<number>();
      for (const bucket of buckets) windows.add(Math.floor((bucket * TIME_BUCKET_SECONDS) / windowSeconds));
      return windows.size >= MIN_WINDOWS_SPANNED;
    });
  }

  /**
   * Counts a new distinct event against the limits before it is kept. finish() needs several times the text
   * and some KB an event (300,000 short ones that are each their own template exceed a 512 MiB heap), and a
   * logged application controls how many there are (a request path or user name in every line).
   */
  private holdDistinct(side: 'baseline' | 'canary', text: string): void {
    const limits = this.options.limits;
    if (!limits) return;
    if (this.texts.size >= limits.maxDistinctEvents)
      throw new LogLimitError(
        `the logs hold more than ${limits.maxDistinctEvents} distinct events after masking (analysis.maxLogDistinctEvents), the ${side} logs reaching it: narrow the log template's query or add masks for the variable parts`,
        'maxLogDistinctEvents',
      );
    this.distinctChars += text.length;
    if (this.distinctChars > limits.maxDistinctChars)
      throw new LogLimitError(
        `the logs' distinct events hold more than ${limits.maxDistinctChars} characters after masking (analysis.maxLogDistinctChars), the ${side} logs reaching it: narrow the log template's query or add masks for the variable parts`,
        'maxLogDistinctChars',
      );
  }

  finish(): LogAnalysis {
    try {
      return this.mineAndScore();
    } catch (error) {
      if (!(error instanceof MinerWorkError)) throw error;
      throw new LogLimitError(
        `mining the logs' ${this.texts.size} distinct events into templates compared more than ${error.limit} token positions (analysis.maxLogTemplateComparisons): narrow the log template's query or add masks for the variable parts`,
        'maxLogTemplateComparisons',
      );
    }
  }

  private mineAndScore(): LogAnalysis {
    for (const side of ['baseline', 'canary'] as const) {
      const assembler = this.assemblers[side];
      const last = assembler.flush();
      if (last) this.addEvent(side, last, assembler.doneTimeMs);
    }
    // The message of each event (its header cut off) is what the miner learns and what names the cluster. An
    // event read from its fields has no header, and says nothing about the header of the other lines.
    const headerOf = detectHeaders(
      [...this.texts].filter(([, entry]) => entry.described === undefined).map(([text]) => text),
    );
    const messages = new Map<string, string>();
    for (const [text, entry] of this.texts) {
      const message = entry.described === undefined ? messageOf(text, headerOf(text)) : text;
      messages.set(text, message);
      this.miner.addMasked(message, entry.baseline.count + entry.canary.count);
    }
    const analysis = score(this.miner, messages, this.texts, this.totals, this.options, this.burstWindows());
    if (this.timesDropped)
      analysis.reasons.push(
        `bursts not tested: the events' times fill more than ${MAX_TIME_BUCKETS} buckets of ${TIME_BUCKET_SECONDS} s`,
      );
    return analysis;
  }
}

export function analyzeLogs(
  baselineLines: Iterable<string>,
  canaryLines: Iterable<string>,
  options: LogAnalysisOptions = {},
): LogAnalysis {
  const comparison = new LogComparison(options);
  for (const line of baselineLines) comparison.add('baseline', line);
  for (const line of canaryLines) comparison.add('canary', line);
  return comparison.finish();
}

/** The same over streams (a log provider's pages): the baseline is read first, then the canary. */
export async function analyzeLogStreams(
  baselineLines: AsyncIterable<LogLine>,
  canaryLines: AsyncIterable<LogLine>,
  options: LogAnalysisOptions = {},
): Promise<LogAnalysis> {
  const comparison = new LogComparison(options);
  if (options.algorithm !== 'autonomous')
    for await (const line of baselineLines) comparison.add('baseline', line.text, line.timeMs);
  for await (const line of canaryLines) comparison.add('canary', line.text, line.timeMs);
  return comparison.finish();
}

function score(
  miner: TemplateMiner,
  messages: ReadonlyMap<string, string>,
  texts: ReadonlyMap<string, Entry>,
  sides: { baseline: number; canary: number },
  options: LogAnalysisOptions,
  /** The burst window lengths the interval allows testing; none, no burst test. */
  burstWindowsSeconds: readonly number[],
): LogAnalysis {
  const algorithm = options.algorithm ?? 'canary';
  const sensitivity = options.sensitivity ?? 'high';
  const examplesPerSide = options.examplesPerSide ?? 3;
  const classifier = topicClassifier(options.topics);
  const templates = eventTemplates(miner, messages, texts);
  const byTemplate = new Map<string, { baseline: Side; canary: Side; texts: string[] }>();
  for (const [text, entry] of texts) {
    const template = templates.get(text)!;
    let cluster = byTemplate.get(template);
    if (!cluster) {
      cluster = { baseline: emptySide(), canary: emptySide(), texts: [] };
      byTemplate.set(template, cluster);
    }
    for (const side of ['baseline', 'canary'] as const) {
      cluster[side].count += entry[side].count;
      cluster[side].untimed += entry[side].untimed;
      const merged = (cluster[side].times ??= new Map());
      for (const [bucket, count] of entry[side].times ?? []) merged.set(bucket, (merged.get(bucket) ?? 0) + count);
      for (const example of entry[side].examples)
        if (cluster[side].examples.length < examplesPerSide) cluster[side].examples.push(example);
    }
    // What is classified: the text read from the fields when there is one (a JSON key such as `"error"` on
    // an info line is not an error), else the lines.
    cluster.texts.push(entry.described ?? entry.example);
  }

  const weights = TOPIC_WEIGHTS[sensitivity];
  const candidates = [...byTemplate].map(([template, c]) => {
    // The most severe topic of any example: a template can hide the word that made one line an error.
    let topic: Topic = classifier.classify(template).topic;
    const tags = new Set<string>();
    for (const text of [template, ...c.texts]) {
      const found = classifier.classify(text);
      if (severity(found.topic) > severity(topic)) topic = found.topic;
      for (const tag of found.tags) tags.add(tag);
    }
    const mark = options.marks?.get(template);
    const scored = topic !== 'INFO' || options.infoScoring === true || mark === 'critical';
    return { template, c, topic, tags, mark, scored };
  });
  const counts = candidates.map((k): ClusterCounts => ({
    baseline: k.c.baseline.count,
    canary: k.c.canary.count,
    scored: k.scored,
    ...(burstWindowsSeconds.length > 0 && k.c.baseline.untimed === 0 && k.c.canary.untimed === 0
      ? { times: { baseline: k.c.baseline.times ?? new Map(), canary: k.c.canary.times ?? new Map() } }
      : {}),
  }));
  const beyondChance = changesBeyondChance(counts, sides);
  const bursts = burstsBeyondChance(counts, sides, burstWindowsSeconds);
  const clusters: LogCluster[] = [];
  const farBeyondChance = new Set<LogCluster>();
  for (const [index, { template, c, topic, tags, mark, scored }] of candidates.entries()) {
    const baselineRate = sides.baseline === 0 ? 0 : c.baseline.count / sides.baseline;
    const canaryRate = sides.canary === 0 ? 0 : c.canary.count / sides.canary;
    const rateRatio = baselineRate === 0 ? (canaryRate === 0 ? 0 : Infinity) : canaryRate / baselineRate;
    const kind: ClusterKind =
      c.canary.count === 0
        ? 'baseline-only'
        : c.baseline.count === 0
          ? 'canary-only'
          : rateRatio >= INCREASE_RATIO && beyondChance[index]!.counts
            ? 'increased'
            : bursts[index]
              ? 'burst'
              : 'both';
    // A canary-only cluster counts only when chance does not explain it either (decision 185), or when a user
    // marked its template critical: that says one line is news.
    const changed =
      kind === 'increased' ||
      kind === 'burst' ||
      (kind === 'canary-only' && (beyondChance[index]!.counts || mark === 'critical'));
    const unexpected = changed && scored && mark !== 'expected' && mark !== 'ignorable';
    const critical = unexpected && (topic === 'CRITICAL' || mark === 'critical');
    let penalty = 0;
    if (unexpected && !critical) {
      const weight = weights[topic as Exclude<Topic, 'CRITICAL'>];
      // A new cluster or a burst costs its full weight; a grown one a share rising with log(ratio) from 2× to 8×.
      const growth = kind === 'increased' ? Math.min(1, Math.log2(rateRatio) / Math.log2(FULL_RATIO)) : 1;
      // Frequent clusters cost more: ×1 at a trace, ×2 at 1 % of the canary's events, ×3 at 10 %.
      const frequency = 1 + Math.log10(1 + 1000 * Math.max(0, canaryRate - baselineRate));
      penalty = weight * growth * Math.min(frequency, 3);
    }
    const cluster: LogCluster = {
      template,
      topic,
      tags: [...tags].sort(),
      kind,
      baselineCount: c.baseline.count,
      canaryCount: c.canary.count,
      rateRatio,
      examples: { baseline: c.baseline.examples, canary: c.canary.examples },
      ...(kind === 'burst' ? { burst: bursts[index]!.finding } : {}),
      ...(mark ? { mark } : {}),
      unexpected,
      penalty,
      critical,
    };
    clusters.push(cluster);
    if (unexpected && (kind === 'burst' ? bursts[index]!.far : beyondChance[index]!.far)) farBeyondChance.add(cluster);
  }
  clusters.sort(
    (a, b) =>
      Number(b.critical) - Number(a.critical) ||
      b.penalty - a.penalty ||
      b.canaryCount - a.canaryCount ||
      a.template.localeCompare(b.template),
  );

  const { score, reasons } = normalise(algorithm, clusters, farBeyondChance);
  const criticalClusters = clusters.filter((c) => c.critical);
  for (const c of clusters) if (c.burst && c.unexpected) reasons.push(`burst: ${burstText(c.burst)}: ${c.template}`);
  for (const c of criticalClusters)
    reasons.unshift(`critical ${c.mark === 'critical' ? 'by feedback' : 'topic'}: ${c.template}`);
  return {
    score: criticalClusters.length > 0 ? 0 : score,
    failed: criticalClusters.length > 0,
    reasons,
    algorithm,
    sensitivity,
    baselineEvents: sides.baseline,
    canaryEvents: sides.canary,
    clusters,
  };
}

/** What a burst finding saw, in words. */
export function burstText(b: BurstFinding): string {
  return `${b.canaryInWindow} of the canary's ${b.canaryCount} lines within ${b.windowSeconds} s; the baseline's busiest ${b.windowSeconds} s held ${b.baselineInWindow} of its ${b.baselineCount}`;
}

/**
 * The template of each distinct event text. The miner tells events apart by words with few values (a state,
 * an outcome); a word that no line of one side shares with the other, such as the host or version name
 * in each line, tells the sides apart instead, so there it stays a variable: otherwise every event of a
 * canary on another host would be new.
 */
function eventTemplates(
  miner: TemplateMiner,
  messages: ReadonlyMap<string, string>,
  texts: ReadonlyMap<string, { baseline: Side; canary: Side }>,
): Map<string, string> {
  const matched = new Map<string, Template | undefined>();
  // Per template id and event-word position: the values seen on each side.
  const words = new Map<string, { baseline: Set<string>; canary: Set<string> }>();
  for (const [text, entry] of texts) {
    const event = miner.matchMasked(messages.get(text)!);
    matched.set(text, event);
    const generic = event && miner.template(event.id);
    if (!event || !generic || generic.template === event.template) continue;
    for (let i = 0; i < event.tokens.length; i++) {
      if (event.tokens[i] === generic.tokens[i]) continue;
      const key = `${event.id}:${i}`;
      let values = words.get(key);
      if (!values) words.set(key, (values = { baseline: new Set(), canary: new Set() }));
      for (const side of ['baseline', 'canary'] as const) if (entry[side].count > 0) values[side].add(event.tokens[i]!);
    }
  }
  const sideNames = new Set<string>();
  for (const [key, values] of words) {
    const shared = [...values.baseline].some((value) => values.canary.has(value));
    if (!shared && values.baseline.size > 0 && values.canary.size > 0) sideNames.add(key);
  }
  const templates = new Map<string, string>();
  for (const [text, event] of matched) {
    if (!event) {
      templates.set(text, messages.get(text)!);
      continue;
    }
    const generic = miner.template(event.id)!;
    let tokens: string[] | undefined;
    for (let i = 0; i < event.tokens.length; i++) {
      if (event.tokens[i] === generic.tokens[i] || !sideNames.has(`${event.id}:${i}`)) continue;
      tokens ??= [...event.tokens];
      tokens[i] = generic.tokens[i]!;
    }
    templates.set(text, tokens ? tokens.join(' ') : event.template);
  }
  return templates;
}

function normalise(
  algorithm: Algorithm,
  clusters: readonly LogCluster[],
  farBeyondChance: ReadonlySet<LogCluster>,
): { score: number; reasons: string[] } {
  const scored = clusters.filter((c) => c.unexpected && !c.critical);
  const penalties = scored.map((c) => c.penalty);
  const total = penalties.reduce((sum, p) => sum + p, 0);
  const unexpected = penalties.length;
  const reasons = unexpected > 0 ? [`${unexpected} unexpected cluster(s) cost ${total.toFixed(1)} points`] : [];
  let cost: number;
  switch (algorithm) {
    case 'definite':
      cost = total;
      break;
    case 'canary': {
      // A baseline that already logs many error/warning kinds makes each new kind weigh less: a noisy log
      // shows more by chance. A change far beyond chance already has that noise counted (decision 214).
      const baselineErrorKinds = clusters.filter((c) => c.baselineCount > 0 && c.topic !== 'INFO').length;
      const sure = scored.filter((c) => farBeyondChance.has(c)).reduce((sum, c) => sum + c.penalty, 0);
      cost = sure + (total - sure) / (1 + Math.log2(1 + baselineErrorKinds) / 4);
      break;
    }
    case 'comprehensive':
    case 'autonomous':
      // Normalised by the number of unexpected clusters: the k-th worst counts 1/k, so many small ones do
      // not add up to a failure the way one large one does (and one more cluster never raises the score).
      cost = [...penalties].sort((a, b) => b - a).reduce((sum, p, i) => sum + p / (i + 1), 0);
      break;
  }
  const score = Math.max(0, Math.min(100, 100 - cost));
  return { score: Math.round(score * 100) / 100, reasons };
}
