// Top-down evaluator: backtracking over bodies with continuations, virtual documents, functions and `with`.
import type { Expr, Rule, Term } from './ast';
import {
  BuiltinError,
  ELEMENT_BYTES,
  Many,
  bigNumberBytes,
  bigNumberDigits,
  bigNumberSteps,
  lookupBuiltin,
  type BuiltinContext,
} from './builtins/registry';
import { ruleInfo, type CompiledModules, type RuleNode } from './compiler';
import { BudgetExceededError, EvalError, RegoError } from './errors';
import { refName } from './parser';
import { NumberText, RegoObject, RegoSet, canonicalKey, formatValue, isNumber, valuesEqual, type Value } from './value';

type Env = Map<string, Value>;
/** Continuation after a solution; returning true stops the enumeration. */
type K = () => boolean;
type VK = (v: Value) => boolean;

type Mock = { kind: 'value'; value: Value } | { kind: 'builtin'; name: string } | { kind: 'function'; path: string[] };

interface Context {
  input: Value | undefined;
  overrides: Map<string, Value> | null;
  overrideChildren: Map<string, Set<string>> | null;
  mocks: Map<string, Mock> | null;
  cache: Map<RuleNode, Value | undefined>;
  /** Cache of membership/key lookups on partial rules, by node then canonical key. */
  keyCache: Map<RuleNode, Map<Value, Value | undefined>>;
}

/** Limits for one evaluation. */
export interface Budget {
  /** Maximum evaluation steps (expressions, iterations, builtin work units). */
  maxSteps?: number;
  /** Maximum wall time in milliseconds. */
  timeoutMs?: number;
  /** Maximum bytes of values built during the evaluation (strings at 2 bytes a code unit, collections per element). */
  maxMemoryBytes?: number;
}

/** Options for one evaluation. */
export interface EvalOptions {
  input?: Value;
  data?: Value;
  strictBuiltinErrors?: boolean;
  budget?: Budget;
  http?: { allowedHosts: string[]; timeoutMs: number };
  /** Fixed clock for time.now_ns, in nanoseconds. */
  nowNs?: bigint;
}

const SEP = '\u0000';
const DEFAULT_MAX_STEPS = 10_000_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_MEMORY_BYTES = 256 * 1024 * 1024;

/** One evaluation over a compiled policy. */
export class Evaluation {
  private ctx: Context;
  readonly errors: RegoError[] = [];
  private steps = 0;
  private readonly maxSteps: number;
  private readonly timeoutMs: number;
  private readonly deadline: number;
  private memory = 0;
  private readonly maxMemory: number;
  private readonly evaluating = new Set<RuleNode>();
  private readonly base: Value;
  private readonly bctx: BuiltinContext;
  private callDepth = 0;

  constructor(
    private readonly compiled: CompiledModules,
    options: EvalOptions,
  ) {
    this.ctx = {
      input: options.input,
      overrides: null,
      overrideChildren: null,
      mocks: null,
      cache: new Map(),
      keyCache: new Map(),
    };
    this.base = options.data ?? new RegoObject();
    this.maxSteps = options.budget?.maxSteps ?? DEFAULT_MAX_STEPS;
    this.timeoutMs = options.budget?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.deadline = Date.now() + this.timeoutMs;
    this.maxMemory = options.budget?.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    const nowNs = options.nowNs ?? BigInt(Date.now()) * 1_000_000n;
    this.bctx = {
      nowNs,
      step: (n = 1) => this.step(n),
      alloc: (bytes) => this.alloc(bytes),
      http: options.http,
      cache: new Map(),
    };
  }

  /** Counts work and enforces the step and time budgets. */
  step(n = 1): void {
    this.steps += n;
    // Written so that a NaN count (a builtin's bad estimate) ends the evaluation instead of lifting the budget.
    if (!(this.steps <= this.maxSteps)) throw new BudgetExceededError('steps', this.maxSteps);
    if ((this.steps & 1023) < n || n > 1023) {
      if (Date.now() > this.deadline) throw new BudgetExceededError('time', this.timeoutMs);
    }
  }

  /**
   * Counts bytes about to be built against the memory budget (called before the allocation), and the
   * work of filling them against the step budget (one step per KiB).
   */
  alloc(bytes: number): void {
    if (!(bytes >= 0)) throw new BudgetExceededError('memory', this.maxMemory);
    this.memory += bytes;
    if (this.memory > this.maxMemory) throw new BudgetExceededError('memory', this.maxMemory);
    if (bytes >= 1024) this.step(Math.floor(bytes / 1024));
  }

  /** Runs a compiled query body and returns every solution's bindings (generated vars excluded). */
  query(body: Expr[]): Map<string, Value>[] {
    const env: Env = new Map();
    const results: Map<string, Value>[] = [];
    this.evalBody(body, 0, env, () => {
      const solution = new Map<string, Value>();
      for (const [k, v] of env) if (!k.includes('$')) solution.set(k, v);
      results.push(solution);
      return false;
    });
    return results;
  }

  // ---- bodies and expressions ----------------------------------------------------------------

  private evalBody(body: Expr[], i: number, env: Env, k: K): boolean {
    if (i === body.length) return k();
    return this.evalExpr(body[i] as Expr, env, () => this.evalBody(body, i + 1, env, k));
  }

  private evalExpr(e: Expr, env: Env, k: K): boolean {
    this.step();
    if (e.with.length > 0) return this.evalWith(e, env, k);
    return this.evalExprPlain(e, env, k);
  }

