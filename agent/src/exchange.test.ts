import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { serveExchange } from './exchange';
import { createAgentMetrics } from './metrics';
import type { AgentFrameOut as AgentFrame, ControllerFrame } from '@isd/tunnel-proto';
import { createTarget, type Target } from './targets';

/** Stands in for the grpc-js Exchange stream: records what the agent writes, in order. */
class RecordingStream extends EventEmitter {
  readonly frames: Array<{ frame: AgentFrame }> = [];
  write(frame: AgentFrame): boolean {
    this.frames.push({ frame });
    return true;
  }
  end(): void {}
  pause(): void {}
  resume(): void {}
  cancel(): void {}
  bodies(): Buffer[] {
    return this.frames.flatMap(({ frame }) => {
      const data = frame.body?.data;
      if (data === undefined) return [];
      return [Buffer.concat(data instanceof Uint8Array ? [data] : [...data])];
    });
  }
}

const head = (target: string): NonNullable<ControllerFrame['requestHead']> => ({
  exchangeId: 'x',
  serviceType: 'generic',
  serviceName: 'target',
  method: 'GET',
  target,
  headers: [],
  upgrade: false,
  hasBody: false,
  lane: false,
});

function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve();
      else if (performance.now() > deadline) reject(new Error('timed out'));
      else setTimeout(poll, 2);
    };
    poll();
  });
}

describe('serveExchange response bodies', () => {
  let server: http.Server;
  let target: Target;
  let sendEvent: (() => void) | undefined;
  const piece = Buffer.alloc(64 * 1024, 120);

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/burst') {
        // 1.5 MiB written at once: the socket delivers it in a few reads that arrive back to back.
        res.writeHead(200, { 'content-length': 24 * piece.length });
        for (let index = 0; index < 24; index += 1) res.write(piece);
        res.end();
      } else if (req.url === '/small') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1024 });
        res.end(Buffer.alloc(1024, 115));
      } else if (req.url === '/watch') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"type":"BOOKMARK"}\n');
        sendEvent = () => res.write('{"type":"MODIFIED"}\n');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    target = createTarget(
      { name: 'target', type: 'generic', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
      0,
    );
  });

  afterAll(async () => {
    target.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends reads of one burst as body frames of at most 256 KiB, in order, before End.ok', async () => {
    const stream = new RecordingStream();
    serveExchange(
      stream as unknown as grpc.ClientDuplexStream<AgentFrame, ControllerFrame>,
      head('/burst'),
      target,
      createAgentMetrics(),
    );
    await until(() => stream.frames.some(({ frame }) => frame.end !== undefined));
    const bodies = stream.bodies();
    expect(Buffer.concat(bodies).equals(Buffer.concat(Array.from({ length: 24 }, () => piece)))).toBe(true);
    expect(Math.max(...bodies.map((body) => body.length))).toBeLessThanOrEqual(256 * 1024);
    // Fewer frames than 64 KiB reads: reads that arrive together share a frame.
    expect(bodies.length).toBeLessThan(24);
    const kinds = stream.frames.map(({ frame }) => Object.keys(frame)[0]);
    expect(kinds[0]).toBe('responseHead');
    expect(kinds.at(-1)).toBe('end');
    expect(stream.frames.at(-1)?.frame.end?.ok).toBeDefined();
  });

  it.each([false, true])('never holds a lone watch event back waiting for more data (inline %s)', async (inline) => {
    const stream = new RecordingStream();
    serveExchange(
      stream as unknown as grpc.ClientDuplexStream<AgentFrame, ControllerFrame>,
      head('/watch'),
      target,
      createAgentMetrics(),
      { inline },
    );
    // The head leaves on its own although the response goes on (inline: it carries the first event).
    await until(() => stream.frames.length > 0);
    expect(stream.frames[0]?.frame.responseHead?.status).toBe(200);
    expect(stream.frames[0]?.frame.responseHead?.end).toBeUndefined();
    const bodies = (): string[] => [
      ...(stream.frames[0]?.frame.responseHead?.body ? [String(stream.frames[0].frame.responseHead.body)] : []),
      ...stream.bodies().map(String),
    ];
    await until(() => bodies().length === 1 && sendEvent !== undefined);
    expect(bodies()).toEqual(['{"type":"BOOKMARK"}\n']);
    sendEvent?.();
    await until(() => bodies().length === 2, 1_000);
    const event = stream.frames.at(-1);
    expect(event?.frame.body?.data).toBeDefined();
    expect(bodies()[1]).toBe('{"type":"MODIFIED"}\n');
    // The response is still open (no more data is coming), yet the event went out: nothing waits for more.
    expect(stream.frames.some(({ frame }) => frame.end !== undefined)).toBe(false);
    stream.emit('end'); // the controller hangs up: the agent aborts the target request
  });

  it('with capability inline sends a small response as one head frame carrying its body and End.ok', async () => {
    const stream = new RecordingStream();
    let idle = 0;
    serveExchange(
      stream as unknown as grpc.ClientDuplexStream<AgentFrame, ControllerFrame>,
      head('/small'),
      target,
      createAgentMetrics(),
      { onIdle: () => (idle += 1), inline: true },
    );
    await until(() => idle === 1);
    expect(stream.frames).toHaveLength(1);
    const responseHead = stream.frames[0]?.frame.responseHead;
    expect(responseHead?.status).toBe(200);
    expect(responseHead?.headers).toContainEqual({ name: 'content-length', value: '1024' });
    expect(Buffer.from(responseHead?.body as Buffer).equals(Buffer.alloc(1024, 115))).toBe(true);
    expect(responseHead?.end?.ok).toBeDefined();
  });

  it('with capability inline lets a large body follow in body frames, in order, before End.ok', async () => {
    const stream = new RecordingStream();
    serveExchange(
      stream as unknown as grpc.ClientDuplexStream<AgentFrame, ControllerFrame>,
      head('/burst'),
      target,
      createAgentMetrics(),
      { inline: true },
    );
    await until(() => stream.frames.some(({ frame }) => frame.end !== undefined));
    const responseHead = stream.frames[0]?.frame.responseHead;
    expect(responseHead?.end).toBeUndefined();
    const inlined = responseHead?.body ? Buffer.from(responseHead.body as Buffer) : Buffer.alloc(0);
    expect(inlined.length).toBeLessThanOrEqual(16 * 1024);
    const received = Buffer.concat([inlined, ...stream.bodies()]);
    expect(received.equals(Buffer.concat(Array.from({ length: 24 }, () => piece)))).toBe(true);
    expect(stream.frames.at(-1)?.frame.end?.ok).toBeDefined();
  });
});

