// The tunnel's message types, named by who sends them. Received messages are the generated `__Output`
// types (proto-loader fills defaults, so scalars and lists are always present); sent messages are the
// generated input types, except that a body frame may carry several chunks, which the frame codec writes
// as one frame in order.
import type { BodyData } from './frame-codec';
import type { AgentControl as AgentControlInput, AgentControl__Output } from './generated/isd/tunnel/v1/AgentControl';
import type { AgentFrame as AgentFrameInput, AgentFrame__Output } from './generated/isd/tunnel/v1/AgentFrame';
import type {
  ControllerControl as ControllerControlInput,
  ControllerControl__Output,
} from './generated/isd/tunnel/v1/ControllerControl';
import type {
  ControllerFrame as ControllerFrameInput,
  ControllerFrame__Output,
} from './generated/isd/tunnel/v1/ControllerFrame';
import type { Header__Output } from './generated/isd/tunnel/v1/Header';

/** One header line on the wire; repeated headers are repeated entries in their original order. */
export type WireHeader = Header__Output;

/** A frame with a body whose data may be several chunks. */
type WithChunkedBody<Frame> = Omit<Frame, 'body'> & { body?: { data: BodyData } | null };

/** Control message as the agent sends it. */
export type AgentControlOut = AgentControlInput;
/** Control message as the controller receives it (`message` names the set oneof member). */
export type AgentControl = AgentControl__Output;
/** Control message as the controller sends it. */
export type ControllerControlOut = ControllerControlInput;
/** Control message as the agent receives it. */
export type ControllerControl = ControllerControl__Output;
/** Exchange frame as the agent sends it. */
export type AgentFrameOut = WithChunkedBody<AgentFrameInput>;
/** Exchange frame as the controller receives it (`frame` names the set oneof member). */
export type AgentFrame = AgentFrame__Output;
/** Exchange frame as the controller sends it. */
export type ControllerFrameOut = WithChunkedBody<ControllerFrameInput>;
/** Exchange frame as the agent receives it. */
export type ControllerFrame = ControllerFrame__Output;
