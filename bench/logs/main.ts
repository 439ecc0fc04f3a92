// `npm run bench:logs -- --data DIR [--only accuracy|speed|memory|comparison] [--seed N] [--verbose]`: accuracy of autopilot's log template
// miner on a Loghub-2k style folder (logpai's GA, PA, FGA, FTA per system and on average), side by side with
// Drain and Brain from logpai's logparser3 on the same data with the same evaluator, and mining speed against
// drain3 on the same ≥ 1 M lines in the same run. Speed is lines per CPU second of the mining loop on each
// side (on a shared machine wall time mostly measures the neighbours), both sides warmed up, in alternating
// rounds, the median round. The Python peers run in a virtualenv made under .venv/ from pinned versions.
// The comparison part (comparison.ts) runs the log comparison on healthy and faulty canaries made from each
// system's raw lines; `npm run bench:logs -- --generated [--seed N] [--verbose]` runs it on seeded logs in the
// formats Kubernetes services write (generated.ts: JSON lines, logfmt, klog, Spring Boot, Python, access logs)
// instead of a corpus. Either takes `--burst-spread S` (the burst's 20 lines evenly over S seconds from its event's
// time, not all at it) and `--split-blocks N` (the healthy split in alternate blocks of N consecutive events).
// The last line is one JSON object.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { LogComparison, TemplateMiner } from '@isd/autopilot';
import { comparison, loghubSource, type CaseOptions } from './comparison';
import { generatedSource, generateLogs } from './generated';
import { evaluate, type Accuracy } from './evaluate';
import { readSystems, type LoghubSystem } from './loghub';

const repoRoot = path.resolve(__dirname, '..', '..');
const venv = path.join(repoRoot, '.venv', 'bench-logs');
const python = path.join(venv, 'bin', 'python');
const requirements = path.join(__dirname, 'requirements.txt');

/** A count from the environment, or its default; anything but a positive integer is refused by name. */
function countFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${text}`);
  return value;
}

/** `--seed N`: a positive integer, or the default. */
function countFromArgs(flag: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  if (at < 0) return fallback;
  const text = process.argv[at + 1];
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${flag} must be a positive integer, got ${text ?? 'nothing'}`);
  return value;
}

/** `--burst-spread S`: a number of seconds, 0 or more (0 when absent). */
function secondsFromArgs(flag: string): number {
  const at = process.argv.indexOf(flag);
  if (at < 0) return 0;
  const text = process.argv[at + 1];
  const value = Number(text);
  if (text === undefined || text === '' || !Number.isFinite(value) || value < 0)
    throw new Error(`${flag} must be a number of seconds, 0 or more, got ${text ?? 'nothing'}`);
  return value;
}

const SPEED_LINES = countFromEnv('BENCH_LOGS_LINES', 1_000_000);
const SPEED_ROUNDS = countFromEnv('BENCH_LOGS_ROUNDS', 5);
// Our side of a round is this many passes, each a fresh miner over the same lines, so its CPU time is
// summed over a window about as long as drain3's one pass (~10 × slower): a short window is moved more by a
// burst of the neighbours' load.
const OUR_PASSES = countFromEnv('BENCH_LOGS_OUR_PASSES', 8);
const STREAM_LINES = countFromEnv('BENCH_LOGS_STREAM_LINES', 2_000_000);
const METRICS = ['ga', 'pa', 'fga', 'fta'] as const;
type Scores = Record<(typeof METRICS)[number], number>;

function dataDir(): string {
  const at = process.argv.indexOf('--data');
  if (at >= 0) {
    const dir = process.argv[at + 1];
    if (!dir) throw new Error('--data needs a folder');
    return path.resolve(dir);
  }
  // A checkout beside the project's shared data folder finds the corpus there; elsewhere it must be named.
  const beside = path.resolve(repoRoot, '..', 'shared', 'data', 'loghub-2k');
  if (!existsSync(beside)) {
    throw new Error(
      `no Loghub-2k corpus at ${beside}: get the 2k sample of each system with the corrected ground truth ` +
        '(logpai/loghub-2.0 on GitHub: <System>/<System>_2k.log, <System>_2k.log_structured.csv, and a formats.json ' +
        'with each log format and its masks) and run npm run bench:logs -- --data DIR',
    );
  }
  return beside;
}

