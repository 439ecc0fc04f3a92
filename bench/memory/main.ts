// `npm run bench:memory`: resident memory (RSS) of each sidecar idle and after a burst of typical requests,
// on an external Postgres (a throwaway initdb cluster) and on the embedded PGlite default, against the
// baseline of a bare Node process in the same run. Runs the compiled services as `npm start` does
// (`npm run build` first). Prints one JSON line last.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '@isd/test-support';

// Plain JS shared with jest's global setup: initdb + pg_ctl in a temp dir.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startPostgresCluster } = require('@isd/test-support/postgres-cluster.js') as {
  startPostgresCluster(): Promise<{ url: string; stop(): void }>;
};

const root = path.resolve(__dirname, '..', '..');
const SERVICE_TOKEN = 'bench-service-token-0123456789';
const GATE_TOKEN = 'bench-gate-token-0123456789ab';
const service = { 'x-isd-service-token': SERVICE_TOKEN, 'content-type': 'application/json' };
const admin = { 'x-isd-gate-token': GATE_TOKEN, 'x-spinnaker-user': 'admin', 'content-type': 'application/json' };

type Sidecar = 'visibility' | 'autopilot' | 'sapor';

/** Resident and peak memory of a process in MB, from /proc (Linux). */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

async function waitFor(url: string, child: ChildProcess, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the service exited (${child.exitCode})`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

async function call(url: string, init: RequestInit & { expect?: number[] }): Promise<void> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  if (!(init.expect ?? [200, 201, 202]).includes(response.status))
    throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status}`);
}

/** A burst of each service's typical traffic: creates and polls, template reads, policy evaluations. */
async function load(name: Sidecar, base: string, requests: number): Promise<void> {
  const run = `${process.pid}-${Date.now()}`;
  if (name === 'visibility') {
    for (let i = 0; i < requests; i++) {
      await call(`${base}/api/v1/approvals`, {
        method: 'POST',
        headers: service,
        body: JSON.stringify({
          application: 'bench',
          pipelineName: 'deploy',
          executionId: `exec-${run}-${i}`,
          stageId: 'approve',
          triggeredBy: 'carol',
          approverGroups: [{ name: 'release-managers', required: 1 }],
        }),
      });
      await call(`${base}/api/v1/approvals?status=activated&limit=50`, { headers: { ...admin } });
    }
  } else if (name === 'autopilot') {
    for (let i = 0; i < requests; i++) {
      await call(`${base}/api/v1/templates`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({
          name: `bench-${i % 20}`,
          metrics: [{ name: 'latency', query: `avg(latency_seconds{\${scope}, n="${i}"})`, provider: 'prom' }],
        }),
      });
      await call(`${base}/api/v1/templates`, { headers: service });
    }
  } else {
    const source = 'package bench\n\nimport rego.v1\n\ndefault allow := false\n\nallow if input.n % 2 == 0\n';
    await call(`${base}/api/v1/policies/bench`, { method: 'PUT', headers: admin, body: JSON.stringify({ source }) });
    for (let i = 0; i < requests * 2; i++) {
      await call(`${base}/v1/data/bench/allow`, {
        method: 'POST',
        headers: service,
        body: JSON.stringify({ input: { n: i } }),
      });
    }
  }
}

async function measure(name: Sidecar, databaseUrl: string | undefined, requests: number) {
  const port = await freePort();
  const prefix = `${name.toUpperCase()}_`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `isd-bench-memory-${name}-`));
  const child = spawn(process.execPath, [path.join(root, 'sidecars', name, 'dist', 'main.js')], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      [`${prefix}SERVER__PORT`]: String(port),
      [`${prefix}SERVER__HOST`]: '127.0.0.1',
      [`${prefix}AUTH__SERVICE_TOKEN`]: SERVICE_TOKEN,
      [`${prefix}AUTH__GATE_TOKEN`]: GATE_TOKEN,
      [`${prefix}AUTH__USERS`]: JSON.stringify({ admin: ['admin'] }),
      [`${prefix}LOG__LEVEL`]: 'warn',
      [`${prefix}DATABASE__EMBEDDED_DATA_DIR`]: dataDir,
      ...(databaseUrl ? { [`${prefix}DATABASE__URL`]: databaseUrl } : {}),
      ...(name === 'autopilot'
        ? {
            AUTOPILOT_PROVIDERS__PROM__TYPE: 'prometheus',
            AUTOPILOT_PROVIDERS__PROM__URL: 'http://127.0.0.1:9',
            AUTOPILOT_ANALYSIS__CHECK_QUERIES_ON_CREATE: 'false',
          }
        : {}),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/readyz`, child);
    // Idle: after start-up work (migrations, job queue) has settled.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const idle = memoryOf(child.pid as number);
    await load(name, base, requests);
    const loaded = memoryOf(child.pid as number);
    return { idleMb: idle.rssMb, loadedMb: loaded.rssMb, peakMb: loaded.peakMb };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** RSS of a Node process that does nothing: the floor every service starts from. */
async function bareNodeMb(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const { rssMb } = memoryOf(child.pid as number);
  child.kill();
  return rssMb;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '200' },
      embedded: { type: 'boolean', default: true },
    },
  });
  const requests = Number(values.requests);
  if (!Number.isInteger(requests) || requests < 1) throw new Error('--requests must be a positive integer');
  const baseline = await bareNodeMb();
  const cluster = await startPostgresCluster();
  const results: Record<string, unknown> = {};
  try {
    for (const name of ['visibility', 'autopilot', 'sapor'] as const) {
      const external = await measure(name, cluster.url, requests);
      const embedded = values.embedded ? await measure(name, undefined, requests) : undefined;
      results[name] = {
        external: { ...external, idleOverBareNode: +(external.idleMb / baseline).toFixed(2) },
        ...(embedded ? { embedded: { ...embedded, idleOverBareNode: +(embedded.idleMb / baseline).toFixed(2) } } : {}),
      };
      process.stdout.write(`${name}: ${JSON.stringify(results[name])}\n`);
    }
  } finally {
    cluster.stop();
  }
  process.stdout.write(`${JSON.stringify({ benchmark: 'memory', bareNodeMb: baseline, requests, results })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:memory: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
