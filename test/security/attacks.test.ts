// The attempts of issue 19 that concern identity, authorization, outbound requests and request handling,
// against the real services as processes. Each attack must end in a clear 4xx (or an error card), the
// service must keep answering /healthz, and no process may die.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { TEST_GATE_TOKEN, TEST_SERVICE_TOKEN, eventually } from '@isd/test-support';
import { startFiatHarness, type FiatHarness } from '../harness/fiat';
import {
  PROTOTYPE_NAMES,
  approvalPayload,
  asOrca,
  asUser,
  call,
  recordingPeer,
  startServiceProcess,
  type ServiceProcess,
} from './services';

jest.setTimeout(120_000);

let visibility: ServiceProcess;
let autopilot: ServiceProcess;
let sapor: ServiceProcess;
let peer: Awaited<ReturnType<typeof recordingPeer>>;
let redirector: http.Server;
let redirectorUrl: string;

beforeAll(async () => {
  peer = await recordingPeer();
  // An evidence endpoint that answers with a redirect to the recording peer (another origin).
  redirector = http.createServer((req, res) => {
    res.writeHead(302, { location: `${peer.url}/steal${req.url ?? ''}` }).end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
  // allSettled: the services that started are stopped by afterAll even when another one failed to start.
  const started = await Promise.allSettled([
    startServiceProcess('visibility', {
      // The decision race sends 12–13 decisions per user at once: above the per-user limit of requests in
      // flight, whose refusals caller-flood.test.ts covers.
      VISIBILITY_SERVER__USER_IN_FLIGHT_LIMIT: '50',
      VISIBILITY_CONNECTORS__HTTP: JSON.stringify({
        calendar: { url: `${peer.url}/calendar`, headers: { authorization: 'Bearer calendar-secret' } },
        jumpy: { url: `${redirectorUrl}/api`, headers: { authorization: 'Bearer jumpy-secret' } },
      }),
    }),
    startServiceProcess('autopilot'),
    startServiceProcess('sapor', { SAPOR_POLICY__ADMIN_ROLES: '[admins]' }),
  ]);
  const [first, second, third] = started.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
  [visibility, autopilot, sapor] = [first!, second!, third!];
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
});

afterAll(async () => {
  await Promise.all([visibility?.stop(), autopilot?.stop(), sapor?.stop()]);
  await peer?.close();
  await new Promise((resolve) => redirector?.close(resolve));
});

/** After every attack: each service still answers /healthz and no process died. */
afterEach(async () => {
  for (const service of [visibility, autopilot, sapor]) {
    expect(service.child.child.exitCode).toBeNull();
    expect((await fetch(`${service.url}/healthz`, { signal: AbortSignal.timeout(10_000) })).status).toBe(200);
  }
});

const services = () => ({ visibility, autopilot, sapor });
const listPaths = { visibility: '/api/v1/approvals', autopilot: '/api/v1/templates', sapor: '/api/v1/policies' };

describe('identity', () => {
  it('ignores a forged X-SPINNAKER-USER on the main port (no or a wrong Gate credential) → 401', async () => {
    const id = (await call(visibility.url, 'POST', '/api/v1/approvals', asOrca, approvalPayload('shop'))).body.id;
    const forged: Record<string, string>[] = [
      { 'x-spinnaker-user': 'root' },
      { 'x-spinnaker-user': 'root', 'x-isd-gate-token': `${TEST_GATE_TOKEN.slice(0, -1)}x` },
      { 'x-spinnaker-user': 'root', authorization: `Bearer ${TEST_GATE_TOKEN}` },
    ];
    for (const headers of forged) {
      const answer = await call(
        visibility.url,
        'POST',
        `/api/v1/approvals/${id}/decisions`,
        { headers },
        {
          action: 'approve',
          user: 'root',
        },
      );
      expect(answer.status).toBe(401);
    }
    for (const [name, service] of Object.entries(services()))
      expect([
        name,
        (
          await call(service.url, 'GET', listPaths[name as keyof typeof listPaths], {
            headers: { 'x-spinnaker-user': 'root' },
          })
        ).status,
      ]).toEqual([name, 401]);
    expect((await call(visibility.url, 'GET', `/api/v1/approvals/${id}`, asOrca)).body.decisions).toEqual([]);
  });

  it('refuses self-approval: the user who triggered the execution cannot approve it', async () => {
    const id = (
      await call(visibility.url, 'POST', '/api/v1/approvals', asOrca, approvalPayload('shop', { triggeredBy: 'alice' }))
    ).body.id;
    const answer = await call(visibility.url, 'POST', `/api/v1/approvals/${id}/decisions`, asUser('alice'), {
      action: 'approve',
    });
    expect(answer.status).toBe(403);
    expect(answer.body.type).toBe('urn:isd:problem:self_approval');
  });

  it('turns 50 racing decisions into exactly one terminal transition; every other one is a 409', async () => {
    const id = (await call(visibility.url, 'POST', '/api/v1/approvals', asOrca, approvalPayload('shop'))).body.id;
    const deciders = ['alice', 'constructor', 'toString', 'hasOwnProperty'];
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        call(visibility.url, 'POST', `/api/v1/approvals/${id}/decisions`, asUser(deciders[index % deciders.length]!), {
          action: index % 2 ? 'approve' : 'reject',
          comment: 'race',
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(49);
    const audit = await call(visibility.url, 'GET', `/api/v1/approvals/${id}/audit`, asOrca);
    expect(
      audit.body.events.filter((event: { toStatus: string | null }) =>
        ['approved', 'rejected'].includes(event.toStatus ?? ''),
      ),
    ).toHaveLength(1);
  });

  it('fails closed with 503 when Fiat is down or unreachable, never answering as if allowed', async () => {
    let fiat: FiatHarness | undefined = await startFiatHarness({
      users: { alice: { roles: ['shop-approvers'], applications: { shop: ['READ', 'WRITE'] } } },
    });
    const withFiat = await startServiceProcess('visibility', {
      VISIBILITY_AUTH__FIAT_URL: fiat.url,
      VISIBILITY_AUTH__FIAT_CACHE_TTL_MS: '0',
    });
    try {
      const id = (await call(withFiat.url, 'POST', '/api/v1/approvals', asOrca, approvalPayload('shop'))).body.id;
      expect((await call(withFiat.url, 'GET', `/api/v1/approvals/${id}`, asUser('alice'))).status).toBe(200);
      expect((await call(withFiat.url, 'GET', `/api/v1/approvals/${id}`, asUser('bob'))).status).toBe(404);
      fiat.setDown(true);
      for (const path of [`/api/v1/approvals/${id}`, '/api/v1/approvals']) {
        const answer = await call(withFiat.url, 'GET', path, asUser('alice'));
        expect([answer.status, answer.body.type]).toEqual([503, 'urn:isd:problem:fiat_unavailable']);
      }
      await fiat.close();
      fiat = undefined;
      expect((await call(withFiat.url, 'GET', `/api/v1/approvals/${id}`, asUser('alice'))).status).toBe(503);
      // Orca's monitor does not depend on Fiat.
      expect((await call(withFiat.url, 'GET', `/api/v1/approvals/${id}`, asOrca)).status).toBe(200);
    } finally {
      await withFiat.stop();
      await fiat?.close();
    }
  });
});

describe('users named like Object.prototype members', () => {
  it.each(PROTOTYPE_NAMES)('%s is an ordinary user on every service', async (name) => {
    const id = (await call(visibility.url, 'POST', '/api/v1/approvals', asOrca, approvalPayload('shop'))).body.id;
    for (const [service, path] of Object.entries(listPaths)) {
      const answer = await call(services()[service as keyof typeof listPaths].url, 'GET', path, asUser(name));
      expect([service, answer.status]).toEqual([service, 200]);
    }
    const seen = await call(visibility.url, 'GET', `/api/v1/approvals/${id}`, asUser(name));
    const decided = await call(visibility.url, 'POST', `/api/v1/approvals/${id}/decisions`, asUser(name), {
      action: 'approve',
    });
    // A name the config could not hold as a plain key (__proto__) is a user without permissions: 404, not 500.
    expect([seen.status, decided.status]).toEqual(name === '__proto__' ? [404, 404] : [200, 200]);
  });
});

describe('path tricks', () => {
  it('refuses an evidence path that climbs out of its endpoint at creation, naming the field; the peer is never hit', async () => {
    for (const path of [
      '/%2e%2e/%2e%2e/admin/secret',
      '/..%2f..%2fadmin/secret',
      '/%252e%252e/admin/secret',
      '/a/../../admin',
    ]) {
      const answer = await call(
        visibility.url,
        'POST',
        '/api/v1/approvals',
        asOrca,
        approvalPayload('shop', { evidence: [{ connector: 'http', endpoint: 'calendar', path }] }),
      );
      expect([path, answer.status]).toEqual([path, 400]);
      expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain('body.evidence.0.path');
    }
    expect(peer.paths).toEqual([]);
  });

  it('shows a redirect off the endpoint as an error card and never follows it with the credentials', async () => {
    const id = (
      await call(
        visibility.url,
        'POST',
        '/api/v1/approvals',
        asOrca,
        approvalPayload('shop', { evidence: [{ connector: 'http', endpoint: 'jumpy', path: '/status' }] }),
      )
    ).body.id;
    const gate = await eventually(async () => {
      const answer = await call(visibility.url, 'GET', `/api/v1/approvals/${id}`, asOrca);
      return answer.body.evidenceStatus === 'gathered' ? answer.body : undefined;
    }, 60_000);
    expect(gate.evidence[0].status).toBe('error');
    expect(gate.evidence[0].error).toMatch(/outside the allowed base .*not followed/);
    expect(JSON.stringify(gate)).not.toContain('the admin secret');
    expect(peer.paths).toEqual([]);
  });

  it('never reaches a protected route through dot segments or encoded slashes: 4xx, never 2xx or 5xx', async () => {
    for (const service of Object.values(services())) {
      for (const path of [
        '/%2e%2e/api/v1/approvals',
        '/api/v1/approvals/%2e%2e/approvals',
        '/api/v1/x/..%2f..%2fapi/v1/templates',
        '/api/v1/templates/%2e%2e%2f%2e%2e%2fpolicies',
        '/api/v1/policies/..%5c..%5cpolicies',
        '/api/v1/policies/..;/policies',
        '/v1/data/%2e%2e/%2e%2e',
      ]) {
        const answer = await call(service.url, 'GET', path, { headers: {} });
        expect([path, answer.status >= 400 && answer.status < 500]).toEqual([path, true]);
      }
    }
  });
});

describe('big and deep bodies, slow clients', () => {
  it('answers a 2 MiB body and a gzip bomb with 413 on every service', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) });
    const bomb = gzipSync(Buffer.from(big));
    const writes = {
      visibility: ['/api/v1/approvals', { 'x-isd-service-token': TEST_SERVICE_TOKEN }],
      autopilot: ['/api/v1/templates', { 'x-isd-gate-token': TEST_GATE_TOKEN, 'x-spinnaker-user': 'root' }],
      sapor: ['/api/v1/policies/pipeline-check', { 'x-isd-gate-token': TEST_GATE_TOKEN, 'x-spinnaker-user': 'root' }],
    } as const;
    for (const [name, service] of Object.entries(services())) {
      const [path, credentials] = writes[name as keyof typeof writes];
      const plain = await fetch(`${service.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...credentials },
        body: big,
      });
      expect([name, plain.status]).toEqual([name, 413]);
      const zipped = await fetch(`${service.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...credentials },
        body: bomb,
      });
      expect([name, zipped.status]).toEqual([name, 413]);
    }
  });

  it('answers 100,000-deep JSON without a 5xx or a crash (validation refuses it, or it is ignored)', async () => {
    const deepArray = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const deepObject = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    const targets: Array<[ServiceProcess, string, 'orca' | { user: string }, string[]]> = [
      [visibility, '/api/v1/approvals', asOrca, [deepArray, deepObject]],
      [autopilot, '/api/v1/templates', asUser('root'), [deepArray, deepObject]],
      [sapor, '/api/v1/policies/pipeline-check', asUser('root'), [deepArray, deepObject]],
      // As the input of an evaluation: the engine must refuse or evaluate it, never overflow its stack.
      [sapor, '/v1/data/isd/deploy', asUser('root'), [`{"input":${deepArray}}`, `{"input":${deepObject}}`]],
    ];
    for (const [service, path, as, bodies] of targets) {
      for (const body of bodies) {
        const answer = await call(service.url, 'POST', path, as, body);
        expect([path, answer.status < 500]).toEqual([path, true]);
      }
    }
  });

  // Found in the second review: JSON allows "\ud800", Postgres's jsonb does not (sapor stored it: a 500).
  it('stores strings with lone surrogates (as U+FFFD) instead of failing with a 500', async () => {
    const gate = await call(
      sapor.url,
      'POST',
      '/api/v1/policy-gates',
      asOrca,
      '{"application":"shop","executionId":"exec-\\ud800","stageId":"s","policy":"isd/deploy/allow","params":{"x":"\\udc00"}}',
    );
    expect(gate.status).toBe(202);
    expect(gate.body.executionId).toBe('exec-\ufffd');
    const policy = await call(
      sapor.url,
      'PUT',
      '/api/v1/policies/surrogates',
      asUser('root'),
      '{"description":"lone \\ud800","source":"package surrogates\\n\\nx := \\"\\udfff\\"\\n"}',
    );
    expect(policy.status).toBe(201);
    const approval = await call(
      visibility.url,
      'POST',
      '/api/v1/approvals',
      asOrca,
      JSON.stringify(approvalPayload('shop')).replace('"instructions":""', '"instructions":"lone \\ud800"'),
    );
    expect(approval.status).toBe(202);
    expect(approval.body.instructions).toBe('lone \ufffd');
  });

  it('keeps serving while 100 slowloris connections trickle their headers', async () => {
    const sockets: net.Socket[] = [];
    try {
      for (const service of Object.values(services())) {
        const { port } = new URL(service.url);
        for (let index = 0; index < 33; index++) {
          const socket = net.connect(Number(port), '127.0.0.1');
          socket.on('error', () => undefined);
          socket.write('POST /api/v1/approvals HTTP/1.1\r\nHost: x\r\nX-A: ');
          sockets.push(socket);
        }
      }
      for (let round = 0; round < 5; round++) {
        for (const socket of sockets) if (!socket.destroyed) socket.write('a');
        for (const service of Object.values(services()))
          expect((await fetch(`${service.url}/healthz`, { signal: AbortSignal.timeout(10_000) })).status).toBe(200);
      }
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});
