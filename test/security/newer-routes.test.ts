// The newer routes as a user with one application (bob: billing), with none (mallory) and with READ+WRITE on
// shop through a prototype-named user, against the running services: external-stage runs (AWX, on its contract
// harness), test verifications and their reports (autopilot), the audit trail and its CSV export, and gate
// insights (sapor). Another application's record must answer exactly like a missing one, lists and exports must
// leave it out, the routes that act are Orca's alone, and no answer carries a configured credential.
import { randomUUID } from 'node:crypto';
import { eventually } from '@isd/test-support';
import { startAwxHarness, type AwxHarness } from '../harness/awx';
import { startTerraformCloudHarness, type TerraformCloudHarness } from '../harness/terraform-cloud';
import { asOrca, asUser, call, startServiceProcess, type Answer, type ServiceProcess } from './services';

jest.setTimeout(120_000);

const AWX_TOKEN = 'awx-token-never-shown-0123456789';
const OUTSIDERS = ['bob', 'mallory'];
const POLL_INTERVAL_MS = 1_000;

/** Status and body of an answer, without what differs between any two requests (request id, the path asked). */
const shape = ({ status, body }: Answer) => {
  const {
    requestId: _requestId,
    instance: _instance,
    detail: _detail,
    ...rest
  } = (body ?? {}) as Record<string, unknown>;
  return { status, ...rest };
};

describe('visibility: external-stage runs (AWX)', () => {
  let awx: AwxHarness;
  let visibility: ServiceProcess;
  let runId: string;

  beforeAll(async () => {
    awx = await startAwxHarness({
      token: AWX_TOKEN,
      templates: [{ id: 7, name: 'deploy-shop', askVariablesOnLaunch: true }],
    });
    visibility = await startServiceProcess('visibility', {
      VISIBILITY_CONNECTORS__AWX__URL: awx.url,
      VISIBILITY_CONNECTORS__AWX__TOKEN: AWX_TOKEN,
      VISIBILITY_EXTERNAL_STAGES__POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
    });
    const created = await call(visibility.url, 'POST', '/api/v1/awx-jobs', asOrca, {
      application: 'shop',
      executionId: `exec-${randomUUID()}`,
      stageId: 'ansible',
      jobTemplate: 'deploy-shop',
      extraVars: { version: '1.5.0' },
    });
    expect(created.status).toBe(202);
    runId = created.body.id;
  });
  afterAll(async () => {
    await visibility?.stop();
    await awx?.close();
  });

  it("answers another application's run like a missing one, and only READ on its application sees it", async () => {
    const own = await call(visibility.url, 'GET', `/api/v1/awx-jobs/${runId}`, asUser('toString'));
    expect(own.status).toBe(200);
    expect(own.text).not.toContain(AWX_TOKEN);
    for (const user of OUTSIDERS) {
      const theirs = await call(visibility.url, 'GET', `/api/v1/awx-jobs/${runId}`, asUser(user));
      const missing = await call(visibility.url, 'GET', `/api/v1/awx-jobs/${randomUUID()}`, asUser(user));
      expect(shape(theirs)).toEqual(shape(missing));
      expect(theirs.status).toBe(404);
    }
    // The run's id under another kind's path is no way round the check.
    expect((await call(visibility.url, 'GET', `/api/v1/jira-issues/${runId}`, asUser('alice'))).status).toBe(404);
  });

  it('calls AWX at most once per poll interval however often users poll a run', async () => {
    // Once the last reading is older than the interval, many users' polls arrive together.
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS + 100));
    const before = awx.requests.length;
    const polls = await Promise.all(
      ['alice', 'toString', 'constructor', 'hasOwnProperty'].flatMap((user) =>
        Array.from({ length: 8 }, () => call(visibility.url, 'GET', `/api/v1/awx-jobs/${runId}`, asUser(user))),
      ),
    );
    expect(polls.every((poll) => poll.status === 200)).toBe(true);
    // One reading of the job (the job, then its output): the others answer the stored run.
    const reads = awx.requests.slice(before);
    expect(reads.filter((request) => /^\/api\/v2\/jobs\/\d+\/$/.test(request.path))).toHaveLength(1);
  });

  it('lets only Orca create and cancel runs', async () => {
    for (const user of ['alice', 'bob', 'mallory']) {
      const create = await call(visibility.url, 'POST', '/api/v1/awx-jobs', asUser(user), {
        application: 'shop',
        executionId: 'e',
        stageId: 's',
        jobTemplate: 'deploy-shop',
      });
      expect(create.status).toBe(401);
      const cancel = await call(visibility.url, 'POST', `/api/v1/awx-jobs/${runId}/cancel`, asUser(user), {});
      expect(cancel.status).toBe(401);
    }
    expect((await call(visibility.url, 'GET', `/api/v1/awx-jobs/${runId}`, asOrca)).body.status).not.toBe('canceled');
  });

  it("never shows AWX's token in a run whose launch AWX refused", async () => {
    awx.failNext('POST', '/api/v2/job_templates', { status: 403, body: { detail: 'You do not have permission.' } });
    const created = await call(visibility.url, 'POST', '/api/v1/awx-jobs', asOrca, {
      application: 'shop',
      executionId: `exec-${randomUUID()}`,
      stageId: 'ansible',
      jobTemplate: 'deploy-shop',
    });
    const polled = await call(visibility.url, 'GET', `/api/v1/awx-jobs/${created.body.id}`, asUser('alice'));
    expect(polled.status).toBe(200);
    expect(polled.body.status).toBe('failed');
    expect(polled.body.message).toContain('403');
    expect(polled.text).not.toContain(AWX_TOKEN);
    // Nor in the service's log lines (warnings and errors are logged in these tests).
    expect(visibility.child.output()).not.toContain(AWX_TOKEN);
  });
});

