// units.parse and units.parse_bytes as OPA 1.22 has them: amounts in decimal or scientific notation,
// SI and binary units, exact arithmetic (OPA uses big.Rat / big.Float).
import { BuiltinError, numberResult, register, str } from './registry';
import { numberFromText, type NumberText } from '../value';

/** An exact non-negative or negative rational number. */
interface Rational {
  num: bigint;
  den: bigint;
}

const MAX_EXPONENT_DIGITS = 6;

/** Splits `1.5e3Ki` into amount and unit like OPA's extractNumAndUnit; throws on a too-long exponent. */
function splitAmount(s: string, fn: string): [string, string] {
  const isNum = (c: string): boolean => (c >= '0' && c <= '9') || c === '.';
  let first = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (!isNum(c) && c !== 'e' && c !== 'E' && c !== '+' && c !== '-') {
      first = i;
      break;
    }
    if (c === 'e' || c === 'E') {
      const next = s[i + 1];
      if (next === undefined || !((next >= '0' && next <= '9') || next === '+' || next === '-')) {
        first = i;
        break;
      }
      if (next === '+' || next === '-') i++;
      let end = i + 1;
      while (end < s.length && (s[end] as string) >= '0' && (s[end] as string) <= '9') end++;
      if (end - (i + 1) > MAX_EXPONENT_DIGITS) throw new BuiltinError(`${fn}: exponent too large`);
    }
  }
  if (first === -1) return [s, ''];
  if (first === 0) return ['', s];
  return [s.slice(0, first), s.slice(first)];
}

/** Parses a decimal in plain or scientific notation exactly, or undefined when it is none. */
function parseDecimal(text: string): Rational | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const frac = m[3] ?? '';
  let num = BigInt((m[2] || '0') + frac) * (m[1] === '-' ? -1n : 1n);
  let den = 10n ** BigInt(frac.length);
  const exp = Number(m[4] ?? '0');
  if (exp >= 0) num *= 10n ** BigInt(exp);
  else den *= 10n ** BigInt(-exp);
  return { num, den };
}

const SI: Record<string, Rational> = {};
const BYTES: Record<string, bigint> = { '': 1n };
SI[''] = { num: 1n, den: 1n };
SI['m'] = { num: 1n, den: 1000n };
['k', 'M', 'g', 't', 'p', 'e'].forEach((u, i) => {
  const si = { num: 1000n ** BigInt(i + 1), den: 1n };
  const bin = { num: 1024n ** BigInt(i + 1), den: 1n };
  const lower = u.toLowerCase();
  const upper = u.toUpperCase();
  // `m` is milli and `M` mega; the other SI letters may be either case.
  if (u === 'M') SI['M'] = si;
  else SI[lower] = SI[upper] = si;
  SI[`${lower}i`] = SI[`${upper}i`] = bin;
  BYTES[lower] = BYTES[`${lower}b`] = 1000n ** BigInt(i + 1);
  BYTES[`${lower}i`] = BYTES[`${lower}ib`] = 1024n ** BigInt(i + 1);
});

function checkSpaces(s: string, fn: string): void {
  if (s.includes(' ')) throw new BuiltinError(`${fn}: spaces not allowed in resource strings`);
}

register('units.parse', 1, (args) => {
  const fn = 'units.parse';
  const s = str(args, 0).replace(/"/g, '');
  checkSpaces(s, fn);
  const [amount, raw] = splitAmount(s, fn);
  if (amount === '') throw new BuiltinError(`${fn}: no amount provided`);
  // Only letters after the first are case-folded, so `m` (milli) and `M` (mega) stay distinct.
  const unit = raw.length > 1 ? raw.slice(0, 1) + raw.slice(1).toLowerCase() : raw;
  const factor = SI[unit];
  if (!factor) throw new BuiltinError(`${fn}: unit ${unit} not recognized`);
  const n = parseDecimal(amount);
  if (!n) throw new BuiltinError(`${fn}: could not parse amount to a number`);
  const num = n.num * factor.num;
  const den = n.den * factor.den;
  if (num % den === 0n) return numberResult(num / den);
  // Like big.Rat.FloatString(10): ten decimals, rounded half away from zero.
  const scaled = (num * 10n ** 10n * 2n + (num < 0n ? -den : den)) / (2n * den);
  const sign = scaled < 0n ? '-' : '';
  const digits = (scaled < 0n ? -scaled : scaled).toString().padStart(11, '0');
  // The text is OPA's number: `0.5000000000` prints so in json.marshal and results.
  return numberFromText(`${sign}${digits.slice(0, -10)}.${digits.slice(-10)}`) as NumberText;
});

register('units.parse_bytes', 1, (args) => {
  const fn = 'units.parse_bytes';
  const s = str(args, 0).replace(/"/g, '').toLowerCase();
  checkSpaces(s, fn);
  const [amount, unit] = splitAmount(s, fn);
  if (amount === '') throw new BuiltinError(`${fn}: no byte amount provided`);
  const factor = BYTES[unit];
  if (factor === undefined) throw new BuiltinError(`${fn}: byte unit ${unit} not recognized`);
  const n = parseDecimal(amount);
  if (!n) throw new BuiltinError(`${fn}: could not parse byte amount to a number`);
  // Truncated toward zero, as big.Float.Int does.
  return numberResult((n.num * factor) / n.den);
});
