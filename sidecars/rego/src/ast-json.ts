// Converts parsed modules to OPA's AST JSON shape (as rego.parse_module returns it).
import type { Expr, Module, Rule, Term } from './ast';
import type { RegoObject } from './value';
import { RegoSet, fromJS, isNumber, type Value } from './value';

function valueTerm(v: Value): unknown {
  if (v === null) return { type: 'null', value: {} };
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
      // OPA's parser makes a bare root document (`some x in input`) a reference.
      if (t.name === 'input' || t.name === 'data') return { type: 'ref', value: [{ type: 'var', value: t.name }] };
      return { type: 'var', value: t.name.startsWith('$') ? '$' + t.name.slice(1) : t.name };
    case 'ref':
      return {
        type: 'ref',
        value: [
          t.head.type === 'var' ? { type: 'var', value: t.head.name } : termJSON(t.head),
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
      if (t.name === 'internal.template_string' && t.args[0]?.type === 'array') return templateJSON(t.args[0].items, t);
      return { type: 'call', value: [operator(t.name), ...t.args.map(termJSON)] };
  }
}

/**
 * A template string as OPA's parser keeps it: its literal parts and constant expressions as terms, other
 * expressions as expressions (the parser wrote each `{expr}` as the comprehension `{$n | $n = expr}`).
 */
function templateJSON(parts: Term[], t: Term & { type: 'call' }): unknown {
  return {
    type: 'templatestring',
    value: {
      multi_line: t.multiLine === true,
      parts: parts.map((part) => {
        if (part.type !== 'setcompr') return termJSON(part);
        const capture = part.body[0];
        const expr =
          capture?.kind === 'term' && capture.term.type === 'call' && capture.term.name === 'eq'
            ? capture.term.args[1]
            : undefined;
        if (!capture || !expr) return termJSON(part);
        if (expr.type === 'scalar' && !isCompositeValue(expr) && capture.with.length === 0) return termJSON(expr);
        return exprJSON({ ...capture, kind: 'term', term: expr }, 0);
      }),
    },
  };
}

/** A constant array, object or set (which OPA keeps as an expression, unlike strings, numbers, …). */
function isCompositeValue(t: Term & { type: 'scalar' }): boolean {
  return typeof t.value === 'object' && t.value !== null && !isNumber(t.value);
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
      base.terms = { symbols: e.vars.map(termJSON) };
      break;
    case 'somein':
      base.terms = {
        symbols: [
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
    case 'and':
    case 'or': {
      // OPA's experimental And/Or: each side a body, braced (`{ a; b }`) sides marked explicit.
      const terms: Record<string, unknown> = { type: e.kind };
      for (const [side, operand] of [
        ['lhs', e.left],
        ['rhs', e.right],
      ] as const) {
        terms[side] = operand.kind === 'block' ? operand.body.map((x, i) => exprJSON(x, i)) : [exprJSON(operand, 0)];
        if (operand.kind === 'block') terms[`explicit_${side}`] = true;
      }
      base.terms = terms;
      break;
    }
    default:
      base.terms = [];
  }
  if (e.with.length > 0) base.with = e.with.map((w) => ({ target: termJSON(w.target), value: termJSON(w.value) }));
  if (e.generated) base.generated = true;
  return base;
}

/** The body OPA's parser gives a rule written without one. */
const GENERATED_BODY = [{ index: 0, terms: { type: 'boolean', value: true }, generated: true }];

/**
 * The head's `name` and `key` as OPA's parser sets them: the name of a one-name head; for a two-part
 * head (`p[x]`, `p.q`) the name and the last part as key, except that after `if` the key is kept only
 * when not ground and the name only when a value is written; a multi-value rule's key is its element.
 */
function headNameAndKey(r: Rule): { name?: string; key?: Term } {
  const first = r.ref[0];
  const name = first?.type === 'var' ? first.name : undefined;
  if (r.kind === 'multi') return { name: r.ref.length === 1 ? name : undefined, key: r.key };
  if (r.ref.length === 1) return { name };
  if (r.ref.length !== 2 || r.args) return {};
  const last = r.ref[1] as Term;
  if (!r.hasIf) return { name, key: last };
  return { name: r.generatedValue ? undefined : name, key: isGround(last) && last.type !== 'ref' ? undefined : last };
}

function isGround(t: Term): boolean {
  switch (t.type) {
    case 'scalar':
      return true;
    case 'array':
    case 'set':
      return t.items.every(isGround);
    case 'object':
      return t.items.every(([k, v]) => isGround(k) && isGround(v));
    case 'ref':
      return isGround(t.head) && t.path.every(isGround);
    default:
      return false;
  }
}

function ruleJSON(r: Rule): unknown {
  const { name, key } = headNameAndKey(r);
  const head: Record<string, unknown> = {
    ref: r.ref.map((t, i) =>
      i === 0
        ? termJSON(t)
        : t.type === 'scalar' && typeof t.value === 'string'
          ? { type: 'string', value: t.value }
          : termJSON(t),
    ),
  };
  if (name !== undefined) head.name = name;
  if (r.args) head.args = r.args.map(termJSON);
  if (key) head.key = termJSON(key);
  if (r.kind !== 'multi') head.value = termJSON(r.value);
  if (r.assign) head.assign = true;
  const body = r.body.length === 0 ? GENERATED_BODY : r.body.map((e, i) => exprJSON(e, i));
  const out: Record<string, unknown> = { head, body };
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
    // As Go marshals OPA's Comment: the text's bytes in base64, under capitalised keys.
    ...(m.comments?.length
      ? {
          comments: m.comments.map((c) => ({
            Text: Buffer.from(c.text, 'utf8').toString('base64'),
            Location: { file: m.file, row: c.line, col: c.column },
          })),
        }
      : {}),
  });
}
