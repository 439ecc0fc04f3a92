// `npm run bench:judge`: judge quality (detection and false-alarm rates of the `isd` and `kayenta` judges
// on seeded, labelled scenarios: the original set, kept as a regression check, and the production set of
// bench/judge/production.ts) and speed (200 metrics × 1,000 points per side, against SciPy computing
// the same statistics on the same data in the same run). The last line is one JSON object.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  createIsdJudge,
  createKayentaJudge,
  type Judge,
  type JudgeInput,
  type MetricClassification,
  type MetricSeries,
} from '@isd/autopilot';
import { detectionChart } from './chart';
import { generateHeldOut2Runs, HELDOUT2_FAMILIES, type HeldOutFamily, type HeldOutRun } from './heldout2';
import { generateHeldOut3Runs, HELDOUT3_FAMILIES } from './heldout3';
import { generateHeldOut4Runs, HELDOUT4_FAMILIES } from './heldout4';
import { generateProductionScenarios, PRODUCTION_FAMILIES } from './production';
import { generateScenarios, generateTimingMetrics, SCENARIO_KINDS, type Scenario } from './scenarios';

const SEED = Number(process.env.BENCH_SEED ?? 20261122);
const PER_KIND = Number(process.env.BENCH_PER_KIND ?? 200);
const PER_FAMILY = Number(process.env.BENCH_PER_FAMILY ?? 200);
// BENCH_ONLY=production (or heldout2, heldout3, heldout4) runs only that set (for quick looks; the README records full runs).
const ONLY = process.env.BENCH_ONLY;
const TIMING_METRICS = 200;
const TIMING_POINTS = 1000;
const THRESHOLDS = { pass: 95, marginal: 75 };
const repoRoot = path.resolve(__dirname, '..', '..');

interface Tally {
  alarms: number;
  total: number;
  nodata: number;
}

const judges: Judge[] = [createIsdJudge(), createKayentaJudge()];

/**
 * The `isd` judge as it was before request counts (decision 176): the same judge given the same runs with
 * each side's `requestCounts` left out, so the sets with counts show before and after in one run.
 */
const isdWithoutCounts: Judge = {
  name: 'isd-without-counts',
  judge(input) {
    const strip = ({ requestCounts: _dropped, ...side }: MetricSeries) => side;
    const metrics = input.metrics.map((m) => ({ ...m, baseline: strip(m.baseline), canary: strip(m.canary) }));
    return createIsdJudge().judge({ ...input, metrics });
  },
};
/** Judges of the sets whose simulators draw request counts (production, held-out sets 2–4). */
const countJudges: Judge[] = [judges[0]!, isdWithoutCounts, judges[1]!];

function classify(judge: Judge, scenario: Scenario): MetricClassification {
  const input: JudgeInput = { metrics: [scenario.metric], groupWeights: {}, thresholds: THRESHOLDS, seed: SEED };
  return judge.judge(input).metrics[0]!.classification;
}

const isAlarm = (classification: MetricClassification) =>
  classification === 'High' || classification === 'Low' || classification === 'NodataFailMetric';
const rate = (t: Tally) => (t.total === 0 ? 0 : t.alarms / t.total);
const pct = (value: number) => `${(100 * value).toFixed(1)}%`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface ProductionRates {
  detection: number;
  falseAlarm: number;
  regressions: number;
  noChange: number;
}

/**
 * The production set: each scenario is a whole run (one metric), and a stop is a run that is not `pass`
 * (fail, or marginal, which fails the stage by default). Held-out families are tallied apart.
 */
