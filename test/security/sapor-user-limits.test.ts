// What a user can make sapor store without bound. A user with only READ on one application runs pipeline
// checks (and pipelines-as-code dry runs): each check leaves one decision-log row per static package, and a
// script could fill the database with them. Now every row a user's request stores — decision-log rows of
// checks, dry runs and promotions and of the Data API, policy versions, account changes, queued syncs —
// comes out of one budget per user and minute (userWrites.perMinute): beyond it a 429 naming the key with
// Retry-After, and a request that needs more than a whole minute's budget is a 400 saying so. Orca's service
// token is never counted: a gate is never refused for this.
import pg from 'pg';
import { TEST_GATE_TOKEN, createTestDatabase } from '@isd/test-support';
import { startGateApi, type GateApiHarness } from '../harness/gate';
import { USERS, asOrca, asUser, call, startServiceProcess, type ServiceProcess } from './services';

jest.setTimeout(120_000);

/** Rows per check: sapor's default static packages (opa.pipelines, spinnaker.persistence…, isd.static). */
const ROWS_PER_CHECK = 3;
const PER_MINUTE = 2 * ROWS_PER_CHECK;
const GATE_USER = { username: 'sapor', password: 'internal-gate-password' };

let sapor: ServiceProcess;
let gate: GateApiHarness;
let database: pg.Client;

beforeAll(async () => {
  gate = await startGateApi({ basicAuthUsers: { [GATE_USER.username]: GATE_USER.password } });
  const databaseUrl = await createTestDatabase('sapor');
  sapor = await startServiceProcess('sapor', {
    SAPOR_DATABASE__URL: databaseUrl,
    SAPOR_USER_WRITES__PER_MINUTE: String(PER_MINUTE),
    // reader may only READ shop: enough to run pipeline checks of it.
    SAPOR_AUTH__USERS: JSON.stringify({ ...USERS, reader: { roles: [], applications: { shop: ['READ'] } } }),
    SAPOR_GATE__URL: gate.url,
    SAPOR_GATE__USERNAME: GATE_USER.username,
    SAPOR_GATE__PASSWORD: GATE_USER.password,
    SAPOR_PIPELINES_AS_CODE: JSON.stringify({ git: { url: 'file:///nonexistent/pipelines.git' }, syncIntervalMs: 0 }),
  });
  database = new pg.Client({ connectionString: databaseUrl });
  await database.connect();
});
afterAll(async () => {
  await database?.end();
  await sapor?.stop();
  await gate?.close();
});

const decisionRows = async () =>
  Number((await database.query<{ count: string }>('SELECT count(*) FROM sapor.decision_log')).rows[0]!.count);
const pipeline = (name: string) => ({ application: 'shop', name, stages: [] });
const check = (as: Parameters<typeof call>[3], name = 'deploy') =>
  call(sapor.url, 'POST', '/api/v1/policies/pipeline-check', as, { new: pipeline(name) });

