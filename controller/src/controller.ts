import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { DEFAULT_CIPHERS, type TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import {
  CertificateAuthority,
  checkName,
  identityFromSubject,
  InvalidNameError,
  normalizeSerial,
  type Credentials,
  type IssueOptions,
} from './pki';
import { generateTokenKeys, signToken, TokenError, verifyToken, type TokenKeys } from './jwt';
import { createControllerMetrics, type ControllerMetrics } from './metrics';
import { loadTunnelDefinition } from '@isd/tunnel-proto';
import { SessionRegistry, type AgentSessionSummary } from './sessions';
import { createTunnelHandlers } from './tunnel-service';
import { forwardRequest, forwardUpgrade, type ForwardContext, type Route } from './forward';
import { renderAgentManifest, renderKubeconfig } from './manifests';

/** Audience of tokens that reach agent services through the service endpoint. */
export const SERVICE_TOKEN_AUDIENCE = 'isd-tunnel-service';
/** Audience of tokens for the control (CNC) API. */
export const CONTROL_TOKEN_AUDIENCE = 'isd-tunnel-control';

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
  /** A provided CA (PEM); a fresh one is generated otherwise. */
  ca?: { certPem: string; keyPem: string };
  /** HS256 keys for service and control tokens; random when absent (tokens then die with the process). */
  tokenKeys?: TokenKeys;
  /** Which oes-birger response shape the CNC API returns: v3 `cert` or v5 `token`. */
  credentialShape?: 'cert' | 'token';
  agentCertLifetimeMs?: number;
  serviceCertLifetimeMs?: number;
  tokenLifetimeMs?: number;
  maxRequestBodyBytes?: number;
  /** How long a request waits for an idle tunnel stream before 503. */
  streamWaitMs?: number;
  pingIntervalMs?: number;
  /** How long in-flight exchanges may finish during stop(). */
  drainTimeoutMs?: number;
  agentImage?: string;
  /** Serials (hex) revoked from the start, e.g. from configuration shared by replicas. */
  revokedSerials?: string[];
  version?: string;
  /** Adds Node process metrics to the registry (once per process). */
  processMetrics?: boolean;
  log?: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

/** Response of generateKubectlComponents (both oes-birger shapes plus a rendered kubeconfig). */
export interface KubectlComponents {
  agentName: string;
  name: string;
  serverUrl: string;
  caCert: string;
  userCertificate?: string;
  userKey?: string;
  token?: string;
  kubeconfig: string;
}

/** A started controller. */
export interface RunningController {
  agentUrl: string;
  serviceUrl: string;
  controlUrl: string;
  metricsUrl: string;
  ca: { certPem: string };
  metrics: ControllerMetrics;
  issueAgentCredentials(agentName: string, options?: IssueOptions): Credentials;
  issueServiceCredentials(
    agentName: string,
    serviceType: string,
    serviceName: string,
    options?: IssueOptions,
  ): Credentials;
  issueServiceToken(
    agentName: string,
    serviceType: string,
    serviceName: string,
    options?: { lifetimeMs?: number },
  ): string;
  issueControlCredentials(name: string): Credentials & { token: string };
  generateKubectlComponents(
    agentName: string,
    serviceName: string,
    options?: { shape?: 'cert' | 'token'; serviceType?: string },
  ): KubectlComponents;
  generateAgentManifest(agentName: string, options?: { namespace?: string }): { manifest: string } & Credentials;
  revoke(certPemOrSerial: string): string;
  agents(): AgentSessionSummary[];
  stop(): Promise<void>;
}

const HOUR_MS = 60 * 60 * 1000;
/** Per-stream HTTP/2 receive window: 64 KiB (the default) caps one stream at a few tens of MB/s. */
const STREAM_WINDOW_BYTES = 1024 * 1024;
/** Connection receive window shared by all streams of one agent. */
const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;

/**
 * Node's cipher list with TLS_AES_128_GCM_SHA256 first, for the HTTPS endpoints (a Node TLS server
 * picks by its own order): every byte a caller sends or receives is encrypted here, and AES-128-GCM
 * costs ~6 % less CPU per byte than Node's default AES-256-GCM (`openssl speed`, 16 KiB records).
 * Both are TLS 1.3 AEADs; nothing weaker is added. The agent hop keeps grpc-js's defaults, which
 * offer no cipher option on the server.
 */
export const PREFERRED_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  ...DEFAULT_CIPHERS.split(':').filter((cipher) => cipher !== 'TLS_AES_128_GCM_SHA256'),
].join(':');

