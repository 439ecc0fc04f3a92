// docs/install.md against what the isd chart really renders (real helm) and the Spinnaker profiles it
// ships (rendered by orca-stages): every URL, port, Secret name and key one side references must exist on
// the other — Orca's webhooks on the sidecars' API ports, Gate's proxies and the Deck plugin repository
// on their Gate-only ports, the service token's env name and Secret in the Halyard and operator snippets.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseGateLocal, parseOrcaLocal, renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import { deckPluginPath } from '@isd/visibility';
import { readYamlMapping, renderChart, type RenderedChart } from './helm';

const chartsDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(chartsDir, '..');
const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'install.md'), 'utf8');
const values = readYamlMapping(path.join(chartsDir, 'isd', 'values.yaml')) as {
  auth: { existingSecret: string; serviceTokenKey: string };
  networkPolicy: { orcaPodLabels: Record<string, string>; gatePodLabels: Record<string, string> };
};

type Json = Record<string, unknown>;
interface Container {
  name: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface ServicePort {
  /** Service port name: `http` (Orca's API port) or `gate` (the Gate-only port). */
  name: string;
  /** The component the Service selects. */
  component: string;
}

/** The YAML blocks of the doc by their title (```yaml title="..."). */
function titledBlocks(markdown: string): Map<string, unknown> {
  const blocks = new Map<string, unknown>();
  for (const match of markdown.matchAll(/```yaml title="([^"]+)"\n([\s\S]*?)```/g))
    blocks.set(match[1] as string, YAML.parse(match[2] as string));
  return blocks;
}

let chart: RenderedChart;
let servicePorts: Map<string, ServicePort>;
let profiles: Record<string, string>;
const blocks = titledBlocks(doc);

const ofKind = (kind: string) => chart.objects.filter(({ object }) => object.kind === kind).map(({ object }) => object);
const labels = (object: Json) => ((object.metadata as Json).labels ?? {}) as Record<string, string>;
const containerOf = (component: string): Container => {
  const deployment = ofKind('Deployment').find((object) => labels(object)['app.kubernetes.io/component'] === component);
  const spec = ((deployment?.spec as Json).template as Json).spec as { containers: Container[] };
  return spec.containers[0] as Container;
};

/** Where a URL lands in the rendered chart: the Service port (by name) and the component behind it. */
function target(url: string): ServicePort | undefined {
  const parsed = new URL(url);
  return servicePorts.get(`${parsed.hostname}:${parsed.port}`);
}

beforeAll(async () => {
  chart = await renderChart(path.join(chartsDir, 'isd'), [], { name: 'isd', namespace: 'isd' });
  servicePorts = new Map();
  for (const service of ofKind('Service')) {
    const spec = service.spec as { ports: { name: string; port: number }[]; selector: Record<string, string> };
    for (const port of spec.ports)
      servicePorts.set(`${service.metadata.name}.isd.svc.cluster.local:${port.port}`, {
        name: port.name,
        component: spec.selector['app.kubernetes.io/component'] as string,
      });
  }
  const configMap = ofKind('ConfigMap').find((object) => doc.includes(`get configmap ${object.metadata.name} `));
  profiles = (configMap?.data ?? {}) as Record<string, string>;
}, 120_000);

it('takes the profiles from the ConfigMap the chart renders, by the keys it holds', () => {
  expect(Object.keys(profiles).sort()).toEqual(['gate-local.yml', 'orca-local.yml']);
  for (const key of Object.keys(profiles)) expect(doc).toContain(`{.data.${key.replace('.', '\\.')}}`);
});

it('creates every Secret the chart reads with its default values, with the keys it reads', () => {
  const wanted = new Map<string, Set<string>>();
  const want = (name: string, key?: string) => {
    const keys = wanted.get(name) ?? new Set<string>();
    if (key) keys.add(key);
    wanted.set(name, keys);
  };
  for (const deployment of ofKind('Deployment')) {
    const pod = ((deployment.spec as Json).template as Json).spec as {
      containers: Container[];
      volumes?: { secret?: { secretName: string } }[];
    };
    for (const volume of pod.volumes ?? []) if (volume.secret) want(volume.secret.secretName);
    for (const env of pod.containers.flatMap((container) => container.env ?? []))
      if (env.valueFrom?.secretKeyRef) want(env.valueFrom.secretKeyRef.name, env.valueFrom.secretKeyRef.key);
  }
  // Secrets the chart renders itself (its own CA and token key) need no command in the doc.
  for (const secret of ofKind('Secret')) wanted.delete(String((secret.metadata as Json).name));
  expect(wanted.size).toBeGreaterThan(0);
  for (const [name, keys] of wanted) {
    const command = new RegExp(`kubectl -n isd create secret (generic|tls) ${name} (.*)`).exec(doc);
    expect([name, command?.[0]]).toEqual([name, expect.any(String)]);
    for (const key of keys) expect([name, command?.[2]]).toEqual([name, expect.stringContaining(`${key}=`)]);
  }
});

it("points every Orca webhook at a sidecar's API port, and every sidecar's API port is a webhook", () => {
  const orca = parseOrcaLocal(profiles['orca-local.yml'] as string);
  const targets = orca.webhook.preconfigured.map((webhook) => target(webhook.url));
  for (const landing of targets) expect(landing?.name).toBe('http');
  const sidecars = [...servicePorts.values()].filter(
    (port) => port.name === 'http' && ['visibility', 'autopilot', 'sapor'].includes(port.component),
  );
  // A sidecar may serve several stages (visibility: approval and Terraform): compare the set of sidecars.
  expect([...new Set(targets.map((landing) => landing?.component))].sort()).toEqual(
    sidecars.map((port) => port.component).sort(),
  );
});

it("points Gate's proxies at the Gate-only ports, one per sidecar, and each such port is proxied", () => {
  const gate = parseGateLocal(profiles['gate-local.yml'] as string);
  const targets = gate.proxies.map((proxy) => ({ id: proxy.id, landing: target(proxy.uri) }));
  for (const { id, landing } of targets) expect(landing).toEqual({ name: 'gate', component: id });
  const gatePorts = [...servicePorts.values()].filter((port) => port.name === 'gate');
  expect(targets.map(({ id }) => id).sort()).toEqual(gatePorts.map((port) => port.component).sort());
});

it("points Gate's plugin repository at the plugins.json visibility serves from the bundle the image holds", () => {
  const gate = parseGateLocal(profiles['gate-local.yml'] as string);
  const repositories = Object.values(gate.spinnaker.extensibility.repositories);
  expect(repositories).toHaveLength(1);
  const url = new URL((repositories[0] as { url: string }).url);
  expect(url.pathname).toBe(`${deckPluginPath}/plugins.json`);
  const landing = target(url.href);
  expect(landing?.name).toBe('gate');

  // That component serves the repository from deckPlugin.dir, which is where the image packages the plugin.
  const container = containerOf(landing?.component as string);
  const configMapName = ofKind('Deployment')
    .map((object) => ((object.spec as Json).template as Json).spec as { volumes: { configMap?: { name: string } }[] })
    .flatMap((spec) => spec.volumes.flatMap((volume) => (volume.configMap ? [volume.configMap.name] : [])))
    .find((name) => name === `isd-${landing?.component}`);
  const configText = (ofKind('ConfigMap').find((object) => object.metadata.name === configMapName)?.data as Json)[
    'config.yaml'
  ] as string;
  const config = YAML.parse(configText) as { deckPlugin?: { dir?: string }; server: { gatePort: number } };
  expect(container.ports?.find((port) => port.name === 'gate')?.containerPort).toBe(config.server.gatePort);
  const dockerfile = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/^RUN npm run package -w deck-plugin$/m);
  expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
  const packageScript = fs.readFileSync(path.join(repoRoot, 'deck-plugin', 'scripts', 'package.mjs'), 'utf8');
  expect(packageScript).toContain("path.join(root, 'build/distributions')");
  expect(config.deckPlugin?.dir).toBe('/app/deck-plugin/build/distributions');

  // Gate asks the repository for the plugin id and version the plugin package is published as.
  const deckPlugin = JSON.parse(fs.readFileSync(path.join(repoRoot, 'deck-plugin', 'package.json'), 'utf8')) as {
    version: string;
    spinnakerPlugin: { id: string };
  };
  expect(gate.spinnaker.extensibility['deck-proxy'].plugins).toEqual({
    [deckPlugin.spinnakerPlugin.id]: { enabled: true, version: deckPlugin.version },
  });
});

