// Turns one log message into the tokens the template miner compares. Variables are masked as `<*>` in
// the way the corrected Loghub ground truth writes them (Khan et al., ICSE'22): a run of word characters
// that is a number or mostly digits is a variable, and variables joined by `.`, `:`, `/`, `@`, `#` or
// nothing collapse into one. Constant text around a variable is kept (`PendingReds:<*>`, `MININT-<*>`), so keys stay visible.

import { compileLinePattern, type LinePattern } from './pattern';

export const WILDCARD = '<*>';

/** Regular expressions whose matches are variables (e.g. a log format's masks); applied before tokenizing. */
export type Masks = readonly LinePattern[];

/** Compiles mask sources (strings such as those of a template or `formats.json`) into RE2 patterns. */
export function compileMasks(sources: readonly string[]): LinePattern[] {
  return sources.map((source, index) => {
    try {
      return compileLinePattern(source);
    } catch (error) {
      throw new Error(`masks[${index}] is not a valid regular expression: ${(error as Error).message}`);
    }
  });
}

export function tokenize(content: string, masks: Masks = []): string[] {
  const line = maskLine(content, masks);
  return line === '' ? [] : line.split(' ');
}

const isSpace = (code: number) => code === 32 || (code >= 9 && code <= 13);

/**
 * The masked tokens joined by single spaces, in one pass over the line: literal text is copied in slices
 * between the variables found, so a line costs about one scan. This is the miner's hot path. Masking is
 * local to a token: a line gives the same result as its whitespace-separated tokens masked one by one.
 */
export function maskLine(content: string, masks: Masks = []): string {
  let text = content;
  if (masks.length > 0) for (const mask of masks) text = mask.replaceAll(text, maskMatch);
  // trim() strips exactly what a regular expression's \s matches; most lines have nothing to strip.
  if (text.length > 0 && (isRegExpSpace(text.charCodeAt(0)) || isRegExpSpace(text.charCodeAt(text.length - 1))))
    text = text.trim();
  const length = text.length;
  let out = '';
  let copyFrom = 0; // start of literal text not yet copied to out
  let lastVariableEnd = -1;
  let tokenStart = 0; // where the current token starts in text
  let tokenOut = 0; // where it starts in out, valid once copyFrom passed tokenStart
  let tokenHasVariable = false;
  let tokenHasSlash = false;
  let i = 0;
  let next = -1; // the code unit at i when a branch below already read it
  while (i < length) {
    const code = next >= 0 ? next : text.charCodeAt(i);
    next = -1;
    if (code === 32 || (code >= 9 && code <= 13)) {
      if (tokenHasVariable && tokenHasSlash) {
        out = collapseToken(out, text, copyFrom, tokenStart, tokenOut, i);
        copyFrom = i;
      }
      let j = i + 1;
      while (j < length) {
        const c = text.charCodeAt(j);
        if (!isSpace(c)) {
          next = c;
          break;
        }
        j++;
      }
      if (j - i > 1 || code !== 32) {
        out += text.slice(copyFrom, i) + ' ';
        copyFrom = j;
      }
      i = j;
      tokenStart = j;
      tokenOut = out.length + (j - copyFrom);
      tokenHasVariable = false;
      tokenHasSlash = false;
      continue;
    }
    if (CHAR_KIND[code] === OTHER && !(code === 60 && text.startsWith(WILDCARD, i))) {
      if (code === 47 || code === 92)
        tokenHasSlash = true; // `/` or a Windows `\`
      // A sign before a number belongs to it (`-1`, `timeout:-1`), not a hyphen inside a word (`r-o`).
      else if (
        (code === 45 || code === 43) &&
        (isDigit(text.charCodeAt(i + 1)) || text.startsWith(WILDCARD, i + 1)) &&
        (i === tokenStart || !isWordChar(text.charCodeAt(i - 1)))
      ) {
        out += text.slice(copyFrom, i);
        copyFrom = i + 1;
      }
      i++;
      continue;
    }
    // A run of word characters, extended over a wildcard glued to it (`blk_<*>` is one variable).
    let j = i;
    let glued = false;
    let digits = 0;
    let c = code;
    for (;;) {
      const kind = CHAR_KIND[c]!;
      if (kind === LETTER) j++;
      else if (kind === DIGIT) {
        digits++;
        j++;
      } else if (c === 60 && text.startsWith(WILDCARD, j)) {
        glued = true;
        j += WILDCARD.length;
      } else {
        next = c;
        break;
      }
      if (j >= length) break;
      c = text.charCodeAt(j);
    }
    if (glued || (digits > 0 && isNumberLike(text, i, j, digits)) || (digits === 0 && isBoolean(text, i, j))) {
      // Variables joined by nothing or one of . : / @ # are one variable (an address, host:port, version).
      const joined =
        copyFrom === lastVariableEnd &&
        lastVariableEnd > tokenStart &&
        i - copyFrom <= 1 &&
        (i === copyFrom || isJoiner(text.charCodeAt(copyFrom)));
      if (!joined) out += text.slice(copyFrom, i) + WILDCARD;
      copyFrom = j;
      lastVariableEnd = j;
      tokenHasVariable = true;
    }
    i = j;
  }
  if (tokenHasVariable && tokenHasSlash) {
    out = collapseToken(out, text, copyFrom, tokenStart, tokenOut, length);
    copyFrom = length;
  }
  return copyFrom === 0 ? text : out + text.slice(copyFrom);
}