function runProductionSet(): {
  tuned: Record<string, ProductionRates>;
  heldOut: Record<string, ProductionRates>;
  byFamily: Record<string, Record<string, number>>;
} {
  const scenarios = generateProductionScenarios(SEED, PER_FAMILY);
  console.log(
    `\nproduction set: ${scenarios.length} runs (${PER_FAMILY} per family, seed ${SEED}); a stop is fail or marginal`,
  );
  const empty = () => ({ stops: 0, total: 0 });
  const tally = (held: boolean, truth: string, judge: string) => `${held ? 'held' : 'tuned'}:${truth}:${judge}`;
  const totals = new Map<string, { stops: number; total: number }>();
  const byFamily: Record<string, Record<string, number>> = {};
  PRODUCTION_FAMILIES.forEach((family, index) => {
    const familyStarted = Date.now();
    const rates: Record<string, number> = {};
    for (const judge of countJudges) {
      let stops = 0;
      const runs = scenarios.filter((s) => s.family === family.name);
      for (const scenario of runs) {
        const result = judge.judge({
          metrics: [scenario.metric],
          groupWeights: {},
          thresholds: THRESHOLDS,
          seed: SEED,
        });
        const stop = result.classification !== 'pass';
        if (stop) stops++;
        const key = tally(family.heldOut, family.truth, judge.name);
        const t = totals.get(key) ?? empty();
        t.total++;
        if (stop) t.stops++;
        totals.set(key, t);
      }
      rates[judge.name] = round4(stops / runs.length);
    }
    byFamily[family.name] = rates;
    const what = family.truth === 'regression' ? 'detected' : 'false alarms';
    console.log(
      `[${index + 1}/${PRODUCTION_FAMILIES.length}] ${family.name}: ${what} ${countJudges.map((j) => `${j.name} ${pct(rates[j.name]!)}`).join(', ')} — ${((Date.now() - familyStarted) / 1000).toFixed(1)} s`,
    );
  });
  const rates = (held: boolean): Record<string, ProductionRates> =>
    Object.fromEntries(
      countJudges.map((judge) => {
        const r = totals.get(tally(held, 'regression', judge.name)) ?? empty();
        const n = totals.get(tally(held, 'no-change', judge.name)) ?? empty();
        return [
          judge.name,
          {
            detection: round4(r.total ? r.stops / r.total : 0),
            falseAlarm: round4(n.total ? n.stops / n.total : 0),
            regressions: r.total,
            noChange: n.total,
          },
        ];
      }),
    );
  const tuned = rates(false);
  const heldOut = rates(true);
  for (const judge of countJudges) {
    console.log(
      `${judge.name} (production set): detection ${pct(tuned[judge.name]!.detection)} of ${tuned[judge.name]!.regressions} regressions, false alarms ${pct(tuned[judge.name]!.falseAlarm)} of ${tuned[judge.name]!.noChange}; held out: detection ${pct(heldOut[judge.name]!.detection)}, false alarms ${pct(heldOut[judge.name]!.falseAlarm)}`,
    );
  }
  return { tuned, heldOut, byFamily };
}

interface HeldOutRates {
  detection: number;
  falseAlarm: number;
  regressions: number;
  noChange: number;
}

/**
 * A held-out set (bench/judge/heldout2.ts, heldout3.ts, heldout4.ts): whole runs of one or more metrics with group
 * weights; a stop is a run that is not `pass`.
 */
function runHeldOutSet(
  label: string,
  families: readonly HeldOutFamily[],
  runs: readonly HeldOutRun[],
): { rates: Record<string, HeldOutRates>; byFamily: Record<string, Record<string, number>> } {
  console.log(`\n${label}: ${runs.length} runs (${PER_FAMILY} per family, seed ${SEED}); a stop is fail or marginal`);
  const byFamily: Record<string, Record<string, number>> = {};
  const totals = new Map<string, { stops: number; total: number }>();
  families.forEach((family, index) => {
    const familyStarted = Date.now();
    const familyRuns = runs.filter((run) => run.family === family.name);
    const rates: Record<string, number> = {};
    for (const judge of countJudges) {
      let stops = 0;
      for (const run of familyRuns) {
        const result = judge.judge({
          metrics: run.metrics,
          groupWeights: run.groupWeights,
          thresholds: THRESHOLDS,
          seed: SEED,
        });
        if (result.classification !== 'pass') stops++;
      }
      rates[judge.name] = round4(stops / familyRuns.length);
      const key = `${family.truth}:${judge.name}`;
      const t = totals.get(key) ?? { stops: 0, total: 0 };
      t.stops += stops;
      t.total += familyRuns.length;
      totals.set(key, t);
    }
    byFamily[family.name] = rates;
    const what = family.truth === 'regression' ? 'detected' : 'false alarms';
    console.log(
      `[${index + 1}/${families.length}] ${family.name}: ${what} ${countJudges.map((j) => `${j.name} ${pct(rates[j.name]!)}`).join(', ')} — ${((Date.now() - familyStarted) / 1000).toFixed(1)} s`,
    );
  });
  const rates = Object.fromEntries(
    countJudges.map((judge) => {
      const r = totals.get(`regression:${judge.name}`) ?? { stops: 0, total: 0 };
      const n = totals.get(`no-change:${judge.name}`) ?? { stops: 0, total: 0 };
      const rates: HeldOutRates = {
        detection: round4(r.total ? r.stops / r.total : 0),
        falseAlarm: round4(n.total ? n.stops / n.total : 0),
        regressions: r.total,
        noChange: n.total,
      };
      console.log(
        `${judge.name} (${label}): detection ${pct(rates.detection)} of ${r.total} regressions, false alarms ${pct(rates.falseAlarm)} of ${n.total}`,
      );
      return [judge.name, rates];
    }),
  );
  return { rates, byFamily };
}

