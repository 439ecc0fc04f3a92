// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type {
  Welcome as _isd_tunnel_v1_Welcome,
  Welcome__Output as _isd_tunnel_v1_Welcome__Output,
} from '../../../isd/tunnel/v1/Welcome';
import type {
  Ping as _isd_tunnel_v1_Ping,
  Ping__Output as _isd_tunnel_v1_Ping__Output,
} from '../../../isd/tunnel/v1/Ping';
import type {
  Pong as _isd_tunnel_v1_Pong,
  Pong__Output as _isd_tunnel_v1_Pong__Output,
} from '../../../isd/tunnel/v1/Pong';
import type {
  OpenStreams as _isd_tunnel_v1_OpenStreams,
  OpenStreams__Output as _isd_tunnel_v1_OpenStreams__Output,
} from '../../../isd/tunnel/v1/OpenStreams';
import type {
  RenewResponse as _isd_tunnel_v1_RenewResponse,
  RenewResponse__Output as _isd_tunnel_v1_RenewResponse__Output,
} from '../../../isd/tunnel/v1/RenewResponse';
import type {
  Drain as _isd_tunnel_v1_Drain,
  Drain__Output as _isd_tunnel_v1_Drain__Output,
} from '../../../isd/tunnel/v1/Drain';

export interface ControllerControl {
  welcome?: _isd_tunnel_v1_Welcome | null;
  ping?: _isd_tunnel_v1_Ping | null;
  pong?: _isd_tunnel_v1_Pong | null;
  openStreams?: _isd_tunnel_v1_OpenStreams | null;
  renewResponse?: _isd_tunnel_v1_RenewResponse | null;
  drain?: _isd_tunnel_v1_Drain | null;
  message?: 'welcome' | 'ping' | 'pong' | 'openStreams' | 'renewResponse' | 'drain';
}

export interface ControllerControl__Output {
  welcome?: _isd_tunnel_v1_Welcome__Output | null;
  ping?: _isd_tunnel_v1_Ping__Output | null;
  pong?: _isd_tunnel_v1_Pong__Output | null;
  openStreams?: _isd_tunnel_v1_OpenStreams__Output | null;
  renewResponse?: _isd_tunnel_v1_RenewResponse__Output | null;
  drain?: _isd_tunnel_v1_Drain__Output | null;
  message?: 'welcome' | 'ping' | 'pong' | 'openStreams' | 'renewResponse' | 'drain';
}
