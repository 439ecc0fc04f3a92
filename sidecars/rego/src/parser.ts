// Recursive-descent parser for Rego v0 and v1 modules, queries and terms.
import type { Expr, Import, Location, Module, Rule, Term, With } from './ast';
import { CompileError, ParseError } from './errors';
import { tokenize, type Comment, type Token } from './lexer';
import { parse as parseYaml } from 'yaml';
import { NumberText, RegoObject, RegoSet, fromJS, normalizeNumber, numberFromText, type Value } from './value';

/** Which Rego syntax a module is written in. */
export type RegoVersion = 'v0' | 'v1';

/** Options for parsing. */
export interface ParseOptions {
  regoVersion?: RegoVersion;
  /** Enables the experimental `and` / `or` / `not { }` keywords without an import. */
  experimentalKeywords?: boolean;
}

const V1_KEYWORDS = ['if', 'contains', 'in', 'every'];
const RESERVED = new Set([
  'package',
  'import',
  'default',
  'else',
  'not',
  'with',
  'as',
  'some',
  'true',
  'false',
  'null',
]);

/** Keywords that may be followed directly by a term such as an array (`x in[1]`, `with input as[1]`). */
const INFIX_KEYWORDS = new Set(['in', 'contains', 'as', 'if', 'else', 'not', 'with']);

const INFIX_CALLS: Record<string, string> = {
  '==': 'equal',
  '!=': 'neq',
  '<': 'lt',
  '<=': 'lte',
  '>': 'gt',
  '>=': 'gte',
  '+': 'plus',
  '-': 'minus',
  '*': 'mul',
  '/': 'div',
  '%': 'rem',
  '|': 'or',
  '&': 'and',
};

class Parser {
  private pos = 0;
  private readonly keywords = new Set<string>();
  private readonly tokens: Token[];
  private wildcardCount = 0;
  private readonly comments: Comment[] = [];
  /** `import rego.v1` (or v2): v1's rules in a v0 module. */
  private importsRegoV1 = false;

  constructor(
    source: string,
    private readonly file: string,
    private readonly regoVersion: RegoVersion,
    experimental: boolean,
  ) {
    this.tokens = tokenize(source, file, this.comments);
    if (regoVersion === 'v1') for (const k of V1_KEYWORDS) this.keywords.add(k);
    if (experimental) for (const k of ['and', 'or', 'notbody']) this.keywords.add(k);
  }

  // ---- token helpers -------------------------------------------------------------------------

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  private skipNewlines(): void {
    while (this.peek().kind === 'newline') this.pos++;
  }

