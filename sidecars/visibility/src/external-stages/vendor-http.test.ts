import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { callVendor } from './vendor-http';

// A vendor system (AWX, ServiceNow, JIRA) answering NUL characters: its output and the errors that quote
// it are stored in Postgres, which refuses NUL in text and jsonb.
describe('callVendor against a peer answering NUL characters', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/stdout') res.writeHead(200, { 'content-type': 'text/plain' }).end('line\u0000one');
      else if (req.url === '/json') res.writeHead(200).end('{"status": "ok\\u0000"}');
      else res.writeHead(500, { 'content-type': 'text/plain' }).end('broken\u0000backend');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const call = (path: string, accept: 'json' | 'text' = 'json') =>
    callVendor('AWX', { base, path, accept, timeoutMs: 5_000, maxResponseBytes: 10_000 }, () => undefined);

  it('keeps text, JSON and error messages free of NUL (U+FFFD in its place)', async () => {
    expect((await call('/stdout', 'text')).text).toBe('line\ufffdone');
    expect((await call('/json')).body).toEqual({ status: 'ok\ufffd' });
    const error = await call('/error').then(
      () => undefined,
      (caught: Error) => caught,
    );
    expect(error?.message).toContain('broken\ufffdbackend');
    expect(error?.message).not.toContain('\u0000');
  });
});
