// Compiler: resolves names to data refs, renames scoped locals, orders bodies for safety and builds the rule tree.
import type { Expr, Location, Module, Rule, Term } from './ast';
import { lookupBuiltin } from './builtins/registry';
import { SIGNATURES } from './builtins/signatures.generated';
import { DECISION as UNSUPPORTED_DECISION, UNSUPPORTED_BUILTINS } from './builtins/unsupported';
import { CompileError } from './errors';
import { refName, termToValue } from './parser';
import { rulesOfKnownType } from './rule-types';
import { checkBuiltinCall, termType, type OpaType } from './type-check';

/** A node of the virtual document tree: rules defined at this path and child nodes. */
export class RuleNode {
  readonly children = new Map<string, RuleNode>();
  readonly rules: Rule[] = [];
  defaultRule?: Rule;
  kind?: Rule['kind'];
  /** Number of dynamic ref elements after this node for single-value rules (0 = complete rule). */
  constructor(readonly path: string[]) {}

  child(name: string): RuleNode {
    let c = this.children.get(name);
    if (!c) {
      c = new RuleNode([...this.path, name]);
      this.children.set(name, c);
    }
    return c;
  }
}

/** Extra compile-time data attached to a rule. */
export interface RuleInfo {
  /** Dynamic part of the head ref after the ground prefix (keys of partial objects). */
  dyn: Term[];
  node: RuleNode;
}

/** Per-rule compile info, keyed by rule object. */
export const ruleInfo = new WeakMap<Rule, RuleInfo>();

interface Scope {
  renames: Map<string, string>;
  /** Types of locals bound by `x := term` where the term's type is known (by renamed name), for the type check. */
  types?: Map<string, OpaType>;
  parent?: Scope;
}

interface ModuleContext {
  module: Module;
  globals: Map<string, Term>;
  functions: Set<string>;
  counter: { n: number };
  /** Compiling a query rather than a module (OPA turns `==` into `=` only in modules). */
  inQuery?: boolean;
  /** Type errors found while resolving, reported after the other checks as OPA's later stage does. */
  typeErrors: CompileError[];
  /** Whether a path under `data` names a rule of the modules (not a function). */
  isRule?: (path: string[]) => boolean;
  /** Whether the rule at a path under `data` has a type other than `any` for OPA's type checker. */
  isTypedRule?: (path: string[]) => boolean;
}

/** Result of compiling modules: the rule tree root and function arities. */
export interface CompiledModules {
  root: RuleNode;
  functionArity: Map<string, number>;
  modules: Module[];
}

/** Compiles parsed modules into a rule tree. Throws CompileError on the first problem. */
/** The expression `left = right` (the builtin `eq`), as the compiler inserts it. */
export function unification(left: Term, right: Term, loc: Location, withs: Expr['with'] = []): Expr {
  const term: Term = {
    type: 'call',
    name: 'eq',
    fn: { type: 'var', name: 'eq', loc },
    args: [left, right],
    loc,
    target: { kind: 'builtin', name: 'eq' },
  };
  return { kind: 'term', term, with: withs, loc };
}

export function compileModules(modules: Module[]): CompiledModules {
  const root = new RuleNode([]);
  const packageRules = new Map<string, Set<string>>();
  const functionArity = new Map<string, number>();
  for (const m of modules) {
    const key = m.packagePath.join('.');
    let names = packageRules.get(key);
    if (!names) packageRules.set(key, (names = new Set()));
    for (const r of m.rules) {
      const first = r.ref[0];
      if (first?.type === 'var') names.add(first.name);
      if (r.kind === 'function') {
        const path = ['data', ...m.packagePath, ...groundStrings(r.ref)].join('.');
        const prev = functionArity.get(path);
        const arity = r.args?.length ?? 0;
        if (prev !== undefined && prev !== arity)
          throw new CompileError('rego_type_error', `function ${path} has arity ${prev} and ${arity}`, r.loc);
        functionArity.set(path, arity);
      }
    }
  }
  const counter = { n: 0 };
  const typeErrors: CompileError[] = [];
  const isRule = (path: string[]): boolean =>
    path.some((name, i) => i > 0 && packageRules.get(path.slice(0, i).join('.'))?.has(name) === true) &&
    !functionArity.has(['data', ...path].join('.'));
  const isTypedRule = rulesOfKnownType(modules);
  for (const m of modules) {
    const globals = new Map<string, Term>();
    const loc: Location = { file: m.file, line: 1, column: 1 };
    for (const name of packageRules.get(m.packagePath.join('.')) ?? [])
      globals.set(name, dataRef([...m.packagePath, name], loc));
    const importedAs = new Map<string, Term>();
    for (const imp of m.imports) {
      if (imp.path.type !== 'ref' || imp.path.head.type !== 'var') continue;
      const head = imp.path.head.name;
      if (head !== 'data' && head !== 'input') continue;
      const last = imp.path.path[imp.path.path.length - 1];
      const alias = imp.alias ?? (last && last.type === 'scalar' ? String(last.value) : head);
      const earlier = importedAs.get(alias);
      if (earlier && isStrictModule(m))
        throw new CompileError('rego_compile_error', `import must not shadow import ${refName(earlier)}`, imp.loc);
      importedAs.set(alias, imp.path);
      // An import named as a rule of the package is allowed, and names the import in the module (as in OPA).
      globals.set(alias, imp.path);
    }
    const functions = new Set<string>();
    for (const [path] of functionArity) functions.add(path);
    const ctx: ModuleContext = { module: m, globals, functions, counter, typeErrors, isRule, isTypedRule };
    // A package exists as a (possibly empty) document even without rules.
    let pkgNode = root;
    for (const p of m.packagePath) pkgNode = pkgNode.child(p);
    withArities(functionArity, () => {
      for (const rule of m.rules) compileRule(rule, ctx, root);
    });
  }
  checkTree(root);
  checkRecursion(root);
  if (typeErrors[0]) throw typeErrors[0];
  return { root, functionArity, modules };
}

function groundStrings(ref: Term[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < ref.length; i++) {
    const t = ref[i] as Term;
    if (i === 0 && t.type === 'var') out.push(t.name);
    else if (t.type === 'scalar' && typeof t.value === 'string') out.push(t.value);
    else break;
  }
  return out;
}

function dataRef(path: string[], loc: Location): Term {
  return {
    type: 'ref',
    head: { type: 'var', name: 'data', loc },
    path: path.map((p) => ({ type: 'scalar', value: p, loc })),
    loc,
  };
}

