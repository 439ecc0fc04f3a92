import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { DEFAULT_CIPHERS } from 'node:tls';
import { createLogger, type Logger } from '@isd/kit';
import { identityOfCertificate, normalizeSerial, type Credentials, type IssueOptions } from './pki';
import type { TokenKeys } from './jwt';
import { createControllerMetrics, type ControllerMetrics } from './metrics';
import { SessionRegistry, type AgentSessionSummary } from './sessions';
import type { ForwardContext } from './forward';
import { CredentialIssuer, type KubectlComponents } from './issuer';
import { loadOrCreateSecrets } from './persistent-state';
import { openRevocationStore } from './revocation-store';
import { HANDSHAKE_TIMEOUT_MS, startAgentEndpoint } from './agent-endpoint';
import { AgentAdmission, DEFAULT_AGENT_LIMITS, type AgentLimits } from './agent-limits';
import {
  DEFAULT_UNAUTHENTICATED_CONNECTION_LIMITS,
  limitListenerConnections,
  type UnauthenticatedConnectionLimits,
} from './unauthenticated-connections';
import { ServiceAuthenticator, startServiceEndpoint } from './service-endpoint';
import { createControlApi, createControllerApp } from './control-api';

export { CONTROL_TOKEN_AUDIENCE, SERVICE_TOKEN_AUDIENCE } from './issuer';
export type { KubectlComponents } from './issuer';

/** Controller settings; every field has a default, and every port may be 0 (ephemeral). */
export interface ControllerConfig {
  /** Bind address of all listeners. */
  host?: string;
  agentPort?: number;
  servicePort?: number;
  controlPort?: number;
  metricsPort?: number;
  /** DNS names / IPs written into the controller's own TLS certificates. */
  serverNames?: string[];
  /** Advertised service URL for kubeconfigs; defaults to https://<first server name>:<bound service port>. */
  serviceUrl?: string;
  /** Advertised host:port agents dial, written into agent manifests. */
  agentAdvertiseAddress?: string;
  /** A provided CA (PEM); otherwise the one in `dataDir`, or a generated one. */
  ca?: { certPem: string; keyPem: string };
  /** HS256 keys for service and control tokens; otherwise the ones in `dataDir`, or generated ones. */
  tokenKeys?: TokenKeys;
  /**
   * Directory keeping the generated CA, token keys and revocation list across restarts. Without it (and
   * without `ca` and `tokenKeys`) a restart makes a new CA: every agent and credential must be re-issued.
   */
  dataDir?: string;
  /** Which oes-birger response shape the CNC API returns: v3 `cert` or v5 `token`. */
  credentialShape?: 'cert' | 'token';
  agentCertLifetimeMs?: number;
  serviceCertLifetimeMs?: number;
  tokenLifetimeMs?: number;
  maxRequestBodyBytes?: number;
  /** How long a request waits for an idle tunnel stream before 503. */
  streamWaitMs?: number;
  /** What one agent (and all agents) may hold on the agent endpoint; unset keys keep their defaults. */
  agentLimits?: Partial<AgentLimits>;
  /** Connections not yet authenticated each TLS listener holds (total and per source); unset keys keep their defaults. */
  unauthenticatedConnections?: Partial<UnauthenticatedConnectionLimits>;
  pingIntervalMs?: number;
  /** How long in-flight exchanges may finish during stop(). */
  drainTimeoutMs?: number;
  agentImage?: string;
  /** Serials (hex) revoked from the start, e.g. from configuration shared by replicas. */
  revokedSerials?: string[];
  /**
   * Postgres keeping the revocation list every replica shares (revocation-store.ts). Start-up fails
   * when it cannot be read; later outages keep the last known list.
   */
  database?: { url: string; refreshIntervalMs?: number };
  version?: string;
  /** Adds Node process metrics to the registry (once per process). */
  processMetrics?: boolean;
  /** Where the controller logs; silent when absent. */
  logger?: Logger;
}

