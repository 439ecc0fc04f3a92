// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type { Long } from '@grpc/proto-loader';

export interface Drain {
  deadlineMs?: number | string | Long;
}

export interface Drain__Output {
  deadlineMs: number;
}
