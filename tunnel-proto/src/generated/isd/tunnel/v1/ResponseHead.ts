// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type {
  Header as _isd_tunnel_v1_Header,
  Header__Output as _isd_tunnel_v1_Header__Output,
} from '../../../isd/tunnel/v1/Header';
import type { End as _isd_tunnel_v1_End, End__Output as _isd_tunnel_v1_End__Output } from '../../../isd/tunnel/v1/End';

export interface ResponseHead {
  status?: number;
  statusMessage?: string;
  headers?: _isd_tunnel_v1_Header[];
  body?: Buffer | Uint8Array | string;
  end?: _isd_tunnel_v1_End | null;
  lane?: boolean;
}

export interface ResponseHead__Output {
  status: number;
  statusMessage: string;
  headers: _isd_tunnel_v1_Header__Output[];
  body: Buffer;
  end: _isd_tunnel_v1_End__Output | null;
  lane: boolean;
}
