import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { CertificateAuthority, CertificateIdentity } from './pki';
import { identityFromSubject, normalizeSerial } from './pki';
import { AgentSession, MAX_OPENED_IDLE_STREAMS, type ExchangeCall, type SessionRegistry } from './sessions';
import type { ControllerMetrics } from './metrics';
import type { AgentAdmission } from './agent-limits';
import { helloProblem } from './hello-limits';
import {
  CAPABILITIES as CONTROLLER_CAPABILITIES,
  PROTOCOL_VERSION,
  type AgentControl,
  type AgentFrame,
  type ControllerControlOut as ControllerControl,
} from '@isd/tunnel-proto';

type ControlCall = grpc.ServerDuplexStream<AgentControl, ControllerControl>;

/** A connection's renewals are at least this far apart (an agent renews at 2/3 of a 7-day certificate). */
const RENEWAL_INTERVAL_MS = 60_000;

/** Settings of the agent-facing gRPC service. */
export interface TunnelServiceOptions {
  ca: CertificateAuthority;
  registry: SessionRegistry;
  metrics: ControllerMetrics;
  /** What each agent may hold (agentLimits). */
  admission: AgentAdmission;
  controllerId: string;
  pingIntervalMs: number;
  helloTimeoutMs: number;
  agentCertLifetimeMs: number;
  /** True once the controller is shutting down: new sessions are refused so agents go elsewhere. */
  isDraining: () => boolean;
  log: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

interface StatusError {
  code: grpc.status;
  details: string;
}

function fail(call: grpc.ServerDuplexStream<unknown, unknown>, code: grpc.status, details: string): void {
  // grpc-js turns an 'error' emitted on a server stream into the call's final status.
  const error: StatusError = { code, details };
  call.emit('error', error);
}

/**
 * The agent's identity comes only from its verified TLS certificate. The chain and expiry were
 * checked in the handshake; here we check purpose and the revocation list.
 */
function agentIdentity(
  call: grpc.ServerDuplexStream<unknown, unknown>,
  ca: CertificateAuthority,
): { agent: string; serial: string; lineage: string } | { refused: string } {
  const peer = call.getAuthContext().sslPeerCertificate;
  if (!peer || !peer.subject) return { refused: 'no client certificate' };
  const identity: CertificateIdentity | undefined = identityFromSubject(peer.subject);
  if (!identity || identity.purpose !== 'agent') return { refused: 'certificate is not an agent certificate' };
  if (ca.isRevokedCertificate(peer.serialNumber, identity)) return { refused: 'certificate is revoked' };
  // Certificates from before lines were recorded start their line here.
  return {
    agent: identity.agent,
    serial: peer.serialNumber,
    lineage: identity.lineage ?? normalizeSerial(peer.serialNumber),
  };
}

/** gRPC handlers for the Tunnel service: control sessions and idle Exchange streams. */
export function createTunnelHandlers(options: TunnelServiceOptions): grpc.UntypedServiceImplementation {
  const { ca, registry, metrics, admission, log } = options;

  /**
   * Counts a new stream as pending (agentLimits) until the returned release is called or the stream ends;
   * undefined when it was refused (RESOURCE_EXHAUSTED).
   */
  function admitPending(call: grpc.ServerDuplexStream<unknown, unknown>): (() => void) | undefined {
    const admitted = admission.admitPendingStream(call.getPeer());
    if (typeof admitted === 'string') {
      fail(call, grpc.status.RESOURCE_EXHAUSTED, admitted);
      return undefined;
    }
    // Closed by the agent, or ended here (refused, timed out): either way no longer waiting.
    call.once('close', admitted);
    call.once('finish', admitted);
    return admitted;
  }

  function control(call: ControlCall): void {
    call.on('error', () => undefined);
    const release = admitPending(call);
    if (!release) return;
    const who = agentIdentity(call, ca);
    if ('refused' in who) {
      metrics.refusedStreams.inc({ reason: 'certificate' });
      log('warn', 'agent refused', { reason: who.refused });
      fail(call, grpc.status.UNAUTHENTICATED, who.refused);
      return;
    }
    let session: AgentSession | undefined;
    let lastHeardAt = Date.now();
    let nonce = 0;
    let lastRenewalAt: number | undefined;
    const helloTimer = setTimeout(
      () => fail(call, grpc.status.DEADLINE_EXCEEDED, 'no hello received'),
      options.helloTimeoutMs,
    );
    const pingTimer = setInterval(() => {
      if (Date.now() - lastHeardAt > 3 * options.pingIntervalMs) {
        log('warn', 'agent silent, closing session', { agent: who.agent });
        fail(call, grpc.status.UNAVAILABLE, 'no ping from agent');
        return;
      }
      if (call.writableNeedDrain) return; // the agent is not reading: a ping would only queue
      nonce += 1;
      call.write({ ping: { nonce, sentAtMs: Date.now() } });
    }, options.pingIntervalMs);

    const cleanup = (reason: string): void => {
      clearTimeout(helloTimer);
      clearInterval(pingTimer);
      if (!session) return;
      registry.remove(session);
      session.close(reason);
      metrics.agentsConnected.dec({ agent: session.agentName });
      log('info', 'agent disconnected', { agent: session.agentName, sessionId: session.id, reason });
      session = undefined;
    };
    call.on('cancelled', () => cleanup('cancelled'));
    call.on('end', () => {
      cleanup('agent closed the control stream');
      call.end();
    });
    call.on('close', () => cleanup('closed'));

    call.on('data', (message: AgentControl) => {
      lastHeardAt = Date.now();
      if (session) session.lastPingAt = lastHeardAt;
      switch (message.message) {
        case 'hello': {
          const hello = message.hello;
          if (session || !hello) return;
          clearTimeout(helloTimer);
          release();
          const tooMany = admission.refuseSession(who.agent, registry.sessionsOf(who.agent).length);
          if (tooMany) {
            fail(call, grpc.status.RESOURCE_EXHAUSTED, tooMany);
            return;
          }
          if (options.isDraining()) {
            metrics.refusedStreams.inc({ reason: 'draining' });
            fail(call, grpc.status.UNAVAILABLE, 'controller is draining');
            return;
          }
          const tooLarge = helloProblem(hello);
          if (tooLarge) {
            metrics.refusedStreams.inc({ reason: 'hello-too-large' });
            fail(call, grpc.status.INVALID_ARGUMENT, tooLarge);
            return;
          }
          if (hello.protocolVersion !== PROTOCOL_VERSION) {
            metrics.refusedStreams.inc({ reason: 'protocol-version' });
            fail(
              call,
              grpc.status.FAILED_PRECONDITION,
              `protocol version ${hello.protocolVersion} is not supported (want ${PROTOCOL_VERSION})`,
            );
            return;
          }
          const capabilities = CONTROLLER_CAPABILITIES.filter((capability) => hello.capabilities.includes(capability));
          session = new AgentSession(
            randomUUID(),
            who.agent,
            hello.hostname,
            hello.agentVersion,
            hello.endpoints.map((endpoint) => ({
              type: endpoint.type,
              name: endpoint.name,
              annotations: endpoint.annotations ?? {},
            })),
            hello.annotations ?? {},
            capabilities,
            Date.now(),
            (reply) => call.write(reply),
            call.getPeer(),
            who.serial,
            (reason) => fail(call, grpc.status.UNAUTHENTICATED, reason),
            who.lineage,
          );
          registry.add(session);
          metrics.agentsConnected.inc({ agent: who.agent });
          metrics.agentConnects.inc({ agent: who.agent });
          call.write({
            welcome: {
              sessionId: session.id,
              protocolVersion: PROTOCOL_VERSION,
              capabilities,
              pingIntervalMs: options.pingIntervalMs,
              controllerId: options.controllerId,
            },
          });
          log('info', 'agent connected', {
            agent: who.agent,
            sessionId: session.id,
            endpoints: hello.endpoints.length,
          });
          return;
        }
        case 'ping':
          // An agent that pings without reading its answers would have them queued without bound: while the
          // stream is backed up, pongs (round-trip times only) are skipped.
          if (call.writableNeedDrain) return;
          call.write({ pong: { nonce: message.ping?.nonce ?? 0, pingSentAtMs: message.ping?.sentAtMs ?? 0 } });
          return;
        case 'pong':
          if (message.pong) metrics.pingRoundTrip.observe(Math.max(0, Date.now() - message.pong.pingSentAtMs) / 1000);
          return;
        case 'renewRequest': {
          // Renewing is due once in days; an agent asking in a loop would spend the controller's CPU on CSRs.
          const now = Date.now();
          if (lastRenewalAt !== undefined && now - lastRenewalAt < RENEWAL_INTERVAL_MS) {
            call.write({
              renewResponse: {
                certPem: '',
                caPem: '',
                error: `at most one renewal per ${RENEWAL_INTERVAL_MS / 1000} s on a connection: try later`,
              },
            });
            return;
          }
          lastRenewalAt = now;
          try {
            // Checked again here: a session can outlive a revocation by the time another replica learns it.
            if (ca.isRevoked(who.serial) || ca.isRevoked(who.lineage))
              throw new Error('the certificate is revoked: it cannot be renewed');
            const certPem = ca.signCsr(
              message.renewRequest?.csrPem ?? '',
              { purpose: 'agent', agent: who.agent, lineage: who.lineage },
              { lifetimeMs: options.agentCertLifetimeMs },
            );
            call.write({ renewResponse: { certPem, caPem: ca.certPem, error: '' } });
            log('info', 'agent certificate renewed', { agent: who.agent });
          } catch (error) {
            call.write({ renewResponse: { certPem: '', caPem: '', error: (error as Error).message } });
          }
          return;
        }
        default:
          return;
      }
    });
  }

  function exchange(call: ExchangeCall): void {
    // A permanent error listener: frames may fail after the stream left the idle pool.
    call.on('error', () => undefined);
    const release = admitPending(call);
    if (!release) return;
    // A stream that never attaches would be held for good: it gets as long as a control stream's hello.
    const attachTimer = setTimeout(
      () => fail(call, grpc.status.DEADLINE_EXCEEDED, 'no attach received'),
      options.helloTimeoutMs,
    );
    call.once('close', () => clearTimeout(attachTimer));
    const addIdle = (session: AgentSession): void => {
      if (session.addIdle(call)) return;
      metrics.refusedStreams.inc({ reason: 'idle-pool-full' });
      fail(call, grpc.status.RESOURCE_EXHAUSTED, `the session holds ${MAX_OPENED_IDLE_STREAMS} idle streams already`);
    };
    call.once('data', (frame: AgentFrame) => {
      clearTimeout(attachTimer);
      release();
      const session = frame.frame === 'attach' ? registry.get(frame.attach?.sessionId ?? '') : undefined;
      if (!session) {
        metrics.refusedStreams.inc({ reason: 'unknown-session' });
        fail(call, grpc.status.NOT_FOUND, 'first frame must attach to a live session');
        return;
      }
      // A stream on the control stream's own connection carries the certificate already checked
      // there; decoding the peer certificate again per stream would cost ~0.3 ms per request.
      if (call.getPeer() === session.peer) {
        addIdle(session);
        return;
      }
      const who = agentIdentity(call, ca);
      if ('refused' in who) {
        metrics.refusedStreams.inc({ reason: 'certificate' });
        fail(call, grpc.status.UNAUTHENTICATED, who.refused);
        return;
      }
      if (session.agentName !== who.agent) {
        // A certificate for one agent can never carry traffic for another agent's session.
        metrics.refusedStreams.inc({ reason: 'wrong-agent' });
        fail(call, grpc.status.PERMISSION_DENIED, 'session belongs to a different agent');
        return;
      }
      addIdle(session);
    });
  }

  return { Control: control, Exchange: exchange } as grpc.UntypedServiceImplementation;
}
