// A contract harness of the part of Helm's template language our charts use: Go text/template
// (actions, whitespace trimming, pipelines, variables, if/else/with/range, define/template) plus the Helm
// and Sprig functions listed in `functions` below, with Helm's documented semantics. There is no helm
// binary on the build machines, so the chart tests render with this; anything outside the subset is an
// error naming it, never a silent guess.
import { createHash } from 'node:crypto';
import YAML from 'yaml';

/** A template problem (parse or execution), with the template name and what went wrong. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    readonly template: string,
    message: string,
  ) {
    super(`template: ${template}: ${message}`);
  }
}

type Value = unknown;

interface TextNode {
  kind: 'text';
  text: string;
}
interface ActionNode {
  kind: 'action';
  pipe: Pipeline;
}
interface IfNode {
  kind: 'if' | 'with';
  pipe: Pipeline;
  body: Node[];
  elseBody: Node[];
}
interface RangeNode {
  kind: 'range';
  pipe: Pipeline;
  body: Node[];
  elseBody: Node[];
}
interface TemplateNode {
  kind: 'template';
  name: string;
  pipe: Pipeline | undefined;
}
type Node = TextNode | ActionNode | IfNode | RangeNode | TemplateNode;

interface Pipeline {
  declarations: string[];
  assign: boolean;
  commands: Operand[][];
}
type Operand =
  | { kind: 'field'; base: 'dot' | string; path: string[] }
  | { kind: 'function'; name: string }
  | { kind: 'literal'; value: Value }
  | { kind: 'pipeline'; pipe: Pipeline; path: string[] };

/** Helm's rendering inputs that are not values: release, chart metadata, capabilities and files. */
export interface RenderContext {
  Values: Record<string, Value>;
  Release: {
    Name: string;
    Namespace: string;
    Service: string;
    IsInstall: boolean;
    IsUpgrade: boolean;
    Revision: number;
  };
  Chart: { Name: string; Version: string; AppVersion?: string; [key: string]: Value };
  Capabilities: { KubeVersion: { Version: string; Major: string; Minor: string } };
  Files: { Get(name: string): string };
  Template?: { Name: string; BasePath: string };
}

// Helm allows 1000 nested includes; 200 keeps within the JS stack and is far beyond what charts nest.
const MAX_INCLUDE_DEPTH = 200;

// ---------- lexing ----------

interface RawItem {
  kind: 'text' | 'action';
  text: string;
  trimLeft: boolean;
  trimRight: boolean;
  line: number;
}

function splitActions(source: string, name: string): RawItem[] {
  const items: RawItem[] = [];
  let position = 0;
  let line = 1;
  while (position < source.length) {
    const open = source.indexOf('{{', position);
    if (open < 0) {
      items.push({ kind: 'text', text: source.slice(position), trimLeft: false, trimRight: false, line });
      break;
    }
    if (open > position)
      items.push({ kind: 'text', text: source.slice(position, open), trimLeft: false, trimRight: false, line });
    line += countLines(source.slice(position, open));
    // `{{- ` trims only with the space: `{{-3}}` is the number -3 (text/template lexer rule).
    const trimLeft = /^\{\{-[ \t\r\n]/.test(source.slice(open, open + 4));
    const inner = open + (trimLeft ? 3 : 2);
    let close: number;
    if (source.startsWith('/*', skipSpaces(source, inner))) {
      const commentEnd = source.indexOf('*/', inner);
      if (commentEnd < 0) throw new TemplateError(`${name}:${line}`, 'unclosed comment');
      close = source.indexOf('}}', commentEnd);
      if (close < 0) throw new TemplateError(`${name}:${line}`, 'unclosed action');
      const trimRight = source.slice(commentEnd + 2, close).trim() === '-';
      items.push({ kind: 'action', text: '/*comment*/', trimLeft, trimRight, line });
      line += countLines(source.slice(open, close));
      position = close + 2;
      continue;
    }
    close = findActionEnd(source, inner, `${name}:${line}`);
    const raw = source.slice(inner, close);
    // ` -}}` trims only with the space before the dash, like `{{- `.
    const trimRight = /[ \t\r\n]-$/.test(raw);
    const body = trimRight ? raw.slice(0, -1) : raw;
    items.push({ kind: 'action', text: body.trim(), trimLeft, trimRight, line });
    line += countLines(source.slice(open, close));
    position = close + 2;
  }
  // Trim markers remove all adjacent white space (spaces, tabs, newlines) of the neighbouring text.
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index] as RawItem;
    if (item.kind !== 'action') continue;
    const before = items[index - 1];
    const after = items[index + 1];
    if (item.trimLeft && before?.kind === 'text') before.text = before.text.replace(/[ \t\r\n]+$/, '');
    if (item.trimRight && after?.kind === 'text') after.text = after.text.replace(/^[ \t\r\n]+/, '');
  }
  return items;
}

