// Both charts against a real kube-apiserver + etcd (started once for this file): every values set is
// validated by the server (helm's --dry-run=server, then kubectl's server-side dry run with strict field
// validation of every object), then really installed, upgraded, rolled back and uninstalled. There is no
// kubelet, so pods never run and nothing waits for them (no --wait).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startKubeApiServer, type KubeApiServer } from '@isd/test-support';
import { helm, HelmError, parseManifests, valuesFileArgs } from './helm';

const chartsDir = path.resolve(__dirname, '..');

interface ValuesSet {
  chart: 'isd' | 'isd-agent';
  label: string;
  file?: string;
}

const valuesSets: ValuesSet[] = (['isd', 'isd-agent'] as const).flatMap((chart) => [
  { chart, label: 'default values' },
  ...fs
    .readdirSync(path.join(chartsDir, chart, 'ci'))
    .filter((file) => file.endsWith('-values.yaml'))
    .map((file) => ({ chart, label: `ci/${file}`, file: path.join(chartsDir, chart, 'ci', file) })),
]);

let server: KubeApiServer;

beforeAll(async () => {
  server = await startKubeApiServer();
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

const clusterHelm = (args: string[]) => helm(args, { kubeconfig: server.kubeconfigPath });

/** kubectl against the test API server; resolves with stdout, rejects with its output. */
function kubectl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', server.kubeconfigPath, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`kubectl ${args.join(' ')}: ${stdout}${stderr}`)),
    );
    child.stdin.end(input ?? '');
  });
}

/** A namespace per values set, so installs of different sets never meet. */
const namespaceFor = (set: ValuesSet) =>
  `${set.chart}-${(set.file ? path.basename(set.file, '-values.yaml') : 'default').replace(/[^a-z0-9-]/g, '-')}`;
const releaseName = (set: ValuesSet) => (set.chart === 'isd' ? 'isd' : 'isd-agent');
const fileArgs = (set: ValuesSet) => (set.file ? ['-f', set.file] : []);

/** Names of the objects of a release, as "Kind/name", from the API server by the instance label. */
async function releaseObjects(namespace: string, release: string): Promise<string[]> {
  const kinds =
    'deployments,statefulsets,services,configmaps,serviceaccounts,poddisruptionbudgets,networkpolicies,roles,rolebindings';
  const list = JSON.parse(
    await kubectl(['get', kinds, '-n', namespace, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'json']),
  ) as { items: { kind: string; metadata: { name: string } }[] };
  return list.items.map((item) => `${item.kind}/${item.metadata.name}`).sort();
}

describe.each(valuesSets.map((set) => [`${set.chart} with ${set.label}`, set] as const))('%s', (_label, set) => {
  const chartDir = path.join(chartsDir, set.chart);
  const namespace = namespaceFor(set);

  it('is accepted by the API server: helm --dry-run=server, then every object dry-run with strict field validation', async () => {
    await kubectl(['create', 'namespace', namespace]);
    const dryRun = JSON.parse(
      await clusterHelm([
        'install',
        releaseName(set),
        chartDir,
        '-n',
        namespace,
        '--dry-run=server',
        '-o',
        'json',
        ...fileArgs(set),
      ]),
    ) as { manifest: string };
    const objects = parseManifests(dryRun.manifest);
    expect(objects.length).toBeGreaterThan(0);
    const applied = await kubectl(
      ['apply', '--dry-run=server', '--validate=strict', '-n', namespace, '-o', 'name', '-f', '-'],
      dryRun.manifest,
    );
    // kubectl names each object the server accepted: all of them, none skipped.
    expect(applied.trim().split('\n').length).toBe(objects.length);
  });

  it('installs for real, and the API server holds every rendered object; uninstall removes them', async () => {
    const release = releaseName(set);
    const installed = JSON.parse(
      await clusterHelm(['install', release, chartDir, '-n', namespace, '-o', 'json', ...fileArgs(set)]),
    ) as { manifest: string; info: { status: string }; version: number };
    expect(installed.info.status).toBe('deployed');
    expect(installed.version).toBe(1);
    const rendered = parseManifests(installed.manifest)
      .map(({ object }) => `${object.kind}/${object.metadata.name}`)
      .sort();
    // ClusterRoles/ClusterRoleBindings are cluster-scoped and not in the namespaced list.
    const namespaced = rendered.filter((name) => !name.startsWith('Cluster'));
    expect(await releaseObjects(namespace, release)).toEqual(namespaced);

    await clusterHelm(['uninstall', release, '-n', namespace]);
    expect(await releaseObjects(namespace, release)).toEqual([]);
    await expect(clusterHelm(['status', release, '-n', namespace])).rejects.toThrow(/not found/);
  });
});

