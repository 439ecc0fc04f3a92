export {
  CAPABILITIES,
  LOAD_OPTIONS,
  PROTOCOL_VERSION,
  TUNNEL_PROTO_PATH,
  loadTunnelClient,
  loadTunnelDefinition,
} from './service';
export type { TunnelClient, TunnelClientConstructor } from './service';
export type {
  AgentControl,
  AgentControlOut,
  AgentFrame,
  AgentFrameOut,
  ControllerControl,
  ControllerControlOut,
  ControllerFrame,
  ControllerFrameOut,
  WireHeader,
} from './messages';
export type { TunnelDefinition } from './generated/isd/tunnel/v1/Tunnel';
export { AGENT_FRAME_BODY_FIELD, CONTROLLER_FRAME_BODY_FIELD, decodeBodyFrame, encodeBodyFrame } from './frame-codec';
export type { BodyData } from './frame-codec';
export { TUNNEL_NODE_FLAGS } from './node-flags';
export { endToEndHeaders } from './end-to-end-headers';
export {
  LANE_ACCEPTED,
  LANE_ALPN,
  LANE_IDLE_MS,
  LANE_MIN_BYTES,
  IdleLanes,
  LaneReader,
  LaneRendezvous,
  declaredLength,
  decodeLaneMessage,
  encodeLaneHeader,
  encodeLaneHello,
  guardWritingEnd,
} from './lane';
export type { LaneDirection, LaneHeader, LaneHello } from './lane';
export { signNatively } from './native-signing';
export type { ForgeSignable } from './native-signing';
export { BodyBatcher } from './body-batcher';
