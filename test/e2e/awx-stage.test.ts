// The Ansible stage end to end: the real visibility service on real Postgres launching job templates on
// the AWX contract harness, called as Orca calls it (with a test clock) and through the Orca harness.
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
import { startAwxHarness } from '../harness/awx';
import type { AwxHarness } from '../harness/awx';
import { renderTestOrcaLocal, startPipeline } from '../harness/orca';
import { waitFor } from './pipeline-support';

jest.setTimeout(60_000);

const TOKEN = 'awx-token-1234';
let nowMs = Date.parse('2026-12-01T10:00:00Z');
const clock = { now: () => new Date(nowMs), advance: (ms: number) => (nowMs += ms) };

let awx: AwxHarness;
let visibility: RunningService<VisibilityConfig>;
let databaseUrl: string;

async function startVisibility(connection: Record<string, unknown>) {
  const service = createVisibilityService({ now: clock.now });
  return startTestService(
    service,
    testServiceConfig(service, {
      databaseUrl,
      users: { alice: ['developers'] },
      extra: {
        connectors: { awx: { stdoutTailChars: 60, ...connection } },
        externalStages: { pollIntervalMs: 5_000, createLeaseMs: 30_000 },
      },
    }),
  );
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase('e2e_awx');
  awx = await startAwxHarness({
    token: TOKEN,
    templates: [
      { id: 7, name: 'deploy-shop', askVariablesOnLaunch: true, askLimitOnLaunch: true },
      { id: 8, name: 'fixed-inventory' },
    ],
  });
  visibility = await startVisibility({ url: awx.url, token: TOKEN });
});

afterAll(async () => {
  await visibility?.stop();
  await awx?.close();
});

