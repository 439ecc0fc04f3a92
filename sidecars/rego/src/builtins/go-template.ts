// strings.render_template: a subset of Go's text/template as OPA runs it (the variables go through JSON,
// so numbers are json.Number strings; a missing key prints `<undefined>`). Supported: text, comments,
// trim markers, pipelines with `|`, fields, variables, literals, parentheses, if/else if/else, range (with
// else, break, continue), with/else, `$x :=` / `$x =`, and the functions and, or, not, len, index, eq, ne,
// lt, le, gt, ge, print, printf (through this engine's sprintf), println, html, urlquery. `define`,
// `template`, `block` and other functions are refused with an error naming them. Output and work are charged to the evaluation budget.
import type { RegoObject } from '../value';
import { NumberText, RegoSet, isNumber, formatNumber, type Value } from '../value';
import { queryEscape } from './encoding';
import { sprintf } from './strings';
import { BuiltinError, obj, register, str, stringBytes, type BuiltinContext } from './registry';

/** A number from the variables: Go's json.Number, a string type holding the number's text. */
class JsonNumber {
  constructor(readonly text: string) {}
}
/** Go values a template sees: map keys sorted, `undefined` for a missing value (`<no value>`). */
type GoValue = string | boolean | null | bigint | number | JsonNumber | GoValue[] | Map<string, GoValue> | undefined;

function fromRego(v: Value): GoValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  // OPA hands the template a number's JSON text, a literal's own text (`1.0`) included.
  if (isNumber(v)) return new JsonNumber(v instanceof NumberText ? v.text : formatNumber(v));
  if (Array.isArray(v)) return v.map(fromRego);
  if (v instanceof RegoSet) return v.sorted().map(fromRego);
  const m = new Map<string, GoValue>();
  for (const [k, x] of (v as RegoObject).sortedEntries())
    m.set(typeof k === 'string' ? k : JSON.stringify(k), fromRego(x));
  return m;
}

// ---- lexing and parsing -------------------------------------------------------------------------

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe }
  | { t: 'if' | 'with'; pipe: Pipe; then: Node[]; else?: Node[] }
  | { t: 'range'; pipe: Pipe; then: Node[]; else?: Node[] }
  | { t: 'break' | 'continue' };
interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Operand[][];
  pos: string;
}
type Operand =
  | { o: 'field'; base: 'dot' | { var: string } | { sub: Pipe }; fields: string[] }
  | { o: 'lit'; v: GoValue }
  | { o: 'fn'; name: string };

class TemplateError extends BuiltinError {
  constructor(message: string) {
    super(`template: ${message}`);
  }
}

const FUNCTIONS = new Set([
  'and',
  'or',
  'not',
  'len',
  'index',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'print',
  'printf',
  'println',
  'html',
  'urlquery',
]);

/** Splits the source into text and action bodies (`{{- x -}}` trims the neighbouring spaces). */
function split(src: string): Array<{ text: string } | { action: string; line: number }> {
  const out: Array<{ text: string } | { action: string; line: number }> = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      if (text) out.push({ text });
      break;
    }
    let start = open + 2;
    if (src.startsWith('- ', start) || src.startsWith('-\t', start) || src.startsWith('-\n', start)) {
      text = text.replace(/\s+$/, '');
      start += 2;
    }
    if (text) out.push({ text });
    const line = src.slice(0, open).split('\n').length;
    let end: number;
    if (src.startsWith('/*', src.slice(start).search(/\S/) + start)) {
      const close = src.indexOf('*/', start);
      if (close < 0) throw new TemplateError(`template:${line}: unclosed comment`);
      end = src.indexOf('}}', close);
    } else end = findClose(src, start);
    if (end < 0) throw new TemplateError(`template:${line}: unclosed action`);
    let body = src.slice(start, end);
    trimNext = false;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      trimNext = true;
    }
    if (!body.trim().startsWith('/*')) out.push({ action: body.trim(), line });
    i = end + 2;
  }
  return out;
}

/** The `}}` closing an action, skipping quoted strings. */
function findClose(src: string, from: number): number {
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'") {
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === '\\') i++;
    } else if (c === '`') {
      i = src.indexOf('`', i + 1);
      if (i < 0) return -1;
    } else if (c === '}' && src[i + 1] === '}') return i;
  }
  return -1;
}

