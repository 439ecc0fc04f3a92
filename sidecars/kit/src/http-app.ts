import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import querystring from 'node:querystring';
import zlib from 'node:zlib';
import Negotiator from 'negotiator';
import type { z } from 'zod';
import type { Authenticator, Caller, RouteAuth } from './auth';
import { CallerAdmission, type CallerLimits } from './caller-admission';
import { InputError, IsdError, isIsdError, type FieldIssue } from './errors';
import type { Logger } from './logger';
import type { ServiceMetrics } from './metrics';
import { buildOpenApiDocument, type OpenApiInfo } from './openapi';
import { findUnresolvedExpression } from './spel';
import { closeSilentConnections } from './silent-connections';
import { parseJson } from './well-formed-json';

/** HTTP methods a route may use. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A route: its contract (validated and published as OpenAPI) and who may call it. */
export interface RouteSpec<Params extends z.ZodType, Query extends z.ZodType, Body extends z.ZodType> {
  method: HttpMethod;
  /** Path with `:name` parameters, e.g. `/api/v1/approvals/:id`. */
  path: string;
  summary: string;
  tags?: string[];
  auth: RouteAuth;
  /**
   * Checks a credential the headers alone do not show (a TLS client certificate), after `auth` and before
   * the body is read or validated, so a caller it refuses (by throwing) gets that refusal, never a 400.
   */
  authorize?: (req: http.IncomingMessage) => Promise<void>;
  params?: Params;
  query?: Query;
  body?: Body;
  /**
   * The body comes from an Orca SpEL template: a field still holding a literal `${...}` means the
   * expression failed in Orca, and is refused with 400 naming the field.
   */
  rejectUnresolvedExpressions?: boolean;
  /**
   * The handler gets the body as the exact text sent (`rawBody`), of any content type, unparsed: for
   * peers that sign the bytes (Slack) or send forms. The size limit still applies; `body` is unset.
   */
  rawBody?: boolean;
  /**
   * Documented responses by status; `schema` describes the JSON body, `otherContentTypes` the other media
   * types the same answer may be sent as (e.g. text/csv, chosen by Accept or a query parameter).
   */
  responses: Record<number, { description: string; schema?: z.ZodType; otherContentTypes?: string[] }>;
}

/** What a handler gets: validated inputs and the authenticated caller. */
export interface RouteContext<Params, Query, Body> {
  params: Params;
  query: Query;
  body: Body;
  caller: Caller;
  /**
   * The body's text as sent (decompressed), for every request with a body: unparsed with `rawBody: true`,
   * beside the parsed `body` otherwise (for a reader that keeps what JSON.parse drops, such as number texts).
   */
  rawBody?: string;
  requestId: string;
  /** The request's logger (bound to its request id). */
  readonly log: Logger;
  req: http.IncomingMessage;
  /** The first of `types` the request's Accept header prefers, or undefined if it accepts none of them. */
  accepts(types: string[]): string | undefined;
}

/** What a handler returns: status, body (JSON unless `contentType` says otherwise), extra headers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sends `body` (a string or Buffer) as is with this type, e.g. an HTML report. */
  contentType?: string;
}

/** A route handler. Throw ISD errors for client or dependency problems; anything else is a 500. */
export type RouteHandler<Params, Query, Body> = (context: RouteContext<Params, Query, Body>) => Promise<Reply>;

/** Result of a readiness probe: ready only when every check passes. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
}

/** Options for {@link createHttpApp}. */
export interface HttpAppOptions {
  info: OpenApiInfo;
  logger: Logger;
  metrics: ServiceMetrics;
  authenticator: Authenticator;
  /** Largest JSON body accepted; larger is 413. */
  bodyLimitBytes?: number;
  /** Requests one caller may have in flight, checked before the body is read; beyond is 429. Absent: none. */
  callerLimits?: CallerLimits;
  readiness: () => Promise<Readiness>;
}

type AnySpec = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;
type AnyHandler = RouteHandler<unknown, unknown, unknown>;

