import type { ActivePolicies, PolicyStore, PolicyVersion } from '../store/policy-store';
import { EvaluationPool } from './pool';
import { PolicyRegistry, policiesFor } from './registry';

function version(name: string, version: number, source: string, packages: string[]): PolicyVersion {
  return {
    name,
    version,
    regoVersion: 'v1',
    modules: [{ name: 'p.rego', source }],
    packages,
    digest: `${name}@${version}`,
    description: null,
    origin: 'api',
    originRef: null,
    createdBy: null,
    createdAt: '',
  };
}

/** Just enough of a store for the registry: a revision and the active versions, counting reads. */
function storeWith(state: ActivePolicies) {
  const calls = { revision: 0, active: 0 };
  const store = {
    revision: async () => {
      calls.revision += 1;
      return state.revision;
    },
    active: async () => {
      calls.active += 1;
      return { revision: state.revision, policies: [...state.policies] };
    },
  } as unknown as PolicyStore;
  return { store, calls };
}

const limits = { maxSteps: 10_000, timeoutMs: 1_000, maxMemoryBytes: 1 << 24, deadlineMs: 5_000, httpAllowedHosts: [] };
let pool: EvaluationPool;

beforeAll(() => {
  pool = new EvaluationPool({
    size: 1,
    maxOldGenerationMb: 128,
    maxYoungGenerationMb: 16,
    queueLimit: 10,
    perCallerLimit: 10,
  });
});
afterAll(() => pool.close());

describe('PolicyRegistry', () => {
  it('reads the store once per revision and evaluates the set of that revision', async () => {
    const state: ActivePolicies = { revision: 1, policies: [version('a', 1, 'package a\n\nx := 1\n', ['a'])] };
    const { store, calls } = storeWith(state);
    const registry = new PolicyRegistry(store, limits, pool);
    const first = await registry.bundle();
    const again = await registry.bundle();
    expect(again).toBe(first);
    expect(calls).toEqual({ revision: 2, active: 1 });
    expect((await registry.evaluate(first, 'data.a.x', { value: {} })).result).toBe('1');
    state.revision = 2;
    state.policies = [version('a', 2, 'package a\n\nx := 2\n', ['a'])];
    const next = await registry.bundle();
    expect(next.key).not.toBe(first.key);
    expect((await registry.evaluate(next, 'data.a.x', { value: {} })).result).toBe('2');
    // The worker still has the first set compiled under its key.
    expect((await registry.evaluate(first, 'data.a.x', { value: {} })).result).toBe('1');
  });

  it('validate names the failing test of the candidate only', async () => {
    const { store } = storeWith({ revision: 0, policies: [] });
    const registry = new PolicyRegistry(store, limits, pool);
    const others = [version('other', 1, 'package other\n\ntest_broken if false\n', ['other'])];
    await expect(
      registry.validate(
        { name: 'a', regoVersion: 'v1', modules: [{ name: 'a.rego', source: 'package a\n\ntest_ok if true\n' }] },
        others,
      ),
    ).resolves.toEqual({ packages: ['a'], tests: [{ name: 'data.a.test_ok', passed: true }] });
    await expect(
      registry.validate(
        { name: 'a', regoVersion: 'v1', modules: [{ name: 'a.rego', source: 'package a\n\ntest_bad if 1 == 2\n' }] },
        others,
      ),
    ).rejects.toThrow(/data\.a\.test_bad/);
    // A package whose name is no identifier: its tests are named as OPA prints them, and run.
    await expect(
      registry.validate(
        {
          name: 'a',
          regoVersion: 'v1',
          modules: [{ name: 'a.rego', source: 'package a["b-c"]\n\ntest_bad if 1 == 2\n' }],
        },
        others,
      ),
    ).rejects.toThrow(/data\.a\["b-c"\]\.test_bad/);
    await expect(
      registry.validate(
        { name: 'a', regoVersion: 'v1', modules: [{ name: 'a.rego', source: 'package a\nx := (' }] },
        [],
      ),
    ).rejects.toMatchObject({ code: 'policy_parse_error', issues: [{ path: 'body.modules.0.source' }] });
  });
});

describe('policiesFor', () => {
  it('lists the policies defining a document, most specific first', () => {
    const policies = [
      version('wide', 1, '', ['isd']),
      version('narrow', 3, '', ['isd.deploy']),
      version('else', 1, '', ['other']),
    ];
    expect(policiesFor(['isd', 'deploy', 'allow'], policies).map((policy) => policy.name)).toEqual(['narrow', 'wide']);
    expect(policiesFor(['isd'], policies).map((policy) => policy.name)).toEqual(['wide', 'narrow']);
    expect(policiesFor([], policies)).toHaveLength(3);
  });
});
