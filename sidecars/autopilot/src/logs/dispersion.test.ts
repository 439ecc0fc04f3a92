import { analyzeLogs, dispersion, sideWindows } from './analysis';

// Decision 257: a kind logged in runs is tested by its independent events, not its lines.
const START_MS = Date.UTC(2026, 11, 8, 10, 0, 0);
const at = (seconds: number) => new Date(START_MS + seconds * 1000).toISOString();

/** 1000 info lines, one every 3 s, and the warnings at their seconds (another warning kind at its own): one side. */
function side(
  warningSeconds: readonly number[],
  message: string,
  otherWarningSeconds: readonly number[] = [],
): string[] {
  const lines = Array.from({ length: 1000 }, (_, i) => ({ seconds: i * 3, text: `INFO request ${i} served in 12 ms` }));
  for (const seconds of warningSeconds) lines.push({ seconds, text: message });
  for (const seconds of otherWarningSeconds)
    lines.push({ seconds, text: 'WARN cache rebuild slow, serving stale entries' });
  return lines.sort((a, b) => a.seconds - b.seconds).map(({ seconds, text }) => `${at(seconds)} ${text}`);
}

/** `count` events one after another, 2 s apart, from each start. */
const runs = (starts: readonly number[], count: number) =>
  starts.flatMap((start) => Array.from({ length: count }, (_, i) => start + 2 * i));
/** `count` events evenly over the interval. */
const spreadOut = (count: number) => Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * 3000) / count));

const RESET = 'WARN connection reset by peer, retrying';
const resetCluster = (baseline: string[], canary: string[]) =>
  analyzeLogs(baseline, canary).clusters.find((c) => c.template.includes('connection reset'))!;

describe('dispersion of a kind over its side’s windows', () => {
  // 1000 events, 5 s buckets of 2 events: windows of 50 events, 20 of them.
  const allBuckets = new Map(Array.from({ length: 500 }, (_, bucket) => [bucket, 2] as const));
  const windows = sideWindows(allBuckets)!;

  it('cuts a side into windows of at least 50 events, whole buckets', () => {
    expect(windows.count).toBe(20);
    expect(windows.windowOf.get(0)).toBe(0);
    expect(windows.windowOf.get(24)).toBe(0);
    expect(windows.windowOf.get(25)).toBe(1);
    expect(windows.windowOf.get(499)).toBe(19);
  });

  it('is 1 for events one to a window, and about the run length for runs', () => {
    const single = new Map(Array.from({ length: 10 }, (_, i) => [i * 50, 1] as const));
    expect(dispersion(single, 10, windows)).toBe(1);
    const oneRun = new Map([[100, 12]]);
    expect(dispersion(oneRun, 12, windows)).toBeGreaterThan(10);
    expect(dispersion(oneRun, 12, windows)).toBeLessThan(12);
  });

  it('is 1 without windows (too few of them, or untimed events)', () => {
    expect(sideWindows(new Map([[0, 400]]))).toBeUndefined();
    expect(dispersion(new Map([[100, 12]]), 12, undefined)).toBe(1);
  });
});

describe('a kind logged in runs is as much evidence as its runs (decision 257)', () => {
  // The baseline's one warning kind comes in runs of 12 (as the canary's), or one at a time.
  const inRuns = side([], 'INFO cache warmed', runs([200, 1200, 2200], 12));
  const singly = side([], 'INFO cache warmed', spreadOut(36));

  it('a new warning in one run of 12, where the log’s warnings come in such runs, is one event’s worth', () => {
    expect(resetCluster(inRuns, side(runs([1500], 12), RESET, runs([700, 2700], 12)))).toMatchObject({
      kind: 'canary-only',
      canaryCount: 12,
      unexpected: false,
    });
  });

  it('is new where the log’s warnings come singly: a canary does not excuse a new kind by logging it at once', () => {
    expect(resetCluster(singly, side(runs([1500], 12), RESET, spreadOut(24)))).toMatchObject({
      kind: 'canary-only',
      unexpected: true,
    });
  });

  it('the same 12 spread over the interval are 12 events: new', () => {
    expect(resetCluster(inRuns, side(spreadOut(12), RESET, runs([700, 2700], 12)))).toMatchObject({
      kind: 'canary-only',
      unexpected: true,
    });
  });

  it('runs of 8, twice in the baseline and five times in the canary, are not an increase', () => {
    const cluster = resetCluster(side(runs([300, 2100], 8), RESET), side(runs([100, 700, 1300, 1900, 2500], 8), RESET));
    expect(cluster).toMatchObject({ kind: 'both', baselineCount: 16, canaryCount: 40, unexpected: false });
  });

  it('16 → 40 events spread over the interval are an increase', () => {
    const cluster = resetCluster(side(spreadOut(16), RESET), side(spreadOut(40), RESET));
    expect(cluster).toMatchObject({ kind: 'increased', baselineCount: 16, canaryCount: 40, unexpected: true });
  });
});
