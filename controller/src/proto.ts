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

/** Path of the tunnel contract; the agent ships a copy that a test keeps identical. */
export const TUNNEL_PROTO_PATH = path.join(__dirname, '..', 'proto', 'tunnel.proto');

/** Protocol major version this build speaks (ProtocolVersion enum value). */
export const PROTOCOL_VERSION = 1;

/** Capabilities this controller implements; the session uses the intersection with the agent's. */
export const CONTROLLER_CAPABILITIES = ['upgrade', 'trailers', 'informational', 'renewal', 'drain', 'reuse'];

/** One header line on the wire. */
export interface WireHeader {
  name: string;
  value: string;
}

/** Messages the agent sends on the control stream (`message` names the set oneof member). */
export interface AgentControl {
  message?: 'hello' | 'ping' | 'pong' | 'renewRequest';
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

/** Messages the controller sends on the control stream. */
export interface ControllerControl {
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

/** Frames the agent sends on an Exchange stream. */
export interface AgentFrame {
  frame?: 'attach' | 'informational' | 'responseHead' | 'body' | 'bodyEnd' | 'end';
  attach?: { sessionId: string };
  informational?: { status: number; headers: WireHeader[] };
  responseHead?: { status: number; statusMessage: string; headers: WireHeader[] };
  body?: { data: Buffer };
  bodyEnd?: Record<string, never>;
  end?: { result?: 'ok' | 'error'; ok?: Record<string, never>; error?: string; trailers: WireHeader[] };
}

/** Frames the controller sends on an Exchange stream. */
export interface ControllerFrame {
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
  /** Several chunks are sent as one body frame, in order. */
  body?: { data: BodyData };
  bodyEnd?: Record<string, never>;
  cancel?: { reason: string };
}

/** The grpc-js service definition loaded from the .proto, with the Exchange body fast path (frame-codec.ts). */
export function loadTunnelService(): grpc.ServiceDefinition {
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
  return {
    ...service,
    Exchange: {
      ...exchange,
      requestDeserialize: bodyFastDeserializer(AGENT_FRAME_BODY_FIELD, exchange.requestDeserialize),
      responseSerialize: bodyFastSerializer(CONTROLLER_FRAME_BODY_FIELD, exchange.responseSerialize),
    },
  };
}