function compileRule(rule: Rule, ctx: ModuleContext, root: RuleNode): void {
  rule.module = ctx.module;
  const ground = groundStrings(rule.ref);
  const dyn = rule.ref.slice(ground.length);
  if (rule.kind === 'function' && dyn.length > 0)
    throw new CompileError('rego_parse_error', 'function names must be ground', rule.loc);
  let node = root;
  for (const p of [...ctx.module.packagePath, ...ground]) node = node.child(p);
  if (rule.isDefault) {
    if (dyn.length > 0) throw new CompileError('rego_type_error', 'default rules must have a ground head', rule.loc);
    if (node.defaultRule)
      throw new CompileError('rego_type_error', `multiple default rules data.${node.path.join('.')} found`, rule.loc);
    node.defaultRule = rule;
    if (node.kind && node.kind !== rule.kind)
      throw new CompileError('rego_type_error', `conflicting rules data.${node.path.join('.')} found`, rule.loc);
    node.kind = rule.kind;
  } else {
    if (node.kind && node.kind !== rule.kind)
      throw new CompileError('rego_type_error', `conflicting rules data.${node.path.join('.')} found`, rule.loc);
    node.kind = rule.kind;
    node.rules.push(rule);
  }
  for (let r: Rule | undefined = rule; r; r = r.elseRule) {
    r.module = ctx.module;
    ruleInfo.set(r, { dyn: r === rule ? dyn : dyn, node });
    compileRuleBody(r, ctx, dyn);
  }
}

/**
 * Replaces each head term (of a rule or comprehension) holding a ref that iterates over a var not in
 * `bound` (bound before the body: arguments, outer vars) by a fresh var, and returns the body expressions
 * (`$hN = term`) binding them.
 */
function moveRefTermsToBody(head: Term[], bound: Set<string>, ctx: ModuleContext): Expr[] {
  const moved: Expr[] = [];
  for (let i = 0; i < head.length; i++) {
    const t = head[i] as Term;
    const refVars = new Set<string>();
    refOutputs(t, refVars);
    if (![...refVars].some((v) => !bound.has(v) && !v.startsWith('$'))) continue;
    const v: Term = { type: 'var', name: `$h${ctx.counter.n++}`, loc: t.loc };
    moved.push(unification(v, t, t.loc));
    head[i] = v;
  }
  return moved;
}

/** Rewrites a rule's body and head in place. */
function compileRuleBody(rule: Rule, ctx: ModuleContext, dyn: Term[]): void {
  const scope: Scope = { renames: new Map() };
  const safe = new Set<string>();
  if (rule.args) moveCallsOutOfArgs(rule, ctx);
  // Function arguments are local and bound on call.
  for (const a of rule.args ?? [])
    for (const v of allVars(a)) {
      scope.renames.set(v, v);
      safe.add(v);
    }
  if (rule.isDefault) {
    const v = termToValue(rule.value);
    if (v === undefined) {
      rule.value = resolveTerm(rule.value, ctx, scope);
      const free = new Set<string>();
      termInputs(rule.value, free, new Set());
      for (const name of free)
        if (name !== 'data' && name !== 'input' && !safe.has(name))
          throw new CompileError('rego_type_error', 'default rule value cannot contain variables', rule.loc);
      const wrapped = compileNested({ kind: 'term', term: rule.value, with: [], loc: rule.loc }, safe, new Set(), ctx);
      if (wrapped.kind === 'term') rule.value = wrapped.term;
    }
    rule.value = fold(rule.value);
    return;
  }
  rule.body = resolveBody(rule.body, scope, ctx, true);
  const headTerms: Term[] = [...dyn, rule.value, ...(rule.key ? [rule.key] : [])];
  const resolvedHead = headTerms.map((t) => resolveTerm(t, ctx, scope));
  const visible = new Set<string>();
  for (const t of resolvedHead) shallowVars({ kind: 'term', term: t, with: [], loc: rule.loc }, visible);
  for (const a of rule.args ?? []) for (const v of allVars(a)) visible.add(v);
  const safeBeforeBody = new Set(safe);
  const unorderedBody = rule.body;
  /** Orders the body; the head's vars it leaves unbound, or the body's own unsafe-var error. */
  const order = (body: Expr[]): string[] | CompileError => {
    safe.clear();
    safeBeforeBody.forEach((v) => safe.add(v));
    try {
      rule.body = orderBody(body, safe, visible, ctx);
    } catch (err) {
      if (err instanceof CompileError && err.code === 'rego_unsafe_var_error') return err;
      throw err;
    }
    for (const e of rule.body) collectOutputs(e, safe);
    const headVars = new Set<string>();
    resolvedHead.forEach((t) => termInputs(t, headVars, visible));
    return [...headVars].filter((v) => !safe.has(v) && !v.startsWith('$') && v !== 'data' && v !== 'input');
  };
  let ordered = order(unorderedBody);
  if (ordered instanceof CompileError || ordered.length > 0) {
    // OPA's rewriteRefsInHead: a head term holding a ref is evaluated in the body, where the ref binds its
    // vars by iteration (`p[k] := input.x[k].y if some k`), before the expressions that need them.
    const moved = moveRefTermsToBody(resolvedHead, safeBeforeBody, ctx);
    if (moved.length > 0) {
      const retried = order([...unorderedBody, ...moved]);
      if (!(retried instanceof CompileError)) ordered = retried;
    }
  }
  if (ordered instanceof CompileError) throw ordered;
  if (ordered[0] !== undefined)
    throw new CompileError('rego_unsafe_var_error', `var ${ordered[0].replace(/\$\d+$/, '')} is unsafe`, rule.loc);
  for (let h = 0; h < resolvedHead.length; h++) {
    const wrapped = compileNested(
      { kind: 'term', term: resolvedHead[h] as Term, with: [], loc: rule.loc },
      safe,
      visible,
      ctx,
    );
    if (wrapped.kind === 'term') resolvedHead[h] = wrapped.term;
  }
  let i = 0;
  const newDyn = resolvedHead.slice(0, dyn.length).map(fold);
  i = dyn.length;
  rule.value = fold(resolvedHead[i++] as Term);
  if (rule.key) rule.key = fold(resolvedHead[i] as Term);
  rule.ref = [...rule.ref.slice(0, rule.ref.length - dyn.length), ...newDyn];
  const info = ruleInfo.get(rule);
  if (info) info.dyn = newDyn;
  if (rule.args) rule.args = rule.args.map((a) => fold(resolveTerm(a, ctx, scope)));
}

/**
 * Like OPA's rewriteExprTermsInHead: a template string in a function's argument (`f($"{x}") if { x = "a" }`)
 * cannot be unified with the value passed, so it becomes a fresh argument variable and the body gains
 * `$aN = call`, evaluated (after ordering) once the call's inputs are bound.
 */
function moveCallsOutOfArgs(rule: Rule, ctx: ModuleContext): void {
  const support: Expr[] = [];
  const expand = (t: Term): Term => {
    switch (t.type) {
      case 'call': {
        if (t.name !== 'internal.template_string')
          throw new CompileError('rego_compile_error', 'rule arguments cannot contain calls', t.loc);
        const v: Term = { type: 'var', name: `$a${ctx.counter.n++}`, loc: t.loc };
        support.push(unification(v, t, t.loc));
        return v;
      }
      case 'array':
      case 'set':
        return { ...t, items: t.items.map(expand) };
      case 'object':
        return { ...t, items: t.items.map(([k, v]) => [expand(k), expand(v)] as [Term, Term]) };
      default:
        return t;
    }
  };
  rule.args = (rule.args ?? []).map(expand);
  if (support.length > 0) rule.body = [...rule.body, ...support];
}

