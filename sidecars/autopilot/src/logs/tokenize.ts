// Turns one log message into the tokens the template miner compares. Variables are masked as `<*>` in
// the way the corrected Loghub ground truth writes them (Khan et al., ICSE'22): a run of word characters
// that is a number or mostly digits is a variable, and variables joined by `.`, `:`, `/`, `@`, `#` or nothing collapse into
// one. Constant text around a variable is kept (`PendingReds:<*>`, `MININT-<*>`), so keys stay visible.

export const WILDCARD = '<*>';

/** Regular expressions whose matches are variables (e.g. a log format's masks); applied before tokenizing. */
export type Masks = readonly RegExp[];

/** Compiles mask sources (strings such as those of a template or `formats.json`) into global regexes. */
export function compileMasks(sources: readonly string[]): RegExp[] {
  return sources.map((source, index) => {
    try {
      return new RegExp(source, 'g');
    } catch (error) {
      throw new Error(`masks[${index}] is not a valid regular expression: ${(error as Error).message}`);
    }
  });
}

export function tokenize(content: string, masks: Masks = []): string[] {
  let text = content;
  for (const mask of masks) text = text.replace(mask, WILDCARD);
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 32;
    if (code === 32 || code === 9 || code === 10 || code === 13 || code === 11 || code === 12) {
      if (start >= 0) {
        tokens.push(maskToken(text.slice(start, i)));
        start = -1;
      }
    } else if (start < 0) {
      start = i;
    }
  }
  return tokens;
}

const isDigit = (code: number) => code >= 48 && code <= 57;
const isWordChar = (code: number) =>
  isDigit(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code > 127;

/** Masks the variable parts of one whitespace-free token; returns the token itself when it has none. */
export function maskToken(token: string): string {
  if (!mayHoldVariable(token)) return token;
  let out = '';
  let i = 0;
  while (i < token.length) {
    if (token.startsWith(WILDCARD, i)) {
      out += WILDCARD;
      i += WILDCARD.length;
      continue;
    }
    const code = token.charCodeAt(i);
    // A sign before a number belongs to it (`-1`, `timeout:-1`), not a hyphen inside a word (`r-o`).
    if (
      (code === 45 || code === 43) &&
      (isDigit(token.charCodeAt(i + 1)) || token.startsWith(WILDCARD, i + 1)) &&
      (i === 0 || !isWordChar(token.charCodeAt(i - 1)))
    ) {
      i++;
      continue;
    }
    if (!isWordChar(code)) {
      out += token[i];
      i++;
      continue;
    }
    // A run of word characters, extended over a wildcard glued to it (`blk_<*>` is one variable).
    let j = i;
    let glued = false;
    let digits = 0;
    while (j < token.length) {
      if (token.startsWith(WILDCARD, j)) {
        glued = true;
        j += WILDCARD.length;
        continue;
      }
      const c = token.charCodeAt(j);
      if (!isWordChar(c)) break;
      if (isDigit(c)) digits++;
      j++;
    }
    const run = token.slice(i, j);
    out += glued || isNumberLike(run, digits) || BOOLEANS.has(run) ? WILDCARD : run;
    i = j;
  }
  return collapseWildcards(out);
}

// A number, a hex value or an identifier made mostly of digits (ids, hashes, attempt_1445_0020_m_0) is a
// variable; a word with a digit or two in it (ssh2, log4j, jk2_init, Http11) is left for the miner to
// judge by whether it varies.
function isNumberLike(run: string, digits: number): boolean {
  if (digits === 0) return false;
  const length = run.length;
  if (digits === length || digits * 10 >= length * 3) return true;
  return /^0[xX][0-9a-fA-F]+$/.test(run) || (length >= 8 && /^[0-9a-fA-F]+$/.test(run));
}

// Values of a flag are variables too (Khan et al.'s BL rule): `ws=null`, `expand=true`.
const BOOLEANS = new Set(['true', 'false', 'null', 'TRUE', 'FALSE', 'NULL', 'True', 'False', 'Null']);

function mayHoldVariable(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (isDigit(code) || (code === 60 && token.startsWith(WILDCARD, i))) return true;
  }
  return /true|false|null/i.test(token);
}

// `<*>.<*>`, `<*>:<*>`, `<*>/<*>`, `<*>@<*>`, `<*>#<*>` and `<*><*>` are one variable (an address, a
// host:port, a path, a version).
const JOINED_WILDCARDS = /<\*>(?:[.:/@#]?<\*>)+/g;

// A path or URL with a variable in it is one variable (`/10.0.0.1:50010`, `hdfs://host-41/tmp/job_12/x`),
// cut at brackets, quotes, commas and `=` so `[hdfs://host-41]` keeps its brackets.
const PATH_WITH_VARIABLE = /[^[\](){},;"'=\s]*\/[^[\](){},;"'=\s]*/g;

function collapseWildcards(token: string): string {
  let masked = token;
  if (masked.includes('/'))
    masked = masked.replace(PATH_WITH_VARIABLE, (path) => (path.includes(WILDCARD) ? WILDCARD : path));
  return masked.replace(JOINED_WILDCARDS, WILDCARD);
}
