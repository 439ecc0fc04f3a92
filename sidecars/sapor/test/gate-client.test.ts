// Sapor's Gate client against the Gate API contract harness (test/harness/gate): service authentication
// (x509 first, basic second, never X-SPINNAKER-USER), paging, retries with backoff, the circuit breaker.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestCa } from '@isd/test-support';
import { startGateApi, type GateApiHarness } from '../../../test/harness/gate';
import { GateClient, type GateClientOptions } from '../src/gate-client';

const SERVICE = { username: 'sapor', password: 'internal-gate-password' };

/** A controllable clock and a sleep that only records (no real waiting in tests). */
function fakeTime() {
  let now = 1_000_000;
  const waits: number[] = [];
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    waits,
    sleep: async (ms: number) => {
      waits.push(ms);
    },
  };
}

function basicClient(gate: GateApiHarness, extra: Partial<GateClientOptions> = {}) {
  return new GateClient({
    url: gate.url,
    auth: { kind: 'basic', ...SERVICE },
    timeoutMs: 2_000,
    maxResponseBytes: 1024 * 1024,
    random: () => 1,
    ...extra,
  });
}

function execution(id: string, application: string, buildTime: number, status = 'SUCCEEDED') {
  return { id, application, name: 'deploy', status, buildTime, startTime: buildTime, type: 'PIPELINE' };
}

async function collect(pages: AsyncGenerator<Array<Record<string, unknown>>>) {
  const all: Array<Record<string, unknown>> = [];
  let count = 0;
  for await (const page of pages) {
    count += 1;
    all.push(...page);
  }
  return { all, pages: count };
}

