import type * as grpc from '@grpc/grpc-js';
import { normalizeSerial } from './pki';
import type {
  AgentFrame,
  ControllerControlOut as ControllerControl,
  ControllerFrameOut as ControllerFrame,
} from '@isd/tunnel-proto';
import { SessionLanes } from './lanes';

/** A server-side Exchange stream: reads agent frames, writes controller frames. */
export type ExchangeCall = grpc.ServerDuplexStream<AgentFrame, ControllerFrame>;

/** One service an agent announced. */
export interface AnnouncedEndpoint {
  type: string;
  name: string;
  annotations: Record<string, string>;
}

/** Idle streams kept per session; more are ended, so reuse never grows the pool without bound. */
const MAX_IDLE_STREAMS = 32;
/**
 * Idle streams a session may hold when the agent opens them itself: the agent's largest `poolSize`.
 * Beyond it an agent's fresh stream is ended, so an agent cannot make the controller hold streams without bound.
 */
export const MAX_OPENED_IDLE_STREAMS = 64;

/** Raised when no idle stream became available in time (503 to the caller). */
export class NoStreamError extends Error {
  override readonly name = 'NoStreamError';
  readonly code = 'NO_STREAM';
}

/** What the CNC statistics endpoint and tests see of one connected agent. */
export interface AgentSessionSummary {
  sessionId: string;
  agentName: string;
  hostname: string;
  agentVersion: string;
  endpoints: AnnouncedEndpoint[];
  annotations: Record<string, string>;
  capabilities: string[];
  connectedAt: number;
  lastPingAt: number;
  outstanding: number;
  idleStreams: number;
  /** Capability "lane": lane connections open now. */
  lanes: number;
}

interface Waiter {
  resolve: (call: ExchangeCall) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One agent connection (its control stream) and its pool of idle Exchange streams. */
export class AgentSession {
  outstanding = 0;
  draining = false;
  lastPingAt = Date.now();
  private readonly idle: ExchangeCall[] = [];
  private readonly waiters: Waiter[] = [];
  private requested = 0;
  private closed = false;
  private readonly idleListeners = new Map<ExchangeCall, () => void>();
  /** Capability "lane": the session's lane connections. */
  readonly lanes = new SessionLanes();

  constructor(
    readonly id: string,
    readonly agentName: string,
    readonly hostname: string,
    readonly agentVersion: string,
    readonly endpoints: AnnouncedEndpoint[],
    readonly annotations: Record<string, string>,
    readonly capabilities: string[],
    readonly connectedAt: number,
    private readonly sendControl: (message: ControllerControl) => void,
    /** Remote address:port of the control stream's connection. */
    readonly peer: string,
    /** Serial of the certificate the session authenticated with (revocation ends the session). */
    readonly certificateSerial: string,
    /** Ends the control stream with an error status. */
    readonly terminate: (reason: string) => void,
    /** The line of renewals the certificate belongs to (its first certificate's serial, normalized). */
    readonly certificateLineage: string = normalizeSerial(certificateSerial),
  ) {}

  /** True when the agent announced the (type, name) service. */
  serves(type: string, name: string): boolean {
    return this.endpoints.some((endpoint) => endpoint.type === type && endpoint.name === name);
  }

  /**
   * Adds a freshly attached idle stream, handing it straight to a waiting request if there is one.
   * False when the pool is full and the stream was not taken (the caller ends it).
   */
  addIdle(call: ExchangeCall, limit = MAX_OPENED_IDLE_STREAMS): boolean {
    if (this.requested > 0) this.requested -= 1;
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(call);
      return true;
    }
    if (this.closed || this.idle.length >= limit) return false;
    this.idle.push(call);
    const remove = (): void => {
      const index = this.idle.indexOf(call);
      if (index >= 0) this.idle.splice(index, 1);
      this.detach(call);
    };
    this.idleListeners.set(call, remove);
    call.on('cancelled', remove);
    call.on('error', remove);
    call.on('end', remove);
    return true;
  }

  private detach(call: ExchangeCall): void {
    const remove = this.idleListeners.get(call);
    if (!remove) return;
    this.idleListeners.delete(call);
    call.off('cancelled', remove);
    call.off('error', remove);
    call.off('end', remove);
  }

