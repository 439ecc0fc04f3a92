// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type {
  Header as _isd_tunnel_v1_Header,
  Header__Output as _isd_tunnel_v1_Header__Output,
} from '../../../isd/tunnel/v1/Header';

export interface Informational {
  status?: number;
  headers?: _isd_tunnel_v1_Header[];
}

export interface Informational__Output {
  status: number;
  headers: _isd_tunnel_v1_Header__Output[];
}
