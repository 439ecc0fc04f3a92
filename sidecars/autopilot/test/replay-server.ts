// A local HTTP server standing in for a SaaS metrics API: it records each request and answers with the
// response the test picked (copies of the provider's documented responses).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the replay server received. */
export interface RecordedRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What the server answers. */
export interface ReplayResponse {
  status: number;
  body: unknown;
  /** Response headers (default: JSON content type). */
  headers?: Record<string, string>;
  /** Answer only after this long (a slow provider). */
  delayMs?: number;
  /** Answer only once this settles (a hanging provider the test lets go when it has seen what it waits for). */
  until?: Promise<void>;
}

/** A running replay server. */
export interface ReplayServer {
  url: string;
  requests: RecordedRequest[];
  respond(handler: (request: RecordedRequest) => ReplayResponse): void;
  close(): Promise<void>;
}

/** Starts a replay server on loopback. */
export async function startReplayServer(): Promise<ReplayServer> {
  const requests: RecordedRequest[] = [];
  let handler: (request: RecordedRequest) => ReplayResponse = () => ({
    status: 500,
    body: { error: 'no response configured' },
  });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', 'http://replay'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(recorded);
      const response = handler(recorded);
      const answer = () => {
        if (res.destroyed) return;
        res
          .writeHead(response.status, { 'content-type': 'application/json', ...response.headers })
          .end(typeof response.body === 'string' ? response.body : JSON.stringify(response.body));
      };
      if (response.until) void response.until.finally(answer);
      else if (response.delayMs) setTimeout(answer, response.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    respond(next) {
      handler = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
