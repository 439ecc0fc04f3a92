import { analyzeLogStreams, analyzeLogs, type LogAnalysis } from './analysis';

import { START_MS, burstBaseline, burstCanary, info, serviceLog, spread, type TimedMessage } from '@isd/test-support';

// Each line with its ISO time at its head, as most layouts write it.
const at = (seconds: number) => new Date(START_MS + seconds * 1000).toISOString();
const withTime = (lines: readonly TimedMessage[]) => lines.map(({ seconds, message }) => `${at(seconds)} ${message}`);
const side = (replicaTimes: readonly number[], phase: number) => withTime(serviceLog(replicaTimes, phase));

const replicaCluster = (analysis: LogAnalysis) => analysis.clusters.find((c) => c.template.includes('replica'))!;

describe('a warning burst into a kind the baseline already logs (decision 247)', () => {
  const baseline = withTime(burstBaseline());
  const canary = withTime(burstCanary());

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

  describe('a burst spread over minutes, tested against both sides’ own spread (decision 251)', () => {
    // The canary's 22 extra warnings come evenly over four minutes from 3000 s: a minute holds 5 or 6 of them.
    const overFourMinutes = Array.from({ length: 22 }, (_, i) => 3000 + Math.floor((i * 240) / 22));

    it('finds it in a five-minute window and says so', () => {
      const analysis = analyzeLogs(baseline, side([...spread(40, 0.5), ...overFourMinutes], 3));
      const cluster = replicaCluster(analysis);
      expect(cluster).toMatchObject({ kind: 'burst', unexpected: true, canaryCount: 62 });
      expect(cluster.burst).toMatchObject({ windowSeconds: 300, baselineInWindow: 2, baselineCount: 38 });
      expect(cluster.burst!.canaryInWindow).toBeGreaterThanOrEqual(22);
      expect(analysis.reasons).toContainEqual(
        expect.stringMatching(
          /^burst: 2[2-4] of the canary's 62 lines within 300 s; the baseline's busiest 300 s held 2 of its 38: .*replica/,
        ),
      );
      expect(analysis.score).toBeLessThan(80);
    });

    it('counts the baseline’s own noise in a longer window: a healthy burst the sides split unevenly is not one', () => {
      // Both sides log the kind in one burst of a few minutes, spread enough that no minute holds much of it, and a
      // few more over the two hours: the canary's 19 of 23 within five minutes against the baseline's 11 of 22 is
      // chance once the baseline's share is a sample too (Fisher p ≈ 0.02); taken as known, 12 / 23, it would not be
      // (p ≈ 0.001, the longer window decision 247 dropped).
      const burstAt = (start: number, size: number, every: number) =>
        Array.from({ length: size }, (_, i) => start + i * every);
      const analysis = analyzeLogs(
        side([...burstAt(1800, 11, 25), ...spread(11, 0.3)], 0),
        side([...burstAt(4200, 19, 14), ...spread(4, 0.6)], 3),
      );
      expect(replicaCluster(analysis)).toMatchObject({ kind: 'both', unexpected: false, canaryCount: 23 });
      expect(analysis.score).toBe(100);
    });
  });

  it('does not test an interval shorter than ten windows, where one window holds most of a cluster by chance', () => {
    // The same logs squeezed into five minutes: the burst is still 22 lines within 40 s of its own.
    const squeeze = (lines: readonly string[]) =>
      lines.map((line) => {
        const seconds = (Date.parse(line.slice(0, 24)) - START_MS) / 1000;
        return at(Math.floor(seconds / 24)) + line.slice(24);
      });
    const analysis = analyzeLogs(squeeze(baseline), squeeze(canary));
    expect(replicaCluster(analysis)).toMatchObject({ kind: 'both', unexpected: false, canaryCount: 62 });
  });

  it('does not test lines whose time is not read: the burst is then only counted', () => {
    const untimed = (lines: readonly TimedMessage[]) => lines.map((line) => line.message);
    const analysis = analyzeLogs(untimed(burstBaseline()), untimed(burstCanary()));
    expect(replicaCluster(analysis)).toMatchObject({ kind: 'both', unexpected: false, canaryCount: 62 });
    expect(analysis.clusters.some((c) => c.burst)).toBe(false);
  });

  describe('a log provider’s own time of each line (decision 248)', () => {
    const fromProvider = (lines: readonly { text: string; timeMs?: number }[]) =>
      (async function* () {
        yield* lines;
      })();
    const providerTimed = (log: readonly TimedMessage[]) =>
      log.map(({ seconds, message }) => ({ text: message, timeMs: START_MS + seconds * 1000 }));

    it('finds a burst in lines whose text carries no time', async () => {
      const analysis = await analyzeLogStreams(
        fromProvider(providerTimed(burstBaseline())),
        fromProvider(providerTimed(burstCanary())),
      );
      expect(replicaCluster(analysis)).toMatchObject({ kind: 'burst', baselineCount: 38, canaryCount: 62 });
    });

    it('is preferred to the time in the text', async () => {
      // The canary's replica warnings come spread out by the provider's times; their text says they came in a burst.
      const burstTimes = burstCanary()
        .filter((line) => line.message.includes('ReplicaClient'))
        .map((line) => line.seconds);
      let replicaIndex = 0;
      const canary = serviceLog(spread(62, 0.5), 3).map(({ seconds, message }) => ({
        text: `${at(message.includes('ReplicaClient') ? burstTimes[replicaIndex++]! : seconds)} ${message}`,
        timeMs: START_MS + seconds * 1000,
      }));
      const baselineLines = burstBaseline().map(({ seconds, message }) => ({
        text: `${at(seconds)} ${message}`,
        timeMs: START_MS + seconds * 1000,
      }));
      const byProvider = await analyzeLogStreams(fromProvider(baselineLines), fromProvider(canary));
      expect(replicaCluster(byProvider)).toMatchObject({ kind: 'both', unexpected: false, canaryCount: 62 });
      // The same lines read by their text alone: the burst the text claims.
      const byText = analyzeLogs(
        baselineLines.map((line) => line.text),
        canary.map((line) => line.text),
      );
      expect(replicaCluster(byText)).toMatchObject({ kind: 'burst' });
    });
  });

  it('keeps times in bounded memory: past its bucket bound it stops, says so, and still scores by counts', () => {
    // 200,001 events, each in its own 5 s bucket: more buckets than the comparison keeps.
    const many = Array.from({ length: 200_001 }, (_, i) => `${at(i * 5)} ${info(i)}`);
    const analysis = analyzeLogs(many.slice(0, 100_000), many.slice(100_000));
    expect(analysis.reasons).toContainEqual(
      expect.stringMatching(/^bursts not tested: the events' times fill more than/),
    );
    expect(analysis.score).toBe(100);
  });
});
