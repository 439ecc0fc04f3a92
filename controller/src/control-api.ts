// The control ("CNC") API on the kit's HTTP app: oes-birger's paths and JSON fields, problem+json errors,
// a 64 KiB body limit (413 above), request metrics, and /healthz, /readyz, /metrics like every service.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { TLSSocket } from 'node:tls';
import { Registry } from 'prom-client';
import { z } from 'zod';
import {
  AuthenticationError,
  Authenticator,
  StaticPermissionResolver,
  createHttpApp,
  createServiceMetrics,
  type HttpApp,
  type Logger,
  type Readiness,
  type RouteSpec,
} from '@isd/kit';
import { identityFromSubject, NAME_PATTERN, type CertificateAuthority } from './pki';
import { verifyToken, type TokenKeys } from './jwt';
import { CONTROL_TOKEN_AUDIENCE, type CredentialIssuer } from './issuer';
import type { AgentSessionSummary } from './sessions';
import { tokenFrom } from './service-endpoint';

/** Largest control request body; the requests are a few names. */
export const CONTROL_BODY_LIMIT_BYTES = 64 * 1024;

/** What the control API acts on. */
export interface ControlApiDependencies {
  ca: CertificateAuthority;
  tokenKeys: TokenKeys;
  issuer: CredentialIssuer;
  /** Default response shape: oes-birger v3 `cert` or v5 `token`. */
  shape: 'cert' | 'token';
  version: string;
  logger: Logger;
  /** The controller's Prometheus registry, served on /metrics with the HTTP request metrics. */
  registry: Registry;
  readiness: () => Promise<Readiness>;
  controlUrl: () => string;
  agents: () => AgentSessionSummary[];
  revoke: (certificateOrSerial: string) => Promise<string>;
}

const name = z.string().regex(NAME_PATTERN, `must match ${NAME_PATTERN.source}`);

/** oes-birger v3 clients send `Type` and `Name`; both spellings are accepted. */
const legacyNames = (body: unknown): unknown => {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const fields = body as Record<string, unknown>;
  return { ...fields, type: fields.type ?? fields.Type, name: fields.name ?? fields.Name };
};

const kubectlBody = z.object({ agentName: name, name });
const manifestBody = z.object({ agentName: name, namespace: name.optional() });
const serviceBody = z.preprocess(legacyNames, z.object({ agentName: name, type: name, name }));
const controlBody = z.object({ name });
const revokeBody = z
  .object({
    certificate: z.string().min(1).optional(),
    serial: z
      .string()
      .regex(/^[0-9a-fA-F:]+$/)
      .optional(),
  })
  .refine((body) => body.certificate !== undefined || body.serial !== undefined, {
    message: 'certificate (PEM) or serial (hex) is required',
    path: ['certificate'],
  });

/**
 * The caller's control identity: a control certificate of our CA (not revoked) or a control token.
 * The kit's Authenticator knows Spinnaker's callers (Orca's token, Gate's users); control callers prove
 * themselves with tunnel credentials, so the routes are open to the kit and checked here first.
 */
async function controlCaller(
  req: http.IncomingMessage,
  ca: CertificateAuthority,
  tokenKeys: TokenKeys,
): Promise<string> {
  const socket = req.socket as TLSSocket;
  const peer = socket.getPeerCertificate();
  if (peer && Object.keys(peer).length > 0) {
    const identity = identityFromSubject(peer.subject);
    if (socket.authorized && identity?.purpose === 'control' && !ca.isRevoked(peer.serialNumber)) return identity.name;
    throw new AuthenticationError('the client certificate is not a valid control certificate of this controller', {
      code: 'control_credential_invalid',
    });
  }
  const token = tokenFrom(req);
  if (token) {
    try {
      const claims = await verifyToken(tokenKeys, token, CONTROL_TOKEN_AUDIENCE);
      if (typeof claims.n === 'string') return claims.n;
    } catch {
      // refused below
    }
  }
  throw new AuthenticationError('a control certificate or control token is required', {
    code: 'control_credential_invalid',
  });
}

const base64 = (text: string): string => Buffer.from(text).toString('base64');

/** What both of the controller's kit apps need. */
export type AppDependencies = Pick<ControlApiDependencies, 'version' | 'logger' | 'registry' | 'readiness'>;

/**
 * A kit HTTP app for the controller: /healthz, /readyz, /metrics (the controller's registry plus the
 * app's request metrics) and whatever routes are added. The metrics port serves one with no routes.
 */
