import { compile } from './policy';
import { ParseError } from './errors';
import { parseModule, parseQuery } from './parser';

function parseError(source: string, regoVersion: 'v0' | 'v1' = 'v1'): ParseError {
  try {
    parseModule(source, 'p.rego', { regoVersion });
  } catch (err) {
    if (err instanceof ParseError) return err;
    throw err;
  }
  throw new Error('expected a parse error');
}

describe('parse errors', () => {
  it('reports line, column and what was expected for a missing closing brace', () => {
    const err = parseError('package x\n\nallow if {\n  input.a == 1\n');
    expect(err.line).toBe(5);
    expect(err.expected).toContain('"}"');
    expect(err.code).toBe('rego_parse_error');
    expect(err.message).toContain('p.rego:5');
  });

  it('points at the offending token inside a line', () => {
    const err = parseError('package x\nallow if { input.a == }');
    expect(err.line).toBe(2);
    expect(err.column).toBe(23);
    expect(err.expected).toBe('a term');
    expect(err.found).toBe('token "}"');
  });

  it('requires a package first', () => {
    const err = parseError('allow := true');
    expect(err.line).toBe(1);
    expect(err.column).toBe(1);
    expect(err.expected).toBe('"package"');
  });

  it('rejects an unterminated string with its position', () => {
    const err = parseError('package x\np := "abc\n');
    expect(err.line).toBe(2);
    expect(err.column).toBe(6);
    expect(err.expected).toContain('closing quote');
  });

  it('rejects := with a non-variable on the left', () => {
    const err = parseError('package x\np if { 1 := 2 }');
    expect(err.expected).toContain('variable');
  });

  it('rejects a v0 rule body without if in v1', () => {
    const err = parseError('package x\nallow { true }');
    expect(err.line).toBe(2);
    expect(err.expected).toContain('"if"');
  });

  it('rejects unknown future keywords', () => {
    const err = parseError('package x\nimport future.keywords.maybe\n', 'v0');
    expect(err.expected).toContain('known future keyword');
  });

  it('parses queries with several expressions', () => {
    expect(parseQuery('x := 1; y = x + 1\nz = [x, y]')).toHaveLength(3);
  });
});

describe('v0 and v1 syntax', () => {
  const v0 = `package v0
deny[msg] {
  input.user == "bob"
  msg := "bob is denied"
}
allow { not deny["bob is denied"] }
obj[k] = v { v := input.kv[k] }
`;

  it('reads v0 partial sets, objects and bodies without if', () => {
    const policy = compile([{ name: 'a.rego', source: v0, regoVersion: 'v0' }]);
    expect(policy.evaluate('data.v0.deny', { input: { user: 'bob' } })).toEqual(['bob is denied']);
    expect(policy.evaluate('data.v0.allow', { input: { user: 'bob' } })).toBeUndefined();
    expect(policy.evaluate('data.v0.allow', { input: { user: 'amy' } })).toBe(true);
    expect(policy.evaluate('data.v0.obj', { input: { kv: { a: 1 } } })).toEqual({ a: 1 });
  });

  it('treats in and every as plain names in v0 unless imported', () => {
    const plain = `package p\nin := 1\nq { in == 1 }`;
    expect(compile([{ name: 'p.rego', source: plain, regoVersion: 'v0' }]).evaluate('data.p.q')).toBe(true);
    const imported = `package p\nimport future.keywords.in\nq { 2 in [1, 2] }`;
    expect(compile([{ name: 'p.rego', source: imported, regoVersion: 'v0' }]).evaluate('data.p.q')).toBe(true);
    const regoV1 = `package p\nimport rego.v1\nq contains x if { some x in [1, 2] }`;
    expect(compile([{ name: 'p.rego', source: regoV1, regoVersion: 'v0' }]).evaluate('data.p.q')).toEqual([1, 2]);
  });

  it("imports in with every in v0, as OPA's scanner does, but not every with in", () => {
    const every = `package p\nimport future.keywords.every\nq { every x in [1, 2] { x > 0 } }\nr { 1 in [1] }`;
    expect(compile([{ name: 'p.rego', source: every, regoVersion: 'v0' }]).evaluate('data.p')).toEqual({
      q: true,
      r: true,
    });
    const inOnly = `package p\nimport future.keywords.in\nq { every x in [1] { x > 0 } }`;
    expect(() => parseModule(inOnly, 'p.rego', { regoVersion: 'v0' })).toThrow(ParseError);
  });

  it('reads `key, value in xs` on either side of = and :=, and in parentheses', () => {
    const source = `package p
import future.keywords.in
a { x := 1, "foo" in 1; x == false }
b { x := 0, "a" in ["a"]; x }
c { x = (1, "b" in ["a", "b"]); x }
d { 0, "a" in ["a"] in {true} }
e { 0, "a" in ["b"] == false }
`;
    expect(compile([{ name: 'p.rego', source, regoVersion: 'v0' }]).evaluate('data.p')).toEqual({
      a: true,
      b: true,
      c: true,
      d: true,
    });
  });

  it('reads v1 p[x] if as a single-value rule under key x', () => {
    const policy = compile([{ name: 'a.rego', source: 'package v1\np[x] if { some x in ["a", "b"] }' }]);
    expect(policy.evaluate('data.v1.p')).toEqual({ a: true, b: true });
  });

  it('reads v1 contains as a multi-value rule', () => {
    const policy = compile([{ name: 'a.rego', source: 'package v1\np contains x if { some x in ["a", "b", "a"] }' }]);
    expect(policy.evaluate('data.v1.p')).toEqual(['a', 'b']);
  });
});

describe('expressions continued on the next line', () => {
  it('an infix operator starting a line continues the expression above, as in OPA', () => {
    const p = compile([
      {
        name: 'm.rego',
        source: `package t
a := x if {
  x := 5
  - 2 == 3
}
b := total if {
  total := count([1, 2])
    + count([3])
}
c if {
  y := 5
  == 5
  y
}
d := x if {
  x := 1
  y := -1
  x > y
}
`,
      },
    ]);
    expect(p.evaluate('data.t')).toEqual({ a: true, b: 3, c: true, d: 1 });
  });
});
