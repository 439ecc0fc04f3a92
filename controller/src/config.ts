import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { loadConfig } from '@isd/kit';
import type { ControllerConfig } from './controller';
import { DEFAULT_AGENT_LIMITS } from './agent-limits';
import { DEFAULT_UNAUTHENTICATED_CONNECTION_LIMITS } from './unauthenticated-connections';

const HOUR_MS = 60 * 60 * 1000;

/**
 * Controller configuration file (YAML) and env overrides (`ISD_CONTROLLER_<KEY>`). Port keys keep
 * oes-birger's names so existing values files carry over.
 */
export const controllerConfigSchema = z.strictObject({
  listenHost: z.string().min(1).default('0.0.0.0').describe('Address all listeners bind to'),
  agentListenPort: z.number().int().min(0).max(65535).default(9001).describe('Agent gRPC (mTLS) port'),
  serviceListenPort: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(9002)
    .describe('Service HTTPS port for Clouddriver, Igor and other callers'),
  controlListenPort: z.number().int().min(0).max(65535).default(9003).describe('Control (CNC) API port'),
  prometheusListenPort: z.number().int().min(0).max(65535).default(9102).describe('Metrics, /healthz and /readyz port'),
  serverNames: z
    .array(z.string().min(1))
    .min(1)
    .default(['localhost', '127.0.0.1'])
    .describe("DNS names and IPs in the controller's TLS certificates; the first is advertised"),
  serviceUrl: z
    .url()
    .optional()
    .describe('Service URL written into kubeconfigs (default https://<first server name>:<service port>)'),
  agentAdvertiseAddress: z
    .string()
    .regex(/^[^:]+:\d+$/, 'expected host:port')
    .optional()
    .describe('host:port agents dial, written into agent manifests'),
  caCertFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      'PEM CA certificate (with caKeyFile: a provided CA, e.g. from a Secret; absent = generated once and kept in dataDir)',
    ),
  caKeyFile: z.string().min(1).optional().describe('PEM CA private key'),
  tokenKeys: z
    .strictObject({
      currentKeyId: z.string().min(1).describe('Key id that signs new tokens'),
      keys: z
        .record(z.string(), z.string().min(16, 'must be at least 16 characters'))
        .describe('Key id → HS256 secret; every listed key verifies (rotation)'),
    })
    .optional()
    .describe(
      'Token signing keys (optional): give them (e.g. from a Secret) to share them between replicas; absent = generated once and kept in dataDir',
    ),
  dataDir: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Writable directory keeping the generated CA, token keys and revocation list across restarts (absent: in memory only, a restart needs new agent credentials)',
    ),
  credentialShape: z
    .enum(['cert', 'token'])
    .default('cert')
    .describe('CNC response shape: oes-birger v3 certificates or v5 tokens'),
  agentCertLifetimeMs: z
    .number()
    .int()
    .positive()
    .default(7 * 24 * HOUR_MS)
    .describe('Lifetime of agent certificates (renewed over the tunnel at 2/3)'),
  serviceCertLifetimeMs: z
    .number()
    .int()
    .positive()
    .default(30 * 24 * HOUR_MS)
    .describe('Lifetime of caller and control certificates'),
  tokenLifetimeMs: z
    .number()
    .int()
    .positive()
    .default(30 * 24 * HOUR_MS)
    .describe('Lifetime of service and control tokens'),
  maxRequestBodyBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024)
    .describe('Largest forwarded request body (413 above)'),
  streamWaitMs: z
    .number()
    .int()
    .positive()
    .default(5_000)
    .describe('How long a request waits for a tunnel stream before 503'),
  agentLimits: z
    .strictObject({
      connectionsPerAgent: z
        .number()
        .int()
        .min(1)
        .default(DEFAULT_AGENT_LIMITS.connectionsPerAgent)
        .describe('TLS connections (gRPC and lanes) one agent name may hold on a replica; more are closed'),
      sessionsPerAgent: z
        .number()
        .int()
        .min(1)
        .default(DEFAULT_AGENT_LIMITS.sessionsPerAgent)
        .describe('Control sessions (agent replicas) one agent name may hold on a replica'),
      pendingStreamsPerAgent: z
        .number()
        .int()
        .min(1)
        .default(DEFAULT_AGENT_LIMITS.pendingStreamsPerAgent)
        .describe(
          "Streams of one agent name that have not attached or said hello yet (each may wait 10 s); more are refused with RESOURCE_EXHAUSTED; keep above the agents' maxConcurrentExchanges plus poolSize",
        ),
      pendingStreams: z
        .number()
        .int()
        .min(1)
        .default(DEFAULT_AGENT_LIMITS.pendingStreams)
        .describe('The same over all agents of a replica'),
      streamsPerConnection: z
        .number()
        .int()
        .min(1)
        .default(DEFAULT_AGENT_LIMITS.streamsPerConnection)
        .describe(
          "HTTP/2 streams open at once on one agent connection (SETTINGS_MAX_CONCURRENT_STREAMS); keep above the agents' maxConcurrentExchanges plus poolSize",
        ),
    })
    .prefault({})
    .describe(
      'What one agent certificate (or all agents) may hold on the agent endpoint; refusals are counted in isd_tunnel_agent_limit_refusals_total',
    ),
  unauthenticatedConnections: z
    .strictObject({
      total: z
        .number()
        .int()
        .min(1)
        .default(DEFAULT_UNAUTHENTICATED_CONNECTION_LIMITS.total)
        .describe(
          'Connections one listener holds before they authenticate (in TLS handshake, at most 10 s; on the service and control ports also until their first request head, at most 15 s more); a new one beyond closes the oldest',
        ),
      perAddress: z
        .number()
        .int()
        .min(1)
        .default(DEFAULT_UNAUTHENTICATED_CONNECTION_LIMITS.perAddress)
        .describe(
          'The same per source (IPv4 address, IPv6 /64), on the agent port only (the service and control ports are reached from a few in-cluster addresses); keep above the connections the agents behind one NAT address open at once (a gRPC connection and up to 16 lanes each)',
        ),
    })
    .prefault({})
    .describe(
      'Connections not yet authenticated on each of the agent, service and control ports; closings are counted in isd_tunnel_unauthenticated_evictions_total',
    ),
  pingIntervalMs: z
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe('Control-stream ping interval; 3 silent intervals end a session'),
  drainTimeoutMs: z.number().int().min(0).default(10_000).describe('How long shutdown lets in-flight exchanges finish'),
  revokedSerials: z
    .array(z.string().regex(/^[0-9a-fA-F:]+$/, 'expected a hex serial'))
    .default([])
    .describe('Revoked certificate serials (hex)'),
  database: z
    .strictObject({
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
        .optional()
        .describe(
          'Postgres URL keeping the revocation list shared by every replica (schema controller); absent = dataDir file or memory only',
        ),
      refreshIntervalMs: z
        .number()
        .int()
        .min(100)
        .default(10_000)
        .describe(
          'How often the whole revocation list is re-read (new revocations arrive at once by LISTEN/NOTIFY; this catches any missed)',
        ),
    })
    .prefault({})
    .describe('Shared revocation list (needed with more than one replica)'),
  agentImage: z.string().min(1).default('isd/agent:latest').describe('Image written into generated agent manifests'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('Log level'),
});

