import { createHash } from 'node:crypto';
import * as protoLoader from '@grpc/proto-loader';
import type * as grpc from '@grpc/grpc-js';
import {
  AGENT_FRAME_BODY_FIELD,
  CONTROLLER_FRAME_BODY_FIELD,
  bodyFastDeserializer,
  bodyFastSerializer,
  decodeBodyFrame,
} from './frame-codec';
import { LOAD_OPTIONS, TUNNEL_PROTO_PATH, loadTunnelClient, loadTunnelDefinition } from './service';

// The protobufjs codecs proto-loader builds from the .proto: the reference the fast path must match.
const reference = protoLoader.loadSync(TUNNEL_PROTO_PATH, LOAD_OPTIONS)['isd.tunnel.v1.Tunnel'] as unknown as {
  Exchange: grpc.MethodDefinition<unknown, unknown>;
};
const protobuf = reference.Exchange;

const header = { name: 'Set-Cookie', value: 'a=1' };
const pattern = (size: number): Buffer => {
  const bytes = Buffer.allocUnsafe(size);
  for (let index = 0; index < size; index += 1) bytes[index] = (index * 7) % 251;
  return bytes;
};

/** A decoded frame with its body bytes as hex digests, since jest compares big Buffers element by element. */
function comparable(frame: unknown): unknown {
  const body = (frame as { body?: { data?: Buffer } }).body;
  if (!body?.data) return frame;
  return {
    ...(frame as object),
    body: { ...body, data: `${body.data.length}:${createHash('sha256').update(body.data).digest('hex')}` },
  };
}
// Sizes around every varint length boundary, and past the largest message the tunnel allows.
const bodySizes = [0, 1, 125, 126, 127, 128, 16_381, 16_384, 65_536, 2_097_150, 2_097_152, 9 * 1024 * 1024];

const agentFrames: Array<[string, Record<string, unknown>]> = [
  ['attach', { attach: { sessionId: 'session-1' } }],
  ['informational', { informational: { status: 103, headers: [header] } }],
  ['responseHead', { responseHead: { status: 200, statusMessage: 'OK', headers: [header, header] } }],
  ['bodyEnd', { bodyEnd: {} }],
  ['end ok', { end: { ok: {}, trailers: [header] } }],
  ['end error', { end: { error: 'upstream broke', trailers: [] } }],
  ...bodySizes.map((size): [string, Record<string, unknown>] => [`body ${size}`, { body: { data: pattern(size) } }]),
];
const controllerFrames: Array<[string, Record<string, unknown>]> = [
  [
    'requestHead',
    {
      requestHead: {
        exchangeId: 'x',
        serviceType: 'kubernetes',
        serviceName: 'default',
        method: 'POST',
        target: '/api/v1/pods?watch=1',
        headers: [header],
        upgrade: true,
        hasBody: true,
      },
    },
  ],
  ['bodyEnd', { bodyEnd: {} }],
  ['cancel', { cancel: { reason: 'client closed the connection' } }],
  ...bodySizes.map((size): [string, Record<string, unknown>] => [`body ${size}`, { body: { data: pattern(size) } }]),
];

