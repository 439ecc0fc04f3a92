// regex.globs_match: whether two glob-like patterns (literals, `.`, classes, `*`, `+`, `?`) share a match.
import { BuiltinError, register, str, type BuiltinContext } from './registry';

type Ranges = [number, number][];
interface Token {
  set: Ranges;
  min: 0 | 1;
  repeat: boolean;
}

const MAX_CP = 0x10ffff;

function normalize(r: Ranges): Ranges {
  const sorted = [...r].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of normalize(r)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

function intersects(a: Ranges, b: Ranges): boolean {
  for (const [al, ah] of a) for (const [bl, bh] of b) if (al <= bh && bl <= ah) return true;
  return false;
}

function invalid(input: string, pos: number, what: string): BuiltinError {
  return new BuiltinError(`input:${input}, pos:${pos}, ${what}: the input provided is invalid`);
}

function tokenize(p: string): Token[] {
  const cps = Array.from(p);
  const tokens: Token[] = [];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as string;
    if (c === '*' || c === '+' || c === '?') {
      const last = tokens[tokens.length - 1];
      if (!last || last.repeat || (c === '?' && last.min === 0))
        throw invalid(p, i + 1, `quantifier '${c}' with nothing to repeat`);
      if (c === '*') Object.assign(last, { min: 0, repeat: true });
      else if (c === '+') last.repeat = true;
      else last.min = 0;
      continue;
    }
    if (c === ']') throw invalid(p, i + 1, "set-close ']' with no preceding '['");
    if (c === '.') {
      tokens.push({ set: [[0, MAX_CP]], min: 1, repeat: false });
      continue;
    }
    if (c === '\\') {
      const d = cps[++i];
      if (d === undefined) throw invalid(p, i, 'trailing escape');
      const cp = d.codePointAt(0) as number;
      tokens.push({ set: [[cp, cp]], min: 1, repeat: false });
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let negate = false;
      if (cps[j] === '^') {
        negate = true;
        j++;
      }
      const ranges: Ranges = [];
      let closed = false;
      for (; j < cps.length; j++) {
        let ch = cps[j] as string;
        if (ch === ']') {
          closed = true;
          break;
        }
        if (ch === '\\') ch = cps[++j] ?? '';
        const lo = ch.codePointAt(0) as number;
        if (cps[j + 1] === '-' && cps[j + 2] !== undefined && cps[j + 2] !== ']') {
          let hiCh = cps[j + 2] as string;
          j += 2;
          if (hiCh === '\\') hiCh = cps[++j] ?? '';
          const hi = hiCh.codePointAt(0) as number;
          if (hi < lo) throw invalid(p, j + 1, 'invalid range in set');
          ranges.push([lo, hi]);
        } else ranges.push([lo, lo]);
      }
      if (!closed) throw invalid(p, i + 1, "set-open '[' without closing ']'");
      tokens.push({ set: negate ? complement(ranges) : normalize(ranges), min: 1, repeat: false });
      i = j;
      continue;
    }
    const cp = c.codePointAt(0) as number;
    tokens.push({ set: [[cp, cp]], min: 1, repeat: false });
  }
  return tokens;
}

/** Product-automaton search: is there a string both token sequences accept? */
function nonEmptyIntersection(a: Token[], b: Token[], ctx: BuiltinContext): boolean {
  const seen = new Set<string>();
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack.pop() as [number, number];
    const key = `${i},${j}`;
    if (seen.has(key)) continue;
    // Up to |a| x |b| states: each visited one counts against the budgets.
    ctx.step();
    ctx.alloc(64);
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const ta = a[i];
    const tb = b[j];
    if (ta && ta.min === 0) stack.push([i + 1, j]);
    if (tb && tb.min === 0) stack.push([i, j + 1]);
    if (ta && tb && intersects(ta.set, tb.set)) {
      // Consuming one character moves past a token, or stays on it when it repeats.
      for (const ni of ta.repeat ? [i, i + 1] : [i + 1])
        for (const nj of tb.repeat ? [j, j + 1] : [j + 1]) stack.push([ni, nj]);
    }
  }
  return false;
}

register('regex.globs_match', 2, (args, ctx) =>
  nonEmptyIntersection(tokenize(str(args, 0)), tokenize(str(args, 1)), ctx),
);
