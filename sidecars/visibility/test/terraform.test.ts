// The Terraform stage against the Terraform Cloud contract harness, on real Postgres and embedded PGlite:
// plan → approval with the plan as evidence → apply (approved) or discard (rejected); no changes pass
// without asking; failures, Orca's retries, restarts and cancel; 400s naming the field.
import { startTerraformCloudHarness, type TerraformCloudHarness } from '../../../test/harness/terraform-cloud';
import { asOrca, asUser, backends, eventually, startVisibility, type JsonResponse } from './helpers';

jest.setTimeout(90_000);

const TOKEN = 'tfc-team-token';

function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    application: 'shop',
    pipelineName: 'infra',
    pipelineId: 'pipeline-tf',
    executionId: `exec-${Math.random().toString(36).slice(2)}`,
    stageId: 'tf-1',
    triggeredBy: 'alice',
    organization: null,
    workspace: 'network',
    message: null,
    variables: { size: 'large', replicas: 3, public: false, template: 'x-%{if a}' },
    approverGroups: [{ name: 'release-managers', required: 1 }],
    allowSelfApproval: null,
    timeoutMs: null,
    instructions: 'Check the plan.',
    ...overrides,
  };
}

describe.each(backends)('Terraform stage on %s', (backend) => {
  let tfc: TerraformCloudHarness;
  let service: Awaited<ReturnType<typeof startVisibility>>;
  let base: string;

  beforeAll(async () => {
    tfc = await startTerraformCloudHarness({
      token: TOKEN,
      phases: { queue: 40, plan: 150, apply: 150 },
      organizations: {
        acme: [
          {
            name: 'network',
            changes: [
              { address: 'aws_vpc.main', actions: ['create'] },
              { address: 'aws_subnet.a', actions: ['update'] },
              { address: 'module.db.aws_db_instance.main', actions: ['delete', 'create'] },
              { address: 'aws_s3_bucket.old', actions: ['delete'] },
              { address: 'aws_s3_bucket.logs', actions: ['no-op'] },
            ],
          },
          { name: 'stable', changes: [{ address: 'aws_vpc.main', actions: ['no-op'] }] },
          {
            name: 'broken',
            changes: [{ address: 'aws_iam_role.x', actions: ['create'] }],
            planError: 'Invalid provider configuration',
          },
          {
            name: 'costly',
            changes: [{ address: 'aws_instance.big', actions: ['create'] }],
            afterPlan: 'cost_estimated',
          },
          {
            name: 'failing-apply',
            changes: [{ address: 'aws_instance.x', actions: ['create'] }],
            applyError: 'quota exceeded',
          },
        ],
        other: [{ name: 'secret', changes: [{ address: 'aws_vpc.x', actions: ['delete'] }] }],
      },
    });
    service = await startVisibility(backend, {
      terraform: {
        url: tfc.url,
        token: TOKEN,
        organization: 'acme',
        allowedWorkspaces: ['acme/*'],
        archivistUrls: [tfc.archivistUrl],
        pollIntervalMs: 100,
        failureLimit: 5,
      },
      approvals: { retryWindowMs: 0 },
    });
    base = service.url;
  });
  afterAll(async () => {
    await service?.cleanup();
    await tfc?.close();
  });

  const create = (overrides: Record<string, unknown> = {}) =>
    asOrca(base, 'POST', '/api/v1/terraform-runs', payload(overrides));
  const monitor = (id: string) => asOrca(base, 'GET', `/api/v1/terraform-runs/${id}`);
  const until = (id: string, status: string) =>
    eventually(async () => {
      const answer = await monitor(id);
      expect(answer.body.status).toBe(status);
      return answer;
    }, 30_000) as Promise<JsonResponse>;

  it('plans, asks the approver groups with the plan as evidence, and applies once approved', async () => {
    const created = await create();
    expect(created.status).toBe(202);
    expect(created.headers.get('location')).toBe(`/api/v1/terraform-runs/${created.body.id}`);
    expect(created.body).toMatchObject({ status: 'planning', workspace: 'network', organization: 'acme' });
    expect(created.body.variables).toEqual(['size', 'replicas', 'public', 'template']);

    const waiting = await until(created.body.id, 'awaiting_approval');
    expect(waiting.body.plan).toMatchObject({ additions: 2, changes: 1, destructions: 2, replacements: 1, omitted: 0 });
    expect(waiting.body.plan.resourceChanges).toEqual([
      { address: 'aws_vpc.main', action: 'create', actions: ['create'] },
      { address: 'aws_subnet.a', action: 'update', actions: ['update'] },
      { address: 'module.db.aws_db_instance.main', action: 'replace', actions: ['delete', 'create'] },
      { address: 'aws_s3_bucket.old', action: 'delete', actions: ['delete'] },
    ]);
    expect(waiting.body.terraform.status).toBe('planned');
    expect(waiting.body.terraform.url).toBe(
      `${tfc.url}/app/acme/workspaces/network/runs/${waiting.body.terraform.runId}`,
    );
    expect(waiting.body.message).toContain('2 to add, 1 to change, 2 to destroy');
    const approval = waiting.body.approval;
    expect(approval).toMatchObject({
      status: 'activated',
      evidenceStatus: 'gathered',
      instructions: 'Check the plan.',
    });
    expect(approval.evidence[0]).toMatchObject({ connector: 'terraform', status: 'warn', label: 'acme/network' });

    // Run variables went to Terraform Cloud as HCL, the message carries the idempotency marker.
    const sent = tfc.runs.find((run) => run.id === waiting.body.terraform.runId)!;
    expect(sent.variables).toEqual([
      { key: 'size', value: '"large"' },
      { key: 'replicas', value: '3' },
      { key: 'public', value: 'false' },
      { key: 'template', value: '"x-%%{if a}"' },
    ]);
    expect(sent.message).toContain(`[isd ${created.body.id}]`);

    // The approver sees the approval in place with canDecide; the triggering user may not approve.
    const asApprover = await asUser(base, 'rm1', 'GET', `/api/v1/terraform-runs/${created.body.id}`);
    expect(asApprover.body.approval.canApprove).toBe(true);
    const self = await asUser(base, 'alice', 'POST', `/api/v1/approvals/${approval.id}/decisions`, {
      action: 'approve',
    });
    expect(self.status).toBe(403);
    expect(tfc.statusOf(sent.id)).toBe('planned');

    const decided = await asUser(base, 'rm1', 'POST', `/api/v1/approvals/${approval.id}/decisions`, {
      action: 'approve',
      comment: 'looks right',
      evidenceDigest: approval.evidenceDigest,
    });
    expect(decided.status).toBe(200);
    const applied = await until(created.body.id, 'applied');
    expect(applied.body.finishedAt).not.toBeNull();
    expect(tfc.statusOf(sent.id)).toBe('applied');
    expect(sent.comments).toEqual(['Approved in ISD by rm1: looks right']);
    expect(applied.body.history.map((entry: { status: string }) => entry.status)).toEqual([
      'planning',
      'planning',
      'awaiting_approval',
      'applying',
      'applied',
    ]);
  });

  it('discards the plan in Terraform Cloud when an approver rejects', async () => {
    const created = await create({ workspace: 'costly' });
    const waiting = await until(created.body.id, 'awaiting_approval');
    expect(waiting.body.terraform.status).toBe('cost_estimated');
    expect(waiting.body.approval.evidence[0].status).toBe('info');
    await asUser(base, 'rm2', 'POST', `/api/v1/approvals/${waiting.body.approval.id}/decisions`, {
      action: 'reject',
      comment: 'too expensive',
    });
    const rejected = await until(created.body.id, 'rejected');
    expect(tfc.statusOf(rejected.body.terraform.runId)).toBe('discarded');
    expect(tfc.runs.find((run) => run.id === rejected.body.terraform.runId)!.comments).toEqual([
      'rejected in ISD (rm2: too expensive)',
    ]);
  });

  it('succeeds without asking when the plan has no changes, and fails with the plan or apply error', async () => {
    const stable = await create({ workspace: 'stable' });
    const broken = await create({ workspace: 'broken' });
    const failing = await create({ workspace: 'failing-apply' });
    const none = await until(stable.body.id, 'no_changes');
    expect(none.body.approval).toBeNull();
    expect(none.body.message).toContain('no changes');
    const errored = await until(broken.body.id, 'errored');
    expect(errored.body.error).toBe('Invalid provider configuration');
    const waiting = await until(failing.body.id, 'awaiting_approval');
    await asUser(base, 'rm3', 'POST', `/api/v1/approvals/${waiting.body.approval.id}/decisions`, { action: 'approve' });
    const applyFailed = await until(failing.body.id, 'errored');
    expect(applyFailed.body.error).toBe('quota exceeded');
  });

  it("answers Orca's retries with the same run and one Terraform run; a restarted stage gets a new one", async () => {
    const body = payload({ workspace: 'stable' });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => asOrca(base, 'POST', '/api/v1/terraform-runs', body)),
    );
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    const done = await until(answers[0]!.body.id, 'no_changes');
    expect(tfc.runs.filter((run) => run.message.includes(`[isd ${done.body.id}]`))).toHaveLength(1);
    expect(done.body.attempt).toBe(1);
    // After it finished (retryWindowMs is 0 here), the same stage posting again was restarted: a new run.
    const restarted = await asOrca(base, 'POST', '/api/v1/terraform-runs', body);
    expect(restarted.body.id).not.toBe(done.body.id);
    expect(restarted.body.attempt).toBe(2);
    await until(restarted.body.id, 'no_changes');
    expect(tfc.runs.filter((run) => run.message.includes(`[isd ${restarted.body.id}]`))).toHaveLength(1);
  });

  it('rides out rate limiting and unavailability, then moves on', async () => {
    const created = await create({ workspace: 'stable' });
    tfc.failNext(3, 429);
    const done = await until(created.body.id, 'no_changes');
    expect(done.body.error).toBeNull();
  });

  it('cancel closes the approval and discards the plan; a second cancel changes nothing', async () => {
    const created = await create();
    const waiting = await until(created.body.id, 'awaiting_approval');
    const canceled = await asOrca(base, 'POST', `/api/v1/terraform-runs/${created.body.id}/cancel`, {});
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    expect(canceled.body.approval.status).toBe('canceled');
    expect(tfc.statusOf(waiting.body.terraform.runId)).toBe('discarded');
    const again = await asOrca(base, 'POST', `/api/v1/terraform-runs/${created.body.id}/cancel`, {});
    expect(again.body.status).toBe('canceled');
    expect(again.body.history).toHaveLength(canceled.body.history.length);
  });

  it('refuses bad payloads with 400 naming the field, and workspaces outside the allowed list', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ workspace: '../admin' }, 'body.workspace'],
      [{ workspace: null }, 'body.workspace'],
      [{ approverGroups: [] }, 'body.approverGroups'],
      [{ variables: { 'bad name': 'x' } }, 'body.variables.bad name'],
      [{ variables: { size: { nested: true } } }, 'body.variables.size'],
      [{ workspace: '${parameterValues.workspace}' }, '"field":"body.workspace"'],
      [{ timeoutMs: 1 }, 'body.timeoutMs'],
      [{ organization: 'other', workspace: 'secret' }, 'body.workspace'],
      [{ surprise: true }, 'body'],
    ];
    for (const [overrides, path] of cases) {
      const answer = await create(overrides);
      expect({ overrides, status: answer.status }).toEqual({ overrides, status: 400 });
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(answer.body)).toContain(path);
    }
    expect(tfc.runs.some((run) => run.organization === 'other')).toBe(false);
  });

  it('fails the stage naming the workspace when Terraform Cloud does not know it', async () => {
    const created = await create({ workspace: 'nope' });
    const errored = await until(created.body.id, 'errored');
    expect(errored.body.error).toMatch(/workspaces\/nope answered 404/);
  });
});

