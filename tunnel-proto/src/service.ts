import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  AGENT_FRAME_BODY_FIELD,
  CONTROLLER_FRAME_BODY_FIELD,
  bodyFastDeserializer,
  bodyFastSerializer,
} from './frame-codec';
import type { ProtoGrpcType } from './generated/tunnel';
import type { TunnelDefinition } from './generated/isd/tunnel/v1/Tunnel';
import type { AgentControlOut, AgentFrameOut, ControllerControl, ControllerFrame } from './messages';

/** Path of the tunnel contract. */
export const TUNNEL_PROTO_PATH = path.join(__dirname, '..', 'proto', 'tunnel.proto');

/** Protocol major version this build speaks (ProtocolVersion enum value); a different major is refused. */
export const PROTOCOL_VERSION = 1;

/** Capabilities this build implements, on both ends; a session uses the intersection of the two lists. */
export const CAPABILITIES = ['upgrade', 'trailers', 'informational', 'renewal', 'drain', 'reuse', 'inline', 'lane'];

/**
 * Options the .proto is loaded with. scripts/generate-tunnel-proto.ts generates the types with the same
 * ones, so the generated types describe what the code really receives.
 */
export const LOAD_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
  oneofs: true,
};

let cached: TunnelDefinition | undefined;

/**
 * The Tunnel service definition, loaded once per process, with the Exchange body fast path
 * (frame-codec.ts) on all four Exchange (de)serializers, so the controller (server) and the agent
 * (client) share one definition.
 */
export function loadTunnelDefinition(): TunnelDefinition {
  if (cached) return cached;
  const loaded = grpc.loadPackageDefinition(
    protoLoader.loadSync(TUNNEL_PROTO_PATH, LOAD_OPTIONS),
  ) as unknown as ProtoGrpcType;
  const service = loaded.isd.tunnel.v1.Tunnel.service;
  const exchange = service.Exchange;
  cached = {
    ...service,
    Exchange: {
      ...exchange,
      requestSerialize: bodyFastSerializer(AGENT_FRAME_BODY_FIELD, exchange.requestSerialize),
      requestDeserialize: bodyFastDeserializer(AGENT_FRAME_BODY_FIELD, exchange.requestDeserialize),
      responseSerialize: bodyFastSerializer(CONTROLLER_FRAME_BODY_FIELD, exchange.responseSerialize),
      responseDeserialize: bodyFastDeserializer(CONTROLLER_FRAME_BODY_FIELD, exchange.responseDeserialize),
    },
  };
  return cached;
}

/** The agent's Tunnel client; Exchange body frames may carry several chunks (the fast path writes them). */
export interface TunnelClient extends grpc.Client {
  Control(): grpc.ClientDuplexStream<AgentControlOut, ControllerControl>;
  Exchange(): grpc.ClientDuplexStream<AgentFrameOut, ControllerFrame>;
}

/** Constructor of the Tunnel client. */
export type TunnelClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => TunnelClient;

/** The Tunnel client constructor, built from {@link loadTunnelDefinition}. */
export function loadTunnelClient(): TunnelClientConstructor {
  return grpc.makeClientConstructor(
    loadTunnelDefinition(),
    'isd.tunnel.v1.Tunnel',
  ) as unknown as TunnelClientConstructor;
}
