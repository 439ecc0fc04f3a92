import http from 'node:http';
import https from 'node:https';
import { createTestCa } from '@isd/test-support';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { OutboundError, canonicalHost, jsonOf, outboundRequest, resolveWithinBase } from './outbound';

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
}

/** A real HTTP server that records every request it receives; routes answer by path. */
async function recordingServer(
  routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void> = {},
): Promise<{ url: string; port: number; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const handlers = new Map(Object.entries(routes));
  const server = http.createServer((req, res) => {
    received.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    const handler = handlers.get((req.url ?? '').split('?')[0]!);
    if (handler) return handler(req, res);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const secretHeaders = { authorization: 'Bearer connector-secret' };

async function refusal(promise: Promise<unknown>): Promise<OutboundError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OutboundError);
  return error as OutboundError;
}

describe('outboundRequest', () => {
  let server: Awaited<ReturnType<typeof recordingServer>>;
  let other: Awaited<ReturnType<typeof recordingServer>>;

  beforeEach(async () => {
    other = await recordingServer();
    server = await recordingServer({
      '/admin/secret': (_req, res) => res.writeHead(200).end('{"secret":"the admin secret"}'),
      '/api/jump-out': (_req, res) => res.writeHead(302, { location: `${other.url}/steal` }).end(),
      '/api/jump-up': (_req, res) => res.writeHead(302, { location: '/admin/secret' }).end(),
      '/api/jump-in': (_req, res) => res.writeHead(307, { location: '/api/landing' }).end(),
      '/api/loop': (_req, res) => res.writeHead(302, { location: '/api/loop' }).end(),
      '/api/big': (_req, res) => res.writeHead(200).end('x'.repeat(10_000)),
      '/api/slow': () => undefined,
    });
  });
  afterEach(async () => {
    await server.close();
    await other.close();
  });

  const request = (path: string, extra: Partial<Parameters<typeof outboundRequest>[0]> = {}) =>
    outboundRequest({
      base: `${server.url}/api`,
      path,
      headers: secretHeaders,
      timeoutMs: 2_000,
      maxResponseBytes: 1_000,
      ...extra,
    });

  it('sends a path inside the base with its credentials', async () => {
    const response = await request('items/a b?x=1');
    expect(response.status).toBe(200);
    expect(server.received).toEqual([
      { method: 'GET', url: '/api/items/a%20b?x=1', authorization: 'Bearer connector-secret' },
    ]);
  });

  it.each([
    '/%2e%2e/%2e%2e/admin/secret',
    '%2e%2e/admin/secret',
    '../admin/secret',
    '.%2E/admin/secret',
    '%252e%252e/admin/secret',
    'x/..%2fadmin/secret',
    '..%5cadmin/secret',
    'x\\..\\..\\admin/secret',
    '//127.0.0.1:1/admin/secret',
    'http://127.0.0.1/admin/secret',
    './secret',
  ])('refuses %s before anything is sent', async (path) => {
    const error = await refusal(request(path));
    expect(['outside_base', 'invalid_url']).toContain(error.code);
    expect(error.message).toContain(JSON.stringify(path).slice(1, 10));
    expect(server.received).toEqual([]);
  });

  it('keeps an encoded slash inside a segment (GitLab project ids, branch names) without decoding it', async () => {
    await request('projects/group%2Fproject/compare/feature%2Fx...main');
    expect(server.received.map((entry) => entry.url)).toEqual([
      '/api/projects/group%2Fproject/compare/feature%2Fx...main',
    ]);
  });

  it('keeps user info and other hosts out: `@` becomes part of a path segment', async () => {
    await request('@evil.example/x');
    expect(server.received.map((entry) => entry.url)).toEqual(['/api/%40evil.example/x']);
  });

  it('never follows a redirect off the base, and the other host never sees the credentials', async () => {
    const error = await refusal(request('jump-out'));
    expect(error.code).toBe('redirect_outside_base');
    expect(error.message).toMatch(/outside the allowed base .*not followed/);
    expect(other.received).toEqual([]);
  });

  it('refuses a same-host redirect that leaves the base path', async () => {
    const error = await refusal(request('jump-up'));
    expect(error.code).toBe('redirect_outside_base');
    expect(server.received.map((entry) => entry.url)).toEqual(['/api/jump-up']);
  });

  it('follows a redirect inside the base, keeping method and credentials for 307', async () => {
    const response = await request('jump-in', { method: 'POST', body: '{}' });
    expect(response.url.pathname).toBe('/api/landing');
    expect(server.received.map((entry) => [entry.method, entry.url, entry.authorization])).toEqual([
      ['POST', '/api/jump-in', 'Bearer connector-secret'],
      ['POST', '/api/landing', 'Bearer connector-secret'],
    ]);
  });

  it('stops a redirect loop', async () => {
    expect((await refusal(request('loop'))).code).toBe('too_many_redirects');
  });

  it('limits the response size', async () => {
    const error = await refusal(request('big'));
    expect(error.code).toBe('too_large');
    expect(error.message).toContain('more than 1000 bytes');
  });

  it('gives up at the deadline', async () => {
    const error = await refusal(request('slow', { timeoutMs: 200 }));
    expect(error.code).toBe('timeout');
  });

  it('names an unreachable host without leaking the query', async () => {
    const error = await refusal(
      outboundRequest({ base: 'http://127.0.0.1:1/x', path: 'y?token=abc', timeoutMs: 2_000, maxResponseBytes: 10 }),
    );
    expect(error.code).toBe('unreachable');
    expect(error.message).not.toContain('abc');
  });
});

describe('resolveWithinBase', () => {
  it('treats other spellings of the base host as the same host, and other hosts as outside', () => {
    const base = new URL('http://127.0.0.1:8080/api');
    for (const spelling of ['0x7f.1', '2130706433', '0177.0.0.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]'])
      expect(canonicalHost(new URL(`http://${spelling}:8080/`))).toBe(canonicalHost(base));
    expect(() => resolveWithinBase('http://127.0.0.1:8080/api@evil.example/')).not.toThrow();
    expect(resolveWithinBase('http://127.0.0.1:8080/api', 'a').href).toBe('http://127.0.0.1:8080/api/a');
  });

  it('refuses a base with user info', () => {
    expect(() => resolveWithinBase('http://user:pw@127.0.0.1/api', 'a')).toThrow(/user info/);
  });

  it('keeps a query on the base and adds the path query', () => {
    expect(resolveWithinBase('http://h/api?k=1', 'x?y=2').href).toBe('http://h/api/x?k=1&y=2');
  });
});

// A peer an attacker controls (or sits in front of): every answer must end in an OutboundError within the
// request's deadline and size, whatever the peer does.
describe('outboundRequest against a hostile peer', () => {
  let server: http.Server;
  let base: string;
  const closed: string[] = [];
  const zeros = Buffer.alloc(64 * 1024);

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.on('close', () => closed.push(req.url ?? ''));
      const endless = (chunk: Buffer): void => {
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      };
      switch (req.url) {
        case '/endless':
          res.writeHead(200, { 'content-type': 'application/json' });
          return endless(zeros);
        case '/tiny-chunks':
          res.writeHead(200, { 'content-type': 'application/json' });
          return endless(Buffer.from('['));
        case '/drip': {
          // A byte at a time: never idle long enough for an idle timeout, never done.
          res.writeHead(200, { 'content-type': 'application/json' });
          const timer = setInterval(() => res.write(' '), 20);
          res.on('close', () => clearInterval(timer));
          return;
        }
        case '/huge-headers':
          res.writeHead(200, { 'x-pad': 'a'.repeat(64 * 1024) });
          return res.end('{}');
        case '/lying-length':
          res.writeHead(200, { 'content-length': '10' });
          return endless(zeros);
        case '/gzip-bomb': {
          // 64 MiB of zeros in 64 KiB: never decoded, so it is 64 KiB of text that is not JSON.
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          return res.end(gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 }));
        }
        case '/proto':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(
            '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "v": 1e400}',
          );
        default:
          res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const request = (path: string, extra: Partial<Parameters<typeof outboundRequest>[0]> = {}) =>
    outboundRequest({ base, path, timeoutMs: 5_000, maxResponseBytes: 1024 * 1024, ...extra });

  it.each(['endless', 'tiny-chunks'])(
    'stops reading an endless body (%s) at the size limit and closes the connection',
    async (path) => {
      const error = await refusal(request(path, { timeoutMs: 60_000 }));
      expect(error.code).toBe('too_large');
      await eventuallyTrue(() => closed.includes(`/${path}`));
    },
  );

  it('refuses a body longer than its Content-Length (Node’s parser) and closes the connection', async () => {
    const error = await refusal(request('lying-length', { timeoutMs: 60_000 }));
    expect(error.code).toBe('unreachable');
    expect(error.message).toMatch(/Parse Error/);
    await eventuallyTrue(() => closed.includes('/lying-length'));
  });

  it('gives up on a body that drips a byte at a time at the deadline of the whole exchange', async () => {
    const error = await refusal(request('drip', { timeoutMs: 300 }));
    expect(error.code).toBe('timeout');
    await eventuallyTrue(() => closed.includes('/drip'));
  });

  it('refuses headers beyond Node’s limit', async () => {
    const error = await refusal(request('huge-headers'));
    expect(error.code).toBe('unreachable');
    expect(error.message).toMatch(/Header overflow/i);
  });

  it('never decodes a gzip bomb: the compressed bytes are bounded by the size limit and are not JSON', async () => {
    const response = await request('gzip-bomb');
    expect(response.text.length).toBeLessThan(1024 * 1024);
    expect(jsonOf(response)).toBeUndefined();
  });

  it('parses __proto__ and constructor keys as data, never into Object.prototype', async () => {
    const parsed = jsonOf(await request('proto')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__', 'constructor', 'v']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parsed.v).toBe(Infinity);
  });
});

async function eventuallyTrue(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

describe('outboundRequest to a TLS peer presenting the wrong certificate', () => {
  const trusted = createTestCa('trusted-ca');
  const impostor = createTestCa('impostor-ca');
  let server: https.Server;
  let base: string;

  beforeAll(async () => {
    const leaf = impostor.issue({ commonName: '127.0.0.1', serverNames: ['127.0.0.1'] });
    server = https.createServer({ cert: leaf.certificatePem, key: leaf.privateKeyPem }, (_req, res) =>
      res.end('{"approved": true}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each([
    ['the configured CA', { caPem: trusted.certificatePem }],
    ['the system CAs', undefined],
  ])('is refused when verified against %s', async (_what, tls) => {
    const error = await refusal(outboundRequest({ base, timeoutMs: 5_000, maxResponseBytes: 1000, tls }));
    expect(error.code).toBe('unreachable');
    expect(error.message).toMatch(/certificate/i);
  });
});
