// Public API: compile modules once, evaluate queries and paths many times, run `test_*` rules.
import './builtins';
import type { Expr, Module } from './ast';
import { compileModules, compileQuery, withArities, type CompiledModules, type RuleNode } from './compiler';
import { CompileError, EvalError, type RegoError } from './errors';
import { Evaluation, type Budget } from './eval';
import { parseModule, parseQuery, type RegoVersion } from './parser';
import { InvalidNumberError, RegoObject, fromJS, toJS, type Value } from './value';

/** A module to compile: a file name, its Rego source, and its syntax version (default v1). */
export interface ModuleSource {
  name: string;
  source: string;
  regoVersion?: RegoVersion;
}

/** Options for compile(). */
export interface CompileOptions {
  /** Syntax for modules that do not say (default 'v1'). */
  regoVersion?: RegoVersion;
  /** Enables OPA's experimental `and` / `or` / `not { }` keywords. */
  experimentalKeywords?: boolean;
}

/** Options for one evaluation. */
export interface EvaluateOptions {
  /** The input document as JSON-like data (or a Rego value). */
  input?: unknown;
  /** Base documents under `data`, merged under the policy's rules. */
  data?: unknown;
  /** Return the first builtin error instead of treating the failing call as undefined. */
  strictBuiltinErrors?: boolean;
  /** Step and wall-time limits. */
  budget?: Budget;
  /** Enables http.send for these hosts. Off when undefined. */
  http?: { allowedHosts: string[]; timeoutMs?: number };
  /** Fixed clock (ns since epoch) for time.now_ns. */
  nowNs?: bigint;
}

/** Result of a query: one map of variable bindings per solution, plus builtin errors recorded on the way. */
export interface QueryResult {
  results: Map<string, Value>[];
  errors: RegoError[];
  /** Lines written by print() calls. */
  prints: string[];
}

/** Outcome of one `test_*` rule. */
export interface TestResult {
  name: string;
  passed: boolean;
  error?: string;
}

/** A compiled set of modules; immutable and safe to cache and evaluate concurrently. */
export class CompiledPolicy {
  private readonly queries = new Map<string, Expr[]>();
  private readonly queryModule: Module;

  constructor(
    /** @internal */ readonly compiled: CompiledModules,
    private readonly options: CompileOptions,
  ) {
    this.queryModule = {
      file: 'query',
      packagePath: [],
      imports: [],
      rules: [],
      regoVersion: options.regoVersion ?? 'v1',
    };
  }

  /** Compiles (and caches) a query body. Throws ParseError/CompileError. */
  prepare(query: string): Expr[] {
    let body = this.queries.get(query);
    if (!body) {
      const parsed = parseQuery(query, { regoVersion: 'v1', experimentalKeywords: this.options.experimentalKeywords });
      body = withArities(this.compiled.functionArity, () => compileQuery(parsed, this.compiled, this.queryModule));
      if (this.queries.size > 1000) this.queries.clear();
      this.queries.set(query, body);
    }
    return body;
  }

  /** Runs a query; builtin errors are returned in `errors` (halting errors such as conflicts throw). */
  query(query: string, options: EvaluateOptions = {}): QueryResult {
    const body = this.prepare(query);
    try {
      const evaluation = new Evaluation(this.compiled, {
        input: options.input === undefined ? undefined : documentValue(options.input, 'input'),
        data: options.data === undefined ? undefined : documentValue(options.data, 'data'),
        strictBuiltinErrors: options.strictBuiltinErrors,
        budget: options.budget,
        http: options.http
          ? { allowedHosts: options.http.allowedHosts, timeoutMs: options.http.timeoutMs ?? 5000 }
          : undefined,
        nowNs: options.nowNs,
      });
      const results = evaluation.query(body);
      return { results, errors: evaluation.errors, prints: evaluation.prints };
    } catch (err) {
      // Pathologically deep input or nesting exhausts the JS stack; report it as an evaluation error.
      if (err instanceof RangeError && /call stack/i.test(err.message))
        throw new EvalError('eval_internal_error', 'evaluation too deeply nested (stack exhausted)');
      throw err;
    }
  }

