// Go's math/big.Float as OPA uses it. Expected texts are what Go 1.26 prints for the same operations
// (new(big.Float).SetString(s), Quo/Mul/Add, Text('g', -1)).
import * as bf from './bigfloat';

const parse = (text: string, prec?: number): bf.BigFloat => bf.parseFloatText(text, prec)!;

describe('big.Float', () => {
  it('parses at 64 bits and prints the fewest digits that identify the value', () => {
    expect(bf.text(parse('0.1'), 'g')).toBe('0.1');
    expect(bf.text(parse('0.1234567890123456789012345'), 'g')).toBe('0.1234567890123456789');
    expect(bf.text(parse('123456789012345678901234567890'), 'f')).toBe('123456789012345678900000000000');
    expect(bf.text(parse('-0'), 'f')).toBe('-0');
    expect(bf.text(parse('1e-400'), 'g')).toBe('1e-400');
    expect(bf.text(parse('2.5e-7'), 'g')).toBe('2.5e-07');
    expect(bf.text(parse('1234567'), 'g')).toBe('1.234567e+06');
    expect(bf.text(parse('123456'), 'g')).toBe('123456');
    expect(bf.parseFloatText('1e')).toBeUndefined();
    expect(bf.parseFloatText('.')).toBeUndefined();
  });

  it('rounds to nearest even at the precision', () => {
    // 2^53 + 1 is a tie at 53 bits: it rounds to the even 2^53; 2^53 + 3 rounds up.
    expect(bf.text(parse('9007199254740993', 53), 'f')).toBe('9007199254740992');
    expect(bf.text(parse('9007199254740995', 53), 'f')).toBe('9007199254740996');
    expect(bf.text(bf.quo(parse('10'), parse('3')), 'g')).toBe('3.3333333333333333333');
    expect(bf.text(bf.quo(parse('2'), parse('3')), 'g')).toBe('0.6666666666666666667');
  });

  it('adds across far-apart exponents without building their whole difference', () => {
    expect(bf.text(bf.add(parse('1'), parse('1e-100000')), 'g')).toBe('1');
    expect(bf.text(bf.sub(parse('1'), parse('1e-100000')), 'g')).toBe('1');
    expect(bf.text(bf.add(parse('1e-100000'), parse('1e-100000')), 'g')).toBe('2e-100000');
    expect(bf.cmp(parse('1'), bf.add(parse('1'), parse('1e-18')))).toBe(-1);
    expect(bf.cmp(parse('-0'), parse('0'))).toBe(0);
  });

  it('prints far exponents from their first digits only, and refuses beyond 10^±100000', () => {
    // Go's text (it expands all 100,000 digits to get there).
    expect(bf.text(bf.mul(parse('1e-100000'), parse('3')), 'g')).toBe('3e-100000');
    expect(bf.text(bf.quo(parse('1e-99999'), parse('7')), 'g')).toBe('1.4285714285714285715e-100000');
    // 1.5e10000 at 64 bits is a little below it.
    expect(bf.text(bf.mul(parse('1.5e10000'), parse('3')), 'f')).toBe('44999999999999999998' + '0'.repeat(9981));
    expect(bf.parseFloatText('1e-100001')).toBeUndefined();
  });

  it('truncates toward zero and knows integers', () => {
    expect(bf.truncate(parse('-2.7'))).toBe(-2n);
    expect(bf.truncate(parse('1e20'))).toBe(100000000000000000000n);
    expect(bf.isInt(parse('2.5'))).toBe(false);
    expect(bf.isInt(parse('2.0'))).toBe(true);
  });
});
