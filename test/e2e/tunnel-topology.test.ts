import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { CertificateAuthority, startController, type RunningController } from '@isd/controller';
import { startAgent, type RunningAgent } from '@isd/agent';
import { call, startTestTarget, type TestTarget } from './tunnel-support';

const ports = { host: '127.0.0.1', agentPort: 0, servicePort: 0, controlPort: 0, metricsPort: 0 } as const;

describe('tunnel topology: agent loss, shared agent names, controller replicas, renewal', () => {
  let target: TestTarget;
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    target = await startTestTarget();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await target.close();
  });

  async function controllerWith(config: Parameters<typeof startController>[0] = {}): Promise<RunningController> {
    const controller = await startController({ ...ports, ...config });
    cleanups.push(() => controller.stop());
    return controller;
  }
  async function agentFor(
    controllers: string[],
    credentials: { certPem: string; keyPem: string; caPem: string },
    extra: Partial<Parameters<typeof startAgent>[0]> = {},
  ): Promise<RunningAgent> {
    const agent = await startAgent({
      controllers,
      serverName: 'localhost',
      credentials,
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: null,
      ...extra,
    });
    cleanups.push(() => agent.stop());
    return agent;
  }

  it('resets in-flight streams when the agent dies and answers 502 afterwards', async () => {
    const controller = await controllerWith();
    const agent = await agentFor([controller.agentUrl], await controller.issueAgentCredentials('cluster-d'));
    await agent.waitUntilConnected(5_000);
    const caller = await controller.issueServiceCredentials('cluster-d', 'jenkins', 'ci');
    const outcome = await new Promise<string>((resolve) => {
      const request = https.request(new URL('/slow', controller.serviceUrl), {
        ca: controller.ca.certPem,
        cert: caller.certPem,
        key: caller.keyPem,
        agent: false,
      });
      request.on('response', (response) => {
        response.once('data', () => void agent.stop());
        response.on('end', () => resolve(response.complete ? 'clean end' : 'incomplete'));
        response.on('error', () => resolve('reset'));
      });
      request.on('error', () => resolve('reset'));
      request.end();
    });
    // agent.stop() closes the agent's connection; the in-flight watch must not end cleanly.
    expect(outcome).not.toBe('clean end');
    const deadline = Date.now() + 2_000;
    while (controller.agents().length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const after = await call(controller.serviceUrl, '/', { caPem: controller.ca.certPem, credentials: caller });
    expect(after.status).toBe(502);
  });

  it('spreads load over several agents with one name by least outstanding requests', async () => {
    const controller = await controllerWith();
    const first = await agentFor([controller.agentUrl], await controller.issueAgentCredentials('cluster-s'));
    const second = await agentFor([controller.agentUrl], await controller.issueAgentCredentials('cluster-s'));
    await first.waitUntilConnected(5_000);
    await second.waitUntilConnected(5_000);
    expect(controller.agents().filter((session) => session.agentName === 'cluster-s')).toHaveLength(2);
    const caller = await controller.issueServiceCredentials('cluster-s', 'jenkins', 'ci');
    // Hold a long stream on one agent; new requests must then prefer the other one.
    const held = https.request(new URL('/slow', controller.serviceUrl), {
      ca: controller.ca.certPem,
      cert: caller.certPem,
      key: caller.keyPem,
      agent: false,
    });
    held.on('error', () => undefined);
    await new Promise((resolve) => {
      held.on('response', resolve);
      held.end();
    });
    await Promise.all(
      Array.from({ length: 10 }, () =>
        call(controller.serviceUrl, '/status?code=200', { caPem: controller.ca.certPem, credentials: caller }),
      ),
    );
    const counts = await Promise.all(
      [first, second].map(async (agent) => {
        const metric = await agent.metrics.requests.get();
        return metric.values
          .filter((value) => value.labels.status === '200')
          .reduce((sum, value) => sum + value.value, 0);
      }),
    );
    const streamsOpen = await Promise.all(
      [first, second].map(async (agent) => (await agent.metrics.activeStreams.get()).values[0]?.value ?? 0),
    );
    const holder = streamsOpen.findIndex((count) => count === 1);
    expect(holder).toBeGreaterThanOrEqual(0);
    // Sequentially-finished short requests tie at 0 outstanding on the idle agent, so it takes most.
    expect(counts[1 - holder]).toBeGreaterThanOrEqual(counts[holder] ?? 0);
    expect((counts[0] ?? 0) + (counts[1] ?? 0)).toBe(10);
    held.destroy();
  });

  it('connects one agent to every controller replica so any replica can serve the agent', async () => {
    // Replicas share the CA and token keys (one Kubernetes Secret in the chart).
    const ca = (await CertificateAuthority.generate()).exportPem();
    const tokenKeys = { currentKeyId: 'k1', keys: { k1: 'c2hhcmVkLXNlY3JldC1mb3ItcmVwbGljYXM=' } };
    const replicaA = await controllerWith({ ca, tokenKeys });
    const replicaB = await controllerWith({ ca, tokenKeys });
    const agent = await agentFor(
      [replicaA.agentUrl, replicaB.agentUrl],
      await replicaA.issueAgentCredentials('cluster-h'),
    );
    await agent.waitUntilConnected(5_000, 2);
    expect(agent.connectedControllers).toBe(2);
    // A token minted by replica A is honoured by replica B: no state lives only in one replica.
    const token = await replicaA.issueServiceToken('cluster-h', 'jenkins', 'ci');
    for (const replica of [replicaA, replicaB]) {
      const result = await call(replica.serviceUrl, '/status?code=200', {
        caPem: ca.certPem,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(result.status).toBe(200);
    }
    // Losing one replica leaves the agent reachable through the other.
    await replicaA.stop();
    const viaB = await call(replicaB.serviceUrl, '/status?code=200', {
      caPem: ca.certPem,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(viaB.status).toBe(200);
    expect(agent.connected).toBe(true);
  });

  it('renews the agent certificate over the tunnel and the renewed certificate connects', async () => {
    const controller = await controllerWith({ agentCertLifetimeMs: 60 * 60 * 1000 });
    const original = await controller.issueAgentCredentials('cluster-r', { lifetimeMs: 60_000 });
    const renewed = new Promise<{ certPem: string; keyPem: string; caPem: string }>((resolve) => {
      void agentFor([controller.agentUrl], original, { renewFraction: 0.99, onCredentialsRenewed: resolve });
    });
    const credentials = await renewed;
    expect(credentials.certPem).not.toBe(original.certPem);
    expect(new X509Certificate(credentials.certPem).checkIssued(new X509Certificate(controller.ca.certPem))).toBe(true);
    expect(Date.parse(new X509Certificate(credentials.certPem).validTo)).toBeGreaterThan(
      Date.parse(new X509Certificate(original.certPem).validTo),
    );
    const next = await agentFor([controller.agentUrl], credentials);
    await next.waitUntilConnected(5_000);
    expect(next.agentName).toBe('cluster-r');
  });
});