describe('a Terraform run whose create answer was lost', () => {
  it('is found by its marker and used, not queued a second time', async () => {
    const tfc = await startTerraformCloudHarness({
      token: TOKEN,
      phases: { queue: 20, plan: 50 },
      organizations: { acme: [{ name: 'network', changes: [] }] },
    });
    const service = await startVisibility('postgres', {
      terraform: { url: tfc.url, token: TOKEN, organization: 'acme', pollIntervalMs: 100, failureLimit: 10_000 },
    });
    try {
      // Terraform Cloud is unavailable while the stage starts, so visibility cannot record a run id yet.
      tfc.failNext(1_000_000, 503);
      const created = await asOrca(service.url, 'POST', '/api/v1/terraform-runs', payload());
      await eventually(async () => {
        const answer = await asOrca(service.url, 'GET', `/api/v1/terraform-runs/${created.body.id}`);
        return answer.body.error?.includes('503') ? true : undefined;
      }, 30_000);
      // A create sent before the outage had reached Terraform Cloud: the run exists with the marker.
      const existing = tfc.addRun('acme', 'network', `Spinnaker shop [isd ${created.body.id}]`);
      tfc.failNext(0, 503);
      await eventually(async () => {
        const answer = await asOrca(service.url, 'GET', `/api/v1/terraform-runs/${created.body.id}`);
        return answer.body.status === 'no_changes' ? answer : undefined;
      }, 30_000);
      const answer = await asOrca(service.url, 'GET', `/api/v1/terraform-runs/${created.body.id}`);
      expect(answer.body.terraform.runId).toBe(existing);
      expect(tfc.runs).toHaveLength(1);
    } finally {
      await service.cleanup();
      await tfc.close();
    }
  });
});

