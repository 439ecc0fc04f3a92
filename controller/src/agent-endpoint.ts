import http2 from 'node:http2';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { LANE_ALPN, loadTunnelDefinition } from '@isd/tunnel-proto';
import type { CertificateAuthority, Credentials } from './pki';
import { identityFromSubject } from './pki';
import { acceptLane } from './lanes';
import { limitHttp2Overhead, type OverheadAllowance } from './http2-overhead';
import { createTunnelHandlers, type TunnelServiceOptions } from './tunnel-service';
import { limitListenerConnections, type UnauthenticatedConnectionLimits } from './unauthenticated-connections';

/** Per-stream HTTP/2 receive window: 64 KiB (the default) caps one stream at a few tens of MB/s. */
const STREAM_WINDOW_BYTES = 1024 * 1024;
/** Connection receive window shared by all streams of one agent. */
const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
/**
 * Memory (MB) one HTTP/2 session may hold before Node refuses its new streams. grpc-js lifts Node's 10 MB
 * to unlimited, since a busy session reaches 10 MB legitimately (queued writes of many exchanges); this
 * bounds it well above that.
 */
const SESSION_MEMORY_MB = 256;
/** How long a stream the controller has ended may stay open before it is reset (an agent ends its side at once). */
const HALF_OPEN_GRACE_MS = 5_000;
/**
 * HTTP/2 bytes an agent connection may send beyond its DATA (decision 243): 8 MiB, refilled at 1 MiB a second.
 * An honest agent's frame headers, HEADERS and PINGs came to at most 33 KB in a second in the tunnel tests.
 */
const HTTP2_OVERHEAD: OverheadAllowance = { burstBytes: 8 * 1024 * 1024, bytesPerSecond: 1024 * 1024 };
/** Largest header block an agent may send (gRPC requests carry well under 1 KiB). */
const MAX_HEADER_LIST_BYTES = 16 * 1024;
/**
 * A connection that has not completed its TLS handshake by then is closed (Node's default, 120 s, let anyone
 * who reaches a port hold a descriptor for two minutes per connection). Used by every controller listener.
 */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

interface GrpcServerInternals {
  commonServerOptions?: { settings?: http2.Settings };
  http2Servers?: Map<http2.Http2Server, unknown>;
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
    maxHeaderListSize: MAX_HEADER_LIST_BYTES,
  };
}

/**
 * Once the controller has ended a stream (status sent), a gRPC client ends its side at once. One that does
 * not would keep the stream open for good, counting against the connection's stream limit and holding its
 * memory: after a grace period it is reset (RST_STREAM NO_ERROR, as RFC 9113 §8.1 allows after a response).
 */
function resetWhenLeftHalfOpen(stream: http2.ServerHttp2Stream): void {
  stream.once('finish', () => {
    if (stream.closed) return;
    const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_NO_ERROR), HALF_OPEN_GRACE_MS);
    timer.unref();
    stream.once('close', () => clearTimeout(timer));
  });
}

/** The agent endpoint: the Tunnel gRPC service and lanes behind mutual TLS (client certificates of our CA only). */
export interface AgentEndpoint {
  port: number;
  /** Ends every agent connection at once (after the sessions were drained). */
  forceShutdown(): void;
}

/**
 * One TLS listener carries both kinds of agent connection, told apart by ALPN: "h2" is the gRPC service
 * (handed to grpc-js over its connection injector, so grpc-js sees the TLS socket and its peer
 * certificate as usual), "isd-tunnel-lane/1" a lane. Mutual TLS is enforced in the handshake (our CA
 * only, not expired) for both; then the certificate must be a live agent certificate, and its agent
 * within agentLimits.connectionsPerAgent.
 */
export async function startAgentEndpoint(options: {
  host: string;
  port: number;
  ca: CertificateAuthority;
  serverCertificate: Credentials;
  /** TLS cipher preference (the server's order decides). */
  ciphers: string;
  tunnel: TunnelServiceOptions;
  unauthenticatedConnections: UnauthenticatedConnectionLimits;
}): Promise<AgentEndpoint> {
  const server = new grpc.Server({
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1_000,
    'grpc.max_receive_message_length': 8 * 1024 * 1024,
    'grpc.max_concurrent_streams': options.tunnel.admission.limits.streamsPerConnection,
    'grpc-node.max_session_memory': SESSION_MEMORY_MB,
  });
  server.addService(loadTunnelDefinition(), createTunnelHandlers(options.tunnel));
  raiseFlowControlWindows(server);
  // TLS is ours; grpc-js speaks HTTP/2 over the already secured socket.
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  for (const http2Server of (server as unknown as GrpcServerInternals).http2Servers?.keys() ?? []) {
    http2Server.on('session', (session) => {
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
      limitHttp2Overhead(session, HTTP2_OVERHEAD, () => {
        // Only agent certificates get this far (checked before the connection was handed to grpc-js).
        const identity = identityFromSubject((session.socket as tls.TLSSocket).getPeerCertificate()?.subject);
        const agent = identity?.purpose === 'agent' ? identity.agent : 'unknown';
        options.tunnel.metrics.agentLimitRefusals.inc({ agent, limit: 'http2Overhead' });
        options.tunnel.log('warn', 'agent connection sent HTTP/2 frames beyond its allowance, closing it', { agent });
      });
    });
    http2Server.on('stream', resetWhenLeftHalfOpen);
  }
  const listener = tls.createServer({
    key: options.serverCertificate.keyPem,
    cert: options.serverCertificate.certPem,
    ca: [options.ca.certPem],
    requestCert: true,
    rejectUnauthorized: true,
    ciphers: options.ciphers,
    honorCipherOrder: true,
    ALPNProtocols: ['h2', LANE_ALPN],
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  });
  const { ca, admission, metrics } = options.tunnel;
  // Before its handshake completes a connection is nobody's: only their number is bounded (agentLimits after).
  limitListenerConnections(listener, 'agent', options.unauthenticatedConnections, metrics);
  const sockets = new Set<tls.TLSSocket>();
  listener.on('secureConnection', (socket: tls.TLSSocket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Service and control certificates come from the same CA: only agents go further.
    const peer = socket.getPeerCertificate();
    const identity = identityFromSubject(peer?.subject);
    if (identity?.purpose !== 'agent' || ca.isRevokedCertificate(peer.serialNumber, identity)) {
      metrics.refusedStreams.inc({ reason: 'certificate' });
      socket.destroy();
      return;
    }
    if (!admission.admitConnection(identity.agent, socket)) {
      socket.destroy();
      return;
    }
    // Small frames (request heads, WINDOW_UPDATEs, watch events) must not wait for Nagle's algorithm.
    socket.setNoDelay(true);
    if (socket.alpnProtocol === LANE_ALPN) acceptLane(socket, identity.agent, options.tunnel.registry);
    else if (socket.alpnProtocol === 'h2') injector.injectConnection(socket);
    else socket.destroy();
  });
  // Failed handshakes (wrong CA, no certificate, timed out) only concern that connection, which a tls.Server
  // leaves open unless told: a client that never finishes its handshake would be held for good.
  listener.on('tlsClientError', (_error, socket) => socket.destroy());
  const host = options.host.includes(':') ? options.host.replace(/^\[|\]$/g, '') : options.host;
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const port = (listener.address() as { port: number }).port;
  return {
    port,
    forceShutdown: () => {
      listener.close();
      server.forceShutdown();
      for (const socket of sockets) socket.destroy();
    },
  };
}