/** Compiles a query body; returns the ordered, resolved body. */
export function compileQuery(body: Expr[], compiled: CompiledModules, module: Module): Expr[] {
  const functions = new Set(compiled.functionArity.keys());
  const globals = new Map<string, Term>();
  const ctx: ModuleContext = { module, globals, functions, counter: { n: 0 }, inQuery: true, typeErrors: [] };
  const scope: Scope = { renames: new Map() };
  const resolved = resolveBody(body, scope, ctx, false);
  const ordered = orderBody(resolved, new Set(), new Set(), ctx);
  if (ctx.typeErrors[0]) throw ctx.typeErrors[0];
  return ordered;
}

// ---- name resolution -------------------------------------------------------------------------

/**
 * Resolves a body in order: `some` vars and `:=` targets are declared where they appear (so earlier
 * comprehensions do not see later declarations), and renamed to fresh names when `rename` is set.
 */
function resolveBody(body: Expr[], scope: Scope, ctx: ModuleContext, rename: boolean): Expr[] {
  // A body declares a name once: `:=` or `some` after either is an error naming the first.
  const declared = new Map<string, 'assigned' | 'declared'>();
  // Names used so far outside comprehensions: declaring one of them afterwards is an error in OPA. A name
  // declared in an enclosing body is not one: a comprehension may use it, then declare its own.
  const referenced = new Set<string>();
  const undeclaredVars = (e: Expr, out: Set<string>): void => {
    const vars = new Set<string>();
    shallowVars(e, vars);
    for (const v of vars) if (lookup(scope, v) === undefined) out.add(v);
  };
  const declare = (name: string, loc: Location, assign: boolean, alsoReferenced?: Set<string>): void => {
    if (name.startsWith('$')) return;
    const earlier = declared.get(name);
    if (earlier) throw new CompileError('rego_compile_error', `var ${name} ${earlier} above`, loc);
    if (referenced.has(name) || alsoReferenced?.has(name))
      throw new CompileError('rego_compile_error', `var ${name} referenced above`, loc);
    declared.set(name, assign ? 'assigned' : 'declared');
    scope.renames.set(name, rename ? `${name}$${ctx.counter.n++}` : name);
  };
  const out: Expr[] = [];
  for (const e of body) {
    if (e.kind === 'some') for (const v of e.vars) if (v.type === 'var') declare(v.name, v.loc, false);
    if (e.kind === 'somein') {
      // Only the pattern's vars are declared; a ref in it (`some [x.path, file] in pairs`) reads outer vars.
      const bound = new Set<string>();
      for (const t of e.key ? [e.key, e.value] : [e.value]) patternVars(t, bound);
      for (const v of bound) declare(v, e.loc, false);
    }
    if (e.kind === 'term' && e.term.type === 'call' && e.term.name === 'assign') {
      const [lhs, rhs] = e.term.args as [Term, Term];
      const resolvedRhs = resolveTerm(rhs, ctx, scope);
      const rhsVars = new Set<string>();
      undeclaredVars({ kind: 'term', term: rhs, with: [], loc: e.loc }, rhsVars);
      for (const v of allVars(lhs)) declare(v, e.loc, true, rhsVars);
      undeclaredVars(e, referenced);
      const resolvedLhs = resolveTerm(lhs, ctx, scope);
      // `x := split(s, ":")` gives x the type of its value, as OPA's checker does (`x := 1` a number).
      const type = resolvedLhs.type === 'var' ? termType(resolvedRhs, false, (v) => localType(scope, v)) : undefined;
      if (type && resolvedLhs.type === 'var') (scope.types ??= new Map()).set(resolvedLhs.name, type);
      const withs = e.with.map((w) => ({
        ...w,
        target: resolveWithTarget(w.target, ctx, scope),
        value: resolveTerm(w.value, ctx, scope),
      }));
      out.push({
        ...e,
        term: { ...e.term, args: [resolvedLhs, resolvedRhs], target: { kind: 'builtin', name: 'assign' } },
        with: withs,
      });
      continue;
    }
    out.push(resolveExpr(e, ctx, scope));
    undeclaredVars(e, referenced);
  }
  return out;
}

/** The type of a local from its `:=` (a renamed name), undefined when unknown. */
function localType(scope: Scope | undefined, name: string): OpaType | undefined {
  for (let s = scope; s; s = s.parent) {
    const t = s.types?.get(name);
    if (t !== undefined) return t;
  }
  return undefined;
}

function lookup(scope: Scope | undefined, name: string): string | undefined {
  for (let s = scope; s; s = s.parent) {
    const r = s.renames.get(name);
    if (r !== undefined) return r;
  }
  return undefined;
}

function resolveExpr(e: Expr, ctx: ModuleContext, scope: Scope): Expr {
  const withs = e.with.map((w) => ({
    ...w,
    target: resolveWithTarget(w.target, ctx, scope),
    value: resolveTerm(w.value, ctx, scope),
  }));
  const nested = (body: Expr[], pre?: (s: Scope) => void): Expr[] => {
    const s: Scope = { renames: new Map(), parent: scope };
    pre?.(s);
    return resolveBody(body, s, ctx, true);
  };
  switch (e.kind) {
    case 'term':
      return { ...e, term: resolveTerm(e.term, ctx, scope, true), with: withs };
    case 'not':
      return { ...e, expr: resolveExpr(e.expr, ctx, scope), with: withs };
    case 'notbody':
    case 'block':
      return { ...e, body: nested(e.body), with: withs };
    case 'and':
    case 'or': {
      const side = (x: Expr): Expr => {
        const body = nested([x]);
        return body[0] as Expr;
      };
      return { ...e, left: side(e.left), right: side(e.right), with: withs };
    }
    case 'some':
      return { ...e, vars: e.vars.map((v) => resolveTerm(v, ctx, scope)), with: withs };
    case 'somein':
      return {
        ...e,
        key: e.key ? resolveTerm(e.key, ctx, scope) : undefined,
        value: resolveTerm(e.value, ctx, scope),
        collection: resolveTerm(e.collection, ctx, scope),
        with: withs,
      };
    case 'every': {
      const s: Scope = { renames: new Map(), parent: scope };
      for (const t of e.key ? [e.key, e.value] : [e.value])
        if (t.type === 'var') s.renames.set(t.name, `${t.name}$${ctx.counter.n++}`);
      return {
        ...e,
        key: e.key ? resolveTerm(e.key, ctx, s) : undefined,
        value: resolveTerm(e.value, ctx, s),
        domain: resolveTerm(e.domain, ctx, scope),
        body: resolveBody(e.body, s, ctx, true),
        with: withs,
      };
    }
  }
}

