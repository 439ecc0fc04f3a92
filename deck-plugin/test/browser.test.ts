/**
 * @jest-environment node
 */
// Loads the built plugin into headless Chromium the way Deck does (shared libraries on
// window.spinnaker.plugins.sharedLibraries, native import() of index.js, registerPluginExtensions),
// renders every stage's editor and execution view, clicks Approve, and saves screenshots.
// Sidecars answer from fixtures behind a stand-in for Gate's proxy until visibility and the Gate
// proxy harness exist (see README: "Browser test").
import { statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

import { sizeBudgetBytes } from '../build-settings';
import { builtIndexJs } from './build-plugin';
import { startBrowserSession } from './browser/session';
import type { BrowserSession } from './browser/session';
import {
  approvals,
  executionStage,
  logTemplates,
  pipelineCheckDeny,
  policies,
  policyDecisions,
  templates,
  testVerificationFail,
  verifications,
} from './fixtures';

interface ProxyCall {
  method: string;
  path: string;
  body: unknown;
}

/** Fixture answers for `/proxies/**`; the approval is stateful so a decision changes what GET returns. */
function fixtureProxy(calls: ProxyCall[]) {
  let approval = approvals.activated;
  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  return (request: { method?: string; url?: string }, body: string, response: ServerResponse) => {
    const method = request.method ?? 'GET';
    const route = `${method} ${new URL(request.url ?? '/', 'http://localhost').pathname}`;
    calls.push({ method, path: route.split(' ')[1] ?? '', body: body ? JSON.parse(body) : undefined });
    switch (route) {
      case 'GET /proxies/visibility/api/v1/approvals/apr-7f3c':
        return send(response, 200, approval);
      case 'POST /proxies/visibility/api/v1/approvals/apr-7f3c/decisions': {
        const decision = JSON.parse(body) as { action: string; comment: string };
        if (decision.action === 'reject' && !decision.comment)
          return send(response, 400, { detail: 'comment is required to reject' });
        approval = {
          ...approvals.approved,
          decisions: [
            ...approvals.activated.decisions,
            { user: 'anonymous', action: 'approve', comment: decision.comment, at: '2026-11-22T10:40:00Z' },
          ],
        };
        return send(response, 201, approval);
      }
      case 'GET /proxies/autopilot/api/v1/templates':
        return send(response, 200, { templates });
      case 'GET /proxies/autopilot/api/v1/log-templates':
        return send(response, 200, { templates: logTemplates });
      case 'GET /proxies/autopilot/api/v1/verifications/ver-19a2':
        return send(response, 200, verifications.marginal);
      case 'GET /proxies/sapor/api/v1/policies':
        return send(response, 200, { revision: 7, policies });
      case 'POST /proxies/sapor/api/v1/policies/pipeline-check':
        return send(response, 200, pipelineCheckDeny);
      default:
        return send(response, 404, { detail: `no fixture for ${route}` });
    }
  };
}

let session: BrowserSession;
const calls: ProxyCall[] = [];

beforeAll(async () => {
  session = await startBrowserSession(fixtureProxy(calls));
}, 180_000);

afterAll(async () => {
  await session?.close();
});

describe('the built plugin in Chromium', () => {
  it(`keeps index.js under the ${sizeBudgetBytes / 1024} KB budget`, () => {
    const bytes = statSync(builtIndexJs).size;
    // Reported in the test output on purpose: the size is tracked from run to run.
    console.log(
      `deck-plugin index.js: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KB of ${sizeBudgetBytes / 1024} KB budget)`,
    );
    expect(bytes).toBeLessThan(sizeBudgetBytes);
  });

  it('loads through import() and registers exactly one config per gate key, ours', async () => {
    const keys = await session.loadPlugin();
    expect(keys.sort()).toEqual([
      'isdAnsibleJob',
      'isdApprovalGate',
      'isdJiraIssue',
      'isdPolicyGate',
      'isdServiceNowChange',
      'isdTerraform',
      'isdTestVerificationGate',
      'isdVerificationGate',
    ]);
    const registered = await session.page.evaluate(() =>
      (window as never as { isdHost: { registered(): unknown } }).isdHost.registered(),
    );
    expect(registered).toEqual(
      expect.arrayContaining(keys.map((key) => ({ key, label: expect.stringContaining('ISD'), hasComponent: true }))),
    );
    expect(registered).toHaveLength(keys.length);
  });

  it.each([
    [
      'isdApprovalGate',
      {
        approverGroups: [
          { name: 'release-managers', required: 2 },
          { name: 'qa', required: 1 },
        ],
        instructions: 'Check the canary dashboard first.',
        evidence: [{ connector: 'jenkins', job: 'checkout-build' }],
      },
    ],
    [
      'isdVerificationGate',
      {
        template: { name: 'http-golden-signals', version: 2 },
        logTemplate: { name: 'web-logs', version: 3 },
        baseline: { deployment: 'checkout-baseline' },
        canary: { deployment: 'checkout-canary' },
      },
    ],
    ['isdPolicyGate', { policy: 'isd/deploy/allowed', params: { environment: 'prod' } }],
    [
      'isdTestVerificationGate',
      {
        baseline: [{ job: 'checkout-build', build: 41 }],
        canary: [
          { job: 'checkout-build', build: 42, artifact: 'dotnet/TestResults.xml' },
          { url: 'https://nexus.example.com/repository/test-results/checkout/42/TEST-cart.xml' },
        ],
      },
    ],
    [
      'isdTerraform',
      {
        workspace: 'network-prod',
        variables: { region: 'eu-west-1', replicas: 3 },
        approverGroups: [{ name: 'ops', required: 1 }],
      },
    ],
  ])('renders the %s editor with its fields and sidecar lists', async (key, parameterValues) => {
    const { page } = session;
    await session.renderEditor(key, parameterValues);
    await page.waitForSelector(`[data-view="${key}-editor"] .sp-formItem`);
    if (key !== 'isdApprovalGate')
      await page.waitForSelector(`[data-view="${key}-editor"] option:not([value=""])`, { state: 'attached' });
    await page.click('text=Check pipeline against policies');
    await page.waitForSelector('.isd-check-denied');
    expect(await page.locator('.isd-field-row, .sp-formItem').count()).toBeGreaterThan(1);
    await session.screenshot(`${key}-editor`);
  });

  it.each([
    [
      'isdVerificationGate',
      executionStage('isdVerificationGate', verifications.marginal, {
        statusEndpoint: 'https://autopilot.example/api/v1/verifications/ver-19a2',
        parameterValues: { thresholds: { pass: 80, marginal: 60 } },
      }),
      'Marginal',
    ],
    ['isdPolicyGate', executionStage('isdPolicyGate', policyDecisions.deny), 'Denied'],
    ['isdTestVerificationGate', executionStage('isdTestVerificationGate', testVerificationFail), 'Fail'],
  ])('renders the %s execution view', async (key, stage, statusText) => {
    const { page } = session;
    await session.renderExecution(key, stage.context);
    await page.waitForSelector(`[data-view="${key}-execution"] .isd-status`);
    expect(await page.textContent(`[data-view="${key}-execution"] .isd-status`)).toBe(statusText);
    await session.screenshot(`${key}-execution`);
  });

  it('clicks Approve on the approval execution view and sees the status change', async () => {
    const stage = executionStage('isdApprovalGate', approvals.activated);
    const { page } = session;
    await session.renderExecution('isdApprovalGate', stage.context);
    await page.waitForSelector('.isd-approve');
    expect(await page.textContent('.isd-status')).toBe('Waiting for approval');
    await session.screenshot('isdApprovalGate-execution');
    await page.fill('#isd-decision-comment', 'Canary looks healthy');
    await page.click('.isd-approve');
    await page.waitForFunction(() => document.querySelector('.isd-status')?.textContent === 'Approved');
    expect(calls).toContainEqual({
      method: 'POST',
      path: '/proxies/visibility/api/v1/approvals/apr-7f3c/decisions',
      body: { action: 'approve', comment: 'Canary looks healthy', evidenceDigest: approvals.activated.evidenceDigest },
    });
    await session.screenshot('isdApprovalGate-execution-approved');
  });

  it('raised no errors in the page', () => {
    expect(session.pageErrors).toEqual([]);
  });
});