describe('Gate client with basic auth (internal Gate)', () => {
  let gate: GateApiHarness;
  beforeEach(async () => {
    gate = await startGateApi({ basicAuthUsers: { [SERVICE.username]: SERVICE.password } });
  });
  afterEach(() => gate.close());

  it('reads applications, pipeline configs and credentials as the service user, without X-SPINNAKER-USER', async () => {
    gate.applications.push({ name: 'web', email: 'team@example.com' }, { name: 'api' });
    gate.pipelineConfigs.push(
      { id: 'p1', application: 'web', name: 'deploy' },
      { id: 'p2', application: 'api', name: 'x' },
    );
    gate.credentials.push({ name: 'prod-k8s', type: 'kubernetes' });
    const client = basicClient(gate);
    expect((await client.applications()).map((app) => app.name)).toEqual(['web', 'api']);
    expect(await client.pipelineConfigs('web')).toEqual([{ id: 'p1', application: 'web', name: 'deploy' }]);
    expect(await client.credentials()).toEqual([{ name: 'prod-k8s', type: 'kubernetes' }]);
    expect(gate.requests.every((request) => request.principal === SERVICE.username)).toBe(true);
    expect(gate.requests.some((request) => 'x-spinnaker-user' in request.headers)).toBe(false);
  });

  it('is refused by Gate with wrong credentials, and says which settings to check', async () => {
    const client = basicClient(gate, { auth: { kind: 'basic', username: 'sapor', password: 'wrong' } });
    await expect(client.applications()).rejects.toMatchObject({ code: 'gate_auth_refused' });
    const anonymous = basicClient(gate, { auth: { kind: 'none' } });
    await expect(anonymous.applications()).rejects.toThrow(/gate\.x509 or gate\.username/);
  });

  it('pages through an executions search oldest first, inside the trigger-time window, up to a limit', async () => {
    for (let i = 0; i < 25; i++) gate.executions.push(execution(`e${i}`, 'web', 10_000 + i * 1000));
    gate.executions.push(execution('other-app', 'api', 15_000), execution('too-late', 'web', 99_000_000));
    const client = basicClient(gate);
    const result = await collect(client.searchExecutions('web', { from: 10_000, to: 40_000, pageSize: 10 }));
    expect(result.all.map((e) => e.id)).toEqual(Array.from({ length: 25 }, (_, i) => `e${i}`));
    expect(result.pages).toBe(3);
    const searches = gate.requests.filter((request) => request.path === '/applications/web/executions/search');
    expect(searches.map((request) => request.query.startIndex)).toEqual(['0', '10', '20']);
    expect(searches[0]!.query).toMatchObject({
      triggerTimeStartBoundary: '10000',
      triggerTimeEndBoundary: '40000',
      reverse: 'true',
    });

    const limited = await collect(client.searchExecutions('*', { pageSize: 10, limit: 12 }));
    expect(limited.all).toHaveLength(12);
  });

  it('skips an execution it already returned when a new one shifts the pages during the walk', async () => {
    for (let i = 0; i < 4; i++) gate.executions.push(execution(`e${i}`, 'web', 10_000 + i));
    const client = basicClient(gate);
    const pages = client.searchExecutions('web', { pageSize: 2 });
    const first = await pages.next();
    // An older execution appears (e.g. a late write): with reverse=true it shifts the later pages by one.
    gate.executions.push(execution('late', 'web', 5_000));
    const rest = await collect(pages);
    const ids = [...(first.value as Array<Record<string, unknown>>), ...rest.all].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['e0', 'e1', 'e2', 'e3']));
  });

  it('saves a pipeline and reports the reason Gate gives for a refused one', async () => {
    const client = basicClient(gate);
    await client.savePipeline({ id: 'p9', application: 'web', name: 'promote', stages: [] });
    expect(gate.pipelineConfigs).toEqual([
      {
        id: 'p9',
        application: 'web',
        name: 'promote',
        stages: [],
        updateTs: expect.any(String),
        lastModifiedBy: 'sapor',
      },
    ]);
    await expect(client.savePipeline({ application: 'web' })).rejects.toThrow(/requires name and application/);
  });

  it("sends Front50's stale check: a save based on an older updateTs is refused, naming both", async () => {
    const client = basicClient(gate);
    await client.savePipeline({ id: 'p1', application: 'web', name: 'deploy', stages: [] });
    const seen = String(gate.pipelineConfigs[0]!.updateTs);
    await client.savePipeline({ id: 'p1', application: 'web', name: 'deploy', stages: [{}], updateTs: seen });
    await expect(
      client.savePipeline(
        { id: 'p1', application: 'web', name: 'deploy', stages: [], updateTs: seen },
        { staleCheck: true },
      ),
    ).rejects.toThrow(/stale.*submitted updateTs/);
    expect(gate.pipelineConfigs[0]!.stages).toEqual([{}]);
    expect(gate.requests.at(-1)!.query).toEqual({ staleCheck: 'true' });
  });

  it('retries 5xx answers and dropped connections with growing backoff, then succeeds', async () => {
    gate.applications.push({ name: 'web' });
    const time = fakeTime();
    const client = basicClient(gate, { sleep: time.sleep, now: time.now, backoffMs: 100, retries: 3 });
    gate.failNext(2, 503);
    expect(await client.applications()).toEqual([{ name: 'web' }]);
    expect(time.waits).toEqual([100, 200]);
    gate.dropNext(1);
    expect(await client.applications()).toEqual([{ name: 'web' }]);
    expect(time.waits).toEqual([100, 200, 100]);
  });

  it('retries a Gate that does not answer within the timeout, and gives up naming the timeout', async () => {
    gate.applications.push({ name: 'web' });
    const time = fakeTime();
    const client = basicClient(gate, { sleep: time.sleep, timeoutMs: 300, retries: 1 });
    gate.hangNext(1);
    expect(await client.applications()).toEqual([{ name: 'web' }]);
    gate.hangNext(2);
    await expect(client.applications()).rejects.toThrow(/did not answer within 300 ms.*after 2 attempts/);
  });

  it('does not retry a client error, and does not retry saving a pipeline without an id', async () => {
    const time = fakeTime();
    const client = basicClient(gate, { sleep: time.sleep });
    gate.failNext(1, 400);
    await expect(client.applications()).rejects.toMatchObject({ code: 'gate_refused' });
    gate.failNext(1, 502);
    await expect(client.savePipeline({ application: 'web', name: 'new' })).rejects.toMatchObject({
      code: 'gate_unavailable',
    });
    expect(time.waits).toEqual([]);
    expect(gate.pipelineConfigs).toEqual([]);
  });

  it('opens the circuit after repeated failures, refuses without calling Gate, and closes after a good trial', async () => {
    gate.applications.push({ name: 'web' });
    const time = fakeTime();
    const client = basicClient(gate, {
      sleep: time.sleep,
      now: time.now,
      retries: 1,
      breakerThreshold: 2,
      breakerResetMs: 10_000,
    });
    gate.down = true;
    await expect(client.applications()).rejects.toMatchObject({ code: 'gate_unavailable' });
    expect(client.breakerState).toBe('closed');
    await expect(client.applications()).rejects.toMatchObject({ code: 'gate_unavailable' });
    expect(client.breakerState).toBe('open');
    gate.down = false;
    const before = gate.requests.length;
    await expect(client.applications()).rejects.toMatchObject({ code: 'gate_circuit_open' });
    expect(gate.requests.length).toBe(before);

    time.advance(10_000);
    expect(client.breakerState).toBe('half-open');
    gate.failNext(2, 500);
    await expect(client.applications()).rejects.toMatchObject({ code: 'gate_unavailable' });
    expect(client.breakerState).toBe('open');
    time.advance(10_000);
    expect(await client.applications()).toEqual([{ name: 'web' }]);
    expect(client.breakerState).toBe('closed');
  });
});

