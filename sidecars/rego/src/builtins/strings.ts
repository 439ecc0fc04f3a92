// String builtins (counted in code points), sprintf with Go verbs, regex.* and glob.match.
import { NumberText, RegoSet, formatNumber, formatValue, isNumber, numberValue, typeName, type Value } from '../value';
import { compileRe2, findAll, matchRe2, re2Test, type Re2, type Re2Match } from './regex';
import {
  BuiltinError,
  ELEMENT_BYTES,
  arr,
  collection,
  int,
  num,
  obj,
  operandError,
  register,
  str,
  stringBytes,
  type BuiltinContext,
} from './registry';

const codePoints = (s: string): string[] => Array.from(s);

/** Charges a builtin's pass over a string, before it is made: a step per KiB, and its code point array. */
function scan(s: string, ctx: BuiltinContext): string {
  ctx.step(Math.ceil(s.length / 1024));
  return s;
}

register('concat', 2, (args, ctx) => {
  const delim = str(args, 0);
  const items = collection(args, 1, 'one of {array, set}');
  let size = Math.max(0, items.length - 1) * delim.length;
  for (const x of items) {
    if (typeof x !== 'string') throw operandError(2, 'one of {array, set} of strings', args[1] as Value);
    size += x.length;
  }
  ctx.alloc(stringBytes(size));
  return (items as string[]).join(delim);
});
register('contains', 2, (args) => str(args, 0).includes(str(args, 1)));
register('startswith', 2, (args) => str(args, 0).startsWith(str(args, 1)));
register('endswith', 2, (args) => str(args, 0).endsWith(str(args, 1)));
/** Charges a result about as long as the input (case mapping may grow a few characters; x3 covers it). */
function sameSize(s: string, ctx: BuiltinContext): string {
  ctx.alloc(stringBytes(s.length * 3));
  return s;
}
/**
 * Go's strings.ToLower/ToUpper: each code point by its simple (one-to-one) case mapping, with no special
 * casing (`ß` stays, final `Σ` is `σ`, `İ` lowers to `i`). JavaScript's full mappings can grow a character.
 */
function goCaseMap(s: string, upper: boolean): string {
  let out = '';
  for (const ch of s) {
    const mapped = upper ? ch.toUpperCase() : ch.toLowerCase();
    if (mapped.length === ch.length || Array.from(mapped).length === 1) out += mapped;
    else if (!upper && ch === '\u0130') out += 'i';
    else out += ch;
  }
  return out;
}
register('lower', 1, (args, ctx) => goCaseMap(sameSize(str(args, 0), ctx), false));
register('upper', 1, (args, ctx) => goCaseMap(sameSize(str(args, 0), ctx), true));
register('strings.reverse', 1, (args, ctx) => {
  const s = str(args, 0);
  ctx.alloc(stringBytes(s.length) + s.length * ELEMENT_BYTES);
  return codePoints(s).reverse().join('');
});
register('replace', 3, (args, ctx) => {
  const s = str(args, 0);
  const old = str(args, 1);
  const rep = str(args, 2);
  // Go's strings.Replace: an empty old string matches before every code point and at the end.
  const count = old === '' ? codePointCount(s) + 1 : occurrences(s, old, ctx);
  ctx.alloc(stringBytes(s.length + count * (rep.length - old.length)));
  if (old === '') return rep + codePoints(s).join(rep) + (s.length > 0 ? rep : '');
  return s.split(old).join(rep);
});

/** Non-overlapping occurrences of a non-empty needle, counted without building anything. */
function occurrences(s: string, needle: string, ctx: BuiltinContext): number {
  ctx.step(Math.ceil(s.length / 1024));
  let count = 0;
  for (let i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length)) count++;
  return count;
}

function codePointCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
  }
  return n;
}