  private evalExprPlain(e: Expr, env: Env, k: K): boolean {
    switch (e.kind) {
      case 'term':
        return this.evalTermExpr(e.term, env, k);
      case 'not': {
        const found = this.evalExpr(e.expr, env, () => true);
        return found ? false : k();
      }
      case 'notbody': {
        const found = this.evalBody(e.body, 0, env, () => true);
        return found ? false : k();
      }
      case 'block':
        return this.evalBody(e.body, 0, env, () => true) ? k() : false;
      case 'and':
        return this.evalExpr(e.left, env, () => true) && this.evalExpr(e.right, env, () => true) ? k() : false;
      case 'or':
        return this.evalExpr(e.left, env, () => true) || this.evalExpr(e.right, env, () => true) ? k() : false;
      case 'some':
        return k();
      case 'somein':
        return this.evalTerm(e.collection, env, (coll) =>
          this.iterate(coll, (key, value) =>
            e.key
              ? this.unifyValue(e.key, key, env, () => this.unifyValue(e.value, value, env, k))
              : this.unifyValue(e.value, value, env, k),
          ),
        );
      case 'every':
        return this.evalTerm(e.domain, env, (domain) => {
          if (!Array.isArray(domain) && !(domain instanceof RegoObject) && !(domain instanceof RegoSet)) return false;
          let ok = true;
          this.iterate(domain, (key, value) => {
            const bind = (): boolean => this.evalBody(e.body, 0, env, () => true);
            const found = e.key
              ? this.unifyValue(e.key, key, env, () => this.unifyValue(e.value, value, env, bind))
              : this.unifyValue(e.value, value, env, bind);
            if (!found) ok = false;
            return !found;
          });
          return ok ? k() : false;
        });
    }
  }

  /** Calls fn for each (key, value) of a collection; stops when fn returns true. */
  private iterate(coll: Value, fn: (key: Value, value: Value) => boolean): boolean {
    if (Array.isArray(coll)) {
      for (let i = 0; i < coll.length; i++) {
        this.step();
        if (fn(i, coll[i] as Value)) return true;
      }
    } else if (coll instanceof RegoObject) {
      for (const [key, value] of coll.sortedEntries()) {
        this.step();
        if (fn(key, value)) return true;
      }
    } else if (coll instanceof RegoSet) {
      for (const v of coll.sorted()) {
        this.step();
        if (fn(v, v)) return true;
      }
    }
    return false;
  }

  private evalTermExpr(t: Term, env: Env, k: K): boolean {
    if (t.type === 'call' && t.name === 'print' && t.target?.kind === 'builtin') return this.evalPrint(t.args, env, k);
    if (t.type === 'call') {
      if (t.name === 'eq' || t.name === 'assign') return this.unify(t.args[0] as Term, t.args[1] as Term, env, k);
      const outIndex = this.outputIndex(t);
      if (outIndex >= 0) {
        return this.evalArgs(t.args, 0, outIndex, [], env, (values) =>
          this.callTarget(t, values, env, (result) => this.unifyValue(t.args[outIndex] as Term, result, env, k)),
        );
      }
    }
    return this.evalTerm(t, env, (v) => (v !== false ? k() : false));
  }

  /** print never fails: undefined operands print as <undefined>, each combination of values prints once. */
  private evalPrint(args: Term[], env: Env, k: K): boolean {
    const parts: string[][] = args.map((a) => {
      const values: string[] = [];
      try {
        this.evalTerm(a, env, (v) => {
          values.push(typeof v === 'string' ? v : formatValue(v));
          return false;
        });
      } catch (err) {
        if (!(err instanceof BuiltinError)) throw err;
      }
      return values.length > 0 ? values : ['<undefined>'];
    });
    const line = parts.map((p) => p.join(' | ')).join(' ');
    this.alloc(line.length * 2);
    this.prints.push(line);
    return k();
  }

  /** Lines written by print() during this evaluation. */
  readonly prints: string[] = [];

  private outputIndex(t: Term & { type: 'call' }): number {
    const target = t.target;
    if (!target) return -1;
    let arity: number | undefined;
    if (target.kind === 'builtin') arity = lookupBuiltin(target.name)?.arity;
    else if (target.kind === 'function') arity = this.compiled.functionArity.get(['data', ...target.path].join('.'));
    return arity !== undefined && t.args.length === arity + 1 ? arity : -1;
  }

  // ---- with ----------------------------------------------------------------------------------

