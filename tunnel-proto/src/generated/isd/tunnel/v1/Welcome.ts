// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type {
  ProtocolVersion as _isd_tunnel_v1_ProtocolVersion,
  ProtocolVersion__Output as _isd_tunnel_v1_ProtocolVersion__Output,
} from '../../../isd/tunnel/v1/ProtocolVersion';
import type { Long } from '@grpc/proto-loader';

export interface Welcome {
  sessionId?: string;
  protocolVersion?: _isd_tunnel_v1_ProtocolVersion;
  capabilities?: string[];
  pingIntervalMs?: number | string | Long;
  controllerId?: string;
}

export interface Welcome__Output {
  sessionId: string;
  protocolVersion: _isd_tunnel_v1_ProtocolVersion__Output;
  capabilities: string[];
  pingIntervalMs: number;
  controllerId: string;
}