// The virtualenv is made once and re-made when the pinned requirements change.
function ensureVenv(): void {
  const stamp = path.join(venv, 'requirements.txt');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === readFileSync(requirements, 'utf8')) return;
  console.log(`making the Python virtualenv for the peers in ${path.relative(repoRoot, venv)} …`);
  rmSync(venv, { recursive: true, force: true });
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '-r', requirements], { stdio: 'inherit' });
  writeFileSync(stamp, readFileSync(requirements));
}

/** Our miner as a parser: learn every line of the system, then give each line its event's template. */
function parseWithMiner(system: LoghubSystem): string[] {
  const miner = new TemplateMiner({ masks: system.format.regex });
  for (const content of system.contents) miner.add(content);
  return system.contents.map((content) => miner.match(content)?.template ?? '');
}

const round = (value: number) => Math.round(value * 1000) / 1000;
const pick = (a: Accuracy): Scores => ({ ga: round(a.ga), pa: round(a.pa), fga: round(a.fga), fta: round(a.fta) });

function average(all: Scores[]): Scores {
  const mean = (key: keyof Scores) => round(all.reduce((sum, s) => sum + s[key], 0) / all.length);
  return { ga: mean('ga'), pa: mean('pa'), fga: mean('fga'), fta: mean('fta') };
}

// A real collection before and after a measurement, so a difference is what is held.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

interface SpeedRound {
  ours: number;
  drain3: number;
  ratio: number;
}

/** One timed round of ours: a fresh miner over the lines `repeat` times, CPU seconds of the loop only. */
function mineOurs(lines: readonly string[], repeat: number): { cpuSeconds: number; miner: TemplateMiner } {
  const miner = new TemplateMiner();
  gc(); // start from a clean heap, as drain3's side does; collections during the round are counted
  const cpuStarted = process.cpuUsage();
  for (let r = 0; r < repeat; r++) for (const line of lines) miner.add(line);
  const cpu = process.cpuUsage(cpuStarted);
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, miner };
}

