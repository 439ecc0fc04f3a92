// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

export const ProtocolVersion = {
  PROTOCOL_VERSION_UNSPECIFIED: 0,
  PROTOCOL_VERSION_1: 1,
} as const;

export type ProtocolVersion = 'PROTOCOL_VERSION_UNSPECIFIED' | 0 | 'PROTOCOL_VERSION_1' | 1;

export type ProtocolVersion__Output = (typeof ProtocolVersion)[keyof typeof ProtocolVersion];
