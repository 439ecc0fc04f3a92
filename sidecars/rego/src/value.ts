// Rego values with OPA's total ordering, equality and JSON conversion.

/**
 * A Rego value: JSON scalars (integers beyond 2^53 as bigint), arrays, sets and objects with any keys. A
 * number literal whose text is not its value's canonical text (`1.0`, `1e2`, `2e308`) is a NumberText.
 */
export type Value = null | boolean | number | bigint | NumberText | string | Value[] | RegoSet | RegoObject;

/**
 * A number that keeps the text it was written with, as OPA's numbers do (json.Number): `1.0` and `1e2` are
 * floats to sprintf and yaml.marshal, `2e308` prints as written, `0.1234567890123456789` and `1e-400`
 * compare exactly. Only literals whose text differs from their value's canonical text are made one, so
 * ordinary numbers pay nothing; everything else sees `value` (the nearest float64, or an exact bigint).
 */
export class NumberText {
  constructor(
    readonly value: number | bigint,
    readonly text: string,
  ) {}

  /** `Number(x)` of a NumberText is its float64 value, as it is of a number or bigint. */
  valueOf(): number {
    return Number(this.value);
  }

  /** `String(x)` is the text, as OPA's json.Number prints. */
  toString(): string {
    return this.text;
  }

  /** The text as an exact decimal (mantissa × 10^exponent), for exact comparison. */
  decimal(): { m: bigint; e: number } {
    return decimalOfText(this.text);
  }
}

/**
 * The number as OPA's util.Atoi64 reads its text (ast.Number.Int64, what most integer operands go
 * through): at most 19 characters after the sign, digits with at most a point followed by zeros (`1.0` is
 * 1), no exponent (`1e3` is none), within int64; else undefined.
 */
export function int64Text(v: number | bigint | NumberText): bigint | undefined {
  let n: bigint;
  if (v instanceof NumberText) {
    const m = /^[+-]?(\d*)(?:\.(0*))?$/.exec(v.text);
    const body = v.text.replace(/^[+-]/, '');
    if (!m || body.length === 0 || body.length > 19 || body === '.') return undefined;
    n = BigInt(v.text.startsWith('-') ? '-' + (m[1] || '0') : m[1] || '0');
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v)) return undefined;
    n = BigInt(v);
  } else n = v;
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

/**
 * The value with every NumberText replaced by its value (the same object when there is none), for code
 * outside the engine that expects plain numbers (custom builtins).
 */
export function plainNumbers(v: Value): Value {
  if (v instanceof NumberText) return v.value;
  if (Array.isArray(v)) {
    const items = v.map(plainNumbers);
    return items.some((x, i) => x !== v[i]) ? items : v;
  }
  if (v instanceof RegoSet) {
    const items = v.sorted();
    const plain = items.map(plainNumbers);
    return plain.some((x, i) => x !== items[i]) ? new RegoSet(plain) : v;
  }
  if (v instanceof RegoObject) {
    const entries = v.sortedEntries();
    const plain = entries.map(([k, x]) => [plainNumbers(k), plainNumbers(x)] as [Value, Value]);
    return plain.some(([k, x], i) => k !== entries[i]![0] || x !== entries[i]![1]) ? new RegoObject(plain) : v;
  }
  return v;
}

/** The numeric value of a number, a NumberText's value. */
export function numberValue(v: number | bigint | NumberText): number | bigint {
  return v instanceof NumberText ? v.value : v;
}

/**
 * A number literal's value, as a NumberText when its text says more than the value's canonical text (a
 * fraction or exponent, digits beyond float64, trailing zeros). Undefined when Rego here cannot hold it.
 */
export function numberFromText(text: string): number | bigint | NumberText | undefined {
  const value = parseNumberText(text);
  if (value !== undefined) return formatNumber(value) === text ? value : new NumberText(value, text);
  // A fraction beyond float64 (`1e-400`, `1.5e-999`): its nearest float64 with the exact text.
  const n = Number(text);
  return Number.isFinite(n) && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)
    ? new NumberText(n, text)
    : undefined;
}

/** The exact decimal a number's text denotes. */
function decimalOfText(text: string): { m: bigint; e: number } {
  const [mant, exp = '0'] = text.toLowerCase().split('e') as [string, string?];
  const [int, frac = ''] = mant.split('.') as [string, string?];
  const digits = (int + frac).replace(/^[+]/, '');
  return { m: BigInt(digits === '' || digits === '-' ? '0' : digits), e: Number(exp) - frac.length };
}

