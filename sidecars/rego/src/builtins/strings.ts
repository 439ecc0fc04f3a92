// String builtins (counted in code points), sprintf with Go verbs, regex.* and glob.match.
import { RegoObject, RegoSet, formatNumber, formatValue, isNumber, typeName, type Value } from '../value';
import { compileRe2, execAt, findAll, re2Test } from './regex';
import { BuiltinError, Many, arr, collection, int, num, obj, operandError, register, str } from './registry';

const codePoints = (s: string): string[] => Array.from(s);

register('concat', 2, (args) => {
  const delim = str(args, 0);
  const items = collection(args, 1, 'one of {array, set}');
  return items
    .map((x) => {
      if (typeof x !== 'string') throw operandError(2, 'one of {array, set} of strings', args[1] as Value);
      return x;
    })
    .join(delim);
});
register('contains', 2, (args) => str(args, 0).includes(str(args, 1)));
register('startswith', 2, (args) => str(args, 0).startsWith(str(args, 1)));
register('endswith', 2, (args) => str(args, 0).endsWith(str(args, 1)));
register('lower', 1, (args) => str(args, 0).toLowerCase());
register('upper', 1, (args) => str(args, 0).toUpperCase());
register('strings.reverse', 1, (args) => codePoints(str(args, 0)).reverse().join(''));
register('replace', 3, (args) => {
  const s = str(args, 0);
  const old = str(args, 1);
  const rep = str(args, 2);
  if (old === '') return goSplit(s, '').join(rep).replace(/^/, rep) + (s.length > 0 ? rep : '');
  return s.split(old).join(rep);
});