  private isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'op' && t.text === text;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return (
      t.kind === 'ident' &&
      t.text === word &&
      (this.keywords.has(word) || RESERVED.has(word)) &&
      !this.keywordStartsRef(offset)
    );
  }

  private isIdent(word: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && t.text === word && !this.keywordStartsRef(0);
  }

  /**
   * Like OPA, a keyword directly followed by `.` or `[` is the head of a reference (`if.x := 1`,
   * `not.foo == 1`), except where the keyword is an infix operator that may precede a term (`x in[1]`).
   */
  private keywordStartsRef(offset: number): boolean {
    const t = this.peek(offset);
    const next = this.peek(offset + 1);
    if (t.kind !== 'ident' || next.kind !== 'op' || next.spaced) return false;
    if (next.text === '.') return true;
    return next.text === '[' && !INFIX_KEYWORDS.has(t.text);
  }

  private fail(expected: string, token: Token = this.peek()): never {
    const found =
      token.kind === 'eof'
        ? 'end of file'
        : token.kind === 'newline'
          ? 'end of line'
          : `${token.kind === 'string' ? 'string' : 'token'} "${token.text}"`;
    const tokenName =
      token.kind === 'eof'
        ? 'eof'
        : token.kind === 'newline'
          ? 'newline'
          : token.kind === 'op'
            ? token.text
            : token.kind;
    throw new ParseError(this.file, token.line, token.column, expected, found, tokenName);
  }

  private expectOp(text: string): Token {
    if (!this.isOp(text)) this.fail(`"${text}"`);
    return this.next();
  }

  private loc(t: Token = this.peek()): Location {
    return { file: this.file, line: t.line, column: t.column };
  }

  // ---- modules -------------------------------------------------------------------------------

  parseModule(): Module {
    this.skipNewlines();
    if (!this.isIdent('package')) this.fail('"package"');
    const packageAnnotations = this.annotationsBefore(this.peek().line, 'package');
    this.next();
    const packagePath = this.parsePackagePath();
    const imports: Import[] = [];
    const rules: Rule[] = [];
    this.endOfStatement();
    for (;;) {
      this.skipNewlines();
      if (this.peek().kind === 'eof') break;
      if (this.isIdent('import')) {
        imports.push(this.parseImport());
        this.endOfStatement();
        continue;
      }
      if (this.isIdent('package')) this.fail('a rule or import (only one package per module)');
      rules.push(...this.parseRule());
      this.endOfStatement();
    }
    return {
      file: this.file,
      packagePath,
      imports,
      rules,
      regoVersion: this.regoVersion,
      packageAnnotations,
      comments: this.comments,
    };
  }

  /** Reads a `# METADATA` comment block ending on the line above `line` (YAML after the marker). */
  private annotationsBefore(line: number, defaultScope: string): Value | undefined {
    const byLine = new Map(this.comments.map((c) => [c.line, c.text]));
    const block: string[] = [];
    for (let l = line - 1; byLine.has(l); l--) block.unshift(byLine.get(l) as string);
    const start = block.findIndex((t) => t.trim() === 'METADATA');
    if (start < 0) return undefined;
    const yamlText = block
      .slice(start + 1)
      .map((t) => (t.startsWith(' ') ? t.slice(1) : t))
      .join('\n');
    let parsed: unknown;
    try {
      parsed = parseYaml(yamlText) ?? {};
    } catch (err) {
      throw new ParseError(
        this.file,
        line - block.length + start,
        1,
        'valid YAML in the METADATA block',
        String(err instanceof Error ? err.message.split('\n')[0] : err),
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new ParseError(
        this.file,
        line - block.length + start,
        1,
        'a YAML mapping in the METADATA block',
        'another YAML value',
      );
    const raw = parsed as Record<string, unknown>;
    const out: Record<string, unknown> = { ...raw, scope: raw.scope ?? defaultScope };
    if (Array.isArray(raw.authors))
      out.authors = raw.authors.map((a) => {
        if (typeof a !== 'string') return a;
        const m = /^(.*?)\s*<([^>]+)>$/.exec(a);
        return m ? (m[1] ? { name: m[1], email: m[2] } : { email: m[2] }) : { name: a };
      });
    if (Array.isArray(raw.related_resources))
      out.related_resources = raw.related_resources.map((r) => (typeof r === 'string' ? { ref: r } : r));
    return fromJS(out);
  }

  private endOfStatement(): void {
    const t = this.peek();
    if (t.kind === 'newline' || t.kind === 'eof') return;
    if (t.kind === 'op' && t.text === ';') {
      this.next();
      return;
    }
    this.fail('end of line');
  }

  private parsePackagePath(): string[] {
    const path: string[] = [];
    const first = this.next();
    if (first.kind !== 'ident') this.fail('a package name', first);
    path.push(first.text);
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.kind !== 'ident') this.fail('ident', t);
        path.push(t.text);
      } else if (this.isOp('[') && !this.peek().spaced) {
        this.next();
        const t = this.next();
        if (t.kind !== 'string') this.fail('a string in package path', t);
        path.push(t.value as string);
        this.expectOp(']');
      } else break;
    }
    return path;
  }

  private parseImport(): Import {
    const start = this.next();
    const head = this.next();
    if (head.kind !== 'ident') this.fail('an import path', head);
    const path: Term[] = [];
    const loc = this.loc(head);
    while (this.isOp('.') || (this.isOp('[') && !this.peek().spaced)) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.kind !== 'ident') this.fail('a name after "."', t);
        path.push({ type: 'scalar', value: t.text, loc: this.loc(t) });
      } else {
        this.next();
        const t = this.next();
        if (t.kind !== 'string') this.fail('a string', t);
        path.push({ type: 'scalar', value: t.value as string, loc: this.loc(t) });
        this.expectOp(']');
      }
    }
    const names = path.map((p) => (p.type === 'scalar' ? String(p.value) : ''));
    if (head.text === 'future') {
      if (names[0] !== 'keywords') this.fail('"future.keywords"', start);
      const kw = names[1];
      if (kw === undefined) for (const k of [...V1_KEYWORDS, 'and', 'or', 'notbody']) this.keywords.add(k);
      else if (kw === 'and' || kw === 'or') this.keywords.add(kw);
      else if (kw === 'not') this.keywords.add('notbody');
      else if (V1_KEYWORDS.includes(kw)) {
        this.keywords.add(kw);
        // OPA's scanner: importing `every` also imports `in` (`every x in xs` needs it).
        if (kw === 'every') this.keywords.add('in');
      } else throw new ParseError(this.file, start.line, start.column, 'a known future keyword', `"${kw}"`);
    } else if (head.text === 'rego') {
      if (names.length !== 1 || (names[0] !== 'v1' && names[0] !== 'v2')) this.fail('"rego.v1" or "rego.v2"', start);
      this.importsRegoV1 = true;
      for (const k of V1_KEYWORDS) this.keywords.add(k);
      // rego.v2 also turns on the logical keywords and not-bodies, per module.
      if (names[0] === 'v2') for (const k of ['and', 'or', 'notbody']) this.keywords.add(k);
    } else if (head.text !== 'data' && head.text !== 'input') {
      throw new ParseError(
        this.file,
        head.line,
        head.column,
        'an import path starting with data, input, future or rego',
        `"${head.text}"`,
      );
    }
    let alias: string | undefined;
    if (this.isIdent('as')) {
      this.next();
      const t = this.next();
      if (t.kind !== 'ident') this.fail('an alias name', t);
      alias = t.text;
    }
    return {
      path: { type: 'ref', head: { type: 'var', name: head.text, loc }, path, loc },
      alias,
      loc: this.loc(start),
    };
  }

  // ---- rules ---------------------------------------------------------------------------------

  private parseRule(): Rule[] {
    const start = this.peek();
    const annotations = this.annotationsBefore(start.line, 'rule');
    const isDefault = this.isIdent('default');
    if (isDefault) this.next();
    const nameTok = this.peek();
    const refHead = this.keywordStartsRef(0);
    if (nameTok.kind !== 'ident' || (RESERVED.has(nameTok.text) && nameTok.text !== 'else' && !refHead))
      this.fail(isDefault ? 'a rule name after default' : 'a rule, import or end of file');
    if (this.keywords.has(nameTok.text) && V1_KEYWORDS.includes(nameTok.text) && !refHead)
      this.fail('a rule name', nameTok);
    this.next();
    const ref: Term[] = [{ type: 'var', name: nameTok.text, loc: this.loc(nameTok) }];
    let lastWasBracket = false;
    while (this.isOp('.') || (this.isOp('[') && !this.peek().spaced)) {
      lastWasBracket = this.isOp('[');
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.kind !== 'ident') this.fail('a name after "."', t);
        ref.push({ type: 'scalar', value: t.text, loc: this.loc(t) });
      } else {
        this.next();
        this.skipNewlines();
        ref.push(this.parseTermIn());
        this.skipNewlines();
        this.expectOp(']');
      }
    }
    const loc = this.loc(start);
    let args: Term[] | undefined;
    if (this.isOp('(') && !this.peek().spaced) {
      this.next();
      args = this.parseTermList(')');
    }
    // `f() := x` declares no function: like OPA, it is the complete rule `f` (used as `f`, not `f()`).
    if (args?.length === 0) args = undefined;
    let kind: Rule['kind'] = args ? 'function' : 'single';
    let key: Term | undefined;
    let value: Term | undefined;
    const assign = this.isOp(':=');
    if (isDefault) {
      if (!this.isOp('=') && !this.isOp(':=')) this.fail('"=" or ":=" after default rule name');
      this.next();
      value = this.parseTermIn();
      return [{ ref, kind, isDefault, value, args, body: [], loc, annotations, assign }];
    }
    if (this.isKeyword('contains')) {
      if (args) this.fail('"if", "=" or ":=" after function head');
      this.next();
      key = this.parseTermIn();
      kind = 'multi';
    } else if (this.isOp('=') || this.isOp(':=')) {
      this.next();
      value = this.parseTermIn();
    }
    // Like OPA: `p[x]` without `if`, `contains` or a value is a multi-value rule (pre-1.0 partial set);
    // with `if` it is a single-value rule under key x; longer refs (`p.q[x]`) are single-value.
    if (
      kind === 'single' &&
      value === undefined &&
      args === undefined &&
      ref.length === 2 &&
      lastWasBracket &&
      !this.isKeyword('if')
    ) {
      if (this.regoVersion === 'v1' || this.importsRegoV1)
        throw new CompileError('rego_parse_error', '`contains` keyword is required for partial set rules', loc);
      key = ref.pop();
      kind = 'multi';
    }
    const hasIf = this.isKeyword('if');
    const body = this.parseRuleBody(kind === 'multi' || value !== undefined || args !== undefined);
    const generatedValue = value === undefined && kind !== 'multi';
    if (value === undefined) value = { type: 'scalar', value: true, loc };
    const rule: Rule = {
      ref,
      kind,
      isDefault,
      key,
      value,
      args,
      body: body ?? [trueExpr(loc)],
      loc,
      annotations,
      assign,
      hasIf,
      generatedValue,
    };
    let current = rule;
    for (;;) {
      const save = this.pos;
      this.skipNewlines();
      if (!this.isIdent('else')) {
        this.pos = save;
        break;
      }
      if (kind === 'multi') this.fail('no else on multi-value rules');
      const elseTok = this.next();
      let elseValue: Term = { type: 'scalar', value: true, loc: this.loc(elseTok) };
      const elseAssign = this.isOp(':=');
      if (this.isOp('=') || elseAssign) {
        this.next();
        elseValue = this.parseTermIn();
      }
      const elseHasIf = this.isKeyword('if');
      const elseBody = this.parseRuleBody(true);
      const elseRule: Rule = {
        ref,
        kind,
        isDefault: false,
        value: elseValue,
        args,
        body: elseBody ?? [trueExpr(this.loc(elseTok))],
        loc: this.loc(elseTok),
        assign: elseAssign,
        hasIf: elseHasIf,
      };
      current.elseRule = elseRule;
      current = elseRule;
    }
    const rules = [rule];
    // v0 allows several bodies in one rule: `p { a } { b }`.
    while (this.regoVersion === 'v0' && this.isOp('{') && body) {
      const more = this.parseBlockBody();
      rules.push({ ...rule, body: more, elseRule: undefined });
    }
    return rules;
  }

  /** Parses `if { ... }`, `if expr`, or (v0) `{ ... }`; returns undefined when the rule has no body. */
  private parseRuleBody(hasValue: boolean): Expr[] | undefined {
    if (this.isKeyword('if')) {
      this.next();
      if (this.isOp('{')) {
        const save = this.pos;
        try {
          return this.parseBlockBody();
        } catch (e) {
          // `if {"a": 1}[x]`-style bodies are single expressions starting with a term.
          this.pos = save;
          try {
            return [this.parseLiteral()];
          } catch {
            throw e;
          }
        }
      }
      return [this.parseLiteral()];
    }
    if (this.isOp('{')) {
      if (this.regoVersion === 'v1') this.fail('"if" before the rule body ("if" is required in Rego v1)');
      return this.parseBlockBody();
    }
    if (!hasValue && this.regoVersion === 'v1') {
      const t = this.peek();
      if (t.kind !== 'newline' && t.kind !== 'eof' && !this.isOp(';'))
        this.fail('"if", "contains", ":=" or end of line');
    }
    return undefined;
  }

  private parseBlockBody(): Expr[] {
    this.expectOp('{');
    const body = this.parseBody('}');
    this.expectOp('}');
    return body;
  }

  /** Parses literals separated by ";" or newlines until the closing token. */
  parseBody(close: string | null): Expr[] {
    const body: Expr[] = [];
    for (;;) {
      while (this.peek().kind === 'newline' || this.isOp(';')) this.next();
      const t = this.peek();
      if (close !== null && t.kind === 'op' && t.text === close) break;
      if (t.kind === 'eof') {
        if (close === null) break;
        this.fail(`"${close}"`);
      }
      body.push(this.parseLiteral());
      const after = this.peek();
      if (after.kind === 'newline' || (after.kind === 'op' && after.text === ';')) continue;
      if (close !== null && after.kind === 'op' && after.text === close) break;
      if (after.kind === 'eof' && close === null) break;
      this.fail(close === null ? '";" or end of line' : `";", end of line or "${close}"`);
    }
    if (body.length === 0) this.fail('a non-empty body');
    return body;
  }

  // ---- literals ------------------------------------------------------------------------------

  parseLiteral(): Expr {
    if (this.keywords.has('and') || this.keywords.has('or')) {
      const e = this.parseLogicalOr();
      if (e.kind === 'and' || e.kind === 'or') return this.withModifiers(e);
      return e.with.length > 0 ? e : this.withModifiers(e);
    }
    return this.parseSimpleLiteral();
  }

  private parseLogicalOr(): Expr {
    let left = this.parseLogicalAnd();
    while (this.isKeyword('or')) {
      const t = this.next();
      this.skipNewlines();
      const right = this.parseLogicalAnd();
      left = { kind: 'or', left, right, with: [], loc: this.loc(t) };
    }
    return left;
  }

  private parseLogicalAnd(): Expr {
    let left = this.parseLogicalOperand();
    while (this.isKeyword('and')) {
      const t = this.next();
      this.skipNewlines();
      const right = this.parseLogicalOperand();
      left = { kind: 'and', left, right, with: [], loc: this.loc(t) };
    }
    return left;
  }

  private parseLogicalOperand(): Expr {
    const start = this.peek();
    if (this.isOp('{')) {
      const save = this.pos;
      try {
        const body = this.parseBlockBody();
        if (this.isKeyword('and') || this.isKeyword('or') || this.prevIsLogical(save)) {
          return this.withModifiers({ kind: 'block', body, with: [], loc: this.loc(start) });
        }
      } catch {
        // not a block: fall through to a term
      }
      this.pos = save;
    }
    if (this.isOp('(')) {
      const save = this.pos;
      try {
        this.next();
        this.skipNewlines();
        const inner = this.parseLiteral();
        this.skipNewlines();
        this.expectOp(')');
        if (inner.kind === 'and' || inner.kind === 'or' || inner.kind === 'block' || inner.with.length > 0)
          return { kind: 'block', body: [inner], with: [], loc: this.loc(start) };
      } catch {
        // a parenthesised term
      }
      this.pos = save;
    }
    return this.parseSimpleLiteral(true);
  }

  private prevIsLogical(pos: number): boolean {
    let i = pos - 1;
    while (i >= 0 && this.tokens[i]?.kind === 'newline') i--;
    const t = this.tokens[i];
    return t !== undefined && t.kind === 'ident' && (t.text === 'and' || t.text === 'or' || t.text === 'not');
  }

  private parseSimpleLiteral(noWith = false): Expr {
    const start = this.peek();
    if (noWith) {
      const saved = this.withModifiers;
      this.withModifiers = (e: Expr): Expr => e;
      try {
        return this.parseSimpleLiteral(false);
      } finally {
        this.withModifiers = saved;
      }
    }
    const loc = this.loc(start);
    if (this.isIdent('some')) {
      this.next();
      return this.withModifiers(this.parseSome(loc));
    }
    if (this.isKeyword('every')) {
      this.next();
      return this.withModifiers(this.parseEvery(loc));
    }
    if (this.isIdent('not')) {
      this.next();
      if (this.isOp('{') && this.keywords.has('notbody')) {
        const body = this.parseBlockBody();
        return this.withModifiers({ kind: 'notbody', body, with: [], loc });
      }
      if (this.isOp('(') && (this.keywords.has('and') || this.keywords.has('or'))) {
        const save = this.pos;
        try {
          this.next();
          const inner = this.parseLogicalOr();
          this.expectOp(')');
          if (inner.kind === 'and' || inner.kind === 'or')
            return this.withModifiers({ kind: 'notbody', body: [inner], with: [], loc });
        } catch {
          // a parenthesised term
        }
        this.pos = save;
      }
      const inner = this.parseExprTerm();
      const negated: Expr = { kind: 'term', term: inner, with: [], loc };
      // With not-bodies on (future.keywords.not, rego.v2), OPA parses `not x` as the body `not { x }`: the
      // compiler then leaves undefined operands inside the negation.
      const expr: Expr = this.keywords.has('notbody')
        ? { kind: 'notbody', body: [negated], with: [], loc }
        : { kind: 'not', expr: negated, with: [], loc };
      return this.withModifiers(expr);
    }
    const term = this.parseExprTerm();
    return this.withModifiers({ kind: 'term', term, with: [], loc });
  }

  private withModifiers = (expr: Expr): Expr => {
    for (;;) {
      let ahead = 0;
      while (this.peek(ahead).kind === 'newline') ahead++;
      const look = this.peek(ahead);
      if (!(look.kind === 'ident' && look.text === 'with') || this.keywordStartsRef(ahead)) break;
      this.pos += ahead;
      const t = this.next();
      // `with` may end a line; its target follows on the next.
      this.skipNewlines();
      const target = this.parseTermRelation(false);
      if (!this.isIdent('as')) this.fail('"as" after with target');
      this.next();
      const value = this.parseTermIn();
      const w: With = { target, value, loc: this.loc(t) };
      expr.with.push(w);
    }
    return expr;
  };

  /** An expression term: `a = b`, `a := b`, `k, v in xs`, or any term. */
  private parseExprTerm(): Term {
    const start = this.peek();
    const loc = this.loc(start);
    const left = this.parseTermKeyValueIn();
    if (this.isOp('=') || this.isOp(':=')) {
      const op = this.next();
      this.skipNewlines();
      // Like OPA's parseExpr, both sides may be a `key, value in xs` membership (`x := 1, "a" in xs`).
      const right = this.parseTermKeyValueIn();
      if (op.text === ':=' && !isAssignable(left))
        throw new ParseError(
          this.file,
          start.line,
          start.column,
          'a variable, array or object on the left of ":="',
          `"${describe(left)}"`,
        );
      return call(op.text === '=' ? 'eq' : 'assign', [left, right], loc);
    }
    return left;
  }

  /**
   * `$"a {expr} b"` becomes `internal.template_string(["a ", {x | x = expr}, " b"])`, as OPA's compiler
   * rewrites it: an undefined expression prints `<undefined>`, several values are a conflict.
   */
  private parseTemplateString(): Term {
    const start = this.peek();
    const loc = this.loc(start);
    const parts: Term[] = [];
    for (;;) {
      const part = this.next();
      if (part.kind !== 'template') this.fail('"}" to end the template-string expression', part);
      if (part.value) parts.push({ type: 'scalar', value: part.value, loc: this.loc(part) });
      if (part.end) break;
      this.skipNewlines();
      const exprTok = this.peek();
      const expr = this.parseSimpleLiteral();
      this.skipNewlines();
      const exprLoc = this.loc(exprTok);
      const bad =
        expr.kind === 'not'
          ? 'negation ("not")'
          : expr.kind === 'some' || expr.kind === 'somein'
            ? '"some"'
            : expr.kind === 'every'
              ? '"every"'
              : expr.kind === 'term' && expr.term.type === 'call' && expr.term.name === 'eq'
                ? 'unification ("=")'
                : expr.kind === 'term' && expr.term.type === 'call' && expr.term.name === 'assign'
                  ? 'assignment (":=")'
                  : expr.kind !== 'term'
                    ? 'expression'
                    : undefined;
      if (bad !== undefined || expr.kind !== 'term')
        throw new ParseError(
          this.file,
          exprLoc.line,
          exprLoc.column,
          'a term or call in the template-string expression',
          bad ?? 'expression',
        );
      const head: Term = { type: 'var', name: `$${this.wildcardCount++}`, loc: exprLoc };
      const capture: Expr = {
        kind: 'term',
        term: call('eq', [head, expr.term], exprLoc),
        with: expr.with,
        loc: exprLoc,
      };
      parts.push({ type: 'setcompr', head, body: [capture], loc: exprLoc });
    }
    const template = call('internal.template_string', [{ type: 'array', items: parts, loc }], loc) as Term & {
      type: 'call';
    };
    return start.raw ? { ...template, multiLine: true } : template;
  }

  private parseSome(loc: Location): Expr {
    const first = this.parseTermRelation(true);
    const items: Term[] = [first];
    while (this.isOp(',')) {
      this.next();
      this.skipNewlines();
      items.push(this.parseTermRelation(true));
    }
    if (this.isKeyword('in')) {
      this.next();
      if (items.length > 2) this.fail('one or two terms before "in"');
      const collection = this.parseTermRelation(true);
      if (this.isKeyword('in') && items.length === 1) {
        // `some x in xs in ys` (also `some x in xs` / `-1 in ys`, the minus continuing the line) declares
        // nothing OPA can bind: it reads the membership of the membership, whose x is then unsafe.
        const membership = call('internal.member_2', [first, collection], loc);
        return { kind: 'term', term: this.continueIn(membership), with: [], loc };
      }
      if (items.length === 2)
        return { kind: 'somein', key: items[0], value: items[1] as Term, collection, with: [], loc };
      return { kind: 'somein', value: first, collection, with: [], loc };
    }
    for (const t of items)
      if (t.type !== 'var')
        throw new ParseError(this.file, t.loc.line, t.loc.column, 'a variable name after "some"', `"${describe(t)}"`);
    return { kind: 'some', vars: items, with: [], loc };
  }

  private parseEvery(loc: Location): Expr {
    const first = this.parseTermRelation(true);
    let key: Term | undefined;
    let value = first;
    if (this.isOp(',')) {
      this.next();
      key = first;
      value = this.parseTermRelation(true);
    }
    if (!this.isKeyword('in')) this.fail('"in" after every variables');
    this.next();
    const domain = this.parseTermRelation(true);
    for (const t of key ? [key, value] : [value])
      if (t.type !== 'var')
        throw new ParseError(this.file, t.loc.line, t.loc.column, 'a variable in every', `"${describe(t)}"`);
    const body = this.parseBlockBody();
    return { kind: 'every', key, value, domain, body, with: [], loc };
  }

  // ---- terms ---------------------------------------------------------------------------------

  /** A term that may also be `key, value in xs` (then `in ys` may follow): only where OPA's parser allows it. */
  private parseTermKeyValueIn(): Term {
    const left = this.parseTermIn();
    if (!(this.isOp(',') && this.keywords.has('in'))) return left;
    this.next();
    const value = this.parseTermRelation(true);
    if (!this.isKeyword('in')) this.fail('"in" after "key, value"');
    this.next();
    this.skipNewlines();
    let member = call('internal.member_3', [left, value, this.parseTermRelation(true)], left.loc);
    while (this.isKeyword('in')) {
      const t = this.next();
      this.skipNewlines();
      member = call('internal.member_2', [member, this.parseTermRelation(true)], this.loc(t));
    }
    return member;
  }

  parseTermIn(): Term {
    let left = this.parseTermRelation(true);
    while (this.isKeyword('in')) {
      const t = this.next();
      this.skipNewlines();
      left = call('internal.member_2', [left, this.parseTermRelation(true)], this.loc(t));
    }
    return left;
  }

  private parseTermRelation(allowOr: boolean): Term {
    let left = this.parseBinary(allowOr ? 0 : 1);
    for (;;) {
      const ahead = this.newlinesBefore();
      const t = this.peek(ahead);
      if (t.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.text)) {
        this.pos += ahead;
        this.next();
        this.skipNewlines();
        const right = this.parseBinary(allowOr ? 0 : 1);
        left = call(INFIX_CALLS[t.text] as string, [left, right], left.loc);
      } else return left;
    }
  }

  private static readonly LEVELS = [['|'], ['&'], ['+', '-'], ['*', '/', '%']];

  /**
   * Newlines before the next token. OPA continues an expression when the next line starts with an infix
   * operator (`x := a` / `  + b`, and `-1` after a term is `- 1`), so operators are looked for past them.
   */
  private newlinesBefore(): number {
    let ahead = 0;
    while (this.peek(ahead).kind === 'newline') ahead++;
    return ahead;
  }

  private parseBinary(level: number): Term {
    if (level >= Parser.LEVELS.length) return this.parseUnary();
    const ops = Parser.LEVELS[level] as string[];
    let left = this.parseBinary(level + 1);
    for (;;) {
      const ahead = this.newlinesBefore();
      const t = this.peek(ahead);
      if (t.kind === 'op' && ops.includes(t.text)) {
        this.pos += ahead;
        this.next();
        this.skipNewlines();
        const right = this.parseBinary(level + 1);
        left = call(INFIX_CALLS[t.text] as string, [left, right], left.loc);
      } else return left;
    }
  }

  private parseUnary(): Term {
    if (this.isOp('-')) {
      const t = this.next();
      const n = this.peek();
      if (n.kind === 'number' && !n.spaced) {
        this.next();
        return this.parseRefSuffix({ type: 'scalar', value: negate(parseNumber(n.text)), loc: this.loc(t) });
      }
      const operand = this.parseUnary();
      return call('minus', [{ type: 'scalar', value: 0, loc: this.loc(t) }, operand], this.loc(t));
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Term {
    const t = this.peek();
    const loc = this.loc(t);
    switch (t.kind) {
      case 'number':
        this.next();
        return this.parseRefSuffix({ type: 'scalar', value: parseNumber(t.text), loc });
      case 'string':
        this.next();
        return this.parseRefSuffix({ type: 'scalar', value: t.value as string, loc });
      case 'template':
        return this.parseRefSuffix(this.parseTemplateString());
      case 'ident': {
        const refHead = this.keywordStartsRef(0);
        if ((t.text === 'true' || t.text === 'false') && !refHead) {
          this.next();
          return { type: 'scalar', value: t.text === 'true', loc };
        }
        if (t.text === 'null' && !refHead) {
          this.next();
          return { type: 'scalar', value: null, loc };
        }
        if (t.text === 'set' && this.isOp('(', 1) && this.peek(2).kind === 'op' && this.peek(2).text === ')') {
          this.next();
          this.next();
          this.next();
          return this.parseRefSuffix({ type: 'set', items: [], loc });
        }
        const isCall = this.isOp('(', 1) && !this.peek(1).spaced;
        if (
          !refHead &&
          (RESERVED.has(t.text) || (this.keywords.has(t.text) && !isCall && !['and', 'or', 'notbody'].includes(t.text)))
        )
          this.fail('a term');
        if (this.keywords.has(t.text) && (t.text === 'and' || t.text === 'or')) this.fail('a term');
        this.next();
        let name = t.text;
        if (name === '_') name = `$${this.wildcardCount++}`;
        return this.parseRefSuffix({ type: 'var', name, loc });
      }
      case 'op':
        if (t.text === '[') return this.parseRefSuffix(this.parseArray());
        if (t.text === '{') return this.parseRefSuffix(this.parseBrace());
        if (t.text === '(') {
          this.next();
          this.skipNewlines();
          const inner = this.parseTermKeyValueIn();
          this.skipNewlines();
          this.expectOp(')');
          return this.parseRefSuffix(inner);
        }
        break;
    }
    return this.fail('a term');
  }

  private parseRefSuffix(head: Term): Term {
    let term = head;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && t.text === '.' && !t.spaced) {
        this.next();
        const name = this.next();
        if (name.kind !== 'ident') this.fail('a name after "."', name);
        term = appendRef(term, { type: 'scalar', value: name.text, loc: this.loc(name) });
      } else if (t.kind === 'op' && t.text === '[' && !t.spaced) {
        this.next();
        this.skipNewlines();
        const index = this.parseTermIn();
        this.skipNewlines();
        this.expectOp(']');
        term = appendRef(term, index);
      } else if (t.kind === 'op' && t.text === '(' && !t.spaced && isCallable(term)) {
        this.next();
        const args = this.parseTermList(')');
        term = { type: 'call', name: refName(term), fn: term, args, loc: term.loc };
      } else return term;
    }
  }

  private parseTermList(close: string): Term[] {
    const items: Term[] = [];
    this.skipNewlines();
    while (!this.isOp(close)) {
      items.push(this.parseTermIn());
      this.skipNewlines();
      if (this.isOp(',')) {
        this.next();
        this.skipNewlines();
      } else if (!this.isOp(close)) this.fail(`"," or "${close}"`);
    }
    this.next();
    return items;
  }

  private parseArray(): Term {
    const open = this.next();
    const loc = this.loc(open);
    this.skipNewlines();
    if (this.isOp(']')) {
      this.next();
      return { type: 'array', items: [], loc };
    }
    const first = this.parseTermRelationNoOr();
    this.skipNewlines();
    if (this.isOp('|')) {
      this.next();
      const body = this.parseBody(']');
      this.expectOp(']');
      return { type: 'arraycompr', head: first, body, loc };
    }
    const items = [this.continueIn(first)];
    this.skipNewlines();
    if (this.isOp(',')) {
      this.next();
      items.push(...this.parseTermList(']'));
    } else this.expectOp(']');
    return { type: 'array', items, loc };
  }

  private parseBrace(): Term {
    const open = this.next();
    const loc = this.loc(open);
    this.skipNewlines();
    if (this.isOp('}')) {
      this.next();
      return { type: 'object', items: [], loc };
    }
    const first = this.parseTermRelationNoOr();
    this.skipNewlines();
    if (this.isOp(':')) {
      this.next();
      this.skipNewlines();
      const value = this.parseTermRelationNoOr();
      this.skipNewlines();
      if (this.isOp('|')) {
        this.next();
        const body = this.parseBody('}');
        this.expectOp('}');
        return { type: 'objectcompr', key: first, value, body, loc };
      }
      const items: [Term, Term][] = [[first, this.continueIn(value)]];
      this.skipNewlines();
      while (this.isOp(',')) {
        this.next();
        this.skipNewlines();
        if (this.isOp('}')) break;
        const k = this.parseTermIn();
        this.skipNewlines();
        this.expectOp(':');
        this.skipNewlines();
        const v = this.parseTermIn();
        items.push([k, v]);
        this.skipNewlines();
      }
      this.expectOp('}');
      return { type: 'object', items, loc };
    }
    if (this.isOp('|')) {
      this.next();
      const body = this.parseBody('}');
      this.expectOp('}');
      return { type: 'setcompr', head: first, body, loc };
    }
    const items = [this.continueIn(first)];
    this.skipNewlines();
    if (this.isOp(',')) {
      this.next();
      items.push(...this.parseTermList('}'));
    } else this.expectOp('}');
    return { type: 'set', items, loc };
  }

  /** Parses a term that stops before "|", so `[x | body]` reads as a comprehension. */
  private parseTermRelationNoOr(): Term {
    return this.parseTermRelation(false);
  }

  private continueIn(left: Term): Term {
    let term = left;
    while (this.isKeyword('in')) {
      this.next();
      term = call('internal.member_2', [term, this.parseTermRelation(true)], term.loc);
    }
    return term;
  }

  atEnd(): boolean {
    this.skipNewlines();
    return this.peek().kind === 'eof';
  }

  expectEnd(): void {
    if (!this.atEnd()) this.fail('end of input');
  }
}

