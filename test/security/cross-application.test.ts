// Per-application authorization, endpoint by endpoint, against the real services as processes: a user
// of application A (bob, billing) can neither see nor act on any record of application B (shop); a
// record they may not see answers exactly like one that does not exist; lists leave it out; admins see
// all; a user with no permissions sees nothing.
import { randomUUID } from 'node:crypto';
import { approvalPayload, asOrca, asUser, call, startServiceProcess, type ServiceProcess } from './services';

jest.setTimeout(120_000);

/** The answer for a record that does not exist, to compare a hidden one against. */
async function missing(base: string, path: string, user: string) {
  const answer = await call(base, 'GET', path, asUser(user));
  return { status: answer.status, type: answer.body?.type, title: answer.body?.title };
}

describe('visibility: approval gates of another application', () => {
  let visibility: ServiceProcess;
  let shopId: string;
  let billingId: string;

  beforeAll(async () => {
    visibility = await startServiceProcess('visibility');
    shopId = (await call(visibility.url, 'POST', '/api/v1/approvals', asOrca, approvalPayload('shop'))).body.id;
    billingId = (await call(visibility.url, 'POST', '/api/v1/approvals', asOrca, approvalPayload('billing'))).body.id;
  });
  afterAll(() => visibility?.stop());

  const ids = (answer: { body: { approvals: Array<{ id: string }> } }) =>
    answer.body.approvals.map((approval) => approval.id).sort();

  it('lists only the applications a user may read (and their approver inbox), all for admins and Orca', async () => {
    const list = (user: string, query = '') => call(visibility.url, 'GET', `/api/v1/approvals${query}`, asUser(user));
    expect(ids(await list('bob'))).toEqual([billingId]);
    expect(ids(await list('alice'))).toEqual([shopId]);
    expect(ids(await list('bob', '?application=shop'))).toEqual([]);
    expect(ids(await list('bob', '?mine=true'))).toEqual([billingId]);
    expect(ids(await list('mallory'))).toEqual([]);
    expect(ids(await list('root'))).toEqual([billingId, shopId].sort());
    expect(ids(await call(visibility.url, 'GET', '/api/v1/approvals', asOrca))).toEqual([billingId, shopId].sort());
  });

  it('answers a gate, its audit and a decision on it exactly as for a gate that does not exist', async () => {
    const ghost = randomUUID();
    for (const suffix of ['', '/audit']) {
      const hidden = await missing(visibility.url, `/api/v1/approvals/${shopId}${suffix}`, 'bob');
      expect(hidden).toEqual(await missing(visibility.url, `/api/v1/approvals/${ghost}${suffix}`, 'bob'));
      expect(hidden.status).toBe(404);
      expect((await missing(visibility.url, `/api/v1/approvals/${shopId}${suffix}`, 'mallory')).status).toBe(404);
      expect((await call(visibility.url, 'GET', `/api/v1/approvals/${shopId}${suffix}`, asUser('alice'))).status).toBe(
        200,
      );
    }
    const decide = (user: string, id: string) =>
      call(visibility.url, 'POST', `/api/v1/approvals/${id}/decisions`, asUser(user), { action: 'approve' });
    const refused = await decide('bob', shopId);
    expect({ status: refused.status, type: refused.body.type }).toEqual({
      status: 404,
      type: (await decide('bob', randomUUID())).body.type,
    });
    expect((await call(visibility.url, 'GET', `/api/v1/approvals/${shopId}`, asOrca)).body.status).toBe('activated');
  });

  it('keeps Orca-only actions (create, cancel) away from users whatever their permissions', async () => {
    expect((await call(visibility.url, 'POST', `/api/v1/approvals/${shopId}/cancel`, asUser('root'), {})).status).toBe(
      401,
    );
    expect(
      (await call(visibility.url, 'POST', '/api/v1/approvals', asUser('root'), approvalPayload('shop'))).status,
    ).toBe(401);
  });
});