let sequence = 0;
function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  sequence += 1;
  return {
    application: 'shop',
    pipelineName: 'deploy-prod',
    pipelineId: 'pipeline-1',
    executionId: `exec-awx-${sequence}-${Math.random().toString(36).slice(2)}`,
    stageId: 'stage-ansible',
    triggeredBy: 'alice',
    jobTemplate: 'deploy-shop',
    extraVars: { version: '1.5.0', canary: true },
    limit: 'web*',
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
const create = (body: Record<string, unknown>, base?: string) => call('POST', '/api/v1/awx-jobs', body, base);

describe('Ansible stage through visibility', () => {
  it('launches the template by name with extra vars and limit once, and follows the job to success', async () => {
    const body = payload();
    const created = await create(body);
    expect(created.status).toBe(202);
    const jobId = Number(created.body.ref.id);
    expect(created.body).toMatchObject({
      status: 'waiting',
      message: `launched deploy-shop as job ${jobId}; job ${jobId} is pending`,
    });
    expect(awx.jobs.get(jobId)).toMatchObject({
      templateId: 7,
      extraVars: { version: '1.5.0', canary: true },
      limit: 'web*',
    });
    expect((await create(body)).body.id).toBe(created.body.id);
    expect(awx.jobs.size).toBe(1);

    awx.progress(jobId, 'running', 'PLAY [deploy] ****\nTASK [pull image] ok\n');
    clock.advance(5_000);
    const running = await call('GET', created.location as string);
    expect(running.body).toMatchObject({ status: 'waiting', observed: { status: 'running' } });
    expect(running.body.observed.stdoutTail).toBe('PLAY [deploy] ****\nTASK [pull image] ok\n');

    awx.progress(jobId, 'successful', 'TASK [restart] changed\nPLAY RECAP web1 ok=3 changed=1 failed=0\n');
    clock.advance(5_000);
    const done = await call('GET', created.location as string);
    expect(done.body).toMatchObject({ status: 'done', message: `job ${jobId} succeeded` });
    // Only the end of the output is kept, cut at a line start.
    expect(done.body.observed.stdoutTail).toBe('…\nPLAY RECAP web1 ok=3 changed=1 failed=0\n');
  });

  it('fails the stage when the job fails or errors, with AWX’s last traceback line', async () => {
    const failed = await create(payload({ jobTemplate: 7 }));
    awx.progress(Number(failed.body.ref.id), 'failed', 'fatal: [web1]: UNREACHABLE!\n');
    clock.advance(5_000);
    expect((await call('GET', failed.location as string)).body).toMatchObject({
      status: 'failed',
      message: `job ${failed.body.ref.id as string} ended failed`,
      observed: { stdoutTail: 'fatal: [web1]: UNREACHABLE!\n' },
    });
    const errored = await create(payload());
    awx.progress(Number(errored.body.ref.id), 'error');
    clock.advance(5_000);
    expect((await call('GET', errored.location as string)).body.message).toBe(
      `job ${errored.body.ref.id as string} ended error: RuntimeError: dispatcher lost the job`,
    );
  });

  it('names AWX’s refusals: unknown template, a field the template does not prompt for, bad token', async () => {
    expect((await create(payload({ jobTemplate: 'nope' }))).body).toMatchObject({
      status: 'failed',
      message: 'AWX has no job template named "nope"',
    });
    expect((await create(payload({ jobTemplate: 'fixed-inventory', extraVars: null }))).body.message).toMatch(
      /^AWX answered 400 \(bad request\) to POST .*: limit: Field is not configured to prompt on launch\.$/,
    );
    expect((await create(payload({ jobTemplate: 99 }))).body.message).toMatch(/^AWX answered 404 .*: Not found\.$/);
    const wrong = await startVisibility({ url: awx.url, token: 'revoked' });
    try {
      expect((await create(payload(), wrong.url)).body.message).toMatch(
        /^AWX answered 401 .*: Authentication credentials were not provided\.$/,
      );
    } finally {
      await wrong.stop();
    }
    const badVars = await create(payload({ extraVars: ['a'] }));
    expect(badVars.status).toBe(400);
    expect(JSON.stringify(badVars.body)).toContain('body.extraVars');
  });

  it('never launches twice: a launch AWX did not answer ends the stage with a message to check AWX', async () => {
    awx.failNext('POST', '/api/v2/job_templates/7/launch/', { status: 504 });
    const jobs = awx.jobs.size;
    const created = await create(payload());
    expect(created.body.status).toBe('creating');
    expect(created.body.message).toMatch(/may or may not have started a job; trying again$/);
    clock.advance(30_000);
    const ended = await call('GET', created.location as string);
    expect(ended.body.status).toBe('failed');
    expect(ended.body.message).toMatch(/^an earlier launch of job template "deploy-shop" got no answer from AWX/);
    expect(awx.jobs.size).toBe(jobs);
  });

  it('stops the job when the pipeline is canceled, and says so when AWX cannot', async () => {
    const created = await create(payload());
    const jobId = Number(created.body.ref.id);
    awx.progress(jobId, 'running');
    const canceled = await call('POST', `${created.location as string}/cancel`, {});
    expect(canceled.body).toMatchObject({
      status: 'canceled',
      message: `canceled; AWX job ${jobId} was asked to stop`,
    });
    expect(awx.jobs.get(jobId)?.status).toBe('canceled');

    const finished = await create(payload());
    awx.progress(Number(finished.body.ref.id), 'running');
    // The job ends in AWX before visibility sees it; canceling then is refused by AWX.
    awx.progress(Number(finished.body.ref.id), 'successful');
    const late = await call('POST', `${finished.location as string}/cancel`, {});
    expect(late.body.status).toBe('canceled');
    expect(late.body.message).toMatch(/could not be stopped: AWX answered 405 .*: Method "POST" not allowed\.$/);
  });

  it('times out a job that runs too long and stops it in AWX', async () => {
    const created = await create(payload({ timeoutMs: 600_000 }));
    const jobId = Number(created.body.ref.id);
    awx.progress(jobId, 'running');
    clock.advance(600_000);
    expect((await call('GET', created.location as string)).body).toMatchObject({
      status: 'timeout',
      message: `timed out after 10m; ${jobId} was last pending; AWX job ${jobId} was asked to stop`,
    });
    expect(awx.jobs.get(jobId)?.status).toBe('canceled');
  });
});

describe('Ansible stage in a pipeline (Orca harness, rendered orca-local.yml)', () => {
  it('runs until the job succeeds', async () => {
    const service = createVisibilityService();
    const live = await startTestService(
      service,
      testServiceConfig(service, {
        databaseUrl,
        users: {},
        extra: { connectors: { awx: { url: awx.url, token: TOKEN } }, externalStages: { pollIntervalMs: 1 } },
      }),
    );
    try {
      const stage = gateStages.awx;
      const before = new Set(awx.jobs.keys());
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
          pipelineConfigId: 'pipeline-awx',
          user: 'alice',
          stages: [
            {
              refId: '1',
              name: stage.label,
              type: stage.key,
              context: {
                alias: 'preconfiguredWebhook',
                ...stage.stageDefaults,
                parameterValues: { jobTemplate: 'deploy-shop', extraVars: { version: '2.0.0' }, timeoutMs: 600_000 },
              },
            },
          ],
        },
      );
      const job = await waitFor('the job', () => [...awx.jobs.values()].find((candidate) => !before.has(candidate.id)));
      await waitFor('a monitor poll', () => run.execution.requests.some((request) => request.phase === 'monitor'));
      expect(run.execution.status).toBe('RUNNING');
      awx.progress(job.id, 'successful', 'PLAY RECAP ok\n');
      expect((await run.done).status).toBe('SUCCEEDED');
      expect(job.extraVars).toEqual({ version: '2.0.0' });
    } finally {
      await live.stop();
    }
  });
});
