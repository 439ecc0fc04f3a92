// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

export interface RenewRequest {
  csrPem?: string;
}

export interface RenewRequest__Output {
  csrPem: string;
}
