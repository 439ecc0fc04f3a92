// The real Argo Rollouts controller (built from its Go module by scripts/install-test-tools.sh) against a
// real kube-apiserver + etcd with Argo's own CRDs, running AnalysisRuns made from the AnalysisTemplate and
// Secret in docs/argo-rollouts.md as written, against autopilot on the demo metrics source: the degraded
// canary's analysis ends Failed, the healthy one's Successful. Argo does the measuring (web provider), the
// condition evaluation (expr) and the limits; nothing of Argo is imitated here.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import { autopilotService, startDemoPrometheus, type AutopilotConfig } from '@isd/autopilot';
import {
  createTestDatabase,
  eventually,
  freePort,
  repoRoot,
  requireTool,
  startKubeApiServer,
  startTestService,
  TEST_SERVICE_TOKEN,
  testServiceConfig,
  type KubeApiServer,
} from '@isd/test-support';
import { parseAllDocuments } from 'yaml';
import { docManifest, type Manifest } from './argo-rollouts-support';

// etcd, kube-apiserver and the controller starting on two busy cores, then two analyses.
jest.setTimeout(240_000);

const NAMESPACE = 'demo';

let apiServer: KubeApiServer;
let demo: Awaited<ReturnType<typeof startDemoPrometheus>>;
// Windows placed relative to the demo's noise origin read the same samples every run, so the healthy
// canary's verdict does not depend on the judge's false-alarm rate.
const METRICS_ORIGIN_MS = Date.now();
let autopilot: RunningService<AutopilotConfig>;
let controller: ChildProcess | undefined;
let controllerOutput = '';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kubernetes objects are read loosely
type Loose = Record<string, any>;