describe('autopilot: verifications and templates of another application', () => {
  let autopilot: ServiceProcess;
  let shopVerification: string;

  const metrics = [{ name: 'latency', query: 'avg(latency{${scope}})', direction: 'increase' }];
  const verification = (application: string, template: Record<string, unknown>) => ({
    application,
    executionId: `exec-${randomUUID()}`,
    stageId: 'verify',
    template,
    baseline: { app: 'web-v1' },
    canary: { app: 'web-v2' },
    lifetimeMs: 3_600_000,
  });

  beforeAll(async () => {
    autopilot = await startServiceProcess('autopilot', {
      AUTOPILOT_PROVIDERS: JSON.stringify({ prom: { type: 'prometheus', url: 'http://127.0.0.1:1', timeoutMs: 500 } }),
    });
    const created = await call(
      autopilot.url,
      'POST',
      '/api/v1/verifications',
      asOrca,
      verification('shop', { name: 'inline', metrics }),
    );
    expect(created.status).toBe(202);
    shopVerification = created.body.id;
  });
  afterAll(() => autopilot?.stop());

  it('hides a verification and its report (HTML and JSON) from users without READ on its application', async () => {
    for (const suffix of ['', '/report', '/report?format=json']) {
      const path = `/api/v1/verifications/${shopVerification}${suffix}`;
      const ghost = `/api/v1/verifications/${randomUUID()}${suffix}`;
      expect(await missing(autopilot.url, path, 'bob')).toEqual(await missing(autopilot.url, ghost, 'bob'));
      expect((await missing(autopilot.url, path, 'mallory')).status).toBe(404);
      expect((await call(autopilot.url, 'GET', path, asUser('alice'))).status).toBe(200);
      expect((await call(autopilot.url, 'GET', path, asUser('root'))).status).toBe(200);
    }
    expect(
      (await call(autopilot.url, 'POST', `/api/v1/verifications/${shopVerification}/cancel`, asUser('root'), {}))
        .status,
    ).toBe(401);
  });

  it('keeps an application template to its application: list, item, versions, overwrite, use', async () => {
    const created = await call(autopilot.url, 'POST', '/api/v1/templates', asUser('alice'), {
      name: 'shop-latency',
      application: 'shop',
      metrics,
    });
    expect(created.status).toBe(201);
    const names = async (user: string) =>
      (await call(autopilot.url, 'GET', '/api/v1/templates', asUser(user))).body.templates.map(
        (template: { name: string }) => template.name,
      );
    expect(await names('alice')).toContain('shop-latency');
    expect(await names('bob')).not.toContain('shop-latency');
    expect(await names('mallory')).not.toContain('shop-latency');
    for (const path of ['', '/versions', '/versions/1'])
      expect(await missing(autopilot.url, `/api/v1/templates/shop-latency${path}`, 'bob')).toEqual(
        await missing(autopilot.url, `/api/v1/templates/no-such-template${path}`, 'bob'),
      );
    const takeover = await call(autopilot.url, 'POST', '/api/v1/templates', asUser('bob'), {
      name: 'shop-latency',
      application: 'billing',
      metrics,
    });
    expect(takeover.status).toBe(403);
    const intoShop = await call(autopilot.url, 'POST', '/api/v1/templates', asUser('bob'), {
      name: 'bob-in-shop',
      application: 'shop',
      metrics,
    });
    expect(intoShop.status).toBe(404);
    const used = await call(
      autopilot.url,
      'POST',
      '/api/v1/verifications',
      asOrca,
      verification('billing', { name: 'shop-latency' }),
    );
    expect(used.status).toBe(400);
    expect(used.body.errors[0].path).toBe('body.template.name');
    expect(
      (await call(autopilot.url, 'GET', '/api/v1/templates/shop-latency/versions/1', asUser('alice'))).body.definition,
    ).toMatchObject({ application: 'shop' });
  });

  it('lets only admins create shared templates; a user with no roles cannot create any', async () => {
    const shared = { name: 'shared-latency', metrics };
    expect((await call(autopilot.url, 'POST', '/api/v1/templates', asUser('mallory'), shared)).status).toBe(403);
    expect((await call(autopilot.url, 'POST', '/api/v1/templates', asUser('alice'), shared)).status).toBe(403);
    expect((await call(autopilot.url, 'POST', '/api/v1/templates', asUser('root'), shared)).status).toBe(201);
    expect((await call(autopilot.url, 'GET', '/api/v1/templates/shared-latency', asUser('mallory'))).status).toBe(200);
  });
});

