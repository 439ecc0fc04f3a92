// The ServiceNow stage end to end: the real visibility service on real Postgres acting on the ServiceNow
// contract harness, called as Orca calls it (directly, with a test clock) and through the Orca harness
// running the rendered preconfigured webhook.
import { createVisibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';
import type { RunningService } from '@isd/kit';
import { gateStages } from '@isd/orca-stages';
import {
  createTestDatabase,
  serviceHeaders,
  startTestService,
  testServiceConfig,
  TEST_SERVICE_TOKEN,
} from '@isd/test-support';
import { startServiceNowHarness } from '../harness/servicenow';
import type { ServiceNowHarness } from '../harness/servicenow';
import { renderTestOrcaLocal, startPipeline } from '../harness/orca';
import { waitFor } from './pipeline-support';

jest.setTimeout(60_000);

const SN_USER = 'isd.integration';
const SN_PASSWORD = 'sn-password-1234';
const users = { alice: ['developers'] };

let nowMs = Date.parse('2026-12-01T10:00:00Z');
const clock = { now: () => new Date(nowMs), advance: (ms: number) => (nowMs += ms) };

let servicenow: ServiceNowHarness;
let visibility: RunningService<VisibilityConfig>;
let databaseUrl: string;

async function startVisibility(connection: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const service = createVisibilityService({ now: clock.now });
  return startTestService(
    service,
    testServiceConfig(service, {
      databaseUrl,
      users,
      extra: {
        connectors: { servicenow: connection },
        externalStages: { pollIntervalMs: 5_000, createLeaseMs: 30_000 },
        ...extra,
      },
    }),
  );
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase('e2e_servicenow');
  servicenow = await startServiceNowHarness({ user: SN_USER, password: SN_PASSWORD });
  visibility = await startVisibility({ url: servicenow.url, user: SN_USER, password: SN_PASSWORD });
});

afterAll(async () => {
  await visibility?.stop();
  await servicenow?.close();
});

let sequence = 0;
function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  sequence += 1;
  return {
    application: 'shop',
    pipelineName: 'deploy-prod',
    pipelineId: 'pipeline-1',
    executionId: `exec-sn-${sequence}-${Math.random().toString(36).slice(2)}`,
    stageId: 'stage-change',
    triggeredBy: 'alice',
    shortDescription: 'Deploy shop 1.5.0 to "prod"',
    description: 'Canary passed.',
    changeType: 'normal',
    assignmentGroup: 'CAB Approval',
    category: 'Software',
    timeoutMs: 3_600_000,
    ...overrides,
  };
}

interface Reply {
  status: number;
  location: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON fields
  body: any;
}