/** Go's strings.Split: an empty separator splits into code points. */
function goSplit(s: string, sep: string): string[] {
  if (sep === '') return codePoints(s);
  return s.split(sep);
}
/** Charges the parts a split makes before making them. */
function chargedSplit(s: string, sep: string, ctx: BuiltinContext): string[] {
  const parts = sep === '' ? codePointCount(s) : occurrences(s, sep, ctx) + 1;
  ctx.alloc(stringBytes(s.length) + parts * ELEMENT_BYTES);
  return goSplit(s, sep);
}
register('split', 2, (args, ctx) => chargedSplit(str(args, 0), str(args, 1), ctx));
register('strings.split_n', 3, (args, ctx) => {
  const parts = chargedSplit(str(args, 0), str(args, 1), ctx);
  const n = Number(int(args, 2));
  if (n >= 0) return parts.slice(0, n);
  return parts.slice(Math.max(0, parts.length + n));
});
register('strings.count', 2, (args) => {
  const s = str(args, 0);
  const sub = str(args, 1);
  if (sub === '') return codePoints(s).length + 1;
  return s.split(sub).length - 1;
});

function cpIndex(s: string, unitIndex: number): number {
  return codePoints(s.slice(0, unitIndex)).length;
}
register('indexof', 2, (args) => {
  const s = str(args, 0);
  const sub = str(args, 1);
  if (sub === '') throw new BuiltinError('empty search character');
  const i = s.indexOf(sub);
  return i < 0 ? -1 : cpIndex(s, i);
});
register('indexof_n', 2, (args, ctx) => {
  const s = str(args, 0);
  const sub = str(args, 1);
  const out: Value[] = [];
  if (sub === '') throw new BuiltinError('empty search character');
  // Code point index kept incrementally: one pass over s, however many matches.
  let cp = 0;
  let at = 0;
  ctx.step(Math.ceil(s.length / 1024));
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
    cp += codePointCount(s.slice(at, i));
    at = i;
    ctx.alloc(ELEMENT_BYTES);
    out.push(cp);
  }
  return out;
});
register('substring', 3, (args, ctx) => {
  const text = scan(str(args, 0), ctx);
  ctx.alloc(text.length * ELEMENT_BYTES);
  const s = codePoints(text);
  const start = Number(int(args, 1));
  const length = Number(int(args, 2));
  if (start < 0) throw new BuiltinError('negative offset');
  if (start >= s.length) return '';
  if (length < 0) return s.slice(start).join('');
  return s.slice(start, start + length).join('');
});

function cutset(set: string): Set<string> {
  return new Set(codePoints(set));
}
function trimLeft(s: string, cut: Set<string>): string {
  const cps = codePoints(s);
  let i = 0;
  while (i < cps.length && cut.has(cps[i] as string)) i++;
  return cps.slice(i).join('');
}
function trimRight(s: string, cut: Set<string>): string {
  const cps = codePoints(s);
  let j = cps.length;
  while (j > 0 && cut.has(cps[j - 1] as string)) j--;
  return cps.slice(0, j).join('');
}
register('trim', 2, (args, ctx) =>
  trimRight(trimLeft(scan(str(args, 0), ctx), cutset(str(args, 1))), cutset(str(args, 1))),
);
register('trim_left', 2, (args, ctx) => trimLeft(scan(str(args, 0), ctx), cutset(str(args, 1))));
register('trim_right', 2, (args, ctx) => trimRight(scan(str(args, 0), ctx), cutset(str(args, 1))));
register('trim_prefix', 2, (args) => {
  const s = str(args, 0);
  const p = str(args, 1);
  return s.startsWith(p) ? s.slice(p.length) : s;
});
register('trim_suffix', 2, (args) => {
  const s = str(args, 0);
  const p = str(args, 1);
  return s.endsWith(p) && p.length > 0 ? s.slice(0, s.length - p.length) : s;
});
register('trim_space', 1, (args) => str(args, 0).replace(/^[\s\u0085]+|[\s\u0085]+$/gu, ''));

