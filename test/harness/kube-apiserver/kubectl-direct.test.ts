import { renderKubeconfig } from './kubeconfig';
import { createKubectlSession, type KubectlSession } from './kubectl';
import * as scenarios from './scenarios';
import { startKubeApiServer, type KubeApiServer } from './server';

// Real kubectl (the binary on the image) against the harness directly: pins that the harness speaks the
// Kubernetes API the way kubectl 1.32 expects, before the tunnel is put in between.

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
  it('prints pods from a server-side Table (Accept: as=Table;g=meta.k8s.io)', async () => {
    await scenarios.getPrintsServerSideTable(context());
    expect(
      server.requests.some((request) => request.accept.startsWith('application/json;as=Table;v=v1;g=meta.k8s.io')),
    ).toBe(true);
  });

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

  it('filters lists with set-based and equality label selectors', () => scenarios.getFiltersByLabelSelector(context()));

  it('reports a missing object as the apiserver NotFound Status', () =>
    scenarios.getMissingObjectIsNotFound(context()));

  it('client-side apply creates, then sends a strategic merge patch that keeps fields it does not own', () =>
    scenarios.clientSideApplyCreatesThenPatches(context()));

  it('server-side apply sends application/apply-patch+yaml with a field manager', async () => {
    const value = context();
    await scenarios.clientSideApplyCreatesThenPatches(value);
    await scenarios.serverSideApply(value);
  });

  it('refuses unknown fields under fieldValidation=Strict, naming the field', () =>
    scenarios.strictValidationRefusesUnknownFields(context()));

  it('patches with merge, JSON and strategic merge patches', () => scenarios.patchInThreeFormats(context()));

  it('deletes an object, and a second delete is NotFound', () => scenarios.deleteRemovesObject(context()));

  it('get -w streams watch events as Table rows', () => scenarios.watchSeesEvents(context()));

  it('an interactive exec and a port-forward connection keep working after an idle second', () =>
    Promise.all([
      scenarios.execSessionSurvivesIdle(context(), 1000),
      scenarios.portForwardSurvivesIdle(context(), 1000),
    ]));

  it('a burst of 2000 watch events all reach get -w, in order', () => scenarios.watchDeliversBurst(context()));

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

  it('scale, rollout restart/pause/resume and rollout status work on deployments', () =>
    scenarios.deploymentOperations(context()));

  it('create, replace, multi-kind get and delete -f work as Clouddriver drives them', () =>
    scenarios.manifestLifecycle(context()));

  it('cp copies a binary file into the pod and a file and a tree out of it', () =>
    scenarios.copyFilesBothWays(context()));

  it('describe and get events with involvedObject field selectors show the simulated controllers’ events', () =>
    scenarios.describeShowsEvents(context()));

  it('attach -i joins the main process (stdin echoed back)', () => scenarios.attachEchoesStdin(context()));

  it('large lists arrive whole, gzipped like the apiserver does above 128 KiB', () =>
    scenarios.largeListArrivesWhole(context()));

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