/** The body of a rule written without one. */
function trueExpr(loc: Location): Expr {
  return { kind: 'term', term: { type: 'scalar', value: true, loc }, with: [], loc, generated: true };
}

function call(name: string, args: Term[], loc: Location): Term {
  return { type: 'call', name, fn: { type: 'var', name, loc }, args, loc };
}

function appendRef(term: Term, element: Term): Term {
  if (term.type === 'ref') return { ...term, path: [...term.path, element] };
  return { type: 'ref', head: term, path: [element], loc: term.loc };
}

function isCallable(term: Term): boolean {
  if (term.type === 'var') return true;
  return (
    term.type === 'ref' &&
    term.head.type === 'var' &&
    term.path.every((p) => p.type === 'scalar' && typeof p.value === 'string')
  );
}

/** Dotted name of a var or ref term (`data.a.b`). */
export function refName(term: Term): string {
  if (term.type === 'var') return term.name;
  if (term.type === 'ref' && term.head.type === 'var')
    return [term.head.name, ...term.path.map((p) => (p.type === 'scalar' ? String(p.value) : '?'))].join('.');
  return '?';
}

function isAssignable(term: Term): boolean {
  if (term.type === 'var') return true;
  if (term.type === 'array') return term.items.every((t) => isAssignable(t) || t.type === 'scalar');
  if (term.type === 'object') return term.items.every(([, v]) => isAssignable(v) || v.type === 'scalar');
  return false;
}

