// JSON text to Rego values in one pass, keeping every number's text as OPA does (it decodes input, data
// and json.unmarshal with UseNumber: `1.0`, `1e400`, `2.50` and 30-digit integers stay as written).
// JSON.parse cannot: it has made them 1, Infinity, 2.5 and a rounded float before anyone can look
// (decision 177).
import { RegoObject, numberFromText, type NumberText, type Value } from './value';

/** JSON text that is not valid JSON; `offset` is where the parser stopped. */
export class JSONSyntaxError extends SyntaxError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'JSONSyntaxError';
  }
}

/** Go's encoding/json refuses documents nested deeper than this; so do we (and keep the stack safe). */
const MAX_DEPTH = 10_000;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// A string without escapes or control characters, the common case, is taken as one slice.
const SPECIAL_IN_STRING = /[\\\u0000-\u001f]/;
const ESCAPED_STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/**
 * Parses JSON text into a Rego value: objects as RegoObjects (every key kept, `__proto__` too; the last of
 * repeated keys wins, as in Go), numbers whose text says more than their value as NumberText. Throws
 * JSONSyntaxError naming the offset.
 */
export function parseJSONText(text: string): Value {
  let i = 0;
  const fail = (what: string): never => {
    throw new JSONSyntaxError(what, i);
  };
  const ws = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else return;
    }
  };
  const string = (): string => {
    const end = text.indexOf('"', i + 1);
    if (end > 0) {
      const plain = text.slice(i + 1, end);
      if (!SPECIAL_IN_STRING.test(plain)) {
        i = end + 1;
        return plain;
      }
    }
    ESCAPED_STRING.lastIndex = i;
    const escaped = ESCAPED_STRING.exec(text);
    if (!escaped) return fail('invalid string');
    i = ESCAPED_STRING.lastIndex;
    return JSON.parse(escaped[0]) as string;
  };
  const number = (): number | bigint | NumberText => {
    // Fast path: an integer of 1 to 15 digits without a leading zero is its own canonical text.
    const negative = text.charCodeAt(i) === 45;
    let j = negative ? i + 1 : i;
    const first = j;
    let n = 0;
    for (let d = text.charCodeAt(j) - 48; d >= 0 && d <= 9; d = text.charCodeAt(++j) - 48) n = n * 10 + d;
    const digits = j - first;
    const next = text.charCodeAt(j);
    if (
      digits > 0 &&
      digits <= 15 &&
      next !== 46 /* . */ &&
      next !== 101 /* e */ &&
      next !== 69 /* E */ &&
      (text.charCodeAt(first) !== 48 || digits === 1) &&
      !(negative && n === 0)
    ) {
      i = j;
      return negative ? -n : n;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m)
      return fail(
        i >= text.length
          ? 'unexpected end of JSON input'
          : `invalid character '${text[i]}' looking for beginning of value`,
      );
    const token = m[0];
    i = NUMBER.lastIndex;
    const value = numberFromText(token);
    if (value === undefined) return fail(`number ${token} is out of range`);
    return value;
  };
  // Iterative, with the open arrays and objects on a stack: deep nesting cannot overflow the call stack.
  const open: { array?: Value[]; object?: RegoObject; key: string }[] = [];
  const key = (): string => {
    ws();
    if (text.charCodeAt(i) !== 34) fail('invalid character looking for beginning of object key string');
    const k = string();
    ws();
    if (text.charCodeAt(i) !== 58) fail('invalid character after object key');
    i++;
    return k;
  };
  const start = (): Value | undefined => {
    ws();
    const c = text.charCodeAt(i);
    if (c === 123 /* { */ || c === 91 /* [ */) {
      i++;
      if (open.length >= MAX_DEPTH) fail(`exceeded max depth of ${MAX_DEPTH}`);
      ws();
      if (text.charCodeAt(i) === c + 2) {
        i++;
        return c === 123 ? new RegoObject() : [];
      }
      open.push(c === 123 ? { object: new RegoObject(), key: key() } : { array: [], key: '' });
      return undefined;
    }
    if (c === 34) return string();
    if (c === 116 && text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (c === 102 && text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (c === 110 && text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    return number();
  };
  const parse = (): Value => {
    for (;;) {
      let v = start();
      if (v === undefined) continue;
      // A value is complete: add it to the innermost open collection, closing those that end here.
      for (;;) {
        const top = open[open.length - 1];
        if (!top) return v;
        if (top.array) top.array.push(v);
        else (top.object as RegoObject).set(top.key, v);
        ws();
        const d = text.charCodeAt(i);
        if (d === 44 /* , */) {
          i++;
          if (top.object) top.key = key();
          break;
        }
        if (d === (top.array ? 93 : 125)) {
          i++;
          open.pop();
          v = top.array ?? (top.object as RegoObject);
          continue;
        }
        fail(top.array ? 'invalid character after array element' : 'invalid character after object key:value pair');
      }
    }
  };
  const v = parse();
  ws();
  if (i < text.length) fail(`invalid character '${text[i]}' after top-level value`);
  return v;
}
