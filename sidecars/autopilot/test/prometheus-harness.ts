// Test harness: small prom-client apps (a baseline and canaries) on loopback, and a real Prometheus
// (Debian `prometheus`) scraping them every second on a free port with a temporary storage dir.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import { freePort } from '@isd/test-support';

/** A running instrumented app whose latency distribution can be changed while it runs. */
export interface DemoApp {
  port: number;
  labels: Record<string, string>;
  setLatency(meanSeconds: number, sdSeconds: number): void;
  close(): Promise<void>;
}

/** Deterministic normal samples (mulberry32 + Box–Muller) so runs are reproducible. */
function normalGenerator(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Starts an app exposing `demo_request_latency_seconds` (a gauge re-sampled from N(mean, sd) on every
 * scrape) and `demo_requests_total` / `demo_errors_total` counters.
 */
export async function startDemoApp(
  labels: Record<string, string>,
  options: { meanSeconds: number; sdSeconds: number; seed: number },
): Promise<DemoApp> {
  const registry = new Registry();
  const normal = normalGenerator(options.seed);
  let mean = options.meanSeconds;
  let sd = options.sdSeconds;
  const requests = new Counter({ name: 'demo_requests_total', help: 'requests served', registers: [registry] });
  new Gauge({
    name: 'demo_request_latency_seconds',
    help: 'latency of the last request batch',
    registers: [registry],
    collect() {
      requests.inc(10);
      this.set(Math.max(0, mean + sd * normal()));
    },
  });
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    labels,
    setLatency(newMean, newSd) {
      mean = newMean;
      sd = newSd;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A running Prometheus. */
export interface PrometheusServer {
  url: string;
  stop(): Promise<void>;
}

/** GET over http or https (trusting `ca`); resolves with the status, or 0 when unreachable. */
function probe(url: string, ca?: Buffer, client?: { cert: Buffer; key: Buffer }): Promise<number> {
  return new Promise((resolve) => {
    const request = (url.startsWith('https:') ? https : http).get(url, { ca, ...client, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    request.on('error', () => resolve(0));
    request.on('timeout', () => request.destroy());
  });
}

/** Starts Prometheus scraping the apps every second; resolves once it reports ready. With `tls`, it serves HTTPS. */
export async function startPrometheus(
  apps: DemoApp[],
  options: {
    tls?: { certFile: string; keyFile: string; caFile?: string; clientCaFile?: string };
    client?: { cert: Buffer; key: Buffer };
    timeoutMs?: number;
    /**
     * OpenMetrics text (samples with timestamps, `# EOF` last) written into the storage before Prometheus
     * starts, with `promtool tsdb create-blocks-from openmetrics`: history that would take an hour to scrape.
     */
    backfill?: string;
  } = {},
): Promise<PrometheusServer> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-prometheus-'));
  if (options.backfill !== undefined) {
    fs.writeFileSync(path.join(dir, 'backfill.om'), options.backfill);
    execFileSync(
      'promtool',
      ['tsdb', 'create-blocks-from', 'openmetrics', path.join(dir, 'backfill.om'), path.join(dir, 'data')],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  }
  const port = await freePort();
  const webArgs: string[] = [];
  if (options.tls) {
    const clientAuth = options.tls.clientCaFile
      ? `  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${options.tls.clientCaFile}\n`
      : '';
    fs.writeFileSync(
      path.join(dir, 'web.yml'),
      `tls_server_config:\n  cert_file: ${options.tls.certFile}\n  key_file: ${options.tls.keyFile}\n${clientAuth}`,
    );
    webArgs.push(`--web.config.file=${path.join(dir, 'web.yml')}`);
  }
  const targets = apps
    .map(
      (app) =>
        `      - targets: ['127.0.0.1:${app.port}']\n        labels: {${Object.entries(app.labels)
          .map(([k, v]) => `${k}: '${v}'`)
          .join(', ')}}`,
    )
    .join('\n');
  const scrapes =
    apps.length > 0
      ? `scrape_configs:\n  - job_name: demo\n    scrape_interval: 1s\n    static_configs:\n${targets}\n`
      : '';
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n${scrapes}`,
  );
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...webArgs,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const ca = options.tls ? fs.readFileSync(options.tls.caFile ?? options.tls.certFile) : undefined;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
    if ((await probe(`${url}/-/ready`, ca, options.client)) === 200) return { url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within ${timeoutMs} ms: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A self-signed certificate for 127.0.0.1 made with openssl, in a temp dir. */
export function selfSignedCertificate(): { certFile: string; keyFile: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, dir };
}

/** A CA with a server certificate for 127.0.0.1 and a client certificate it signed (openssl), in a temp dir. */
export function certificateAuthority(): {
  dir: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-ca-'));
  const file = (name: string) => path.join(dir, name);
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=isd-test-ca',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  );
  fs.writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  fs.writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject] of [
    ['server', '/CN=127.0.0.1'],
    ['client', '/CN=autopilot'],
  ] as const) {
    run(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
    );
    run(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.pem`),
    );
  }
  return {
    dir,
    caFile: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
}

/** Waits until Prometheus has at least `points` samples of the query for every app label set. */
export async function waitForSamples(url: string, query: string, series: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`).then(
      (r) => r.json() as Promise<{ data?: { result?: unknown[] } }>,
      () => undefined,
    );
    if ((response?.data?.result?.length ?? 0) >= series) return;
    if (Date.now() > deadline) throw new Error(`prometheus has no samples of ${query} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
