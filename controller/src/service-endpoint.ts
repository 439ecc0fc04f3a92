import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { closeSilentConnections } from '@isd/kit';
import { identityFromSubject, type CertificateAuthority } from './pki';
import { TokenError, verifyToken, type TokenKeys } from './jwt';
import { SERVICE_TOKEN_AUDIENCE } from './issuer';
import { endWithProblem, sendProblem } from './problem';
import { forwardRequest, forwardUpgrade, type ForwardContext, type Route } from './forward';
import { limitListenerConnections, type UnauthenticatedConnectionLimits } from './unauthenticated-connections';

/** Why a caller was refused. */
interface Refusal {
  status: number;
  message: string;
}

/** What a caller's client certificate says, decoded once per TLS connection. */
interface CertificateRoute {
  route?: Route;
  serial: string;
  refusal?: Refusal;
}

/** Extracts a bearer / X-Opsmx-Token / basic-auth-password token (oes-birger v5 accepts all three). */
export function tokenFrom(req: http.IncomingMessage): string | undefined {
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

/**
 * What the agent cannot forward as the caller sent it, refused before authentication (the request's form is
 * wrong, whoever sent it): a request target that is not a path (absolute-form names another host, which the
 * agent refuses too: a 400 is the caller's mistake, not the 502 of a broken tunnel), and a transfer coding other
 * than chunked (Node takes `gzip, chunked` apart as chunked and would forward the still-encoded body as if it
 * were the body; RFC 9112 §6.1: 501).
 */
function unforwardableRequest(req: http.IncomingMessage): Refusal | undefined {
  const target = req.url ?? '';
  if (!target.startsWith('/') && !(req.method === 'OPTIONS' && target === '*'))
    return { status: 400, message: `request target ${JSON.stringify(target.slice(0, 100))} is not a path` };
  const codings = req.headers['transfer-encoding'];
  if (codings !== undefined && codings.trim().toLowerCase() !== 'chunked')
    return {
      status: 501,
      message: `Transfer-Encoding ${JSON.stringify(codings.slice(0, 100))} is not supported: only chunked is`,
    };
  return undefined;
}

/** Authenticates callers by service certificate or service token and routes them to their agent service. */
export class ServiceAuthenticator {
  // getPeerCertificate costs ~0.3 ms; a keep-alive connection keeps its certificate, so decode it once.
  private readonly certificateRoutes = new WeakMap<TLSSocket, CertificateRoute | null>();

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly tokenKeys: TokenKeys,
  ) {}

  /** The caller's route, from its client certificate, else from its token. */
  async authenticate(req: http.IncomingMessage): Promise<Route | Refusal> {
    const fromCertificate = this.certificateRoute(req.socket as TLSSocket);
    if (fromCertificate) {
      if (fromCertificate.refusal) return fromCertificate.refusal;
      // Revocation is checked on every request, so revoking cuts keep-alive connections off too.
      if (this.ca.isRevoked(fromCertificate.serial)) return { status: 401, message: 'client certificate is revoked' };
      if (fromCertificate.route) return fromCertificate.route;
    }
    const token = tokenFrom(req);
    if (!token)
      return {
        status: 401,
        message: 'a client certificate or a token (Authorization: Bearer, X-Opsmx-Token) is required',
      };
    try {
      const claims = await verifyToken(this.tokenKeys, token, SERVICE_TOKEN_AUDIENCE);
      if (typeof claims.a !== 'string' || typeof claims.t !== 'string' || typeof claims.n !== 'string')
        return { status: 401, message: 'token must carry a, t and n claims' };
      return { agent: claims.a, type: claims.t, name: claims.n };
    } catch (error) {
      return { status: 401, message: error instanceof TokenError ? error.message : 'token refused' };
    }
  }

  private certificateRoute(socket: TLSSocket): CertificateRoute | null {
    let cached = this.certificateRoutes.get(socket);
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
    this.certificateRoutes.set(socket, cached);
    return cached;
  }
}

/**
 * The service endpoint: HTTPS for Spinnaker-side callers, every request and upgrade forwarded through
 * the tunnel. This is a proxy, not an API (any method, path and body goes to the target), so it does not
 * use the kit's HTTP app; only its refusals are problem+json like the kit's.
 */
export async function startServiceEndpoint(options: {
  host: string;
  port: number;
  tls: https.ServerOptions;
  authenticator: ServiceAuthenticator;
  forward: ForwardContext;
  unauthenticatedConnections: UnauthenticatedConnectionLimits;
}): Promise<{ port: number; server: https.Server }> {
  const { authenticator, forward } = options;
  // No request timeout: watches and logs -f last as long as the client wants. A request's head, though, comes
  // at once from every real caller; one trickled a byte at a time (slowloris) is cut after 15 s, checked every
  // second (Node's default: 60 s, checked every 30 s), so each such connection is held a quarter as long.
  const server = https.createServer({
    ...options.tls,
    requestTimeout: 0,
    headersTimeout: 15_000,
    connectionsCheckingInterval: 1_000,
    keepAliveTimeout: 60_000,
  });
  server.timeout = 0;
  // Until authenticated, the request body and an upgraded socket's data stay buffered (nothing reads them).
  server.on('request', async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const unforwardable = unforwardableRequest(req);
    if (unforwardable) {
      forward.metrics.refusedStreams.inc({ reason: 'bad-request' });
      // The body is not read: the connection goes with the answer.
      res.shouldKeepAlive = false;
      sendProblem(req, res, unforwardable.status, unforwardable.message);
      return;
    }
    const route = await authenticator.authenticate(req);
    if ('status' in route) {
      forward.metrics.refusedStreams.inc({ reason: 'caller-auth' });
      // A refused caller does not keep the connection: one request a minute would hold it for good.
      res.shouldKeepAlive = false;
      sendProblem(req, res, route.status, route.message);
      return;
    }
    void forwardRequest(forward, route, req, res);
  });
  server.on('upgrade', async (req: http.IncomingMessage, socket, head: Buffer) => {
    const unforwardable = unforwardableRequest(req);
    if (unforwardable) {
      forward.metrics.refusedStreams.inc({ reason: 'bad-request' });
      endWithProblem(req, socket, unforwardable.status, unforwardable.message);
      return;
    }
    const route = await authenticator.authenticate(req);
    if ('status' in route) {
      forward.metrics.refusedStreams.inc({ reason: 'caller-auth' });
      endWithProblem(req, socket, route.status, route.message);
      return;
    }
    void forwardUpgrade(forward, route, req, socket, head);
  });
  // Node closes a CONNECT without a word when nothing listens for it: the controller is no proxy, and says so.
  server.on('connect', (req: http.IncomingMessage, socket: Duplex) => {
    forward.metrics.refusedStreams.inc({ reason: 'bad-request' });
    endWithProblem(req, socket, 405, 'CONNECT is not supported: the controller forwards requests, it is no proxy');
  });
  // No request timeout, but a connection must start one: one that stays silent is closed. Both after the
  // 'upgrade' listener, so that an upgrade counts as the request it is.
  closeSilentConnections(server, server.headersTimeout);
  limitListenerConnections(server, 'service', options.unauthenticatedConnections, forward.metrics);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { port: (server.address() as AddressInfo).port, server };
}
