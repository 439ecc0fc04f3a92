// Lanes (capability "lane", see tunnel.proto): a large body of known length crosses its own mutual-TLS
// connection as raw bytes, without HTTP/2, gRPC or frame encoding. This module holds what both ends share:
// the ALPN name, the lane header, and a reader that takes headers and exact-length bodies off one socket.
import type { Duplex } from 'node:stream';

/** ALPN protocol a lane connection negotiates on the agent endpoint (gRPC connections negotiate "h2"). */
export const LANE_ALPN = 'isd-tunnel-lane/1';

/** A lane nobody wrote on for this long is closed by the end that writes on it. */
export const LANE_IDLE_MS = 60_000;

/** Bodies with a Content-Length of at least this many bytes take a lane when both ends agreed on "lane". */
export const LANE_MIN_BYTES = 1024 * 1024;

/** A Content-Length value as a byte count, or undefined when absent or malformed. */
export function declaredLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/**
 * A lane's role, fixed when it is opened: which body it carries, so which end writes on it. 'response'
 * lanes carry response bodies (the agent writes), 'request' lanes request bodies (the controller writes).
 * Each writer picks only from its own idle lanes, so the two ends never choose the same lane at once.
 */
export type LaneDirection = 'response' | 'request';

/** Written on a lane before each body by the end that writes it: which exchange the bytes belong to. */
export interface LaneHeader {
  direction: LaneDirection;
  exchangeId: string;
}

/** The agent's first bytes on a new lane: its role, and the session (control stream) it belongs to. */
export interface LaneHello {
  direction: LaneDirection;
  sessionId: string;
}

/** The controller's answer to an accepted hello; a refused lane is closed instead. */
export const LANE_ACCEPTED = 0x41; // 'A'

const MAGIC = Buffer.from('ISDL');
const KIND_HELLO = 0x48; // 'H'
const KIND_BODY = 0x42; // 'B'
const DIRECTION_BYTE: Record<LaneDirection, number> = { response: 0x44 /* D */, request: 0x55 /* U */ };
const MAX_ID_BYTES = 128;

function encode(kind: number, direction: LaneDirection, id: string): Buffer {
  const idBytes = Buffer.from(id, 'latin1');
  if (idBytes.length === 0 || idBytes.length > MAX_ID_BYTES) throw new RangeError('lane id must be 1–128 bytes');
  return Buffer.concat([MAGIC, Buffer.from([kind, DIRECTION_BYTE[direction], idBytes.length]), idBytes]);
}

/** A new lane's hello bytes: "ISDL", 'H', role, id length, session id (ASCII). */
export function encodeLaneHello(hello: LaneHello): Buffer {
  return encode(KIND_HELLO, hello.direction, hello.sessionId);
}

/** A body header's bytes: "ISDL", 'B', direction, id length, exchange id (ASCII). */
export function encodeLaneHeader(header: LaneHeader): Buffer {
  return encode(KIND_BODY, header.direction, header.exchangeId);
}

type Decoded = { kind: 'hello' | 'body'; direction: LaneDirection; id: string; length: number };

/** Parses a hello or body header at the start of `data`: it and its length, 'incomplete', or an error text. */
export function decodeLaneMessage(data: Buffer): Decoded | 'incomplete' | string {
  const known = Math.min(data.length, MAGIC.length);
  if (!data.subarray(0, known).equals(MAGIC.subarray(0, known))) return 'not a lane message';
  if (data.length < MAGIC.length + 3) return 'incomplete';
  const kindByte = data[MAGIC.length];
  const kind = kindByte === KIND_HELLO ? 'hello' : kindByte === KIND_BODY ? 'body' : null;
  if (!kind) return 'unknown lane message kind';
  const directionByte = data[MAGIC.length + 1];
  const direction =
    directionByte === DIRECTION_BYTE.response
      ? 'response'
      : directionByte === DIRECTION_BYTE.request
        ? 'request'
        : null;
  if (!direction) return 'unknown lane direction';
  const idLength = data[MAGIC.length + 2] ?? 0;
  if (idLength === 0 || idLength > MAX_ID_BYTES) return 'bad lane id length';
  const length = MAGIC.length + 3 + idLength;
  if (data.length < length) return 'incomplete';
  return { kind, direction, id: data.toString('latin1', MAGIC.length + 3, length), length };
}