/** Exact decimal of any number: a NumberText's text, a float's shortest text (what OPA would carry), a bigint. */
function exactDecimal(v: number | bigint | NumberText): { m: bigint; e: number } {
  if (v instanceof NumberText) return v.decimal();
  if (typeof v === 'bigint') return { m: v, e: 0 };
  return decimalOfText(String(v));
}

/** Compares two numbers of which one at least keeps its text, exactly as decimals. */
function compareExact(a: number | bigint | NumberText, b: number | bigint | NumberText): number {
  const x = exactDecimal(a);
  const y = exactDecimal(b);
  const e = Math.min(x.e, y.e);
  // Exponents far apart: the signs and magnitudes decide without building huge powers of ten.
  if (Math.abs(x.e - y.e) > 2000) {
    const sx = x.m > 0n ? 1 : x.m < 0n ? -1 : 0;
    const sy = y.m > 0n ? 1 : y.m < 0n ? -1 : 0;
    if (sx !== sy || sx === 0) return sx - sy;
    const magnitude = (d: { m: bigint; e: number }): number => (d.m < 0n ? -d.m : d.m).toString().length + d.e;
    const c = magnitude(x) - magnitude(y);
    if (c !== 0) return sx * Math.sign(c);
  }
  const p = x.m * 10n ** BigInt(x.e - e);
  const q = y.m * 10n ** BigInt(y.e - e);
  return p < q ? -1 : p > q ? 1 : 0;
}

/** Canonical text of a non-string value, used as a hash key so composite keys compare by value. */
export function canonicalKey(v: Value): string {
  if (v === null) return 'N';
  switch (typeof v) {
    case 'boolean':
      return v ? 'T' : 'F';
    case 'number':
      return Number.isInteger(v) ? '#' + BigInt(v).toString() : '#' + String(v);
    case 'bigint':
      return '#' + v.toString();
    case 'string':
      return JSON.stringify(v);
  }
  if (v instanceof NumberText) return numberTextKey(v);
  if (Array.isArray(v)) return '[' + v.map(canonicalKey).join(',') + ']';
  if (v instanceof RegoSet) return '<' + v.sorted().map(canonicalKey).join(',') + '>';
  return (
    '{' +
    v
      .sortedEntries()
      .map(([k, x]) => canonicalKey(k) + ':' + canonicalKey(x))
      .join(',') +
    '}'
  );
}

/**
 * The key of a NumberText: its value's key when the value is exactly the text's number (`1.0` is `1`),
 * else the normalised exact decimal (`0.1234567890123456789` differs from its nearest float64).
 */
