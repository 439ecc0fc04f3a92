// Go RE2 regular expressions on top of JS RegExp: syntax translated, RE2-only features enforced,
// and patterns that could backtrack catastrophically run under a hard timeout.
import { Script, createContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { BudgetExceededError } from '../errors';
import { BuiltinError } from './registry';

// V8's linear-time engine (flag 'l') gives RE2's guarantee for the patterns it accepts.
let linearAvailable = false;
try {
  setFlagsFromString('--enable-experimental-regexp-engine');
  new RegExp('a', 'l');
  linearAvailable = true;
} catch {
  linearAvailable = false;
}

/** A compiled RE2 pattern. */
export interface Re2 {
  source: string;
  /** Non-global regex for tests and single matches. */
  regex: RegExp;
  /** True when the regex may backtrack badly and must run under a timeout. */
  risky: boolean;
  groupNames: (string | undefined)[];
}

const cache = new Map<string, Re2>();
const REGEX_TIMEOUT_MS = 250;
const sandbox = createContext({});
const execScript = new Script('r.lastIndex = 0; r.exec(s)');

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function parseError(pattern: string, what: string, arg: string): BuiltinError {
  void pattern;
  return new BuiltinError(`error parsing regexp: ${what}: \`${arg}\``);
}

/** Translates Go RE2 syntax to JS RegExp syntax (with the `u` flag); rejects what RE2 rejects. */
export function translateRe2(pattern: string): {
  source: string;
  flags: string;
  risky: boolean;
  groupNames: (string | undefined)[];
} {
  let flags = '';
  let i = 0;
  let out = '';
  const groupNames: (string | undefined)[] = [];
  // Stack of groups: whether the group contains a quantifier or alternation (for risk detection).
  const stack: { hasQuant: boolean; hasAlt: boolean }[] = [{ hasQuant: false, hasAlt: false }];
  let risky = false;
  let lastAtomGroup: { hasQuant: boolean; hasAlt: boolean } | null = null;
  const n = pattern.length;
  // Leading flag group (?i) (?s) (?m) (?U is unsupported).
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead) {
    for (const f of lead[1] as string) {
      if (f === 'U') throw parseError(pattern, 'invalid or unsupported Perl syntax', '(?U');
      if (!flags.includes(f)) flags += f;
    }
    i = lead[0].length;
  }
  const escapeLiteral = (c: string): string => (/[\\^$.*+?()[\]{}|/-]/.test(c) ? '\\' + c : c);
  while (i < n) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const d = pattern[i + 1];
      if (d === undefined) throw parseError(pattern, 'trailing backslash at end of expression', '');
      if (d >= '1' && d <= '9') throw parseError(pattern, 'invalid escape sequence', '\\' + d);
      if (d === 'A') out += '^';
      else if (d === 'z') out += '$(?![\\s\\S])';
      else if (d === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const lit = pattern.slice(i + 2, end < 0 ? n : end);
        out += [...lit].map(escapeLiteral).join('');
        i = end < 0 ? n : end + 2;
        lastAtomGroup = null;
        continue;
      } else if (d === 'p' || d === 'P') {
        let name: string;
        if (pattern[i + 2] === '{') {
          const end = pattern.indexOf('}', i + 3);
          if (end < 0) throw parseError(pattern, 'invalid character class range', pattern.slice(i));
          name = pattern.slice(i + 3, end);
          i = end + 1;
        } else {
          name = pattern[i + 2] ?? '';
          i += 3;
        }
        const neg = name.startsWith('^');
        if (neg) name = name.slice(1);
        const general = [
          'L',
          'Lu',
          'Ll',
          'Lt',
          'Lm',
          'Lo',
          'M',
          'Mn',
          'Mc',
          'Me',
          'N',
          'Nd',
          'Nl',
          'No',
          'P',
          'Pc',
          'Pd',
          'Ps',
          'Pe',
          'Pi',
          'Pf',
          'Po',
          'S',
          'Sm',
          'Sc',
          'Sk',
          'So',
          'Z',
          'Zs',
          'Zl',
          'Zp',
          'C',
          'Cc',
          'Cf',
          'Co',
          'Cs',
        ];
        const prop = name === 'Any' ? 'Any' : general.includes(name) ? name : `Script=${name}`;
        out += `\\${(d === 'P') !== neg ? 'P' : 'p'}{${prop}}`;
        lastAtomGroup = null;
        continue;
      } else if ('dDwWsSbB'.includes(d)) out += '\\' + d;
      else if ('nrtfv'.includes(d)) out += '\\' + d;
      else if (d === 'a') out += '\\x07';
      else if (d === 'x') {
        if (pattern[i + 2] === '{') {
          const end = pattern.indexOf('}', i + 3);
          out += `\\u{${pattern.slice(i + 3, end)}}`;
          i = end + 1;
          lastAtomGroup = null;
          continue;
        }
        out += '\\x' + pattern.slice(i + 2, i + 4);
        i += 4;
        lastAtomGroup = null;
        continue;
      } else if (/[0-7]/.test(d)) out += '\\x00';
      else if (/[A-Za-z0-9]/.test(d)) throw parseError(pattern, 'invalid escape sequence', '\\' + d);
      else out += escapeLiteral(d);
      i += 2;
      lastAtomGroup = null;
      continue;
    }
    if (c === '[') {
      const { text, next } = translateClass(pattern, i);
      out += text;
      i = next;
      lastAtomGroup = null;
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] === '?') {
        const rest = pattern.slice(i + 2);
        if (rest.startsWith('P<') || rest.startsWith('<')) {
          const start = rest.startsWith('P<') ? 4 : 3;
          const end = pattern.indexOf('>', i + start);
          const name = pattern.slice(i + start, end);
          if (end < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
            throw parseError(pattern, 'invalid named capture', pattern.slice(i, end + 1));
          out += `(?<${name}>`;
          groupNames.push(name);
          i = end + 1;
        } else if (rest.startsWith(':')) {
          out += '(?:';
          i += 3;
        } else if (/^[imsU-]+:/.test(rest)) {
          const m = /^([imsU-]+):/.exec(rest) as RegExpExecArray;
          // Scoped flags: JS (Node 20) has no modifiers; support case folding only when it is the whole pattern.
          const f = m[1] as string;
          if (f.includes('i') && !flags.includes('i')) flags += 'i';
          if (f.includes('s') && !flags.includes('s')) flags += 's';
          out += '(?:';
          i += 2 + m[0].length;
        } else if (/^[imsU-]+\)/.test(rest)) {
          const m = /^([imsU-]+)\)/.exec(rest) as RegExpExecArray;
          const f = m[1] as string;
          for (const x of f.replace('-', '')) if (x !== 'U' && !flags.includes(x)) flags += x;
          i += 2 + m[0].length;
          continue;
        } else throw parseError(pattern, 'invalid or unsupported Perl syntax', pattern.slice(i, i + 3));
      } else {
        out += '(';
        groupNames.push(undefined);
        i++;
      }
      stack.push({ hasQuant: false, hasAlt: false });
      continue;
    }
    if (c === ')') {
      const g = stack.pop();
      if (!g || stack.length === 0) throw parseError(pattern, 'unexpected )', pattern);
      const parent = stack[stack.length - 1] as { hasQuant: boolean; hasAlt: boolean };
      if (g.hasQuant) parent.hasQuant = true;
      out += ')';
      i++;
      lastAtomGroup = g;
      continue;
    }
    if (c === '|') {
      (stack[stack.length - 1] as { hasAlt: boolean }).hasAlt = true;
      out += '|';
      i++;
      lastAtomGroup = null;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let q = c;
      if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (!m) {
          out += '\\{';
          i++;
          lastAtomGroup = null;
          continue;
        }
        const lo = Number(m[1]);
        const hi = m[3] ? Number(m[3]) : lo;
        if (lo > 1000 || hi > 1000) throw parseError(pattern, 'invalid repeat count', m[0]);
        q = m[0];
      }
      if (out.length === 0 || /[|(]$/.test(out))
        throw parseError(pattern, 'missing argument to repetition operator', q);
      const prev = pattern[i - 1];
      if (
        prev === '*' ||
        prev === '+' ||
        (prev === '?' && c !== '?') ||
        (prev === '}' && q !== '?' && /\{\d+(,\d*)?\}$/.test(pattern.slice(0, i)))
      )
        throw parseError(pattern, 'invalid nested repetition operator', pattern.slice(i - 1, i + q.length));
      out += q;
      i += q.length;
      if (pattern[i] === '?' && q !== '?') {
        out += '?';
        i++;
      }
      if (lastAtomGroup && (lastAtomGroup.hasQuant || lastAtomGroup.hasAlt)) risky = true;
      (stack[stack.length - 1] as { hasQuant: boolean }).hasQuant = true;
      lastAtomGroup = null;
      continue;
    }
    if (c === '/') out += '\\/';
    else out += c;
    i++;
    lastAtomGroup = null;
  }
  if (stack.length !== 1) throw parseError(pattern, 'missing closing )', pattern);
  return { source: out, flags, risky, groupNames };
}

