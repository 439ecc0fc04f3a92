// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type {
  ProtocolVersion as _isd_tunnel_v1_ProtocolVersion,
  ProtocolVersion__Output as _isd_tunnel_v1_ProtocolVersion__Output,
} from '../../../isd/tunnel/v1/ProtocolVersion';
import type {
  Endpoint as _isd_tunnel_v1_Endpoint,
  Endpoint__Output as _isd_tunnel_v1_Endpoint__Output,
} from '../../../isd/tunnel/v1/Endpoint';

export interface Hello {
  protocolVersion?: _isd_tunnel_v1_ProtocolVersion;
  agentVersion?: string;
  capabilities?: string[];
  endpoints?: _isd_tunnel_v1_Endpoint[];
  hostname?: string;
  poolSize?: number;
  annotations?: { [key: string]: string };
}

export interface Hello__Output {
  protocolVersion: _isd_tunnel_v1_ProtocolVersion__Output;
  agentVersion: string;
  capabilities: string[];
  endpoints: _isd_tunnel_v1_Endpoint__Output[];
  hostname: string;
  poolSize: number;
  annotations: { [key: string]: string };
}