function resolveWithTarget(t: Term, ctx: ModuleContext, scope: Scope): Term {
  if (t.type === 'var' && (t.name === 'input' || t.name === 'data'))
    return { type: 'ref', head: t, path: [], loc: t.loc };
  if (
    t.type === 'var' ||
    (t.type === 'ref' && t.head.type === 'var' && t.head.name !== 'input' && t.head.name !== 'data')
  ) {
    const name = refName(t);
    const fn = resolveFunctionName(name, ctx);
    if (fn)
      return {
        type: 'call',
        name: fn.kind === 'builtin' ? fn.name : ['data', ...fn.path].join('.'),
        fn: t,
        args: [],
        loc: t.loc,
        target: fn,
      };
  }
  const r = resolveTerm(t, ctx, scope);
  if (r.type === 'ref' && r.head.type === 'var' && r.head.name === 'data') {
    const name = refName(r);
    if (ctx.functions.has(name))
      return {
        type: 'call',
        name,
        fn: r,
        args: [],
        loc: t.loc,
        target: { kind: 'function', path: name.split('.').slice(1) },
      };
  }
  if (r.type !== 'ref' || r.head.type !== 'var' || (r.head.name !== 'input' && r.head.name !== 'data'))
    throw new CompileError(
      'rego_compile_error',
      `with keyword target must reference existing input, data, or a function`,
      t.loc,
    );
  return r;
}

/** Builtins OPA refuses in Rego v1 modules (and in v0 modules importing rego.v1). */
const DEPRECATED_BUILTINS = new Set([
  'any',
  'all',
  're_match',
  'set_diff',
  'net.cidr_overlap',
  'cast_array',
  'cast_set',
  'cast_string',
  'cast_boolean',
  'cast_null',
  'cast_object',
]);

/** A module with Rego v1's checks: written in v1, or a v0 module importing rego.v1. */
function isStrictModule(m: Module): boolean {
  return (
    m.regoVersion === 'v1' ||
    m.imports.some((imp) => imp.path.type === 'ref' && imp.path.head.type === 'var' && imp.path.head.name === 'rego')
  );
}

function resolveFunctionName(
  name: string,
  ctx: ModuleContext,
): { kind: 'builtin'; name: string } | { kind: 'function'; path: string[] } | undefined {
  const parts = name.split('.');
  const head = parts[0] as string;
  const g = ctx.globals.get(head);
  if (g && g.type === 'ref' && g.head.type === 'var' && g.head.name === 'data') {
    const full = [refName(g), ...parts.slice(1)].join('.');
    if (ctx.functions.has(full)) return { kind: 'function', path: full.split('.').slice(1) };
  }
  if (head === 'data' && ctx.functions.has(name)) return { kind: 'function', path: parts.slice(1) };
  if (lookupBuiltin(name) !== undefined) return { kind: 'builtin', name };
  return undefined;
}

/** The path under `data` of a rule named by a call without arguments (`f()`, `lib.f()`), if it is one. */
function zeroArgumentRulePath(name: string, ctx: ModuleContext): string[] | undefined {
  const parts = name.split('.');
  const g = ctx.globals.get(parts[0] as string);
  let path: string[] | undefined;
  if (g?.type === 'ref' && g.head.type === 'var' && g.head.name === 'data')
    path = [...refName(g).split('.').slice(1), ...parts.slice(1)];
  else if (parts[0] === 'data') path = parts.slice(1);
  return path && ctx.isRule?.(path) ? path : undefined;
}

/** `expression` says the term is a whole expression: a call there has no output to bind. */
function resolveTerm(t: Term, ctx: ModuleContext, scope: Scope, expression = false): Term {
  switch (t.type) {
    case 'scalar':
      return t;
    case 'var': {
      const local = lookup(scope, t.name);
      if (local !== undefined) return local === t.name ? t : { ...t, name: local };
      if (t.name === 'input' || t.name === 'data') return { type: 'ref', head: t, path: [], loc: t.loc };
      const g = ctx.globals.get(t.name);
      if (g) return { ...g, loc: t.loc } as Term;
      return t;
    }
    case 'ref': {
      const head = resolveTerm(t.head, ctx, scope);
      const path = t.path.map((p) => resolveTerm(p, ctx, scope));
      if (head.type === 'ref') return { type: 'ref', head: head.head, path: [...head.path, ...path], loc: t.loc };
      return { type: 'ref', head, path, loc: t.loc };
    }
    case 'array':
    case 'set':
      return { ...t, items: t.items.map((x) => resolveTerm(x, ctx, scope)) };
    case 'object':
      return {
        ...t,
        items: t.items.map(([k, v]) => [resolveTerm(k, ctx, scope), resolveTerm(v, ctx, scope)] as [Term, Term]),
      };
    case 'arraycompr':
    case 'setcompr': {
      const s: Scope = { renames: new Map(), parent: scope };
      const body = resolveBody(t.body, s, ctx, true);
      return { ...t, head: resolveTerm(t.head, ctx, s), body };
    }
    case 'objectcompr': {
      const s: Scope = { renames: new Map(), parent: scope };
      const body = resolveBody(t.body, s, ctx, true);
      return { ...t, key: resolveTerm(t.key, ctx, s), value: resolveTerm(t.value, ctx, s), body };
    }
    case 'call': {
      const args = t.args.map((a) => resolveTerm(a, ctx, scope));
      if (t.name === 'eq' || t.name === 'assign') return { ...t, args, target: { kind: 'builtin', name: t.name } };
      const target = resolveFunctionName(t.name, ctx);
      const rulePath = target ? undefined : zeroArgumentRulePath(t.name, ctx);
      if (rulePath && t.args.length > 0) {
        const count = `${t.args.length} argument${t.args.length === 1 ? '' : 's'}`;
        throw new CompileError(
          'rego_type_error',
          `function data.${rulePath.join('.')} has arity 0, got ${count}`,
          t.loc,
        );
      }
      // OPA accepts `f()` naming a rule whose type it infers as `any` (its value comes from `input`, …), and
      // evaluates it as the rule's value; a rule of another type is no function to it (decision 241).
      if (rulePath && ctx.isTypedRule?.(rulePath))
        throw new CompileError('rego_type_error', `undefined function data.${rulePath.join('.')}`, t.loc);
      if (rulePath) return dataRef(rulePath, t.loc);
      if (!target) {
        const refused = UNSUPPORTED_BUILTINS.get(t.name);
        if (refused)
          throw new CompileError(
            'rego_type_error',
            `${t.name} is not supported: ${refused} (${UNSUPPORTED_DECISION})`,
            t.loc,
          );
        throw new CompileError('rego_type_error', `undefined function ${t.name}`, t.loc);
      }
      if (
        target.kind === 'builtin' &&
        !ctx.inQuery &&
        DEPRECATED_BUILTINS.has(target.name) &&
        isStrictModule(ctx.module)
      )
        throw new CompileError(
          'rego_type_error',
          `deprecated built-in function calls in expression: ${target.name}`,
          t.loc,
        );
      if (target.kind === 'builtin') {
        const def = lookupBuiltin(target.name);
        if (def && args.length !== def.arity && args.length !== def.arity + 1 && def.arity >= 0)
          throw new CompileError(
            'rego_type_error',
            `${target.name}: arity mismatch\n\thave: (${args.length} args)\n\twant: (${def.arity} args)`,
            t.loc,
          );
        // Own keys only: a custom builtin may be named `toString`.
        const signature = Object.hasOwn(SIGNATURES, target.name) ? SIGNATURES[target.name] : undefined;
        const typeError = checkBuiltinCall(target.name, signature, args, t.loc, !expression, (v) =>
          localType(scope, v),
        );
        if (typeError) ctx.typeErrors.push(typeError);
      }
      return { ...t, args, target };
    }
  }
}

