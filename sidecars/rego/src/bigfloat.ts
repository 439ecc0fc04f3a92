// Binary floating point with a chosen mantissa precision, as Go's math/big.Float computes it, which is how
// OPA does arithmetic on numbers that are not integers (topdown/arithmetic.go: operands parsed from their
// text at 64 bits, results printed with Text('g', -1)). Only what OPA uses is here: parsing a number's text
// the way Float.SetString does it (including its rounding of large powers of five), +, −, ×, ÷ rounded to
// nearest even, truncation to an integer, and the shortest decimal text (`3.3333333333333333333`, `3e-07`).

/** A finite binary float: (−1)^neg × mant × 2^exp, mant ≥ 0, at most `prec` significant bits after rounding. */
export interface BigFloat {
  readonly neg: boolean;
  readonly mant: bigint;
  readonly exp: number;
  readonly prec: number;
}

/** big.Float's default precision, what SetString uses for a Float of precision 0. */
export const DEFAULT_PREC = 64;

/** Number of bits of a non-negative bigint. */
export function bitLength(m: bigint): number {
  if (m === 0n) return 0;
  const hex = m.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0] as string, 16)));
}

function zero(neg: boolean, prec: number): BigFloat {
  return { neg, mant: 0n, exp: 0, prec };
}

/** Rounds mant × 2^exp to prec significant bits, nearest even; `sticky` says bits below mant were dropped. */
function round(neg: boolean, mant: bigint, exp: number, prec: number, sticky = false): BigFloat {
  if (mant === 0n) return zero(neg, prec);
  const bits = bitLength(mant);
  if (bits <= prec) return { neg, mant, exp, prec };
  const shift = bits - prec;
  const rbit = (mant >> BigInt(shift - 1)) & 1n;
  const sbit = sticky || (mant & ((1n << BigInt(shift - 1)) - 1n)) !== 0n;
  let m = mant >> BigInt(shift);
  if (rbit === 1n && (sbit || (m & 1n) === 1n)) m += 1n;
  return { neg, mant: m, exp: exp + shift, prec };
}

/** Sets an integer exactly, with precision max(bit length, 64) as Float.SetInt does for a new Float. */
export function fromInt(i: bigint): BigFloat {
  const neg = i < 0n;
  const mant = neg ? -i : i;
  return { neg, mant, exp: 0, prec: Math.max(bitLength(mant), DEFAULT_PREC) };
}

/** An exact float64, at 53 bits (big.NewFloat). */
export function fromFloat64(x: number): BigFloat {
  if (x === 0) return zero(Object.is(x, -0), 53);
  const neg = x < 0;
  let v = Math.abs(x);
  let exp = 0;
  while (!Number.isInteger(v)) {
    v *= 2;
    exp--;
  }
  return round(neg, BigInt(v), exp, 53);
}

const POW5_EXACT = 27;

/** 5^n at precision prec, as big.Float's pow5 computes it (exact up to 5^27, then rounded products). */
function pow5(n: number, prec: number): BigFloat {
  if (n <= POW5_EXACT) return { neg: false, mant: 5n ** BigInt(n), exp: 0, prec };
  let z: BigFloat = { neg: false, mant: 5n ** BigInt(POW5_EXACT), exp: 0, prec };
  let f: BigFloat = { neg: false, mant: 5n, exp: 0, prec: prec + 64 };
  for (let k = n - POW5_EXACT; k > 0; k = Math.floor(k / 2)) {
    if (k % 2 === 1) z = mul(z, f, prec);
    f = mul(f, f, prec + 64);
  }
  return z;
}

/** Largest decimal exponent accepted (Go's limit is its int32 binary exponent; this bounds the work). */
const MAX_DECIMAL_EXPONENT = 100_000;

