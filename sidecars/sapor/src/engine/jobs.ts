// The work an evaluation worker does: compile a policy set (cached by its key), evaluate a document,
// validate a policy about to be saved. Pure functions of their messages, so they also run in tests.
import {
  compile,
  dataRefText,
  parseJSONText,
  parseModule,
  RegoObject,
  toJSONText,
  type CompiledPolicy,
  type ModuleSource,
  type RegoVersion,
  type TestResult,
} from '@isd/rego';

/** Budget of one evaluation inside the engine (steps, wall time, bytes of values built). */
export interface EngineBudget {
  maxSteps: number;
  timeoutMs: number;
  maxMemoryBytes: number;
}

/** The policy set an evaluation runs on: its key, and its sources when the worker may not have it yet. */
export interface BundleRef {
  key: string;
  sources?: ModuleSource[];
}

/** JSON text holding an input: the whole text, or its top-level member `member` (`{"input": …}`). */
export interface InputText {
  text: string;
  member?: 'input';
}

/**
 * An evaluation's input: parsed JSON (`value`, absent for none), or JSON text read in the worker so that
 * numbers keep their text, as OPA reads them (decision 177).
 */
export type JobInput = { value: unknown } | InputText;

/** Evaluate `data.<path>` for an input. */
export interface EvaluateJob {
  kind: 'evaluate';
  bundle: BundleRef;
  /** A Rego reference such as `data.isd.deploy.allow`. */
  document: string;
  input: JobInput;
  budget: EngineBudget;
  http?: { allowedHosts: string[]; timeoutMs: number };
  strictBuiltinErrors?: boolean;
}

/** Parse a candidate policy, compile it with the others, run its own `test_*` rules. */
export interface ValidateJob {
  kind: 'validate';
  candidate: { name: string; regoVersion: RegoVersion; modules: Array<{ name: string; source: string }> };
  /** Sources of the live policies other than the candidate. */
  others: ModuleSource[];
  budget: EngineBudget;
  /**
   * Also evaluate a document (a Rego reference; absent = the candidate's first package) of the candidate
   * set on an input (the policy playground).
   */
  evaluate?: { document?: string; input: JobInput };
}

/**
 * A document evaluated on the candidate set: its value as JSON text with the numbers' texts (absent when
 * undefined), or why it failed.
 */
export interface CandidateEvaluation {
  document: string;
  result?: string;
  warnings: string[];
  error?: string;
}

export type WorkerJob = EvaluateJob | ValidateJob;

export interface EvaluateOutcome {
  /**
   * The document as JSON text, each number written as the engine holds it (`1.0`, 30 digits, `1e400`) as
   * OPA answers; undefined when undefined. A string also crosses the thread boundary cheaper than a tree.
   */
  result: string | undefined;
  /** Builtin errors met (non-strict evaluation treats the failing call as undefined). */
  warnings: string[];
}

export type ValidateOutcome =
  | { ok: true; packages: string[]; tests: TestResult[]; evaluation?: CandidateEvaluation }
  | { ok: false; reason: 'parse'; index: number; module: string; message: string }
  | { ok: false; reason: 'compile'; message: string }
  | { ok: false; reason: 'tests'; packages: string[]; tests: TestResult[]; evaluation?: CandidateEvaluation };

/** An error as it crosses the thread boundary (class instances do not survive structured clone). */
export interface JobError {
  name: string;
  code?: string;
  message: string;
  limit?: string;
  used?: number;
}

/** The worker has no compiled set for this key and no sources came with the job: send them. */
export const BUNDLE_MISSING = 'bundle_missing';

const MAX_CACHED_BUNDLES = 4;

