// Encoding builtins: json (exact numbers), yaml, base64/base64url, hex, urlquery, json.filter/remove/patch.
import { RegoObject, RegoSet, isNumber, toGoJSONText, toJSONText, valuesEqual, type Value } from '../value';
import { BuiltinError, arr, obj, operandError, register, str, stringBytes, type BuiltinContext } from './registry';
import { JSONSyntaxError, parseJSONText } from '../json';
import { parseYAML } from './yaml';
import { marshalYAML } from './yaml-marshal';

/** Parses JSON text into a Rego value, keeping numbers' texts (src/json.ts). Throws BuiltinError on bad input. */
export function parseJSON(text: string): Value {
  try {
    return parseJSONText(text);
  } catch (error) {
    if (error instanceof JSONSyntaxError) throw new BuiltinError(error.message);
    throw error;
  }
}

/** Charges the text a marshaller built (bounded by the value's size, which already exists). */
function chargedText(text: string, ctx: BuiltinContext): string {
  ctx.alloc(stringBytes(text.length));
  return text;
}

/** Charges parsing or decoding a string before it is done: work and result proportional to its size. */
function chargedInput(s: string, ctx: BuiltinContext): string {
  ctx.alloc(stringBytes(s.length) * 2);
  return s;
}

register('json.marshal', 1, (args, ctx) => chargedText(toGoJSONText(args[0] as Value), ctx));
register('json.unmarshal', 1, (args, ctx) => parseJSON(chargedInput(str(args, 0), ctx)));
register('json.is_valid', 1, (args) => {
  const s = args[0] as Value;
  if (typeof s !== 'string') return false;
  try {
    parseJSON(s);
    return true;
  } catch {
    return false;
  }
});
/** A builtin error's text without its code. */
function reason(err: BuiltinError): string {
  return err.message.slice(err.code.length + 2);
}

/**
 * Go's json.Indent over compact JSON text: empty collections stay `[]`/`{}`, lines after the first start
 * with `prefix`. With `build` false it only counts the output's length (to charge it before building).
 */
