// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type {
  Header as _isd_tunnel_v1_Header,
  Header__Output as _isd_tunnel_v1_Header__Output,
} from '../../../isd/tunnel/v1/Header';

export interface RequestHead {
  exchangeId?: string;
  serviceType?: string;
  serviceName?: string;
  method?: string;
  target?: string;
  headers?: _isd_tunnel_v1_Header[];
  upgrade?: boolean;
  hasBody?: boolean;
  lane?: boolean;
}

export interface RequestHead__Output {
  exchangeId: string;
  serviceType: string;
  serviceName: string;
  method: string;
  target: string;
  headers: _isd_tunnel_v1_Header__Output[];
  upgrade: boolean;
  hasBody: boolean;
  lane: boolean;
}