describe('visibility: Terraform runs', () => {
  const TFC_TOKEN = 'tfc-token-never-shown-0123456789';
  const VARIABLE_VALUE = 'variable-value-never-shown-42';
  let tfc: TerraformCloudHarness;
  let visibility: ServiceProcess;
  let run: { id: string; approval: { id: string } };

  beforeAll(async () => {
    tfc = await startTerraformCloudHarness({
      token: TFC_TOKEN,
      phases: { queue: 20, plan: 50, apply: 50 },
      organizations: { acme: [{ name: 'network', changes: [{ address: 'aws_vpc.main', actions: ['create'] }] }] },
    });
    visibility = await startServiceProcess('visibility', {
      VISIBILITY_TERRAFORM__URL: tfc.url,
      VISIBILITY_TERRAFORM__TOKEN: TFC_TOKEN,
      VISIBILITY_TERRAFORM__ORGANIZATION: 'acme',
      VISIBILITY_TERRAFORM__ARCHIVIST_URLS: JSON.stringify([tfc.archivistUrl]),
      VISIBILITY_TERRAFORM__POLL_INTERVAL_MS: '100',
    });
    const created = await call(visibility.url, 'POST', '/api/v1/terraform-runs', asOrca, {
      application: 'shop',
      executionId: `exec-${randomUUID()}`,
      stageId: 'terraform',
      workspace: 'network',
      variables: { db_password: VARIABLE_VALUE },
      approverGroups: [{ name: 'shop-approvers', required: 1 }],
    });
    expect(created.status).toBe(202);
    run = await eventually(
      async () => {
        const polled = await call(visibility.url, 'GET', `/api/v1/terraform-runs/${created.body.id}`, asOrca);
        return polled.body.status === 'awaiting_approval' ? polled.body : undefined;
      },
      60_000,
      'the Terraform run to wait for approval',
    );
  });
  afterAll(async () => {
    await visibility?.stop();
    await tfc?.close();
  });

  it("answers another application's run and its approval like missing ones, and never shows a variable's value", async () => {
    const own = await call(visibility.url, 'GET', `/api/v1/terraform-runs/${run.id}`, asUser('alice'));
    expect(own.status).toBe(200);
    expect(own.body.variables).toEqual(['db_password']);
    for (const answer of [own, await call(visibility.url, 'GET', `/api/v1/terraform-runs/${run.id}`, asOrca)]) {
      expect(answer.text).not.toContain(VARIABLE_VALUE);
      expect(answer.text).not.toContain(TFC_TOKEN);
    }
    for (const user of OUTSIDERS) {
      for (const path of [`/api/v1/terraform-runs/`, '/api/v1/approvals/']) {
        const id = path.includes('terraform') ? run.id : run.approval.id;
        const theirs = await call(visibility.url, 'GET', `${path}${id}`, asUser(user));
        const missing = await call(visibility.url, 'GET', `${path}${randomUUID()}`, asUser(user));
        expect(theirs.status).toBe(404);
        expect(shape(theirs)).toEqual(shape(missing));
      }
      const listed = await call(visibility.url, 'GET', '/api/v1/approvals', asUser(user));
      expect(listed.text).not.toContain(run.approval.id);
      const cancel = await call(visibility.url, 'POST', `/api/v1/terraform-runs/${run.id}/cancel`, asUser(user), {});
      expect(cancel.status).toBe(401);
    }
    expect(visibility.child.output()).not.toContain(VARIABLE_VALUE);
    expect(visibility.child.output()).not.toContain(TFC_TOKEN);
  });
});