function translateClass(pattern: string, start: number): { text: string; next: number } {
  let i = start + 1;
  let out = '[';
  if (pattern[i] === '^') {
    out += '^';
    i++;
  }
  let first = true;
  for (;;) {
    const c = pattern[i];
    if (c === undefined) throw parseError(pattern, 'missing closing ]', pattern.slice(start));
    if (c === ']' && !first) {
      i++;
      break;
    }
    first = false;
    if (c === '[' && pattern[i + 1] === ':') {
      const end = pattern.indexOf(':]', i + 2);
      if (end > 0) {
        let name = pattern.slice(i + 2, end);
        const neg = name.startsWith('^');
        if (neg) name = name.slice(1);
        const cls = POSIX[name];
        if (!cls) throw parseError(pattern, 'invalid character class range', pattern.slice(i, end + 2));
        if (neg) throw parseError(pattern, 'invalid character class range', pattern.slice(i, end + 2));
        out += cls;
        i = end + 2;
        continue;
      }
    }
    if (c === '\\') {
      const d = pattern[i + 1] ?? '';
      if ('dDwWsS'.includes(d)) out += '\\' + d;
      else if ('nrtfv'.includes(d)) out += '\\' + d;
      else if (d === 'p' || d === 'P') {
        const end = pattern[i + 2] === '{' ? pattern.indexOf('}', i) : i + 2;
        const name = pattern[i + 2] === '{' ? pattern.slice(i + 3, end) : (pattern[i + 2] ?? '');
        out += `\\${d}{${name.length <= 2 ? name : 'Script=' + name}}`;
        i = end + 1;
        continue;
      } else if (d === 'x') {
        out += '\\x' + pattern.slice(i + 2, i + 4);
        i += 4;
        continue;
      } else if (/[A-Za-z0-9]/.test(d)) throw parseError(pattern, 'invalid escape sequence', '\\' + d);
      else out += /[\\\]\[^-]/.test(d) ? '\\' + d : d;
      i += 2;
      continue;
    }
    if (c === '[') out += '\\[';
    else if (c === '/') out += '\\/';
    else out += c;
    i++;
  }
  return { text: out + ']', next: i };
}

