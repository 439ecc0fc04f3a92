// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

export interface Endpoint {
  type?: string;
  name?: string;
  annotations?: { [key: string]: string };
}

export interface Endpoint__Output {
  type: string;
  name: string;
  annotations: { [key: string]: string };
}
