// Log lines that name their own fields: JSON lines (zap, logrus, slog, pino, bunyan, winston, log4j2,
// logstash-logback-encoder, ECS, Serilog, structlog, python-json-logger, Cloud Logging), logfmt (go-kit,
// logrus's text formatter, slog's text handler) and klog (`E1207 15:04:05.123456 1 file.go:12] msg`). Their
// level and message are read from the fields, not mined as text: mined whole, a JSON line is one run of keys,
// times and ids, its template mostly keys, and a numeric level (pino's 50) or klog's level letter is no level
// word to the topic rules (decision 220).
//
// Access logs in the Common Log Format family (nginx, Apache, envoy's default, Traefik) are read the same
// way: the quoted request and the status after it are fields. The status class is the event (`ERROR` for a
// 5xx, the server failed); the query string and the other columns (client, sizes, agent) are left out.
//
// An event of such a line is described by a text of its own, `LEVEL message cause`: the level as a word
// (`ERROR`, `WARN`, …), the message, and what failed (the first line of an error field, the exception classes
// of a stack trace). Times, hosts, callers and the other fields are left out: they vary per line or per
// replica, not per event. A line with no message field is described by its fields instead, sorted by key
// (`method=GET path=… status=500`): the field names are then the event.

/** Longer lines are mined as text: parsing them costs more than they can tell. */
export const MAX_STRUCTURED_LENGTH = 64 * 1024;
/** Nested objects are read this deep (`error.stack_trace`, `err.message`, `log.level`). */
const MAX_DEPTH = 3;
/** At most this many fields are read from one line. */
const MAX_FIELDS = 200;
/** A cause is cut to this many characters. */
const MAX_CAUSE = 500;

const LEVEL_KEYS = ['level', 'lvl', 'severity', 'loglevel', 'log_level', 'levelname', 'level_name', 'log.level', '@l'];
// Serilog's message template (`@mt`) before its rendering (`@m`): the template is the event.
const MESSAGE_KEYS = ['msg', 'message', '@mt', '@m', 'event', 'short_message', 'log.message'];
const ERROR_KEYS = ['err', 'error', 'exception', 'exc_info', 'thrown', '@x'];
// An error object, flattened (`err.type`, `error.message`, ECS's `error.stack_trace`): its parts by these names.
const ERROR_KINDS = ['type', 'name', 'kind', 'class'];
const ERROR_MESSAGES = ['message', 'msg'];
const ERROR_STACKS = ['stack', 'stack_trace', 'stacktrace', 'extendedstacktrace'];
const ERROR_OBJECT_KEYS = ERROR_KEYS.map((key): [string[], string[]] => [
  ERROR_KINDS.map((part) => `${key}.${part}`),
  ERROR_MESSAGES.map((part) => `${key}.${part}`),
]);
const STACK_KEYS = [
  'stack_trace',
  'stacktrace',
  'stack',
  'exc_text',
  ...ERROR_KEYS.flatMap((key) => ERROR_STACKS.map((part) => `${key}.${part}`)),
];
// Fields that vary per line or per replica and never name an event: left out of a line described by its fields.
const HEADER_KEYS = new Set([
  'time',
  'ts',
  'timestamp',
  '@timestamp',
  't',
  'date',
  'datetime',
  'asctime',
  'created',
  'hostname',
  'host',
  'host.hostname',
  'pid',
  'process',
  'tid',
  'thread',
  'thread_name',
  'threadname',
  'v',
  '@version',
  'caller',
  'source',
  'logger',
  'logger_name',
  'loggername',
  'name',
  'component',
  'level_value',
  'trace_id',
  'traceid',
  'span_id',
  'spanid',
  'request_id',
  'requestid',
  'reqid',
]);

