// Verifications at scale (issue 18 item 5): N concurrent verifications with 1-minute windows against a fast
// fake Prometheus, judged by one autopilot replica and then by two on the same Postgres; how late each
// window is judged after it is due, CPU per window, and that no window is judged twice. Then visibility's
// timers on the same job queue: 10,000 gates whose deadlines fall in the same minute, and how late each
// expires. The services run as in production (compiled, own processes) on a throwaway Postgres cluster.
//
// npm run bench:verifications [-- --verifications N --windows W --window-seconds S --gates G
//   --expiry-spread-seconds S --replicas 1,2 --skip-expiry --quick]
// The replicas inherit the environment, so AUTOPILOT_JOBS__CONCURRENCY=… and the like try other settings.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '@isd/test-support';
import { startFakePrometheus, type FakePrometheus } from './fake-prometheus';
import { parseOptions, type Options } from './options';

// Plain JS shared with jest's global setup: initdb + pg_ctl in a temp dir.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startPostgresCluster } = require('@isd/test-support/postgres-cluster.js') as {
  startPostgresCluster(): Promise<{ url: string; stop(): void }>;
};

const root = path.resolve(__dirname, '..', '..');
const SERVICE_TOKEN = 'bench-service-token-0123456789';
const GATE_TOKEN = 'bench-gate-token-0123456789ab';
const METRICS = ['latency_p50', 'latency_p99', 'error_rate', 'cpu_seconds'];
const CREATE_CONCURRENCY = 16;
const WARMUP_VERIFICATIONS = 50;
const WARMUP_GATES = 50;
/** The intervals of the measured verifications (not the warm-up's). */
const MEASURED_INTERVALS = `autopilot.verification_intervals i JOIN autopilot.verifications v
  ON v.id = i.verification_id AND v.execution_id LIKE 'bench-%'`;

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
function cpuMs(pid: number | undefined): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

interface Service {
  child: ChildProcess;
  url: string;
  /** The last lines it wrote, for the error when it dies. */
  tail: string[];
}

/** Starts one replica of a service from its compiled `dist/main.js` and waits for `/readyz`. */
async function startService(name: 'autopilot' | 'visibility', env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const prefix = name.toUpperCase();
  const tail: string[] = [];
  const child = spawn(process.execPath, [path.join(root, `sidecars/${name}/dist/main.js`)], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      NODE_ENV: 'production',
      [`${prefix}_SERVER__PORT`]: String(port),
      [`${prefix}_SERVER__HOST`]: '127.0.0.1',
      [`${prefix}_AUTH__SERVICE_TOKEN`]: SERVICE_TOKEN,
      [`${prefix}_AUTH__GATE_TOKEN`]: GATE_TOKEN,
      [`${prefix}_LOG__PRETTY`]: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString());
    if (tail.length > 50) tail.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${tail.join('')}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { child, url, tail };
    if (Date.now() > deadline) throw new Error(`${name} did not start: ${tail.join('')}`);
    await sleep(200);
  }
}

async function stopService(service: Service): Promise<void> {
  if (service.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => service.child.once('exit', () => resolve()));
  service.child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (service.child.exitCode === null) service.child.kill('SIGKILL');
}

async function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-isd-service-token': SERVICE_TOKEN },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** Runs `count` calls of `task` with bounded concurrency, in index order. */
async function forEachConcurrently(count: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CREATE_CONCURRENCY, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** Windows a replica judged, from its own counter (a window judged twice counts twice there, once in the table). */
async function windowsJudgedBy(service: Service): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('autopilot_windows_judged_total'))
    .reduce((total, line) => total + Number(line.split(' ').pop()), 0);
}

/** Mean seconds per window phase (fetch, judge, store) over the replicas, from their own histogram. */
async function phaseMeansMs(services: Service[]): Promise<Record<string, number>> {
  const sums: Record<string, { sum: number; count: number }> = {};
  for (const service of services) {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    for (const match of text.matchAll(
      /^autopilot_window_phase_seconds_(sum|count)\{[^}]*phase="(\w+)"[^}]*\} (\S+)$/gm,
    )) {
      const entry = (sums[match[2]!] ??= { sum: 0, count: 0 });
      entry[match[1] as 'sum' | 'count'] += Number(match[3]);
    }
  }
  return Object.fromEntries(
    Object.entries(sums).map(([phase, { sum, count }]) => [phase, round((sum / Math.max(1, count)) * 1000)]),
  );
}

