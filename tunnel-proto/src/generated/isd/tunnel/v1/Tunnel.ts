// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type {
  AgentControl as _isd_tunnel_v1_AgentControl,
  AgentControl__Output as _isd_tunnel_v1_AgentControl__Output,
} from '../../../isd/tunnel/v1/AgentControl';
import type {
  AgentFrame as _isd_tunnel_v1_AgentFrame,
  AgentFrame__Output as _isd_tunnel_v1_AgentFrame__Output,
} from '../../../isd/tunnel/v1/AgentFrame';
import type {
  ControllerControl as _isd_tunnel_v1_ControllerControl,
  ControllerControl__Output as _isd_tunnel_v1_ControllerControl__Output,
} from '../../../isd/tunnel/v1/ControllerControl';
import type {
  ControllerFrame as _isd_tunnel_v1_ControllerFrame,
  ControllerFrame__Output as _isd_tunnel_v1_ControllerFrame__Output,
} from '../../../isd/tunnel/v1/ControllerFrame';

export interface TunnelClient extends grpc.Client {
  Control(
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_isd_tunnel_v1_AgentControl, _isd_tunnel_v1_ControllerControl__Output>;
  Control(
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_isd_tunnel_v1_AgentControl, _isd_tunnel_v1_ControllerControl__Output>;
  control(
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_isd_tunnel_v1_AgentControl, _isd_tunnel_v1_ControllerControl__Output>;
  control(
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_isd_tunnel_v1_AgentControl, _isd_tunnel_v1_ControllerControl__Output>;

  Exchange(
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_isd_tunnel_v1_AgentFrame, _isd_tunnel_v1_ControllerFrame__Output>;
  Exchange(
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_isd_tunnel_v1_AgentFrame, _isd_tunnel_v1_ControllerFrame__Output>;
  exchange(
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_isd_tunnel_v1_AgentFrame, _isd_tunnel_v1_ControllerFrame__Output>;
  exchange(
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_isd_tunnel_v1_AgentFrame, _isd_tunnel_v1_ControllerFrame__Output>;
}

export interface TunnelHandlers extends grpc.UntypedServiceImplementation {
  Control: grpc.handleBidiStreamingCall<_isd_tunnel_v1_AgentControl__Output, _isd_tunnel_v1_ControllerControl>;

  Exchange: grpc.handleBidiStreamingCall<_isd_tunnel_v1_AgentFrame__Output, _isd_tunnel_v1_ControllerFrame>;
}

export interface TunnelDefinition extends grpc.ServiceDefinition {
  Control: MethodDefinition<
    _isd_tunnel_v1_AgentControl,
    _isd_tunnel_v1_ControllerControl,
    _isd_tunnel_v1_AgentControl__Output,
    _isd_tunnel_v1_ControllerControl__Output
  >;
  Exchange: MethodDefinition<
    _isd_tunnel_v1_AgentFrame,
    _isd_tunnel_v1_ControllerFrame,
    _isd_tunnel_v1_AgentFrame__Output,
    _isd_tunnel_v1_ControllerFrame__Output
  >;
}