  private evalWith(e: Expr, env: Env, k: K): boolean {
    const saved = this.ctx;
    const apply = (i: number, next: Context): boolean => {
      if (i === e.with.length) {
        this.ctx = next;
        try {
          return this.evalExprPlain(e, env, () => {
            const inner = this.ctx;
            this.ctx = saved;
            try {
              return k();
            } finally {
              this.ctx = inner;
            }
          });
        } finally {
          this.ctx = saved;
        }
      }
      const w = e.with[i] as NonNullable<Expr['with'][number]>;
      const target = w.target;
      if (target.type === 'call') {
        const key = target.target?.kind === 'builtin' ? target.target.name : target.name;
        const mock = this.mockFor(w.value, env);
        if (mock) {
          const mocks = new Map(next.mocks ?? []);
          mocks.set(key, mock);
          return apply(i + 1, { ...next, mocks, cache: new Map(), keyCache: new Map() });
        }
        return this.evalTerm(w.value, env, (v) => {
          const mocks = new Map(next.mocks ?? []);
          mocks.set(key, { kind: 'value', value: v });
          return apply(i + 1, { ...next, mocks, cache: new Map(), keyCache: new Map() });
        });
      }
      return this.evalTerm(w.value, env, (v) => {
        if (target.type !== 'ref' || target.head.type !== 'var') return false;
        return this.evalPath(target.path, env, (path) => {
          if (target.head.type === 'var' && target.head.name === 'input') {
            const input = path.length === 0 ? v : setPath(next.input, path, v);
            return apply(i + 1, { ...next, input, cache: new Map(), keyCache: new Map() });
          }
          const overrides = new Map(next.overrides ?? []);
          const children = new Map<string, Set<string>>();
          for (const [p, s] of next.overrideChildren ?? []) children.set(p, new Set(s));
          const strPath = path.map((p) => (typeof p === 'string' ? p : JSON.stringify(p)));
          const key = strPath.join(SEP);
          // A new override replaces anything below it.
          for (const p of [...overrides.keys()]) if (p.startsWith(key + SEP)) overrides.delete(p);
          if (overrides.has(key) === false) {
            // Merge into an existing override above this path.
            for (let n = strPath.length - 1; n >= 0; n--) {
              const parent = strPath.slice(0, n).join(SEP);
              const pv = overrides.get(parent);
              if (pv !== undefined && n > 0) {
                overrides.set(parent, setPath(pv, path.slice(n), v));
                return apply(i + 1, {
                  ...next,
                  overrides,
                  overrideChildren: children,
                  cache: new Map(),
                  keyCache: new Map(),
                });
              }
            }
          }
          overrides.set(key, v);
          for (let n = 0; n < strPath.length; n++) {
            const parent = strPath.slice(0, n).join(SEP);
            let s = children.get(parent);
            if (!s) children.set(parent, (s = new Set()));
            s.add(strPath[n] as string);
          }
          return apply(i + 1, {
            ...next,
            overrides,
            overrideChildren: children,
            cache: new Map(),
            keyCache: new Map(),
          });
        });
      });
    };
    return apply(0, { ...saved });
  }

  private mockFor(value: Term, env: Env): Mock | undefined {
    if (value.type === 'var' && !env.has(value.name) && lookupBuiltin(value.name) !== undefined)
      return { kind: 'builtin', name: value.name };
    if (value.type === 'ref' && value.head.type === 'var') {
      const name = refName(value);
      if (value.head.name === 'data' && this.compiled.functionArity.has(name))
        return { kind: 'function', path: name.split('.').slice(1) };
      if (
        value.head.name !== 'data' &&
        value.head.name !== 'input' &&
        !env.has(value.head.name) &&
        lookupBuiltin(name) !== undefined
      )
        return { kind: 'builtin', name };
    }
    return undefined;
  }

  private evalPath(path: Term[], env: Env, k: (p: Value[]) => boolean): boolean {
    return this.evalArgs(path, 0, path.length, [], env, k);
  }

  // ---- unification ---------------------------------------------------------------------------

  private isUnbound(t: Term, env: Env): boolean {
    switch (t.type) {
      case 'var':
        return !env.has(t.name);
      case 'array':
        return t.items.some((x) => this.isUnbound(x, env));
      case 'object':
        return t.items.some(([, v]) => this.isUnbound(v, env));
      default:
        return false;
    }
  }

  private unify(a: Term, b: Term, env: Env, k: K): boolean {
    const ua = this.isUnbound(a, env);
    const ub = this.isUnbound(b, env);
    if (ua && ub) {
      if (a.type === 'array' && b.type === 'array') {
        if (a.items.length !== b.items.length) return false;
        const go = (i: number): boolean =>
          i === a.items.length ? k() : this.unify(a.items[i] as Term, b.items[i] as Term, env, () => go(i + 1));
        return go(0);
      }
      if (a.type === 'object' && b.type === 'object') {
        if (a.items.length !== b.items.length) return false;
        return this.evalArgs(
          a.items.map((x) => x[0]),
          0,
          a.items.length,
          [],
          env,
          (ka) =>
            this.evalArgs(
              b.items.map((x) => x[0]),
              0,
              b.items.length,
              [],
              env,
              (kb) => {
                const pairs: [Term, Term][] = [];
                for (let i = 0; i < ka.length; i++) {
                  const j = kb.findIndex((x) => valuesEqual(x, ka[i] as Value));
                  if (j < 0) return false;
                  pairs.push([(a.items[i] as [Term, Term])[1], (b.items[j] as [Term, Term])[1]]);
                }
                const go = (i: number): boolean =>
                  i === pairs.length ? k() : this.unify(pairs[i]![0], pairs[i]![1], env, () => go(i + 1));
                return go(0);
              },
            ),
        );
      }
      throw new EvalError('eval_internal_error', `cannot unify two unbound terms`, a.loc);
    }
    if (ua) return this.evalTerm(b, env, (v) => this.unifyValue(a, v, env, k));
    if (ub) return this.evalTerm(a, env, (v) => this.unifyValue(b, v, env, k));
    return this.evalTerm(a, env, (va) => this.unifyValue(b, va, env, k));
  }

