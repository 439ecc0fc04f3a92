import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { Authenticator, Caller, RouteAuth } from './auth';
import { InputError, IsdError, isIsdError, type FieldIssue } from './errors';
import type { Logger } from './logger';
import type { ServiceMetrics } from './metrics';
import { buildOpenApiDocument, type OpenApiInfo } from './openapi';
import { findUnresolvedExpression } from './spel';

/** HTTP methods a route may use. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A route: its contract (validated and published as OpenAPI) and who may call it. */
export interface RouteSpec<Params extends z.ZodType, Query extends z.ZodType, Body extends z.ZodType> {
  method: HttpMethod;
  /** Express-style path, e.g. `/api/v1/approvals/:id`. */
  path: string;
  summary: string;
  tags?: string[];
  auth: RouteAuth;
  params?: Params;
  query?: Query;
  body?: Body;
  /**
   * The body comes from an Orca SpEL template: a field still holding a literal `${...}` means the
   * expression failed in Orca, and is refused with 400 naming the field.
   */
  rejectUnresolvedExpressions?: boolean;
  /** Documented responses by status; `schema` describes the JSON body. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

/** What a handler gets: validated inputs and the authenticated caller. */
export interface RouteContext<Params, Query, Body> {
  params: Params;
  query: Query;
  body: Body;
  caller: Caller;
  requestId: string;
  log: Logger;
  req: Request;
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
  readiness: () => Promise<Readiness>;
}

interface RegisteredRoute {
  spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>;
  pattern: RegExp;
}

const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** Requests that arrived on the Gate-only listener (weak, so they are forgotten with the request). */
const gateListenerRequests = new WeakSet<http.IncomingMessage>();
const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The one way a service serves HTTP: request ids, a JSON body limit, content-type checks, zod
 * validation, problem+json errors, auth, metrics, `/healthz`, `/readyz`, `/metrics`, `/openapi.json`,
 * and 404/405 for everything else.
 */
export class HttpApp {
  readonly express: express.Express;
  private readonly routes: RegisteredRoute[] = [];
  private finalized = false;

  constructor(private readonly options: HttpAppOptions) {
    const app = express();
    app.disable('x-powered-by');
    app.set('query parser', 'simple');
    app.use(this.requestContext);
    app.use(this.requireJsonContentType);
    app.use(
      express.json({
        limit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
        type: ['application/json', 'application/*+json'],
        strict: false,
      }),
    );
    app.get('/healthz', (_req, res) => {
      res.json({ status: 'up' });
    });
    app.get('/readyz', (_req, res, next) => {
      options
        .readiness()
        .then((readiness) => res.status(readiness.ready ? 200 : 503).json(readiness))
        .catch(next);
    });
    app.get('/metrics', (_req, res, next) => {
      options.metrics.registry
        .metrics()
        .then((text) => res.type(options.metrics.registry.contentType).send(text))
        .catch(next);
    });
    app.get('/openapi.json', (_req, res) => {
      res.json(
        buildOpenApiDocument(
          options.info,
          this.routes.map((route) => route.spec),
        ),
      );
    });
    this.express = app;
  }

  /** Adds a route; inputs are validated against the spec before the handler runs. */
  route<Params extends z.ZodType = z.ZodType, Query extends z.ZodType = z.ZodType, Body extends z.ZodType = z.ZodType>(
    spec: RouteSpec<Params, Query, Body>,
    handler: RouteHandler<z.output<Params>, z.output<Query>, z.output<Body>>,
  ): this {
    if (this.finalized) throw new Error('routes must be added before the app starts listening');
    this.routes.push({ spec: spec as RouteSpec<z.ZodType, z.ZodType, z.ZodType>, pattern: pathPattern(spec.path) });
    this.express[spec.method](spec.path, (req: Request, res: Response, next: NextFunction) => {
      this.handle(spec, handler, req, res).catch(next);
    });
    return this;
  }

  /** Adds 404/405 and the error handler; called by {@link listen}, or by tests that use `express` directly. */
  finalize(): express.Express {
    if (this.finalized) return this.express;
    this.finalized = true;
    this.express.use((req: Request, _res: Response, next: NextFunction) => {
      const allowed = this.routes
        .filter((route) => route.pattern.test(req.path))
        .map((route) => route.spec.method.toUpperCase());
      if (allowed.length) {
        next(
          Object.assign(
            new IsdError(
              'MethodNotAllowedError',
              `${req.method} is not allowed on ${req.path}; use ${allowed.join(', ')}`,
            ),
            {
              allow: allowed.join(', '),
            },
          ),
        );
        return;
      }
      next(new IsdError('NotFoundError', `no route for ${req.method} ${req.path}`, { code: 'route_not_found' }));
    });
    this.express.use(this.errorHandler);
    return this.express;
  }

