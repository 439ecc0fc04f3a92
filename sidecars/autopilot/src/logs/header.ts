// The header of raw log lines (time, host, level, process, component, thread…) told apart from the message,
// found from the lines themselves: a log provider returns whole lines, and header words that vary (a program,
// a thread, a component, a level) otherwise split one message into rare templates, or give a new message a
// template that is mostly header (decision 186).
//
// Most log layouts end their header with a delimiter: `component:` or `program[pid]:` (syslog, log4j), a
// bracketed field (`[notice]`, `[req-… - - -]`), a lone `-` (`… - INFO [thread] - message`), a `|`, or a level
// word (`INFO`, `FATAL`, `Warning`, decision 213: a layout without a delimiter whose level follows fixed columns
// such as a node and a component). A rule "the header ends after the j-th delimiter of a kind" is kept for a
// log when nearly every event has that delimiter within its first tokens; of the rules kept, the one that cuts
// latest is the header. Events are counted once per distinct masked text: the layout is shared by every kind
// of line, so one frequent message (`GET <*> <*> in <*> ms`) must not pass for it. A log with no such rule (no
// header at all) is mined whole, as before. A layout of fixed columns without a delimiter or level (a time, a
// node, a message) is cut after its last column that holds a variable in nearly every event (the time, a
// sequence number): that rule competes with the others by how far it reaches.

/** A header rule holds when the distinct event texts that have its delimiter early enough are at least this share. */
const COVERAGE = 0.9;
/** The header is within this many leading tokens. */
const HEADER_TOKENS = 12;
/** Occurrences of a delimiter tried: the header ends after the first, second or third. */
const OCCURRENCES = 3;
/** Fewer distinct event texts than this say too little about a layout: they are mined whole. */
const MIN_TEXTS = 10;

type Kind = 'colon' | 'bracket' | 'dash' | 'bar' | 'level' | 'columns';
const KINDS = ['colon', 'bracket', 'dash', 'bar', 'level'] as const;

export interface HeaderRule {
  kind: Kind;
  /** The header ends after this occurrence (1-based) of the delimiter; for `columns`, after this many tokens. */
  occurrence: number;
}

/** A token that is only variables and punctuation (`<*>`, `<*>-<*>-<*>`, `<*>,`, `[<*>]`). */
const isVariable = (token: string) => token.includes('<*>') && !/[A-Za-z0-9_]/.test(token.replaceAll('<*>', ''));

// `sshd[42]:`, `dfs.DataNode$DataXceiver:`, `CPU0:`, `<*>[<*>]:` (a masked program path and its pid): a name or a
// bracketed field, not a time or a number (`<*>:`); or a lone `:` after a padded name (Spring Boot's
// `c.a.o.OrderService      : message`, decision 220).
const isColonEnd = (token: string) =>
  token === ':' || (token.endsWith(':') && (/[\])]:$/.test(token) || /[A-Za-z]/.test(token.replaceAll('<*>', ''))));

// The level names of syslog, log4j/logback, java.util.logging and Windows, in any case, alone or in brackets
// (`INFO`, `[notice]`, `<Error>`, `warn:`).
const LEVEL_WORD =
  /^[[(<]?(?:trace|debug|fine|finer|finest|config|verbose|info|information|informational|notice|warn|warning|err|error|severe|crit|critical|alert|fatal|emerg|emergency)[\])>]?:?$/i;

/**
 * Where the message starts in a masked event text (tokens joined by single spaces) under a rule: the offset
 * just past the delimiter and the space after it, or -1 when the text has no such delimiter early enough.
 */
function cutOffset(text: string, rule: HeaderRule): number {
  let seen = 0;
  let start = 0;
  for (let token = 0; token < HEADER_TOKENS && start < text.length; token++) {
    const space = text.indexOf(' ', start);
    const end = space < 0 ? text.length : space;
    const word = text.slice(start, end);
    if (rule.kind === 'columns') {
      if (token + 1 === rule.occurrence) return end + 1;
    } else if (rule.kind === 'bar') {
      for (let i = start; i < end; i++)
        if (text.charCodeAt(i) === 124 && ++seen === rule.occurrence) return i + 1 < end ? i + 1 : end + 1;
    } else if (
      (rule.kind === 'colon' && isColonEnd(word)) ||
      (rule.kind === 'bracket' && word.endsWith(']')) ||
      (rule.kind === 'dash' && word === '-') ||
      (rule.kind === 'level' && LEVEL_WORD.test(word))
    ) {
      if (++seen === rule.occurrence) return end + 1;
    }
    if (space < 0) break;
    start = space + 1;
  }
  return -1;
}

/** The message of a masked event text under the rule: the text after the header, or all of it. */
export function messageOf(text: string, rule: HeaderRule | undefined): string {
  if (!rule) return text;
  const at = cutOffset(text, rule);
  // A text that is all header (nothing after the delimiter) is its own message.
  return at < 0 || at >= text.length ? text : text.slice(at);
}

