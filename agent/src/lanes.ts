import net from 'node:net';
import tls from 'node:tls';
import {
  LANE_ACCEPTED,
  LANE_ALPN,
  LANE_IDLE_MS,
  IdleLanes,
  LaneReader,
  LaneRendezvous,
  encodeLaneHello,
  guardWritingEnd,
  type LaneDirection,
} from '@isd/tunnel-proto';

/** Lanes of each role one session keeps at most (the controller takes as many per session). */
const MAX_LANES_PER_ROLE = 8;
/** The controller must accept a lane's hello within this time. */
const ACCEPT_TIMEOUT_MS = 5_000;
/** Dead idle lanes (a NAT or load balancer dropped them) are noticed by TCP keep-alive. */
const KEEPALIVE_MS = 30_000;
/**
 * After a lane was refused or failed before being accepted (a load balancer sent it to another replica, a
 * proxy that passes only h2), no lane is dialled for this long: bodies use Body frames meanwhile.
 */
const RETRY_AFTER_REFUSAL_MS = 30_000;

/** Where and as whom the agent dials its lanes: the same address and certificate as its gRPC connection. */
export interface LaneDialOptions {
  address: string;
  serverName?: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

function hostAndPort(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!match) throw new Error(`controller address "${address}" is not host:port`);
  return { host: match[1] as string, port: Number(match[2]) };
}

/**
 * The lanes of one controller session (capability "lane"). Response lanes are idle here until a large
 * response takes one; request lanes are read here, and their bodies meet their exchanges in `requests`.
 * A lane is only used once the controller has accepted its hello, so a lane that reached another
 * replica (or a session that ended) is never written on. Lanes are opened on demand: a large body that
 * finds none crosses in Body frames and opens one for the next (so idle agents keep one connection).
 */
export class AgentLanes {
  readonly requests = new LaneRendezvous();
  private readonly responseLanes = new IdleLanes<tls.TLSSocket>(LANE_IDLE_MS);
  private readonly open = { response: 0, request: 0 };
  private readonly sockets = new Set<tls.TLSSocket>();
  private closed = false;
  private noDialUntil = 0;

  constructor(
    private readonly sessionId: string,
    private readonly dialOptions: () => LaneDialOptions,
    private readonly log: (message: string, fields: Record<string, unknown>) => void,
  ) {}

  /** An idle response lane to write one body on (give it back with releaseResponseLane), if any. */
  takeResponseLane(): tls.TLSSocket | undefined {
    const socket = this.responseLanes.take();
    // None, or the last one: open one for the next large response (concurrent ones find it).
    if (this.responseLanes.size === 0) this.dial('response');
    return socket;
  }

  /** A response lane whose body was written completely is idle again. */
  releaseResponseLane(socket: tls.TLSSocket): void {
    this.responseLanes.release(socket);
  }

  /** A large request body arrived in Body frames (the controller had no idle request lane): open one for the next. */
  requestLaneWanted(): void {
    this.dial('request');
  }

  /** The session ended: every lane closes and every exchange waiting for one fails. */
  close(reason: string): void {
    this.closed = true;
    this.requests.close(reason);
    this.responseLanes.close();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private dial(direction: LaneDirection): void {
    if (this.closed || this.open[direction] >= MAX_LANES_PER_ROLE || Date.now() < this.noDialUntil) return;
    const options = this.dialOptions();
    const { host, port } = hostAndPort(options.address);
    this.open[direction] += 1;
    const socket = tls.connect({
      host,
      port,
      ca: options.caPem,
      cert: options.certPem,
      key: options.keyPem,
      // The name to verify may differ from the dialled host (as grpc's target name override); SNI takes no IPs.
      ...(options.serverName
        ? {
            ...(net.isIP(options.serverName) ? {} : { servername: options.serverName }),
            checkServerIdentity: (_host: string, certificate: tls.PeerCertificate) =>
              tls.checkServerIdentity(options.serverName as string, certificate),
          }
        : {}),
      ALPNProtocols: [LANE_ALPN],
    });
    this.sockets.add(socket);
    const timer = setTimeout(() => socket.destroy(new Error('controller did not accept the lane')), ACCEPT_TIMEOUT_MS);
    timer.unref();
    socket.on('error', (error) => this.log('lane failed', { direction, error: error.message }));
    let accepted = false;
    socket.once('close', () => {
      clearTimeout(timer);
      if (!accepted) this.noDialUntil = Date.now() + RETRY_AFTER_REFUSAL_MS;
      this.open[direction] -= 1;
      this.sockets.delete(socket);
    });
    socket.once('secureConnect', () => {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, KEEPALIVE_MS);
      socket.write(encodeLaneHello({ direction, sessionId: this.sessionId }));
    });
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      if (chunk[0] !== LANE_ACCEPTED || this.closed) {
        socket.destroy();
        return;
      }
      accepted = true;
      if (direction === 'response') {
        guardWritingEnd(socket);
        if (chunk.length > 1) socket.destroy();
        else this.responseLanes.add(socket);
      } else {
        new LaneReader(
          socket,
          'request',
          (header, reader) => this.requests.arrive(header.exchangeId, reader),
          chunk.subarray(1),
        );
      }
    });
  }
}
