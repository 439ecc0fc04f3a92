// Benchmark target process: bodies of any size, upload sink, 1 KB GETs, long-lived watches with
// timestamped events, and a flood endpoint for the stalled reader. Talks to the parent over IPC.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

const chunk = Buffer.alloc(64 * 1024, 120);
const small = Buffer.alloc(1024, 97);
const watches = new Map<number, http.ServerResponse>();

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
const nowMs = (): number => performance.timeOrigin + performance.now();

function sendBytes(res: http.ServerResponse, size: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  let sent = 0;
  const pump = (): void => {
    while (sent < size) {
      const piece = size - sent >= chunk.length ? chunk : chunk.subarray(0, size - sent);
      sent += piece.length;
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

// Optional TLS (profile.ts --https-target), as a real kube-apiserver serves; the benchmark uses plain HTTP.
const options = JSON.parse(process.argv[2] ?? '{}') as { tls?: { keyPem: string; certPem: string } };

const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
  const url = new URL(req.url ?? '/', 'http://target');
  switch (url.pathname) {
    case '/bytes':
      return sendBytes(res, Number(url.searchParams.get('n') ?? '0'));
    case '/upload': {
      let received = 0;
      req.on('data', (data: Buffer) => (received += data.length));
      req.on('end', () => res.end(String(received)));
      return;
    }
    case '/small':
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': small.length });
      res.end(small);
      return;
    case '/watch': {
      const id = Number(url.searchParams.get('id') ?? '0');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"BOOKMARK"}\n');
      watches.set(id, res);
      res.on('close', () => watches.delete(id));
      return;
    }
    case '/flood': {
      // Writes until the reader stops reading, then keeps the buffer full.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = (): void => {
        while (res.write(chunk));
        res.once('drain', pump);
      };
      pump();
      return;
    }
    default:
      res.writeHead(404);
      res.end();
  }
};
const server = options.tls
  ? https.createServer({ key: options.tls.keyPem, cert: options.tls.certPem }, handler)
  : http.createServer(handler);
server.keepAliveTimeout = 60_000;

let eventTimer: NodeJS.Timeout | undefined;
process.on('message', (message: { type: string; intervalMs?: number; count?: number }) => {
  if (message.type === 'events') {
    // One event every intervalMs to a rotating watch, carrying the send time.
    let next = 0;
    clearInterval(eventTimer);
    eventTimer = setInterval(() => {
      const count = message.count ?? watches.size;
      for (let attempt = 0; attempt < count; attempt += 1) {
        next = (next + 1) % Math.max(1, count);
        const res = watches.get(next);
        if (res) {
          res.write(`{"type":"MODIFIED","sentAtMs":${nowMs()}}\n`);
          return;
        }
      }
    }, message.intervalMs ?? 10);
  } else if (message.type === 'exit') {
    process.exit(0);
  } else if (message.type === 'stop-events') {
    clearInterval(eventTimer);
  }
});

server.listen(0, '127.0.0.1', () => {
  const scheme = options.tls ? 'https' : 'http';
  process.send?.({ type: 'ready', url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}` });
});

// The load generator went away (finished or killed): never outlive it.
process.on('disconnect', () => process.exit(0));
