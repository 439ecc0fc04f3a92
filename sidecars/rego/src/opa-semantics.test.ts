// Behaviour OPA's conformance suite does not cover, checked against `opa eval` v1.22.4 by hand.
import { CompileError, compile, type CustomBuiltin } from './index';
import { valueToJSON } from './policy';

function evalModule(source: string, path: string, input: unknown = {}): unknown {
  return compile([{ name: 'm.rego', source }]).evaluate(path, { input });
}

describe('negation evaluates its operands first, as OPA compiles it', () => {
  const source = `package t
p1 if { not input.missing == 1 }
p2 if { not startswith(input.missing, "a") }
p3 if { not count(input.missing) > 0 }
p4 if { not input.missing }
p6 if { not [input.missing][0] == 1 }
p9 if { not input.missing.y == 1 }
f(x) := x
e if { not f(input.missing) }
d if { not lower(input.s) == "ab" }
`;
  it('an undefined reference passed to a call makes the body undefined; a plain comparison stays negated', () => {
    expect(evalModule(source, 'data.t', { s: 'AB' })).toEqual({ p1: true, p4: true, p9: true });
  });
  it('with not-bodies on, the operands stay inside the negation', () => {
    const v2 = `package t
import rego.v2
p if { not startswith(input.missing, "a") }`;
    expect(evalModule(v2, 'data.t.p')).toBe(true);
  });
  it('in a query `==` is a call, so its reference operands are evaluated first too', () => {
    const policy = compile([{ name: 'm.rego', source: 'package t\nq := 1' }]);
    expect(policy.query('not input.missing == 1', { input: {} }).results).toEqual([]);
    expect(policy.query('not input.x == 1', { input: { x: 2 } }).results).toHaveLength(1);
  });
});

describe('OPA corner cases', () => {
  it('a zero-argument function head is a complete rule used as a value', () => {
    const source = 'package z\nf() := x if { x := "a" }\np if { f == "a" }';
    expect(evalModule(source, 'data.z')).toEqual({ f: 'a', p: true });
  });
  it('json.patch cannot remove or move the root document', () => {
    const source = `package j
t := json.patch([1, 2], [{"op": "remove", "path": ""}])
u := json.patch({"a": 1}, [{"op": "move", "from": "", "path": "/b"}])
w := json.patch({"a": 1}, [{"op": "move", "from": "/a", "path": ""}])
y := json.patch({"a": 1}, [{"op": "replace", "path": "", "value": 5}])`;
    expect(evalModule(source, 'data.j')).toEqual({ w: 1, y: 5 });
  });
  it('a line may end with `with`, its target on the next line', () => {
    const source = 'package w\nx if {\n  input.a == 1 with\n    input as {"a": 1}\n}';
    expect(evalModule(source, 'data.w.x')).toBe(true);
  });
  it('keywords may head a reference', () => {
    const source = 'package k\nif.foo := 1\nfoo.not := 2\np if { if.foo == 1; foo.not == 2 }';
    expect(evalModule(source, 'data.k.p')).toBe(true);
  });
  it('template strings print values as Rego does and undefined as <undefined>', () => {
    const source = 'package s\np := $"{input.n} {[1, "a"]} {input.missing} \\{x}"';
    expect(evalModule(source, 'data.s.p', { n: 4 })).toBe('4 [1, "a"] <undefined> {x}');
  });
});

describe('parameterised tests', () => {
  const source = `package pt
cases := [{"note": "one", "in": "a", "want": "A"}, {"note": "two", "in": "b", "want": "X"}]
test_upper[tc.note] if {
  some tc in cases
  upper(tc.in) == tc.want
}
test_lower[tc.note] if {
  some tc in cases
  lower(tc.want) == lower(tc.want)
}`;
  it('passes only when every case is true and names the failing cases, also those whose body failed', () => {
    const results = compile([{ name: 'pt.rego', source }])
      .runTests()
      .map(({ name, passed, error, cases }) => ({ name, passed, ...(error ? { error } : {}), cases }));
    expect(results).toEqual([
      {
        name: 'data.pt.test_lower',
        passed: true,
        cases: [
          { name: 'one', passed: true },
          { name: 'two', passed: true },
        ],
      },
      {
        name: 'data.pt.test_upper',
        passed: false,
        error: '1 of 2 cases failed: two',
        cases: [
          { name: 'one', passed: true },
          { name: 'two', passed: false },
        ],
      },
    ]);
  });
});