describe("a user's stored rows per minute", () => {
  it('refuses a READ user past userWrites.perMinute with 429 and Retry-After; their checks store no more rows', async () => {
    const before = await decisionRows();
    for (let n = 0; n < PER_MINUTE / ROWS_PER_CHECK; n++) expect((await check(asUser('reader'))).status).toBe(200);
    expect(await decisionRows()).toBe(before + PER_MINUTE);

    for (let n = 0; n < 10; n++) {
      const refused = await check(asUser('reader'), `deploy-${n}`);
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ type: 'urn:isd:problem:write_limit_exceeded' });
      expect(refused.body.detail).toContain('userWrites.perMinute');
    }
    const response = await fetch(`${sapor.url}/api/v1/policies/pipeline-check`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-isd-gate-token': TEST_GATE_TOKEN,
        'x-spinnaker-user': 'reader',
      },
      body: JSON.stringify({ new: pipeline('again') }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await decisionRows()).toBe(before + PER_MINUTE);
  });

  it("never counts Orca's service token: its checks and gate decisions all pass, as many as it asks", async () => {
    for (let n = 0; n < 3 * PER_MINUTE; n++) expect((await check(asOrca, `orca-${n}`)).status).toBe(200);
    const front50 = await call(sapor.url, 'POST', '/v1/staticPolicy/eval', asOrca, {
      input: { new: pipeline('from-front50') },
    });
    expect(front50.status).toBe(200);
    for (let n = 0; n < PER_MINUTE + 1; n++) {
      const gateDecision = await call(sapor.url, 'POST', '/api/v1/policy-gates', asOrca, {
        application: 'shop',
        executionId: `execution-${n}`,
        stageId: 'policy',
        policy: 'isd/deploy/allowed',
      });
      expect(gateDecision.status).toBe(202);
    }
  });

  it("is each user's own: another user with READ is not refused for reader's checks", async () => {
    expect((await check(asUser('alice'))).status).toBe(200);
  });

  it('pays for a dry run by the pipelines it checks, before the first: too many for a minute is a 400 naming the key', async () => {
    const files = (count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, n) => [`shop/p${n}.json`, JSON.stringify(pipeline(`dry-${n}`))]),
      );
    const before = await decisionRows();
    const tooLarge = await call(sapor.url, 'POST', '/api/v1/pipelines-as-code/dry-run', asUser('bob'), {
      files: Object.fromEntries(
        Array.from({ length: 3 }, (_, n) => [
          `billing/p${n}.json`,
          JSON.stringify({ ...pipeline(`b-${n}`), application: 'billing' }),
        ]),
      ),
    });
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.body).toMatchObject({ type: 'urn:isd:problem:request_exceeds_write_limit' });
    expect(tooLarge.body.detail).toMatch(/needs 9 stored rows, more than userWrites\.perMinute \(6\)/);
    expect(await decisionRows()).toBe(before);

    // alice spent 3 of her 6 rows above: a dry run of one pipeline fits, a second one does not.
    const fits = await call(sapor.url, 'POST', '/api/v1/pipelines-as-code/dry-run', asUser('alice'), {
      files: files(1),
    });
    expect(fits.status).toBe(200);
    expect(fits.body.items).toEqual([expect.objectContaining({ name: 'dry-0', policy: expect.anything() })]);
    const refused = await call(sapor.url, 'POST', '/api/v1/pipelines-as-code/dry-run', asUser('alice'), {
      files: files(1),
    });
    expect(refused.status).toBe(429);
    expect(refused.body.detail).toContain('userWrites.perMinute');
    expect(await decisionRows()).toBe(before + ROWS_PER_CHECK);
    // Orca's dry runs are not counted.
    expect(
      (await call(sapor.url, 'POST', '/api/v1/pipelines-as-code/dry-run', asOrca, { files: files(5) })).status,
    ).toBe(200);
  });

  it("counts an admin's policy saves and Data API evaluations in the same budget", async () => {
    const source = (n: number) => `package isd.limits\n\nvalue := ${n}\n`;
    for (let n = 0; n < PER_MINUTE; n++) {
      const saved = await call(sapor.url, 'PUT', '/api/v1/policies/limits', asUser('root'), { source: source(n) });
      expect(saved.status).toBe(201);
    }
    const refused = await call(sapor.url, 'PUT', '/api/v1/policies/limits', asUser('root'), { source: source(99) });
    expect(refused.status).toBe(429);
    const evaluation = await call(sapor.url, 'POST', '/v1/data/isd/limits/value', asUser('root'), { input: {} });
    expect(evaluation.status).toBe(429);
    const versions = await call(sapor.url, 'GET', '/api/v1/policies/limits/versions', asUser('root'));
    expect(versions.body.versions).toHaveLength(PER_MINUTE);
    // Orca still evaluates.
    const orca = await call(sapor.url, 'POST', '/v1/data/isd/limits/value', asOrca, { input: {} });
    expect(orca).toMatchObject({ status: 200, body: { result: PER_MINUTE - 1 } });
  });
});
