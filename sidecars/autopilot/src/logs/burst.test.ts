import { analyzeLogs, type LogAnalysis } from './analysis';

// Two hours of a service's log from 10:00: INFO lines every 7 s, a warning kind it logs now and then, and a few
// other warning kinds, each line with its ISO time as most layouts write it.
const START = Date.UTC(2026, 11, 7, 10, 0, 0);
const SPAN_SECONDS = 2 * 3600;
const at = (seconds: number) => new Date(START + seconds * 1000).toISOString();
const info = (s: number, i: number) => `${at(s)} INFO [main] OrderService - request ${i} served in ${i % 97} ms`;
const replica = (s: number, i: number) =>
  `${at(s)} WARN [io-${i % 4}] ReplicaClient - replica r${i % 5} slow to answer, retrying block ${1000 + i}`;
const others = (s: number, i: number) => [
  `${at(s)} WARN [main] CacheService - cache miss ratio ${i % 50} above limit`,
  `${at(s + 1)} WARN [main] PoolMonitor - connection pool at ${80 + (i % 20)} % of its size`,
];

/** The times, in seconds from START, of `count` events spread over the two hours (evenly, offset by `phase`). */
const spread = (count: number, phase = 0) =>
  Array.from({ length: count }, (_, i) => Math.floor(((i + phase) * SPAN_SECONDS) / count) % SPAN_SECONDS);

function side(replicaTimes: readonly number[], phase: number, timed = true): string[] {
  const lines: [number, string][] = [];
  for (let i = 0; i * 7 + phase < SPAN_SECONDS; i++) lines.push([i * 7 + phase, info(i * 7 + phase, i)]);
  replicaTimes.forEach((s, i) => lines.push([s, replica(s, i)]));
  for (let i = 0; i < 30; i++) for (const line of others(i * 240 + phase, i)) lines.push([i * 240 + phase, line]);
  const sorted = lines.sort((a, b) => a[0] - b[0]).map(([, line]) => line);
  return timed ? sorted : sorted.map((line) => line.slice(line.indexOf(' ') + 1));
}

const replicaCluster = (analysis: LogAnalysis) => analysis.clusters.find((c) => c.template.includes('replica'))!;

describe('a warning burst into a kind the baseline already logs (decision 247)', () => {
  // The baseline spreads its 38 replica warnings over the two hours; the canary logs 40 spread the same way and
  // 22 more within 40 s: 38 → 62 over the interval is not beyond chance, when they came is.
  const baseline = side(spread(38), 0);
  const burst = Array.from({ length: 22 }, (_, i) => 3000 + Math.floor((i * 40) / 22));
  const canary = side([...spread(40, 0.5), ...burst], 3);

  it('finds the burst, says what it saw and does not pass', () => {
    const analysis = analyzeLogs(baseline, canary);
    const cluster = replicaCluster(analysis);
    expect(cluster).toMatchObject({ kind: 'burst', unexpected: true, baselineCount: 38, canaryCount: 62 });
    expect(cluster.burst).toMatchObject({ windowSeconds: 60, canaryCount: 62, baselineCount: 38 });
    expect(cluster.burst!.canaryInWindow).toBeGreaterThanOrEqual(22);
    expect(cluster.burst!.baselineInWindow).toBeLessThanOrEqual(2);
    expect(analysis.reasons).toContainEqual(
      expect.stringMatching(
        /^burst: (22|23) of the canary's 62 lines within 60 s; the baseline's busiest 60 s held [12] of its 38: .*replica/,
      ),
    );
    expect(analysis.score).toBeLessThan(80);
  });

  it('passes the same counts spread over the interval: the count test alone does not see 38 → 62', () => {
    const analysis = analyzeLogs(baseline, side(spread(62, 0.5), 3));
    expect(replicaCluster(analysis)).toMatchObject({ kind: 'both', unexpected: false, canaryCount: 62 });
    expect(analysis.score).toBe(100);
  });

  it('passes a canary as bursty as its baseline: the null is the baseline’s own burstiness', () => {
    // Both sides log the kind in bursts of about a dozen within a minute, at different times.
    const bursts = (starts: readonly number[], size: number) =>
      starts.flatMap((start) => Array.from({ length: size }, (_, i) => start + i * 4));
    const analysis = analyzeLogs(
      side(bursts([600, 2400, 4800], 12), 0),
      side([...bursts([1200, 3600], 13), ...bursts([6000], 14)], 3),
    );
    expect(replicaCluster(analysis)).toMatchObject({ kind: 'both', unexpected: false });
    expect(analysis.score).toBe(100);
  });

  it('does not test an interval shorter than ten windows, where one window holds most of a cluster by chance', () => {
    // The same logs squeezed into five minutes: the burst is still 22 lines within 40 s of its own.
    const squeeze = (lines: readonly string[]) =>
      lines.map((line) => {
        const seconds = (Date.parse(line.slice(0, 24)) - START) / 1000;
        return at(Math.floor(seconds / 24)) + line.slice(24);
      });
    const analysis = analyzeLogs(squeeze(baseline), squeeze(canary));
    expect(replicaCluster(analysis)).toMatchObject({ kind: 'both', unexpected: false, canaryCount: 62 });
  });

  it('does not test lines whose time is not read: the burst is then only counted', () => {
    const analysis = analyzeLogs(side(spread(38), 0, false), side([...spread(40, 0.5), ...burst], 3, false));
    expect(replicaCluster(analysis)).toMatchObject({ kind: 'both', unexpected: false, canaryCount: 62 });
    expect(analysis.clusters.some((c) => c.burst)).toBe(false);
  });

  it('keeps times in bounded memory: past its bucket bound it stops, says so, and still scores by counts', () => {
    // 200,001 events, each in its own 5 s bucket: more buckets than the comparison keeps.
    const many = Array.from({ length: 200_001 }, (_, i) => info(i * 5, i));
    const analysis = analyzeLogs(many.slice(0, 100_000), many.slice(100_000));
    expect(analysis.reasons).toContainEqual(
      expect.stringMatching(/^bursts not tested: the events' times fill more than/),
    );
    expect(analysis.score).toBe(100);
  });
});