export type { Credentials, IssueOptions };

/** A started controller. */
export interface RunningController {
  agentUrl: string;
  serviceUrl: string;
  controlUrl: string;
  metricsUrl: string;
  ca: { certPem: string };
  metrics: ControllerMetrics;
  /**
   * A control token made at start because this start created the token keys (first start with a fresh
   * `dataDir`, or no `dataDir`): the only way in to the control API until other credentials are issued.
   * main.ts prints it once.
   */
  bootstrapControlToken?: string;
  issueAgentCredentials(agentName: string, options?: IssueOptions): Promise<Credentials>;
  issueServiceCredentials(
    agentName: string,
    serviceType: string,
    serviceName: string,
    options?: IssueOptions,
  ): Promise<Credentials>;
  issueServiceToken(
    agentName: string,
    serviceType: string,
    serviceName: string,
    options?: { lifetimeMs?: number },
  ): Promise<string>;
  issueControlCredentials(name: string): Promise<Credentials & { token: string }>;
  generateKubectlComponents(
    agentName: string,
    serviceName: string,
    options?: { shape?: 'cert' | 'token'; serviceType?: string },
  ): Promise<KubectlComponents>;
  generateAgentManifest(
    agentName: string,
    options?: { namespace?: string },
  ): Promise<{ manifest: string } & Credentials>;
  /** Revokes at once on this replica; resolves once stored for every replica (rejects if it cannot be). */
  revoke(certPemOrSerial: string): Promise<string>;
  agents(): AgentSessionSummary[];
  stop(): Promise<void>;
}

const HOUR_MS = 60 * 60 * 1000;

/**
 * Node's cipher list with TLS_AES_128_GCM_SHA256 first, for the HTTPS endpoints (a Node TLS server
 * picks by its own order): every byte a caller sends or receives is encrypted here, and AES-128-GCM
 * costs ~6 % less CPU per byte than Node's default AES-256-GCM (`openssl speed`, 16 KiB records).
 * Both are TLS 1.3 AEADs; nothing weaker is added. The agent endpoint (gRPC and lanes) uses the same list.
 */
export const PREFERRED_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  ...DEFAULT_CIPHERS.split(':').filter((cipher) => cipher !== 'TLS_AES_128_GCM_SHA256'),
].join(':');

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the controller's four listeners: the agent gRPC endpoint (agent-endpoint.ts), the service
 * HTTPS endpoint that forwards callers through the tunnel (service-endpoint.ts), the control API
 * (control-api.ts) and the metrics/health port.
 */
