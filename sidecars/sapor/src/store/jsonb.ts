// JSON text for a jsonb column. jsonb holds numbers as Postgres numeric, which keeps every digit and
// decimal place written (`1.0`, `2.50`, 30 digits) but has limits: at most 131,072 digits before the point
// and 16,383 after. The engine can hold numbers beyond them (`1e-20000` in an input), and one such number
// would make the whole INSERT fail, so it is stored as a string of its text instead (decision 208). jsonb
// also refuses an escaped lone UTF-16 surrogate (parseJSONText reads one as U+FFFD, as Postgres does text)
// and an escaped NUL (a policy can write one: it becomes U+FFFD too).
import { withoutNulEscapes } from '@isd/kit';
import { NumberText, parseJSONText, RegoObject, RegoSet, toJSONText, type Value } from '@isd/rego';

const MAX_INTEGER_DIGITS = 131_072;
const MAX_SCALE = 16_383;
/** An exponent of five digits or more may be out of numeric's range; shorter ones never are. */
const LONG_EXPONENT = /[eE][+-]?\d{5}/;
/** Only an escape can put a surrogate in JSON text read from UTF-8. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** `json` (a JSON document) as jsonb can take it: itself, unless it holds a NUL or a number numeric cannot. */
export function jsonbText(json: string): string {
  const text = withoutNulEscapes(json);
  if (!LONG_EXPONENT.test(text) && !SURROGATE_ESCAPE.test(text) && !hasDigitRun(text, MAX_SCALE + 1)) return text;
  return toJSONText(storable(parseJSONText(text)));
}

/** True when `text` has `length` digits in a row (a plain number with that many digits). */
function hasDigitRun(text: string, length: number): boolean {
  if (text.length < length) return false;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    run = c >= 48 && c <= 57 ? run + 1 : 0;
    if (run >= length) return true;
  }
  return false;
}

/** Whether numeric can hold a number written as `text` (its digits before the point, and its scale). */
export function fitsNumeric(text: string): boolean {
  const m = /^-?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return false;
  const integer = (m[1] ?? '').replace(/^0+/, '');
  const fraction = m[2] ?? '';
  const exponent = Number(m[3] ?? 0);
  const scale = Math.max(0, fraction.length - exponent);
  const significant = integer !== '' ? integer.length + exponent : exponent;
  return scale <= MAX_SCALE && significant <= MAX_INTEGER_DIGITS;
}

function storable(v: Value): Value {
  if (v instanceof NumberText || typeof v === 'bigint') {
    const text = v instanceof NumberText ? v.text : v.toString();
    return fitsNumeric(text) ? v : text;
  }
  if (Array.isArray(v)) return v.map(storable);
  if (v instanceof RegoSet) return v.sorted().map(storable);
  if (v instanceof RegoObject) return new RegoObject(v.sortedEntries().map(([k, x]) => [k, storable(x)]));
  return v;
}