const TOKEN =
  /\s*(?:("(?:[^"\\\n]|\\.)*")|(`[^`]*`)|('(?:[^'\\]|\\.)+')|([+-]?(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))(?![\w.])|(\$[\w]*(?:\.[\w]+)*)|((?:\.[\w]+)+|\.)|(:=|=|\||\(|\)|,)|([A-Za-z_]\w*))/y;

function tokenize(action: string, line: number): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < action.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(action);
    if (!m) {
      if (action.slice(start).trim() === '') break;
      throw new TemplateError(`template:${line}: unexpected "${action.slice(start).trim()[0]}" in command`);
    }
    tokens.push(m[0].trim());
  }
  return tokens;
}

class Parser {
  private items: Array<{ text: string } | { action: string; line: number }>;
  private i = 0;
  private depth = 0;

  constructor(src: string) {
    this.items = split(src);
  }

  parse(): Node[] {
    const { nodes, end } = this.list();
    if (end) throw new TemplateError(`template:${end.line}: unexpected {{${end.word}}}`);
    return nodes;
  }

  /** Nodes up to an `{{else…}}` or `{{end}}` (returned as `end`). */
  private list(): { nodes: Node[]; end?: { word: string; rest: string; line: number } } {
    const nodes: Node[] = [];
    while (this.i < this.items.length) {
      const item = this.items[this.i++] as { text: string } | { action: string; line: number };
      if ('text' in item) {
        nodes.push({ t: 'text', text: item.text });
        continue;
      }
      const word = item.action.split(/\s+/)[0] ?? '';
      const rest = item.action.slice(word.length).trim();
      if (word === 'end' || word === 'else') return { nodes, end: { word, rest, line: item.line } };
      if (word === 'if' || word === 'with' || word === 'range') nodes.push(this.control(word, rest, item.line));
      else if (word === 'break' || word === 'continue') nodes.push({ t: word });
      else if (word === 'define' || word === 'template' || word === 'block')
        throw new TemplateError(`template:${item.line}: {{${word}}} is not supported by this engine`);
      else nodes.push({ t: 'action', pipe: this.pipe(item.action, item.line) });
    }
    return { nodes };
  }

  private control(word: 'if' | 'with' | 'range', rest: string, line: number): Node {
    if (++this.depth > 1000) throw new TemplateError(`template:${line}: nesting too deep`);
    const pipe = this.pipe(rest, line);
    const body = this.list();
    if (!body.end) throw new TemplateError(`template:${line}: unexpected EOF`);
    let elseNodes: Node[] | undefined;
    if (body.end.word === 'else') {
      const nested = /^(if|with)\s/.exec(body.end.rest);
      if (nested) {
        // `else if …` / `else with …` is a nested control that shares this one's `end`.
        const nestedWord = nested[1] as 'if' | 'with';
        elseNodes = [this.control(nestedWord, body.end.rest.slice(nestedWord.length).trim(), body.end.line)];
        this.depth--;
        return { t: word, pipe, then: body.nodes, else: elseNodes } as Node;
      }
      if (body.end.rest !== '')
        throw new TemplateError(`template:${body.end.line}: unexpected "${body.end.rest}" in else`);
      const tail = this.list();
      if (!tail.end || tail.end.word !== 'end')
        throw new TemplateError(`template:${line}: expected end; found ${tail.end ? '{{else}}' : 'EOF'}`);
      elseNodes = tail.nodes;
    }
    this.depth--;
    return { t: word, pipe, then: body.nodes, else: elseNodes } as Node;
  }