function indentJSON(compact: string, prefix: string, indent: string, build: boolean): { text: string; length: number } {
  const parts: string[] = [];
  let length = 0;
  let depth = 0;
  const put = (s: string): void => {
    length += s.length;
    if (build) parts.push(s);
  };
  const newline = (): void => {
    length += 1 + prefix.length + indent.length * depth;
    if (build) parts.push('\n' + prefix + indent.repeat(depth));
  };
  for (let i = 0; i < compact.length; i++) {
    const c = compact[i] as string;
    if (c === '"') {
      // Copy the string through its closing quote.
      let j = i + 1;
      while (j < compact.length && compact[j] !== '"') j += compact[j] === '\\' ? 2 : 1;
      put(compact.slice(i, j + 1));
      i = j;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      if (compact[i + 1] === close) {
        put(c + close);
        i++;
      } else {
        depth++;
        put(c);
        newline();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      newline();
      put(c);
    } else if (c === ',') {
      put(',');
      newline();
    } else if (c === ':') put(': ');
    else put(c);
  }
  return { text: parts.join(''), length };
}

register('json.marshal_with_options', 2, (args, ctx) => {
  const opts = obj(args, 1);
  let indent = '\t';
  let prefix = '';
  let implicitPretty = false;
  let explicitPretty: boolean | undefined;
  for (const [idx, [k, v]] of opts.sortedEntries().entries()) {
    if (typeof k !== 'string')
      throw new BuiltinError(
        `operand 2 failed to stringify key ${toJSONText(k)} at index ${idx}: ${reason(operandError(idx, 'string', k))}`,
        'eval_type_error',
      );
    if (k === 'prefix' || k === 'indent') {
      if (typeof v !== 'string')
        throw new BuiltinError(
          `operand 2 key ${JSON.stringify(k)} failed cast to string: ${reason(operandError(idx, 'string', v))}`,
          'eval_type_error',
        );
      if (k === 'prefix') prefix = v;
      else indent = v;
      implicitPretty = true;
    } else if (k === 'pretty') {
      if (typeof v !== 'boolean')
        throw new BuiltinError(`operand 2 key ${JSON.stringify(k)} failed cast to bool`, 'eval_type_error');
      explicitPretty = v;
    } else throw new BuiltinError(`operand 2 object contained unknown key ${JSON.stringify(k)}`, 'eval_type_error');
  }
  const text = chargedText(toGoJSONText(args[0] as Value), ctx);
  if (!(explicitPretty ?? implicitPretty)) return text;
  // Prefix and indentation repeat on every line: measure the output and charge it before building it.
  ctx.step(text.length);
  ctx.alloc(stringBytes(prefix.length + indentJSON(text, prefix, indent, false).length));
  // MarshalIndent leaves the first line without the prefix; OPA adds it.
  return prefix + indentJSON(text, prefix, indent, true).text;
});

register('yaml.marshal', 1, (args, ctx) => chargedText(marshalYAML(args[0] as Value), ctx));
register('yaml.unmarshal', 1, (args, ctx) => parseYAML(chargedInput(str(args, 0), ctx)));
register('yaml.is_valid', 1, (args, ctx) => {
  const s = args[0] as Value;
  if (typeof s !== 'string') return false;
  try {
    parseYAML(chargedInput(s, ctx));
    return true;
  } catch (err) {
    if (err instanceof BuiltinError) return false;
    throw err;
  }
});

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;
function decodeStrict(s: string, url: boolean): string {
  const re = url ? B64URL : B64;
  if (
    !re.test(s) ||
    (!url && s.length % 4 !== 0) ||
    (url && s.includes('=') && s.length % 4 !== 0) ||
    s.length % 4 === 1
  )
    throw new BuiltinError('illegal base64 data at input byte ' + Math.max(0, firstBadByte(s, re)));
  return Buffer.from(s, url ? 'base64url' : 'base64').toString('utf8');
}
function firstBadByte(s: string, re: RegExp): number {
  for (let i = 0; i < s.length; i++) if (!re.test(s.slice(0, i + 1).replace(/=+$/, ''))) return i;
  return s.length - (s.length % 4);
}
register('base64.encode', 1, (args, ctx) => Buffer.from(chargedInput(str(args, 0), ctx), 'utf8').toString('base64'));
register('base64.decode', 1, (args, ctx) => decodeStrict(chargedInput(str(args, 0), ctx), false));
register('base64.is_valid', 1, (args) => {
  const s = str(args, 0);
  return B64.test(s) && s.length % 4 === 0;
});
register('base64url.encode', 1, (args) =>
  Buffer.from(str(args, 0), 'utf8')
    .toString('base64url')
    .padEnd(Math.ceil(Buffer.byteLength(str(args, 0)) / 3) * 4, '='),
);
register('base64url.encode_no_pad', 1, (args) => Buffer.from(str(args, 0), 'utf8').toString('base64url'));
register('base64url.decode', 1, (args, ctx) => decodeStrict(chargedInput(str(args, 0), ctx), true));
register('hex.encode', 1, (args, ctx) => Buffer.from(chargedInput(str(args, 0), ctx), 'utf8').toString('hex'));
register('hex.decode', 1, (args, ctx) => {
  const s = chargedInput(str(args, 0), ctx);
  const bytes = Buffer.from(s, 'utf8');
  // Go's hex.DecodeString: the first invalid byte (an odd length only after the last one is checked).
  const hexValue = (b: number): boolean => (b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102);
  const invalid = (b: number): BuiltinError => new BuiltinError(`encoding/hex: invalid byte: ${goCharU(b)}`);
  let j = 1;
  for (; j < bytes.length; j += 2) {
    if (!hexValue(bytes[j - 1] as number)) throw invalid(bytes[j - 1] as number);
    if (!hexValue(bytes[j] as number)) throw invalid(bytes[j] as number);
  }
  if (bytes.length % 2 === 1) {
    if (!hexValue(bytes[j - 1] as number)) throw invalid(bytes[j - 1] as number);
    throw new BuiltinError('encoding/hex: odd length hex string');
  }
  return Buffer.from(s, 'hex').toString('utf8');
});

/** Go's %#U of a byte taken as a rune: `U+0067 'g'`, without the character when it is not printable. */
function goCharU(b: number): string {
  const code = `U+${b.toString(16).toUpperCase().padStart(4, '0')}`;
  const printable = (b >= 0x20 && b < 0x7f) || b >= 0xa1;
  return printable && b !== 0xad ? `${code} '${String.fromCharCode(b)}'` : code;
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}
function queryUnescape(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new BuiltinError(`invalid URL escape ${JSON.stringify(s)}`);
  }
}
register('urlquery.encode', 1, (args) => queryEscape(str(args, 0)));
register('urlquery.decode', 1, (args) => queryUnescape(str(args, 0)));
register('urlquery.encode_object', 1, (args) => {
  const o = obj(args, 0);
  const parts: string[] = [];
  for (const [k, v] of o.sortedEntries()) {
    if (typeof k !== 'string') throw operandError(1, 'object with string keys', o);
    const values = typeof v === 'string' ? [v] : Array.isArray(v) ? v : v instanceof RegoSet ? v.sorted() : null;
    if (!values) throw operandError(1, 'object of strings, arrays or sets', o);
    for (const x of values) {
      if (typeof x !== 'string') throw operandError(1, 'object of strings', o);
      parts.push(`${queryEscape(k)}=${queryEscape(x)}`);
    }
  }
  return parts.join('&');
});
register('urlquery.decode_object', 1, (args) => {
  const out = new RegoObject();
  for (const part of str(args, 0).split(/[&]/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : queryUnescape(part.slice(eq + 1));
    const prev = out.get(k);
    out.set(k, Array.isArray(prev) ? [...prev, v] : [v]);
  }
  return out;
});

// ---- json.filter / json.remove / json.patch --------------------------------------------------

function parsePaths(args: Value[], i: number): Value[][] {
  const v = args[i] as Value;
  const items = Array.isArray(v) ? v : v instanceof RegoSet ? v.sorted() : null;
  if (!items) throw operandError(i + 1, 'one of {set, array}', v);
  return items.map((p) => {
    if (typeof p === 'string')
      return p
        .replace(/^\//, '')
        .split('/')
        .filter((x, idx, all) => !(x === '' && all.length === 1))
        .map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (Array.isArray(p)) return p;
    throw operandError(i + 1, 'one of {set, array} containing string paths or array of path segments', p);
  });
}

function keyMatches(container: Value, seg: Value): Value | undefined {
  if (container instanceof RegoObject) {
    if (container.get(seg) !== undefined) return seg;
    return undefined;
  }
  if (Array.isArray(container)) {
    const n = typeof seg === 'string' && /^(0|[1-9]\d*)$/.test(seg) ? Number(seg) : isNumber(seg) ? Number(seg) : NaN;
    return Number.isInteger(n) && n >= 0 && n < container.length ? n : undefined;
  }
  if (container instanceof RegoSet) return container.has(seg) ? seg : undefined;
  return undefined;
}

function filterValue(v: Value, paths: Value[][]): Value | undefined {
  if (paths.some((p) => p.length === 0)) return v;
  if (v instanceof RegoObject) {
    const out = new RegoObject();
    for (const [k, x] of v.sortedEntries()) {
      const sub = paths.filter((p) => valuesEqual(p[0] as Value, k)).map((p) => p.slice(1));
      if (sub.length === 0) continue;
      const f = filterValue(x, sub);
      if (f !== undefined) out.set(k, f);
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    v.forEach((x, idx) => {
      const sub = paths.filter((p) => p[0] === String(idx) || valuesEqual(p[0] as Value, idx)).map((p) => p.slice(1));
      if (sub.length === 0) return;
      const f = filterValue(x, sub);
      if (f !== undefined) out.push(f);
    });
    return out;
  }
  if (v instanceof RegoSet) {
    const out = new RegoSet();
    for (const x of v.sorted()) {
      const sub = paths.filter((p) => valuesEqual(p[0] as Value, x)).map((p) => p.slice(1));
      if (sub.length > 0) out.add(x);
    }
    return out;
  }
  return v;
}

register('json.filter', 2, (args) => {
  const o = obj(args, 0);
  return filterValue(o, parsePaths(args, 1));
});

function removePath(v: Value, path: Value[]): Value {
  if (path.length === 0) return v;
  const [head, ...rest] = path as [Value, ...Value[]];
  if (v instanceof RegoObject) {
    const child = v.get(head);
    if (child === undefined) return v;
    const out = v.clone();
    if (rest.length === 0) out.delete(head);
    else out.set(head, removePath(child, rest));
    return out;
  }
  if (Array.isArray(v)) {
    const idx = keyMatches(v, head);
    if (idx === undefined) return v;
    if (rest.length === 0) return v.filter((_, i) => i !== idx);
    return v.map((x, i) => (i === idx ? removePath(x, rest) : x));
  }
  if (v instanceof RegoSet && rest.length === 0) return new RegoSet(v.sorted().filter((x) => !valuesEqual(x, head)));
  return v;
}

register('json.remove', 2, (args) => {
  let o: Value = obj(args, 0);
  for (const p of parsePaths(args, 1)) o = removePath(o, p);
  return o;
});

function patchPath(p: Value): Value[] {
  if (Array.isArray(p)) return p;
  if (typeof p === 'string') {
    if (p === '') return [];
    return p
      .replace(/^\//, '')
      .split('/')
      .map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  throw new BuiltinError('invalid patch path');
}

function getAt(doc: Value, path: Value[]): Value | undefined {
  let cur: Value | undefined = doc;
  for (const seg of path) {
    if (cur === undefined) return undefined;
    const k: Value | undefined = keyMatches(cur, seg);
    if (k === undefined) return undefined;
    cur = cur instanceof RegoObject ? cur.get(k) : Array.isArray(cur) ? cur[k as number] : k;
  }
  return cur;
}

function addAt(doc: Value, path: Value[], value: Value, replace: boolean): Value | undefined {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [Value, ...Value[]];
  if (rest.length > 0) {
    const k = keyMatches(doc, head);
    if (k === undefined) return undefined;
    const child =
      doc instanceof RegoObject
        ? doc.get(k)
        : Array.isArray(doc)
          ? doc[k as number]
          : doc instanceof RegoSet
            ? k
            : undefined;
    if (child === undefined) return undefined;
    const updated = addAt(child, rest, value, replace);
    if (updated === undefined) return undefined;
    if (doc instanceof RegoSet) return new RegoSet([...doc.sorted().filter((x) => !valuesEqual(x, k)), updated]);
    if (doc instanceof RegoObject) {
      const out = doc.clone();
      out.set(k, updated);
      return out;
    }
    if (Array.isArray(doc)) return doc.map((x, i) => (i === k ? updated : x));
    return undefined;
  }
  if (doc instanceof RegoObject) {
    if (replace && doc.get(head) === undefined) return undefined;
    const out = doc.clone();
    out.set(head, value);
    return out;
  }
  if (Array.isArray(doc)) {
    if (head === '-' && !replace) return [...doc, value];
    const n =
      typeof head === 'string' && /^(0|[1-9]\d*)$/.test(head) ? Number(head) : isNumber(head) ? Number(head) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > doc.length || (replace && n === doc.length)) return undefined;
    const out = [...doc];
    if (replace) out[n] = value;
    else out.splice(n, 0, value);
    return out;
  }
  if (doc instanceof RegoSet && !replace) {
    if (!valuesEqual(head, value)) return undefined;
    const out = new RegoSet(doc.sorted());
    out.add(value);
    return out;
  }
  return undefined;
}

/**
 * OPA's edit tree can delete the whole document: only an `add`, or the insertion of a `move` from the root
 * back to the root, gives it a value again; anything else on it fails, as a result it is undefined.
 */
const DELETED = Symbol('deleted document');
type PatchedDoc = Value | typeof DELETED;

function removeAt(doc: PatchedDoc, path: Value[]): PatchedDoc | undefined {
  if (doc === DELETED) return undefined;
  if (path.length === 0) return DELETED;
  if (getAt(doc, path) === undefined) return undefined;
  return removePath(doc, path);
}

function insertAt(doc: PatchedDoc, path: Value[], value: Value, replace: boolean): PatchedDoc | undefined {
  if (path.length === 0) return value;
  return doc === DELETED ? undefined : addAt(doc, path, value, replace);
}

register('json.patch', 2, (args) => {
  let doc: PatchedDoc = args[0] as Value;
  for (const p of arr(args, 1)) {
    if (!(p instanceof RegoObject)) throw operandError(2, 'array of objects', args[1] as Value);
    const op = p.get('op');
    const path = p.get('path');
    if (typeof op !== 'string' || path === undefined) return undefined;
    const target = patchPath(path);
    let next: PatchedDoc | undefined;
    switch (op) {
      case 'add':
      case 'replace': {
        const value = p.get('value');
        if (value === undefined) return undefined;
        // OPA replaces the root by deleting it first (so not once deleted), elsewhere in place.
        if (op === 'replace' && target.length === 0) next = doc === DELETED ? undefined : value;
        else next = insertAt(doc, target, value, op === 'replace');
        break;
      }
      case 'remove':
        next = removeAt(doc, target);
        break;
      case 'move':
      case 'copy': {
        const from = p.get('from');
        if (from === undefined || doc === DELETED) return undefined;
        const fromPath = patchPath(from);
        const v = getAt(doc, fromPath);
        if (v === undefined) return undefined;
        const base = op === 'move' ? removeAt(doc, fromPath) : doc;
        next = base === undefined ? undefined : insertAt(base, target, v, false);
        break;
      }
      case 'test': {
        const v = doc === DELETED ? undefined : getAt(doc, target);
        const want = p.get('value');
        next = v !== undefined && want !== undefined && valuesEqual(v, want) ? doc : undefined;
        break;
      }
      default:
        return undefined;
    }
    if (next === undefined) return undefined;
    doc = next;
  }
  return doc === DELETED ? undefined : doc;
});
