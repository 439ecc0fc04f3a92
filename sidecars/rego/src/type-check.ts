// A conservative static type check of builtin calls, as OPA's compiler does it: an argument whose type is
// known from the source alone (a literal, an array, object or set literal, a builtin call, or a local bound
// by `x := ` one of these) and that no value of the declared type can be is a `rego_type_error` at compile
// time (`concat(",", [1])`, `count(1)`, `"a" + 1`, `x := "a"; x + 1`). Everything else (references,
// function calls, comprehensions, other variables) is of unknown type and always accepted, so this never
// refuses what OPA accepts; OPA, which also infers the types of references and rules, refuses more.
import type { Location, Term } from './ast';
import { SIGNATURES } from './builtins/signatures.generated';
import { CompileError } from './errors';
import { NumberText } from './value';

/** A type as OPA's capabilities.json declares it. */
export type OpaType =
  | { type: 'any'; of?: OpaType[] }
  | { type: 'string' | 'number' | 'boolean' | 'null' }
  | { type: 'array'; static?: OpaType[]; dynamic?: OpaType }
  | { type: 'object'; static?: { key: string; value: OpaType }[]; dynamic?: { key: OpaType; value: OpaType } }
  /** `elements` (here only): the types of a set literal's elements, each checked on its own as OPA does. */
  | { type: 'set'; of?: OpaType; elements?: OpaType[] }
  | { type: 'function' };

/** A builtin's declared argument and result types. */
export interface Signature {
  args: OpaType[];
  result?: OpaType;
}

/** The type of an argument as far as the source tells: undefined is unknown (OPA's `???`). */
type Known = OpaType | undefined;

const ANY: OpaType = { type: 'any' };

/**
 * The type of a term from its syntax alone, undefined when it depends on evaluation. A call inside a
 * composite is unknown: OPA's checks of such elements differ from those of arguments, so none is made.
 */
export function termType(t: Term, element = false, localType?: (name: string) => OpaType | undefined): Known {
  switch (t.type) {
    case 'var':
      // A local bound by `:=` to a term of known type (OPA's checker types it so); only as a whole argument.
      return element ? undefined : localType?.(t.name);
    case 'scalar': {
      const v = t.value;
      if (v === null) return { type: 'null' };
      if (typeof v === 'string') return { type: 'string' };
      if (typeof v === 'boolean') return { type: 'boolean' };
      if (typeof v === 'number' || typeof v === 'bigint' || v instanceof NumberText) return { type: 'number' };
      return undefined;
    }
    case 'array':
      return { type: 'array', static: t.items.map((x) => termType(x, true) ?? ANY) };
    case 'set': {
      if (t.items.length === 0) return { type: 'set', of: ANY };
      const types = t.items.map((x) => termType(x, true));
      if (types.some((x) => x === undefined)) return { type: 'set', of: ANY };
      return { type: 'set', of: union(types as OpaType[]), elements: types as OpaType[] };
    }
    case 'object': {
      const entries: { key: string; value: OpaType }[] = [];
      for (const [k, v] of t.items) {
        // Only string keys written as literals give a static object type.
        if (k.type !== 'scalar' || typeof k.value !== 'string')
          return { type: 'object', dynamic: { key: ANY, value: ANY } };
        entries.push({ key: k.value, value: termType(v, true) ?? ANY });
      }
      return { type: 'object', static: entries };
    }
    case 'call': {
      if (element) return undefined;
      // A builtin's result has its declared type (OPA's checker relies on it the same way); a call with
      // its output bound in place (`count(xs, n)`) is no value, and custom builtins are unknown.
      const name = t.target?.kind === 'builtin' ? t.target.name : undefined;
      const signature = name !== undefined && Object.hasOwn(SIGNATURES, name) ? SIGNATURES[name] : undefined;
      if (!signature?.result || t.args.length !== signature.args.length) return undefined;
      return signature.result.type === 'any' && !('of' in signature.result && signature.result.of)
        ? undefined
        : signature.result;
    }
    default:
      return undefined;
  }
}

/** Rank of a type in OPA's order of types, which sorts the members of a union. */
function rank(t: OpaType): number {
  return ['null', 'boolean', 'number', 'string', 'array', 'object', 'set', 'any', 'function'].indexOf(t.type);
}

function union(types: OpaType[]): OpaType {
  const seen = new Map<string, OpaType>();
  for (const t of types.flatMap((x) => (x.type === 'any' && x.of ? x.of : [x]))) {
    if (t.type === 'any' && !('of' in t && t.of)) return ANY;
    seen.set(formatType(t), t);
  }
  const members = [...seen.values()].sort((a, b) => rank(a) - rank(b) || (formatType(a) < formatType(b) ? -1 : 1));
  return members.length === 1 ? (members[0] as OpaType) : { type: 'any', of: members };
}

/**
 * Whether a value of type `have` can be a value of type `want`. Unknown and `any` parts are accepted: only
 * a type that certainly has no value in `want` is refused.
 */