/** Canonical level words: what the topic rules and a reader recognise. */
const LEVEL_WORDS: { [word: string]: string } = {
  trace: 'TRACE',
  debug: 'DEBUG',
  dbg: 'DEBUG',
  fine: 'DEBUG',
  info: 'INFO',
  information: 'INFO',
  notice: 'INFO',
  warn: 'WARN',
  warning: 'WARN',
  wrn: 'WARN',
  error: 'ERROR',
  err: 'ERROR',
  eror: 'ERROR',
  severe: 'ERROR',
  fatal: 'FATAL',
  critical: 'FATAL',
  crit: 'FATAL',
  panic: 'FATAL',
  dpanic: 'FATAL',
  alert: 'FATAL',
  emerg: 'FATAL',
  emergency: 'FATAL',
};
const KLOG_LEVELS: { [letter: string]: string } = { I: 'INFO', W: 'WARN', E: 'ERROR', F: 'FATAL' };

/** A level field's value as a level word, or undefined when it is none. */
function levelWord(value: unknown): string | undefined {
  if (typeof value === 'string' && !/^\d+$/.test(value)) return LEVEL_WORDS[value.trim().toLowerCase()];
  if (typeof value === 'string') value = Number(value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  // syslog severities 0–7 (GELF); pino's and bunyan's 10–60.
  if (value >= 0 && value <= 7) return ['FATAL', 'FATAL', 'FATAL', 'ERROR', 'WARN', 'INFO', 'INFO', 'DEBUG'][value];
  if (value >= 10) return ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'][Math.min(5, Math.floor(value / 10) - 1)];
  return undefined;
}

type Fields = Map<string, unknown>;

/** The fields of a JSON object, nested objects flattened to dotted keys (lower-cased), within the bounds. */
function flatten(object: { [key: string]: unknown }, fields: Fields = new Map(), prefix = '', depth = 1): Fields {
  for (const key in object) {
    if (fields.size >= MAX_FIELDS) break;
    const value = object[key];
    const name = prefix + key.toLowerCase();
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (depth < MAX_DEPTH) flatten(value as { [key: string]: unknown }, fields, `${name}.`, depth + 1);
    } else if (!fields.has(name)) fields.set(name, value);
  }
  return fields;
}

const first = (fields: Fields, keys: readonly string[]) => {
  for (const key of keys) {
    const value = fields.get(key);
    if (value !== undefined && value !== null && value !== '') return { key, value };
  }
  return undefined;
};

// Exception classes at the start of a stack trace's lines: `java.lang.IllegalStateException: …`,
// `Caused by: x.Y: …`, `ValueError: …` (Python's last line), `Error: connect …` (Node).
const EXCEPTION_LINE =
  /^(?:Caused by: )?((?:[A-Za-z_$][\w$]*\.)*[A-Za-z_$][\w$]*(?:Exception|Error|Throwable|Timeout|Fault))(?::|$)/;

/** What failed, from an error and a stack trace: the error's first line, the stack's exception classes. */
function causeOf(error: string | undefined, stack: unknown): string {
  const parts: string[] = [];
  // An error field holding a whole trace (`exception`, `exc_info`): its exception classes, as a stack's.
  if (error !== undefined)
    parts.push(...(error.includes('\n') ? exceptionClasses(error) : [error.slice(0, MAX_CAUSE)]));
  if (typeof stack === 'string')
    for (const name of exceptionClasses(stack)) if (!parts.some((part) => part.includes(name))) parts.push(name);
  return parts.join(' ');
}

/** The error of a line: an error field's value, or an error object's kind and message (`Error: connect …`). */
function errorOf(fields: Fields): string | undefined {
  const error = first(fields, ERROR_KEYS);
  if (error && typeof error.value !== 'object') return String(error.value);
  for (const [kinds, messages] of ERROR_OBJECT_KEYS) {
    const kind = first(fields, kinds);
    const message = first(fields, messages);
    if (kind || message) return [kind?.value, message?.value].filter((v) => v !== undefined).join(': ');
  }
  return undefined;
}

