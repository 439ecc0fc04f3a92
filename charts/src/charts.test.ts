// Renders both charts with the real helm, with their default values and every ci/*-values.yaml, validates
// each object offline against the Kubernetes OpenAPI schemas (kubernetes-models), asserts the chart
// policies, and proves each rendered config file loads with the service's real config loader.
// (charts.cluster.test.ts installs the same values sets into a real kube-apiserver.)
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loadServiceConfig } from '@isd/kit';
import { autopilotConfigSchema } from '@isd/autopilot/config';
import { saporConfigSchema } from '@isd/sapor/config';
import { visibilityConfigSchema } from '@isd/visibility/config';
import { loadControllerConfig } from '@isd/controller/config';
import { TUNNEL_NODE_FLAGS } from '@isd/controller';
import { loadAgentConfig } from '@isd/agent/config';
import { readYamlMapping, renderChart, type RenderedChart, type RenderedObject } from './helm';

const chartsDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(chartsDir, '..');

interface RenderCase {
  chart: 'isd' | 'isd-agent';
  label: string;
  values: Record<string, unknown>;
  release: { name: string; namespace: string };
}

function casesFor(chart: RenderCase['chart'], release: RenderCase['release']): RenderCase[] {
  const ciDir = path.join(chartsDir, chart, 'ci');
  const ciFiles = fs.readdirSync(ciDir).filter((file) => file.endsWith('-values.yaml'));
  return [
    { chart, label: 'default values', values: {}, release },
    ...ciFiles.map((file) => ({
      chart,
      label: `ci/${file}`,
      values: readYamlMapping(path.join(ciDir, file)),
      release,
    })),
  ];
}

const cases: RenderCase[] = [
  ...casesFor('isd', { name: 'isd', namespace: 'isd' }),
  ...casesFor('isd-agent', { name: 'isd-agent', namespace: 'isd-agent' }),
];
const rendered = new Map<RenderCase, RenderedChart>();
beforeAll(async () => {
  // One helm at a time: the machine's cores are shared.
  for (const renderCase of cases)
    rendered.set(
      renderCase,
      await renderChart(path.join(chartsDir, renderCase.chart), [renderCase.values], renderCase.release),
    );
}, 300_000);
const renderedFor = (renderCase: RenderCase): RenderedChart => {
  const chart = rendered.get(renderCase);
  if (!chart) throw new Error(`${renderCase.chart} with ${renderCase.label} was not rendered`);
  return chart;
};
const effectiveValues = (renderCase: RenderCase): Record<string, unknown> =>
  mergeDeep(readYamlMapping(path.join(chartsDir, renderCase.chart, 'values.yaml')), renderCase.values);

function mergeDeep(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] =
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      typeof current === 'object' &&
      current !== null &&
      !Array.isArray(current)
        ? mergeDeep(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

// ---------- small typed views of the rendered objects ----------

type Json = Record<string, unknown>;
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
  securityContext?: Json;
  resources?: { requests?: Json; limits?: Json };
  livenessProbe?: Json;
  readinessProbe?: Json;
}
interface PodSpec {
  containers: Container[];
  securityContext?: Json;
  volumes?: {
    name: string;
    configMap?: { name: string };
    secret?: { secretName: string };
    emptyDir?: { sizeLimit?: string };
  }[];
  automountServiceAccountToken?: boolean;
}
interface Workload {
  object: RenderedObject['object'];
  labels: Record<string, string>;
  selector: Record<string, string>;
  pod: PodSpec;
  podLabels: Record<string, string>;
}

const labelsOf = (object: Json): Record<string, string> =>
  ((object.metadata as Json).labels ?? {}) as Record<string, string>;

function workloads(chart: RenderedChart): Workload[] {
  return chart.objects
    .filter(({ object }) => object.kind === 'Deployment' || object.kind === 'StatefulSet')
    .map(({ object }) => {
      const spec = object.spec as Json;
      const template = spec.template as Json;
      return {
        object,
        labels: labelsOf(object),
        selector: ((spec.selector as Json).matchLabels ?? {}) as Record<string, string>,
        pod: template.spec as PodSpec,
        podLabels: labelsOf(template),
      };
    });
}

const ofKind = (chart: RenderedChart, kind: string) =>
  chart.objects.filter(({ object }) => object.kind === kind).map(({ object }) => object);
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);

// ---------- offline OpenAPI validation ----------

describe('offline Kubernetes schema validation (kubernetes-models)', () => {
  it('accepts every object rendered from every values set', () => {
    const all = cases.flatMap((renderCase) => renderedFor(renderCase).objects.map((item) => ({ renderCase, item })));
    const result = spawnSync(process.execPath, [path.join(chartsDir, 'scripts', 'validate-kubernetes-objects.mjs')], {
      input: JSON.stringify(all.map(({ item }) => item.object)),
      encoding: 'utf8',
      timeout: 30_000,
      cwd: chartsDir,
    });
    expect(result.status).toBe(0);
    const failures = JSON.parse(result.stdout) as { index: number; error: string }[];
    const described = failures.map(({ index, error }) => {
      const entry = all[index];
      return `${entry?.renderCase.chart} ${entry?.renderCase.label} ${entry?.item.object.kind}/${entry?.item.object.metadata.name}: ${error}`;
    });
    expect(described).toEqual([]);
    expect(all.length).toBeGreaterThan(30);
  });

  it('the validator really rejects an invalid object', () => {
    const broken = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: { selector: {}, template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 'http' }] }] } } },
    };
    const result = spawnSync(process.execPath, [path.join(chartsDir, 'scripts', 'validate-kubernetes-objects.mjs')], {
      input: JSON.stringify([broken]),
      encoding: 'utf8',
      timeout: 30_000,
      cwd: chartsDir,
    });
    expect(JSON.parse(result.stdout)).toEqual([
      { index: 0, error: expect.stringMatching(/containerPort must be integer/) },
    ]);
  });
});