interface BodyRead {
  remaining: number;
  /** Takes the next piece; false asks the reader to pause the socket until resume(). */
  sink: (chunk: Buffer) => boolean;
  done: (error?: Error) => void;
}

/**
 * The reading end of one lane. It parses body headers, hands each to `onHeader`, and holds the bytes that
 * follow until the header's exchange asks for its body with readBody(): exactly the length asked for. Bytes
 * after a body belong to the next header. A malformed header, or a header of the other direction, destroys
 * the lane.
 */
export class LaneReader {
  private held: Buffer | undefined;
  private body: BodyRead | undefined;
  /** True after a header until its exchange calls readBody(). */
  private holding = false;

  constructor(
    readonly socket: Duplex,
    readonly direction: LaneDirection,
    private readonly onHeader: (header: LaneHeader, reader: LaneReader) => void,
    /** Bytes read together with the hello or its answer. */
    initial?: Buffer,
  ) {
    socket.on('data', (chunk: Buffer) => this.consume(chunk));
    socket.on('close', () => {
      const body = this.body;
      this.body = undefined;
      body?.done(new Error('lane closed before the body was complete'));
    });
    // Errors end in 'close'; without a listener an 'error' would be thrown.
    socket.on('error', () => undefined);
    if (initial && initial.length > 0) this.consume(initial);
  }

  /** Delivers exactly `length` bytes to `sink`, then calls `done()`; `done(error)` if the lane breaks first. */
  readBody(length: number, sink: BodyRead['sink'], done: BodyRead['done']): void {
    if (this.body || !this.holding) throw new Error('no lane header is waiting for its body');
    this.holding = false;
    if (this.socket.destroyed) {
      done(new Error('lane closed before the body was complete'));
      return;
    }
    this.body = { remaining: length, sink, done };
    if (length === 0) this.finishBody();
    const held = this.held;
    this.held = undefined;
    this.socket.resume();
    if (held) this.consume(held);
  }

  /** Resumes a socket paused because a sink returned false. */
  resume(): void {
    if (this.body) this.socket.resume();
  }

  private finishBody(): void {
    const body = this.body;
    this.body = undefined;
    body?.done();
  }

  private consume(chunk: Buffer): void {
    let data = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = undefined;
    while (data.length > 0 && !this.socket.destroyed) {
      const body = this.body;
      if (body) {
        const take = Math.min(body.remaining, data.length);
        const piece = take === data.length ? data : data.subarray(0, take);
        data = data.subarray(take);
        body.remaining -= take;
        const more = body.sink(piece);
        if (body.remaining === 0) this.finishBody();
        else if (!more) this.socket.pause();
        continue;
      }
      if (this.holding) {
        // Bytes after a header wait for its exchange; the socket waits too, so they stay bounded.
        this.held = data;
        this.socket.pause();
        return;
      }
      const decoded = decodeLaneMessage(data);
      if (decoded === 'incomplete') {
        this.held = data;
        return;
      }
      if (typeof decoded === 'string' || decoded.kind !== 'body' || decoded.direction !== this.direction) {
        this.socket.destroy(new Error(typeof decoded === 'string' ? decoded : 'unexpected lane message'));
        return;
      }
      data = data.subarray(decoded.length);
      this.holding = true;
      this.onHeader({ direction: decoded.direction, exchangeId: decoded.id }, this);
    }
  }
}

/** The writing end of a lane: nothing may arrive on it (a reader that writes is broken or hostile). */
export function guardWritingEnd(socket: Duplex): void {
  socket.on('data', () => socket.destroy(new Error('bytes on the writing end of a lane')));
  socket.on('error', () => undefined);
}

