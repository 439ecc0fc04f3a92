import { startAgent, type RunningAgent } from '@isd/agent';
import { CertificateAuthority, generateTokenKeys, startController, type RunningController } from '@isd/controller';
import { parse, stringify } from 'yaml';
import {
  createKubectlSession,
  renderKubeconfig,
  startKubeApiServer,
  type KubeApiServer,
} from '../harness/kube-apiserver';
import * as scenarios from '../harness/kube-apiserver/scenarios';

// Two controller replicas sharing a CA and token keys, one agent connected to both: a kubeconfig that
// replica A generated works unchanged against replica B (only `server:` differs), for plain requests
// and for upgrades, and keeps working on B after A is gone.

jest.setTimeout(60_000);

const AGENT_NAME = 'cluster-r';
let echo: Awaited<ReturnType<typeof scenarios.startEchoServer>>;
let harness: KubeApiServer;
let replicaA: RunningController | undefined;
let replicaB: RunningController;
let agent: RunningAgent;

function pointAt(kubeconfig: string, serviceUrl: string): string {
  const config = parse(kubeconfig) as { clusters: { cluster: { server: string } }[] };
  for (const entry of config.clusters) entry.cluster.server = serviceUrl;
  return stringify(config);
}

beforeAll(async () => {
  echo = await scenarios.startEchoServer();
  harness = await startKubeApiServer({ resolvePodPort: () => ({ host: '127.0.0.1', port: echo.port }) });
  const ca = await CertificateAuthority.generate();
  const shared = {
    host: '127.0.0.1',
    agentPort: 0,
    servicePort: 0,
    controlPort: 0,
    metricsPort: 0,
    serverNames: ['localhost', '127.0.0.1'],
    ca: ca.exportPem(),
    tokenKeys: generateTokenKeys(),
  };
  replicaA = await startController(shared);
  replicaB = await startController(shared);
  agent = await startAgent({
    controllers: [replicaA.agentUrl, replicaB.agentUrl],
    serverName: 'localhost',
    credentials: await ca.issue({ purpose: 'agent', agent: AGENT_NAME }),
    services: [
      {
        name: 'kube',
        type: 'kubernetes',
        kubeconfig: renderKubeconfig({ server: harness.url, caPem: harness.caPem, token: harness.token }),
      },
    ],
    healthPort: null,
  });
  const deadline = Date.now() + 10_000;
  while (agent.connectedControllers < 2 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  expect(agent.connectedControllers).toBe(2);
}, 30_000);

afterAll(async () => {
  await agent.stop();
  await replicaA?.stop();
  await replicaB.stop();
  await harness.stop();
  await echo.close();
});

describe('kubectl across controller replicas', () => {
  it('a token and a certificate kubeconfig from replica A work against replica B: get, exec, port-forward', async () => {
    for (const shape of ['token', 'cert'] as const) {
      const fromA = (await replicaA?.generateKubectlComponents(AGENT_NAME, 'kube', { shape }))?.kubeconfig ?? '';
      const kubectl = createKubectlSession(pointAt(fromA, replicaB.serviceUrl));
      try {
        const context = { kubectl, server: harness, namespace: `replica-${shape}` };
        scenarios.seedNamespace(context);
        await scenarios.getPrintsServerSideTable(context);
        await scenarios.execRunsCommands(context);
        await scenarios.portForwardCarriesBytes(context);
      } finally {
        kubectl.dispose();
      }
    }
  });

  it('replica B keeps serving kubectl, including a watch opened before, after replica A stops', async () => {
    const kubectl = createKubectlSession((await replicaB.generateKubectlComponents(AGENT_NAME, 'kube')).kubeconfig);
    const context = { kubectl, server: harness, namespace: 'replica-survivor' };
    scenarios.seedNamespace(context);
    const watch = kubectl.spawn(['get', 'configmaps', '-n', context.namespace, '-w', '--request-timeout=0']);
    try {
      harness.store.put({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'before-stop', namespace: context.namespace },
        data: {},
      });
      await watch.waitFor(/before-stop/);
      await replicaA?.stop();
      replicaA = undefined;
      harness.store.put({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'after-stop', namespace: context.namespace },
        data: {},
      });
      await watch.waitFor(/after-stop/);
      await scenarios.execRunsCommands(context);
    } finally {
      await watch.stop();
      kubectl.dispose();
    }
  });
});