function countLines(text: string): number {
  let count = 0;
  for (const character of text) if (character === '\n') count += 1;
  return count;
}

function skipSpaces(source: string, index: number): number {
  while (index < source.length && /\s/.test(source[index] as string)) index += 1;
  return index;
}

function findActionEnd(source: string, start: number, where: string): number {
  let index = start;
  while (index < source.length) {
    const character = source[index];
    if (character === '"' || character === '`' || character === "'") {
      const end = character === '`' ? source.indexOf('`', index + 1) : findQuoteEnd(source, index, character);
      if (end < 0) throw new TemplateError(where, 'unterminated quoted string');
      index = end + 1;
      continue;
    }
    if (source.startsWith('}}', index)) return index;
    index += 1;
  }
  throw new TemplateError(where, 'unclosed action');
}

function findQuoteEnd(source: string, start: number, quote: string): number {
  for (let index = start + 1; index < source.length; index += 1) {
    const character = source[index];
    if (character === '\\') index += 1;
    else if (character === quote) return index;
    else if (character === '\n') return -1;
  }
  return -1;
}

type Token =
  | { kind: 'field'; path: string[] }
  | { kind: 'variable'; name: string; path: string[] }
  | { kind: 'identifier'; name: string }
  | { kind: 'literal'; value: Value }
  | { kind: 'punct'; value: '(' | ')' | '|' | ':=' | '=' | ',' }
  | { kind: 'chain'; path: string[] };

function tokenize(text: string, where: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  const identifier = /[A-Za-z_][A-Za-z0-9_]*/y;
  const fieldChain = /(?:\.[A-Za-z_][A-Za-z0-9_]*)+/y;
  while (index < text.length) {
    const character = text[index] as string;
    if (/\s/.test(character)) {
      index += 1;
      continue;
    }
    if (character === '"') {
      const end = findQuoteEnd(text, index, '"');
      if (end < 0) throw new TemplateError(where, 'unterminated quoted string');
      tokens.push({ kind: 'literal', value: JSON.parse(text.slice(index, end + 1)) as string });
      index = end + 1;
      continue;
    }
    if (character === '`') {
      const end = text.indexOf('`', index + 1);
      if (end < 0) throw new TemplateError(where, 'unterminated raw quoted string');
      tokens.push({ kind: 'literal', value: text.slice(index + 1, end) });
      index = end + 1;
      continue;
    }
    if (character === '(' || character === ')' || character === '|' || character === ',' || character === '=') {
      tokens.push({ kind: 'punct', value: character });
      index += 1;
      continue;
    }
    if (text.startsWith(':=', index)) {
      tokens.push({ kind: 'punct', value: ':=' });
      index += 2;
      continue;
    }
    if (character === '$') {
      identifier.lastIndex = index + 1;
      const name = identifier.exec(text)?.[0] ?? '';
      index += 1 + name.length;
      fieldChain.lastIndex = index;
      const chain = fieldChain.exec(text)?.[0] ?? '';
      index += chain.length;
      tokens.push({ kind: 'variable', name: `$${name}`, path: chain.split('.').filter(Boolean) });
      continue;
    }
    if (character === '.') {
      fieldChain.lastIndex = index;
      const chain = fieldChain.exec(text)?.[0] ?? '';
      index += Math.max(chain.length, 1);
      const path = chain.split('.').filter(Boolean);
      // A field chain straight after `)` applies to the parenthesised value.
      const previous = tokens[tokens.length - 1];
      if (
        chain &&
        previous?.kind === 'punct' &&
        previous.value === ')' &&
        !/\s/.test(text[index - chain.length - 1] ?? ' ')
      ) {
        tokens.push({ kind: 'chain', path });
      } else tokens.push({ kind: 'field', path });
      continue;
    }
    const number = /-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/y;
    number.lastIndex = index;
    const numeric = number.exec(text);
    if (numeric) {
      tokens.push({ kind: 'literal', value: Number(numeric[0]) });
      index += numeric[0].length;
      continue;
    }
    identifier.lastIndex = index;
    const word = identifier.exec(text);
    if (word) {
      const name = word[0];
      index += name.length;
      if (name === 'true' || name === 'false') tokens.push({ kind: 'literal', value: name === 'true' });
      else if (name === 'nil') tokens.push({ kind: 'literal', value: null });
      else tokens.push({ kind: 'identifier', name });
      continue;
    }
    throw new TemplateError(where, `unexpected ${JSON.stringify(character)} in action`);
  }
  return tokens;
}

// ---------- parsing ----------