// ---- safety and ordering ---------------------------------------------------------------------

/** All variables in a term, including inside comprehensions. */
export function allVars(t: Term, out = new Set<string>()): Set<string> {
  switch (t.type) {
    case 'var':
      out.add(t.name);
      break;
    case 'ref':
      allVars(t.head, out);
      t.path.forEach((p) => allVars(p, out));
      break;
    case 'array':
    case 'set':
      t.items.forEach((x) => allVars(x, out));
      break;
    case 'object':
      t.items.forEach(([k, v]) => {
        allVars(k, out);
        allVars(v, out);
      });
      break;
    case 'call':
      t.args.forEach((a) => allVars(a, out));
      break;
    case 'arraycompr':
    case 'setcompr':
      allVars(t.head, out);
      t.body.forEach((e) => exprVars(e, out));
      break;
    case 'objectcompr':
      allVars(t.key, out);
      allVars(t.value, out);
      t.body.forEach((e) => exprVars(e, out));
      break;
  }
  return out;
}

function exprVars(e: Expr, out: Set<string>): Set<string> {
  switch (e.kind) {
    case 'term':
      allVars(e.term, out);
      break;
    case 'not':
      exprVars(e.expr, out);
      break;
    case 'notbody':
    case 'block':
      e.body.forEach((x) => exprVars(x, out));
      break;
    case 'and':
    case 'or':
      exprVars(e.left, out);
      exprVars(e.right, out);
      break;
    case 'some':
      e.vars.forEach((v) => allVars(v, out));
      break;
    case 'somein':
      if (e.key) allVars(e.key, out);
      allVars(e.value, out);
      allVars(e.collection, out);
      break;
    case 'every':
      if (e.key) allVars(e.key, out);
      allVars(e.value, out);
      allVars(e.domain, out);
      e.body.forEach((x) => exprVars(x, out));
      break;
  }
  for (const w of e.with) allVars(w.value, out);
  return out;
}

/** Vars of an expression outside nested scopes (comprehension, every, not-body and logic bodies). */
function shallowVars(e: Expr, out: Set<string>): void {
  const term = (t: Term): void => {
    switch (t.type) {
      case 'var':
        out.add(t.name);
        break;
      case 'ref':
        term(t.head);
        t.path.forEach(term);
        break;
      case 'array':
      case 'set':
        t.items.forEach(term);
        break;
      case 'object':
        t.items.forEach(([k, v]) => {
          term(k);
          term(v);
        });
        break;
      case 'call':
        t.args.forEach(term);
        break;
      default:
        break;
    }
  };
  switch (e.kind) {
    case 'term':
      term(e.term);
      break;
    case 'not':
      shallowVars(e.expr, out);
      break;
    case 'somein':
      if (e.key) term(e.key);
      term(e.value);
      term(e.collection);
      break;
    case 'every':
      term(e.domain);
      break;
    case 'some':
      e.vars.forEach(term);
      break;
    default:
      break;
  }
  for (const w of e.with) term(w.value);
}

/** Vars that must be bound to evaluate a term; ref path vars are outputs and excluded. Comprehension closures count. */
function termInputs(t: Term, out: Set<string>, visible: Set<string>): void {
  switch (t.type) {
    case 'var':
      out.add(t.name);
      break;
    case 'ref':
      termInputs(t.head, out, visible);
      for (const p of t.path) {
        if (p.type === 'var') continue;
        if (p.type === 'array' || p.type === 'object') patternInputs(p, out, visible);
        else termInputs(p, out, visible);
      }
      break;
    case 'array':
    case 'set':
      t.items.forEach((x) => termInputs(x, out, visible));
      break;
    case 'object':
      t.items.forEach(([k, v]) => {
        termInputs(k, out, visible);
        termInputs(v, out, visible);
      });
      break;
    case 'call':
      t.args.forEach((a) => termInputs(a, out, visible));
      break;
    case 'arraycompr':
    case 'setcompr':
    case 'objectcompr':
      for (const v of allVars(t)) if (visible.has(v)) out.add(v);
      break;
    default:
      break;
  }
}

/** Inputs of a term in a unification (pattern) position: bare vars and vars in array/object values are outputs. */
function patternInputs(t: Term, out: Set<string>, visible: Set<string>): void {
  if (t.type === 'var') return;
  if (t.type === 'array') return t.items.forEach((x) => patternInputs(x, out, visible));
  if (t.type === 'object') {
    for (const [k, v] of t.items) {
      termInputs(k, out, visible);
      patternInputs(v, out, visible);
    }
    return;
  }
  termInputs(t, out, visible);
}

function patternVars(t: Term, out: Set<string>): void {
  if (t.type === 'var') out.add(t.name);
  else if (t.type === 'array') t.items.forEach((x) => patternVars(x, out));
  else if (t.type === 'object') t.items.forEach(([, v]) => patternVars(v, out));
}

function refOutputs(t: Term, out: Set<string>): void {
  switch (t.type) {
    case 'ref':
      refOutputs(t.head, out);
      for (const p of t.path) {
        if (p.type === 'var') out.add(p.name);
        else if (p.type === 'array' || p.type === 'object') patternVars(p, out);
        refOutputs(p, out);
      }
      break;
    case 'array':
    case 'set':
      t.items.forEach((x) => refOutputs(x, out));
      break;
    case 'object':
      t.items.forEach(([k, v]) => {
        refOutputs(k, out);
        refOutputs(v, out);
      });
      break;
    case 'call':
      t.args.forEach((a) => refOutputs(a, out));
      break;
    default:
      break;
  }
}

function outputArgIndex(t: Term & { type: 'call' }, ctx: ModuleContext): number {
  const target = t.target;
  if (!target || t.name === 'eq' || t.name === 'assign') return -1;
  let arity: number | undefined;
  if (target.kind === 'builtin') arity = lookupBuiltin(target.name)?.arity;
  else if (target.kind === 'function')
    arity = ctx.functions.has(['data', ...target.path].join('.')) ? functionArityOf(target.path, ctx) : undefined;
  if (arity !== undefined && t.args.length === arity + 1) return arity;
  return -1;
}

const arityCache = new WeakMap<ModuleContext, Map<string, number>>();
let currentArity: Map<string, number> | undefined;

function functionArityOf(path: string[], ctx: ModuleContext): number | undefined {
  return (arityCache.get(ctx) ?? currentArity)?.get(['data', ...path].join('.'));
}

interface Analysis {
  inputs: Set<string>;
  outputs: Set<string>;
}