/** The header rule of a log from its distinct masked event texts, or undefined when no rule covers nearly all. */
export function detectHeader(texts: Iterable<string>): HeaderRule | undefined {
  // Per delimiter kind and occurrence: texts that have it early enough, and the offsets where it cuts them.
  const covered = new Map<Kind, number[]>(KINDS.map((kind) => [kind, new Array<number>(OCCURRENCES).fill(0)]));
  const reach = new Map<Kind, number[]>(KINDS.map((kind) => [kind, new Array<number>(OCCURRENCES).fill(0)]));
  // Per token position: texts with a variable there, and the offsets just past it.
  const variables = new Array<number>(HEADER_TOKENS).fill(0);
  const columnReach = new Array<number>(HEADER_TOKENS).fill(0);
  let total = 0;
  for (const text of texts) {
    total++;
    scan(
      text,
      (kind, occurrence, at) => {
        covered.get(kind)![occurrence - 1]!++;
        reach.get(kind)![occurrence - 1]! += Math.min(at, text.length);
      },
      (position, variable, at) => {
        if (variable) variables[position]!++;
        columnReach[position]! += Math.min(at, text.length);
      },
    );
  }
  if (total < MIN_TEXTS) return undefined;
  const candidates: { rule: HeaderRule; covered: number; reach: number }[] = [];
  for (const kind of KINDS)
    for (let i = 0; i < OCCURRENCES; i++)
      candidates.push({
        rule: { kind, occurrence: i + 1 },
        covered: covered.get(kind)![i]!,
        reach: reach.get(kind)![i]!,
      });
  // Fixed columns: lines that start with a variable column (a time, a sequence number: the first or the
  // second token, after a label) are cut after the last column with a variable in nearly every line. A
  // message whose third word is a number has no header.
  const column = (i: number) => variables[i]! >= COVERAGE * total;
  if (column(0) || column(1))
    for (let i = HEADER_TOKENS - 1; i >= 0; i--)
      if (column(i)) {
        candidates.push({
          rule: { kind: 'columns', occurrence: i + 1 },
          covered: variables[i]!,
          reach: columnReach[i]!,
        });
        break;
      }
  let best: (typeof candidates)[number] | undefined;
  for (const c of candidates) {
    if (c.covered < COVERAGE * total) continue;
    // The rule whose header reaches furthest into the lines wins.
    if (!best || c.reach / c.covered > best.reach / best.covered) best = c;
  }
  return best?.rule;
}

/**
 * One pass over a text's first HEADER_TOKENS tokens: each delimiter occurrence (up to OCCURRENCES per kind)
 * with the offset where the message would start, and each token position with whether it is a variable.
 */
function scan(
  text: string,
  delimiter: (kind: Kind, occurrence: number, at: number) => void,
  token: (position: number, variable: boolean, at: number) => void,
): void {
  const seen = { colon: 0, bracket: 0, dash: 0, bar: 0, level: 0 };
  const found = (kind: Exclude<Kind, 'columns'>, at: number) => {
    if (seen[kind] < OCCURRENCES) delimiter(kind, ++seen[kind], at);
  };
  let start = 0;
  for (let position = 0; position < HEADER_TOKENS && start < text.length; position++) {
    const space = text.indexOf(' ', start);
    const end = space < 0 ? text.length : space;
    const word = text.slice(start, end);
    for (let i = start; i < end; i++) if (text.charCodeAt(i) === 124) found('bar', i + 1 < end ? i + 1 : end + 1);
    if (isColonEnd(word)) found('colon', end + 1);
    if (word.endsWith(']')) found('bracket', end + 1);
    if (word === '-') found('dash', end + 1);
    if (LEVEL_WORD.test(word)) found('level', end + 1);
    token(position, isVariable(word), end + 1);
    if (space < 0) break;
    start = space + 1;
  }
}

/** The shape of a text's first token, its letters as `a`: `INFO` and `Jul` are one shape, `<*>` and `[<*>-<*>` two. */
function firstTokenShape(text: string): string {
  const space = text.indexOf(' ');
  return (space < 0 ? text : text.slice(0, space)).replace(/[A-Za-z]+/g, 'a');
}

/**
 * The header rule of each text of a log that may interleave layouts (an access log and the server's own lines,
 * an application's lines and its runtime's): texts are grouped by the shape of their first token, and a group of
 * at least MIN_TEXTS distinct texts gets its own rule; the others take the rule of the whole log.
 */
export function detectHeaders(texts: readonly string[]): (text: string) => HeaderRule | undefined {
  const whole = detectHeader(texts);
  const groups = new Map<string, string[]>();
  for (const text of texts) {
    const shape = firstTokenShape(text);
    const group = groups.get(shape);
    if (group) group.push(text);
    else groups.set(shape, [text]);
  }
  if (groups.size <= 1) return () => whole;
  const rules = new Map<string, HeaderRule | undefined>();
  for (const [shape, group] of groups) if (group.length >= MIN_TEXTS) rules.set(shape, detectHeader(group));
  return (text) => {
    const shape = firstTokenShape(text);
    return rules.has(shape) ? rules.get(shape) : whole;
  };
}
