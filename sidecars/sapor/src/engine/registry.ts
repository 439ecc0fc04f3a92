// The live policy set as of one store revision, and the two things done with it off the event loop:
// evaluating a document and validating a policy about to be saved (both in the worker pool).
import { InputError } from '@isd/kit';
import type { FieldIssue } from '@isd/kit';
import { BudgetExceededError, type ModuleSource, type RegoVersion, type TestResult } from '@isd/rego';
import type { PolicyModule, PolicyStore, PolicyVersion } from '../store/policy-store';
import {
  sourcesOf,
  type CandidateEvaluation,
  type EngineBudget,
  type EvaluateOutcome,
  type JobInput,
  type ValidateOutcome,
} from './jobs';
import type { EvaluationPool, JobCaller } from './pool';

/** The live policies, as of one store revision. */
export interface PolicyBundle {
  revision: number;
  /** Identifies the set of (policy, version): workers cache the compiled set under it. */
  key: string;
  sources: ModuleSource[];
  policies: PolicyVersion[];
}

/** A policy about to be saved. */
export interface PolicyCandidate {
  name: string;
  regoVersion: RegoVersion;
  modules: PolicyModule[];
}

/** Budget applied to every evaluation (test runs get TEST_BUDGET_FACTOR times as much). */
export interface EvaluationLimits {
  maxSteps: number;
  timeoutMs: number;
  maxMemoryBytes: number;
  /** Wall-clock deadline of one job in a worker, enforced from outside it (the worker is replaced). */
  deadlineMs: number;
  httpAllowedHosts: string[];
}

/** A policy's own tests run with this many times an evaluation's budget and deadline. */
export const TEST_BUDGET_FACTOR = 10;

/** A test that failed when a policy was saved. */
export class PolicyTestFailedError extends InputError {
  constructor(
    readonly policyName: string,
    readonly failures: TestResult[],
    /** Every test of the policy, passed or not. */
    readonly tests: TestResult[] = failures,
    /** Packages the policy declares. */
    readonly packages: string[] = [],
    /** The playground's evaluation, when one was asked for. */
    readonly evaluation?: CandidateEvaluation,
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

function bundleKey(policies: PolicyVersion[]): string {
  return policies.map((policy) => `${policy.name}@${policy.version}`).join(',');
}

/** The message of a rego error with where it happened. */
export function regoErrorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Tracks the live policy set and runs evaluations and validations on it in the worker pool. */
export class PolicyRegistry {
  private latest: PolicyBundle | undefined;
  private loading: Promise<PolicyBundle> | undefined;

  constructor(
    private readonly store: PolicyStore,
    private readonly limits: EvaluationLimits,
    private readonly pool: EvaluationPool,
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
    const bundle: PolicyBundle = {
      revision: active.revision,
      key: bundleKey(active.policies),
      sources: sourcesOf(active.policies),
      policies: active.policies,
    };
    if (!this.latest || this.latest.revision <= active.revision) this.latest = bundle;
    return bundle;
  }

  private budget(factor = 1): EngineBudget {
    return {
      maxSteps: this.limits.maxSteps * factor,
      timeoutMs: this.limits.timeoutMs * factor,
      // Memory is not scaled: the worker's heap is the same for tests.
      maxMemoryBytes: this.limits.maxMemoryBytes,
    };
  }

  /** Evaluates a Rego reference (`data.a.b`) on the bundle in a worker. */
  evaluate(
    bundle: PolicyBundle,
    document: string,
    input: JobInput,
    strictBuiltinErrors = false,
    caller?: JobCaller,
  ): Promise<EvaluateOutcome> {
    return this.pool.run<EvaluateOutcome>(
      {
        kind: 'evaluate',
        bundle: { key: bundle.key, sources: bundle.sources },
        document,
        input,
        budget: this.budget(),
        http: this.limits.httpAllowedHosts.length
          ? { allowedHosts: this.limits.httpAllowedHosts, timeoutMs: this.limits.timeoutMs }
          : undefined,
        strictBuiltinErrors,
      },
      this.limits.deadlineMs,
      caller,
    );
  }

  /**
   * Checks a policy before it is saved, in a worker: every module parses, the whole live set compiles
   * with it (no conflicts), and its own `test_*` rules pass. Returns the packages it declares. A user's
   * check waits in that user's lane, like their other evaluations.
   */
  async validate(
    candidate: PolicyCandidate,
    others: PolicyVersion[],
    evaluate?: { document?: string; input: JobInput },
    caller?: JobCaller,
  ): Promise<{ packages: string[]; tests: TestResult[]; evaluation?: CandidateEvaluation }> {
    let outcome: ValidateOutcome;
    try {
      outcome = await this.pool.run<ValidateOutcome>(
        {
          kind: 'validate',
          candidate,
          others: sourcesOf(others.filter((policy) => policy.name !== candidate.name)),
          budget: this.budget(TEST_BUDGET_FACTOR),
          ...(evaluate ? { evaluate } : {}),
        },
        this.limits.deadlineMs * TEST_BUDGET_FACTOR,
        caller,
      );
    } catch (error) {
      // The worker was ended (deadline, heap): the candidate's own code did it, so it is the client's problem.
      if (error instanceof BudgetExceededError)
        throw new InputError(`policy ${candidate.name} was not checked: ${error.message}`, {
          code: 'policy_budget_exceeded',
          issues: [{ path: 'body.modules', message: error.message }],
        });
      throw error;
    }
    if (outcome.ok)
      return {
        packages: outcome.packages,
        tests: outcome.tests,
        ...(outcome.evaluation ? { evaluation: outcome.evaluation } : {}),
      };
    switch (outcome.reason) {
      case 'parse':
        throw new InputError(`modules[${outcome.index}] (${outcome.module}): ${outcome.message}`, {
          code: 'policy_parse_error',
          issues: [{ path: `body.modules.${outcome.index}.source`, message: outcome.message }],
        });
      case 'compile': {
        const issue: FieldIssue = { path: 'body.modules', message: outcome.message };
        throw new InputError(`policy ${candidate.name} does not compile: ${outcome.message}`, {
          code: 'policy_compile_error',
          issues: [issue],
        });
      }
      case 'tests':
        throw new PolicyTestFailedError(
          candidate.name,
          outcome.tests.filter((test) => !test.passed),
          outcome.tests,
          outcome.packages,
          outcome.evaluation,
        );
    }
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
