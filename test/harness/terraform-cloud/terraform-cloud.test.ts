// The Terraform Cloud harness holds to the documented contract: auth, media type, JSON:API shapes,
// statuses moving with time, actions only in turn, the JSON plan behind a redirect to another origin.
// JSON:API answers are read loosely here; each assertion says which fields matter.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

import { startTerraformCloudHarness, type TerraformCloudHarness } from './index';

const TOKEN = 'tfc-token';
let clock = 1_000_000;
let tfc: TerraformCloudHarness;

beforeEach(async () => {
  clock = 1_000_000;
  tfc = await startTerraformCloudHarness({
    token: TOKEN,
    now: () => clock,
    phases: { queue: 10, plan: 100, apply: 100 },
    organizations: {
      acme: [
        {
          name: 'network',
          changes: [
            { address: 'aws_vpc.main', actions: ['create'] },
            { address: 'module.db.aws_db_instance.main', actions: ['delete', 'create'] },
            { address: 'aws_s3_bucket.logs', actions: ['no-op'] },
          ],
        },
        { name: 'empty', changes: [] },
        {
          name: 'broken',
          changes: [{ address: 'aws_iam_role.x', actions: ['create'] }],
          planError: 'Invalid provider',
        },
      ],
    },
  });
});
afterEach(() => tfc.close());