  private pipe(text: string, line: number): Pipe {
    const tokens = tokenize(text, line);
    let k = 0;
    const decl: string[] = [];
    let assign = false;
    // `$x :=`, `$i, $v :=` or `$x =`
    const declEnd = tokens.findIndex((t) => t === ':=' || t === '=');
    if (declEnd > 0 && tokens.slice(0, declEnd).every((t) => /^\$\w*$/.test(t) || t === ',')) {
      for (const t of tokens.slice(0, declEnd)) if (t !== ',') decl.push(t);
      assign = tokens[declEnd] === '=';
      k = declEnd + 1;
    }
    const parseCmds = (stop: string | undefined): Operand[][] => {
      const cmds: Operand[][] = [[]];
      for (; k < tokens.length; k++) {
        const t = tokens[k] as string;
        if (t === stop) return cmds;
        if (t === '|') {
          cmds.push([]);
          continue;
        }
        (cmds[cmds.length - 1] as Operand[]).push(operand(t));
      }
      if (stop) throw new TemplateError(`template:${line}: unclosed left paren`);
      return cmds;
    };
    const operand = (t: string): Operand => {
      if (t === '(') {
        if (++this.depth > 1000) throw new TemplateError(`template:${line}: nesting too deep`);
        k++;
        const sub: Pipe = { decl: [], assign: false, cmds: parseCmds(')'), pos: text };
        this.depth--;
        const next = tokens[k + 1];
        if (next && /^\.\w/.test(next)) {
          k++;
          return { o: 'field', base: { sub }, fields: next.slice(1).split('.') };
        }
        return { o: 'field', base: { sub }, fields: [] };
      }
      if (t.startsWith('$')) {
        const [name, ...fields] = t.split('.');
        return { o: 'field', base: { var: name as string }, fields };
      }
      if (t === '.') return { o: 'field', base: 'dot', fields: [] };
      if (t.startsWith('.') && !/^\.\d/.test(t)) return { o: 'field', base: 'dot', fields: t.slice(1).split('.') };
      if (t.startsWith('"')) return { o: 'lit', v: JSON.parse(t) as string };
      if (t.startsWith('`')) return { o: 'lit', v: t.slice(1, -1) };
      if (t.startsWith("'"))
        return { o: 'lit', v: BigInt((JSON.parse(`"${t.slice(1, -1)}"`) as string).codePointAt(0) ?? 0) };
      if (t === 'true' || t === 'false') return { o: 'lit', v: t === 'true' };
      if (t === 'nil') return { o: 'lit', v: null };
      if (/^[+-]?[\d.]/.test(t)) {
        const clean = t.replace(/_/g, '');
        return { o: 'lit', v: /^[+-]?(0[xX]|\d+$)/.test(clean) ? BigInt(clean) : Number(clean) };
      }
      if (t === ')' || t === ',' || t === ':=' || t === '=')
        throw new TemplateError(`template:${line}: unexpected "${t}" in operand`);
      if (!FUNCTIONS.has(t)) throw new TemplateError(`template:${line}: function "${t}" not defined`);
      return { o: 'fn', name: t };
    };
    const cmds = parseCmds(undefined);
    if (cmds.some((c) => c.length === 0)) throw new TemplateError(`template:${line}: missing value for command`);
    return { decl, assign, cmds, pos: text };
  }
}

// ---- execution -----------------------------------------------------------------------------------

class Break {}
class Continue {}

/** fmt's %v of a value (fmt.Sprint of one operand). */
function show(v: GoValue): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (v instanceof JsonNumber) return v.text;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  return `map[${[...v].map(([k, x]) => `${k}:${show(x)}`).join(' ')}]`;
}

function goFloat(n: number): string {
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** text/template's truth: false, 0, nil, and empty strings and collections are false. */
function truth(v: GoValue): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v !== '';
  if (v instanceof JsonNumber) return v.text !== '';
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  if (Array.isArray(v)) return v.length > 0;
  return v.size > 0;
}

type Kind = 'bool' | 'int' | 'float' | 'string' | 'other';
function kind(v: GoValue): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string' || v instanceof JsonNumber) return 'string';
  return 'other';
}
function basic(v: GoValue): string | number | bigint | boolean {
  if (v instanceof JsonNumber) return v.text;
  return v as string | number | bigint | boolean;
}

function compare(name: string, a: GoValue, b: GoValue): number {
  const ka = kind(a);
  const kb = kind(b);
  if (ka === 'other' || kb === 'other') throw new TemplateError(`error calling ${name}: invalid type for comparison`);
  if (ka !== kb && !((ka === 'int' || ka === 'float') && (kb === 'int' || kb === 'float')))
    throw new TemplateError(`error calling ${name}: incompatible types for comparison`);
  if (ka === 'bool' && name !== 'eq' && name !== 'ne')
    throw new TemplateError(`error calling ${name}: invalid type for comparison`);
  const x = basic(a);
  const y = basic(b);
  if (typeof x === 'string' || typeof x === 'boolean') return x === y ? 0 : x < (y as typeof x) ? -1 : 1;
  const nx = Number(x);
  const ny = Number(y);
  if (typeof x === 'bigint' && typeof y === 'bigint') return x === y ? 0 : x < y ? -1 : 1;
  return nx === ny ? 0 : nx < ny ? -1 : 1;
}

