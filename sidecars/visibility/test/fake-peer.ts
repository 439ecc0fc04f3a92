// A local HTTP server standing in for a peer (Jenkins, GitHub, JIRA, Slack...): routes by method and
// path, records every request, and can be told to answer slowly.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** A recorded request. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** How the peer answers one route. */
export interface PeerRoute {
  status?: number;
  body?: unknown;
  delayMs?: number;
  /** Answer from a function of the request instead. */
  handle?: (request: RecordedRequest) => { status: number; body: unknown };
}

/** A fixture file from test/fixtures, parsed. */
export function fixture(name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8'));
}

/** Starts a peer on 127.0.0.1; routes are keyed `METHOD /path` (query ignored for matching). */
export async function startPeer(
  routes: Record<string, PeerRoute>,
): Promise<{ url: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const route = routes[`${recorded.method} ${recorded.url.split('?')[0]}`];
      const answer = () => {
        if (!route) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
          return;
        }
        const { status, body } = route.handle
          ? route.handle(recorded)
          : { status: route.status ?? 200, body: route.body };
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (route?.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, route.delayMs);
        timers.add(timer);
      } else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
