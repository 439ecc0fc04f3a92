// The compiled policy set: compiled once per set of (policy, version) and shared by every request.
import { InputError } from '@isd/kit';
import { compile, parseModule, type CompiledPolicy, type RegoVersion, type TestResult } from '@isd/rego';
import type { FieldIssue } from '@isd/kit';
import type { PolicyModule, PolicyStore, PolicyVersion } from '../store/policy-store';

/** The live policies compiled together, as of one store revision. */
export interface PolicyBundle {
  revision: number;
  /** Undefined when no policy is live. */
  compiled: CompiledPolicy | undefined;
  policies: PolicyVersion[];
}

/** A policy about to be saved. */
export interface PolicyCandidate {
  name: string;
  regoVersion: RegoVersion;
  modules: PolicyModule[];
}

/** Budget applied to every evaluation and test run. */
export interface EvaluationLimits {
  maxSteps: number;
  timeoutMs: number;
  httpAllowedHosts: string[];
}

/** A test that failed when a policy was saved. */
export class PolicyTestFailedError extends InputError {
  constructor(
    readonly policyName: string,
    readonly failures: TestResult[],
    /** Every test of the policy, passed or not. */
    readonly tests: TestResult[] = failures,
    /** Packages the policy declares. */
    readonly packages: string[] = [],
  ) {
    super(
      `policy ${policyName} was not saved: ${failures.length} test(s) failed: ${failures
        .map((failure) => `${failure.name} (${failure.error ?? 'false'})`)
        .join('; ')}`,
      {
        code: 'policy_test_failed',
        issues: failures.map((failure) => ({
          path: 'body.modules',
          message: `${failure.name} failed: ${failure.error ?? 'false'}`,
        })),
      },
    );
  }
}

const MAX_CACHED_BUNDLES = 4;

function bundleKey(policies: PolicyVersion[]): string {
  return policies.map((policy) => `${policy.name}@${policy.version}`).join(',');
}

function sourcesOf(policies: Array<Pick<PolicyVersion, 'name' | 'regoVersion' | 'modules'>>) {
  return policies.flatMap((policy) =>
    policy.modules.map((module) => ({
      name: `${policy.name}/${module.name}`,
      source: module.source,
      regoVersion: policy.regoVersion,
    })),
  );
}

/** The message of a rego error with where it happened. */
export function regoErrorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Compiles the live policies, caches the result per set of versions, and validates new ones. */
export class PolicyRegistry {
  private readonly cache = new Map<string, CompiledPolicy>();
  private latest: PolicyBundle | undefined;
  private loading: Promise<PolicyBundle> | undefined;

  constructor(
    private readonly store: PolicyStore,
    private readonly limits: EvaluationLimits,
  ) {}

  /** The bundle for the store's current revision (one cheap query when nothing changed). */
  async bundle(): Promise<PolicyBundle> {
    const revision = await this.store.revision();
    if (this.latest && this.latest.revision === revision) return this.latest;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<PolicyBundle> {
    const active = await this.store.active();
    const key = bundleKey(active.policies);
    let compiled = this.cache.get(key);
    if (!compiled && active.policies.length > 0) {
      compiled = compile(sourcesOf(active.policies));
      if (this.cache.size >= MAX_CACHED_BUNDLES) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, compiled);
    }
    const bundle = { revision: active.revision, compiled, policies: active.policies };
    if (!this.latest || this.latest.revision <= active.revision) this.latest = bundle;
    return bundle;
  }

  /** Evaluation options for one call: the configured budget, input and http.send allowlist. */
  evaluationOptions(input: unknown) {
    return {
      input,
      budget: { maxSteps: this.limits.maxSteps, timeoutMs: this.limits.timeoutMs },
      http: this.limits.httpAllowedHosts.length
        ? { allowedHosts: this.limits.httpAllowedHosts, timeoutMs: this.limits.timeoutMs }
        : undefined,
    };
  }

  /**
   * Checks a policy before it is saved: every module parses, the whole live set compiles with it (no
   * conflicts), and its own `test_*` rules pass. Returns the packages it declares.
   */
  validate(candidate: PolicyCandidate, others: PolicyVersion[]): { packages: string[]; tests: TestResult[] } {
    const packages = new Set<string>();
    candidate.modules.forEach((module, index) => {
      try {
        packages.add(
          parseModule(module.source, module.name, { regoVersion: candidate.regoVersion }).packagePath.join('.'),
        );
      } catch (error) {
        throw new InputError(`modules[${index}] (${module.name}): ${regoErrorMessage(error)}`, {
          code: 'policy_parse_error',
          issues: [{ path: `body.modules.${index}.source`, message: regoErrorMessage(error) }],
        });
      }
    });
    let compiled: CompiledPolicy;
    try {
      compiled = compile(sourcesOf([...others.filter((policy) => policy.name !== candidate.name), candidate]));
    } catch (error) {
      const issue: FieldIssue = { path: 'body.modules', message: regoErrorMessage(error) };
      throw new InputError(`policy ${candidate.name} does not compile: ${regoErrorMessage(error)}`, {
        code: 'policy_compile_error',
        issues: [issue],
      });
    }
    const own = [...packages].map((name) => `data.${name}.`);
    const names = compiled
      .testNames()
      .filter((name) => own.some((prefix) => name.startsWith(prefix) && !name.slice(prefix.length).includes('.')));
    const tests = names.map((name) =>
      runTest(compiled, name, { maxSteps: this.limits.maxSteps * 10, timeoutMs: this.limits.timeoutMs * 10 }),
    );
    const failures = tests.filter((test) => !test.passed);
    if (failures.length) throw new PolicyTestFailedError(candidate.name, failures, tests, [...packages].sort());
    return { packages: [...packages].sort(), tests };
  }
}

/** Runs one `test_*` rule: it passes when it evaluates to true. */
function runTest(compiled: CompiledPolicy, name: string, budget: { maxSteps: number; timeoutMs: number }): TestResult {
  try {
    const { results, errors } = compiled.query(`__test__ = ${name}`, { budget });
    const value = results[0]?.get('__test__');
    if (value === true) return { name, passed: true };
    if (value === undefined && errors.length > 0) return { name, passed: false, error: regoErrorMessage(errors[0]) };
    return { name, passed: false, error: value === undefined ? 'undefined' : 'not true' };
  } catch (error) {
    return { name, passed: false, error: regoErrorMessage(error) };
  }
}

/** The live policies that define (part of) a document, the most specific first. */
export function policiesFor(segments: string[], policies: PolicyVersion[]): PolicyVersion[] {
  const path = segments.join('.');
  const scored: Array<{ policy: PolicyVersion; score: number }> = [];
  for (const policy of policies) {
    let best = -1;
    for (const name of policy.packages) {
      if (path === name || path.startsWith(`${name}.`)) best = Math.max(best, name.length + 1_000);
      else if (path === '' || name.startsWith(`${path}.`)) best = Math.max(best, 0);
    }
    if (best >= 0) scored.push({ policy, score: best });
  }
  return scored
    .sort((a, b) => b.score - a.score || a.policy.name.localeCompare(b.policy.name))
    .map((entry) => entry.policy);
}