/**
 * Parses a number's text (JSON syntax, also a leading `+`) as Float.SetString does at precision `prec`:
 * the digits exactly, times 2^e, then multiplied or divided by 5^|e| (itself rounded beyond 5^27).
 * Undefined for text that is no number or whose exponent is beyond reason.
 */
export function parseFloatText(text: string, prec = DEFAULT_PREC): BigFloat | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return undefined;
  const [, sign, whole = '', fraction = '', exponent] = m;
  if (whole === '' && fraction === '') return undefined;
  const neg = sign === '-';
  const digits = BigInt(whole + fraction || '0');
  if (digits === 0n) return zero(neg, prec);
  const exp5 = Number(exponent ?? 0) - fraction.length;
  if (!Number.isSafeInteger(exp5) || Math.abs(exp5) > MAX_DECIMAL_EXPONENT) return undefined;
  if (exp5 === 0) return round(neg, digits, 0, prec);
  // digits × 10^exp5 = (digits × 2^exp5) × 5^exp5, the first factor exact and unrounded.
  const x: BigFloat = { neg, mant: digits, exp: exp5, prec };
  const p = pow5(Math.abs(exp5), prec + 64);
  return exp5 < 0 ? quo(x, p, prec) : mul(x, p, prec);
}

/** x × y rounded to prec (default: the larger precision, as a new Float's Mul). */
export function mul(x: BigFloat, y: BigFloat, prec = Math.max(x.prec, y.prec)): BigFloat {
  const neg = x.neg !== y.neg;
  if (x.mant === 0n || y.mant === 0n) return zero(neg, prec);
  return round(neg, x.mant * y.mant, x.exp + y.exp, prec);
}

/** x ÷ y rounded to prec; y must not be zero. */
export function quo(x: BigFloat, y: BigFloat, prec = Math.max(x.prec, y.prec)): BigFloat {
  if (y.mant === 0n) throw new RangeError('division by zero');
  const neg = x.neg !== y.neg;
  if (x.mant === 0n) return zero(neg, prec);
  // Enough quotient bits for the rounding bit; a non-zero remainder is the sticky bit.
  const shift = Math.max(0, prec + 2 - (bitLength(x.mant) - bitLength(y.mant)));
  const scaled = x.mant << BigInt(shift);
  const q = scaled / y.mant;
  return round(neg, q, x.exp - y.exp - shift, prec, q * y.mant !== scaled);
}

/** x + y rounded to prec. */
export function add(x: BigFloat, y: BigFloat, prec = Math.max(x.prec, y.prec)): BigFloat {
  if (x.mant === 0n && y.mant === 0n) return zero(x.neg && y.neg, prec);
  if (x.mant === 0n) return round(y.neg, y.mant, y.exp, prec);
  if (y.mant === 0n) return round(x.neg, x.mant, x.exp, prec);
  let [a, b] = [x, y];
  // An addend far below the other's last bit and its rounding position only decides the rounding direction:
  // replace it by a small stand-in of the same sign instead of shifting by millions of bits.
  const topA = a.exp + bitLength(a.mant);
  const topB = b.exp + bitLength(b.mant);
  if (topA < topB) [a, b] = [b, a];
  const floor = Math.min(a.exp, Math.max(topA, topB) - prec - 3);
  if (Math.min(topA, topB) < floor - 64) b = { neg: b.neg, mant: 1n, exp: floor - 2, prec: b.prec };
  const e = Math.min(a.exp, b.exp);
  const p = (a.neg ? -a.mant : a.mant) << BigInt(a.exp - e);
  const q = (b.neg ? -b.mant : b.mant) << BigInt(b.exp - e);
  const s = p + q;
  // An exact cancellation is +0 (rounding to nearest).
  if (s === 0n) return zero(false, prec);
  return round(s < 0n, s < 0n ? -s : s, e, prec);
}

/** x − y rounded to prec. */
export function sub(x: BigFloat, y: BigFloat, prec = Math.max(x.prec, y.prec)): BigFloat {
  return add(x, { ...y, neg: !y.neg }, prec);
}

