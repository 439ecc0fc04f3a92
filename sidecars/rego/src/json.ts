// JSON text to Rego values in one pass, keeping every number's text as OPA does (it decodes input, data
// and json.unmarshal with UseNumber: `1.0`, `1e400`, `2.50` and 30-digit integers stay as written).
// JSON.parse cannot: it has made them 1, Infinity, 2.5 and a rounded float before anyone can look
// (decision 177). stringifyJSON writes them back out as they came in.
import { NumberText, RegoObject, RegoSet, numberFromText, toJSONText, type Value } from './value';

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
/** A UTF-16 surrogate not in a pair: Go's decoder (OPA's) reads its escape as U+FFFD, and so do we. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

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
    return (JSON.parse(escaped[0]) as string).replace(LONE_SURROGATE, '\ufffd');
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

/**
 * A JSON text that stringifyJSON writes as it is, like JSON.rawJSON of newer JavaScript engines: a policy's
 * result already written with its numbers' texts, or a document read back as text from Postgres.
 */
export class RawJSON {
  /** `text` must be compact JSON (as toJSONText writes it): it is indented, not reformatted. */
  constructor(readonly text: string) {}
}

/**
 * JSON.stringify that keeps numbers' texts: a NumberText is written as its text, a bigint as its digits,
 * a RegoObject or RegoSet as toJSONText writes it, a RawJSON as its text. Everything else is written as
 * JSON.stringify(document, null, indent) writes it (toJSON, undefined members left out, non-finite numbers
 * as null); an undefined document is `null`.
 */
export function stringifyJSON(document: unknown, indent = 0): string {
  const gap = ' '.repeat(indent);
  const colon = indent > 0 ? ': ' : ':';
  // undefined: the member is left out (an array's item is null), as JSON.stringify does.
  const write = (value: unknown, key: string, lead: string): string | undefined => {
    if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function')
      value = (value as { toJSON: (key: string) => unknown }).toJSON(key);
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'number':
        return Number.isFinite(value) ? String(value) : 'null';
      case 'boolean':
        return value ? 'true' : 'false';
      case 'bigint':
        return value.toString();
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
    }
    if (value === null) return 'null';
    if (value instanceof NumberText) return value.text;
    if (value instanceof RawJSON) return indent > 0 ? indentJSON(value.text, lead, gap) : value.text;
    if (value instanceof RegoObject || value instanceof RegoSet) {
      const text = toJSONText(value);
      return indent > 0 ? indentJSON(text, lead, gap) : text;
    }
    const inner = lead + gap;
    const separator = indent > 0 ? ',\n' + inner : ',';
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]';
      const items: string[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) items[i] = write(value[i], String(i), inner) ?? 'null';
      return indent > 0 ? `[\n${inner}${items.join(separator)}\n${lead}]` : `[${items.join(',')}]`;
    }
    const members: string[] = [];
    const record = value as Record<string, unknown>;
    for (const name of Object.keys(record)) {
      const text = write(record[name], name, inner);
      if (text !== undefined) members.push(JSON.stringify(name) + colon + text);
    }
    if (members.length === 0) return '{}';
    return indent > 0 ? `{\n${inner}${members.join(separator)}\n${lead}}` : `{${members.join(',')}}`;
  };
  return write(document, '', '') ?? 'null';
}

/** Compact JSON text indented by `gap` per level, as JSON.stringify indents, lines after the first starting with `lead`. */
function indentJSON(compact: string, lead: string, gap: string): string {
  let out = '';
  let depth = 0;
  const newline = () => '\n' + lead + gap.repeat(depth);
  for (let i = 0; i < compact.length; i++) {
    const c = compact[i] as string;
    if (c === '"') {
      // Copy the string through its closing quote, skipping escaped characters.
      let j = i + 1;
      while (compact[j] !== '"') j += compact[j] === '\\' ? 2 : 1;
      out += compact.slice(i, j + 1);
      i = j;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      if (compact[i + 1] === close) {
        out += c + close;
        i++;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += newline() + c;
    } else if (c === ',') out += ',' + newline();
    else if (c === ':') out += ': ';
    else out += c;
  }
  return out;
}
