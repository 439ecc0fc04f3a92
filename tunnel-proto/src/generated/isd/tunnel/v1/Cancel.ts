// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

export interface Cancel {
  reason?: string;
}

export interface Cancel__Output {
  reason: string;
}
