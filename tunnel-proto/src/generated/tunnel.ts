// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
/* eslint-disable @typescript-eslint/no-explicit-any */
import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type {
  AgentControl as _isd_tunnel_v1_AgentControl,
  AgentControl__Output as _isd_tunnel_v1_AgentControl__Output,
} from './isd/tunnel/v1/AgentControl';
import type {
  AgentFrame as _isd_tunnel_v1_AgentFrame,
  AgentFrame__Output as _isd_tunnel_v1_AgentFrame__Output,
} from './isd/tunnel/v1/AgentFrame';
import type {
  Attach as _isd_tunnel_v1_Attach,
  Attach__Output as _isd_tunnel_v1_Attach__Output,
} from './isd/tunnel/v1/Attach';
import type { Body as _isd_tunnel_v1_Body, Body__Output as _isd_tunnel_v1_Body__Output } from './isd/tunnel/v1/Body';
import type {
  BodyEnd as _isd_tunnel_v1_BodyEnd,
  BodyEnd__Output as _isd_tunnel_v1_BodyEnd__Output,
} from './isd/tunnel/v1/BodyEnd';
import type {
  Cancel as _isd_tunnel_v1_Cancel,
  Cancel__Output as _isd_tunnel_v1_Cancel__Output,
} from './isd/tunnel/v1/Cancel';
import type {
  ControllerControl as _isd_tunnel_v1_ControllerControl,
  ControllerControl__Output as _isd_tunnel_v1_ControllerControl__Output,
} from './isd/tunnel/v1/ControllerControl';
import type {
  ControllerFrame as _isd_tunnel_v1_ControllerFrame,
  ControllerFrame__Output as _isd_tunnel_v1_ControllerFrame__Output,
} from './isd/tunnel/v1/ControllerFrame';
import type {
  Drain as _isd_tunnel_v1_Drain,
  Drain__Output as _isd_tunnel_v1_Drain__Output,
} from './isd/tunnel/v1/Drain';
import type { End as _isd_tunnel_v1_End, End__Output as _isd_tunnel_v1_End__Output } from './isd/tunnel/v1/End';
import type {
  Endpoint as _isd_tunnel_v1_Endpoint,
  Endpoint__Output as _isd_tunnel_v1_Endpoint__Output,
} from './isd/tunnel/v1/Endpoint';
import type {
  Header as _isd_tunnel_v1_Header,
  Header__Output as _isd_tunnel_v1_Header__Output,
} from './isd/tunnel/v1/Header';
import type {
  Hello as _isd_tunnel_v1_Hello,
  Hello__Output as _isd_tunnel_v1_Hello__Output,
} from './isd/tunnel/v1/Hello';
import type {
  Informational as _isd_tunnel_v1_Informational,
  Informational__Output as _isd_tunnel_v1_Informational__Output,
} from './isd/tunnel/v1/Informational';
import type { Ok as _isd_tunnel_v1_Ok, Ok__Output as _isd_tunnel_v1_Ok__Output } from './isd/tunnel/v1/Ok';
import type {
  OpenStreams as _isd_tunnel_v1_OpenStreams,
  OpenStreams__Output as _isd_tunnel_v1_OpenStreams__Output,
} from './isd/tunnel/v1/OpenStreams';
import type { Ping as _isd_tunnel_v1_Ping, Ping__Output as _isd_tunnel_v1_Ping__Output } from './isd/tunnel/v1/Ping';
import type { Pong as _isd_tunnel_v1_Pong, Pong__Output as _isd_tunnel_v1_Pong__Output } from './isd/tunnel/v1/Pong';
import type {
  RenewRequest as _isd_tunnel_v1_RenewRequest,
  RenewRequest__Output as _isd_tunnel_v1_RenewRequest__Output,
} from './isd/tunnel/v1/RenewRequest';
import type {
  RenewResponse as _isd_tunnel_v1_RenewResponse,
  RenewResponse__Output as _isd_tunnel_v1_RenewResponse__Output,
} from './isd/tunnel/v1/RenewResponse';
import type {
  RequestHead as _isd_tunnel_v1_RequestHead,
  RequestHead__Output as _isd_tunnel_v1_RequestHead__Output,
} from './isd/tunnel/v1/RequestHead';
import type {
  ResponseHead as _isd_tunnel_v1_ResponseHead,
  ResponseHead__Output as _isd_tunnel_v1_ResponseHead__Output,
} from './isd/tunnel/v1/ResponseHead';
import type {
  TunnelClient as _isd_tunnel_v1_TunnelClient,
  TunnelDefinition as _isd_tunnel_v1_TunnelDefinition,
} from './isd/tunnel/v1/Tunnel';
import type {
  Welcome as _isd_tunnel_v1_Welcome,
  Welcome__Output as _isd_tunnel_v1_Welcome__Output,
} from './isd/tunnel/v1/Welcome';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  isd: {
    tunnel: {
      v1: {
        AgentControl: MessageTypeDefinition<_isd_tunnel_v1_AgentControl, _isd_tunnel_v1_AgentControl__Output>;
        AgentFrame: MessageTypeDefinition<_isd_tunnel_v1_AgentFrame, _isd_tunnel_v1_AgentFrame__Output>;
        Attach: MessageTypeDefinition<_isd_tunnel_v1_Attach, _isd_tunnel_v1_Attach__Output>;
        Body: MessageTypeDefinition<_isd_tunnel_v1_Body, _isd_tunnel_v1_Body__Output>;
        BodyEnd: MessageTypeDefinition<_isd_tunnel_v1_BodyEnd, _isd_tunnel_v1_BodyEnd__Output>;
        Cancel: MessageTypeDefinition<_isd_tunnel_v1_Cancel, _isd_tunnel_v1_Cancel__Output>;
        ControllerControl: MessageTypeDefinition<
          _isd_tunnel_v1_ControllerControl,
          _isd_tunnel_v1_ControllerControl__Output
        >;
        ControllerFrame: MessageTypeDefinition<_isd_tunnel_v1_ControllerFrame, _isd_tunnel_v1_ControllerFrame__Output>;
        Drain: MessageTypeDefinition<_isd_tunnel_v1_Drain, _isd_tunnel_v1_Drain__Output>;
        End: MessageTypeDefinition<_isd_tunnel_v1_End, _isd_tunnel_v1_End__Output>;
        Endpoint: MessageTypeDefinition<_isd_tunnel_v1_Endpoint, _isd_tunnel_v1_Endpoint__Output>;
        Header: MessageTypeDefinition<_isd_tunnel_v1_Header, _isd_tunnel_v1_Header__Output>;
        Hello: MessageTypeDefinition<_isd_tunnel_v1_Hello, _isd_tunnel_v1_Hello__Output>;
        Informational: MessageTypeDefinition<_isd_tunnel_v1_Informational, _isd_tunnel_v1_Informational__Output>;
        Ok: MessageTypeDefinition<_isd_tunnel_v1_Ok, _isd_tunnel_v1_Ok__Output>;
        OpenStreams: MessageTypeDefinition<_isd_tunnel_v1_OpenStreams, _isd_tunnel_v1_OpenStreams__Output>;
        Ping: MessageTypeDefinition<_isd_tunnel_v1_Ping, _isd_tunnel_v1_Ping__Output>;
        Pong: MessageTypeDefinition<_isd_tunnel_v1_Pong, _isd_tunnel_v1_Pong__Output>;
        ProtocolVersion: EnumTypeDefinition;
        RenewRequest: MessageTypeDefinition<_isd_tunnel_v1_RenewRequest, _isd_tunnel_v1_RenewRequest__Output>;
        RenewResponse: MessageTypeDefinition<_isd_tunnel_v1_RenewResponse, _isd_tunnel_v1_RenewResponse__Output>;
        RequestHead: MessageTypeDefinition<_isd_tunnel_v1_RequestHead, _isd_tunnel_v1_RequestHead__Output>;
        ResponseHead: MessageTypeDefinition<_isd_tunnel_v1_ResponseHead, _isd_tunnel_v1_ResponseHead__Output>;
        Tunnel: SubtypeConstructor<typeof grpc.Client, _isd_tunnel_v1_TunnelClient> & {
          service: _isd_tunnel_v1_TunnelDefinition;
        };
        Welcome: MessageTypeDefinition<_isd_tunnel_v1_Welcome, _isd_tunnel_v1_Welcome__Output>;
      };
    };
  };
}
