// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type { Long } from '@grpc/proto-loader';

export interface Ping {
  nonce?: number | string | Long;
  sentAtMs?: number | string | Long;
}

export interface Ping__Output {
  nonce: number;
  sentAtMs: number;
}