/** Go's strings.Split: an empty separator splits into code points. */
function goSplit(s: string, sep: string): string[] {
  if (sep === '') return codePoints(s);
  return s.split(sep);
}
register('split', 2, (args) => goSplit(str(args, 0), str(args, 1)));
register('strings.split_n', 3, (args) => {
  const parts = goSplit(str(args, 0), str(args, 1));
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
register('indexof_n', 2, (args) => {
  const s = str(args, 0);
  const sub = str(args, 1);
  const out: Value[] = [];
  if (sub === '') throw new BuiltinError('empty search character');
  let i = s.indexOf(sub);
  while (i >= 0) {
    out.push(cpIndex(s, i));
    i = s.indexOf(sub, i + 1);
  }
  return out;
});
register('substring', 3, (args) => {
  const s = codePoints(str(args, 0));
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
register('trim', 2, (args) => trimRight(trimLeft(str(args, 0), cutset(str(args, 1))), cutset(str(args, 1))));
register('trim_left', 2, (args) => trimLeft(str(args, 0), cutset(str(args, 1))));
register('trim_right', 2, (args) => trimRight(str(args, 0), cutset(str(args, 1))));
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
register('strings.replace_n', 2, (args) => {
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
  // An empty old string matches at every position, but not twice in a row at the same one.
  let out = '';
  let i = 0;
  let prevEmpty = false;
  while (i <= s.length) {
    const hit = pairs.find(([old]) => (old === '' ? !prevEmpty : s.startsWith(old, i)));
    prevEmpty = hit !== undefined && hit[0] === '';
    if (hit) {
      out += hit[1];
      i += hit[0].length;
      continue;
    }
    const ch = String.fromCodePoint(s.codePointAt(i) ?? 0);
    if (i < s.length) out += ch;
    i += i < s.length ? ch.length : 1;
  }
  return out;
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

/** Formats like Go's fmt.Sprintf given OPA's argument conversion (ints, floats, strings, other terms as text). */
export function sprintf(format: string, values: Value[]): string {
  let out = '';
  let argi = 0;
  const cps = format;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as string;
    if (c !== '%') {
      out += c;
      continue;
    }
    let j = i + 1;
    let flags = '';
    while (j < cps.length && '+-# 0'.includes(cps[j] as string)) flags += cps[j++];
    let width = -1;
    let ws = '';
    while (j < cps.length && /[0-9]/.test(cps[j] as string)) ws += cps[j++];
    if (ws) width = Number(ws);
    let prec = -1;
    if (cps[j] === '.') {
      j++;
      let ps = '';
      while (j < cps.length && /[0-9]/.test(cps[j] as string)) ps += cps[j++];
      prec = ps ? Number(ps) : 0;
    }
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
    if (argi >= values.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const v = values[argi++] as Value;
    out += pad(
      formatVerb(verb, v, flags, prec),
      width,
      flags.includes('-'),
      flags.includes('0') && !flags.includes('-'),
    );
  }
  if (argi < values.length) {
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

function goTypeName(v: Value): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return '*big.Int';
  if (typeof v === 'number') return 'float64';
  return 'string';
}

function plain(v: Value): string {
  if (typeof v === 'string') return v;
  if (isNumber(v)) return typeof v === 'number' && !Number.isInteger(v) ? goFloatG(v, -1) : formatNumber(v);
  return formatValue(v);
}

function formatVerb(verb: string, v: Value, flags: string, prec: number): string {
  const plus = flags.includes('+');
  const isInt = typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
  const sign = (s: string): string => (plus && !s.startsWith('-') ? '+' + s : s);
  switch (verb) {
    case 'v':
    case 's':
      if (isNumber(v) && verb === 's' && !isInt) return `%!s(float64=${goFloatG(v as number, -1)})`;
      if (isNumber(v) && !isInt) return sign(goFloatG(v as number, -1));
      if (isNumber(v)) return sign(formatNumber(v));
      if (typeof v === 'string') return prec >= 0 ? Array.from(v).slice(0, prec).join('') : v;
      return formatValue(v);
    case 'd':
      if (isInt) return sign(formatNumber(v as number | bigint));
      if (typeof v === 'number') return `%!d(float64=${goFloatG(v, -1)})`;
      return `%!d(string=${plain(v)})`;
    case 'f':
    case 'F':
      if (isNumber(v)) {
        if (typeof v === 'bigint')
          return sign(v.toString() + (prec === 0 ? '' : '.' + '0'.repeat(prec < 0 ? 6 : prec)));
        return sign(v.toFixed(prec < 0 ? 6 : prec));
      }
      return `%!${verb}(string=${plain(v)})`;
    case 'e':
    case 'E':
      if (isNumber(v)) {
        const s = goExp(Number(v), prec < 0 ? 6 : prec);
        return sign(verb === 'E' ? s.toUpperCase() : s);
      }
      return `%!${verb}(string=${plain(v)})`;
    case 'g':
    case 'G':
      if (isNumber(v)) return sign(isInt && prec < 0 ? formatNumber(v) : goFloatG(Number(v), prec, verb === 'G'));
      return `%!${verb}(string=${plain(v)})`;
    case 'x':
    case 'X': {
      let s: string;
      if (isInt) s = BigInt(v as number | bigint).toString(16);
      else if (typeof v === 'string') s = Buffer.from(v, 'utf8').toString('hex');
      else if (typeof v === 'number') return `%!${verb}(float64=${goFloatG(v, -1)})`;
      else s = Buffer.from(formatValue(v), 'utf8').toString('hex');
      if (flags.includes('#')) s = '0x' + s;
      return verb === 'X' ? s.toUpperCase() : s;
    }
    case 'o':
      if (isInt) return BigInt(v as number | bigint).toString(8);
      return `%!o(${goTypeName(v)}=${plain(v)})`;
    case 'b':
      if (isInt) return BigInt(v as number | bigint).toString(2);
      return `%!b(${goTypeName(v)}=${plain(v)})`;
    case 't':
      return `%!t(${goTypeName(v)}=${plain(v)})`;
    case 'q':
      return JSON.stringify(plain(v));
    case 'c':
      if (isInt) return String.fromCodePoint(Number(v));
      return `%!c(${goTypeName(v)}=${plain(v)})`;
    case 'T':
      return goTypeName(v);
    default:
      return `%!${verb}(${goTypeName(v)}=${plain(v)})`;
  }
}

register('sprintf', 2, (args) => sprintf(str(args, 0), arr(args, 1)));

// ---- regex -----------------------------------------------------------------------------------

register('regex.match', 2, (args) => re2Test(str(args, 0), str(args, 1)));
register('re_match', 2, (args) => re2Test(str(args, 0), str(args, 1)));
register('regex.is_valid', 1, (args) => {
  const p = args[0] as Value;
  if (typeof p !== 'string') return false;
  try {
    compileRe2(p);
    return true;
  } catch {
    return false;
  }
});
register('regex.split', 2, (args) => {
  const re = compileRe2(str(args, 0));
  const s = str(args, 1);
  const matches = findAll(re, s, -1);
  const out: Value[] = [];
  let last = 0;
  for (const m of matches) {
    if (m[0].length === 0 && (m.index === 0 || m.index === s.length)) continue;
    out.push(s.slice(last, m.index));
    last = m.index + m[0].length;
  }
  out.push(s.slice(last));
  return out;
});
register('regex.find_n', 3, (args) => {
  const re = compileRe2(str(args, 0));
  return findAll(re, str(args, 1), Number(int(args, 2))).map((m) => m[0]);
});
register('regex.find_all_string_submatch_n', 3, (args) => {
  const re = compileRe2(str(args, 0));
  return findAll(re, str(args, 1), Number(int(args, 2))).map((m) => Array.from(m, (g) => g ?? ''));
});
register('regex.replace', 3, (args) => {
  const s = str(args, 0);
  const re = compileRe2(str(args, 1));
  const template = str(args, 2);
  const matches = findAll(re, s, -1);
  let out = '';
  let last = 0;
  for (const m of matches) {
    out += s.slice(last, m.index) + expandTemplate(template, m, re.groupNames);
    last = m.index + m[0].length;
  }
  return out + s.slice(last);
});

/** Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; names take the longest [A-Za-z0-9_] run. */
function expandTemplate(template: string, m: RegExpExecArray, names: (string | undefined)[]): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$') {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    if (template[i + 1] === '{') {
      const end = template.indexOf('}', i + 2);
      if (end < 0) {
        out += c;
        continue;
      }
      name = template.slice(i + 2, end);
      i = end;
    } else {
      const mm = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (!mm) {
        out += c;
        continue;
      }
      name = mm[0];
      i += name.length;
    }
    if (/^\d+$/.test(name)) out += m[Number(name)] ?? '';
    else {
      const idx = names.indexOf(name);
      out += idx >= 0 ? (m[idx + 1] ?? '') : '';
    }
  }
  return out;
}

register('regex.template_match', 4, (args) => {
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
  return re2Test(pattern + '$', s);
});

// ---- glob ------------------------------------------------------------------------------------

const globCache = new Map<string, RegExp>();

/** Translates a gobwas/glob pattern into an anchored RegExp. */
function globToRegex(pattern: string, delimiters: string[]): RegExp {
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
  const re = new RegExp('^' + parse(false) + '$', 'su');
  if (globCache.size > 500) globCache.clear();
  globCache.set(key, re);
  return re;
}

register('glob.match', 3, (args) => {
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
  return globToRegex(pattern, delimiters).test(str(args, 2));
});
register('glob.quote_meta', 1, (args) => str(args, 0).replace(/[*?\\[\]{}]/g, '\\$&'));

void Many;
void RegoObject;
void execAt;
