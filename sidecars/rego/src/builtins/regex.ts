// Go RE2 regular expressions through re2js (a port of RE2): Go's syntax and error messages, and matching
// in time linear in the input, so no pattern can hang an evaluation.
import { RE2JS, RE2JSException } from 're2js';
import { BuiltinError, ELEMENT_BYTES, stringBytes, type BuiltinContext } from './registry';

/** The part of re2js's RE2 object used here (its typings say `any`); indexes are UTF-16 offsets. */
interface Re2Engine {
  match(s: string): boolean;
  findAllSubmatchIndex(s: string, n: number): number[][] | null;
  numberOfInstructions(): number;
}

/** A compiled RE2 pattern. */
export interface Re2 {
  source: string;
  engine: Re2Engine;
  /** Name of each capture group (index 0 = group 1), undefined when unnamed. */
  groupNames: (string | undefined)[];
}

/** One match: where it starts and the text of the whole match (index 0) and of each group (undefined = unset). */
export interface Re2Match {
  index: number;
  groups: (string | undefined)[];
}

const cache = new Map<string, Re2>();
const MAX_CACHED = 500;
/** Longer patterns are compiled per call, not kept: the cache outlives evaluations and their budgets. */
const MAX_CACHED_PATTERN_LENGTH = 4096;
/**
 * Input code units times program instructions that count as one evaluation step: the NFA's worst case (every
 * instruction a live thread at every character, `a.*a.*…`), which re2js runs at about 50 units a microsecond,
 * against a step of about a microsecond. At 4096 a match within the step budget ran 150 times the time budget,
 * which cannot interrupt a match.
 */
const UNITS_PER_STEP = 64;

/** Compiles (and caches) an RE2 pattern. Throws BuiltinError with Go's message for invalid syntax. */
export function compileRe2(pattern: string, ctx?: BuiltinContext): Re2 {
  const hit = cache.get(pattern);
  if (hit) return hit;
  // Compiling costs about the pattern's size; charge before the work.
  ctx?.alloc(stringBytes(pattern.length) * 8);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    if (error instanceof RE2JSException) throw new BuiltinError(error.message);
    throw error;
  }
  const groupNames: (string | undefined)[] = new Array<string | undefined>(compiled.groupCount()).fill(undefined);
  for (const [name, index] of Object.entries(compiled.namedGroups())) groupNames[index - 1] = name;
  const re: Re2 = { source: pattern, engine: compiled.re2() as Re2Engine, groupNames };
  if (pattern.length <= MAX_CACHED_PATTERN_LENGTH) {
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}

/** Charges the matching work on `s` against the step budget, before it is done. */
function chargeMatch(re: Re2, s: string, ctx?: BuiltinContext): void {
  if (!ctx) return;
  const work = (s.length + 1) * Math.max(1, re.engine.numberOfInstructions());
  ctx.step(Math.ceil(work / UNITS_PER_STEP));
}

/** All non-overlapping matches, like Go's FindAllStringSubmatchIndex with limit n (-1 = all). */
export function findAll(re: Re2, s: string, n: number, ctx?: BuiltinContext): Re2Match[] {
  if (n === 0) return [];
  chargeMatch(re, s, ctx);
  const found = re.engine.findAllSubmatchIndex(s, n < 0 ? -1 : n) ?? [];
  ctx?.alloc(found.length * (re.groupNames.length + 1) * ELEMENT_BYTES);
  const matches: Re2Match[] = [];
  for (const bounds of found) {
    const groups: (string | undefined)[] = [];
    for (let i = 0; i < bounds.length; i += 2) {
      const start = bounds[i] as number;
      const end = bounds[i + 1] as number;
      groups.push(start < 0 ? undefined : s.slice(start, end));
    }
    matches.push({ index: bounds[0] as number, groups });
  }
  return matches;
}

/** True when the compiled pattern matches anywhere in s. */
export function matchRe2(re: Re2, s: string, ctx?: BuiltinContext): boolean {
  chargeMatch(re, s, ctx);
  return re.engine.match(s);
}

/** True when the pattern matches anywhere in s. */
export function re2Test(pattern: string, s: string, ctx?: BuiltinContext): boolean {
  return matchRe2(compileRe2(pattern, ctx), s, ctx);
}