const call = async (path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) => {
  const response = await fetch(`${tfc.url}${path}`, {
    method: init.method ?? 'GET',
    redirect: 'manual',
    headers: {
      ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? TOKEN}` }),
      ...(init.body !== undefined ? { 'content-type': 'application/vnd.api+json' } : {}),
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Json) : undefined };
};

async function createRun(workspace = 'network') {
  const ws = await call(`/api/v2/organizations/acme/workspaces/${workspace}`);
  const created = await call('/api/v2/runs', {
    method: 'POST',
    body: {
      data: {
        type: 'runs',
        attributes: { message: 'from test', 'auto-apply': false, variables: [{ key: 'size', value: '"large"' }] },
        relationships: { workspace: { data: { type: 'workspaces', id: ws.body.data.id } } },
      },
    },
  });
  expect(created.status).toBe(201);
  return created.body.data;
}

test('a missing or wrong token is 401 and an unknown workspace 404, both as JSON:API errors', async () => {
  expect(await call('/api/v2/organizations/acme/workspaces/network', { token: null })).toMatchObject({
    status: 401,
    body: { errors: [{ status: '401', title: 'unauthorized' }] },
  });
  expect((await call('/api/v2/organizations/acme/workspaces/network', { token: 'nope' })).status).toBe(401);
  expect(await call('/api/v2/organizations/acme/workspaces/nope')).toMatchObject({
    status: 404,
    body: { errors: [{ status: '404', title: 'not found' }] },
  });
});

test('a body without the JSON:API media type is 415; bad variables are 422 naming the pointer', async () => {
  const response = await fetch(`${tfc.url}/api/v2/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(response.status).toBe(415);
  const ws = await call('/api/v2/organizations/acme/workspaces/network');
  const bad = await call('/api/v2/runs', {
    method: 'POST',
    body: {
      data: {
        type: 'runs',
        attributes: { variables: [{ key: 'size', value: 'large' }] },
        relationships: { workspace: { data: { type: 'workspaces', id: ws.body.data.id } } },
      },
    },
  });
  expect(bad).toMatchObject({
    status: 422,
    body: { errors: [{ source: { pointer: '/data/attributes/variables/0/value' } }] },
  });
});

test('a run plans with time, stops at planned for confirmation, and applies only when confirmed', async () => {
  const run = await createRun();
  expect(run.attributes.status).toBe('pending');
  expect(run.attributes.actions['is-confirmable']).toBe(false);
  clock += 20;
  expect((await call(`/api/v2/runs/${run.id}`)).body.data.attributes.status).toBe('planning');
  expect((await call(`/api/v2/runs/${run.id}/actions/apply`, { method: 'POST', body: {} })).status).toBe(409);
  expect((await call(`/api/v2/plans/${run.relationships.plan.data.id}/json-output`)).status).toBe(204);
  clock += 100;
  const planned = await call(`/api/v2/runs/${run.id}?include=plan`);
  expect(planned.body.data.attributes).toMatchObject({ status: 'planned', 'has-changes': true });
  expect(planned.body.data.attributes.actions).toMatchObject({ 'is-confirmable': true, 'is-discardable': true });
  expect(planned.body.included[0]).toMatchObject({
    type: 'plans',
    attributes: { status: 'finished', 'resource-additions': 2, 'resource-changes': 0, 'resource-destructions': 1 },
  });

  const redirect = await call(`/api/v2/plans/${run.relationships.plan.data.id}/json-output`);
  expect(redirect.status).toBe(307);
  const location = redirect.headers.get('location')!;
  expect(location.startsWith(tfc.archivistUrl)).toBe(true);
  const plan = (await (await fetch(location)).json()) as Json;
  expect(plan.resource_changes.map((change: Json) => [change.address, change.change.actions])).toEqual([
    ['aws_vpc.main', ['create']],
    ['module.db.aws_db_instance.main', ['delete', 'create']],
    ['aws_s3_bucket.logs', ['no-op']],
  ]);
  expect(plan.resource_changes[1]).toMatchObject({ module_address: 'module.db', type: 'aws_db_instance' });

  expect(
    (await call(`/api/v2/runs/${run.id}/actions/apply`, { method: 'POST', body: { comment: 'ok by rm1' } })).status,
  ).toBe(202);
  expect(tfc.statusOf(run.id)).toBe('confirmed');
  clock += 60;
  expect(tfc.statusOf(run.id)).toBe('applying');
  expect((await call(`/api/v2/runs/${run.id}/actions/discard`, { method: 'POST', body: {} })).status).toBe(409);
  clock += 100;
  expect((await call(`/api/v2/runs/${run.id}`)).body.data.attributes.status).toBe('applied');
  expect(tfc.runs[0]!.comments).toEqual(['ok by rm1']);
});

test('no changes finish as planned_and_finished; a failing plan errors; a discard ends a planned run', async () => {
  const empty = await createRun('empty');
  const broken = await createRun('broken');
  const discarded = await createRun();
  clock += 200;
  expect(tfc.statusOf(empty.id)).toBe('planned_and_finished');
  expect((await call(`/api/v2/runs/${broken.id}`)).body.data.attributes).toMatchObject({
    status: 'errored',
    'error-text': 'Invalid provider',
  });
  expect((await call(`/api/v2/runs/${discarded.id}/actions/discard`, { method: 'POST', body: {} })).status).toBe(202);
  expect(tfc.statusOf(discarded.id)).toBe('discarded');
  expect((await call(`/api/v2/runs/${discarded.id}/actions/apply`, { method: 'POST', body: {} })).status).toBe(409);
});

test('the run list is newest first with pagination, and injected failures come before anything else', async () => {
  const first = await createRun();
  const second = await createRun();
  const ws = tfc.runs[0]!.workspaceId;
  const page = await call(`/api/v2/workspaces/${ws}/runs?page[size]=1`);
  expect(page.body.data.map((run: Json) => run.id)).toEqual([second.id]);
  expect(page.body.meta.pagination).toMatchObject({ 'next-page': 2, 'total-count': 2 });
  expect((await call(`/api/v2/workspaces/${ws}/runs?page[size]=1&page[number]=2`)).body.data[0].id).toBe(first.id);
  tfc.failNext(1, 429);
  const limited = await call(`/api/v2/runs/${first.id}`);
  expect(limited.status).toBe(429);
  expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
  expect((await call(`/api/v2/runs/${first.id}`)).status).toBe(200);
});