interface RegisteredRoute {
  spec: AnySpec;
  handler: AnyHandler;
  pattern: RegExp;
  paramNames: string[];
  /** Part of the service's API (published in OpenAPI), not an operational endpoint. */
  documented: boolean;
}

/** The per-request state the pipeline carries. */
interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  requestId: string;
  path: string;
  startedMs: number;
  route: string;
  log: Logger | undefined;
}

const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** How long a connection may take to send a request's head (or, new, to send anything). */
export const HEADERS_TIMEOUT_MS = 15_000;
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;
/** Request ids are this process's random prefix and a counter: unique across replicas, cheaper than a UUID each. */
const REQUEST_ID_PREFIX = randomBytes(6).toString('hex');
let requestCounter = 0;

function nextRequestId(): string {
  requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${REQUEST_ID_PREFIX}-${requestCounter.toString(16)}`;
}

/** A request's id: the caller's `x-request-id` when it is a well-formed one, else a new one. */
export function requestIdOf(req: http.IncomingMessage): string {
  const incomingId = req.headers['x-request-id'];
  return typeof incomingId === 'string' && REQUEST_ID_PATTERN.test(incomingId) ? incomingId : nextRequestId();
}

/**
 * The one way a service serves HTTP: request ids, a JSON body limit, content-type checks, zod
 * validation, problem+json errors, auth, metrics, `/healthz`, `/readyz`, `/metrics`, `/openapi.json`,
 * and 404/405 for everything else. Built on `node:http` directly: Orca polls every running gate every
 * few seconds, so the per-request path is kept to what those features need.
 */
export class HttpApp {
  private readonly routes: RegisteredRoute[] = [];
  private readonly routesByMethod = new Map<string, RegisteredRoute[]>();
  private readonly bodyLimitBytes: number;
  /** Shared by every listener of the app: a caller's requests count together on the main and Gate ports. */
  private readonly admission: CallerAdmission;
  private listening = false;

  constructor(private readonly options: HttpAppOptions) {
    this.bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
    this.admission = new CallerAdmission(options.callerLimits ?? {}, options.metrics.registry);
    const operational = (path: string, handler: () => Promise<Reply>) =>
      this.addRoute({ method: 'get', path, summary: path, auth: 'public', responses: {} }, handler, false);
    operational('/healthz', async () => ({ status: 200, body: { status: 'up' } }));
    operational('/readyz', async () => {
      const readiness = await options.readiness();
      return { status: readiness.ready ? 200 : 503, body: readiness };
    });
    operational('/metrics', async () => ({
      status: 200,
      contentType: options.metrics.registry.contentType,
      body: await options.metrics.registry.metrics(),
    }));
    operational('/openapi.json', async () => ({
      status: 200,
      body: buildOpenApiDocument(
        options.info,
        this.routes.filter((route) => route.documented).map((route) => route.spec),
      ),
    }));
  }

  /** Adds a route; inputs are validated against the spec before the handler runs. */
  route<Params extends z.ZodType = z.ZodType, Query extends z.ZodType = z.ZodType, Body extends z.ZodType = z.ZodType>(
    spec: RouteSpec<Params, Query, Body>,
    handler: RouteHandler<z.output<Params>, z.output<Query>, z.output<Body>>,
  ): this {
    if (this.listening) throw new Error('routes must be added before the app starts listening');
    this.addRoute(spec as AnySpec, handler as AnyHandler);
    return this;
  }

  /**
   * Starts listening; resolves with the server once the port is bound. With `gateListener` the port is
   * the one only Gate can reach (the chart's NetworkPolicy), where Gate's X-SPINNAKER-USER is trusted.
   */
  async listen<Tls extends https.ServerOptions | undefined = undefined>(
    port: number,
    host = '0.0.0.0',
    options: { gateListener?: boolean; tls?: Tls } = {},
  ): Promise<Tls extends undefined ? http.Server : https.Server> {
    this.listening = true;
    const origin = { gateListener: Boolean(options.gateListener) };
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      void this.serve(req, res, origin);
    };
    // Every real caller (Orca, Gate) sends a request's head at once. One trickled a line at a time (slowloris),
    // or a connection that says nothing, is cut after 15 s, checked every second (Node's default: 60 s, checked
    // every 30 s). Callers are not counted or capped per connection: the NetworkPolicy admits Orca and Gate
    // only, and Gate carries every user on a few pooled connections (decision 225).
    const timeouts = { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 1_000 };
    // With TLS options (the Gate-only listener's mutual TLS) the same routes are served over HTTPS.
    const server = options.tls
      ? https.createServer({ ...options.tls, ...timeouts }, handler)
      : http.createServer(timeouts, handler);
    // Above the idle timeout of the callers' pools (and of load balancers, often 60 s), so a pooled connection
    // is never closed here just as a caller reuses it.
    server.keepAliveTimeout = 65_000;
    closeSilentConnections(server, server.headersTimeout);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    this.options.logger.info(
      { port: address.port, host, gateListener: origin.gateListener, tls: Boolean(options.tls) },
      'listening',
    );
    return server as Tls extends undefined ? http.Server : https.Server;
  }

  private addRoute(spec: AnySpec, handler: AnyHandler, documented = true): void {
    const { pattern, paramNames } = compilePath(spec.path);
    const route = { spec, handler, pattern, paramNames, documented };
    this.routes.push(route);
    const method = spec.method.toUpperCase();
    this.routesByMethod.set(method, [...(this.routesByMethod.get(method) ?? []), route]);
  }

  private async serve(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    origin: { gateListener: boolean },
  ): Promise<void> {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const exchange: Exchange = {
      req,
      res,
      requestId: requestIdOf(req),
      path: queryStart < 0 ? url : url.slice(0, queryStart),
      startedMs: performance.now(),
      route: 'unmatched',
      log: undefined,
    };
    try {
      const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
      const match = this.match(method, exchange.path);
      if (!match) {
        this.refuseUnrouted(exchange);
        return;
      }
      const { route, values } = match;
      const { spec } = route;
      exchange.route = spec.path;
      const caller = await this.options.authenticator.authenticate(req.headers, spec.auth, origin);
      await spec.authorize?.(req);
      // Before the body is read: a caller at its limit costs no body read or parse (429 leaves the unread
      // body to Node, which discards it so the connection stays usable).
      const release = this.admission.admit(caller);
      if (release) {
        // 'close' comes once the answer is sent or the client went away, whichever way the request ends;
        // a client that left during authentication has closed already.
        if (res.closed) release();
        else res.once('close', release);
      }
      const issues: FieldIssue[] = [];
      const rawParams = pathParams(route.paramNames, values);
      const rawQuery = queryStart < 0 ? {} : querystring.parse(url.slice(queryStart + 1));
      const json = !spec.rawBody && hasBody(req) ? await this.readJsonBody(req) : undefined;
      const text = spec.rawBody ? await this.readTextBody(req) : json?.text;
      const rawBody = json?.value;
      rejectNulCharacters({ path: rawParams, query: rawQuery, body: rawBody });
      const params = validate(spec.params, rawParams, 'path', issues);
      const query = spec.query ? validate(spec.query, rawQuery, 'query', issues) : {};
      if (spec.body && spec.rejectUnresolvedExpressions && issues.length === 0) rejectUnresolved(rawBody);
      const body = spec.body && !spec.rawBody ? validate(spec.body, rawBody, 'body', issues) : undefined;
      if (issues.length) {
        const first = issues[0] as FieldIssue;
        throw new InputError(`${first.path}: ${first.message}`, { code: 'validation_failed', issues });
      }
      const reply = await route.handler(
        new RequestContext(exchange, this.options.logger, params, query, body, caller, text),
      );
      this.send(exchange, reply);
    } catch (error) {
      this.sendProblem(exchange, error);
    }
  }

  private match(method: string, path: string): { route: RegisteredRoute; values: RegExpExecArray } | undefined {
    for (const route of this.routesByMethod.get(method) ?? []) {
      const values = route.pattern.exec(path);
      if (values) return { route, values };
    }
    return undefined;
  }

  /** 405 naming the allowed methods when the path exists, 204 with them for OPTIONS, else 404. */
  private refuseUnrouted(exchange: Exchange): void {
    const { req, path } = exchange;
    const allowed = [
      ...new Set(
        this.routes.filter((route) => route.pattern.test(path)).map((route) => route.spec.method.toUpperCase()),
      ),
    ];
    if (allowed.length && req.method === 'OPTIONS') {
      this.send(exchange, { status: 204, headers: { Allow: allowed.join(', ') } });
      return;
    }
    if (allowed.length) {
      throw Object.assign(
        new IsdError('MethodNotAllowedError', `${req.method} is not allowed on ${path}; use ${allowed.join(', ')}`),
        { allow: allowed.join(', ') },
      );
    }
    throw new IsdError('NotFoundError', `no route for ${req.method} ${path}`, { code: 'route_not_found' });
  }

  /**
   * The request body as text and parsed JSON. A body must be JSON (else 415), at most `bodyLimitBytes`
   * after decompression (else 413), and well-formed (else 400).
   */
  private async readJsonBody(req: http.IncomingMessage): Promise<{ text: string; value: unknown }> {
    const contentType = req.headers['content-type'];
    if (!isJsonType(contentType)) {
      throw new IsdError(
        'UnsupportedMediaTypeError',
        `request body must be application/json, not ${contentType ?? 'untyped'}`,
        { code: 'unsupported_media_type' },
      );
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      throw new IsdError('UnsupportedMediaTypeError', `unsupported charset "${charset.toUpperCase()}"`, {
        code: 'unsupported_encoding',
      });
    }
    if (Number(req.headers['content-length'] ?? 0) > this.bodyLimitBytes) throw tooLarge(this.bodyLimitBytes);
    const text = await readLimited(decoded(req), this.bodyLimitBytes);
    try {
      return { text, value: parseJson(text) };
    } catch (error) {
      if (error instanceof SyntaxError) {
        throw new InputError(`request body is not valid JSON: ${error.message}`, { code: 'malformed_json' });
      }
      throw error;
    }
  }

  /** The request body as text (empty without one), at most `bodyLimitBytes` after decompression (else 413). */
  private async readTextBody(req: http.IncomingMessage): Promise<string> {
    if (!hasBody(req)) return '';
    if (Number(req.headers['content-length'] ?? 0) > this.bodyLimitBytes) throw tooLarge(this.bodyLimitBytes);
    return readLimited(decoded(req), this.bodyLimitBytes);
  }

  private send(exchange: Exchange, reply: Reply): void {
    // One header object handed to writeHead: Node then skips the per-call bookkeeping of setHeader.
    // Names are lower case, so a handler's header replaces ours case-insensitively, as setHeader did.
    const headers: http.OutgoingHttpHeaders = { 'x-request-id': exchange.requestId };
    if (reply.headers) for (const name in reply.headers) headers[name.toLowerCase()] = reply.headers[name];
    let body: string | Buffer | undefined;
    if (reply.body === undefined) {
      body = undefined;
    } else if (reply.contentType) {
      body = reply.body as string | Buffer;
      headers['content-type'] = withCharset(reply.contentType, body);
    } else {
      body = JSON.stringify(reply.body);
      headers['content-type'] = JSON_CONTENT_TYPE;
    }
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    exchange.res.writeHead(reply.status, headers);
    exchange.res.end(body);
    this.record(exchange);
  }

  private sendProblem(exchange: Exchange, error: unknown): void {
    const { req, res } = exchange;
    const problem = toIsdError(error);
    const log = logFor(exchange, this.options.logger);
    if (problem.status >= 500) log.error({ err: error, method: req.method, path: exchange.path }, 'request failed');
    else log.debug({ code: problem.code, detail: problem.message }, 'request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { allow, retryAfterSeconds } = error as { allow?: string; retryAfterSeconds?: number };
    const headers: Record<string, string> = {};
    if (allow) headers.Allow = allow;
    if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(retryAfterSeconds);
    this.send(exchange, {
      status: problem.status,
      contentType: PROBLEM_CONTENT_TYPE,
      headers,
      body: JSON.stringify({
        type: `urn:isd:problem:${problem.code}`,
        title: http.STATUS_CODES[problem.status] ?? problem.category,
        status: problem.status,
        detail: problem.message,
        instance: req.url,
        requestId: exchange.requestId,
        ...(problem.issues.length ? { field: problem.issues[0]?.path, errors: problem.issues } : {}),
      }),
    });
  }

  private record(exchange: Exchange): void {
    this.options.metrics.http.record(
      exchange.req.method ?? 'GET',
      exchange.route,
      exchange.res.statusCode,
      (performance.now() - exchange.startedMs) / 1000,
    );
  }
}

/** Creates the HTTP app of a service. */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  return new HttpApp(options);
}

/**
 * What a handler gets. A class rather than an object literal built per request: its getter and fields live
 * on one shape, which V8 creates far faster than a literal with a getter. `accepts` stays a bound closure
 * because handlers destructure it.
 */
class RequestContext implements RouteContext<unknown, unknown, unknown> {
  readonly requestId: string;
  readonly req: http.IncomingMessage;
  readonly accepts: (types: string[]) => string | undefined;

  constructor(
    private readonly exchange: Exchange,
    private readonly logger: Logger,
    readonly params: unknown,
    readonly query: unknown,
    readonly body: unknown,
    readonly caller: Caller,
    readonly rawBody: string | undefined,
  ) {
    this.requestId = exchange.requestId;
    const req = exchange.req;
    this.req = req;
    this.accepts = (types) => preferredType(req.headers.accept, types);
  }

  get log(): Logger {
    return logFor(this.exchange, this.logger);
  }
}

function logFor(exchange: Exchange, logger: Logger): Logger {
  // A child logger costs more than the rest of a status poll; most requests never log.
  exchange.log ??= logger.child({ requestId: exchange.requestId });
  return exchange.log;
}

function validate(schema: z.ZodType | undefined, value: unknown, location: string, issues: FieldIssue[]): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    issues.push({ path: [location, ...issue.path.map(String)].join('.'), message: issue.message });
  }
  return undefined;
}

/**
 * Postgres cannot store U+0000 in text or jsonb (and refuses it as an error), and no field of ours has a
 * use for it, so any input string or key holding it is refused up front with the field named.
 */
function rejectNulCharacters(inputs: Record<string, unknown>): void {
  const find = (value: unknown, path: string): string | undefined => {
    if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const found = find(value[index], `${path}.${index}`);
        if (found) return found;
      }
      return undefined;
    }
    if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const found = key.includes('\u0000') ? `${path}.${key}` : find(item, `${path}.${key}`);
        if (found) return found;
      }
    }
    return undefined;
  };
  for (const [location, value] of Object.entries(inputs)) {
    const path = find(value, location);
    if (path) {
      const message = 'must not contain the NUL character (U+0000)';
      throw new InputError(`${path}: ${message}`, { code: 'validation_failed', issues: [{ path, message }] });
    }
  }
}

function rejectUnresolved(body: unknown): void {
  const unresolved = findUnresolvedExpression(body);
  if (!unresolved) return;
  // Named like every other field of the body (`body.triggeredBy`), as the validation errors name them.
  const path = `body.${unresolved.path}`;
  throw new InputError(
    `field ${path} holds the unevaluated expression ${unresolved.expression}: a SpEL expression failed in Orca`,
    { code: 'unresolved_expression', issues: [{ path, message: 'unevaluated SpEL expression' }] },
  );
}

/** Whether the request carries a body this app reads: GET and HEAD bodies are ignored, as HTTP allows. */
function hasBody(req: http.IncomingMessage): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * `/api/v1/approvals/:id` → a RegExp capturing each parameter; `*name` (last segment) captures the
 * rest of the path as an array of segments; a trailing slash is allowed.
 */
function compilePath(path: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':') || segment.startsWith('*')) {
        paramNames.push(segment);
        return segment.startsWith('*') ? '(.+)' : '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`), paramNames };
}

