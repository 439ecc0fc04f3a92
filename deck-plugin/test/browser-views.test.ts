/**
 * @jest-environment node
 */
// The Verifications, Policies and Insights views in a browser against real sidecars through the Gate
// proxy harness: autopilot judging real verifications on the demo metrics source (Prometheus's query
// API) beside 10,000 stored ones, sapor deciding real policy gates beside 10,000 stored decisions and
// evaluating the playground's draft, and sapor's insights over deployments and the audit trail that
// autopilot appended to. The page's origin forwards `/proxies/**` to the Gate harness with the
// browser's session cookie, as an ingress in front of Gate would. A verification with a log template
// reads logs from the Loki contract harness, and its execution view shows and marks the clusters.
import { renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { autopilotService, startDemoPrometheus } from '@isd/autopilot';
import type { AutopilotConfig, DemoPrometheus } from '@isd/autopilot';
import { saporService } from '@isd/sapor';
import type { SaporConfig } from '@isd/sapor';

import { startGateProxy } from '../../test/harness/gate';
import type { GateProxy } from '../../test/harness/gate';
import { startLokiHarness } from '../../test/harness/loki';
import type { LokiHarness } from '../../test/harness/loki';
import {
  createTestDatabase,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
  TEST_GATE_TOKEN,
  TEST_SERVICE_TOKEN,
} from '@isd/test-support';
import { forwardToGate, loginInBrowser } from './browser/gate-forwarding';
import { startBrowserSession } from './browser/session';
import type { BrowserSession } from './browser/session';

const MINUTE = 60_000;
// The demo metrics' noise origin: windows placed relative to it read the same samples every run, so the
// verdicts below do not depend on the judge's false-alarm rate (about 1 in 100 healthy verifications).
const METRICS_ORIGIN_MS = Date.now();
const SEEDED = 10_000;
const users = { bob: ['dev'], 'policy-admin': { roles: ['admin'], admin: true } };

let metrics: DemoPrometheus;
let loki: LokiHarness;
let autopilot: RunningService<AutopilotConfig>;
let sapor: RunningService<SaporConfig>;
let gate: GateProxy;
let session: BrowserSession;

async function call(base: string, method: string, path: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(`${base}${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Starts a verification of windows already past (judged at once) and waits for its verdict. */
async function verify(pipelineName: string, executionId: string, canary: string, startedMinutesAgo: number) {
  const created = await call(
    autopilot.url,
    'POST',
    '/api/v1/verifications',
    {
      application: 'checkout',
      pipelineName,
      executionId,
      stageId: 'verify',
      template: { name: 'golden' },
      baseline: { deployment: 'demo-baseline' },
      canary: { deployment: canary },
      startTime: new Date(METRICS_ORIGIN_MS - startedMinutesAgo * MINUTE).toISOString(),
      lifetimeMs: 15 * MINUTE,
      intervalMs: 5 * MINUTE,
    },
    serviceHeaders(),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const view = await call(
      autopilot.url,
      'GET',
      `/api/v1/verifications/${String(created.id)}`,
      undefined,
      serviceHeaders(),
    );
    if (view.status !== 'running') return view;
    if (Date.now() > deadline) throw new Error(`verification ${String(created.id)} is still running`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function decideGate(executionId: string, params: Record<string, unknown>) {
  return call(
    sapor.url,
    'POST',
    '/api/v1/policy-gates',
    {
      application: 'checkout',
      pipelineName: 'deploy-prod',
      pipelineId: 'pipeline-checkout',
      executionId,
      stageId: 'policy',
      triggeredBy: 'alice',
      policy: 'isd/deploy',
      params,
    },
    serviceHeaders(),
  );
}

/** Logs of 20 minutes ago: both pods log the same requests, only the canary a new exception. */
function pushCheckoutLogs(startMs: number) {
  const ns = (ms: number) => BigInt(ms) * 1_000_000n;
  for (const pod of ['checkout-v1', 'checkout-v2']) {
    const labels = { app: 'checkout', pod };
    const entries = Array.from({ length: 300 }, (_, i) => ({
      labels,
      ts: ns(startMs + i * 500),
      line: `INFO GET /cart/${i * 7} 200`,
    }));
    if (pod === 'checkout-v2') {
      for (let i = 0; i < 6; i++) {
        entries.push({ labels, ts: ns(startMs + i * 20_000) + 1n, line: `ERROR order ${i} failed: stock is negative` });
      }
    }
    loki.push(entries);
  }
}

beforeAll(async () => {
  metrics = await startDemoPrometheus({ port: 0, originMs: METRICS_ORIGIN_MS });
  loki = await startLokiHarness();
  sapor = await startTestService(
    saporService,
    testServiceConfig(saporService, { databaseUrl: await createTestDatabase('deck_views_sapor'), users }),
  );
  autopilot = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('deck_views_autopilot'),
      users,
      extra: {
        providers: { demo: { type: 'prometheus', url: metrics.url, timeoutMs: 5_000 } },
        logProviders: { loki: { type: 'loki', url: loki.url } },
        audit: { url: sapor.url, token: TEST_SERVICE_TOKEN },
      },
    }),
  );
  await call(
    autopilot.url,
    'POST',
    '/api/v1/templates',
    {
      name: 'golden',
      application: 'checkout',
      stepSeconds: 30,
      metrics: [
        { name: 'latency', query: 'avg(demo_request_latency_seconds{${scope}})', unit: 's', direction: 'increase' },
        { name: 'errors', query: 'avg(demo_error_ratio{${scope}})', unit: 'ratio', direction: 'increase' },
      ],
    },
    gateHeaders('bob'),
  );
  // 10,000 older verifications: the view pages through them instead of loading them all.
  await autopilot.database.query(
    `INSERT INTO verifications (id, execution_id, stage_id, application, pipeline_name, request, template, template_name,
                                template_version, judge, thresholds, windows, status, score, created_at)
     SELECT gen_random_uuid(), 'old-' || n, 'verify', 'checkout', 'deploy-prod', '{}', '{"metrics":[]}', 'golden', 1,
            'isd', '{"pass":80,"marginal":60}', '[]', 'pass', 80 + n % 20, now() - interval '2 days' - n * interval '1 hour'
     FROM generate_series(1, $1) AS n`,
    [SEEDED],
  );
  await verify('deploy-prod', 'exec-healthy', 'demo-canary-healthy', 40);
  await verify('deploy-prod', 'exec-degraded', 'demo-canary-degraded', 30);
  await verify('deploy-staging', 'exec-staging', 'demo-canary-healthy', 20);

  await call(
    sapor.url,
    'PUT',
    '/api/v1/policies/deploy-rules',
    {
      description: 'Production deploys need a change ticket',
      source:
        'package isd.deploy\n\ndeny contains "deploys to prod need a change ticket" if not input.params.ticket\n\ntest_ticket_needed if { count(deny) == 1 with input as {"params": {}} }\n',
    },
    gateHeaders('policy-admin'),
  );
  await sapor.database.query(
    `INSERT INTO policy_gates (id, execution_id, stage_id, application, pipeline_name, policy_path, status, messages,
                               decision_id, input_digest, created_at)
     SELECT gen_random_uuid(), 'old-' || n, 'policy', 'checkout', 'deploy-prod', 'data.isd.deploy', 'allow', '[]',
            gen_random_uuid(), 'sha256:seeded', now() - interval '2 days' - n * interval '1 hour'
     FROM generate_series(1, $1) AS n`,
    [SEEDED],
  );
  await decideGate('exec-ticket', { ticket: 'CHG-1042' });
  await decideGate('exec-no-ticket', {});

  // Deployments as sapor's sync stores them, over the last 12 weeks: daily successes, a failure every
  // ninth day restored by the next day's success.
  await sapor.database.query(
    `INSERT INTO insights_deployments (execution_id, environment, application, pipeline_name, outcome, triggered_at, finished_at)
     SELECT 'deploy-' || n, 'production', 'checkout', 'deploy-prod', CASE WHEN n % 9 = 0 THEN 'failure' ELSE 'success' END,
            now() - n * interval '1 day' - interval '3 hours', now() - n * interval '1 day'
     FROM generate_series(1, 84) AS n`,
  );
  for (let week = 0; week < 12; week++) {
    await call(
      sapor.url,
      'POST',
      '/api/v1/audit/records',
      {
        source: 'visibility',
        key: `approval-${week}`,
        type: 'approval',
        outcome: week % 4 === 0 ? 'rejected' : 'approved',
        application: 'checkout',
        actor: 'bob',
        occurredAt: new Date(Date.now() - (week * 7 + 2) * 24 * 60 * MINUTE).toISOString(),
        details: { waitMs: (10 + week * 5) * MINUTE },
      },
      serviceHeaders(),
    );
  }

  // autopilot appends each verdict to sapor's audit trail in a job: wait until all three are there.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const audit = await fetch(`${sapor.url}/api/v1/audit?application=checkout&type=verification`, {
      headers: serviceHeaders(),
    });
    const { records } = (await audit.json()) as { records: unknown[] };
    if (records.length >= 3) break;
    if (Date.now() > deadline) throw new Error(`autopilot appended ${records.length} of 3 verdicts to the audit trail`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  gate = await startGateProxy({
    gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
    gateToken: TEST_GATE_TOKEN,
    targets: { autopilot: autopilot.url, sapor: sapor.url },
  });
  session = await startBrowserSession(forwardToGate(gate));
  expect(await session.loadPlugin()).toContain('isdVerificationGate');
  await loginInBrowser(session, gate, 'bob');
}, 300_000);

afterAll(async () => {
  await session?.close();
  await gate?.close();
  await autopilot?.stop();
  await sapor?.stop();
  await metrics?.close();
  await loki?.close();
});

describe('the application views in the browser, through the Gate proxy, against real sidecars', () => {
  it('Verifications: the newest page of 10,000, scores per pipeline, and a report with baseline vs canary', async () => {
    await session.renderApplicationView('isdVerifications', 'checkout');
    await session.page.waitForSelector('.isd-verification-row');
    expect(await session.page.locator('.isd-verification-row').count()).toBe(50);
    const first = await session.page.locator('.isd-verification-row').first().textContent();
    expect(first).toContain('deploy-staging');
    expect(await session.page.locator('svg[aria-label^="Score over time"] [data-series]').count()).toBe(2);

    await session.page.locator('.isd-verification-row', { hasText: 'Fail' }).getByRole('button').click();
    await session.page.waitForSelector('.isd-metric-report');
    expect(await session.page.textContent('.isd-verification-report')).toContain('Fail');
    const latency = session.page.locator('svg[aria-label^="latency: baseline vs canary"]');
    expect(await latency.locator('.isd-chart-y-label').textContent()).toBe('latency (s)');
    expect(await latency.locator('[data-series="canary"] path').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+L/);
    await session.screenshot('real-sidecars-verifications-view');

    await session.page.click('text=Next');
    await session.page.waitForSelector('text=Page 2');
    await session.page.waitForFunction(
      () =>
        document.querySelectorAll('.isd-verification-row').length === 50 &&
        !document.querySelector('.isd-verification-row')?.textContent?.includes('deploy-staging'),
    );
    const forwarded = gate.forwarded.filter((request) => request.url.includes('/api/v1/verifications?'));
    expect(forwarded.at(-1)?.url).toMatch(/cursor=/);
    expect(forwarded.at(-1)?.headers['X-SPINNAKER-USER']).toBe('bob');
  });

  it('Policies: the policy in force, decisions with reasons and input, and the playground', async () => {
    await session.renderApplicationView('isdPolicies', 'checkout');
    await session.page.waitForSelector('.isd-policy-row');
    expect(await session.page.textContent('.isd-policy-row')).toContain('deploy-rules');
    await session.page.waitForSelector('.isd-decision-row');
    const newest = session.page.locator('.isd-decision-row').first();
    expect(await newest.textContent()).toContain('deploys to prod need a change ticket');
    await newest.getByRole('button').click();
    await session.page.waitForSelector('.isd-decision-input');
    expect(await session.page.textContent('.isd-decision-input')).toContain('"kind": "runtime"');

    await session.page.click('text=Use in the playground');
    await session.page.waitForFunction(() =>
      (document.querySelector('#isd-playground-source') as HTMLTextAreaElement | null)?.value.includes('ticket'),
    );
    const source = await session.page.inputValue('#isd-playground-source');
    await session.page.fill(
      '#isd-playground-source',
      source.replace('not input.params.ticket', 'not startswith(object.get(input.params, "ticket", ""), "CHG-")'),
    );
    await session.page.fill('#isd-playground-input', '{"params": {"ticket": "JIRA-7"}}');
    await session.page.click('.isd-evaluate');
    await session.page.waitForSelector('.isd-playground-result, .isd-playground-form .isd-error');
    expect(await session.page.locator('.isd-playground-form .isd-error').allTextContents()).toEqual([]);
    expect(await session.page.textContent('.isd-evaluation-result')).toContain('deploys to prod need a change ticket');
    expect(await session.page.textContent('.isd-test-results')).toContain('test_ticket_needed');
    await session.screenshot('real-sidecars-policies-view');
    // The draft was only evaluated: the live policy is unchanged.
    const live = await call(sapor.url, 'GET', '/api/v1/policies/deploy-rules', undefined, serviceHeaders());
    expect(live.version).toBe(1);
  });

  it('Insights: DORA measures and gate numbers per week as charts', async () => {
    await session.renderApplicationView('isdInsights', 'checkout');
    await session.page.waitForSelector('svg[aria-label^="Deployments"]');
    const successful = session.page.locator('svg[aria-label^="Deployments"] [data-series="successful"] circle');
    expect(await successful.count()).toBe(12);
    expect(await session.page.locator('svg[aria-label^="Approval wait"] [data-series="median"] circle').count()).toBe(
      12,
    );
    // autopilot appended its three verdicts to sapor's audit trail: the newest week has their mean score.
    expect(await session.page.locator('svg[aria-label^="Verification score"] circle').count()).toBe(1);
    await session.screenshot('real-sidecars-insights-view');
  });

  // Last, so its verdict does not change what the views above count.
  it('Logs: a verification with a log template shows its clusters, and bob marks one in its execution view', async () => {
    const startMs = Math.floor((Date.now() - 20 * MINUTE) / MINUTE) * MINUTE;
    pushCheckoutLogs(startMs);
    await call(
      autopilot.url,
      'POST',
      '/api/v1/log-templates',
      { name: 'checkout-logs', application: 'checkout', provider: 'loki', query: '{${scope}}' },
      gateHeaders('bob'),
    );
    const created = await call(
      autopilot.url,
      'POST',
      '/api/v1/verifications',
      {
        application: 'checkout',
        pipelineName: 'deploy-prod',
        executionId: 'exec-logs',
        stageId: 'verify',
        template: null,
        logTemplate: { name: 'checkout-logs' },
        weights: null,
        baseline: { app: 'checkout', pod: 'checkout-v1' },
        canary: { app: 'checkout', pod: 'checkout-v2' },
        startTime: new Date(startMs).toISOString(),
        lifetimeMs: 3 * MINUTE,
      },
      serviceHeaders(),
    );
    const id = String(created.id);
    const deadline = Date.now() + 60_000;
    let view = created;
    while (view.status === 'running') {
      if (Date.now() > deadline) throw new Error(`verification ${id} is still running`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = await call(autopilot.url, 'GET', `/api/v1/verifications/${id}`, undefined, serviceHeaders());
    }

    await session.renderExecution('isdVerificationGate', {
      statusEndpoint: `http://autopilot.isd.svc/api/v1/verifications/${id}`,
      parameterValues: { logTemplate: { name: 'checkout-logs' } },
      webhook: { statusCode: 'ACCEPTED', monitor: { body: view } },
    });
    const cluster = session.page.locator('.isd-log-cluster', { hasText: 'stock is negative' });
    await session.page.waitForSelector('text=This verification reads logs only.');
    await cluster.waitFor();
    expect(await cluster.locator('.isd-baseline-count').textContent()).toBe('0');
    expect(await cluster.locator('.isd-canary-count').textContent()).toBe('6');
    expect(await cluster.locator('.isd-current-mark').count()).toBe(0);

    // From the keyboard: focus the button and press Enter.
    await cluster.getByRole('button', { name: 'Mark ignorable' }).focus();
    await session.page.keyboard.press('Enter');
    await cluster.locator('.isd-current-mark').waitFor();
    expect(await cluster.locator('.isd-current-mark').textContent()).toMatch(/^Marked ignorable by bob at /);
    await session.screenshot('real-sidecars-verification-logs');

    const put = gate.forwarded.find((request) => request.method === 'PUT' && request.url.includes('/log-marks/'));
    expect(put?.headers['X-SPINNAKER-USER']).toBe('bob');
    const marks = await call(
      autopilot.url,
      'GET',
      '/api/v1/applications/checkout/log-marks',
      undefined,
      serviceHeaders(),
    );
    expect(marks.marks).toEqual([expect.objectContaining({ mark: 'ignorable', markedBy: 'bob' })]);
  });

  it('Tests: a test verification judged by autopilot, with its tables and chart in the execution view', async () => {
    const junit = (cases: string[]) =>
      `<?xml version="1.0"?><testsuite name="com.acme.CartTest">${cases.join('')}</testsuite>`;
    const pass = (name: string, seconds: number) =>
      `<testcase classname="com.acme.CartTest" name="${name}" time="${seconds}"/>`;
    const fail = (name: string, seconds: number, message: string) =>
      `<testcase classname="com.acme.CartTest" name="${name}" time="${seconds}"><failure message="${message}"/></testcase>`;
    const baseline = (shipping: number) =>
      junit([
        pass('adds', 0.02),
        pass('pays', 0.1),
        pass('refunds', 0.05),
        pass('ships', shipping),
        pass('taxes', 0.03),
      ]);
    const created = await call(
      autopilot.url,
      'POST',
      '/api/v1/test-verifications',
      {
        application: 'checkout',
        pipelineName: 'deploy-prod',
        executionId: 'exec-tests',
        stageId: 'tests',
        baseline: [
          { xml: baseline(0.3), label: 'checkout-build #40' },
          { xml: baseline(0.32), label: 'checkout-build #41' },
        ],
        canary: [
          {
            label: 'checkout-build #42',
            xml: junit([
              pass('adds', 0.02),
              fail('pays', 0.1, 'timeout talking to payments'),
              fail('refunds', 0.05, 'expected REFUNDED but was OPEN'),
              pass('ships', 1.2),
              pass('taxes', 0.03),
            ]),
          },
          {
            label: 'checkout-build #43',
            xml: junit([
              pass('adds', 0.02),
              pass('pays', 0.1),
              fail('refunds', 0.05, 'expected REFUNDED but was OPEN'),
              pass('ships', 1.3),
              pass('taxes', 0.03),
            ]),
          },
        ],
      },
      serviceHeaders(),
    );
    const id = String(created.id);
    const deadline = Date.now() + 60_000;
    let view = created;
    while (view.status === 'running') {
      if (Date.now() > deadline) throw new Error(`test verification ${id} is still running`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = await call(autopilot.url, 'GET', `/api/v1/test-verifications/${id}`, undefined, serviceHeaders());
    }
    expect(view).toMatchObject({ status: 'fail', score: 25 });

    await session.renderExecution('isdTestVerificationGate', {
      statusEndpoint: `http://autopilot.isd.svc/api/v1/test-verifications/${id}`,
      webhook: { statusCode: 'ACCEPTED', monitor: { body: view } },
    });
    const root = session.page.locator('[data-view="isdTestVerificationGate-execution"]');
    await root.locator('.isd-new-failures').waitFor();
    expect(await root.locator('.isd-status').textContent()).toBe('Fail');
    expect(await root.locator('.isd-new-failures tbody tr').first().textContent()).toBe(
      'refundsexpected REFUNDED but was OPEN2 passed2 failed',
    );
    expect(await root.locator('.isd-flaky tbody tr').first().textContent()).toBe(
      'pays1 passed, 1 failed2 passednewly flaky',
    );
    expect(await root.locator('.isd-slower tbody tr').first().textContent()).toMatch(/^ships310 ms1\.3 s4\.03×$/);
    expect(await root.locator('.isd-suite-chart svg circle').count()).toBeGreaterThan(0);
    // The view refreshed from autopilot through the Gate proxy, and its report link goes the same way.
    expect(gate.forwarded.some((request) => request.url.includes(`/api/v1/test-verifications/${id}`))).toBe(true);
    const report = await root.locator('.isd-report-link').getAttribute('href');
    const answer = await session.page.evaluate(async (url) => (await fetch(url!)).status, report);
    expect(answer).toBe(200);
    await session.screenshot('real-sidecars-test-verification');

    // The Verifications view lists it (the newest run of checkout) beside the metric runs, and its Report
    // link is autopilot's HTML page through the Gate proxy.
    await session.renderApplicationView('isdVerifications', 'checkout');
    const row = session.page.locator(`.isd-verification-row[data-id="${id}"]`);
    await row.waitFor();
    expect(await session.page.locator('.isd-verification-row').first().getAttribute('data-id')).toBe(id);
    expect(await row.getAttribute('data-kind')).toBe('test');
    expect(await row.textContent()).toMatch(/Fail25testsdeploy-prodcheckout-build #42, checkout-build #43/);
    expect(await session.page.locator('.isd-verification-row[data-kind="metric"]').count()).toBeGreaterThan(40);
    const href = await row.locator('.isd-report-link').getAttribute('href');
    const page = await session.page.evaluate(async (url) => {
      const response = await fetch(url!);
      return { type: response.headers.get('content-type'), text: await response.text() };
    }, href);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.text).toContain('timeout talking to payments');
    expect(page.text).toContain('data-count="newFailures"><b>1</b>');
    expect(page.text).toContain('data-count="flaky"><b>1</b>');
    await session.screenshot('real-sidecars-verifications-with-tests');
  });

  it('raised no errors in the page', () => {
    expect(session.pageErrors).toEqual([]);
  });
});