  /** Unifies a term (possibly a pattern with unbound vars) with a value. */
  private unifyValue(t: Term, v: Value, env: Env, k: K): boolean {
    switch (t.type) {
      case 'var': {
        const bound = env.get(t.name);
        if (bound !== undefined) return valuesEqual(bound, v) ? k() : false;
        env.set(t.name, v);
        try {
          return k();
        } finally {
          env.delete(t.name);
        }
      }
      case 'scalar':
        return valuesEqual(t.value, v) ? k() : false;
      case 'array': {
        if (!Array.isArray(v) || v.length !== t.items.length) return false;
        const go = (i: number): boolean =>
          i === t.items.length ? k() : this.unifyValue(t.items[i] as Term, v[i] as Value, env, () => go(i + 1));
        return go(0);
      }
      case 'object': {
        if (!(v instanceof RegoObject) || v.size !== t.items.length) return false;
        const go = (i: number): boolean => {
          if (i === t.items.length) return k();
          const [kt, vt] = t.items[i] as [Term, Term];
          return this.evalTerm(kt, env, (key) => {
            const child = v.get(key);
            if (child === undefined) return false;
            return this.unifyValue(vt, child, env, () => go(i + 1));
          });
        };
        return go(0);
      }
      default:
        return this.evalTerm(t, env, (x) => (valuesEqual(x, v) ? k() : false));
    }
  }

  // ---- terms ---------------------------------------------------------------------------------

  private evalArgs(
    terms: Term[],
    i: number,
    n: number,
    acc: Value[],
    env: Env,
    k: (vals: Value[]) => boolean,
  ): boolean {
    if (i === n) return k(acc);
    const t = terms[i] as Term;
    if (t.type === 'scalar') {
      acc.push(t.value);
      try {
        return this.evalArgs(terms, i + 1, n, acc, env, k);
      } finally {
        acc.pop();
      }
    }
    return this.evalTerm(t, env, (v) => {
      acc.push(v);
      try {
        return this.evalArgs(terms, i + 1, n, acc, env, k);
      } finally {
        acc.pop();
      }
    });
  }

  evalTerm(t: Term, env: Env, k: VK): boolean {
    switch (t.type) {
      case 'scalar':
        return k(t.value);
      case 'var': {
        const v = env.get(t.name);
        if (v === undefined) throw new EvalError('rego_unsafe_var_error', `var ${t.name} is unsafe`, t.loc);
        return k(v);
      }
      case 'ref':
        return this.evalRef(t, env, k);
      case 'array':
        return this.evalArgs(t.items, 0, t.items.length, [], env, (vals) => {
          this.alloc(vals.length * ELEMENT_BYTES);
          return k([...vals]);
        });
      case 'set':
        return this.evalArgs(t.items, 0, t.items.length, [], env, (vals) => {
          this.alloc(vals.length * ELEMENT_BYTES);
          return k(new RegoSet(vals));
        });
      case 'object': {
        const flat: Term[] = [];
        for (const [a, b] of t.items) flat.push(a, b);
        return this.evalArgs(flat, 0, flat.length, [], env, (vals) => {
          this.alloc(vals.length * ELEMENT_BYTES);
          const o = new RegoObject();
          for (let i = 0; i < vals.length; i += 2) o.set(vals[i] as Value, vals[i + 1] as Value);
          return k(o);
        });
      }
      case 'arraycompr': {
        const out: Value[] = [];
        this.evalBody(t.body, 0, env, () =>
          this.evalTerm(t.head, env, (v) => {
            this.alloc(ELEMENT_BYTES);
            out.push(v);
            return false;
          }),
        );
        return k(out);
      }
      case 'setcompr': {
        const out = new RegoSet();
        this.evalBody(t.body, 0, env, () =>
          this.evalTerm(t.head, env, (v) => {
            this.alloc(ELEMENT_BYTES);
            out.add(v);
            return false;
          }),
        );
        return k(out);
      }
      case 'objectcompr': {
        const out = new RegoObject();
        this.evalBody(t.body, 0, env, () =>
          this.evalTerm(t.key, env, (key) =>
            this.evalTerm(t.value, env, (value) => {
              const prev = out.get(key);
              if (prev !== undefined && !valuesEqual(prev, value))
                throw new EvalError('eval_conflict_error', 'object keys must be unique', t.loc);
              this.alloc(2 * ELEMENT_BYTES);
              out.set(key, value);
              return false;
            }),
          ),
        );
        return k(out);
      }
      case 'call':
        return this.evalArgs(t.args, 0, t.args.length, [], env, (vals) => this.callTarget(t, [...vals], env, k));
    }
  }

  // ---- calls ---------------------------------------------------------------------------------

  private callTarget(t: Term & { type: 'call' }, args: Value[], env: Env, k: VK): boolean {
    const target = t.target;
    if (!target) throw new EvalError('rego_type_error', `undefined function ${t.name}`, t.loc);
    const mocks = this.ctx.mocks;
    if (mocks) {
      const key =
        target.kind === 'builtin'
          ? target.name
          : target.kind === 'function'
            ? ['data', ...target.path].join('.')
            : t.name;
      const mock = mocks.get(key);
      if (mock) {
        if (mock.kind === 'value') return k(mock.value);
        if (mock.kind === 'function') {
          // Inside the replacement, the original target is not mocked (so a mock can call the original).
          const saved = this.ctx;
          // Inside a replacement function no mocks apply, so it can call the original and other builtins.
          this.ctx = { ...saved, mocks: null, cache: new Map(), keyCache: new Map() };
          try {
            return this.callFunction(mock.path, args, t, (v) => {
              const cur = this.ctx;
              this.ctx = saved;
              try {
                return k(v);
              } finally {
                this.ctx = cur;
              }
            });
          } finally {
            this.ctx = saved;
          }
        }
        // A mock builtin itself is not mocked again; call it directly.
        return this.callBuiltin(mock.name, args, t, k);
      }
    }
    if (target.kind === 'builtin') return this.callBuiltin(target.name, args, t, k);
    if (target.kind === 'function') return this.callFunction(target.path, args, t, k);
    throw new EvalError('rego_type_error', `undefined function ${t.name}`, t.loc);
  }

