// Approval gate benchmark: 10,000 open gates on a throwaway real Postgres cluster, the visibility service
// in its own process, and this process driving Orca-style status polls plus a trickle of creates and
// decisions. Reports sustained throughput, latency at Orca's target rate, and the ratio of poll
// throughput to a bare primary-key SELECT through a pool of the same size (the floor the API cannot beat).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Pool } from 'undici';
import { freePort } from '@isd/test-support';

// Plain JS shared with jest's global setup: initdb + pg_ctl in a temp dir.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startPostgresCluster } = require('@isd/test-support/postgres-cluster.js') as {
  startPostgresCluster(): Promise<{ url: string; stop(): void }>;
};

const root = path.resolve(__dirname, '..', '..');
const SERVICE_TOKEN = 'bench-service-token-0123456789';
const GATE_TOKEN = 'bench-gate-token-0123456789ab';
const OPEN_GATES = Number(process.env.BENCH_OPEN_GATES ?? 10_000);
const TARGET_POLLS_PER_SEC = Number(process.env.BENCH_POLL_RATE ?? 700);
const FIXED_RATE_SECONDS = Number(process.env.BENCH_FIXED_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WINDOW_SECONDS = Number(process.env.BENCH_WINDOW_SECONDS ?? 2);
const MAX_CONCURRENCY = 32;
const TRICKLE_PER_SEC = 5;
const POOL_SIZE = 10;
/** Service processes on one database (the chart runs several); the bare-select pool grows with them. */
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 1);
const APPROVERS = Array.from({ length: 20 }, (_, index) => `approver${index}`);

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

