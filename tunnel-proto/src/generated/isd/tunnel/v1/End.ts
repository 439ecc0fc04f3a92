// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type { Ok as _isd_tunnel_v1_Ok, Ok__Output as _isd_tunnel_v1_Ok__Output } from '../../../isd/tunnel/v1/Ok';
import type {
  Header as _isd_tunnel_v1_Header,
  Header__Output as _isd_tunnel_v1_Header__Output,
} from '../../../isd/tunnel/v1/Header';

export interface End {
  ok?: _isd_tunnel_v1_Ok | null;
  error?: string;
  trailers?: _isd_tunnel_v1_Header[];
  unavailable?: string;
  result?: 'ok' | 'error' | 'unavailable';
}

export interface End__Output {
  ok?: _isd_tunnel_v1_Ok__Output | null;
  error?: string;
  trailers: _isd_tunnel_v1_Header__Output[];
  unavailable?: string;
  result?: 'ok' | 'error' | 'unavailable';
}