/** Compiles (and caches) an RE2 pattern. Throws BuiltinError for invalid RE2 syntax. */
export function compileRe2(pattern: string): Re2 {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const t = translateRe2(pattern);
  let regex: RegExp | undefined;
  let risky = t.risky;
  if (linearAvailable && !t.flags.includes('i') && !/\\[pPu]\{|[^\x00-\x7f]/.test(t.source)) {
    try {
      regex = new RegExp(t.source, t.flags + 'l');
      risky = false;
    } catch {
      regex = undefined;
    }
  }
  if (!regex) {
    try {
      regex = new RegExp(t.source, t.flags + 'u');
    } catch (err) {
      throw new BuiltinError(
        `error parsing regexp: ${err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err)}`,
      );
    }
  }
  const compiled: Re2 = { source: pattern, regex, risky, groupNames: t.groupNames };
  if (cache.size > 500) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

/** Runs regex.exec from a position; risky patterns run under a hard timeout. */
export function execAt(re: Re2, s: string, from: number, global = true): RegExpExecArray | null {
  const r = new RegExp(
    re.regex.source,
    re.regex.flags.includes('g') ? re.regex.flags : re.regex.flags + (global ? 'g' : ''),
  );
  if (!re.risky) {
    r.lastIndex = from;
    return r.exec(s);
  }
  try {
    sandbox.r = r;
    sandbox.s = s;
    r.lastIndex = from;
    const script = new Script(`r.lastIndex = ${from}; r.exec(s)`);
    return script.runInContext(sandbox, { timeout: REGEX_TIMEOUT_MS }) as RegExpExecArray | null;
  } catch (err) {
    if (err && typeof err === 'object' && (err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
      throw new BudgetExceededError('time', REGEX_TIMEOUT_MS);
    throw err;
  } finally {
    sandbox.r = undefined;
    sandbox.s = undefined;
  }
}
void execScript;

/** All non-overlapping matches, like Go's FindAllStringSubmatchIndex with limit n (-1 = all). */
export function findAll(re: Re2, s: string, n: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let pos = 0;
  let prevEnd = -1;
  while ((n < 0 || out.length < n) && pos <= s.length) {
    const m = execAt(re, s, pos);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0 && m.index === prevEnd) {
      // Go skips an empty match right after the previous match.
      pos = m.index + (s.codePointAt(m.index)! > 0xffff ? 2 : 1);
      if (m.index >= s.length) break;
      continue;
    }
    out.push(m);
    prevEnd = end;
    pos = m[0].length === 0 ? end + (end < s.length && s.codePointAt(end)! > 0xffff ? 2 : 1) : end;
  }
  return out;
}

/** True when the pattern matches anywhere in s. */
export function re2Test(pattern: string, s: string): boolean {
  return execAt(compileRe2(pattern), s, 0) !== null;
}
