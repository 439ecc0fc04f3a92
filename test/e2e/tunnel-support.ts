// Shared fixtures for the tunnel end-to-end tests: a generic HTTP target (Jenkins-style traffic,
// streaming, stalls, WebSocket-like upgrades) and a controller + agent pair wired to it.
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { startController, type ControllerConfig, type RunningController } from '@isd/controller';
import { startAgent, type RunningAgent } from '@isd/agent';

/** A loopback HTTP target recording what reached it. */
export interface TestTarget {
  url: string;
  server: http.Server;
  /** Requests seen: method, raw target, raw headers. */
  seen: Array<{ method: string; url: string; rawHeaders: string[] }>;
  /** Resolves when the target saw a request's socket close before its response finished. */
  closedEarly: Array<{ url: string; atMs: number }>;
  close(): Promise<void>;
}

/** Starts the generic target. Routes are documented inline; every response is deterministic. */
export async function startTestTarget(): Promise<TestTarget> {
  const seen: TestTarget['seen'] = [];
  const closedEarly: TestTarget['closedEarly'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://target');
    seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders });
    res.on('close', () => {
      if (!res.writableFinished) closedEarly.push({ url: req.url ?? '', atMs: Date.now() });
    });
    switch (url.pathname) {
      case '/job/build': {
        // Jenkins-style build trigger: 201 + Location, XML body, two cookies.
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          res.writeHead(
            201,
            [
              ['Location', 'http://target/queue/item/42/'],
              ['Content-Type', 'application/xml'],
              ['Set-Cookie', 'a=1; Path=/'],
              ['Set-Cookie', 'b=2; Path=/'],
            ].flat(),
          );
          res.end(`<queued><params>${body}</params></queued>`);
        });
        return;
      }
      case '/echo': {
        // Streams the request body back; sha256 of it in a trailer.
        const hash = createHash('sha256');
        res.writeHead(200, { 'content-type': 'application/octet-stream', trailer: 'x-body-sha256' });
        req.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          if (!res.write(chunk)) {
            req.pause();
            res.once('drain', () => req.resume());
          }
        });
        req.on('end', () => {
          res.addTrailers({ 'x-body-sha256': hash.digest('hex') });
          res.end();
        });
        return;
      }
      case '/gzip': {
        const body = gzipSync(Buffer.from('hello '.repeat(1000)));
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain', 'content-length': body.length });
        res.end(body);
        return;
      }
      case '/frames': {
        // n small chunks, each flushed on its own.
        const count = Number(url.searchParams.get('n') ?? '10');
        res.writeHead(200, { 'content-type': 'text/plain' });
        let index = 0;
        const writeSome = (): void => {
          while (index < count) {
            const ok = res.write(`frame ${index}\n`);
            index += 1;
            if (!ok) {
              res.once('drain', writeSome);
              return;
            }
          }
          res.end();
        };
        writeSome();
        return;
      }
      case '/bytes': {
        // n bytes of 7; with ?chunked the length is not declared.
        const size = Number(url.searchParams.get('n') ?? '0');
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          ...(url.searchParams.has('chunked') ? {} : { 'content-length': size }),
        });
        const chunk = Buffer.alloc(64 * 1024, 7);
        let sent = 0;
        const writeSome = (): void => {
          while (sent < size) {
            const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
            sent += piece.length;
            if (!res.write(piece)) {
              res.once('drain', writeSome);
              return;
            }
          }
          res.end();
        };
        writeSome();
        return;
      }
      case '/short': {
        // Declares n bytes, sends half of them, then kills the socket: a truncated body of known length.
        const size = Number(url.searchParams.get('n') ?? '0');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
        res.write(Buffer.alloc(Math.floor(size / 2), 5), () => setTimeout(() => req.socket.destroy(), 20));
        return;
      }
      case '/slow': {
        // Sends a head and one event, then an event every 50 ms until the client leaves.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"type":"ADDED"}\n');
        const timer = setInterval(() => res.write('{"type":"MODIFIED"}\n'), 50);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case '/stall':
        // Never answers; the socket stays open until the client leaves.
        return;
      case '/broken': {
        // Chunked, sends 10 bytes, then kills the socket: a clean end here would look complete.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('0123456789');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      case '/status': {
        const code = Number(url.searchParams.get('code') ?? '200');
        if (code >= 300 && code < 400) res.setHeader('Location', '/elsewhere');
        res.writeHead(code, { 'content-type': 'text/plain' });
        res.end(`status ${code}`);
        return;
      }
      case '/early-hints': {
        res.writeEarlyHints({ link: '</style.css>; rel=preload' });
        setTimeout(() => res.end('after hints'), 10);
        return;
      }
      default:
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            authorization: req.headers.authorization ?? null,
            host: req.headers.host,
          }),
        );
    }
  });
  // A minimal echo protocol after a 101: whatever the client sends comes back upper-cased.
  server.on('upgrade', (req, socket, head) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders });
    if (req.headers.upgrade !== 'echo') {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\nConnection: close\r\n\r\nbad upgrade');
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\nX-Echo: yes\r\n\r\n');
    if (head.length > 0) socket.write(head.toString().toUpperCase());
    socket.on('data', (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    seen,
    closedEarly,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A controller on loopback with each of its four listeners on a port the OS picks. */
export function startLocalController(config: ControllerConfig = {}): Promise<RunningController> {
  return startController({
    host: '127.0.0.1',
    agentPort: 0,
    servicePort: 0,
    controlPort: 0,
    metricsPort: 0,
    ...config,
  });
}

/** A controller, an agent named `agentName` exposing the target as jenkins/ci, and a caller identity. */
export interface TunnelFixture {
  controller: RunningController;
  agent: RunningAgent;
  target: TestTarget;
  caller: { certPem: string; keyPem: string; caPem: string };
  close(): Promise<void>;
}

export async function startTunnel(
  agentName = 'cluster-a',
  options: { poolSize?: number; lanes?: boolean } = {},
): Promise<TunnelFixture> {
  const target = await startTestTarget();
  const controller = await startLocalController();
  const agent = await startAgent({
    controllers: [controller.agentUrl],
    serverName: 'localhost',
    credentials: await controller.issueAgentCredentials(agentName),
    services: [
      {
        name: 'ci',
        type: 'jenkins',
        url: target.url,
        credentials: { type: 'basic', username: 'spin', password: 'secret' },
      },
    ],
    healthPort: 0,
    poolSize: options.poolSize,
    lanes: options.lanes,
  });
  await agent.waitUntilConnected(5_000);
  const caller = await controller.issueServiceCredentials(agentName, 'jenkins', 'ci');
  return {
    controller,
    agent,
    target,
    caller,
    close: async () => {
      await agent.stop();
      await controller.stop();
      await target.close();
    },
  };
}

/** Result of one request through the service endpoint. */
export interface CallResult {
  status: number;
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  trailers: NodeJS.Dict<string>;
}

/** Sends a request to the controller's service endpoint with a client certificate or token. */
export function call(
  serviceUrl: string,
  path: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    credentials?: { certPem: string; keyPem: string; caPem: string };
    caPem: string;
  },
): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, serviceUrl);
    const request = https.request(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      ca: options.caPem,
      cert: options.credentials?.certPem,
      key: options.credentials?.keyPem,
      agent: false,
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          rawHeaders: response.rawHeaders,
          headers: response.headers,
          body: Buffer.concat(chunks),
          trailers: response.trailers,
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}