  private callBuiltin(name: string, args: Value[], t: Term, k: VK): boolean {
    if (name === 'rego.metadata.chain' || name === 'rego.metadata.rule') return k(this.metadata(name));
    const def = lookupBuiltin(name);
    if (!def) throw new EvalError('rego_type_error', `undefined function ${name}`, t.loc);
    let result: Value | Many | undefined;
    try {
      const callArgs = def.arity >= 0 ? args.slice(0, def.arity) : args;
      for (const arg of callArgs) {
        const argDigits = bigNumberDigits(arg);
        if (argDigits > 0) this.step(bigNumberSteps(argDigits));
      }
      result = def.fn(callArgs, this.bctx);
      // A huge number the builtin made (`big + 1`, bits.or) counts like a string of its digits.
      const digits = result instanceof Many || result === undefined ? 0 : bigNumberDigits(result);
      if (digits > 0) {
        this.alloc(bigNumberBytes(digits));
        this.step(bigNumberSteps(digits));
      }
    } catch (err) {
      if (err instanceof BuiltinError) {
        this.errors.push(new EvalError(err.code, `${name}: ${err.message.replace(/^[a-z_]+: /, '')}`, t.loc));
        return false;
      }
      if (err instanceof RegoError) throw err;
      if (err instanceof RangeError && /call stack/i.test(err.message)) throw err;
      this.errors.push(
        new EvalError('eval_builtin_error', `${name}: ${err instanceof Error ? err.message : String(err)}`, t.loc),
      );
      return false;
    }
    if (result === undefined) return false;
    if (typeof result === 'number' && !Number.isFinite(result)) {
      // No Infinity or NaN ever enters a Rego value (OPA's numbers are exact); the call is an error.
      this.errors.push(new EvalError('eval_builtin_error', `${name}: result ${result} is not a valid number`, t.loc));
      return false;
    }
    if (result instanceof Many) {
      for (const v of result.values) if (k(v)) return true;
      return false;
    }
    return k(result);
  }

  /** Annotations of the rule being evaluated (`rego.metadata.rule`) or its chain up to the package roots. */
  private metadata(name: string): Value {
    const rule = this.currentRule;
    if (!rule) return name === 'rego.metadata.rule' ? new RegoObject() : [];
    const info = ruleInfo.get(rule);
    const own =
      rule.annotations instanceof RegoObject && rule.annotations.get('scope') === 'rule' ? rule.annotations : undefined;
    if (name === 'rego.metadata.rule') return own ?? new RegoObject();
    const path = info?.node.path ?? [];
    const entry = (p: string[], annotations?: Value): Value => {
      const o = new RegoObject([['path', p]]);
      if (annotations !== undefined) o.set('annotations', annotations);
      return o;
    };
    const chain: Value[] = [entry(path, own)];
    for (const r of [...(info?.node.rules ?? []), ...(info?.node.defaultRule ? [info.node.defaultRule] : [])]) {
      const a = r.annotations;
      if (a instanceof RegoObject && a.get('scope') === 'document') chain.push(entry(path, a));
    }
    const pkg = rule.module?.packagePath ?? [];
    for (let n = pkg.length; n > 0; n--) {
      const prefix = pkg.slice(0, n);
      for (const m of this.compiled.modules) {
        const a = m.packageAnnotations;
        if (!(a instanceof RegoObject) || m.packagePath.join('.') !== prefix.join('.')) continue;
        const scope = a.get('scope');
        if ((n === pkg.length && scope === 'package') || scope === 'subpackages') chain.push(entry(prefix, a));
      }
    }
    return chain;
  }

  private currentRule: Rule | undefined;

  private evalRuleBody(rule: Rule, env: Env, k: K): boolean {
    return this.inRule(rule, () => this.evalBody(rule.body, 0, env, k));
  }

  /** Runs fn with `rule` as the rule being evaluated (for rego.metadata.*). */
  private inRule<T>(rule: Rule, fn: () => T): T {
    const prev = this.currentRule;
    this.currentRule = rule;
    try {
      return fn();
    } finally {
      this.currentRule = prev;
    }
  }

  private findNode(path: string[]): RuleNode | undefined {
    let node: RuleNode | undefined = this.compiled.root;
    for (const p of path) {
      node = node.children.get(p);
      if (!node) return undefined;
    }
    return node;
  }

  private callFunction(path: string[], args: Value[], t: Term, k: VK): boolean {
    const node = this.findNode(path);
    if (!node) throw new EvalError('rego_type_error', `undefined function data.${path.join('.')}`, t.loc);
    if (++this.callDepth > 2000)
      throw new EvalError('rego_recursion_error', `function data.${path.join('.')} recursion too deep`, t.loc);
    try {
      const outputs: Value[] = [];
      for (const rule of node.rules) {
        for (let r: Rule | undefined = rule; r; r = r.elseRule) {
          const env: Env = new Map();
          let found = false;
          const params = r.args ?? [];
          const bindArgs = (i: number): boolean => {
            if (i === params.length)
              return this.evalBody(r!.body, 0, env, () => {
                // Like OPA, a body whose value is undefined falls through to `else`.
                return this.evalTerm(r!.value, env, (v) => {
                  found = true;
                  if (!outputs.some((o) => valuesEqual(o, v))) outputs.push(v);
                  if (outputs.length > 1)
                    throw new EvalError(
                      'eval_conflict_error',
                      `function ${dataRefText(path)} produced conflicting values for the same inputs`,
                      r!.loc,
                    );
                  return false;
                });
              });
            return this.unifyValue(params[i] as Term, args[i] as Value, env, () => bindArgs(i + 1));
          };
          this.inRule(r, () => bindArgs(0));
          if (found) break;
        }
      }
      if (outputs.length === 0 && node.defaultRule) {
        const d = node.defaultRule;
        return this.evalTerm(d.value, new Map(), k);
      }
      if (outputs.length === 0) return false;
      return k(outputs[0] as Value);
    } finally {
      this.callDepth--;
    }
  }

