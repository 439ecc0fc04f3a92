// Gate contract harness: serves `/proxies/{id}/**` from a rendered `gate-local.yml` the way Gate's
// ProxyController does (spinnaker/gate gate-proxy ProxyController.kt, gate-api ProxyConfig; kork-web
// SpinnakerRequestHeaderInterceptor for the forwarded identity), so the Deck plugin and the tests reach
// the sidecars as they will in production:
// - only GET, POST, PUT and DELETE are routed (no PATCH: 405); `GET /proxies` lists {id, uri};
// - `/proxies/**` needs an authenticated session (401 otherwise); the user comes from the session only,
//   never from a header the browser sends, and no browser header is forwarded;
// - query parameters keep only their first value;
// - a body is forwarded only with a Content-Type, read line by line and re-joined with '\n'; a POST or
//   PUT without one fails inside OkHttp and answers 502;
// - X-SPINNAKER-USER, X-SPINNAKER-REQUEST-ID and X-SPINNAKER-USER-ORIGIN are added to the upstream call;
// - upstream 5xx, a connection error or a timeout answers 502; other statuses pass through;
// - a body starting with '{' or '[' is re-parsed and re-serialised (invalid JSON there is a 500);
// - only Content-Type is copied back, plus X-Proxy-Status-Code and X-Proxy-Url.
// It also serves `GET /pipelines/{id}` (PipelineController → Orca) from the executions it is given,
// for services that read executions through Gate (sapor's Spinnaker connector).
// One addition real Gate cannot make: when `gateToken` is set the harness adds `X-ISD-Gate-Token`,
// standing in for the network-level proof (Gate-only listener / TLS) described in orca-stages/README.md.
// With `okHttpClient` it calls https targets presenting a client certificate and trusting only the given
// CA, as kork's OkHttp client does with `ok-http-client.key-store` / `trust-store`.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch as fetchWithAgent } from 'undici';
import YAML from 'yaml';
import { gateLocalSchema, gateTokenHeader, parseWithSchema } from '@isd/orca-stages';
import type { GateLocalConfig } from '@isd/orca-stages';

/** Options of the Gate proxy harness. */
export interface GateProxyOptions {
  /** The rendered `gate-local.yml` text, or its parsed content; validated against the Gate schema. */
  gateLocal: string | GateLocalConfig;
  /** Sent upstream as `X-ISD-Gate-Token` when set (see the file comment). */
  gateToken?: string;
  /** Replaces each proxy's `uri` (by id), e.g. to point at sidecars on random local ports; read per request. */
  targets?: Record<string, string>;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /**
   * Executions served at `GET /pipelines/{id}` (Gate → Orca), e.g. `toOrcaExecutionJson` of a harness
   * run; undefined means 404.
   */
  executions?: (id: string) => unknown;
  /** Service accounts allowed to call Gate with HTTP basic auth (user → password), like sapor's connector. */
  basicAuthUsers?: Record<string, string>;
  /** Gate's `ok-http-client` key store (client certificate and key, PEM) and trust store (CA, PEM). */
  okHttpClient?: { certificatePem: string; privateKeyPem: string; trustedCaPem: string };
}

/** One request the harness forwarded upstream. */
export interface ForwardedRequest {
  proxyId: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  statusCode: number;
}

/** A running Gate proxy harness. */
export interface GateProxy {
  baseUrl: string;
  /** Logs a user in and returns the `Cookie` header value of their session. */
  login(user: string): string;
  /** Ends a session. */
  logout(cookie: string): void;
  /** Requests forwarded upstream so far. */
  forwarded: ForwardedRequest[];
  close(): Promise<void>;
}

/** `BufferedReader.lines()` joined with '\n': line breaks normalised, a trailing one dropped. */
function joinLines(text: string): string {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

const ROUTED_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);
const SESSION_COOKIE = 'SESSION';

