// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
/* eslint-disable @typescript-eslint/no-empty-object-type */
// Original file: proto/tunnel.proto

export interface Ok {}

export interface Ok__Output {}