function analyzeExpr(e: Expr, safe: Set<string>, visible: Set<string>, ctx: ModuleContext): Analysis {
  const inputs = new Set<string>();
  const outputs = new Set<string>();
  const closure = (x: Expr | Term, exclude: Set<string> = new Set()): void => {
    const vs = 'kind' in x ? exprVars(x, new Set()) : allVars(x);
    for (const v of vs) if (visible.has(v) && !exclude.has(v)) inputs.add(v);
  };
  switch (e.kind) {
    case 'term': {
      const t = e.term;
      if (t.type === 'call' && (t.name === 'eq' || t.name === 'assign')) {
        const [a, b] = t.args as [Term, Term];
        patternInputs(a, inputs, visible);
        patternInputs(b, inputs, visible);
        const pa = new Set<string>();
        const pb = new Set<string>();
        patternVars(a, pa);
        patternVars(b, pb);
        refOutputs(a, outputs);
        refOutputs(b, outputs);
        const known = new Set([...safe, ...outputs]);
        if (!canUnify(a, b, known)) {
          for (const v of [...pa, ...pb]) if (!known.has(v)) inputs.add(v);
        } else {
          pa.forEach((v) => outputs.add(v));
          pb.forEach((v) => outputs.add(v));
        }
      } else if (t.type === 'call' && outputArgIndex(t, ctx) >= 0) {
        const idx = outputArgIndex(t, ctx);
        t.args.forEach((a, i) => {
          if (i === idx) {
            patternInputs(a, inputs, visible);
            patternVars(a, outputs);
          } else termInputs(a, inputs, visible);
          refOutputs(a, outputs);
        });
      } else {
        termInputs(t, inputs, visible);
        refOutputs(t, outputs);
      }
      break;
    }
    case 'not': {
      const inner = analyzeExpr(e.expr, safe, visible, ctx);
      inner.inputs.forEach((v) => inputs.add(v));
      // Vars bound inside a negation do not escape it, so they must be bound before (wildcards excepted).
      inner.outputs.forEach((v) => {
        if (!v.startsWith('$') && visible.has(v)) inputs.add(v);
      });
      for (const w of e.expr.with) termInputs(w.value, inputs, visible);
      for (const v of inputs) if (v.startsWith('$')) inputs.delete(v);
      return { inputs, outputs };
    }
    case 'notbody':
    case 'block':
      closure(e);
      break;
    case 'and':
    case 'or':
      closure(e);
      break;
    case 'some':
      break;
    case 'somein':
      termInputs(e.collection, inputs, visible);
      refOutputs(e.collection, outputs);
      for (const t of e.key ? [e.key, e.value] : [e.value]) {
        patternInputs(t, inputs, visible);
        patternVars(t, outputs);
      }
      break;
    case 'every': {
      termInputs(e.domain, inputs, visible);
      const exclude = new Set<string>();
      if (e.key) allVars(e.key, exclude);
      allVars(e.value, exclude);
      for (const x of e.body) closure(x, exclude);
      break;
    }
  }
  for (const w of e.with) {
    if (
      w.target.type === 'call' &&
      (w.value.type === 'var' || w.value.type === 'ref') &&
      lookupBuiltin(refName(w.value)) !== undefined
    )
      continue;
    termInputs(w.value, inputs, visible);
  }
  for (const v of outputs) inputs.delete(v);
  inputs.delete('data');
  inputs.delete('input');
  return { inputs, outputs };
}

function canUnify(a: Term, b: Term, known: Set<string>): boolean {
  const unbound = (t: Term): boolean => {
    const s = new Set<string>();
    patternVars(t, s);
    for (const v of s) if (!known.has(v)) return true;
    return false;
  };
  if (!unbound(a) || !unbound(b)) return true;
  if (a.type === 'array' && b.type === 'array' && a.items.length === b.items.length)
    return a.items.every((x, i) => canUnify(x, b.items[i] as Term, known));
  if (a.type === 'object' && b.type === 'object' && a.items.length === b.items.length) return true;
  return false;
}

/** Adds the variables an expression binds to `safe`. */
export function collectOutputs(e: Expr, safe: Set<string>): void {
  if (e.kind === 'term' || e.kind === 'somein') {
    const s = new Set<string>();
    if (e.kind === 'somein') {
      if (e.key) patternVars(e.key, s);
      patternVars(e.value, s);
      refOutputs(e.collection, s);
    } else {
      const t = e.term;
      if (t.type === 'call' && (t.name === 'eq' || t.name === 'assign')) t.args.forEach((a) => patternVars(a, s));
      else if (t.type === 'call' && t.args.length > 0) patternVars(t.args[t.args.length - 1] as Term, s);
      refOutputs(t, s);
    }
    s.forEach((v) => safe.add(v));
  }
}

/** Orders a body so every expression runs after the expressions binding its inputs; raises unsafe-var errors. */
function orderBody(body: Expr[], safe: Set<string>, outerVisible: Set<string>, ctx: ModuleContext): Expr[] {
  body = hoistSelfBindingRefs(hoistFromNegations(body, ctx), ctx);
  const visible = new Set(outerVisible);
  // A var only declared here (`some i`) and used only in comprehensions is theirs, as in OPA, where the
  // declaration is gone before the safety check.
  for (const e of body) if (e.kind !== 'some') shallowVars(e, visible);
  for (const v of safe) visible.add(v);
  const remaining = [...body];
  const ordered: Expr[] = [];
  while (remaining.length > 0) {
    let picked = -1;
    let analysis: Analysis | undefined;
    for (let i = 0; i < remaining.length; i++) {
      const a = analyzeExpr(remaining[i] as Expr, safe, visible, ctx);
      let ready = true;
      for (const v of a.inputs) if (!safe.has(v)) ready = false;
      if (ready) {
        picked = i;
        analysis = a;
        break;
      }
    }
    if (picked < 0 || !analysis) {
      const e = remaining[0] as Expr;
      const a = analyzeExpr(e, safe, visible, ctx);
      const unsafe = [...a.inputs].filter((v) => !safe.has(v));
      const shown = unsafe.map((v) => (v.startsWith('$') ? '_' : v.replace(/\$\d+$/, '')));
      throw new CompileError('rego_unsafe_var_error', `var ${shown[0] ?? '?'} is unsafe`, e.loc);
    }
    const e = remaining.splice(picked, 1)[0] as Expr;
    const compiled = compileNested(e, safe, visible, ctx);
    ordered.push(compiled);
    analysis.outputs.forEach((v) => safe.add(v));
  }
  return ordered;
}

/**
 * Orders a comprehension's body and checks its head. As OPA's rewriteComprehensionTerms, a head holding a
 * ref is evaluated in the body when that is what binds its vars (`[xs[i] | startswith(i, "a")]`).
 */
