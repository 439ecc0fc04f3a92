import { renderKubeconfig } from './kubeconfig';
import { createKubectlSession, type KubectlSession } from './kubectl';
import * as scenarios from './scenarios';
import { startKubeApiServer, type KubeApiServer } from './server';

// Real kubectl (the binary on the image) against the harness directly: pins that the harness serves what
// needs a kubelet (exec, attach, cp, logs, port-forward over WebSocket and SPDY) the way kubectl expects,
// before the tunnel is put in between. API behaviour (get, apply, patch, watch, lists) is tested against a
// real kube-apiserver instead (test/e2e/kubectl-real-apiserver.test.ts).

// Each test runs several kubectl processes; on a loaded 2-core machine that can take tens of seconds.
jest.setTimeout(60_000);

let echo: Awaited<ReturnType<typeof scenarios.startEchoServer>>;
let server: KubeApiServer;
let kubectl: KubectlSession;
let namespaceCount = 0;

function context(): scenarios.ScenarioContext {
  namespaceCount += 1;
  const value = { kubectl, server, namespace: `direct-${namespaceCount}` };
  scenarios.seedNamespace(value);
  return value;
}

beforeAll(async () => {
  echo = await scenarios.startEchoServer();
  server = await startKubeApiServer({
    resolvePodPort: (_namespace, _pod, port) => (port === 8080 ? { host: '127.0.0.1', port: echo.port } : undefined),
  });
  kubectl = createKubectlSession(renderKubeconfig({ server: server.url, caPem: server.caPem, token: server.token }));
});

afterAll(async () => {
  kubectl.dispose();
  await server.stop();
  await echo.close();
});

describe('kubectl against the kube-apiserver harness', () => {
  it('serves aggregated discovery to clients that ask for it, so kubectl skips per-group-version discovery', async () => {
    const fresh = createKubectlSession(
      renderKubeconfig({ server: server.url, caPem: server.caPem, token: server.token }),
    );
    try {
      const before = server.requests.length;
      const result = await fresh.run(['get', 'deployments', '-A', '-o', 'name']);
      expect(result.code).toBe(0);
      const seen = server.requests.slice(before);
      const apiRequest = seen.find((request) => request.url.startsWith('/api?') || request.url === '/api');
      const legacy = seen.filter((request) => /^\/(api\/v1|apis\/apps\/v1)(\?|$)/.test(request.url));
      if (apiRequest?.accept.includes('g=apidiscovery.k8s.io;v=v2')) expect(legacy).toEqual([]);
      else expect(legacy.length).toBeGreaterThan(0);
    } finally {
      fresh.dispose();
    }
  });

  it('an interactive exec and a port-forward connection keep working after an idle second', () =>
    Promise.all([
      scenarios.execSessionSurvivesIdle(context(), 1000),
      scenarios.portForwardSurvivesIdle(context(), 1000),
    ]));

  it('logs -f streams new lines until kubectl goes away', () => scenarios.logsFollowStreams(context()));

  it('exec runs commands over WebSocket v5.channel.k8s.io (kubectl ≥ 1.30; SPDY before)', async () => {
    const before = server.requests.length;
    await scenarios.execRunsCommands(context());
    const upgrades = server.requests.slice(before).filter((request) => request.url.includes('/exec?'));
    expect(upgrades.length).toBeGreaterThanOrEqual(4);
    if ((await scenarios.expectedFirstUpgrade('exec')) === 'websocket') {
      expect(
        upgrades.every((request) => request.method === 'GET' && request.upgrade.toLowerCase() === 'websocket'),
      ).toBe(true);
      expect(upgrades[0]?.protocols).toContain('v5.channel.k8s.io');
    } else {
      expect(upgrades.every((request) => request.method === 'POST' && request.upgrade === 'SPDY/3.1')).toBe(true);
    }
  });

  it('port-forward tunnels SPDY inside WebSocket (SPDY/3.1+portforward.k8s.io, kubectl ≥ 1.31)', async () => {
    const before = server.requests.length;
    await scenarios.portForwardCarriesBytes(context());
    const upgrades = server.requests.slice(before).filter((request) => request.url.includes('/portforward'));
    if ((await scenarios.expectedFirstUpgrade('portforward')) === 'websocket') {
      expect(upgrades[0]?.upgrade.toLowerCase()).toBe('websocket');
      expect(upgrades[0]?.protocols).toContain('SPDY/3.1+portforward.k8s.io');
    } else {
      expect(upgrades[0]?.upgrade).toBe('SPDY/3.1');
    }
  });

  it('cp copies a binary file into the pod and a file and a tree out of it', () =>
    scenarios.copyFilesBothWays(context()));

  it('attach -i joins the main process (stdin echoed back)', () => scenarios.attachEchoesStdin(context()));

  it('a log stream cut by the server makes kubectl logs -f fail, not finish', () =>
    scenarios.brokenLogStreamIsAnError(context()));

  it('rejects a wrong bearer token with 401, which kubectl reports as not logged in', async () => {
    const stranger = createKubectlSession(
      renderKubeconfig({ server: server.url, caPem: server.caPem, token: 'wrong' }),
    );
    try {
      const result = await stranger.run(['get', 'pods']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('You must be logged in to the server');
    } finally {
      stranger.dispose();
    }
  });
});

describe('kubectl when the harness refuses WebSocket upgrades', () => {
  let spdyServer: KubeApiServer;
  let spdyKubectl: KubectlSession;

  beforeAll(async () => {
    spdyServer = await startKubeApiServer({
      refuseWebSocket: true,
      resolvePodPort: (_namespace, _pod, port) => (port === 8080 ? { host: '127.0.0.1', port: echo.port } : undefined),
    });
    spdyKubectl = createKubectlSession(
      renderKubeconfig({ server: spdyServer.url, caPem: spdyServer.caPem, token: spdyServer.token }),
    );
  });

  afterAll(async () => {
    spdyKubectl.dispose();
    await spdyServer.stop();
  });

  function spdyContext(): scenarios.ScenarioContext {
    namespaceCount += 1;
    const value = { kubectl: spdyKubectl, server: spdyServer, namespace: `spdy-${namespaceCount}` };
    scenarios.seedNamespace(value);
    return value;
  }

  it('exec falls back to SPDY/3.1 (v4.channel.k8s.io) after a fast 400 to the WebSocket upgrade', async () => {
    await scenarios.execRunsCommands(spdyContext());
    const exec = spdyServer.requests.filter((request) => request.url.includes('/exec?'));
    if ((await scenarios.expectedFirstUpgrade('exec')) === 'websocket') {
      expect(exec.some((request) => request.method === 'GET' && request.upgrade.toLowerCase() === 'websocket')).toBe(
        true,
      );
    }
    expect(
      exec.some(
        (request) =>
          request.method === 'POST' &&
          request.upgrade === 'SPDY/3.1' &&
          request.protocols.includes('v4.channel.k8s.io'),
      ),
    ).toBe(true);
  });

  it('cp works over SPDY too', () => scenarios.copyFilesBothWays(spdyContext()));

  it('attach falls back to SPDY too', () => scenarios.attachEchoesStdin(spdyContext()));

  it('port-forward falls back to plain SPDY (portforward.k8s.io)', async () => {
    await scenarios.portForwardCarriesBytes(spdyContext());
    expect(
      spdyServer.requests.some(
        (request) =>
          request.url.includes('/portforward') && request.method === 'POST' && request.upgrade === 'SPDY/3.1',
      ),
    ).toBe(true);
  });
});