interface GrpcServerInternals {
  commonServerOptions?: { settings?: http2.Settings };
  http2Servers?: Map<http2.Http2SecureServer, unknown>;
}

/**
 * grpc-js exposes the receive window only on the client (`grpc-node.flow_control_window`); the
 * server keeps HTTP/2's 64 KiB defaults, which makes agent→controller (download) throughput a
 * tenth of direct. We set the same windows on the server through its session settings.
 */
function raiseFlowControlWindows(server: grpc.Server): void {
  const internals = server as unknown as GrpcServerInternals;
  if (!internals.commonServerOptions) return;
  internals.commonServerOptions.settings = {
    ...internals.commonServerOptions.settings,
    initialWindowSize: STREAM_WINDOW_BYTES,
  };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req: http.IncomingMessage, maxBytes = 64 * 1024): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new InputError('body', `body exceeds ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          return reject(new InputError('body', 'body must be a JSON object'));
        resolve(parsed as Record<string, unknown>);
      } catch {
        reject(new InputError('body', 'body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** Bad CNC input; carries the field name for the 400 message. */
class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Extracts a bearer / X-Opsmx-Token / basic-auth-password token. */
function tokenFrom(req: http.IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  const opsmx = req.headers['x-opsmx-token'];
  return typeof opsmx === 'string' ? opsmx : undefined;
}

/** Starts the agent gRPC endpoint, the service HTTPS endpoint, the control API and the metrics server. */
export async function startController(config: ControllerConfig = {}): Promise<RunningController> {
  const host = config.host ?? '0.0.0.0';
  const serverNames = config.serverNames ?? ['localhost', '127.0.0.1'];
  const ca = config.ca
    ? CertificateAuthority.fromPem(config.ca.certPem, config.ca.keyPem)
    : CertificateAuthority.generate();
  for (const serial of config.revokedSerials ?? []) ca.revoke(serial);
  const tokenKeys = config.tokenKeys ?? generateTokenKeys();
  const shape = config.credentialShape ?? 'cert';
  const agentCertLifetimeMs = config.agentCertLifetimeMs ?? 7 * 24 * HOUR_MS;
  const serviceCertLifetimeMs = config.serviceCertLifetimeMs ?? 30 * 24 * HOUR_MS;
  const tokenLifetimeMs = config.tokenLifetimeMs ?? 30 * 24 * HOUR_MS;
  const metrics = createControllerMetrics(config.processMetrics ?? false);
  const registry = new SessionRegistry();
  const controllerId = randomUUID();
  const log = config.log ?? (() => undefined);
  const serverCert = ca.issue(
    { purpose: 'server', name: serverNames[0] ?? 'localhost' },
    { dnsNames: serverNames, lifetimeMs: 365 * 24 * HOUR_MS },
  );
  let draining = false;

  // Agent endpoint: mutual TLS is enforced in the handshake (our CA only, not expired).
  const grpcServer = new grpc.Server({
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1_000,
    'grpc.max_receive_message_length': 8 * 1024 * 1024,
  });
  grpcServer.addService(
    loadTunnelDefinition(),
    createTunnelHandlers({
      ca,
      registry,
      metrics,
      controllerId,
      pingIntervalMs: config.pingIntervalMs ?? 10_000,
      helloTimeoutMs: 10_000,
      agentCertLifetimeMs,
      isDraining: () => draining,
      log,
    }),
  );
  raiseFlowControlWindows(grpcServer);
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(ca.certPem),
    [{ cert_chain: Buffer.from(serverCert.certPem), private_key: Buffer.from(serverCert.keyPem) }],
    true,
  );
  const agentPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(`${urlHost(host)}:${config.agentPort ?? 9001}`, credentials, (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );

  for (const http2Server of (grpcServer as unknown as GrpcServerInternals).http2Servers?.keys() ?? []) {
    http2Server.on('session', (session) => session.setLocalWindowSize(CONNECTION_WINDOW_BYTES));
    // Small frames (request heads, WINDOW_UPDATEs, watch events) must not wait for Nagle's algorithm;
    // the grpc-js client sets this on its side, the server does not.
    http2Server.on('connection', (socket: Socket) => socket.setNoDelay(true));
  }

  const forwardContext: ForwardContext = {
    registry,
    metrics,
    maxRequestBodyBytes: config.maxRequestBodyBytes ?? 256 * 1024 * 1024,
    streamWaitMs: config.streamWaitMs ?? 5_000,
    isDraining: () => draining,
    inFlight: { count: 0 },
  };

  /** Route from the caller's client certificate, else from its token. */
  // getPeerCertificate costs ~0.3 ms; a keep-alive connection keeps its certificate, so decode it once.
  const certificateRoutes = new WeakMap<
    TLSSocket,
    { route?: Route; serial: string; refusal?: { status: number; message: string } } | null
  >();
  function certificateRoute(
    socket: TLSSocket,
  ): { route?: Route; serial: string; refusal?: { status: number; message: string } } | null {
    let cached = certificateRoutes.get(socket);
    if (cached !== undefined) return cached;
    const peer = socket.getPeerCertificate();
    if (!peer || Object.keys(peer).length === 0) cached = null;
    else if (!socket.authorized)
      cached = {
        serial: peer.serialNumber,
        refusal: { status: 401, message: `client certificate refused: ${String(socket.authorizationError)}` },
      };
    else {
      const identity = identityFromSubject(peer.subject);
      cached =
        identity?.purpose === 'service'
          ? { serial: peer.serialNumber, route: { agent: identity.agent, type: identity.type, name: identity.name } }
          : {
              serial: peer.serialNumber,
              refusal: { status: 403, message: 'client certificate is not a service certificate' },
            };
    }
    certificateRoutes.set(socket, cached);
    return cached;
  }

  function authenticateService(req: http.IncomingMessage): Route | { status: number; message: string } {
    const fromCertificate = certificateRoute(req.socket as TLSSocket);
    if (fromCertificate) {
      if (fromCertificate.refusal) return fromCertificate.refusal;
      // Revocation is checked on every request, so revoking cuts keep-alive connections off too.
      if (ca.isRevoked(fromCertificate.serial)) return { status: 401, message: 'client certificate is revoked' };
      if (fromCertificate.route) return fromCertificate.route;
    }
    const token = tokenFrom(req);
    if (!token)
      return {
        status: 401,
        message: 'a client certificate or a token (Authorization: Bearer, X-Opsmx-Token) is required',
      };
    try {
      const claims = verifyToken(tokenKeys, token, SERVICE_TOKEN_AUDIENCE);
      if (typeof claims.a !== 'string' || typeof claims.t !== 'string' || typeof claims.n !== 'string')
        return { status: 401, message: 'token must carry a, t and n claims' };
      return { agent: claims.a, type: claims.t, name: claims.n };
    } catch (error) {
      return { status: 401, message: error instanceof TokenError ? error.message : 'token refused' };
    }
  }

  const tlsOptions = {
    key: serverCert.keyPem,
    cert: serverCert.certPem,
    ca: [ca.certPem],
    requestCert: true,
    rejectUnauthorized: false,
    ciphers: PREFERRED_CIPHERS,
    honorCipherOrder: true,
  };
  // No request, header or keep-alive timeouts: watches and logs -f last as long as the client wants.
  const serviceServer = https.createServer({
    ...tlsOptions,
    requestTimeout: 0,
    headersTimeout: 60_000,
    keepAliveTimeout: 60_000,
  });
  serviceServer.timeout = 0;
  serviceServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const route = authenticateService(req);
    if ('status' in route) {
      metrics.refusedStreams.inc({ reason: 'caller-auth' });
      sendJson(res, route.status, { error: route.message, status: route.status });
      return;
    }
    void forwardRequest(forwardContext, route, req, res);
  });
  serviceServer.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => {
    const route = authenticateService(req);
    if ('status' in route) {
      metrics.refusedStreams.inc({ reason: 'caller-auth' });
      const body = JSON.stringify({ error: route.message, status: route.status });
      socket.end(
        `HTTP/1.1 ${route.status} Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    void forwardUpgrade(forwardContext, route, req, socket, head);
  });
  const servicePort = await listen(serviceServer, config.servicePort ?? 9002, host);
  const serviceUrl = config.serviceUrl ?? `https://${urlHost(serverNames[0] ?? '127.0.0.1')}:${servicePort}`;

  const agentAdvertiseAddress =
    config.agentAdvertiseAddress ?? `${urlHost(serverNames[0] ?? '127.0.0.1')}:${agentPort}`;

  const issueAgentCredentials = (agentName: string, options: IssueOptions = {}): Credentials =>
    ca.issue(
      { purpose: 'agent', agent: checkName('agentName', agentName) },
      { lifetimeMs: agentCertLifetimeMs, ...options },
    );
  const issueServiceCredentials = (
    agentName: string,
    type: string,
    name: string,
    options: IssueOptions = {},
  ): Credentials =>
    ca.issue(
      {
        purpose: 'service',
        agent: checkName('agentName', agentName),
        type: checkName('type', type),
        name: checkName('name', name),
      },
      { lifetimeMs: serviceCertLifetimeMs, ...options },
    );
  const issueServiceToken = (
    agentName: string,
    type: string,
    name: string,
    options: { lifetimeMs?: number } = {},
  ): string =>
    signToken(
      tokenKeys,
      {
        aud: SERVICE_TOKEN_AUDIENCE,
        a: checkName('agentName', agentName),
        t: checkName('type', type),
        n: checkName('name', name),
      },
      options.lifetimeMs ?? tokenLifetimeMs,
    );
  const issueControlCredentials = (name: string): Credentials & { token: string } => ({
    ...ca.issue({ purpose: 'control', name: checkName('name', name) }, { lifetimeMs: serviceCertLifetimeMs }),
    token: signToken(tokenKeys, { aud: CONTROL_TOKEN_AUDIENCE, n: name }, tokenLifetimeMs),
  });
  const b64 = (text: string): string => Buffer.from(text).toString('base64');

  function generateKubectlComponents(
    agentName: string,
    serviceName: string,
    options: { shape?: 'cert' | 'token'; serviceType?: string } = {},
  ): KubectlComponents {
    const type = options.serviceType ?? 'kubernetes';
    if ((options.shape ?? shape) === 'token') {
      const token = issueServiceToken(agentName, type, serviceName);
      return {
        agentName,
        name: serviceName,
        serverUrl: serviceUrl,
        caCert: b64(ca.certPem),
        token,
        kubeconfig: renderKubeconfig({
          agentName,
          serviceName,
          serverUrl: serviceUrl,
          caPem: ca.certPem,
          user: { token },
        }),
      };
    }
    const user = issueServiceCredentials(agentName, type, serviceName);
    return {
      agentName,
      name: serviceName,
      serverUrl: serviceUrl,
      caCert: b64(ca.certPem),
      userCertificate: b64(user.certPem),
      userKey: b64(user.keyPem),
      kubeconfig: renderKubeconfig({ agentName, serviceName, serverUrl: serviceUrl, caPem: ca.certPem, user }),
    };
  }

  function generateAgentManifest(
    agentName: string,
    options: { namespace?: string } = {},
  ): { manifest: string } & Credentials {
    const credentials = issueAgentCredentials(agentName);
    const manifest = renderAgentManifest({
      agentName,
      namespace: options.namespace ?? 'isd-agent',
      image: config.agentImage ?? 'isd/agent:latest',
      controllerAddress: agentAdvertiseAddress,
      serverName: serverNames[0] ?? 'localhost',
      ...credentials,
    });
    return { manifest, ...credentials };
  }

  const agents = (): AgentSessionSummary[] => registry.all().map((session) => session.summary());

  /** Revokes a certificate and ends any agent session that authenticated with it. */
  function revoke(certPemOrSerial: string): string {
    const serial = ca.revoke(certPemOrSerial);
    for (const session of registry.all()) {
      if (normalizeSerial(session.certificateSerial) === serial) session.terminate('certificate revoked');
    }
    return serial;
  }

  // Control (CNC) API, oes-birger paths and JSON fields.
  function authenticateControl(req: http.IncomingMessage): string | undefined {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    if (peer && Object.keys(peer).length > 0) {
      const identity = identityFromSubject(peer.subject);
      if (socket.authorized && identity?.purpose === 'control' && !ca.isRevoked(peer.serialNumber))
        return identity.name;
      return undefined;
    }
    const token = tokenFrom(req);
    if (!token) return undefined;
    try {
      const claims = verifyToken(tokenKeys, token, CONTROL_TOKEN_AUDIENCE);
      return typeof claims.n === 'string' ? claims.n : undefined;
    } catch {
      return undefined;
    }
  }

  const field = (body: Record<string, unknown>, name: string, legacyName?: string): string => {
    const value = body[name] ?? (legacyName ? body[legacyName] : undefined);
    if (typeof value !== 'string' || value === '')
      throw new InputError(name, `${name} is required and must be a non-empty string`);
    return checkName(name, value);
  };

  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!authenticateControl(req))
      return sendJson(res, 401, { error: 'a control certificate or control token is required', status: 401 });
    const path = (req.url ?? '/').split('?')[0];
    const requireMethod = (method: string): boolean => {
      if (req.method === method) return true;
      sendJson(res, 405, { error: `${path} expects ${method}`, status: 405 });
      return false;
    };
    switch (path) {
      case '/api/v1/generateKubectlComponents': {
        if (!requireMethod('POST')) return;
        const body = await readJson(req);
        const components = generateKubectlComponents(field(body, 'agentName'), field(body, 'name'));
        return sendJson(res, 200, components);
      }
      case '/api/v1/generateAgentManifestComponents': {
        if (!requireMethod('POST')) return;
        const body = await readJson(req);
        const agentName = field(body, 'agentName');
        const namespace = typeof body.namespace === 'string' ? checkName('namespace', body.namespace) : undefined;
        const generated = generateAgentManifest(agentName, { namespace });
        const [serverHostname, serverPort] = [
          agentAdvertiseAddress.replace(/:\d+$/, ''),
          Number(agentAdvertiseAddress.split(':').pop()),
        ];
        // Agents always authenticate with certificates (never a bearer token), in both shapes.
        return sendJson(res, 200, {
          agentName,
          serverHostname,
          serverPort,
          agentVersion: config.version ?? '0.1.0',
          agentCertificate: b64(generated.certPem),
          agentKey: b64(generated.keyPem),
          caCert: b64(generated.caPem),
          manifest: generated.manifest,
        });
      }
      case '/api/v1/generateServiceCredentials': {
        if (!requireMethod('POST')) return;
        const body = await readJson(req);
        const agentName = field(body, 'agentName');
        const type = field(body, 'type', 'Type');
        const name = field(body, 'name', 'Name');
        const token = issueServiceToken(agentName, type, name);
        return sendJson(res, 200, {
          agentName,
          name,
          type,
          credentialType: 'basic',
          credential: { username: `${name}.${agentName}`, password: token },
          url: serviceUrl,
          ...(shape === 'cert' ? { caCert: b64(ca.certPem) } : {}),
        });
      }
      case '/api/v1/generateControlCredentials': {
        if (!requireMethod('POST')) return;
        const body = await readJson(req);
        const name = field(body, 'name');
        const issued = issueControlCredentials(name);
        const url = controlUrl;
        return sendJson(
          res,
          200,
          shape === 'token'
            ? { name, url, token: issued.token }
            : {
                name,
                url,
                userCertificate: b64(issued.certPem),
                userKey: b64(issued.keyPem),
                caCert: b64(issued.caPem),
              },
        );
      }
      case '/api/v1/getAgentStatistics': {
        if (!requireMethod('GET')) return;
        return sendJson(res, 200, {
          serverTime: Date.now(),
          version: config.version ?? '0.1.0',
          connectedAgents: agents().map((session) => ({
            name: session.agentName,
            session: session.sessionId,
            agentId: session.agentName,
            sessionId: session.sessionId,
            endpoints: session.endpoints.map((endpoint) => ({
              type: endpoint.type,
              name: endpoint.name,
              configured: true,
              annotations: endpoint.annotations,
            })),
            hostname: session.hostname,
            version: session.agentVersion,
            connectedAt: session.connectedAt,
            lastPing: session.lastPingAt,
            agentInfo: { annotations: session.annotations },
            outstandingRequests: session.outstanding,
          })),
        });
      }
      case '/api/v1/revokeCertificate': {
        if (!requireMethod('POST')) return;
        const body = await readJson(req);
        const value = body.certificate ?? body.serial;
        if (typeof value !== 'string' || value === '')
          throw new InputError('certificate', 'certificate (PEM) or serial is required');
        return sendJson(res, 200, { revoked: revoke(value) });
      }
      default:
        return sendJson(res, 404, { error: `no control endpoint ${path}`, status: 404 });
    }
  }

  const controlServer = https.createServer(tlsOptions, (req, res) => {
    handleControl(req, res).catch((error: unknown) => {
      if (error instanceof InputError || error instanceof InvalidNameError) {
        const fieldName = error instanceof InputError ? error.field : error.field;
        return sendJson(res, 400, { error: error.message, field: fieldName, status: 400 });
      }
      log('warn', 'control request failed', { error: String(error) });
      sendJson(res, 500, { error: 'internal error', status: 500 });
    });
  });
  const controlPort = await listen(controlServer, config.controlPort ?? 9003, host);
  const controlUrl = `https://${urlHost(serverNames[0] ?? '127.0.0.1')}:${controlPort}`;

  const metricsServer = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz')
      return draining
        ? sendJson(res, 503, { status: 'draining' })
        : sendJson(res, 200, { status: 'ready', agents: registry.all().length });
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => sendJson(res, 500, { error: 'metrics failed', status: 500 }),
      );
      return;
    }
    sendJson(res, 404, { error: 'not found', status: 404 });
  });
  const metricsPort = await listen(metricsServer, config.metricsPort ?? 9102, host);
  const loopbackHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;

  let stopped: Promise<void> | undefined;
  async function stop(): Promise<void> {
    draining = true;
    const drainTimeoutMs = config.drainTimeoutMs ?? 5_000;
    for (const session of registry.all()) session.drain(drainTimeoutMs);
    // Agents reconnect elsewhere; in-flight exchanges get until the deadline.
    const deadline = Date.now() + drainTimeoutMs;
    while (Date.now() < deadline && forwardContext.inFlight.count > 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    grpcServer.forceShutdown();
    await Promise.all([close(serviceServer), close(controlServer), close(metricsServer)]);
  }

  return {
    agentUrl: `${urlHost(loopbackHost)}:${agentPort}`,
    serviceUrl,
    controlUrl,
    metricsUrl: `http://${urlHost(loopbackHost)}:${metricsPort}`,
    ca: { certPem: ca.certPem },
    metrics,
    issueAgentCredentials,
    issueServiceCredentials,
    issueServiceToken,
    issueControlCredentials,
    generateKubectlComponents,
    generateAgentManifest,
    revoke,
    agents,
    stop: () => (stopped ??= stop()),
  };
}
