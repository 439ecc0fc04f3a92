import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  AGENT_FRAME_BODY_FIELD,
  CONTROLLER_FRAME_BODY_FIELD,
  bodyFastDeserializer,
  bodyFastSerializer,
  type BodyData,
} from './frame-codec';

/** The agent's copy of the tunnel contract; a test keeps it identical to the controller's. */
export const TUNNEL_PROTO_PATH = path.join(__dirname, '..', 'proto', 'tunnel.proto');

/** Protocol major version this agent speaks. */
export const PROTOCOL_VERSION = 1;

/** Capabilities this agent implements. */
export const AGENT_CAPABILITIES = ['upgrade', 'trailers', 'informational', 'renewal', 'drain', 'reuse'];

/** One header line on the wire. */
export interface WireHeader {
  name: string;
  value: string;
}

/** Control messages the controller sends (`message` names the set oneof member). */
export interface ControllerControl {
  message?: 'welcome' | 'ping' | 'pong' | 'openStreams' | 'renewResponse' | 'drain';
  welcome?: {
    sessionId: string;
    protocolVersion: number;
    capabilities: string[];
    pingIntervalMs: number;
    controllerId: string;
  };
  ping?: { nonce: number; sentAtMs: number };
  pong?: { nonce: number; pingSentAtMs: number };
  openStreams?: { count: number };
  renewResponse?: { certPem: string; caPem: string; error: string };
  drain?: { deadlineMs: number };
}

/** Control messages the agent sends. */
export interface AgentControl {
  hello?: {
    protocolVersion: number;
    agentVersion: string;
    capabilities: string[];
    endpoints: Array<{ type: string; name: string; annotations: Record<string, string> }>;
    hostname: string;
    poolSize: number;
    annotations: Record<string, string>;
  };
  ping?: { nonce: number; sentAtMs: number };
  pong?: { nonce: number; pingSentAtMs: number };
  renewRequest?: { csrPem: string };
}

/** Frames the controller sends on an Exchange stream. */
export interface ControllerFrame {
  frame?: 'requestHead' | 'body' | 'bodyEnd' | 'cancel';
  requestHead?: {
    exchangeId: string;
    serviceType: string;
    serviceName: string;
    method: string;
    target: string;
    headers: WireHeader[];
    upgrade: boolean;
    hasBody: boolean;
  };
  body?: { data: Buffer };
  bodyEnd?: Record<string, never>;
  cancel?: { reason: string };
}

/** Frames the agent sends on an Exchange stream. */
export interface AgentFrame {
  attach?: { sessionId: string };
  informational?: { status: number; headers: WireHeader[] };
  responseHead?: { status: number; statusMessage: string; headers: WireHeader[] };
  /** Several chunks are sent as one body frame, in order. */
  body?: { data: BodyData };
  bodyEnd?: Record<string, never>;
  end?: { ok?: Record<string, never>; error?: string; trailers: WireHeader[] };
}

/** Client-side stubs for the Tunnel service. */
export interface TunnelClient extends grpc.Client {
  Control(): grpc.ClientDuplexStream<AgentControl, ControllerControl>;
  Exchange(): grpc.ClientDuplexStream<AgentFrame, ControllerFrame>;
}

/** Constructor of the generated Tunnel client. */
export type TunnelClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => TunnelClient;

let cached: TunnelClientConstructor | undefined;

/** Loads the Tunnel client constructor from the .proto (once per process), with the Exchange body fast path. */
export function loadTunnelClient(): TunnelClientConstructor {
  if (cached) return cached;
  const definition = protoLoader.loadSync(TUNNEL_PROTO_PATH, {
    keepCase: false,
    longs: Number,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    isd: { tunnel: { v1: { Tunnel: grpc.ServiceClientConstructor } } };
  };
  const service = loaded.isd.tunnel.v1.Tunnel.service;
  const exchange = service.Exchange as grpc.MethodDefinition<unknown, unknown>;
  cached = grpc.makeClientConstructor(
    {
      ...service,
      Exchange: {
        ...exchange,
        requestSerialize: bodyFastSerializer(AGENT_FRAME_BODY_FIELD, exchange.requestSerialize),
        responseDeserialize: bodyFastDeserializer(CONTROLLER_FRAME_BODY_FIELD, exchange.responseDeserialize),
      },
    },
    'isd.tunnel.v1.Tunnel',
  ) as unknown as TunnelClientConstructor;
  return cached;
}