/** −1, 0 or 1 as x is below, equal to or above y (−0 equals 0). */
export function cmp(x: BigFloat, y: BigFloat): number {
  const sx = x.mant === 0n ? 0 : x.neg ? -1 : 1;
  const sy = y.mant === 0n ? 0 : y.neg ? -1 : 1;
  if (sx !== sy || sx === 0) return Math.sign(sx - sy);
  const d = sub(x, y, Math.max(x.prec, y.prec) + bitLength(x.mant) + bitLength(y.mant) + Math.abs(x.exp - y.exp));
  return d.mant === 0n ? 0 : d.neg ? -1 : 1;
}

/** Whether x is an integer. */
export function isInt(x: BigFloat): boolean {
  if (x.mant === 0n || x.exp >= 0) return true;
  return (x.mant & ((1n << BigInt(-x.exp)) - 1n)) === 0n;
}

/** x truncated toward zero (Float.Int). */
export function truncate(x: BigFloat): bigint {
  const m = x.exp >= 0 ? x.mant << BigInt(x.exp) : x.mant >> BigInt(-x.exp);
  return x.neg ? -m : m;
}

/**
 * The decimal of mant × 2^exp: its first digits (at most `limit`, trailing zeros dropped), the point `point`
 * digits from the left, and whether nonzero digits follow the ones kept. Go expands the whole exact decimal;
 * the shortest-text search never looks further than the precision's digits, and `more` answers the one
 * question it asks beyond them (is this the last digit?), so `1e-100000` costs no 100,000-digit expansion.
 */
interface Decimal {
  digits: string;
  point: number;
  more: boolean;
}

const pow10Cache = new Map<number, bigint>();

function pow10(n: number): bigint {
  let p = pow10Cache.get(n);
  if (p === undefined) {
    p = 10n ** BigInt(n);
    if (pow10Cache.size >= 16) pow10Cache.clear();
    pow10Cache.set(n, p);
  }
  return p;
}

function decimalOf(mant: bigint, exp: number, limit: number): Decimal {
  if (mant === 0n) return { digits: '', point: 0, more: false };
  // The value lies in [2^(bits-1), 2^bits): its decimal point is at about (bits-1)·log10(2) + 1.
  const bits = bitLength(mant) + exp;
  const scale = limit + 2 - (Math.floor((bits - 1) * Math.LOG10E * Math.LN2) + 1);
  // q = floor(mant × 2^exp × 10^scale), with at least `limit` digits; `more` if anything was cut off.
  let num = exp >= 0 ? mant << BigInt(exp) : mant;
  if (scale >= 0) num *= pow10(scale);
  let q = num;
  let more = false;
  if (exp < 0) {
    const shift = BigInt(-exp);
    q = num >> shift;
    more = (num & ((1n << shift) - 1n)) !== 0n;
  }
  if (scale < 0) {
    const den = pow10(-scale);
    const r = q % den;
    q /= den;
    more ||= r !== 0n;
  }
  let text = q.toString();
  const point = text.length - scale;
  if (text.length > limit) {
    more ||= /[1-9]/.test(text.slice(limit));
    text = text.slice(0, limit);
  }
  return { digits: text.replace(/0+$/, ''), point, more };
}

const digitAt = (d: Decimal, i: number): string => (i >= 0 && i < d.digits.length ? (d.digits[i] as string) : '0');

function roundUp(d: Decimal, n: number): Decimal {
  if (n < 0 || n >= d.digits.length) return d;
  while (n > 0 && (d.digits[n - 1] as string) >= '9') n--;
  if (n === 0) return { digits: '1', point: d.point + 1, more: false };
  const last = String.fromCharCode((d.digits.charCodeAt(n - 1) as number) + 1);
  return { digits: d.digits.slice(0, n - 1) + last, point: d.point, more: false };
}

