// The whole pipeline a Spinnaker user builds with ISD's gates — policy gate → verification gate →
// approval gate → deploy — with the real sapor (Rego policy from a directory), the real autopilot (two
// replicas, against a real Prometheus scraping latency apps) and the real visibility, all on real
// Postgres, run by the Orca harness from the rendered orca-local.yml and decided through the Gate proxy
// harness from the rendered gate-local.yml.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gateStages, renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { autopilotService } from '@isd/autopilot';
import type { AutopilotConfig } from '@isd/autopilot';
import { saporService } from '@isd/sapor';
import type { SaporConfig } from '@isd/sapor';
import { visibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';
import {
  createTestDatabase,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
  TEST_GATE_TOKEN,
  TEST_SERVICE_TOKEN,
} from '@isd/test-support';
import { startGateProxy } from '../harness/gate';
import type { GateProxy } from '../harness/gate';
import { renderTestOrcaLocal, startPipeline, toOrcaExecutionJson } from '../harness/orca';
import type { HarnessExecution, PipelineInput, PipelineRun } from '../harness/orca';
import {
  startLatencyApp,
  startPrometheusFor,
  startServiceFront,
  waitFor,
  waitForPrometheusSamples,
} from './pipeline-support';
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
let sapor: RunningService<SaporConfig>;
let policyDirectory: string;

// Stage positions in the pipeline.
const POLICY = 0;
const VERIFY = 1;
const APPROVE = 2;

// The deploy policy: denied while the change window is closed, or when the execution (read by sapor
// from Gate's /pipelines/{id}) has no approval gate although the stage asks for one; the last rule
// would fire if Orca's customHeaders (holding the service token) ever reached the policy input.
const deployPolicy = `package isd.deploy

deny[msg] {
  input.params.changeWindow == "closed"
  msg := sprintf("deploys of %s are frozen: the change window is closed", [input.application])
}

deny[msg] {
  input.params.requireApproval
  count([stage | stage := input.stages[_]; stage.type == "isdApprovalGate"]) == 0
  msg := sprintf("execution %s has no ISD approval gate", [input.execution.id])
}

deny[msg] {
  input.stages[_].context.customHeaders
  msg := "a secret reached the policy input"
}
`;
const saporGatePassword = 'sapor-gate-password-0123';
const gateTargets: Record<string, string> = {};
const runs = new Map<string, PipelineRun>();
let gate: GateProxy;
let orcaLocal: string;
let deploys: string[] = [];

async function startAutopilot(port = 0): Promise<RunningService<AutopilotConfig>> {
  const config = testServiceConfig(autopilotService, {
    databaseUrl: autopilotDatabaseUrl,
    // alice owns the web application's template (WRITE on web, as Fiat would say).
    users: { alice: { roles: [], applications: { web: ['READ', 'WRITE'] } } },
    extra: {
      providers: { prom: { type: 'prometheus', url: prometheus.url, timeoutMs: 5_000 } },
      analysis: { providerAttempts: 1, providerRetryDelayMs: 0 },
    },
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
    testServiceConfig(visibilityService, {
      databaseUrl: await createTestDatabase('e2e_pipeline_visibility'),
      users: { bob: ['release'], carol: ['release'] },
    }),
  );
  // Gate first: sapor reads executions through it (GET /pipelines/{id}, basic auth).
  gate = await startGateProxy({
    gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
    gateToken: TEST_GATE_TOKEN,
    targets: gateTargets,
    executions: (id) => {
      const run = runs.get(id);
      return run ? toOrcaExecutionJson(run.execution) : undefined;
    },
    basicAuthUsers: { sapor: saporGatePassword },
  });
  policyDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-e2e-policies-'));
  fs.writeFileSync(path.join(policyDirectory, 'deploy.rego'), deployPolicy);
  sapor = await startTestService(
    saporService,
    testServiceConfig(saporService, {
      databaseUrl: await createTestDatabase('e2e_pipeline_sapor'),
      extra: {
        policy: { directory: policyDirectory, defaultRegoVersion: 'v0' },
        gate: { url: gate.baseUrl, username: 'sapor', password: saporGatePassword },
      },
    }),
  );
  const template = await fetch(`${autopilotFront.url}/api/v1/templates`, {
    method: 'POST',
    headers: gateHeaders('alice'),
    body: JSON.stringify({
      name: 'latency',
      description: 'request latency',
      application: 'web',
      stepSeconds: 1,
      metrics: [
        {
          name: 'latency',
          query: 'demo_request_latency_seconds{${scope}}',
          direction: 'increase',
          groups: ['latency'],
        },
      ],
    }),
  });
  expect(template.status).toBe(201);
  await waitForPrometheusSamples(prometheus, 'demo_request_latency_seconds', 3);
  // Orca refuses literal IPs, so the sidecars are named by host.
  const sidecars = {
    visibility: `http://localhost:${visibility.port}`,
    autopilot: autopilotFront.url,
    sapor: `http://localhost:${sapor.port}`,
  };
  orcaLocal = renderTestOrcaLocal(sidecars);
  Object.assign(gateTargets, sidecars);
});

afterAll(async () => {
  await gate?.close();
  await visibility?.stop();
  await sapor?.stop();
  if (policyDirectory) fs.rmSync(policyDirectory, { recursive: true, force: true });
  await autopilotFront?.close();
  await Promise.all(autopilotReplicas.map((replica) => replica.stop()));
  await prometheus?.stop();
  await Promise.all(apps.map((app) => app.close()));
});

function pipeline(canary: string, name: string, policyParams: Record<string, unknown> = {}): PipelineInput {
  const policy = gateStages.policy;
  const verification = gateStages.verification;
  const approval = gateStages.approval;
  return {
    application: 'web',
    name,
    user: 'alice',
    stages: [
      {
        refId: '0',
        name: 'Check deploy policy',
        type: policy.key,
        context: {
          alias: 'preconfiguredWebhook',
          ...policy.stageDefaults,
          parameterValues: {
            policy: 'isd/deploy',
            params: { changeWindow: 'open', requireApproval: true, ...policyParams },
          },
        },
      },
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
          parameterValues: {
            approverGroups: [{ name: 'release', required: 2 }],
            timeoutMs: 600_000,
            instructions: 'Read the canary report',
          },
        },
      },
      { refId: '3', name: 'Deploy', type: 'deploy' },
    ],
  };
}

