// Public API: compile modules once, evaluate queries and paths many times, run `test_*` rules.
import './builtins';
import type { Expr, Location, Module, Rule, Term } from './ast';
import {
  allVars,
  collectOutputs,
  compileModules,
  compileQuery,
  ruleInfo,
  unification,
  withArities,
  type CompiledModules,
  type RuleNode,
} from './compiler';
import { customBuiltinDefs, type CustomBuiltin } from './builtins/custom';
import { lookupBuiltin, withPolicyBuiltins, type BuiltinDef } from './builtins/registry';
import { CompileError, EvalError, type RegoError } from './errors';
import { Evaluation, type Budget } from './eval';
import { parseModule, parseQuery, type RegoVersion } from './parser';
import { InvalidNumberError, RegoObject, fromJS, toExactJS, toJS, toJSONText, type Value } from './value';

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
  /** Custom builtins this policy may call (name, declared types, implementation), like OPA's rego.Function. */
  builtins?: CustomBuiltin[];
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
  /** For a parameterised test (`test_x[name] if { … }`): each case by its key, as JSON text. */
  cases?: { name: string; passed: boolean }[];
  /** Where the test rule is written. */
  location?: { file: string; line: number };
  /** Wall time of the test in nanoseconds. */
  durationNs?: number;
}

/** A compiled set of modules; immutable and safe to cache and evaluate concurrently. */
export class CompiledPolicy {
  private readonly queries = new Map<string, Expr[]>();
  private readonly queryModule: Module;

