// The static type check of builtin calls. Messages are what `opa check` (v1.22.4) prints for the same
// policies, except the `want` line, which OPA writes with argument names capabilities.json does not carry.
import { compile } from './policy';
import { SIGNATURES } from './builtins/signatures.generated';
import { opaCapabilities } from './opa-module';
import { assignable, formatType, signaturesFromCapabilities, type OpaType } from './type-check';

function compileError(body: string): string | undefined {
  try {
    compile([{ name: 'p.rego', source: `package p\ng(_) := "x"\nq if {\n  ${body}\n}\n` }]);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('type check of builtin calls', () => {
  it.each([
    ['concat(",", [1])', 'concat', '(string, array<number>)'],
    ['count(1)', 'count', '(number)'],
    ['upper(1)', 'upper', '(number)'],
    ['"a" + 1', 'plus', '(string, number)'],
    ['concat(",", {"a": 1})', 'concat', '(string, object<a: number>)'],
    ['startswith("a", [1, "b"])', 'startswith', '(string, array<number, string>)'],
    ['sum([1, "a"])', 'sum', '(array<number, string>)'],
    ['json.marshal_with_options(1, {"pretty": 1})', 'json.marshal_with_options', '(number, object<pretty: number>)'],
    ['x := trim(1, null)', 'trim', '(number, null, ???)'],
    ['sprintf(1, [])', 'sprintf', '(number, array)'],
    ['x := concat(",", {"a", 1})', 'concat', '(string, set[any<number, string>], ???)'],
    ['x := sum({1, "a"})', 'sum', '(set[any<number, string>], ???)'],
    // A builtin's result has its declared type.
    ['upper(count([1]))', 'upper', '(number)'],
    ['x := upper(object.keys({}))', 'upper', '(set[any], ???)'],
    ['x := sum(split("a", ","))', 'sum', '(array[string], ???)'],
    ['x := upper(input.a - input.b)', 'upper', '(any<number, set[any]>, ???)'],
    // Under `with` too: OPA checks the call against the builtin it replaces.
    ['not upper(1) with upper as g', 'upper', '(number)'],
  ])('refuses %s like OPA', (body, name, have) => {
    const message = compileError(body);
    expect(message).toContain(`p.rego:4: rego_type_error: ${name}: invalid argument(s)`);
    expect(message).toContain(`\thave: ${have}\n\twant: (`);
  });

  it.each([
    'count({"a", 1})',
    'object.get({"a": 1}, "a", 1, 2)',
    'concat(",", ["a", input.x])',
    'concat(",", input.x)',
    'count([x | some x in [1]])',
    'json.marshal_with_options(1, {"pretty": true, "indent": "  "})',
    'x := sprintf("%d", [1, "a", null, {1}])',
    'x := object.union({"a": 1}, {"b": [1]})',
    'x := 1 + to_number("2")',
    'x := count(set())',
    'x := concat(",", split("a", ","))',
    'x := count(json.unmarshal("1"))',
    // `minus` is declared to give a number or a set.
    'x := substring("abc", 0, input.a - input.b)',
    'x := concat(",", {"a", input.a - input.b})',
    'x := sum([input.a - input.b])',

    'x := concat(",", set())',
    'x := concat(",", {"a"})',
  ])('accepts %s, as OPA does', (body) => {
    expect(compileError(body)).toBeUndefined();
  });

  it('reports the errors of OPA\'s earlier stages first (unsafe variables, "referenced above")', () => {
    expect(compileError('upper(1)\n  x')).toContain('p.rego:5: rego_unsafe_var_error: var x is unsafe');
    // `-2.5` starting a line continues the line above: `x := null - 2.5 == x`.
    expect(compileError('x := null\n  -2.5 == x')).toContain('p.rego:4: rego_compile_error: var x referenced above');
  });

  it('types a local bound by := to a term of known type, as OPA does (these compiled before)', () => {
    expect(compileError('parts := split(input.s, ":")\n  r := object.get(parts, 1, "*")')).toContain(
      'p.rego:5: rego_type_error: object.get: invalid argument(s)\n\thave: (array[string], number, string, ???)',
    );
    expect(compileError('x := "a"\n  y := [z | z := x + 1]')).toContain(
      'p.rego:5: rego_type_error: plus: invalid argument(s)\n\thave: (string, number, ???)',
    );
    expect(compileError('w := {"k": 1}\n  u := w\n  v := upper(u)')).toContain(
      'p.rego:6: rego_type_error: upper: invalid argument(s)\n\thave: (object<k: number>, ???)',
    );
  });

  it('leaves locals of unknown type alone (opa check accepts each of these)', () => {
    for (const body of [
      'parts := split(input.s, ":")\n  r := concat("-", parts)',
      'x := input.n\n  r := x + 1',
      'x := count([1])\n  r := x * 2',
      'some x in ["a"]\n  r := upper(x)',
      'x := 1\n  r := [x | x := "a"]',
      'x := [1]\n  r := [y | y := x[0] + 1]',
      'x = "a"\n  r := x',
    ])
      expect(compileError(body)).toBeUndefined();
  });

  it('checks queries too', () => {
    const policy = compile([{ name: 'p.rego', source: 'package p\n' }]);
    expect(() => policy.query('x := upper(1)')).toThrow('upper: invalid argument(s)');
  });

  it('leaves custom builtins alone, whatever their name', () => {
    const fn = (): boolean => true;
    const builtins = [
      { name: 'toString', args: ['number' as const], fn },
      { name: 'my.upper', args: ['number' as const], fn },
    ];
    const source = 'package p\nq if { toString(1); my.upper(1) }\n';
    expect(compile([{ name: 'p.rego', source }], { builtins }).evaluate('data.p.q')).toBe(true);
  });

  it('reads union types and nested static types', () => {
    const collection: OpaType = {
      type: 'any',
      of: [
        { type: 'array', dynamic: { type: 'string' } },
        { type: 'set', of: { type: 'string' } },
      ],
    };
    expect(formatType(collection)).toBe('any<array[string], set[string]>');
    expect(assignable({ type: 'set', of: { type: 'string' } }, collection)).toBe(true);
    expect(assignable({ type: 'array', static: [{ type: 'any' }] }, collection)).toBe(true);
    expect(assignable({ type: 'array', static: [{ type: 'number' }] }, collection)).toBe(false);
    expect(assignable({ type: 'object', static: [] }, collection)).toBe(false);
  });

  it('has the signatures of the pinned OPA version (scripts/builtin-signatures.js writes them)', () => {
    expect(SIGNATURES).toEqual(signaturesFromCapabilities(opaCapabilities().builtins));
  });
});