function numberTextKey(v: NumberText): string {
  if (compareExact(v.value, v) === 0) return canonicalKey(v.value);
  let { m, e } = v.decimal();
  while (m !== 0n && m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  return `#${m}e${e}`;
}

/** A set of values, iterated in OPA's sorted order. */
export class RegoSet {
  private readonly strings = new Set<string>();
  private others: Map<string, Value> | null = null;
  private sortedCache: Value[] | null = null;

  constructor(items?: Iterable<Value>) {
    if (items) for (const item of items) this.add(item);
  }

  /** Adds a value; returns false when it was already present. */
  add(v: Value): boolean {
    if (typeof v === 'string') {
      if (this.strings.has(v)) return false;
      this.strings.add(v);
    } else {
      const key = canonicalKey(v);
      if (!this.others) this.others = new Map();
      if (this.others.has(key)) return false;
      this.others.set(key, v);
    }
    this.sortedCache = null;
    return true;
  }

  has(v: Value): boolean {
    if (typeof v === 'string') return this.strings.has(v);
    return this.others !== null && this.others.has(canonicalKey(v));
  }

  get size(): number {
    return this.strings.size + (this.others ? this.others.size : 0);
  }

  /** Elements in sorted order (cached). */
  sorted(): Value[] {
    if (!this.sortedCache) {
      const all: Value[] = [...this.strings];
      if (this.others) for (const v of this.others.values()) all.push(v);
      all.sort(compareValues);
      this.sortedCache = all;
    }
    return this.sortedCache;
  }
}

/** An object whose keys may be any value, iterated in sorted key order. */
export class RegoObject {
  private readonly strings = new Map<string, Value>();
  private others: Map<string, [Value, Value]> | null = null;
  private sortedCache: [Value, Value][] | null = null;

  constructor(entries?: Iterable<[Value, Value]>) {
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  set(k: Value, v: Value): void {
    if (typeof k === 'string') this.strings.set(k, v);
    else {
      if (!this.others) this.others = new Map();
      this.others.set(canonicalKey(k), [k, v]);
    }
    this.sortedCache = null;
  }

  get(k: Value): Value | undefined {
    if (typeof k === 'string') return this.strings.get(k);
    if (!this.others) return undefined;
    const entry = this.others.get(canonicalKey(k));
    return entry ? entry[1] : undefined;
  }

  has(k: Value): boolean {
    return this.get(k) !== undefined;
  }

  delete(k: Value): void {
    if (typeof k === 'string') this.strings.delete(k);
    else if (this.others) this.others.delete(canonicalKey(k));
    this.sortedCache = null;
  }

  get size(): number {
    return this.strings.size + (this.others ? this.others.size : 0);
  }

  /** Entries in sorted key order (cached). */
  sortedEntries(): [Value, Value][] {
    if (!this.sortedCache) {
      const all: [Value, Value][] = [];
      for (const e of this.strings) all.push(e);
      if (this.others) for (const e of this.others.values()) all.push(e);
      all.sort((a, b) => compareValues(a[0], b[0]));
      this.sortedCache = all;
    }
    return this.sortedCache;
  }

  keys(): Value[] {
    return this.sortedEntries().map((e) => e[0]);
  }

  /** A shallow copy. */
  clone(): RegoObject {
    const copy = new RegoObject();
    for (const [k, v] of this.strings) copy.strings.set(k, v);
    if (this.others) copy.others = new Map(this.others);
    return copy;
  }
}

function typeRank(v: Value): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'number':
    case 'bigint':
      return 2;
    case 'string':
      return 3;
  }
  if (Array.isArray(v)) return 4;
  if (v instanceof RegoObject) return 5;
  if (v instanceof NumberText) return 2;
  return 6;
}

/** Compares two numbers exactly, mixing number and bigint. */
export function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const fa = typeof a === 'number' ? a : b;
  if (typeof fa === 'number' && !Number.isFinite(fa)) {
    const r = fa > 0 ? 1 : -1;
    return typeof a === 'number' ? r : -r;
  }
  // One side is a bigint: compare as bigint when the other is integral, else compare floors.
  const toBig = (x: number | bigint): bigint => (typeof x === 'bigint' ? x : BigInt(Math.floor(x)));
  const ba = toBig(a);
  const bb = toBig(b);
  if (ba !== bb) return ba < bb ? -1 : 1;
  const fracA = typeof a === 'number' ? a - Math.floor(a) : 0;
  const fracB = typeof b === 'number' ? b - Math.floor(b) : 0;
  return fracA < fracB ? -1 : fracA > fracB ? 1 : 0;
}

