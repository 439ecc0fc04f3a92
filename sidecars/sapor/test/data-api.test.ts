// The OPA-compatible Data API and the save-time pipeline check, on the example policies loaded from
// their folder (each tested on save) and on Armory-style packages.
import type { RunningService } from '@isd/kit';
import type { SaporConfig } from '../src';
import { client, examplesDir, fixture, savePolicy, startSapor, users } from './helpers';

let sapor: RunningService<SaporConfig>;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  sapor = await startSapor({ policy: { directory: examplesDir } });
  api = client(sapor.url);
  await savePolicy(
    api,
    'armory-manual-judgment',
    `package opa.pipelines

deny["Every pipeline must have a Manual Judgment stage"] {
  manual_judgment_stages = [d | d = input.pipeline.stages[_].type; d == "manualJudgment"]
  count(input.pipeline.stages[_]) > 0
  count(manual_judgment_stages) == 0
}
`,
    'v0',
  );
});

afterAll(async () => {
  await sapor.stop();
});

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

describe('loading the example folder', () => {
  it('saved all ten examples with their tests on start', async () => {
    const list = await api.asService('GET', '/api/v1/policies');
    const examples = list.body.policies.filter((policy: { origin: string }) => policy.origin === 'directory');
    expect(examples).toHaveLength(10);
    expect(examples.every((policy: { regoVersion: string }) => policy.regoVersion === 'v0')).toBe(true);
    expect(examples.map((policy: { name: string }) => policy.name)).toContain('runtime.separation_of_duty');
  });

  it('reload is idempotent: nothing new is saved', async () => {
    const reload = await api.asUser(users.admin, 'POST', '/api/v1/policies/reload');
    expect(reload.status).toBe(200);
    expect(reload.body.directory.saved).toEqual([]);
    expect(reload.body.directory.unchanged).toHaveLength(10);
    expect((await api.asUser(users.developer, 'POST', '/api/v1/policies/reload')).status).toBe(403);
  });
});

