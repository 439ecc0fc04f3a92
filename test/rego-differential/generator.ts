// A seeded generator of random but valid Rego v1 modules and inputs for differential testing against
// OPA: rules of every kind, comprehensions, `with`, negation, `every`, functions, and builtins called
// with edge-case arguments (unicode, big and tiny numbers, NaN-like strings, empty collections,
// undefined references). Only what OPA's type checker accepts is generated: literal arguments have the
// declared types, everything else is typed `any` (input, locals), so run-time type errors stay possible.
import { parseJSONText } from '@isd/rego';

/** Deterministic PRNG (mulberry32). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

type Kind = 'num' | 'str' | 'bool' | 'null' | 'arr' | 'set' | 'obj' | 'any' | 'opaque';

/** A local variable and what is known of its type ('opaque': inferred by OPA, used only where any fits). */
interface Local {
  name: string;
  kind: Kind;
}

/** A generated term: Rego text and its static type. */
interface Gen {
  text: string;
  kind: Kind;
}

// Literals whose text OPA keeps (decision 150) are among them: `1e3` is a float to sprintf, `-0` a key `-0`.
const NUMBERS = [
  '0',
  '1',
  '-1',
  '2',
  '3',
  '10',
  '0.5',
  '-2.5',
  '0.1',
  '123456789012345678901234567890',
  '1.0',
  '1e3',
  '-0',
  '2.50',
  '0.1234567890123456789',
  // The int32 window's edges, where OPA's arithmetic changes representation.
  '2147483647',
  '-2147483648',
  '1e-7',
];
const STRINGS = ['""', '"a"', '"abc"', '"A b"', '"é"', '"😀x"', '"NaN"', '"1e3"', '" 12 "', '"a,b,c"', '"-1"', '"\\n"'];
const INPUT_STRINGS = ['', 'a', 'abc', 'Héllo', '😀', 'NaN', 'Infinity', '1e3', ' 12 ', 'a,b', '0x1F', '-0'];
// Input numbers are sent as JSON text: those written with more than their value (`1.0`, `2.50`, `1e400`,
// 30 digits, `-0`) keep that text in OPA, as they must here (decision 177).
const INPUT_NUMBERS: unknown[] = [
  0,
  1,
  -1,
  2,
  3,
  0.5,
  -7.25,
  1e21,
  0.001,
  4503599627370496,
  100,
  ...[
    '1.0',
    '2.50',
    '1e3',
    '1E2',
    '-0',
    '1e400',
    '3e-07',
    '0.1234567890123456789',
    '123456789012345678901234567890',
  ].map((text) => parseJSONText(text)),
];

/** Builtins with their argument kinds (a literal argument must have one of them) and result kind. */
const BUILTINS: { name: string; args: Kind[][]; result: Kind }[] = [
  { name: 'count', args: [['arr', 'set', 'obj', 'str']], result: 'num' },
  { name: 'sum', args: [['arr', 'set']], result: 'num' },
  { name: 'max', args: [['arr', 'set']], result: 'any' },
  { name: 'min', args: [['arr', 'set']], result: 'any' },
  { name: 'sort', args: [['arr', 'set']], result: 'arr' },
  { name: 'abs', args: [['num']], result: 'num' },
  { name: 'round', args: [['num']], result: 'num' },
  { name: 'ceil', args: [['num']], result: 'num' },
  { name: 'floor', args: [['num']], result: 'num' },
  { name: 'to_number', args: [['num', 'str', 'bool', 'null']], result: 'num' },
  { name: 'concat', args: [['str'], ['arr', 'set']], result: 'str' },
  { name: 'contains', args: [['str'], ['str']], result: 'bool' },
  { name: 'startswith', args: [['str'], ['str']], result: 'bool' },
  { name: 'endswith', args: [['str'], ['str']], result: 'bool' },
  { name: 'lower', args: [['str']], result: 'str' },
  { name: 'upper', args: [['str']], result: 'str' },
  { name: 'trim_space', args: [['str']], result: 'str' },
  { name: 'trim', args: [['str'], ['str']], result: 'str' },
  { name: 'split', args: [['str'], ['str']], result: 'arr' },
  { name: 'replace', args: [['str'], ['str'], ['str']], result: 'str' },
  { name: 'substring', args: [['str'], ['num'], ['num']], result: 'str' },
  { name: 'indexof', args: [['str'], ['str']], result: 'num' },
  { name: 'strings.reverse', args: [['str']], result: 'str' },
  { name: 'sprintf', args: [['str'], ['arr']], result: 'str' },
  { name: 'format_int', args: [['num'], ['num']], result: 'str' },
  { name: 'type_name', args: [['any']], result: 'str' },
  { name: 'is_string', args: [['any']], result: 'bool' },
  { name: 'is_number', args: [['any']], result: 'bool' },
  { name: 'json.marshal', args: [['any']], result: 'str' },
  { name: 'base64.encode', args: [['str']], result: 'str' },
  { name: 'object.get', args: [['obj'], ['any'], ['any']], result: 'any' },
  { name: 'object.keys', args: [['obj']], result: 'set' },
  { name: 'object.union', args: [['obj'], ['obj']], result: 'obj' },
  { name: 'array.concat', args: [['arr'], ['arr']], result: 'arr' },
  { name: 'array.slice', args: [['arr'], ['num'], ['num']], result: 'arr' },
  { name: 'array.reverse', args: [['arr']], result: 'arr' },
  { name: 'union', args: [['set']], result: 'set' },
  { name: 'intersection', args: [['set']], result: 'set' },
  { name: 'units.parse_bytes', args: [['str']], result: 'num' },
  {
    name: 'strings.any_prefix_match',
    args: [
      ['str', 'arr', 'set'],
      ['str', 'arr', 'set'],
    ],
    result: 'bool',
  },
];

