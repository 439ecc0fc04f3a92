import zlib from 'node:zlib';
import { HeaderCompressor, HeaderDecompressor, SpdyClientFramer, SpdySession, type SpdyStream } from './spdy';
import { SPDY_HEADER_DICTIONARY } from './spdy-dictionary';

function deflateBlocks(blocks: string[]): Promise<Buffer[]> {
  // A real zlib stream with a Z_SYNC_FLUSH after each block, as Go's spdy framer writes header blocks.
  const deflate = zlib.createDeflate({ dictionary: SPDY_HEADER_DICTIONARY });
  const output: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => output.push(chunk));
  const results: Buffer[] = [];
  return blocks
    .reduce(
      (previous, block) =>
        previous.then(
          () =>
            new Promise<void>((resolve) => {
              deflate.write(Buffer.from(block));
              deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
                results.push(Buffer.concat(output.splice(0)));
                resolve();
              });
            }),
        ),
      Promise.resolve(),
    )
    .then(() => results);
}

describe('SPDY header compression', () => {
  it('the dictionary is the 1423-byte SPDY/3 one', () => {
    expect(SPDY_HEADER_DICTIONARY.length).toBe(1423);
    expect(SPDY_HEADER_DICTIONARY.subarray(0, 11).toString('latin1')).toBe('\0\0\0\x07options');
    expect(SPDY_HEADER_DICTIONARY.subarray(-7).toString('latin1')).toBe(',enq=0.');
  });

  it('decompresses consecutive blocks of one zlib stream, as a Go client sends them', async () => {
    const [first, second] = await deflateBlocks(['streamtype: error', 'streamtype: stdout']);
    const decompressor = new HeaderDecompressor();
    expect(decompressor.decompress(first ?? Buffer.alloc(0)).toString()).toBe('streamtype: error');
    expect(decompressor.decompress(second ?? Buffer.alloc(0)).toString()).toBe('streamtype: stdout');
  });

  it('compresses blocks that a standard inflater (primed with the dictionary) reads back, each ending on a flush marker', () => {
    const compressor = new HeaderCompressor();
    const first = compressor.compress(Buffer.from('one'));
    const second = compressor.compress(Buffer.alloc(0));
    const third = compressor.compress(Buffer.from('three'));
    expect(first.subarray(-5)).toEqual(Buffer.from([0, 0, 0, 0xff, 0xff]));
    const inflated = zlib.inflateSync(Buffer.concat([first, second, third]), {
      dictionary: SPDY_HEADER_DICTIONARY,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    expect(inflated.toString()).toBe('onethree');
  });
});

describe('SpdySession', () => {
  function open(): { session: SpdySession; written: Buffer[]; streams: SpdyStream[] } {
    const written: Buffer[] = [];
    const streams: SpdyStream[] = [];
    const session = new SpdySession(
      (bytes) => written.push(bytes),
      (stream) => streams.push(stream),
    );
    return { session, written, streams };
  }

  it('answers SYN_STREAM with SYN_REPLY and exposes the headers, across split reads', () => {
    const { session, written, streams } = open();
    const client = new SpdyClientFramer();
    const frame = Buffer.concat([
      client.synStream(1, { streamtype: 'error' }),
      client.synStream(3, { streamtype: 'stdout', port: '80' }),
    ]);
    for (let offset = 0; offset < frame.length; offset += 7) session.receive(frame.subarray(offset, offset + 7));
    expect(streams.map((stream) => stream.headers)).toEqual([
      { streamtype: 'error' },
      { streamtype: 'stdout', port: '80' },
    ]);
    const replies = written.filter((bytes) => bytes.readUInt16BE(2) === 2);
    expect(replies.map((bytes) => bytes.readUInt32BE(8))).toEqual([1, 3]);
  });

  it('delivers data and FIN to the stream, and frames what the stream writes', () => {
    const { session, written, streams } = open();
    const client = new SpdyClientFramer();
    session.receive(client.synStream(1, { streamtype: 'stdin' }));
    const received: string[] = [];
    let ended = false;
    streams[0]?.onData((chunk) => received.push(chunk.toString()));
    streams[0]?.onEnd(() => (ended = true));
    session.receive(Buffer.concat([client.data(1, Buffer.from('abc')), client.data(1, Buffer.alloc(0), true)]));
    expect(received).toEqual(['abc']);
    expect(ended).toBe(true);
    written.length = 0;
    streams[0]?.write('out');
    streams[0]?.end();
    expect(written[0]?.readUInt32BE(0)).toBe(1);
    expect(written[0]?.subarray(8).toString()).toBe('out');
    expect(written[1]?.readUInt8(4)).toBe(1);
  });

  it('echoes PING and reports a frame from another SPDY version as a protocol error', () => {
    const errors: string[] = [];
    const written: Buffer[] = [];
    const session = new SpdySession(
      (bytes) => written.push(bytes),
      () => undefined,
      (message) => errors.push(message),
    );
    const ping = Buffer.from([0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07]);
    session.receive(ping);
    expect(written[0]).toEqual(ping);
    session.receive(Buffer.from([0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x09]));
    expect(errors).toEqual(['unsupported SPDY version 2']);
  });
});
