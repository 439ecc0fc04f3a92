// A small evaluator for the Spring Expression Language subset that ISD's stage templates use, with
// Orca's template semantics (orca-queue ExpressionAware.withMergedContext → orca-core
// ContextParameterProcessor.process(..., allowUnknownKeys = true) → kork-expressions ExpressionTransform):
// - `${…}` blocks inside any string of the stage context are evaluated;
// - a string that is exactly one `${…}` becomes the expression's value with its own type; if the value
//   is null or the expression throws, the string is left as it was;
// - in a string mixing text and expressions, an expression whose value is null stays as its literal
//   `${…}` while the others are evaluated, but if any expression *throws*, the whole string is left as
//   it was (ExpressionTransform.transform sets `result = source`);
// - maps are read with kork's MapPropertyAccessor(allowUnknownKeys = true): a missing key is null, not
//   an error; objects marked strict (the execution, a stage) still fail on an unknown property;
// - indexing a map with a missing key is null (Spring Indexer); property access or indexing on null throws.
// Syntax outside the subset is not an Orca failure but a harness limitation: it throws
// SpelUnsupportedError so a test cannot pass by accident.
//
// Subset: literals ('text' with '' escape, numbers, true, false, null), root identifiers, property
// access `a.b`, safe navigation `a?.b`, indexing `a['k']` / `a[0]`, function calls `#name(args)`.

/** Thrown for syntax the harness does not implement (never for an expression Orca would fail). */
export class SpelUnsupportedError extends Error {
  override readonly name = 'SpelUnsupportedError';
}

/** An expression failed the way it would in Orca; the caller leaves the literal text in place. */
export class SpelEvaluationError extends Error {
  override readonly name = 'SpelEvaluationError';
}

/** Functions callable as `#name(...)`. */
export type SpelFunctions = Record<string, (...args: unknown[]) => unknown>;

/** The evaluation context: root identifiers and `#` functions. */
export interface SpelContext {
  root: Record<string, unknown>;
  functions: SpelFunctions;
  /** Values that are Java objects rather than maps: an unknown property on them throws. */
  strictObjects?: WeakSet<object>;
}

/** One expression left unevaluated, as Orca records it in its expression evaluation summary. */
export interface FailedExpression {
  expression: string;
  message: string;
}