const ARITH = ['+', '-', '*', '/', '%'];
const COMPARE = ['==', '!=', '<', '<=', '>', '>='];

/** Generation state for one module. */
class ModuleGen {
  private vars = 0;
  /** Names of rules defined so far (complete values) and functions with their arity. */
  readonly rules: string[] = [];
  readonly functions: string[] = [];

  constructor(private readonly rng: Rng) {}

  fresh(): string {
    return `x${this.vars++}`;
  }

  scalar(kind?: Kind): Gen {
    const k = kind ?? this.rng.pick<Kind>(['num', 'str', 'bool', 'null']);
    switch (k) {
      case 'num':
        return { text: this.rng.pick(NUMBERS), kind: 'num' };
      case 'str':
        return { text: this.rng.pick(STRINGS), kind: 'str' };
      case 'bool':
        return { text: this.rng.pick(['true', 'false']), kind: 'bool' };
      default:
        return { text: 'null', kind: 'null' };
    }
  }

  /**
   * A reference: an input path (type any, possibly undefined), or where any type is wanted a local or a
   * rule (OPA infers their types, so they go only where every type is accepted, unless known to fit).
   */
  dynamic(scope: Local[], want: Kind[] = ['any']): Gen {
    const anyOk = want.includes('any');
    const fitting = scope.filter((l) => anyOk || l.kind === 'any' || want.includes(l.kind));
    const r = this.rng.int(10);
    if (r < 4 && fitting.length > 0) return { text: this.rng.pick(fitting).name, kind: 'any' };
    if (r < 6 && anyOk && this.rules.length > 0) return { text: this.rng.pick(this.rules), kind: 'any' };
    const paths = [
      'input.s',
      'input.n',
      'input.arr',
      'input.obj',
      'input.b',
      'input.missing',
      'input.arr[0]',
      'input.obj.k',
      'input.nested.list',
      'input.arr[input.n]',
    ];
    return { text: this.rng.pick(paths), kind: 'any' };
  }

  /** A term of the wanted kind ('any' accepts every kind). */
  term(scope: Local[], depth: number, want: Kind[] = ['any']): Gen {
    const anyOk = want.includes('any');
    const choices: (() => Gen | undefined)[] = [
      () => this.dynamic(scope, want),
      () =>
        this.scalar(
          anyOk
            ? undefined
            : this.rng.pick(want.filter((k) => ['num', 'str', 'bool', 'null'].includes(k)).concat(anyOk ? [] : [])),
        ),
    ];
    if (depth > 0) {
      choices.push(
        () =>
          this.composite(
            scope,
            depth - 1,
            anyOk ? this.rng.pick<Kind>(['arr', 'set', 'obj']) : this.rng.pick(want),
            !anyOk,
          ),
        () => this.call(scope, depth - 1, want),
        () => this.arith(scope, depth - 1, want),
        () => this.comprehension(scope, depth - 1, want),
      );
    }
    for (let attempt = 0; attempt < 8; attempt++) {
      // A term typed `any` passes every declared argument type.
      const g = this.rng.pick(choices)();
      if (g && (anyOk || g.kind === 'any' || want.includes(g.kind))) return g;
    }
    return this.dynamic(scope, want);
  }

