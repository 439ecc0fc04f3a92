// Tokenizer for Rego source: identifiers, numbers, strings, operators and significant newlines.
import { ParseError } from './errors';

/** One token with its 1-based position. */
export interface Token {
  kind: 'ident' | 'string' | 'number' | 'op' | 'newline' | 'eof';
  text: string;
  /** Decoded string contents for string tokens. */
  value?: string;
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
export function tokenize(source: string, file: string, comments?: { line: number; text: string }[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let spaced = true;
  const n = source.length;
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
      comments?.push({ line, text: source.slice(start + 1, i) });
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
    if (c >= '0' && c <= '9') {
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
          const e = source[i + 1];
          i += 2;
          switch (e) {
            case '"':
            case '\\':
            case '/':
              value += e;
              break;
            case 'b':
              value += '\b';
              break;
            case 'f':
              value += '\f';
              break;
            case 'n':
              value += '\n';
              break;
            case 'r':
              value += '\r';
              break;
            case 't':
              value += '\t';
              break;
            case 'u': {
              const hex = source.slice(i, i + 4);
              if (!/^[0-9a-fA-F]{4}$/.test(hex))
                throw new ParseError(file, line, i - lineStart + 1, 'four hex digits after \\u', `"${hex}"`);
              value += String.fromCharCode(parseInt(hex, 16));
              i += 4;
              break;
            }
            default:
              throw new ParseError(file, line, i - lineStart, 'a valid escape sequence', `"\\${e ?? ''}"`);
          }
          continue;
        }
        value += d;
        i++;
      }
      tokens.push({ kind: 'string', text: source.slice(start, i), value, line, column, spaced });
      spaced = false;
      continue;
    }
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

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