function parsePipeline(tokens: Token[], where: string): Pipeline {
  let position = 0;
  const declarations: string[] = [];
  let assign = false;
  // `$x := pipeline`, `$i, $v := pipeline` (range) or `$x = pipeline`.
  const lookahead = tokens.findIndex(
    (token) => token.kind === 'punct' && (token.value === ':=' || token.value === '='),
  );
  if (
    lookahead > 0 &&
    tokens
      .slice(0, lookahead)
      .every((token) => token.kind === 'variable' || (token.kind === 'punct' && token.value === ','))
  ) {
    for (const token of tokens.slice(0, lookahead)) if (token.kind === 'variable') declarations.push(token.name);
    assign = (tokens[lookahead] as { value: string }).value === '=';
    position = lookahead + 1;
  }
  const parseCommands = (stopAtParen: boolean): { commands: Operand[][] } => {
    const commands: Operand[][] = [];
    let current: Operand[] = [];
    while (position < tokens.length) {
      const token = tokens[position] as Token;
      if (token.kind === 'punct' && token.value === ')') {
        if (!stopAtParen) throw new TemplateError(where, 'unexpected )');
        break;
      }
      position += 1;
      if (token.kind === 'punct' && token.value === '|') {
        if (current.length === 0) throw new TemplateError(where, 'missing command before |');
        commands.push(current);
        current = [];
        continue;
      }
      if (token.kind === 'punct' && token.value === '(') {
        const inner = parseCommands(true);
        if ((tokens[position] as Token | undefined)?.kind !== 'punct') throw new TemplateError(where, 'unclosed (');
        position += 1;
        let path: string[] = [];
        const next = tokens[position];
        if (next?.kind === 'chain') {
          path = next.path;
          position += 1;
        }
        current.push({ kind: 'pipeline', pipe: { declarations: [], assign: false, commands: inner.commands }, path });
        continue;
      }
      if (token.kind === 'field') current.push({ kind: 'field', base: 'dot', path: token.path });
      else if (token.kind === 'variable') current.push({ kind: 'field', base: token.name, path: token.path });
      else if (token.kind === 'identifier') current.push({ kind: 'function', name: token.name });
      else if (token.kind === 'literal') current.push({ kind: 'literal', value: token.value });
      else throw new TemplateError(where, `unexpected ${'value' in token ? token.value : token.kind}`);
    }
    if (current.length) commands.push(current);
    if (commands.length === 0) throw new TemplateError(where, 'missing value for command');
    return { commands };
  };
  const { commands } = parseCommands(false);
  if (position < tokens.length) throw new TemplateError(where, 'unexpected ) in action');
  return { declarations, assign, commands };
}

interface ParsedTemplate {
  root: Node[];
  defines: Map<string, Node[]>;
}

function parseTemplate(name: string, source: string): ParsedTemplate {
  const items = splitActions(source, name);
  const defines = new Map<string, Node[]>();
  const root: Node[] = [];
  type Frame = {
    node: IfNode | RangeNode | { kind: 'define'; name: string; body: Node[] };
    inElse: boolean;
    chained: number;
    line: number;
  };
  const stack: Frame[] = [];
  const target = (): Node[] => {
    const frame = stack[stack.length - 1];
    if (!frame) return root;
    if (frame.node.kind === 'define') return frame.node.body;
    return frame.inElse ? frame.node.elseBody : frame.node.body;
  };
  for (const item of items) {
    const where = `${name}:${item.line}`;
    if (item.kind === 'text') {
      if (item.text) target().push({ kind: 'text', text: item.text });
      continue;
    }
    if (item.text === '/*comment*/') continue;
    const keyword = /^([a-z]+)\b\s*([\s\S]*)$/.exec(item.text);
    const word = keyword?.[1];
    const rest = keyword?.[2] ?? '';
    if (word === 'if' || word === 'with' || word === 'range') {
      const pipe = parsePipeline(tokenize(rest, where), where);
      const node: IfNode | RangeNode =
        word === 'range'
          ? { kind: 'range', pipe, body: [], elseBody: [] }
          : { kind: word, pipe, body: [], elseBody: [] };
      target().push(node);
      stack.push({ node, inElse: false, chained: 0, line: item.line });
    } else if (word === 'else') {
      const frame = stack[stack.length - 1];
      if (!frame || frame.node.kind === 'define' || frame.inElse) throw new TemplateError(where, 'unexpected {{else}}');
      frame.inElse = true;
      const chain = /^(if|with)\b\s*([\s\S]*)$/.exec(rest);
      if (chain) {
        // `else if x` is `else` + a nested `if` closed by the same `end`.
        const nested: IfNode = {
          kind: chain[1] as 'if' | 'with',
          pipe: parsePipeline(tokenize(chain[2] ?? '', where), where),
          body: [],
          elseBody: [],
        };
        frame.node.elseBody.push(nested);
        stack.push({ node: nested, inElse: false, chained: frame.chained + 1, line: item.line });
        frame.chained = 0;
      } else if (rest.trim()) throw new TemplateError(where, `unexpected ${rest.trim()} after else`);
    } else if (word === 'end') {
      let frame = stack.pop();
      if (!frame) throw new TemplateError(where, 'unexpected {{end}}');
      while (frame.chained > 0) {
        frame = stack.pop();
        if (!frame) throw new TemplateError(where, 'unexpected {{end}}');
      }
      if (frame.node.kind === 'define') defines.set(frame.node.name, frame.node.body);
    } else if (word === 'define') {
      if (stack.length) throw new TemplateError(where, 'define is only allowed at the top level');
      const nameToken = tokenize(rest, where)[0];
      if (nameToken?.kind !== 'literal' || typeof nameToken.value !== 'string')
        throw new TemplateError(where, 'define needs a quoted name');
      stack.push({
        node: { kind: 'define', name: nameToken.value, body: [] },
        inElse: false,
        chained: 0,
        line: item.line,
      });
    } else if (word === 'template') {
      const tokens = tokenize(rest, where);
      const nameToken = tokens[0];
      if (nameToken?.kind !== 'literal' || typeof nameToken.value !== 'string')
        throw new TemplateError(where, 'template needs a quoted name');
      target().push({
        kind: 'template',
        name: nameToken.value,
        pipe: tokens.length > 1 ? parsePipeline(tokens.slice(1), where) : undefined,
      });
    } else if (word === 'block' || word === 'break' || word === 'continue') {
      throw new TemplateError(where, `{{${word}}} is outside the supported subset`);
    } else {
      target().push({ kind: 'action', pipe: parsePipeline(tokenize(item.text, where), where) });
    }
  }
  const open = stack[stack.length - 1];
  if (open) throw new TemplateError(`${name}:${open.line}`, `unexpected EOF: {{${open.node.kind}}} has no {{end}}`);
  return { root, defines };
}

