// The JIRA stage end to end: the real visibility service on real Postgres acting on the JIRA contract
// harness, called as Orca calls it (directly, with a test clock) and through the Orca harness running
// the rendered preconfigured webhook.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createVisibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';
import type { RunningService } from '@isd/kit';
import { gateStages } from '@isd/orca-stages';
import {
  createTestDatabase,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
  TEST_SERVICE_TOKEN,
} from '@isd/test-support';
import { startJiraHarness } from '../harness/jira';
import type { JiraHarness } from '../harness/jira';
import { renderTestOrcaLocal, startPipeline } from '../harness/orca';
import type { PipelineRun } from '../harness/orca';
import { waitFor } from './pipeline-support';

jest.setTimeout(60_000);

const JIRA_USER = 'isd-bot@example.com';
const JIRA_TOKEN = 'jira-api-token-1234';
const MINUTE = 60_000;
const users = {
  alice: ['developers'],
  stranger: { roles: ['marketing'], applications: { other: ['READ' as const] } },
};

let nowMs = Date.parse('2026-12-01T10:00:00Z');
const clock = { now: () => new Date(nowMs), advance: (ms: number) => (nowMs += ms) };

let jira: JiraHarness;
let visibility: RunningService<VisibilityConfig>;
let databaseUrl: string;

async function startVisibility(jiraConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const service = createVisibilityService({ now: clock.now });
  const config = testServiceConfig(service, {
    databaseUrl,
    users,
    extra: {
      connectors: { jira: jiraConfig },
      approvals: { deckUrl: 'https://deck.example.com' },
      externalStages: { pollIntervalMs: 5_000, createLeaseMs: 30_000 },
      ...extra,
    },
  });
  return startTestService(service, config);
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase('e2e_jira');
  jira = await startJiraHarness({
    user: JIRA_USER,
    apiToken: JIRA_TOKEN,
    projects: { OPS: ['Task', 'Change'] },
  });
  visibility = await startVisibility({ url: jira.url, user: JIRA_USER, apiToken: JIRA_TOKEN });
});

afterAll(async () => {
  await visibility?.stop();
  await jira?.close();
});

let sequence = 0;
function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  sequence += 1;
  return {
    application: 'shop',
    pipelineName: 'deploy-prod',
    pipelineId: 'pipeline-1',
    executionId: `exec-${sequence}-${Math.random().toString(36).slice(2)}`,
    stageId: 'stage-jira',
    triggeredBy: 'alice',
    project: 'OPS',
    issueType: 'Change',
    summary: 'Deploy shop 1.5.0 to "prod"',
    description: 'Release notes: {code}a = b{code}',
    labels: ['release', 'shop'],
    transition: 'Submit for Review',
    waitForStatuses: ['Done'],
    rejectStatuses: ['Rejected'],
    timeoutMs: 60 * MINUTE,
    ...overrides,
  };
}

interface Reply {
  status: number;
  location: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON fields
  body: any;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers = serviceHeaders(),
  base = visibility.url,
): Promise<Reply> {
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, location: response.headers.get('location'), body: text ? JSON.parse(text) : null };
}

const create = (body: Record<string, unknown>, base?: string) =>
  call('POST', '/api/v1/jira-issues', body, serviceHeaders(), base);
const poll = (location: string, base?: string) => call('GET', location, undefined, serviceHeaders(), base);