describe('autopilot: test verifications and their reports', () => {
  let autopilot: ServiceProcess;
  let id: string;
  const junit = (failures: number) =>
    `<testsuite name="s" tests="2" failures="${failures}"><testcase classname="c" name="a" time="0.1"/>` +
    `<testcase classname="c" name="b" time="0.1">${failures ? '<failure message="boom"/>' : ''}</testcase></testsuite>`;

  beforeAll(async () => {
    autopilot = await startServiceProcess('autopilot');
    const created = await call(autopilot.url, 'POST', '/api/v1/test-verifications', asOrca, {
      application: 'shop',
      executionId: `exec-${randomUUID()}`,
      stageId: 'tests',
      baseline: [{ xml: junit(0) }],
      canary: [{ xml: junit(1) }],
    });
    expect(created.status).toBe(202);
    id = created.body.id;
  });
  afterAll(() => autopilot?.stop());

  it("answers another application's verification, report and list like missing ones", async () => {
    expect((await call(autopilot.url, 'GET', `/api/v1/test-verifications/${id}`, asUser('alice'))).status).toBe(200);
    for (const user of OUTSIDERS) {
      for (const suffix of ['', '/report', '/report?format=json']) {
        const theirs = await call(autopilot.url, 'GET', `/api/v1/test-verifications/${id}${suffix}`, asUser(user));
        const missing = await call(
          autopilot.url,
          'GET',
          `/api/v1/test-verifications/${randomUUID()}${suffix}`,
          asUser(user),
        );
        expect(theirs.status).toBe(404);
        expect(shape(theirs)).toEqual(shape(missing));
      }
      const listed = await call(autopilot.url, 'GET', '/api/v1/test-verifications', asUser(user));
      expect(listed.text).not.toContain(id);
      const filtered = await call(autopilot.url, 'GET', '/api/v1/test-verifications?application=shop', asUser(user));
      expect(filtered.text).not.toContain(id);
    }
    for (const user of ['alice', 'bob']) {
      const cancel = await call(autopilot.url, 'POST', `/api/v1/test-verifications/${id}/cancel`, asUser(user), {});
      expect(cancel.status).toBe(401);
    }
  });
});

describe('sapor: the audit trail, its CSV export and gate insights', () => {
  let sapor: ServiceProcess;
  const marker = `marker-${randomUUID()}`;

  beforeAll(async () => {
    sapor = await startServiceProcess('sapor', { SAPOR_POLICY__ADMIN_ROLES: '[admins]' });
    const append = (key: string, application: string | null) =>
      call(sapor.url, 'POST', '/api/v1/audit/records', asOrca, {
        source: 'visibility',
        key: `${marker}-${key}`,
        type: 'approval',
        outcome: 'approved',
        application,
        actor: 'alice',
        occurredAt: new Date().toISOString(),
        subject: { marker },
        details: { comment: marker, waitMs: 1_000 },
      });
    for (const [key, application] of [
      ['shop', 'shop'],
      ['shop-upper', 'SHOP'],
      ['none', null],
    ] as const)
      expect((await append(key, application)).status).toBe(201);
  });
  afterAll(() => sapor?.stop());

  it("leaves another application's and application-less records out of lists, filters and CSV", async () => {
    const own = await call(sapor.url, 'GET', '/api/v1/audit', asUser('alice'));
    expect(own.body.records.filter((r: { subject: { marker?: string } }) => r.subject.marker === marker)).toHaveLength(
      2,
    );
    for (const user of OUTSIDERS) {
      for (const query of ['', '?format=csv', `?actor=alice`, '?type=approval&format=csv', '?source=visibility']) {
        const answer = await call(sapor.url, 'GET', `/api/v1/audit${query}`, asUser(user));
        expect(answer.status).toBe(200);
        expect(answer.text).not.toContain(marker);
      }
      for (const application of ['shop', 'SHOP', 'no-such-application-at-all']) {
        const filtered = await call(sapor.url, 'GET', `/api/v1/audit?application=${application}`, asUser(user));
        expect(filtered.status).toBe(404);
      }
      const insights = await call(sapor.url, 'GET', '/api/v1/insights/gates', asUser(user));
      expect(insights.status).toBe(200);
      expect(insights.body.applications.map((a: { application: string }) => a.application)).not.toContain('shop');
      expect((await call(sapor.url, 'GET', '/api/v1/insights/gates?application=shop', asUser(user))).status).toBe(404);
      expect((await call(sapor.url, 'POST', '/api/v1/insights/sync', asUser(user))).status).toBe(403);
      const appended = await call(sapor.url, 'POST', '/api/v1/audit/records', asUser(user), {
        source: 'visibility',
        key: 'forged',
        type: 'approval',
        outcome: 'approved',
        application: 'billing',
        actor: user,
        occurredAt: new Date().toISOString(),
      });
      expect(appended.status).toBe(401);
    }
    // The application-less record is an admin's to see.
    const admin = await call(sapor.url, 'GET', '/api/v1/audit?source=visibility', asUser('root'));
    expect(
      admin.body.records.filter((r: { subject: { marker?: string } }) => r.subject.marker === marker),
    ).toHaveLength(3);
  });
});