describe('custom builtins', () => {
  const lookup: CustomBuiltin = {
    name: 'trivy.severity',
    args: ['string', 'number'],
    result: 'string',
    fn: ([id, bump]) => {
      if (id === 'boom') throw new Error('database unavailable');
      if (id === 'none') return undefined;
      return `${String(id)}:${String(bump)}`;
    },
  };
  const source = `package c
p := trivy.severity("CVE-1", 2)
q := trivy.severity(input.id, 1)
r := trivy.severity(1, 1)`;
  const policy = compile([{ name: 'c.rego', source }], { builtins: [lookup] });

  it('are called with their arguments and their result is used', () => {
    expect(policy.evaluate('data.c.p')).toBe('CVE-1:2');
  });
  it('undefined results and thrown errors make the call undefined; strict mode returns the error', () => {
    expect(policy.evaluate('data.c.q', { input: { id: 'none' } })).toBeUndefined();
    expect(policy.evaluate('data.c.q', { input: { id: 'boom' } })).toBeUndefined();
    expect(() => policy.evaluate('data.c.q', { input: { id: 'boom' }, strictBuiltinErrors: true })).toThrow(
      /eval_builtin_error: trivy.severity: database unavailable/,
    );
  });
  it('check the declared argument types', () => {
    expect(() => policy.evaluate('data.c.r', { strictBuiltinErrors: true })).toThrow(
      /eval_type_error: trivy.severity: operand 1 must be string but got number/,
    );
  });
  it('are checked for arity at compile time and exist only in the policy that registered them', () => {
    expect(() =>
      compile([{ name: 'c.rego', source: 'package c\np := trivy.severity("x")' }], { builtins: [lookup] }),
    ).toThrow(/arity mismatch/);
    expect(() => compile([{ name: 'c.rego', source: 'package c\np := trivy.severity("x", 1)' }])).toThrow(
      /undefined function trivy.severity/,
    );
  });
  it('cannot replace a standard builtin or declare unknown types', () => {
    expect(() => compile([], { builtins: [{ ...lookup, name: 'count' }] })).toThrow(CompileError);
    expect(() => compile([], { builtins: [{ ...lookup, args: ['str' as 'string'] }] })).toThrow(/builtins\[0\]\.args/);
  });
  it('receive Rego values (sets stay sets)', () => {
    const seen: unknown[] = [];
    const spy: CustomBuiltin = { name: 'spy', args: ['set'], fn: ([s]) => (seen.push(valueToJSON(s!)), true) };
    compile([{ name: 's.rego', source: 'package s\np := spy({3, 1})' }], { builtins: [spy] }).evaluate('data.s.p');
    expect(seen).toEqual([[1, 3]]);
  });
});

describe("Rego v1's compile-time checks on modules users save", () => {
  const refused = (source: string, regoVersion: 'v0' | 'v1' = 'v1'): string => {
    try {
      compile([{ name: 'm.rego', source, regoVersion }]);
      return 'compiled';
    } catch (err) {
      return err instanceof CompileError ? err.message.replace(/^m\.rego:\d+: /, '') : String(err);
    }
  };

  it('deprecated builtins are refused in v1 and in v0 modules importing rego.v1, allowed in plain v0', () => {
    for (const call of [
      're_match("a", "a")',
      'any([true])',
      'all([true])',
      'net.cidr_overlap("10.0.0.0/8", "10.0.0.1")',
    ])
      expect(refused(`package t\np if ${call}\n`)).toMatch(/^rego_type_error: deprecated built-in function calls/);
    expect(refused('package t\nimport rego.v1\np if re_match("a", "a")\n', 'v0')).toBe(
      'rego_type_error: deprecated built-in function calls in expression: re_match',
    );
    expect(refused('package t\np { re_match("a", "a") }\n', 'v0')).toBe('compiled');
  });

  it('an import may not repeat the name of another in v1; v0 allows it', () => {
    expect(refused('package t\nimport data.x\nimport data.y.x\np := 1\n')).toBe(
      'rego_compile_error: import must not shadow import data.x',
    );
    expect(refused('package t\nimport data.x\nimport data.x\np := 1\n', 'v0')).toBe('compiled');
  });

  it('a body declares a variable once, with some or :=, naming the first declaration', () => {
    expect(refused('package t\np if { some x in [1]; x := 2 }\n')).toBe('rego_compile_error: var x declared above');
    expect(refused('package t\np if { x := 1; some x in [1] }\n')).toBe('rego_compile_error: var x assigned above');
    expect(refused('package t\np if { some x; some x }\n')).toBe('rego_compile_error: var x declared above');
    expect(refused('package t\np if { some x, _ in [1]; some _, y in [2]; y == x }\n')).toBe('compiled');
    expect(refused('package t\np := [1 | some x in [1]; [x | x := 2]]\n')).toBe('compiled');
  });

  it('a variable used before its declaration (or in its own := ) is "referenced above"; comprehensions are apart', () => {
    for (const body of [
      'x := x + 1',
      'input.a == x; x := 1',
      'input.a == x; some x in [1]',
      'not x; x := 1',
      '[x, y] := [1, x]',
    ])
      expect(refused(`package t\np if { ${body} }\n`)).toBe('rego_compile_error: var x referenced above');
    expect(refused('package t\np if { input.a == [x | x := 1]; x := 2 }\n')).toBe('compiled');
    expect(refused('package t\np if { x := count([1 | x > 0]) }\n')).toBe('rego_unsafe_var_error: var x is unsafe');
  });
});