  /** Returns a stream whose exchange finished cleanly to the pool (or ends it if the session is over or the pool full). */
  release(call: ExchangeCall): void {
    if (!this.addIdle(call, MAX_IDLE_STREAMS)) call.end();
  }

  /** Takes an idle stream, or asks the agent for more and waits up to `timeoutMs`. */
  claim(timeoutMs: number): Promise<ExchangeCall> {
    const call = this.idle.shift();
    if (call) {
      this.detach(call);
      return Promise.resolve(call);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          // The stream asked for this request did not come (an agent at its limit opens fewer than asked, a
          // refused stream never attaches): counted as on its way, it would keep later requests from asking.
          if (this.requested > 0) this.requested -= 1;
          reject(new NoStreamError(`agent ${this.agentName} opened no stream within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
      // Ask for streams beyond what is already on its way. A pool that ran dry is too small for the current
      // concurrency, so ask for as many as are in flight (the pool doubles), not one per waiter: on a loaded
      // machine one round trip per waiter queued requests behind each other for seconds (bench/README.md,
      // "a fresh tunnel is slow"). Streams beyond need go back to the idle pool (capped) and are reused.
      const wanted = Math.max(this.waiters.length, Math.min(this.outstanding, MAX_IDLE_STREAMS));
      if (wanted > this.requested) {
        const count = wanted - this.requested;
        this.requested += count;
        this.sendControl({ openStreams: { count } });
      }
    });
  }

  /** Tells the agent this replica is going away, so it reconnects and sends no new work here. */
  drain(deadlineMs: number): void {
    this.draining = true;
    this.sendControl({ drain: { deadlineMs } });
  }

  /** Ends the session: idle streams are closed and waiting requests fail. */
  close(reason: string): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new NoStreamError(`agent ${this.agentName} disconnected: ${reason}`));
    }
    for (const call of this.idle.splice(0)) {
      this.detach(call);
      call.end();
    }
    this.lanes.close(`agent ${this.agentName} disconnected: ${reason}`);
  }

  /** Snapshot for statistics. */
  summary(): AgentSessionSummary {
    return {
      sessionId: this.id,
      agentName: this.agentName,
      hostname: this.hostname,
      agentVersion: this.agentVersion,
      endpoints: this.endpoints,
      annotations: this.annotations,
      capabilities: this.capabilities,
      connectedAt: this.connectedAt,
      lastPingAt: this.lastPingAt,
      outstanding: this.outstanding,
      idleStreams: this.idle.length,
      lanes: this.lanes.count,
    };
  }
}

/** All connected sessions of one controller replica, indexed by agent name. */
export class SessionRegistry {
  private readonly byId = new Map<string, AgentSession>();
  private readonly byAgent = new Map<string, Set<AgentSession>>();

  add(session: AgentSession): void {
    this.byId.set(session.id, session);
    let sessions = this.byAgent.get(session.agentName);
    if (!sessions) this.byAgent.set(session.agentName, (sessions = new Set()));
    sessions.add(session);
  }

  remove(session: AgentSession): void {
    this.byId.delete(session.id);
    const sessions = this.byAgent.get(session.agentName);
    sessions?.delete(session);
    if (sessions?.size === 0) this.byAgent.delete(session.agentName);
  }

  get(sessionId: string): AgentSession | undefined {
    return this.byId.get(sessionId);
  }

  /** Connected sessions of one agent name. */
  sessionsOf(agentName: string): AgentSession[] {
    return [...(this.byAgent.get(agentName) ?? [])];
  }

  /**
   * Picks the session of `agentName` that serves (type, name) with the fewest outstanding exchanges,
   * so several agents with one name share load and a slow one gets less.
   */
  pick(agentName: string, type: string, name: string): AgentSession | undefined {
    let best: AgentSession | undefined;
    for (const session of this.byAgent.get(agentName) ?? []) {
      if (session.draining || !session.serves(type, name)) continue;
      if (!best || session.outstanding < best.outstanding) best = session;
    }
    return best;
  }

  all(): AgentSession[] {
    return [...this.byId.values()];
  }
}
