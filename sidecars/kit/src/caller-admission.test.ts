// The per-caller admission limit of the kit's HTTP layer: checked after authentication and before the body
// is read, answered 429 problem+json naming the config key, and released however a request ends.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { eventually } from '@isd/test-support';
import { Authenticator, StaticPermissionResolver, type PermissionResolver, type UserPermissions } from './auth';
import { createHttpApp } from './http-app';
import { createLogger } from './logger';
import { createServiceMetrics, type ServiceMetrics } from './metrics';

const serviceToken = 'service-token-0123456789';
const gateToken = 'gate-token-0123456789abc';
const asUser = (user: string) => ({ 'x-isd-gate-token': gateToken, 'x-spinnaker-user': user });
const asOrca = { 'x-isd-service-token': serviceToken };

let server: http.Server;
let gateServer: http.Server;
let port: number;
let metrics: ServiceMetrics;
/** Held requests wait on this until a test lets them go. */
let letGo: () => void = () => undefined;
let held = new Promise<void>((resolve) => (letGo = resolve));
/** carol's permissions are looked up slowly: a client may leave during authentication. */
let carolLookups = 0;
let answerCarol: () => void = () => undefined;

beforeAll(async () => {
  metrics = createServiceMetrics('test', { processMetrics: false });
  const users = new StaticPermissionResolver({ alice: [], bob: [] });
  const permissions: PermissionResolver = {
    async permissionsFor(user: string): Promise<UserPermissions> {
      if (user === 'carol') {
        carolLookups++;
        await new Promise<void>((resolve) => (answerCarol = resolve));
      }
      return users.permissionsFor(user);
    },
  };
  const app = createHttpApp({
    info: { title: 'test', version: '1' },
    logger: createLogger({ name: 'test', level: 'silent', pretty: false }),
    metrics,
    authenticator: new Authenticator({ serviceToken, gateToken, permissions }),
    callerLimits: { userInFlight: 2, serviceInFlight: 3 },
    readiness: async () => ({ ready: true, checks: {} }),
  });
  const body = z.object({ n: z.number() });
  app.route(
    { method: 'post', path: '/hold', summary: 'Held', auth: 'service-or-user', body, responses: {} },
    async () => {
      await held;
      return { status: 200, body: { held: true } };
    },
  );
  app.route(
    { method: 'post', path: '/now', summary: 'At once', auth: 'service-or-user', body, responses: {} },
    async ({ body }) => ({ status: 200, body }),
  );
  app.route(
    { method: 'post', path: '/fail', summary: 'Fails', auth: 'service-or-user', body, responses: {} },
    async () => {
      throw new Error('handler broke');
    },
  );
  server = await app.listen(0, '127.0.0.1');
  port = (server.address() as AddressInfo).port;
  gateServer = await app.listen(0, '127.0.0.1', { gateListener: true });
});

afterAll(async () => {
  letGo();
  for (const listener of [server, gateServer]) {
    listener.closeAllConnections();
    await new Promise((resolve) => listener.close(resolve));
  }
});

afterEach(async () => {
  // Every test ends with nothing in flight: what it admitted was released.
  letGo();
  await eventually(async () => ((await inFlight('user')) === 0 && (await inFlight('service')) === 0) || undefined);
  held = new Promise<void>((resolve) => (letGo = resolve));
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  reusedSocket: boolean;
}

/** Sends a request; `body` is written whole, or `partial` bytes of a declared `declared` length and then left. */
function send(
  path: string,
  headers: Record<string, string>,
  body: string | { declared: number; partial: string },
  agent?: http.Agent,
): { answer: Promise<Answer>; request: http.ClientRequest } {
  const full = typeof body === 'string';
  const request = http.request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    // A fresh connection each unless a test shares one: no idle keep-alive connections left behind.
    agent: agent ?? false,
    headers: {
      'content-type': 'application/json',
      'content-length': String(full ? Buffer.byteLength(body) : body.declared),
      ...headers,
    },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text,
          reusedSocket: request.reusedSocket,
        }),
      );
    });
    request.on('error', reject);
  });
  if (full) request.end(body);
  else request.write(body.partial);
  return { answer, request };
}

async function inFlight(caller: 'user' | 'service'): Promise<number> {
  const metric = await metrics.registry.getSingleMetric('http_caller_requests_in_flight')?.get();
  return metric?.values.find((value) => value.labels.caller === caller)?.value ?? -1;
}

async function refusals(caller: 'user' | 'service'): Promise<number> {
  const metric = await metrics.registry.getSingleMetric('http_caller_limit_refusals_total')?.get();
  return metric?.values.find((value) => value.labels.caller === caller)?.value ?? -1;
}

/** Holds `count` of the caller's requests in flight (admitted, waiting in the handler). */
async function hold(headers: Record<string, string>, count: number, kind: 'user' | 'service' = 'user') {
  const before = await inFlight(kind);
  const answers = Array.from({ length: count }, () => send('/hold', headers, '{"n":1}').answer);
  await eventually(async () => (await inFlight(kind)) === before + count || undefined);
  return answers;
}

