import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import { startGateProxy } from './index';
import type { GateProxy } from './index';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let upstream: http.Server;
let upstreamUrl: string;
let gate: GateProxy;
const received: Received[] = [];

beforeAll(async () => {
  upstream = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const path = (request.url ?? '').split('?')[0] ?? '';
      const status = /^\/status\/(\d+)$/.exec(path);
      if (status) {
        response.writeHead(Number(status[1]), { 'content-type': 'application/json', 'x-internal': 'secret' });
        response.end(JSON.stringify({ status: Number(status[1]) }));
      } else if (path === '/text') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('plain words');
      } else if (path === '/badjson') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{oops');
      } else {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ path, method: request.method }));
      }
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, resolve));
  upstreamUrl = `http://localhost:${(upstream.address() as AddressInfo).port}`;
  const rendered = renderSpinnakerConfig(resolveValues());
  gate = await startGateProxy({
    gateLocal: rendered.files['gate-local.yml'],
    gateToken: 'gate-secret',
    targets: { visibility: upstreamUrl, autopilot: upstreamUrl, sapor: upstreamUrl },
  });
});

afterAll(async () => {
  await gate.close();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
});

function call(path: string, init: RequestInit & { user?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.user) headers.set('cookie', gate.login(init.user));
  return fetch(gate.baseUrl + path, { ...init, headers });
}

describe('Gate proxy harness', () => {
  it('forwards /proxies/{id}/** with the session user and the Gate token, not the browser headers', async () => {
    const response = await call('/proxies/visibility/api/v1/approvals/7?x=1', {
      user: 'alice',
      headers: { 'X-SPINNAKER-USER': 'mallory', authorization: 'Bearer browser', 'X-RateLimit-App': 'deck' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ path: '/api/v1/approvals/7', method: 'GET' });
    const upstreamRequest = received[0]!;
    expect(upstreamRequest.headers['x-spinnaker-user']).toBe('alice');
    expect(upstreamRequest.headers['x-isd-gate-token']).toBe('gate-secret');
    expect(upstreamRequest.headers['x-spinnaker-user-origin']).toBe('deck');
    expect(upstreamRequest.headers.authorization).toBeUndefined();
    expect(upstreamRequest.headers.cookie).toBeUndefined();
    expect(response.headers.get('x-proxy-status-code')).toBe('200');
    expect(response.headers.get('x-proxy-url')).toBe(`${upstreamUrl}/api/v1/approvals/7?x=1`);
  });

  it('answers 401 without a logged-in session', async () => {
    const response = await call('/proxies/visibility/x', { headers: { 'X-SPINNAKER-USER': 'alice' } });
    expect(response.status).toBe(401);
    expect(received).toHaveLength(0);
  });

  it('routes GET, POST, PUT and DELETE but not PATCH', async () => {
    for (const method of ['GET', 'DELETE'])
      expect((await call('/proxies/sapor/a', { method, user: 'alice' })).status).toBe(200);
    for (const method of ['POST', 'PUT']) {
      const response = await call('/proxies/sapor/a', {
        method,
        user: 'alice',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status).toBe(200);
    }
    const patch = await call('/proxies/sapor/a', {
      method: 'PATCH',
      user: 'alice',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(patch.status).toBe(405);
    expect(received.map((request) => request.method)).toEqual(['GET', 'DELETE', 'POST', 'PUT']);
  });

  it('forwards a body only with a Content-Type, and a bodyless POST is a 502', async () => {
    const withBody = await call('/proxies/autopilot/b', {
      method: 'POST',
      user: 'alice',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}\r\n',
    });
    expect(withBody.status).toBe(200);
    expect(received[0]!.body).toBe('{"a":1}');
    const withoutType = await call('/proxies/autopilot/b', {
      method: 'POST',
      user: 'alice',
      body: new Uint8Array(Buffer.from('{"a":1}')),
    });
    expect(withoutType.status).toBe(502);
    expect(await withoutType.text()).toContain('must have a request body');
    expect(received).toHaveLength(1);
  });

  it('keeps only the first value of a repeated query parameter', async () => {
    await call('/proxies/sapor/q?status=a&status=b&limit=5', { user: 'alice' });
    expect(received[0]!.url).toBe('/q?status=a&limit=5');
  });

  it('turns an upstream 5xx or an unreachable upstream into 502 and passes 4xx through', async () => {
    expect((await call('/proxies/sapor/status/503', { user: 'alice' })).status).toBe(502);
    const notFound = await call('/proxies/sapor/status/404', { user: 'alice' });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-internal')).toBeNull();
    const down = await startGateProxy({
      gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
      targets: { sapor: 'http://localhost:1' },
    });
    try {
      const response = await fetch(`${down.baseUrl}/proxies/sapor/x`, { headers: { cookie: down.login('alice') } });
      expect(response.status).toBe(502);
      expect(response.headers.get('x-proxy-status-code')).toBe('0');
    } finally {
      await down.close();
    }
  });

  it('passes text bodies through and answers 500 for a body that looks like JSON but is not', async () => {
    const text = await call('/proxies/sapor/text', { user: 'alice' });
    expect(await text.text()).toBe('plain words');
    expect((await call('/proxies/sapor/badjson', { user: 'alice' })).status).toBe(500);
  });

  it('lists proxies and rejects an unknown proxy id with 400', async () => {
    const list = await call('/proxies', { user: 'alice' });
    expect(((await list.json()) as Array<{ id: string }>).map((proxy) => proxy.id)).toEqual([
      'visibility',
      'autopilot',
      'sapor',
    ]);
    const unknown = await call('/proxies/jenkins/x', { user: 'alice' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toBe("No proxy config found with id 'jenkins'");
  });

  it('serves executions at /pipelines/{id} to a session or a basic-auth service account', async () => {
    const withExecutions = await startGateProxy({
      gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
      executions: (id) => (id === 'E1' ? { id: 'E1', application: 'shop', stages: [] } : undefined),
      basicAuthUsers: { sapor: 's3cret' },
    });
    try {
      const basic = (user: string, password: string) =>
        `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      const ok = await fetch(`${withExecutions.baseUrl}/pipelines/E1`, {
        headers: { authorization: basic('sapor', 's3cret') },
      });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ id: 'E1', application: 'shop', stages: [] });
      expect(
        (await fetch(`${withExecutions.baseUrl}/pipelines/E1`, { headers: { cookie: withExecutions.login('alice') } }))
          .status,
      ).toBe(200);
      expect(
        (await fetch(`${withExecutions.baseUrl}/pipelines/E1`, { headers: { authorization: basic('sapor', 'wrong') } }))
          .status,
      ).toBe(401);
      expect((await fetch(`${withExecutions.baseUrl}/pipelines/E1`)).status).toBe(401);
      expect(
        (
          await fetch(`${withExecutions.baseUrl}/pipelines/E2`, {
            headers: { authorization: basic('sapor', 's3cret') },
          })
        ).status,
      ).toBe(404);
    } finally {
      await withExecutions.close();
    }
  });
});
