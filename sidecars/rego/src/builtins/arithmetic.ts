// Arithmetic as OPA v1.22.4 does it (topdown/arithmetic.go, aggregates.go): integers in the int32 window
// directly, other integers (any text that denotes one: `1.0`, `1e30`) exactly, anything else as a 64-bit
// big.Float parsed from the operands' texts and printed back as the shortest text at that precision. So
// `10 / 3` is `3.3333333333333333333` and carries those digits into the next operation (`1 / 3 * 3` is 1).
import * as bf from '../bigfloat';
import { NumberText, formatNumber, int64Text, numberFromText } from '../value';
import { BuiltinError, numberResult } from './registry';

type Num = number | bigint | NumberText;

const MIN_SMALL = -(2 ** 31);
const MAX_SMALL = 2 ** 31 - 1;

/** The number's text, what OPA's ast.Number is. */
export function textOf(v: Num): string {
  return v instanceof NumberText ? v.text : formatNumber(v);
}

/** The number when its text is an int64 (util.Atoi64) in the int32 window, where OPA computes with ints. */
function small(v: Num): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= MIN_SMALL && v <= MAX_SMALL ? v : undefined;
  if (typeof v === 'bigint') return undefined;
  const n = int64Text(v);
  return n !== undefined && n >= MIN_SMALL && n <= MAX_SMALL ? Number(n) : undefined;
}

/** Largest decimal exponent an integer's text may have to be made exact (10^10000 has 10,001 digits). */
const MAX_INTEGER_EXPONENT = 10_000;

/** The number as an exact integer when its text denotes one (OPA's NumberToInt: big.Int, then big.Rat). */
export function exactInteger(v: Num): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : undefined;
  const { m, e } = v.decimal();
  if (e >= 0) return e > MAX_INTEGER_EXPONENT ? undefined : m * 10n ** BigInt(e);
  if (-e > MAX_INTEGER_EXPONENT) return m === 0n ? 0n : undefined;
  const scale = 10n ** BigInt(-e);
  return m % scale === 0n ? m / scale : undefined;
}

/** The operand as OPA's NumberToFloat makes it: its text parsed at 64 bits. */
export function toFloat(v: Num): bf.BigFloat {
  const f = bf.parseFloatText(textOf(v));
  if (!f) throw new BuiltinError(`number ${textOf(v)} is out of range`);
  return f;
}

/** A float result as OPA's FloatToNumber writes it, read back as a Rego number that keeps that text. */
export function fromFloat(f: bf.BigFloat): number | bigint | NumberText {
  const text = bf.numberText(f);
  const n = numberFromText(text);
  if (n === undefined) throw new BuiltinError('arithmetic result is out of range');
  return n;
}

interface BinaryOp {
  /** On ints of the int32 window; undefined continues with the wider forms (a division with a remainder). */
  small: (x: number, y: number) => number | bigint | undefined;
  /** On integers of any size; absent when the operation is not exact on integers. */
  exact?: (x: bigint, y: bigint) => bigint;
  float?: (x: bf.BigFloat, y: bf.BigFloat) => bf.BigFloat;
  noFloat?: string;
}

function evalBinary(op: BinaryOp, a: Num, b: Num): number | bigint | NumberText {
  const x = small(a);
  const y = x === undefined ? undefined : small(b);
  if (x !== undefined && y !== undefined) {
    const r = op.small(x, y);
    if (r !== undefined) return r;
  }
  if (op.exact) {
    // Two JS integers whose result stays safe need no bigints.
    if (typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b)) {
      const r = Number(op.exact(BigInt(a), BigInt(b)));
      if (Number.isSafeInteger(r)) return r;
    }
    const i = exactInteger(a);
    const j = i === undefined ? undefined : exactInteger(b);
    if (i !== undefined && j !== undefined) return numberResult(op.exact(i, j));
  }
  if (!op.float) throw new BuiltinError(op.noFloat ?? 'not a float operation');
  return fromFloat(op.float(toFloat(a), toFloat(b)));
}

export const plus = (a: Num, b: Num) =>
  evalBinary({ small: (x, y) => x + y, exact: (x, y) => x + y, float: (x, y) => bf.add(x, y) }, a, b);

export const minus = (a: Num, b: Num) =>
  evalBinary({ small: (x, y) => x - y, exact: (x, y) => x - y, float: (x, y) => bf.sub(x, y) }, a, b);

