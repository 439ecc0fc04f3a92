/**
 * @jest-environment node
 */
// The JIRA and ServiceNow stages end to end in a browser: a real visibility sidecar on Postgres acting on
// the JIRA and ServiceNow contract harnesses, the Orca harness running the pipeline from the rendered
// orca-local.yml, the Gate proxy harness from the rendered gate-local.yml, and the built plugin in
// Chromium showing each editor and execution view (refreshed through Gate) while a person acts in the
// external system.
import { gateStages, renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { createVisibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';

import { startGateProxy } from '../../test/harness/gate';
import type { GateProxy } from '../../test/harness/gate';
import { startJiraHarness } from '../../test/harness/jira';
import type { JiraHarness } from '../../test/harness/jira';
import { startAwxHarness } from '../../test/harness/awx';
import type { AwxHarness } from '../../test/harness/awx';
import { startServiceNowHarness } from '../../test/harness/servicenow';
import type { ServiceNowHarness } from '../../test/harness/servicenow';
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

const serviceNowValues = {
  shortDescription: 'Deploy checkout 2.4.0 to production',
  description: 'Canary passed; rollback is the previous ReplicaSet.',
  changeType: 'normal',
  assignmentGroup: 'CAB Approval',
  category: 'Software',
  timeoutMs: 3_600_000,
};

let jira: JiraHarness;
let servicenow: ServiceNowHarness;
let awx: AwxHarness;
let visibility: RunningService<VisibilityConfig>;
let gate: GateProxy;
let session: BrowserSession;

function startStage(kind: 'jira' | 'servicenow' | 'awx', values: Record<string, unknown>): PipelineRun {
  const stage = gateStages[kind];
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
          name: stage.label,
          type: stage.key,
          context: { alias: 'preconfiguredWebhook', ...stage.stageDefaults, parameterValues: values },
        },
      ],
    },
  );
}

/** Waits for the job a launch made. */
async function waitForJob(): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const job = [...awx.jobs.values()].pop();
    if (job) return job.id;
    if (Date.now() > deadline) throw new Error('no AWX job was launched');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until Orca has polled the stage while it waits, and returns the context Deck would get from Orca. */
async function waitingContext(run: PipelineRun): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const stage = run.execution.stages[0];
    const body = (stage?.context.webhook as { monitor?: { body?: { status?: string } } } | undefined)?.monitor?.body;
    if (stage?.status === 'RUNNING' && body?.status === 'waiting') return JSON.parse(JSON.stringify(stage.context));
    if (Date.now() > deadline) throw new Error(`the stage did not start waiting: ${JSON.stringify(stage)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  jira = await startJiraHarness({ user: 'isd-bot', apiToken: 'jira-token', projects: { OPS: ['Task', 'Change'] } });
  servicenow = await startServiceNowHarness({ user: 'isd.integration', password: 'sn-password' });
  awx = await startAwxHarness({
    token: 'awx-token',
    templates: [{ id: 7, name: 'deploy-checkout', askVariablesOnLaunch: true, askLimitOnLaunch: true }],
  });
  const databaseUrl = await createTestDatabase('deck_plugin_jira');
  const service = createVisibilityService();
  visibility = await startTestService(
    service,
    testServiceConfig(service, {
      databaseUrl,
      users,
      extra: {
        connectors: {
          jira: { url: jira.url, user: 'isd-bot', apiToken: 'jira-token' },
          servicenow: { url: servicenow.url, user: 'isd.integration', password: 'sn-password' },
          awx: { url: awx.url, token: 'awx-token' },
        },
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
  expect(await session.loadPlugin()).toEqual(expect.arrayContaining(['isdJiraIssue', 'isdServiceNowChange']));
}, 180_000);

afterAll(async () => {
  await session?.close();
  await gate?.close();
  await visibility?.stop();
  await jira?.close();
  await servicenow?.close();
  await awx?.close();
});

describe('JIRA and ServiceNow stages in the browser, through the Gate proxy, against real visibility', () => {
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
    const run = startStage('jira', parameterValues);
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

  it('renders the ServiceNow editor with the typed values', async () => {
    const { page } = session;
    await session.renderEditor('isdServiceNowChange', serviceNowValues);
    await page.waitForSelector('[data-view="isdServiceNowChange-editor"] .isd-servicenow-config');
    expect(await page.inputValue('[name="parameterValues.assignmentGroup"]')).toBe('CAB Approval');
    expect(await page.inputValue('[name="parameterValues.changeType"]')).toBe('normal');
    await session.screenshot('isdServiceNowChange-editor');
  });

  it('shows the change request waiting for approval, then Approved once the CAB approves it', async () => {
    const run = startStage('servicenow', serviceNowValues);
    const context = await waitingContext(run);
    await loginInBrowser(session, gate, 'bob');
    await session.renderExecution('isdServiceNowChange', context);
    const { page } = session;
    await page.waitForSelector('.isd-servicenow-number a');
    const number = (await page.textContent('.isd-servicenow-number a')) ?? '';
    expect(number).toMatch(/^CHG\d{7}$/);
    servicenow.decide(number, 'requested');
    await page.click('text=Refresh');
    await page.waitForFunction(() => document.querySelector('.isd-servicenow-approval')?.textContent === 'requested');
    expect(await page.textContent('.isd-servicenow-state')).toBe('Authorize');
    expect(await page.textContent('.isd-status')).toBe('Waiting for approval');
    await session.screenshot('real-visibility-servicenow-waiting');

    servicenow.decide(number, 'approved');
    const execution = await run.done;
    expect(execution.status).toBe('SUCCEEDED');
    await page.click('text=Refresh');
    await page.waitForFunction(() => document.querySelector('.isd-status')?.textContent === 'Approved');
  });

  it('shows the Ansible job running with the end of its output, then Succeeded', async () => {
    const run = startStage('awx', {
      jobTemplate: 'deploy-checkout',
      extraVars: { version: '2.4.0' },
      limit: 'web*',
      timeoutMs: 3_600_000,
    });
    const job = await waitForJob();
    awx.progress(
      job,
      'running',
      'PLAY [deploy checkout] *****\nTASK [pull image] ok: [web1]\nTASK [rolling restart] changed: [web1]\n',
    );
    const context = await waitingContext(run);
    await loginInBrowser(session, gate, 'bob');
    await session.renderExecution('isdAnsibleJob', context);
    const { page } = session;
    await page.click('text=Refresh');
    await page.waitForFunction(() =>
      document.querySelector('.isd-ansible-output')?.textContent?.includes('rolling restart'),
    );
    expect(await page.textContent('.isd-ansible-job a')).toBe(String(job));
    expect(await page.textContent('.isd-ansible-status')).toBe('running');
    await session.screenshot('real-visibility-ansible-running');
    awx.progress(job, 'successful', 'PLAY RECAP web1 : ok=3 changed=1 failed=0\n');
    expect((await run.done).status).toBe('SUCCEEDED');
    await page.click('text=Refresh');
    await page.waitForFunction(() => document.querySelector('.isd-status')?.textContent === 'Succeeded');
  });

  it('raised no errors in the page', () => {
    expect(session.pageErrors).toEqual([]);
  });
});
