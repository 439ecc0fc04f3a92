// The Terraform stage end to end: the Orca harness runs the rendered `isdTerraform` preconfigured webhook
// against the real visibility (real Postgres), which drives the Terraform Cloud contract harness; people
// decide the plan's approval through the Gate proxy harness.
import { gateStages, renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { visibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';
import {
  createTestDatabase,
  startTestService,
  testServiceConfig,
  TEST_GATE_TOKEN,
  TEST_SERVICE_TOKEN,
} from '@isd/test-support';
import { startGateProxy } from '../harness/gate';
import type { GateProxy } from '../harness/gate';
import { renderTestOrcaLocal, startPipeline } from '../harness/orca';
import type { PipelineRun } from '../harness/orca';
import { startTerraformCloudHarness, type TerraformCloudHarness } from '../harness/terraform-cloud';
import { waitFor } from './pipeline-support';

jest.setTimeout(60_000);

const TOKEN = 'tfc-token';
let tfc: TerraformCloudHarness;
let visibility: RunningService<VisibilityConfig>;
let gate: GateProxy;
let orcaLocal: string;

beforeAll(async () => {
  tfc = await startTerraformCloudHarness({
    token: TOKEN,
    phases: { queue: 40, plan: 150, apply: 150 },
    organizations: {
      acme: [
        {
          name: 'network',
          changes: [
            { address: 'aws_vpc.main', actions: ['create'] },
            { address: 'aws_db_instance.main', actions: ['delete', 'create'] },
          ],
        },
        { name: 'stable', changes: [] },
      ],
    },
  });
  const config = testServiceConfig(visibilityService, {
    databaseUrl: await createTestDatabase('e2e_terraform'),
    users: { alice: ['developers'], bob: ['ops'] },
    extra: {
      terraform: {
        url: tfc.url,
        token: TOKEN,
        organization: 'acme',
        archivistUrls: [tfc.archivistUrl],
        pollIntervalMs: 100,
      },
    },
  });
  visibility = await startTestService(visibilityService, config);
  orcaLocal = renderTestOrcaLocal({
    // Orca refuses literal IPs: the sidecar is named by host.
    visibility: visibility.url.replace('127.0.0.1', 'localhost'),
    autopilot: 'http://localhost:9',
    sapor: 'http://localhost:9',
  });
  gate = await startGateProxy({
    gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
    gateToken: TEST_GATE_TOKEN,
    targets: { visibility: visibility.url },
  });
}, 60_000);

afterAll(async () => {
  await gate?.close();
  await visibility?.stop();
  await tfc?.close();
});

function start(workspace: string): PipelineRun {
  const stage = gateStages.terraform;
  return startPipeline(
    { orcaLocal, springEnvironment: { ISD_SERVICE_TOKEN: TEST_SERVICE_TOKEN }, timeFactor: 0.02 },
    {
      application: 'shop',
      name: 'infra',
      pipelineConfigId: 'pipeline-terraform',
      user: 'alice',
      stages: [
        {
          refId: '1',
          name: 'Terraform',
          type: stage.key,
          context: {
            alias: 'preconfiguredWebhook',
            ...stage.stageDefaults,
            parameterValues: {
              workspace,
              variables: { env: 'prod', replicas: 2 },
              approverGroups: [{ name: 'ops', required: 1 }],
              timeoutMs: 600_000,
            },
          },
        },
      ],
    },
  );
}

/** The run's monitor body once it reached `status`, read through the Gate proxy as bob. */
async function runThroughGate(runId: string, status: string) {
  return waitFor(`the Terraform run to be ${status}`, async () => {
    const answer = await fetch(`${gate.baseUrl}/proxies/visibility/api/v1/terraform-runs/${runId}`, {
      headers: { cookie: gate.login('bob'), 'X-RateLimit-App': 'deck' },
    });
    const body = (await answer.json()) as { status: string; approval: { id: string; canApprove: boolean } | null };
    return body.status === status ? body : undefined;
  });
}

async function runIdOf(run: PipelineRun): Promise<string> {
  const endpoint = await waitFor('the Terraform stage to be created', () => {
    const context = run.execution.stages[0]?.context;
    return typeof context?.statusEndpoint === 'string' ? context.statusEndpoint : undefined;
  });
  return endpoint.split('/').pop()!;
}

function decide(approvalId: string, action: 'approve' | 'reject', comment: string) {
  return fetch(`${gate.baseUrl}/proxies/visibility/api/v1/approvals/${approvalId}/decisions`, {
    method: 'POST',
    headers: { cookie: gate.login('bob'), 'content-type': 'application/json', 'X-RateLimit-App': 'deck' },
    body: JSON.stringify({ action, comment }),
  });
}

it('plans, waits for the approver, applies, and the pipeline succeeds', async () => {
  const run = start('network');
  const waiting = await runThroughGate(await runIdOf(run), 'awaiting_approval');
  expect(waiting.approval?.canApprove).toBe(true);
  expect(run.execution.stages[0]!.status).toBe('RUNNING');
  expect((await decide(waiting.approval!.id, 'approve', 'ship it')).status).toBe(200);
  const execution = await run.done;
  expect(execution.status).toBe('SUCCEEDED');
  const body = (execution.stages[0]!.context.webhook as { monitor: { body: Record<string, unknown> } }).monitor.body;
  expect(body.status).toBe('applied');
  const applied = tfc.runs.find((candidate) => candidate.message.includes(`[isd ${body.id as string}]`))!;
  expect(tfc.statusOf(applied.id)).toBe('applied');
  expect(applied.variables).toEqual([
    { key: 'env', value: '"prod"' },
    { key: 'replicas', value: '2' },
  ]);
});

it('fails the pipeline when the plan is rejected, and the plan is discarded', async () => {
  const run = start('network');
  const waiting = await runThroughGate(await runIdOf(run), 'awaiting_approval');
  expect((await decide(waiting.approval!.id, 'reject', 'not today')).status).toBe(200);
  const execution = await run.done;
  expect(execution.status).toBe('TERMINAL');
  const body = (execution.stages[0]!.context.webhook as { monitor: { body: Record<string, unknown> } }).monitor.body;
  expect(body.status).toBe('rejected');
  const discarded = tfc.runs.find((candidate) => candidate.message.includes(`[isd ${body.id as string}]`))!;
  expect(tfc.statusOf(discarded.id)).toBe('discarded');
});

it('succeeds without an approval when the plan has no changes', async () => {
  const execution = await start('stable').done;
  expect(execution.status).toBe('SUCCEEDED');
  const body = (execution.stages[0]!.context.webhook as { monitor: { body: Record<string, unknown> } }).monitor.body;
  expect(body).toMatchObject({ status: 'no_changes', approval: null });
});