function orderComprehension(
  heads: Term[],
  body: Expr[],
  safeHere: Set<string>,
  visible: Set<string>,
  ctx: ModuleContext,
  loc: Location,
): { heads: Term[]; body: Expr[]; after: Set<string> } {
  const attempt = (h: Term[], b: Expr[]): { heads: Term[]; body: Expr[]; after: Set<string> } | CompileError => {
    try {
      const s = new Set(safeHere);
      const ordered = orderBody(b, s, visible, ctx);
      const after = new Set(s);
      ordered.forEach((x) => collectOutputs(x, after));
      checkHead(h, after, loc);
      return { heads: h, body: ordered, after };
    } catch (err) {
      if (err instanceof CompileError && err.code === 'rego_unsafe_var_error') return err;
      throw err;
    }
  };
  const first = attempt(heads, body);
  if (!(first instanceof CompileError)) return first;
  const moved = [...heads];
  const support = moveRefTermsToBody(moved, safeHere, ctx);
  const retried = support.length > 0 ? attempt(moved, [...body, ...support]) : first;
  if (retried instanceof CompileError) throw first;
  return retried;
}

/** Orders the bodies nested in an expression (comprehensions, every, not-bodies), given the vars safe there. */
function compileNested(e: Expr, safe: Set<string>, visible: Set<string>, ctx: ModuleContext): Expr {
  // safeHere: vars bound where the term is; a comprehension's head also sees its body's outputs.
  const term = (t: Term, safeHere: Set<string> = safe): Term => {
    const inner = (x: Term): Term => term(x, safeHere);
    switch (t.type) {
      case 'ref':
        return { ...t, head: inner(t.head), path: t.path.map(inner) };
      case 'array':
      case 'set':
        return fold({ ...t, items: t.items.map(inner) });
      case 'object':
        return fold({ ...t, items: t.items.map(([k, v]) => [inner(k), inner(v)] as [Term, Term]) });
      case 'call':
        return { ...t, args: t.args.map(inner) };
      case 'arraycompr':
      case 'setcompr': {
        const { heads, body, after } = orderComprehension([t.head], t.body, safeHere, visible, ctx, t.loc);
        return { ...t, head: term(heads[0] as Term, after), body };
      }
      case 'objectcompr': {
        const { heads, body, after } = orderComprehension([t.key, t.value], t.body, safeHere, visible, ctx, t.loc);
        return { ...t, key: term(heads[0] as Term, after), value: term(heads[1] as Term, after), body };
      }
      default:
        return t;
    }
  };
  const withs = e.with.map((w) => ({ ...w, value: term(w.value) }));
  const sub = (body: Expr[], extra: string[] = []): Expr[] =>
    orderBody(body, new Set([...safe, ...extra]), visible, ctx);
  switch (e.kind) {
    case 'term':
      return { ...e, term: term(e.term), with: withs };
    case 'not':
      return { ...e, expr: compileNested(e.expr, safe, visible, ctx), with: withs };
    case 'notbody':
    case 'block':
      return { ...e, body: sub(e.body), with: withs };
    case 'and':
    case 'or':
      return {
        ...e,
        left: { kind: 'block', body: sub([e.left]), with: [], loc: e.left.loc },
        right: { kind: 'block', body: sub([e.right]), with: [], loc: e.right.loc },
        with: withs,
      };
    case 'somein':
      return { ...e, collection: term(e.collection), with: withs };
    case 'every': {
      const extra = [...(e.key ? allVars(e.key) : []), ...allVars(e.value)];
      return { ...e, domain: term(e.domain), body: sub(e.body, extra), with: withs };
    }
    default:
      return e;
  }
}

function checkHead(terms: Term[], safe: Set<string>, loc: Location): void {
  const vars = new Set<string>();
  terms.forEach((t) => termInputs(t, vars, new Set()));
  for (const v of vars)
    if (!safe.has(v) && v !== 'data' && v !== 'input')
      throw new CompileError('rego_unsafe_var_error', `var ${v.replace(/\$\d+$/, '')} is unsafe`, loc);
}

/** Replaces ground composite terms with constant scalars so they are built once. */
function fold(t: Term): Term {
  if (t.type === 'array' || t.type === 'set' || t.type === 'object') {
    const v = termToValue(t);
    if (v !== undefined) return { type: 'scalar', value: v, loc: t.loc };
  }
  return t;
}

function checkTree(node: RuleNode): void {
  for (const c of node.children.values()) {
    const dynamic = node.rules.some((r) => (ruleInfo.get(r)?.dyn.length ?? 0) > 0);
    if (node.kind === 'function' || (node.kind === 'multi' && !dynamic))
      throw new CompileError(
        'rego_type_error',
        `rule data.${c.path.join('.')} conflicts with data.${node.path.join('.')}`,
        (node.rules[0] ?? node.defaultRule)?.loc,
      );
    checkTree(c);
  }
}

/** Sets the function arity table used while compiling queries and rules. */
export function withArities<T>(arities: Map<string, number>, fn: () => T): T {
  const prev = currentArity;
  currentArity = arities;
  try {
    return fn();
  } finally {
    currentArity = prev;
  }
}

/**
 * Rule nodes a body may read: data refs and called functions. A data ref is matched against the rule tree
 * as a pattern (a variable segment matches any key, later ground segments still narrow it, as OPA's
 * dependency graph does): rules on the way are read whole, and everything under the end is read.
 */
function dependencies(rule: Rule, root: RuleNode): Set<RuleNode> {
  const out = new Set<RuleNode>();
  const addSubtree = (node: RuleNode): void => {
    const stack = [node];
    while (stack.length > 0) {
      const n = stack.pop() as RuleNode;
      if (n.rules.length > 0 || n.defaultRule) out.add(n);
      stack.push(...n.children.values());
    }
  };
  // A segment is a key, null for any key, or undefined for a key no rule can have (only rules on the way count).
  const addPattern = (node: RuleNode, pattern: Array<string | null | undefined>, i: number): void => {
    if (i === pattern.length) return addSubtree(node);
    if (node.rules.length > 0 || node.defaultRule) out.add(node);
    const segment = pattern[i];
    if (segment === undefined) return;
    if (segment === null) for (const child of node.children.values()) addPattern(child, pattern, i + 1);
    else {
      const child = node.children.get(segment as string);
      if (child) addPattern(child, pattern, i + 1);
    }
  };
  const addPrefix = (path: string[]): void => addPattern(root, path, 0);
  const term = (t: Term): void => {
    switch (t.type) {
      case 'ref':
        if (t.head.type === 'var' && t.head.name === 'data') {
          const pattern: Array<string | null | undefined> = [];
          for (const p of t.path) {
            if (p.type === 'scalar' && typeof p.value === 'string') pattern.push(p.value);
            else if (p.type === 'scalar') {
              // Rules only live under string keys: a constant non-string key reaches into a rule's value only.
              pattern.push(undefined);
              break;
            } else pattern.push(null);
          }
          addPattern(root, pattern, 0);
        } else term(t.head);
        t.path.forEach(term);
        break;
      case 'array':
      case 'set':
        t.items.forEach(term);
        break;
      case 'object':
        t.items.forEach(([k, v]) => {
          term(k);
          term(v);
        });
        break;
      case 'call':
        if (t.target?.kind === 'function') addPrefix(t.target.path);
        t.args.forEach(term);
        break;
      case 'arraycompr':
      case 'setcompr':
        term(t.head);
        t.body.forEach(expr);
        break;
      case 'objectcompr':
        term(t.key);
        term(t.value);
        t.body.forEach(expr);
        break;
      default:
        break;
    }
  };
  const expr = (e: Expr): void => {
    switch (e.kind) {
      case 'term':
        term(e.term);
        break;
      case 'not':
        expr(e.expr);
        break;
      case 'notbody':
      case 'block':
        e.body.forEach(expr);
        break;
      case 'and':
      case 'or':
        expr(e.left);
        expr(e.right);
        break;
      case 'somein':
        term(e.collection);
        break;
      case 'every':
        term(e.domain);
        e.body.forEach(expr);
        break;
      default:
        break;
    }
    // `with` replaces what it targets for this expression, so only its value is a dependency.
    for (const w of e.with) term(w.value);
  };
  for (let r: Rule | undefined = rule; r; r = r.elseRule) {
    r.body.forEach(expr);
    term(r.value);
    if (r.key) term(r.key);
    (ruleInfo.get(r)?.dyn ?? []).forEach(term);
  }
  return out;
}