/**
 * A mask's match becomes one variable, but the whitespace at its ends stays: a mask such as `/.+?\s` or
 * `0x.*?\s` must not glue the variable to the next token (`<*>- E_FAIL` instead of `<*> - E_FAIL`).
 */
function maskMatch(match: string): string {
  let start = 0;
  let end = match.length;
  while (start < end && isRegExpSpace(match.charCodeAt(start))) start++;
  while (end > start && isRegExpSpace(match.charCodeAt(end - 1))) end--;
  if (start === 0 && end === match.length) return WILDCARD;
  return match.slice(0, start) + (start < end ? WILDCARD : '') + match.slice(end);
}

/**
 * A path with a variable in it is one variable: the finished token (text up to `end`) re-masked (rare).
 * Returns out with the token's literal rest copied and the token collapsed. A plain function, not a
 * closure made per line: this runs inside the hot loop's caller.
 */
function collapseToken(
  out: string,
  text: string,
  copyFrom: number,
  tokenStart: number,
  tokenOut: number,
  end: number,
): string {
  const start = copyFrom <= tokenStart ? out.length + (tokenStart - copyFrom) : tokenOut;
  const whole = out + text.slice(copyFrom, end);
  return whole.slice(0, start) + collapsePath(whole.slice(start));
}

// The kind of every UTF-16 code unit, looked up once per character in the hot loop instead of a chain of
// range tests: word characters are ASCII letters, digits, `_` and everything beyond ASCII.
const OTHER = 0;
const LETTER = 1;
const DIGIT = 2;
const CHAR_KIND = (() => {
  const kinds = new Uint8Array(0x10000).fill(LETTER);
  kinds.fill(OTHER, 0, 128);
  kinds.fill(DIGIT, 48, 58);
  kinds.fill(LETTER, 65, 91);
  kinds.fill(LETTER, 97, 123);
  kinds[95] = LETTER;
  return kinds;
})();