async function startService(
  databaseUrl: string,
  port: number,
  layers?: { fastifyPort: number },
): Promise<ChildProcess> {
  const output: string[] = [];
  // BENCH_CPU_PROFILE=dir writes a V8 CPU profile of each replica there when it stops.
  const profileArgs = process.env.BENCH_CPU_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`]
    : [];
  // The HTTP-layer comparison serves the same routes through the kit and through fastify from one process.
  const entry = [path.join(root, layers ? 'bench/dist/approvals/http-layers.js' : 'sidecars/visibility/dist/main.js')];
  const child = spawn(process.execPath, [...profileArgs, ...entry], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      NODE_ENV: 'production',
      VISIBILITY_DATABASE__URL: databaseUrl,
      VISIBILITY_DATABASE__POOL_SIZE: String(POOL_SIZE),
      VISIBILITY_SERVER__PORT: String(port),
      VISIBILITY_SERVER__HOST: '127.0.0.1',
      VISIBILITY_AUTH__SERVICE_TOKEN: SERVICE_TOKEN,
      VISIBILITY_AUTH__GATE_TOKEN: GATE_TOKEN,
      VISIBILITY_AUTH__USERS: `{${APPROVERS.map((user) => `${user}: [release-managers]`).join(', ')}}`,
      VISIBILITY_LOG__LEVEL: 'warn',
      VISIBILITY_LOG__PRETTY: 'false',
      ...(layers ? { HTTP_LAYERS_FASTIFY_PORT: String(layers.fastifyPort) } : {}),
    },
    // The HTTP-layer process answers messages with its exact CPU time (/proc's ticks are 10 ms).
    stdio: ['ignore', 'pipe', 'pipe', ...(layers ? (['ipc'] as const) : [])],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`visibility exited: ${output.join('')}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return child;
    if (Date.now() > deadline) throw new Error(`visibility did not start: ${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface Client {
  request(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<{ status: number; body: string }>;
}

function client(pool: Pool): Client {
  return {
    async request(method, requestPath, headers, body) {
      const response = await pool.request({
        method,
        path: requestPath,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.statusCode, body: await response.body.text() };
    },
  };
}

const orca = { 'x-isd-service-token': SERVICE_TOKEN };
const asUser = (user: string) => ({ 'x-isd-gate-token': GATE_TOKEN, 'x-spinnaker-user': user });

function createBody(executionId: string) {
  return {
    application: 'bench',
    pipelineName: 'deploy',
    pipelineId: 'bench-pipeline',
    executionId,
    stageId: 'approval',
    triggeredBy: 'release-bot',
    approverGroups: [{ name: 'release-managers', required: 1 }],
    allowSelfApproval: false,
    timeoutMs: 86_400_000,
    instructions: 'Benchmark gate',
    evidence: [],
    autoDecision: null,
  };
}

/** Creates and decisions at a steady low rate, as pipelines start and people click. */
function startTrickle(
  http: Client,
  stats: { creates: number; decisions: number; errors: number },
): () => Promise<void> {
  let stopped = false;
  const pendingDecisions: string[] = [];
  const running = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (stopped) return;
    const work = (async () => {
      const created = await http.request('POST', '/api/v1/approvals', orca, createBody(`trickle-${randomUUID()}`));
      if (created.status === 202) {
        stats.creates++;
        pendingDecisions.push((JSON.parse(created.body) as { id: string }).id);
      } else stats.errors++;
      const id = pendingDecisions.shift();
      if (id) {
        const user = APPROVERS[Math.floor(Math.random() * APPROVERS.length)] as string;
        const decided = await http.request('POST', `/api/v1/approvals/${id}/decisions`, asUser(user), {
          action: 'approve',
          comment: 'bench',
        });
        if (decided.status === 200) stats.decisions++;
        else stats.errors++;
      }
    })().catch(() => {
      stats.errors++;
    });
    running.add(work);
    void work.finally(() => running.delete(work));
  }, 1000 / TRICKLE_PER_SEC);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await Promise.all(running);
  };
}

async function seed(http: Client, count: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  let lastReport = Date.now();
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const answer = await http.request('POST', '/api/v1/approvals', orca, createBody(`seed-${index}`));
      if (answer.status !== 202) throw new Error(`seeding create answered ${answer.status}: ${answer.body}`);
      ids.push((JSON.parse(answer.body) as { id: string }).id);
      if (Date.now() - lastReport > 2_000) {
        lastReport = Date.now();
        log(`seeding: ${ids.length}/${count} open gates`);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return ids;
}

/** Open loop at a fixed rate; latency counts from the intended send time, so queueing is not hidden. */
async function fixedRate(http: Client, ids: string[], ratePerSec: number, seconds: number) {
  const latencies: number[] = [];
  const serviceLatencies: number[] = [];
  let errors = 0;
  // A 1 ms tick sends each request within about 1 ms of its intended time; a coarser tick would charge
  // the generator's own batching (up to a whole tick) to every request's latency.
  const tickMs = 1;
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      if (elapsed >= seconds * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor((elapsed / 1000) * ratePerSec) - sent;
      for (let i = 0; i < due; i++) {
        const intended = started + ((sent + 1) / ratePerSec) * 1000;
        sent++;
        const id = ids[Math.floor(Math.random() * ids.length)] as string;
        const sentAt = performance.now();
        const work = http.request('GET', `/api/v1/approvals/${id}`, orca).then(
          (answer) => {
            if (answer.status === 200 && answer.body.includes('"status":"')) {
              latencies.push(performance.now() - intended);
              serviceLatencies.push(performance.now() - sentAt);
            } else errors++;
          },
          () => {
            errors++;
          },
        );
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      }
    }, tickMs);
  });
  await Promise.all(inFlight);
  const elapsedSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  serviceLatencies.sort((a, b) => a - b);
  return {
    completed: latencies.length,
    errors,
    perSec: latencies.length / elapsedSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    sentP50: percentile(serviceLatencies, 50),
    sentP99: percentile(serviceLatencies, 99),
  };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** The CPU time (user + system) the HTTP-layer process has used so far, in ms, as it reports it. */
function reportedCpuMs(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve((message as { cpuUs: number }).cpuUs / 1000));
    child.send('cpu');
  });
}

/** Sum and count of the service's own request-duration histogram for the status-poll route. */
async function serviceSideSeconds(port: number): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (suffix: string) =>
    text
      .split('\n')
      .filter(
        (line) =>
          line.startsWith(`http_request_duration_seconds_${suffix}{`) &&
          line.includes('route="/api/v1/approvals/:id"') &&
          line.includes('method="GET"'),
      )
      .reduce((total, line) => total + Number(line.split(' ').pop()), 0);
  return { sum: read('sum'), count: read('count') };
}

/** Closed loop at fixed concurrency: how many operations per second the system sustains. */
async function closedLoop(operation: () => Promise<boolean>, concurrency: number, seconds: number) {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const begin = performance.now();
        const ok = await operation().catch(() => false);
        if (ok) latencies.push(performance.now() - begin);
        else errors++;
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  return { latencies, errors, elapsedSeconds };
}

/** Aggregates closed-loop windows into throughput and latency percentiles. */
function summarize(windows: Array<{ latencies: number[]; errors: number; elapsedSeconds: number }>) {
  const latencies = windows.flatMap((window) => window.latencies).sort((a, b) => a - b);
  const seconds = windows.reduce((total, window) => total + window.elapsedSeconds, 0);
  return {
    completed: latencies.length,
    errors: windows.reduce((total, window) => total + window.errors, 0),
    perSec: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/**
 * Kit router vs fastify (decision 001): one extra process serves visibility's routes through both layers
 * with the same handlers; closed-loop status polls alternate between them in short windows, and the
 * process's CPU time per poll is read for each window.
 */
async function compareHttpLayers(databaseUrl: string, ids: string[], services: ChildProcess[], undici: Pool[]) {
  const kitPort = await freePort();
  const fastifyPort = await freePort();
  log(
    `HTTP layers: one process serving the same routes through the kit (port ${kitPort}) and fastify (${fastifyPort})`,
  );
  const child = await startService(databaseUrl, kitPort, { fastifyPort });
  services.push(child);
  const layers = { kit: kitPort, fastify: fastifyPort };
  const results: Record<keyof typeof layers, Awaited<ReturnType<typeof closedLoop>>[]> = { kit: [], fastify: [] };
  const cpu = { kit: 0, fastify: 0 };
  const clients = Object.fromEntries(
    Object.entries(layers).map(([name, port]) => {
      const pool = new Pool(`http://127.0.0.1:${port}`, { connections: MAX_CONCURRENCY, pipelining: 1 });
      undici.push(pool);
      return [name, client(pool)];
    }),
  ) as Record<keyof typeof layers, Client>;
  const poll = (layer: keyof typeof layers) => async () => {
    const id = ids[Math.floor(Math.random() * ids.length)] as string;
    const answer = await clients[layer].request('GET', `/api/v1/approvals/${id}`, orca);
    return answer.status === 200 && answer.body.includes('"status":"');
  };
  for (const layer of ['kit', 'fastify'] as const) await closedLoop(poll(layer), MAX_CONCURRENCY, 3);
  // kit CPU per poll ÷ fastify's, per round: windows seconds apart, so load from elsewhere mostly cancels.
  const roundRatios: number[] = [];
  for (let round_ = 1; round_ <= ROUNDS; round_++) {
    const line: string[] = [];
    const perPoll = { kit: 0, fastify: 0 };
    // The first layer alternates, so neither always runs right after the other.
    const order = round_ % 2 ? (['kit', 'fastify'] as const) : (['fastify', 'kit'] as const);
    for (const layer of order) {
      const before = await reportedCpuMs(child);
      const window = await closedLoop(poll(layer), MAX_CONCURRENCY, WINDOW_SECONDS);
      const used = (await reportedCpuMs(child)) - before;
      cpu[layer] += used;
      perPoll[layer] = used / Math.max(1, window.latencies.length);
      results[layer].push(window);
      line.push(
        `${layer} ${round(window.latencies.length / window.elapsedSeconds, 0)} polls/s, ${round(perPoll[layer], 3)} CPU ms/poll`,
      );
    }
    roundRatios.push(perPoll.kit / perPoll.fastify);
    log(`  round ${round_}: ${line.join('; ')}`);
  }
  roundRatios.sort((a, b) => a - b);
  const kit = summarize(results.kit);
  const fastify = summarize(results.fastify);
  const summary = {
    kitPollsPerSec: round(kit.perSec, 0),
    fastifyPollsPerSec: round(fastify.perSec, 0),
    kitCpuMsPerPoll: round(cpu.kit / Math.max(1, kit.completed), 3),
    fastifyCpuMsPerPoll: round(cpu.fastify / Math.max(1, fastify.completed), 3),
    errors: kit.errors + fastify.errors,
    kitToFastifyCpuMedian: round(percentile(roundRatios, 50), 3),
  };
  log(
    `  kit: ${summary.kitPollsPerSec} polls/s, ${summary.kitCpuMsPerPoll} CPU ms/poll; fastify: ${summary.fastifyPollsPerSec} polls/s, ` +
      `${summary.fastifyCpuMsPerPoll} CPU ms/poll (fastify ÷ kit throughput ${round(fastify.perSec / kit.perSec, 3)}; ` +
      `kit ÷ fastify CPU per poll, median of the rounds, ${summary.kitToFastifyCpuMedian})`,
  );
  return { ...summary, fastifyToKitThroughput: round(fastify.perSec / kit.perSec, 3) };
}