export function createControllerApp(deps: AppDependencies, title: string, bodyLimitBytes?: number): HttpApp {
  const httpMetrics = createServiceMetrics('isd-controller', { processMetrics: false });
  return createHttpApp({
    info: { title, version: deps.version },
    logger: deps.logger,
    metrics: { registry: Registry.merge([deps.registry, httpMetrics.registry]), http: httpMetrics.http },
    // No route accepts Orca's token or Gate's users (control routes check tunnel credentials, see
    // controlCaller); this token matches nothing.
    authenticator: new Authenticator({
      serviceToken: randomBytes(32).toString('hex'),
      permissions: new StaticPermissionResolver({}),
    }),
    bodyLimitBytes,
    readiness: deps.readiness,
  });
}

/** Builds the control API (routes registered, not listening). */
export function createControlApi(deps: ControlApiDependencies): HttpApp {
  const { ca, tokenKeys, issuer, shape } = deps;
  const app = createControllerApp(deps, 'ISD tunnel controller control API', CONTROL_BODY_LIMIT_BYTES);
  const ok = { 200: { description: 'done' }, 400: { description: 'a field is missing or invalid' } };
  const route = <Body extends z.ZodType>(
    spec: Omit<RouteSpec<z.ZodType, z.ZodType, Body>, 'auth' | 'responses' | 'tags'>,
    handler: (body: z.output<Body>) => unknown,
  ): void => {
    const authorize = async (req: http.IncomingMessage): Promise<void> => {
      await controlCaller(req, ca, tokenKeys);
    };
    app.route({ ...spec, auth: 'public', authorize, tags: ['control'], responses: ok }, async (context) => ({
      status: 200,
      body: await handler(context.body as z.output<Body>),
    }));
  };

  route(
    {
      method: 'post',
      path: '/api/v1/generateKubectlComponents',
      summary: 'kubeconfig for an agent service',
      body: kubectlBody,
    },
    (body) => issuer.kubectlComponents(body.agentName, body.name),
  );
  route(
    {
      method: 'post',
      path: '/api/v1/generateAgentManifestComponents',
      summary: 'agent credentials and a ready-to-apply manifest',
      body: manifestBody,
    },
    async (body) => {
      const generated = await issuer.agentManifest(body.agentName, { namespace: body.namespace });
      const address = issuer.agentAdvertiseAddress;
      // Agents always authenticate with certificates (never a bearer token), in both shapes.
      return {
        agentName: body.agentName,
        serverHostname: address.replace(/:\d+$/, ''),
        serverPort: Number(address.split(':').pop()),
        agentVersion: deps.version,
        agentCertificate: base64(generated.certPem),
        agentKey: base64(generated.keyPem),
        caCert: base64(generated.caPem),
        manifest: generated.manifest,
      };
    },
  );
  route(
    {
      method: 'post',
      path: '/api/v1/generateServiceCredentials',
      summary: 'basic credentials (password = service token) for a caller of one agent service',
      body: serviceBody,
    },
    async (body) => ({
      agentName: body.agentName,
      name: body.name,
      type: body.type,
      credentialType: 'basic',
      credential: {
        username: `${body.name}.${body.agentName}`,
        password: await issuer.serviceToken(body.agentName, body.type, body.name),
      },
      url: issuer.serviceUrl,
      ...(shape === 'cert' ? { caCert: base64(ca.certPem) } : {}),
    }),
  );
  route(
    {
      method: 'post',
      path: '/api/v1/generateControlCredentials',
      summary: 'credentials for the control API',
      body: controlBody,
    },
    async (body) => {
      const issued = await issuer.controlCredentials(body.name);
      const url = deps.controlUrl();
      return shape === 'token'
        ? { name: body.name, url, token: issued.token }
        : {
            name: body.name,
            url,
            userCertificate: base64(issued.certPem),
            userKey: base64(issued.keyPem),
            caCert: base64(issued.caPem),
          };
    },
  );
  route({ method: 'get', path: '/api/v1/getAgentStatistics', summary: 'connected agents' }, () => ({
    serverTime: Date.now(),
    version: deps.version,
    connectedAgents: deps.agents().map((session) => ({
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
  }));
  route(
    { method: 'post', path: '/api/v1/revokeCertificate', summary: 'revoke a certificate', body: revokeBody },
    async (body) => ({ revoked: await deps.revoke(body.certificate ?? (body.serial as string)) }),
  );
  return app;
}
