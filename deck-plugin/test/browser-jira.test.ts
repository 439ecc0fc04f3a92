/**
 * @jest-environment node
 */
// The JIRA stage end to end in a browser: a real visibility sidecar on Postgres acting on the JIRA
// contract harness, the Orca harness running the pipeline from the rendered orca-local.yml, the Gate
// proxy harness from the rendered gate-local.yml, and the built plugin in Chromium showing the editor
// and the execution view (refreshed through Gate) while a person moves the issue in JIRA.
import { gateStages, renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { createVisibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';

import { startGateProxy } from '../../test/harness/gate';
import type { GateProxy } from '../../test/harness/gate';
import { startJiraHarness } from '../../test/harness/jira';
import type { JiraHarness } from '../../test/harness/jira';
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

const timeFactor = 0.02;
const users = { bob: ['qa'] };
const parameterValues = {
  project: 'OPS',
  issueType: 'Change',
  summary: 'Deploy checkout 2.4.0 to production',
  description: 'Canary passed; see the verification report.',
  labels: ['release', 'checkout'],
  transition: 'Submit for Review',
  waitForStatuses: ['Done'],
  rejectStatuses: ['Rejected'],
  timeoutMs: 3_600_000,
};

let jira: JiraHarness;
let visibility: RunningService<VisibilityConfig>;
let gate: GateProxy;
let session: BrowserSession;

function startJiraStage(): PipelineRun {
  const stage = gateStages.jira;
  return startPipeline(
    {
      orcaLocal: renderTestOrcaLocal({
        visibility: `http://localhost:${visibility.port}`,
        autopilot: 'http://localhost:9',
        sapor: 'http://localhost:9',
      }),
      springEnvironment: { ISD_SERVICE_TOKEN: TEST_SERVICE_TOKEN },
      timeFactor,
    },
    {
      application: 'checkout',
      name: 'deploy-prod',
      pipelineConfigId: 'pipeline-checkout',
      user: 'alice',
      stages: [
        {
          refId: '1',
          name: 'Change ticket',
          type: stage.key,
          context: { alias: 'preconfiguredWebhook', ...stage.stageDefaults, parameterValues },
        },
      ],
    },
  );
}

/** Waits until Orca has polled the stage while it waits, and returns the context Deck would get from Orca. */
async function waitingContext(run: PipelineRun): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const stage = run.execution.stages[0];
    const body = (stage?.context.webhook as { monitor?: { body?: { status?: string } } } | undefined)?.monitor?.body;
    if (stage?.status === 'RUNNING' && body?.status === 'waiting') return JSON.parse(JSON.stringify(stage.context));
    if (Date.now() > deadline) throw new Error(`the JIRA stage did not start waiting: ${JSON.stringify(stage)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  jira = await startJiraHarness({ user: 'isd-bot', apiToken: 'jira-token', projects: { OPS: ['Task', 'Change'] } });
  const databaseUrl = await createTestDatabase('deck_plugin_jira');
  const service = createVisibilityService();
  visibility = await startTestService(
    service,
    testServiceConfig(service, {
      databaseUrl,
      users,
      extra: {
        connectors: { jira: { url: jira.url, user: 'isd-bot', apiToken: 'jira-token' } },
        externalStages: { pollIntervalMs: 1 },
      },
    }),
  );
  gate = await startGateProxy({
    gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
    gateToken: TEST_GATE_TOKEN,
    targets: { visibility: visibility.url },
  });
  session = await startBrowserSession(forwardToGate(gate));
  expect(await session.loadPlugin()).toContain('isdJiraIssue');
}, 180_000);

afterAll(async () => {
  await session?.close();
  await gate?.close();
  await visibility?.stop();
  await jira?.close();
});

describe('JIRA stage in the browser, through the Gate proxy, against real visibility and the JIRA harness', () => {
  it('renders the editor with the typed values', async () => {
    const { page } = session;
    await session.renderEditor('isdJiraIssue', parameterValues);
    await page.waitForSelector('[data-view="isdJiraIssue-editor"] .isd-jira-config');
    expect(await page.inputValue('input[aria-label="Wait for statuses"]')).toBe('Done');
    expect(await page.inputValue('input[aria-label="Labels"]')).toBe('release, checkout');
    await page.fill('input[aria-label="Labels"]', 'release, two words');
    await page.waitForSelector('text=Labels: "two words" has a space; JIRA labels cannot.');
    await session.screenshot('isdJiraIssue-editor');
  });

  it('shows the linked issue waiting in review, then Done once a person resolves it in JIRA', async () => {
    const run = startJiraStage();
    const context = await waitingContext(run);
    await loginInBrowser(session, gate, 'bob');
    await session.renderExecution('isdJiraIssue', context);
    const { page } = session;
    await page.waitForSelector('.isd-jira-issue a');
    const key = (await page.textContent('.isd-jira-issue a')) ?? '';
    expect(key).toMatch(/^OPS-\d+$/);
    expect(await page.getAttribute('.isd-jira-issue a', 'href')).toBe(`${jira.url}/browse/${key}`);
    expect(await page.textContent('.isd-jira-status')).toBe('In Review');
    expect(await page.textContent('.isd-status')).toBe('Waiting for JIRA');
    await session.screenshot('real-visibility-jira-waiting');

    jira.setStatus(key, 'Done');
    const execution = await run.done;
    expect(execution.status).toBe('SUCCEEDED');
    await page.click('text=Refresh');
    await page.waitForFunction(() => document.querySelector('.isd-status')?.textContent === 'Done');
    expect(await page.textContent('.isd-jira-status')).toBe('Done');
    const read = gate.forwarded.find((request) => request.method === 'GET' && request.url.includes('/jira-issues/'));
    expect(read?.headers['X-SPINNAKER-USER']).toBe('bob');
    await session.screenshot('real-visibility-jira-done');
  });

  it('raised no errors in the page', () => {
    expect(session.pageErrors).toEqual([]);
  });
});
