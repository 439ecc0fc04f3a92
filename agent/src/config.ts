import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadConfig } from '@isd/kit';
import { DEFAULT_MAX_CONCURRENT_EXCHANGES, type AgentConfig } from './agent';
import type { ServiceConfig } from './targets';

const credentialsSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('basic'), username: z.string().min(1), password: z.string() }),
  z.strictObject({
    type: z.literal('bearer'),
    token: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
  }),
]);

const serviceSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/, 'expected a name of letters, digits, . _ -')
    .describe('Service name callers address'),
  type: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'expected lower-case letters, digits and -')
    .describe('kubernetes, jenkins, or any generic HTTP type'),
  url: z.url().optional().describe('Target base URL'),
  caFile: z.string().min(1).optional().describe('PEM CA bundle verifying the target'),
  insecureSkipVerify: z.boolean().default(false).describe('Skip target TLS verification (test targets only)'),
  credentials: credentialsSchema.optional().describe('none, basic or bearer credentials for the target'),
  kubeconfig: z.string().min(1).optional().describe('kubernetes: path of a kubeconfig'),
  context: z.string().min(1).optional().describe('kubernetes: kubeconfig context (default current-context)'),
  inCluster: z.boolean().default(false).describe('kubernetes: use the pod ServiceAccount and the in-cluster apiserver'),
  annotations: z.record(z.string(), z.string()).default({}).describe('Shown in getAgentStatistics'),
  maxSockets: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Concurrent sockets to the target (default unbounded: a cap would queue watches)'),
});

/** Agent configuration file (YAML) and env overrides (`ISD_AGENT_<KEY>`). */
export const agentConfigSchema = z.strictObject({
  controllers: z
    .array(z.string().regex(/^[^\s]+:\d+$/, 'expected host:port'))
    .min(1)
    .describe('Every controller replica, host:port; the agent keeps a session to each'),
  serverName: z.string().min(1).optional().describe("Name expected on the controllers' TLS certificates"),
  agentName: z.string().min(1).optional().describe('Must equal the agent name in the certificate'),
  credentials: z.strictObject({
    certFile: z.string().min(1).describe('Agent certificate (PEM)'),
    keyFile: z.string().min(1).describe('Agent private key (PEM)'),
    caFile: z.string().min(1).describe('Controller CA (PEM)'),
  }),
  renewedCredentialsDir: z
    .string()
    .min(1)
    .optional()
    .describe('Writable directory where renewed certificates are kept across restarts'),
  poolSize: z.number().int().min(1).max(64).default(2).describe('Idle tunnel streams per controller'),
  maxConcurrentExchanges: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(DEFAULT_MAX_CONCURRENT_EXCHANGES)
    .describe(
      "Requests to targets the agent runs at once over all controllers; more get a 503 (nothing reaches the target), and a controller gets no more tunnel streams than this plus poolSize (the controllers' agentLimits.pendingStreamsPerAgent and streamsPerConnection must stay above it)",
    ),
  lanes: z
    .boolean()
    .default(true)
    .describe(
      'Carry bodies of 1 MiB or more (known length) over lanes: extra mutual-TLS connections to the same controller address (ALPN isd-tunnel-lane/1); false keeps all traffic on the gRPC connection',
    ),
  healthPort: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(9103)
    .describe("Port of /healthz, /readyz, /metrics (9103: the controller's metrics port is 9102)"),
  healthHost: z.string().min(1).default('0.0.0.0').describe('Address of the health listener'),
  maxBackoffMs: z.number().int().min(50).default(700).describe('Reconnect backoff ceiling'),
  annotations: z.record(z.string(), z.string()).default({}).describe('Agent annotations shown in getAgentStatistics'),
  services: z.array(serviceSchema).default([]).describe('Targets reachable through this agent'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('Log level'),
});

/** Parsed agent configuration file. */
export type AgentFileConfig = z.infer<typeof agentConfigSchema>;

/** Loads and validates YAML + env; errors name the key. */
export function loadAgentConfig(env: Record<string, string | undefined>, file?: string): AgentFileConfig {
  return loadConfig(agentConfigSchema, { env, file, envPrefix: 'ISD_AGENT_' });
}

/** Where the in-cluster ServiceAccount and apiserver are found (from the pod's environment). */
export interface InClusterEnvironment {
  host?: string;
  port?: string;
  serviceAccountDir: string;
}

/** Maps the file configuration onto startAgent's options; `inCluster` services use the pod ServiceAccount. */
export function toAgentConfig(
  config: AgentFileConfig,
  inCluster: InClusterEnvironment,
  readFile: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): AgentConfig {
  const renewed = config.renewedCredentialsDir;
  const readRenewed = (name: string): string | undefined => {
    if (!renewed) return undefined;
    try {
      return readFile(path.join(renewed, name));
    } catch {
      return undefined;
    }
  };
  const renewedCert = readRenewed('tls.crt');
  const renewedKey = readRenewed('tls.key');
  const services: ServiceConfig[] = config.services.map((service, index) => {
    if (service.inCluster) {
      if (service.type !== 'kubernetes')
        throw new Error(`config: services[${index}].inCluster is only valid for type kubernetes`);
      if (!inCluster.host)
        throw new Error(`config: services[${index}].inCluster needs KUBERNETES_SERVICE_HOST (not running in a pod?)`);
      const host = inCluster.host.includes(':') ? `[${inCluster.host}]` : inCluster.host;
      return {
        name: service.name,
        type: service.type,
        url: `https://${host}:${inCluster.port ?? '443'}`,
        caFile: path.join(inCluster.serviceAccountDir, 'ca.crt'),
        // Projected tokens rotate; the file is re-read, never cached forever.
        credentials: { type: 'bearer', tokenFile: path.join(inCluster.serviceAccountDir, 'token') },
        annotations: service.annotations,
        maxSockets: service.maxSockets,
      };
    }
    if (!service.url && !service.kubeconfig)
      throw new Error(`config: services[${index}].url is required (or kubeconfig / inCluster for kubernetes)`);
    return { ...service, kubeconfig: service.kubeconfig ? readFile(service.kubeconfig) : undefined };
  });
  return {
    controllers: config.controllers,
    serverName: config.serverName,
    agentName: config.agentName,
    credentials: {
      certPem: renewedCert && renewedKey ? renewedCert : readFile(config.credentials.certFile),
      keyPem: renewedCert && renewedKey ? renewedKey : readFile(config.credentials.keyFile),
      caPem: readFile(config.credentials.caFile),
    },
    poolSize: config.poolSize,
    maxConcurrentExchanges: config.maxConcurrentExchanges,
    lanes: config.lanes,
    healthPort: config.healthPort,
    healthHost: config.healthHost,
    maxBackoffMs: config.maxBackoffMs,
    annotations: config.annotations,
    services,
    processMetrics: true,
  };
}
