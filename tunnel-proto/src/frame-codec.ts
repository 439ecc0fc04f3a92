// Exchange frame codec, used by both ends of the tunnel (controller and agent).
//
// Body frames carry almost every byte through the tunnel. A Body frame is one length-delimited field
// (the frame's `body` member) holding one length-delimited `bytes` field, so it is written here by
// hand: the header is a few varint bytes and the payload is copied once, straight from the caller's
// chunks (no protobufjs Writer, no Buffer.concat for coalesced chunks). Incoming body frames are
// decoded as a slice of grpc-js's message buffer, without a copy. Every other frame, and any body
// frame this fast path does not recognise exactly, goes through the protobufjs functions it wraps, so
// the wire format stays the one the .proto describes.

/** Payload of an outgoing body frame: one buffer, or chunks sent as one frame in order. */
export type BodyData = Uint8Array | readonly Uint8Array[];

/** Field 1 of `Body`, wire type 2 (length-delimited). */
const BODY_DATA_TAG = 0x0a;

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    length += 1;
  }
  return length;
}

function writeVarint(target: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    target[offset] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 0x80);
    offset += 1;
  }
  target[offset] = value;
  return offset + 1;
}

/** Reads a varint at `offset`; undefined when it runs past `end` or beyond 2^53 (never a valid length here). */
function readVarint(source: Buffer, offset: number, end: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let index = offset; index < end && index < offset + 8; index += 1) {
    const byte = source[index] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: index + 1 };
    scale *= 0x80;
  }
  return undefined;
}

/** Encodes `{ <body field>: { data } }` exactly as protobufjs does (an empty `data` is still written). */
export function encodeBodyFrame(bodyFieldNumber: number, data: BodyData): Buffer {
  const chunks: readonly Uint8Array[] = data instanceof Uint8Array ? [data] : data;
  let dataLength = 0;
  for (const chunk of chunks) dataLength += chunk.length;
  const bodyLength = 1 + varintLength(dataLength) + dataLength;
  const frameTag = (bodyFieldNumber << 3) | 2;
  const output = Buffer.allocUnsafe(varintLength(frameTag) + varintLength(bodyLength) + bodyLength);
  let offset = writeVarint(output, 0, frameTag);
  offset = writeVarint(output, offset, bodyLength);
  output[offset] = BODY_DATA_TAG;
  offset = writeVarint(output, offset + 1, dataLength);
  for (const chunk of chunks) {
    output.set(chunk, offset);
    offset += chunk.length;
  }
  return output;
}

/**
 * Decodes a frame that is exactly one body member with exactly one `data` field (or none), returning
 * the payload as a slice of `bytes`; undefined for anything else, which the caller hands to protobufjs.
 */
export function decodeBodyFrame(bodyFieldNumber: number, bytes: Buffer): Buffer | undefined {
  const frameTag = (bodyFieldNumber << 3) | 2;
  const tag = readVarint(bytes, 0, bytes.length);
  if (!tag || tag.value !== frameTag) return undefined;
  const bodyLength = readVarint(bytes, tag.next, bytes.length);
  if (!bodyLength || bodyLength.next + bodyLength.value !== bytes.length) return undefined;
  if (bodyLength.value === 0) return bytes.subarray(bytes.length);
  if (bytes[bodyLength.next] !== BODY_DATA_TAG) return undefined;
  const dataLength = readVarint(bytes, bodyLength.next + 1, bytes.length);
  if (!dataLength || dataLength.next + dataLength.value !== bytes.length) return undefined;
  return bytes.subarray(dataLength.next);
}

/** Field number of `body` in `AgentFrame` (tunnel.proto). */
export const AGENT_FRAME_BODY_FIELD = 4;
/** Field number of `body` in `ControllerFrame` (tunnel.proto). */
export const CONTROLLER_FRAME_BODY_FIELD = 2;

/**
 * A grpc-js serializer for one frame message: body-only frames by hand, everything else by `fallback`
 * (the protobufjs serializer from proto-loader). Callers may pass body data as several chunks.
 */
export function bodyFastSerializer<Frame>(
  bodyFieldNumber: number,
  fallback: (value: Frame) => Buffer,
): (value: Frame) => Buffer {
  return (value: Frame): Buffer => {
    const frame = value as { body?: { data?: BodyData } } & Record<string, unknown>;
    const data = frame.body?.data;
    // Only a frame whose single member is `body` takes the fast path.
    if (data !== undefined && Object.keys(frame).every((key) => key === 'body' || frame[key] === undefined))
      return encodeBodyFrame(bodyFieldNumber, data);
    return fallback(value);
  };
}

/**
 * A grpc-js deserializer for one frame message: body-only frames become `{ frame: 'body', body: { data } }`
 * with `data` a slice of the message buffer (as proto-loader's own output, oneof name included); anything
 * else goes to `fallback` (the protobufjs deserializer from proto-loader).
 */
export function bodyFastDeserializer<Frame>(
  bodyFieldNumber: number,
  fallback: (bytes: Buffer) => Frame,
): (bytes: Buffer) => Frame {
  return (bytes: Buffer): Frame => {
    const data = decodeBodyFrame(bodyFieldNumber, bytes);
    if (data !== undefined) return { frame: 'body', body: { data } } as Frame;
    return fallback(bytes);
  };
}