/** OPA's total order: null < boolean < number < string < array < object < set. */
export function compareValues(a: Value, b: Value): number {
  if (a === b) return 0;
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return a === b ? 0 : a ? 1 : -1;
    case 2:
      if (a instanceof NumberText || b instanceof NumberText) return compareExact(a as NumberText, b as NumberText);
      return compareNumbers(a as number | bigint, b as number | bigint);
    case 3:
      return compareStrings(a as string, b as string);
    case 4: {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(x[i] as Value, y[i] as Value);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case 5: {
      const x = (a as RegoObject).sortedEntries();
      const y = (b as RegoObject).sortedEntries();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const ex = x[i] as [Value, Value];
        const ey = y[i] as [Value, Value];
        const c = compareValues(ex[0], ey[0]) || compareValues(ex[1], ey[1]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    default: {
      const x = (a as RegoSet).sorted();
      const y = (b as RegoSet).sorted();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(x[i] as Value, y[i] as Value);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
  }
}

/** Byte-wise UTF-8 order, like Go's string comparison. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) {
      // Surrogates (astral code points) sort after U+E000..U+FFFF in UTF-8.
      const sa = ca >= 0xd800 && ca <= 0xdfff ? ca + 0x2000 : ca;
      const sb = cb >= 0xd800 && cb <= 0xdfff ? cb + 0x2000 : cb;
      return sa < sb ? -1 : 1;
    }
  }
  return a.length - b.length;
}

/** Value equality under OPA's ordering. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a === 'string' || typeof b === 'string') return false;
  return compareValues(a, b) === 0;
}

/** Normalises a number: bigints in the safe range become JS numbers. */
export function normalizeNumber(n: number | bigint): number | bigint {
  if (typeof n === 'bigint' && n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER))
    return Number(n);
  return n;
}

/** Type name as OPA's `type_name` reports it. */
export function typeName(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
  }
  if (v instanceof NumberText) return 'number';
  if (Array.isArray(v)) return 'array';
  if (v instanceof RegoSet) return 'set';
  return 'object';
}

/** A number that Rego cannot hold (`Infinity`, `NaN`, e.g. JSON `1e309` parsed by JSON.parse); `path` says where. */
export class InvalidNumberError extends Error {
  readonly path: (string | number)[] = [];

  constructor(readonly number: number) {
    super('');
    this.name = 'InvalidNumberError';
  }

  /** The location, like `input.a[0].b`, for messages. */
  where(root: string): string {
    return this.path.reduce<string>(
      (at, key) =>
        typeof key === 'number'
          ? `${at}[${key}]`
          : /^[A-Za-z_]\w*$/.test(key)
            ? `${at}.${key}`
            : `${at}[${JSON.stringify(key)}]`,
      root,
    );
  }
}

/**
 * Converts plain JSON-like JS data to a Rego value; every key is kept (`__proto__`, `constructor` included).
 * Throws InvalidNumberError for a non-finite number: OPA keeps `1e309` as an exact big number, which a JS
 * number (what JSON.parse made of it) can no longer say, so it is refused rather than turned into Infinity.
 */
export function fromJS(x: unknown): Value {
  try {
    return convertJS(x, false);
  } catch (error) {
    // Valid input (all but always) takes the fast path; a refused number is converted again, this time
    // noting where it sits, so the error names its place without a closure per key on every conversion.
    if (error instanceof InvalidNumberError && error.path.length === 0) return convertJS(x, true);
    throw error;
  }
}

function convertJS(x: unknown, locate: boolean): Value {
  if (x === null || x === undefined) return null;
  switch (typeof x) {
    case 'boolean':
    case 'string':
      return x;
    case 'number':
      if (!Number.isFinite(x)) throw new InvalidNumberError(x);
      return x;
    case 'bigint':
      return normalizeNumber(x);
  }
  if (Array.isArray(x)) {
    const items: Value[] = new Array(x.length);
    for (let index = 0; index < x.length; index++)
      items[index] = locate ? located(index, () => convertJS(x[index], true)) : convertJS(x[index], false);
    return items;
  }
  if (x instanceof RegoSet || x instanceof RegoObject || x instanceof NumberText) return x;
  if (x instanceof Set) return new RegoSet([...x].map((item) => convertJS(item, locate)));
  if (x instanceof Map)
    return new RegoObject([...x].map(([k, v]) => [convertJS(k, locate), convertJS(v, locate)] as [Value, Value]));
  const obj = new RegoObject();
  for (const k of Object.keys(x)) {
    const v = (x as Record<string, unknown>)[k];
    obj.set(k, locate ? located(k, () => convertJS(v, true)) : convertJS(v, false));
  }
  return obj;
}

/** Runs a conversion one level down, adding the key to the path of an InvalidNumberError. */
function located<T>(key: string | number, convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    if (error instanceof InvalidNumberError) error.path.unshift(key);
    throw error;
  }
}

/**
 * OPA's limit on a number (ast.maxNumberExp, "number too big"): its binary exponent at most 100,000, so an
 * integer below 2^100000, which has 30,103 decimal digits.
 */
const NUMBER_LIMIT = 1n << 100_000n;
const NUMBER_LIMIT_DIGITS = 30_103;

/**
 * Parses a JSON/Rego number literal: integers beyond 2^53 exactly as bigint, others as float64, and a
 * literal beyond float64's range (`1e309`, `2.5e400`) exactly as bigint when it is an integer. Returns
 * undefined for a fraction beyond float64 or an integer of 2^100000 or more, which OPA refuses too.
 */