  // ---- references ----------------------------------------------------------------------------

  private evalRef(t: Term & { type: 'ref' }, env: Env, k: VK): boolean {
    const head = t.head;
    if (head.type === 'var') {
      if (head.name === 'input') {
        const input = this.ctx.input;
        if (input === undefined) return false;
        return this.walkValue(input, t.path, 0, env, k);
      }
      if (head.name === 'data') return this.walkData(this.compiled.root, this.base, [], t.path, 0, env, k);
      const v = env.get(head.name);
      if (v === undefined) throw new EvalError('rego_unsafe_var_error', `var ${head.name} is unsafe`, t.loc);
      return this.walkValue(v, t.path, 0, env, k);
    }
    return this.evalTerm(head, env, (v) => this.walkValue(v, t.path, 0, env, k));
  }

  /** Walks a plain value along a ref path; in base `data` documents number keys also match their string form. */
  private walkValue(v: Value, path: Term[], i: number, env: Env, k: VK, dataDoc = false): boolean {
    if (i === path.length) return k(v);
    const p = path[i] as Term;
    const get = (key: Value): Value | undefined => {
      const child = lookup(v, key);
      if (child === undefined && dataDoc && isNumber(key) && v instanceof RegoObject) return v.get(String(key));
      return child;
    };
    if (p.type === 'scalar') {
      const child = get(p.value);
      return child === undefined ? false : this.walkValue(child, path, i + 1, env, k, dataDoc);
    }
    if (this.isUnbound(p, env)) {
      return this.iterate(v, (key, value) =>
        this.unifyValue(p, key, env, () => this.walkValue(value, path, i + 1, env, k, dataDoc)),
      );
    }
    return this.evalTerm(p, env, (key) => {
      const child = get(key);
      return child === undefined ? false : this.walkValue(child, path, i + 1, env, k, dataDoc);
    });
  }

  private walkData(
    node: RuleNode | undefined,
    base: Value | undefined,
    at: string[],
    path: Term[],
    i: number,
    env: Env,
    k: VK,
  ): boolean {
    const ov = this.ctx.overrides;
    if (ov) {
      const o = ov.get(at.join(SEP));
      if (o !== undefined) return this.walkValue(o, path, i, env, k);
    }
    if (node && (node.rules.length > 0 || node.defaultRule)) return this.walkRuleNode(node, at, path, i, env, k);
    const hasOverrideBelow = this.ctx.overrideChildren?.has(at.join(SEP)) ?? false;
    if (!node && !hasOverrideBelow) return base === undefined ? false : this.walkValue(base, path, i, env, k, true);
    if (i === path.length) {
      const doc = this.fullDoc(node, base, at);
      return doc === undefined ? false : k(doc);
    }
    const p = path[i] as Term;
    const step = (keyIn: Value): boolean => {
      let key = keyIn;
      if (
        isNumber(key) &&
        base instanceof RegoObject &&
        base.get(key) === undefined &&
        base.get(String(key)) !== undefined
      )
        key = String(key);
      if (typeof key !== 'string') {
        const child = base instanceof RegoObject ? base.get(key) : undefined;
        return child === undefined ? false : this.walkValue(child, path, i + 1, env, k);
      }
      const baseChild = base instanceof RegoObject ? base.get(key) : undefined;
      return this.walkData(node?.children.get(key), baseChild, [...at, key], path, i + 1, env, k);
    };
    if (p.type !== 'scalar' && this.isUnbound(p, env)) {
      const keys = new Set<string>();
      if (node) for (const c of node.children.keys()) keys.add(c);
      if (base instanceof RegoObject) for (const key of base.keys()) if (typeof key === 'string') keys.add(key);
      for (const c of this.ctx.overrideChildren?.get(at.join(SEP)) ?? []) keys.add(c);
      for (const key of [...keys].sort()) {
        this.step();
        if (this.unifyValue(p, key, env, () => step(key))) return true;
      }
      return false;
    }
    if (p.type === 'scalar') return step(p.value);
    return this.evalTerm(p, env, step);
  }

  private fullDoc(node: RuleNode | undefined, base: Value | undefined, at: string[]): Value | undefined {
    const ov = this.ctx.overrides;
    if (ov) {
      const o = ov.get(at.join(SEP));
      if (o !== undefined) return o;
    }
    if (node && (node.rules.length > 0 || node.defaultRule)) return this.evalRuleNode(node);
    const extra = this.ctx.overrideChildren?.get(at.join(SEP));
    if (!node && !extra) return base;
    const out = base instanceof RegoObject ? base.clone() : new RegoObject();
    pathObjects.add(out);
    const names = new Set<string>([...(node?.children.keys() ?? []), ...(extra ?? [])]);
    for (const name of names) {
      const child = node?.children.get(name);
      if (child?.kind === 'function') continue;
      // Like OPA, a base document wins over a virtual one at the same key.
      if (
        base instanceof RegoObject &&
        base.get(name) !== undefined &&
        child &&
        (child.rules.length > 0 || child.defaultRule)
      )
        continue;
      const v = this.fullDoc(child, base instanceof RegoObject ? base.get(name) : undefined, [...at, name]);
      if (v !== undefined) out.set(name, v);
    }
    return out;
  }

