// Tokenizer for Rego source: identifiers, numbers, strings, operators and significant newlines.
import { ParseError } from './errors';

/** One token with its 1-based position. */
export interface Token {
  kind: 'ident' | 'string' | 'number' | 'op' | 'newline' | 'eof' | 'template';
  text: string;
  /** Decoded string contents for string tokens and template-string parts. */
  value?: string;
  /** For a template-string part: true when it ends the template string, false when a `{expr}` follows. */
  end?: boolean;
  /** For a template-string part: written in backquotes (`$`…``), OPA's multi-line template string. */
  raw?: boolean;
  line: number;
  column: number;
  /** True when whitespace (or a comment) directly precedes the token. */
  spaced: boolean;
}

const OPERATORS = [
  ':=',
  '==',
  '!=',
  '<=',
  '>=',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '.',
  ',',
  ';',
  ':',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '|',
  '&',
];

/** Splits Rego source into tokens; raises ParseError for bad characters or unterminated strings. */
/** A `#` comment: its text after the `#`, and where the `#` is. */
export interface Comment {
  line: number;
  column: number;
  text: string;
}

export function tokenize(source: string, file: string, comments?: Comment[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let spaced = true;
  const n = source.length;
  // Open template-string expressions, innermost last, with the depth of braces opened inside each.
  const templates: { raw: boolean; depth: number }[] = [];
  // Reads one literal part of a template string starting at `from`; returns the index after it.
  const templatePart = (from: number, raw: boolean, column: number, spaced: boolean): number => {
    const close = raw ? '`' : '"';
    const tokLine = line;
    let value = '';
    let k = from;
    for (;;) {
      if (k >= n || (!raw && source[k] === '\n'))
        throw new ParseError(file, line, column, `closing ${close} of the template string`, 'end of line in string');
      const d = source[k] as string;
      if (d === close || d === '{') {
        k++;
        break;
      }
      if (d === '\\' && source[k + 1] === '{') {
        value += '{';
        k += 2;
        continue;
      }
      if (d === '\\' && !raw) {
        const decoded = decodeEscape(source, k, true);
        if (typeof decoded === 'string')
          throw new ParseError(file, line, k - lineStart + 1, decoded, `"${source.slice(k, k + 2)}"`);
        value += decoded.text;
        k = decoded.next;
        continue;
      }
      if (d === '\n') {
        line++;
        lineStart = k + 1;
      }
      value += d;
      k++;
    }
    const end = source[k - 1] === close;
    if (!end) templates.push({ raw, depth: 0 });
    tokens.push({ kind: 'template', text: source.slice(from, k), value, end, raw, line: tokLine, column, spaced });
    return k;
  };
  while (i < n) {
    const c = source[i] as string;
    const column = i - lineStart + 1;
    if (c === '\n') {
      tokens.push({ kind: 'newline', text: '\n', line, column, spaced });
      i++;
      line++;
      lineStart = i;
      spaced = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      spaced = true;
      continue;
    }
    if (c === '#') {
      const start = i;
      while (i < n && source[i] !== '\n') i++;
      comments?.push({ line, column: start - lineStart + 1, text: source.slice(start + 1, i) });
      spaced = true;
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      while (i < n && isIdentPart(source[i] as string)) i++;
      tokens.push({ kind: 'ident', text: source.slice(start, i), line, column, spaced });
      spaced = false;
      continue;
    }
    // Like OPA's scanner, `.5` is a number.
    if (
      (c >= '0' && c <= '9') ||
      (c === '.' && isDigit(source[i + 1]) && !isRefEnd(tokens[tokens.length - 1], spaced))
    ) {
      const start = i;
      while (i < n && isDigit(source[i])) i++;
      if (source[i] === '.' && isDigit(source[i + 1])) {
        i++;
        while (i < n && isDigit(source[i])) i++;
      }
      if (source[i] === 'e' || source[i] === 'E') {
        let j = i + 1;
        if (source[j] === '+' || source[j] === '-') j++;
        if (isDigit(source[j])) {
          i = j;
          while (i < n && isDigit(source[i])) i++;
        }
      }
      if (source[start] === '0' && isDigit(source[start + 1]))
        throw new ParseError(file, line, column, 'a number without leading zero', `"${source.slice(start, i)}"`);
      if (i < n && isIdentStart(source[i] as string))
        throw new ParseError(file, line, i - lineStart + 1, 'a number', `character "${source[i]}" after number`);
      tokens.push({ kind: 'number', text: source.slice(start, i), line, column, spaced });
      spaced = false;
      continue;
    }
    if (c === '"') {
      const start = i;
      i++;
      let value = '';
      for (;;) {
        if (i >= n || source[i] === '\n')
          throw new ParseError(file, line, column, 'closing quote "', 'end of line in string');
        const d = source[i] as string;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          const decoded = decodeEscape(source, i, false);
          if (typeof decoded === 'string')
            throw new ParseError(file, line, i - lineStart + 1, decoded, `"${source.slice(i, i + 2)}"`);
          value += decoded.text;
          i = decoded.next;
          continue;
        }
        value += d;
        i++;
      }
      tokens.push({ kind: 'string', text: source.slice(start, i), value, line, column, spaced });
      spaced = false;
      continue;
    }
    if (c === '$' && (source[i + 1] === '"' || source[i + 1] === '`')) {
      // A template string `$"a {x} b"` / raw `$\`…\``: one token per literal part, the `{expr}` tokens between.
      const raw = source[i + 1] === '`';
      i = templatePart(i + 2, raw, column, spaced);
      spaced = false;
      continue;
    }
    if (c === '}' && templates.length > 0 && (templates[templates.length - 1] as { depth: number }).depth === 0) {
      const raw = (templates.pop() as { raw: boolean }).raw;
      i = templatePart(i + 1, raw, column, spaced);
      spaced = false;
      continue;
    }
    if ((c === '{' || c === '}') && templates.length > 0)
      (templates[templates.length - 1] as { depth: number }).depth += c === '{' ? 1 : -1;
    if (c === '`') {
      const start = i;
      const end = source.indexOf('`', i + 1);
      if (end < 0) throw new ParseError(file, line, column, 'closing backquote `', 'end of file in raw string');
      const value = source.slice(i + 1, end);
      tokens.push({ kind: 'string', text: source.slice(start, end + 1), value, line, column, spaced });
      for (let k = i; k < end; k++) {
        if (source[k] === '\n') {
          line++;
          lineStart = k + 1;
        }
      }
      i = end + 1;
      spaced = false;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw new ParseError(file, line, column, 'a token', `character "${c}"`);
    tokens.push({ kind: 'op', text: op, line, column, spaced });
    i += op.length;
    spaced = false;
  }
  tokens.push({ kind: 'eof', text: 'end of file', line, column: i - lineStart + 1, spaced: true });
  return tokens;
}

/** Decodes the JSON escape at source[i] (a backslash): the text and the index after it, or what was expected. */
function decodeEscape(source: string, i: number, inTemplate: boolean): { text: string; next: number } | string {
  const e = source[i + 1];
  switch (e) {
    case '"':
    case '\\':
    case '/':
      return { text: e, next: i + 2 };
    case 'b':
      return { text: '\b', next: i + 2 };
    case 'f':
      return { text: '\f', next: i + 2 };
    case 'n':
      return { text: '\n', next: i + 2 };
    case 'r':
      return { text: '\r', next: i + 2 };
    case 't':
      return { text: '\t', next: i + 2 };
    case 'u': {
      const hex = source.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return 'four hex digits after \\u';
      return { text: String.fromCharCode(parseInt(hex, 16)), next: i + 6 };
    }
    default:
      return inTemplate ? 'a valid escape sequence (or \\{)' : 'a valid escape sequence';
  }
}

/** Whether `.` directly after this token continues a reference (`x.y`, `f(x).y`, `a[0].b`). */
function isRefEnd(prev: Token | undefined, spaced: boolean): boolean {
  if (!prev || spaced) return false;
  return prev.kind === 'ident' || prev.kind === 'string' || (prev.kind === 'op' && [']', ')', '}'].includes(prev.text));
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