export function parseNumberText(text: string): number | bigint | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === '' && !m[3])) return undefined;
  const [, sign, whole, fraction = '', exponentText] = m as unknown as [string, string, string, string?, string?];
  if (fraction === '' && exponentText === undefined && !text.includes('.')) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : normalizeNumber(BigInt(sign === '-' ? text : whole));
  }
  const n = Number(text);
  if (Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n))) return n;
  // Beyond 2^53 (`1e30`) or float64 (`1e309`): exact when the text denotes an integer, as OPA's decimals are.
  const digits = (whole + fraction).replace(/^0+(?=\d)/, '');
  const exponent = Number(exponentText ?? 0) - fraction.length;
  const significant = digits.replace(/0+$/, '');
  const trailingZeros = digits.length - significant.length;
  if (exponent + trailingZeros < 0) return Number.isFinite(n) ? n : undefined;
  if (digits.length + exponent > NUMBER_LIMIT_DIGITS) return Number.isFinite(n) ? n : undefined;
  const value =
    exponent >= 0 ? BigInt(digits) * 10n ** BigInt(exponent) : BigInt(digits.slice(0, digits.length + exponent));
  if (value >= NUMBER_LIMIT) return undefined;
  return normalizeNumber(sign === '-' ? -value : value);
}

/** Converts a Rego value to JSON-compatible JS data: sets become sorted arrays, non-string keys are JSON-encoded. */
export function toJS(v: Value): unknown {
  return toData(v, false);
}

/**
 * Like toJS, but a number JS cannot hold as written stays as the engine holds it: a NumberText (`1.0`,
 * `2.50`, `1e400`, `-0`) or a bigint (30 digits). fromJS takes such data back unchanged, and stringifyJSON
 * writes it with those texts.
 */
export function toExactJS(v: Value): unknown {
  return toData(v, true);
}

function toData(v: Value, exact: boolean): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' && !exact ? Number(v) : v;
  if (v instanceof NumberText) return exact ? v : Number(v.value);
  if (Array.isArray(v)) return v.map((item) => toData(item, exact));
  if (v instanceof RegoSet) return v.sorted().map((item) => toData(item, exact));
  const out: Record<string, unknown> = {};
  for (const [k, x] of v.sortedEntries()) {
    // defineProperty keeps a `__proto__` key as data (assignment would set the prototype and drop it).
    Object.defineProperty(out, typeof k === 'string' ? k : toJSONText(k), {
      value: toData(x, exact),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Formats a number the way OPA prints it. */
export function formatNumber(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  // Never reached through the engine (no non-finite number enters it); never print invalid JSON either.
  if (!Number.isFinite(n)) throw new RangeError(`${n} is not a Rego number`);
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  return String(n);
}

/** JSON text of a value (compact, sorted keys), exact for big integers. */
export function toJSONText(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
    case 'bigint':
      return formatNumber(v);
    case 'string':
      return JSON.stringify(v);
  }
  if (v instanceof NumberText) return v.text;
  if (Array.isArray(v)) return '[' + v.map(toJSONText).join(',') + ']';
  if (v instanceof RegoSet) return '[' + v.sorted().map(toJSONText).join(',') + ']';
  const entries = v.sortedEntries().map(([k, x]) => [typeof k === 'string' ? k : toJSONText(k), x] as const);
  // JSON keys are strings, in Go's (byte-wise) order: a non-string key sorts by its text, as OPA's does.
  if (entries.length > 1 && v.sortedEntries().some(([k]) => typeof k !== 'string'))
    entries.sort((a, b) => compareStrings(a[0], b[0]));
  return '{' + entries.map(([k, x]) => JSON.stringify(k) + ':' + toJSONText(x)).join(',') + '}';
}

/**
 * JSON text as Go's encoding/json writes it (json.marshal, JWT headers): toJSONText with `<`, `>`, `&`,
 * U+2028 and U+2029 escaped. They can only occur inside strings, so replacing them is safe.
 */
export function toGoJSONText(v: Value): string {
  return toJSONText(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Rego source text of a value, as OPA prints terms (`{"a": 1}`, `set()`). */
export function formatValue(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
    case 'bigint':
      return formatNumber(v);
    case 'string':
      return JSON.stringify(v);
  }
  if (v instanceof NumberText) return v.text;
  if (Array.isArray(v)) return '[' + v.map(formatValue).join(', ') + ']';
  if (v instanceof RegoSet) return v.size === 0 ? 'set()' : '{' + v.sorted().map(formatValue).join(', ') + '}';
  return (
    '{' +
    v
      .sortedEntries()
      .map(([k, x]) => formatValue(k) + ': ' + formatValue(x))
      .join(', ') +
    '}'
  );
}

/** True when the value is a number: number, bigint or NumberText (numberValue gives its value). */
export function isNumber(v: Value | undefined): v is number | bigint | NumberText {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof NumberText;
}
