// The third held-out set's simulators are deterministic and their families are what their names say.
import { createRandom, mean } from '@isd/autopilot';
import { generateHeldOut3Runs, HELDOUT3_FAMILIES, endpointLatencySide } from './heldout3';
import { BUCKET_LAYOUTS } from './production';

const finite = (values: number[]) => values.filter((value) => Number.isFinite(value));
const meanOf = (values: number[]) => mean(finite(values));
const spread = (values: number[]) => {
  const m = meanOf(values);
  return Math.sqrt(meanOf(values.map((v) => (v - m) ** 2)));
};
const runsOf = (prefix: string, count = 20, seed = 3) => generateHeldOut3Runs(seed, count, (f) => f.startsWith(prefix));

describe('held-out set 3', () => {
  it('generates the same runs from the same seed, other runs from another, each family from its own stream', () => {
    const runs = generateHeldOut3Runs(5, 1);
    expect(generateHeldOut3Runs(5, 1)).toEqual(runs);
    expect(generateHeldOut3Runs(6, 1, (f) => f === runs[0]!.family)[0]!.metrics[0]!.canary.values).not.toEqual(
      runs[0]!.metrics[0]!.canary.values,
    );
    expect(runsOf('A/A rare', 1, 5)).toEqual(runs.filter((run) => run.family.startsWith('A/A rare')));
    expect(new Set(runs.map((run) => run.family))).toEqual(new Set(HELDOUT3_FAMILIES.map((f) => f.name)));
  });

  it('makes the requests that arrive during a pause wait, which raises the p99 and the mean', () => {
    const random = createRandom(4);
    const endpoints = [{ model: { medianSeconds: 0.05, sigma: 0.5, slowShare: 0.01, slowFactor: 5 }, share: 1 }];
    const rps = new Array<number>(200).fill(50);
    const side = (pauseShare: number, stat: 'p99' | 'mean') =>
      meanOf(
        endpointLatencySide(
          random,
          rps,
          15,
          endpoints,
          BUCKET_LAYOUTS[1]!,
          stat,
          () => ({ scales: [1], pauseSeconds: 2, pauseShare }),
          [],
        ),
      );
    expect(side(0.05, 'p99') / side(0, 'p99')).toBeGreaterThan(1.3);
    // 5 % of requests wait 1 s on average: the mean rises by about 50 ms.
    expect(side(0.05, 'mean') - side(0, 'mean')).toBeGreaterThan(0.03);
  });

  it('moves the canary the way each regression family says, and keeps healthy ones equal', () => {
    const ratio = (prefix: string) =>
      runsOf(prefix).map((run) => meanOf(run.metrics[0]!.canary.values) / meanOf(run.metrics[0]!.baseline.values));
    // The late regression is in the last fifth only.
    for (const run of runsOf('late regression')) {
      const { baseline, canary } = run.metrics[0]!;
      const from = Math.ceil(0.8 * baseline.values.length);
      const [early, late] = [0, from].map(
        (start, i) =>
          meanOf(canary.values.slice(start, i === 0 ? from : undefined)) /
          meanOf(baseline.values.slice(start, i === 0 ? from : undefined)),
      );
      expect(late! / early!).toBeGreaterThan(1.08); // +30–60 %, seen through bucket interpolation
    }
    expect(Math.min(...ratio('CPU % bounded at 100: cost'))).toBeGreaterThan(1);
    expect(Math.max(...ratio('constant gauge: canary'))).toBeLessThan(0.85);
    expect(mean(ratio('slow leak'))).toBeGreaterThan(1.01);
    for (const healthy of ['A/A CPU % bounded', 'A/A constant gauge', 'A/A five endpoints']) {
      for (const r of ratio(healthy)) expect(Math.abs(r - 1)).toBeLessThan(0.1);
    }
  });

  it('bounds CPU utilisation at 100 % and pins a saturated side there', () => {
    for (const run of runsOf('CPU % bounded at 100: cost')) {
      const { baseline, canary } = run.metrics[0]!;
      for (const v of [...baseline.values, ...canary.values]) expect(v).toBeLessThanOrEqual(100);
    }
    const pinned = runsOf('CPU % bounded at 100: cost').filter(
      (run) => run.metrics[0]!.canary.values.filter((v) => v > 99.5).length > 10,
    );
    expect(pinned.length).toBeGreaterThan(5);
  });

  it('keeps a constant gauge exactly constant, and rare errors rare', () => {
    for (const run of runsOf('A/A constant gauge')) {
      const { baseline, canary } = run.metrics[0]!;
      expect(new Set(finite([...baseline.values, ...canary.values])).size).toBe(1);
    }
    const sums = runsOf('A/A rare errors', 50).map((run) =>
      finite(run.metrics[0]!.baseline.values).reduce((a, b) => a + b, 0),
    );
    expect(Math.max(...sums)).toBeLessThan(12);
    expect(sums.filter((sum) => sum === 0).length).toBeGreaterThan(3);
    const canaryErrors = runsOf('new rare failure', 50).map((run) =>
      finite(run.metrics[0]!.canary.values).reduce((a, b) => a + b, 0),
    );
    expect(mean(canaryErrors)).toBeGreaterThan(12);
  });

  it('averages ten baseline pods against one canary pod, and leaves the canary unscraped for minutes', () => {
    for (const run of runsOf('A/A CPU: 1 canary pod')) {
      const { baseline, canary } = run.metrics[0]!;
      expect(spread(canary.values)).toBeGreaterThan(spread(baseline.values));
    }
    for (const run of runsOf('A/A canary unscraped')) {
      const { baseline, canary } = run.metrics[0]!;
      const missing = (values: number[]) => values.filter(Number.isNaN).length;
      expect(missing(canary.values)).toBeGreaterThan(missing(baseline.values));
      const counts = canary.requestCounts;
      if (counts) counts.forEach((n, t) => expect(n === null).toBe(Number.isNaN(canary.values[t])));
    }
  });
});
