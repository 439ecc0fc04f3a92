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

function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(LONE_SURROGATE, '\ufffd');
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value !== null && typeof value === 'object')
    // Object.fromEntries defines each key as JSON.parse does: `__proto__` stays an own key.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key.replace(LONE_SURROGATE, '\ufffd'), wellFormed(item)]),
    );
  return value;
}
