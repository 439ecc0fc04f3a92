import { startAgent, type RunningAgent } from '@isd/agent';
import type { RunningController } from '@isd/controller';
import { startLocalController } from './tunnel-support';
import {
  createKubectlSession,
  renderKubeconfig,
  startKubeApiServer,
  type KubeApiServer,
  type KubectlSession,
} from '../harness/kube-apiserver';
import * as scenarios from '../harness/kube-apiserver/scenarios';

// Real kubectl → controller (service port, controller-generated kubeconfig) → gRPC tunnel → agent →
// kube-apiserver harness, for what needs a kubelet (exec, attach, cp, logs, port-forward), which no real
// kube-apiserver without nodes can serve. Everything else (get, apply, patch, delete, watches, lists) runs
// against a real kube-apiserver in kubectl-real-apiserver.test.ts. The same scenarios as
// test/harness/kube-apiserver/kubectl-direct.test.ts, so any difference is the tunnel's. Two harnesses sit behind the one agent: `kube` accepts WebSocket
// upgrades (kubectl's default), `kube-spdy` refuses them so kubectl falls back to SPDY/3.1.

const AGENT_NAME = 'cluster-a';
// oes-birger cut watches and `logs -f` after 8–10 s; these stay idle longer than that, then expect more.
const LONG_IDLE_MS = 16_000;

// Each test runs several kubectl processes; on a loaded 2-core machine that can take tens of seconds.
jest.setTimeout(60_000);

let echo: Awaited<ReturnType<typeof scenarios.startEchoServer>>;
let harness: KubeApiServer;
let spdyHarness: KubeApiServer;
let controller: RunningController;
let agent: RunningAgent;
let kubectl: KubectlSession;
let spdyKubectl: KubectlSession;
let namespaceCount = 0;

function context(server: KubeApiServer = harness, session: KubectlSession = kubectl): scenarios.ScenarioContext {
  namespaceCount += 1;
  const value = { kubectl: session, server, namespace: `tunnel-${namespaceCount}` };
  scenarios.seedNamespace(value);
  return value;
}

beforeAll(async () => {
  echo = await scenarios.startEchoServer();
  const resolvePodPort = (_namespace: string, _pod: string, port: number) =>
    port === 8080 ? { host: '127.0.0.1', port: echo.port } : undefined;
  harness = await startKubeApiServer({ resolvePodPort });
  spdyHarness = await startKubeApiServer({ resolvePodPort, refuseWebSocket: true });
  controller = await startLocalController({
    serverNames: ['localhost', '127.0.0.1'],
  });
  agent = await startAgent({
    controllers: [controller.agentUrl],
    credentials: await controller.issueAgentCredentials(AGENT_NAME),
    services: [
      {
        name: 'kube',
        type: 'kubernetes',
        kubeconfig: renderKubeconfig({ server: harness.url, caPem: harness.caPem, token: harness.token }),
      },
      {
        name: 'kube-spdy',
        type: 'kubernetes',
        kubeconfig: renderKubeconfig({ server: spdyHarness.url, caPem: spdyHarness.caPem, token: spdyHarness.token }),
      },
    ],
    healthPort: null,
  });
  await agent.waitUntilConnected(10_000);
  kubectl = createKubectlSession((await controller.generateKubectlComponents(AGENT_NAME, 'kube')).kubeconfig);
  spdyKubectl = createKubectlSession((await controller.generateKubectlComponents(AGENT_NAME, 'kube-spdy')).kubeconfig);
}, 30_000);

// One CI run (stop 30) saw this hook pass jest's 60 s and could not say which step waited; a slow one now names itself.
async function step(name: string, stopping: Promise<void> | undefined): Promise<void> {
  const slow = setTimeout(() => console.warn(`afterAll: ${name} has not finished after 10 s`), 10_000);
  try {
    await stopping;
  } finally {
    clearTimeout(slow);
  }
}

afterAll(async () => {
  kubectl?.dispose();
  spdyKubectl?.dispose();
  await step('agent.stop', agent?.stop());
  await step('controller.stop', controller?.stop());
  await step('harness.stop', harness?.stop());
  await step('spdyHarness.stop', spdyHarness?.stop());
  await step('echo.close', echo?.close());
});