// ---------- values ----------

/** Go template truth: false, 0, nil, and empty strings, lists and maps are false. */
export function isTruthy(value: Value): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function isMap(value: Value): value is Record<string, Value> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How Go's fmt prints a value with %v, as templates output it; nil prints as "" (Helm drops `<no value>`). */
export function formatValue(value: Value): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value))
    return `[${value.map((item) => (item === null || item === undefined ? '<nil>' : formatValue(item))).join(' ')}]`;
  if (isMap(value)) {
    return `map[${Object.keys(value)
      .sort()
      .map((key) => `${key}:${value[key] === null || value[key] === undefined ? '<nil>' : formatValue(value[key])}`)
      .join(' ')}]`;
  }
  return String(value);
}

/** Helm's toYaml: keys sorted, block style, sequences not indented under their key, no trailing newline. */
export function toYaml(value: Value): string {
  if (value === undefined) return 'null';
  const text = YAML.stringify(value, {
    sortMapEntries: true,
    lineWidth: 0,
    indentSeq: false,
    aliasDuplicateObjects: false,
  });
  return text.replace(/\n$/, '');
}

function goQuote(text: string): string {
  return JSON.stringify(text);
}

function printf(where: string, format: string, args: Value[]): string {
  let argument = 0;
  return format.replace(
    /%([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z%])/g,
    (_match, _flags: string, width: string, _precision: string, verb: string) => {
      if (verb === '%') return '%';
      if (argument >= args.length) return `%!${verb}(MISSING)`;
      const value = args[argument];
      argument += 1;
      let out: string;
      if (verb === 's' || verb === 'v') out = formatValue(value);
      else if (verb === 'd') {
        if (typeof value !== 'number')
          throw new TemplateError(where, `printf %d needs a number, got ${formatValue(value)}`);
        out = String(Math.trunc(value));
      } else if (verb === 'q') out = goQuote(formatValue(value));
      else if (verb === 't') out = String(Boolean(value));
      else throw new TemplateError(where, `printf verb %${verb} is outside the supported subset`);
      return width ? out.padStart(Number(width)) : out;
    },
  );
}

function indentText(spaces: number, text: string): string {
  const pad = ' '.repeat(spaces);
  return pad + text.replace(/\n/g, `\n${pad}`);
}

function compare(where: string, left: Value, right: Value): number {
  if (typeof left === 'number' && typeof right === 'number') return left - right;
  if (typeof left === 'string' && typeof right === 'string') return left < right ? -1 : left > right ? 1 : 0;
  throw new TemplateError(where, `incompatible types for comparison: ${formatValue(left)} and ${formatValue(right)}`);
}

