import type { ActivePolicies, PolicyStore, PolicyVersion } from '../store/policy-store';
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

const limits = { maxSteps: 10_000, timeoutMs: 1_000, httpAllowedHosts: [] };

describe('PolicyRegistry', () => {
  it('compiles once per revision and reuses the compiled set', async () => {
    const state: ActivePolicies = { revision: 1, policies: [version('a', 1, 'package a\n\nx := 1\n', ['a'])] };
    const { store, calls } = storeWith(state);
    const registry = new PolicyRegistry(store, limits);
    const first = await registry.bundle();
    const again = await registry.bundle();
    expect(again.compiled).toBe(first.compiled);
    expect(calls).toEqual({ revision: 2, active: 1 });
    state.revision = 2;
    state.policies = [version('a', 2, 'package a\n\nx := 2\n', ['a'])];
    const next = await registry.bundle();
    expect(next.compiled).not.toBe(first.compiled);
    expect(next.compiled?.evaluate('data.a.x')).toBe(2);
  });

  it('reuses a compiled set when the revision moves back to the same versions', async () => {
    const state: ActivePolicies = { revision: 1, policies: [version('a', 1, 'package a\n\nx := 1\n', ['a'])] };
    const { store } = storeWith(state);
    const registry = new PolicyRegistry(store, limits);
    const first = await registry.bundle();
    state.revision = 2;
    expect((await registry.bundle()).compiled).toBe(first.compiled);
  });

  it('validate names the failing test of the candidate only', () => {
    const { store } = storeWith({ revision: 0, policies: [] });
    const registry = new PolicyRegistry(store, limits);
    const others = [version('other', 1, 'package other\n\ntest_broken if false\n', ['other'])];
    expect(() =>
      registry.validate(
        { name: 'a', regoVersion: 'v1', modules: [{ name: 'a.rego', source: 'package a\n\ntest_ok if true\n' }] },
        others,
      ),
    ).not.toThrow();
    expect(() =>
      registry.validate(
        { name: 'a', regoVersion: 'v1', modules: [{ name: 'a.rego', source: 'package a\n\ntest_bad if 1 == 2\n' }] },
        others,
      ),
    ).toThrow(/data\.a\.test_bad/);
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