  /**
   * Evaluates a document such as `data.spinnaker.deny` and returns it as a Rego value, or undefined.
   * With strictBuiltinErrors, the first builtin error is thrown.
   */
  evaluateValue(path: string, options: EvaluateOptions = {}): Value | undefined {
    if (!/^(data|input)(\.[A-Za-z_][A-Za-z0-9_]*|\["[^"]*"\])*$/.test(path))
      throw new CompileError('rego_parse_error', `invalid document path ${JSON.stringify(path)}`);
    const { results, errors } = this.query(`__result__ = ${path}`, options);
    if (options.strictBuiltinErrors && errors.length > 0) throw errors[0];
    if (results.length === 0) return undefined;
    return results[0]?.get('__result__');
  }

  /** Like evaluateValue, but returns JSON-compatible JS data (sets become sorted arrays). */
  evaluate(path: string, options: EvaluateOptions = {}): unknown {
    const v = this.evaluateValue(path, options);
    try {
      return v === undefined ? undefined : toJS(v);
    } catch (err) {
      if (err instanceof RangeError) throw new EvalError('eval_internal_error', 'result too deeply nested to convert');
      throw err;
    }
  }

  /** Paths of the `test_*` rules, e.g. `data.pkg.test_allow`. */
  testNames(): string[] {
    const out: string[] = [];
    const walk = (node: RuleNode): void => {
      const last = node.path[node.path.length - 1];
      if (last?.startsWith('test_') && node.kind === 'single' && node.rules.length > 0)
        out.push(['data', ...node.path].join('.'));
      for (const c of node.children.values()) walk(c);
    };
    walk(this.compiled.root);
    return out.sort();
  }

  /** Runs every `test_*` rule; a test passes when it evaluates to true. */
  runTests(options: EvaluateOptions = {}): TestResult[] {
    return this.testNames().map((name) => {
      try {
        const { results, errors } = this.query(`__test__ = ${name}`, { ...options });
        const value = results[0]?.get('__test__');
        if (errors.length > 0 && value === undefined) return { name, passed: false, error: errors[0]?.message };
        return value === true
          ? { name, passed: true }
          : { name, passed: false, error: value === undefined ? 'undefined' : 'not true' };
      } catch (err) {
        return { name, passed: false, error: err instanceof Error ? err.message : String(err) };
      }
    });
  }
}

/** Parses and compiles modules. Throws ParseError or CompileError with file, line and what was expected. */
export function compile(modules: ModuleSource[], options: CompileOptions = {}): CompiledPolicy {
  try {
    const parsed = modules.map((m) =>
      parseModule(m.source, m.name, {
        regoVersion: m.regoVersion ?? options.regoVersion ?? 'v1',
        experimentalKeywords: options.experimentalKeywords,
      }),
    );
    const compiled = withArities(new Map(), () => compileModules(parsed));
    return new CompiledPolicy(compiled, options);
  } catch (err) {
    if (err instanceof RangeError) throw new CompileError('rego_parse_error', 'policy too deeply nested to compile');
    throw err;
  }
}

/** Convenience: compile and evaluate one path (`data.x.allow`) once. */
export function evaluatePath(modules: ModuleSource[], path: string, options: EvaluateOptions = {}): unknown {
  return compile(modules).evaluate(path, options);
}

/** Converts JSON-like data to a Rego value. */
export const valueFromJSON = fromJS;

/** Converts the input or base data document, refusing numbers Rego cannot hold with where they are. */
function documentValue(document: unknown, root: 'input' | 'data'): Value {
  try {
    return fromJS(document);
  } catch (error) {
    if (error instanceof InvalidNumberError)
      throw new EvalError(
        'eval_invalid_input',
        `${error.where(root)}: ${error.number} is not a valid number (beyond float64's range; OPA would need it exact)`,
      );
    throw error;
  }
}
/** Converts a Rego value to JSON-compatible data. */
export const valueToJSON = toJS;
/** An empty Rego object, handy for `data`. */
export const emptyObject = (): RegoObject => new RegoObject();