export const multiply = (a: Num, b: Num) =>
  evalBinary(
    {
      // int32 × int32 fits an int64 but not always a float64's 53 bits.
      small: (x, y) => (Number.isSafeInteger(x * y) ? x * y : BigInt(x) * BigInt(y)),
      exact: (x, y) => x * y,
      float: (x, y) => bf.mul(x, y),
    },
    a,
    b,
  );

export const divide = (a: Num, b: Num) =>
  evalBinary(
    {
      small: (x, y) => {
        if (y === 0) throw new BuiltinError('divide by zero');
        // A zero dividend goes on to floats: its quotient may be -0.
        return x !== 0 && x % y === 0 ? x / y : undefined;
      },
      float: (x, y) => {
        if (y.mant === 0n) throw new BuiltinError('divide by zero');
        return bf.quo(x, y);
      },
    },
    a,
    b,
  );

export const remainder = (a: Num, b: Num) =>
  evalBinary(
    {
      small: (x, y) => {
        if (y === 0) throw new BuiltinError('modulo by zero');
        return (x % y) + 0;
      },
      exact: (x, y) => {
        if (y === 0n) throw new BuiltinError('modulo by zero');
        return x % y;
      },
      noFloat: 'modulo on floating-point number',
    },
    a,
    b,
  );

/** A unary operation: ints of the int32 window directly, anything else through a 64-bit float. */
function evalUnary(v: Num, smallOp: (x: number) => number, floatOp: (x: bf.BigFloat) => bf.BigFloat) {
  const x = small(v);
  if (x !== undefined) return smallOp(x);
  return fromFloat(floatOp(toFloat(v)));
}

const HALF = bf.fromFloat64(0.5);
const ONE = bf.fromFloat64(1);

export const abs = (v: Num) =>
  evalUnary(
    v,
    (x) => Math.abs(x),
    (x) => ({ ...x, neg: false }),
  );

/** Half away from zero, through the truncated integer (OPA's arithRound). */
export const round = (v: Num) =>
  evalUnary(
    v,
    (x) => x,
    (x) => bf.fromInt(bf.truncate(x.neg ? bf.sub(x, HALF) : bf.add(x, HALF))),
  );

// OPA's ceil and floor start from the truncated integer and test its sign, so that between -1 and 0
// ceil(-0.5) is 1 and floor(-0.5) is 0 there; the same here, since policies are judged against OPA.
export const ceil = (v: Num) =>
  evalUnary(
    v,
    (x) => x,
    (x) => {
      const f = bf.fromInt(bf.truncate(x));
      return f.neg || bf.cmp(x, f) === 0 ? f : bf.add(f, ONE);
    },
  );

export const floor = (v: Num) =>
  evalUnary(
    v,
    (x) => x,
    (x) => {
      const f = bf.fromInt(bf.truncate(x));
      return !f.neg || bf.cmp(x, f) === 0 ? f : bf.sub(f, ONE);
    },
  );

/**
 * sum: integers exactly, else a 64-bit float sum in iteration order. product: integers exactly, else a
 * float product that starts from big.NewFloat(1) and so is rounded to 53 bits at each step, as OPA's is.
 */
export function sum(items: Num[]): number | bigint | NumberText {
  const exact = exactSum(items, 0n, (x, y) => x + y);
  if (exact !== undefined) return exact;
  let acc: bf.BigFloat = { neg: false, mant: 0n, exp: 0, prec: 0 };
  for (const item of items) acc = bf.add(acc, toFloat(item));
  return fromFloat(acc);
}

export function product(items: Num[], charge: (a: bigint, b: bigint) => void): number | bigint | NumberText {
  const exact = exactSum(items, 1n, (x, y) => {
    charge(x, y);
    return x * y;
  });
  if (exact !== undefined) return exact;
  let acc = bf.fromFloat64(1);
  for (const item of items) acc = bf.mul(acc, toFloat(item), acc.prec);
  return fromFloat(acc);
}

function exactSum(items: Num[], init: bigint, op: (x: bigint, y: bigint) => bigint): number | bigint | undefined {
  // Plain JS integers whose running result stays safe need no bigints.
  if (items.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    let acc = Number(init);
    for (const x of items as number[]) {
      acc = init === 0n ? acc + x : acc * x;
      if (!Number.isSafeInteger(acc)) break;
    }
    if (Number.isSafeInteger(acc)) return acc + 0;
  }
  let acc = init;
  for (const x of items) {
    const i = exactInteger(x);
    if (i === undefined) return undefined;
    acc = op(acc, i);
  }
  return numberResult(acc);
}