/** Module sources of policies as compiled together (`<policy>/<module>`). */
export function sourcesOf(
  policies: Array<{ name: string; regoVersion: RegoVersion; modules: Array<{ name: string; source: string }> }>,
): ModuleSource[] {
  return policies.flatMap((policy) =>
    policy.modules.map((module) => ({
      name: `${policy.name}/${module.name}`,
      source: module.source,
      regoVersion: policy.regoVersion,
    })),
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs jobs in one thread, keeping the last few compiled policy sets. */
export class JobRunner {
  private readonly compiled = new Map<string, CompiledPolicy>();

  run(job: WorkerJob): EvaluateOutcome | ValidateOutcome {
    return job.kind === 'evaluate' ? this.evaluate(job) : this.validate(job);
  }

  private bundle(ref: BundleRef): CompiledPolicy {
    const hit = this.compiled.get(ref.key);
    if (hit) {
      // Most recently used last, so the oldest goes first.
      this.compiled.delete(ref.key);
      this.compiled.set(ref.key, hit);
      return hit;
    }
    if (!ref.sources)
      throw Object.assign(new Error(`policy set ${ref.key} is not compiled here`), { code: BUNDLE_MISSING });
    let policy: CompiledPolicy;
    try {
      policy = compile(ref.sources);
    } catch (error) {
      throw Object.assign(new Error(`the policy set could not be compiled: ${message(error)}`), {
        code: 'bundle_compile_error',
      });
    }
    if (this.compiled.size >= MAX_CACHED_BUNDLES) this.compiled.delete(this.compiled.keys().next().value as string);
    this.compiled.set(ref.key, policy);
    return policy;
  }

  private evaluate(job: EvaluateJob): EvaluateOutcome {
    const policy = this.bundle(job.bundle);
    const { results, errors } = policy.query(`__result__ = ${job.document}`, {
      input: inputOf(job.input),
      budget: job.budget,
      http: job.http,
    });
    if (job.strictBuiltinErrors && errors.length > 0) throw errors[0];
    const value = results[0]?.get('__result__');
    return {
      result: value === undefined ? undefined : toJSONText(value),
      warnings: errors.slice(0, 10).map(message),
    };
  }

  private validate(job: ValidateJob): ValidateOutcome {
    const { candidate } = job;
    const packages = new Map<string, string[]>();
    for (const [index, module] of candidate.modules.entries()) {
      try {
        const { packagePath } = parseModule(module.source, module.name, { regoVersion: candidate.regoVersion });
        packages.set(packagePath.join('.'), packagePath);
      } catch (error) {
        return { ok: false, reason: 'parse', index, module: module.name, message: message(error) };
      }
    }
    let policy: CompiledPolicy;
    try {
      policy = compile([...job.others, ...sourcesOf([candidate])]);
    } catch (error) {
      return { ok: false, reason: 'compile', message: message(error) };
    }
    // Test names are references as OPA prints them (`data.a["b-c"].test_x`).
    const own = [...packages.values()].map((path) => `${dataRefText(path)}.`);
    const names = policy
      .testNames()
      .filter((name) => own.some((prefix) => name.startsWith(prefix) && !name.slice(prefix.length).includes('.')));
    const tests = names.map((name) => runTest(policy, name, job.budget));
    const sorted = [...packages.keys()].sort();
    // Evaluated on the set just compiled, never cached: a draft must not evict the live set from the cache.
    const evaluation = job.evaluate
      ? evaluateDocument(
          policy,
          { document: job.evaluate.document ?? `data.${sorted[0] ?? ''}`, input: job.evaluate.input },
          job.budget,
        )
      : undefined;
    const extra = evaluation ? { evaluation } : {};
    if (tests.some((test) => !test.passed)) return { ok: false, reason: 'tests', packages: sorted, tests, ...extra };
    return { ok: true, packages: sorted, tests, ...extra };
  }
}

function inputOf(input: JobInput): unknown {
  if ('value' in input) return input.value;
  const parsed = parseJSONText(input.text);
  if (input.member === undefined) return parsed;
  // Absent member: no input, as when the parsed body has none.
  return parsed instanceof RegoObject ? parsed.get(input.member) : undefined;
}

/** Evaluates one document for the playground; an engine error is the answer, not a failure of the check. */
function evaluateDocument(
  policy: CompiledPolicy,
  request: { document: string; input: JobInput },
  budget: EngineBudget,
): CandidateEvaluation {
  try {
    const input = inputOf(request.input);
    const { results, errors } = policy.query(`__result__ = ${request.document}`, { input, budget });
    const value = results[0]?.get('__result__');
    return {
      document: request.document,
      ...(value === undefined ? {} : { result: toJSONText(value) }),
      warnings: errors.slice(0, 10).map(message),
    };
  } catch (error) {
    return { document: request.document, warnings: [], error: message(error) };
  }
}

/** Runs one `test_*` rule: it passes when it evaluates to true. */
function runTest(policy: CompiledPolicy, name: string, budget: EngineBudget): TestResult {
  try {
    const { results, errors } = policy.query(`__test__ = ${name}`, { budget });
    const value = results[0]?.get('__test__');
    if (value === true) return { name, passed: true };
    if (value === undefined && errors.length > 0) return { name, passed: false, error: message(errors[0]) };
    return { name, passed: false, error: value === undefined ? 'undefined' : 'not true' };
  } catch (error) {
    return { name, passed: false, error: message(error) };
  }
}

/** Flattens a thrown error for postMessage. */
export function toJobError(error: unknown): JobError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fields = error as Error & { code?: unknown; limit?: unknown; used?: unknown };
  return {
    name: error.name,
    message: error.message,
    code: typeof fields.code === 'string' ? fields.code : undefined,
    limit: typeof fields.limit === 'string' ? fields.limit : undefined,
    used: typeof fields.used === 'number' ? fields.used : undefined,
  };
}