// ---------- policies ----------

describe.each(cases.map((renderCase) => [`${renderCase.chart} with ${renderCase.label}`, renderCase] as const))(
  '%s',
  (_label, renderCase) => {
    let chart: RenderedChart;
    beforeAll(() => {
      chart = renderedFor(renderCase);
    });
    const values = effectiveValues(renderCase);

    it('gives every object the recommended labels and a release-scoped name', () => {
      for (const { object } of chart.objects) {
        const labels = labelsOf(object);
        expect(labels).toMatchObject({
          'app.kubernetes.io/name': renderCase.chart,
          'app.kubernetes.io/instance': renderCase.release.name,
          'app.kubernetes.io/managed-by': 'Helm',
          'helm.sh/chart': `${renderCase.chart}-0.1.0`,
          'app.kubernetes.io/part-of': 'isd',
        });
        expect(object.metadata.name.startsWith(renderCase.release.name)).toBe(true);
        expect(object.metadata.name.length).toBeLessThanOrEqual(63);
      }
    });

    it('selects pods only by name, instance and component, and every Service selects a workload port', () => {
      const pods = workloads(chart);
      for (const workload of pods) {
        expect(Object.keys(workload.selector).sort()).toEqual([
          'app.kubernetes.io/component',
          'app.kubernetes.io/instance',
          'app.kubernetes.io/name',
        ]);
        expect(matches(workload.selector, workload.podLabels)).toBe(true);
      }
      for (const service of ofKind(chart, 'Service')) {
        const spec = service.spec as { selector: Record<string, string>; ports: { targetPort: string }[] };
        const target = pods.find((workload) => matches(spec.selector, workload.podLabels));
        expect(target).toBeDefined();
        const portNames = target?.pod.containers.flatMap((container) =>
          (container.ports ?? []).map((port) => port.name),
        );
        for (const port of spec.ports) expect(portNames).toContain(port.targetPort);
      }
    });

    it('runs every container as non-root with a read-only root, no capabilities and RuntimeDefault seccomp', () => {
      for (const { pod } of workloads(chart)) {
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        for (const container of pod.containers) {
          expect(container.securityContext).toMatchObject({
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          });
        }
      }
    });

    it("bounds every emptyDir, so a pod that fills its scratch space is evicted before the node's disk fills", () => {
      const scratch = workloads(chart).flatMap(({ pod }) =>
        (pod.volumes ?? []).filter((volume) => volume.emptyDir !== undefined),
      );
      expect(scratch.length).toBeGreaterThan(0);
      for (const volume of scratch) expect(volume.emptyDir?.sizeLimit).toMatch(/^[1-9][0-9]*(Ki|Mi|Gi)$/);
    });

    it('sets resources, liveness and readiness probes (/healthz, /readyz for ISD containers) and pinned image tags', () => {
      for (const { pod, object } of workloads(chart)) {
        for (const container of pod.containers) {
          expect(container.resources?.requests).toEqual(
            expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
          );
          expect(container.resources?.limits).toEqual(expect.objectContaining({ memory: expect.anything() }));
          expect(container.livenessProbe).toBeDefined();
          expect(container.readinessProbe).toBeDefined();
          expect(container.image).toMatch(/^[^:@]+(:[^:]+)?:[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
          expect(container.image).not.toMatch(/:latest$/);
          if (object.kind === 'Deployment') {
            expect(container.livenessProbe).toMatchObject({ httpGet: { path: '/healthz' } });
            expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/readyz' } });
          }
        }
      }
    });

    it('renders only the keys it makes itself, and reads other secrets only from configured existingSecret names', () => {
      // The chart's own CA and token key: generated once, read back on upgrade, kept on uninstall.
      const generated = ofKind(chart, 'Secret') as Array<{
        metadata: { name: string; annotations?: Record<string, string> };
      }>;
      for (const secret of generated) expect(secret.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
      const configured = new Set<string>(generated.map((secret) => secret.metadata.name));
      const collect = (node: unknown, key = ''): void => {
        if (typeof node === 'string' && key === 'existingSecret' && node) configured.add(node);
        else if (Array.isArray(node)) node.forEach((item) => collect(item));
        else if (typeof node === 'object' && node !== null)
          for (const [childKey, child] of Object.entries(node)) collect(child, childKey);
      };
      collect(values);
      // Secrets the values name explicitly in extraEnv / extraVolumes are the user's own references.
      const explicit = JSON.stringify(values);
      for (const { pod } of workloads(chart)) {
        const referenced = [
          ...pod.containers.flatMap((container) =>
            (container.env ?? []).flatMap((env) =>
              env.valueFrom?.secretKeyRef ? [env.valueFrom.secretKeyRef.name] : [],
            ),
          ),
          ...(pod.volumes ?? []).flatMap((volume) => (volume.secret ? [volume.secret.secretName] : [])),
        ];
        for (const name of referenced) expect(configured.has(name) || explicit.includes(`"${name}"`)).toBe(true);
        for (const container of pod.containers) {
          for (const env of container.env ?? []) {
            if (/TOKEN|PASSWORD|SECRET|KEY|DATABASE_URL/.test(env.name) && env.value !== undefined) {
              // Only the bundled-Postgres URL is a literal, and it holds a $(reference), never the password.
              expect(env.value).toContain('$(ISD_POSTGRES_PASSWORD)');
            }
          }
        }
      }
    });

    it('has a PodDisruptionBudget and a NetworkPolicy for each workload when enabled', () => {
      const budgets = ofKind(chart, 'PodDisruptionBudget').map(
        (pdb) => ((pdb.spec as Json).selector as Json).matchLabels as Record<string, string>,
      );
      const policies = ofKind(chart, 'NetworkPolicy').map(
        (policy) => ((policy.spec as Json).podSelector as Json).matchLabels as Record<string, string>,
      );
      const networkPolicy = values.networkPolicy as { enabled: boolean };
      for (const workload of workloads(chart)) {
        const component = workload.podLabels['app.kubernetes.io/component'] as string;
        const componentValues = (renderCase.chart === 'isd' ? values[component] : values) as
          { pdb?: { enabled: boolean } } | undefined;
        if (componentValues?.pdb?.enabled)
          expect(budgets.some((selector) => matches(selector, workload.podLabels))).toBe(true);
        if (networkPolicy.enabled)
          expect(policies.some((selector) => matches(selector, workload.podLabels))).toBe(true);
      }
      if (renderCase.label === 'default values') {
        expect(budgets.length).toBe(renderCase.chart === 'isd' ? 4 : 0);
        expect(policies.length).toBe(renderCase.chart === 'isd' ? 4 : 1);
      }
    });

    it('lets only Orca (and visibility, for autopilot and sapor; autopilot, for sapor) reach the API port, and only Gate the Gate-only port', () => {
      const networkPolicy = values.networkPolicy as {
        orcaPodLabels: Json;
        gatePodLabels: Json;
        extraIngress: unknown[];
      };
      for (const policy of ofKind(chart, 'NetworkPolicy')) {
        const component = labelsOf(policy)['app.kubernetes.io/component'] as string;
        if (!['visibility', 'autopilot', 'sapor'].includes(component)) continue;
        const gatePort = (((values[component] as Json).config as Json).server as Json | undefined)?.gatePort;
        type Rule = { from: { podSelector: { matchLabels: Json } }[]; ports: Json[] };
        const rules = (policy.spec as { ingress: Rule[] }).ingress;
        const [api, ...rest] = rules;
        const apiSources: Json[] = [networkPolicy.orcaPodLabels];
        if (!gatePort) apiSources.push(networkPolicy.gatePodLabels);
        const peer = (caller: string) => ({
          'app.kubernetes.io/name': 'isd',
          'app.kubernetes.io/instance': 'isd',
          'app.kubernetes.io/component': caller,
        });
        if (component !== 'visibility') apiSources.push(peer('visibility'));
        // Autopilot appends finished verifications to sapor's audit trail.
        if (component === 'sapor') apiSources.push(peer('autopilot'));
        expect(api?.from.map((peer) => peer.podSelector.matchLabels)).toEqual(apiSources);
        expect(api?.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
        if (gatePort) {
          const gate = rest.shift();
          expect(gate?.from.map((peer) => peer.podSelector.matchLabels)).toEqual([networkPolicy.gatePodLabels]);
          expect(gate?.ports).toEqual([{ port: 'gate', protocol: 'TCP' }]);
        }
        expect(rest).toEqual(networkPolicy.extraIngress);
      }
    });

    it('opens the controller agent port to agents, the service port to Spinnaker callers and the control port to sapor', () => {
      const controllerPolicy = ofKind(chart, 'NetworkPolicy').find(
        (policy) => labelsOf(policy)['app.kubernetes.io/component'] === 'controller',
      );
      if (!controllerPolicy) return;
      const ingress = (controllerPolicy.spec as { ingress: { from?: Json[]; ports: { port: string }[] }[] }).ingress;
      expect(ingress[0]).toEqual({ ports: [{ port: 'agent-grpc', protocol: 'TCP' }] });
      expect(ingress[1]?.ports).toEqual([{ port: 'service-https', protocol: 'TCP' }]);
      expect(ingress[1]?.from?.length).toBe(
        ((values.networkPolicy as Json).controllerCallerPodLabels as unknown[]).length,
      );
      expect(ingress[2]?.ports).toEqual([{ port: 'control', protocol: 'TCP' }]);
    });

    it("renders each service's config file so that the service's own loader accepts it with the pod's environment", () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-chart-config-'));
      try {
        for (const workload of workloads(chart)) {
          if (workload.object.kind !== 'Deployment') continue;
          const [container] = workload.pod.containers;
          if (!container) throw new Error('no container');
          checkConfig(chart, workload, container, tmp);
        }
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  },
);

const dummySecret = (name: string, key: string) =>
  key === 'url' ? `postgres://isd:pw@db.example:5432/${name}` : `secret:${name}:${key}:0123456789abcdef`;

/** The container's environment as the kubelet would build it, with secrets replaced by recognisable values. */
function containerEnvironment(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    const ref = entry.valueFrom?.secretKeyRef;
    if (ref) env[entry.name] = dummySecret(ref.name, ref.key);
    else if (entry.value !== undefined)
      env[entry.name] = entry.value.replace(
        /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (whole, name: string) => env[name] ?? whole,
      );
  }
  return env;
}

/** Finds the ConfigMap file the container reads at `filePath` through its volume mounts. */
function mountedConfigFile(chart: RenderedChart, workload: Workload, container: Container, filePath: string): string {
  for (const mount of container.volumeMounts ?? []) {
    const volume = workload.pod.volumes?.find((candidate) => candidate.name === mount.name);
    if (!volume?.configMap) continue;
    const key = mount.subPath
      ? mount.mountPath === filePath
        ? mount.subPath
        : undefined
      : filePath.startsWith(`${mount.mountPath}/`)
        ? filePath.slice(mount.mountPath.length + 1)
        : undefined;
    if (!key) continue;
    const configMap = ofKind(chart, 'ConfigMap').find(
      (candidate) => candidate.metadata.name === volume.configMap?.name,
    );
    const data = (configMap?.data ?? {}) as Record<string, string>;
    if (data[key] !== undefined) return data[key];
  }
  throw new Error(`${workload.object.metadata.name}: nothing mounts ${filePath} from a ConfigMap`);
}

function isMountedFromSecret(workload: Workload, container: Container, filePath: string): boolean {
  return (container.volumeMounts ?? []).some((mount) => {
    const volume = workload.pod.volumes?.find((candidate) => candidate.name === mount.name);
    return Boolean(volume?.secret) && filePath.startsWith(`${mount.mountPath}/`);
  });
}

function checkConfig(chart: RenderedChart, workload: Workload, container: Container, tmp: string): void {
  const [component, flag, configPath, ...rest] = container.args ?? [];
  expect(flag).toBe('--config');
  expect(rest).toEqual([]);
  const file = path.join(tmp, `${workload.object.metadata.name}.yaml`);
  fs.writeFileSync(file, mountedConfigFile(chart, workload, container, configPath as string));
  const env = containerEnvironment(container);
  const ports = Object.fromEntries((container.ports ?? []).map((port) => [port.name, port.containerPort]));
  if (component === 'visibility' || component === 'autopilot' || component === 'sapor') {
    // The image's entrypoint (Dockerfile) takes the component name off the container args.
    const argv = ['--config', file];
    const config =
      component === 'visibility'
        ? loadServiceConfig({ name: component, configSchema: visibilityConfigSchema }, env, argv)
        : component === 'autopilot'
          ? loadServiceConfig({ name: component, configSchema: autopilotConfigSchema }, env, argv)
          : loadServiceConfig({ name: component, configSchema: saporConfigSchema }, env, argv);
    expect(ports.http).toBe(config.server.port);
    expect(ports.gate).toBe(config.server.gatePort);
    const gateTls = config.server.gateTls;
    if (gateTls)
      for (const file of [gateTls.certFile, gateTls.keyFile, gateTls.clientCaFile])
        expect(isMountedFromSecret(workload, container, file)).toBe(true);
    expect(config.auth.serviceToken).toMatch(/^secret:.*:service-token:/);
    if (config.server.gatePort === undefined) expect(config.auth.gateToken).toMatch(/^secret:.*:gate-token:/);
    expect(config.database.url).toMatch(/^postgres:\/\//);
    if (component === 'visibility') {
      const visibility = config as unknown as {
        sapor?: { token?: string };
        connectors: { autopilot?: { token?: string } };
      };
      if (visibility.sapor) expect(visibility.sapor.token).toMatch(/:service-token:/);
      if (visibility.connectors.autopilot) expect(visibility.connectors.autopilot.token).toMatch(/:service-token:/);
    }
  } else if (component === 'controller') {
    const config = loadControllerConfig(env, file);
    expect(ports).toEqual({
      'agent-grpc': config.agentListenPort,
      'service-https': config.serviceListenPort,
      control: config.controlListenPort,
      metrics: config.prometheusListenPort,
    });
    for (const caFile of [config.caCertFile, config.caKeyFile])
      if (caFile) expect(isMountedFromSecret(workload, container, caFile)).toBe(true);
    if (config.tokenKeys) expect(Object.keys(config.tokenKeys.keys)).toContain(config.tokenKeys.currentKeyId);
    expect(config.agentImage).toBe(container.image);
  } else if (component === 'agent') {
    const config = loadAgentConfig(env, file);
    expect(ports.metrics).toBe(config.healthPort);
    for (const credential of Object.values(config.credentials))
      expect(isMountedFromSecret(workload, container, credential)).toBe(true);
    for (const service of config.services) {
      const tokenFile = service.credentials?.type === 'bearer' ? service.credentials.tokenFile : undefined;
      if (tokenFile) expect(isMountedFromSecret(workload, container, tokenFile)).toBe(true);
    }
  } else {
    throw new Error(`unknown component ${String(component)}`);
  }
}

// ---------- behaviour of specific values ----------

describe('isd chart values', () => {
  const isdDir = path.join(chartsDir, 'isd');

  it('refuses to render without the auth Secret name, naming the value', async () => {
    await expect(renderChart(isdDir, [{ auth: { existingSecret: '' } }])).rejects.toThrow(
      /auth.existingSecret is required/,
    );
  });

  it('refuses a sidecar with neither a Gate-only listener nor a Gate credential', async () => {
    await expect(renderChart(isdDir, [{ sapor: { config: { server: { gatePort: null } } } }])).rejects.toThrow(
      /sapor needs config.server.gatePort \(a Gate-only listener\) or auth.gateTokenKey/,
    );
    const withToken = await renderChart(isdDir, [
      { auth: { gateTokenKey: 'gate-token' }, sapor: { config: { server: { gatePort: null } } } },
    ]);
    const sapor = workloads(withToken).find((workload) => workload.object.metadata.name === 'isd-sapor');
    expect(containerEnvironment(sapor?.pod.containers[0] as Container).SAPOR_AUTH__GATE_TOKEN).toMatch(/:gate-token:/);
  });

  it('refuses a Gate-only listener without the NetworkPolicy that makes it Gate-only', async () => {
    await expect(renderChart(isdDir, [{ networkPolicy: { enabled: false } }])).rejects.toThrow(
      /(visibility|autopilot|sapor): config.server.gatePort trusts X-SPINNAKER-USER from whoever reaches it/,
    );
  });

  it("sends autopilot's finished verifications to sapor's audit trail, with the service token", async () => {
    const chart = await renderChart(isdDir, []);
    const configMap = ofKind(chart, 'ConfigMap').find((object) => object.metadata.name === 'isd-autopilot');
    const config = YAML.parse((configMap?.data as { 'config.yaml': string })['config.yaml']) as {
      audit?: { url: string };
    };
    expect(config.audit?.url).toBe('http://isd-sapor:8080');
    const deployment = ofKind(chart, 'Deployment').find((object) => object.metadata.name === 'isd-autopilot');
    const pod = (deployment?.spec as { template: { spec: PodSpec } }).template.spec;
    const tokenEnv = pod.containers[0]?.env?.find((env) => env.name === 'AUTOPILOT_AUDIT__TOKEN');
    expect(tokenEnv?.valueFrom?.secretKeyRef?.name).toBeDefined();
  });

  it('gives a replicated controller one CA and one token key, its own when none is configured', async () => {
    const chart = await renderChart(isdDir, [{ controller: { replicas: 2, ca: { existingSecret: '' } } }]);
    const deployment = ofKind(chart, 'Deployment').find((object) => object.metadata.name === 'isd-controller');
    const pod = (deployment?.spec as { template: { spec: PodSpec } }).template.spec;
    expect(pod.volumes?.find((volume) => volume.name === 'ca')?.secret?.secretName).toBe('isd-controller-ca');
    const keyRefs = pod.containers.flatMap((container) =>
      (container.env ?? []).flatMap((env) => (env.valueFrom?.secretKeyRef ? [env.valueFrom.secretKeyRef] : [])),
    );
    // The one token key, and the database URL of the shared revocation list.
    expect(keyRefs).toEqual([
      { name: 'isd-controller-token-keys', key: 'chart' },
      { name: 'isd-database', key: 'url' },
    ]);
    expect(ofKind(chart, 'Secret').map((secret) => secret.metadata.name)).toEqual([
      'isd-controller-ca',
      'isd-controller-token-keys',
    ]);
  });

  it("issues the Gate-only listeners' certificate and Gate's client certificate with cert-manager when told to", async () => {
    const chart = await renderChart(isdDir, [
      { gateTls: { enabled: true, certManager: { enabled: true }, gateNamespace: 'spinnaker' } },
    ]);
    const certificates = ofKind(chart, 'Certificate');
    const server = certificates.find((certificate) => certificate.metadata.name === 'isd-gate-tls');
    const client = certificates.find((certificate) => certificate.metadata.name === 'isd-gate-client');
    // The listener certificate names every sidecar Service Gate's proxies call; each sidecar mounts its Secret.
    const dnsNames = (server?.spec as { dnsNames: string[] }).dnsNames;
    for (const component of ['visibility', 'autopilot', 'sapor']) {
      expect(dnsNames).toContain(`isd-${component}.isd.svc.cluster.local`);
      const sidecar = workloads(chart).find((workload) => workload.object.metadata.name === `isd-${component}`);
      expect(sidecar?.pod.volumes).toContainEqual({ name: 'gate-tls', secret: { secretName: 'isd-gate-tls' } });
    }
    // Gate's certificate lives in Gate's namespace, as a PKCS#12 key store, named as the sidecars require.
    expect(client?.metadata.namespace).toBe('spinnaker');
    const spec = client?.spec as { commonName: string; usages: string[]; keystores: { pkcs12: { create: boolean } } };
    expect(spec.usages).toEqual(['client auth']);
    expect(spec.keystores.pkcs12.create).toBe(true);
    const configMap = ofKind(chart, 'ConfigMap').find((object) => object.metadata.name === 'isd-sapor');
    const config = YAML.parse((configMap?.data as Record<string, string>)['config.yaml'] as string) as {
      server: { gateTls: { clientNames: string[] } };
    };
    expect(config.server.gateTls.clientNames).toContain(spec.commonName);
  });

  it("issues both certificates from the chart's own CA without a Secret or cert-manager", async () => {
    const chart = await renderChart(isdDir, [{ gateTls: { enabled: true, gateNamespace: 'spinnaker' } }]);
    const secret = (name: string) => {
      const found = ofKind(chart, 'Secret').find((object) => object.metadata.name === name);
      const data = (found?.data ?? {}) as Record<string, string>;
      const pem = (key: string) => Buffer.from(data[key] ?? '', 'base64').toString();
      return { object: found, pem };
    };
    const ca = new X509Certificate(secret('isd-gate-ca').pem('tls.crt'));
    expect(ca.ca).toBe(true);
    expect(secret('isd-gate-ca').object?.metadata).toMatchObject({
      annotations: { 'helm.sh/resource-policy': 'keep' },
    });
    const listener = secret('isd-gate-tls');
    const server = new X509Certificate(listener.pem('tls.crt'));
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(listener.pem('ca.crt')).toBe(secret('isd-gate-ca').pem('tls.crt'));
    for (const component of ['visibility', 'autopilot', 'sapor'])
      expect(server.checkHost(`isd-${component}.isd.svc.cluster.local`)).toBeDefined();
    const gate = secret('isd-gate-client');
    expect(gate.object?.metadata.namespace).toBe('spinnaker');
    const client = new X509Certificate(gate.pem('tls.crt'));
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(client.subject).toContain('CN=spin-gate');
    for (const component of ['visibility', 'autopilot', 'sapor']) {
      const sidecar = workloads(chart).find((workload) => workload.object.metadata.name === `isd-${component}`);
      expect(sidecar?.pod.volumes).toContainEqual({ name: 'gate-tls', secret: { secretName: 'isd-gate-tls' } });
    }
  });

  it("gives the controller the sidecars' database for its shared revocation list, unless sharedRevocations is off", async () => {
    const controllerOf = (chart: RenderedChart) => {
      const workload = workloads(chart).find((candidate) => candidate.object.metadata.name === 'isd-controller');
      const container = workload?.pod.containers[0] as Container;
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-chart-controller-'));
      try {
        const file = path.join(tmp, 'config.yaml');
        fs.writeFileSync(file, mountedConfigFile(chart, workload as Workload, container, '/etc/isd/config.yaml'));
        const env = containerEnvironment(container);
        return { env, config: loadControllerConfig(env, file) };
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    };
    const external = controllerOf(await renderChart(isdDir, [{ controller: { replicas: 3 } }]));
    expect(external.env.DATABASE_URL).toBe('postgres://isd:pw@db.example:5432/isd-database');
    expect(external.config.database.url).toBe(external.env.DATABASE_URL);

    const bundledChart = await renderChart(isdDir, [{ postgresql: { enabled: true } }]);
    const bundled = controllerOf(bundledChart);
    expect(bundled.config.database.url).toBe(
      'postgres://isd:secret:isd-postgresql:password:0123456789abcdef@isd-postgresql:5432/isd',
    );
    // The bundled database's NetworkPolicy lets the controller in.
    const policy = ofKind(bundledChart, 'NetworkPolicy').find((object) => object.metadata.name === 'isd-postgresql');
    const allowed = (
      policy?.spec as { ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[] }
    ).ingress.flatMap((rule) => rule.from.map((peer) => peer.podSelector.matchLabels['app.kubernetes.io/component']));
    expect(allowed).toContain('controller');

    const off = controllerOf(await renderChart(isdDir, [{ controller: { sharedRevocations: false } }]));
    expect(off.env.DATABASE_URL).toBeUndefined();
    expect(off.config.database.url).toBeUndefined();
  });

  it('builds DATABASE_URL for the bundled Postgres from its password Secret', async () => {
    const chart = await renderChart(isdDir, [{ postgresql: { enabled: true } }]);
    const visibility = workloads(chart).find((workload) => workload.object.metadata.name === 'isd-visibility');
    const env = containerEnvironment(visibility?.pod.containers[0] as Container);
    expect(env.DATABASE_URL).toBe(
      'postgres://isd:secret:isd-postgresql:password:0123456789abcdef@isd-postgresql:5432/isd',
    );
    expect(ofKind(chart, 'StatefulSet').map((set) => set.metadata.name)).toEqual(['isd-postgresql']);
  });

  it('uses the release name in every object name', async () => {
    const chart = await renderChart(isdDir, [], { name: 'prod', namespace: 'spinnaker' });
    expect(
      ofKind(chart, 'Deployment')
        .map((deployment) => deployment.metadata.name)
        .sort(),
    ).toEqual(['prod-isd-autopilot', 'prod-isd-controller', 'prod-isd-sapor', 'prod-isd-visibility']);
    expect(chart.notes).toMatch(/bundled profiles point at release "isd" in namespace "isd"/);
  });

  it('changes the pod checksum when the config changes, so a config change rolls the pods', async () => {
    const checksum = (chart: RenderedChart) =>
      (
        (workloads(chart).find((workload) => workload.object.metadata.name === 'isd-sapor')?.object.spec as Json)
          .template as { metadata: { annotations: Json } }
      ).metadata.annotations['checksum/config'];
    expect(checksum(await renderChart(isdDir))).not.toBe(
      checksum(await renderChart(isdDir, [{ sapor: { config: { log: { level: 'debug' } } } }])),
    );
  });
});

describe('the bundled Spinnaker profiles', () => {
  let chart: RenderedChart;
  let profiles: Record<string, string>;
  beforeAll(() => {
    chart = renderedFor(cases[0] as RenderCase);
    profiles = ofKind(chart, 'ConfigMap').find((configMap) => configMap.metadata.name === 'isd-spinnaker-config')
      ?.data as Record<string, string>;
  });

  it('ship the orca-stages render byte for byte', () => {
    expect(profiles['orca-local.yml']).toBe(
      fs.readFileSync(path.join(chartsDir, 'isd/files/spinnaker/orca-local.yml'), 'utf8'),
    );
    expect(profiles['gate-local.yml']).toBe(
      fs.readFileSync(path.join(chartsDir, 'isd/files/spinnaker/gate-local.yml'), 'utf8'),
    );
  });

  it("point Orca at the sidecars' API ports and Gate at their Gate-only ports, as this chart renders them", () => {
    const servicePorts = new Map<string, string>(
      ofKind(chart, 'Service').flatMap((service) =>
        ((service.spec as Json).ports as { port: number; name: string }[]).map(
          (port) => [`${service.metadata.name}.isd.svc.cluster.local:${port.port}`, port.name] as [string, string],
        ),
      ),
    );
    const orca = YAML.parse(profiles['orca-local.yml'] as string) as { webhook: { preconfigured: { url: string }[] } };
    const gate = YAML.parse(profiles['gate-local.yml'] as string) as { proxies: { uri: string }[] };
    const orcaPorts = orca.webhook.preconfigured.map((webhook) => servicePorts.get(new URL(webhook.url).host));
    const gatePorts = gate.proxies.map((proxy) => servicePorts.get(new URL(proxy.uri).host));
    // One preconfigured webhook per stage, each on a sidecar's API port.
    expect(orcaPorts).toEqual(orca.webhook.preconfigured.map(() => 'http'));
    expect(orcaPorts.length).toBeGreaterThanOrEqual(3);
    expect(gatePorts).toEqual(['gate', 'gate', 'gate']);
  });

  it('can be replaced with --set-file', async () => {
    const custom = await renderChart(path.join(chartsDir, 'isd'), [
      { spinnakerConfig: { orcaLocal: 'webhook: {}\n' } },
    ]);
    const data = ofKind(custom, 'ConfigMap').find((configMap) => configMap.metadata.name === 'isd-spinnaker-config')
      ?.data as Record<string, string>;
    expect(data['orca-local.yml']).toBe('webhook: {}\n');
  });
});

describe('the image', () => {
  const dockerfile = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');

  it('starts every component the charts run, from a main.ts that exists', () => {
    const components = new Set(
      cases.flatMap((renderCase) =>
        workloads(renderedFor(renderCase)).flatMap((workload) =>
          workload.object.kind === 'Deployment' ? [workload.pod.containers[0]?.args?.[0] as string] : [],
        ),
      ),
    );
    expect([...components].sort()).toEqual(['agent', 'autopilot', 'controller', 'sapor', 'visibility']);
    for (const component of components) {
      const match = new RegExp(
        `^\\s*${component}\\)\\s*main=(\\S+?)/dist/main\\.js(?:;\\s*node_flags="([^"]*)")?\\s*;;`,
        'm',
      ).exec(dockerfile);
      expect(match).not.toBeNull();
      expect(fs.existsSync(path.join(repoRoot, match?.[1] as string, 'src', 'main.ts'))).toBe(true);
      // The tunnel's processes run with the flags its throughput was measured with.
      const tunnel = component === 'controller' || component === 'agent';
      expect(match?.[2]?.split(' ') ?? []).toEqual(tunnel ? [...TUNNEL_NODE_FLAGS] : []);
    }
    expect(dockerfile).toMatch(/^exec node \$node_flags "\/app\/\$main" "\$@"$/m);
    const agentStart = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'agent/package.json'), 'utf8')) as Json)
      .scripts as Record<string, string>;
    expect(agentStart.start).toContain(`node ${TUNNEL_NODE_FLAGS.join(' ')} dist/main.js`);
  });

  it('runs as the non-root user the charts expect', () => {
    const userLine = /^USER (\d+)(?::(\d+))?$/m.exec(dockerfile);
    expect(userLine?.[1]).toBe(
      String((readYamlMapping(path.join(chartsDir, 'isd/values.yaml')).podSecurityContext as Json).runAsUser),
    );
  });
});

describe('controller defaults', () => {
  it('advertises a Service name that resolves from other namespaces, and lists the agent Service names', () => {
    const chart = renderedFor(cases[0] as RenderCase);
    const configMap = ofKind(chart, 'ConfigMap').find((candidate) => candidate.metadata.name === 'isd-controller');
    const config = YAML.parse((configMap?.data as Record<string, string>)['config.yaml'] as string) as {
      serverNames: string[];
      agentAdvertiseAddress: string;
    };
    expect(config.serverNames[0]).toBe('isd-controller.isd.svc');
    // Agents dial the agent Service's port, and the agent chart's default dials exactly that.
    const agentService = ofKind(chart, 'Service').find((service) => service.metadata.name === 'isd-controller-agent');
    const agentPort = ((agentService?.spec as Json).ports as { port: number; name: string }[])[0];
    expect(agentPort?.name).toBe('agent-grpc');
    expect(config.agentAdvertiseAddress).toBe(`isd-controller-agent.isd.svc.cluster.local:${agentPort?.port}`);
    const agentValues = readYamlMapping(path.join(chartsDir, 'isd-agent/values.yaml')) as {
      config: { controllers: string[] };
    };
    expect(agentValues.config.controllers).toEqual([config.agentAdvertiseAddress]);
    expect(config.serverNames).toEqual(
      expect.arrayContaining(['isd-controller-agent', 'isd-controller-agent.isd.svc.cluster.local']),
    );
  });
});

describe('isd-agent chart: what the agent is granted', () => {
  const agentDir = path.join(chartsDir, 'isd-agent');
  const remoteOnly = {
    config: {
      controllers: ['isd-agents.example.com:9001'],
      services: [{ name: 'remote', type: 'kubernetes', kubeconfig: '/etc/isd-agent/kube/config' }],
    },
  };
  type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[]; nonResourceURLs?: string[] };
  const rulesOf = (chart: RenderedChart): Rule[] =>
    [...ofKind(chart, 'ClusterRole'), ...ofKind(chart, 'Role')].flatMap((role) => (role.rules ?? []) as Rule[]);
  const agentPod = (chart: RenderedChart): PodSpec => {
    const [agent] = workloads(chart);
    if (!agent) throw new Error('no agent Deployment rendered');
    return agent.pod;
  };

  it('mounts no ServiceAccount token and grants nothing when no target is the in-cluster kubernetes', async () => {
    const chart = await renderChart(agentDir, [remoteOnly]);
    expect(agentPod(chart).automountServiceAccountToken).toBe(false);
    for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'])
      expect(ofKind(chart, kind)).toEqual([]);
  });

  it('mounts the token once however many in-cluster targets there are', async () => {
    const services = ['a', 'b'].map((name) => ({ name, type: 'kubernetes', inCluster: true }));
    const chart = await renderChart(agentDir, [{ config: { services } }]);
    expect(agentPod(chart).automountServiceAccountToken).toBe(true);
    expect(ofKind(chart, 'ClusterRoleBinding')).toHaveLength(1);
  });

  it('mounts the token and binds the rules for the in-cluster kubernetes target', async () => {
    const chart = renderedFor(cases.find((c) => c.chart === 'isd-agent' && c.label === 'default values') as RenderCase);
    expect(agentPod(chart).automountServiceAccountToken).toBe(true);
    expect(ofKind(chart, 'ClusterRoleBinding')).toHaveLength(1);
    expect(rulesOf(chart).length).toBeGreaterThan(0);
  });

  it("grants by default what Spinnaker's Kubernetes provider deploys, not the whole cluster", () => {
    const chart = renderedFor(cases.find((c) => c.chart === 'isd-agent' && c.label === 'default values') as RenderCase);
    const rules = rulesOf(chart);
    for (const rule of rules) {
      // A wildcard would grant RBAC objects, nodes, webhooks, CRDs and every verb (escalate, bind, impersonate).
      expect(rule.apiGroups ?? []).not.toContain('*');
      expect(rule.resources ?? []).not.toContain('*');
      expect(rule.verbs).not.toContain('*');
      expect(rule.verbs).not.toEqual(expect.arrayContaining(['escalate']));
      expect(rule.verbs).not.toEqual(expect.arrayContaining(['bind']));
      expect(rule.verbs).not.toEqual(expect.arrayContaining(['impersonate']));
      expect(rule.nonResourceURLs).toBeUndefined();
    }
    const granted = (group: string, resource: string, verb: string) =>
      rules.some(
        (rule) =>
          (rule.apiGroups ?? []).includes(group) &&
          (rule.resources ?? []).includes(resource) &&
          rule.verbs.includes(verb),
      );
    // What a manifest deploy reads and writes ...
    for (const [group, resource] of [
      ['apps', 'deployments'],
      ['apps', 'replicasets'],
      ['apps', 'statefulsets'],
      ['', 'services'],
      ['', 'configmaps'],
      ['', 'secrets'],
      ['networking.k8s.io', 'ingresses'],
      ['batch', 'jobs'],
    ] as const) {
      expect(granted(group, resource, 'patch')).toBe(true);
      expect(granted(group, resource, 'list')).toBe(true);
    }
    expect(granted('', 'namespaces', 'list')).toBe(true);
    // ... and nothing that hands out more than itself or reaches into nodes.
    expect(granted('rbac.authorization.k8s.io', 'clusterroles', 'create')).toBe(false);
    expect(granted('', 'nodes', 'get')).toBe(false);
    expect(granted('', 'pods/exec', 'create')).toBe(false);
    expect(granted('', 'namespaces', 'delete')).toBe(false);
  });
});

describe('egress NetworkPolicies', () => {
  type Policy = { policyTypes: string[]; egress?: { to?: Json[]; ports?: { port: number; protocol: string }[] }[] };
  const policies = (chart: RenderedChart) => ofKind(chart, 'NetworkPolicy').map((policy) => policy.spec as Policy);
  const rule = { to: [{ ipBlock: { cidr: '10.1.0.0/16' } }], ports: [{ port: 8443, protocol: 'TCP' }] };

  for (const chartName of ['isd', 'isd-agent'] as const) {
    const chartDir = path.join(chartsDir, chartName);

    it(`${chartName}: leaves egress open unless asked`, async () => {
      for (const policy of policies(await renderChart(chartDir, []))) expect(policy.policyTypes).toEqual(['Ingress']);
    });

    it(`${chartName}: restricts every pod's egress to DNS${chartName === 'isd' ? ", the release's pods" : ''} and the given rules`, async () => {
      const rendered = policies(
        await renderChart(chartDir, [{ networkPolicy: { egress: { enabled: true, rules: [rule] } } }]),
      );
      expect(rendered.length).toBeGreaterThan(0);
      for (const policy of rendered) {
        expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
        expect(policy.egress?.[0]).toEqual({
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        });
        expect(policy.egress).toContainEqual(rule);
        if (chartName === 'isd')
          expect(policy.egress).toContainEqual({
            to: [
              {
                podSelector: { matchLabels: { 'app.kubernetes.io/name': 'isd', 'app.kubernetes.io/instance': 'isd' } },
              },
            ],
          });
        expect(policy.egress).toHaveLength(chartName === 'isd' ? 3 : 2);
      }
    });
  }
});
