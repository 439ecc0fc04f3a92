// For bench:approvals' HTTP-layer comparison (issue 17, decision 001): one process serves visibility's
// routes twice, through the kit's own router (the product, on VISIBILITY_SERVER__PORT) and through fastify
// (on HTTP_LAYERS_FASTIFY_PORT), with the same handlers, the same zod validation and the same
// authentication, on the same database pool. Only the HTTP layer differs, so the bench can load one and
// then the other and compare polls per second and CPU per poll. It runs compiled (bench/dist), as the
// service does in production: through a TypeScript loader the kit's per-request closures got wrapped.
import {
  Authenticator,
  StaticPermissionResolver,
  createLogger,
  createServiceMetrics,
  loadServiceConfig,
  startService,
  type ServiceDefinition,
} from '@isd/kit';
import { visibilityService, type VisibilityConfig } from '@isd/visibility';
import { fastifyLayer, type KitRoute } from '../http/fastify-layer';

async function main(): Promise<void> {
  const config = loadServiceConfig(visibilityService, process.env, []);
  const fastifyPort = Number(process.env.HTTP_LAYERS_FASTIFY_PORT);
  if (!Number.isInteger(fastifyPort) || fastifyPort <= 0)
    throw new Error('HTTP_LAYERS_FASTIFY_PORT: a port number is required');
  const logger = createLogger({ name: 'visibility', level: config.log.level, pretty: false });

  // Visibility registers its routes on the kit's app as usual; each registration is also recorded.
  const routes: KitRoute[] = [];
  const recording: ServiceDefinition<VisibilityConfig> = {
    ...visibilityService,
    setup(deps) {
      const http = new Proxy(deps.http, {
        get(target, property, receiver) {
          if (property !== 'route') return Reflect.get(target, property, receiver) as unknown;
          return (spec: KitRoute['spec'], handler: KitRoute['handler']) => {
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
  // The same per-request work as the kit (request id, validation collecting issues, problem+json, the
  // request histogram, a child logger and Accept negotiation only when asked): see fastify-layer.ts.
  const app = fastifyLayer(routes, {
    authenticator,
    logger,
    metrics: createServiceMetrics('visibility_fastify'),
    bodyLimitBytes: config.server.bodyLimitBytes,
  });
  await app.listen({ port: fastifyPort, host: config.server.host });
  // The bench reads this process's CPU time before and after each window.
  process.on('message', () => {
    const cpu = process.cpuUsage();
    process.send?.({ cpuUs: cpu.user + cpu.system });
  });
  logger.warn({ kitPort: config.server.port, fastifyPort, routes: routes.length }, 'serving through both layers');
}

main().catch((error: unknown) => {
  process.stderr.write(`http-layers failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
