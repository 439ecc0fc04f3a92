// For bench:approvals' HTTP-layer comparison (issue 17, decision 001): one process serves visibility's
// routes twice, through the kit's own router (the product, on VISIBILITY_SERVER__PORT) and through fastify
// (on HTTP_LAYERS_FASTIFY_PORT), with the same handlers, the same zod validation and the same
// authentication, on the same database pool. Only the HTTP layer differs, so the bench can load one and
// then the other and compare polls per second and CPU per poll.
import Fastify from 'fastify';
import type { ZodType } from 'zod';
import {
  Authenticator,
  StaticPermissionResolver,
  createLogger,
  createServiceMetrics,
  isIsdError,
  loadServiceConfig,
  startService,
  type RouteHandler,
  type RouteSpec,
  type ServiceDefinition,
} from '@isd/kit';
import { visibilityService, type VisibilityConfig } from '@isd/visibility';

type AnyRoute = { spec: RouteSpec<ZodType, ZodType, ZodType>; handler: RouteHandler<unknown, unknown, unknown> };

async function main(): Promise<void> {
  const config = loadServiceConfig(visibilityService, process.env, []);
  const fastifyPort = Number(process.env.HTTP_LAYERS_FASTIFY_PORT);
  if (!Number.isInteger(fastifyPort) || fastifyPort <= 0)
    throw new Error('HTTP_LAYERS_FASTIFY_PORT: a port number is required');
  const logger = createLogger({ name: 'visibility', level: config.log.level, pretty: false });

  // Visibility registers its routes on the kit's app as usual; each registration is also recorded.
  const routes: AnyRoute[] = [];
  const recording: ServiceDefinition<VisibilityConfig> = {
    ...visibilityService,
    setup(deps) {
      const http = new Proxy(deps.http, {
        get(target, property, receiver) {
          if (property !== 'route') return Reflect.get(target, property, receiver) as unknown;
          return (spec: AnyRoute['spec'], handler: AnyRoute['handler']) => {
            routes.push({ spec, handler });
            return target.route(spec, handler);
          };
        },
      });
      return visibilityService.setup({ ...deps, http });
    },
  };
  await startService(recording, config, { logger });

  const authenticator = new Authenticator({
    serviceToken: config.auth.serviceToken,
    gateToken: config.auth.gateToken,
    permissions: new StaticPermissionResolver(new Map(Object.entries(config.auth.users))),
  });
  // The kit's per-request work besides routing (request id header, request-duration histogram) is done here
  // too, so the comparison is of the layers, not of what one of them leaves out.
  const metrics = createServiceMetrics('visibility_fastify');
  const app = Fastify({ logger: false, bodyLimit: config.server.bodyLimitBytes });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('X-Request-Id', String(request.id));
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.http.record(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });
  for (const { spec, handler } of routes) {
    app.route({
      method: spec.method.toUpperCase() as 'GET',
      url: spec.path.replace(/\*\w+$/, '*'),
      handler: async (request, reply) => {
        try {
          const caller = await authenticator.authenticate(request.raw.headers, spec.auth, { gateListener: false });
          const answer = await handler({
            params: spec.params ? spec.params.parse(request.params) : request.params,
            query: spec.query ? spec.query.parse(request.query) : {},
            body: spec.body ? spec.body.parse(request.body) : undefined,
            caller,
            requestId: String(request.id),
            log: logger,
            req: request.raw,
            accepts: (types) => types[0],
          });
          void reply.code(answer.status);
          if (answer.headers) void reply.headers(answer.headers);
          if (answer.contentType) void reply.type(answer.contentType);
          return answer.body;
        } catch (error) {
          const status = isIsdError(error) ? error.status : 500;
          void reply.code(status).type('application/problem+json');
          return { status, detail: (error as Error).message };
        }
      },
    });
  }
  await app.listen({ port: fastifyPort, host: config.server.host });
  logger.warn({ kitPort: config.server.port, fastifyPort, routes: routes.length }, 'serving through both layers');
}

main().catch((error: unknown) => {
  process.stderr.write(`http-layers failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