describe('per-caller admission', () => {
  it("refuses a user's request beyond the limit with 429 problem+json naming the key, others unaffected", async () => {
    const refusedBefore = await refusals('user');
    const alice = await hold(asUser('alice'), 2);

    const third = await send('/now', asUser('alice'), '{"n":3}').answer;
    expect(third.status).toBe(429);
    expect(third.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(third.headers['retry-after']).toBe('1');
    expect(JSON.parse(third.text)).toMatchObject({
      type: 'urn:isd:problem:caller_limit_exceeded',
      title: 'Too Many Requests',
      status: 429,
      detail: expect.stringContaining('alice has 2 requests in flight (at most 2, server.userInFlightLimit)'),
    });
    // The same user written otherwise is the same caller.
    expect((await send('/now', asUser('ALICE'), '{"n":3}').answer).status).toBe(429);
    // Another user and Orca are served meanwhile.
    const bob = await send('/now', asUser('bob'), '{"n":4}').answer;
    expect([bob.status, bob.text]).toEqual([200, '{"n":4}']);
    expect((await send('/now', asOrca, '{"n":5}').answer).status).toBe(200);
    expect((await refusals('user')) - refusedBefore).toBe(2);

    letGo();
    expect((await Promise.all(alice)).map((answer) => answer.status)).toEqual([200, 200]);
    expect((await send('/now', asUser('alice'), '{"n":6}').answer).status).toBe(200);
  });

  it("counts a user's requests on the Gate-only listener together with the main one", async () => {
    const alice = await hold(asUser('alice'), 2);
    const viaGatePort = await fetch(`http://127.0.0.1:${(gateServer.address() as AddressInfo).port}/now`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-spinnaker-user': 'alice' },
      body: '{"n":1}',
    });
    expect(viaGatePort.status).toBe(429);
    letGo();
    await Promise.all(alice);
  });

  it('has its own limit for the service token', async () => {
    const orca = await hold(asOrca, 3, 'service');
    const fourth = await send('/now', asOrca, '{"n":1}').answer;
    expect(fourth.status).toBe(429);
    expect(JSON.parse(fourth.text).detail).toContain('server.serviceInFlightLimit');
    expect(await refusals('service')).toBeGreaterThan(0);
    letGo();
    await Promise.all(orca);
  });

  it('refuses without reading the body, and the connection stays usable', async () => {
    const alice = await hold(asUser('alice'), 2);
    // Only the headers of a 1,000-byte body: answered at once, as nothing waits for the body.
    const unsent = send('/now', asUser('alice'), { declared: 1_000, partial: '' });
    expect((await unsent.answer).status).toBe(429);
    unsent.request.destroy();
    // Malformed JSON is not parsed either: 429, not 400.
    expect((await send('/now', asUser('alice'), '{"n": nope').answer).status).toBe(429);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const refused = await send('/now', asUser('alice'), JSON.stringify({ n: 1, pad: 'x'.repeat(200_000) }), agent)
      .answer;
    expect(refused.status).toBe(429);
    letGo();
    await Promise.all(alice);
    const next = await send('/now', asUser('alice'), '{"n":2}', agent).answer;
    expect([next.status, next.reusedSocket]).toEqual([200, true]);
    agent.destroy();
  });

  it('frees the slot of a request that failed: handler errors, invalid bodies, oversized bodies', async () => {
    for (let round = 0; round < 3; round++) {
      expect((await send('/fail', asUser('alice'), '{"n":1}').answer).status).toBe(500);
      expect((await send('/now', asUser('alice'), '{"n":"one"}').answer).status).toBe(400);
      expect((await send('/now', asUser('alice'), '{"n":').answer).status).toBe(400);
      expect((await send('/now', asUser('alice'), 'x'.repeat(1024 * 1024 + 1)).answer).status).toBe(413);
    }
    expect(await inFlight('user')).toBe(0);
    const alice = await hold(asUser('alice'), 2);
    letGo();
    expect((await Promise.all(alice)).map((answer) => answer.status)).toEqual([200, 200]);
  });

  it('frees the slot of a client that disconnects mid-body', async () => {
    for (let round = 0; round < 3; round++) {
      const partial = [0, 1].map(() => send('/now', asUser('alice'), { declared: 10_000, partial: '{"n": 1, "p' }));
      for (const { answer } of partial) answer.catch(() => undefined);
      // Both admitted and reading their bodies, then the clients go away.
      await eventually(async () => (await inFlight('user')) === 2 || undefined);
      for (const { request } of partial) request.destroy();
      await eventually(async () => (await inFlight('user')) === 0 || undefined);
    }
    const alice = await hold(asUser('alice'), 2);
    letGo();
    expect((await Promise.all(alice)).map((answer) => answer.status)).toEqual([200, 200]);
  });

  it('leaks nothing when the client left during authentication', async () => {
    const lookups = carolLookups;
    const leaving = send('/now', asUser('carol'), '{"n":1}');
    leaving.answer.catch(() => undefined);
    await eventually(async () => (carolLookups > lookups ? true : undefined));
    leaving.request.destroy();
    await eventually(
      async () =>
        (await new Promise<number>((resolve) => server.getConnections((_, count) => resolve(count)))) === 0 ||
        undefined,
    );
    answerCarol();
    await eventually(async () => (await inFlight('user')) === 0 || undefined);
  });

  it('does not count public routes (no identity before the body)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status)),
    );
    expect(answers).toEqual([200, 200, 200, 200, 200]);
  });
});