const runHeldOut2Set = () => runHeldOutSet('held-out set 2', HELDOUT2_FAMILIES, generateHeldOut2Runs(SEED, PER_FAMILY));
const runHeldOut3Set = () => runHeldOutSet('held-out set 3', HELDOUT3_FAMILIES, generateHeldOut3Runs(SEED, PER_FAMILY));
const runHeldOut4Set = () => runHeldOutSet('held-out set 4', HELDOUT4_FAMILIES, generateHeldOut4Runs(SEED, PER_FAMILY));

function main(): void {
  if (ONLY === 'heldout2') {
    const heldOut2 = runHeldOut2Set();
    console.log(JSON.stringify({ heldOut2: heldOut2.rates }));
    return;
  }
  if (ONLY === 'heldout3') {
    const heldOut3 = runHeldOut3Set();
    console.log(JSON.stringify({ heldOut3: heldOut3.rates }));
    return;
  }
  if (ONLY === 'heldout4') {
    const heldOut4 = runHeldOut4Set();
    console.log(JSON.stringify({ heldOut4: heldOut4.rates }));
    return;
  }
  if (ONLY === 'production') {
    const production = runProductionSet();
    console.log(JSON.stringify({ production: { ...production.tuned, heldOut: production.heldOut } }));
    return;
  }
  const started = Date.now();
  const scenarios = generateScenarios(SEED, PER_KIND);
  console.log(
    `judge quality: ${scenarios.length} scenarios (${PER_KIND} per kind, seed ${SEED}), judges: ${judges.map((j) => j.name).join(', ')}`,
  );
  const byKind = new Map<string, Record<string, Tally>>();
  const byMagnitude = new Map<string, Record<string, Tally>>();
  const target: Record<string, Tally> = {};
  const noChange: Record<string, Tally> = {};
  for (const judge of judges) {
    target[judge.name] = { alarms: 0, total: 0, nodata: 0 };
    noChange[judge.name] = { alarms: 0, total: 0, nodata: 0 };
  }
  SCENARIO_KINDS.forEach((kind, kindIndex) => {
    const kindStarted = Date.now();
    const tallies: Record<string, Tally> = {};
    for (const scenario of scenarios.filter((s) => s.kind === kind)) {
      for (const judge of judges) {
        const classification = classify(judge, scenario);
        const alarm = isAlarm(classification);
        const tally = (tallies[judge.name] ??= { alarms: 0, total: 0, nodata: 0 });
        tally.total++;
        if (alarm) tally.alarms++;
        if (classification === 'Nodata' || classification === 'NodataFailMetric') tally.nodata++;
        if (scenario.truth === 'regression' && scenario.kind.startsWith('mean shift')) {
          const key = `${scenario.kind.replace(/ .*/, '')} shift ${scenario.magnitude}`;
          const magnitudeTallies = byMagnitude.get(scenario.magnitude) ?? {};
          const m = (magnitudeTallies[judge.name] ??= { alarms: 0, total: 0, nodata: 0 });
          m.total++;
          if (alarm) m.alarms++;
          byMagnitude.set(scenario.magnitude, magnitudeTallies);
          void key;
        }
        if (scenario.inTarget) {
          target[judge.name]!.total++;
          if (alarm) target[judge.name]!.alarms++;
        }
        if (scenario.truth === 'no-change') {
          noChange[judge.name]!.total++;
          if (alarm) noChange[judge.name]!.alarms++;
        }
      }
    }
    byKind.set(kind, tallies);
    const what = kind.startsWith('no-change')
      ? 'false alarms'
      : kind.startsWith('canary series missing')
        ? 'explicit no-data'
        : 'detected';
    const show = (name: string) => {
      const t = tallies[name]!;
      return what === 'explicit no-data'
        ? `${name} ${t.nodata}/${t.total}`
        : `${name} ${t.alarms}/${t.total} (${pct(rate(t))})`;
    };
    console.log(
      `[${kindIndex + 1}/${SCENARIO_KINDS.length}] ${kind}: ${what} ${judges.map((j) => show(j.name)).join(', ')} — ${((Date.now() - kindStarted) / 1000).toFixed(1)} s`,
    );
  });

  console.log('\nmean shifts by size (all mean-shift kinds), detection:');
  for (const magnitude of ['5%', '10%', '20%', '50%', '100%', '200%', '300%']) {
    const tallies = byMagnitude.get(magnitude);
    if (tallies)
      console.log(
        `  ${magnitude.padStart(5)}: ${judges.map((j) => `${j.name} ${pct(rate(tallies[j.name]!))} of ${tallies[j.name]!.total}`).join(', ')}`,
      );
  }
  for (const judge of judges) {
    console.log(
      `${judge.name}: detection ${pct(rate(target[judge.name]!))} of ${target[judge.name]!.total} target regressions (≥ 50 % shifts, variance ×2, error bursts); false alarms ${pct(rate(noChange[judge.name]!))} of ${noChange[judge.name]!.total} no-change scenarios`,
    );
  }

  const production = runProductionSet();
  const heldOut2 = runHeldOut2Set();
  const heldOut3 = runHeldOut3Set();
  const heldOut4 = runHeldOut4Set();

  // Speed: the same 200 × 1,000 data for both judges and for SciPy.
  console.log(`\ntiming: ${TIMING_METRICS} metrics × ${TIMING_POINTS} points per side`);
  const timingMetrics = generateTimingMetrics(SEED + 1, TIMING_METRICS, TIMING_POINTS);
  const timingInput: JudgeInput = { metrics: timingMetrics, groupWeights: {}, thresholds: THRESHOLDS, seed: SEED };
  const timings: Record<string, number> = {};
  for (const judge of judges) {
    judge.judge(timingInput);
    const runs: number[] = [];
    for (let run = 0; run < 5; run++) {
      const t0 = process.hrtime.bigint();
      judge.judge(timingInput);
      runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    timings[judge.name] = median(runs);
    console.log(`  ${judge.name}: ${timings[judge.name]!.toFixed(1)} ms per ${TIMING_METRICS} metrics (median of 5)`);
  }
  console.log(
    '  SciPy reference (mannwhitneyu, ttest_ind, levene, ks_2samp, Kayenta interval with rankdata + brentq) ...',
  );
  const request = JSON.stringify({
    bench: { metrics: timingMetrics.map((m) => ({ baseline: m.baseline.values, canary: m.canary.values })) },
  });
  const scipyRuns: number[] = [];
  for (let run = 0; run < 3; run++) {
    const output = execFileSync(
      '/usr/bin/python3',
      [path.join(repoRoot, 'sidecars/autopilot/scripts/scipy_reference.py')],
      { input: request, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
    );
    scipyRuns.push((JSON.parse(output.toString()) as { elapsedMs: number }).elapsedMs);
  }
  const scipyMs = median(scipyRuns);
  console.log(`  SciPy: ${scipyMs.toFixed(1)} ms (median of 3)`);
  const msPer200Metrics = Math.round(timings.isd! * 10) / 10;
  const ratioToScipy = Math.round((timings.isd! / scipyMs) * 1000) / 1000;

  const summary = {
    isd: { detection: round4(rate(target.isd!)), falseAlarm: round4(rate(noChange.isd!)) },
    kayenta: { detection: round4(rate(target.kayenta!)), falseAlarm: round4(rate(noChange.kayenta!)) },
    production: { isd: production.tuned.isd, kayenta: production.tuned.kayenta, heldOut: production.heldOut },
    heldOut2: heldOut2.rates,
    heldOut3: heldOut3.rates,
    heldOut4: heldOut4.rates,
    msPer200Metrics,
    ratioToScipy,
  };
  const details = {
    seed: SEED,
    perKind: PER_KIND,
    byKind: Object.fromEntries([...byKind.entries()]),
    byMagnitude: Object.fromEntries([...byMagnitude.entries()]),
    production: { perFamily: PER_FAMILY, byFamily: production.byFamily },
    heldOut2: { perFamily: PER_FAMILY, byFamily: heldOut2.byFamily },
    heldOut3: { perFamily: PER_FAMILY, byFamily: heldOut3.byFamily },
    heldOut4: { perFamily: PER_FAMILY, byFamily: heldOut4.byFamily },
    timingMs: { ...timings, scipy: scipyMs },
    summary,
  };
  writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(details, null, 2)}\n`);
  writeFileSync(
    path.join(__dirname, 'detection.svg'),
    detectionChart(
      SCENARIO_KINDS.filter((k) => !k.includes('missing (info)')).map((kind) => ({
        label: kind,
        values: judges.map((j) => rate(byKind.get(kind)![j.name]!)),
      })),
      judges.map((j) => j.name),
    ),
  );
  console.log(
    `\nwrote bench/judge/results.json and bench/judge/detection.svg in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(JSON.stringify(summary));
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

main();
