// The runtime policy gate as Orca drives it: payload from the stage catalog, input built by the server
// from the execution fetched through the Gate API harness, decision stored and monitored.
import { randomUUID } from 'node:crypto';
import type { RunningService } from '@isd/kit';
import { gateStages } from '@isd/orca-stages';
import type { SaporConfig } from '../src';
import { startGateApi, type GateApiHarness } from '../../../test/harness/gate';
import { client, examplesDir, fixture, savePolicy, startSapor } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely
type Json = Record<string, any>;

let sapor: RunningService<SaporConfig>;
let gate: GateApiHarness;
let api: ReturnType<typeof client>;
const execution = fixture('execution-prod-deploy.json') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- fixture surgery
const gateStageId = '01JDQ6ZP3N9J8K7L6M5N4P3Q2R';

beforeAll(async () => {
  gate = await startGateApi({ basicAuthUsers: { sapor: 'gate-basic-password' } });
  sapor = await startSapor({
    policy: { directory: examplesDir, maxSteps: 200_000, timeoutMs: 2_000 },
    gate: { url: gate.url, username: 'sapor', password: 'gate-basic-password', timeoutMs: 2_000 },
  });
  api = client(sapor.url);
  await savePolicy(
    api,
    'score',
    'package isd.test.score\n\ndefault allow := false\n\nallow if input.verification.score >= 80\n',
  );
  await savePolicy(
    api,
    'inspect',
    'package isd.test.inspect\n\ndeny contains json.marshal({"keys": object.keys(input), "params": input.params, "gateStage": input.stage, "trigger": input.trigger, "application": input.application}) if true\n',
  );
  await savePolicy(
    api,
    'expensive',
    `package isd.test.expensive

products := [a * b | some a in numbers.range(1, 10000); some b in numbers.range(1, 10000)]

deny contains "too many products" if count(products) > 5
`,
  );
  await savePolicy(
    api,
    'regex',
    'package isd.test.regex\n\ndeny contains "evil input" if regex.match(`^(a+)+$`, input.params.text)\n',
  );
  await savePolicy(
    api,
    'conflict',
    'package isd.test.conflict\n\nallow := input.params.a\n\nallow := input.params.b\n',
  );
});

afterAll(async () => {
  await sapor.stop();
  await gate.close();
});

