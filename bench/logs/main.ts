// `npm run bench:logs -- --data DIR`: accuracy of autopilot's log template miner on a Loghub-2k style folder
// (logpai's GA, PA, FGA, FTA per system and on average), side by side with Drain and Brain from logpai's
// logparser3 on the same data with the same evaluator, and mining speed against drain3 on the same ≥ 1 M
// lines in the same run. Speed is lines per CPU second of the mining loop on each side (on a shared machine
// wall time mostly measures the neighbours). The Python peers run in a virtualenv made under .venv/ from pinned versions.
// The last line is one JSON object.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { LogComparison, TemplateMiner } from '@isd/autopilot';
import { evaluate, type Accuracy } from './evaluate';
import { readSystems, type LoghubSystem } from './loghub';

const repoRoot = path.resolve(__dirname, '..', '..');
const venv = path.join(repoRoot, '.venv', 'bench-logs');
const python = path.join(venv, 'bin', 'python');
const requirements = path.join(__dirname, 'requirements.txt');
const SPEED_LINES = Number(process.env.BENCH_LOGS_LINES ?? 1_000_000);
const STREAM_LINES = Number(process.env.BENCH_LOGS_STREAM_LINES ?? 2_000_000);
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

function speed(systems: LoghubSystem[], scratch: string): { ours: number; drain3: number; bytesPerMillion: number } {
  const lines = systems.flatMap((s) => s.contents);
  const repeat = Math.ceil(SPEED_LINES / lines.length);
  const total = lines.length * repeat;
  const linesFile = path.join(scratch, 'lines.txt');
  writeFileSync(linesFile, lines.join('\n'));

  let miner: TemplateMiner | undefined = new TemplateMiner();
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  for (let r = 0; r < repeat; r++) for (const line of lines) miner!.add(line);
  const cpu = process.cpuUsage(cpuStarted);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // What the miner keeps after the lines (templates, tree, the bounded cache of exact lines): the heap
  // with it minus the heap once it is dropped, each after a full collection.
  const templates = miner.templates().length;
  if (templates === 0) throw new Error('the miner learned nothing');
  gc();
  const heapWithMiner = process.memoryUsage().heapUsed;
  miner = undefined;
  gc();
  const bytes = heapWithMiner - process.memoryUsage().heapUsed;
  const ours = total / cpuSeconds;
  console.log(
    `ours:   ${total.toLocaleString()} lines in ${cpuSeconds.toFixed(2)} s CPU (${seconds.toFixed(2)} s wall) = ` +
      `${Math.round(ours).toLocaleString()} lines per CPU second, ${templates} templates, ` +
      `the miner holds ${(bytes / 1e6).toFixed(2)} MB`,
  );

  const out = execFileSync(python, [path.join(__dirname, 'peers.py'), 'speed', linesFile, String(repeat)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const peer = JSON.parse(out.trim().split('\n').pop()!) as {
    lines: number;
    seconds: number;
    cpuSeconds: number;
    templates: number;
  };
  const drain3 = peer.lines / peer.cpuSeconds;
  console.log(
    `drain3: ${peer.lines.toLocaleString()} lines in ${peer.cpuSeconds.toFixed(2)} s CPU (${peer.seconds.toFixed(2)} s wall) = ` +
      `${Math.round(drain3).toLocaleString()} lines per CPU second, ${peer.templates} templates`,
  );
  return { ours, drain3, bytesPerMillion: (bytes / total) * 1e6 };
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

function main(): void {
  const dir = dataDir();
  const systems = readSystems(dir);
  if (systems.length === 0) throw new Error(`${dir}: no <System>/<System>_2k.log named in formats.json`);
  console.log(`logs bench: ${systems.length} systems from ${dir}`);
  ensureVenv();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-logs-'));
  try {
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

    const timing = speed(systems, scratch);
    const ratio = timing.ours / timing.drain3;
    const stream = streamMemory(gc);
    console.log(`speed ratio ours ÷ drain3: ${ratio.toFixed(1)} (target ≥ 10)`);
    console.log(
      JSON.stringify({
        systems: ours,
        average: oursAverage,
        drain: { systems: drain, average: drainAverage },
        brain: { systems: brain, average: brainAverage },
        ratioToDrain3: Math.round(ratio * 10) / 10,
        linesPerSec: Math.round(timing.ours),
        drain3LinesPerSec: Math.round(timing.drain3),
        memoryPerMillionLinesMB: Math.round(timing.bytesPerMillion / 1e5) / 10,
        streamHeapMB: { lines: STREAM_LINES, afterTenth: stream.afterTenthMB, afterAll: stream.afterAllMB },
      }),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