function start(input: PipelineInput): PipelineRun {
  const run = startPipeline(
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
  runs.set(run.execution.id, run);
  return run;
}

function monitorBody(execution: HarnessExecution, index: number): Record<string, unknown> {
  return ((execution.stages[index]?.context.webhook as { monitor?: { body?: Record<string, unknown> } })?.monitor
    ?.body ?? {}) as Record<string, unknown>;
}

async function approve(run: PipelineRun, users: string[]): Promise<void> {
  const endpoint = await waitFor(
    'the approval gate',
    () => {
      const stage = run.execution.stages[APPROVE];
      return stage?.status === 'RUNNING' && typeof stage.context.statusEndpoint === 'string'
        ? stage.context.statusEndpoint
        : undefined;
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

function requestsOf(execution: HarnessExecution, phase: 'create' | 'monitor' | 'cancel', stage: number) {
  return execution.requests.filter(
    (request) => request.phase === phase && request.stageId === execution.stages[stage]?.id,
  );
}

describe('policy gate → verification gate → approval gate → deploy', () => {
  it('deploys after an allowing policy, a healthy canary and two approvals; a degraded canary stops it before the approval', async () => {
    deploys = [];
    const healthy = start(pipeline('web-v2', 'healthy'));
    const degraded = start(pipeline('web-v2-slow', 'degraded'));
    await approve(healthy, ['bob', 'carol']);
    const [passed, failed] = await Promise.all([healthy.done, degraded.done]);

    expect(passed.status).toBe('SUCCEEDED');
    expect(passed.stages.map((stage) => stage.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    // What Deck shows for each gate is the monitor body.
    expect(monitorBody(passed, POLICY)).toMatchObject({
      status: 'allow',
      messages: [],
      executionId: passed.id,
      stageId: passed.stages[POLICY]!.id,
      triggeredBy: 'alice',
    });
    const verification = monitorBody(passed, VERIFY);
    expect(verification).toMatchObject({
      status: 'pass',
      score: 100,
      executionId: passed.id,
      stageId: passed.stages[VERIFY]!.id,
    });
    expect(typeof verification.reportUrl).toBe('string');
    const approval = monitorBody(passed, APPROVE);
    expect(approval).toMatchObject({ status: 'approved', triggeredBy: 'alice' });
    expect((approval.decisions as Array<{ user: string }>).map((decision) => decision.user)).toEqual(['bob', 'carol']);
    // The fields the Deck plugin's execution views read (deck-plugin/src/api/sidecar-shapes.ts).
    expect(monitorBody(passed, POLICY)).toEqual(
      expect.objectContaining({
        status: 'allow',
        messages: expect.any(Array),
        policy: expect.objectContaining({ path: expect.any(String) }),
        decisionId: expect.any(String),
      }),
    );
    expect(verification).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        intervals: expect.arrayContaining([expect.objectContaining({ status: 'judged', score: expect.any(Number) })]),
        metrics: [expect.objectContaining({ name: 'latency', classification: expect.any(String) })],
        thresholds: { pass: 80, marginal: 60 },
      }),
    );
    expect(approval).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        approverGroups: [expect.objectContaining({ name: 'release', required: 2, approvals: 2 })],
        decisions: expect.arrayContaining([
          expect.objectContaining({ user: 'bob', action: 'approve', at: expect.any(String) }),
        ]),
        evidence: expect.any(Array),
        deadline: expect.any(String),
      }),
    );

    expect(failed.status).toBe('TERMINAL');
    expect(failed.stages.map((stage) => stage.status)).toEqual(['SUCCEEDED', 'TERMINAL', 'NOT_STARTED', 'NOT_STARTED']);
    expect(monitorBody(failed, VERIFY)).toMatchObject({ status: 'fail' });
    expect(monitorBody(failed, VERIFY).score as number).toBeLessThan(60);
    expect(deploys).toEqual(['healthy']);
    // Orca's onFailureStages cancel reaches the finished verification harmlessly.
    expect(requestsOf(failed, 'cancel', VERIFY).map((request) => request.statusCode)).toEqual([200]);
    const after = await fetch(
      `${autopilotFront.url}${new URL(failed.stages[VERIFY]!.context.statusEndpoint as string).pathname}`,
      { headers: serviceHeaders() },
    );
    expect(((await after.json()) as { status: string }).status).toBe('fail');
  });

  it('stops at a denying policy with the reason in the stage, before any canary analysis', async () => {
    deploys = [];
    const execution = await start(pipeline('web-v2', 'frozen', { changeWindow: 'closed' })).done;
    expect(execution.status).toBe('TERMINAL');
    expect(execution.stages.map((stage) => stage.status)).toEqual([
      'TERMINAL',
      'NOT_STARTED',
      'NOT_STARTED',
      'NOT_STARTED',
    ]);
    expect(monitorBody(execution, POLICY)).toMatchObject({
      status: 'deny',
      messages: ['deploys of web are frozen: the change window is closed'],
      policy: { path: 'data.isd.deploy' },
    });
    // The policy gate has no cancel endpoint: nothing is called after the deny.
    expect(requestsOf(execution, 'cancel', POLICY)).toEqual([]);
    expect(deploys).toEqual([]);
  });

  it('denies from the execution sapor reads through Gate: no approval gate in the pipeline', async () => {
    deploys = [];
    const input = pipeline('web-v2', 'unapproved');
    const execution = await start({
      ...input,
      stages: [input.stages[POLICY]!, input.stages[VERIFY]!, input.stages[3]!],
    }).done;
    expect(execution.status).toBe('TERMINAL');
    expect(execution.stages.map((stage) => stage.status)).toEqual(['TERMINAL', 'NOT_STARTED', 'NOT_STARTED']);
    expect(monitorBody(execution, POLICY)).toMatchObject({
      status: 'deny',
      messages: [`execution ${execution.id} has no ISD approval gate`],
    });
    expect(deploys).toEqual([]);
  });

  it('cancels the running verification when the execution is cancelled: two cancel calls, nothing judged later', async () => {
    deploys = [];
    const run = start(pipeline('web-v2', 'cancelled'));
    await waitFor('the verification to be polled', () => requestsOf(run.execution, 'monitor', VERIFY).length > 0);
    run.cancel('alice');
    const execution = await run.done;
    expect(execution.status).toBe('CANCELED');
    expect(execution.stages.map((stage) => stage.status)).toEqual([
      'SUCCEEDED',
      'CANCELED',
      'NOT_STARTED',
      'NOT_STARTED',
    ]);
    expect(requestsOf(execution, 'cancel', VERIFY).map((request) => [request.source, request.statusCode])).toEqual([
      ['task.onCancel', 200],
      ['onFailureStages', 200],
    ]);
    const statusPath = new URL(execution.stages[VERIFY]!.context.statusEndpoint as string).pathname;
    const after = await fetch(`${autopilotFront.url}${statusPath}`, { headers: serviceHeaders() });
    expect(((await after.json()) as { status: string }).status).toBe('canceled');
    expect(deploys).toEqual([]);
  });

  it('survives a lost create response (Orca re-POSTs after the 503) and a replica restart while Orca polls', async () => {
    deploys = [];
    autopilotFront.loseNextResponse(
      (method, requestPath) => method === 'POST' && requestPath === gateStages.verification.createPath,
    );
    const input = pipeline('web-v2', 'restarted', { requireApproval: false });
    const run = start({ ...input, stages: [input.stages[POLICY]!, input.stages[VERIFY]!, input.stages[3]!] });
    await waitFor('the verification to be polled', () => requestsOf(run.execution, 'monitor', VERIFY).length > 0);
    const port = autopilotReplicas[0]!.port;
    await autopilotFront.drain(0);
    await autopilotReplicas[0]!.stop();
    autopilotReplicas[0] = await startAutopilot(port);
    autopilotFront.backends[0]!.ready = true;
    const execution = await run.done;
    expect(execution.status).toBe('SUCCEEDED');
    expect(requestsOf(execution, 'create', VERIFY).map((request) => request.statusCode)).toEqual([503, 202]);
    expect(autopilotFront.lostResponses.at(-1)?.upstreamStatus).toBe(202);
    expect(monitorBody(execution, VERIFY)).toMatchObject({ status: 'pass' });
    expect(requestsOf(execution, 'monitor', VERIFY).every((request) => request.statusCode === 200)).toBe(true);
    expect(deploys).toEqual(['restarted']);
  });
});