describe('JIRA stage through visibility', () => {
  it('creates the issue with labels and a link to the execution, transitions it and waits for Done', async () => {
    const body = payload();
    const created = await create(body);
    expect(created.status).toBe(202);
    expect(created.location).toBe(`/api/v1/jira-issues/${created.body.id}`);
    expect(created.body).toMatchObject({
      status: 'waiting',
      kind: 'jira',
      ref: { id: expect.stringMatching(/^OPS-\d+$/) },
    });
    const key = created.body.ref.id as string;
    expect(created.body.ref.url).toBe(`${jira.url}/browse/${key}`);
    expect(created.body.message).toBe(
      `created ${key}, moved it through "Submit for Review"; ${key} is In Review; waiting for Done`,
    );
    const issue = jira.issues.get(key);
    expect(issue).toMatchObject({ issueType: 'Change', summary: 'Deploy shop 1.5.0 to "prod"', status: 'In Review' });
    expect(issue?.labels).toEqual(['release', 'shop', `isd-run-${created.body.id}`]);
    expect(issue?.description).toContain('Release notes: {code}a = b{code}');
    expect(issue?.description).toContain(
      `execution [${String(body.executionId)}|https://deck.example.com/#/applications/shop/executions/details/${String(body.executionId)}]`,
    );

    // Orca retries its create: the same run answers, JIRA gets no second issue.
    const before = jira.issues.size;
    const retried = await create(body);
    expect(retried.status).toBe(202);
    expect(retried.body.id).toBe(created.body.id);
    expect(jira.issues.size).toBe(before);

    // A poll within the interval reuses the last reading; after it, JIRA is read again.
    const reads = () => jira.requests.filter((request) => request.path.startsWith(`/rest/api/2/issue/${key}?`)).length;
    const readsBefore = reads();
    expect((await poll(created.location as string)).body.status).toBe('waiting');
    expect(reads()).toBe(readsBefore);
    jira.setStatus(key, 'Done');
    clock.advance(5_000);
    const done = await poll(created.location as string);
    expect(done.body).toMatchObject({ status: 'done', message: `${key} is Done`, observed: { status: 'Done' } });
    expect(done.body.closedAt).not.toBeNull();
    // Final: later polls answer from the record without asking JIRA.
    const readsAfter = reads();
    clock.advance(60_000);
    expect((await poll(created.location as string)).body.status).toBe('done');
    expect(reads()).toBe(readsAfter);
  });

  it('makes one issue when Orca’s create and its retry arrive together', async () => {
    const body = payload();
    const before = jira.issues.size;
    const [first, second] = await Promise.all([create(body), create(body)]);
    expect(first.body.id).toBe(second.body.id);
    expect(jira.issues.size).toBe(before + 1);
    // Whichever answered while the other still created, the next poll sees the issue.
    clock.advance(5_000);
    expect((await poll(first.location as string)).body).toMatchObject({
      status: 'waiting',
      ref: { id: expect.any(String) },
    });
  });

  it('creates a new issue for a restarted stage, after the retry window of the finished one', async () => {
    const body = payload({ waitForStatuses: [] });
    const first = await create(body);
    expect(first.body.status).toBe('done');
    clock.advance(7 * MINUTE);
    const restarted = await create(body);
    expect(restarted.body).toMatchObject({ status: 'done', attempt: 2 });
    expect(restarted.body.id).not.toBe(first.body.id);
    expect(restarted.body.ref.id).not.toBe(first.body.ref.id);
  });

  it('ends rejected when the issue reaches a rejecting status', async () => {
    const created = await create(payload());
    jira.setStatus(created.body.ref.id, 'Rejected');
    clock.advance(5_000);
    const rejected = await poll(created.location as string);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      message: `${created.body.ref.id as string} is Rejected, a rejecting status`,
    });
  });

  it('is done right after creating when it waits for no status', async () => {
    const created = await create(payload({ transition: null, waitForStatuses: [], rejectStatuses: null }));
    expect(created.body).toMatchObject({ status: 'done', observed: { status: 'To Do' } });
  });

  it('fails with JIRA’s own field errors, and with an unknown transition naming those available', async () => {
    const unknownType = await create(payload({ issueType: 'Epic' }));
    expect(unknownType.status).toBe(202);
    expect(unknownType.body.status).toBe('failed');
    expect(unknownType.body.message).toMatch(
      /^JIRA answered 400 \(bad request\) to POST .*: issuetype: valid issue type is required$/,
    );
    expect(unknownType.body.ref).toBeNull();

    const noTransition = await create(payload({ transition: 'Deploy it' }));
    expect(noTransition.body.status).toBe('failed');
    const key = noTransition.body.ref.id as string;
    expect(noTransition.body.message).toBe(
      `JIRA issue ${key} has no transition "Deploy it" from its current status; available: Start Progress (→ In Progress), Submit for Review (→ In Review)`,
    );
  });

  it('refuses bad input with 400 naming the field, before JIRA is called', async () => {
    const count = jira.requests.length;
    const badKey = await create(payload({ project: 'ops team' }));
    expect(badKey.status).toBe(400);
    expect(JSON.stringify(badKey.body)).toContain('body.project');
    const spel = await create(payload({ summary: '${trigger.buildInfo.number}' }));
    expect(spel.status).toBe(400);
    expect(JSON.stringify(spel.body)).toContain('summary');
    const spaced = await create(payload({ labels: ['two words'] }));
    expect(spaced.status).toBe(400);
    expect(JSON.stringify(spaced.body)).toContain('JIRA labels cannot contain spaces');
    const both = await create(payload({ waitForStatuses: ['Done'], rejectStatuses: ['done'] }));
    expect(both.status).toBe(400);
    expect(JSON.stringify(both.body)).toContain('body.rejectStatuses');
    const tooLong = await create(payload({ timeoutMs: 365 * 24 * 60 * MINUTE }));
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(tooLong.body)).toContain('body.timeoutMs');
    expect(jira.requests.length).toBe(count);
  });

  it('retries a create JIRA did not answer, and finds the issue an interrupted try already made', async () => {
    // JIRA is unavailable for the create: the run keeps trying after the lease, never failing the stage.
    jira.failNext('POST', '/rest/api/2/issue', {
      status: 503,
      body: { errorMessages: ['Service Unavailable'], errors: {} },
    });
    const created = await create(payload());
    expect(created.body.status).toBe('creating');
    expect(created.body.message).toMatch(/^JIRA answered 503 .*: Service Unavailable; trying again$/);
    // Within the lease nothing is retried.
    const count = jira.requests.length;
    expect((await poll(created.location as string)).body.status).toBe('creating');
    expect(jira.requests.length).toBe(count);

    // Next try: the issue is created, but the transition fails with a 502 after it.
    jira.failNext('POST', '/rest/api/2/issue/', { status: 502 });
    clock.advance(30_000);
    const second = await poll(created.location as string);
    expect(second.body.status).toBe('creating');
    const labelled = [...jira.issues.values()].filter((issue) => issue.labels.includes(`isd-run-${created.body.id}`));
    expect(labelled).toHaveLength(1);

    // Third try finds that issue by its run label instead of creating another, and transitions it.
    clock.advance(30_000);
    const third = await poll(created.location as string);
    expect(third.body).toMatchObject({ status: 'waiting', ref: { id: labelled[0]?.key } });
    expect(third.body.message).toContain(`found ${labelled[0]?.key as string}, created by an earlier try`);
    expect(
      [...jira.issues.values()].filter((issue) => issue.labels.includes(`isd-run-${created.body.id}`)),
    ).toHaveLength(1);
  });

  it('keeps waiting through JIRA outages while polling, and fails when the issue is deleted', async () => {
    const created = await create(payload());
    const key = created.body.ref.id as string;
    jira.failNext('GET', `/rest/api/2/issue/${key}`, { status: 500 });
    clock.advance(5_000);
    const outage = await poll(created.location as string);
    expect(outage.body.status).toBe('waiting');
    expect(outage.body.message).toMatch(/^JIRA answered 500 .*; trying again$/);
    jira.deleteIssue(key);
    clock.advance(5_000);
    const gone = await poll(created.location as string);
    expect(gone.body.status).toBe('failed');
    expect(gone.body.message).toContain('Issue does not exist or you do not have permission to see it.');
  });

  it('times out when the issue does not reach a status in time, and cancels', async () => {
    const created = await create(payload({ timeoutMs: 10 * MINUTE }));
    clock.advance(10 * MINUTE);
    const timedOut = await poll(created.location as string);
    expect(timedOut.body).toMatchObject({ status: 'timeout' });
    expect(timedOut.body.message).toBe(`timed out after 10m; ${created.body.ref.id as string} was last In Review`);

    const other = await create(payload());
    const canceled = await call('POST', `${other.location as string}/cancel`, {});
    expect(canceled.body).toMatchObject({ status: 'canceled' });
    expect((await call('POST', `${other.location as string}/cancel`, {})).body.status).toBe('canceled');
    clock.advance(5_000);
    expect((await poll(other.location as string)).body.status).toBe('canceled');
  });

  it('lets users who may read the application see the run, and nobody else', async () => {
    const created = await create(payload());
    const asAlice = await call('GET', created.location as string, undefined, gateHeaders('alice'));
    expect(asAlice.status).toBe(200);
    expect(asAlice.body.ref.id).toBe(created.body.ref.id);
    expect((await call('GET', created.location as string, undefined, gateHeaders('stranger'))).status).toBe(404);
    expect((await call('POST', '/api/v1/jira-issues', payload(), gateHeaders('alice'))).status).toBe(401);
    expect((await call('GET', '/api/v1/jira-issues/not-a-uuid')).status).toBe(400);
  });

  it('fails the stage with a clear message when JIRA refuses the credentials', async () => {
    const wrong = await startVisibility({ url: jira.url, user: JIRA_USER, apiToken: 'revoked' });
    try {
      const created = await create(payload(), wrong.url);
      expect(created.body.status).toBe('failed');
      expect(created.body.message).toMatch(
        /^JIRA answered 401 \(not authenticated: check the configured credentials\) to POST .*: Client must be authenticated to access this resource\.$/,
      );
    } finally {
      await wrong.stop();
    }
  });

  it('refuses the stage with 400 when JIRA is not configured', async () => {
    const service = createVisibilityService({ now: clock.now });
    const bare = await startTestService(service, testServiceConfig(service, { databaseUrl, users }));
    try {
      const refused = await create(payload(), bare.url);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).toContain('connectors.jira.url');
    } finally {
      await bare.stop();
    }
  });
});

