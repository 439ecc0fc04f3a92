import type { TLSSocket } from 'node:tls';
import {
  IdleLanes,
  LANE_ACCEPTED,
  LANE_IDLE_MS,
  LaneReader,
  LaneRendezvous,
  decodeLaneMessage,
  guardWritingEnd,
  type LaneDirection,
} from '@isd/tunnel-proto';
import type { SessionRegistry } from './sessions';

/** Lanes one session may hold open; an agent that opens more gets them closed. */
const MAX_LANES_PER_SESSION = 32;
/** A lane that has not said hello within this time is closed. */
const HELLO_TIMEOUT_MS = 5_000;

/** The lanes of one agent session: response lanes it reads, idle request lanes it may write on. */
export class SessionLanes {
  /** Response lanes meet their exchanges here (the agent writes their bodies). */
  readonly responses = new LaneRendezvous();
  private readonly requestLanes = new IdleLanes<TLSSocket>(LANE_IDLE_MS);
  private readonly all = new Set<TLSSocket>();
  private closed = false;

  /** Adopts a lane the agent opened for this session; false when the session takes no more. */
  add(direction: LaneDirection, socket: TLSSocket, initial: Buffer): boolean {
    if (this.closed || this.all.size >= MAX_LANES_PER_SESSION) return false;
    this.all.add(socket);
    socket.once('close', () => this.all.delete(socket));
    if (direction === 'response') {
      new LaneReader(socket, 'response', (header, reader) => this.responses.arrive(header.exchangeId, reader), initial);
    } else {
      guardWritingEnd(socket);
      if (initial.length > 0) socket.destroy();
      else this.requestLanes.add(socket);
    }
    return true;
  }

  /** An idle request lane to write one body on (give it back with releaseRequestLane), if any. */
  takeRequestLane(): TLSSocket | undefined {
    return this.requestLanes.take();
  }

  /** A request lane whose body was written completely is idle again. */
  releaseRequestLane(socket: TLSSocket): void {
    this.requestLanes.release(socket);
  }

  /** Lanes open now, for the session's statistics. */
  get count(): number {
    return this.all.size;
  }

  /** The session ended: every lane closes and every exchange waiting for one fails. */
  close(reason: string): void {
    this.closed = true;
    this.responses.close(reason);
    this.requestLanes.close();
    for (const socket of this.all) socket.destroy();
    this.all.clear();
  }
}

/**
 * Takes a new lane connection (TLS done, ALPN "isd-tunnel-lane/1", certificate checked: a live certificate
 * of `agent`): the hello must name a session of that same agent on this replica; then the lane is accepted
 * (one byte) and joins the session. Anything else closes it.
 */
export function acceptLane(socket: TLSSocket, agent: string, registry: SessionRegistry): void {
  socket.on('error', () => undefined);
  // Idle lanes that a NAT or load balancer dropped are noticed by TCP keep-alive.
  socket.setKeepAlive(true, 30_000);
  const timer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
  timer.unref();
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    const decoded = decodeLaneMessage(buffered);
    if (decoded === 'incomplete') return;
    socket.off('data', onData);
    socket.pause();
    clearTimeout(timer);
    const session = typeof decoded === 'string' || decoded.kind !== 'hello' ? undefined : registry.get(decoded.id);
    if (
      typeof decoded === 'string' ||
      !session ||
      session.agentName !== agent ||
      !session.capabilities.includes('lane') ||
      !session.lanes.add(decoded.direction, socket, buffered.subarray(decoded.length))
    ) {
      socket.destroy();
      return;
    }
    socket.write(Buffer.from([LANE_ACCEPTED]));
    socket.resume();
  };
  socket.on('data', onData);
}