// Found by running public policy corpora (Regal's linter rules, the Gatekeeper library) through both engines:
// `npm run bench:rego-corpora`. Each expectation is what `opa eval` v1.22.4 gives.
describe('real-world corpora', () => {
  it('a reference in a rule head binds the variables the body only declares (OPA rewriteRefsInHead)', () => {
    const source = `package h
q[k] := input.x[k].y if some k
s contains input.x[k] if { some k }
f(n) := input.x[k].y if { some k; k == n }`;
    const input = { x: { a: { y: 1 }, b: { z: 2 } } };
    expect(evalModule(source, 'data.h.q', input)).toEqual({ a: 1 });
    expect(evalModule(source, 'data.h.s', input)).toEqual([{ y: 1 }, { z: 2 }]);
    expect(
      compile([{ name: 'm.rego', source }])
        .query('v := data.h.f("a")', { input })
        .results[0]?.get('v'),
    ).toBe(1);
    // Still unsafe when no reference binds it.
    expect(() => compile([{ name: 'm.rego', source: 'package h\nq[k] := 1 if some k' }])).toThrow(
      /rego_unsafe_var_error: var k is unsafe/,
    );
  });

  it('runs the tests of a package whose name is no identifier, named as OPA prints them', () => {
    const source = 'package a["b-c_test"]\ntest_x if true\ntest_y if false';
    expect(
      compile([{ name: 'm_test.rego', source }])
        .runTests()
        .map(({ name, passed }) => ({ name, passed })),
    ).toEqual([
      { name: 'data.a["b-c_test"].test_x', passed: true },
      { name: 'data.a["b-c_test"].test_y', passed: false },
    ]);
  });

  it('a partial set rule without `contains` is refused in v1 and under `import rego.v1`, as by OPA', () => {
    for (const [source, regoVersion] of [
      ['package p\none["1"]', 'v1'],
      ['package p\nimport rego.v1\none["1"]', 'v0'],
    ] as const)
      expect(() => compile([{ name: 'm.rego', source, regoVersion }])).toThrow(
        /rego_parse_error: `contains` keyword is required for partial set rules/,
      );
    expect(
      compile([{ name: 'm.rego', source: 'package p\none["1"]', regoVersion: 'v0' }]).evaluate('data.p.one'),
    ).toEqual(['1']);
  });

  it('each definition of a test written twice runs on its own, the second as `#01`, as in opa test', () => {
    const source = 'package t\ntest_x if input.missing\ntest_x if true\ntest_y if true';
    const results = compile([{ name: 'm_test.rego', source }]).runTests();
    expect(results.map(({ name, passed, location }) => ({ name, passed, line: location?.line }))).toEqual([
      { name: 'data.t.test_x', passed: false, line: 2 },
      { name: 'data.t.test_x#01', passed: true, line: 3 },
      { name: 'data.t.test_y', passed: true, line: 4 },
    ]);
  });

  it('a comprehension may use a variable of the enclosing body, then declare its own of that name', () => {
    // conftest's examples/combine: only a name not declared around counts as "referenced above".
    const source = `package r
p contains [name, ids] if {
  name := input[_].name
  ids := [name | some i; input[i].name == name; name := input[i].id]
}`;
    const input = [
      { name: 'a', id: 1 },
      { name: 'a', id: 2 },
      { name: 'b', id: 3 },
    ];
    expect(evalModule(source, 'data.r.p', input)).toEqual([
      ['a', [1, 2]],
      ['b', [3]],
    ]);
    expect(() => compile([{ name: 'm.rego', source: 'package r\np if {\n  y := x\n  x := 2\n}' }])).toThrow(
      /var x referenced above/,
    );
  });

  it('a variable declared with `some` but bound only inside comprehensions belongs to each of them', () => {
    // conftest's examples/combine; when the body binds it too, the comprehensions see its value.
    const source = `package s
p := [owners, names] if {
  some i
  owners := [u | input[i].kind == "team"; u := input[i].owner]
  names := {t | t := input[i].name}
}
q contains [i, x] if {
  some i
  x := [y | y := input[i].owner]
  input[i].kind == "team"
}`;
    const input = [
      { kind: 'team', owner: 'a', name: 't1' },
      { kind: 'user', owner: 'b', name: 'u1' },
    ];
    expect(evalModule(source, 'data.s', input)).toEqual({
      p: [['a'], ['t1', 'u1']],
      q: [[0, ['a']]],
    });
  });

  it('a reference in a comprehension head binds the variables its body needs (OPA rewriteComprehensionTerms)', () => {
    // Kubescape's ensure-https-loadbalancers-encrypted-with-tls-aws.
    const source = `package c
anns := {"ssl-cert": 1, "other": 2, "ssl-x": 3}
a := [anns[i] | annotation = i; startswith(i, "ssl")]
b := {k: anns[k] | startswith(k, "o")}
c := {anns[i] | i != "x"}`;
    expect(evalModule(source, 'data.c')).toEqual({
      anns: { 'ssl-cert': 1, other: 2, 'ssl-x': 3 },
      a: [1, 3],
      b: { other: 2 },
      c: [1, 2, 3],
    });
    expect(() => compile([{ name: 'm.rego', source: 'package c\na := [i | startswith(i, "s")]' }])).toThrow(
      /rego_unsafe_var_error: var i is unsafe/,
    );
  });

  it('an import may be named as a rule of its package; in the module the name is the import', () => {
    const lib = { name: 'lib.rego', source: 'package lib\nresult := "lib"' };
    const p = { name: 'p.rego', source: 'package p\nimport data.lib.result\nresult["r"] := 1\nx := result' };
    expect(compile([lib, p]).evaluate('data.p')).toEqual({ result: { r: 1 }, x: 'lib' });
  });

  it('a reference in the pattern of `some … in` reads the outer variable instead of declaring it', () => {
    const source = `package s
pairs := {[["a"], "f1"], [["b"], "f2"]}
r contains [x, f] if {
  some x in [{"path": ["a"]}, {"path": ["c"]}]
  some [x.path, f] in pairs
}`;
    expect(evalModule(source, 'data.s.r')).toEqual([[{ path: ['a'] }, 'f1']]);
  });

  it('a call without arguments may name a rule, and gives its value', () => {
    // Gatekeeper's forbidden-sysctls template: OPA accepts the call as the rule's type is `any`.
    const source = `package z
import rego.v1
allowed() := out if {
  not input.allowed
  out := "unspecified"
}
allowed() := out if out := input.allowed
msg := sprintf("allowed: %v", [allowed()])
p if allowed()`;
    expect(evalModule(source, 'data.z', {})).toEqual({ allowed: 'unspecified', msg: 'allowed: unspecified', p: true });
    expect(evalModule(source, 'data.z.msg', { allowed: ['a'] })).toBe('allowed: ["a"]');
    expect(() => compile([{ name: 'm.rego', source: 'package z\np := nothing()' }])).toThrow(
      /undefined function nothing/,
    );
  });

  it("number literals up to OPA's limit (below 2^100000) are exact; beyond it a parse error", () => {
    const length = (literal: string): unknown =>
      evalModule(`package n\nx := count(json.marshal(${literal} + 0))`, 'data.n.x');
    expect(length('1e1000')).toBe(1001);
    expect(length('1e30102')).toBe(30103);
    expect(length('9.99e30102')).toBe(30103);
    expect(() => evalModule('package n\nx := 1e30103', 'data.n.x')).toThrow(/rego_parse_error/);
    expect(() => evalModule('package n\nx := 9.991e30102', 'data.n.x')).toThrow(/rego_parse_error/);
  });
});
