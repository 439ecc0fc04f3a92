// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

export interface RenewResponse {
  certPem?: string;
  caPem?: string;
  error?: string;
}

export interface RenewResponse__Output {
  certPem: string;
  caPem: string;
  error: string;
}
