/**
 * @jest-environment node
 */
// The Terraform stage end to end in a browser: real visibility on Postgres driving the Terraform Cloud
// contract harness, the Orca harness running the rendered `isdTerraform` webhook, the Gate proxy harness, and
// the built plugin in Chromium. An approver reads the plan in the execution view and approves it in place;
// the run is applied and the pipeline succeeds. The editor is shown on a stage the generic form saved.
import { gateStages, renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { visibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';

import { startGateProxy } from '../../test/harness/gate';
import type { GateProxy } from '../../test/harness/gate';
import { renderTestOrcaLocal, startPipeline } from '../../test/harness/orca';
import type { PipelineRun } from '../../test/harness/orca';
import { startTerraformCloudHarness } from '../../test/harness/terraform-cloud';
import type { TerraformCloudHarness } from '../../test/harness/terraform-cloud';
import {
  createTestDatabase,
  startTestService,
  testServiceConfig,
  TEST_GATE_TOKEN,
  TEST_SERVICE_TOKEN,
} from '@isd/test-support';
import { forwardToGate, loginInBrowser } from './browser/gate-forwarding';
import { startBrowserSession } from './browser/session';
import type { BrowserSession } from './browser/session';

const TFC_TOKEN = 'tfc-browser-token';
let tfc: TerraformCloudHarness;
let visibility: RunningService<VisibilityConfig>;
let gate: GateProxy;
let session: BrowserSession;

function startTerraform(): PipelineRun {
  const stage = gateStages.terraform;
  return startPipeline(
    {
      orcaLocal: renderTestOrcaLocal({
        visibility: `http://localhost:${visibility.port}`,
        autopilot: 'http://localhost:9',
        sapor: 'http://localhost:9',
      }),
      springEnvironment: { ISD_SERVICE_TOKEN: TEST_SERVICE_TOKEN },
      timeFactor: 0.02,
    },
    {
      application: 'checkout',
      name: 'infra-prod',
      pipelineConfigId: 'pipeline-infra',
      user: 'alice',
      stages: [
        {
          refId: '1',
          name: 'Terraform network',
          type: stage.key,
          context: {
            alias: 'preconfiguredWebhook',
            ...stage.stageDefaults,
            parameterValues: {
              workspace: 'network-prod',
              variables: { region: 'eu-west-1', replicas: 3 },
              approverGroups: [{ name: 'ops', required: 1 }],
              timeoutMs: 600_000,
              instructions: 'Nothing may be **destroyed** outside a change window.',
            },
          },
        },
      ],
    },
  );
}

/** Waits until Orca's monitor body says the plan waits for approval, and returns the stage context. */
async function waitingContext(run: PipelineRun): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const stage = run.execution.stages[0];
    const body = (stage?.context.webhook as { monitor?: { body?: { status?: string } } } | undefined)?.monitor?.body;
    if (body?.status === 'awaiting_approval') return JSON.parse(JSON.stringify(stage!.context));
    if (Date.now() > deadline) throw new Error(`the plan did not wait for approval: ${JSON.stringify(stage)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  tfc = await startTerraformCloudHarness({
    token: TFC_TOKEN,
    phases: { queue: 40, plan: 200, apply: 200 },
    organizations: {
      acme: [
        {
          name: 'network-prod',
          changes: [
            { address: 'aws_vpc.main', actions: ['create'] },
            { address: 'aws_subnet.private["a"]', actions: ['create'] },
            { address: 'aws_security_group.web', actions: ['update'] },
            { address: 'module.db.aws_db_instance.main', actions: ['delete', 'create'] },
            { address: 'aws_s3_bucket.legacy', actions: ['delete'] },
            { address: 'aws_route53_zone.main', actions: ['no-op'] },
          ],
        },
      ],
    },
  });
  visibility = await startTestService(
    visibilityService,
    testServiceConfig(visibilityService, {
      databaseUrl: await createTestDatabase('deck_plugin_browser_terraform'),
      users: { bob: ['ops'], alice: ['developers'] },
      extra: {
        terraform: {
          url: tfc.url,
          token: TFC_TOKEN,
          organization: 'acme',
          archivistUrls: [tfc.archivistUrl],
          pollIntervalMs: 100,
        },
      },
    }),
  );
  gate = await startGateProxy({
    gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
    gateToken: TEST_GATE_TOKEN,
    targets: { visibility: visibility.url },
  });
  session = await startBrowserSession(forwardToGate(gate));
  expect(await session.loadPlugin()).toContain('isdTerraform');
}, 180_000);

afterAll(async () => {
  await session?.close();
  await gate?.close();
  await visibility?.stop();
  await tfc?.close();
});

describe('Terraform stage in the browser, against real visibility and the Terraform Cloud harness', () => {
  it('shows the plan, lets an approver approve it in place, and the run is applied', async () => {
    const run = startTerraform();
    const context = await waitingContext(run);
    await loginInBrowser(session, gate, 'bob');
    await session.renderExecution('isdTerraform', context);
    await session.page.waitForSelector('.isd-approve');
    expect(await session.page.textContent('.isd-status')).toBe('Plan waits for approval');
    const rows = await session.page.$$eval('.isd-plan-changes tbody tr', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-action'), tr.querySelector('code')?.textContent]),
    );
    expect(rows).toEqual([
      ['create', 'aws_vpc.main'],
      ['create', 'aws_subnet.private["a"]'],
      ['update', 'aws_security_group.web'],
      ['replace', 'module.db.aws_db_instance.main'],
      ['delete', 'aws_s3_bucket.legacy'],
    ]);
    await session.screenshot('real-visibility-terraform-plan');

    await session.page.fill('#isd-decision-comment', 'Inside the change window');
    await session.page.click('.isd-approve');
    await session.page.waitForFunction(() =>
      ['Applying', 'Applied'].includes(document.querySelector('.isd-status')?.textContent ?? ''),
    );
    const execution = await run.done;
    expect(execution.status).toBe('SUCCEEDED');
    const body = (execution.stages[0]?.context.webhook as { monitor: { body: { status: string; id: string } } }).monitor
      .body;
    expect(body.status).toBe('applied');
    const applied = tfc.runs.find((candidate) => candidate.message.includes(`[isd ${body.id}]`));
    expect(tfc.statusOf(applied!.id)).toBe('applied');
    expect(applied!.comments).toEqual(['Approved in ISD by bob: Inside the change window']);
  });

  it('opens the editor on a stage saved by the generic webhook form, with its values', async () => {
    await session.renderEditor('isdTerraform', {
      workspace: 'network-prod',
      variables: '{"region":"eu-west-1","replicas":3}',
      approverGroups: '[{"name":"ops","required":"1"}]',
      timeoutMs: '3600000',
    });
    await session.page.waitForSelector('.isd-terraform-variables');
    expect(await session.page.inputValue('[aria-label="Variable 1 name"]')).toBe('region');
    expect(await session.page.inputValue('[aria-label="Approver group 1 name"]')).toBe('ops');
    await session.screenshot('real-visibility-terraform-editor');
  });

  it('raised no errors in the page', () => {
    expect(session.pageErrors).toEqual([]);
  });
});