describe('JIRA stage in a pipeline (Orca harness, rendered orca-local.yml)', () => {
  let live: RunningService<VisibilityConfig>;

  beforeAll(async () => {
    // Real time here: Orca's harness clock runs 50 × faster, visibility reads JIRA on every poll.
    const service = createVisibilityService();
    live = await startTestService(
      service,
      testServiceConfig(service, {
        databaseUrl,
        users,
        extra: {
          connectors: { jira: { url: jira.url, user: JIRA_USER, apiToken: JIRA_TOKEN } },
          externalStages: { pollIntervalMs: 1 },
        },
      }),
    );
  });
  afterAll(() => live?.stop());

  function run(parameterValues: Record<string, unknown>): PipelineRun {
    const stage = gateStages.jira;
    return startPipeline(
      {
        orcaLocal: renderTestOrcaLocal({
          // Orca refuses literal IPs; the harness resolves localhost like the cluster DNS name.
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
        pipelineConfigId: 'pipeline-jira',
        user: 'alice',
        stages: [
          {
            refId: '1',
            name: stage.label,
            type: stage.key,
            context: { alias: 'preconfiguredWebhook', ...stage.stageDefaults, parameterValues },
          },
        ],
      },
    );
  }

  it('succeeds once the issue is Done, with the issue in the stage context', async () => {
    const pipeline = run({
      project: 'OPS',
      issueType: 'Task',
      summary: 'Deploy shop "1.5.0"',
      description: '',
      labels: [],
      transition: 'Start Progress',
      waitForStatuses: ['Done'],
      rejectStatuses: [],
      timeoutMs: 600_000,
    });
    // Orca keeps polling while the issue is In Progress; a person then resolves it.
    const issue = await waitFor('the issue to be created and moved', () =>
      [...jira.issues.values()].find((item) => item.summary === 'Deploy shop "1.5.0"' && item.status === 'In Progress'),
    );
    await waitFor('a monitor poll answered "waiting"', () =>
      pipeline.execution.requests.some((request) => request.phase === 'monitor'),
    );
    expect(pipeline.execution.status).toBe('RUNNING');
    jira.setStatus(issue.key, 'Done');
    const execution = await pipeline.done;
    expect(execution.status).toBe('SUCCEEDED');
    const webhook = execution.stages[0]?.context.webhook as {
      monitor?: { body?: { ref?: { id?: string }; status?: string } };
    };
    expect(webhook.monitor?.body?.status).toBe('done');
    expect(jira.issues.get(webhook.monitor?.body?.ref?.id as string)?.summary).toBe('Deploy shop "1.5.0"');
  });

  it('is TERMINAL with JIRA’s reason as the progress message when JIRA refuses the issue', async () => {
    const execution = await run({
      project: 'NOPE',
      issueType: 'Task',
      summary: 'x',
      waitForStatuses: ['Done'],
      timeoutMs: 600_000,
    }).done;
    expect(execution.status).toBe('TERMINAL');
    const webhook = execution.stages[0]?.context.webhook as { monitor?: { progressMessage?: string } };
    expect(webhook.monitor?.progressMessage).toMatch(/project: valid project is required$/);
  });
});

describe('JIRA stage on embedded PGlite (the default without DATABASE_URL)', () => {
  it('creates, polls and finishes the same way', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-visibility-jira-'));
    const service = createVisibilityService({ now: clock.now });
    const embedded = await startTestService(
      service,
      testServiceConfig(service, {
        embeddedDataDir: dataDir,
        users,
        extra: {
          connectors: { jira: { url: jira.url, user: JIRA_USER, apiToken: JIRA_TOKEN } },
          externalStages: { pollIntervalMs: 5_000 },
        },
      }),
    );
    try {
      const body = payload();
      const created = await create(body, embedded.url);
      expect(created.body.status).toBe('waiting');
      expect((await create(body, embedded.url)).body.id).toBe(created.body.id);
      jira.setStatus(created.body.ref.id, 'Done');
      clock.advance(5_000);
      expect((await poll(created.location as string, embedded.url)).body.status).toBe('done');
    } finally {
      await embedded.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
