// Which rules OPA's type checker gives a type other than `any`. OPA accepts `f()` naming a rule (not a
// function) only when the rule's inferred type is exactly `any` (its value comes from `input`, unknown
// `data`, a builtin returning `any`, …) and refuses it otherwise with `rego_type_error: undefined function
// data.p.f` (docs/decisions/241-f-naming-a-rule.md). This engine infers no full types, so a rule counts as
// typed only when every definition shows it from the source alone; in doubt it is not, and the call is
// accepted as before: this never refuses what OPA accepts.
import type { Expr, Module, Rule, Term } from './ast';
import { SIGNATURES } from './builtins/signatures.generated';

interface Definition {
  rule: Rule;
  module: Module;
}

/** A predicate on paths under `data` (without `data`): true when OPA types the rule there as other than `any`. */
export function rulesOfKnownType(modules: Module[]): (path: string[]) => boolean {
  const definitions = new Map<string, Definition[]>();
  const packageRules = new Map<string, Set<string>>();
  for (const module of modules) {
    const packageKey = module.packagePath.join('.');
    const names = packageRules.get(packageKey) ?? new Set<string>();
    packageRules.set(packageKey, names);
    for (const rule of module.rules) {
      const head = rule.ref[0];
      if (head?.type === 'var') names.add(head.name);
      if (rule.kind === 'function') continue;
      const key = [...module.packagePath, ...groundPrefix(rule.ref)].join('.');
      definitions.set(key, [...(definitions.get(key) ?? []), { rule, module }]);
    }
  }
  const known = new Map<string, boolean>();

  function ruleKnown(key: string): boolean {
    const cached = known.get(key);
    if (cached !== undefined) return cached;
    known.set(key, false); // a rule whose type depends on itself is a recursion error anyway
    const result = (definitions.get(key) ?? []).every(definitionKnown) && definitions.has(key);
    known.set(key, result);
    return result;
  }

  function definitionKnown({ rule, module }: Definition): boolean {
    // A partial set is a set, a rule with a variable in its head an object, whatever their elements are.
    if (rule.kind === 'multi' || groundPrefix(rule.ref).length < rule.ref.length) return true;
    for (let r: Rule | undefined = rule; r; r = r.elseRule) if (!valueKnown(r.value, r, module)) return false;
    return true;
  }

  function valueKnown(value: Term, rule: Rule, module: Module): boolean {
    switch (value.type) {
      case 'scalar':
      case 'array':
      case 'set':
      case 'object':
      case 'arraycompr':
      case 'setcompr':
      case 'objectcompr':
        return true;
      case 'call': {
        // A builtin's declared result, unless the module names a function or import so (then it is the user's).
        if (globalPath(value.name.split('.')[0] as string, module) !== undefined) return false;
        const signature = Object.hasOwn(SIGNATURES, value.name) ? SIGNATURES[value.name] : undefined;
        if (!signature?.result || signature.args.length !== value.args.length) return false;
        return signature.result.type !== 'any';
      }
      case 'var':
      case 'ref': {
        const head = value.type === 'var' ? value : value.head;
        const rest = value.type === 'ref' ? value.path : [];
        // A name the body binds may be a local shadowing a rule: not known from the source alone.
        if (head.type !== 'var' || mentionsVar(rule.body, head.name)) return false;
        const base = head.name === 'data' ? [] : globalPath(head.name, module);
        if (base === undefined || rest.some((t) => t.type !== 'scalar' || typeof t.value !== 'string')) return false;
        const path = [...base, ...rest.map((t) => (t as { value: string }).value)];
        return ruleKnown(path.join('.'));
      }
    }
  }

  /** The `data` path a module-level name stands for: an import's or a rule's of the package. */
  function globalPath(name: string, module: Module): string[] | undefined {
    for (const imported of module.imports) {
      const path = imported.path;
      if (path.type !== 'ref' || path.head.type !== 'var' || path.head.name !== 'data') continue;
      const strings = path.path.map((t) => (t.type === 'scalar' && typeof t.value === 'string' ? t.value : ''));
      if ((imported.alias ?? strings[strings.length - 1]) === name) return strings;
    }
    return packageRules.get(module.packagePath.join('.'))?.has(name) ? [...module.packagePath, name] : undefined;
  }

  return (path) => ruleKnown(path.join('.'));
}

/** The leading names of a rule's head reference (`a.b[x]` → a, b). */
function groundPrefix(ref: Term[]): string[] {
  const names: string[] = [];
  for (const [i, t] of ref.entries()) {
    if (i === 0 && t.type === 'var') names.push(t.name);
    else if (t.type === 'scalar' && typeof t.value === 'string') names.push(t.value);
    else break;
  }
  return names;
}

function mentionsVar(body: Expr[], name: string): boolean {
  const seen = new Set<object>();
  const visit = (node: unknown): boolean => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return false;
    seen.add(node);
    const record = node as Record<string, unknown>;
    if (record.type === 'var' && record.name === name) return true;
    return Object.values(record).some(visit);
  };
  return visit(body);
}
