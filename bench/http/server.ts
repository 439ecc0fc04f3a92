// For bench:http (issue 17, decision 001): one process serves the same route table three ways, with handlers
// that answer a constant, so only the HTTP layer is measured (no database):
// - `kit`: the kit's HttpApp, as every service uses it;
// - `fastify`: fastify 5 doing the same per-request work the kit does (fastify-layer.ts);
// - `bare`: plain node:http with the same authentication, validation and histogram but no routing
//   table, error mapping or per-request context: the floor a layer cannot go below.
// Run compiled (bench/dist/http/server.js), as the services run in production.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { z } from 'zod';
import {
  Authenticator,
  InputError,
  StaticPermissionResolver,
  createHttpApp,
  createLogger,
  createServiceMetrics,
  type FieldIssue,
} from '@isd/kit';
import { Context, fastifyLayer, problemBody, requestIdOf, validate, type KitRoute } from './fastify-layer';

const SERVICE_TOKEN = process.env.BENCH_SERVICE_TOKEN ?? 'bench-service-token-0123456789';
const idParams = z.object({ id: z.string().uuid() });
const listQuery = z.object({
  status: z.enum(['open', 'closed']).optional(),
  limit: z.coerce.number().int().optional(),
});
const decisionBody = z.object({ decision: z.enum(['approve', 'reject']), comment: z.string().max(2000).optional() });

/** A status poll's answer, about the size and shape of a presented approval. */
const ANSWER = {
  id: '00000000-0000-4000-8000-000000000000',
  status: 'waiting',
  application: 'shop',
  pipelineName: 'deploy',
  executionId: 'exec-1',
  stageId: 'stage-1',
  createdAt: '2026-12-06T21:00:00.000Z',
  expiresAt: '2026-12-07T21:00:00.000Z',
  approverGroups: [{ name: 'release-managers', required: 1, approvals: [] }],
  decisions: [],
  evidence: [{ kind: 'jenkins', title: 'build 42', url: 'https://ci.example.com/job/shop/42', status: 'success' }],
  links: { self: '/api/v1/approvals/00000000-0000-4000-8000-000000000000', ui: 'https://deck.example.com/#/x' },
  instructions: 'Check the dashboards first.',
};

const answer: KitRoute['handler'] = async () => ({ status: 200, body: ANSWER });
const responses = { 200: { description: 'ok' } };
/** Visibility's table plus a wildcard: what the router searches on every request. */
const ROUTES: KitRoute[] = [
  {
    spec: { method: 'post', path: '/api/v1/approvals', summary: 'create', auth: 'service', responses },
    handler: answer,
  },
  {
    spec: { method: 'get', path: '/api/v1/approvals', summary: 'list', auth: 'service', query: listQuery, responses },
    handler: answer,
  },
  {
    spec: {
      method: 'get',
      path: '/api/v1/approvals/:id',
      summary: 'get',
      auth: 'service',
      params: idParams,
      responses,
    },
    handler: answer,
  },
  {
    spec: {
      method: 'post',
      path: '/api/v1/approvals/:id/decisions',
      summary: 'decide',
      auth: 'service',
      params: idParams,
      body: decisionBody,
      responses,
    },
    handler: answer,
  },
  {
    spec: {
      method: 'post',
      path: '/api/v1/approvals/:id/cancel',
      summary: 'cancel',
      auth: 'service',
      params: idParams,
      responses,
    },
    handler: answer,
  },
  {
    spec: {
      method: 'get',
      path: '/api/v1/approvals/:id/events',
      summary: 'events',
      auth: 'service',
      params: idParams,
      responses,
    },
    handler: answer,
  },
  { spec: { method: 'get', path: '/email/decide', summary: 'email', auth: 'public', responses }, handler: answer },
  {
    spec: { method: 'post', path: '/slack/interactions', summary: 'slack', auth: 'public', responses },
    handler: answer,
  },
  {
    spec: { method: 'get', path: '/deck-plugin/*file', summary: 'plugin', auth: 'public', responses },
    handler: answer,
  },
];

async function listen(server: http.Server, port: number): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function main(): Promise<void> {
  const logger = createLogger({ name: 'bench-http', level: 'warn', pretty: false });
  const authenticator = new Authenticator({
    serviceToken: SERVICE_TOKEN,
    permissions: new StaticPermissionResolver(new Map()),
  });
  const ports: Record<string, number> = {};

  const kit = createHttpApp({
    info: { title: 'bench', version: '0' },
    logger,
    metrics: createServiceMetrics('bench_kit', { processMetrics: false }),
    authenticator,
    readiness: async () => ({ ready: true, checks: {} }),
  });
  for (const { spec, handler } of ROUTES) kit.route(spec, handler);
  ports.kit = (await kit.listen(0, '127.0.0.1').then((server) => server.address() as AddressInfo)).port;

  const fastify = fastifyLayer(ROUTES, {
    authenticator,
    logger,
    metrics: createServiceMetrics('bench_fastify', { processMetrics: false }),
  });
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  ports.fastify = (fastify.server.address() as AddressInfo).port;

  // The floor: one route looked up by a single regex, everything else as above.
  const bareMetrics = createServiceMetrics('bench_bare', { processMetrics: false });
  const pollRoute = ROUTES[2] as (typeof ROUTES)[number];
  const pollPattern = /^\/api\/v1\/approvals\/([^/]+)$/;
  const bare = http.createServer((req, res) => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    const finish = (status: number, body: unknown, type: string) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'X-Request-Id': requestId,
        'Content-Type': type,
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
      bareMetrics.http.record(req.method ?? 'GET', pollRoute.spec.path, status, (performance.now() - started) / 1000);
    };
    const match = req.method === 'GET' ? pollPattern.exec(req.url ?? '') : null;
    if (!match) {
      finish(404, { status: 404 }, 'application/problem+json');
      return;
    }
    authenticator
      .authenticate(req.headers, pollRoute.spec.auth)
      .then(async (caller) => {
        const issues: FieldIssue[] = [];
        const params = validate(pollRoute.spec.params, { id: match[1] }, 'path', issues);
        if (issues.length) throw new InputError(`${issues[0]?.path}: ${issues[0]?.message}`, { issues });
        const result = await pollRoute.handler(new Context(req, requestId, logger, params, {}, undefined, caller));
        finish(result.status, result.body, 'application/json; charset=utf-8');
      })
      .catch((error: unknown) => {
        const problem = problemBody(error, req.url, requestId);
        finish(problem.status, problem.body, 'application/problem+json');
      });
  });
  bare.keepAliveTimeout = 65_000;
  ports.bare = await listen(bare, 0);

  // The driver asks for this process's CPU time and garbage collections before and after each window
  // (process.cpuUsage is exact to the microsecond, /proc's ticks only to 10 ms).
  const gc = { count: 0, ms: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.ms += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', () => {
    const cpu = process.cpuUsage();
    process.send?.({ cpuUs: cpu.user + cpu.system, gcCount: gc.count, gcMs: gc.ms });
  });
  // Exiting normally on SIGINT lets --cpu-prof write its profile.
  process.once('SIGINT', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ ports })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench http server failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