  composite(scope: Local[], depth: number, kind: Kind, typed = false): Gen | undefined {
    const n = this.rng.int(4);
    // Element types are checked against a builtin's declaration: in typed positions only `any` elements.
    // OPA finds comprehensions inside composite call arguments unsafe, so items are plain terms.
    const items = Array.from({ length: n }, () => (typed ? this.dynamic([], ['num']) : this.term(scope, 0)).text);
    if (kind === 'arr') return { text: `[${items.join(', ')}]`, kind: 'arr' };
    if (kind === 'set') return { text: n === 0 ? 'set()' : `{${items.join(', ')}}`, kind: 'set' };
    if (kind === 'obj') {
      const keys = ['"k"', '"a"', '"é"', '1', '"1"', 'true'];
      const entries = items.map((v) => `${this.rng.pick(keys)}: ${v}`);
      // Duplicate constant keys are a parse error in OPA; keep the first of each.
      const seen = new Set<string>();
      const unique = entries.filter((e) => {
        const k = e.slice(0, e.indexOf(':'));
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      return { text: `{${unique.join(', ')}}`, kind: 'obj' };
    }
    return undefined;
  }

  call(scope: Local[], depth: number, want: Kind[]): Gen | undefined {
    if (want.includes('any') && this.functions.length > 0 && this.rng.chance(0.2)) {
      const f = this.rng.pick(this.functions);
      return { text: `${f}(${this.term(scope, depth).text})`, kind: 'any' };
    }
    const candidates = BUILTINS.filter((b) => want.includes('any') || want.includes(b.result) || b.result === 'any');
    if (candidates.length === 0) return undefined;
    const b = this.rng.pick(candidates);
    const args = b.args.map((kinds) => this.term(scope, depth, kinds).text);
    return { text: `${b.name}(${args.join(', ')})`, kind: b.result };
  }

  arith(scope: Local[], depth: number, want: Kind[]): Gen | undefined {
    if (!want.includes('any') && !want.includes('num')) return undefined;
    // Operands may be arithmetic themselves: a quotient like 1/3 goes on at big-float precision.
    const a = this.term(scope, Math.max(0, depth - 1), ['num']);
    const b = this.term(scope, Math.max(0, depth - 1), ['num']);
    return { text: `(${a.text} ${this.rng.pick(ARITH)} ${b.text})`, kind: 'num' };
  }

  comprehension(scope: Local[], depth: number, want: Kind[]): Gen | undefined {
    const kinds = (['arr', 'set', 'obj'] as Kind[]).filter((k) => want.includes('any') || want.includes(k));
    if (kinds.length === 0) return undefined;
    const kind = this.rng.pick(kinds);
    const k = this.fresh();
    const v = this.fresh();
    const typed = !want.includes('any');
    // An array built from a set follows the set's iteration order, which OPA leaves unspecified.
    const domainKinds: Kind[] = kind === 'arr' ? ['arr', 'obj'] : ['arr', 'set', 'obj'];
    const domainGen = typed ? this.dynamic([], ['arr']) : this.term(scope, depth, domainKinds);
    const varKind: Kind = domainGen.text.startsWith('input.') ? 'any' : 'opaque';
    const domain = domainGen.text;
    const inner = [...scope, { name: k, kind: varKind }, { name: v, kind: varKind }];
    const cond = this.rng.chance(0.5) ? `; ${this.condition(inner, depth)}` : '';
    const body = `some ${k}, ${v} in ${domain}${cond}`;
    if (kind === 'arr') return { text: `[${v} | ${body}]`, kind: 'arr' };
    if (kind === 'set') return { text: `{${v} | ${body}}`, kind: 'set' };
    return { text: `{${k}: ${v} | ${body}}`, kind: 'obj' };
  }

  /** An expression that binds nothing. */
  condition(scope: Local[], depth: number): string {
    const r = this.rng.int(10);
    if (r < 4) return `${this.term(scope, depth).text} ${this.rng.pick(COMPARE)} ${this.term(scope, depth).text}`;
    // `not <constant>` is left out: OPA 1.22.4 then ignores the body of a rule whose value is a
    // comprehension (`q := [x | some x in [1]] if { not true }` is [1]).
    if (r < 6) return `not ${this.dynamic(scope).text}`;
    if (r < 7) {
      const call = this.call(scope, depth, ['bool']);
      return call ? call.text : this.term(scope, depth).text;
    }
    if (r < 8) {
      const x = this.fresh();
      const dom = this.term(scope, depth, ['arr', 'set', 'obj']);
      // OPA rejects an every variable its body does not use.
      return `every ${x} in ${dom.text} { ${x} ${this.rng.pick(COMPARE)} ${this.term(scope, Math.max(0, depth - 1)).text} }`;
    }
    if (r < 9) return `${this.term(scope, depth).text} in ${this.term(scope, depth, ['arr', 'set', 'obj']).text}`;
    return this.term(scope, depth).text;
  }

  /** A rule body: bindings and conditions, each line in scope of the earlier ones. */
  body(scope: Local[], depth: number): { lines: string[]; scope: Local[] } {
    const lines: string[] = [];
    const s = [...scope];
    const n = 1 + this.rng.int(3);
    for (let i = 0; i < n; i++) {
      const r = this.rng.int(10);
      if (r < 3) {
        const x = this.fresh();
        const value = this.term(s, depth);
        lines.push(`${x} := ${value.text}`);
        const opaque = value.kind === 'any' && !value.text.startsWith('input.');
        s.push({ name: x, kind: opaque ? 'opaque' : value.kind });
      } else if (r < 5) {
        const x = this.fresh();
        const dom = this.term(s, depth, ['arr', 'set', 'obj']);
        lines.push(`some ${x} in ${dom.text}`);
        s.push({ name: x, kind: dom.text.startsWith('input.') ? 'any' : 'opaque' });
      } else {
        // `with` on an expression using locals trips OPA's "var referenced above" check; left out.
        const withInput = this.rng.chance(0.15);
        let line = this.condition(withInput ? [] : s, depth);
        if (withInput) line += ` with input.n as ${this.scalar().text}`;
        lines.push(line);
      }
    }
    return { lines, scope: s };
  }

  rule(i: number): string {
    const name = `r${i}`;
    const depth = 2;
    const r = this.rng.int(10);
    const { lines, scope } = this.body([], depth);
    const block = `{\n  ${lines.join('\n  ')}\n}`;
    let text: string;
    if (r < 4) {
      const value = this.term(scope, depth).text;
      const dflt = this.rng.chance(0.3) ? `default ${name} := ${this.scalar().text}\n` : '';
      const elseClause = this.rng.chance(0.2) ? ` else := ${this.scalar().text}` : '';
      text = `${dflt}${name} := ${value} if ${block}${elseClause}`;
      this.rules.push(name);
    } else if (r < 6) {
      text = `${name} contains ${this.term(scope, depth).text} if ${block}`;
      this.rules.push(name);
    } else if (r < 8) {
      const key = this.term(scope, 0, ['str', 'num']).text;
      text = `${name}[${key}] := ${this.term(scope, depth).text} if ${block}`;
      this.rules.push(name);
    } else {
      const param = this.fresh();
      const { lines: fl, scope: fs } = this.body([{ name: param, kind: 'any' }], 1);
      text = `f${i}(${param}) := ${this.term(fs, 1).text} if {\n  ${fl.join('\n  ')}\n}`;
      this.functions.push(`f${i}`);
      // Functions are checked through a rule that calls them.
      text += `\n\n${name} := f${i}(${this.term([], 1).text})`;
      this.rules.push(name);
    }
    return text;
  }
}

/** Random JSON input with the fields the generator refers to. */
function input(rng: Rng): Record<string, unknown> {
  const value = (depth: number): unknown => {
    const r = rng.int(depth > 0 ? 8 : 5);
    if (r === 0) return rng.pick(INPUT_STRINGS);
    if (r === 1) return rng.pick(INPUT_NUMBERS);
    if (r === 2) return rng.chance(0.5);
    if (r === 3) return null;
    if (r === 4) return rng.pick(INPUT_STRINGS);
    if (r === 5) return Array.from({ length: rng.int(4) }, () => value(depth - 1));
    const o: Record<string, unknown> = {};
    for (let i = rng.int(3); i > 0; i--) o[rng.pick(['k', 'a', 'é', '1'])] = value(depth - 1);
    return o;
  };
  const out: Record<string, unknown> = {
    s: rng.chance(0.8) ? rng.pick(INPUT_STRINGS) : value(1),
    n: rng.chance(0.8) ? rng.pick(INPUT_NUMBERS) : value(1),
    arr: rng.chance(0.8) ? Array.from({ length: rng.int(4) }, () => value(1)) : value(1),
    obj: value(2),
    b: rng.chance(0.5),
    nested: { list: Array.from({ length: rng.int(3) }, () => rng.pick(INPUT_STRINGS)) },
  };
  if (rng.chance(0.2)) delete out[rng.pick(Object.keys(out))];
  return out;
}

/** One generated program: a module in package `fuzz.p<index>` and an input. */
export interface Program {
  pkg: string;
  rules: string[];
  input: Record<string, unknown>;
}

export function moduleText(p: Program): string {
  return `package ${p.pkg}\n\n${p.rules.join('\n\n')}\n`;
}

export function generateProgram(seed: number, index: number): Program {
  const rng = new Rng(seed * 1_000_003 + index);
  const gen = new ModuleGen(rng);
  const rules: string[] = [];
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) rules.push(gen.rule(i));
  return { pkg: `fuzz.p${index}`, rules, input: input(rng) };
}
