import zlib from 'node:zlib';
import { SPDY_HEADER_DICTIONARY } from './spdy-dictionary';

// SPDY/3.1 (draft 3.1) frame types and flags, as kubectl's spdystream speaks them.
const SPDY_VERSION = 3;
const TYPE_SYN_STREAM = 1;
const TYPE_SYN_REPLY = 2;
const TYPE_RST_STREAM = 3;
const TYPE_PING = 6;
const TYPE_GOAWAY = 7;
const FLAG_FIN = 0x01;
const RST_CANCEL = 5;
const MAX_DATA_FRAME_BYTES = 32 * 1024;
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

const MAX_HEADER_HISTORY_BYTES = 1024 * 1024;

function adler32(bytes: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function storedBlockHeader(length: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(0x00, 0); // BFINAL=0, BTYPE=00 (stored), byte-aligned
  header.writeUInt16LE(length, 1);
  header.writeUInt16LE(~length & 0xffff, 3);
  return header;
}

/**
 * SPDY header blocks form one zlib stream per direction (primed with the SPDY dictionary), each block
 * ending on a flush boundary. Node has no public synchronous streaming zlib, so the compressor writes
 * *stored* (uncompressed) deflate blocks by hand — valid zlib that any inflater reads — after the zlib
 * header that names the dictionary.
 */
export class HeaderCompressor {
  private started = false;

  /** Encodes one header block as the next piece of the zlib stream. */
  compress(raw: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      const header = Buffer.alloc(6);
      // CMF 0x78 (deflate, 32K window), FLG 0xF9 (FDICT set, check bits valid), then the dictionary id.
      header.writeUInt8(0x78, 0);
      header.writeUInt8(0xf9, 1);
      header.writeUInt32BE(adler32(SPDY_HEADER_DICTIONARY), 2);
      parts.push(header);
    }
    for (let offset = 0; offset < raw.length; offset += 0xffff) {
      const piece = raw.subarray(offset, offset + 0xffff);
      parts.push(storedBlockHeader(piece.length), piece);
    }
    // An empty stored block is the Z_SYNC_FLUSH marker: Go's inflater hands buffered output to the reader
    // only when it reaches a block boundary like this one, so every header block must end with it.
    parts.push(storedBlockHeader(0));
    return Buffer.concat(parts);
  }
}

/**
 * Decodes the peer's header blocks. Each block continues the previous ones' zlib stream, so the
 * decompressor re-inflates the whole stream so far (sessions carry a handful of small blocks) and
 * returns the new output.
 */
export class HeaderDecompressor {
  private compressed: Buffer = Buffer.alloc(0);
  private producedBytes = 0;