  /**
   * Starts listening; resolves with the server once the port is bound. With `gateListener` the port is
   * the one only Gate can reach (the chart's NetworkPolicy), where Gate's X-SPINNAKER-USER is trusted.
   */
  async listen(port: number, host = '0.0.0.0', options: { gateListener?: boolean } = {}): Promise<http.Server> {
    const app = this.finalize();
    const server = options.gateListener
      ? http.createServer((req, res) => {
          gateListenerRequests.add(req);
          app(req, res);
        })
      : http.createServer(app);
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    this.options.logger.info({ port: address.port, host, gateListener: Boolean(options.gateListener) }, 'listening');
    return server;
  }

  private async handle<Params, Query, Body>(
    spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>,
    handler: RouteHandler<Params, Query, Body>,
    req: Request,
    res: Response,
  ): Promise<void> {
    const caller = await this.options.authenticator.authenticate(req.headers, spec.auth, {
      gateListener: gateListenerRequests.has(req),
    });
    const issues: FieldIssue[] = [];
    const params = validate(spec.params, req.params, 'path', issues);
    const query = validate(spec.query, req.query ?? {}, 'query', issues);
    if (spec.body && spec.rejectUnresolvedExpressions && issues.length === 0) {
      const unresolved = findUnresolvedExpression(req.body);
      if (unresolved) {
        throw new InputError(
          `field ${unresolved.path} holds the unevaluated expression ${unresolved.expression}: a SpEL expression failed in Orca`,
          {
            code: 'unresolved_expression',
            issues: [{ path: unresolved.path, message: 'unevaluated SpEL expression' }],
          },
        );
      }
    }
    const body = spec.body ? validate(spec.body, req.body, 'body', issues) : undefined;
    if (issues.length) {
      const first = issues[0] as FieldIssue;
      throw new InputError(`${first.path}: ${first.message}`, { code: 'validation_failed', issues });
    }
    const reply = await handler({
      params: params as Params,
      query: query as Query,
      body: body as Body,
      caller,
      requestId: res.locals.requestId as string,
      log: res.locals.log as Logger,
      req,
    });
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    if (reply.body === undefined) res.status(reply.status).end();
    else if (reply.contentType) res.status(reply.status).type(reply.contentType).send(reply.body);
    else res.status(reply.status).json(reply.body);
  }

  private readonly requestContext = (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.locals.log = this.options.logger.child({ requestId });
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path as string}` : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.options.metrics.httpRequests.inc(labels);
      this.options.metrics.httpDurationSeconds.observe(labels, seconds);
    });
    next();
  };

  /** A body must be JSON: anything else is 415, before the parser sees it. */
  private readonly requireJsonContentType = (req: Request, _res: Response, next: NextFunction): void => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (
      hasBody &&
      req.method !== 'GET' &&
      req.method !== 'HEAD' &&
      !req.is(['application/json', 'application/*+json'])
    ) {
      next(
        new IsdError(
          'UnsupportedMediaTypeError',
          `request body must be application/json, not ${req.headers['content-type'] ?? 'untyped'}`,
          {
            code: 'unsupported_media_type',
          },
        ),
      );
      return;
    }
    next();
  };

  private readonly errorHandler = (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const problem = toIsdError(error);
    const log = (res.locals.log as Logger | undefined) ?? this.options.logger;
    if (problem.status >= 500) log.error({ err: error, method: req.method, path: req.path }, 'request failed');
    else log.debug({ code: problem.code, detail: problem.message }, 'request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const allow = (error as { allow?: string }).allow;
    if (allow) res.setHeader('Allow', allow);
    res
      .status(problem.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(
        JSON.stringify({
          type: `urn:isd:problem:${problem.code}`,
          title: titleFor(problem),
          status: problem.status,
          detail: problem.message,
          instance: req.originalUrl,
          requestId: res.locals.requestId,
          ...(problem.issues.length ? { field: problem.issues[0]?.path, errors: problem.issues } : {}),
        }),
      );
  };
}

/** Creates the HTTP app of a service. */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  return new HttpApp(options);
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

/** Maps body-parser's and everything else's errors onto the ISD categories; unknown errors are 500s. */
function toIsdError(error: unknown): IsdError {
  if (isIsdError(error)) return error;
  const type = (error as { type?: string }).type;
  if (type === 'entity.too.large') {
    return new IsdError(
      'PayloadTooLargeError',
      `request body is larger than the ${(error as { limit?: number }).limit ?? ''} bytes allowed`,
      {
        code: 'body_too_large',
      },
    );
  }
  if (type === 'entity.parse.failed') {
    return new InputError(`request body is not valid JSON: ${(error as Error).message}`, { code: 'malformed_json' });
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new IsdError('UnsupportedMediaTypeError', (error as Error).message, { code: 'unsupported_encoding' });
  }
  if (type === 'request.aborted' || type === 'request.size.invalid' || type === 'stream.encoding.set') {
    return new InputError((error as Error).message, { code: 'bad_request' });
  }
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new InputError('request body is nested too deeply', { code: 'too_deep' });
  }
  return new IsdError('InternalError', 'internal error', { code: 'internal_error', cause: error });
}

function titleFor(error: IsdError): string {
  return http.STATUS_CODES[error.status] ?? error.category;
}

/** `/api/v1/approvals/:id` → a RegExp matching concrete paths, for 405 detection. */
function pathPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}