/** A create request: the issue's shape of verification, `windows` windows of `windowSeconds` each. */
function verificationBody(executionId: string, startMs: number, options: Options) {
  const windowMs = options.windowSeconds * 1000;
  return {
    application: 'bench',
    executionId,
    stageId: 'verify',
    template: {
      stepSeconds: Math.max(1, Math.round(options.windowSeconds / 12)),
      metrics: METRICS.map((name) => ({
        name,
        provider: 'prom',
        query: `${name}{\${scope}}`,
        direction: 'increase',
        groups: [name.split('_')[0]],
      })),
    },
    baseline: { deployment: 'web-v1', pod: `baseline-${executionId}` },
    canary: { deployment: 'web-v2', pod: `canary-${executionId}` },
    startTime: new Date(startMs).toISOString(),
    lifetimeMs: options.windows * windowMs,
    intervalMs: windowMs,
    lookbackMs: windowMs,
    thresholds: null,
    judge: null,
  };
}

/** Polls `check` every 500 ms until it answers true, or fails naming `what` after `timeoutMs`. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(500);
  }
}

async function createDatabase(clusterUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: clusterUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return clusterUrl.replace(/\/postgres$/, `/${name}`);
}

interface VerificationPhase {
  replicas: number;
  verifications: number;
  windowsJudged: number;
  windowsExpected: number;
  p50LatenessMs: number;
  p99LatenessMs: number;
  maxLatenessMs: number;
  cpuMsPerWindow: number;
  judgedTwice: number;
  perReplica: number[];
  /** Wall time of a window's fetch, judge and store phases inside the service (mean, ms). */
  windowPhaseMeanMs: Record<string, number>;
  verdicts: Record<string, number>;
  createdLate: number;
  createsPerSec: number;
}

