/**
 * @jest-environment node
 */
// The approval gate end to end in a browser: a real visibility sidecar on Postgres, the Orca harness
// running the pipeline from the rendered orca-local.yml, the Gate proxy harness from the rendered
// gate-local.yml, and the built plugin in Chromium. The page's origin plays Deck and Gate behind one
// ingress: `/proxies/**` goes to the Gate harness with the browser's session cookie, so the user Gate
// forwards is the one logged in to the browser, never a header the page sets.
import { gateStages, renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { visibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';

import { startGateProxy } from '../../test/harness/gate';
import type { GateProxy } from '../../test/harness/gate';
import { renderTestOrcaLocal, startPipeline } from '../../test/harness/orca';
import type { PipelineRun } from '../../test/harness/orca';
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

// 1 Orca second = 20 real ms (the Orca harness scales its polling and backoff).
const timeFactor = 0.02;
const users = { bob: ['qa'], dave: ['ops'] };

let visibility: RunningService<VisibilityConfig>;
let gate: GateProxy;
let session: BrowserSession;

function startApproval(): PipelineRun {
  const approval = gateStages.approval;
  return startPipeline(
    {
      orcaLocal: renderTestOrcaLocal({
        // Orca's URL restrictions reject literal IPs; the test values allow localhost.
        visibility: `http://localhost:${visibility.port}`,
        autopilot: 'http://localhost:9',
        sapor: 'http://localhost:9',
      }),
      springEnvironment: { ISD_SERVICE_TOKEN: TEST_SERVICE_TOKEN },
      timeFactor,
      customStages: { deploy: async () => ({ status: 'SUCCEEDED' }) },
    },
    {
      application: 'checkout',
      name: 'deploy-prod',
      pipelineConfigId: 'pipeline-checkout',
      user: 'alice',
      stages: [
        {
          refId: '1',
          name: 'Approve release',
          type: approval.key,
          context: {
            alias: 'preconfiguredWebhook',
            ...approval.stageDefaults,
            parameterValues: {
              approverGroups: [{ name: 'qa', required: 1 }],
              timeoutMs: 600_000,
              allowSelfApproval: false,
              instructions: 'Check the canary dashboard.',
            },
          },
        },
        { refId: '2', name: 'Deploy', type: 'deploy' },
      ],
    },
  );
}

/** Waits until Orca has polled the gate once, and returns the stage context Deck would get from Orca. */
async function activatedContext(run: PipelineRun): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const stage = run.execution.stages[0];
    const body = (stage?.context.webhook as { monitor?: { body?: { status?: string } } } | undefined)?.monitor?.body;
    if (stage?.status === 'RUNNING' && body?.status === 'activated') return JSON.parse(JSON.stringify(stage.context));
    if (Date.now() > deadline) throw new Error(`the approval gate was not activated: ${JSON.stringify(stage)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('deck_plugin_browser');
  visibility = await startTestService(visibilityService, testServiceConfig(visibilityService, { databaseUrl, users }));
  gate = await startGateProxy({
    gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
    gateToken: TEST_GATE_TOKEN,
    targets: { visibility: visibility.url },
  });
  session = await startBrowserSession(forwardToGate(gate));
  expect(await session.loadPlugin()).toContain('isdApprovalGate');
}, 180_000);

afterAll(async () => {
  await session?.close();
  await gate?.close();
  await visibility?.stop();
});

describe('approval gate in the browser, through the Gate proxy, against real visibility', () => {
  it('shows a user outside the approver groups no buttons', async () => {
    const run = startApproval();
    const context = await activatedContext(run);
    await loginInBrowser(session, gate, 'dave');
    await session.renderExecution('isdApprovalGate', context);
    await session.page.waitForSelector('.isd-cannot-decide');
    expect(await session.page.locator('.isd-approve').count()).toBe(0);
    run.cancel('alice');
    await run.done;
  });

  it('lets an approver click Approve; the view and the pipeline both move on', async () => {
    const run = startApproval();
    const context = await activatedContext(run);
    await loginInBrowser(session, gate, 'bob');
    await session.renderExecution('isdApprovalGate', context);
    await session.page.waitForSelector('.isd-approve');
    expect(await session.page.textContent('.isd-status')).toBe('Waiting for approval');
    await session.screenshot('real-visibility-approval-before');

    await session.page.fill('#isd-decision-comment', 'Canary is healthy');
    await session.page.click('.isd-approve');
    await session.page.waitForFunction(() => document.querySelector('.isd-status')?.textContent === 'Approved');
    await session.screenshot('real-visibility-approval-after');

    const decision = gate.forwarded.find((request) => request.method === 'POST' && request.url.endsWith('/decisions'));
    expect(decision?.headers['X-SPINNAKER-USER']).toBe('bob');
    expect(decision?.headers['X-SPINNAKER-USER-ORIGIN']).toBe('deck');
    expect(JSON.parse(decision?.body ?? '{}')).toMatchObject({ action: 'approve', comment: 'Canary is healthy' });
    const execution = await run.done;
    expect(execution.status).toBe('SUCCEEDED');
    const body = (
      execution.stages[0]?.context.webhook as {
        monitor: { body: { status: string; decisions: Array<{ user: string }> } };
      }
    ).monitor.body;
    expect(body.status).toBe('approved');
    expect(body.decisions.map((d) => d.user)).toEqual(['bob']);
  });

  it('lists the gate in the application’s Approvals view, where an approver approves it in place', async () => {
    const run = startApproval();
    await activatedContext(run);
    await loginInBrowser(session, gate, 'bob');
    await session.renderApplicationView('isdApprovals', 'checkout');
    await session.page.waitForSelector('.isd-approval-row');
    expect(await session.page.textContent('.isd-approval-row')).toContain('deploy-prod');
    await session.page.click('text=Details');
    await session.page.waitForSelector('.isd-approve');
    await session.screenshot('real-visibility-approvals-view');
    await session.page.click('.isd-approve');
    await session.page.waitForSelector('text=Nothing is waiting for your approval.');
    const execution = await run.done;
    expect(execution.status).toBe('SUCCEEDED');
  });

  it('raised no errors in the page', () => {
    expect(session.pageErrors).toEqual([]);
  });
});