function exceptionClasses(trace: string): string[] {
  const names: string[] = [];
  let start = 0;
  // Line by line without splitting the whole value: a trace may be long.
  for (let lines = 0; start < trace.length && lines < 200; lines++) {
    const end = trace.indexOf('\n', start);
    const line = trace.slice(start, end < 0 ? trace.length : end).trimStart();
    const match = EXCEPTION_LINE.exec(line);
    if (match && !names.includes(match[1]!)) names.push(match[1]!);
    if (end < 0) break;
    start = end + 1;
  }
  return names;
}

const scalar = (value: unknown) =>
  typeof value === 'string' ? value.slice(0, MAX_CAUSE) : typeof value === 'object' ? '' : String(value);

const isErrorField = (key: string) =>
  STACK_KEYS.includes(key) || ERROR_KEYS.some((error) => key === error || key.startsWith(`${error}.`));

/** The text of an event from its fields: `LEVEL message cause`, or its other fields when it has no message. */
function describe(fields: Fields): string {
  // The first level key whose value is a level (a `level` object or a `severity` of 0 does not hide the next).
  let word: string | undefined;
  for (const key of LEVEL_KEYS) if ((word = levelWord(fields.get(key))) !== undefined) break;
  const message = first(fields, MESSAGE_KEYS);
  const cause = causeOf(errorOf(fields), first(fields, STACK_KEYS)?.value);
  const parts: string[] = [];
  if (word) parts.push(word);
  if (message && typeof message.value === 'string') parts.push(message.value);
  else {
    const rest = [...fields.keys()]
      .filter((key) => !HEADER_KEYS.has(key) && !LEVEL_KEYS.includes(key) && !isErrorField(key))
      .sort()
      .map((key) => `${key}=${scalar(fields.get(key))}`);
    parts.push(rest.join(' '));
  }
  if (cause) parts.push(cause);
  return parts.join(' ').replaceAll('\n', ' ');
}

/** The fields of a logfmt line (`key=value key="quoted value"`), or undefined when it is not all pairs. */
function logfmtFields(line: string, from = 0): Fields | undefined {
  const fields: Fields = new Map();
  let i = from;
  const length = line.length;
  while (i < length) {
    while (i < length && line.charCodeAt(i) === 32) i++;
    if (i >= length) break;
    const eq = line.indexOf('=', i);
    if (eq <= i) return undefined;
    const key = line.slice(i, eq);
    if (!/^[\w.@/-]+$/.test(key)) return undefined;
    i = eq + 1;
    let value: string;
    if (line.charCodeAt(i) === 34) {
      // A quoted value: up to the next unescaped quote.
      let j = i + 1;
      let out = '';
      let copied = j;
      for (; j < length; j++) {
        const code = line.charCodeAt(j);
        if (code === 92) {
          out += line.slice(copied, j);
          const next = line[j + 1];
          out += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '');
          j++;
          copied = j + 1;
        } else if (code === 34) break;
      }
      if (j >= length) return undefined;
      value = out + line.slice(copied, j);
      i = j + 1;
      if (i < length && line.charCodeAt(i) !== 32) return undefined;
    } else {
      const space = line.indexOf(' ', i);
      const end = space < 0 ? length : space;
      value = line.slice(i, end);
      if (value.includes('"')) return undefined;
      i = end;
    }
    if (fields.size < MAX_FIELDS && !fields.has(key.toLowerCase())) fields.set(key.toLowerCase(), value);
  }
  return fields;
}