async function verificationPhase(
  options: Options,
  clusterUrl: string,
  prometheus: FakePrometheus,
  replicas: number,
): Promise<VerificationPhase> {
  const databaseUrl = await createDatabase(clusterUrl, `verifications_${replicas}`);
  const services: Service[] = [];
  const database = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    for (let index = 0; index < replicas; index++) {
      log(`starting autopilot replica ${index + 1}/${replicas}`);
      services.push(
        await startService('autopilot', {
          AUTOPILOT_DATABASE__URL: databaseUrl,
          AUTOPILOT_PROVIDERS: `{prom: {type: prometheus, url: '${prometheus.url}', timeoutMs: 10000}}`,
          AUTOPILOT_LOG__LEVEL: 'info',
        }),
      );
    }
    const { verifications: count, windows, windowSeconds } = options;
    const windowMs = windowSeconds * 1000;
    // A fresh process judges its first windows slowly (JIT, connections), as a running replica would
    // not: verifications whose windows are already past warm the replicas up and are not measured.
    const warmups = Math.min(WARMUP_VERIFICATIONS, count);
    log(`warming up: ${warmups} verifications whose windows are already past`);
    await forEachConcurrently(warmups, async (index) => {
      const answer = await post(
        `${services[index % services.length]!.url}/api/v1/verifications`,
        verificationBody(`warmup-${replicas}-${index}`, Date.now() - windows * windowMs - 1_000, options),
      );
      if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text}`);
    });
    await waitFor('the warm-up verifications finishing', 300_000, async () => {
      const { rows } = await database.query<{ running: string }>(
        `SELECT count(*) AS running FROM autopilot.verifications WHERE status = 'running'`,
      );
      return Number(rows[0]!.running) === 0;
    });
    const judgedInWarmup = await Promise.all(services.map(windowsJudgedBy));
    // Starts are spread evenly over one window, as a steady stream of deployments would have them, so
    // windows fall due at count / windowSeconds per second. The first is due one window after the start
    // of the creates plus a head start of 5 s.
    const firstStartMs = Date.now() + 5_000;
    const startOf = (index: number) => firstStartMs + Math.floor((index / count) * windowMs);
    log(
      `creating ${count} verifications (${windows} window(s) of ${windowSeconds} s each, ${METRICS.length} metrics; ` +
        `starts spread over ${windowSeconds} s, so ${round(count / windowSeconds)} windows fall due per second)`,
    );
    let createdLate = 0;
    let created = 0;
    const createStarted = performance.now();
    let lastReport = Date.now();
    await forEachConcurrently(count, async (index) => {
      const service = services[index % services.length]!;
      const startMs = startOf(index);
      const answer = await post(
        `${service.url}/api/v1/verifications`,
        verificationBody(`bench-${replicas}-${index}`, startMs, options),
      );
      if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text}`);
      if (Date.now() > startMs + windowMs) createdLate++;
      created++;
      if (Date.now() - lastReport > 5_000) {
        lastReport = Date.now();
        log(`  created ${created}/${count}`);
      }
    });
    const createSeconds = (performance.now() - createStarted) / 1000;
    log(`created ${count} in ${round(createSeconds)} s (${createdLate} only after their first window was due)`);

    // CPU from the end of the creates: the replicas judge windows and poll, nothing else.
    const judgingFromMs = Date.now();
    const cpuBefore = services.reduce((total, service) => total + cpuMs(service.child.pid), 0);
    const lastDueMs = startOf(count - 1) + windows * windowMs;
    const giveUpAtMs = lastDueMs + 120_000;
    let judged = 0;
    for (;;) {
      for (const service of services)
        if (service.child.exitCode !== null) throw new Error(`autopilot exited: ${service.tail.join('')}`);
      const { rows } = await database.query<{ running: string; judged: string; late: number | null }>(
        `SELECT (SELECT count(*) FROM autopilot.verifications WHERE status = 'running') AS running,
                (SELECT count(*) FROM ${MEASURED_INTERVALS}) AS judged,
                (SELECT max(EXTRACT(EPOCH FROM i.judged_at) * 1000 - i.end_ms)::float8 FROM ${MEASURED_INTERVALS}) AS late`,
      );
      const running = Number(rows[0]!.running);
      judged = Number(rows[0]!.judged);
      // Window k of verification i is due at start(i) + k windows.
      let dueSoFar = 0;
      for (let k = 1; k <= windows; k++)
        dueSoFar += Math.min(
          count,
          Math.max(0, Math.floor(((Date.now() - firstStartMs - k * windowMs) / windowMs) * count)),
        );
      log(
        `  windows judged ${judged}/${count * windows} (about ${dueSoFar} due so far), ${running} running, ` +
          `latest so far ${rows[0]!.late === null ? '-' : `${round(rows[0]!.late / 1000, 2)} s`}`,
      );
      if (running === 0) break;
      if (Date.now() > giveUpAtMs) {
        log(`  giving up: ${running} verifications still running two minutes after the last window was due`);
        break;
      }
      await sleep(Math.min(5_000, Math.max(1_000, lastDueMs - Date.now())));
    }
    const cpuSpent = services.reduce((total, service) => total + cpuMs(service.child.pid), 0) - cpuBefore;
    const { rows: intervals } = await database.query<{ lateness: number; judged_at: Date }>(
      `SELECT (EXTRACT(EPOCH FROM i.judged_at) * 1000 - i.end_ms)::float8 AS lateness, i.judged_at
         FROM ${MEASURED_INTERVALS}`,
    );
    const lateness = intervals.map((row) => Number(row.lateness)).sort((a, b) => a - b);
    const judgedWhileMeasured = intervals.filter((row) => row.judged_at.getTime() >= judgingFromMs).length;
    const { rows: verdictRows } = await database.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM autopilot.verifications WHERE execution_id LIKE 'bench-%' GROUP BY status`,
    );
    // The replicas' counters include the warm-up's windows, so they are compared with every stored window.
    const judgedByReplica = await Promise.all(services.map(windowsJudgedBy));
    const perReplica = judgedByReplica.map((n, index) => n - judgedInWarmup[index]!);
    const { rows: stored } = await database.query<{ n: string }>(
      'SELECT count(*) AS n FROM autopilot.verification_intervals',
    );
    const windowPhaseMeanMs = await phaseMeansMs(services);
    const counted = judgedByReplica.reduce((total, n) => total + n, 0);
    const phase: VerificationPhase = {
      replicas,
      verifications: count,
      windowsJudged: lateness.length,
      windowsExpected: count * windows,
      p50LatenessMs: round(percentile(lateness, 50)),
      p99LatenessMs: round(percentile(lateness, 99)),
      maxLatenessMs: round(lateness[lateness.length - 1] ?? NaN),
      cpuMsPerWindow: round(cpuSpent / Math.max(1, judgedWhileMeasured), 2),
      judgedTwice: counted - Number(stored[0]!.n),
      perReplica,
      windowPhaseMeanMs,
      verdicts: Object.fromEntries(verdictRows.map((row) => [row.status, Number(row.n)])),
      createdLate,
      createsPerSec: round(count / createSeconds),
    };
    log(
      `${replicas} replica(s): ${phase.windowsJudged}/${phase.windowsExpected} windows judged, lateness p50 ` +
        `${phase.p50LatenessMs} ms, p99 ${phase.p99LatenessMs} ms, max ${phase.maxLatenessMs} ms; ` +
        `${phase.cpuMsPerWindow} ms CPU per window; per replica ${perReplica.join(' + ')}; judged twice: ${phase.judgedTwice}; ` +
        `inside the service per window: ${Object.entries(windowPhaseMeanMs)
          .map(([name, ms]) => `${name} ${ms} ms`)
          .join(', ')}`,
    );
    return phase;
  } finally {
    await database.end().catch(() => undefined);
    for (const service of services) await stopService(service);
  }
}

interface ExpiryPhase {
  gates: number;
  expired: number;
  p50LatenessMs: number;
  p99LatenessMs: number;
  maxLatenessMs: number;
  cpuMsPerExpiry: number;
  createdLate: number;
}

function gateBody(executionId: string, timeoutMs: number) {
  return {
    application: 'bench',
    pipelineName: 'deploy',
    pipelineId: 'bench-pipeline',
    executionId,
    stageId: 'approval',
    triggeredBy: 'release-bot',
    approverGroups: [{ name: 'release-managers', required: 1 }],
    allowSelfApproval: false,
    timeoutMs,
    instructions: 'Benchmark gate',
    evidence: [],
    autoDecision: null,
  };
}

async function expiryPhase(options: Options, clusterUrl: string): Promise<ExpiryPhase> {
  const databaseUrl = await createDatabase(clusterUrl, 'expiry');
  const database = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  log('starting visibility');
  const service = await startService('visibility', {
    VISIBILITY_DATABASE__URL: databaseUrl,
    VISIBILITY_LOG__LEVEL: 'info',
  });
  try {
    const count = options.gates;
    // The create rate decides how far ahead the deadlines' minute must start: measured on gates that stay
    // open (an hour's timeout), as other open gates would in production.
    const probe = Math.min(200, count);
    const probeStarted = performance.now();
    await forEachConcurrently(probe, async (index) => {
      const answer = await post(`${service.url}/api/v1/approvals`, gateBody(`open-${index}`, 3_600_000));
      if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text}`);
    });
    const msPerCreate = (performance.now() - probeStarted) / probe;
    // The expiry path warmed up too: gates with the shortest timeout, expired before the measured ones.
    log(`warming up: ${WARMUP_GATES} gates expiring in a second`);
    await forEachConcurrently(WARMUP_GATES, async (index) => {
      const answer = await post(`${service.url}/api/v1/approvals`, gateBody(`warmup-${index}`, 1_000));
      if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text}`);
    });
    await waitFor('the warm-up gates expiring', 120_000, async () => {
      const { rows } = await database.query<{ n: string }>(
        `SELECT count(*) AS n FROM visibility.approvals WHERE status = 'expired'`,
      );
      return Number(rows[0]!.n) >= WARMUP_GATES;
    });
    const spreadMs = options.expirySpreadSeconds * 1000;
    const firstDeadlineMs = Date.now() + Math.ceil(count * msPerCreate * 1.5) + 5_000;
    const deadlineOf = (index: number) => firstDeadlineMs + Math.floor((index / count) * spreadMs);
    log(
      `creating ${count} gates whose deadlines fall within ${options.expirySpreadSeconds} s from ` +
        `${new Date(firstDeadlineMs).toISOString().slice(11, 19)} (${round(1000 / msPerCreate)} creates/s measured)`,
    );
    let createdLate = 0;
    let created = 0;
    let lastReport = Date.now();
    await forEachConcurrently(count, async (index) => {
      const timeoutMs = deadlineOf(index) - Date.now();
      if (timeoutMs < 1_000) {
        createdLate++;
        return;
      }
      const answer = await post(`${service.url}/api/v1/approvals`, gateBody(`expiring-${index}`, timeoutMs));
      if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text}`);
      created++;
      if (Date.now() - lastReport > 5_000) {
        lastReport = Date.now();
        log(`  created ${created}/${count}`);
      }
    });
    log(`created ${created} expiring gates (${createdLate} skipped: their deadline was under a second away)`);
    const cpuBefore = cpuMs(service.child.pid);
    const lastDeadlineMs = deadlineOf(count - 1);
    const giveUpAtMs = lastDeadlineMs + 60_000;
    let expired = 0;
    for (;;) {
      if (service.child.exitCode !== null) throw new Error(`visibility exited: ${service.tail.join('')}`);
      const { rows } = await database.query<{ expired: string }>(
        `SELECT count(*) AS expired FROM visibility.approvals WHERE status = 'expired' AND execution_id LIKE 'expiring-%'`,
      );
      expired = Number(rows[0]!.expired);
      log(`  ${expired}/${created} gates expired`);
      if (expired >= created) break;
      if (Date.now() > giveUpAtMs) {
        log(`  giving up: ${created - expired} gates still open a minute after the last deadline`);
        break;
      }
      await sleep(Math.min(5_000, Math.max(1_000, lastDeadlineMs - Date.now())));
    }
    const cpuSpent = cpuMs(service.child.pid) - cpuBefore;
    const { rows } = await database.query<{ lateness: number }>(
      `SELECT (EXTRACT(EPOCH FROM (closed_at - deadline)) * 1000)::float8 AS lateness
         FROM visibility.approvals WHERE status = 'expired' AND execution_id LIKE 'expiring-%'`,
    );
    const lateness = rows.map((row) => Number(row.lateness)).sort((a, b) => a - b);
    const phase: ExpiryPhase = {
      gates: created,
      expired: lateness.length,
      p50LatenessMs: round(percentile(lateness, 50)),
      p99LatenessMs: round(percentile(lateness, 99)),
      maxLatenessMs: round(lateness[lateness.length - 1] ?? NaN),
      cpuMsPerExpiry: round(cpuSpent / Math.max(1, lateness.length), 2),
      createdLate,
    };
    log(
      `expiry: ${phase.expired}/${phase.gates} expired, lateness p50 ${phase.p50LatenessMs} ms, p99 ` +
        `${phase.p99LatenessMs} ms, max ${phase.maxLatenessMs} ms; ${phase.cpuMsPerExpiry} ms CPU per expiry`,
    );
    return phase;
  } finally {
    await database.end().catch(() => undefined);
    await stopService(service);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  log('building autopilot and visibility (tsc -b)');
  const build = spawnSync('npx', ['tsc', '-b', 'sidecars/autopilot', 'sidecars/visibility'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('tsc -b sidecars/autopilot sidecars/visibility failed');
  log('starting a throwaway Postgres cluster and the fake Prometheus');
  const cluster = await startPostgresCluster();
  const prometheus = await startFakePrometheus();
  try {
    const phases: Record<string, VerificationPhase> = {};
    for (const replicas of options.replicaCounts)
      phases[String(replicas)] = await verificationPhase(options, cluster.url, prometheus, replicas);
    const expiry = options.expiry ? await expiryPhase(options, cluster.url) : null;
    const single = phases['1']!;
    const result = {
      p99LatenessMs: single.p99LatenessMs,
      p50LatenessMs: single.p50LatenessMs,
      cpuMsPerWindow: single.cpuMsPerWindow,
      replicas: phases,
      expiry,
      windowSeconds: options.windowSeconds,
      prometheusRangeQueries: prometheus.rangeQueries(),
      // Other work on the machine skews every number; the 1-minute load average says how much there was.
      loadAverage1m: round(os.loadavg()[0] ?? 0),
      cpus: os.cpus().length,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await prometheus.close();
    cluster.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:verifications failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