  constructor(
    /** @internal */ readonly compiled: CompiledModules,
    private readonly options: CompileOptions,
    private readonly customBuiltins?: ReadonlyMap<string, BuiltinDef>,
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
      body = withPolicyBuiltins(this.customBuiltins, () =>
        withArities(this.compiled.functionArity, () => compileQuery(parsed, this.compiled, this.queryModule)),
      );
      if (this.queries.size > 1000) this.queries.clear();
      this.queries.set(query, body);
    }
    return body;
  }

  /** Runs a query; builtin errors are returned in `errors` (halting errors such as conflicts throw). */
  query(query: string, options: EvaluateOptions = {}): QueryResult {
    return this.run(this.prepare(query), options);
  }

  /**
   * Runs a query like `opa eval`: each solution with the value of every expression (a term's value, or
   * true for unifications, assignments and keywords) and the bindings of the query's variables.
   */
  evalQuery(
    query: string,
    options: EvaluateOptions = {},
  ): QueryResult & { expressions: Value[][]; texts: { text: string; row: number; col: number }[] } {
    const parsed = parseQuery(query, { regoVersion: 'v1', experimentalKeywords: this.options.experimentalKeywords });
    // Each expression's source text: from its start to the next one's, without separators.
    const lineStarts = [0];
    for (let i = 0; i < query.length; i++) if (query[i] === '\n') lineStarts.push(i + 1);
    const offsets = parsed.map((e) => (lineStarts[e.loc.line - 1] ?? 0) + e.loc.column - 1);
    const texts = parsed.map((e, i) => ({
      text: query
        .slice(offsets[i], offsets[i + 1] ?? query.length)
        .trim()
        .replace(/;$/, '')
        .trim(),
      row: e.loc.line,
      col: e.loc.column,
    }));
    // As OPA's rego.rewriteQueryToCaptureValue: a false value fails the query only when the query has more
    // than one expression or iterates; a lone `data.p.allow` or `1 != 1` answers its false.
    const falseFails = parsed.length > 1 || parsed.some(iterates);
    const valued: boolean[] = [];
    const body: Expr[] = [];
    // A call given its output argument (`plus(1, 2, x)`, `walk(d, [p, v])`) is a test whose value is true, as
    // are unifications and assignments; any other term expression answers its value.
    const arity = (name: string): number | undefined =>
      withPolicyBuiltins(this.customBuiltins, () => lookupBuiltin(name)?.arity) ??
      this.compiled.functionArity.get(name);
    parsed.forEach((e, i) => {
      const isValue =
        e.kind === 'term' &&
        !(
          e.term.type === 'call' &&
          (e.term.name === 'eq' || e.term.name === 'assign' || e.term.args.length > (arity(e.term.name) ?? Infinity))
        );
      valued.push(isValue);
      if (!isValue || e.kind !== 'term') {
        body.push(e);
        return;
      }
      // `__exprN__ = term` keeps the value.
      const loc = e.loc;
      const v: Term = { type: 'var', name: `__expr${i}__`, loc };
      const call = (name: string, args: Term[]): Term => ({
        type: 'call',
        name,
        fn: { type: 'var', name, loc },
        args,
        loc,
      });
      body.push({ ...e, term: call('eq', [v, e.term]) });
      if (falseFails)
        body.push({ kind: 'term', term: call('neq', [v, { type: 'scalar', value: false, loc }]), with: e.with, loc });
    });
    const compiled = withPolicyBuiltins(this.customBuiltins, () =>
      withArities(this.compiled.functionArity, () => compileQuery(body, this.compiled, this.queryModule)),
    );
    const out = this.run(compiled, options);
    const expressions = out.results.map((solution) =>
      valued.map((isValue, i) => (isValue ? (solution.get(`__expr${i}__`) as Value) : true)),
    );
    for (const solution of out.results)
      for (const k of [...solution.keys()]) if (/^__expr\d+__$/.test(k)) solution.delete(k);
    return { ...out, expressions, texts };
  }

  /** Evaluates a compiled body. */
  private run(body: Expr[], options: EvaluateOptions): QueryResult {
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
      const results = withPolicyBuiltins(this.customBuiltins, () => evaluation.query(body));
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
  testNames(prefix = 'test_'): string[] {
    const out: string[] = [];
    const walk = (node: RuleNode): void => {
      const last = node.path[node.path.length - 1];
      if (last?.startsWith(prefix) && node.kind === 'single' && node.rules.length > 0) {
        const name = dataRefText(node.path);
        this.testNodes.set(name, node);
        out.push(name);
      }
      for (const c of node.children.values()) walk(c);
    };
    walk(this.compiled.root);
    return out.sort();
  }

  /** Test rules by the names testNames gives them. */
  private readonly testNodes = new Map<string, RuleNode>();

  private testNode(name: string): RuleNode | undefined {
    if (this.testNodes.size === 0) this.testNames();
    return this.testNodes.get(name) ?? this.testNodes.get(dataRefText(name.split('.').slice(1)));
  }

  /**
   * A parameterised test `test_x[name] if { … }` passes when every case is true. Like OPA's test runner
   * (which records each case once its key is bound), a case whose key is bound but whose body then
   * fails is a failure, not a missing entry.
   */
  private parameterisedResult(
    name: string,
    node: RuleNode,
    value: Value | undefined,
    options: EvaluateOptions,
  ): TestResult {
    const outcome = new Map<string, boolean>();
    for (const rule of node.rules) {
      const dyn = ruleInfo.get(rule)?.dyn ?? [];
      if (dyn.length === 0) continue;
      const needed = new Set<string>();
      for (const t of dyn) allVars(t, needed);
      // The shortest prefix of the (ordered) body that binds the key.
      const bound = new Set<string>();
      let end = 0;
      while (end < rule.body.length && [...needed].some((v) => !bound.has(v)))
        collectOutputs(rule.body[end++] as Expr, bound);
      const loc = rule.loc;
      const key: Term = dyn.length === 1 ? (dyn[0] as Term) : { type: 'array', items: dyn, loc };
      const capture = unification({ type: 'var', name: '__case__', loc }, key, loc);
      for (const solution of this.run([...rule.body.slice(0, end), capture], options).results) {
        const k = solution.get('__case__');
        if (k !== undefined) outcome.set(caseName(k), false);
      }
    }
    const leaves = new Map<string, boolean>();
    if (value !== undefined) caseLeaves(value, [], leaves);
    for (const [k, passed] of leaves) outcome.set(k, passed);
    const cases = [...outcome].map(([caseName, passed]) => ({ name: caseName, passed }));
    const failed = cases.filter((c) => !c.passed);
    if (cases.length === 0) return { name, passed: false, error: 'undefined', cases };
    return failed.length === 0
      ? { name, passed: true, cases }
      : {
          name,
          passed: false,
          error: `${failed.length} of ${cases.length} cases failed: ${failed.map((c) => c.name).join(', ')}`,
          cases,
        };
  }

  /**
   * Runs every `test_*` rule; a test passes when it evaluates to true (every case, when parameterised). As
   * OPA's tester, each definition of a test written more than once runs on its own, the second named
   * `test_x#01`, the third `test_x#02`, …
   */
  runTests(options: EvaluateOptions = {}): TestResult[] {
    return this.testNames().flatMap((name) => {
      const rules = this.testNode(name)?.rules ?? [];
      const separately =
        rules.length > 1 && rules.every((r) => !r.elseRule && (ruleInfo.get(r)?.dyn.length ?? 0) === 0);
      if (!separately) return [this.timed(name, rules[0]?.loc, () => this.runTest(name, options))];
      return rules.map((rule, i) => {
        const definition = i === 0 ? name : `${name}#${String(i).padStart(2, '0')}`;
        return this.timed(definition, rule.loc, () => this.runDefinition(definition, rule, options));
      });
    });
  }

  private timed(name: string, loc: Location | undefined, run: () => TestResult): TestResult {
    const started = process.hrtime.bigint();
    const result = run();
    return {
      ...result,
      name,
      ...(loc ? { location: { file: loc.file, line: loc.line } } : {}),
      durationNs: Number(process.hrtime.bigint() - started),
    };
  }

  /** One definition of a test rule alone: its body, then its value. */
  private runDefinition(name: string, rule: Rule, options: EvaluateOptions): TestResult {
    const loc = rule.loc;
    const capture = unification({ type: 'var', name: '__test__', loc }, rule.value, loc);
    try {
      const { results, errors } = this.run([...rule.body, capture], options);
      return testOutcome(name, results[0]?.get('__test__'), errors);
    } catch (err) {
      return { name, passed: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Where a rule such as a skipped `todo_test_*` is written. */
  ruleLocation(name: string): { file: string; line: number } | undefined {
    const loc = this.testNode(name)?.rules[0]?.loc;
    return loc ? { file: loc.file, line: loc.line } : undefined;
  }

  private runTest(name: string, options: EvaluateOptions): TestResult {
    try {
      const { results, errors } = this.query(`__test__ = ${name}`, { ...options });
      const value = results[0]?.get('__test__');
      const node = this.testNode(name);
      if (node && node.rules.some((r) => (ruleInfo.get(r)?.dyn.length ?? 0) > 0))
        return this.parameterisedResult(name, node, value, options);
      return testOutcome(name, value, errors);
    } catch (err) {
      return { name, passed: false, error: err instanceof Error ? err.message : String(err) };
    }
  }
}

/**
 * Whether a query expression iterates as OPA's `iteration` (rego.go) sees it: a reference with a variable
 * after its head, or a call of `walk` (OPA's one relation builtin). Comprehensions are their own scope.
 */
function iterates(expr: Expr): boolean {
  const term = (t: Term): boolean => {
    switch (t.type) {
      case 'ref':
        return term(t.head) || t.path.some((p) => p.type === 'var' || term(p));
      case 'call':
        return t.name === 'walk' || t.args.some(term);
      case 'array':
      case 'set':
        return t.items.some(term);
      case 'object':
        return t.items.some(([k, v]) => term(k) || term(v));
      default:
        return false;
    }
  };
  // Only a term's value is captured, so only a term expression needs the answer.
  return expr.kind === 'term' && (term(expr.term) || expr.with.some((w) => term(w.target) || term(w.value)));
}

/** A test passes when its value is true; else the first error, or why not. */
function testOutcome(name: string, value: Value | undefined, errors: { message: string }[]): TestResult {
  if (errors.length > 0 && value === undefined) return { name, passed: false, error: errors[0]?.message };
  return value === true
    ? { name, passed: true }
    : { name, passed: false, error: value === undefined ? 'undefined' : 'not true' };
}

/**
 * A path under `data` as OPA prints a reference, which is also a query for it:
 * `data.regal.rules["prefer-some-in"].test_x`.
 */
export function dataRefText(path: string[]): string {
  return ['data', ...path.map((p) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`))].join(
    '',
  );
}

/** A case's name as OPA prints it: a string key bare, anything else as JSON. */
function caseName(key: Value): string {
  return typeof key === 'string' ? key : toJSONText(key);
}

/** Every leaf of a parameterised test's result with its key path; a case passes when its leaf is true. */
function caseLeaves(v: Value, keys: Value[], out: Map<string, boolean>): void {
  if (v instanceof RegoObject) for (const [k, x] of v.sortedEntries()) caseLeaves(x, [...keys, k], out);
  else out.set(caseName(keys.length === 1 ? (keys[0] as Value) : keys), v === true);
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
    const custom = options.builtins?.length ? customBuiltinDefs(options.builtins) : undefined;
    const compiled = withPolicyBuiltins(custom, () => withArities(new Map(), () => compileModules(parsed)));
    return new CompiledPolicy(compiled, options, custom);
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
/** Converts a Rego value to JSON-compatible data (numbers as JS numbers, so `1.0` is 1 and 30 digits round). */
export const valueToJSON = toJS;
/**
 * Converts a Rego value to JSON-like data that keeps every number's text: `1.0`, `1e400` stay NumberText,
 * big integers bigint (write it with stringifyJSON; valueFromJSON takes it back).
 */
export const valueToExactJSON = toExactJS;
/** An empty Rego object, handy for `data`. */
export const emptyObject = (): RegoObject => new RegoObject();
