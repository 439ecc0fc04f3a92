import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parse } from 'yaml';
import type { WireHeader } from '@isd/tunnel-proto';

/** Credentials the agent adds for a generic HTTP target. */
export type TargetCredentials =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token?: string; tokenFile?: string };

/** One service the agent exposes through the tunnel. */
export interface ServiceConfig {
  name: string;
  /** `kubernetes`, `jenkins`, or any other type for a generic HTTP target. */
  type: string;
  /** Base URL of the target; a path prefix is prepended to every request target. */
  url?: string;
  /** PEM CA bundle that verifies the target's TLS certificate. */
  caPem?: string;
  caFile?: string;
  /** Only for test targets with self-signed certificates; never the default. */
  insecureSkipVerify?: boolean;
  credentials?: TargetCredentials;
  /** kubernetes: kubeconfig YAML text or a path to it. */
  kubeconfig?: string;
  /** kubernetes: context to use instead of current-context. */
  context?: string;
  annotations?: Record<string, string>;
  /** Upper bound of concurrent sockets per target; default unbounded, since a cap queues watches behind each other. */
  maxSockets?: number;
}

/** Raised when a service's configuration cannot be used; names the offending key. */
export class ServiceConfigError extends Error {
  override readonly name = 'ServiceConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

/** A resolved target: where to send, with which TLS trust, pooled agents and credential headers. */
export interface Target {
  type: string;
  name: string;
  annotations: Record<string, string>;
  url: URL;
  /** Pooled keep-alive agent for ordinary requests. */
  agent: http.Agent;
  /** Non-pooled agent for upgrades: upgraded sockets leave the pool for good. */
  upgradeAgent: http.Agent;
  /** Headers that authenticate the agent to the target, re-evaluated per request (token files rotate). */
  credentialHeaders(): WireHeader[];
  close(): void;
}

interface KubeconfigCluster {
  server?: string;
  'certificate-authority-data'?: string;
  'certificate-authority'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
}
interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  'client-certificate-data'?: string;
  'client-key-data'?: string;
  'client-certificate'?: string;
  'client-key'?: string;
  username?: string;
  password?: string;
}
interface Kubeconfig {
  'current-context'?: string;
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters?: Array<{ name: string; cluster: KubeconfigCluster }>;
  users?: Array<{ name: string; user: KubeconfigUser }>;
}

const fromBase64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');

/** A file re-read at most once a minute, so rotated ServiceAccount tokens are picked up. */
function rotatingFile(path: string): () => string {
  let value = '';
  let readAt = 0;
  return () => {
    if (Date.now() - readAt > 60_000) {
      value = readFileSync(path, 'utf8').trim();
      readAt = Date.now();
    }
    return value;
  };
}