function basicEqual(where: string, left: Value, right: Value): boolean {
  const simple = (value: Value) =>
    value === null || value === undefined || ['string', 'number', 'boolean'].includes(typeof value);
  if (!simple(left) || !simple(right)) throw new TemplateError(where, 'eq/ne compare only basic types');
  if ((left === null || left === undefined) !== (right === null || right === undefined)) return false;
  if (left !== null && left !== undefined && typeof left !== typeof right)
    throw new TemplateError(where, `incompatible types for comparison: ${formatValue(left)} and ${formatValue(right)}`);
  return (left ?? null) === (right ?? null);
}

// ---------- execution ----------

/** A set of parsed templates sharing their `define`s, like one Helm chart's templates. */
export class TemplateSet {
  private readonly defines = new Map<string, Node[]>();
  private readonly sources = new Map<string, Node[]>();

  /** Parses a template file; its `define`s become visible to every template in the set. */
  add(name: string, source: string): void {
    const parsed = parseTemplate(name, source);
    for (const [defineName, body] of parsed.defines) this.defines.set(defineName, body);
    this.sources.set(name, parsed.root);
  }

  /** Names of the parsed files, in the order added. */
  names(): string[] {
    return [...this.sources.keys()];
  }

  /** Executes a parsed file with `data` as both `.` and `$`. */
  execute(name: string, data: Value): string {
    const root = this.sources.get(name);
    if (!root) throw new TemplateError(name, 'no such template');
    return new Execution(this, name, data).run(root);
  }

  /** Executes a `define`d template (what `include` and `{{template}}` do). */
  executeDefine(name: string, data: Value, depth: number, where: string): string {
    const body = this.defines.get(name);
    if (!body) throw new TemplateError(where, `no template ${JSON.stringify(name)} associated with template`);
    if (depth > MAX_INCLUDE_DEPTH)
      throw new TemplateError(where, `rendering template has a nested reference name: ${name}: exceeded max nesting`);
    return new Execution(this, name, data, depth).run(body);
  }

  /** What `tpl` does: parses text as a template sharing this set's defines, then executes it. */
  renderString(text: string, data: Value, depth: number, where: string): string {
    const parsed = parseTemplate(`${where}:tpl`, text);
    for (const [defineName, body] of parsed.defines) this.defines.set(defineName, body);
    return new Execution(this, `${where}:tpl`, data, depth + 1).run(parsed.root);
  }
}

type Scope = Map<string, Value>;

class Execution {
  private scopes: Scope[];

  constructor(
    private readonly set: TemplateSet,
    private readonly name: string,
    private readonly root: Value,
    private readonly depth = 0,
  ) {
    this.scopes = [new Map([['$', root]])];
  }

  run(nodes: Node[]): string {
    return this.walk(nodes, this.root);
  }