function stringList(args: Value[], i: number): string[] {
  const v = args[i] as Value;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) || v instanceof RegoSet) {
    const items = Array.isArray(v) ? v : v.sorted();
    return items.map((x) => {
      if (typeof x !== 'string')
        throw new BuiltinError(
          `operand ${i + 1} must be ${Array.isArray(v) ? 'array' : 'set'} of strings but got ${Array.isArray(v) ? 'array' : 'set'} containing ${typeName(x)}`,
          'eval_type_error',
        );
      return x;
    });
  }
  throw operandError(i + 1, 'one of {string, set, array}', v);
}
register('strings.any_prefix_match', 2, (args) => {
  const search = stringList(args, 0);
  const base = stringList(args, 1);
  return search.some((s) => base.some((b) => s.startsWith(b)));
});
register('strings.any_suffix_match', 2, (args) => {
  const search = stringList(args, 0);
  const base = stringList(args, 1);
  return search.some((s) => base.some((b) => s.endsWith(b)));
});
register('strings.replace_n', 2, (args, ctx) => {
  const patterns = obj(args, 0);
  const s = str(args, 1);
  const pairs: [string, string][] = [];
  for (const [k, v] of patterns.sortedEntries()) {
    if (typeof k !== 'string')
      throw new BuiltinError('operand 1 non-string key found in pattern object', 'eval_type_error');
    if (typeof v !== 'string')
      throw new BuiltinError('operand 1 non-string value found in pattern object', 'eval_type_error');
    pairs.push([k, v]);
  }
  // Go's strings.NewReplacer: scan left to right, first matching old string (in argument order) wins.
  // A first pass finds the replacements and so the output size, charged before the output is built.
  // An empty old string matches at every position, but not twice in a row at the same one.
  ctx.step(Math.ceil(((s.length + 1) * Math.max(1, pairs.length)) / 64));
  const hits: [number, number][] = [];
  let size = s.length;
  let previousEmpty = false;
  for (let i = 0; i <= s.length;) {
    const p = pairs.findIndex(([old]) => (old === '' ? !previousEmpty : s.startsWith(old, i)));
    previousEmpty = p >= 0 && pairs[p]?.[0] === '';
    if (p < 0) {
      i += i < s.length ? String.fromCodePoint(s.codePointAt(i) ?? 0).length : 1;
      continue;
    }
    const [old, rep] = pairs[p] as [string, string];
    hits.push([i, p]);
    size += rep.length - old.length;
    i += old.length;
  }
  ctx.alloc(stringBytes(size) + hits.length * ELEMENT_BYTES);
  let out = '';
  let last = 0;
  for (const [at, p] of hits) {
    const [old, rep] = pairs[p] as [string, string];
    out += s.slice(last, at) + rep;
    last = at + old.length;
  }
  return out + s.slice(last);
});

register('format_int', 2, (args) => {
  const n = num(args, 0);
  const base = Number(num(args, 1));
  if (![2, 8, 10, 16].includes(base))
    throw new BuiltinError('operand 2 must be one of {2, 8, 10, 16}', 'eval_type_error');
  const i = typeof n === 'bigint' ? n : BigInt(Math.trunc(n));
  return i.toString(base);
});

// ---- sprintf ---------------------------------------------------------------------------------

function goFloatG(x: number, prec: number, upper = false): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  let s: string;
  if (prec < 0) {
    // Shortest representation; exponent form when exp < -4 || exp >= 21 (Go %v on float64 uses 'g' with shortest).
    const exp = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
    if (exp < -4 || exp >= 21) s = goExp(x, -1);
    else s = String(x);
  } else {
    const p = prec === 0 ? 1 : prec;
    const exp = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(Number(x.toPrecision(p)))));
    if (exp < -4 || exp >= p) s = goExp(Number(x.toPrecision(p)), -1);
    else s = String(Number(x.toPrecision(p)));
  }
  return upper ? s.toUpperCase() : s;
}