async function main(): Promise<void> {
  // The service runs as it does in production: compiled JavaScript, not TypeScript through a loader.
  // bench's project references visibility, so this builds the service and the HTTP-layer comparison.
  log('building visibility and the HTTP-layer comparison (tsc -b bench)');
  const build = spawnSync('npx', ['tsc', '-b', 'bench'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('tsc -b bench failed');
  log('starting a throwaway Postgres cluster');
  const cluster = await startPostgresCluster();
  const services: ChildProcess[] = [];
  const pools: { undici: Pool[]; pg?: pg.Pool } = { undici: [] };
  try {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE approvals_bench');
    await admin.end();
    const databaseUrl = cluster.url.replace(/\/postgres$/, '/approvals_bench');
    const ports: number[] = [];
    for (let index = 0; index < REPLICAS; index++) {
      const port = await freePort();
      log(
        `starting visibility replica ${index + 1}/${REPLICAS} (its own process) on port ${port}, pool size ${POOL_SIZE}`,
      );
      services.push(await startService(databaseUrl, port));
      ports.push(port);
      pools.undici.push(new Pool(`http://127.0.0.1:${port}`, { connections: Math.ceil(64 / REPLICAS), pipelining: 1 }));
    }
    const port = ports[0] as number;
    // Requests go round-robin over the replicas, as a Kubernetes Service spreads connections.
    const replicaClients = pools.undici.map(client);
    let turn = 0;
    const api: Client = {
      request: (...args) => (replicaClients[turn++ % replicaClients.length] as Client).request(...args),
    };

    const seedStarted = performance.now();
    const ids = await seed(api, OPEN_GATES);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(
      `seeded ${ids.length} open gates in ${round(seedSeconds, 1)} s (${round(ids.length / seedSeconds, 0)} creates/s)`,
    );

    const poll = async () => {
      const id = ids[Math.floor(Math.random() * ids.length)] as string;
      const answer = await api.request('GET', `/api/v1/approvals/${id}`, orca);
      return answer.status === 200 && answer.body.includes('"status":"activated"');
    };
    // The first seconds of a fresh process (JIT, connection set-up) are slow; measure after them.
    log('warming up');
    await closedLoop(poll, MAX_CONCURRENCY, 5);

    const database = new pg.Pool({ connectionString: databaseUrl, max: POOL_SIZE * REPLICAS });
    pools.pg = database;
    const select = async () => {
      const id = ids[Math.floor(Math.random() * ids.length)] as string;
      const { rows } = await database.query('SELECT * FROM visibility.approvals WHERE id = $1', [id]);
      return rows.length === 1;
    };
    await closedLoop(select, 8, 1);

    const trickle = { creates: 0, decisions: 0, errors: 0 };
    const stopTrickle = startTrickle(api, trickle);
    // Polls and bare selects alternate in short windows, so a change in the machine's other load hits
    // both sides of the ratio alike.
    log(
      `max throughput: ${ROUNDS} rounds of ${WINDOW_SECONDS} s status polls then ${WINDOW_SECONDS} s bare SELECTs by primary key ` +
        `(${MAX_CONCURRENCY} concurrent callers; selects through a pg pool of ${POOL_SIZE * REPLICAS}, the services' pool size), ` +
        `plus ${TRICKLE_PER_SEC} creates/s and decisions/s throughout`,
    );
    const pollWindows = [];
    const selectWindows = [];
    for (let round_ = 1; round_ <= ROUNDS; round_++) {
      const polls = await closedLoop(poll, MAX_CONCURRENCY, WINDOW_SECONDS);
      const selects = await closedLoop(select, MAX_CONCURRENCY, WINDOW_SECONDS);
      pollWindows.push(polls);
      selectWindows.push(selects);
      log(
        `  round ${round_}: ${round(polls.latencies.length / polls.elapsedSeconds, 0)} polls/s, ` +
          `${round(selects.latencies.length / selects.elapsedSeconds, 0)} selects/s`,
      );
    }
    const max = summarize(pollWindows);
    const bare = summarize(selectWindows);
    log(`  polls: ${round(max.perSec, 0)}/s, p50 ${round(max.p50)} ms, p99 ${round(max.p99)} ms, ${max.errors} errors`);
    log(`  bare selects: ${round(bare.perSec, 0)}/s, p50 ${round(bare.p50)} ms, p99 ${round(bare.p99)} ms`);

    log(`fixed rate: ${TARGET_POLLS_PER_SEC} polls/s for ${FIXED_RATE_SECONDS} s, trickle continuing`);
    const serviceBefore = await serviceSideSeconds(port);
    const cpuBefore = services.reduce((total, child) => total + cpuMs(child.pid), 0);
    const fixed = await fixedRate(api, ids, TARGET_POLLS_PER_SEC, FIXED_RATE_SECONDS);
    const serviceAfter = await serviceSideSeconds(port);
    const serviceCpuMsPerPoll =
      (services.reduce((total, child) => total + cpuMs(child.pid), 0) - cpuBefore) / Math.max(1, fixed.completed);
    const serviceMeanMs =
      ((serviceAfter.sum - serviceBefore.sum) / Math.max(1, serviceAfter.count - serviceBefore.count)) * 1000;
    log(
      `  ${round(fixed.perSec, 0)} polls/s, p50 ${round(fixed.p50)} ms, p99 ${round(fixed.p99)} ms from the intended send time (${round(fixed.sentP50)} / ${round(fixed.sentP99)} ms from the actual send), ${fixed.errors} errors`,
    );
    log(
      `  inside the service (replica 1's own histogram): mean ${round(serviceMeanMs)} ms per status poll; service CPU (all replicas) ${round(serviceCpuMsPerPoll, 3)} ms per poll (trickle included)`,
    );
    await stopTrickle();
    log(`  trickle: ${trickle.creates} creates, ${trickle.decisions} decisions, ${trickle.errors} errors`);

    const httpLayers = await compareHttpLayers(databaseUrl, ids, services, pools.undici);

    const result = {
      pollsPerSec: round(max.perSec, 0),
      p50Ms: round(fixed.p50),
      p99Ms: round(fixed.p99),
      ratioToBareSelect: round(max.perSec / bare.perSec, 3),
      targetPollsPerSec: TARGET_POLLS_PER_SEC,
      achievedPollsPerSecAtTarget: round(fixed.perSec, 0),
      serviceSideMeanMsAtTarget: round(serviceMeanMs),
      serviceCpuMsPerPoll: round(serviceCpuMsPerPoll, 3),
      maxP50Ms: round(max.p50),
      maxP99Ms: round(max.p99),
      bareSelectsPerSec: round(bare.perSec, 0),
      openGates: ids.length,
      replicas: REPLICAS,
      seedCreatesPerSec: round(ids.length / seedSeconds, 0),
      trickle,
      httpLayers,
      errors: fixed.errors + max.errors,
      // Other work on the machine skews every number; the 1-minute load average says how much there was.
      loadAverage1m: round(os.loadavg()[0] ?? 0, 1),
      cpus: os.cpus().length,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    for (const pool of pools.undici) await pool.close().catch(() => undefined);
    await pools.pg?.end().catch(() => undefined);
    for (const service of services) {
      if (service.exitCode !== null) continue;
      const exited = new Promise<void>((resolve) => service.once('exit', () => resolve()));
      service.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (service.exitCode === null) service.kill('SIGKILL');
    }
    cluster.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:approvals failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
