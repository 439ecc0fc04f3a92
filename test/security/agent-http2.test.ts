// Below grpc-js on the agent port: an agent with a valid certificate writes HTTP/2 frames by hand (flow-control
// and priority floods, rapid reset, CONTINUATION floods, HPACK bombs, SETTINGS and PING floods, a reused stream
// id). The controller must end that connection after a bounded number of bytes, whatever the attacker's rate,
// and keep serving the honest agent and its callers.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { RunningController } from '@isd/controller';
import { startAgent, type RunningAgent } from '@isd/agent';
import { call, startLocalController } from '../e2e/tunnel-support';

jest.setTimeout(120_000);

let controller: RunningController;
let target: http.Server;
let goodAgent: RunningAgent;
let goodToken: string;
let evilCredentials: { certPem: string; keyPem: string };

beforeAll(async () => {
  target = http.createServer((req, res) => {
    // /large: 8 MiB, for callers that do not read it.
    if (req.url === '/large') res.end(Buffer.alloc(8 * 1024 * 1024, 'x'));
    else res.end('ok');
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  controller = await startLocalController();
  goodAgent = await startAgent({
    controllers: [controller.agentUrl],
    serverName: 'localhost',
    credentials: await controller.issueAgentCredentials('good'),
    services: [{ name: 'ci', type: 'jenkins', url: `http://127.0.0.1:${(target.address() as AddressInfo).port}` }],
    healthPort: null,
  });
  await goodAgent.waitUntilConnected(10_000);
  goodToken = await controller.issueServiceToken('good', 'jenkins', 'ci');
  evilCredentials = await controller.issueAgentCredentials('evil');
});

afterAll(async () => {
  await goodAgent?.stop();
  await controller?.stop();
  await new Promise((resolve) => target?.close(resolve));
});

const FRAME = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
};
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;

function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** An HPACK integer with a `prefixBits`-bit prefix (RFC 7541 §5.1). */
function hpackInteger(value: number, prefixBits: number, firstByte: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([firstByte | value]);
  const bytes = [firstByte | max];
  for (value -= max; value >= 128; value = Math.floor(value / 128)) bytes.push((value % 128) + 128);
  bytes.push(value);
  return Buffer.from(bytes);
}

const hpackString = (text: string): Buffer => Buffer.concat([hpackInteger(text.length, 7, 0), Buffer.from(text)]);
/** A literal header field with a new name, added to the dynamic table or not (RFC 7541 §6.2). */
const literal = (name: string, value: string, indexed = false): Buffer =>
  Buffer.concat([Buffer.from([indexed ? 0x40 : 0x00]), hpackString(name), hpackString(value)]);

const exchangeHead = Buffer.concat([
  literal(':method', 'POST'),
  literal(':scheme', 'https'),
  literal(':path', '/isd.tunnel.v1.Tunnel/Exchange'),
  literal(':authority', 'localhost'),
  literal('content-type', 'application/grpc'),
  literal('te', 'trailers'),
]);
const uint32 = (value: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};
const setting = (id: number, value: number): Buffer =>
  Buffer.concat([Buffer.from([id >> 8, id & 0xff]), uint32(value)]);

/** Everything the attacker sends is at most this many bytes: a flood still going by then was never cut. */
const FLOOD_LIMIT_BYTES = 1024 * 1024 * 1024;

/**
 * Connects with the evil agent's certificate, sends the preface and `opening`, then `unit(n)` again and
 * again (reading whatever the controller sends, answering its PINGs) until the controller closes the connection or the attacker
 * has sent FLOOD_LIMIT_BYTES. Returns the bytes sent and the error codes of the GOAWAYs received.
 */
async function flood(
  opening: Buffer,
  unit: (index: number) => Buffer,
): Promise<{ sentBytes: number; goaways: number[] }> {
  const url = new URL(controller.agentUrl.includes('://') ? controller.agentUrl : `https://${controller.agentUrl}`);
  const socket = tls.connect({
    host: url.hostname,
    port: Number(url.port),
    ca: controller.ca.certPem,
    cert: evilCredentials.certPem,
    key: evilCredentials.keyPem,
    servername: 'localhost',
    ALPNProtocols: ['h2'],
  });
  socket.on('error', () => undefined);
  let closed = false;
  const goaways: number[] = [];
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    while (received.length >= 9 && received.length >= 9 + received.readUIntBE(0, 3)) {
      if (received[3] === FRAME.GOAWAY) goaways.push(received.readUInt32BE(13));
      // Keepalive PINGs are answered, or grpc-js would end the connection after 15 s whatever it sent.
      if (received[3] === FRAME.PING && !(received[4]! & ACK))
        socket.write(frame(FRAME.PING, ACK, 0, received.subarray(9, 17)));
      received = received.subarray(9 + received.readUIntBE(0, 3));
    }
  });
  const closedOrDrained = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.once('drain', done);
      socket.once('close', done);
    });
  socket.once('close', () => (closed = true));
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  let sentBytes = 0;
  const send = async (bytes: Buffer): Promise<void> => {
    sentBytes += bytes.length;
    if (!socket.write(bytes)) await closedOrDrained();
    // Let the controller's timers run between batches, as they would on a controller of its own.
    else await new Promise((resolve) => setImmediate(resolve));
  };
  await send(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(FRAME.SETTINGS, 0, 0), opening]));
  for (let index = 0; !closed && sentBytes < FLOOD_LIMIT_BYTES;) {
    const batch: Buffer[] = [];
    for (let end = index + 1000; index < end; index++) batch.push(unit(index));
    await send(Buffer.concat(batch));
  }
  socket.destroy();
  return { sentBytes, goaways };
}