it('gives Orca the service token the sidecars read, from the same Secret and key, in both Spinnaker setups', () => {
  // The env names orca-local.yml takes the token from (Spring ${...} placeholders).
  const placeholders = new Set(
    [...(profiles['orca-local.yml'] as string).matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((match) => match[1]),
  );
  expect([...placeholders]).toEqual(['ISD_SERVICE_TOKEN']);

  // Halyard: a literal env entry in Orca's service settings.
  const halyard = blocks.get('~/.hal/default/service-settings/orca.yml') as { env: Record<string, string> };
  expect(Object.keys(halyard.env)).toEqual([...placeholders]);

  // Operator: Orca's container gets it from a Secret; the sidecars read theirs from the same name and key.
  const operator = blocks.get('isd-orca-token-patch.yml') as {
    spec: { kustomize: { orca: { deployment: { patchesStrategicMerge: string[] } } } };
  };
  const patch = YAML.parse(operator.spec.kustomize.orca.deployment.patchesStrategicMerge[0] as string) as {
    spec: { template: { spec: { containers: Container[] } } };
  };
  const orca = patch.spec.template.spec.containers.find((container) => container.name === 'orca');
  const orcaRef = orca?.env?.find((env) => placeholders.has(env.name))?.valueFrom?.secretKeyRef;
  for (const component of ['visibility', 'autopilot', 'sapor']) {
    const sidecarRef = containerOf(component).env?.find((env) => env.name.endsWith('_AUTH__SERVICE_TOKEN'))?.valueFrom
      ?.secretKeyRef;
    expect(sidecarRef).toEqual(orcaRef);
  }
  expect(orcaRef).toEqual({ name: values.auth.existingSecret, key: values.auth.serviceTokenKey });

  // The doc creates that Secret, with that key, in both namespaces.
  for (const namespace of ['isd', 'spinnaker'])
    expect(doc).toContain(
      `kubectl -n ${namespace} create secret generic ${orcaRef?.name} --from-literal=${orcaRef?.key}=`,
    );
});

it('admits Orca and Gate by the pod labels the doc says Halyard and the operator give them', () => {
  const admitted = ofKind('NetworkPolicy').flatMap((policy) =>
    ((policy.spec as Json).ingress as { from?: { podSelector?: { matchLabels: Record<string, string> } }[] }[]).flatMap(
      (rule) => (rule.from ?? []).map((peer) => JSON.stringify(peer.podSelector?.matchLabels ?? {})),
    ),
  );
  for (const [service, podLabels] of [
    ['orca', values.networkPolicy.orcaPodLabels],
    ['gate', values.networkPolicy.gatePodLabels],
  ] as const) {
    expect(admitted).toContain(JSON.stringify(podLabels));
    for (const [key, value] of Object.entries(podLabels)) expect(doc).toContain(`${key}: ${value}`);
    expect(Object.values(podLabels).join()).toContain(service);
  }
});

describe("Gate's client certificate (mutual TLS), as the doc sets it up with cert-manager", () => {
  let tlsChart: RenderedChart;
  const tlsValues = readYamlMapping(path.join(chartsDir, 'isd', 'values.yaml')) as {
    gateTls: { certManager: { keystorePasswordSecret: { name: string; key: string } } };
  };

  beforeAll(async () => {
    tlsChart = await renderChart(
      path.join(chartsDir, 'isd'),
      [{ gateTls: { enabled: true, certManager: { enabled: true }, gateNamespace: 'spinnaker' } }],
      { name: 'isd', namespace: 'isd' },
    );
  }, 120_000);

  const certificate = (name: string) =>
    tlsChart.objects.find(({ object }) => object.kind === 'Certificate' && object.metadata.name === name)?.object;

  it("renders Gate's profiles with https proxies and repository on names the listeners' certificate holds", () => {
    const rendered = renderSpinnakerConfig(
      resolveValues({
        file: path.join(chartsDir, 'isd', 'files', 'spinnaker', 'render-values.yml'),
        overrides: blocks.get('my-render-values.yml (mutual TLS)'),
      }),
    );
    const gate = parseGateLocal(rendered.files['gate-local.yml']);
    const dnsNames = (certificate('isd-gate-tls')?.spec as { dnsNames: string[] }).dnsNames;
    const urls = [
      ...gate.proxies.map((proxy) => proxy.uri),
      ...Object.values(gate.spinnaker.extensibility.repositories).map((repository) => repository.url),
    ];
    expect(urls).toHaveLength(4);
    for (const url of urls) {
      expect(url.startsWith('https://')).toBe(true);
      expect(dnsNames).toContain(new URL(url).hostname);
      expect(target(url)?.name).toBe('gate');
    }
  });

  it("mounts the Secret cert-manager writes Gate's key store to, where gate-local.yml reads it, with its password", () => {
    const client = certificate('isd-gate-client');
    expect(client?.metadata.namespace).toBe('spinnaker');
    const clientSpec = client?.spec as {
      secretName: string;
      keystores: { pkcs12: { passwordSecretRef: { name: string; key: string } } };
    };
    const okHttp = (
      blocks.get('gate-local.yml (mutual TLS, appended)') as { 'ok-http-client': Record<string, string> }
    )['ok-http-client'];
    // cert-manager's PKCS#12 file names.
    expect(path.basename(okHttp['key-store'] as string)).toBe('keystore.p12');
    expect(path.basename(okHttp['trust-store'] as string)).toBe('truststore.p12');
    const mountPath = path.dirname(okHttp['key-store'] as string);
    const passwordEnv = /^\$\{([A-Z_]+)\}$/.exec(okHttp['key-store-password'] as string)?.[1];

    const halyard = blocks.get('~/.hal/default/service-settings/gate.yml') as {
      env: Record<string, string>;
      kubernetes: { volumes: { id: string; type: string; mountPath: string }[] };
    };
    expect(halyard.kubernetes.volumes).toEqual([{ id: clientSpec.secretName, type: 'secret', mountPath }]);
    expect(Object.keys(halyard.env)).toEqual([passwordEnv]);

    const operator = blocks.get('isd-gate-client-patch.yml') as {
      spec: { kustomize: { gate: { deployment: { patchesStrategicMerge: string[] } } } };
    };
    const pod = (
      YAML.parse(operator.spec.kustomize.gate.deployment.patchesStrategicMerge[0] as string) as {
        spec: {
          template: { spec: { volumes: { name: string; secret: { secretName: string } }[]; containers: Container[] } };
        };
      }
    ).spec.template.spec;
    const gate = pod.containers.find((container) => container.name === 'gate');
    const mount = gate?.volumeMounts?.find((volumeMount) => volumeMount.mountPath === mountPath);
    expect(pod.volumes.find((volume) => volume.name === mount?.name)?.secret.secretName).toBe(clientSpec.secretName);
    const passwordRef = gate?.env?.find((env) => env.name === passwordEnv)?.valueFrom?.secretKeyRef;
    expect(passwordRef).toEqual(clientSpec.keystores.pkcs12.passwordSecretRef);
    expect(passwordRef).toEqual(tlsValues.gateTls.certManager.keystorePasswordSecret);
    expect(doc).toContain(
      `kubectl -n spinnaker create secret generic ${passwordRef?.name} --from-literal=${passwordRef?.key}=`,
    );
  });
});