export async function startController(config: ControllerConfig = {}): Promise<RunningController> {
  const host = config.host ?? '0.0.0.0';
  const serverNames = config.serverNames ?? ['localhost', '127.0.0.1'];
  const version = config.version ?? '0.1.0';
  const logger = config.logger ?? createLogger({ name: 'isd-controller', level: 'silent' });
  const secrets = await loadOrCreateSecrets({ dataDir: config.dataDir, ca: config.ca, tokenKeys: config.tokenKeys });
  const { ca, tokenKeys } = secrets;
  for (const serial of config.revokedSerials ?? []) ca.revoke(serial);
  const agentCertLifetimeMs = config.agentCertLifetimeMs ?? 7 * 24 * HOUR_MS;
  const metrics = createControllerMetrics(config.processMetrics ?? false);
  // The shared list is read whole before any listener opens: no replica serves a revoked certificate.
  // The server certificate's key is generated on the thread pool meanwhile.
  const [revocations, serverCertificate] = await Promise.all([
    config.database
      ? openRevocationStore({
          url: config.database.url,
          refreshIntervalMs: config.database.refreshIntervalMs ?? 10_000,
          logger,
          onSynced: () => metrics.revocationsSynced.setToCurrentTime(),
        })
      : undefined,
    ca.issue(
      { purpose: 'server', name: serverNames[0] ?? 'localhost' },
      { dnsNames: serverNames, lifetimeMs: 365 * 24 * HOUR_MS },
    ),
  ]);
  for (const serial of revocations?.initial ?? []) ca.revoke(serial);
  if (revocations?.initial.length) secrets.saveRevocations();
  const registry = new SessionRegistry();
  let draining = false;
  const unauthenticatedConnections = {
    ...DEFAULT_UNAUTHENTICATED_CONNECTION_LIMITS,
    ...config.unauthenticatedConnections,
  };

  const agentEndpoint = await startAgentEndpoint({
    host,
    port: config.agentPort ?? 9001,
    ca,
    serverCertificate,
    ciphers: PREFERRED_CIPHERS,
    tunnel: {
      ca,
      registry,
      metrics,
      admission: new AgentAdmission({ ...DEFAULT_AGENT_LIMITS, ...config.agentLimits }, metrics),
      controllerId: randomUUID(),
      pingIntervalMs: config.pingIntervalMs ?? 10_000,
      helloTimeoutMs: 10_000,
      agentCertLifetimeMs,
      isDraining: () => draining,
      log: (level, message, fields) => logger[level](fields ?? {}, message),
    },
    unauthenticatedConnections,
  });

  const forward: ForwardContext = {
    registry,
    metrics,
    maxRequestBodyBytes: config.maxRequestBodyBytes ?? 256 * 1024 * 1024,
    streamWaitMs: config.streamWaitMs ?? 5_000,
    isDraining: () => draining,
    inFlight: { count: 0 },
  };
  const tls = {
    key: serverCertificate.keyPem,
    cert: serverCertificate.certPem,
    ca: [ca.certPem],
    // Client certificates of our CA are asked for; callers with a token instead need none.
    requestCert: true,
    rejectUnauthorized: false,
    ciphers: PREFERRED_CIPHERS,
    honorCipherOrder: true,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  };
  const serviceEndpoint = await startServiceEndpoint({
    host,
    port: config.servicePort ?? 9002,
    tls,
    authenticator: new ServiceAuthenticator(ca, tokenKeys),
    forward,
    unauthenticatedConnections,
  });
  const advertisedHost = urlHost(serverNames[0] ?? '127.0.0.1');
  const issuer = new CredentialIssuer({
    ca,
    tokenKeys,
    shape: config.credentialShape ?? 'cert',
    agentCertLifetimeMs,
    serviceCertLifetimeMs: config.serviceCertLifetimeMs ?? 30 * 24 * HOUR_MS,
    tokenLifetimeMs: config.tokenLifetimeMs ?? 30 * 24 * HOUR_MS,
    serviceUrl: config.serviceUrl ?? `https://${advertisedHost}:${serviceEndpoint.port}`,
    agentAdvertiseAddress: config.agentAdvertiseAddress ?? `${advertisedHost}:${agentEndpoint.port}`,
    serverName: serverNames[0] ?? 'localhost',
    agentImage: config.agentImage ?? 'isd/agent:latest',
  });

  const agents = (): AgentSessionSummary[] => registry.all().map((session) => session.summary());
  /** Ends every agent session that authenticated with the serial, or with a certificate of that line. */
  function terminateSessions(serial: string): void {
    for (const session of registry.all()) {
      if (normalizeSerial(session.certificateSerial) === serial || session.certificateLineage === serial)
        session.terminate('certificate revoked');
    }
  }
  /** The line of renewals a revoked certificate belongs to: from its PEM, or from a session it opened here. */
  function lineageOf(certPemOrSerial: string, serial: string): string | undefined {
    if (certPemOrSerial.includes('BEGIN CERTIFICATE')) {
      const identity = identityOfCertificate(certPemOrSerial);
      return identity?.purpose === 'agent' ? identity.lineage : undefined;
    }
    return registry.all().find((session) => normalizeSerial(session.certificateSerial) === serial)?.certificateLineage;
  }
  /**
   * Revokes a certificate here at once (kept in `dataDir`), ends its sessions, then stores it for every
   * replica. If storing fails this replica still refuses it, and the caller gets an error to retry.
   */
  async function revoke(certPemOrSerial: string): Promise<string> {
    const serial = ca.revoke(certPemOrSerial);
    const lineage = lineageOf(certPemOrSerial, serial);
    // Revoking one certificate of an agent revokes its whole line: earlier and later renewals alike.
    if (lineage !== undefined && lineage !== serial) ca.revoke(lineage);
    secrets.saveRevocations();
    terminateSessions(serial);
    if (lineage !== undefined) terminateSessions(lineage);
    await revocations?.add(serial);
    if (lineage !== undefined && lineage !== serial) await revocations?.add(lineage);
    return serial;
  }
  /** A serial another replica (or this one) stored: refused from now on, exactly like a local revoke. */
  revocations?.follow((serial) => {
    if (ca.isRevoked(serial)) return;
    ca.revoke(serial);
    secrets.saveRevocations();
    terminateSessions(normalizeSerial(serial));
    logger.info({ serial }, 'certificate revoked by another replica');
  });
  const readiness = async () => ({
    ready: !draining,
    checks: { serving: !draining, agentsConnected: registry.all().length > 0 },
  });
  const appDependencies = { version, logger, registry: metrics.registry, readiness };

  let controlUrl = '';
  const controlServer = await createControlApi({
    ...appDependencies,
    ca,
    tokenKeys,
    issuer,
    shape: config.credentialShape ?? 'cert',
    controlUrl: () => controlUrl,
    agents,
    revoke,
  }).listen(config.controlPort ?? 9003, host, { tls });
  limitListenerConnections(controlServer, 'control', unauthenticatedConnections, metrics);
  controlUrl = `https://${advertisedHost}:${(controlServer.address() as { port: number }).port}`;

  const metricsServer = await createControllerApp(appDependencies, 'ISD tunnel controller health').listen(
    config.metricsPort ?? 9102,
    host,
  );
  const loopbackHost = urlHost(host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);

  let stopped: Promise<void> | undefined;
  async function stop(): Promise<void> {
    draining = true;
    const drainTimeoutMs = config.drainTimeoutMs ?? 5_000;
    for (const session of registry.all()) session.drain(drainTimeoutMs);
    // Agents reconnect elsewhere; in-flight exchanges get until the deadline.
    const deadline = Date.now() + drainTimeoutMs;
    while (Date.now() < deadline && forward.inFlight.count > 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    agentEndpoint.forceShutdown();
    await Promise.all([close(serviceEndpoint.server), close(controlServer), close(metricsServer)]);
    await revocations?.close();
  }

  return {
    agentUrl: `${loopbackHost}:${agentEndpoint.port}`,
    serviceUrl: issuer.serviceUrl,
    controlUrl,
    metricsUrl: `http://${loopbackHost}:${(metricsServer.address() as { port: number }).port}`,
    ca: { certPem: ca.certPem },
    metrics,
    bootstrapControlToken: secrets.createdTokenKeys ? await issuer.controlToken('bootstrap') : undefined,
    issueAgentCredentials: (agentName, options) => issuer.agentCredentials(agentName, options),
    issueServiceCredentials: (agentName, type, name, options) =>
      issuer.serviceCredentials(agentName, type, name, options),
    issueServiceToken: (agentName, type, name, options) => issuer.serviceToken(agentName, type, name, options),
    issueControlCredentials: (name) => issuer.controlCredentials(name),
    generateKubectlComponents: (agentName, serviceName, options) =>
      issuer.kubectlComponents(agentName, serviceName, options),
    generateAgentManifest: (agentName, options) => issuer.agentManifest(agentName, options),
    revoke,
    agents,
    stop: () => (stopped ??= stop()),
  };
}
