// Test harness: real self-hosted metric stores on loopback, each on free ports with a temporary folder:
// Graphite (carbon-cache fed over the plaintext protocol, graphite-web's render API from its WSGI app; see
// graphite/serve.py) and InfluxDB 1.x (influxd built from its Go module). Both come from
// scripts/install-test-tools.sh; requireTool fails naming it when one is missing.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, requireTool } from '@isd/test-support';

/** A running store. */
export interface StoreProcess {
  url: string;
  stop(): Promise<void>;
}

/** Starts `command`, waits until `ready()` or the process exits; stops it (SIGTERM, then SIGKILL) and removes `dir`. */
async function startProcess(
  what: string,
  command: string,
  args: string[],
  dir: string,
  ready: (output: string) => Promise<boolean>,
  timeoutMs: number,
): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${what} exited with ${child.exitCode}: ${output}`);
    }
    if (await ready(output).catch(() => false)) return { child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${what} not ready within ${timeoutMs} ms: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A running Graphite. */
export interface GraphiteServer extends StoreProcess {
  /** Sends `path value epochSeconds` lines to carbon's plaintext receiver. */
  send(points: Array<{ path: string; value: number; atMs: number }>): Promise<void>;
}

/** Starts carbon-cache and graphite-web (1 s resolution for every metric) in a temporary folder. */
export async function startGraphite(timeoutMs = 90_000): Promise<GraphiteServer> {
  const python = requireTool('graphite');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-graphite-'));
  const [webPort, linePort, picklePort, queryPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const serve = path.join(__dirname, 'graphite', 'serve.py');
  const { stop } = await startProcess(
    'graphite',
    python,
    [serve, dir, String(webPort), String(linePort), String(picklePort), String(queryPort)],
    dir,
    async (output) => output.includes('graphite ready'),
    timeoutMs,
  );
  return {
    url: `http://127.0.0.1:${webPort}`,
    stop,
    async send(points) {
      const text = points.map((point) => `${point.path} ${point.value} ${Math.floor(point.atMs / 1000)}\n`).join('');
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(linePort, '127.0.0.1', () => socket.end(text));
        socket.once('error', reject);
        socket.once('close', () => resolve());
      });
    },
  };
}

/** A running InfluxDB 1.x. */
export interface InfluxdbServer extends StoreProcess {
  /** Runs a statement with POST /query (as the admin when auth is on); throws on an error. */
  admin(statement: string): Promise<void>;
  /** Writes line protocol (millisecond timestamps) into `database`. */
  write(database: string, lines: string[]): Promise<void>;
}

/** Starts influxd; with `auth`, authentication is on and `auth` is the admin it creates. */
export async function startInfluxdb(
  options: { auth?: { username: string; password: string }; timeoutMs?: number } = {},
): Promise<InfluxdbServer> {
  const influxd = requireTool('influxd');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-influxdb-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  fs.writeFileSync(
    path.join(dir, 'influxdb.conf'),
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${dir}/meta"`,
      '[data]',
      `  dir = "${dir}/data"`,
      `  wal-dir = "${dir}/wal"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${httpPort}"`,
      `  auth-enabled = ${options.auth ? 'true' : 'false'}`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${httpPort}`;
  const { stop } = await startProcess(
    'influxd',
    influxd,
    ['run', '-config', path.join(dir, 'influxdb.conf')],
    dir,
    async () => (await fetch(`${url}/ping`)).status === 204,
    options.timeoutMs ?? 60_000,
  );
  const authorization = options.auth
    ? { authorization: `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}` }
    : undefined;
  const admin = async (statement: string) => {
    const response = await fetch(`${url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...authorization },
      body: new URLSearchParams({ q: statement }).toString(),
    });
    const body = (await response.json()) as { error?: string; results?: Array<{ error?: string }> };
    const error = body.error ?? body.results?.find((result) => result.error)?.error;
    if (response.status !== 200 || error) throw new Error(`influxdb ${statement}: HTTP ${response.status}: ${error}`);
  };
  if (options.auth) {
    // InfluxDB lets the first admin be created without credentials.
    const { username, password } = options.auth;
    const response = await fetch(`${url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        q: `CREATE USER "${username}" WITH PASSWORD '${password}' WITH ALL PRIVILEGES`,
      }).toString(),
    });
    if (response.status !== 200) throw new Error(`influxdb: creating the admin: HTTP ${response.status}`);
  }
  return {
    url,
    stop,
    admin,
    async write(database, lines) {
      const response = await fetch(`${url}/write?db=${encodeURIComponent(database)}&precision=ms`, {
        method: 'POST',
        headers: { ...authorization },
        body: lines.join('\n'),
      });
      if (response.status !== 204) throw new Error(`influxdb write: HTTP ${response.status}: ${await response.text()}`);
    },
  };
}
