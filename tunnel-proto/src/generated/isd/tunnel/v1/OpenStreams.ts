// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

export interface OpenStreams {
  count?: number;
}

export interface OpenStreams__Output {
  count: number;
}
