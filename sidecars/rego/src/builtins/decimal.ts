// Arithmetic on non-integers as OPA does it: the operands' decimal values (their shortest decimal text,
// which is what OPA's number literals and JSON carry) computed exactly with big numbers, the result
// rounded once to the nearest float64. So 0.1 + 0.2 is 0.3 and -1 / 15 is -0.06666666666666667.

/** An exact decimal: mantissa × 10^exponent. */
interface Decimal {
  m: bigint;
  e: number;
}

function toDecimal(x: number | bigint): Decimal {
  if (typeof x === 'bigint') return { m: x, e: 0 };
  const [mant, exp = '0'] = String(x).toLowerCase().split('e') as [string, string?];
  const [int, frac = ''] = mant.split('.') as [string, string?];
  return { m: BigInt(int + frac), e: Number(exp) - frac.length };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const e = Math.min(a.e, b.e);
  return [a.m * 10n ** BigInt(a.e - e), b.m * 10n ** BigInt(b.e - e), e];
}

function toNumber(d: Decimal): number {
  return Number(`${d.m}e${d.e}`);
}

/** Digits kept after the point in a quotient: more than float64 can hold, so rounding happens once. */
const QUOTIENT_DIGITS = 40;

/** a op b for finite operands, exactly, then rounded to a float64. */
export function decimalArith(op: '+' | '-' | '*' | '/', a: number | bigint, b: number | bigint): number {
  const x = toDecimal(a);
  const y = toDecimal(b);
  switch (op) {
    case '+': {
      const [p, q, e] = align(x, y);
      return toNumber({ m: p + q, e });
    }
    case '-': {
      const [p, q, e] = align(x, y);
      return toNumber({ m: p - q, e });
    }
    case '*':
      return toNumber({ m: x.m * y.m, e: x.e + y.e });
    case '/': {
      // (x.m / y.m) × 10^(x.e − y.e), with QUOTIENT_DIGITS extra digits before the integer division.
      const scaled = (x.m * 10n ** BigInt(QUOTIENT_DIGITS + 20)) / y.m;
      return toNumber({ m: scaled, e: x.e - y.e - QUOTIENT_DIGITS - 20 });
    }
  }
}
