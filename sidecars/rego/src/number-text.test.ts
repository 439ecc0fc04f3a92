// A number literal keeps its text, as OPA's json.Number does. Expected values are what `opa eval` (v1.22.4)
// gives for the same expressions.
import { compile } from './policy';
import { NumberText, RegoSet, compareValues, formatValue, numberFromText, toJSONText } from './value';

function evaluate(rule: string): unknown {
  return compile([{ name: 't.rego', source: `package t\nx := ${rule}\n` }]).evaluate('data.t.x');
}

describe('number literals keep their text', () => {
  it('makes a NumberText only of text that says more than the value', () => {
    expect(numberFromText('1')).toBe(1);
    expect(numberFromText('1.5')).toBe(1.5);
    expect(numberFromText('12345678901234567890')).toBe(12345678901234567890n);
    expect(numberFromText('1.0')).toEqual(new NumberText(1, '1.0'));
    expect(numberFromText('1e2')).toEqual(new NumberText(100, '1e2'));
    expect(numberFromText('2e308')).toEqual(new NumberText(2n * 10n ** 308n, '2e308'));
    // A fraction beyond float64 keeps its nearest float64 and its exact text.
    expect(numberFromText('1e-400')).toEqual(new NumberText(0, '1e-400'));
    expect(numberFromText('1e')).toBeUndefined();
  });

  it('hands sprintf a float64 for text with a fraction or exponent, and the text beyond float64', () => {
    expect(evaluate('sprintf("%f|%.1f|%v|%d|%v|%T|%T", [0.0, 100.0, 1e2, 2.0, 2e308, 1.0, 1])')).toBe(
      '0.000000|100.0|100|%!d(float64=2)|2e308|float64|int64',
    );
    expect(evaluate('sprintf("%v|%e", [[1.50, 1e2], -1e9])')).toBe('[1.50, 1e2]|-1.000000e+09');
    // to_number keeps the string as the number's text, as OPA does.
    expect(evaluate('sprintf("%d", [to_number("1.0")])')).toBe('%!d(float64=1)');
    // Arithmetic results are plain numbers again: 3.0 * 2 is the integer 6.
    expect(evaluate('sprintf("%d %d", [3.0 * 2, 1e2 / 4])')).toBe('6 25');
  });

  it('prints the text in json.marshal and reads it as go-yaml does in yaml.marshal', () => {
    expect(evaluate('json.marshal({"a": [1.0, 1e2, -0.0, 2e308, 0.1234567890123456789, 1.5]})')).toBe(
      '{"a":[1.0,1e2,-0.0,2e308,0.1234567890123456789,1.5]}',
    );
    expect(evaluate('yaml.marshal([1.0, 1e2, 1e6, 1.50, 7])')).toBe('- 1\n- 100\n- 1e+06\n- 1.5\n- 7\n');
  });

  it('compares exactly as decimals and equals the number it denotes', () => {
    expect(
      evaluate(
        '[0.1234567890123456789 > 0.1234567890123456788, 1e-400 > 0, 1.0 == 1, 1e2 == 100, -1e-400 < 0, 2e308 > 1e308]',
      ),
    ).toEqual([true, true, true, true, true, true]);
    expect(compareValues(new NumberText(0, '1e-400'), new NumberText(0, '1e-999999'))).toBe(1);
    expect(compareValues(new NumberText(0, '-1e-400'), 'a')).toBe(-1);
  });

  it('is one set element or object key with the number it equals, and indexes arrays', () => {
    expect(evaluate('count({1, 1.0, 1e0, 100, 1e2, 0.1234567890123456789, 0.1234567890123456788})')).toBe(4);
    expect(evaluate('{1.0: "a"}[1]')).toBe('a');
    expect(evaluate('[[10, 20][i] | i := 1.0]')).toEqual([20]);
    expect(formatValue(new RegoSet([new NumberText(1, '1.0'), 1]))).toBe('{1.0}');
    expect(toJSONText([new NumberText(100, '1e2')])).toBe('[1e2]');
  });

  it('is no int64 where OPA reads one with json.Number.Int64', () => {
    const sign = `providers.aws.sign_req({"method": "GET", "url": "https://example.com", "headers": {}},
      {"aws_access_key": "a", "aws_secret_access_key": "b", "aws_service": "s3", "aws_region": "us-east-1"}, -1e9)`;
    const policy = compile([{ name: 't.rego', source: `package t\nx := ${sign}\n` }]);
    expect(() => policy.evaluate('data.t.x', { strictBuiltinErrors: true })).toThrow(
      'operand 3 could not convert time_ns value into a unix timestamp',
    );
  });

  it("reads integer operands as OPA's util.Atoi64: a point and zeros are fine, an exponent is not", () => {
    expect(evaluate('[substring("abc", 0, 1.0), substring("abc", 0, 2.00)]')).toEqual(['a', 'ab']);
    expect(evaluate('array.slice([1, 2, 3], 0, 1e3)')).toBeUndefined();
    expect(evaluate('substring("abc", 0, 1.5)')).toBeUndefined();
    expect(evaluate('numbers.range(1e0, 2)')).toEqual([1, 2]);
    expect(evaluate('json.marshal([-0, {-0: 1}])')).toBe('[-0,{"-0":1}]');
  });

  it('writes an object with non-string keys in the order of their JSON text, as Go does', () => {
    expect(evaluate('json.marshal({true: 1, 0.001: 2, "a": 3, 1.0: 4})')).toBe('{"0.001":2,"1.0":4,"a":3,"true":1}');
  });

  it('gives custom builtins plain numbers', () => {
    const seen: unknown[] = [];
    const policy = compile([{ name: 't.rego', source: 'package t\nx := spy([1.0, {"a": 1e2}])\n' }], {
      builtins: [{ name: 'spy', args: ['array'], fn: ([a]) => (seen.push(a), true) }],
    });
    expect(policy.evaluate('data.t.x')).toBe(true);
    expect(toJSONText(seen[0] as never)).toBe('[1,{"a":100}]');
  });
});
