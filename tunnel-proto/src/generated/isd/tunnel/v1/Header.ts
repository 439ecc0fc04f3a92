// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

export interface Header {
  name?: string;
  value?: string;
}

export interface Header__Output {
  name: string;
  value: string;
}
