// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.
// Original file: proto/tunnel.proto

import type {
  RequestHead as _isd_tunnel_v1_RequestHead,
  RequestHead__Output as _isd_tunnel_v1_RequestHead__Output,
} from '../../../isd/tunnel/v1/RequestHead';
import type {
  Body as _isd_tunnel_v1_Body,
  Body__Output as _isd_tunnel_v1_Body__Output,
} from '../../../isd/tunnel/v1/Body';
import type {
  BodyEnd as _isd_tunnel_v1_BodyEnd,
  BodyEnd__Output as _isd_tunnel_v1_BodyEnd__Output,
} from '../../../isd/tunnel/v1/BodyEnd';
import type {
  Cancel as _isd_tunnel_v1_Cancel,
  Cancel__Output as _isd_tunnel_v1_Cancel__Output,
} from '../../../isd/tunnel/v1/Cancel';

export interface ControllerFrame {
  requestHead?: _isd_tunnel_v1_RequestHead | null;
  body?: _isd_tunnel_v1_Body | null;
  bodyEnd?: _isd_tunnel_v1_BodyEnd | null;
  cancel?: _isd_tunnel_v1_Cancel | null;
  frame?: 'requestHead' | 'body' | 'bodyEnd' | 'cancel';
}

export interface ControllerFrame__Output {
  requestHead?: _isd_tunnel_v1_RequestHead__Output | null;
  body?: _isd_tunnel_v1_Body__Output | null;
  bodyEnd?: _isd_tunnel_v1_BodyEnd__Output | null;
  cancel?: _isd_tunnel_v1_Cancel__Output | null;
  frame?: 'requestHead' | 'body' | 'bodyEnd' | 'cancel';
}
