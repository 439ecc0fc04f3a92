// Whole-pipeline tests of the approval gate: the real visibility service on real Postgres, driven by the
// Orca harness from the rendered orca-local.yml, decided by users through the Gate proxy harness from the
// rendered gate-local.yml. Each test says which Spinnaker behaviour it pins.
import { gateStages, renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { visibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';
import {
  createTestDatabase,
  serviceHeaders,
  startTestService,
  testServiceConfig,
  TEST_GATE_TOKEN,
  TEST_SERVICE_TOKEN,
} from '@isd/test-support';
import { startGateProxy } from '../harness/gate';
import type { GateProxy } from '../harness/gate';
import { renderTestOrcaLocal, startPipeline } from '../harness/orca';
import type { HarnessExecution, PipelineInput, PipelineRun } from '../harness/orca';
import { startServiceFront, waitFor } from './pipeline-support';
import type { ServiceFront } from './pipeline-support';

jest.setTimeout(60_000);

// 1 Orca second = 20 real ms: polls every 20 ms for the first minute, the create backoff is 200 ms.
const timeFactor = 0.02;
// alice (who triggers the runs) may see the application but is in no approver group.
const users = { alice: ['developers'], bob: ['qa'], carol: ['qa'], dave: ['ops'] };

let databaseUrl: string;
let replicas: RunningService<VisibilityConfig>[] = [];
let front: ServiceFront;
let gate: GateProxy;
let orcaLocal: string;

async function startReplica(port = 0): Promise<RunningService<VisibilityConfig>> {
  const config = testServiceConfig(visibilityService, { databaseUrl, users });
  return startTestService(visibilityService, { ...config, server: { ...config.server, port } });
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase('e2e_approval');
  // Two replicas on one database behind a Service-like front, as the chart deploys them.
  replicas = [await startReplica(), await startReplica()];
  front = await startServiceFront(replicas.map((replica) => replica.url));
  orcaLocal = renderTestOrcaLocal({
    visibility: front.url,
    autopilot: 'http://localhost:9',
    sapor: 'http://localhost:9',
  });
  gate = await startGateProxy({
    gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
    gateToken: TEST_GATE_TOKEN,
    targets: { visibility: front.url },
  });
}, 60_000);

afterAll(async () => {
  await gate?.close();
  await front?.close();
  await Promise.all(replicas.map((replica) => replica.stop()));
});

function approvalPipeline(
  parameterValues: Record<string, unknown>,
  stageContext: Record<string, unknown> = {},
): PipelineInput {
  const approval = gateStages.approval;
  return {
    application: 'shop',
    name: 'deploy-prod',
    pipelineConfigId: 'pipeline-approval',
    user: 'alice',
    stages: [
      {
        refId: '1',
        name: 'Approve release',
        type: approval.key,
        context: {
          alias: 'preconfiguredWebhook',
          ...approval.stageDefaults,
          ...stageContext,
          parameterValues: {
            approverGroups: [{ name: 'qa', required: 2 }],
            timeoutMs: 600_000,
            allowSelfApproval: false,
            instructions: 'Check the canary',
            ...parameterValues,
          },
        },
      },
      { refId: '2', name: 'Deploy', type: 'deploy' },
    ],
  };
}

let deploys = 0;
function start(pipeline: PipelineInput): PipelineRun {
  return startPipeline(
    {
      orcaLocal,
      springEnvironment: { ISD_SERVICE_TOKEN: TEST_SERVICE_TOKEN },
      timeFactor,
      customStages: {
        deploy: async () => {
          deploys += 1;
          return { status: 'SUCCEEDED' };
        },
      },
    },
    pipeline,
  );
}

/**
 * Waits for the approval stage to be polled once and returns the gate id from its Location. Waiting for
 * the first poll matters: until the monitor has run, Orca's stored cancelEndpoint is still the
 * unevaluated `${statusEndpoint}/cancel`, and a cancel in that window reaches nobody (see the harness README).
 */
async function gateIdOf(run: PipelineRun): Promise<string> {
  const endpoint = await waitFor('the approval gate to be created and polled', () => {
    const stage = run.execution.stages[0];
    const polled = run.execution.requests.some(
      (request) => request.phase === 'monitor' && request.stageId === stage?.id,
    );
    return polled && typeof stage?.context.statusEndpoint === 'string' ? stage.context.statusEndpoint : undefined;
  });
  return endpoint.split('/').pop() as string;
}

function decide(user: string, gateId: string, action: 'approve' | 'reject', comment = ''): Promise<Response> {
  return fetch(`${gate.baseUrl}/proxies/visibility/api/v1/approvals/${gateId}/decisions`, {
    method: 'POST',
    headers: { cookie: gate.login(user), 'content-type': 'application/json', 'X-RateLimit-App': 'deck' },
    body: JSON.stringify({ action, comment }),
  });
}

function monitorBody(execution: HarnessExecution, index = 0): Record<string, unknown> {
  return ((execution.stages[index]?.context.webhook as { monitor?: { body?: Record<string, unknown> } })?.monitor
    ?.body ?? {}) as Record<string, unknown>;
}

function cancelsOf(execution: HarnessExecution) {
  return execution.requests.filter((request) => request.phase === 'cancel');
}

describe('approval gate through Orca and Gate', () => {
  it('succeeds after two approvers approve through the Gate proxy, and the monitor body shows who decided', async () => {
    const before = deploys;
    const run = start(approvalPipeline({}));
    const gateId = await gateIdOf(run);
    expect((await decide('bob', gateId, 'approve')).status).toBe(200);
    // One approval of two required: Orca keeps polling an `activated` gate.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(run.execution.stages[0]!.status).toBe('RUNNING');
    expect((await decide('carol', gateId, 'approve')).status).toBe(200);
    const execution = await run.done;
    expect(execution.status).toBe('SUCCEEDED');
    expect(deploys).toBe(before + 1);
    const body = monitorBody(execution);
    expect(body.status).toBe('approved');
    expect(body.executionId).toBe(execution.id);
    expect(body.stageId).toBe(execution.stages[0]!.id);
    expect(body.triggeredBy).toBe('alice');
    expect(
      (body.decisions as Array<{ user: string; action: string }>).map((decision) => [decision.user, decision.action]),
    ).toEqual([
      ['bob', 'approve'],
      ['carol', 'approve'],
    ]);
  });

  it('refuses a decision from a user outside the approver groups, and from the triggering user', async () => {
    const run = start(approvalPipeline({ approverGroups: [{ name: 'qa', required: 1 }] }));
    const gateId = await gateIdOf(run);
    expect((await decide('dave', gateId, 'approve')).status).toBe(403);
    expect((await decide('alice', gateId, 'approve')).status).toBe(403);
    run.cancel('alice');
    expect((await run.done).status).toBe('CANCELED');
  });

  it('fails the pipeline on a rejection; the deploy never runs and the later cancel call is harmless', async () => {
    const before = deploys;
    const run = start(approvalPipeline({}));
    const gateId = await gateIdOf(run);
    expect((await decide('bob', gateId, 'reject', 'error rate too high')).status).toBe(200);
    const execution = await run.done;
    expect(execution.status).toBe('TERMINAL');
    expect(execution.stages.map((stage) => stage.status)).toEqual(['TERMINAL', 'NOT_STARTED']);
    expect(deploys).toBe(before);
    expect(monitorBody(execution).status).toBe('rejected');
    // WebhookStage.onFailureStages calls cancel on the rejected gate: it must stay rejected.
    const cancels = cancelsOf(execution);
    expect(cancels.map((request) => [request.source, request.statusCode])).toEqual([['onFailureStages', 200]]);
    const after = await fetch(`${front.url}/api/v1/approvals/${gateId}`, { headers: serviceHeaders() });
    expect(((await after.json()) as { status: string }).status).toBe('rejected');
  });

  it('fails the pipeline when nobody decides before the approval expires', async () => {
    const run = start(approvalPipeline({ timeoutMs: 1_500 }));
    const execution = await run.done;
    expect(execution.status).toBe('TERMINAL');
    expect(monitorBody(execution).status).toBe('expired');
    // The cancel Orca sends after the failure finds an expired gate and leaves it expired.
    expect(cancelsOf(execution).map((request) => [request.source, request.statusCode])).toEqual([
      ['onFailureStages', 200],
    ]);
    const gateId = (execution.stages[0]!.context.statusEndpoint as string).split('/').pop() as string;
    const after = await fetch(`${front.url}/api/v1/approvals/${gateId}`, { headers: serviceHeaders() });
    expect(((await after.json()) as { status: string }).status).toBe('expired');
  }, 40_000);

  it('cancels the gate when the execution is cancelled; both cancel calls succeed and later decisions are refused', async () => {
    const run = start(approvalPipeline({}));
    const gateId = await gateIdOf(run);
    run.cancel('alice');
    const execution = await run.done;
    expect(execution.status).toBe('CANCELED');
    const cancels = cancelsOf(execution);
    expect(cancels.map((request) => [request.source, request.statusCode])).toEqual([
      ['task.onCancel', 200],
      ['onFailureStages', 200],
    ]);
    const after = await fetch(`${front.url}/api/v1/approvals/${gateId}`, { headers: serviceHeaders() });
    expect(((await after.json()) as { status: string }).status).toBe('canceled');
    expect((await decide('bob', gateId, 'approve')).status).toBe(409);
  });

  it('keeps one gate when the create response is lost with a 503 and Orca re-POSTs', async () => {
    front.loseNextResponse((method, path) => method === 'POST' && path === gateStages.approval.createPath);
    const run = start(approvalPipeline({ approverGroups: [{ name: 'qa', required: 1 }] }));
    const gateId = await gateIdOf(run);
    const creates = run.execution.requests.filter((request) => request.phase === 'create');
    expect(creates.map((request) => request.statusCode)).toEqual([503, 202]);
    expect(front.lostResponses.at(-1)?.upstreamStatus).toBe(202);
    const list = await fetch(`${front.url}/api/v1/approvals?executionId=${run.execution.id}`, {
      headers: serviceHeaders(),
    });
    const listed = (await list.json()) as { approvals: Array<{ id: string }> };
    expect(listed.approvals.map((approval) => approval.id)).toEqual([gateId]);
    expect((await decide('bob', gateId, 'approve')).status).toBe(200);
    expect((await run.done).status).toBe('SUCCEEDED');
  });

  it('carries on when a replica restarts while Orca polls (rolling restart behind the Service)', async () => {
    const run = start(approvalPipeline({ approverGroups: [{ name: 'qa', required: 1 }] }));
    const gateId = await gateIdOf(run);
    // Take replica 0 out of the Service, restart it on its port, put it back.
    const port = replicas[0]!.port;
    await front.drain(0);
    await replicas[0]!.stop();
    replicas[0] = await startReplica(port);
    front.backends[0]!.ready = true;
    const pollsBefore = run.execution.requests.filter((request) => request.phase === 'monitor').length;
    await waitFor(
      'a poll after the restart',
      () => run.execution.requests.filter((request) => request.phase === 'monitor').length > pollsBefore + 1,
    );
    expect((await decide('carol', gateId, 'approve')).status).toBe(200);
    const execution = await run.done;
    expect(execution.status).toBe('SUCCEEDED');
    expect(
      execution.requests
        .filter((request) => request.phase === 'monitor')
        .every((request) => request.statusCode === 200),
    ).toBe(true);
  }, 40_000);

  // When one expression throws (here #toJson refuses a value holding `${`), kork leaves the whole
  // payload template unevaluated, so no single field can be named: the sidecar answers 400 for a body
  // that is not JSON, and the stage fails with that answer in its context.
  it('fails the stage with a 400 when Orca could not evaluate the payload', async () => {
    const run = start(approvalPipeline({ instructions: 'see ${trigger.notThere}' }));
    const execution = await run.done;
    expect(execution.status).toBe('TERMINAL');
    const webhook = execution.stages[0]!.context.webhook as { statusCodeValue: number; body: { detail?: string } };
    expect(webhook.statusCodeValue).toBe(400);
    expect(webhook.body.detail).toContain('not valid JSON');
    expect(execution.requests.filter((request) => request.phase === 'create')[0]?.body).toBe(
      gateStages.approval.payloadTemplate,
    );
  });
});
