// Support for the whole-pipeline tests: a stand-in for a Kubernetes Service in front of sidecar
// replicas (with readiness, so a replica can be restarted the way a rolling restart does it), a fault
// injector for "the ingress answered 503 after the sidecar already created the gate", and waiting.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Service-like front: forwards each request to the first ready backend. */
export interface ServiceFront {
  url: string;
  /** Backend base URLs, in preference order, and whether each is ready. */
  backends: Array<{ url: string; ready: boolean }>;
  /** Makes the next matching request reach the backend but answers 503 to the caller (a lost response). */
  loseNextResponse(match: (method: string, path: string) => boolean): void;
  /** Requests answered with 503 by `loseNextResponse`. */
  lostResponses: Array<{ method: string; path: string; upstreamStatus: number }>;
  close(): Promise<void>;
}

/** Starts a front for the given backends on a free port. */
export async function startServiceFront(backendUrls: string[]): Promise<ServiceFront> {
  const backends = backendUrls.map((url) => ({ url, ready: true }));
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
        const upstream = await fetch(backend.url + path, {
          method,
          headers,
          body: method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks),
          redirect: 'manual',
        });
        const body = Buffer.from(await upstream.arrayBuffer());
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
          if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(name)) responseHeaders[name] = value;
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
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
