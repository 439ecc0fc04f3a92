// The log comparison (`LogComparison`: canary against baseline) on each Loghub system's raw lines, whole lines
// with their headers as a log provider returns them, or on generated logs in the formats Kubernetes services
// write (generated.ts: events of one or more lines, each with its kind and level known). Cases are made from
// the log's own events at run time, seeded, so nothing of a corpus is kept in the repository:
// - healthy: the even events as baseline, the odd events as canary (one distribution); and a second healthy
//   split that sends each event to either side by a seeded coin;
// - new error ×5: the healthy split, plus five new errors beside random canary events: for Loghub, copies of
//   the line whose message (the log format's Content field) is replaced by `<level>: cannot allocate N bytes
//   for request queue K`, the level word in the system's own spelling; for a generated log, that message
//   written by the service at error level;
// - warning burst ×20: the healthy split, plus one existing warning event (Loghub: by the default topics;
//   generated: by its level) of a rare kind (ground truth: at most BURST_EVENT_LINES events in the whole log)
//   repeated 20 times in the canary.
// Options (`CaseOptions`): the burst's lines re-timed evenly over some seconds, as a burst that builds up, and
// the healthy split made of alternate blocks of consecutive events, so a kind's healthy bursts land on one side
// as on separate pods.
// A healthy case should pass; the other two should not. Verdicts use the gate's usual thresholds; a faulty
// case is "caught" when it does not pass, and the table marks whether the added lines are in an unexpected
// cluster (+) or not (−), so a catch made only by other clusters' noise shows.
import {
  LogComparison,
  createRandom,
  lineSeconds,
  topicClassifier,
  type LogAnalysis,
  type Random,
} from '@isd/autopilot';
import { logFormatRegex, readLogLines, type LoghubSystem } from './loghub';

/** The verification gate's usual thresholds: a score of PASS or more passes, MARGINAL or more is marginal. */
const PASS = 80;
const MARGINAL = 60;
const NEW_ERROR_LINES = 5;
const BURST_LINES = 20;
/** A burst is of a rare warning: its event has at most this many lines in the whole log, so 20 more at least doubles it. */
const BURST_EVENT_LINES = 20;

export const CASES = ['healthy', 'healthy-random', 'new-error', 'warning-burst'] as const;
export type CaseName = (typeof CASES)[number];

export interface CaseResult {
  score: number;
  failed: boolean;
  verdict: 'pass' | 'marginal' | 'fail';
  /** The unexpected clusters, worst first (kind, topic, counts, template). */
  unexpected: string[];
  /** For a case that added lines: whether an unexpected cluster holds them (not only other clusters' noise). */
  flagged?: boolean;
}

export type SystemResult = Partial<Record<CaseName, CaseResult | null>>;

interface Case {
  baseline: string[];
  canary: string[];
  /** The lines the case added to the canary (a new error, a burst). */
  injected?: string[];
  /** A time (ms) given for some canary lines, by index, as a log provider gives it; the others' is read from their text. */
  canaryTimesMs?: ReadonlyMap<number, number>;
}

/** How the cases are made beyond the seed. */
export interface CaseOptions {
  /** The burst's lines come evenly over this many seconds from its event's own time (0: all at that time). */
  burstSpreadSeconds?: number;
  /** The healthy split gives each side alternate blocks of this many consecutive events (seeded shift), not alternate events. */
  splitBlocks?: number;
}

/**
 * A log the cases are made from: its events (a line, or a line and the stack trace under it) with the ground
 * truth of each, and how to write a new error in its format.
 */
export interface CaseSource {
  name: string;
  events: readonly (readonly string[])[];
  /** The event kind of each event (its ground-truth template). */
  kinds: readonly string[];
  /** Whether each event is a warning. */
  warnings: readonly boolean[];
  /** Given the canary's events, writes a new error in the log's format beside an existing event. */
  newError(canary: readonly (readonly string[])[]): (random: Random, near: readonly string[]) => string[];
}

/** A Loghub system as a case source: one line an event, warnings by the default topics. */
export function loghubSource(system: LoghubSystem): CaseSource {
  const lines = readLogLines(system.logFile).map((line) => line.trim());
  const classifier = topicClassifier();
  return {
    name: system.name,
    events: lines.map((line) => [line]),
    kinds: system.templates,
    warnings: lines.map((line) => classifier.classify(line).topic === 'WARN'),
    newError: (canary) => {
      const { regex } = logFormatRegex(system.format.log_format);
      const withIndices = new RegExp(regex.source, 'd');
      const level = errorSpelling(canary.map((event) => event[0]!));
      return (random, near) => {
        const line = near[0]!;
        const content = (
          withIndices.exec(line) as
            (RegExpExecArray & { indices?: { groups?: Record<string, [number, number]> } }) | null
        )?.indices?.groups?.Content;
        if (!content) throw new Error(`${system.name}: line does not match its log_format: ${line}`);
        const message = `${level}: cannot allocate ${random.integer(1, 1 << 20)} bytes for request queue ${random.integer(1, 64)}`;
        return [line.slice(0, content[0]) + message + line.slice(content[1])];
      };
    },
  };
}

