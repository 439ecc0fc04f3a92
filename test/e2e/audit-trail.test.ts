// One audit trail across services: visibility appends a closed approval and autopilot a finished
// verification to sapor's audit log through sapor's HTTP API (each from a retried job), and both are read
// back through sapor, filtered by what the user may READ.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningService, StaticUserEntry } from '@isd/kit';
import { saporService } from '@isd/sapor';
import type { SaporConfig } from '@isd/sapor';
import { autopilotService, clusterKey } from '@isd/autopilot';
import type { AutopilotConfig } from '@isd/autopilot';
import { visibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';
import {
  createTestDatabase,
  eventually,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
  TEST_SERVICE_TOKEN,
} from '../support';

const users: Record<string, StaticUserEntry> = {
  rm1: { roles: ['release-managers'], applications: { shop: ['READ', 'WRITE'] } },
  viewer: { roles: ['dev'], applications: { other: ['READ'] } },
};

let sapor: RunningService<SaporConfig>;
let visibility: RunningService<VisibilityConfig>;
let autopilot: RunningService<AutopilotConfig>;
let prometheus: http.Server;

beforeAll(async () => {
  sapor = await startTestService(
    saporService,
    testServiceConfig(saporService, { databaseUrl: await createTestDatabase('sapor'), users }),
  );
  visibility = await startTestService(
    visibilityService,
    testServiceConfig(visibilityService, {
      databaseUrl: await createTestDatabase('visibility'),
      users,
      extra: { sapor: { url: sapor.url, token: TEST_SERVICE_TOKEN } },
    }),
  );
  // Prometheus's range API (POST form, `matrix` result): the same steady series for baseline and canary.
  prometheus = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    request.on('end', () => {
      const form = new URLSearchParams(text);
      const start = Number(form.get('start'));
      const end = Number(form.get('end'));
      const values: Array<[number, string]> = [];
      for (let t = Math.ceil(start / 10) * 10; t <= end; t += 10) values.push([t, String(100 + (t % 7))]);
      // An instant query (the query check at creation) gets an empty vector, a range query the series.
      const range = request.url?.includes('query_range') === true;
      const data = range
        ? { resultType: 'matrix', result: [{ metric: { job: 'app' }, values }] }
        : { resultType: 'vector', result: [] };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'success', data }));
    });
  });
  await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
  const prometheusUrl = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
  autopilot = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot'),
      users,
      extra: {
        providers: { prom: { type: 'prometheus', url: prometheusUrl, timeoutMs: 2_000 } },
        audit: { url: sapor.url, token: TEST_SERVICE_TOKEN },
      },
    }),
  );
});
afterAll(async () => {
  await autopilot?.stop();
  await new Promise((resolve) => prometheus?.close(resolve));
  await visibility?.stop();
  await sapor?.stop();
});

