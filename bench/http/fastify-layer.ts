// The kit's route table served through fastify 5, doing per request what the kit's HttpApp does (decision
// 001, issue 17), for the benchmarks that compare the two layers (bench:http, bench:approvals): the request
// id taken from a well-formed X-Request-Id or generated, sent back; authentication; zod validation of
// params, query and body collecting every issue into one 400; a child logger made only when a handler logs;
// Accept negotiation on demand; problem+json errors; the request-duration histogram by route template.
import http from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import type { z } from 'zod';
import {
  InputError,
  IsdError,
  isIsdError,
  type Authenticator,
  type Caller,
  type FieldIssue,
  type Logger,
  type RouteContext,
  type RouteHandler,
  type RouteSpec,
  type ServiceMetrics,
} from '@isd/kit';

/** A route as the kit registers it. */
export interface KitRoute {
  spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>;
  handler: RouteHandler<unknown, unknown, unknown>;
}

const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;
let counter = 0;

/** The caller's X-Request-Id when well-formed, else a new one (a prefix and a counter, like the kit's). */
export function requestIdOf(req: http.IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  if (typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming)) return incoming;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `bench-${counter.toString(16)}`;
}

/** Validates one input with zod, adding every issue under its location (`path.id`, `body.comment`). */
export function validate(
  schema: z.ZodType | undefined,
  value: unknown,
  location: string,
  issues: FieldIssue[],
): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues)
    issues.push({ path: [location, ...issue.path.map(String)].join('.'), message: issue.message });
  return undefined;
}

/** The problem+json answer the kit gives for an error. */
export function problemBody(error: unknown, instance: string | undefined, requestId: string) {
  const problem = isIsdError(error)
    ? error
    : new IsdError('InternalError', 'internal error', { code: 'internal_error' });
  return {
    status: problem.status,
    body: {
      type: `urn:isd:problem:${problem.code}`,
      title: http.STATUS_CODES[problem.status] ?? problem.category,
      status: problem.status,
      detail: problem.message,
      instance,
      requestId,
      ...(problem.issues.length ? { field: problem.issues[0]?.path, errors: problem.issues } : {}),
    },
  };
}

/**
 * A handler's context made as the kit makes its own (a class: a literal with a getter costs V8 several
 * times more to create), so neither layer pays for the other's habits.
 */
export class Context implements RouteContext<unknown, unknown, unknown> {
  readonly accepts: (types: string[]) => string | undefined;
  private child: Logger | undefined;

  constructor(
    readonly req: http.IncomingMessage,
    readonly requestId: string,
    private readonly logger: Logger,
    readonly params: unknown,
    readonly query: unknown,
    readonly body: unknown,
    readonly caller: Caller,
  ) {
    this.accepts = (types) =>
      req.headers.accept ? new Negotiator({ headers: req.headers }).mediaType(types) : types[0];
  }

  get log(): Logger {
    this.child ??= this.logger.child({ requestId: this.requestId });
    return this.child;
  }
}

/** Serves `routes` through fastify with the kit's per-request work; call listen() on the result. */
export function fastifyLayer(
  routes: KitRoute[],
  options: { authenticator: Authenticator; logger: Logger; metrics: ServiceMetrics; bodyLimitBytes?: number },
): FastifyInstance {
  const { authenticator, logger, metrics } = options;
  const app = Fastify({
    logger: false,
    genReqId: requestIdOf,
    ...(options.bodyLimitBytes ? { bodyLimit: options.bodyLimitBytes } : {}),
  });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('X-Request-Id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.http.record(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });
  app.setErrorHandler(async (error, request, reply) => {
    const problem = problemBody(error, request.url, request.id);
    return reply.code(problem.status).type('application/problem+json').send(problem.body);
  });
  for (const { spec, handler } of routes) {
    // The kit's `*rest` is fastify's `*`, handed over as decoded segments like the kit does.
    const rest = /\*(\w+)$/.exec(spec.path)?.[1];
    app.route({
      method: spec.method.toUpperCase() as 'GET',
      url: rest ? spec.path.replace(/\*\w+$/, '*') : spec.path,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const caller = await authenticator.authenticate(request.raw.headers, spec.auth);
        const issues: FieldIssue[] = [];
        let raw = request.params as Record<string, string | string[]>;
        if (rest) raw = { [rest]: String(raw['*']).split('/') };
        const params = validate(spec.params, raw, 'path', issues);
        const query = spec.query ? validate(spec.query, request.query, 'query', issues) : {};
        const body = spec.body ? validate(spec.body, request.body, 'body', issues) : undefined;
        if (issues.length) throw new InputError(`${issues[0]?.path}: ${issues[0]?.message}`, { issues });
        const result = await handler(new Context(request.raw, request.id, logger, params, query, body, caller));
        void reply.code(result.status);
        if (result.headers) void reply.headers(result.headers);
        if (result.contentType) void reply.type(result.contentType);
        return reply.send(result.body);
      },
    });
  }
  return app;
}