// `"GET /path?q HTTP/1.1" 503`: the request line and the status that follows it. The path ends where the query's
// `?` begins: one way to split a target, so a failed match is one pass over it (`([^\s"?]*)[^\s"]*` tried every
// split, 5 s for a 64 KiB target, decision 253).
const ACCESS = /"([A-Z]{3,7}) ([^\s"?]*)(?:\?[^\s"]*)? HTTP\/\d(?:\.\d)?" (\d)\d\d\b/;
const STATUS_CLASSES = ['', 'informational', 'ok', 'redirect', 'client-refused', 'server-failed'];

/** An access line's request and status class, `ERROR GET /orders/<id> server-failed`. */
function accessText(line: string): string | undefined {
  // A search for one character first: most lines have no quote.
  const quote = line.indexOf('"');
  if (quote < 0 || !line.includes(' HTTP/', quote)) return undefined;
  const match = ACCESS.exec(line);
  const statusClass = match ? Number(match[3]) : 0;
  if (!match || statusClass < 1 || statusClass > 5) return undefined;
  return `${statusClass === 5 ? 'ERROR' : 'INFO'} ${match[1]} ${match[2]} ${STATUS_CLASSES[statusClass]}`;
}

const CRI_PREFIX = /^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d) (?:stdout|stderr) [FP] /;
const KLOG = /^([IWEF])\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ [^\s\]]+\] /;

/**
 * The text describing a line that names its fields (JSON object, logfmt, klog, access log), or undefined for any other
 * line, which is mined as text. Never throws: a line that only looks structured (`{` without valid JSON, an
 * unterminated quote) is text.
 */
export function structuredText(line: string): string | undefined {
  if (line.length > MAX_STRUCTURED_LENGTH) return undefined;
  let text = line.trim();
  // A container runtime's prefix (CRI: `2026-12-07T10:00:00.123456789Z stdout F `) when a collector left it.
  // Cheap tests of a character or two come first: this runs on every line.
  if (text.charCodeAt(10) === 84 /* T */ && isDigit(text.charCodeAt(0))) {
    const cri = CRI_PREFIX.exec(text);
    if (cri) text = text.slice(cri[0].length);
  }
  const start = text.charCodeAt(0);
  if (start === 123 /* { */) return text.charCodeAt(text.length - 1) === 125 ? jsonText(text) : undefined;
  if (KLOG_LEVELS[text[0]!] !== undefined && isDigit(text.charCodeAt(1))) {
    const klog = KLOG.exec(text);
    if (klog) return klogText(KLOG_LEVELS[klog[1]!]!, text.slice(klog[0].length));
  }
  // logfmt: starts with `key=`, all pairs, and names a level or a message (a message alone may hold `a=b`).
  const equals = text.indexOf('=');
  const space = text.indexOf(' ');
  if (equals <= 0 || (space >= 0 && space < equals) || !/^[\w.@-]+=/.test(text)) return accessText(text);
  const fields = logfmtFields(text);
  if (!fields || fields.size < 2 || (!first(fields, LEVEL_KEYS) && !first(fields, MESSAGE_KEYS))) return undefined;
  return describe(fields);
}

const isDigit = (code: number) => code >= 48 && code <= 57;

function jsonText(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const fields = flatten(parsed as { [key: string]: unknown });
  // Docker's json-file wrapper, `{"log":"<line>\n","stream":"stdout","time":…}`: the line inside is the event
  // (read, or as it is when it is text).
  const wrapped = fields.get('log');
  if (typeof wrapped === 'string' && fields.has('stream') && fields.size <= 3)
    return structuredText(wrapped) ?? wrapped.trim();
  return fields.size === 0 ? undefined : describe(fields);
}

/** klog's message: structured (`"msg" key="value" err="…"`) or printf-style text. */
function klogText(level: string, message: string): string {
  if (message.charCodeAt(0) === 34) {
    // The quoted message is a JSON string; the pairs after it are logfmt-like.
    let end = 1;
    while (end < message.length && message.charCodeAt(end) !== 34) end += message.charCodeAt(end) === 92 ? 2 : 1;
    if (end < message.length) {
      let msg: unknown;
      try {
        msg = JSON.parse(message.slice(0, end + 1));
      } catch {
        msg = undefined;
      }
      const fields = typeof msg === 'string' ? logfmtFields(message, end + 1) : undefined;
      if (typeof msg === 'string' && fields) {
        fields.set('level', level);
        fields.set('msg', msg);
        return describe(fields);
      }
    }
  }
  return `${level} ${message}`;
}