// A malicious (or compromised) controller: what it puts in a request head must end that exchange with
// End.error, never throw out of serveExchange (that ended the agent: Node throws on a CR/LF in a header,
// a method that is not a token or a path with spaces) and never reach another host.
describe('serveExchange against a malicious request head', () => {
  let server: http.Server;
  let target: Target;
  const seen: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    target = createTarget(
      { name: 'target', type: 'generic', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
      0,
    );
  });

  afterAll(async () => {
    target.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each([
    [
      'a CR/LF in a header value',
      { headers: [{ name: 'X-A', value: 'a\r\nX-Injected: 1' }] },
      /Invalid character in header/,
    ],
    ['a header name that is not a token', { headers: [{ name: 'X A\r\n', value: 'a' }] }, /valid HTTP token/],
    [
      'a method carrying a second request',
      { method: 'GET / HTTP/1.1\r\nHost: evil\r\n\r\nGET' },
      /Method must be a valid HTTP token/,
    ],
    ['a path carrying a second request', { target: '/ HTTP/1.1\r\nHost: evil\r\n\r\nGET /' }, /unescaped characters/],
    ['an absolute-form target naming another host', { target: 'http://evil.example/' }, /is not a path/],
    ['a target that is not a path', { target: '@evil.example/x' }, /is not a path/],
  ])('%s ends the exchange with End.error; the target sees nothing', (_what, fields, reason) => {
    const stream = new RecordingStream();
    const before = seen.length;
    expect(() =>
      serveExchange(
        stream as unknown as grpc.ClientDuplexStream<AgentFrame, ControllerFrame>,
        { ...head('/'), ...fields },
        target,
        createAgentMetrics(),
      ),
    ).not.toThrow();
    const end = stream.frames.at(-1)?.frame.end;
    expect(end?.error).toMatch(reason);
    expect(seen.length).toBe(before);
  });

  it('a request over the limit of concurrent exchanges gets End.unavailable and never reaches the target; an ended exchange frees its slot', async () => {
    const limit = { max: 1, active: 0 };
    const serve = (stream: RecordingStream): void =>
      serveExchange(
        stream as unknown as grpc.ClientDuplexStream<AgentFrame, ControllerFrame>,
        head('/'),
        target,
        createAgentMetrics(),
        { limit },
      );
    const first = new RecordingStream();
    serve(first);
    expect(limit.active).toBe(1);
    const before = seen.length;
    const refused = new RecordingStream();
    serve(refused);
    expect(refused.frames).toEqual([
      {
        frame: {
          end: {
            unavailable: 'agent is at its limit of 1 concurrent exchanges (maxConcurrentExchanges)',
            trailers: [],
          },
        },
      },
    ]);
    await until(() => first.frames.some(({ frame }) => frame.end !== undefined));
    expect(seen.length).toBe(before + 1);
    expect(limit.active).toBe(0);
    const next = new RecordingStream();
    serve(next);
    await until(() => next.frames.some(({ frame }) => frame.end?.ok !== undefined));
  });
});