/** A new execution (fresh ids) served by the Gate harness, and the payload Orca sends for its gate stage. */
function newExecution(
  policy: string,
  options: { params?: Record<string, unknown>; change?: (execution: Json) => void } = {},
) {
  const copy = JSON.parse(JSON.stringify(execution)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  copy.id = randomUUID();
  options.change?.(copy);
  gate.executions.push(copy);
  return {
    application: copy.application,
    pipelineName: copy.name,
    pipelineId: copy.pipelineConfigId,
    executionId: copy.id,
    stageId: gateStageId,
    triggeredBy: copy.trigger.user,
    policy,
    params: options.params ?? {},
  };
}

async function decide(payload: Record<string, unknown>) {
  const created = await api.asService('POST', '/api/v1/policy-gates', payload);
  expect(created.status).toBe(202);
  const location = created.headers.get('location') as string;
  expect(location).toMatch(/^\/api\/v1\/policy-gates\/[0-9a-f-]{36}$/);
  const monitored = await api.asService('GET', location);
  expect(monitored.status).toBe(200);
  return monitored.body;
}

describe('policy gate', () => {
  it('uses the path shape the stage catalog documents', () => {
    expect(gateStages.policy.createPath).toBe('/api/v1/policy-gates');
    expect(gateStages.policy.statuses).toMatchObject({ success: ['allow'], terminal: ['deny'] });
    for (const field of [
      'application',
      'pipelineName',
      'pipelineId',
      'executionId',
      'stageId',
      'triggeredBy',
      'policy',
      'params',
    ]) {
      expect(gateStages.policy.payloadTemplate).toContain(`"${field}"`);
    }
  });

  it('allows when the example policy finds nothing, with the policy name, version and decision id', async () => {
    const decision = await decide(newExecution('isd/runtime/separation_of_duty'));
    expect(decision).toMatchObject({
      status: 'allow',
      messages: [],
      policy: { path: 'data.isd.runtime.separation_of_duty', name: 'runtime.separation_of_duty', version: 1 },
      policyName: 'runtime.separation_of_duty',
      policyVersion: 1,
    });
    const log = await api.asService('GET', `/api/v1/decisions/${decision.decisionId}`);
    expect(log.body).toMatchObject({ source: 'policy-gate', outcome: 'defined', inputDigest: decision.inputDigest });
    expect(gate.requests.at(-1)?.headers.authorization).toBe(
      `Basic ${Buffer.from('sapor:gate-basic-password').toString('base64')}`,
    );
  });

  it('appends each gate decision once to the audit trail with the policy version and input digest', async () => {
    const payload = newExecution('isd/runtime/separation_of_duty');
    const decision = await decide(payload);
    await api.asService('POST', '/api/v1/policy-gates', payload); // Orca retrying the create
    const audit = await api.asService('GET', `/api/v1/audit?application=${payload.application}&type=policy&limit=1000`);
    const records = audit.body.records.filter(
      (record: { subject: { executionId: string } }) => record.subject.executionId === payload.executionId,
    );
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      source: 'sapor',
      type: 'policy',
      outcome: 'allow',
      actor: 'sapor',
      subject: { gateId: decision.id, stageId: payload.stageId },
      details: { policyName: 'runtime.separation_of_duty', policyVersion: 1, inputDigest: decision.inputDigest },
    });
  });

  it('denies with the messages when the trigger user also judged (execution read from Gate)', async () => {
    const payload = newExecution('isd/runtime/separation_of_duty', {
      change: (copy) => {
        copy.stages[0].context.lastModifiedBy = 'alice@example.com';
      },
    });
    const decision = await decide(payload);
    expect(decision.status).toBe('deny');
    expect(decision.messages).toEqual([
      'separation of duties: alice@example.com triggered this execution and also approved one of its manual judgments',
    ]);
  });

  it('reads SSD-style deny objects by alertMsg', async () => {
    const decision = await decide(
      newExecution('isd.runtime.approved_sources', {
        change: (copy) => {
          copy.stages[2].context.manifests[0].spec.template.spec.containers[0].image = 'quay.io/evil/miner:latest';
        },
      }),
    );
    expect(decision.status).toBe('deny');
    expect(decision.messages).toEqual([
      'image quay.io/evil/miner:latest comes from quay.io, which is not an approved registry',
    ]);
  });

  it('is idempotent on (executionId, stageId): a re-POST answers the same decision', async () => {
    const payload = newExecution('isd/runtime/separation_of_duty');
    const first = await api.asService('POST', '/api/v1/policy-gates', payload);
    const second = await api.asService('POST', '/api/v1/policy-gates', { ...payload, policy: 'isd/test/score' });
    expect(second.status).toBe(202);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(second.body.decisionId).toBe(first.body.decisionId);
  });

  it('ignores a pipeline trying to set a top-level verification.score: params stay under input.params', async () => {
    const payload = {
      ...newExecution('isd/test/score', { params: { verification: { score: 100 } } }),
      verification: { score: 100 },
      application: 'sampleapp',
    };
    const decision = await decide(payload);
    expect(decision.status).toBe('deny');
    expect(decision.messages).toEqual(['data.isd.test.score.allow is false']);
    const inspected = await decide({
      ...newExecution('isd/test/inspect', { params: { verification: { score: 100 }, application: 'other' } }),
      verification: { score: 100 },
    });
    const seen = JSON.parse(inspected.messages[0]);
    expect(seen.keys).not.toContain('verification');
    expect(seen.application).toBe('sampleapp');
    expect(seen.params).toEqual({ verification: { score: 100 }, application: 'other' });
  });

  it('builds the input from the execution without secrets (the service token in customHeaders)', async () => {
    const decision = await decide(newExecution('isd/test/inspect'));
    const seen = JSON.parse(decision.messages[0]);
    expect(seen.keys.sort()).toEqual([
      'application',
      'execution',
      'executionId',
      'kind',
      'params',
      'pipeline',
      'schema',
      'stage',
      'stages',
      'trigger',
      'user',
    ]);
    expect(seen.gateStage.id).toBe(gateStageId);
    expect(seen.gateStage.type).toBe('isdPolicyGate');
    expect(seen.gateStage.context.customHeaders).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain('s3cr3t-service-token-value');
    expect(seen.trigger).toMatchObject({ type: 'manual', user: 'alice@example.com', parameters: { replicas: '3' } });
  });

  it('denies an undefined decision (no policy at that path)', async () => {
    const decision = await decide(newExecution('isd/no/such/policy'));
    expect(decision.status).toBe('deny');
    expect(decision.messages[0]).toContain('data.isd.no.such.policy is undefined');
    expect(decision.policyName).toBeNull();
  });

  it('fails closed when evaluation errors, with the error in the message', async () => {
    const decision = await decide(newExecution('isd/test/conflict', { params: { a: 1, b: 2 } }));
    expect(decision.status).toBe('deny');
    expect(decision.messages[0]).toMatch(/could not be evaluated: .*conflict/);
    const log = await api.asService('GET', `/api/v1/decisions/${decision.decisionId}`);
    expect(log.body.outcome).toBe('error');
  });

  it('stops a cross-product comprehension with the step budget and denies', async () => {
    const started = Date.now();
    const decision = await decide(newExecution('isd/test/expensive'));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(decision.status).toBe('deny');
    expect(decision.messages[0]).toMatch(/budget/);
  });

  it('runs a catastrophic-backtracking regex in bounded time with RE2 semantics', async () => {
    const started = Date.now();
    const decision = await decide(newExecution('isd/test/regex', { params: { text: `${'a'.repeat(5_000)}!` } }));
    expect(Date.now() - started).toBeLessThan(5_000);
    // RE2 answers "no match" in linear time; a budget stop would deny with the reason instead.
    if (decision.status === 'deny') expect(decision.messages[0]).toMatch(/budget|time/);
    else expect(decision.messages).toEqual([]);
  });

  it('denies when Gate cannot produce the execution', async () => {
    const payload = newExecution('isd/runtime/separation_of_duty');
    gate.executions.splice(
      gate.executions.findIndex((candidate) => candidate.id === payload.executionId),
      1,
    );
    const decision = await decide(payload);
    expect(decision.status).toBe('deny');
    expect(decision.messages[0]).toContain('Gate answered 404');
  });

  it('denies when the execution belongs to another application than the payload says', async () => {
    const decision = await decide({ ...newExecution('isd/runtime/separation_of_duty'), application: 'otherapp' });
    expect(decision.status).toBe('deny');
    expect(decision.messages[0]).toContain('belongs to application sampleapp, not otherapp');
  });

  it('answers 400 naming the field for an unresolved SpEL expression or a missing policy', async () => {
    const unresolved = await api.asService('POST', '/api/v1/policy-gates', {
      ...newExecution('isd/x'),
      triggeredBy: '${#currentUser()}',
    });
    expect(unresolved.status).toBe(400);
    expect(unresolved.body.field).toBe('body.triggeredBy');
    const missing = await api.asService('POST', '/api/v1/policy-gates', {
      ...newExecution('isd/x'),
      policy: undefined,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe('body.policy');
    const badPath = await api.asService('POST', '/api/v1/policy-gates', newExecution('isd/"x'));
    expect(badPath.status).toBe(400);
    expect(badPath.body.field).toBe('body.policy');
  });

  it('refuses a create without the service token and a monitor of an unknown gate', async () => {
    const anonymous = await api.raw('POST', '/api/v1/policy-gates', newExecution('isd/x'), {
      'content-type': 'application/json',
    });
    expect(anonymous.status).toBe(401);
    expect((await api.asService('GET', `/api/v1/policy-gates/${randomUUID()}`)).status).toBe(404);
  });
});