  private walkRuleNode(node: RuleNode, at: string[], path: Term[], i: number, env: Env, k: VK): boolean {
    if (node.kind === 'function') return false;
    const p = path[i];
    const dynLen = (r: Rule): number => ruleInfo.get(r)?.dyn.length ?? 0;
    const partial =
      (node.kind === 'multi' && node.rules.every((r) => dynLen(r) === 0)) ||
      (node.kind === 'single' && node.rules.length > 0 && node.rules.every((r) => dynLen(r) > 0));
    if (p && partial && node.children.size === 0 && !this.ctx.cache.has(node) && !this.isUnbound(p, env)) {
      return this.evalTerm(p, env, (key) => {
        const v = this.lookupRuleKey(node, key);
        return v === undefined ? false : this.walkValue(v, path, i + 1, env, k);
      });
    }
    const doc = this.evalRuleNode(node);
    if (doc === undefined) return false;
    return this.walkValue(doc, path, i, env, k);
    void at;
  }

  /**
   * Evaluates one key of a partial set/object rule without computing the whole document. A key made of
   * variables and constants is bound to the key before the body runs; any other key (`s.id`, a call) can
   * only be computed from the body's bindings, so it is compared after.
   */
  private lookupRuleKey(node: RuleNode, key: Value): Value | undefined {
    let cache = this.ctx.keyCache.get(node);
    if (!cache) this.ctx.keyCache.set(node, (cache = new Map()));
    const ck = typeof key === 'string' ? key : JSON.stringify(canonical(key));
    if (cache.has(ck)) return cache.get(ck);
    this.enter(node);
    let result: Value | undefined;
    try {
      if (node.kind === 'multi') {
        let found = false;
        for (const rule of node.rules) {
          const env: Env = new Map();
          const keyTerm = rule.key as Term;
          if (
            this.inRule(rule, () =>
              isPattern(keyTerm)
                ? this.unifyValue(keyTerm, key, env, () => this.evalBody(rule.body, 0, env, () => true))
                : this.evalBody(rule.body, 0, env, () => this.unifyValue(keyTerm, key, env, () => true)),
            )
          ) {
            found = true;
            break;
          }
        }
        result = found ? key : undefined;
      } else {
        const obj = new RegoObject();
        for (const rule of node.rules) {
          const dyn = ruleInfo.get(rule)?.dyn ?? [];
          const env: Env = new Map();
          const keyTerm = dyn[0] as Term;
          const insert = (): boolean => this.insertPartial(obj, rule, dyn, env, true);
          this.inRule(rule, () =>
            isPattern(keyTerm)
              ? this.unifyValue(keyTerm, key, env, () => this.evalBody(rule.body, 0, env, insert))
              : this.evalBody(rule.body, 0, env, () => this.unifyValue(keyTerm, key, env, insert)),
          );
        }
        result = obj.get(key);
      }
    } finally {
      this.leave(node);
    }
    cache.set(ck, result);
    return result;
  }

  private enter(node: RuleNode): void {
    if (this.evaluating.has(node))
      throw new EvalError('rego_recursion_error', `rule data.${node.path.join('.')} is recursive`, node.rules[0]?.loc);
    this.evaluating.add(node);
  }

  private leave(node: RuleNode): void {
    this.evaluating.delete(node);
  }

  /** Inserts one solution of a partial-object rule (`p[k1][k2] := v`) into obj; conflicts halt. */
  private insertPartial(obj: RegoObject, rule: Rule, dyn: Term[], env: Env, _targeted: boolean): boolean {
    return this.evalArgs(dyn, 0, dyn.length, [], env, (keys) =>
      this.evalTerm(rule.value, env, (value) => {
        let target = obj;
        for (let j = 0; j < keys.length - 1; j++) {
          const key = keys[j] as Value;
          let next = target.get(key);
          if (next === undefined) {
            next = pathObject();
            target.set(key, next);
          } else if (!(next instanceof RegoObject))
            throw new EvalError('eval_conflict_error', 'object keys must be unique', rule.loc);
          target = next;
        }
        const last = keys[keys.length - 1] as Value;
        const prev = target.get(last);
        if (prev !== undefined && !valuesEqual(prev, value)) {
          if (dyn.length > 1 && prev instanceof RegoObject && value instanceof RegoObject) return false;
          throw new EvalError('eval_conflict_error', 'object keys must be unique', rule.loc);
        }
        target.set(last, value);
        return false;
      }),
    );
  }