/** One timed round of drain3 in its own process (warm-up and collection there, outside its timing). */
function mineDrain3(linesFile: string, repeat: number): { lines: number; cpuSeconds: number; templates: number } {
  const out = execFileSync(python, [path.join(__dirname, 'peers.py'), 'speed', linesFile, String(repeat)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { lines: number; cpuSeconds: number; templates: number };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Speed in SPEED_ROUNDS rounds, fresh miners on each side over the same ≥ 1 M lines, the two sides one
 * after the other (which goes first alternates, so a change in the neighbours' load hits both alike). The
 * ratio of each round compares two measurements taken close together; the result is the median round.
 */
function speed(
  systems: LoghubSystem[],
  scratch: string,
): { rounds: SpeedRound[]; ratio: number; ours: number; drain3: number; bytesPerMillion: number } {
  const lines = systems.flatMap((s) => s.contents);
  const repeat = Math.ceil(SPEED_LINES / lines.length);
  const total = lines.length * repeat;
  const linesFile = path.join(scratch, 'lines.txt');
  writeFileSync(linesFile, lines.join('\n'));

  // Warm-up, untimed: the JIT compiles the miner's hot path (drain3's side warms up in its own process).
  mineOurs(lines, 2);
  const rounds: SpeedRound[] = [];
  let last: TemplateMiner | undefined;
  for (let round = 0; round < SPEED_ROUNDS; round++) {
    let ours = 0;
    let drain3 = 0;
    const runOurs = () => {
      let cpuSeconds = 0;
      for (let pass = 0; pass < OUR_PASSES; pass++) {
        const mined = mineOurs(lines, repeat);
        cpuSeconds += mined.cpuSeconds;
        last = mined.miner;
      }
      ours = (OUR_PASSES * total) / cpuSeconds;
    };
    const runDrain3 = () => {
      const peer = mineDrain3(linesFile, repeat);
      if (peer.lines !== total) throw new Error(`drain3 mined ${peer.lines} lines, ours ${total}`);
      drain3 = peer.lines / peer.cpuSeconds;
    };
    if (round % 2 === 0) {
      runOurs();
      runDrain3();
    } else {
      runDrain3();
      runOurs();
    }
    rounds.push({ ours, drain3, ratio: ours / drain3 });
    console.log(
      `speed round ${round + 1}/${SPEED_ROUNDS}: ours ${Math.round(ours).toLocaleString()} (${OUR_PASSES} passes), drain3 ` +
        `${Math.round(drain3).toLocaleString()} lines per CPU second of mining ${total.toLocaleString()} lines: ` +
        `${(ours / drain3).toFixed(2)} ×`,
    );
  }

  // What the miner keeps after the lines (templates, tree, the bounded cache of exact lines): the heap
  // with it minus the heap once it is dropped, each after a full collection.
  const templates = last!.templates().length;
  if (templates === 0) throw new Error('the miner learned nothing');
  gc();
  const heapWithMiner = process.memoryUsage().heapUsed;
  last = undefined;
  gc();
  const bytes = heapWithMiner - process.memoryUsage().heapUsed;
  const ratios = rounds.map((r) => r.ratio);
  const result = {
    rounds,
    ratio: median(ratios),
    ours: median(rounds.map((r) => r.ours)),
    drain3: median(rounds.map((r) => r.drain3)),
    bytesPerMillion: (bytes / total) * 1e6,
  };
  console.log(
    `speed, median of ${SPEED_ROUNDS} rounds: ours ${Math.round(result.ours).toLocaleString()}, drain3 ` +
      `${Math.round(result.drain3).toLocaleString()} lines per CPU second; ratio ${result.ratio.toFixed(2)} × ` +
      `(rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}); ${templates} templates, ` +
      `the miner holds ${(bytes / 1e6).toFixed(2)} MB`,
  );
  return result;
}

/**
 * Memory of a streamed comparison: the canary side of a LogComparison fed STREAM_LINES generated lines
 * (every raw line distinct: ids, durations, hosts), heap measured after a tenth and after all of them.
 */
function streamMemory(gc: () => void): { afterTenthMB: number; afterAllMB: number } {
  const verbs = ['served', 'rejected', 'retried', 'cached', 'queued'];
  const line = (i: number) =>
    i % 97 === 0
      ? `ERROR order ${i} failed on host-${i % 13}: java.lang.IllegalStateException: stock ${i % 1000} is negative`
      : `INFO request ${i} ${verbs[i % 5]} for user u${i % 7919}x in ${i % 1000} ms from 10.0.${i % 256}.${(i >> 8) % 256}`;
  const comparison = new LogComparison();
  for (let i = 0; i < 20_000; i++) comparison.add('baseline', line(i * 3));
  const heap = () => {
    gc();
    return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
  };
  let afterTenth = 0;
  for (let i = 0; i < STREAM_LINES; i++) {
    comparison.add('canary', line(i));
    if (i + 1 === Math.floor(STREAM_LINES / 10)) afterTenth = heap();
  }
  const afterAll = heap();
  const analysis = comparison.finish();
  console.log(
    `stream: ${STREAM_LINES.toLocaleString()} canary lines, ${analysis.clusters.length} clusters, heap ` +
      `${afterTenth} MB after a tenth, ${afterAll} MB after all`,
  );
  return { afterTenthMB: afterTenth, afterAllMB: afterAll };
}

/** Accuracy of ours, Drain and Brain on every system, printed as a table; the JSON fields of the result. */
function accuracy(dir: string, systems: LoghubSystem[], scratch: string): Record<string, unknown> {
  const peersFile = path.join(scratch, 'peers.json');
  execFileSync(python, [path.join(__dirname, 'peers.py'), 'accuracy', dir, peersFile], { stdio: 'inherit' });
  const peers = JSON.parse(readFileSync(peersFile, 'utf8')) as Record<'drain' | 'brain', Record<string, string[]>>;

  const ours: Record<string, Scores> = {};
  const drain: Record<string, Scores> = {};
  const brain: Record<string, Scores> = {};
  console.log('system       ours ga/pa/fga/fta          drain ga/pa/fga/fta         brain ga/pa/fga/fta');
  for (const system of systems) {
    ours[system.name] = pick(evaluate(system.templates, parseWithMiner(system)));
    drain[system.name] = pick(evaluate(system.templates, peers.drain[system.name]!));
    brain[system.name] = pick(evaluate(system.templates, peers.brain[system.name]!));
    const row = (s: Scores) => METRICS.map((m) => s[m].toFixed(3)).join(' ');
    console.log(
      `${system.name.padEnd(12)} ${row(ours[system.name]!)}   ${row(drain[system.name]!)}   ${row(brain[system.name]!)}`,
    );
  }
  const oursAverage = average(Object.values(ours));
  const drainAverage = average(Object.values(drain));
  const brainAverage = average(Object.values(brain));
  const belowDrain = systems.filter((s) => ours[s.name]!.ga < drain[s.name]!.ga).map((s) => s.name);
  console.log(
    `average      ${METRICS.map((m) => oursAverage[m].toFixed(3)).join(' ')}   ${METRICS.map((m) => drainAverage[m].toFixed(3)).join(' ')}   ${METRICS.map((m) => brainAverage[m].toFixed(3)).join(' ')}`,
  );
  console.log(
    `targets: GA ≥ 0.97 and ≥ Brain's: ${oursAverage.ga >= 0.97 && oursAverage.ga >= brainAverage.ga}; ` +
      `PA ≥ 0.70: ${oursAverage.pa >= 0.7}; systems below Drain's GA: ${belowDrain.join(', ') || 'none'}`,
  );
  return {
    systems: ours,
    average: oursAverage,
    drain: { systems: drain, average: drainAverage },
    brain: { systems: brain, average: brainAverage },
  };
}

const PARTS = ['accuracy', 'speed', 'memory', 'comparison'] as const;

/** `--only PART` runs one part of the bench (accuracy, speed, memory or comparison); all of them without it. */
function parts(): readonly (typeof PARTS)[number][] {
  const at = process.argv.indexOf('--only');
  if (at < 0) return PARTS;
  const part = process.argv[at + 1];
  if (!PARTS.includes(part as (typeof PARTS)[number]))
    throw new Error(`--only needs one of ${PARTS.join(', ')}, got ${part ?? 'nothing'}`);
  return [part as (typeof PARTS)[number]];
}

function main(): void {
  const seed = countFromArgs('--seed', 1);
  const verbose = process.argv.includes('--verbose');
  const cases: CaseOptions = {
    burstSpreadSeconds: secondsFromArgs('--burst-spread'),
    splitBlocks: countFromArgs('--split-blocks', 1),
  };
  if (process.argv.includes('--generated')) {
    // No corpus and no ground-truth templates: the comparison part only.
    const logs = generateLogs(seed).map(generatedSource);
    console.log(`logs bench: ${logs.length} generated logs, seed ${seed}`);
    console.log(JSON.stringify({ comparison: comparison(logs, seed, verbose, cases) }));
    return;
  }
  const run = parts();
  const dir = dataDir();
  const systems = readSystems(dir);
  if (systems.length === 0) throw new Error(`${dir}: no <System>/<System>_2k.log named in formats.json`);
  console.log(`logs bench: ${systems.length} systems from ${dir}`);
  if (run.includes('accuracy') || run.includes('speed')) ensureVenv();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-logs-'));
  try {
    let result: Record<string, unknown> = run.includes('accuracy') ? accuracy(dir, systems, scratch) : {};
    if (run.includes('speed')) {
      const timing = speed(systems, scratch);
      console.log(`speed ratio ours ÷ drain3, median round: ${timing.ratio.toFixed(1)} (target ≥ 10)`);
      result = {
        ...result,
        ratioToDrain3: Math.round(timing.ratio * 10) / 10,
        ratioRounds: timing.rounds.map((r) => Math.round(r.ratio * 100) / 100),
        linesPerSec: Math.round(timing.ours),
        drain3LinesPerSec: Math.round(timing.drain3),
        memoryPerMillionLinesMB: Math.round(timing.bytesPerMillion / 1e5) / 10,
      };
    }
    if (run.includes('memory')) {
      const stream = streamMemory(gc);
      result.streamHeapMB = { lines: STREAM_LINES, afterTenth: stream.afterTenthMB, afterAll: stream.afterAllMB };
    }
    if (run.includes('comparison')) result.comparison = comparison(systems.map(loghubSource), seed, verbose, cases);
    console.log(JSON.stringify(result));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
