// The whole pipeline a Spinnaker user builds with ISD's gates — verification gate → approval gate →
// deploy — with the real autopilot (two replicas, against a real Prometheus scraping latency apps) and the
// real visibility, both on real Postgres, run by the Orca harness from the rendered orca-local.yml and
// decided through the Gate proxy harness from the rendered gate-local.yml.
// The policy gate (sapor) is not part of it yet: sapor has no /api/v1/policy-gates (see the report).
import { gateStages, renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { autopilotService } from '@isd/autopilot';
import type { AutopilotConfig } from '@isd/autopilot';
import { visibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';
import { createTestDatabase, gateHeaders, serviceHeaders, startTestService, testServiceConfig, TEST_GATE_TOKEN, TEST_SERVICE_TOKEN } from '../support';
import { startGateProxy } from '../harness/gate';
import type { GateProxy } from '../harness/gate';
import { renderTestOrcaLocal, startPipeline } from '../harness/orca';
import type { HarnessExecution, PipelineInput, PipelineRun } from '../harness/orca';
import { startLatencyApp, startPrometheusFor, startServiceFront, waitFor, waitForPrometheusSamples } from './pipeline-support';
import type { LatencyApp, Prometheus, ServiceFront } from './pipeline-support';

jest.setTimeout(90_000);

// 1 Orca second = 20 real ms. The verification itself runs in real time (10 s against Prometheus).
const timeFactor = 0.02;
const scope = (deployment: string) => ({ namespace: 'prod', deployment });

let apps: LatencyApp[] = [];
let prometheus: Prometheus;
let autopilotReplicas: RunningService<AutopilotConfig>[] = [];
let autopilotFront: ServiceFront;
let autopilotDatabaseUrl: string;
let visibility: RunningService<VisibilityConfig>;
let gate: GateProxy;
let orcaLocal: string;
let deploys: string[] = [];

async function startAutopilot(port = 0): Promise<RunningService<AutopilotConfig>> {
  const config = testServiceConfig(autopilotService, {
    databaseUrl: autopilotDatabaseUrl,
    extra: { providers: { prom: { type: 'prometheus', url: prometheus.url, timeoutMs: 5_000 } }, analysis: { providerAttempts: 1, providerRetryDelayMs: 0 } },
  });
  return startTestService(autopilotService, { ...config, server: { ...config.server, port } });
}

beforeAll(async () => {
  apps = await Promise.all([
    startLatencyApp(scope('web-v1'), 0.1, 0.005, 11),
    startLatencyApp(scope('web-v2'), 0.1, 0.005, 12),
    startLatencyApp(scope('web-v2-slow'), 0.3, 0.005, 13),
  ]);
  prometheus = await startPrometheusFor(apps);
  // Two autopilot replicas on one database behind a Service-like front, as the chart runs them.
  autopilotDatabaseUrl = await createTestDatabase('e2e_pipeline_autopilot');
  autopilotReplicas = [await startAutopilot(), await startAutopilot()];
  autopilotFront = await startServiceFront(autopilotReplicas.map((replica) => replica.url));
  visibility = await startTestService(
    visibilityService,
    testServiceConfig(visibilityService, { databaseUrl: await createTestDatabase('e2e_pipeline_visibility'), users: { bob: ['release'], carol: ['release'] } }),
  );
  const template = await fetch(`${autopilotFront.url}/api/v1/templates`, {
    method: 'POST',
    headers: gateHeaders('alice'),
    body: JSON.stringify({
      name: 'latency',
      description: 'request latency',
      stepSeconds: 1,
      metrics: [{ name: 'latency', query: 'demo_request_latency_seconds{${scope}}', direction: 'increase', groups: ['latency'] }],
    }),
  });
  expect(template.status).toBe(201);
  await waitForPrometheusSamples(prometheus, 'demo_request_latency_seconds', 3);
  // Orca refuses literal IPs, so the sidecars are named by host.
  const sidecars = { visibility: `http://localhost:${visibility.port}`, autopilot: autopilotFront.url, sapor: 'http://localhost:9' };
  orcaLocal = renderTestOrcaLocal(sidecars);
  gate = await startGateProxy({ gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'], gateToken: TEST_GATE_TOKEN, targets: sidecars });
});

afterAll(async () => {
  await gate?.close();
  await visibility?.stop();
  await autopilotFront?.close();
  await Promise.all(autopilotReplicas.map((replica) => replica.stop()));
  await prometheus?.stop();
  await Promise.all(apps.map((app) => app.close()));
});

function pipeline(canary: string, name: string): PipelineInput {
  const verification = gateStages.verification;
  const approval = gateStages.approval;
  return {
    application: 'web',
    name,
    user: 'alice',
    stages: [
      {
        refId: '1',
        name: 'Verify canary',
        type: verification.key,
        context: {
          alias: 'preconfiguredWebhook',
          ...verification.stageDefaults,
          parameterValues: {
            template: { name: 'latency' },
            baseline: scope('web-v1'),
            canary: scope(canary),
            lifetimeMs: 10_000,
            intervalMs: 5_000,
            thresholds: { pass: 80, marginal: 60 },
          },
        },
      },
      {
        refId: '2',
        name: 'Approve release',
        type: approval.key,
        context: {
          alias: 'preconfiguredWebhook',
          ...approval.stageDefaults,
          parameterValues: { approverGroups: [{ name: 'release', required: 2 }], timeoutMs: 600_000, instructions: 'Read the canary report' },
        },
      },
      { refId: '3', name: 'Deploy', type: 'deploy' },
    ],
  };
}

function start(input: PipelineInput): PipelineRun {
  return startPipeline(
    {
      orcaLocal,
      springEnvironment: { ISD_SERVICE_TOKEN: TEST_SERVICE_TOKEN },
      timeFactor,
      customStages: {
        deploy: async (_stage, execution) => {
          deploys.push(execution.name);
          return { status: 'SUCCEEDED' };
        },
      },
    },
    input,
  );
}

function monitorBody(execution: HarnessExecution, index: number): Record<string, unknown> {
  return ((execution.stages[index]?.context.webhook as { monitor?: { body?: Record<string, unknown> } })?.monitor?.body ?? {}) as Record<string, unknown>;
}

async function approve(run: PipelineRun, users: string[]): Promise<void> {
  const endpoint = await waitFor(
    'the approval gate',
    () => {
      const stage = run.execution.stages[1];
      return stage?.status === 'RUNNING' && typeof stage.context.statusEndpoint === 'string' ? stage.context.statusEndpoint : undefined;
    },
    40_000,
  );
  const id = endpoint.split('/').pop() as string;
  for (const user of users) {
    const response = await fetch(`${gate.baseUrl}/proxies/visibility/api/v1/approvals/${id}/decisions`, {
      method: 'POST',
      headers: { cookie: gate.login(user), 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'approve', comment: 'canary looks good' }),
    });
    expect(response.status).toBe(200);
  }
}

describe('verification gate → approval gate → deploy', () => {
  it('deploys after a healthy canary and two approvals; a degraded canary stops the pipeline before the approval', async () => {
    deploys = [];
    const healthy = start(pipeline('web-v2', 'healthy'));
    const degraded = start(pipeline('web-v2-slow', 'degraded'));
    await approve(healthy, ['bob', 'carol']);
    const [passed, failed] = await Promise.all([healthy.done, degraded.done]);

    expect(passed.status).toBe('SUCCEEDED');
    expect(passed.stages.map((stage) => stage.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    // What Deck shows for each gate is the monitor body.
    const verification = monitorBody(passed, 0);
    expect(verification).toMatchObject({ status: 'pass', score: 100, executionId: passed.id, stageId: passed.stages[0]!.id });
    expect(typeof verification.reportUrl).toBe('string');
    const approval = monitorBody(passed, 1);
    expect(approval).toMatchObject({ status: 'approved', triggeredBy: 'alice' });
    expect((approval.decisions as Array<{ user: string }>).map((decision) => decision.user)).toEqual(['bob', 'carol']);

    expect(failed.status).toBe('TERMINAL');
    expect(failed.stages.map((stage) => stage.status)).toEqual(['TERMINAL', 'NOT_STARTED', 'NOT_STARTED']);
    expect(monitorBody(failed, 0)).toMatchObject({ status: 'fail' });
    expect(monitorBody(failed, 0).score as number).toBeLessThan(60);
    expect(deploys).toEqual(['healthy']);
    // Orca's onFailureStages cancel reaches the finished verification harmlessly.
    const cancel = failed.requests.filter((request) => request.phase === 'cancel');
    expect(cancel.map((request) => request.statusCode)).toEqual([200]);
    const after = await fetch(`${autopilotFront.url}${new URL(failed.stages[0]!.context.statusEndpoint as string).pathname}`, { headers: serviceHeaders() });
    expect(((await after.json()) as { status: string }).status).toBe('fail');
  });

  it('cancels the running verification when the execution is cancelled: two cancel calls, nothing judged later', async () => {
    deploys = [];
    const run = start(pipeline('web-v2', 'cancelled'));
    await waitFor('the verification to be polled', () => run.execution.requests.some((request) => request.phase === 'monitor'));
    run.cancel('alice');
    const execution = await run.done;
    expect(execution.status).toBe('CANCELED');
    expect(execution.stages.map((stage) => stage.status)).toEqual(['CANCELED', 'NOT_STARTED', 'NOT_STARTED']);
    const cancels = execution.requests.filter((request) => request.phase === 'cancel');
    expect(cancels.map((request) => [request.source, request.statusCode])).toEqual([
      ['task.onCancel', 200],
      ['onFailureStages', 200],
    ]);
    const path = new URL(execution.stages[0]!.context.statusEndpoint as string).pathname;
    const after = await fetch(`${autopilotFront.url}${path}`, { headers: serviceHeaders() });
    expect(((await after.json()) as { status: string }).status).toBe('canceled');
    expect(deploys).toEqual([]);
  });

  it('survives a lost create response (Orca re-POSTs after the 503) and a replica restart while Orca polls', async () => {
    deploys = [];
    autopilotFront.loseNextResponse((method, path) => method === 'POST' && path === gateStages.verification.createPath);
    const input = pipeline('web-v2', 'restarted');
    const run = start({ ...input, stages: [input.stages[0]!, input.stages[2]!] });
    await waitFor('the verification to be polled', () => run.execution.requests.some((request) => request.phase === 'monitor'));
    const port = autopilotReplicas[0]!.port;
    autopilotFront.backends[0]!.ready = false;
    await autopilotReplicas[0]!.stop();
    autopilotReplicas[0] = await startAutopilot(port);
    autopilotFront.backends[0]!.ready = true;
    const execution = await run.done;
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.requests.filter((request) => request.phase === 'create').map((request) => request.statusCode)).toEqual([503, 202]);
    expect(autopilotFront.lostResponses.at(-1)?.upstreamStatus).toBe(202);
    expect(monitorBody(execution, 0)).toMatchObject({ status: 'pass' });
    expect(execution.requests.filter((request) => request.phase === 'monitor').every((request) => request.statusCode === 200)).toBe(true);
    expect(deploys).toEqual(['restarted']);
  });
});