function pathParams(names: string[], values: RegExpExecArray): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (let index = 0; index < names.length; index++) {
    const marked = names[index] as string;
    const name = marked.slice(1);
    const raw = values[index + 1] as string;
    if (!marked.startsWith('*')) {
      params[name] = percentDecoded(raw, name, raw);
      continue;
    }
    const segments = raw.split('/');
    for (let segment = 0; segment < segments.length; segment++)
      segments[segment] = percentDecoded(segments[segment] as string, name, raw);
    params[name] = segments;
  }
  return params;
}

/** A path parameter (or one segment of a `*rest` one) percent-decoded; 400 naming it when it cannot be. */
function percentDecoded(text: string, name: string, raw: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InputError(`path parameter ${name} is not valid percent-encoding: ${raw}`, {
      code: 'bad_request',
      issues: [{ path: `path.${name}`, message: 'invalid percent-encoding' }],
    });
  }
}

function isJsonType(contentType: string | undefined): boolean {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type);
}

function withCharset(contentType: string, body: string | Buffer): string {
  const textual = typeof body === 'string' && /^(text\/|application\/(problem\+)?json)/i.test(contentType);
  return textual && !/charset=/i.test(contentType) ? `${contentType}; charset=utf-8` : contentType;
}

function tooLarge(limitBytes: number): IsdError {
  return new IsdError('PayloadTooLargeError', `request body is larger than the ${limitBytes} bytes allowed`, {
    code: 'body_too_large',
  });
}