/** Rejects rules that depend on themselves (OPA's rego_recursion_error). */
function checkRecursion(root: RuleNode): void {
  const nodes: RuleNode[] = [];
  const collect = (n: RuleNode): void => {
    if (n.rules.length > 0) nodes.push(n);
    n.children.forEach(collect);
  };
  collect(root);
  const edges = new Map<RuleNode, Set<RuleNode>>();
  for (const n of nodes) {
    const deps = new Set<RuleNode>();
    for (const r of n.rules) for (const d of dependencies(r, root)) deps.add(d);
    edges.set(n, deps);
  }
  const state = new Map<RuleNode, 1 | 2>();
  const stack: RuleNode[] = [];
  const visit = (n: RuleNode): void => {
    state.set(n, 1);
    stack.push(n);
    for (const d of edges.get(n) ?? []) {
      const st = state.get(d);
      if (st === 1) {
        const cycle = [...stack.slice(stack.indexOf(d)), d].map((x) => 'data.' + x.path.join('.'));
        throw new CompileError(
          'rego_recursion_error',
          `rule ${cycle[0]} is recursive: ${cycle.join(' -> ')}`,
          d.rules[0]?.loc,
        );
      }
      if (st === undefined) visit(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of nodes) if (!state.has(n)) visit(n);
}

/**
 * A call whose reference argument binds a variable that another argument uses (`some i; i == input.a[i]`)
 * can only run after that reference: like OPA's rewriteDynamics, such references become expressions of
 * their own before the call (`$h = input.a[i]; i == $h`), so ordering finds the call safe.
 */
function hoistSelfBindingRefs(body: Expr[], ctx: ModuleContext): Expr[] {
  const out: Expr[] = [];
  for (const e of body) {
    if (e.kind !== 'term' || e.term.type !== 'call' || e.term.name === 'eq' || e.term.name === 'assign') {
      out.push(e);
      continue;
    }
    const t = e.term;
    const bound = new Set<string>();
    refOutputs(t, bound);
    const used = new Set<string>();
    t.args.forEach((a) => termInputs(a, used, new Set()));
    const shared = new Set([...bound].filter((v) => used.has(v)));
    if (shared.size === 0) {
      out.push(e);
      continue;
    }
    const support: Expr[] = [];
    const hoist = (a: Term): Term => {
      if (a.type === 'call') return { ...a, args: a.args.map(hoist) };
      if (a.type !== 'ref') return a;
      const outputs = new Set<string>();
      refOutputs(a, outputs);
      if (![...outputs].some((v) => shared.has(v))) return a;
      const v: Term = { type: 'var', name: `$h${ctx.counter.n++}`, loc: a.loc };
      support.push(unification(v, a, a.loc, [...e.with]));
      return v;
    };
    const term = { ...t, args: t.args.map(hoist) };
    out.push(...support, { ...e, term });
  }
  return out;
}

/**
 * Like OPA's compiler (rewriteExprTerms, rewriteEquals, rewriteDynamicTerms), moves the nested calls of a
 * negated expression, and the references and comprehensions passed to its call, into expressions before
 * it: `not startswith(input.x, "a")` becomes `$h = input.x; not startswith($h, "a")`, so an undefined
 * `input.x` makes the body fail instead of the negation succeed.
 */
function hoistFromNegations(body: Expr[], ctx: ModuleContext): Expr[] {
  const out: Expr[] = [];
  for (const e of body) {
    if (e.kind !== 'not' || e.expr.kind !== 'term') {
      out.push(e);
      continue;
    }
    const support: Expr[] = [];
    const hoist = (t: Term): Term => {
      const v: Term = { type: 'var', name: `$h${ctx.counter.n++}`, loc: t.loc };
      support.push(unification(v, t, t.loc, [...e.with]));
      return v;
    };
    const items = (t: Term, f: (x: Term) => Term): Term => {
      if (t.type === 'array' || t.type === 'set') return { ...t, items: t.items.map(f) };
      if (t.type === 'object') return { ...t, items: t.items.map(([k, v]) => [f(k), f(v)] as [Term, Term]) };
      return t;
    };
    // Nested calls become their own expressions (also inside reference segments and collections).
    const expand = (t: Term): Term => {
      if (t.type === 'call') return hoist({ ...t, args: t.args.map(expand) });
      if (t.type === 'ref') {
        // A composite or comprehension subject (`[1, x][i]`) is bound to a variable first.
        let head = expand(t.head);
        if (head.type !== 'var' && head.type !== 'scalar' && head.type !== 'ref') head = hoist(head);
        return { ...t, head, path: t.path.map(expand) };
      }
      return items(t, expand);
    };
    // References and comprehensions passed to a call are evaluated first.
    const dynamic = (t: Term): Term => {
      if (t.type === 'ref') return hoist({ ...t, path: t.path.map(dynamic) });
      if (t.type === 'arraycompr' || t.type === 'setcompr' || t.type === 'objectcompr') return hoist(t);
      return items(t, dynamic);
    };
    // Operands of a unification keep their references; only the references' dynamic segments move.
    const dynamicInside = (t: Term): Term => {
      if (t.type === 'ref') return { ...t, path: t.path.map(dynamic) };
      if (t.type === 'arraycompr' || t.type === 'setcompr' || t.type === 'objectcompr') return t;
      return dynamic(t);
    };
    let term = e.expr.term;
    if (term.type === 'call') {
      const unify = term.name === 'eq' || (term.name === 'equal' && !ctx.inQuery && term.args.length === 2);
      const args = term.args.map(expand);
      term = { ...term, args: args.map(unify ? dynamicInside : dynamic) };
    } else term = dynamicInside(expand(term));
    if (support.length === 0) out.push(e);
    else out.push(...support, { ...e, expr: { ...e.expr, term } });
  }
  return out;
}
