// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type {
  Hello as _isd_tunnel_v1_Hello,
  Hello__Output as _isd_tunnel_v1_Hello__Output,
} from '../../../isd/tunnel/v1/Hello';
import type {
  Ping as _isd_tunnel_v1_Ping,
  Ping__Output as _isd_tunnel_v1_Ping__Output,
} from '../../../isd/tunnel/v1/Ping';
import type {
  Pong as _isd_tunnel_v1_Pong,
  Pong__Output as _isd_tunnel_v1_Pong__Output,
} from '../../../isd/tunnel/v1/Pong';
import type {
  RenewRequest as _isd_tunnel_v1_RenewRequest,
  RenewRequest__Output as _isd_tunnel_v1_RenewRequest__Output,
} from '../../../isd/tunnel/v1/RenewRequest';

export interface AgentControl {
  hello?: _isd_tunnel_v1_Hello | null;
  ping?: _isd_tunnel_v1_Ping | null;
  pong?: _isd_tunnel_v1_Pong | null;
  renewRequest?: _isd_tunnel_v1_RenewRequest | null;
  message?: 'hello' | 'ping' | 'pong' | 'renewRequest';
}

export interface AgentControl__Output {
  hello?: _isd_tunnel_v1_Hello__Output | null;
  ping?: _isd_tunnel_v1_Ping__Output | null;
  pong?: _isd_tunnel_v1_Pong__Output | null;
  renewRequest?: _isd_tunnel_v1_RenewRequest__Output | null;
  message?: 'hello' | 'ping' | 'pong' | 'renewRequest';
}