function goExp(x: number, prec: number): string {
  const s = prec < 0 ? x.toExponential() : x.toExponential(prec);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function pad(s: string, width: number, left: boolean, zero: boolean): string {
  if (s.length >= width) return s;
  if (left) return s + ' '.repeat(width - s.length);
  if (zero) {
    const sign = /^[+-]/.test(s) ? (s[0] as string) : '';
    return sign + '0'.repeat(width - s.length) + s.slice(sign.length);
  }
  return ' '.repeat(width - s.length) + s;
}

/** Largest width or precision Go's fmt accepts (its `tooLarge`); a longer number ends the directive. */
const MAX_FMT_NUMBER = 1_000_000;

/** Go's fmt.parsenum: digits from i; on overflow the rest of the format is consumed (then `%!(NOVERB)`). */
function parseFmtNumber(format: string, i: number): { value: number; present: boolean; next: number } {
  let value = 0;
  let present = false;
  let j = i;
  for (; j < format.length && format[j]! >= '0' && format[j]! <= '9'; j++) {
    if (value > MAX_FMT_NUMBER) return { value: 0, present: false, next: format.length };
    value = value * 10 + (format.charCodeAt(j) - 48);
    present = true;
  }
  return { value, present, next: j };
}

/** Formats like Go's fmt.Sprintf given OPA's argument conversion (ints, floats, strings, other terms as text). */
export function sprintf(format: string, args: Value[], ctx?: BuiltinContext): string {
  const values = args.map(goArg);
  let out = '';
  let argi = 0;
  // Go's explicit argument indexes (`%[2]d`) turn off the EXTRA report; a bad one prints BADINDEX.
  let reordered = false;
  let goodArgNum = true;
  const cps = format;
  /** Go's argNumber: `[n]` at j selects argument n-1. */
  const argNumber = (j: number): { next: number; found: boolean } => {
    if (cps[j] !== '[') return { next: j, found: false };
    reordered = true;
    const close = cps.indexOf(']', j + 1);
    if (cps.length - j < 3 || close < 0) {
      goodArgNum = false;
      return { next: j + 1, found: false };
    }
    const digits = cps.slice(j + 1, close);
    const index = /^[0-9]+$/.test(digits) ? Number(digits) - 1 : -1;
    if (index >= 0 && index < values.length) {
      argi = index;
      return { next: close + 1, found: true };
    }
    goodArgNum = false;
    return { next: close + 1, found: /^[0-9]+$/.test(digits) };
  };
  /** Go's intFromArg: `*` takes an int64 argument as a width or precision. */
  const intFromArg = (): number | undefined => {
    if (argi >= values.length) return undefined;
    const v = values[argi++] as Value;
    if (goTypeName(v) !== 'int64' || !isNumber(v)) return undefined;
    const n = Number(v);
    return Math.abs(n) > MAX_FMT_NUMBER ? undefined : n;
  };
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as string;
    if (c !== '%') {
      out += c;
      continue;
    }
    goodArgNum = true;
    let j = i + 1;
    let flags = '';
    while (j < cps.length && '+-# 0'.includes(cps[j] as string)) flags += cps[j++];
    let index = argNumber(j);
    j = index.next;
    let width = -1;
    if (cps[j] === '*') {
      j++;
      const n = intFromArg();
      if (n === undefined) out += '%!(BADWIDTH)';
      else if (n < 0) {
        width = -n;
        flags = flags.replace(/0/g, '') + '-';
      } else width = n;
      index = { next: j, found: false };
    } else {
      const w = parseFmtNumber(cps, j);
      if (w.present) width = w.value;
      if (index.found && w.present) goodArgNum = false;
      j = w.next;
    }
    let prec = -1;
    if (cps[j] === '.' && j + 1 < cps.length) {
      j++;
      if (index.found) goodArgNum = false;
      index = argNumber(j);
      j = index.next;
      if (cps[j] === '*') {
        j++;
        const n = intFromArg();
        if (n === undefined || n < 0) out += '%!(BADPREC)';
        else prec = n;
        index = { next: j, found: false };
      } else {
        const p = parseFmtNumber(cps, j);
        prec = p.present ? p.value : 0;
        j = p.next;
      }
    }
    if (!index.found) j = argNumber(j).next;
    const verb = cps[j];
    i = j;
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (!goodArgNum) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argi >= values.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const v = values[argi++] as Value;
    // Padding and precision zeros are the only output not bounded by the arguments' size.
    ctx?.alloc(stringBytes(Math.max(width, 0) + Math.max(prec, 0)));
    const text = formatVerb(verb, v, flags, prec, width);
    if (text instanceof BadVerb) {
      ctx?.alloc(stringBytes(text.text.length));
      out += text.text;
      continue;
    }
    ctx?.alloc(stringBytes(text.length));
    out += pad(text, width, flags.includes('-'), flags.includes('0') && !flags.includes('-'));
  }
  if (!reordered && argi < values.length) {
    out +=
      '%!(EXTRA ' +
      values
        .slice(argi)
        .map((v) => `${goTypeName(v)}=${plain(v)}`)
        .join(', ') +
      ')';
  }
  return out;
}