async function call(method: string, path: string, body?: unknown, base = visibility.url): Promise<Reply> {
  const response = await fetch(base + path, {
    method,
    headers: serviceHeaders(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, location: response.headers.get('location'), body: text ? JSON.parse(text) : null };
}
const create = (body: Record<string, unknown>, base?: string) => call('POST', '/api/v1/servicenow-changes', body, base);

describe('ServiceNow stage through visibility', () => {
  it('creates the change request once, and is done when it is approved', async () => {
    const body = payload();
    const created = await create(body);
    expect(created.status).toBe(202);
    const number = created.body.ref.id as string;
    expect(number).toMatch(/^CHG\d{7}$/);
    expect(created.body).toMatchObject({
      status: 'waiting',
      message: `created ${number}; ${number} is New, approval not requested`,
      observed: { state: 'New', approval: 'not requested' },
    });
    const record = servicenow.changes.find((change) => change.number === number);
    expect(record).toMatchObject({
      short_description: 'Deploy shop 1.5.0 to "prod"',
      type: 'normal',
      assignment_group: 'CAB Approval',
      category: 'Software',
      correlation_id: `isd-run-${created.body.id as string}`,
    });
    expect(record?.description).toContain('Canary passed.');
    expect(record?.description).toContain(`execution ${String(body.executionId)}`);
    expect(created.body.ref.url).toBe(
      `${servicenow.url}/nav_to.do?uri=${encodeURIComponent(`change_request.do?sys_id=${record?.sys_id ?? ''}`)}`,
    );

    const count = servicenow.changes.length;
    expect((await create(body)).body.id).toBe(created.body.id);
    expect(servicenow.changes.length).toBe(count);

    servicenow.decide(number, 'requested');
    clock.advance(5_000);
    expect((await call('GET', created.location as string)).body.message).toBe(
      `${number} is Authorize, approval requested`,
    );
    servicenow.decide(number, 'approved');
    clock.advance(5_000);
    const done = await call('GET', created.location as string);
    expect(done.body).toMatchObject({ status: 'done', message: `${number} is approved (state Scheduled)` });
  });

  it('ends rejected when the change is rejected or canceled without approval', async () => {
    const rejected = await create(payload());
    servicenow.decide(rejected.body.ref.id, 'rejected');
    clock.advance(5_000);
    expect((await call('GET', rejected.location as string)).body).toMatchObject({
      status: 'rejected',
      message: `${rejected.body.ref.id as string} was rejected`,
    });
    const canceled = await create(payload());
    servicenow.setState(canceled.body.ref.id, '4');
    clock.advance(5_000);
    expect((await call('GET', canceled.location as string)).body).toMatchObject({
      status: 'rejected',
      message: `${canceled.body.ref.id as string} is Canceled without approval`,
    });
  });

  it('adopts the change an unanswered create made instead of creating another', async () => {
    servicenow.failNext('POST', '/api/now/table/change_request', { status: 504 });
    const created = await create(payload());
    expect(created.body.status).toBe('creating');
    expect(created.body.message).toMatch(/^ServiceNow answered 504 .*; trying again$/);
    // As if the POST had reached ServiceNow before the gateway gave up.
    servicenow.changes.push({
      sys_id: 'f'.repeat(32),
      number: 'CHG0099999',
      state: '-5',
      approval: 'not requested',
      short_description: 'Deploy shop',
      correlation_id: `isd-run-${created.body.id as string}`,
    });
    const count = servicenow.changes.length;
    clock.advance(30_000);
    const adopted = await call('GET', created.location as string);
    expect(adopted.body).toMatchObject({ status: 'waiting', ref: { id: 'CHG0099999' } });
    expect(adopted.body.message).toMatch(/^found CHG0099999, created by an earlier try/);
    expect(servicenow.changes.length).toBe(count);
  });

  it('fails with ServiceNow’s own words when it refuses, and refuses bad input with 400', async () => {
    const noRole = await startServiceNowHarness({ user: SN_USER, password: SN_PASSWORD, mayCreate: false });
    const restricted = await startVisibility({ url: noRole.url, user: SN_USER, password: SN_PASSWORD });
    const wrong = await startVisibility({ url: servicenow.url, user: SN_USER, password: 'old' });
    try {
      expect((await create(payload(), restricted.url)).body).toMatchObject({
        status: 'failed',
        message: expect.stringMatching(
          /^ServiceNow answered 403 .*: Operation Failed: ACL Exception Insert Failed due to security constraints$/,
        ),
      });
      expect((await create(payload(), wrong.url)).body.message).toMatch(
        /^ServiceNow answered 401 .*: User Not Authenticated: Required to provide Auth information$/,
      );
    } finally {
      await restricted.stop();
      await wrong.stop();
      await noRole.close();
    }
    const badType = await create(payload({ changeType: 'urgent' }));
    expect(badType.status).toBe(400);
    expect(JSON.stringify(badType.body)).toContain('body.changeType');
    const long = await create(payload({ shortDescription: 'x'.repeat(161) }));
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body)).toContain('body.shortDescription');
  });

  it('times out without an approval, and fails when the change request disappears', async () => {
    const slow = await create(payload({ timeoutMs: 600_000 }));
    clock.advance(600_000);
    expect((await call('GET', slow.location as string)).body).toMatchObject({
      status: 'timeout',
      message: `timed out after 10m; ${slow.body.ref.id as string} was last unread`,
    });
    const gone = await create(payload());
    servicenow.changes.splice(
      servicenow.changes.findIndex((change) => change.number === gone.body.ref.id),
      1,
    );
    clock.advance(5_000);
    expect((await call('GET', gone.location as string)).body).toMatchObject({
      status: 'failed',
      message: expect.stringContaining("No Record found: Record doesn't exist or ACL restricts the record retrieval"),
    });
  });
});

describe('ServiceNow stage in a pipeline (Orca harness, rendered orca-local.yml)', () => {
  it('waits for the approval and then succeeds', async () => {
    const service = createVisibilityService();
    const live = await startTestService(
      service,
      testServiceConfig(service, {
        databaseUrl,
        users,
        extra: {
          connectors: { servicenow: { url: servicenow.url, user: SN_USER, password: SN_PASSWORD } },
          externalStages: { pollIntervalMs: 1 },
        },
      }),
    );
    try {
      const stage = gateStages.servicenow;
      const run = startPipeline(
        {
          orcaLocal: renderTestOrcaLocal({
            visibility: live.url.replace('127.0.0.1', 'localhost'),
            autopilot: 'http://localhost:9',
            sapor: 'http://localhost:9',
          }),
          springEnvironment: { ISD_SERVICE_TOKEN: TEST_SERVICE_TOKEN },
          timeFactor: 0.02,
        },
        {
          application: 'shop',
          name: 'deploy-prod',
          pipelineConfigId: 'pipeline-sn',
          user: 'alice',
          stages: [
            {
              refId: '1',
              name: stage.label,
              type: stage.key,
              context: {
                alias: 'preconfiguredWebhook',
                ...stage.stageDefaults,
                parameterValues: { shortDescription: 'Pipeline change', changeType: 'standard', timeoutMs: 600_000 },
              },
            },
          ],
        },
      );
      const change = await waitFor('the change request', () =>
        servicenow.changes.find((record) => record.short_description === 'Pipeline change'),
      );
      await waitFor('a monitor poll', () => run.execution.requests.some((request) => request.phase === 'monitor'));
      expect(run.execution.status).toBe('RUNNING');
      servicenow.decide(change.number as string, 'approved');
      const execution = await run.done;
      expect(execution.status).toBe('SUCCEEDED');
      expect(change.type).toBe('standard');
    } finally {
      await live.stop();
    }
  });
});