async function honestAgentStillServes(): Promise<void> {
  const answer = await call(controller.serviceUrl, '/job', {
    caPem: controller.ca.certPem,
    headers: { authorization: `Bearer ${goodToken}` },
  });
  expect(answer.status).toBe(200);
}

const ENHANCE_YOUR_CALM = 0xb;
const streamId = (index: number): number => 2 * index + 1;

describe('floods of frames nghttp2 does not limit', () => {
  it.each([
    ['PRIORITY frames', (index: number) => frame(FRAME.PRIORITY, 0, streamId(index), Buffer.from([0, 0, 0, 0, 255]))],
    ['connection WINDOW_UPDATEs of one byte', () => frame(FRAME.WINDOW_UPDATE, 0, 0, uint32(1))],
    ['SETTINGS that change nothing', () => frame(FRAME.SETTINGS, 0, 0, setting(4, 65_535))],
  ])('%s: the connection is ended with ENHANCE_YOUR_CALM within the allowance', async (_what, unit) => {
    const { sentBytes, goaways } = await flood(Buffer.alloc(0), unit);
    expect(sentBytes).toBeLessThan(FLOOD_LIMIT_BYTES);
    expect(goaways).toContain(ENHANCE_YOUR_CALM);
    const metrics = await (await fetch(`${controller.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/isd_tunnel_agent_limit_refusals_total\{agent="evil",limit="http2Overhead"\} [1-9]/);
    await honestAgentStillServes();
  });
});

describe('floods nghttp2 and Node already end', () => {
  it.each([
    [
      'rapid reset (HEADERS then RST_STREAM, CVE-2023-44487)',
      Buffer.alloc(0),
      (index: number) =>
        Buffer.concat([
          frame(FRAME.HEADERS, END_HEADERS, streamId(index), exchangeHead),
          frame(FRAME.RST_STREAM, 0, streamId(index), uint32(8)),
        ]),
    ],
    [
      'CONTINUATION without end (CVE-2024-27316 class)',
      frame(FRAME.HEADERS, 0, 1, exchangeHead),
      () => frame(FRAME.CONTINUATION, 0, 1, literal('x-a', 'b')),
    ],
    ['empty CONTINUATION frames', frame(FRAME.HEADERS, 0, 1, exchangeHead), () => frame(FRAME.CONTINUATION, 0, 1)],
    [
      'an HPACK bomb (one 3,900-byte entry referenced 4,000 times a block)',
      Buffer.alloc(0),
      (index: number) =>
        frame(
          FRAME.HEADERS,
          END_HEADERS | END_STREAM,
          streamId(index),
          Buffer.concat([literal('x-big', 'v'.repeat(3_900), true), exchangeHead, Buffer.alloc(4_000, 0x80 | 62)]),
        ),
    ],
    ['PING frames', Buffer.alloc(0), () => frame(FRAME.PING, 0, 0, Buffer.alloc(8))],
    [
      'empty DATA frames on an open stream',
      frame(FRAME.HEADERS, END_HEADERS, 1, exchangeHead),
      () => frame(FRAME.DATA, 0, 1),
    ],
    [
      'streams opened and never used',
      Buffer.alloc(0),
      (index: number) => frame(FRAME.HEADERS, END_HEADERS, streamId(index), exchangeHead),
    ],
    [
      'a closed stream id reused',
      frame(FRAME.HEADERS, END_HEADERS | END_STREAM, 1, exchangeHead),
      () => frame(FRAME.HEADERS, END_HEADERS | END_STREAM, 1, exchangeHead),
    ],
  ])('%s: the connection is ended', async (_what, opening, unit) => {
    const { sentBytes } = await flood(opening, unit);
    expect(sentBytes).toBeLessThan(FLOOD_LIMIT_BYTES);
    await honestAgentStillServes();
  });
});

describe('an honest agent', () => {
  it('is not cut when many callers stop reading its large answers and then go away', async () => {
    const url = new URL('/large', controller.serviceUrl);
    const callers = Array.from({ length: 40 }, () => {
      const request = https.get(url, {
        ca: controller.ca.certPem,
        headers: { authorization: `Bearer ${goodToken}` },
        agent: false,
      });
      request.on('response', (response) => response.pause());
      request.on('error', () => undefined);
      return request;
    });
    // Each exchange fills its stream's window at the controller (1 MiB) once its caller's buffers are full;
    // when the callers go, that DATA is dropped unread. Several checks of the allowance pass meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const request of callers) request.destroy();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const metrics = await (await fetch(`${controller.metricsUrl}/metrics`)).text();
    expect(metrics).not.toMatch(/isd_tunnel_agent_limit_refusals_total\{agent="good"/);
    await honestAgentStillServes();
  });
});