/**
 * Meets each exchange with the lane that carries its body. The exchange's head (on its gRPC stream) and the
 * lane's body header travel on different connections, so either may come first: a lane that arrives first
 * waits up to `unclaimedMs` for its exchange, and is closed if none claims it.
 */
export class LaneRendezvous {
  private readonly waiting = new Map<
    string,
    { resolve: (reader: LaneReader) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  private readonly arrived = new Map<string, { reader: LaneReader; timer: NodeJS.Timeout }>();

  constructor(private readonly unclaimedMs = 10_000) {}

  /** A lane's header named `exchangeId` (the reader holds the body until readBody()). */
  arrive(exchangeId: string, reader: LaneReader): void {
    const waiter = this.waiting.get(exchangeId);
    if (waiter) {
      this.waiting.delete(exchangeId);
      clearTimeout(waiter.timer);
      waiter.resolve(reader);
      return;
    }
    if (this.arrived.has(exchangeId)) {
      reader.socket.destroy(new Error('a second lane named the same exchange'));
      return;
    }
    const timer = setTimeout(() => {
      this.arrived.delete(exchangeId);
      reader.socket.destroy(new Error('no exchange claimed the lane'));
    }, this.unclaimedMs);
    timer.unref();
    this.arrived.set(exchangeId, { reader, timer });
  }

  /** The lane carrying `exchangeId`'s body, once its header has arrived. */
  expect(exchangeId: string, timeoutMs: number): Promise<LaneReader> {
    const early = this.arrived.get(exchangeId);
    if (early) {
      this.arrived.delete(exchangeId);
      clearTimeout(early.timer);
      return Promise.resolve(early.reader);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(exchangeId);
        reject(new Error(`no lane arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.waiting.set(exchangeId, { resolve, reject, timer });
    });
  }

  /** Ends every wait: the connection the lanes belong to is gone. */
  close(reason: string): void {
    for (const { reject, timer } of this.waiting.values()) {
      clearTimeout(timer);
      reject(new Error(reason));
    }
    this.waiting.clear();
    for (const { reader, timer } of this.arrived.values()) {
      clearTimeout(timer);
      reader.socket.destroy();
    }
    this.arrived.clear();
  }
}

/**
 * The idle lanes one end writes on (the agent's response lanes, the controller's request lanes): each is
 * taken for one body and given back after it, and one left unused for `idleMs` is closed, so an idle agent
 * holds no connection beyond its gRPC one.
 */
export class IdleLanes<Lane extends Duplex> {
  private readonly idle: Lane[] = [];
  private readonly timers = new Map<Lane, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly idleMs: number) {}

  /** Idle lanes now. */
  get size(): number {
    return this.idle.length;
  }

  /** Adds a lane just accepted; it is idle until taken. */
  add(lane: Lane): void {
    const timer = setTimeout(() => {
      if (this.idle.includes(lane)) lane.destroy();
      else timer.refresh();
    }, this.idleMs);
    timer.unref();
    this.timers.set(lane, timer);
    lane.once('close', () => {
      clearTimeout(timer);
      this.timers.delete(lane);
      const index = this.idle.indexOf(lane);
      if (index >= 0) this.idle.splice(index, 1);
    });
    this.release(lane);
  }

  /** An idle lane to write one body on, if any. */
  take(): Lane | undefined {
    let lane = this.idle.pop();
    while (lane?.destroyed) lane = this.idle.pop();
    if (lane) this.timers.get(lane)?.refresh();
    return lane;
  }

  /** A lane whose body was written completely is idle again. */
  release(lane: Lane): void {
    if (this.closed || lane.destroyed) return;
    this.idle.push(lane);
    this.timers.get(lane)?.refresh();
  }

  /** Closes every idle lane; lanes given back later are not kept. */
  close(): void {
    this.closed = true;
    for (const lane of this.idle.splice(0)) lane.destroy();
  }
}