export function assignable(have: OpaType, want: OpaType): boolean {
  // A union (`minus` gives a number or a set) is one of its members: one fitting is enough.
  if (have.type === 'any') return !have.of || have.of.some((h) => assignable(h, want));
  if (want.type === 'any') return !want.of || want.of.some((w) => assignable(have, w));
  if (want.type === 'function') return true;
  if (have.type !== want.type) return false;
  switch (want.type) {
    case 'array': {
      const { static: items, dynamic } = have as Extract<OpaType, { type: 'array' }>;
      // An array of any length with elements of one type (`split`'s result): every element place must take it.
      if (!items && dynamic)
        return (
          (want.static ?? []).every((w) => assignable(dynamic, w)) &&
          (want.dynamic ? assignable(dynamic, want.dynamic) : !want.static)
        );
      if (!items) return true;
      // A fixed-length declaration (`[ns, tz]` of time.clock) takes exactly that many elements.
      if (want.static && !want.dynamic && items.length !== want.static.length) return false;
      return items.every((item, i) => {
        const w = want.static?.[i] ?? want.dynamic;
        return w === undefined || assignable(item, w);
      });
    }
    case 'object': {
      const entries = (have as Extract<OpaType, { type: 'object' }>).static;
      if (!entries) return true;
      return entries.every(({ key, value }) => {
        const declared = want.static?.find((s) => s.key === key);
        if (declared) return assignable(value, declared.value);
        if (!want.dynamic) return false;
        return assignable({ type: 'string' }, want.dynamic.key) && assignable(value, want.dynamic.value);
      });
    }
    case 'set': {
      const { of, elements } = have as Extract<OpaType, { type: 'set' }>;
      if (!want.of) return true;
      // A literal's elements are each there (`{"a", 1}` is no set of strings); a set's element type is one.
      if (elements) return elements.every((e) => assignable(e, want.of as OpaType));
      return !of || assignable(of, want.of);
    }
    default:
      return true;
  }
}

/** A type in OPA's notation: `array<number, string>`, `array[string]`, `object<a: number>`, `set[any]`. */
export function formatType(t: Known): string {
  if (t === undefined) return '???';
  switch (t.type) {
    case 'any':
      return t.of ? `any<${t.of.map(formatType).join(', ')}>` : 'any';
    case 'array': {
      const fixed = t.static && t.static.length > 0 ? `<${t.static.map(formatType).join(', ')}>` : '';
      const dynamic = t.dynamic ? `[${formatType(t.dynamic)}]` : '';
      return `array${fixed}${dynamic}`;
    }
    case 'object': {
      const fixed =
        t.static && t.static.length > 0
          ? `<${[...t.static]
              .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
              .map((s) => `${s.key}: ${formatType(s.value)}`)
              .join(', ')}>`
          : '';
      const dynamic = t.dynamic ? `[${formatType(t.dynamic.key)}: ${formatType(t.dynamic.value)}]` : '';
      return `object${fixed}${dynamic}`;
    }
    case 'set':
      return `set[${formatType(t.of ?? ANY)}]`;
    default:
      return t.type;
  }
}

/**
 * The error for a call of a builtin whose declared argument types no value of an argument's known type can
 * have, with OPA's message: `concat: invalid argument(s)`, then what the call has and what the builtin
 * wants; undefined when the call may be fine. `withOutput` says that the call's result is bound (a call
 * inside another term), which OPA shows as `???`.
 */
export function checkBuiltinCall(
  name: string,
  signature: Signature | undefined,
  args: Term[],
  loc: Location,
  withOutput: boolean,
  localType?: (name: string) => OpaType | undefined,
): CompileError | undefined {
  if (!signature) return undefined;
  const have = args.map((a) => termType(a, false, localType));
  const ok = signature.args.every((want, i) => {
    const h = have[i];
    return h === undefined || assignable(h, want);
  });
  if (ok) return undefined;
  const shown = withOutput && args.length === signature.args.length ? [...have, undefined] : have;
  const wanted = [...signature.args, ...(signature.result ? [signature.result] : [])];
  return new CompileError(
    'rego_type_error',
    `${name}: invalid argument(s)\n\thave: (${shown.map(formatType).join(', ')})\n\twant: (${wanted
      .map(formatType)
      .join(', ')})`,
    loc,
  );
}

/** The signatures the check needs from capabilities.json's builtins: those with an argument or result narrower than any. */
export function signaturesFromCapabilities(
  builtins: { name: string; decl: { args?: unknown[]; result?: unknown } }[],
): Record<string, Signature> {
  const out: Record<string, Signature> = {};
  for (const b of [...builtins].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const args = (b.decl.args ?? []) as OpaType[];
    const result = b.decl.result as OpaType | undefined;
    const isAny = (t: OpaType | undefined): boolean => !t || (t.type === 'any' && !('of' in t && t.of));
    if (args.every(isAny) && isAny(result)) continue;
    out[b.name] = b.decl.result ? { args, result: b.decl.result as OpaType } : { args };
  }
  return out;
}
