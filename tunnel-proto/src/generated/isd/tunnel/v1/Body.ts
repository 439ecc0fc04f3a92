// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

export interface Body {
  data?: Buffer | Uint8Array | string;
}

export interface Body__Output {
  data: Buffer;
}