describe('isd upgrade and rollback', () => {
  const chartDir = path.join(chartsDir, 'isd');
  const namespace = 'isd-upgrade';

  it('upgrades to new values (objects change, added and removed), then rolls back to the first revision', async () => {
    const replicas = async (name: string) =>
      Number(await kubectl(['get', 'deployment', name, '-n', namespace, '-o', 'jsonpath={.spec.replicas}']));
    await clusterHelm(['install', 'isd', chartDir, '-n', namespace, '--create-namespace']);
    const first = await releaseObjects(namespace, 'isd');
    expect(first).toContain('Deployment/isd-sapor');
    expect(await replicas('isd-visibility')).toBe(2);

    // The approvals-only set drops autopilot and sapor and the controller, and changes visibility.
    const approvalsOnly = path.join(chartDir, 'ci', 'approvals-only-values.yaml');
    const upgraded = JSON.parse(
      await clusterHelm([
        'upgrade',
        'isd',
        chartDir,
        '-n',
        namespace,
        '-f',
        approvalsOnly,
        '--set',
        'visibility.replicas=3',
        '-o',
        'json',
      ]),
    ) as { version: number; manifest: string };
    expect(upgraded.version).toBe(2);
    const second = await releaseObjects(namespace, 'isd');
    expect(second).toEqual(
      parseManifests(upgraded.manifest)
        .map(({ object }) => `${object.kind}/${object.metadata.name}`)
        .sort(),
    );
    expect(second).not.toEqual(first);
    expect(await replicas('isd-visibility')).toBe(3);

    await clusterHelm(['rollback', 'isd', '1', '-n', namespace]);
    expect(await releaseObjects(namespace, 'isd')).toEqual(first);
    expect(await replicas('isd-visibility')).toBe(2);
    const history = JSON.parse(await clusterHelm(['history', 'isd', '-n', namespace, '-o', 'json'])) as {
      revision: number;
      status: string;
    }[];
    expect(history.map((entry) => [entry.revision, entry.status])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'deployed'],
    ]);
    await clusterHelm(['uninstall', 'isd', '-n', namespace]);
    expect(await releaseObjects(namespace, 'isd')).toEqual([]);
  });
});

describe("gateTls from the chart's own CA", () => {
  it('issues the CA and both certificates once: an upgrade keeps them (lookup), uninstall keeps only the CA', async () => {
    const namespace = 'isd-own-ca';
    const gateNamespace = 'spinnaker-own-ca';
    await kubectl(['create', 'namespace', namespace]);
    await kubectl(['create', 'namespace', gateNamespace]);
    const settings = ['--set', 'gateTls.enabled=true', '--set', `gateTls.gateNamespace=${gateNamespace}`];
    const chartDir = path.join(chartsDir, 'isd');
    const certificates = async () => ({
      ca: await kubectl(['get', 'secret', 'isd-gate-ca', '-n', namespace, '-o', 'jsonpath={.data.tls\\.crt}']),
      listener: await kubectl(['get', 'secret', 'isd-gate-tls', '-n', namespace, '-o', 'jsonpath={.data.tls\\.crt}']),
      gate: await kubectl([
        'get',
        'secret',
        'isd-gate-client',
        '-n',
        gateNamespace,
        '-o',
        'jsonpath={.data.tls\\.crt}',
      ]),
    });
    await clusterHelm(['install', 'isd', chartDir, '-n', namespace, ...settings]);
    const first = await certificates();
    expect(first.ca).not.toBe('');
    expect(first.gate).not.toBe('');

    await clusterHelm(['upgrade', 'isd', chartDir, '-n', namespace, ...settings, '--set', 'visibility.replicas=3']);
    expect(await certificates()).toEqual(first);

    await clusterHelm(['uninstall', 'isd', '-n', namespace]);
    await expect(kubectl(['get', 'secret', 'isd-gate-tls', '-n', namespace])).rejects.toThrow(/not found/i);
    await expect(kubectl(['get', 'secret', 'isd-gate-client', '-n', gateNamespace])).rejects.toThrow(/not found/i);
    expect(await kubectl(['get', 'secret', 'isd-gate-ca', '-n', namespace, '-o', 'jsonpath={.data.tls\\.crt}'])).toBe(
      first.ca,
    );
  });
});

describe('what only the API server catches', () => {
  it('refuses, with strict field validation, a field Kubernetes does not know (a typo in extraVolumes)', async () => {
    const values = valuesFileArgs([
      { visibility: { extraVolumes: [{ name: 'cache', emptyDir: {}, sizeLimt: '1Gi' }] } },
    ]);
    try {
      const rendered = JSON.parse(
        await clusterHelm([
          'install',
          'isd',
          path.join(chartsDir, 'isd'),
          '-n',
          'default',
          '--dry-run=server',
          '-o',
          'json',
          ...values.args,
        ]),
      ) as { manifest: string };
      await expect(
        kubectl(['apply', '--dry-run=server', '--validate=strict', '-n', 'default', '-f', '-'], rendered.manifest),
      ).rejects.toThrow(/unknown field "spec.template.spec.volumes\[\d+\].sizeLimt"/);
    } finally {
      values.cleanup();
    }
  });

  it('refuses an object the values schema lets through but Kubernetes does not (a malformed CPU quantity)', async () => {
    // values.schema.json passes `resources` through as an object: only the server knows quantities.
    const values = valuesFileArgs([{ visibility: { resources: { requests: { cpu: 'lots' } } } }]);
    try {
      const install = clusterHelm([
        'install',
        'isd',
        path.join(chartsDir, 'isd'),
        '-n',
        'isd-invalid',
        '--create-namespace',
        ...values.args,
      ]);
      await expect(install).rejects.toThrow(HelmError);
      await expect(install).rejects.toThrow(/quantities must match the regular expression/);
    } finally {
      values.cleanup();
    }
  });
});
