import type { TLSSocket } from 'node:tls';
import type { ControllerMetrics } from './metrics';

/**
 * What one agent name (every certificate of one agent, stolen ones included) and all agents together may
 * hold on this replica's agent endpoint. The defaults are far above what agents do (one gRPC connection per
 * replica and controller, up to 16 lanes, a pool of ≤ 64 streams that attach within a round trip), and far
 * below what exhausts the controller's memory or file descriptors.
 */
export interface AgentLimits {
  /** TLS connections (gRPC and lanes) per agent name. */
  connectionsPerAgent: number;
  /** Control sessions per agent name. */
  sessionsPerAgent: number;
  /** Streams that have not attached (Exchange) or said hello (Control) yet, per agent name. */
  pendingStreamsPerAgent: number;
  /** The same over all agents. */
  pendingStreams: number;
  /** HTTP/2 streams open at once on one agent connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  streamsPerConnection: number;
}

export const DEFAULT_AGENT_LIMITS: AgentLimits = {
  connectionsPerAgent: 256,
  sessionsPerAgent: 32,
  pendingStreamsPerAgent: 4096,
  pendingStreams: 8192,
  streamsPerConnection: 4096,
};

/** The key of `agentLimits` a refusal is for, as metrics label it. */
export type AgentLimit = Exclude<keyof AgentLimits, 'streamsPerConnection'>;

/** The key grpc-js's `getPeer()` gives a call: the remote address and port of its connection. */
function peerKey(socket: TLSSocket): string {
  return socket.remotePort ? `${socket.remoteAddress}:${socket.remotePort}` : String(socket.remoteAddress);
}

function increment(counts: Map<string, number>, key: string, by: number): void {
  const count = (counts.get(key) ?? 0) + by;
  if (count > 0) counts.set(key, count);
  else counts.delete(key);
}

/**
 * Counts what each agent holds against `AgentLimits`. Connections are counted from the TLS handshake (the
 * certificate names the agent); a stream is attributed to its connection's agent by its peer address.
 */
export class AgentAdmission {
  private readonly connections = new Map<string, number>();
  private readonly agentOfPeer = new Map<string, string>();
  private readonly pending = new Map<string, number>();
  private pendingTotal = 0;

  constructor(
    readonly limits: AgentLimits,
    private readonly metrics: ControllerMetrics,
  ) {}

  /** Counts a new connection of `agent` until it closes; false (and counted as refused) over the limit. */
  admitConnection(agent: string, socket: TLSSocket): boolean {
    if ((this.connections.get(agent) ?? 0) >= this.limits.connectionsPerAgent) {
      this.refused(agent, 'connectionsPerAgent');
      return false;
    }
    increment(this.connections, agent, 1);
    const peer = peerKey(socket);
    this.agentOfPeer.set(peer, agent);
    socket.once('close', () => {
      increment(this.connections, agent, -1);
      if (this.agentOfPeer.get(peer) === agent) this.agentOfPeer.delete(peer);
    });
    return true;
  }

  /**
   * Counts a stream of the connection `peer` until the returned function is called (it attached, said
   * hello, or closed; calling it again does nothing). A string says why it is refused.
   */
  admitPendingStream(peer: string): (() => void) | string {
    // Every connection was admitted with its agent; an unknown peer only counts towards the global limit.
    const agent = this.agentOfPeer.get(peer) ?? peer;
    const held = this.pending.get(agent) ?? 0;
    if (held >= this.limits.pendingStreamsPerAgent) {
      this.refused(agent, 'pendingStreamsPerAgent');
      return `agent ${agent} has ${held} streams that have not attached yet (agentLimits.pendingStreamsPerAgent)`;
    }
    if (this.pendingTotal >= this.limits.pendingStreams) {
      this.refused(agent, 'pendingStreams');
      return `the controller has ${this.pendingTotal} streams that have not attached yet (agentLimits.pendingStreams)`;
    }
    increment(this.pending, agent, 1);
    this.pendingTotal += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      increment(this.pending, agent, -1);
      this.pendingTotal -= 1;
    };
  }

  /** Why a new session of `agent`, which holds `sessions` already, is refused; undefined when it is not. */
  refuseSession(agent: string, sessions: number): string | undefined {
    if (sessions < this.limits.sessionsPerAgent) return undefined;
    this.refused(agent, 'sessionsPerAgent');
    return `agent ${agent} has ${sessions} sessions on this controller already (agentLimits.sessionsPerAgent)`;
  }

  /** Streams of all agents that have not attached yet (for tests and statistics). */
  get pendingStreams(): number {
    return this.pendingTotal;
  }

  private refused(agent: string, limit: AgentLimit): void {
    this.metrics.refusedStreams.inc({ reason: limit });
    this.metrics.agentLimitRefusals.inc({ agent, limit });
  }
}
