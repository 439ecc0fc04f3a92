// Real kubectl → controller (service port, controller-generated kubeconfig) → tunnel → agent → a real
// kube-apiserver + etcd (scripts/install-test-tools.sh builds them; a missing one fails this test naming
// the script). What needs no kubelet runs here: get, apply (client- and server-side), patch in three
// formats, delete and get -w. exec, attach, port-forward and logs need a kubelet and stay on the harness
// (test/e2e/kubectl-through-tunnel.test.ts).
import fs from 'node:fs';
import https from 'node:https';
import { startAgent, type RunningAgent } from '@isd/agent';
import type { RunningController } from '@isd/controller';
import { startLocalController } from './tunnel-support';
import { startKubeApiServer, type KubeApiServer } from '@isd/test-support';
import { createKubectlSession, type KubectlResult, type KubectlSession } from '../harness/kube-apiserver/kubectl';

const AGENT_NAME = 'cluster-real';
// oes-birger cut watches after 8–10 s; this one stays idle longer than that, then expects more.
const LONG_IDLE_MS = 16_000;
const NAMESPACE = 'tunnel-e2e';

// Starting etcd and kube-apiserver and running a dozen kubectl processes takes a while on a shared machine.
jest.setTimeout(180_000);

let apiServer: KubeApiServer;
let controller: RunningController;
let agent: RunningAgent;
let throughTunnel: KubectlSession;
let direct: KubectlSession;