describe('sapor: policy gates, decisions, sources and the Data API', () => {
  let sapor: ServiceProcess;
  let gateId: string;
  let decisionId: string;

  beforeAll(async () => {
    sapor = await startServiceProcess('sapor', { SAPOR_POLICY__ADMIN_ROLES: '[admins]' });
    const saved = await call(sapor.url, 'PUT', '/api/v1/policies/deploy', asUser('root'), {
      source: 'package isd.deploy\n\ndefault allow := false\n\nallow if input.application == "shop"\n',
    });
    expect(saved.status).toBe(201);
    const gate = await call(sapor.url, 'POST', '/api/v1/policy-gates', asOrca, {
      application: 'shop',
      executionId: `exec-${randomUUID()}`,
      stageId: 'policy',
      policy: 'isd/deploy/allow',
    });
    expect(gate.status).toBe(202);
    gateId = gate.body.id;
    decisionId = gate.body.decisionId;
  });
  afterAll(() => sapor?.stop());

  it("hides a gate's decision and its decision-log entry from users without READ on the application", async () => {
    for (const [path, ghost] of [
      [`/api/v1/policy-gates/${gateId}`, `/api/v1/policy-gates/${randomUUID()}`],
      [`/api/v1/decisions/${decisionId}`, `/api/v1/decisions/${randomUUID()}`],
    ]) {
      expect(await missing(sapor.url, path!, 'bob')).toEqual(await missing(sapor.url, ghost!, 'bob'));
      expect((await missing(sapor.url, path!, 'mallory')).status).toBe(404);
      expect((await call(sapor.url, 'GET', path!, asUser('alice'))).status).toBe(200);
    }
  });

  it('shows policy sources only to users with some application (or admins); never lets them change policies', async () => {
    for (const path of [
      '/api/v1/policies/deploy',
      '/api/v1/policies/deploy/versions',
      '/api/v1/policies/deploy/versions/1',
    ])
      expect(await missing(sapor.url, path, 'mallory')).toEqual(
        await missing(sapor.url, path.replace('deploy', 'nothing'), 'mallory'),
      );
    expect((await call(sapor.url, 'GET', '/api/v1/policies/deploy', asUser('alice'))).status).toBe(200);
    const change = await call(sapor.url, 'PUT', '/api/v1/policies/deploy', asUser('alice'), { source: 'package x' });
    expect(change.status).toBe(403);
    expect((await call(sapor.url, 'DELETE', '/api/v1/policies/deploy', asUser('bob'))).status).toBe(403);
  });

  it('keeps the Data API to Orca and policy admins', async () => {
    for (const user of ['mallory', 'alice']) {
      expect((await call(sapor.url, 'POST', '/v1/data/isd/deploy', asUser(user), { input: {} })).status).toBe(403);
      expect((await call(sapor.url, 'GET', '/v1/data', asUser(user))).status).toBe(403);
      expect((await call(sapor.url, 'POST', '/v0/data/isd/deploy/allow', asUser(user), {})).status).toBe(403);
    }
    expect((await call(sapor.url, 'POST', '/v1/data/isd/deploy', asUser('root'), { input: {} })).status).toBe(200);
    expect((await call(sapor.url, 'POST', '/v1/data/isd/deploy', asOrca, { input: {} })).status).toBe(200);
  });

  it("checks a pipeline only for a user who may read the pipeline's application", async () => {
    const check = (user: string, application: unknown) =>
      call(sapor.url, 'POST', '/api/v1/policies/pipeline-check', asUser(user), {
        new: { application, name: 'deploy', stages: [] },
      });
    expect((await check('bob', 'shop')).status).toBe(404);
    expect((await check('bob', undefined)).status).toBe(400);
    expect((await check('alice', 'shop')).status).toBe(200);
  });
});