  /** Evaluates the whole virtual document of a rule node (cached per `with` context). */
  private evalRuleNode(node: RuleNode): Value | undefined {
    const cache = this.ctx.cache;
    if (cache.has(node)) return cache.get(node);
    this.enter(node);
    let result: Value | undefined;
    try {
      const dynamicMulti = node.kind === 'multi' && node.rules.some((r) => (ruleInfo.get(r)?.dyn.length ?? 0) > 0);
      if (dynamicMulti) {
        // `p[k] contains v`: an object whose leaves are sets.
        const obj = pathObject();
        for (const rule of node.rules) {
          const dyn = ruleInfo.get(rule)?.dyn ?? [];
          const env: Env = new Map();
          this.evalRuleBody(rule, env, () =>
            this.evalArgs(dyn, 0, dyn.length, [], env, (keys) =>
              this.evalTerm(rule.key as Term, env, (element) => {
                const leaf = new RegoSet([element]);
                let nested: Value = leaf;
                for (let j = keys.length - 1; j >= 0; j--) nested = pathObject([[keys[j] as Value, nested]]);
                mergeInto(obj, nested as RegoObject, rule);
                return false;
              }),
            ),
          );
        }
        for (const [name, child] of node.children) {
          const v = this.fullDoc(child, undefined, [...node.path, name]);
          if (v !== undefined) mergeInto(obj, pathObject([[name, v]]), node.rules[0]);
        }
        result = obj;
      } else if (node.kind === 'multi') {
        const out = new RegoSet();
        for (const rule of node.rules) {
          const env: Env = new Map();
          this.evalRuleBody(rule, env, () =>
            this.evalTerm(rule.key as Term, env, (v) => {
              this.alloc(ELEMENT_BYTES);
              out.add(v);
              return false;
            }),
          );
        }
        result = out;
      } else {
        const complete = node.rules.filter((r) => (ruleInfo.get(r)?.dyn.length ?? 0) === 0);
        const partial = node.rules.filter((r) => (ruleInfo.get(r)?.dyn.length ?? 0) > 0);
        if (complete.length > 0 || partial.length === 0) {
          const values: Value[] = [];
          for (const rule of complete) {
            for (let r: Rule | undefined = rule; r; r = r.elseRule) {
              const env: Env = new Map();
              let found = false;
              const alt = r;
              this.evalRuleBody(alt, env, () => {
                // Like OPA, a body whose value is undefined falls through to `else`.
                return this.evalTerm(alt.value, env, (v) => {
                  found = true;
                  if (!values.some((x) => valuesEqual(x, v))) values.push(v);
                  if (values.length > 1)
                    throw new EvalError(
                      'eval_conflict_error',
                      `rule ${dataRefText(node.path)} produced conflicting values`,
                      alt.loc,
                    );
                  return false;
                });
              });
              if (found) break;
            }
          }
          result = values[0];
          if (result === undefined && node.defaultRule) {
            const d = node.defaultRule;
            this.evalTerm(d.value, new Map(), (v) => {
              result = v;
              return true;
            });
          }
        } else {
          const obj = pathObject();
          for (const rule of partial) {
            const dyn = ruleInfo.get(rule)?.dyn ?? [];
            const env: Env = new Map();
            this.evalRuleBody(rule, env, () => this.insertPartial(obj, rule, dyn, env, false));
          }
          for (const [name, child] of node.children) {
            const v = this.fullDoc(child, undefined, [...node.path, name]);
            if (v !== undefined) mergeInto(obj, pathObject([[name, v]]), partial[0]);
          }
          result = obj;
        }
      }
    } finally {
      this.leave(node);
    }
    cache.set(node, result);
    return result;
  }
}

/** Objects built from rule-head paths and package nesting, which other rules may extend (rule values may not). */
const pathObjects = new WeakSet<RegoObject>();

function pathObject(entries?: [Value, Value][]): RegoObject {
  const o = new RegoObject(entries);
  pathObjects.add(o);
  return o;
}

/** Deep-merges src into dst (in place); sets union, differing leaves are a conflict. */
function mergeInto(dst: RegoObject, src: RegoObject, rule: Rule | undefined): void {
  for (const [k, v] of src.sortedEntries()) {
    const prev = dst.get(k);
    if (prev === undefined) dst.set(k, v);
    else if (prev instanceof RegoObject && v instanceof RegoObject && pathObjects.has(prev) && pathObjects.has(v)) {
      const copy = prev.clone();
      pathObjects.add(copy);
      mergeInto(copy, v, rule);
      dst.set(k, copy);
    } else if (prev instanceof RegoSet && v instanceof RegoSet)
      dst.set(k, new RegoSet([...prev.sorted(), ...v.sorted()]));
    else if (!valuesEqual(prev, v)) throw new EvalError('eval_conflict_error', 'object keys must be unique', rule?.loc);
  }
}

function canonical(v: Value): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? v.toString() : v;
  if (v instanceof NumberText) return ['n', canonicalKey(v)];
  if (Array.isArray(v)) return ['a', v.map(canonical)];
  if (v instanceof RegoSet) return ['s', v.sorted().map(canonical)];
  return ['o', v.sortedEntries().map(([a, b]) => [canonical(a), canonical(b)])];
}

/** Looks up a key in a collection: array index, object key or set member. */
export function lookup(v: Value, key: Value): Value | undefined {
  if (Array.isArray(v)) {
    if (!isNumber(key)) return undefined;
    const n = Number(key);
    if (!Number.isInteger(n) || n < 0 || n >= v.length) return undefined;
    return v[n];
  }
  if (v instanceof RegoObject) return v.get(key);
  if (v instanceof RegoSet) return v.has(key) ? key : undefined;
  return undefined;
}

/** Returns a copy of doc with value set at path (creating objects along the way). */
function setPath(doc: Value | undefined, path: Value[], value: Value): Value {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [Value, ...Value[]];
  const obj = doc instanceof RegoObject ? doc.clone() : new RegoObject();
  obj.set(head, setPath(obj.get(head), rest, value));
  return obj;
}

/** `data.a.b["c-d"]` as OPA prints a ground data reference. */
function dataRefText(path: readonly string[]): string {
  return 'data' + path.map((p) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join('');
}

/** A term unification can bind without evaluating anything: variables and constants, nested. */
function isPattern(t: Term): boolean {
  switch (t.type) {
    case 'var':
    case 'scalar':
      return true;
    case 'array':
      return t.items.every(isPattern);
    case 'object':
      return t.items.every(([k, v]) => k.type === 'scalar' && isPattern(v));
    default:
      return false;
  }
}