/**
 * A number as OPA hands it to Go's fmt: text with a fraction or exponent is a float64 (kept as a NumberText
 * so that `100.0` stays a float), or its text as a string when beyond float64 (`2e308`); other numbers are
 * integers (int64 or *big.Int).
 */
function goArg(v: Value): Value {
  if (!(v instanceof NumberText)) return v;
  if (!/[.eE]/.test(v.text)) return v.value;
  const f = Number(v.text);
  return Number.isFinite(f) ? new NumberText(f, v.text) : v.text;
}

function goTypeName(v: Value): string {
  if (typeof v === 'string') return 'string';
  if (v instanceof NumberText) return 'float64';
  // OPA passes integers that fit as int64, larger ones as *big.Int.
  if (typeof v === 'number' && Number.isInteger(v)) return 'int64';
  if (typeof v === 'bigint') return v >= -(2n ** 63n) && v < 2n ** 63n ? 'int64' : '*big.Int';
  if (typeof v === 'number') return 'float64';
  return 'string';
}

function plain(v: Value): string {
  if (typeof v === 'string') return v;
  if (v instanceof NumberText) return goFloatG(v.value as number, -1);
  if (isNumber(v)) return typeof v === 'number' && !Number.isInteger(v) ? goFloatG(v, -1) : formatNumber(v);
  return formatValue(v);
}

/** The character of a code point as Go's %c writes it: U+FFFD for surrogates and non-characters. */
function goRune(n: number): string {
  return n < 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff) ? '\uFFFD' : String.fromCodePoint(n);
}

/** Go's strconv.QuoteRune for the printable ASCII cases and its escapes (%q of an integer). */
function goQuoteRune(n: number): string {
  const escapes: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
  if (n === 0x27) return "'\\''";
  if (n === 0x5c) return "'\\\\'";
  const escape = escapes[n];
  if (escape) return `'${escape}'`;
  if ((n >= 0 && n < 0x20) || n === 0x7f) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  return `'${goRune(n)}'`;
}

/** An integer in decimal with at least `prec` digits (Go's integer precision; `%.0d` of 0 is empty). */
function integerDigits(v: number | bigint, prec: number): string {
  const text = formatNumber(v);
  if (prec < 0) return text;
  if (prec === 0 && text === '0') return '';
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  return (negative ? '-' : '') + digits.padStart(prec, '0');
}