/** The baseline and canary of each case for one log; null for a case the log has no event for. */
export function comparisonCases(
  source: CaseSource,
  seed: number,
  options: CaseOptions = {},
): Record<CaseName, Case | null> {
  const { events } = source;
  const random = createRandom(seed);
  const blocks = options.splitBlocks ?? 1;
  // The even/odd split draws nothing, so the coin and the cases below see the same draws as before.
  const shift = blocks > 1 ? random.integer(0, blocks - 1) : 0;
  const onBaseline = (i: number) => Math.floor((i + shift) / blocks) % 2 === 0;
  const baseline = events.filter((_, i) => onBaseline(i));
  const canary = events.filter((_, i) => !onBaseline(i));
  const coin: EventCase = { baseline: [], canary: [] };
  for (const event of events) (random.next() < 0.5 ? coin.baseline : coin.canary).push(event);
  return {
    healthy: flatten({ baseline, canary }),
    'healthy-random': flatten(coin),
    'new-error': flatten(withNewError(source, baseline, canary, random)),
    'warning-burst': burst(source, baseline, canary, random, options.burstSpreadSeconds ?? 0),
  };
}

type Event = readonly string[];
interface EventCase {
  baseline: Event[];
  canary: Event[];
  injected?: Event[];
}

/** The lines of each side, and each added event as the analysis shows it (its lines joined). */
const flatten = (c: EventCase): Case => ({
  baseline: c.baseline.flat(),
  canary: c.canary.flat(),
  ...(c.injected ? { injected: c.injected.map((event) => event.join('\n')) } : {}),
});

/** Five new errors in the log's format, each beside a random canary event. */
function withNewError(source: CaseSource, baseline: Event[], canary: readonly Event[], random: Random): EventCase {
  const write = source.newError(canary);
  const out = [...canary];
  const injected: Event[] = [];
  for (let n = 0; n < NEW_ERROR_LINES; n++) {
    const at = random.integer(0, out.length - 1);
    const event = write(random, out[at]!);
    injected.push(event);
    out.splice(at + 1, 0, event);
  }
  return { baseline, canary: out, injected };
}

/**
 * How the system writes the level word: its most frequent spelling of `error`; a system that never writes it
 * gets the case of its other level words (`INFO`/`WARN` → `ERROR`, `Warning` → `Error`), else `error`.
 */
export function errorSpelling(lines: readonly string[]): string {
  const spellings = new Map<string, number>();
  const count = (pattern: RegExp) => {
    spellings.clear();
    for (const line of lines)
      for (const match of line.matchAll(pattern)) spellings.set(match[0], (spellings.get(match[0]) ?? 0) + 1);
    return [...spellings].sort((a, b) => b[1] - a[1])[0]?.[0];
  };
  const error = count(/\berror\b/gi);
  if (error) return error;
  const other = count(/\b(?:info|warn|warning|debug|notice)\b/gi);
  if (!other) return 'error';
  if (other === other.toUpperCase()) return 'ERROR';
  if (other[0] === other[0]!.toUpperCase()) return 'Error';
  return 'error';
}

/**
 * One existing warning event of a rare kind, repeated BURST_LINES times in the canary; with a spread, the k-th
 * copy is given the event's time plus k × spread ÷ BURST_LINES seconds (an event whose time is not read is not re-timed).
 */
function burst(
  source: CaseSource,
  baseline: Event[],
  canary: readonly Event[],
  random: Random,
  spreadSeconds: number,
): Case | null {
  const kindEvents = new Map<string, number>();
  for (const kind of source.kinds) kindEvents.set(kind, (kindEvents.get(kind) ?? 0) + 1);
  const warnings = source.events.filter((_, i) => source.warnings[i]);
  if (warnings.length === 0) return null;
  const rare = source.events.filter(
    (_, i) => source.warnings[i] && kindEvents.get(source.kinds[i]!)! <= BURST_EVENT_LINES,
  );
  const pool = rare.length > 0 ? rare : warnings;
  const event = pool[random.integer(0, pool.length - 1)]!;
  const out = [...canary];
  const at = random.integer(0, out.length);
  out.splice(at, 0, ...Array.from({ length: BURST_LINES }, () => event));
  const result = flatten({ baseline, canary: out, injected: [event] });
  const eventSeconds = lineSeconds(event[0]!);
  if (spreadSeconds > 0 && eventSeconds !== undefined) {
    const firstLine = out.slice(0, at).reduce((lines, e) => lines + e.length, 0);
    result.canaryTimesMs = new Map(
      Array.from({ length: BURST_LINES }, (_, k) => [
        firstLine + k * event.length,
        (eventSeconds + (k * spreadSeconds) / BURST_LINES) * 1000,
      ]),
    );
  }
  return result;
}

