// Windows and the multi-interval early-stop rule (Kayenta standalone canary analysis semantics).
import { analysisWindows, classifyScore, decideRun } from './scoring';

describe('analysis windows', () => {
  it('grows from the start by default and slides with a look-back', () => {
    const minute = 60_000;
    expect(
      analysisWindows({ startMs: 0, lifetimeMs: 60 * minute, intervalMs: 20 * minute }).map((w) => [
        w.startMs,
        w.endMs,
      ]),
    ).toEqual([
      [0, 20 * minute],
      [0, 40 * minute],
      [0, 60 * minute],
    ]);
    expect(
      analysisWindows({
        startMs: 0,
        lifetimeMs: 60 * minute,
        intervalMs: 20 * minute,
        lookbackMs: 15 * minute,
        beginAfterMs: minute,
      }).map((w) => [w.startMs, w.endMs]),
    ).toEqual([
      [6 * minute, 21 * minute],
      [26 * minute, 41 * minute],
      [46 * minute, 61 * minute],
    ]);
    expect(analysisWindows({ startMs: 5, lifetimeMs: 100 })).toEqual([{ index: 0, startMs: 5, endMs: 105 }]);
    expect(() => analysisWindows({ startMs: 0, lifetimeMs: 0 })).toThrow(/lifetimeMs/);
  });
});

describe('run decision', () => {
  const thresholds = { pass: 90, marginal: 60 };
  it('stops early when an interval scores at or below marginal', () => {
    expect(decideRun([100, 60], 4, thresholds)).toMatchObject({ status: 'fail', stoppedEarly: true });
    expect(decideRun([100, 61], 4, thresholds)).toMatchObject({ status: 'running', stoppedEarly: false });
  });
  it('decides on the last interval only', () => {
    expect(decideRun([70, 95], 2, thresholds).status).toBe('pass');
    expect(decideRun([95, 75], 2, thresholds).status).toBe('marginal');
    expect(decideRun([95, 40], 2, thresholds).status).toBe('fail');
    expect(classifyScore(60, thresholds)).toBe('marginal');
  });
});