/** Go's %x of a float64: `0x1.8p+00`, shortest hex digits or `prec` of them rounded half to even. */
function goHexFloat(x: number, prec: number, upper: boolean): string {
  const negative = x < 0 || Object.is(x, -0);
  let text: string;
  if (x === 0) text = `0x0${prec > 0 ? '.' + '0'.repeat(prec) : ''}p+00`;
  else {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, Math.abs(x));
    const raw = view.getBigUint64(0);
    let exp = Number(raw >> 52n) - 1023;
    let frac = raw & ((1n << 52n) - 1n);
    if (exp === -1023) {
      // A subnormal: shift until the leading 1 is the implicit bit.
      exp = -1022;
      while (!(frac & (1n << 52n))) {
        frac <<= 1n;
        exp--;
      }
      frac &= (1n << 52n) - 1n;
    }
    let digits = frac.toString(16).padStart(13, '0');
    if (prec < 0) digits = digits.replace(/0+$/, '');
    else if (prec < 13) {
      const dropped = 4n * BigInt(13 - prec);
      let kept = frac >> dropped;
      const rest = frac & ((1n << dropped) - 1n);
      const half = 1n << (dropped - 1n);
      // Ties go to even, counting the leading 1 (with no digits kept, 1.5 rounds to 2).
      const odd = (((1n << 52n) | frac) >> dropped) & 1n;
      if (rest > half || (rest === half && odd === 1n)) kept++;
      if (kept === 1n << (4n * BigInt(prec))) {
        kept = 0n;
        exp++;
      }
      digits = prec === 0 ? '' : kept.toString(16).padStart(prec, '0');
    } else digits = digits.padEnd(prec, '0');
    text = `0x1${digits ? '.' + digits : ''}p${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  text = (negative ? '-' : '') + text;
  return upper ? text.toUpperCase() : text;
}

/** Text Go writes itself, unpadded by the directive's width (which it already applied inside). */
class BadVerb {
  constructor(readonly text: string) {}
}

/**
 * Go's text for a verb its argument's type does not take: `%!f(int64=25)`. Go prints the value as %v with
 * the directive's flags, width and precision (`%.3f` of 5 is `%!f(int64=005)`); a *big.Int names itself
 * `big.Int`.
 */
function badVerb(verb: string, v: Value, flags = '', width = -1, prec = -1): BadVerb {
  const type = goTypeName(v);
  let inner: string;
  if (isNumber(v)) {
    inner = type === 'float64' ? goFloatG(Number(numberValue(v)), prec) : integerDigits(numberValue(v), prec);
    if (flags.includes('+') && !inner.startsWith('-')) inner = `+${inner}`;
  } else inner = prec >= 0 ? Array.from(plain(v)).slice(0, prec).join('') : plain(v);
  inner = pad(inner, width, flags.includes('-'), flags.includes('0') && !flags.includes('-'));
  return new BadVerb(`%!${verb}(${type === '*big.Int' ? 'big.Int' : type}=${inner})`);
}

function formatVerb(verb: string, arg: Value, flags: string, prec: number, width = -1): string | BadVerb {
  const bad = (): BadVerb => badVerb(verb, arg, flags, width, prec);
  // A float64 whose value is integral (`100.0`) is formatted as the float it is.
  const v = arg instanceof NumberText ? arg.value : arg;
  const plus = flags.includes('+');
  const isInt =
    !(arg instanceof NumberText) && (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)));
  const sign = (s: string): string => (plus && !s.startsWith('-') ? '+' + s : s);
  // OPA hands Go integral numbers as int64 or *big.Int, which have no floating-point verbs.
  if (isInt && 'fFeEgG'.includes(verb)) return bad();
  switch (verb) {
    case 'v':
    case 's':
      if (isNumber(v) && verb === 's' && !isInt) return bad();
      // Go's %s has no int64 form (a *big.Int formats itself in decimal).
      if (isNumber(v) && verb === 's' && goTypeName(arg) === 'int64') return bad();
      // %.3v is %g with that precision for a float, at least that many digits for an integer.
      // Go reads %+v's flag as "field names", never as a sign.
      if (isNumber(v) && !isInt) return goFloatG(v as number, prec);
      if (isNumber(v)) return integerDigits(v, prec);
      if (typeof v === 'string') return prec >= 0 ? Array.from(v).slice(0, prec).join('') : v;
      return formatValue(v);
    case 'd':
      if (isInt) return sign(integerDigits(v as number | bigint, prec));
      return bad();
    case 'f':
    case 'F':
      if (isNumber(v)) {
        if (typeof v === 'bigint')
          return sign(v.toString() + (prec === 0 ? '' : '.' + '0'.repeat(prec < 0 ? 6 : prec)));
        return sign(v.toFixed(prec < 0 ? 6 : prec));
      }
      return bad();
    case 'e':
    case 'E':
      if (isNumber(v)) {
        const s = goExp(Number(v), prec < 0 ? 6 : prec);
        return sign(verb === 'E' ? s.toUpperCase() : s);
      }
      return bad();
    case 'g':
    case 'G':
      if (isNumber(v)) return sign(isInt && prec < 0 ? formatNumber(v) : goFloatG(Number(v), prec, verb === 'G'));
      return bad();
    case 'x':
    case 'X': {
      let s: string;
      if (isInt) s = BigInt(v as number | bigint).toString(16);
      else if (typeof v === 'string') s = Buffer.from(v, 'utf8').toString('hex');
      else if (typeof v === 'number') return sign(goHexFloat(v, prec, verb === 'X'));
      else s = Buffer.from(formatValue(v), 'utf8').toString('hex');
      if (flags.includes('#')) s = '0x' + s;
      return verb === 'X' ? s.toUpperCase() : s;
    }
    case 'o':
      if (isInt) return BigInt(v as number | bigint).toString(8);
      return bad();
    case 'b':
      if (isInt) return BigInt(v as number | bigint).toString(2);
      return bad();
    case 't':
      return bad();
    case 'q':
      if (isInt) return goTypeName(arg) === 'int64' ? goQuoteRune(Number(v)) : bad();
      return JSON.stringify(plain(v));
    case 'U':
      // Go formats the int64 as a uint64: -1 is U+FFFFFFFFFFFFFFFF.
      if (isInt && goTypeName(arg) === 'int64')
        return `U+${BigInt.asUintN(64, BigInt(v as number | bigint))
          .toString(16)
          .toUpperCase()
          .padStart(4, '0')}`;
      return bad();
    case 'c':
      if (isInt && goTypeName(arg) !== 'int64') return bad();
      if (isInt) return goRune(Number(v));
      return bad();
    case 'T':
      return goTypeName(arg);
    default:
      return bad();
  }
}

register('sprintf', 2, (args, ctx) => {
  const format = str(args, 0);
  const values = arr(args, 1);
  ctx.alloc(stringBytes(format.length) + values.length * ELEMENT_BYTES);
  return sprintf(format, values, ctx);
});

// ---- regex -----------------------------------------------------------------------------------

register('regex.match', 2, (args, ctx) => re2Test(str(args, 0), str(args, 1), ctx));
register('re_match', 2, (args, ctx) => re2Test(str(args, 0), str(args, 1), ctx));
register('regex.is_valid', 1, (args, ctx) => {
  const p = args[0] as Value;
  if (typeof p !== 'string') return false;
  try {
    compileRe2(p, ctx);
    return true;
  } catch (error) {
    if (error instanceof BuiltinError) return false;
    throw error;
  }
});
register('regex.split', 2, (args, ctx) => {
  const re = compileRe2(str(args, 0), ctx);
  const s = str(args, 1);
  const matches = findAll(re, s, -1, ctx);
  ctx.alloc(stringBytes(s.length) + matches.length * ELEMENT_BYTES);
  const out: Value[] = [];
  let last = 0;
  for (const m of matches) {
    const text = m.groups[0] as string;
    if (text.length === 0 && (m.index === 0 || m.index === s.length)) continue;
    out.push(s.slice(last, m.index));
    last = m.index + text.length;
  }
  out.push(s.slice(last));
  return out;
});
register('regex.find_n', 3, (args, ctx) => {
  const re = compileRe2(str(args, 0), ctx);
  return findAll(re, str(args, 1), Number(int(args, 2)), ctx).map((m) => m.groups[0] as string);
});
register('regex.find_all_string_submatch_n', 3, (args, ctx) => {
  const re = compileRe2(str(args, 0), ctx);
  return findAll(re, str(args, 1), Number(int(args, 2)), ctx).map((m) => m.groups.map((g) => g ?? ''));
});
register('regex.replace', 3, (args, ctx) => {
  const s = str(args, 0);
  const re = compileRe2(str(args, 1), ctx);
  const template = parseTemplate(str(args, 2), re.groupNames);
  const matches = findAll(re, s, -1, ctx);
  const pieceLength = (piece: TemplatePiece, m: Re2Match): number =>
    typeof piece === 'string' ? piece.length : (m.groups[piece] ?? '').length;
  // The output size is known before it is built: the input plus each match's expansion.
  let size = s.length;
  for (const m of matches) for (const piece of template) size += pieceLength(piece, m);
  ctx.alloc(stringBytes(size));
  let out = '';
  let last = 0;
  for (const m of matches) {
    out += s.slice(last, m.index);
    for (const piece of template) out += typeof piece === 'string' ? piece : (m.groups[piece] ?? '');
    last = m.index + (m.groups[0] as string).length;
  }
  return out + s.slice(last);
});

/** A literal, or the index of a group (unknown names are group -1, which expands to nothing). */
type TemplatePiece = string | number;

/** Go's Regexp.Expand template: `$1`, `${1}`, `$name`, `${name}`, `$$`; names take the longest [A-Za-z0-9_] run. */
function parseTemplate(template: string, names: (string | undefined)[]): TemplatePiece[] {
  const pieces: TemplatePiece[] = [];
  const nameAt = /[A-Za-z0-9_]+/y;
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c !== '$') {
      literal += c;
      continue;
    }
    if (template[i + 1] === '$') {
      literal += '$';
      i++;
      continue;
    }
    let name: string;
    if (template[i + 1] === '{') {
      const end = template.indexOf('}', i + 2);
      if (end < 0) {
        literal += c;
        continue;
      }
      name = template.slice(i + 2, end);
      i = end;
    } else {
      nameAt.lastIndex = i + 1;
      const mm = nameAt.exec(template);
      if (!mm) {
        literal += c;
        continue;
      }
      name = mm[0];
      i += name.length;
    }
    if (literal) pieces.push(literal);
    literal = '';
    if (/^\d+$/.test(name)) pieces.push(Number(name));
    else {
      const idx = names.indexOf(name);
      pieces.push(idx >= 0 ? idx + 1 : -1);
    }
  }
  if (literal) pieces.push(literal);
  return pieces;
}

register('regex.template_match', 4, (args, ctx) => {
  const template = str(args, 0);
  const s = str(args, 1);
  const open = str(args, 2);
  const close = str(args, 3);
  let pattern = '^';
  let i = 0;
  while (i < template.length) {
    const a = template.indexOf(open, i);
    if (a < 0) {
      pattern += template.slice(i).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
      break;
    }
    const b = template.indexOf(close, a + open.length);
    if (b < 0) throw new BuiltinError('unbalanced delimiters in template');
    pattern +=
      template.slice(i, a).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&') + '(?:' + template.slice(a + open.length, b) + ')';
    i = b + close.length;
  }
  return re2Test(pattern + '$', s, ctx);
});

// ---- glob ------------------------------------------------------------------------------------

const globCache = new Map<string, Re2>();

/**
 * Translates a gobwas/glob pattern into an anchored RE2 pattern, matched in linear time (a backtracking
 * matcher takes exponential time on `*a*a*a…b`).
 */
function globToRe2(pattern: string, delimiters: string[], ctx: BuiltinContext): Re2 {
  const key = pattern + '\u0000' + delimiters.join('\u0000');
  const hit = globCache.get(key);
  if (hit) return hit;
  const esc = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  const notDelim = delimiters.length > 0 ? `[^${delimiters.map(esc).join('')}]` : '[\\s\\S]';
  let i = 0;
  const parse = (inAlt: boolean): string => {
    let out = '';
    while (i < pattern.length) {
      const c = pattern[i] as string;
      if (inAlt && (c === ',' || c === '}')) return out;
      if (c === '\\') {
        if (i + 1 >= pattern.length) throw new BuiltinError('unexpected end of input');
        out += esc(pattern[i + 1] as string);
        i += 2;
      } else if (c === '*') {
        if (pattern[i + 1] === '*') {
          out += '[\\s\\S]*';
          i += 2;
        } else {
          out += `${notDelim}*`;
          i++;
        }
      } else if (c === '?') {
        out += notDelim;
        i++;
      } else if (c === '[') {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) throw new BuiltinError(`unexpected end of input`);
        let body = pattern.slice(i + 1, end);
        let neg = false;
        if (body.startsWith('!')) {
          neg = true;
          body = body.slice(1);
        }
        out += `[${neg ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end + 1;
      } else if (c === '{') {
        i++;
        const alts: string[] = [];
        for (;;) {
          alts.push(parse(true));
          if (pattern[i] === ',') {
            i++;
            continue;
          }
          if (pattern[i] === '}') {
            i++;
            break;
          }
          throw new BuiltinError('unexpected end of input');
        }
        out += `(?:${alts.join('|')})`;
      } else if (c === ']' || c === '}') {
        throw new BuiltinError(`unexpected ${c}`);
      } else {
        out += esc(c);
        i++;
      }
    }
    return out;
  };
  const re = compileRe2('(?s)^' + parse(false) + '$', ctx);
  if (key.length <= 4096) {
    if (globCache.size > 500) globCache.clear();
    globCache.set(key, re);
  }
  return re;
}

register('glob.match', 3, (args, ctx) => {
  const pattern = str(args, 0);
  const d = args[1] as Value;
  let delimiters: string[];
  if (d === null) delimiters = [];
  else {
    const items = collection(args, 1, 'array');
    delimiters = items.map((x) => {
      if (typeof x !== 'string') throw operandError(2, 'array of strings', d);
      return x;
    });
    if (delimiters.length === 0) delimiters = ['.'];
  }
  const re = globToRe2(pattern, delimiters, ctx);
  const s = str(args, 2);
  return matchRe2(re, s, ctx);
});
register('glob.quote_meta', 1, (args) => str(args, 0).replace(/[*?\\[\]{}]/g, '\\$&'));