function describe(term: Term): string {
  switch (term.type) {
    case 'var':
      return term.name;
    case 'ref':
      return refName(term);
    case 'scalar':
      return JSON.stringify(term.value);
    default:
      return term.type;
  }
}

/**
 * Parses a number literal: integers beyond 2^53 (or beyond float64, like `1e309`) become bigint; a literal
 * whose text is not its value's canonical text keeps it (NumberText), as OPA keeps a literal's text.
 */
export function parseNumber(text: string): number | bigint | NumberText {
  const n = numberFromText(text);
  if (n === undefined) throw new CompileError('rego_parse_error', `number ${text} is out of range`);
  return n;
}

function negate(n: number | bigint | NumberText): number | bigint | NumberText {
  if (n instanceof NumberText) return new NumberText(negate(n.value) as number | bigint, '-' + n.text);
  // `-0` is 0 whose text OPA keeps (json.marshal prints `-0`).
  if (n === 0) return new NumberText(0, '-0');
  return typeof n === 'bigint' ? normalizeNumber(-n) : -n;
}

/** Parses one module. */
export function parseModule(source: string, file = 'module.rego', options: ParseOptions = {}): Module {
  return new Parser(source, file, options.regoVersion ?? 'v1', options.experimentalKeywords ?? false).parseModule();
}