/**
 * The request stream, inflated when the client compressed it. A transfer coding besides chunked is refused:
 * Node takes only the chunks apart, so the body would be read still encoded.
 */
function decoded(req: http.IncomingMessage): NodeJS.ReadableStream {
  const transferCoding = req.headers['transfer-encoding'];
  if (transferCoding !== undefined && transferCoding.trim().toLowerCase() !== 'chunked') {
    throw new IsdError('UnsupportedMediaTypeError', `unsupported transfer coding "${transferCoding.slice(0, 100)}"`, {
      code: 'unsupported_encoding',
    });
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return req;
  if (encoding === 'gzip' || encoding === 'x-gzip') return req.pipe(zlib.createGunzip());
  if (encoding === 'deflate') return req.pipe(zlib.createInflate());
  throw new IsdError('UnsupportedMediaTypeError', `unsupported content encoding "${encoding}"`, {
    code: 'unsupported_encoding',
  });
}

/** Reads a stream as UTF-8 text, refusing it with 413 once it passes `limitBytes`. */
function readLimited(stream: NodeJS.ReadableStream, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    // On refusal the rest is discarded: Node drains an unread request body after the response.
    const fail = (error: IsdError) => {
      stream.removeAllListeners('data');
      if (stream instanceof zlib.Inflate || stream instanceof zlib.Gunzip) stream.destroy();
      reject(error);
    };
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) fail(tooLarge(limitBytes));
      else chunks.push(chunk);
    });
    stream.on('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    stream.on('error', (error: Error) =>
      fail(new InputError(`request body could not be read: ${error.message}`, { code: 'bad_request' })),
    );
    stream.on('close', () => {
      if (!ended) fail(new InputError('request body ended early: the client went away', { code: 'bad_request' }));
    });
  });
}

/**
 * Which of `offered` the Accept header prefers, by RFC 9110 rules (negotiator): the most specific range
 * decides a type's q, so `text/html;q=0` beside a catch-all range still refuses HTML; ties go to the
 * order offered. Undefined if the header accepts none of them.
 */
function preferredType(accept: string | undefined, offered: string[]): string | undefined {
  if (!accept) return offered[0];
  return new Negotiator({ headers: { accept } }).mediaType(offered);
}

/** Maps everything that is not an ISD error onto the ISD categories; unknown errors are 500s. */
function toIsdError(error: unknown): IsdError {
  if (isIsdError(error)) return error;
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new InputError('request body is nested too deeply', { code: 'too_deep' });
  }
  return new IsdError('InternalError', 'internal error', { code: 'internal_error', cause: error });
}
