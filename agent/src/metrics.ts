import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one agent (own registry, so tests can run several agents in a process). */
export interface AgentMetrics {
  registry: Registry;
  connected: Gauge<'controller'>;
  connects: Counter<'controller'>;
  connectFailures: Counter<'controller'>;
  requests: Counter<'service' | 'status'>;
  activeStreams: Gauge;
  streamsOpened: Counter;
  bytes: Counter<'direction'>;
}

/** Creates the agent's metrics; `processMetrics` adds Node process metrics (once per process). */
export function createAgentMetrics(processMetrics = false): AgentMetrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    connected: new Gauge({
      name: 'isd_agent_connected',
      help: '1 while connected to the controller replica',
      labelNames: ['controller'],
      registers,
    }),
    connects: new Counter({
      name: 'isd_agent_connects_total',
      help: 'Sessions established, reconnects included',
      labelNames: ['controller'],
      registers,
    }),
    connectFailures: new Counter({
      name: 'isd_agent_connect_failures_total',
      help: 'Failed connection attempts and lost sessions',
      labelNames: ['controller'],
      registers,
    }),
    requests: new Counter({
      name: 'isd_agent_requests_total',
      help: 'Exchanges served by service and status',
      labelNames: ['service', 'status'],
      registers,
    }),
    activeStreams: new Gauge({ name: 'isd_agent_active_streams', help: 'Exchanges in flight', registers }),
    streamsOpened: new Counter({
      name: 'isd_agent_streams_opened_total',
      help: 'Exchange streams opened (reuse keeps this far below requests)',
      registers,
    }),
    bytes: new Counter({
      name: 'isd_agent_bytes_total',
      help: 'Body bytes by direction',
      labelNames: ['direction'],
      registers,
    }),
  };
}
