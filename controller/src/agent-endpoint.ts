import type http2 from 'node:http2';
import type { Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadTunnelDefinition } from '@isd/tunnel-proto';
import type { CertificateAuthority, Credentials } from './pki';
import { createTunnelHandlers, type TunnelServiceOptions } from './tunnel-service';

/** Per-stream HTTP/2 receive window: 64 KiB (the default) caps one stream at a few tens of MB/s. */
const STREAM_WINDOW_BYTES = 1024 * 1024;
/** Connection receive window shared by all streams of one agent. */
const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;

interface GrpcServerInternals {
  commonServerOptions?: { settings?: http2.Settings };
  http2Servers?: Map<http2.Http2SecureServer, unknown>;
}

/**
 * grpc-js exposes the receive window only on the client (`grpc-node.flow_control_window`); the
 * server keeps HTTP/2's 64 KiB defaults, which makes agent→controller (download) throughput a
 * tenth of direct. We set the same windows on the server through its session settings.
 */
function raiseFlowControlWindows(server: grpc.Server): void {
  const internals = server as unknown as GrpcServerInternals;
  if (!internals.commonServerOptions) return;
  internals.commonServerOptions.settings = {
    ...internals.commonServerOptions.settings,
    initialWindowSize: STREAM_WINDOW_BYTES,
  };
}

/** The agent endpoint: the Tunnel gRPC service behind mutual TLS (client certificates of our CA only). */
export interface AgentEndpoint {
  port: number;
  /** Ends every agent connection at once (after the sessions were drained). */
  forceShutdown(): void;
}

export async function startAgentEndpoint(options: {
  host: string;
  port: number;
  ca: CertificateAuthority;
  serverCertificate: Credentials;
  tunnel: TunnelServiceOptions;
}): Promise<AgentEndpoint> {
  const server = new grpc.Server({
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1_000,
    'grpc.max_receive_message_length': 8 * 1024 * 1024,
  });
  server.addService(loadTunnelDefinition(), createTunnelHandlers(options.tunnel));
  raiseFlowControlWindows(server);
  // Mutual TLS is enforced in the handshake (our CA only, not expired).
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(options.ca.certPem),
    [
      {
        cert_chain: Buffer.from(options.serverCertificate.certPem),
        private_key: Buffer.from(options.serverCertificate.keyPem),
      },
    ],
    true,
  );
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port}`, credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  for (const http2Server of (server as unknown as GrpcServerInternals).http2Servers?.keys() ?? []) {
    http2Server.on('session', (session) => session.setLocalWindowSize(CONNECTION_WINDOW_BYTES));
    // Small frames (request heads, WINDOW_UPDATEs, watch events) must not wait for Nagle's algorithm;
    // the grpc-js client sets this on its side, the server does not.
    http2Server.on('connection', (socket: Socket) => socket.setNoDelay(true));
  }
  return { port, forceShutdown: () => server.forceShutdown() };
}