  /** Returns the uncompressed bytes of the next header block. */
  decompress(block: Buffer): Buffer {
    this.compressed = Buffer.concat([this.compressed, block]);
    if (this.compressed.length > MAX_HEADER_HISTORY_BYTES) throw new Error('too many SPDY header bytes in one session');
    const all = zlib.inflateSync(this.compressed, {
      dictionary: SPDY_HEADER_DICTIONARY,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    const fresh = all.subarray(this.producedBytes);
    this.producedBytes = all.length;
    return fresh;
  }
}

/** One SPDY stream, opened by the client with SYN_STREAM (which the session has already answered). */
export class SpdyStream {
  private dataListener: ((chunk: Buffer) => void) | undefined;
  private endListener: (() => void) | undefined;
  private readonly buffered: Buffer[] = [];
  private remoteEnded = false;
  private localEnded = false;

  constructor(
    readonly id: number,
    readonly headers: Record<string, string>,
    private readonly session: SpdySession,
  ) {}

  /** Receives the client's bytes on this stream (buffered until a listener is set). */
  onData(listener: (chunk: Buffer) => void): void {
    this.dataListener = listener;
    for (const chunk of this.buffered.splice(0)) listener(chunk);
  }

  /** Called once when the client half-closes (FIN) or resets the stream. */
  onEnd(listener: () => void): void {
    this.endListener = listener;
    if (this.remoteEnded) listener();
  }

  /** Sends bytes to the client on this stream. */
  write(data: Buffer | string): void {
    if (this.localEnded) return;
    this.session.sendData(this.id, typeof data === 'string' ? Buffer.from(data) : data, false);
  }

  /** Half-closes our side (DATA frame with FLAG_FIN). */
  end(): void {
    if (this.localEnded) return;
    this.localEnded = true;
    this.session.sendData(this.id, Buffer.alloc(0), true);
  }

  /** Aborts the stream with RST_STREAM CANCEL. */
  reset(): void {
    this.localEnded = true;
    this.session.sendReset(this.id);
    this.receiveEnd();
  }

  /** @internal */
  receiveData(chunk: Buffer): void {
    if (this.dataListener) this.dataListener(chunk);
    else this.buffered.push(chunk);
  }

  /** @internal */
  receiveEnd(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.endListener?.();
  }
}

/**
 * The server side of a SPDY/3.1 session over any byte transport (the upgraded socket for `kubectl exec`,
 * or WebSocket binary messages for `SPDY/3.1+portforward.k8s.io`). Every SYN_STREAM is answered with
 * SYN_REPLY, PINGs are echoed, and flow-control frames are ignored (spdystream sends none it waits on).
 */
export class SpdySession {
  private pending: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, SpdyStream>();
  private readonly decompressor = new HeaderDecompressor();
  private readonly compressor = new HeaderCompressor();
  private closed = false;

  constructor(
    private readonly writeBytes: (bytes: Buffer) => void,
    private readonly onStream: (stream: SpdyStream) => void,
    private readonly onProtocolError: (message: string) => void = () => undefined,
    private readonly onClose: () => void = () => undefined,
  ) {}

  /** Feeds bytes read from the transport; complete frames are handled synchronously. */
  receive(bytes: Buffer): void {
    if (this.closed) return;
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    while (this.pending.length >= 8) {
      const length = this.pending.readUIntBE(5, 3);
      if (length > MAX_FRAME_BYTES) return this.fail(`frame of ${length} bytes is too large`);
      if (this.pending.length < 8 + length) return;
      const frame = this.pending.subarray(0, 8 + length);
      this.pending = this.pending.subarray(8 + length);
      try {
        this.handleFrame(frame);
      } catch (error) {
        return this.fail((error as Error).message);
      }
    }
  }

  /** Marks the transport closed: every open stream sees its end. */
  transportClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of this.streams.values()) stream.receiveEnd();
    this.streams.clear();
    this.onClose();
  }

  /** Sends GOAWAY, as the kubelet does when the command is done. */
  goAway(): void {
    if (this.closed) return;
    const body = Buffer.alloc(8);
    body.writeUInt32BE(0, 0);
    body.writeUInt32BE(0, 4);
    this.writeControl(TYPE_GOAWAY, 0, body);
  }

  /** @internal */
  sendData(streamId: number, data: Buffer, fin: boolean): void {
    if (this.closed) return;
    let offset = 0;
    do {
      const chunk = data.subarray(offset, offset + MAX_DATA_FRAME_BYTES);
      offset += chunk.length;
      const last = offset >= data.length;
      const header = Buffer.alloc(8);
      header.writeUInt32BE(streamId & 0x7fffffff, 0);
      header.writeUInt32BE(chunk.length, 4);
      header.writeUInt8(fin && last ? FLAG_FIN : 0, 4);
      this.writeBytes(Buffer.concat([header, chunk]));
    } while (offset < data.length);
  }

