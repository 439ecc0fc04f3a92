import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeSilentConnections } from '@isd/kit';
import forge from 'node-forge';
import { ControllerConnection, type AgentCredentials } from './connection';
import { createAgentMetrics, type AgentMetrics } from './metrics';
import { createTarget, ServiceConfigError, type ServiceConfig, type Target } from './targets';

/** Agent settings; the identity is the certificate's, `agentName` only double-checks it. */
/**
 * Far above what watches and requests in flight reach through one agent (the bench holds 1,000 watches and
 * GETs beside them), and low enough that a malicious controller cannot exhaust the agent's sockets.
 */
export const DEFAULT_MAX_CONCURRENT_EXCHANGES = 2048;

export interface AgentConfig {
  /** host:port of every controller replica; the agent keeps a session to each. */
  controllers: string[];
  /** TLS name to expect on the controllers' certificates when it differs from the dialled host. */
  serverName?: string;
  credentials: AgentCredentials;
  /** When set, must equal the agent name in the certificate (catches mixed-up Secrets early). */
  agentName?: string;
  services: ServiceConfig[];
  /** Idle streams kept open per controller (requests never wait for a round trip while any are idle). */
  poolSize?: number;
  /**
   * Exchanges (requests to targets) the agent runs at once over all controllers; more are refused with a 503
   * for the caller, and no connection opens more streams than this plus `poolSize`
   * (default DEFAULT_MAX_CONCURRENT_EXCHANGES).
   */
  maxConcurrentExchanges?: number;
  /** Capability "lane": bodies of 1 MiB or more (known length) cross separate mutual-TLS lanes (default true). */
  lanes?: boolean;
  /** Port of /healthz, /readyz and /metrics; 0 = ephemeral, null = no listener. */
  healthPort?: number | null;
  healthHost?: string;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  renewFraction?: number;
  annotations?: Record<string, string>;
  version?: string;
  processMetrics?: boolean;
  /** Called with renewed credentials (main.ts persists them). */
  onCredentialsRenewed?: (credentials: AgentCredentials) => void;
  log?: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

/** A started agent. */
export interface RunningAgent {
  /** True while at least one controller session is up. */
  readonly connected: boolean;
  /** Number of controller replicas currently connected. */
  readonly connectedControllers: number;
  healthUrl: string | undefined;
  metrics: AgentMetrics;
  /** The agent name from the certificate. */
  agentName: string;
  credentials(): AgentCredentials;
  waitUntilConnected(timeoutMs: number, controllers?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Raised for invalid agent configuration; names the key. */
export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

function agentNameOf(certPem: string): string {
  let identity: { purpose?: string; agent?: string };
  try {
    const ou = forge.pki.certificateFromPem(certPem).subject.getField('OU') as { value?: string } | null;
    identity = JSON.parse(ou?.value ?? '') as typeof identity;
  } catch {
    throw new AgentConfigError('credentials.certPem', 'certificate carries no agent identity');
  }
  if (identity.purpose !== 'agent' || !identity.agent)
    throw new AgentConfigError('credentials.certPem', 'certificate is not an agent certificate');
  return identity.agent;
}

/** Starts the agent: one session per controller replica, plus the health and metrics listener. */
export async function startAgent(config: AgentConfig): Promise<RunningAgent> {
  if (!Array.isArray(config.controllers) || config.controllers.length === 0)
    throw new AgentConfigError('controllers', 'at least one controller address is required');
  if (!config.credentials?.certPem || !config.credentials.keyPem || !config.credentials.caPem)
    throw new AgentConfigError('credentials', 'certPem, keyPem and caPem are required');
  const agentName = agentNameOf(config.credentials.certPem);
  if (config.agentName && config.agentName !== agentName)
    throw new AgentConfigError('agentName', `is ${config.agentName} but the certificate names ${agentName}`);
  const targets = new Map<string, Target>();
  config.services.forEach((service, index) => {
    const target = createTarget(service, index);
    const key = `${target.type}/${target.name}`;
    if (targets.has(key)) throw new ServiceConfigError(`services[${index}].name`, `duplicate service ${key}`);
    targets.set(key, target);
  });
  let credentials = config.credentials;
  const metrics = createAgentMetrics(config.processMetrics ?? false);
  const log = config.log ?? (() => undefined);
  const maxConcurrentExchanges = config.maxConcurrentExchanges ?? DEFAULT_MAX_CONCURRENT_EXCHANGES;
  if (!Number.isInteger(maxConcurrentExchanges) || maxConcurrentExchanges < 1)
    throw new AgentConfigError('maxConcurrentExchanges', `must be a positive integer, got ${maxConcurrentExchanges}`);
  const exchangeLimit = { max: maxConcurrentExchanges, active: 0 };
  const connections = config.controllers.map(
    (address) =>
      new ControllerConnection(address, {
        agentVersion: config.version ?? '0.1.0',
        poolSize: config.poolSize ?? 2,
        exchangeLimit,
        lanes: config.lanes ?? true,
        serverName: config.serverName,
        initialBackoffMs: config.initialBackoffMs ?? 50,
        // Capped low so an agent is back well under a second after a controller restart.
        maxBackoffMs: config.maxBackoffMs ?? 700,
        renewFraction: config.renewFraction ?? 1 / 3,
        annotations: config.annotations ?? {},
        targets,
        metrics,
        getCredentials: () => credentials,
        setCredentials: (renewed) => {
          credentials = renewed;
          log('info', 'agent certificate renewed', { validTo: new X509Certificate(renewed.certPem).validTo });
          config.onCredentialsRenewed?.(renewed);
        },
        log,
      }),
  );
  const connectedCount = (): number => connections.filter((connection) => connection.connected).length;

  let healthServer: http.Server | undefined;
  let healthUrl: string | undefined;
  if (config.healthPort !== null) {
    const server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path === '/healthz') return json(200, { status: 'ok' });
      if (path === '/readyz')
        return connectedCount() > 0
          ? json(200, { status: 'ready', controllers: connectedCount() })
          : json(503, { status: 'not connected' });
      if (path === '/metrics') {
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(text);
          },
          () => json(500, { error: 'metrics failed' }),
        );
        return;
      }
      json(404, { error: 'not found' });
    });
    closeSilentConnections(server, server.headersTimeout);
    healthServer = server;
    const host = config.healthHost ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.healthPort ?? 9103, host, () => resolve());
    });
    healthUrl = `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  for (const connection of connections) connection.start();

  return {
    get connected() {
      return connectedCount() > 0;
    },
    get connectedControllers() {
      return connectedCount();
    },
    healthUrl,
    metrics,
    agentName,
    credentials: () => credentials,
    waitUntilConnected(timeoutMs: number, controllers = 1): Promise<void> {
      return new Promise((resolve, reject) => {
        if (connectedCount() >= controllers) return resolve();
        const removers: Array<() => void> = [];
        const timer = setTimeout(() => {
          for (const remove of removers) remove();
          reject(new Error(`agent ${agentName} not connected to ${controllers} controller(s) within ${timeoutMs} ms`));
        }, timeoutMs);
        for (const connection of connections) {
          removers.push(
            connection.onceConnected(() => {
              if (connectedCount() < controllers) return;
              clearTimeout(timer);
              for (const remove of removers) remove();
              resolve();
            }),
          );
        }
      });
    },
    async stop() {
      for (const connection of connections) connection.stop();
      for (const target of targets.values()) target.close();
      if (healthServer) {
        const server = healthServer;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
    },
  };
}
