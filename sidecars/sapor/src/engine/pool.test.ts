import { BudgetExceededError } from '@isd/rego';
import { eventually } from '@isd/test-support';
import type { EngineBudget, EvaluateJob, EvaluateOutcome } from './jobs';
import { EvaluationPool } from './pool';

const unlimited: EngineBudget = { maxSteps: 1e15, timeoutMs: 1e9, maxMemoryBytes: 1e15 };

function job(source: string, document: string, budget: EngineBudget = unlimited): EvaluateJob {
  return {
    kind: 'evaluate',
    bundle: { key: source, sources: [{ name: 'p.rego', source }] },
    document,
    input: { value: {} },
    budget,
  };
}

// CPU only: no pair passes the filter, so the comprehension never grows and only the deadline can end it
// (a growing one raced the 48 MiB heap limit against the deadline on a loaded machine).
const spin =
  'package p\nn := count([1 | some a in numbers.range(1, 100000); some b in numbers.range(1, 100000); a + b < 0])';
const hog = 'package p\nn := count(numbers.range(1, 100000000))';
const quick = 'package p\nx := 40 + 2';

let pool: EvaluationPool;

beforeAll(() => {
  pool = new EvaluationPool({
    size: 2,
    maxOldGenerationMb: 48,
    maxYoungGenerationMb: 8,
    queueLimit: 4,
    perCallerLimit: 4,
  });
});
afterAll(() => pool.close());

describe('EvaluationPool', () => {
  it('ends a job past its deadline from outside, replaces the worker, and keeps answering meanwhile', async () => {
    const spinning = pool.run(job(spin, 'data.p.n'), 1_500);
    // The other worker answers while the first spins.
    await expect(pool.run<EvaluateOutcome>(job(quick, 'data.p.x'), 5_000)).resolves.toEqual({
      result: '42',
      warnings: [],
    });
    const error = await spinning.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({ limit: 'time', used: 1_500 });
    // The replacement (and the other worker) evaluate again.
    const answers = await Promise.all([1, 2, 3].map(() => pool.run<EvaluateOutcome>(job(quick, 'data.p.x'), 10_000)));
    expect(answers.map((answer) => answer.result)).toEqual(['42', '42', '42']);
  });

  it('ends a worker that outgrows its heap with a memory budget error', async () => {
    const error = await pool.run(job(hog, 'data.p.n'), 60_000).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({ limit: 'memory', used: 48 * 1024 * 1024 });
    await expect(pool.run<EvaluateOutcome>(job(quick, 'data.p.x'), 10_000)).resolves.toMatchObject({ result: '42' });
  });

  it('reports the engine budget errors raised inside a worker as BudgetExceededError', async () => {
    const error = await pool
      .run(job(spin, 'data.p.n', { maxSteps: 10_000, timeoutMs: 10_000, maxMemoryBytes: 1e9 }), 10_000)
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({ limit: 'steps', used: 10_000 });
  });

  it('sends a policy set again to a worker that evicted it (workers keep four)', async () => {
    const sets = [1, 2, 3, 4, 5, 6].map((n) => `package p\nx := ${n}`);
    // Every set on every worker, twice: the second round finds the first sets evicted.
    for (let round = 0; round < 2; round++)
      for (const source of sets) {
        const answers = await Promise.all([1, 2].map(() => pool.run<EvaluateOutcome>(job(source, 'data.p.x'), 10_000)));
        expect(answers.map((answer) => answer.result)).toEqual([source.slice(-1), source.slice(-1)]);
      }
  });

  it('refuses jobs beyond its queue limit instead of queueing without bound', async () => {
    await eventually(async () => (pool.liveWorkers === 2 ? true : undefined), 30_000, 'both workers started');
    const running = [1, 2].map(() => pool.run(job(spin, 'data.p.n'), 1_000).catch(() => undefined));
    const queued = [1, 2, 3, 4].map(() => pool.run(job(quick, 'data.p.x'), 10_000));
    await expect(pool.run(job(quick, 'data.p.x'), 10_000)).rejects.toMatchObject({ code: 'evaluation_queue_full' });
    await Promise.all(running);
    const settled = await Promise.allSettled(queued);
    expect(settled.map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason) : 'ok'))).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
    ]);
  });
});

describe('EvaluationPool fairness between callers', () => {
  let fair: EvaluationPool;
  beforeAll(() => {
    fair = new EvaluationPool({
      size: 1,
      maxOldGenerationMb: 48,
      maxYoungGenerationMb: 8,
      queueLimit: 100,
      perCallerLimit: 5,
    });
  });
  afterAll(() => fair.close());

  it("serves each caller's lane in turn: one user's many jobs do not delay another user's or the service's", async () => {
    await eventually(async () => (fair.liveWorkers === 1 ? true : undefined), 30_000, 'the worker started');
    const finished: string[] = [];
    const track = (who: string, run: Promise<unknown>) => run.then(() => finished.push(who));
    // mallory holds the only worker, then queues four more; bob and the service come after.
    const blocking = fair.run(job(spin, 'data.p.n'), 1_000, 'mallory').catch(() => undefined);
    const waiting = [
      ...[1, 2, 3, 4].map(() => track('mallory', fair.run(job(quick, 'data.p.x'), 10_000, 'mallory'))),
      track('bob', fair.run(job(quick, 'data.p.x'), 10_000, 'bob')),
      track('service', fair.run(job(quick, 'data.p.x'), 10_000)),
    ];
    // mallory's sixth job is over her limit (five waiting or running); bob and the service are not affected.
    await expect(fair.run(job(quick, 'data.p.x'), 10_000, 'mallory')).rejects.toMatchObject({
      code: 'evaluation_queue_full',
      message: expect.stringMatching(/^mallory has 5 evaluations waiting or running \(at most 5\)/),
    });
    await blocking;
    await Promise.all(waiting);
    expect(finished).toEqual(['mallory', 'bob', 'service', 'mallory', 'mallory', 'mallory']);
    // Her jobs done, she may run again.
    await expect(fair.run<EvaluateOutcome>(job(quick, 'data.p.x'), 10_000, 'mallory')).resolves.toMatchObject({
      result: '42',
    });
  });
});
