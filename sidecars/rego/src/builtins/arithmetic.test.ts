// Arithmetic at OPA's precision. Every expected text is what `opa eval` (v1.22.4) gives for the same
// expression; the old engine (float64 results) failed each row marked "float64".
import { compile } from '../policy';
import { toJSONText } from '../value';

function marshal(expr: string): string {
  const policy = compile([{ name: 't.rego', source: `package t\nx := ${expr}\n` }]);
  return toJSONText(policy.evaluateValue('data.t.x', { strictBuiltinErrors: true })!);
}

describe('arithmetic as OPA computes it', () => {
  it.each([
    // Quotients keep big.Float's 64-bit digits and carry them on (float64: 3.3333333333333335, 0.9999999999999999).
    ['10 / 3', '3.3333333333333333333'],
    ['1 / 3 * 3', '1'],
    ['1 / 7 * 7', '1'],
    ['-1 / 15', '-0.06666666666666666667'],
    ['2 / 3 + 1 / 3', '1'],
    ['(1 / 3) * 1e20', '33333333333333333334'],
    // Sums keep digits a float64 cannot hold.
    ['0.1 + 4503599627370496', '4.5035996273704961e+15'],
    ['0.1 + 0.2', '0.3'],
    ['0.5 - 0.25', '0.25'],
    // Big integers: exact when the result is an integer operation, 64-bit floats for a quotient.
    ['123456789012345678901234567890 / 3', '41152263004115226300000000000'],
    ['123456789012345678901234567890 / -1', '-123456789012345678900000000000'],
    ['123456789012345678901234567890 * 1.0', '123456789012345678901234567890'],
    ['1e30 + 1', '1000000000000000000000000000001'],
    ['4294967296 / 2', '2147483648'],
    // Results printed as Go's Text('g', -1): an exponent below -4 or from 6 on.
    ['3 / 10000000', '3e-07'],
    ['1e-7 * 3', '3e-07'],
    ['0.000001 * 1', '1e-06'],
    ['1234567.5 * 1', '1.2345675e+06'],
    ['100000.5 * 10', '1000005'],
    // A zero quotient or product keeps its sign.
    ['0 / -5', '-0'],
    ['0 * -0.5', '-0'],
    ['-0.0 + 0', '0'],
    ['2.5 - 2.5', '0'],
    ['1.0 + 1', '2'],
    ['7 % 2.0', '1'],
    ['-7 % 3', '-1'],
    // An int32 product beyond 2^53 (float64: 4611686014132420608).
    ['2147483647 * 2147483647', '4611686014132420609'],
    // Unary operations go through 64-bit floats beyond the int32 window.
    ['abs(12345678901234567890123)', '12345678901234567890000'],
    ['floor(12345678901234567890123.5)', '12345678901234567889920'],
    ['round(-2.5)', '-3'],
    ['round(10 / 3)', '3'],
    ['abs(-0.5)', '0.5'],
    // OPA's ceil and floor of a number between -1 and 0 start from the truncated 0.
    ['ceil(-0.5)', '1'],
    ['floor(-0.5)', '0'],
    ['floor(-1.5)', '-2'],
    // sum at 64 bits, product at 53 (it starts from big.NewFloat(1)).
    ['sum([0.1, 0.2, 0.3])', '0.6'],
    ['sum({0.1, 0.2})', '0.3'],
    ['sum([1, 2.5])', '3.5'],
    ['product([0.1, 0.2, 3])', '0.06'],
    ['product([2, 2.5])', '5'],
    ['1.5e308 * 10.5', '1575' + '0'.repeat(306)],
    // units.parse writes a fraction with ten decimals (big.Rat's FloatString(10)); it is carried on.
    ['units.parse("500m")', '0.5000000000'],
    ['units.parse("1m") * 3', '0.0029999999999999999998'],
  ])('%s is %s', (expr, want) => {
    expect(marshal(expr)).toBe(want);
  });

  it('compares, formats and reads a carried quotient as OPA does', () => {
    expect(marshal('10 / 3 == 3.3333333333333333333')).toBe('true');
    expect(marshal('10 / 3 > 3.3333333333333333')).toBe('true');
    expect(marshal('max([10 / 3, 3.4])')).toBe('3.4');
    // sprintf hands Go a float64, format_int an int of the value.
    expect(marshal('sprintf("%v", [10 / 3])')).toBe('"3.3333333333333335"');
    expect(marshal('format_int(10 / 3, 10)')).toBe('"3"');
    expect(marshal('type_name(10 / 3)')).toBe('"number"');
  });

  it('refuses division and modulo by zero of any form, and modulo of a fraction', () => {
    for (const [expr, message] of [
      ['1 / 0', /divide by zero/],
      ['1.5 / 0.0', /divide by zero/],
      ['1 / -0', /divide by zero/],
      ['1 % 0', /modulo by zero/],
      ['12345678901234567890123 % 0', /modulo by zero/],
      ['1.5 % 1', /modulo on floating-point number/],
    ] as const)
      expect(() => marshal(expr)).toThrow(message);
  });
});