function resolveKubeconfig(
  service: ServiceConfig,
  key: string,
): {
  url: string;
  caPem?: string;
  tlsServerName?: string;
  insecure: boolean;
  cert?: string;
  key?: string;
  headers: () => WireHeader[];
} {
  const text = service.kubeconfig as string;
  const yamlText = text.includes('\n') || text.includes('apiVersion') ? text : readFileSync(text, 'utf8');
  const config = parse(yamlText) as Kubeconfig;
  const contextName = service.context ?? config['current-context'];
  const context = config.contexts?.find((entry) => entry.name === contextName)?.context;
  if (!context) throw new ServiceConfigError(`${key}.kubeconfig`, `context ${String(contextName)} not found`);
  const cluster = config.clusters?.find((entry) => entry.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new ServiceConfigError(`${key}.kubeconfig`, `cluster ${context.cluster} has no server`);
  const user = config.users?.find((entry) => entry.name === context.user)?.user ?? {};
  const caPem = cluster['certificate-authority-data']
    ? fromBase64(cluster['certificate-authority-data'])
    : cluster['certificate-authority']
      ? readFileSync(cluster['certificate-authority'], 'utf8')
      : undefined;
  const tokenFile = user.tokenFile ? rotatingFile(user.tokenFile) : undefined;
  const headers = (): WireHeader[] => {
    if (user.token) return [{ name: 'Authorization', value: `Bearer ${user.token}` }];
    if (tokenFile) return [{ name: 'Authorization', value: `Bearer ${tokenFile()}` }];
    if (user.username !== undefined)
      return [
        {
          name: 'Authorization',
          value: `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`,
        },
      ];
    return [];
  };
  return {
    url: cluster.server,
    caPem,
    tlsServerName: cluster['tls-server-name'],
    insecure: cluster['insecure-skip-tls-verify'] === true,
    cert: user['client-certificate-data']
      ? fromBase64(user['client-certificate-data'])
      : user['client-certificate']
        ? readFileSync(user['client-certificate'], 'utf8')
        : undefined,
    key: user['client-key-data']
      ? fromBase64(user['client-key-data'])
      : user['client-key']
        ? readFileSync(user['client-key'], 'utf8')
        : undefined,
    headers,
  };
}

function credentialHeadersFor(credentials: TargetCredentials | undefined, key: string): () => WireHeader[] {
  if (!credentials || credentials.type === 'none') return () => [];
  if (credentials.type === 'basic') {
    const value = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    return () => [{ name: 'Authorization', value }];
  }
  if (credentials.type === 'bearer') {
    if (credentials.token) {
      const value = `Bearer ${credentials.token}`;
      return () => [{ name: 'Authorization', value }];
    }
    if (credentials.tokenFile) {
      const read = rotatingFile(credentials.tokenFile);
      return () => [{ name: 'Authorization', value: `Bearer ${read()}` }];
    }
    throw new ServiceConfigError(`${key}.credentials`, 'bearer credentials need token or tokenFile');
  }
  throw new ServiceConfigError(`${key}.credentials.type`, 'must be none, basic or bearer');
}

/** Builds a target from one service entry; `index` names the entry in errors. */
export function createTarget(service: ServiceConfig, index: number): Target {
  const key = `services[${index}]`;
  if (!service.name) throw new ServiceConfigError(`${key}.name`, 'is required');
  if (!service.type) throw new ServiceConfigError(`${key}.type`, 'is required');
  let urlText = service.url;
  let caPem = service.caPem ?? (service.caFile ? readFileSync(service.caFile, 'utf8') : undefined);
  let insecure = service.insecureSkipVerify === true;
  let clientCert: string | undefined;
  let clientKey: string | undefined;
  let tlsServerName: string | undefined;
  let headers = credentialHeadersFor(service.credentials, key);
  if (service.type === 'kubernetes' && service.kubeconfig) {
    const resolved = resolveKubeconfig(service, key);
    urlText = resolved.url;
    caPem = resolved.caPem ?? caPem;
    insecure = resolved.insecure;
    clientCert = resolved.cert;
    clientKey = resolved.key;
    tlsServerName = resolved.tlsServerName;
    headers = resolved.headers;
  }
  if (!urlText) throw new ServiceConfigError(`${key}.url`, 'is required (or kubeconfig for kubernetes)');
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new ServiceConfigError(`${key}.url`, `is not a URL: ${urlText}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ServiceConfigError(`${key}.url`, 'must be http or https');
  const tls =
    url.protocol === 'https:'
      ? { ca: caPem, rejectUnauthorized: !insecure, cert: clientCert, key: clientKey, servername: tlsServerName }
      : {};
  const Agent = url.protocol === 'https:' ? https.Agent : http.Agent;
  const agent = new Agent({
    keepAlive: true,
    maxSockets: service.maxSockets ?? Infinity,
    maxFreeSockets: 32,
    scheduling: 'lifo',
    ...tls,
  });
  const upgradeAgent = new Agent({ keepAlive: false, ...tls });
  return {
    type: service.type,
    name: service.name,
    annotations: service.annotations ?? {},
    url,
    agent,
    upgradeAgent,
    credentialHeaders: headers,
    close: () => {
      agent.destroy();
      upgradeAgent.destroy();
    },
  };
}