type Token =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'identifier'; value: string }
  | { kind: 'punctuation'; value: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const character = source[index] as string;
    if (/\s/.test(character)) {
      index += 1;
    } else if (character === "'") {
      let value = '';
      index += 1;
      for (;;) {
        if (index >= source.length) throw new SpelEvaluationError(`unterminated string in ${source}`);
        if (source[index] === "'" && source[index + 1] === "'") {
          value += "'";
          index += 2;
        } else if (source[index] === "'") {
          index += 1;
          break;
        } else {
          value += source[index];
          index += 1;
        }
      }
      tokens.push({ kind: 'string', value });
    } else if (/[0-9]/.test(character)) {
      const match = /^[0-9]+(\.[0-9]+)?/.exec(source.slice(index)) as RegExpExecArray;
      tokens.push({ kind: 'number', value: Number(match[0]) });
      index += match[0].length;
    } else if (/[A-Za-z_$]/.test(character)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(source.slice(index)) as RegExpExecArray;
      tokens.push({ kind: 'identifier', value: match[0] });
      index += match[0].length;
    } else if (character === '?' && source[index + 1] === '.') {
      tokens.push({ kind: 'punctuation', value: '?.' });
      index += 2;
    } else if ('#.[](),'.includes(character)) {
      tokens.push({ kind: 'punctuation', value: character });
      index += 1;
    } else {
      throw new SpelUnsupportedError(`the harness does not implement '${character}' in SpEL: ${source}`);
    }
  }
  return tokens;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Parser {
  private position = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
    private readonly context: SpelContext,
  ) {}

  evaluate(): unknown {
    const value = this.expression();
    if (this.position < this.tokens.length) {
      throw new SpelUnsupportedError(`the harness does not implement this SpEL: ${this.source}`);
    }
    return value;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private take(): Token {
    const token = this.tokens[this.position];
    if (!token) throw new SpelEvaluationError(`unexpected end of expression: ${this.source}`);
    this.position += 1;
    return token;
  }

  private expect(value: string): void {
    const token = this.take();
    if (token.kind !== 'punctuation' || token.value !== value) {
      throw new SpelEvaluationError(`expected '${value}' in ${this.source}`);
    }
  }

  private isPunctuation(value: string): boolean {
    const token = this.peek();
    return token?.kind === 'punctuation' && token.value === value;
  }

  private expression(): unknown {
    let value = this.primary();
    for (;;) {
      if (this.isPunctuation('.') || this.isPunctuation('?.')) {
        const safe = (this.take() as { value: string }).value === '?.';
        const name = this.take();
        if (name.kind !== 'identifier') throw new SpelEvaluationError(`expected a property name in ${this.source}`);
        if (this.isPunctuation('('))
          throw new SpelUnsupportedError(`the harness does not implement method calls: ${this.source}`);
        if (value === null || value === undefined) {
          if (safe) {
            value = null;
            continue;
          }
          throw new SpelEvaluationError(`EL1007E: Property or field '${name.value}' cannot be found on null`);
        }
        value = this.property(value, name.value);
      } else if (this.isPunctuation('[')) {
        this.take();
        const key = this.expression();
        this.expect(']');
        value = this.index(value, key);
      } else {
        return value;
      }
    }
  }

  private property(target: unknown, name: string): unknown {
    if (isMap(target) && Object.prototype.hasOwnProperty.call(target, name)) return target[name] ?? null;
    if (Array.isArray(target) && name === 'size') return target.length;
    // MapPropertyAccessor(allowUnknownKeys = true): an unknown key of a map reads as null.
    if (isMap(target) && !this.context.strictObjects?.has(target)) return null;
    throw new SpelEvaluationError(
      `EL1008E: Property or field '${name}' cannot be found on object of type '${typeName(target)}'`,
    );
  }

  private index(target: unknown, key: unknown): unknown {
    if (target === null || target === undefined)
      throw new SpelEvaluationError('EL1012E: Cannot index into a null value');
    if (Array.isArray(target)) {
      if (typeof key !== 'number') throw new SpelEvaluationError('EL1027E: Indexing into type list requires a number');
      if (key < 0 || key >= target.length) throw new SpelEvaluationError(`EL1025E: index ${key} out of bounds`);
      return target[key] ?? null;
    }
    if (isMap(target)) return target[String(key)] ?? null;
    throw new SpelEvaluationError(`EL1027E: Indexing into type '${typeName(target)}' is not supported`);
  }

  private primary(): unknown {
    const token = this.take();
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (token.kind === 'identifier') {
      if (token.value === 'null') return null;
      if (token.value === 'true') return true;
      if (token.value === 'false') return false;
      // The root is the execution context map, read with allowUnknownKeys: an unknown name is null.
      return this.context.root[token.value] ?? null;
    }
    if (token.value === '(') {
      const value = this.expression();
      this.expect(')');
      return value;
    }
    if (token.value === '#') {
      const name = this.take();
      if (name.kind !== 'identifier') throw new SpelEvaluationError(`expected a function name in ${this.source}`);
      if (!this.isPunctuation('('))
        throw new SpelUnsupportedError(`the harness does not implement #variables: ${this.source}`);
      this.take();
      const args: unknown[] = [];
      while (!this.isPunctuation(')')) {
        args.push(this.expression());
        if (this.isPunctuation(',')) this.take();
        else if (!this.isPunctuation(')')) throw new SpelEvaluationError(`expected ',' or ')' in ${this.source}`);
      }
      this.take();
      const fn = this.context.functions[name.value];
      if (!fn)
        throw new SpelEvaluationError(
          `EL1023E: A problem occurred whilst attempting to call the function '${name.value}'`,
        );
      try {
        return fn(...args);
      } catch (error) {
        throw new SpelEvaluationError(`EL1023E: function '${name.value}' failed: ${(error as Error).message}`);
      }
    }
    throw new SpelEvaluationError(`unexpected '${token.value}' in ${this.source}`);
  }
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'java.util.ArrayList';
  if (isMap(value)) return 'java.util.LinkedHashMap';
  return typeof value;
}

