// The header of raw log lines (time, host, level, process, component, thread…) told apart from the message,
// found from the lines themselves: a log provider returns whole lines, and header words that vary (a program,
// a thread, a component, a level) otherwise split one message into rare templates, or give a new message a
// template that is mostly header (decision 186).
//
// Most log layouts end their header with a delimiter: `component:` or `program[pid]:` (syslog, log4j), a
// bracketed field (`[notice]`, `[req-… - - -]`), a lone `-` (`… - INFO [thread] - message`), or a `|`. A rule
// "the header ends after the j-th delimiter of a kind" is kept for a log when nearly every event has that
// delimiter within its first tokens; of the rules kept, the one that cuts latest is the header. Events are
// counted once per distinct masked text: the layout is shared by every kind of line, so one frequent message
// (`GET <*> <*> in <*> ms`) must not pass for it. A log with no
// such rule (no header at all) is mined whole, as before. A layout of fixed columns without a delimiter (a time,
// a node, a level, a message) is cut after its last column that holds a variable in nearly every event (the
// time, a sequence number): that rule competes with the others by how far it reaches.

/** A header rule holds when the distinct event texts that have its delimiter early enough are at least this share. */
const COVERAGE = 0.9;
/** The header is within this many leading tokens. */
const HEADER_TOKENS = 12;
/** Occurrences of a delimiter tried: the header ends after the first, second or third. */
const OCCURRENCES = 3;
/** Fewer distinct event texts than this say too little about a layout: they are mined whole. */
const MIN_TEXTS = 10;

type Kind = 'colon' | 'bracket' | 'dash' | 'bar' | 'columns';
const KINDS: readonly Kind[] = ['colon', 'bracket', 'dash', 'bar'];

export interface HeaderRule {
  kind: Kind;
  /** The header ends after this occurrence (1-based) of the delimiter; for `columns`, after this many tokens. */
  occurrence: number;
}

/** A token that is only variables and punctuation (`<*>`, `<*>-<*>-<*>`, `<*>,`, `[<*>]`). */
const isVariable = (token: string) => token.includes('<*>') && !/[A-Za-z0-9_]/.test(token.replaceAll('<*>', ''));

// `sshd[42]:`, `dfs.DataNode$DataXceiver:`, `CPU0:`, `<*>[<*>]:` (a masked program path and its pid): a name or a
// bracketed field, not a time or a number (`<*>:`).
const isColonEnd = (token: string) =>
  token.endsWith(':') && (/[\])]:$/.test(token) || /[A-Za-z]/.test(token.replaceAll('<*>', '')));

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
      (rule.kind === 'dash' && word === '-')
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
  const entries = [...texts];
  const rules = KINDS.flatMap((kind) =>
    Array.from({ length: OCCURRENCES }, (_, i) => ({ rule: { kind, occurrence: i + 1 }, covered: 0, reach: 0 })),
  ).filter((r) => r.rule.kind !== 'columns');
  const columns = variableColumns(entries);
  if (columns > 0) rules.push({ rule: { kind: 'columns', occurrence: columns }, covered: 0, reach: 0 });
  if (entries.length < MIN_TEXTS) return undefined;
  const total = entries.length;
  for (const text of entries) {
    for (const r of rules) {
      const at = cutOffset(text, r.rule);
      if (at < 0) continue;
      r.covered++;
      // How far into the line the header reaches: the rule cutting latest wins.
      r.reach += Math.min(at, text.length);
    }
  }
  let best: (typeof rules)[number] | undefined;
  for (const r of rules) {
    if (r.covered < COVERAGE * total) continue;
    if (!best || r.reach / r.covered > best.reach / best.covered) best = r;
  }
  return best?.rule;
}

/**
 * How many leading tokens end at the last position, among the first HEADER_TOKENS, where nearly every event
 * (COVERAGE) has a variable, when lines start with such a column (a time, a sequence number; the first or the
 * second token, after a label): 0 otherwise, as a message whose third word is a number has no header.
 */
function variableColumns(texts: readonly string[]): number {
  const variables = new Array<number>(HEADER_TOKENS).fill(0);
  for (const text of texts) {
    const tokens = text.split(' ', HEADER_TOKENS);
    for (let i = 0; i < tokens.length; i++) if (isVariable(tokens[i]!)) variables[i]!++;
  }
  const column = (i: number) => texts.length > 0 && variables[i]! >= COVERAGE * texts.length;
  if (!column(0) && !column(1)) return 0;
  for (let i = HEADER_TOKENS - 1; i >= 0; i--) if (column(i)) return i + 1;
  return 0;
}