  private walk(nodes: Node[], dot: Value): string {
    let out = '';
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          out += node.text;
          break;
        case 'action': {
          const value = this.pipeline(node.pipe, dot);
          if (node.pipe.declarations.length === 0) out += formatValue(value);
          break;
        }
        case 'if':
        case 'with': {
          this.scopes.push(new Map());
          const value = this.pipeline(node.pipe, dot);
          if (isTruthy(value)) out += this.walk(node.body, node.kind === 'with' ? value : dot);
          else out += this.walk(node.elseBody, dot);
          this.scopes.pop();
          break;
        }
        case 'range':
          out += this.range(node, dot);
          break;
        case 'template':
          out += this.set.executeDefine(
            node.name,
            node.pipe ? this.pipeline(node.pipe, dot) : null,
            this.depth + 1,
            this.name,
          );
          break;
      }
    }
    return out;
  }

  private range(node: RangeNode, dot: Value): string {
    this.scopes.push(new Map());
    const collection = this.pipeline({ ...node.pipe, declarations: [] }, dot);
    const [first, second] = node.pipe.declarations;
    const entries: [Value, Value][] = Array.isArray(collection)
      ? collection.map((item, index) => [index, item])
      : isMap(collection)
        ? Object.keys(collection)
            .sort()
            .map((key) => [key, collection[key]])
        : typeof collection === 'number' && Number.isInteger(collection)
          ? Array.from({ length: Math.max(collection, 0) }, (_, index) => [index, index])
          : collection === null || collection === undefined
            ? []
            : (() => {
                throw new TemplateError(this.name, `range can't iterate over ${formatValue(collection)}`);
              })();
    let out = '';
    for (const [key, item] of entries) {
      const scope: Scope = new Map();
      if (second !== undefined) {
        scope.set(first as string, key);
        scope.set(second, item);
      } else if (first !== undefined) scope.set(first, item);
      this.scopes.push(scope);
      out += this.walk(node.body, item);
      this.scopes.pop();
    }
    if (entries.length === 0) out += this.walk(node.elseBody, dot);
    this.scopes.pop();
    return out;
  }

  private lookupVariable(name: string): Value {
    for (let index = this.scopes.length - 1; index >= 0; index -= 1) {
      const scope = this.scopes[index] as Scope;
      if (scope.has(name)) return scope.get(name);
    }
    throw new TemplateError(this.name, `undefined variable "${name}"`);
  }

  private assignVariable(name: string, value: Value): void {
    for (let index = this.scopes.length - 1; index >= 0; index -= 1) {
      const scope = this.scopes[index] as Scope;
      if (scope.has(name)) {
        scope.set(name, value);
        return;
      }
    }
    throw new TemplateError(this.name, `undefined variable "${name}"`);
  }

  private pipeline(pipe: Pipeline, dot: Value): Value {
    let value: Value = undefined;
    let piped = false;
    for (const command of pipe.commands) {
      value = this.command(command, dot, piped ? [value] : []);
      piped = true;
    }
    if (pipe.declarations.length) {
      const name = pipe.declarations[pipe.declarations.length - 1] as string;
      if (pipe.assign) this.assignVariable(name, value);
      else (this.scopes[this.scopes.length - 1] as Scope).set(name, value);
    }
    return value;
  }

  private field(value: Value, path: string[], description: string): Value {
    let current = value;
    let walked = description;
    for (const [position, key] of path.entries()) {
      if (current === null || current === undefined)
        throw new TemplateError(this.name, `nil pointer evaluating interface {}.${key} (at ${walked || '.'})`);
      if (!isMap(current))
        throw new TemplateError(this.name, `can't evaluate field ${key} in ${walked || '.'} (not a map)`);
      const next = current[key];
      // A niladic method in the middle of a chain is called, as Go does.
      current = typeof next === 'function' && position < path.length - 1 ? (next as () => Value).call(current) : next;
      walked += `.${key}`;
    }
    return current;
  }

  private operand(operand: Operand, dot: Value): Value {
    switch (operand.kind) {
      case 'literal':
        return operand.value;
      case 'field': {
        const base = operand.base === 'dot' ? dot : this.lookupVariable(operand.base);
        const value = this.field(base, operand.path, operand.base === 'dot' ? '' : operand.base);
        return typeof value === 'function' ? (value as () => Value)() : value;
      }
      case 'pipeline': {
        this.scopes.push(new Map());
        const value = this.pipeline(operand.pipe, dot);
        this.scopes.pop();
        return this.field(value, operand.path, '(...)');
      }
      case 'function':
        return this.call(operand.name, [], dot);
    }
  }

  private command(command: Operand[], dot: Value, piped: Value[]): Value {
    const [head, ...rest] = command;
    if (!head) throw new TemplateError(this.name, 'empty command');
    if (head.kind === 'function') {
      if (head.name === 'and' || head.name === 'or') return this.logical(head.name, [...rest], dot, piped);
      return this.call(head.name, [...rest.map((operand) => this.operand(operand, dot)), ...piped], dot);
    }
    // A method value (e.g. `.Files.Get "name"`) takes the remaining arguments.
    if (head.kind === 'field' && head.path.length) {
      const base = head.base === 'dot' ? dot : this.lookupVariable(head.base);
      const owner = this.field(base, head.path.slice(0, -1), '');
      const member = isMap(owner) ? owner[head.path[head.path.length - 1] as string] : undefined;
      if (typeof member === 'function')
        return (member as (...args: Value[]) => Value).apply(owner, [
          ...rest.map((operand) => this.operand(operand, dot)),
          ...piped,
        ]);
    }
    if (rest.length || piped.length)
      throw new TemplateError(this.name, `can't give argument to non-function ${describe(head)}`);
    return this.operand(head, dot);
  }

  private logical(name: 'and' | 'or', operands: Operand[], dot: Value, piped: Value[]): Value {
    const thunks: (() => Value)[] = [
      ...operands.map((operand) => () => this.operand(operand, dot)),
      ...piped.map((value) => () => value),
    ];
    if (thunks.length === 0)
      throw new TemplateError(this.name, `wrong number of args for ${name}: want at least 1 got 0`);
    let value: Value;
    // Go 1.18+: and/or stop at the first argument that decides the result.
    for (const thunk of thunks) {
      value = thunk();
      if (name === 'and' ? !isTruthy(value) : isTruthy(value)) return value;
    }
    return value;
  }

  private call(name: string, args: Value[], dot: Value): Value {
    // Own properties only: `constructor` or `toString` from Object.prototype are not template functions.
    const fn = Object.prototype.hasOwnProperty.call(functions, name) ? functions[name] : undefined;
    if (!fn) throw new TemplateError(this.name, `function "${name}" not defined`);
    return fn(args, { where: this.name, set: this.set, depth: this.depth, dot });
  }
}

