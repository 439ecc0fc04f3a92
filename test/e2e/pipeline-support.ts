// Support for the whole-pipeline tests: a stand-in for a Kubernetes Service in front of sidecar
// replicas (with readiness, so a replica can be restarted the way a rolling restart does it), a fault
// injector for "the ingress answered 503 after the sidecar already created the gate", and waiting.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A Service-like front: forwards each request to the first ready backend. */
export interface ServiceFront {
  url: string;
  /** Backend base URLs, in preference order, whether each is ready, and requests in flight to it. */
  backends: Array<{ url: string; ready: boolean; inFlight: number }>;
  /**
   * Takes a backend out of the Service the way a terminating pod leaves its endpoints: no new requests,
   * then waits until those already sent to it have been answered.
   */
  drain(index: number): Promise<void>;
  /** Makes the next matching request reach the backend but answers 503 to the caller (a lost response). */
  loseNextResponse(match: (method: string, path: string) => boolean): void;
  /** Requests answered with 503 by `loseNextResponse`. */
  lostResponses: Array<{ method: string; path: string; upstreamStatus: number }>;
  close(): Promise<void>;
}

/** Starts a front for the given backends on a free port. */
export async function startServiceFront(backendUrls: string[]): Promise<ServiceFront> {
  const backends = backendUrls.map((url) => ({ url, ready: true, inFlight: 0 }));
  const pendingLosses: Array<(method: string, path: string) => boolean> = [];
  const lostResponses: ServiceFront['lostResponses'] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const backend = backends.find((candidate) => candidate.ready);
        if (!backend) {
          // kube-proxy with no ready endpoint rejects the connection; the closest HTTP answer is a reset.
          request.socket.destroy();
          return;
        }
        const method = request.method ?? 'GET';
        const path = request.url ?? '/';
        const headers = Object.fromEntries(
          Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)),
        ) as Record<string, string>;
        backend.inFlight += 1;
        let upstream: Response;
        let body: Buffer;
        try {
          upstream = await fetch(backend.url + path, {
            method,
            headers,
            body: method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks),
            redirect: 'manual',
          });
          body = Buffer.from(await upstream.arrayBuffer());
        } finally {
          backend.inFlight -= 1;
        }
        const lossIndex = pendingLosses.findIndex((match) => match(method, path));
        if (lossIndex >= 0) {
          pendingLosses.splice(lossIndex, 1);
          lostResponses.push({ method, path, upstreamStatus: upstream.status });
          response.writeHead(503, { 'content-type': 'text/plain' });
          response.end('upstream response lost');
          return;
        }
        const responseHeaders: Record<string, string> = {};
        upstream.headers.forEach((value, name) => {
          if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(name))
            responseHeaders[name] = value;
        });
        response.writeHead(upstream.status, responseHeaders);
        response.end(body);
      })().catch(() => request.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    backends,
    async drain(index: number): Promise<void> {
      const backend = backends[index];
      if (!backend) throw new Error(`no backend ${index}`);
      backend.ready = false;
      await waitFor(`backend ${index} to finish its requests`, () => backend.inFlight === 0, 10_000);
    },
    loseNextResponse(match): void {
      pendingLosses.push(match);
    },
    lostResponses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits until `check` returns a value (not undefined/false), polling every 20 ms, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A canary or baseline app exposing `demo_request_latency_seconds`, re-sampled on every scrape. */
export interface LatencyApp {
  port: number;
  labels: Record<string, string>;
  close(): Promise<void>;
}

/** Starts an app whose latency gauge is N(mean, sd) per scrape (seeded, so runs repeat), in Prometheus text format. */
export async function startLatencyApp(
  labels: Record<string, string>,
  meanSeconds: number,
  sdSeconds: number,
  seed: number,
): Promise<LatencyApp> {
  let state = seed >>> 0;
  const uniform = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const server = http.createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    const normal = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    const latency = Math.max(0, meanSeconds + sdSeconds * normal);
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(
      `# HELP demo_request_latency_seconds latency of the last request batch\n# TYPE demo_request_latency_seconds gauge\ndemo_request_latency_seconds ${latency}\n`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    labels,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A running Prometheus (Debian `prometheus`). */
export interface Prometheus {
  url: string;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping the apps every second (their labels as target labels); resolves when ready. */
export async function startPrometheusFor(apps: LatencyApp[], timeoutMs = 20_000): Promise<Prometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-e2e-prometheus-'));
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const targets = apps
    .map(
      (app) =>
        `      - targets: ['127.0.0.1:${app.port}']\n        labels: {${Object.entries(app.labels)
          .map(([key, value]) => `${key}: '${value}'`)
          .join(', ')}}`,
    )
    .join('\n');
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: demo\n    static_configs:\n${targets}\n`,
  );
  const child = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
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
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (ready === 200) return { url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within ${timeoutMs} ms: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until Prometheus holds at least `points` samples of `metric` for each of `series` label sets. */
export async function waitForPrometheusSamples(
  prometheus: Prometheus,
  metric: string,
  series: number,
  points = 3,
  timeoutMs = 20_000,
): Promise<void> {
  await waitFor(
    `${points} samples of ${metric} for ${series} series`,
    async () => {
      const query = encodeURIComponent(`count_over_time(${metric}[1m])`);
      const response = await fetch(`${prometheus.url}/api/v1/query?query=${query}`).catch(() => undefined);
      if (!response?.ok) return false;
      const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
      const results = body.data?.result ?? [];
      return results.length >= series && results.every((result) => Number(result.value[1]) >= points);
    },
    timeoutMs,
  );
}