/** Parses a query body such as `data.x.allow = true; y := 1`. */
export function parseQuery(source: string, options: ParseOptions = {}): Expr[] {
  const parser = new Parser(source, 'query', options.regoVersion ?? 'v1', options.experimentalKeywords ?? false);
  const body = parser.parseBody(null);
  parser.expectEnd();
  return body;
}

/** Parses a single term (e.g. an `input_term`). */
export function parseTerm(source: string, options: ParseOptions = {}): Term {
  const parser = new Parser(source, 'term', options.regoVersion ?? 'v1', false);
  parser.atEnd();
  const term = parser.parseTermIn();
  parser.expectEnd();
  return term;
}

/** Builds a constant value from a ground term (no vars, refs, calls or comprehensions); undefined otherwise. */
export function termToValue(term: Term): Value | undefined {
  switch (term.type) {
    case 'scalar':
      return term.value;
    case 'array': {
      const out: Value[] = [];
      for (const t of term.items) {
        const v = termToValue(t);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case 'set': {
      const out = new RegoSet();
      for (const t of term.items) {
        const v = termToValue(t);
        if (v === undefined) return undefined;
        out.add(v);
      }
      return out;
    }
    case 'object': {
      const out = new RegoObject();
      for (const [k, x] of term.items) {
        const kv = termToValue(k);
        const vv = termToValue(x);
        if (kv === undefined || vv === undefined) return undefined;
        out.set(kv, vv);
      }
      return out;
    }
    default:
      return undefined;
  }
}
