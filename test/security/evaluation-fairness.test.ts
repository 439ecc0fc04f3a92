// One user must not take sapor's policy evaluation away from everyone else. alice (READ on shop) sends many
// save-time pipeline checks at once, each with a pipeline that makes an ordinary O(n²) policy run to its
// time budget. The evaluations wait in one lane per caller, served in turn, and a caller's lane holds at most
// policy.workers.perCallerLimit, so Orca's policy gate and bob's check are evaluated meanwhile (was: alice
// filled the one queue, Orca's gate failed closed with "… evaluations are waiting" and bob got a 400).
import { randomUUID } from 'node:crypto';
import { asOrca, asUser, call, startServiceProcess, type Answer, type ServiceProcess } from './services';

jest.setTimeout(120_000);

let sapor: ServiceProcess;

// Every stage names the one before it: the policy below compares each pair of stages (1,500² steps).
const heavyPipeline = {
  application: 'shop',
  name: 'long',
  stages: Array.from({ length: 1_500 }, (_, index) => ({
    type: 'wait',
    name: `s${index}`,
    refId: String(index),
    requisiteStageRefIds: [String(index - 1)],
  })),
};

beforeAll(async () => {
  sapor = await startServiceProcess('sapor', {
    SAPOR_POLICY__WORKERS__SIZE: '1',
    SAPOR_POLICY__WORKERS__QUEUE_LIMIT: '8',
    SAPOR_POLICY__WORKERS__PER_CALLER_LIMIT: '2',
    SAPOR_POLICY__TIMEOUT_MS: '300',
    // alice's 12 checks all reach the evaluation queue (its lanes are the subject here), not the HTTP layer's
    // per-user limit of requests in flight (caller-flood.test.ts).
    SAPOR_SERVER__USER_IN_FLIGHT_LIMIT: '20',
  });
  const saved = await Promise.all([
    call(sapor.url, 'PUT', '/api/v1/policies/stage-references', asUser('root'), {
      source: [
        'package opa.pipelines',
        'import rego.v1',
        'deny contains msg if {',
        '  some stage in input.pipeline.stages',
        '  some ref in stage.requisiteStageRefIds',
        '  not defined(ref)',
        '  msg := sprintf("stage %v depends on a missing stage %v", [stage.name, ref])',
        '}',
        'defined(ref) if {',
        '  some other in input.pipeline.stages',
        '  other.refId == ref',
        '}',
      ].join('\n'),
    }),
    call(sapor.url, 'PUT', '/api/v1/policies/deploy', asUser('root'), {
      source: 'package isd.deploy\n\ndefault allow := false\n\nallow if input.application == "shop"\n',
    }),
  ]);
  expect(saved.map((answer) => answer.status)).toEqual([201, 201]);
});
afterAll(() => sapor?.stop());

/** Twelve of alice's requests at once; resolves once the first is answered, with all twelve answers to come. */
async function floodAsAlice(path: string, body: unknown): Promise<Promise<Answer>[]> {
  let firstAnswered: () => void = () => undefined;
  const firstAnswer = new Promise<void>((resolve) => (firstAnswered = resolve));
  const flood = Array.from({ length: 12 }, () =>
    call(sapor.url, 'POST', path, asUser('alice'), body).finally(() => firstAnswered()),
  );
  await firstAnswer;
  return flood;
}

/** Some of alice's flood is refused (503) naming her limit; the rest, returned, were evaluated. */
async function refusedBeyondHerLimit(flood: Promise<Answer>[]): Promise<Answer[]> {
  const answers = await Promise.all(flood);
  const refused = answers.filter((answer) => answer.status === 503);
  expect(refused.length).toBeGreaterThan(0);
  for (const answer of refused)
    expect(answer.body.detail).toMatch(/alice has 2 evaluations waiting or running \(at most 2\)/);
  return answers.filter((answer) => answer.status !== 503);
}

/** Orca's policy gate is evaluated (and allows) while the flood holds the workers. */
async function expectGateEvaluated(): Promise<void> {
  const gate = await call(sapor.url, 'POST', '/api/v1/policy-gates', asOrca, {
    application: 'shop',
    executionId: `exec-${randomUUID()}`,
    stageId: 'policy',
    policy: 'isd/deploy/allow',
  });
  expect(gate.status).toBe(202);
  expect(gate.body).toMatchObject({ status: 'allow', messages: [] });
}

describe("one user's evaluations do not starve Orca's gates or other users", () => {
  it('evaluates the gate and the other check while alice floods, and refuses her excess with 503', async () => {
    // Some of hers are answered (refused) at once; the rest hold the worker for seconds.
    const flood = await floodAsAlice('/api/v1/policies/pipeline-check', { new: heavyPipeline });
    await expectGateEvaluated();

    const bob = await call(sapor.url, 'POST', '/api/v1/policies/pipeline-check', asUser('bob'), {
      new: { application: 'billing', name: 'short', stages: [] },
    });
    expect(bob.status).toBe(200);
    expect(bob.body).toMatchObject({ status: 'allow' });

    const evaluated = await refusedBeyondHerLimit(flood);
    // The rest were evaluated to their budget (a 400 naming it), not lost.
    for (const answer of evaluated)
      expect(answer.body).toMatchObject({ status: 400, type: 'urn:isd:problem:policy_budget_exceeded' });
    expect((await fetch(`${sapor.url}/healthz`)).status).toBe(200);
  });

  it("runs a user's policy check (Rego the user wrote, tests at ten times the budget) in that user's lane", async () => {
    // Any reader may check a policy before an admin saves it; its test spins to its (test) time budget.
    const spinning = {
      source: [
        'package scratch',
        'test_spin if {',
        '  r := numbers.range(1, 100000)',
        '  count([1 | some a in r; some b in r; a == b + 1000000]) == 0',
        '}',
      ].join('\n'),
    };
    const flood = await floodAsAlice('/api/v1/policies/scratch/check', spinning);
    // Was: her checks ran in the service's lane, so they filled the queue and Orca's gate failed closed.
    await expectGateEvaluated();

    const evaluated = await refusedBeyondHerLimit(flood);
    // The rest ran their test to its budget and report it.
    for (const answer of evaluated)
      expect(answer).toMatchObject({
        status: 200,
        body: { passed: false, tests: [{ passed: false, error: expect.stringMatching(/budget/) }] },
      });
    expect((await fetch(`${sapor.url}/healthz`)).status).toBe(200);
  });
});