  /** @internal */
  sendReset(streamId: number): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(streamId & 0x7fffffff, 0);
    body.writeUInt32BE(RST_CANCEL, 4);
    this.writeControl(TYPE_RST_STREAM, 0, body);
  }

  private fail(message: string): void {
    this.onProtocolError(message);
    this.transportClosed();
  }

  private handleFrame(frame: Buffer): void {
    const isControl = (frame.readUInt8(0) & 0x80) !== 0;
    const flags = frame.readUInt8(4);
    const body = frame.subarray(8);
    if (!isControl) {
      const stream = this.streams.get(frame.readUInt32BE(0) & 0x7fffffff);
      if (!stream) return;
      if (body.length > 0) stream.receiveData(Buffer.from(body));
      if (flags & FLAG_FIN) stream.receiveEnd();
      return;
    }
    const version = frame.readUInt16BE(0) & 0x7fff;
    if (version !== SPDY_VERSION) throw new Error(`unsupported SPDY version ${version}`);
    switch (frame.readUInt16BE(2)) {
      case TYPE_SYN_STREAM: {
        const streamId = body.readUInt32BE(0) & 0x7fffffff;
        const headers = this.decodeHeaders(body.subarray(10));
        const stream = new SpdyStream(streamId, headers, this);
        this.streams.set(streamId, stream);
        this.sendReply(streamId);
        if (flags & FLAG_FIN) stream.receiveEnd();
        this.onStream(stream);
        break;
      }
      case TYPE_RST_STREAM: {
        const streamId = body.readUInt32BE(0) & 0x7fffffff;
        this.streams.get(streamId)?.receiveEnd();
        this.streams.delete(streamId);
        break;
      }
      case TYPE_PING:
        this.writeControl(TYPE_PING, 0, Buffer.from(body));
        break;
      case TYPE_GOAWAY:
        this.transportClosed();
        break;
      default:
        // SETTINGS, WINDOW_UPDATE, HEADERS: nothing the harness needs to act on.
        break;
    }
  }

  private decodeHeaders(block: Buffer): Record<string, string> {
    const raw = this.decompressor.decompress(Buffer.from(block));
    const headers: Record<string, string> = {};
    let offset = 0;
    const count = raw.readUInt32BE(offset);
    offset += 4;
    for (let index = 0; index < count; index += 1) {
      const nameLength = raw.readUInt32BE(offset);
      const name = raw.subarray(offset + 4, offset + 4 + nameLength).toString('utf8');
      offset += 4 + nameLength;
      const valueLength = raw.readUInt32BE(offset);
      const value = raw.subarray(offset + 4, offset + 4 + valueLength).toString('utf8');
      offset += 4 + valueLength;
      headers[name.toLowerCase()] = value.split('\0')[0] ?? '';
    }
    return headers;
  }

  private encodeHeaders(headers: Record<string, string>): Buffer {
    const parts: Buffer[] = [];
    const count = Buffer.alloc(4);
    count.writeUInt32BE(Object.keys(headers).length, 0);
    parts.push(count);
    for (const [name, value] of Object.entries(headers)) {
      for (const text of [name.toLowerCase(), value]) {
        const bytes = Buffer.from(text, 'utf8');
        const length = Buffer.alloc(4);
        length.writeUInt32BE(bytes.length, 0);
        parts.push(length, bytes);
      }
    }
    return this.compressor.compress(Buffer.concat(parts));
  }

  private sendReply(streamId: number): void {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(streamId & 0x7fffffff, 0);
    this.writeControl(TYPE_SYN_REPLY, 0, Buffer.concat([id, this.encodeHeaders({})]));
  }

  private writeControl(type: number, flags: number, body: Buffer): void {
    if (this.closed) return;
    const header = Buffer.alloc(8);
    header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
    header.writeUInt16BE(type, 2);
    header.writeUInt32BE(body.length, 4);
    header.writeUInt8(flags, 4);
    this.writeBytes(Buffer.concat([header, body]));
  }
}

/** Client-side helpers for tests: build SYN_STREAM frames with the same compression context rules. */
export class SpdyClientFramer {
  private readonly compressor = new HeaderCompressor();

  /** A SYN_STREAM frame opening `streamId` with these headers. */
  synStream(streamId: number, headers: Record<string, string>, fin = false): Buffer {
    const parts: Buffer[] = [];
    const count = Buffer.alloc(4);
    count.writeUInt32BE(Object.keys(headers).length, 0);
    parts.push(count);
    for (const [name, value] of Object.entries(headers)) {
      for (const text of [name, value]) {
        const bytes = Buffer.from(text);
        const length = Buffer.alloc(4);
        length.writeUInt32BE(bytes.length, 0);
        parts.push(length, bytes);
      }
    }
    const block = this.compressor.compress(Buffer.concat(parts));
    const body = Buffer.alloc(10);
    body.writeUInt32BE(streamId, 0);
    const header = Buffer.alloc(8);
    header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
    header.writeUInt16BE(TYPE_SYN_STREAM, 2);
    header.writeUInt32BE(body.length + block.length, 4);
    header.writeUInt8(fin ? FLAG_FIN : 0, 4);
    return Buffer.concat([header, body, block]);
  }

  /** A DATA frame. */
  data(streamId: number, data: Buffer, fin = false): Buffer {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(streamId, 0);
    header.writeUInt32BE(data.length, 4);
    header.writeUInt8(fin ? FLAG_FIN : 0, 4);
    return Buffer.concat([header, data]);
  }
}
