import type http from 'node:http';
import { get as httpGet } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { z } from 'zod';
import { Authenticator, StaticPermissionResolver } from './auth';
import { ConflictError } from './errors';
import { HEADERS_TIMEOUT_MS, createHttpApp } from './http-app';
import { createLogger } from './logger';
import { createServiceMetrics } from './metrics';

const serviceToken = 'service-token-0123456789';
const gateToken = 'gate-token-0123456789abc';
const orca = { 'content-type': 'application/json', 'x-isd-service-token': serviceToken };

let server: http.Server;
let gateServer: http.Server;
let base: string;
let gateBase: string;
let ready = true;

beforeAll(async () => {
  const app = createHttpApp({
    info: { title: 'test', version: '1' },
    logger: createLogger({ name: 'test', level: 'silent', pretty: false }),
    metrics: createServiceMetrics('test', { processMetrics: false }),
    authenticator: new Authenticator({
      serviceToken,
      gateToken,
      permissions: new StaticPermissionResolver({ alice: ['Release-Managers'] }),
    }),
    readiness: async () => ({ ready, checks: { database: ready } }),
  });
  app.route(
    {
      method: 'post',
      path: '/api/v1/things',
      summary: 'Create a thing',
      auth: 'service',
      rejectUnresolvedExpressions: true,
      body: z.strictObject({ name: z.string().min(1), count: z.number().int(), tags: z.array(z.string()).default([]) }),
      responses: { 202: { description: 'created', schema: z.object({ id: z.string() }) } },
    },
    async ({ body }) => ({
      status: 202,
      body: { id: `thing-${body.name}` },
      headers: { Location: `/api/v1/things/thing-${body.name}` },
    }),
  );
  app.route(
    {
      method: 'post',
      path: '/echo-json',
      summary: 'Echo the parsed body',
      auth: 'public',
      body: z.record(z.string(), z.unknown()),
      responses: { 200: { description: 'the body as parsed' } },
    },
    async ({ body }) => ({ status: 200, body }),
  );
  app.route(
    {
      method: 'post',
      path: '/json-text',
      summary: 'The text of a JSON body beside its parsed value',
      auth: 'public',
      body: z.object({ n: z.number() }),
      responses: { 200: { description: 'the parsed body and its text' } },
    },
    async ({ body, rawBody }) => ({ status: 200, body: { body, text: rawBody } }),
  );
  app.route(
    {
      method: 'post',
      path: '/api/v1/signed',
      summary: 'Echo the exact body (a peer that signs its bytes)',
      auth: 'public',
      rawBody: true,
      responses: { 200: { description: 'the body as received' } },
    },
    async ({ rawBody }) => ({ status: 200, contentType: 'text/plain', body: JSON.stringify(rawBody) }),
  );
  app.route(
    {
      method: 'get',
      path: '/api/v1/things/:id',
      summary: 'Read',
      auth: 'service-or-user',
      params: z.object({ id: z.string() }),
      responses: { 200: { description: 'ok' } },
    },
    async ({ params, caller }) => ({ status: 200, body: { id: params.id, caller } }),
  );
  app.route(
    {
      method: 'post',
      path: '/api/v1/things/:id/close',
      summary: 'Close',
      auth: 'user',
      responses: { 409: { description: 'closed' } },
    },
    async () => {
      throw new ConflictError('thing is closed', { code: 'thing_closed' });
    },
  );
  app.route({ method: 'get', path: '/page', summary: 'HTML', auth: 'public', responses: {} }, async () => ({
    status: 200,
    contentType: 'text/html',
    body: '<p>hello</p>',
  }));
  app.route(
    {
      method: 'get',
      path: '/files/*rest',
      summary: 'Wildcard',
      auth: 'public',
      params: z.object({ rest: z.array(z.string()) }),
      responses: {},
    },
    async ({ params }) => ({ status: 200, body: params }),
  );
  app.route(
    {
      method: 'get',
      path: '/negotiate',
      summary: 'Accept',
      auth: 'public',
      responses: {
        200: {
          description: 'the preferred type',
          schema: z.object({ preferred: z.string().nullable() }),
          otherContentTypes: ['text/html'],
        },
      },
    },
    async (context) => ({
      status: 200,
      body: { preferred: context.accepts(['text/html', 'application/json']) ?? null },
    }),
  );
  app.route(
    {
      method: 'post',
      path: '/optional-body',
      summary: 'A body that may be left out',
      auth: 'public',
      body: z.object({ note: z.string() }).optional(),
      responses: {},
    },
    async ({ body }) => ({ status: 200, body: { note: body?.note ?? null } }),
  );
  app.route({ method: 'get', path: '/own-headers', summary: 'Headers', auth: 'public', responses: {} }, async () => ({
    status: 200,
    body: { ok: true },
    headers: { 'X-REQUEST-ID': 'chosen-by-handler', 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' },
  }));
  app.route({ method: 'get', path: '/bad-header', summary: 'Bad header', auth: 'public', responses: {} }, async () => ({
    status: 200,
    body: { ok: true },
    headers: { Location: '/a\r\nSet-Cookie: x=1' },
  }));
  app.route({ method: 'get', path: '/boom', summary: 'Fails', auth: 'public', responses: {} }, async () => {
    throw new Error('secret internals');
  });
  server = await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gateServer = await app.listen(0, '127.0.0.1', { gateListener: true });
  gateBase = `http://127.0.0.1:${(gateServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => gateServer.close(resolve));
});

async function post(path: string, body: string, headers: Record<string, string> = orca) {
  const response = await fetch(base + path, { method: 'POST', headers, body });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('HttpApp', () => {
  it('answers a valid request and sets a request id', async () => {
    const response = await fetch(`${base}/api/v1/things`, {
      method: 'POST',
      headers: orca,
      body: JSON.stringify({ name: 'a', count: 1 }),
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe('/api/v1/things/thing-a');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{12}-[0-9a-f]+$/);
  });

  it("lets a handler's header replace the kit's own whatever its case, each sent once", async () => {
    const raw = await new Promise<string[]>((resolve, reject) => {
      httpGet(`${base}/own-headers`, (response) => {
        response.resume();
        resolve(response.rawHeaders);
      }).on('error', reject);
    });
    const values = (name: string) =>
      raw.flatMap((value, index) => (index % 2 === 0 && value.toLowerCase() === name ? [raw[index + 1]] : []));
    expect(values('x-request-id')).toEqual(['chosen-by-handler']);
    expect(values('cache-control')).toEqual(['no-store']);
    // A JSON body is always sent as JSON: the kit's type wins over one the handler named.
    expect(values('content-type')).toEqual(['application/json; charset=utf-8']);
  });

  it('answers 500 problem+json, not a crash or a split header, when a handler returns a header with a line break', async () => {
    const response = await fetch(`${base}/bad-header`);
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{12}-[0-9a-f]+$/);
  });

  it('returns 400 problem+json naming the field for a validation error', async () => {
    const { status, type, body } = await post('/api/v1/things', JSON.stringify({ name: 'a', count: 'many' }));
    expect(status).toBe(400);
    expect(type).toContain('application/problem+json');
    expect(body).toMatchObject({
      status: 400,
      title: 'Bad Request',
      field: 'body.count',
      type: 'urn:isd:problem:validation_failed',
    });
    expect(body.detail).toMatch(/^body\.count: /);
  });

  it('returns 400 for unknown fields in a strict body', async () => {
    const { status, body } = await post('/api/v1/things', JSON.stringify({ name: 'a', count: 1, __proto__x: 1 }));
    expect(status).toBe(400);
    expect(body.detail).toMatch(/__proto__x/);
  });

  it('returns 400 naming the field that still holds a SpEL expression', async () => {
    const { status, body } = await post(
      '/api/v1/things',
      JSON.stringify({ name: 'a', count: 1, tags: ['ok', '${trigger.user}'] }),
    );
    expect(status).toBe(400);
    expect(body).toMatchObject({ field: 'body.tags.1', type: 'urn:isd:problem:unresolved_expression' });
  });

  it('returns 400 for malformed JSON', async () => {
    const { status, body } = await post('/api/v1/things', '{"name": ');
    expect(status).toBe(400);
    expect(body.type).toBe('urn:isd:problem:malformed_json');
  });

  it('returns 400, not 500, for absurdly deep nesting', async () => {
    const { status } = await post('/api/v1/things', '['.repeat(200_000) + ']'.repeat(200_000));
    expect([400, 413]).toContain(status);
  });

  it('returns 413 for a 2 MiB body', async () => {
    const { status, body } = await post(
      '/api/v1/things',
      JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), count: 1 }),
    );
    expect(status).toBe(413);
    expect(body.type).toBe('urn:isd:problem:body_too_large');
  });

  it('returns 415 for a body that is not JSON', async () => {
    const { status } = await post('/api/v1/things', 'name=a', {
      ...orca,
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(status).toBe(415);
  });

  it('returns 401 without the service token and with a wrong one', async () => {
    expect((await post('/api/v1/things', '{}', { 'content-type': 'application/json' })).status).toBe(401);
    expect((await post('/api/v1/things', '{}', { ...orca, 'x-isd-service-token': 'wrong' })).status).toBe(401);
  });

  it('accepts the service token as a bearer token', async () => {
    const response = await fetch(`${base}/api/v1/things/t1`, { headers: { authorization: `Bearer ${serviceToken}` } });
    expect(await response.json()).toMatchObject({ caller: { kind: 'service' } });
  });

  it('tells the service token on a people-only route that it is not accepted there (403), not that Gate is missing', async () => {
    const tokenHeaders: Record<string, string>[] = [
      { 'x-isd-service-token': serviceToken },
      { authorization: `Bearer ${serviceToken}` },
    ];
    for (const headers of tokenHeaders) {
      const response = await post('/api/v1/things/t1/close', '{}', { ...headers, 'content-type': 'application/json' });
      expect(response.status).toBe(403);
      expect(response.body.type).toBe('urn:isd:problem:service_token_not_accepted');
      expect(response.body.detail).toMatch(/service token is not accepted here.*through Gate/);
    }
    // A wrong token there is still just unauthenticated.
    const wrong = await post('/api/v1/things/t1/close', '{}', {
      'x-isd-service-token': 'wrong',
      'content-type': 'application/json',
    });
    expect(wrong.status).toBe(401);
  });

  it('ignores X-SPINNAKER-USER without the Gate credential', async () => {
    const response = await fetch(`${base}/api/v1/things/t1`, { headers: { 'x-spinnaker-user': 'alice' } });
    expect(response.status).toBe(401);
  });

  it('trusts X-SPINNAKER-USER with the Gate credential and resolves roles', async () => {
    const response = await fetch(`${base}/api/v1/things/t1`, {
      headers: { 'x-spinnaker-user': 'alice', 'x-isd-gate-token': gateToken },
    });
    expect(await response.json()).toMatchObject({
      caller: { kind: 'user', user: 'alice', roles: ['release-managers'] },
    });
  });

  it('trusts X-SPINNAKER-USER on the Gate-only listener without the Gate credential', async () => {
    const response = await fetch(`${gateBase}/api/v1/things/t1`, { headers: { 'x-spinnaker-user': 'alice' } });
    expect(await response.json()).toMatchObject({
      caller: { kind: 'user', user: 'alice', roles: ['release-managers'] },
    });
  });

  it('still requires the service token for Orca routes on the Gate-only listener', async () => {
    const response = await fetch(`${gateBase}/api/v1/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-spinnaker-user': 'alice' },
      body: JSON.stringify({ name: 'a', count: 1 }),
    });
    expect(response.status).toBe(401);
  });

  it('maps domain errors to their status', async () => {
    const response = await fetch(`${base}/api/v1/things/t1/close`, {
      method: 'POST',
      headers: { 'x-spinnaker-user': 'alice', 'x-isd-gate-token': gateToken },
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ type: 'urn:isd:problem:thing_closed', detail: 'thing is closed' });
  });

  it('returns 404 and 405 as problem+json', async () => {
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    const wrongMethod = await fetch(`${base}/api/v1/things/t1`, { method: 'DELETE', headers: orca });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('sends a non-JSON body as is when the reply names its content type', async () => {
    const response = await fetch(`${base}/page`);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toBe('<p>hello</p>');
  });

  it('hands a rawBody route the exact text of any content type, still within the size limit', async () => {
    const form = 'payload=%7B%22a%22%3A1%7D&x=%20y';
    const echoed = await fetch(`${base}/api/v1/signed`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect([echoed.status, JSON.parse(await echoed.text())]).toEqual([200, form]);
    const empty = await fetch(`${base}/api/v1/signed`, { method: 'POST' });
    expect(JSON.parse(await empty.text())).toBe('');
    const big = await fetch(`${base}/api/v1/signed`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
  });

  it('hands a JSON route the text as sent beside the parsed body (numbers JSON.parse rounds)', async () => {
    const text = '{"n": 123456789012345678901234567890.0}';
    const response = await fetch(`${base}/json-text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text,
    });
    expect(await response.json()).toEqual({ body: { n: 1.2345678901234568e29 }, text });
  });

  it('captures a wildcard as decoded segments and a :param percent-decoded', async () => {
    expect(await (await fetch(`${base}/files/a/b%20c/`)).json()).toEqual({ rest: ['a', 'b c', ''] });
    const thing = await fetch(`${base}/api/v1/things/x%2Fy`, { headers: orca });
    expect(await thing.json()).toMatchObject({ id: 'x/y' });
    const broken = await fetch(`${base}/api/v1/things/%E0%A4%A`, { headers: orca });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ field: 'path.id' });
  });

  it('answers HEAD like GET without a body, and OPTIONS with the allowed methods', async () => {
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const options = await fetch(`${base}/api/v1/things`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('POST');
  });

  it('inflates a gzip body and refuses unknown encodings and charsets with 415', async () => {
    const gzipped = zlib.gzipSync(JSON.stringify({ name: 'zipped', count: 2 }));
    const response = await fetch(`${base}/api/v1/things`, {
      method: 'POST',
      headers: { ...orca, 'content-encoding': 'gzip' },
      body: gzipped,
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ id: 'thing-zipped' });
    const brotli = await post('/api/v1/things', '{}', { ...orca, 'content-encoding': 'compress' });
    expect(brotli.status).toBe(415);
    const latin1 = await post('/api/v1/things', '{}', { ...orca, 'content-type': 'application/json; charset=latin1' });
    expect(latin1.status).toBe(415);
  });

  it('refuses a transfer coding other than chunked with 415 instead of reading its still-encoded body', async () => {
    const body = JSON.stringify({ name: 'coded', count: 1 });
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.on('close', () => resolve(received));
      socket.write(
        `POST /api/v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `X-Isd-Service-Token: ${serviceToken}\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n` +
          `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1.1 415 /);
    expect(answer).toMatch(/unsupported transfer coding \\"gzip, chunked\\"/);
  });

  it('refuses a body that inflates past the limit with 413', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(4 * 1024 * 1024, 32));
    const response = await fetch(`${base}/api/v1/things`, {
      method: 'POST',
      headers: { ...orca, 'content-encoding': 'gzip' },
      body: bomb,
    });
    expect(response.status).toBe(413);
  });

  it('keeps a well-formed request id and negotiates from Accept', async () => {
    const echoed = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'orca-123.4' } });
    expect(echoed.headers.get('x-request-id')).toBe('orca-123.4');
    const replaced = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f]{12}-[0-9a-f]+$/);
    const preferred = async (accept?: string) =>
      (
        (await (await fetch(`${base}/negotiate`, { headers: accept ? { accept } : {} })).json()) as {
          preferred: unknown;
        }
      ).preferred;
    expect(await preferred()).toBe('text/html');
    expect(await preferred('application/json')).toBe('application/json');
    expect(await preferred('text/html;q=0.5, application/json')).toBe('application/json');
    expect(await preferred('image/png')).toBeNull();
    // The most specific range decides: HTML refused outright, everything else welcome.
    expect(await preferred('text/html;q=0, */*')).toBe('application/json');
    expect(await preferred('text/*;q=0.2, application/json;q=0.1')).toBe('text/html');
    expect(await preferred('*/*')).toBe('text/html');
    expect(await preferred('TEXT/HTML;Q=0, application/*')).toBe('application/json');
  });

  it('hides internals of unexpected errors behind a 500', async () => {
    const response = await fetch(`${base}/boom`);
    expect(response.status).toBe(500);
    expect(JSON.stringify(await response.json())).not.toContain('secret internals');
  });

  it('serves health, readiness, metrics and OpenAPI', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    ready = false;
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /http_requests_total\{method="POST",route="\/api\/v1\/things",status="202",service="test"\} \d+/,
    );
    const healthz = (suffix: string) =>
      Number(
        new RegExp(
          `http_request_duration_seconds_${suffix}\\{method="GET",route="/healthz",status="200",${suffix === 'bucket' ? 'le="\\+Inf",' : ''}service="test"\\} (\\S+)`,
        ).exec(metrics)?.[1],
      );
    expect(healthz('count')).toBeGreaterThanOrEqual(1);
    expect(healthz('bucket')).toBe(healthz('count'));
    expect(healthz('sum')).toBeGreaterThan(0);
    expect(metrics).toContain('# TYPE http_request_duration_seconds histogram');
    expect(metrics).toContain('# TYPE http_requests_total counter');
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    expect(openapi.paths['/api/v1/things']?.post?.requestBody).toBeDefined();
    expect(openapi.paths['/api/v1/things/{id}']?.get).toBeDefined();
  });

  // Found by fuzzing: every refusal the app answers itself must be in the document, as problem+json.
  it("documents the app's own refusals as problem+json, keeping a route's own description", async () => {
    type Operation = { responses: Record<string, { description: string; content?: Record<string, unknown> }> };
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, unknown> };
    };
    const create = openapi.paths['/api/v1/things']?.post as Operation;
    expect(Object.keys(create.responses).sort()).toEqual(['202', '400', '401', '403', '413', '415', '429']);
    expect(create.responses['400']?.content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    });
    expect(openapi.components.schemas.Problem).toMatchObject({ required: ['type', 'title', 'status', 'detail'] });
    const close = openapi.paths['/api/v1/things/{id}/close']?.post as Operation;
    expect(Object.keys(close.responses).sort()).toEqual(['401', '403', '409', '429']);
    expect(close.responses['409']?.description).toBe('closed');
    const signed = openapi.paths['/api/v1/signed']?.post as Operation;
    expect(Object.keys(signed.responses).sort()).toEqual(['200', '413']);
  });

  // Found by fuzzing: the document must describe what the routes really take and answer.
  it('documents wildcard parameters, optional bodies and other content types as served', async () => {
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(openapi.paths['/files/{rest}']?.get).toBeDefined();
    expect(openapi.paths['/files/*rest']).toBeUndefined();
    expect(openapi.paths['/optional-body']?.post?.requestBody).toMatchObject({ required: false });
    expect(openapi.paths['/api/v1/things']?.post?.requestBody).toMatchObject({ required: true });
    const optional = await fetch(`${base}/optional-body`, { method: 'POST' });
    expect(await optional.json()).toEqual({ note: null });
    const negotiate = openapi.paths['/negotiate']?.get?.responses as Record<string, { content: object }>;
    expect(Object.keys(negotiate['200']?.content ?? {})).toEqual(['application/json', 'text/html']);
  });

  // Found in the second review: Postgres's jsonb refuses a lone surrogate, which surfaced as a 500.
  it('makes lone surrogates in body strings and keys U+FFFD, keeping surrogate pairs', async () => {
    const response = await fetch(`${base}/echo-json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":"x\\ud800y","\\udc00k":["\\ud83d\\ude00", {"b": "\\udfff"}]}',
    });
    expect(await response.json()).toEqual({ a: 'x\ufffdy', '\ufffdk': ['\u{1f600}', { b: '\ufffd' }] });
  });

  // Found by fuzzing: Postgres refuses U+0000 in text and jsonb, which surfaced as a 500.
  it.each([
    ['a body string', '/api/v1/things', { name: 'a\u0000b', count: 1 }, 'body.name'],
    ['a body key', '/api/v1/things', { name: 'a', count: 1, ['x\u0000']: 1 }, 'body.x\u0000'],
    ['a nested string', '/api/v1/things', { name: 'a', count: 1, tags: ['ok', '\u0000'] }, 'body.tags.1'],
    ['a query value', '/api/v1/things?name=%00', { name: 'a', count: 1 }, 'query.name'],
  ])('refuses the NUL character in %s with 400 naming the field', async (_what, path, body, field) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: orca, body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field, detail: expect.stringContaining('NUL character') });
  });

  it('cuts off a caller that trickles its request head (slowloris) after HEADERS_TIMEOUT_MS', async () => {
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 500);
    let timer: NodeJS.Timeout | undefined;
    try {
      // Node's default would hold it 60 to 90 s; twice the timeout leaves room for a loaded machine.
      const closed = new Promise<string>((resolve) => socket.once('close', () => resolve('closed')));
      const tooLate = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('still open'), 2 * HEADERS_TIMEOUT_MS);
      });
      expect(await Promise.race([closed, tooLate])).toBe('closed');
    } finally {
      clearInterval(trickle);
      clearTimeout(timer);
      socket.destroy();
    }
  }, 45_000);
});