function escapeHTML(s: string): string {
  return s.replace(/[<>&'"\u0000]/g, (c) =>
    c === '<'
      ? '&lt;'
      : c === '>'
        ? '&gt;'
        : c === '&'
          ? '&amp;'
          : c === "'"
            ? '&#39;'
            : c === '"'
              ? '&#34;'
              : '\uFFFD',
  );
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
function sprint(args: GoValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (
      i > 0 &&
      typeof a !== 'string' &&
      !(a instanceof JsonNumber) &&
      typeof args[i - 1] !== 'string' &&
      !(args[i - 1] instanceof JsonNumber)
    )
      out += ' ';
    out += show(a);
  });
  return out;
}

class Executor {
  private out: string[] = [];
  private vars: Array<[string, GoValue]> = [];

  constructor(
    private readonly root: GoValue,
    private readonly ctx: BuiltinContext,
  ) {}

  run(nodes: Node[]): string {
    this.vars = [['$', this.root]];
    this.walk(nodes, this.root);
    return this.out.join('');
  }

  private emit(s: string): void {
    this.ctx.alloc(stringBytes(s.length));
    this.out.push(s);
  }

  private walk(nodes: Node[], dot: GoValue): void {
    for (const n of nodes) {
      this.ctx.step();
      switch (n.t) {
        case 'text':
          this.emit(n.text);
          break;
        case 'action': {
          const v = this.pipe(n.pipe, dot);
          if (n.pipe.decl.length === 0) this.emit(show(v));
          break;
        }
        case 'if':
        case 'with': {
          const mark = this.vars.length;
          const v = this.pipe(n.pipe, dot);
          if (truth(v)) this.walk(n.then, n.t === 'with' ? v : dot);
          else if (n.else) this.walk(n.else, dot);
          this.vars.length = mark;
          break;
        }
        case 'range':
          this.range(n, dot);
          break;
        case 'break':
          throw new Break();
        case 'continue':
          throw new Continue();
      }
    }
  }

  private range(n: Node & { t: 'range' }, dot: GoValue): void {
    const mark = this.vars.length;
    const v = this.pipe({ ...n.pipe, decl: [] }, dot);
    let entries: Array<[GoValue, GoValue]>;
    if (Array.isArray(v)) entries = v.map((x, i) => [BigInt(i), x]);
    else if (v instanceof Map) entries = [...v];
    else if (typeof v === 'bigint')
      entries = Array.from({ length: Number(v < 0n ? 0n : v) }, (_, i) => [BigInt(i), BigInt(i)]);
    else if (v === undefined || v === null) entries = [];
    else throw new TemplateError(`range can't iterate over ${show(v)}`);
    if (entries.length === 0) {
      if (n.else) this.walk(n.else, dot);
      return;
    }
    for (const [key, value] of entries) {
      this.ctx.step();
      const [first, second] = n.pipe.decl;
      if (second !== undefined) this.vars.push([first as string, key], [second, value]);
      else if (first !== undefined) this.vars.push([first, value]);
      try {
        this.walk(n.then, value);
      } catch (e) {
        if (e instanceof Break) break;
        if (!(e instanceof Continue)) throw e;
      } finally {
        this.vars.length = mark;
      }
    }
  }