function verdict(analysis: LogAnalysis): CaseResult['verdict'] {
  if (analysis.failed || analysis.score < MARGINAL) return 'fail';
  return analysis.score < PASS ? 'marginal' : 'pass';
}

export function runCase(c: Case): CaseResult {
  // Every example kept, so the clusters holding the added lines can be found.
  const comparison = new LogComparison({ examplesPerSide: Number.MAX_SAFE_INTEGER });
  for (const line of c.baseline) comparison.add('baseline', line);
  for (const [i, line] of c.canary.entries()) comparison.add('canary', line, c.canaryTimesMs?.get(i));
  const analysis = comparison.finish();
  const injected = new Set(c.injected);
  return {
    ...(c.injected
      ? { flagged: analysis.clusters.some((k) => k.unexpected && k.examples.canary.some((line) => injected.has(line))) }
      : {}),
    score: analysis.score,
    failed: analysis.failed,
    verdict: verdict(analysis),
    unexpected: analysis.clusters
      .filter((cluster) => cluster.unexpected)
      .map(
        (cluster) =>
          `${cluster.critical ? 'CRITICAL ' : ''}${cluster.kind} ${cluster.topic} ${cluster.baselineCount}→${cluster.canaryCount}: ${cluster.template.slice(0, 120)}`,
      ),
  };
}

/** Runs every case on every system and prints a table; returns the JSON part of the bench's result. */
export function comparison(
  sources: readonly CaseSource[],
  seed: number,
  verbose: boolean,
  options: CaseOptions = {},
): Record<string, unknown> {
  const results: Record<string, SystemResult> = {};
  const cell = (r: CaseResult | null | undefined) =>
    r
      ? `${r.failed ? 'failed' : r.score.toFixed(0)} ${r.verdict}${r.flagged === undefined ? '' : r.flagged ? ' +' : ' -'}`
      : '(no line)';
  console.log(
    `log comparison, seed ${seed}${options.burstSpreadSeconds ? `, burst spread over ${options.burstSpreadSeconds} s` : ''}${options.splitBlocks && options.splitBlocks > 1 ? `, healthy split in blocks of ${options.splitBlocks}` : ''}: score and verdict (pass ≥ ${PASS}, marginal ≥ ${MARGINAL}; failed = critical)`,
  );
  const width = Math.max(12, ...sources.map((s) => s.name.length));
  console.log(`${'log'.padEnd(width)} ${CASES.map((c) => c.padEnd(16)).join(' ')}`);
  for (const system of sources) {
    const cases = comparisonCases(system, seed, options);
    const result: SystemResult = {};
    for (const name of CASES) result[name] = cases[name] && runCase(cases[name]);
    results[system.name] = result;
    console.log(`${system.name.padEnd(width)} ${CASES.map((c) => cell(result[c]).padEnd(16)).join(' ')}`);
    if (verbose)
      for (const name of CASES)
        for (const line of result[name]?.unexpected.slice(0, 6) ?? []) console.log(`    ${name}: ${line}`);
  }
  const all = Object.values(results);
  const count = (name: CaseName, want: (r: CaseResult) => boolean) => {
    const present = all.map((r) => r[name]).filter((r): r is CaseResult => !!r);
    return { of: present.length, count: present.filter(want).length };
  };
  const summary = {
    healthyPass: count('healthy', (r) => r.verdict === 'pass'),
    healthyRandomPass: count('healthy-random', (r) => r.verdict === 'pass'),
    newErrorCaught: count('new-error', (r) => r.verdict !== 'pass'),
    newErrorFlagged: count('new-error', (r) => r.flagged === true),
    burstCaught: count('warning-burst', (r) => r.verdict !== 'pass'),
    burstFlagged: count('warning-burst', (r) => r.flagged === true),
  };
  const mean = (name: CaseName) => {
    const present = all.map((r) => r[name]).filter((r): r is CaseResult => !!r);
    return Math.round((present.reduce((sum, r) => sum + (r.failed ? 0 : r.score), 0) / present.length) * 10) / 10;
  };
  console.log(
    `healthy pass ${summary.healthyPass.count}/${summary.healthyPass.of} (mean ${mean('healthy')}), ` +
      `healthy-random pass ${summary.healthyRandomPass.count}/${summary.healthyRandomPass.of} (mean ${mean('healthy-random')}), ` +
      `new error caught ${summary.newErrorCaught.count}/${summary.newErrorCaught.of} ` +
      `(its lines in an unexpected cluster: ${summary.newErrorFlagged.count}), ` +
      `warning burst caught ${summary.burstCaught.count}/${summary.burstCaught.of} ` +
      `(its lines in an unexpected cluster: ${summary.burstFlagged.count})`,
  );
  const compact = Object.fromEntries(
    Object.entries(results).map(([name, r]) => [
      name,
      Object.fromEntries(
        CASES.map((c) => [
          c,
          r[c] ? { score: r[c].score, failed: r[c].failed, verdict: r[c].verdict, flagged: r[c].flagged } : null,
        ]),
      ),
    ]),
  );
  return { seed, systems: compact, summary };
}
