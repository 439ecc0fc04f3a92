// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type { Long } from '@grpc/proto-loader';

export interface Pong {
  nonce?: number | string | Long;
  pingSentAtMs?: number | string | Long;
}

export interface Pong__Output {
  nonce: number;
  pingSentAtMs: number;
}
