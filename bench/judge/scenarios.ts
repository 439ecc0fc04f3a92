// Seeded generator of labelled canary scenarios for the judge quality benchmark. Each scenario is one
// metric (baseline and canary series over the same window) with a ground-truth label.
import { createRandom, normalizeMetricConfig, type MetricInput, type Random } from '@isd/autopilot';

/** Ground truth of a scenario. */
export type ScenarioTruth = 'regression' | 'no-change' | 'missing-series';

/** One labelled scenario. */
export interface Scenario {
  kind: string;
  truth: ScenarioTruth;
  /** Whether the scenario belongs to the target set (regressions of ≥ 50 %, variance doubling, error bursts). */
  inTarget: boolean;
  /** Size of the change in percent (mean shift) or a factor, for the per-magnitude table. */
  magnitude: string;
  metric: MetricInput;
}

/** Points per side for the normal scenarios: 1–2 h of 15 s samples. */
export const NORMAL_POINTS = { min: 240, max: 480 };
/** Points per side for the few-samples scenarios. */
export const FEW_POINTS = { min: 6, max: 15 };

function uniform(random: Random, min: number, max: number): number {
  return min + (max - min) * random.next();
}

function pick<T>(random: Random, values: readonly T[]): T {
  return values[Math.floor(random.next() * values.length)]!;
}

// Latency-like series: level × seasonal factor × log-normal noise with coefficient of variation `cv`.
// Baseline and canary run at the same time, so they share the seasonal factor.
function latencySeries(
  random: Random,
  n: number,
  level: number,
  cv: number,
  seasonal: number[] | undefined,
  shiftFactor = 1,
  varianceFactor = 1,
): number[] {
  const sigma = Math.sqrt(Math.log(1 + cv * cv)) * Math.sqrt(varianceFactor);
  return Array.from({ length: n }, (_, t) => {
    const noise = Math.exp(sigma * random.normal() - (sigma * sigma) / 2);
    return level * shiftFactor * (seasonal ? seasonal[t]! : 1) * noise;
  });
}

// Latency-like series whose log-noise is AR(1) with coefficient `phi`: real scrapes are autocorrelated.
function autocorrelatedSeries(
  random: Random,
  n: number,
  level: number,
  cv: number,
  phi: number,
  shiftFactor = 1,
): number[] {
  const sigma = Math.sqrt(Math.log(1 + cv * cv));
  let state = random.normal();
  return Array.from({ length: n }, () => {
    state = phi * state + Math.sqrt(1 - phi * phi) * random.normal();
    return level * shiftFactor * Math.exp(sigma * state - (sigma * sigma) / 2);
  });
}

// Additive Gaussian noise around a level, for the variance scenarios (variance exactly × factor).
function gaussianSeries(
  random: Random,
  n: number,
  level: number,
  sd: number,
  seasonal: number[] | undefined,
  varianceFactor = 1,
): number[] {
  return Array.from(
    { length: n },
    (_, t) => level * (seasonal ? seasonal[t]! : 1) + sd * Math.sqrt(varianceFactor) * random.normal(),
  );
}

function seasonality(random: Random, n: number): number[] {
  const amplitude = uniform(random, 0.1, 0.4);
  const period = uniform(random, n / 3, 2 * n);
  const phase = uniform(random, 0, 2 * Math.PI);
  return Array.from({ length: n }, (_, t) => 1 + amplitude * Math.sin((2 * Math.PI * t) / period + phase));
}

// Replaces 5–30 % of the points with NaN, in runs (scrape gaps), never all of them.
function withGaps(random: Random, values: number[]): number[] {
  const target = Math.floor(values.length * uniform(random, 0.05, 0.3));
  const out = [...values];
  let removed = 0;
  for (let guard = 0; removed < target && guard < 10_000; guard++) {
    const start = random.integer(0, out.length - 1);
    const length = random.integer(1, 8);
    for (let i = start; i < Math.min(out.length, start + length) && removed < target; i++) {
      if (!Number.isNaN(out[i]!)) {
        out[i] = Number.NaN;
        removed++;
      }
    }
  }
  return out;
}

function counterSeries(random: Random, n: number, rate: number): number[] {
  return Array.from({ length: n }, () => (random.next() < rate ? random.integer(1, 3) : 0));
}

