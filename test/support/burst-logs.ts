// Two hours of a service's log from 10:00 for the burst test (decision 247): INFO lines every 7 s, a warning kind
// it logs now and then, and a few other warning kinds. Each message comes with when it was logged, so a test can
// write the time into the text (as most layouts do) or hand it over as a log provider's own timestamp.

export const START_MS = Date.UTC(2026, 11, 7, 10, 0, 0);
export const SPAN_SECONDS = 2 * 3600;

export interface TimedMessage {
  /** Seconds from START_MS. */
  seconds: number;
  message: string;
}

export const info = (i: number) => `INFO [main] OrderService - request ${i} served in ${i % 97} ms`;
const replica = (i: number) =>
  `WARN [io-${i % 4}] ReplicaClient - replica r${i % 5} slow to answer, retrying block ${1000 + i}`;

/** The times, in seconds from START_MS, of `count` events spread over the two hours (evenly, offset by `phase`). */
export const spread = (count: number, phase = 0) =>
  Array.from({ length: count }, (_, i) => Math.floor(((i + phase) * SPAN_SECONDS) / count) % SPAN_SECONDS);

/** One side's log, in time order: the replica warning at `replicaTimes`, the rest shifted by `phase` seconds. */
export function serviceLog(replicaTimes: readonly number[], phase: number): TimedMessage[] {
  const lines: TimedMessage[] = [];
  for (let i = 0; i * 7 + phase < SPAN_SECONDS; i++) lines.push({ seconds: i * 7 + phase, message: info(i) });
  replicaTimes.forEach((seconds, i) => lines.push({ seconds, message: replica(i) }));
  for (let i = 0; i < 30; i++) {
    const seconds = i * 240 + phase;
    lines.push({ seconds, message: `WARN [main] CacheService - cache miss ratio ${i % 50} above limit` });
    lines.push({
      seconds: seconds + 1,
      message: `WARN [main] PoolMonitor - connection pool at ${80 + (i % 20)} % of its size`,
    });
  }
  return lines.sort((a, b) => a.seconds - b.seconds);
}

/**
 * The baseline spreads its 38 replica warnings over the two hours; the canary logs 40 spread the same way and
 * 22 more within 40 s: 38 → 62 over the interval is not beyond chance, when they came is.
 */
const BURST_TIMES = Array.from({ length: 22 }, (_, i) => 3000 + Math.floor((i * 40) / 22));
export const burstBaseline = () => serviceLog(spread(38), 0);
export const burstCanary = () => serviceLog([...spread(40, 0.5), ...BURST_TIMES], 3);

/** A log window holding both sides' two hours, as a test reads them back from a log provider. */
export const BURST_WINDOW = { startMs: START_MS, endMs: START_MS + SPAN_SECONDS * 1000 + 60_000 };

/** The cluster of the replica warning among an analysis's clusters. */
export const replicaCluster = <T extends { template: string }>(clusters: readonly T[]): T | undefined =>
  clusters.find((c) => c.template.includes('replica'));