/** Parsed controller configuration file. */
export type ControllerFileConfig = z.infer<typeof controllerConfigSchema>;

/** Loads and validates YAML + env (pure apart from reading the file); errors name the key. */
export function loadControllerConfig(env: Record<string, string | undefined>, file?: string): ControllerFileConfig {
  const config = loadConfig(controllerConfigSchema, { env, file, envPrefix: 'ISD_CONTROLLER_' });
  if (Boolean(config.caCertFile) !== Boolean(config.caKeyFile)) {
    throw new Error(
      `config: ${config.caCertFile ? 'caKeyFile' : 'caCertFile'} is required when ${config.caCertFile ? 'caCertFile' : 'caKeyFile'} is set`,
    );
  }
  return config;
}

/** Maps the file configuration onto startController's options (reads the CA files). */
export function toControllerConfig(
  config: ControllerFileConfig,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ControllerConfig {
  return {
    host: config.listenHost,
    agentPort: config.agentListenPort,
    servicePort: config.serviceListenPort,
    controlPort: config.controlListenPort,
    metricsPort: config.prometheusListenPort,
    serverNames: config.serverNames,
    serviceUrl: config.serviceUrl,
    agentAdvertiseAddress: config.agentAdvertiseAddress,
    ca:
      config.caCertFile && config.caKeyFile
        ? { certPem: readFile(config.caCertFile), keyPem: readFile(config.caKeyFile) }
        : undefined,
    tokenKeys: config.tokenKeys,
    dataDir: config.dataDir,
    credentialShape: config.credentialShape,
    agentCertLifetimeMs: config.agentCertLifetimeMs,
    serviceCertLifetimeMs: config.serviceCertLifetimeMs,
    tokenLifetimeMs: config.tokenLifetimeMs,
    maxRequestBodyBytes: config.maxRequestBodyBytes,
    streamWaitMs: config.streamWaitMs,
    agentLimits: config.agentLimits,
    unauthenticatedConnections: config.unauthenticatedConnections,
    pingIntervalMs: config.pingIntervalMs,
    drainTimeoutMs: config.drainTimeoutMs,
    revokedSerials: config.revokedSerials,
    database: config.database.url
      ? { url: config.database.url, refreshIntervalMs: config.database.refreshIntervalMs }
      : undefined,
    agentImage: config.agentImage,
    processMetrics: true,
  };
}