/** Evaluates one expression (the text between `${` and `}`); throws SpelEvaluationError when Orca would fail. */
export function evaluateExpression(source: string, context: SpelContext): unknown {
  return new Parser(tokenize(source), source, context).evaluate();
}

/** Splits a template into literal text and `${…}` blocks, matching braces outside quotes like Spring's template parser. */
function splitTemplate(text: string): Array<{ literal: string } | { expression: string; raw: string }> {
  const parts: Array<{ literal: string } | { expression: string; raw: string }> = [];
  let index = 0;
  while (index < text.length) {
    const start = text.indexOf('${', index);
    if (start < 0) {
      parts.push({ literal: text.slice(index) });
      break;
    }
    if (start > index) parts.push({ literal: text.slice(index, start) });
    let depth = 1;
    let cursor = start + 2;
    let quoted = false;
    while (cursor < text.length && depth > 0) {
      const character = text[cursor];
      if (character === "'") quoted = !quoted;
      else if (!quoted && character === '{') depth += 1;
      else if (!quoted && character === '}') depth -= 1;
      cursor += 1;
    }
    if (depth > 0) {
      // No closing brace: Spring reports a parse failure and Orca keeps the text.
      parts.push({ literal: text.slice(start) });
      break;
    }
    parts.push({ expression: text.slice(start + 2, cursor - 1), raw: text.slice(start, cursor) });
    index = cursor;
  }
  return parts;
}

/** Spring's conversion of a value to String inside a composite template. */
function stringify(value: unknown): string {
  if (Array.isArray(value)) return value.map(stringify).join(',');
  if (isMap(value))
    return `{${Object.entries(value)
      .map(([key, item]) => `${key}=${stringify(item)}`)
      .join(', ')}}`;
  return String(value);
}

/**
 * Evaluates the `${…}` blocks of one string as kork's ExpressionTransform does (see the file comment);
 * unresolved (null) and failed expressions are added to `failed`.
 */
export function evaluateTemplate(text: string, context: SpelContext, failed: FailedExpression[] = []): unknown {
  if (!text.includes('${')) return text;
  const parts = splitTemplate(text);
  const expressions = parts.filter((part): part is { expression: string; raw: string } => 'expression' in part);
  if (parts.length === 1 && expressions.length === 1) {
    const only = expressions[0] as { expression: string; raw: string };
    try {
      const value = evaluateExpression(only.expression, context);
      if (value === null || value === undefined) {
        failed.push({ expression: only.raw, message: `${only.expression} not found` });
        return text;
      }
      return value;
    } catch (error) {
      if (!(error instanceof SpelEvaluationError)) throw error;
      failed.push({ expression: only.raw, message: error.message });
      return text;
    }
  }
  let result = '';
  for (const part of parts) {
    if ('literal' in part) {
      result += part.literal;
      continue;
    }
    try {
      const value = evaluateExpression(part.expression, context);
      if (value === null || value === undefined) {
        failed.push({ expression: part.raw, message: `${part.expression} not found` });
        result += part.raw;
      } else {
        result += stringify(value);
      }
    } catch (error) {
      if (!(error instanceof SpelEvaluationError)) throw error;
      // One throwing expression leaves the whole string as it was.
      failed.push({ expression: part.raw, message: error.message });
      return text;
    }
  }
  return result;
}

/** Evaluates every string inside a value (maps and lists recursively), as Orca processes a stage context. */
export function evaluateEntries(value: unknown, context: SpelContext, failed: FailedExpression[] = []): unknown {
  if (typeof value === 'string') return evaluateTemplate(value, context, failed);
  if (Array.isArray(value)) return value.map((item) => evaluateEntries(item, context, failed));
  if (isMap(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = evaluateEntries(item, context, failed);
    return result;
  }
  return value;
}

/** kork ExpressionsSupport `#toJson`: JSON text of the value, refusing output that holds an expression. */
export function toJson(value: unknown): string {
  const json = JSON.stringify(value ?? null);
  if (json.includes('${')) throw new Error('result for toJson cannot contain an expression');
  return json;
}