function describe(operand: Operand): string {
  if (operand.kind === 'field') return `${operand.base === 'dot' ? '' : operand.base}.${operand.path.join('.')}`;
  if (operand.kind === 'literal') return formatValue(operand.value);
  return operand.kind;
}

interface CallContext {
  where: string;
  set: TemplateSet;
  depth: number;
  dot: Value;
}

function arity(where: string, name: string, args: Value[], count: number): void {
  if (args.length !== count)
    throw new TemplateError(where, `wrong number of args for ${name}: want ${count} got ${args.length}`);
}

function asString(value: Value): string {
  return formatValue(value);
}

function asInteger(where: string, value: Value): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number))
    throw new TemplateError(where, `expected a number, got ${formatValue(value)}`);
  return Math.trunc(number);
}

/** Sprig's `empty`: nil, false, 0, "" and empty collections. */
function isEmpty(value: Value): boolean {
  return !isTruthy(value);
}

type TemplateFunction = (args: Value[], context: CallContext) => Value;

/** The supported functions: Go builtins, Helm's own, and the Sprig ones the charts use. */
const functions: Record<string, TemplateFunction> = {
  include: (args, { where, set, depth }) => {
    arity(where, 'include', args, 2);
    return set.executeDefine(asString(args[0]), args[1], depth + 1, where);
  },
  tpl: (args, { where, set, depth }) => {
    arity(where, 'tpl', args, 2);
    return set.renderString(asString(args[0]), args[1], depth, where);
  },
  required: (args, { where }) => {
    arity(where, 'required', args, 2);
    const value = args[1];
    if (value === null || value === undefined || value === '')
      throw new TemplateError(where, `error calling required: ${asString(args[0])}`);
    return value;
  },
  fail: (args, { where }) => {
    arity(where, 'fail', args, 1);
    throw new TemplateError(where, `error calling fail: ${asString(args[0])}`);
  },
  default: (args, { where }) => {
    if (args.length === 0 || args.length > 2)
      throw new TemplateError(where, `wrong number of args for default: want 1 or 2 got ${args.length}`);
    return args.length === 1 || isEmpty(args[1]) ? args[0] : args[1];
  },
  empty: (args, { where }) => {
    arity(where, 'empty', args, 1);
    return isEmpty(args[0]);
  },
  coalesce: (args) => args.find((value) => !isEmpty(value)) ?? null,
  ternary: (args, { where }) => {
    arity(where, 'ternary', args, 3);
    return isTruthy(args[2]) ? args[0] : args[1];
  },
  toYaml: (args, { where }) => {
    arity(where, 'toYaml', args, 1);
    return toYaml(args[0]);
  },
  toJson: (args, { where }) => {
    arity(where, 'toJson', args, 1);
    return JSON.stringify(args[0] ?? null);
  },
  indent: (args, { where }) => {
    arity(where, 'indent', args, 2);
    return indentText(asInteger(where, args[0]), asString(args[1]));
  },
  nindent: (args, { where }) => {
    arity(where, 'nindent', args, 2);
    return `\n${indentText(asInteger(where, args[0]), asString(args[1]))}`;
  },
  // Sprig skips nil arguments and joins the rest with spaces.
  quote: (args) =>
    args
      .filter((value) => value !== null && value !== undefined)
      .map((value) => goQuote(asString(value)))
      .join(' '),
  squote: (args) =>
    args
      .filter((value) => value !== null && value !== undefined)
      .map((value) => `'${asString(value)}'`)
      .join(' '),
  printf: (args, { where }) => printf(where, asString(args[0]), args.slice(1)),
  print: (args) => args.map(asString).join(''),
  b64enc: (args, { where }) => {
    arity(where, 'b64enc', args, 1);
    return Buffer.from(asString(args[0]), 'utf8').toString('base64');
  },
  sha256sum: (args, { where }) => {
    arity(where, 'sha256sum', args, 1);
    return createHash('sha256').update(asString(args[0])).digest('hex');
  },
  trunc: (args, { where }) => {
    arity(where, 'trunc', args, 2);
    const count = asInteger(where, args[0]);
    const text = asString(args[1]);
    return count >= 0 ? text.slice(0, count) : text.slice(Math.max(text.length + count, 0));
  },
  trimSuffix: (args, { where }) => {
    arity(where, 'trimSuffix', args, 2);
    const suffix = asString(args[0]);
    const text = asString(args[1]);
    return suffix && text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
  },
  trimPrefix: (args, { where }) => {
    arity(where, 'trimPrefix', args, 2);
    const prefix = asString(args[0]);
    const text = asString(args[1]);
    return prefix && text.startsWith(prefix) ? text.slice(prefix.length) : text;
  },
  trim: (args, { where }) => {
    arity(where, 'trim', args, 1);
    return asString(args[0]).trim();
  },
  replace: (args, { where }) => {
    arity(where, 'replace', args, 3);
    return asString(args[2]).split(asString(args[0])).join(asString(args[1]));
  },
  lower: (args, { where }) => {
    arity(where, 'lower', args, 1);
    return asString(args[0]).toLowerCase();
  },
  upper: (args, { where }) => {
    arity(where, 'upper', args, 1);
    return asString(args[0]).toUpperCase();
  },
  contains: (args, { where }) => {
    arity(where, 'contains', args, 2);
    return asString(args[1]).includes(asString(args[0]));
  },
  hasPrefix: (args, { where }) => {
    arity(where, 'hasPrefix', args, 2);
    return asString(args[1]).startsWith(asString(args[0]));
  },
  list: (args) => [...args],
  append: (args, { where }) => {
    arity(where, 'append', args, 2);
    const items = args[0] ?? [];
    if (!Array.isArray(items)) throw new TemplateError(where, 'append needs a list');
    return [...items, args[1]];
  },
  // Sprig's set changes the map in place (and returns it); use deepCopy first on anything from .Values.
  set: (args, { where }) => {
    arity(where, 'set', args, 3);
    const map = args[0];
    if (!isMap(map)) throw new TemplateError(where, 'set needs a map');
    map[asString(args[1])] = args[2];
    return map;
  },
  deepCopy: (args, { where }) => {
    arity(where, 'deepCopy', args, 1);
    return structuredClone(args[0] ?? null);
  },
  dict: (args, { where }) => {
    if (args.length % 2 !== 0) throw new TemplateError(where, 'dict needs key/value pairs');
    const out: Record<string, Value> = {};
    for (let index = 0; index < args.length; index += 2) out[asString(args[index])] = args[index + 1];
    return out;
  },
  get: (args, { where }) => {
    arity(where, 'get', args, 2);
    const map = args[0];
    if (!isMap(map)) throw new TemplateError(where, 'get needs a map');
    return map[asString(args[1])] ?? '';
  },
  hasKey: (args, { where }) => {
    arity(where, 'hasKey', args, 2);
    const map = args[0];
    return isMap(map) && Object.prototype.hasOwnProperty.call(map, asString(args[1]));
  },
  keys: (args) => args.flatMap((map) => (isMap(map) ? Object.keys(map) : [])).sort(),
  index: (args, { where }) => {
    let current = args[0];
    for (const key of args.slice(1)) {
      if (Array.isArray(current)) {
        const position = asInteger(where, key);
        if (position < 0 || position >= current.length)
          throw new TemplateError(where, `error calling index: index out of range: ${position}`);
        current = current[position];
      } else if (isMap(current)) current = current[asString(key)];
      else if (current === null || current === undefined) return null;
      else throw new TemplateError(where, `can't index item of type ${typeof current}`);
    }
    return current ?? null;
  },
  len: (args, { where }) => {
    arity(where, 'len', args, 1);
    const value = args[0];
    if (typeof value === 'string' || Array.isArray(value)) return value.length;
    if (isMap(value)) return Object.keys(value).length;
    throw new TemplateError(where, `len of ${formatValue(value)}`);
  },
  join: (args, { where }) => {
    arity(where, 'join', args, 2);
    const items = args[1];
    if (!Array.isArray(items)) throw new TemplateError(where, 'join needs a list');
    return items.map(asString).join(asString(args[0]));
  },
  int: (args, { where }) => {
    arity(where, 'int', args, 1);
    return asInteger(where, args[0]);
  },
  toString: (args: Value[], { where }: CallContext) => {
    arity(where, 'toString', args, 1);
    return asString(args[0]);
  },
  add: (args, { where }) => args.reduce<number>((sum, value) => sum + asInteger(where, value), 0),
  not: (args, { where }) => {
    arity(where, 'not', args, 1);
    return !isTruthy(args[0]);
  },
  eq: (args, { where }) => {
    if (args.length < 2) throw new TemplateError(where, 'missing argument for comparison');
    return args.slice(1).some((value) => basicEqual(where, args[0], value));
  },
  ne: (args, { where }) => {
    arity(where, 'ne', args, 2);
    return !basicEqual(where, args[0], args[1]);
  },
  lt: (args, { where }) => compare(where, args[0], args[1]) < 0,
  le: (args, { where }) => compare(where, args[0], args[1]) <= 0,
  gt: (args, { where }) => compare(where, args[0], args[1]) > 0,
  ge: (args, { where }) => compare(where, args[0], args[1]) >= 0,
};

/** Names of the functions the subset implements (for documentation and tests). */
export const supportedFunctions: readonly string[] = Object.keys(functions).concat(['and', 'or']).sort();