const isDigit = (code: number) => code >= 48 && code <= 57;
const isWordChar = (code: number) =>
  isDigit(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code > 127;

function isBoolean(token: string, start: number, end: number): boolean {
  const length = end - start;
  if (length !== 4 && length !== 5) return false;
  const first = token.charCodeAt(start) | 32; // lower case
  const last = token.charCodeAt(end - 1) | 32;
  return (
    (first === 116 || first === 102 || first === 110) &&
    (last === 101 || last === 108) &&
    BOOLEANS.has(token.slice(start, end))
  );
}

// A number, a hex value or an identifier made mostly of digits (ids, hashes, attempt_1445_0020_m_0) is a
// variable; a word with a digit or two in it (ssh2, log4j, jk2_init, Http11) is left for the miner to
// judge by whether it varies.
function isNumberLike(text: string, start: number, end: number, digits: number): boolean {
  if (digits === 0) return false;
  const length = end - start;
  if (digits === length || digits * 10 >= length * 3) return true;
  // `0x1f` (a prefix and at least one hex digit) or a hex run of 8 or more (a hash); scanned in place
  // rather than sliced out and matched by a regex, as this runs for every word with a digit in it.
  if (length > 2 && text.charCodeAt(start) === 48 && (text.charCodeAt(start + 1) | 32) === 120)
    return isHexRun(text, start + 2, end);
  return length >= 8 && isHexRun(text, start, end);
}

function isHexRun(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    const lower = code | 32;
    if (!((code >= 48 && code <= 57) || (lower >= 97 && lower <= 102))) return false;
  }
  return true;
}

// Values of a flag are variables too (Khan et al.'s BL rule): `ws=null`, `expand=true`.
const BOOLEANS = new Set(['true', 'false', 'null', 'TRUE', 'FALSE', 'NULL', 'True', 'False', 'Null']);

const isJoiner = (code: number) => code === 46 || code === 58 || code === 47 || code === 64 || code === 35;

/**
 * A path or URL with a variable in it is one variable (`/10.0.0.1:50010`, `hdfs://host-41/tmp/job_12/x`):
 * a piece of the token between brackets, quotes, commas, `;` and `=` (so `[hdfs://host-41]` keeps its
 * brackets) that holds a `/` and a variable becomes one variable; then variables joined as in maskLine are one.
 * Scanned by hand: the regex replace with a callback it replaces cost a call per piece on the hot path.
 */
function collapsePath(token: string): string {
  let out = '';
  let copyFrom = 0;
  let pieceStart = 0;
  let hasSlash = false;
  let hasVariable = false;
  for (let i = 0; i <= token.length; i++) {
    const code = i < token.length ? token.charCodeAt(i) : -1;
    if (code === -1 || isPathDelimiter(code)) {
      if (hasSlash && hasVariable) {
        out += token.slice(copyFrom, pieceStart) + WILDCARD;
        copyFrom = i;
      }
      pieceStart = i + 1;
      hasSlash = false;
      hasVariable = false;
    } else if (code === 47 || code === 92) hasSlash = true;
    else if (code === 60 && token.startsWith(WILDCARD, i)) hasVariable = true;
  }
  return joinVariables(copyFrom === 0 ? token : out + token.slice(copyFrom));
}

// What ends a path piece: `[](){},;"'=` and whitespace as a regular expression's \s knows it.
function isPathDelimiter(code: number): boolean {
  switch (code) {
    case 91: // [
    case 93: // ]
    case 40: // (
    case 41: // )
    case 123: // {
    case 125: // }
    case 44: // ,
    case 59: // ;
    case 34: // "
    case 39: // '
    case 61: // =
      return true;
    default:
      return isRegExpSpace(code);
  }
}

function isRegExpSpace(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

// `<*>.<*>`, `<*>:<*>`, `<*>/<*>`, `<*>@<*>`, `<*>#<*>` and `<*><*>` are one variable (an address, a
// host:port, a path, a version).
function joinVariables(text: string): string {
  let at = text.indexOf(WILDCARD);
  let out = '';
  let copyFrom = 0;
  while (at >= 0) {
    let end = at + WILDCARD.length;
    for (;;) {
      if (text.startsWith(WILDCARD, end)) end += WILDCARD.length;
      else if (isJoiner(text.charCodeAt(end)) && text.startsWith(WILDCARD, end + 1)) end += 1 + WILDCARD.length;
      else break;
    }
    if (end > at + WILDCARD.length) {
      out += text.slice(copyFrom, at) + WILDCARD;
      copyFrom = end;
    }
    at = text.indexOf(WILDCARD, end);
  }
  return copyFrom === 0 ? text : out + text.slice(copyFrom);
}