async function call(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

it('an approval decided in visibility is appended to the audit trail in sapor and read back there', async () => {
  const executionId = `exec-${Date.now()}`;
  const created = await call(visibility.url, 'POST', '/api/v1/approvals', serviceHeaders(), {
    application: 'shop',
    pipelineName: 'deploy',
    pipelineId: 'pipeline-1',
    executionId,
    stageId: 'stage-1',
    triggeredBy: 'alice',
    approverGroups: [{ name: 'release-managers', required: 1 }],
    allowSelfApproval: false,
    timeoutMs: 86_400_000,
    instructions: 'ship it?',
    evidence: [],
    autoDecision: null,
  });
  expect(created.status).toBe(202);
  const id = created.body!.id as string;
  const decided = await call(visibility.url, 'POST', `/api/v1/approvals/${id}/decisions`, gateHeaders('rm1'), {
    action: 'approve',
    comment: 'dashboards green',
  });
  expect(decided.status).toBe(200);
  expect(decided.body!.status).toBe('approved');

  const record = await eventually(async () => {
    const audit = await call(sapor.url, 'GET', '/api/v1/audit?application=shop&type=approval', gateHeaders('rm1'));
    const records = (audit.body?.records ?? []) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    return records.find((candidate) => candidate.subject.approvalId === id);
  }, 20_000);
  expect(record).toMatchObject({
    source: 'visibility',
    type: 'approval',
    outcome: 'approved',
    application: 'shop',
    actor: 'rm1',
    subject: { executionId, stageId: 'stage-1', pipelineName: 'deploy', triggeredBy: 'alice' },
    details: { decisions: [{ user: 'rm1', action: 'approve', comment: 'dashboards green' }] },
  });
  expect(typeof record.details.waitMs).toBe('number');

  // A user without READ on shop sees none of it.
  const other = await call(sapor.url, 'GET', '/api/v1/audit?type=approval', gateHeaders('viewer'));
  expect(other.body!.records).toEqual([]);
  // The gates summary counts it.
  const gates = await call(sapor.url, 'GET', '/api/v1/insights/gates?application=shop', gateHeaders('rm1'));
  expect(gates.body!.applications).toMatchObject([{ application: 'shop', decisions: { approval: { approved: 1 } } }]);
});

it('a finished verification in autopilot is appended to the audit trail with its score', async () => {
  const stageId = `stage-${Date.now()}`;
  const created = await call(autopilot.url, 'POST', '/api/v1/verifications', serviceHeaders(), {
    application: 'shop',
    executionId: 'exec-verify',
    stageId,
    template: {
      stepSeconds: 10,
      metrics: [{ name: 'latency', query: 'latency{${scope}}', direction: 'increase', groups: ['latency'] }],
    },
    baseline: { deployment: 'web-v1' },
    canary: { deployment: 'web-v2' },
    startTime: new Date(Date.now() - 30 * 60_000).toISOString(),
    lifetimeMs: 20 * 60_000,
    intervalMs: null,
    thresholds: { pass: 80, marginal: 40 },
    judge: 'kayenta',
  });
  expect(created.status).toBe(202);
  const record = await eventually(async () => {
    const audit = await call(sapor.url, 'GET', '/api/v1/audit?application=shop&type=verification', gateHeaders('rm1'));
    const records = (audit.body?.records ?? []) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    return records.find((candidate) => candidate.subject.stageId === stageId);
  }, 30_000);
  expect(record).toMatchObject({
    source: 'autopilot',
    type: 'verification',
    outcome: 'pass',
    actor: 'autopilot',
    subject: { executionId: 'exec-verify', stageId },
    details: { judge: 'kayenta', thresholds: { pass: 80, marginal: 40 } },
  });
  expect(typeof record.details.score).toBe('number');
});

it('a finished test verification in autopilot is appended to the audit trail with its counts', async () => {
  const stageId = `tests-${Date.now()}`;
  const report = (outcome: string) =>
    `<testsuite name="shop.CartTest"><testcase classname="shop.CartTest" name="pays" time="0.1">${outcome}</testcase></testsuite>`;
  const created = await call(autopilot.url, 'POST', '/api/v1/test-verifications', serviceHeaders(), {
    application: 'shop',
    executionId: 'exec-tests',
    stageId,
    baseline: [{ xml: report(''), label: 'shop #1' }],
    canary: [{ xml: report('<failure message="boom"/>'), label: 'shop #2' }],
  });
  expect(created.status).toBe(202);
  const record = await eventually(async () => {
    const audit = await call(sapor.url, 'GET', '/api/v1/audit?application=shop&type=verification', gateHeaders('rm1'));
    const records = (audit.body?.records ?? []) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    return records.find((candidate) => candidate.subject.stageId === stageId);
  }, 30_000);
  expect(record).toMatchObject({
    source: 'autopilot',
    type: 'verification',
    outcome: 'fail',
    actor: 'autopilot',
    subject: { executionId: 'exec-tests', stageId },
    details: {
      kind: 'test-verification',
      score: 50,
      counts: { newFailures: 1 },
      baselineRuns: ['shop #1'],
      canaryRuns: ['shop #2'],
    },
  });
});

it("a user's mark on a log cluster in autopilot is appended to the audit trail with the user as actor", async () => {
  const template = 'ERROR order <*> failed: java.lang.IllegalStateException: stock for <*> is negative';
  const key = clusterKey(template);
  const marked = await call(autopilot.url, 'PUT', `/api/v1/applications/shop/log-marks/${key}`, gateHeaders('rm1'), {
    mark: 'ignorable',
    template,
    comment: 'known race, fixed in 2.1',
  });
  expect(marked.status).toBe(200);
  const record = await eventually(async () => {
    const audit = await call(sapor.url, 'GET', '/api/v1/audit?application=shop&type=verification', gateHeaders('rm1'));
    const records = (audit.body?.records ?? []) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    return records.find((candidate) => candidate.subject.clusterKey === key);
  }, 30_000);
  expect(record).toMatchObject({
    source: 'autopilot',
    outcome: 'ignorable',
    actor: 'rm1',
    details: { kind: 'log-cluster-mark', template, comment: 'known race, fixed in 2.1' },
  });
});
