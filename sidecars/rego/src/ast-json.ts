// Converts parsed modules to OPA's AST JSON shape (as rego.parse_module returns it).
import type { Expr, Module, Rule, Term } from './ast';
import type { RegoObject } from './value';
import { RegoSet, fromJS, isNumber, type Value } from './value';

function valueTerm(v: Value): unknown {
  if (v === null) return { type: 'null' };
  if (typeof v === 'boolean') return { type: 'boolean', value: v };
  if (isNumber(v)) return { type: 'number', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (Array.isArray(v)) return { type: 'array', value: v.map(valueTerm) };
  if (v instanceof RegoSet) return { type: 'set', value: v.sorted().map(valueTerm) };
  return { type: 'object', value: (v as RegoObject).sortedEntries().map(([k, x]) => [valueTerm(k), valueTerm(x)]) };
}

function termJSON(t: Term): unknown {
  switch (t.type) {
    case 'scalar':
      return valueTerm(t.value);
    case 'var':
      return { type: 'var', value: t.name.startsWith('$') ? '$' + t.name.slice(1) : t.name };
    case 'ref':
      return {
        type: 'ref',
        value: [
          termJSON(t.head),
          ...t.path.map((p) =>
            p.type === 'scalar' && typeof p.value === 'string' ? { type: 'string', value: p.value } : termJSON(p),
          ),
        ],
      };
    case 'array':
      return { type: 'array', value: t.items.map(termJSON) };
    case 'set':
      return { type: 'set', value: t.items.map(termJSON) };
    case 'object':
      return { type: 'object', value: t.items.map(([k, v]) => [termJSON(k), termJSON(v)]) };
    case 'arraycompr':
      return { type: 'arraycomprehension', value: { term: termJSON(t.head), body: t.body.map(exprJSON) } };
    case 'setcompr':
      return { type: 'setcomprehension', value: { term: termJSON(t.head), body: t.body.map(exprJSON) } };
    case 'objectcompr':
      return {
        type: 'objectcomprehension',
        value: { key: termJSON(t.key), value: termJSON(t.value), body: t.body.map(exprJSON) },
      };
    case 'call':
      return { type: 'call', value: [operator(t.name), ...t.args.map(termJSON)] };
  }
}

function operator(name: string): unknown {
  const [head, ...rest] = name.split('.');
  return { type: 'ref', value: [{ type: 'var', value: head }, ...rest.map((r) => ({ type: 'string', value: r }))] };
}

function exprJSON(e: Expr, index = 0): unknown {
  const base: Record<string, unknown> = { index };
  switch (e.kind) {
    case 'term':
      base.terms = e.term.type === 'call' ? [operator(e.term.name), ...e.term.args.map(termJSON)] : termJSON(e.term);
      break;
    case 'not':
      Object.assign(base, exprJSON(e.expr, index) as object, { negated: true });
      break;
    case 'some':
      base.terms = { type: 'somedecl', value: e.vars.map(termJSON) };
      break;
    case 'somein':
      base.terms = {
        type: 'somedecl',
        value: [
          {
            type: 'call',
            value: [
              operator(e.key ? 'internal.member_3' : 'internal.member_2'),
              ...(e.key ? [termJSON(e.key)] : []),
              termJSON(e.value),
              termJSON(e.collection),
            ],
          },
        ],
      };
      break;
    case 'every':
      base.terms = {
        domain: termJSON(e.domain),
        key: e.key ? termJSON(e.key) : null,
        value: termJSON(e.value),
        body: e.body.map(exprJSON),
      };
      break;
    default:
      base.terms = [];
  }
  if (e.with.length > 0) base.with = e.with.map((w) => ({ target: termJSON(w.target), value: termJSON(w.value) }));
  return base;
}

function ruleJSON(r: Rule): unknown {
  const name = r.ref[0]?.type === 'var' ? r.ref[0].name : '';
  const head: Record<string, unknown> = {
    name,
    ref: r.ref.map((t, i) =>
      i === 0
        ? termJSON(t)
        : t.type === 'scalar' && typeof t.value === 'string'
          ? { type: 'string', value: t.value }
          : termJSON(t),
    ),
  };
  if (r.args) head.args = r.args.map(termJSON);
  if (r.kind === 'multi' && r.key) head.key = termJSON(r.key);
  else head.value = termJSON(r.value);
  const out: Record<string, unknown> = { head, body: r.body.map((e, i) => exprJSON(e, i)) };
  if (r.isDefault) out.default = true;
  if (r.elseRule) out.else = ruleJSON(r.elseRule);
  return out;
}

/** The module as OPA's AST JSON (package, imports, rules). */
export function moduleToJSON(m: Module): Value {
  return fromJS({
    package: { path: [{ type: 'var', value: 'data' }, ...m.packagePath.map((p) => ({ type: 'string', value: p }))] },
    ...(m.imports.length > 0
      ? { imports: m.imports.map((i) => ({ path: termJSON(i.path), ...(i.alias ? { alias: i.alias } : {}) })) }
      : {}),
    ...(m.rules.length > 0 ? { rules: m.rules.map(ruleJSON) } : {}),
  });
}
