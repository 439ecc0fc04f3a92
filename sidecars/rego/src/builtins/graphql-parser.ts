// A GraphQL lexer and parser that builds the documents OPA's graphql.parse_query / graphql.parse_schema
// return: vektah/gqlparser's Go AST as JSON (field names, `Kind` numbers, comment groups) and its error
// texts and positions (decision 095). Written from the GraphQL spec and gqlparser's documented behaviour.
import { RegoObject, type Value } from '../value';

/** gqlparser's token kinds, in its order. */
enum Tok {
  Invalid,
  EOF,
  Bang,
  Dollar,
  Amp,
  ParenL,
  ParenR,
  Spread,
  Colon,
  Equals,
  At,
  BracketL,
  BracketR,
  BraceL,
  BraceR,
  Pipe,
  Name,
  Int,
  Float,
  String,
  BlockString,
  Comment,
}

const TOKEN_TEXT: Record<Tok, string> = {
  [Tok.Invalid]: '<Invalid>',
  [Tok.EOF]: '<EOF>',
  [Tok.Bang]: '!',
  [Tok.Dollar]: '$',
  [Tok.Amp]: '&',
  [Tok.ParenL]: '(',
  [Tok.ParenR]: ')',
  [Tok.Spread]: '...',
  [Tok.Colon]: ':',
  [Tok.Equals]: '=',
  [Tok.At]: '@',
  [Tok.BracketL]: '[',
  [Tok.BracketR]: ']',
  [Tok.BraceL]: '{',
  [Tok.BraceR]: '}',
  [Tok.Pipe]: '|',
  [Tok.Name]: 'Name',
  [Tok.Int]: 'Int',
  [Tok.Float]: 'Float',
  [Tok.String]: 'String',
  [Tok.BlockString]: 'BlockString',
  [Tok.Comment]: 'Comment',
};

const PUNCTUATION: Record<string, Tok> = {
  '!': Tok.Bang,
  $: Tok.Dollar,
  '&': Tok.Amp,
  '(': Tok.ParenL,
  ')': Tok.ParenR,
  ':': Tok.Colon,
  '=': Tok.Equals,
  '@': Tok.At,
  '[': Tok.BracketL,
  ']': Tok.BracketR,
  '{': Tok.BraceL,
  '}': Tok.BraceR,
  '|': Tok.Pipe,
};

interface Token {
  kind: Tok;
  value: string;
  line: number;
  column: number;
}

/** A syntax error at a line and column (columns count code points, as gqlparser counts runes). */
export class GraphQLSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'GraphQLSyntaxError';
  }
}

/** Deepest nesting of selection sets, lists, objects and types (gqlparser's limit). */
export const MAX_NESTING_DEPTH = 1000;

/** gqlparser's quoting of a token value (Go's strconv.Quote for the usual characters). */
function quote(s: string): string {
  return JSON.stringify(s);
}

function describe(t: Token): string {
  return t.value !== '' ? `${TOKEN_TEXT[t.kind]} ${quote(t.value)}` : TOKEN_TEXT[t.kind];
}

const isNameStart = (c: string): boolean => /[_A-Za-z]/.test(c);
const isNameChar = (c: string): boolean => /[_A-Za-z0-9]/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Reads tokens; a malformed token comes back as `Invalid` with its error, reported when it is consumed. */
class Lexer {
  private start = 0;
  private startRunes = 0;
  private end = 0;
  private endRunes = 0;
  private line = 1;
  private lineStartRunes = 0;

  constructor(private readonly input: string) {}

  private token(kind: Tok, value: string): { token: Token; error?: GraphQLSyntaxError } {
    return {
      token: { kind, value, line: this.line, column: this.startRunes - this.lineStartRunes + 1 },
    };
  }

  private fail(message: string): { token: Token; error: GraphQLSyntaxError } {
    const column = this.endRunes - this.lineStartRunes + 1;
    return {
      token: { kind: Tok.Invalid, value: '', line: this.line, column },
      error: new GraphQLSyntaxError(message, this.line, column),
    };
  }

  /** Advances over one code point (a surrogate pair is one rune). */
  private advance(): void {
    const code = this.input.charCodeAt(this.end);
    this.end += code >= 0xd800 && code < 0xdc00 && this.end + 1 < this.input.length ? 2 : 1;
    this.endRunes++;
  }

