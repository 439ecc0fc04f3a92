import { Worker } from 'node:worker_threads';
import { compile } from '../policy';

// The evaluator blocks its thread while http.send waits, so the test server runs in its own worker.
const SERVER = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, path: req.url, body, auth: req.headers.authorization || null }));
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => server.close(() => process.exit(0)));
`;

describe('http.send', () => {
  let worker: Worker;
  let port: number;

  beforeAll(async () => {
    worker = new Worker(SERVER, { eval: true });
    port = await new Promise<number>((resolve) => worker.once('message', resolve));
  });

  afterAll(async () => {
    worker.postMessage('stop');
    await new Promise((resolve) => worker.once('exit', resolve));
  });

  const source = `package t
resp := http.send({"method": "POST", "url": input.url, "body": {"a": 1}, "headers": {"Authorization": "Bearer x"}})
`;

  it('is disabled by default', () => {
    const policy = compile([{ name: 't.rego', source }]);
    expect(() =>
      policy.evaluate('data.t.resp', { input: { url: `http://127.0.0.1:${port}/x` }, strictBuiltinErrors: true }),
    ).toThrow(/http.send is disabled/);
  });

  it('refuses hosts outside the allowlist', () => {
    const policy = compile([{ name: 't.rego', source }]);
    expect(() =>
      policy.evaluate('data.t.resp', {
        input: { url: `http://localhost:${port}/x` },
        strictBuiltinErrors: true,
        http: { allowedHosts: ['127.0.0.1'] },
      }),
    ).toThrow(/not in the allowed hosts/);
  });

  it('sends the request to an allowed host and decodes the JSON reply', () => {
    const policy = compile([{ name: 't.rego', source }]);
    const resp = policy.evaluate('data.t.resp', {
      input: { url: `http://127.0.0.1:${port}/x?q=1` },
      http: { allowedHosts: ['127.0.0.1'], timeoutMs: 5000 },
    }) as {
      status_code: number;
      body: Record<string, unknown>;
    };
    expect(resp.status_code).toBe(200);
    expect(resp.body).toEqual({ method: 'POST', path: '/x?q=1', body: '{"a":1}', auth: 'Bearer x' });
  });

  it('can be mocked with with', () => {
    const policy = compile([
      {
        name: 't.rego',
        source: 'package t\nok if http.send({"url": "https://x.example", "method": "GET"}).status_code == 200',
      },
    ]);
    expect(policy.query('data.t.ok with http.send as {"status_code": 200}').results).toHaveLength(1);
  });
});

// A hostile peer behind an allowed host: bodies without end, plain or gzip-encoded (fetch decodes them),
// were read whole before the size was checked, so memory grew until the timeout.
const HOSTILE_SERVER = `
const http = require('node:http');
const zlib = require('node:zlib');
const { parentPort } = require('node:worker_threads');
const zeros = Buffer.alloc(1024 * 1024);
const server = http.createServer((req, res) => {
  const gzip = req.url === '/endless-gzip';
  res.writeHead(200, { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
  const out = gzip ? zlib.createGzip({ level: 1 }) : res;
  if (gzip) out.pipe(res);
  const pump = () => { while (!res.destroyed && out.write(zeros)); if (!res.destroyed) out.once('drain', pump); };
  res.on('close', () => out.destroy());
  pump();
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
`;

describe('http.send against a hostile peer', () => {
  let worker: Worker;
  let port: number;

  beforeAll(async () => {
    worker = new Worker(HOSTILE_SERVER, { eval: true });
    port = await new Promise<number>((resolve) => worker.once('message', resolve));
  });

  afterAll(async () => {
    worker.postMessage('stop');
    await new Promise((resolve) => worker.once('exit', resolve));
  });

  it.each(['/endless', '/endless-gzip'])('stops reading %s at the body limit, not at the deadline', (path) => {
    const policy = compile([
      { name: 't.rego', source: 'package t\nresp := http.send({"method": "GET", "url": input.url})' },
    ]);
    // The deadline is far off: only the body limit can end this request first.
    expect(() =>
      policy.evaluate('data.t.resp', {
        input: { url: `http://127.0.0.1:${port}${path}` },
        strictBuiltinErrors: true,
        http: { allowedHosts: ['127.0.0.1'], timeoutMs: 50_000 },
      }),
    ).toThrow(/response body larger than 10485760 bytes/);
  });
});