  private variable(name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--)
      if ((this.vars[i] as [string, GoValue])[0] === name) return (this.vars[i] as [string, GoValue])[1];
    throw new TemplateError(`undefined variable "${name}"`);
  }

  private pipe(p: Pipe, dot: GoValue): GoValue {
    let value: GoValue;
    let first = true;
    for (const cmd of p.cmds) {
      value = this.command(cmd, dot, first ? [] : [value]);
      first = false;
    }
    if (p.assign) {
      const name = p.decl[0] as string;
      let found = false;
      for (let i = this.vars.length - 1; i >= 0; i--)
        if ((this.vars[i] as [string, GoValue])[0] === name) {
          (this.vars[i] as [string, GoValue])[1] = value;
          found = true;
          break;
        }
      if (!found) throw new TemplateError(`undefined variable "${name}"`);
    } else for (const name of p.decl) this.vars.push([name, value]);
    return value;
  }

  private command(cmd: Operand[], dot: GoValue, piped: GoValue[]): GoValue {
    const [head, ...rest] = cmd as [Operand, ...Operand[]];
    if (head.o !== 'fn') {
      if (rest.length > 0 || piped.length > 0)
        throw new TemplateError(`can't give argument to non-function ${show(this.operand(head, dot))}`);
      return this.operand(head, dot);
    }
    const name = head.name;
    if (name === 'and' || name === 'or') {
      const args = [...rest.map((o) => () => this.operand(o, dot)), ...piped.map((v) => () => v)];
      if (args.length === 0) throw new TemplateError(`wrong number of args for ${name}: want at least 1 got 0`);
      let v: GoValue;
      for (const a of args) {
        v = a();
        if (truth(v) === (name === 'or')) return v;
      }
      return v;
    }
    const args = [...rest.map((o) => this.operand(o, dot)), ...piped];
    const arity = (n: number): void => {
      if (args.length !== n) throw new TemplateError(`wrong number of args for ${name}: want ${n} got ${args.length}`);
    };
    switch (name) {
      case 'not':
        arity(1);
        return !truth(args[0]);
      case 'len': {
        arity(1);
        const v = args[0];
        if (typeof v === 'string') return BigInt(Buffer.byteLength(v));
        if (v instanceof JsonNumber) return BigInt(v.text.length);
        if (Array.isArray(v)) return BigInt(v.length);
        if (v instanceof Map) return BigInt(v.size);
        throw new TemplateError(
          `error calling len: len of type ${v === null || v === undefined ? 'interface {}' : kind(v)}`,
        );
      }
      case 'index': {
        if (args.length === 0) throw new TemplateError('wrong number of args for index: want at least 1 got 0');
        let v = args[0];
        for (const key of args.slice(1)) {
          if (v instanceof Map) {
            if (typeof key !== 'string')
              throw new TemplateError('error calling index: value has type int; should be string');
            v = v.get(key) ?? undefined;
          } else if (Array.isArray(v)) {
            if (typeof key !== 'bigint')
              throw new TemplateError('error calling index: cannot index slice/array with non-integer');
            if (key < 0n || key >= BigInt(v.length))
              throw new TemplateError(`error calling index: index out of range: ${key}`);
            v = v[Number(key)];
          } else if (v === null || v === undefined)
            throw new TemplateError('error calling index: index of untyped nil');
          else throw new TemplateError(`error calling index: can't index item of type ${kind(v)}`);
        }
        return v;
      }
      case 'eq': {
        if (args.length < 2) throw new TemplateError('error calling eq: missing argument for comparison');
        return args.slice(1).some((b) => compare('eq', args[0], b) === 0);
      }
      case 'ne':
        arity(2);
        return compare('ne', args[0], args[1]) !== 0;
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        arity(2);
        const c = compare(name, args[0], args[1]);
        return name === 'lt' ? c < 0 : name === 'le' ? c <= 0 : name === 'gt' ? c > 0 : c >= 0;
      }
      case 'print':
        return sprint(args);
      case 'printf': {
        if (args.length === 0 || typeof args[0] !== 'string')
          throw new TemplateError('error calling printf: the format must be a string');
        // Go's fmt over Go values: json.Number is a string, composites print as fmt prints them.
        const values: Value[] = args
          .slice(1)
          .map((a) =>
            typeof a === 'bigint' || typeof a === 'number' || typeof a === 'string' || typeof a === 'boolean'
              ? a
              : show(a),
          );
        return sprintf(args[0], values, this.ctx);
      }
      case 'println':
        return args.map(show).join(' ') + '\n';
      case 'html':
        return escapeHTML(sprint(args));
      case 'urlquery':
        return queryEscape(sprint(args));
      default:
        throw new TemplateError(`function "${name}" not defined`);
    }
  }

  private operand(o: Operand, dot: GoValue): GoValue {
    if (o.o === 'lit') return o.v;
    if (o.o === 'fn') return this.command([o], dot, []);
    let v: GoValue = o.base === 'dot' ? dot : 'var' in o.base ? this.variable(o.base.var) : this.pipe(o.base.sub, dot);
    for (const f of o.fields) {
      this.ctx.step();
      // A nil value in a map is an invalid reflect.Value to the template: it prints `<no value>`.
      if (v instanceof Map) v = v.get(f) ?? undefined;
      else if (v === undefined) v = undefined;
      else if (v === null) throw new TemplateError(`nil pointer evaluating interface {}.${f}`);
      else
        throw new TemplateError(`can't evaluate field ${f} in type ${Array.isArray(v) ? '[]interface {}' : kind(v)}`);
    }
    return v;
  }
}

register('strings.render_template', 2, (args, ctx) => {
  const source = str(args, 0);
  const vars = obj(args, 1);
  ctx.alloc(stringBytes(source.length) * 4);
  const nodes = new Parser(source).parse();
  const out = new Executor(fromRego(vars), ctx).run(nodes);
  return out.replace(/<no value>/g, '<undefined>');
});