  read(): { token: Token; error?: GraphQLSyntaxError } {
    this.whitespace();
    this.start = this.end;
    this.startRunes = this.endRunes;
    if (this.end >= this.input.length) return this.token(Tok.EOF, '');
    const c = this.input[this.end] as string;
    this.end++;
    this.endRunes++;
    const punctuation = PUNCTUATION[c];
    if (punctuation !== undefined) return this.token(punctuation, '');
    if (c === '.' && this.input.startsWith('...', this.start)) {
      this.end += 2;
      this.endRunes += 2;
      return this.token(Tok.Spread, '');
    }
    if (c === '#') return this.comment();
    if (isNameStart(c)) {
      while (this.end < this.input.length && isNameChar(this.input[this.end] as string)) {
        this.end++;
        this.endRunes++;
      }
      return this.token(Tok.Name, this.input.slice(this.start, this.end));
    }
    if (c === '-' || isDigit(c)) return this.number();
    if (c === '"') return this.input.startsWith('"""', this.start) ? this.blockString() : this.string();
    this.end--;
    this.endRunes--;
    const code = c.charCodeAt(0);
    if (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r')
      return this.fail(`Cannot contain the invalid character "\\u${code.toString(16).padStart(4, '0')}"`);
    if (c === "'") return this.fail(`Unexpected single quote character ('), did you mean to use a double quote (")?`);
    return this.fail(
      `Cannot parse the unexpected character "${String.fromCodePoint(this.input.codePointAt(this.end) ?? 0)}".`,
    );
  }

  private whitespace(): void {
    while (this.end < this.input.length) {
      const c = this.input[this.end];
      if (c === '\t' || c === ' ' || c === ',' || c === '\ufeff') {
        this.end++;
        this.endRunes++;
      } else if (c === '\n' || c === '\r') {
        this.end++;
        this.endRunes++;
        this.line++;
        this.lineStartRunes = this.endRunes;
        if (c === '\r' && this.input[this.end] === '\n') {
          this.end++;
          this.endRunes++;
        }
      } else return;
    }
  }

  private comment(): { token: Token } {
    while (this.end < this.input.length) {
      const code = this.input.charCodeAt(this.end);
      if (code > 0x1f || code === 0x09) this.advance();
      else break;
    }
    return this.token(Tok.Comment, this.input.slice(this.start, this.end));
  }

  private digits(): number {
    let n = 0;
    while (isDigit(this.input[this.end])) {
      this.end++;
      this.endRunes++;
      n++;
    }
    return n;
  }

  private accept(...chars: string[]): boolean {
    if (this.end < this.input.length && chars.includes(this.input[this.end] as string)) {
      this.end++;
      this.endRunes++;
      return true;
    }
    return false;
  }

  private describeNext(): string {
    return this.end < this.input.length ? `"${this.input[this.end]}"` : '<EOF>';
  }

  private number(): { token: Token; error?: GraphQLSyntaxError } {
    let float = false;
    this.end--;
    this.endRunes--;
    this.accept('-');
    if (this.accept('0')) {
      const consumed = this.digits();
      if (consumed !== 0) {
        this.end -= consumed;
        this.endRunes -= consumed;
        return this.fail(`Invalid number, unexpected digit after 0: ${this.describeNext()}.`);
      }
    } else if (this.digits() === 0) return this.fail(`Invalid number, expected digit but got: ${this.describeNext()}.`);
    if (this.accept('.')) {
      float = true;
      if (this.digits() === 0) return this.fail(`Invalid number, expected digit but got: ${this.describeNext()}.`);
    }
    if (this.accept('e', 'E')) {
      float = true;
      this.accept('-', '+');
      if (this.digits() === 0) return this.fail(`Invalid number, expected digit but got: ${this.describeNext()}.`);
    }
    return this.token(float ? Tok.Float : Tok.Int, this.input.slice(this.start, this.end));
  }

  private string(): { token: Token; error?: GraphQLSyntaxError } {
    this.start++;
    this.startRunes++;
    let value = '';
    while (this.end < this.input.length) {
      const c = this.input[this.end] as string;
      const code = c.charCodeAt(0);
      if (c === '\n' || c === '\r') break;
      if (code < 0x20 && c !== '\t')
        return this.fail(`Invalid character within String: "\\u${code.toString(16).padStart(4, '0')}".`);
      if (c === '"') {
        const t = this.token(Tok.String, value);
        this.end++;
        this.endRunes++;
        return t;
      }
      if (c !== '\\') {
        const from = this.end;
        this.advance();
        value += this.input.slice(from, this.end);
        continue;
      }
      if (this.end + 1 >= this.input.length) {
        this.end++;
        this.endRunes++;
        return this.fail('Invalid character escape sequence.');
      }
      const escape = this.input[this.end + 1] as string;
      if (escape === 'u') {
        if (this.input[this.end + 2] === '{') {
          const close = this.input.indexOf('}', this.end + 3);
          const hex = close < 0 ? '' : this.input.slice(this.end + 3, close);
          const cp = /^[0-9a-fA-F]{1,8}$/.test(hex) ? parseInt(hex, 16) : -1;
          if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            this.end++;
            this.endRunes++;
            const n = close < 0 ? Math.min(this.input.length - this.end - 2, 9) : close - this.end - 1;
            return this.fail(`Invalid character escape sequence: \\${this.input.slice(this.end, this.end + 2 + n)}.`);
          }
          const width = 3 + hex.length + 1;
          this.end += width;
          this.endRunes += width;
          value += String.fromCodePoint(cp);
          continue;
        }
        if (this.end + 6 >= this.input.length) {
          this.end++;
          this.endRunes++;
          return this.fail(`Invalid character escape sequence: \\${this.input.slice(this.end)}.`);
        }
        const hex = this.input.slice(this.end + 2, this.end + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.end++;
          this.endRunes++;
          return this.fail(`Invalid character escape sequence: \\${this.input.slice(this.end, this.end + 5)}.`);
        }
        let cp = parseInt(hex, 16);
        this.end += 6;
        this.endRunes += 6;
        if (cp >= 0xd800 && cp < 0xdc00 && this.end + 6 < this.input.length) {
          const next = this.input.slice(this.end, this.end + 6);
          const low = parseInt(next.slice(2), 16);
          if (next.startsWith('\\u') && /^[0-9a-fA-F]{4}$/.test(next.slice(2)) && low >= 0xdc00 && low <= 0xdfff) {
            cp = (cp - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
            this.end += 6;
            this.endRunes += 6;
          }
        }
        // A lone surrogate becomes U+FFFD, as Go writes an invalid rune.
        value += cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : String.fromCodePoint(cp);
        continue;
      }
      const simple: Record<string, string> = {
        '"': '"',
        '/': '/',
        '\\': '\\',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      const replacement = simple[escape];
      if (replacement === undefined) {
        this.end++;
        this.endRunes++;
        return this.fail(`Invalid character escape sequence: \\${escape}.`);
      }
      value += replacement;
      this.end += 2;
      this.endRunes += 2;
    }
    return this.fail('Unterminated string.');
  }

  private blockString(): { token: Token; error?: GraphQLSyntaxError } {
    // gqlparser's token starts after the quotes, and takes the line and line start of where it ends.
    this.start += 3;
    this.startRunes += 3;
    this.end += 2;
    this.endRunes += 2;
    let raw = '';
    while (this.end < this.input.length) {
      const c = this.input[this.end] as string;
      if (c === '"') {
        let quotes = 1;
        while (this.input[this.end + quotes] === '"') quotes++;
        if (quotes >= 3) {
          raw += '"'.repeat(quotes - 3);
          const t = this.token(Tok.BlockString, blockStringValue(raw));
          this.end += quotes;
          this.endRunes += quotes;
          return t;
        }
      }
      const code = c.charCodeAt(0);
      if (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r')
        return this.fail(`Invalid character within String: "\\u${code.toString(16).padStart(4, '0')}".`);
      if (c === '\\' && this.input.startsWith('\\"""', this.end)) {
        raw += '"""';
        this.end += 4;
        this.endRunes += 4;
      } else if (c === '\r' || c === '\n') {
        if (c === '\r' && this.input[this.end + 1] === '\n') {
          this.end++;
          this.endRunes++;
        }
        raw += '\n';
        this.end++;
        this.endRunes++;
        this.line++;
        this.lineStartRunes = this.endRunes;
      } else {
        const from = this.end;
        this.advance();
        raw += this.input.slice(from, this.end);
      }
    }
    return this.fail('Unterminated string.');
  }
}

/** The spec's BlockStringValue: common indentation and blank first/last lines removed. */
function blockStringValue(raw: string): string {
  const lines = raw.split('\n');
  const leading = (l: string): number => {
    const m = /^[ \t]*/.exec(l) as RegExpExecArray;
    return m[0].length === l.length ? Infinity : m[0].length;
  };
  let common = Infinity;
  for (const l of lines) {
    const indent = leading(l);
    if (indent < common) common = indent;
    if (common === 0) break;
  }
  if (common !== Infinity) for (let i = 1; i < lines.length; i++) lines[i] = (lines[i] as string).slice(common);
  let start = 0;
  let end = lines.length;
  while (start < end && leading(lines[start] as string) === Infinity) start++;
  while (start < end && leading(lines[end - 1] as string) === Infinity) end--;
  return lines.slice(start, end).join('\n');
}

/** A JSON node of the document (gqlparser's struct as encoding/json writes it, before OPA prunes it). */
export type Node = { [key: string]: unknown };

/** A node's place in the source (kept under `Position`, which OPA's pruning drops). */
export interface Position {
  Line: number;
  Column: number;
}
type Comments = Node | null;

interface Description {
  text: string;
  comment: Comments;
  present: boolean;
}

const VALUE_KIND = {
  Variable: 0,
  Int: 1,
  Float: 2,
  String: 3,
  Block: 4,
  Boolean: 5,
  Null: 6,
  Enum: 7,
  List: 8,
  Object: 9,
};

const DIRECTIVE_LOCATIONS = new Set([
  'QUERY',
  'MUTATION',
  'SUBSCRIPTION',
  'FIELD',
  'FRAGMENT_DEFINITION',
  'FRAGMENT_SPREAD',
  'INLINE_FRAGMENT',
  'VARIABLE_DEFINITION',
  'SCHEMA',
  'SCALAR',
  'OBJECT',
  'FIELD_DEFINITION',
  'ARGUMENT_DEFINITION',
  'INTERFACE',
  'UNION',
  'ENUM',
  'ENUM_VALUE',
  'INPUT_OBJECT',
  'INPUT_FIELD_DEFINITION',
  'DIRECTIVE_DEFINITION',
]);

function joinComments(before: Comments, after: Comments): Comments {
  if (!before) return after;
  if (!after) return before;
  return { List: [...(before.List as Node[]), ...(after.List as Node[])] };
}

class Parser {
  private readonly lexer: Lexer;
  private peeked: { token: Token; error?: GraphQLSyntaxError } | undefined;
  private prev: Token = { kind: Tok.Invalid, value: '', line: 1, column: 1 };
  /** The comments just before the peeked token (gqlparser's p.comment). */
  private comment: Comments = null;
  private depth = 0;

  constructor(
    input: string,
    private readonly onToken: () => void,
  ) {
    this.lexer = new Lexer(input);
  }

  private error(t: Token, message: string): never {
    throw new GraphQLSyntaxError(message, t.line, t.column);
  }

  peek(): Token {
    if (!this.peeked) {
      let read = this.lexer.read();
      this.onToken();
      if (read.token.kind === Tok.Comment && !read.error) {
        const list: Node[] = [];
        while (read.token.kind === Tok.Comment && !read.error) {
          list.push({ Value: read.token.value });
          read = this.lexer.read();
          this.onToken();
        }
        this.peeked = read;
        this.comment = { List: list };
      } else this.peeked = read;
    }
    return this.peeked.token;
  }

  /** Where the next token starts (gqlparser's peekPos): validation errors point here. */
  private pos(): Position {
    const t = this.peek();
    return { Line: t.line, Column: t.column };
  }

  next(): Token {
    this.peek();
    const read = this.peeked as { token: Token; error?: GraphQLSyntaxError };
    this.peeked = undefined;
    this.comment = null;
    if (read.error) throw read.error;
    this.prev = read.token;
    return read.token;
  }

  private enterNested(): void {
    if (this.depth >= MAX_NESTING_DEPTH)
      this.error(this.peek(), `exceeded maximum nesting depth of ${MAX_NESTING_DEPTH}`);
    this.depth++;
  }

  private expectKeyword(value: string): Comments {
    const t = this.peek();
    const comment = this.comment;
    if (t.kind === Tok.Name && t.value === value) {
      this.next();
      return comment;
    }
    return this.error(t, `Expected ${quote(value)}, found ${describe(t)}`);
  }

  private expect(kind: Tok): { token: Token; comment: Comments } {
    const t = this.peek();
    const comment = this.comment;
    if (t.kind === kind) return { token: this.next(), comment };
    return this.error(t, `Expected ${TOKEN_TEXT[kind]}, found ${TOKEN_TEXT[t.kind]}`);
  }

  private skip(kind: Tok): boolean {
    if (this.peek().kind !== kind) return false;
    this.next();
    return true;
  }

  private unexpected(t: Token = this.peek()): never {
    return this.error(t, `Unexpected ${describe(t)}`);
  }

  private many(start: Tok, end: Tok, item: () => void): void {
    if (!this.skip(start)) return;
    while (this.peek().kind !== end) item();
    this.next();
  }

  private some(start: Tok, end: Tok, item: () => void): Comments {
    if (!this.skip(start)) return null;
    let called = false;
    while (this.peek().kind !== end) {
      called = true;
      item();
    }
    if (!called) this.error(this.peek(), `expected at least one definition, found ${TOKEN_TEXT[this.peek().kind]}`);
    const comment = this.comment;
    this.next();
    return comment;
  }

  private name(): string {
    return this.expect(Tok.Name).token.value;
  }

  // ---- queries ----

  queryDocument(): Node {
    const operations: Node[] = [];
    const fragments: Node[] = [];
    while (this.peek().kind !== Tok.EOF) {
      const description = this.description();
      const t = this.peek();
      if (t.kind === Tok.Name && ['query', 'mutation', 'subscription'].includes(t.value))
        operations.push(this.operationDefinition(description));
      else if (t.kind === Tok.Name && t.value === 'fragment') fragments.push(this.fragmentDefinition(description));
      else if (t.kind === Tok.BraceL) operations.push(this.operationDefinition(description));
      else this.unexpected();
    }
    return { Operations: operations, Fragments: fragments, Comment: null };
  }

  private operationDefinition(description: Description): Node {
    if (this.peek().kind === Tok.BraceL) {
      if (description.present) this.unexpected(this.prev);
      // gqlparser reads its comment after parsing the selection set, by when it is always nil.
      const comment = null;
      const position = this.pos();
      return {
        Position: position,
        Description: '',
        Operation: 'query',
        Name: '',
        VariableDefinitions: null,
        Directives: null,
        SelectionSet: this.requiredSelectionSet(),
        Comment: comment,
      };
    }
    const comment = joinComments(description.comment, this.comment);
    const position = this.pos();
    const operation = this.operationType();
    const name = this.peek().kind === Tok.Name ? this.next().value : '';
    return {
      Position: position,
      Description: description.text,
      Operation: operation,
      Name: name,
      VariableDefinitions: this.variableDefinitions(),
      Directives: this.directives(false),
      SelectionSet: this.requiredSelectionSet(),
      Comment: comment,
    };
  }

  private operationType(): string {
    const t = this.next();
    if (t.value === 'query' || t.value === 'mutation' || t.value === 'subscription') return t.value;
    return this.unexpected(t);
  }

  private variableDefinitions(): Node[] {
    const defs: Node[] = [];
    this.some(Tok.ParenL, Tok.ParenR, () => defs.push(this.variableDefinition()));
    return defs;
  }

  private variableDefinition(): Node {
    const description = this.description();
    this.peek();
    const comment = joinComments(description.comment, this.comment);
    const position = this.pos();
    const variable = this.variable();
    this.expect(Tok.Colon);
    const type = this.typeReference();
    const defaultValue = this.skip(Tok.Equals) ? this.valueLiteral(true) : null;
    return {
      Position: position,
      Description: description.text,
      Variable: variable,
      Type: type,
      DefaultValue: defaultValue,
      Directives: this.directives(false),
      Comment: comment,
      Definition: null,
      Used: false,
    };
  }

  private variable(): string {
    this.expect(Tok.Dollar);
    return this.name();
  }

  private optionalSelectionSet(): Node[] {
    this.enterNested();
    const selections: Node[] = [];
    this.some(Tok.BraceL, Tok.BraceR, () => selections.push(this.selection()));
    this.depth--;
    return selections;
  }

  private requiredSelectionSet(): Node[] {
    const t = this.peek();
    if (t.kind !== Tok.BraceL) this.error(t, `Expected {, found ${TOKEN_TEXT[t.kind]}`);
    return this.optionalSelectionSet();
  }

  private selection(): Node {
    return this.peek().kind === Tok.Spread ? this.fragment() : this.field();
  }

  private field(): Node {
    this.peek();
    const comment = this.comment;
    const position = this.pos();
    const alias = this.name();
    const name = this.skip(Tok.Colon) ? this.name() : alias;
    const args = this.arguments(false);
    const directives = this.directives(false);
    const selectionSet = this.peek().kind === Tok.BraceL ? this.optionalSelectionSet() : null;
    return {
      Position: position,
      Alias: alias,
      Name: name,
      Arguments: args,
      Directives: directives,
      SelectionSet: selectionSet,
      Comment: comment,
      Definition: null,
      ObjectDefinition: null,
    };
  }

  private arguments(isConst: boolean): Node[] {
    const args: Node[] = [];
    this.some(Tok.ParenL, Tok.ParenR, () => {
      this.peek();
      const comment = this.comment;
      const position = this.pos();
      const name = this.name();
      this.expect(Tok.Colon);
      args.push({ Position: position, Name: name, Value: this.valueLiteral(isConst), Comment: comment });
    });
    return args;
  }

  private fragment(): Node {
    const { comment } = this.expect(Tok.Spread);
    const t = this.peek();
    const position = this.pos();
    if (t.kind === Tok.Name && t.value !== 'on')
      return {
        Position: position,
        Name: this.fragmentName(),
        Directives: this.directives(false),
        ObjectDefinition: null,
        Definition: null,
        Comment: comment,
      };
    let typeCondition = '';
    if (t.value === 'on') {
      this.next();
      typeCondition = this.name();
    }
    return {
      Position: position,
      TypeCondition: typeCondition,
      Directives: this.directives(false),
      SelectionSet: this.requiredSelectionSet(),
      ObjectDefinition: null,
      Comment: comment,
    };
  }

  private fragmentDefinition(description: Description): Node {
    this.peek();
    const comment = joinComments(description.comment, this.comment);
    const position = this.pos();
    this.expectKeyword('fragment');
    const name = this.fragmentName();
    const variables = this.variableDefinitions();
    this.expectKeyword('on');
    const typeCondition = this.name();
    return {
      Position: position,
      Description: description.text,
      Name: name,
      VariableDefinition: variables,
      TypeCondition: typeCondition,
      Directives: this.directives(false),
      SelectionSet: this.requiredSelectionSet(),
      Definition: null,
      Comment: comment,
    };
  }

  private fragmentName(): string {
    if (this.peek().value === 'on') this.unexpected();
    return this.name();
  }

  private value(
    position: Position,
    raw: string,
    kind: number,
    comment: Comments,
    children: Node[] | null = null,
  ): Node {
    return {
      Position: position,
      Raw: raw,
      Children: children,
      Kind: kind,
      Comment: comment,
      Definition: null,
      VariableDefinition: null,
      ExpectedType: null,
      ExpectedTypeHasDefault: false,
    };
  }

  private valueLiteral(isConst: boolean): Node {
    const t = this.peek();
    const comment = this.comment;
    const position = this.pos();
    let kind: number;
    switch (t.kind) {
      case Tok.BracketL:
      case Tok.BraceL: {
        const list = t.kind === Tok.BracketL;
        this.enterNested();
        const children: Node[] = [];
        this.many(list ? Tok.BracketL : Tok.BraceL, list ? Tok.BracketR : Tok.BraceR, () => {
          if (list) {
            children.push({ Name: '', Value: this.valueLiteral(isConst), Comment: null });
            return;
          }
          this.peek();
          const fieldComment = this.comment;
          const fieldPosition = this.pos();
          const name = this.name();
          this.expect(Tok.Colon);
          children.push({
            Position: fieldPosition,
            Name: name,
            Value: this.valueLiteral(isConst),
            Comment: fieldComment,
          });
        });
        this.depth--;
        return this.value(position, '', list ? VALUE_KIND.List : VALUE_KIND.Object, comment, children);
      }
      case Tok.Dollar:
        if (isConst) this.unexpected();
        // As in gqlparser, the comment is read after the variable is consumed: always none.
        return this.value(position, this.variable(), VALUE_KIND.Variable, null);
      case Tok.Int:
        kind = VALUE_KIND.Int;
        break;
      case Tok.Float:
        kind = VALUE_KIND.Float;
        break;
      case Tok.String:
        kind = VALUE_KIND.String;
        break;
      case Tok.BlockString:
        kind = VALUE_KIND.Block;
        break;
      case Tok.Name:
        kind =
          t.value === 'true' || t.value === 'false'
            ? VALUE_KIND.Boolean
            : t.value === 'null'
              ? VALUE_KIND.Null
              : VALUE_KIND.Enum;
        break;
      default:
        return this.unexpected();
    }
    this.next();
    return this.value(position, t.value, kind, null);
  }

  private directives(isConst: boolean): Node[] {
    const directives: Node[] = [];
    while (this.peek().kind === Tok.At) {
      this.expect(Tok.At);
      directives.push({
        Position: this.pos(),
        Name: this.name(),
        Arguments: this.arguments(isConst),
        ParentDefinition: null,
        Definition: null,
        Location: '',
      });
    }
    return directives;
  }

  private typeReference(): Node {
    let type: Node;
    if (this.skip(Tok.BracketL)) {
      this.enterNested();
      const position = this.pos();
      type = { Position: position, NamedType: '', Elem: this.typeReference(), NonNull: false };
      this.expect(Tok.BracketR);
      this.depth--;
    } else {
      const position = this.pos();
      type = { Position: position, NamedType: this.name(), Elem: null, NonNull: false };
    }
    if (this.skip(Tok.Bang)) type.NonNull = true;
    return type;
  }

  // ---- schemas ----

  private description(): Description {
    const t = this.peek();
    if (t.kind !== Tok.BlockString && t.kind !== Tok.String) return { text: '', comment: null, present: false };
    const comment = this.comment;
    return { text: this.next().value, comment, present: true };
  }

  schemaDocument(): Node {
    const doc: Record<string, Node[]> = {
      Schema: [],
      SchemaExtension: [],
      Directives: [],
      DirectiveExtensions: [],
      Definitions: [],
      Extensions: [],
    };
    while (this.peek().kind !== Tok.EOF) {
      const description = this.description();
      const t = this.peek();
      if (t.kind !== Tok.Name) this.unexpected();
      switch (t.value) {
        case 'scalar':
        case 'type':
        case 'interface':
        case 'union':
        case 'enum':
        case 'input':
          (doc.Definitions as Node[]).push(this.typeDefinition(t.value, description, false));
          break;
        case 'schema':
          (doc.Schema as Node[]).push(this.schemaDefinition(description, false));
          break;
        case 'directive':
          (doc.Directives as Node[]).push(this.directiveDefinition(description));
          break;
        case 'extend':
          if (description.text !== '') this.unexpected(this.prev);
          this.extension(doc);
          break;
        default:
          this.unexpected();
      }
    }
    this.peek();
    return { ...doc, Comment: this.comment };
  }

  private schemaDefinition(description: Description, extension: boolean): Node {
    const comment = this.expectKeyword('schema');
    const position = this.pos();
    const directives = this.directives(true);
    const operationTypes: Node[] = [];
    const end = this.some(Tok.BraceL, Tok.BraceR, () => {
      this.peek();
      const opComment = this.comment;
      const opPosition = this.pos();
      const operation = this.operationType();
      this.expect(Tok.Colon);
      operationTypes.push({ Position: opPosition, Operation: operation, Type: this.name(), Comment: opComment });
    });
    if (extension && directives.length === 0 && operationTypes.length === 0) this.unexpected();
    return {
      Position: position,
      Description: description.text,
      Directives: directives,
      OperationTypes: operationTypes,
      BeforeDescriptionComment: description.comment,
      AfterDescriptionComment: comment,
      EndOfDefinitionComment: end,
    };
  }

  private typeDefinition(keyword: string, description: Description, extension: boolean): Node {
    const comment = this.expectKeyword(keyword);
    const kinds: Record<string, string> = {
      scalar: 'SCALAR',
      type: 'OBJECT',
      interface: 'INTERFACE',
      union: 'UNION',
      enum: 'ENUM',
      input: 'INPUT_OBJECT',
    };
    const position = this.pos();
    const def: Node = {
      Position: position,
      Kind: kinds[keyword],
      Description: description.text,
      Name: this.name(),
      Directives: null,
      Interfaces: null,
      Fields: null,
      Types: null,
      EnumValues: null,
      BuiltIn: false,
      BeforeDescriptionComment: description.comment,
      AfterDescriptionComment: comment,
      EndOfDefinitionComment: null,
    };
    let empty: boolean;
    if (keyword === 'type' || keyword === 'interface') {
      const interfaces = this.implementsInterfaces();
      const directives = this.directives(true);
      const fields: Node[] = [];
      def.EndOfDefinitionComment = this.some(Tok.BraceL, Tok.BraceR, () => fields.push(this.fieldDefinition(true)));
      Object.assign(def, { Interfaces: interfaces, Directives: directives, Fields: fields });
      empty = interfaces.length === 0 && directives.length === 0 && fields.length === 0;
    } else if (keyword === 'input') {
      // gqlparser reads an input extension's directives as non-constant.
      const directives = this.directives(!extension);
      const fields: Node[] = [];
      def.EndOfDefinitionComment = this.some(Tok.BraceL, Tok.BraceR, () => fields.push(this.fieldDefinition(false)));
      Object.assign(def, { Directives: directives, Fields: fields });
      empty = directives.length === 0 && fields.length === 0;
    } else if (keyword === 'union') {
      const directives = this.directives(true);
      const types: string[] = [];
      const positions: Position[] = [];
      if (this.skip(Tok.Equals)) {
        this.skip(Tok.Pipe);
        positions.push(this.pos());
        types.push(this.name());
        while (this.skip(Tok.Pipe)) {
          positions.push(this.pos());
          types.push(this.name());
        }
      }
      Object.assign(def, { Directives: directives, Types: types, TypePositions: positions });
      empty = directives.length === 0 && types.length === 0;
    } else if (keyword === 'enum') {
      const directives = this.directives(true);
      const values: Node[] = [];
      def.EndOfDefinitionComment = this.some(Tok.BraceL, Tok.BraceR, () => {
        const desc = this.description();
        this.peek();
        const after = this.comment;
        values.push({
          Position: this.pos(),
          Description: desc.text,
          Name: this.name(),
          Directives: this.directives(true),
          BeforeDescriptionComment: desc.text !== '' ? desc.comment : null,
          AfterDescriptionComment: after,
        });
      });
      Object.assign(def, { Directives: directives, EnumValues: values });
      empty = directives.length === 0 && values.length === 0;
    } else {
      const directives = this.directives(true);
      def.Directives = directives;
      empty = directives.length === 0;
    }
    if (extension) {
      def.Description = '';
      def.BeforeDescriptionComment = null;
      if (empty) this.unexpected();
    }
    return def;
  }

  private implementsInterfaces(): string[] {
    const types: string[] = [];
    if (this.peek().value === 'implements') {
      this.next();
      this.skip(Tok.Amp);
      types.push(this.name());
      while (this.skip(Tok.Amp)) types.push(this.name());
    }
    return types;
  }

  /** A field of an object/interface (with arguments) or of an input object (with a default value). */
  private fieldDefinition(withArguments: boolean): Node {
    const desc = this.description();
    this.peek();
    const after = this.comment;
    const position = this.pos();
    const name = this.name();
    const args = withArguments ? this.argumentDefinitions() : null;
    this.expect(Tok.Colon);
    const type = this.typeReference();
    const defaultValue = !withArguments && this.skip(Tok.Equals) ? this.valueLiteral(true) : null;
    return {
      Position: position,
      Description: desc.text,
      Name: name,
      Arguments: args,
      DefaultValue: defaultValue,
      Type: type,
      Directives: this.directives(true),
      BeforeDescriptionComment: desc.text !== '' ? desc.comment : null,
      AfterDescriptionComment: after,
    };
  }

  private argumentDefinitions(): Node[] {
    const args: Node[] = [];
    this.some(Tok.ParenL, Tok.ParenR, () => {
      const desc = this.description();
      this.peek();
      const after = this.comment;
      const position = this.pos();
      const name = this.name();
      this.expect(Tok.Colon);
      const type = this.typeReference();
      const defaultValue = this.skip(Tok.Equals) ? this.valueLiteral(true) : null;
      args.push({
        Position: position,
        Description: desc.text,
        Name: name,
        DefaultValue: defaultValue,
        Type: type,
        Directives: this.directives(true),
        BeforeDescriptionComment: desc.text !== '' ? desc.comment : null,
        AfterDescriptionComment: after,
      });
    });
    return args;
  }

  private extension(doc: Record<string, Node[]>): void {
    const comment = this.expectKeyword('extend');
    const keyword = this.peek().value;
    const none: Description = { text: '', comment: null, present: false };
    switch (keyword) {
      case 'schema': {
        const def = this.schemaDefinition(none, true);
        def.AfterDescriptionComment = comment;
        (doc.SchemaExtension as Node[]).push(def);
        return;
      }
      case 'scalar':
      case 'type':
      case 'interface':
      case 'union':
      case 'enum':
      case 'input': {
        const def = this.typeDefinition(keyword, none, true);
        def.AfterDescriptionComment = comment;
        (doc.Extensions as Node[]).push(def);
        return;
      }
      case 'directive': {
        this.expectKeyword('directive');
        this.expect(Tok.At);
        const position = this.pos();
        const name = this.name();
        const directives = this.directives(true);
        if (directives.length === 0) this.unexpected();
        (doc.DirectiveExtensions as Node[]).push({
          Position: position,
          Description: '',
          Name: name,
          Arguments: null,
          Directives: directives,
          Locations: null,
          IsRepeatable: false,
          BeforeDescriptionComment: null,
          AfterDescriptionComment: comment,
        });
        return;
      }
      default:
        this.unexpected();
    }
  }

  private directiveDefinition(description: Description): Node {
    const comment = this.expectKeyword('directive');
    this.expect(Tok.At);
    const position = this.pos();
    const name = this.name();
    const args = this.argumentDefinitions();
    const directives = this.directives(true);
    let repeatable = false;
    const t = this.peek();
    if (t.kind === Tok.Name && t.value === 'repeatable') {
      repeatable = true;
      this.next();
    }
    this.expectKeyword('on');
    this.skip(Tok.Pipe);
    const locations = [this.directiveLocation()];
    while (this.skip(Tok.Pipe)) locations.push(this.directiveLocation());
    return {
      Position: position,
      Description: description.text,
      Name: name,
      Arguments: args,
      Directives: directives,
      Locations: locations,
      IsRepeatable: repeatable,
      BeforeDescriptionComment: description.comment,
      AfterDescriptionComment: comment,
    };
  }

  private directiveLocation(): string {
    const t = this.expect(Tok.Name).token;
    if (DIRECTIVE_LOCATIONS.has(t.value)) return t.value;
    return this.unexpected(t);
  }
}

/** Parses a query document; `onToken` is called per token read (the caller's budget). */
export function parseQueryDocument(input: string, onToken: () => void = () => {}): Node {
  return new Parser(input, onToken).queryDocument();
}

/** Parses a schema document; `onToken` is called per token read (the caller's budget). */
export function parseSchemaDocument(input: string, onToken: () => void = () => {}): Node {
  return new Parser(input, onToken).schemaDocument();
}

/** Keys gqlparser's JSON has no place for, or that OPA's pruning drops. */
const DROPPED_KEYS = new Set(['Position', 'TypePositions']);

/** A container being converted: its items so far, and where it goes in its parent. */
interface Frame {
  items: [string | number, unknown][];
  next: number;
  isArray: boolean;
  out: [string | number, Value][];
  key: string | number;
}

/**
 * The document as OPA returns it, pruned: no `Position`, no nulls, no empty arrays or objects
 * (recursively: an object left empty by pruning goes too). Iterative, so the 1,000 levels of nesting the
 * parser allows (several JS objects each) cannot exhaust the stack.
 */
export function prunedValue(document: Node): Value {
  const frame = (x: object, key: string | number): Frame => ({
    items: Array.isArray(x) ? x.map((v, i): [number, unknown] => [i, v]) : Object.entries(x),
    next: 0,
    isArray: Array.isArray(x),
    out: [],
    key,
  });
  const stack: Frame[] = [frame(document, '')];
  for (;;) {
    const top = stack[stack.length - 1] as Frame;
    if (top.next < top.items.length) {
      const [key, v] = top.items[top.next++] as [string | number, unknown];
      if (v === null || v === undefined || (typeof key === 'string' && DROPPED_KEYS.has(key))) continue;
      if (typeof v === 'object') stack.push(frame(v, key));
      else top.out.push([key, v as Value]);
      continue;
    }
    stack.pop();
    const value: Value = top.isArray
      ? top.out.map(([, x]) => x)
      : new RegoObject(top.out.map(([k, x]): [Value, Value] => [k, x]));
    const parent = stack[stack.length - 1];
    if (!parent) return value;
    if (top.out.length > 0) parent.out.push([top.key, value]);
  }
}
