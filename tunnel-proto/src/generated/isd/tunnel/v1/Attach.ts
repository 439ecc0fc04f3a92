// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

export interface Attach {
  sessionId?: string;
}

export interface Attach__Output {
  sessionId: string;
}