describe('Gate client with an x509 client certificate', () => {
  const serverCa = createTestCa('gate-server-ca');
  const clientCa = createTestCa('gate-client-ca');
  const serving = serverCa.issue({ commonName: 'gate', serverNames: ['127.0.0.1'] });
  let gate: GateApiHarness;
  let dir: string;
  beforeAll(async () => {
    gate = await startGateApi({
      tls: {
        certificatePem: serving.certificatePem,
        privateKeyPem: serving.privateKeyPem,
        clientCaPem: clientCa.certificatePem,
      },
      basicAuthUsers: { [SERVICE.username]: SERVICE.password },
    });
    gate.applications.push({ name: 'web' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sapor-gate-x509-'));
    fs.writeFileSync(path.join(dir, 'ca.pem'), serverCa.certificatePem);
  });
  afterAll(async () => {
    await gate.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function withCertificate(name: string, ca: typeof clientCa) {
    const certificate = ca.issue({ commonName: name, client: true });
    fs.writeFileSync(path.join(dir, `${name}.crt`), certificate.certificatePem);
    fs.writeFileSync(path.join(dir, `${name}.key`), certificate.privateKeyPem);
    return new GateClient({
      url: gate.url,
      auth: {
        kind: 'x509',
        certFile: path.join(dir, `${name}.crt`),
        keyFile: path.join(dir, `${name}.key`),
        caFile: path.join(dir, 'ca.pem'),
      },
      timeoutMs: 2_000,
      maxResponseBytes: 1024 * 1024,
      retries: 0,
    });
  }

  it('logs in with the certificate: Gate sees the subject as the principal and no basic credentials', async () => {
    const client = withCertificate('sapor-service', clientCa);
    expect(await client.applications()).toEqual([{ name: 'web' }]);
    const last = gate.requests.at(-1)!;
    expect(last.principal).toBe('sapor-service');
    expect(last.headers.authorization).toBeUndefined();
    expect(last.headers['x-spinnaker-user']).toBeUndefined();
  });

  it('is refused with a certificate from another CA', async () => {
    const client = withCertificate('impostor', createTestCa('someone-else'));
    await expect(client.applications()).rejects.toMatchObject({ code: 'gate_auth_refused' });
  });
});
