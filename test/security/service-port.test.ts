// The controller's service port as an HTTP/1.1 server (Clouddriver's kubectl, Igor), attacked with request
// framing an intermediary and its target could read differently (request smuggling), and with requests the
// agent cannot forward as sent. What reaches the target must be exactly the one request the caller made, or
// the caller gets a 4xx / 5xx naming the problem and the target sees nothing.
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { RunningController } from '@isd/controller';
import { startAgent, type RunningAgent } from '@isd/agent';
import { startLocalController } from '../e2e/tunnel-support';

jest.setTimeout(60_000);

/** A target that records every byte it receives and answers each request head with a 200. */
let target: net.Server;
let received = '';
let controller: RunningController;
let agent: RunningAgent;
let token: string;

beforeAll(async () => {
  target = net.createServer((socket) => {
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      pending += chunk.toString('latin1');
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  controller = await startLocalController();
  agent = await startAgent({
    controllers: [controller.agentUrl],
    serverName: 'localhost',
    credentials: await controller.issueAgentCredentials('cluster'),
    services: [{ name: 'ci', type: 'jenkins', url: `http://127.0.0.1:${(target.address() as AddressInfo).port}` }],
    healthPort: null,
  });
  await agent.waitUntilConnected(10_000);
  token = await controller.issueServiceToken('cluster', 'jenkins', 'ci');
});

afterAll(async () => {
  await agent?.stop();
  await controller?.stop();
  await new Promise((resolve) => target?.close(resolve));
});

/** Writes `payload` (with TOKEN replaced) on one TLS connection and returns what the controller wrote until it closed. */
function exchange(payload: string): Promise<string> {
  const url = new URL(controller.serviceUrl);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port),
      ca: controller.ca.certPem,
      servername: 'localhost',
    });
    const chunks: Buffer[] = [];
    socket.on('secureConnect', () => socket.write(payload.replaceAll('TOKEN', token)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.setTimeout(30_000, () => reject(new Error('the controller neither answered nor closed')));
  });
}

const auth = 'Authorization: Bearer TOKEN\r\n';

describe('requests the agent cannot forward as sent', () => {
  it.each([
    [
      'an absolute-form target naming another host',
      `GET http://evil.example/api HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
      400,
      /request target \\"http:\/\/evil.example\/api\\" is not a path/,
    ],
    [
      'a transfer coding other than chunked (its body would reach the target still encoded)',
      `POST /api HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      501,
      /Transfer-Encoding \\"gzip, chunked\\" is not supported/,
    ],
    [
      'an upgrade with a transfer coding other than chunked',
      `GET /ws HTTP/1.1\r\nHost: x\r\n${auth}Connection: Upgrade\r\nUpgrade: websocket\r\nTransfer-Encoding: br, chunked\r\n\r\n`,
      501,
      /Transfer-Encoding \\"br, chunked\\" is not supported/,
    ],
    [
      'CONNECT (the controller is no proxy)',
      `CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n${auth}\r\n`,
      405,
      /CONNECT is not supported/,
    ],
  ])('%s: the caller gets a problem naming it, the target nothing', async (_what, request, status, detail) => {
    received = '';
    const answer = await exchange(request);
    expect(answer).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(answer).toMatch(/application\/problem\+json/);
    expect(answer).toMatch(detail);
    expect(received).toBe('');
  });
});

describe('request smuggling', () => {
  it.each([
    [
      'Content-Length and Transfer-Encoding',
      `Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n`,
    ],
    ['two different Content-Lengths', 'Content-Length: 5\r\nContent-Length: 50\r\n\r\nhello'],
    ['two equal Content-Lengths', 'Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello'],
    ['a Content-Length list', 'Content-Length: 5, 5\r\n\r\nhello'],
    ['a space before the colon', 'Content-Length : 5\r\n\r\nhello'],
    ['an obs-folded header', 'X-A: b\r\n c\r\n\r\n'],
    ['a bare LF inside the head', 'X-A: b\nX-B: c\r\n\r\n'],
    ['a CR inside a value', 'X-A: a\rb\r\n\r\n'],
    ['chunked twice', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n'],
    ['chunked not last', 'Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    ['a chunk size with a bare LF', 'Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n'],
    ['a 100 KB chunk extension', `Transfer-Encoding: chunked\r\n\r\n5;${'a'.repeat(100_000)}\r\nhello\r\n0\r\n\r\n`],
  ])('%s: refused, the target sees nothing', async (_what, rest) => {
    received = '';
    const answer = await exchange(`POST /api HTTP/1.1\r\nHost: x\r\n${auth}${rest}`);
    expect(answer).toMatch(/^HTTP\/1.1 4\d\d /);
    expect(received).toBe('');
  });

  it('a chunked body reaches the target as one request with exactly its bytes', async () => {
    received = '';
    const answer = await exchange(
      `POST /api HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1.1 200 /);
    expect(received.match(/ HTTP\/1.1\r\n/g)).toHaveLength(1);
    expect(received).toMatch(/^POST \/api HTTP\/1.1\r\n/);
    expect(received).not.toMatch(/authorization|ext=1/i);
    expect(received).toMatch(/\r\n\r\n(5\r\nhello\r\n0\r\n\r\n|hello)$/);
  });
});
