// HTTP-layer benchmark (issue 17, decision 001): the kit's HttpApp against fastify doing the same work, and
// against a bare node:http floor, all served by one compiled process (bench/http/server.ts) with handlers
// that answer a constant, so the database is out of the picture. This process sends closed-loop status
// polls to one layer at a time in short alternating windows and asks the server for its CPU time before and
// after each; CPU per request is the figure compared (throughput on a shared machine moves with its load).
// Each round measures every layer once, so the per-round ratios pair windows a few seconds apart, and their
// median is the result: a burst of load from elsewhere spoils one round, not the comparison.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Pool } from 'undici';

const root = path.resolve(__dirname, '..', '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const WINDOW_SECONDS = Number(process.env.BENCH_WINDOW_SECONDS ?? 1);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SERVICE_TOKEN = 'bench-service-token-0123456789';
const ALL_LAYERS = ['kit', 'fastify', 'bare'] as const;
type Layer = (typeof ALL_LAYERS)[number];
/** BENCH_LAYERS=kit (comma-separated) loads only those, e.g. to profile one with BENCH_CPU_PROFILE=dir. */
const LAYERS = ALL_LAYERS.filter((layer) =>
  (process.env.BENCH_LAYERS ?? ALL_LAYERS.join(',')).split(',').includes(layer),
);

interface ServerStats {
  cpuUs: number;
  gcCount: number;
  gcMs: number;
}

interface Window {
  completed: number;
  errors: number;
  seconds: number;
  cpuUs: number;
  gcCount: number;
  gcMs: number;
}

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Closed loop: CONCURRENCY callers each send the next status poll when the last one answered. */
async function closedLoop(pool: Pool, seconds: number): Promise<{ completed: number; errors: number }> {
  const until = performance.now() + seconds * 1000;
  let completed = 0;
  let errors = 0;
  const caller = async () => {
    while (performance.now() < until) {
      const response = await pool.request({
        method: 'GET',
        path: '/api/v1/approvals/00000000-0000-4000-8000-000000000000',
        headers: { 'x-isd-service-token': SERVICE_TOKEN },
      });
      const text = await response.body.text();
      if (response.statusCode === 200 && text.includes('"status":"waiting"')) completed++;
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, caller));
  return { completed, errors };
}

async function main(): Promise<void> {
  // Compiled JavaScript, as the services run in production (a TypeScript loader adds its own wrappers).
  log('building the kit and the bench (tsc -b bench, which references the kit)');
  const build = spawnSync('npx', ['tsc', '-b', 'bench'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('tsc -b bench failed');
  const profile = process.env.BENCH_CPU_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`]
    : [];
  const server = spawn(process.execPath, [...profile, path.join(root, 'bench/dist/http/server.js')], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'production', BENCH_SERVICE_TOKEN: SERVICE_TOKEN },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const pools: Pool[] = [];
  try {
    const first = await new Promise<string>((resolve, reject) => {
      server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
      readline.createInterface({ input: server.stdout! }).once('line', resolve);
    });
    const { ports } = JSON.parse(first) as { ports: Record<Layer, number> };
    const poolOf = Object.fromEntries(
      LAYERS.map((layer) => {
        const pool = new Pool(`http://127.0.0.1:${ports[layer]}`, { connections: CONCURRENCY, pipelining: 1 });
        pools.push(pool);
        return [layer, pool];
      }),
    ) as Record<Layer, Pool>;
    const stats = () =>
      new Promise<ServerStats>((resolve) => {
        server.once('message', (message) => resolve(message as ServerStats));
        server.send('stats');
      });
    log(`server pid ${server.pid}: ${LAYERS.map((layer) => `${layer} on ${ports[layer]}`).join(', ')}`);
    log(`warming up each layer for ${2 * WINDOW_SECONDS} s`);
    for (const layer of LAYERS) await closedLoop(poolOf[layer], 2 * WINDOW_SECONDS);
    log(`${ROUNDS} rounds of ${WINDOW_SECONDS} s per layer, ${CONCURRENCY} callers, the first layer rotating`);
    const windows = Object.fromEntries(LAYERS.map((layer) => [layer, [] as Window[]])) as Record<Layer, Window[]>;
    for (let index = 0; index < ROUNDS; index++) {
      const order = LAYERS.map((_, offset) => LAYERS[(index + offset) % LAYERS.length] as Layer);
      for (const layer of order) {
        const before = await stats();
        const started = performance.now();
        const result = await closedLoop(poolOf[layer], WINDOW_SECONDS);
        const seconds = (performance.now() - started) / 1000;
        const after = await stats();
        windows[layer].push({
          ...result,
          seconds,
          cpuUs: after.cpuUs - before.cpuUs,
          gcCount: after.gcCount - before.gcCount,
          gcMs: after.gcMs - before.gcMs,
        });
      }
      const perRequest = (layer: Layer) => {
        const window = windows[layer][index] as Window;
        return `${layer} ${round(window.cpuUs / Math.max(1, window.completed), 1)} µs`;
      };
      log(`  round ${index + 1}: CPU per request ${LAYERS.map(perRequest).join(', ')}`);
    }
    const summary = Object.fromEntries(
      LAYERS.map((layer) => {
        const all = windows[layer];
        const sum = (pick: (window: Window) => number) => all.reduce((total, window) => total + pick(window), 0);
        const completed = sum((window) => window.completed);
        return [
          layer,
          {
            requestsPerSec: round(completed / sum((window) => window.seconds), 0),
            cpuUsPerRequest: round(sum((window) => window.cpuUs) / Math.max(1, completed), 1),
            gcUsPerRequest: round((sum((window) => window.gcMs) * 1000) / Math.max(1, completed), 1),
            requestsPerGc: round(
              completed /
                Math.max(
                  1,
                  sum((window) => window.gcCount),
                ),
              0,
            ),
            errors: sum((window) => window.errors),
          },
        ];
      }),
    ) as Partial<Record<Layer, Record<string, number>>>;
    for (const layer of LAYERS) {
      const figures = summary[layer]!;
      log(
        `  ${layer}: ${figures.requestsPerSec} req/s, ${figures.cpuUsPerRequest} µs CPU per request ` +
          `(${figures.gcUsPerRequest} µs of it in GC, one GC per ${figures.requestsPerGc} requests), ${figures.errors} errors`,
      );
    }
    /** kit's CPU per request ÷ the other layer's, per round; the median and the middle half's range. */
    const ratio = (other: Layer) => {
      if (!LAYERS.includes('kit') || !LAYERS.includes(other)) return null;
      const ratios = windows.kit.map((kit, index) => {
        const peer = windows[other][index] as Window;
        return kit.cpuUs / Math.max(1, kit.completed) / (peer.cpuUs / Math.max(1, peer.completed));
      });
      const sorted = [...ratios].sort((a, b) => a - b);
      const quartile = (q: number) => round(sorted[Math.floor(q * (sorted.length - 1))] as number, 3);
      return { median: round(median(ratios), 3), q1: quartile(0.25), q3: quartile(0.75) };
    };
    const result = {
      ...summary,
      kitCpuToFastify: ratio('fastify'),
      kitCpuToBare: ratio('bare'),
      rounds: ROUNDS,
      windowSeconds: WINDOW_SECONDS,
      loadAverage1m: round(os.loadavg()[0] ?? 0, 1),
    };
    const describe = (value: ReturnType<typeof ratio>) =>
      value ? `${value.median} (middle half ${value.q1}–${value.q3})` : 'not measured';
    log(
      `kit ÷ fastify CPU per request: ${describe(result.kitCpuToFastify)}; kit ÷ bare: ${describe(result.kitCpuToBare)}`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
    // SIGINT lets the server exit normally, so --cpu-prof writes its profile.
    server.kill('SIGINT');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:http failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