describe('Terraform stage without Terraform Cloud config', () => {
  it('refuses the create with 400 naming the config', async () => {
    const service = await startVisibility('postgres');
    try {
      const answer = await asOrca(service.url, 'POST', '/api/v1/terraform-runs', payload());
      expect(answer.status).toBe(400);
      expect(answer.body.code ?? answer.body.type).toMatch(/terraform_not_configured/);
    } finally {
      await service.cleanup();
    }
  });
});

describe('Terraform stage with a token Terraform Cloud refuses', () => {
  it('fails the stage saying the token is refused', async () => {
    const tfc = await startTerraformCloudHarness({
      token: 'right',
      organizations: { acme: [{ name: 'network', changes: [] }] },
    });
    const service = await startVisibility('postgres', {
      terraform: { url: tfc.url, token: 'wrong', organization: 'acme', pollIntervalMs: 100 },
    });
    try {
      const created = await asOrca(service.url, 'POST', '/api/v1/terraform-runs', payload());
      await eventually(async () => {
        const answer = await asOrca(service.url, 'GET', `/api/v1/terraform-runs/${created.body.id}`);
        expect(answer.body.status).toBe('errored');
        expect(answer.body.error).toContain('terraform.token is refused');
        expect(answer.body.error).not.toContain('wrong');
        return true;
      }, 30_000);
    } finally {
      await service.cleanup();
      await tfc.close();
    }
  });

  it('refuses to follow the plan redirect to an origin outside terraform.archivistUrls', async () => {
    const tfc = await startTerraformCloudHarness({
      token: TOKEN,
      phases: { queue: 20, plan: 50 },
      organizations: { acme: [{ name: 'network', changes: [{ address: 'aws_vpc.main', actions: ['create'] }] }] },
    });
    const service = await startVisibility('postgres', {
      terraform: { url: tfc.url, token: TOKEN, organization: 'acme', pollIntervalMs: 100 },
    });
    try {
      const created = await asOrca(service.url, 'POST', '/api/v1/terraform-runs', payload());
      await eventually(async () => {
        const answer = await asOrca(service.url, 'GET', `/api/v1/terraform-runs/${created.body.id}`);
        expect(answer.body.status).toBe('errored');
        expect(answer.body.error).toContain('not in terraform.archivistUrls');
        return true;
      }, 30_000);
    } finally {
      await service.cleanup();
      await tfc.close();
    }
  });
});