/** Starts the Gate proxy harness on a local port. */
export async function startGateProxy(options: GateProxyOptions): Promise<GateProxy> {
  const tls = options.okHttpClient;
  const dispatcher = new Agent(
    tls ? { connect: { cert: tls.certificatePem, key: tls.privateKeyPem, ca: tls.trustedCaPem } } : {},
  );
  const config =
    typeof options.gateLocal === 'string'
      ? parseWithSchema(gateLocalSchema, YAML.parse(options.gateLocal), 'gate-local.yml')
      : parseWithSchema(gateLocalSchema, options.gateLocal, 'gate-local.yml');
  // Targets are looked up per request, so a test may point a proxy at a service it starts later.
  const proxies = config.proxies.map((proxy) => ({
    ...proxy,
    get uri(): string {
      return options.targets?.[proxy.id] ?? proxy.uri;
    },
  }));
  const sessions = new Map<string, string>();
  const forwarded: ForwardedRequest[] = [];

  function basicAuthUser(request: http.IncomingMessage): string | undefined {
    const match = /^Basic (.+)$/i.exec(request.headers.authorization ?? '');
    if (!match) return undefined;
    const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    const user = decoded.slice(0, separator);
    const password = decoded.slice(separator + 1);
    return separator > 0 && options.basicAuthUsers?.[user] === password ? user : undefined;
  }

  function sessionUser(request: http.IncomingMessage): string | undefined {
    const cookies = (request.headers.cookie ?? '').split(';').map((part) => part.trim().split('='));
    const session = cookies.find(([name]) => name === SESSION_COOKIE)?.[1];
    return session ? sessions.get(session) : undefined;
  }

  function send(
    response: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const isText = typeof body === 'string';
    response.writeHead(status, {
      'content-type': isText ? (headers['content-type'] ?? 'text/plain') : 'application/json',
      ...headers,
    });
    response.end(isText ? body : JSON.stringify(body));
  }

  async function forward(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    user: string,
    rawBody: string,
  ): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://gate.local');
    const match = /^\/proxies\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!match) {
      send(response, 404, { error: 'Not Found', status: 404 });
      return;
    }
    const requestedId = decodeURIComponent(match[1] as string);
    const proxy = proxies.find((candidate) => candidate.id.toLowerCase() === requestedId.toLowerCase());
    if (!proxy) {
      send(response, 400, {
        error: 'Bad Request',
        message: `No proxy config found with id '${requestedId}'`,
        status: 400,
      });
      return;
    }
    const method = request.method ?? 'GET';
    // Only the first value of each query parameter survives (@RequestParam Map<String, String>).
    const target = new URL(proxy.uri + (match[2] ?? ''));
    const seen = new Set<string>();
    for (const [key, value] of url.searchParams) {
      if (seen.has(key)) continue;
      seen.add(key);
      target.searchParams.append(key, value);
    }
    const contentType = request.headers['content-type'];
    const permitsBody = method !== 'GET' && method !== 'HEAD';
    const body = permitsBody && contentType ? joinLines(rawBody) : undefined;
    const headers: Record<string, string> = {
      'X-SPINNAKER-USER': user,
      'X-SPINNAKER-REQUEST-ID': randomUUID(),
      ...(request.headers['x-ratelimit-app']
        ? { 'X-SPINNAKER-USER-ORIGIN': String(request.headers['x-ratelimit-app']) }
        : {}),
      ...(options.gateToken ? { [gateTokenHeader]: options.gateToken } : {}),
      ...(body !== undefined && contentType ? { 'Content-Type': contentType } : {}),
    };
    let statusCode = 0;
    let upstreamType = 'text/plain';
    let responseBody: string;
    if ((method === 'POST' || method === 'PUT') && body === undefined) {
      // OkHttp's Request.Builder.method() refuses POST/PUT without a body; Gate catches it → 502.
      responseBody = `java.lang.IllegalArgumentException: method ${method} must have a request body.`;
    } else {
      try {
        const upstream = await fetchWithAgent(target, {
          dispatcher,
          method,
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout((proxy.connectTimeoutMs ?? 30_000) + (proxy.readTimeoutMs ?? 59_000)),
        });
        statusCode = upstream.status;
        upstreamType = upstream.headers.get('content-type') ?? upstreamType;
        responseBody = await upstream.text();
      } catch (error) {
        responseBody = String((error as Error).message);
      }
    }
    forwarded.push({ proxyId: proxy.id, method, url: target.toString(), headers, body, statusCode });
    const proxyHeaders = { 'X-Proxy-Status-Code': String(statusCode), 'X-Proxy-Url': target.toString() };
    const status = statusCode >= 500 || statusCode === 0 ? 502 : statusCode;
    if (responseBody.startsWith('{') || responseBody.startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(responseBody);
      } catch {
        send(response, 500, {
          error: 'Internal Server Error',
          message: 'upstream body is not valid JSON',
          status: 500,
        });
        return;
      }
      response.writeHead(status, {
        'content-type': upstreamType.includes('json') ? upstreamType : 'application/json',
        ...proxyHeaders,
      });
      response.end(JSON.stringify(parsed));
      return;
    }
    response.writeHead(status, { 'content-type': upstreamType, ...proxyHeaders });
    response.end(responseBody);
  }

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const path = (request.url ?? '/').split('?')[0] as string;
        const pipeline = /^\/pipelines\/([^/]+)$/.exec(path);
        if (pipeline && request.method === 'GET') {
          // PipelineController.getPipeline: an authenticated caller reads an execution from Orca.
          if (!sessionUser(request) && !basicAuthUser(request)) {
            send(response, 401, { error: 'Unauthorized', status: 401 });
            return;
          }
          const execution = options.executions?.(decodeURIComponent(pipeline[1] as string));
          if (execution === undefined)
            send(response, 404, { error: 'Not Found', message: 'Execution not found', status: 404 });
          else send(response, 200, execution);
          return;
        }
        if (!path.startsWith('/proxies')) {
          send(response, 404, { error: 'Not Found', status: 404 });
          return;
        }
        const user = sessionUser(request);
        if (!user) {
          send(response, 401, {
            error: 'Unauthorized',
            message: 'Full authentication is required to access this resource',
            status: 401,
          });
          return;
        }
        if (path === '/proxies' || path === '/proxies/') {
          if (request.method !== 'GET') {
            send(response, 405, { error: 'Method Not Allowed', status: 405 });
            return;
          }
          send(
            response,
            200,
            proxies.map((proxy) => ({ id: proxy.id, uri: proxy.uri })),
          );
          return;
        }
        if (!ROUTED_METHODS.has(request.method ?? '')) {
          send(response, 405, {
            error: 'Method Not Allowed',
            message: `Request method '${request.method}' is not supported`,
            status: 405,
          });
          return;
        }
        await forward(request, response, user, Buffer.concat(chunks).toString('utf8'));
      })().catch((error: unknown) => {
        if (!response.headersSent)
          send(response, 500, { error: 'Internal Server Error', message: String(error), status: 500 });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://localhost:${port}`,
    login(user: string): string {
      const session = randomUUID();
      sessions.set(session, user);
      return `${SESSION_COOKIE}=${session}`;
    },
    logout(cookie: string): void {
      sessions.delete(cookie.replace(`${SESSION_COOKIE}=`, ''));
    },
    forwarded,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await dispatcher.close();
    },
  };
}