function roundDown(d: Decimal, n: number): Decimal {
  if (n < 0 || n >= d.digits.length) return d;
  const digits = d.digits.slice(0, n).replace(/0+$/, '');
  return { digits, point: digits === '' ? 0 : d.point, more: false };
}

function roundNearest(d: Decimal, n: number): Decimal {
  if (n < 0 || n >= d.digits.length) return d;
  const c = d.digits[n] as string;
  // Exactly halfway only when the 5 is the last digit of the whole decimal.
  const halfway = c === '5' && n + 1 === d.digits.length && !d.more;
  const up = halfway ? n > 0 && ((d.digits.charCodeAt(n - 1) as number) - 48) % 2 === 1 : c >= '5';
  return up ? roundUp(d, n) : roundDown(d, n);
}

/** Digits enough for any shortest text at precision prec (prec·log10(2) and a margin). */
const digitsFor = (prec: number): number => Math.ceil(prec * Math.LOG10E * Math.LN2) + 10;

/** The shortest decimal that reads back as x at x's precision (big.Float's roundShortest, step by step). */
function shortest(x: BigFloat, d: Decimal): Decimal {
  if (d.digits === '') return d;
  // mant with prec+1 bits, its last bit half an ulp; lower and upper are x ∓ ½ ulp.
  const s = bitLength(x.mant) - (x.prec + 1);
  const mant = s < 0 ? x.mant << BigInt(-s) : x.mant >> BigInt(s);
  const exp = x.exp + s;
  const limit = digitsFor(x.prec);
  const lower = decimalOf(mant - 1n, exp, limit);
  const upper = decimalOf(mant + 1n, exp, limit);
  // The bounds round to x only when its mantissa is even.
  const inclusive = (mant & 2n) === 0n;
  for (let i = 0; i < d.digits.length; i++) {
    const l = digitAt(lower, i);
    const m = d.digits[i] as string;
    const u = digitAt(upper, i);
    const okDown = l !== m || (inclusive && i + 1 === lower.digits.length && !lower.more);
    const okUp =
      m !== u && (inclusive || m.charCodeAt(0) + 1 < u.charCodeAt(0) || i + 1 < upper.digits.length || upper.more);
    if (okDown && okUp) return roundNearest(d, i + 1);
    if (okDown) return roundDown(d, i + 1);
    if (okUp) return roundUp(d, i + 1);
  }
  return d;
}

function formatE(d: Decimal, prec: number): string {
  let out = d.digits[0] ?? '0';
  if (prec > 0) out += '.' + d.digits.slice(1, prec + 1).padEnd(prec, '0');
  const exp = d.digits === '' ? 0 : d.point - 1;
  return `${out}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function formatF(d: Decimal, prec: number): string {
  let out = d.point > 0 ? d.digits.slice(0, d.point).padEnd(d.point, '0') : '0';
  if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) out += digitAt(d, d.point + i);
  }
  return out;
}

/**
 * x.Text(format, -1): the fewest digits that identify x at its precision, `f` without an exponent, `g`
 * with one when the exponent is below −4 or at least 6 (`3e-07`, `1.2345675e+06`).
 */
export function text(x: BigFloat, format: 'f' | 'g'): string {
  const d = shortest(x, decimalOf(x.mant, x.exp, digitsFor(x.prec)));
  const sign = x.neg ? '-' : '';
  if (format === 'f') return sign + formatF(d, Math.max(d.digits.length - d.point, 0));
  const prec = d.digits.length;
  const exp = d.point - 1;
  if (exp < -4 || exp >= 6) return sign + formatE(d, prec - 1);
  return sign + formatF(d, Math.max(prec - d.point, 0));
}

/** OPA's FloatToNumber: `f` format for an integer, `g` otherwise, shortest at the float's precision. */
export function numberText(x: BigFloat): string {
  return text(x, isInt(x) ? 'f' : 'g');
}
