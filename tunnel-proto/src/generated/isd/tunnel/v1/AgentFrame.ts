// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type {
  Attach as _isd_tunnel_v1_Attach,
  Attach__Output as _isd_tunnel_v1_Attach__Output,
} from '../../../isd/tunnel/v1/Attach';
import type {
  Informational as _isd_tunnel_v1_Informational,
  Informational__Output as _isd_tunnel_v1_Informational__Output,
} from '../../../isd/tunnel/v1/Informational';
import type {
  ResponseHead as _isd_tunnel_v1_ResponseHead,
  ResponseHead__Output as _isd_tunnel_v1_ResponseHead__Output,
} from '../../../isd/tunnel/v1/ResponseHead';
import type {
  Body as _isd_tunnel_v1_Body,
  Body__Output as _isd_tunnel_v1_Body__Output,
} from '../../../isd/tunnel/v1/Body';
import type {
  BodyEnd as _isd_tunnel_v1_BodyEnd,
  BodyEnd__Output as _isd_tunnel_v1_BodyEnd__Output,
} from '../../../isd/tunnel/v1/BodyEnd';
import type { End as _isd_tunnel_v1_End, End__Output as _isd_tunnel_v1_End__Output } from '../../../isd/tunnel/v1/End';

export interface AgentFrame {
  attach?: _isd_tunnel_v1_Attach | null;
  informational?: _isd_tunnel_v1_Informational | null;
  responseHead?: _isd_tunnel_v1_ResponseHead | null;
  body?: _isd_tunnel_v1_Body | null;
  bodyEnd?: _isd_tunnel_v1_BodyEnd | null;
  end?: _isd_tunnel_v1_End | null;
  frame?: 'attach' | 'informational' | 'responseHead' | 'body' | 'bodyEnd' | 'end';
}

export interface AgentFrame__Output {
  attach?: _isd_tunnel_v1_Attach__Output | null;
  informational?: _isd_tunnel_v1_Informational__Output | null;
  responseHead?: _isd_tunnel_v1_ResponseHead__Output | null;
  body?: _isd_tunnel_v1_Body__Output | null;
  bodyEnd?: _isd_tunnel_v1_BodyEnd__Output | null;
  end?: _isd_tunnel_v1_End__Output | null;
  frame?: 'attach' | 'informational' | 'responseHead' | 'body' | 'bodyEnd' | 'end';
}