describe.each([
  ['AgentFrame', AGENT_FRAME_BODY_FIELD, agentFrames, protobuf.requestSerialize, protobuf.requestDeserialize],
  [
    'ControllerFrame',
    CONTROLLER_FRAME_BODY_FIELD,
    controllerFrames,
    protobuf.responseSerialize,
    protobuf.responseDeserialize,
  ],
])('%s codec', (_name, field, frames, referenceSerialize, referenceDeserialize) => {
  const serialize = bodyFastSerializer(field, referenceSerialize);
  const deserialize = bodyFastDeserializer(field, referenceDeserialize);

  it.each(frames)('%s: same bytes as protobufjs, and each side decodes the other', (_kind, frame) => {
    const ours = serialize(frame);
    const theirs = referenceSerialize(frame);
    expect(ours.equals(theirs)).toBe(true);
    expect(comparable(deserialize(theirs))).toEqual(comparable(referenceDeserialize(theirs)));
    expect(comparable(referenceDeserialize(ours))).toEqual(comparable(deserialize(ours)));
  });

  it('sends chunks as one body frame equal to their concatenation', () => {
    const chunks = [pattern(3), pattern(0), pattern(70_000), pattern(129)];
    const joined = Buffer.concat(chunks);
    const ours = serialize({ body: { data: chunks } });
    expect(ours.equals(referenceSerialize({ body: { data: joined } }))).toBe(true);
    expect((referenceDeserialize(ours) as { body: { data: Buffer } }).body.data.equals(joined)).toBe(true);
  });

  it('decodes a body as a slice of the message buffer, not a copy', () => {
    const bytes = referenceSerialize({ body: { data: pattern(1_000) } });
    const decoded = deserialize(bytes) as { frame: string; body: { data: Buffer } };
    expect(decoded.frame).toBe('body');
    expect(decoded.body.data.buffer).toBe(bytes.buffer);
    expect(decoded.body.data.byteOffset).toBe(bytes.byteOffset + bytes.length - 1_000);
  });

  it('leaves anything but an exact body frame to protobufjs', () => {
    const body = referenceSerialize({ body: { data: pattern(10) } });
    // An unknown field (number 15, varint) after the data: valid protobuf, not the fast path's shape.
    const withUnknownField = Buffer.concat([
      body.subarray(0, 1),
      Buffer.from([body[1]! + 2]),
      body.subarray(2),
      Buffer.from([0x78, 0x01]),
    ]);
    expect(decodeBodyFrame(field, withUnknownField)).toBeUndefined();
    expect(deserialize(withUnknownField)).toEqual(referenceDeserialize(withUnknownField));
    // Truncated: the length says more than there is.
    expect(decodeBodyFrame(field, body.subarray(0, body.length - 1))).toBeUndefined();
    expect(decodeBodyFrame(field, Buffer.alloc(0))).toBeUndefined();
  });
});

describe('loadTunnelDefinition', () => {
  const exchange = loadTunnelDefinition().Exchange as unknown as grpc.MethodDefinition<unknown, unknown>;

  it('uses the fast path for the Exchange frames the controller receives and sends', () => {
    const agentBody = protobuf.requestSerialize({ body: { data: pattern(5) } });
    expect(exchange.requestDeserialize(agentBody)).toEqual({ frame: 'body', body: { data: pattern(5) } });
    const head = protobuf.requestSerialize({ attach: { sessionId: 's' } });
    expect(exchange.requestDeserialize(head)).toEqual(protobuf.requestDeserialize(head));
    const chunks = [pattern(2), pattern(3)];
    expect(
      exchange
        .responseSerialize({ body: { data: chunks } })
        .equals(protobuf.responseSerialize({ body: { data: Buffer.concat(chunks) } })),
    ).toBe(true);
  });

  it('uses the fast path for the Exchange frames the agent sends and receives', () => {
    const chunks = [Buffer.from('ab'), Buffer.from('cde')];
    const sent = exchange.requestSerialize({ body: { data: chunks } });
    expect(sent.equals(protobuf.requestSerialize({ body: { data: Buffer.concat(chunks) } }))).toBe(true);
    const end = { end: { ok: {}, trailers: [{ name: 'x', value: 'y' }] } };
    expect(exchange.requestSerialize(end).equals(protobuf.requestSerialize(end))).toBe(true);
    for (const frame of [{ body: { data: Buffer.from('xyz') } }, { requestHead: { method: 'GET', target: '/' } }]) {
      const bytes = protobuf.responseSerialize(frame);
      expect(exchange.responseDeserialize(bytes)).toEqual(protobuf.responseDeserialize(bytes));
    }
  });

  it('builds a client with the Control and Exchange streams', () => {
    const Client = loadTunnelClient();
    expect(typeof Client.prototype.Control).toBe('function');
    expect(typeof Client.prototype.Exchange).toBe('function');
  });
});
