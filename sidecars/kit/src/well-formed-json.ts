// JSON allows escapes of lone UTF-16 surrogates ("\ud800"); JavaScript keeps them in strings, but they are
// not Unicode: Postgres's jsonb refuses the whole value (a 500 for a request, a failed write for a peer's
// answer stored later) and other peers may choke on them. JSON read from a client or a peer goes through
// parseJson, which puts U+FFFD in their place, as Postgres does for text.

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Only an escape can put a surrogate in parsed JSON (UTF-8 bytes cannot): the walk runs only then. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** JSON.parse, with every string and key made well-formed Unicode (a lone surrogate becomes U+FFFD). */
export function parseJson(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  return SURROGATE_ESCAPE.test(text) ? wellFormed(parsed) : parsed;
}

/** A NUL character: Postgres stores it in neither text nor jsonb (`unsupported Unicode escape sequence`). */
const NUL = /\u0000/g;

/** Only an escape can put a NUL in parsed JSON (a raw one is invalid JSON). */
const NUL_ESCAPE = /\\u0000/;

/**
 * JSON from a peer (a metric store, an evidence system, Gate, an external OPA…), parsed so that it can be
 * stored: lone surrogates and NUL characters become U+FFFD. A client's NUL is refused with the field named
 * (http-app); a peer's answer cannot be sent back, and one NUL in it made the write of everything that
 * quotes it fail.
 */
export function parsePeerJson(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  return SURROGATE_ESCAPE.test(text) || NUL_ESCAPE.test(text) ? storable(parsed) : parsed;
}

/**
 * A peer's JSON text with each `\u0000` escape turned into `\ufffd`, for readers other than parsePeerJson (sapor
 * reads an external OPA's answers as Rego values, to keep their number texts; that parser already reads a lone
 * surrogate as U+FFFD). An escaped backslash before `u0000` is left alone.
 */
export function withoutNulEscapes(text: string): string {
  return NUL_ESCAPE.test(text) ? text.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : text;
}

/** `value` with every string and key storable in Postgres: lone surrogates and NUL become U+FFFD. */
export function storable<T>(value: T): T {
  return walk(value, (text) => text.replace(LONE_SURROGATE, '\ufffd').replace(NUL, '\ufffd')) as T;
}

function wellFormed(value: unknown): unknown {
  return walk(value, (text) => text.replace(LONE_SURROGATE, '\ufffd'));
}

function walk(value: unknown, clean: (text: string) => string): unknown {
  if (typeof value === 'string') return clean(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, clean));
  if (value !== null && typeof value === 'object')
    // Object.fromEntries defines each key as JSON.parse does: `__proto__` stays an own key.
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [clean(key), walk(item, clean)]));
  return value;
}
