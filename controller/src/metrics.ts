import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one controller instance (own registry, so several controllers can share a process). */
export interface ControllerMetrics {
  registry: Registry;
  agentsConnected: Gauge<'agent'>;
  agentConnects: Counter<'agent'>;
  requests: Counter<'agent' | 'service' | 'status'>;
  requestDuration: Histogram<'agent' | 'service' | 'status'>;
  bytes: Counter<'direction'>;
  laneBodies: Counter<'direction'>;
  activeStreams: Gauge;
  refusedStreams: Counter<'reason'>;
  agentLimitRefusals: Counter<'agent' | 'limit'>;
  unauthenticatedEvictions: Counter<'listener' | 'limit'>;
  pingRoundTrip: Histogram;
  revocationsSynced: Gauge;
}

/** Creates the controller's metric set; `defaultMetrics` adds process metrics (only once per process). */
export function createControllerMetrics(defaultMetrics = false): ControllerMetrics {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    agentsConnected: new Gauge({
      name: 'isd_tunnel_agents_connected',
      help: 'Connected agent sessions by agent name',
      labelNames: ['agent'],
      registers,
    }),
    agentConnects: new Counter({
      name: 'isd_tunnel_agent_connects_total',
      help: 'Agent sessions established (reconnects included)',
      labelNames: ['agent'],
      registers,
    }),
    requests: new Counter({
      name: 'isd_tunnel_requests_total',
      help: 'Forwarded HTTP exchanges by agent, service and status',
      labelNames: ['agent', 'service', 'status'],
      registers,
    }),
    requestDuration: new Histogram({
      name: 'isd_tunnel_request_duration_seconds',
      help: 'Time to response head of forwarded exchanges',
      labelNames: ['agent', 'service', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    bytes: new Counter({
      name: 'isd_tunnel_bytes_total',
      help: 'Body bytes forwarded, by direction',
      labelNames: ['direction'],
      registers,
    }),
    laneBodies: new Counter({
      name: 'isd_tunnel_lane_bodies_total',
      help: 'Bodies carried whole on lanes (capability lane), by direction',
      labelNames: ['direction'],
      registers,
    }),
    activeStreams: new Gauge({ name: 'isd_tunnel_active_streams', help: 'Exchanges in flight', registers }),
    refusedStreams: new Counter({
      name: 'isd_tunnel_refused_total',
      help: 'Refused connections, streams and requests by reason',
      labelNames: ['reason'],
      registers,
    }),
    agentLimitRefusals: new Counter({
      name: 'isd_tunnel_agent_limit_refusals_total',
      help: 'Connections, sessions and streams refused because an agent reached one of agentLimits (limit = its key)',
      labelNames: ['agent', 'limit'],
      registers,
    }),
    unauthenticatedEvictions: new Counter({
      name: 'isd_tunnel_unauthenticated_evictions_total',
      help: 'Connections closed before they authenticated (TLS handshake; on the HTTPS ports also the first request head) because the listener (limit=total) or their source (limit=perAddress) held unauthenticatedConnections of them; the oldest is closed',
      labelNames: ['listener', 'limit'],
      registers,
    }),
    pingRoundTrip: new Histogram({
      name: 'isd_tunnel_ping_rtt_seconds',
      help: 'Control-stream ping round trip',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    }),
    // Alert on time() minus this: a replica that cannot read the shared list may miss new revocations.
    revocationsSynced: new Gauge({
      name: 'isd_tunnel_revocations_synced_timestamp_seconds',
      help: 'When the shared revocation list was last read whole from the database (0 without database.url)',
      registers,
    }),
  };
}