/** One call to the API server as the cluster admin. */
function kube(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: Loose }> {
  return new Promise((resolve, reject) => {
    const request = https.request(new URL(apiPath, apiServer.url), {
      method,
      ca: apiServer.caPem,
      headers: { authorization: `Bearer ${apiServer.token}`, 'content-type': 'application/json' },
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => {
        // A path the API server does not serve yet answers plain text ("404 page not found").
        let body: Loose = {};
        try {
          body = text ? (JSON.parse(text) as Loose) : {};
        } catch {
          body = { text };
        }
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function create(apiPath: string, object: unknown): Promise<Loose> {
  const { status, body } = await kube('POST', apiPath, object);
  if (status !== 201) throw new Error(`POST ${apiPath}: ${status} ${JSON.stringify(body).slice(0, 500)}`);
  return body;
}

const argoPath = (kind: string) => `/apis/argoproj.io/v1alpha1/namespaces/${NAMESPACE}/${kind}`;

/** Argo's CRDs, shipped in its module and copied beside the controller by the install script. */
async function applyArgoCrds(controllerBinary: string): Promise<void> {
  const crdDir = path.join(path.dirname(controllerBinary), 'crds');
  // The analysis controller watches ClusterAnalysisTemplates too, and waits for that watch before it works.
  for (const file of ['analysis-template-crd.yaml', 'cluster-analysis-template-crd.yaml', 'analysis-run-crd.yaml']) {
    for (const document of parseAllDocuments(fs.readFileSync(path.join(crdDir, file), 'utf8'))) {
      await create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', document.toJS());
    }
  }
  await eventually(
    async () => {
      const { status } = await kube('GET', argoPath('analysisruns'));
      return status === 200 ? true : undefined;
    },
    30_000,
    'the AnalysisRun CRD to be served',
  );
}

function startController(binary: string, metricsPort: number, healthzPort: number): void {
  controller = spawn(
    binary,
    [
      `--kubeconfig=${apiServer.kubeconfigPath}`,
      // Only the analysis controller: there are no Rollouts, Services or Ingresses to manage here.
      '--controllers=analysis',
      '--leader-elect=false',
      // argo-rollouts binds these on 0.0.0.0 (not configurable): free random ports, for the test only.
      `--metricsPort=${metricsPort}`,
      `--healthzPort=${healthzPort}`,
      '--loglevel=info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POD_NAMESPACE: NAMESPACE } },
  );
  const keep = (chunk: Buffer) => (controllerOutput = (controllerOutput + chunk.toString()).slice(-30_000));
  controller.stdout?.on('data', keep);
  controller.stderr?.on('data', keep);
}

/** An AnalysisRun as a Rollout makes one from the template: its metrics, and the args with values. */
function analysisRun(name: string, template: Manifest, values: Record<string, string>): Loose {
  const args = (template.spec.args as Loose[]).map((arg) =>
    values[arg.name] !== undefined ? { name: arg.name, value: values[arg.name] } : arg,
  );
  // The doc polls every minute; the same template polls every second here so the test takes seconds.
  const metrics = (template.spec.metrics as Loose[]).map((metric) => ({ ...metric, interval: '1s' }));
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: { name, namespace: NAMESPACE },
    spec: { args, metrics },
  };
}

async function finalPhase(name: string): Promise<Loose> {
  return eventually(
    async () => {
      const { body } = await kube('GET', `${argoPath('analysisruns')}/${name}`);
      const phase = body.status?.phase as string | undefined;
      return phase && !['Pending', 'Running'].includes(phase) ? body : undefined;
    },
    120_000,
    `AnalysisRun ${name} to finish`,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\ncontroller output:\n${controllerOutput.slice(-5_000)}`);
  });
}

beforeAll(async () => {
  const binary = requireTool('argo-rollouts');
  apiServer = await startKubeApiServer();
  demo = await startDemoPrometheus({ port: 0, host: '127.0.0.1', originMs: METRICS_ORIGIN_MS });
  autopilot = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_argo_e2e'),
      extra: {
        providers: { demo: { type: 'prometheus', url: demo.url } },
        analysis: { defaultProvider: 'demo', providerAttempts: 1, providerRetryDelayMs: 0 },
        templates: { directory: path.join(repoRoot, 'sidecars/autopilot/demo/templates') },
      },
    }),
  );
  await applyArgoCrds(binary);
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  // The doc's Secret, with autopilot's token where the doc says to put it.
  const secret = docManifest('Secret');
  await create(`/api/v1/namespaces/${NAMESPACE}/secrets`, {
    ...secret,
    stringData: { 'service-token': TEST_SERVICE_TOKEN },
  });
  await create(argoPath('analysistemplates'), docManifest('AnalysisTemplate'));
  startController(binary, await freePort(), await freePort());
});

afterAll(async () => {
  if (controller && controller.exitCode === null) {
    const exited = new Promise((resolve) => controller!.once('exit', resolve));
    controller.kill('SIGTERM');
    await exited;
  }
  await autopilot?.stop();
  await demo?.close();
  await apiServer?.stop();
});

describe('Argo Rollouts analysis with the documented AnalysisTemplate', () => {
  it('fails the analysis of a degraded canary and passes the one of a healthy canary', async () => {
    const template = (await kube('GET', `${argoPath('analysistemplates')}/isd-verification`)).body as Manifest;
    const values = (canary: string, revision: string) => ({
      'autopilot-url': autopilot.url,
      application: 'demo',
      template: 'demo-golden-signals',
      namespace: NAMESPACE,
      rollout: 'web',
      revision,
      // The demo series carry the deployment name where real pods carry rollouts_pod_template_hash.
      'scope-label': 'deployment',
      'baseline-hash': 'demo-baseline',
      'canary-hash': canary,
      // Ten minutes already in the past, so autopilot judges within seconds.
      'start-time': new Date(METRICS_ORIGIN_MS - 15 * 60_000).toISOString(),
      'lifetime-ms': '600000',
      'interval-ms': '300000',
    });
    await create(argoPath('analysisruns'), analysisRun('web-degraded', template, values('demo-canary-degraded', '2')));
    await create(argoPath('analysisruns'), analysisRun('web-healthy', template, values('demo-canary-healthy', '3')));

    const [degraded, healthy] = await Promise.all([finalPhase('web-degraded'), finalPhase('web-healthy')]);
    const measurements = (run: Loose) => run.status.metricResults[0].measurements as Loose[];

    expect(degraded.status.phase).toBe('Failed');
    const lastDegraded = measurements(degraded).at(-1)!;
    expect(lastDegraded.phase).toBe('Failed');
    expect(JSON.parse(lastDegraded.value as string)).toMatchObject({ status: 'fail', verificationStatus: 'fail' });

    expect(healthy.status.phase).toBe('Successful');
    const lastHealthy = measurements(healthy).at(-1)!;
    expect(lastHealthy.phase).toBe('Successful');
    const answer = JSON.parse(lastHealthy.value as string) as Loose;
    expect(answer).toMatchObject({ status: 'pass', verificationStatus: 'pass' });
    // Every measurement before the verdict was `running`, which the template leaves inconclusive.
    for (const earlier of measurements(healthy).slice(0, -1)) expect(earlier.phase).toBe('Inconclusive');

    // One verification per revision, however many times Argo measured.
    const stored = await fetch(`${autopilot.url}/api/v1/verifications/${answer.id as string}`, {
      headers: { 'x-isd-service-token': TEST_SERVICE_TOKEN },
    });
    expect(await stored.json()).toMatchObject({ executionId: `argo-rollouts/${NAMESPACE}/web`, stageId: '3' });
  });
});