function make(
  kind: string,
  truth: ScenarioTruth,
  inTarget: boolean,
  magnitude: string,
  baseline: number[],
  canary: number[],
  direction = 'increase',
): Scenario {
  return {
    kind,
    truth,
    inTarget,
    magnitude,
    metric: {
      config: normalizeMetricConfig({ name: kind, groups: ['bench'], direction }),
      baseline: { values: baseline, query: `bench_${kind}{scope="baseline"}`, labels: { scope: 'baseline' } },
      canary: { values: canary, query: `bench_${kind}{scope="canary"}`, labels: { scope: 'canary' } },
    },
  };
}

/** Scenario kinds in the order they are generated and printed. */
export const SCENARIO_KINDS = [
  'no-change noise',
  'no-change seasonal',
  'no-change missing data',
  'no-change instance offset ±3%',
  'no-change error counter',
  'no-change few samples',
  'no-change autocorrelated noise',
  'mean shift',
  'mean shift seasonal',
  'mean shift few samples',
  'mean shift missing data',
  'mean shift autocorrelated noise',
  'variance doubling',
  'error burst from zero baseline',
  'variance doubling, 60 points (info)',
  'canary series missing (info)',
] as const;

const SHIFTS = [5, 10, 20, 50, 100, 200, 300];

/** Generates `perKind` scenarios of every kind from `seed`. */
export function generateScenarios(seed: number, perKind: number): Scenario[] {
  const random = createRandom(seed);
  const scenarios: Scenario[] = [];
  const n = () => random.integer(NORMAL_POINTS.min, NORMAL_POINTS.max);
  const few = () => random.integer(FEW_POINTS.min, FEW_POINTS.max);
  const level = () => uniform(random, 20, 500);
  const cv = () => uniform(random, 0.05, 0.3);
  for (let i = 0; i < perKind; i++) {
    {
      const size = n();
      const [l, c] = [level(), cv()];
      scenarios.push(
        make(
          'no-change noise',
          'no-change',
          false,
          '0',
          latencySeries(random, size, l, c, undefined),
          latencySeries(random, size, l, c, undefined),
        ),
      );
    }
    {
      const size = n();
      const [l, c, s] = [level(), cv(), seasonality(random, size)];
      scenarios.push(
        make(
          'no-change seasonal',
          'no-change',
          false,
          '0',
          latencySeries(random, size, l, c, s),
          latencySeries(random, size, l, c, s),
        ),
      );
    }
    {
      const size = n();
      const [l, c] = [level(), cv()];
      scenarios.push(
        make(
          'no-change missing data',
          'no-change',
          false,
          '0',
          withGaps(random, latencySeries(random, size, l, c, undefined)),
          withGaps(random, latencySeries(random, size, l, c, undefined)),
        ),
      );
    }
    {
      const size = n();
      const [l, c] = [level(), cv()];
      const offset = 1 + uniform(random, -0.03, 0.03);
      scenarios.push(
        make(
          'no-change instance offset ±3%',
          'no-change',
          false,
          '0',
          latencySeries(random, size, l, c, undefined),
          latencySeries(random, size, l, c, undefined, offset),
        ),
      );
    }
    {
      const size = n();
      const rate = uniform(random, 0.005, 0.05);
      scenarios.push(
        make(
          'no-change error counter',
          'no-change',
          false,
          '0',
          counterSeries(random, size, rate),
          counterSeries(random, size, rate),
        ),
      );
    }
    {
      const size = few();
      const [l, c] = [level(), cv()];
      scenarios.push(
        make(
          'no-change few samples',
          'no-change',
          false,
          '0',
          latencySeries(random, size, l, c, undefined),
          latencySeries(random, size, l, c, undefined),
        ),
      );
    }
    {
      const size = n();
      const [l, c, phi] = [level(), cv(), uniform(random, 0.3, 0.9)];
      scenarios.push(
        make(
          'no-change autocorrelated noise',
          'no-change',
          false,
          '0',
          autocorrelatedSeries(random, size, l, c, phi),
          autocorrelatedSeries(random, size, l, c, phi),
        ),
      );
    }
    {
      const shift = pick(random, SHIFTS);
      const size = n();
      const [l, c] = [level(), cv()];
      scenarios.push(
        make(
          'mean shift',
          'regression',
          shift >= 50,
          `${shift}%`,
          latencySeries(random, size, l, c, undefined),
          latencySeries(random, size, l, c, undefined, 1 + shift / 100),
        ),
      );
    }
    {
      const shift = pick(random, SHIFTS);
      const size = n();
      const [l, c, s] = [level(), cv(), seasonality(random, size)];
      scenarios.push(
        make(
          'mean shift seasonal',
          'regression',
          shift >= 50,
          `${shift}%`,
          latencySeries(random, size, l, c, s),
          latencySeries(random, size, l, c, s, 1 + shift / 100),
        ),
      );
    }
    {
      const shift = pick(random, [50, 100, 200, 300]);
      const size = few();
      const [l, c] = [level(), cv()];
      scenarios.push(
        make(
          'mean shift few samples',
          'regression',
          true,
          `${shift}%`,
          latencySeries(random, size, l, c, undefined),
          latencySeries(random, size, l, c, undefined, 1 + shift / 100),
        ),
      );
    }
    {
      const shift = pick(random, [50, 100, 200, 300]);
      const size = n();
      const [l, c] = [level(), cv()];
      scenarios.push(
        make(
          'mean shift missing data',
          'regression',
          true,
          `${shift}%`,
          withGaps(random, latencySeries(random, size, l, c, undefined)),
          withGaps(random, latencySeries(random, size, l, c, undefined, 1 + shift / 100)),
        ),
      );
    }
    {
      const shift = pick(random, [50, 100, 200, 300]);
      const size = n();
      const [l, c, phi] = [level(), cv(), uniform(random, 0.3, 0.9)];
      scenarios.push(
        make(
          'mean shift autocorrelated noise',
          'regression',
          true,
          `${shift}%`,
          autocorrelatedSeries(random, size, l, c, phi),
          autocorrelatedSeries(random, size, l, c, phi, 1 + shift / 100),
        ),
      );
    }
    {
      const size = n();
      const l = level();
      const sd = l * cv();
      const s = random.next() < 0.5 ? seasonality(random, size) : undefined;
      scenarios.push(
        make(
          'variance doubling',
          'regression',
          true,
          'variance ×2',
          gaussianSeries(random, size, l, sd, s),
          gaussianSeries(random, size, l, sd, s, 2),
        ),
      );
    }
    {
      const size = n();
      const rate = uniform(random, 0, 0.02);
      const baseline = counterSeries(random, size, rate);
      const canary = counterSeries(random, size, rate);
      const burst = Math.round(size * uniform(random, 0.05, 0.15));
      const start = random.integer(0, size - burst);
      for (let t = start; t < start + burst; t++) canary[t] = random.integer(2, 20);
      scenarios.push(
        make(
          'error burst from zero baseline',
          'regression',
          true,
          `burst ${Math.round((100 * burst) / size)}%`,
          baseline,
          canary,
        ),
      );
    }
    {
      const l = level();
      const sd = l * cv();
      scenarios.push(
        make(
          'variance doubling, 60 points (info)',
          'regression',
          false,
          'variance ×2',
          gaussianSeries(random, 60, l, sd, undefined),
          gaussianSeries(random, 60, l, sd, undefined, 2),
        ),
      );
    }
    {
      const size = n();
      const [l, c] = [level(), cv()];
      scenarios.push(
        make(
          'canary series missing (info)',
          'missing-series',
          false,
          'n/a',
          latencySeries(random, size, l, c, undefined),
          Array<number>(size).fill(Number.NaN),
        ),
      );
    }
  }
  return scenarios;
}

/** 200 metrics × `points` per side for the timing run: half unchanged, half with a 50 % shift. */
export function generateTimingMetrics(seed: number, metrics: number, points: number): MetricInput[] {
  const random = createRandom(seed);
  return Array.from({ length: metrics }, (_, index) => {
    const [l, c] = [uniform(random, 20, 500), uniform(random, 0.05, 0.3)];
    const shift = index % 2 === 0 ? 1 : 1.5;
    return {
      config: normalizeMetricConfig({ name: `metric-${index}`, groups: [`group-${index % 5}`], direction: 'increase' }),
      baseline: { values: latencySeries(random, points, l, c, undefined) },
      canary: { values: latencySeries(random, points, l, c, undefined, shift) },
    };
  });
}