describe('OPA Data API', () => {
  const execution = fixture('execution-prod-deploy.json');

  it('POST /v1/data/{path} answers {result, decision_id}', async () => {
    const input = { trigger: execution.trigger, stages: execution.stages };
    const response = await api.asService('POST', '/v1/data/isd/runtime/separation_of_duty/deny', { input });
    expect(response.status).toBe(200);
    expect(response.body.result).toEqual([]);
    expect(response.body.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    const decision = await api.asService('GET', `/api/v1/decisions/${response.body.decision_id}`);
    expect(decision.body).toMatchObject({
      source: 'data-api',
      path: 'data.isd.runtime.separation_of_duty.deny',
      engine: 'builtin',
      outcome: 'defined',
      result: [],
    });
    expect(decision.body.policies).toEqual([{ name: 'runtime.separation_of_duty', version: 1 }]);
    expect(decision.body.inputDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(decision.body.durationMs).toBeGreaterThan(0);
  });

  it('an undefined document is 200 {} like OPA', async () => {
    const response = await api.asService('POST', '/v1/data/isd/nothing/here', { input: {} });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
  });

  it('GET works, with the input in ?input=, and on the data root', async () => {
    const input = encodeURIComponent(
      JSON.stringify({ evidence: { sonarqube: [{ projectKey: 'web', qualityGate: 'OK' }] } }),
    );
    const response = await api.asService(
      'GET',
      `/v1/data/isd/approval/sonarqube_quality_gate/allow?input=${input}&pretty=true`,
    );
    expect(response.body.result).toBe(true);
    const root = await api.asService('GET', '/v1/data');
    expect(Object.keys(root.body.result)).toEqual(expect.arrayContaining(['isd', 'opa']));
    const malformed = await api.asService('GET', '/v1/data/isd?input=%7Bnope');
    expect(malformed.status).toBe(400);
    expect(malformed.body.field).toBe('query.input');
  });

  it("works unchanged with Armory's policy engine client (baseUrl .../v1/data + package path, reads result.deny)", async () => {
    // Armory's plugins POST {"input": {...}} to `${opa.baseUrl}/${package with slashes}` and read `result.deny`.
    const baseUrl = `${sapor.url}/v1/data`;
    const response = await fetch(`${baseUrl}/opa/pipelines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-service-token-0123456789' },
      body: JSON.stringify({
        input: { pipeline: { application: 'x', name: 'p', stages: [{ type: 'wait', refId: '1' }] } },
      }),
    });
    const body = (await response.json()) as { result: { deny: string[] }; decision_id: string };
    expect(response.status).toBe(200);
    expect(body.result.deny).toEqual(['Every pipeline must have a Manual Judgment stage']);
  });

  it("works with visibility's auto-decision request shape (service token header, {input: {approval, evidence}})", async () => {
    const response = await api.asService('POST', '/v1/data/isd/approval/sonarqube_quality_gate', {
      input: {
        approval: {
          id: 'a1',
          application: 'sampleapp',
          pipelineName: 'prod-deploy',
          executionId: 'e1',
          stageId: 's1',
          triggeredBy: 'alice',
        },
        evidence: { sonarqube: [{ status: 'fail', projectKey: 'web', qualityGate: 'ERROR' }] },
      },
    });
    expect(response.body.result.allow).toBe(false);
    expect(response.body.result.deny).toEqual(['SonarQube quality gate of web is ERROR']);
  });

  it("serves OPA's webhook forms: POST /v0/data/{path} and POST / (data.system.main)", async () => {
    const value = await api.asService('POST', '/v0/data/isd/approval/sonarqube_quality_gate/allow', {
      evidence: { sonarqube: [{ qualityGate: 'OK' }] },
    });
    expect(value.status).toBe(200);
    expect(value.body).toBe(true);
    expect(value.headers.get('x-isd-decision-id')).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await api.asService('POST', '/v0/data/isd/nothing', {});
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('undefined_document');
    expect((await api.asService('POST', '/', { a: 1 })).status).toBe(404);
    await savePolicy(api, 'system-main', 'package system\n\nmain := {"echo": input.a}\n');
    expect((await api.asService('POST', '/', { a: 1 })).body).toEqual({ echo: 1 });
  });

  it("honours OPA's metrics and strict-builtin-errors flags", async () => {
    await savePolicy(api, 'strict', 'package isd.strict\n\nn := to_number(input.text)\n');
    const lenient = await api.asService('POST', '/v1/data/isd/strict/n?metrics=true', { input: { text: 'nope' } });
    expect(lenient.status).toBe(200);
    expect(lenient.body.result).toBeUndefined();
    expect(lenient.body.metrics.timer_rego_query_eval_ns).toBeGreaterThan(0);
    const strict = await api.asService('POST', '/v1/data/isd/strict/n?strict-builtin-errors=true', {
      input: { text: 'nope' },
    });
    expect(strict.status).toBe(400);
    expect(strict.body.detail).toMatch(/to_number/);
    expect(
      (await api.asService('POST', '/v1/data/isd/strict/n?strict-builtin-errors=true', { input: { text: '42' } })).body
        .result,
    ).toBe(42);
  });

  it('refuses callers without the service token or Gate proof', async () => {
    const response = await api.raw('POST', '/v1/data/isd', { input: {} }, { 'content-type': 'application/json' });
    expect(response.status).toBe(401);
    const bearer = await api.raw(
      'POST',
      '/v1/data/isd/runtime/blackout_window/zone',
      { input: {} },
      { 'content-type': 'application/json', authorization: 'Bearer test-service-token-0123456789' },
    );
    expect(bearer.body.result).toBe('America/New_York');
  });

  it('answers 400 (not 500) for bodies OPA would refuse', async () => {
    expect(
      (
        await api.raw('POST', '/v1/data/isd', '{"input":', {
          'content-type': 'application/json',
          'x-isd-service-token': 'test-service-token-0123456789',
        })
      ).status,
    ).toBe(400);
    const array = await api.asService('POST', '/v1/data/isd', [1, 2]);
    expect(array.status).toBe(400);
    expect(array.body.field).toBe('body');
  });
});

describe('save-time pipeline check', () => {
  const pipeline = fixture('pipeline-prod-deploy.json');

  it('allows the compliant production pipeline', async () => {
    const response = await api.asUser(users.developer, 'POST', '/api/v1/policies/pipeline-check', { new: pipeline });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'allow', messages: [], denies: [] });
  });

  it('collects the denies of Armory opa.pipelines and the OpsMx-style static examples together', async () => {
    const bad = clone(pipeline) as { stages: Array<Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- fixture surgery
    bad.stages = bad.stages.filter((stage) => stage.type !== 'manualJudgment' && stage.type !== 'isdPolicyGate');
    (bad.stages[0] as any).requisiteStageRefIds = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    (bad.stages[0] as any).manifests[0].spec.template.spec.containers[0].image = 'nginx:1.27'; // eslint-disable-line @typescript-eslint/no-explicit-any
    const response = await api.asService('POST', '/api/v1/policies/pipeline-check', { new: bad, current: pipeline });
    expect(response.body.status).toBe('deny');
    expect(response.body.messages).toEqual(
      expect.arrayContaining([
        'Every pipeline must have a Manual Judgment stage',
        "stage 'Deploy to production' deploys to the critical account 'production' without a manualJudgment stage right before it",
        "stage 'Deploy to production': image 'nginx:1.27' of container 'sampleapp' is not from docker.opsmx.com/",
        "pipeline 'prod-deploy' must contain an isdPolicyGate stage evaluating isd/runtime/blackout_window",
      ]),
    );
    expect(response.body.messages).toHaveLength(4);
    const owners = response.body.denies.map((deny: { policyName: string | null }) => deny.policyName);
    expect(owners).toEqual(expect.arrayContaining(['armory-manual-judgment', 'static.image_source']));
  });

  it("answers OpsMx's Front50 validator: 200 allowed, 401 with the deny messages", async () => {
    const ok = await api.asService('POST', '/v1/staticPolicy/eval', { input: { new: pipeline } });
    expect(ok.status).toBe(200);
    const bad = clone(pipeline) as { name: string; stages: unknown[] };
    bad.stages = bad.stages.filter((stage) => (stage as { type: string }).type !== 'isdPolicyGate');
    const denied = await api.asService('POST', '/v1/staticPolicy/eval', { input: { new: bad } });
    expect(denied.status).toBe(401);
    expect(denied.body.deny).toEqual([
      "pipeline 'prod-deploy' must contain an isdPolicyGate stage evaluating isd/runtime/blackout_window",
    ]);
  });

  it('names the field when the pipeline is missing', async () => {
    const response = await api.asService('POST', '/api/v1/policies/pipeline-check', { current: pipeline });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('body.new');
  });
});