function ok(result: KubectlResult): string {
  if (result.code !== 0) throw new Error(`kubectl failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

function configMap(name: string, data: Record<string, string>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NAMESPACE }, data });
}

const getJson = async (session: KubectlSession, name: string) =>
  JSON.parse(
    ok(await session.run(['get', 'configmap', name, '-n', NAMESPACE, '-o', 'json', '--show-managed-fields'])),
  ) as {
    data?: Record<string, string>;
    metadata: { resourceVersion: string; managedFields?: Array<{ manager: string; operation: string }> };
  };

/** A merge patch straight to the apiserver (no kubectl process), for bursts of changes. */
function patchDirectly(name: string, patch: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(`/api/v1/namespaces/${NAMESPACE}/configmaps/${name}`, apiServer.url), {
      method: 'PATCH',
      ca: apiServer.caPem,
      headers: { authorization: `Bearer ${apiServer.token}`, 'content-type': 'application/merge-patch+json' },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PATCH ${name}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(patch));
  });
}

beforeAll(async () => {
  apiServer = await startKubeApiServer();
  controller = await startLocalController();
  agent = await startAgent({
    controllers: [controller.agentUrl],
    credentials: await controller.issueAgentCredentials(AGENT_NAME),
    // The agent holds the apiserver's admin kubeconfig; kubectl only ever sees the controller's.
    services: [{ name: 'kube', type: 'kubernetes', kubeconfig: fs.readFileSync(apiServer.kubeconfigPath, 'utf8') }],
    healthPort: null,
  });
  await agent.waitUntilConnected(20_000);
  throughTunnel = createKubectlSession((await controller.generateKubectlComponents(AGENT_NAME, 'kube')).kubeconfig);
  direct = createKubectlSession(fs.readFileSync(apiServer.kubeconfigPath, 'utf8'));
  ok(await direct.run(['create', 'namespace', NAMESPACE]));
});

afterAll(async () => {
  throughTunnel?.dispose();
  direct?.dispose();
  await agent?.stop();
  await controller?.stop();
  await apiServer?.stop();
});

describe('kubectl through the tunnel against a real kube-apiserver', () => {
  it('get lists what the apiserver has, with the token only the agent holds', async () => {
    expect(ok(await throughTunnel.run(['get', 'namespaces', '-o', 'name']))).toContain(`namespace/${NAMESPACE}`);
    // The controller's kubeconfig carries a tunnel client certificate, never the apiserver's token.
    expect(fs.readFileSync(throughTunnel.kubeconfig, 'utf8')).not.toContain(apiServer.token);
    const missing = await throughTunnel.run(['get', 'configmap', 'absent', '-n', NAMESPACE]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('configmaps "absent" not found');
  });

  it('apply creates and then updates; patch works in strategic, merge and JSON formats; delete removes', async () => {
    ok(await throughTunnel.run(['apply', '-f', '-'], { stdin: configMap('settings', { mode: 'a' }) }));
    expect((await getJson(direct, 'settings')).data).toEqual({ mode: 'a' });
    ok(await throughTunnel.run(['apply', '-f', '-'], { stdin: configMap('settings', { mode: 'b', extra: '1' }) }));
    expect((await getJson(direct, 'settings')).data).toEqual({ mode: 'b', extra: '1' });

    ok(
      await throughTunnel.run(['patch', 'configmap', 'settings', '-n', NAMESPACE, '-p', '{"data":{"s":"strategic"}}']),
    );
    ok(
      await throughTunnel.run([
        'patch',
        'configmap',
        'settings',
        '-n',
        NAMESPACE,
        '--type=merge',
        '-p',
        '{"data":{"m":"merge"}}',
      ]),
    );
    ok(
      await throughTunnel.run([
        'patch',
        'configmap',
        'settings',
        '-n',
        NAMESPACE,
        '--type=json',
        '-p',
        '[{"op":"remove","path":"/data/extra"}]',
      ]),
    );
    expect((await getJson(direct, 'settings')).data).toEqual({ mode: 'b', s: 'strategic', m: 'merge' });
    // A JSON patch that cannot apply is the apiserver's 422 Invalid, passed through.
    const refused = await throughTunnel.run([
      'patch',
      'configmap',
      'settings',
      '-n',
      NAMESPACE,
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/data/nope"}]',
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('The request is invalid');

    ok(await throughTunnel.run(['delete', 'configmap', 'settings', '-n', NAMESPACE]));
    expect((await direct.run(['get', 'configmap', 'settings', '-n', NAMESPACE])).stderr).toContain('not found');
  });

  it('server-side apply records the field manager and reports a conflict the apiserver finds', async () => {
    ok(
      await throughTunnel.run(['apply', '--server-side', '--field-manager=spinnaker', '-f', '-'], {
        stdin: configMap('ssa', { owner: 'spinnaker' }),
      }),
    );
    const applied = await getJson(direct, 'ssa');
    expect(applied.data).toEqual({ owner: 'spinnaker' });
    expect(applied.metadata.managedFields).toEqual(
      expect.arrayContaining([expect.objectContaining({ manager: 'spinnaker', operation: 'Apply' })]),
    );
    const conflict = await throughTunnel.run(['apply', '--server-side', '--field-manager=someone-else', '-f', '-'], {
      stdin: configMap('ssa', { owner: 'someone-else' }),
    });
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('conflict');
    ok(
      await throughTunnel.run(
        ['apply', '--server-side', '--force-conflicts', '--field-manager=someone-else', '-f', '-'],
        {
          stdin: configMap('ssa', { owner: 'someone-else' }),
        },
      ),
    );
    expect((await getJson(direct, 'ssa')).data).toEqual({ owner: 'someone-else' });
  });

  it('get -w streams the changes made after it started, as they happen', async () => {
    ok(await direct.run(['create', 'configmap', 'watched', '-n', NAMESPACE, '--from-literal=step=0']));
    const watch = throughTunnel.spawn([
      'get',
      'configmaps',
      '-n',
      NAMESPACE,
      '--watch',
      '--output-watch-events',
      '-o',
      'custom-columns=EVENT:.type,NAME:.object.metadata.name,STEP:.object.data.step',
    ]);
    try {
      await watch.waitFor(/ADDED\s+watched\s+0/, 60_000);
      for (const step of ['1', '2']) {
        ok(
          await direct.run([
            'patch',
            'configmap',
            'watched',
            '-n',
            NAMESPACE,
            '--type=merge',
            '-p',
            `{"data":{"step":"${step}"}}`,
          ]),
        );
        await watch.waitFor(new RegExp(`MODIFIED\\s+watched\\s+${step}`), 30_000);
      }
      ok(await direct.run(['delete', 'configmap', 'watched', '-n', NAMESPACE]));
      await watch.waitFor(/DELETED\s+watched/, 30_000);
    } finally {
      await watch.stop();
    }
  });
  it(`a watch outlives ${LONG_IDLE_MS / 1000} s of silence, then delivers a burst of 300 events in order`, async () => {
    ok(await direct.run(['create', 'configmap', 'burst', '-n', NAMESPACE, '--from-literal=n=0']));
    const watch = throughTunnel.spawn([
      'get',
      'configmap',
      'burst',
      '-n',
      NAMESPACE,
      '--watch',
      '-o',
      'custom-columns=N:.data.n',
      '--no-headers',
    ]);
    try {
      await watch.waitFor(/^0$/m, 60_000);
      await new Promise((resolve) => setTimeout(resolve, LONG_IDLE_MS));
      // One request per event so the apiserver cannot coalesce them; the last resourceVersion wins.
      const steps = Array.from({ length: 300 }, (_, index) => index + 1);
      for (const n of steps) await patchDirectly('burst', { data: { n: String(n) } });
      await watch.waitFor(/^300$/m, 60_000);
      const seen = watch.output().trim().split('\n').map(Number);
      expect(seen).toEqual([0, ...steps]);
    } finally {
      await watch.stop();
    }
  });

  it('label selectors, strict field validation and a manifest lifecycle (create, replace, multi-kind get, delete -f)', async () => {
    const labelled = (name: string, tier: string) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: NAMESPACE, labels: { app: 'shop', tier } },
        data: { tier },
      });
    ok(await throughTunnel.run(['create', '-f', '-'], { stdin: labelled('front', 'web') }));
    ok(await throughTunnel.run(['create', '-f', '-'], { stdin: labelled('back', 'db') }));
    expect(
      ok(await throughTunnel.run(['get', 'cm', '-n', NAMESPACE, '-l', 'app=shop,tier in (web)', '-o', 'name'])),
    ).toBe('configmap/front\n');
    expect(ok(await throughTunnel.run(['get', 'cm', '-n', NAMESPACE, '-l', 'app=shop,tier!=web', '-o', 'name']))).toBe(
      'configmap/back\n',
    );
    // The real apiserver's strict decoding error, naming the field, comes back through the tunnel.
    const strict = await throughTunnel.run(['apply', '--validate=strict', '-f', '-'], {
      stdin: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'strict', namespace: NAMESPACE },
        bogusField: 1,
      }),
    });
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toContain('bogusField');

    const manifest = [
      labelled('front', 'web-2'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'shop-secret', namespace: NAMESPACE, labels: { app: 'shop' } },
        stringData: { key: 'value' },
      }),
    ].join('\n');
    const replaced = await throughTunnel.run(['replace', '-f', '-'], { stdin: manifest });
    // The Secret does not exist yet: replace fails for it, and has replaced the ConfigMap.
    expect(replaced.stderr).toContain('secrets "shop-secret" not found');
    ok(await throughTunnel.run(['create', '-f', '-'], { stdin: manifest.split('\n')[1] }));
    expect((await getJson(direct, 'front')).data).toEqual({ tier: 'web-2' });
    expect(
      ok(await throughTunnel.run(['get', 'cm,secret', '-n', NAMESPACE, '-l', 'app=shop', '-o', 'name'])).split('\n'),
    ).toEqual(expect.arrayContaining(['configmap/front', 'configmap/back', 'secret/shop-secret']));
    ok(await throughTunnel.run(['delete', '-f', '-'], { stdin: manifest }));
    expect(ok(await direct.run(['get', 'cm,secret', '-n', NAMESPACE, '-l', 'app=shop', '-o', 'name']))).toBe(
      'configmap/back\n',
    );
  });

  it('a large list (about 6 MB of ConfigMaps) arrives whole', async () => {
    const filler = 'x'.repeat(60_000);
    const items = Array.from({ length: 100 }, (_, index) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `big-${index}`, namespace: NAMESPACE, labels: { big: 'yes' } },
      data: { filler, index: String(index) },
    }));
    ok(await direct.run(['create', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) }));
    const listed = JSON.parse(
      ok(await throughTunnel.run(['get', 'cm', '-n', NAMESPACE, '-l', 'big=yes', '-o', 'json'])),
    ) as {
      items: Array<{ data: { filler: string; index: string } }>;
    };
    expect(listed.items).toHaveLength(100);
    expect(listed.items.every((item) => item.data.filler === filler)).toBe(true);
    expect(new Set(listed.items.map((item) => item.data.index)).size).toBe(100);
  });
});
