// The regular expressions of a log template (masks and tag patterns) come from users through the template
// API and are matched against every log line an application writes. They are matched by RE2 (re2js), whose
// time is linear in the line: V8's backtracking RegExp takes minutes on `(a+)+b` against forty `a`s, and the
// matching runs on the service's one thread, so one such template would stall every verification.
import { RE2JS, RE2JSException } from 're2js';

/**
 * Largest RE2 program a pattern may compile to. Matching costs about the line's length times the program's
 * size, so a pattern of many long alternatives (`[a-h]{999}z|[a-i]{998}z|…`) would cost a tenth of a second
 * per line; masks people write compile to 10–50 instructions.
 */
export const MAX_PATTERN_INSTRUCTIONS = 1000;

/** A compiled RE2 pattern as the log analysis uses it. */
export interface LinePattern {
  readonly source: string;
  /** True when the pattern matches anywhere in `text`. */
  test(text: string): boolean;
  /** Every match replaced by what `replace` returns for it (taken literally: no `$` references). */
  replaceAll(text: string, replace: (match: string) => string): string;
}

/** Compiles an RE2 pattern (Go's syntax: no lookaround, no backreferences); throws with RE2's message or the size. */
export function compileLinePattern(source: string): LinePattern {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source);
  } catch (error) {
    if (error instanceof RE2JSException) throw new Error(error.message);
    throw error;
  }
  const size = (compiled.re2() as { numberOfInstructions(): number }).numberOfInstructions();
  if (size > MAX_PATTERN_INSTRUCTIONS)
    throw new Error(`compiles to ${size} RE2 instructions, more than ${MAX_PATTERN_INSTRUCTIONS}`);
  return {
    source,
    test: (text) => compiled.test(text),
    replaceAll: (text, replace) => compiled.matcher(text).replaceAll((match: string) => replace(match)),
  };
}

/** Why `source` is not an RE2 pattern, or undefined when it is one. */
export function linePatternProblem(source: string): string | undefined {
  try {
    compileLinePattern(source);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