describe('kubectl through the controller/agent tunnel (client-certificate kubeconfig)', () => {
  it('reaches the harness with the agent’s credentials, not the caller’s certificate', async () => {
    const result = await kubectl.run(['get', 'namespaces', '-o', 'name']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('namespace/default');
    // The harness only answers its own bearer token, which only the agent holds.
    expect(harness.requests.some((request) => request.url.startsWith('/api/v1/namespaces'))).toBe(true);
  });

  it(`logs -f, an exec session and a port-forward connection all outlive ${LONG_IDLE_MS / 1000} s of silence`, async () => {
    const started = Date.now();
    await Promise.all([
      scenarios.logsFollowStreams(context(), LONG_IDLE_MS),
      scenarios.execSessionSurvivesIdle(context(), LONG_IDLE_MS),
      scenarios.portForwardSurvivesIdle(context(), LONG_IDLE_MS),
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LONG_IDLE_MS);
  }, 60_000);

  it('exec runs over WebSocket (v5.channel.k8s.io; SPDY before kubectl 1.30) through the tunnel’s upgrade support', async () => {
    const before = harness.requests.length;
    await scenarios.execRunsCommands(context());
    const exec = harness.requests.slice(before).filter((request) => request.url.includes('/exec?'));
    expect(exec.length).toBeGreaterThanOrEqual(4);
    const expected = await scenarios.expectedFirstUpgrade('exec');
    expect(exec.every((request) => request.upgrade.toLowerCase() === expected.toLowerCase())).toBe(true);
  });

  it('exec falls back to SPDY/3.1 when the target refuses WebSocket, through the tunnel', async () => {
    await scenarios.execRunsCommands(context(spdyHarness, spdyKubectl));
    expect(
      spdyHarness.requests.some(
        (request) => request.url.includes('/exec?') && request.method === 'POST' && request.upgrade === 'SPDY/3.1',
      ),
    ).toBe(true);
  });

  it('cp copies a binary file into the pod and a file and a tree out of it', () =>
    scenarios.copyFilesBothWays(context()));

  it('attach -i over WebSocket through the tunnel', () => scenarios.attachEchoesStdin(context()));

  it('an apiserver dying mid-stream reaches kubectl logs -f as an error, never a clean end', () =>
    scenarios.brokenLogStreamIsAnError(context()));

  it('port-forward over WebSocket (SPDY/3.1+portforward.k8s.io) carries bytes both ways', () =>
    scenarios.portForwardCarriesBytes(context()));

  it('port-forward over plain SPDY carries bytes both ways', async () => {
    await scenarios.portForwardCarriesBytes(context(spdyHarness, spdyKubectl));
    expect(
      spdyHarness.requests.some((request) => request.url.includes('/portforward') && request.upgrade === 'SPDY/3.1'),
    ).toBe(true);
  });
});

describe('kubectl through the tunnel with a token kubeconfig (oes-birger v5 shape)', () => {
  it('gets and execs with `token:` instead of a client certificate', async () => {
    const components = await controller.generateKubectlComponents(AGENT_NAME, 'kube', { shape: 'token' });
    expect(components.token).toBeTruthy();
    const tokenKubectl = createKubectlSession(components.kubeconfig);
    try {
      const value = context(harness, tokenKubectl);
      expect((await tokenKubectl.run(['get', 'namespaces', '-o', 'name'])).stdout).toContain('namespace/default');
      await scenarios.execRunsCommands(value);
    } finally {
      tokenKubectl.dispose();
    }
  });

  it('a kubeconfig for another agent cannot reach this one', async () => {
    const foreign = createKubectlSession((await controller.generateKubectlComponents('cluster-b', 'kube')).kubeconfig);
    try {
      const before = harness.requests.length;
      const result = await foreign.run(['get', 'pods', '--request-timeout=5s']);
      expect(result.code).not.toBe(0);
      expect(harness.requests.length).toBe(before);
    } finally {
      foreign.dispose();
    }
  });
});
