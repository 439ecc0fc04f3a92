import { BudgetExceededError, CompileError, EvalError } from './errors';
import { compile } from './policy';
import { RegoSet, compareValues, formatValue, type Value } from './value';

function policy(source: string): ReturnType<typeof compile> {
  return compile([{ name: 'policy.rego', source }]);
}

describe('evaluation semantics', () => {
  it('looks up one key of a partial rule whose key is computed from the body (a ref or a call)', () => {
    const p = policy(`package t
obj[s.id] := s.v if some s in input.xs
set contains lower(s.id) if some s in input.xs
pairs[[s.id, 1]] := s.v if some s in input.xs
ids[x] := true if some x in ["a", "b"]
q := [obj.a, obj["b"]]
r := set["a"]
u := pairs[["b", 1]]
missing := obj.c
v := ids.a
`);
    const input = {
      xs: [
        { id: 'a', v: 1 },
        { id: 'B', v: 2 },
        { id: 'b', v: 3 },
      ],
    };
    expect(p.evaluate('data.t.q', { input })).toEqual([1, 3]);
    expect(p.evaluate('data.t.r', { input })).toBe('a');
    expect(p.evaluate('data.t.u', { input })).toBe(3);
    expect(p.evaluate('data.t.missing', { input })).toBeUndefined();
    expect(p.evaluate('data.t.v', { input })).toBe(true);
  });

  it('evaluates complete, partial set and partial object rules with defaults and else', () => {
    const p = policy(`package t
default allow := false
allow if input.role == "admin"
deny contains msg if { some s in input.stages; s.type == "deploy"; not s.approved; msg := sprintf("stage %s needs approval", [s.name]) }
by_name[s.name] := s.type if some s in input.stages
grade := "a" if input.score > 90
else := "b" if input.score > 50
else := "c"
`);
    const input = {
      role: 'dev',
      score: 60,
      stages: [
        { name: 'build', type: 'jenkins' },
        { name: 'prod', type: 'deploy', approved: false },
      ],
    };
    expect(p.evaluate('data.t.allow', { input })).toBe(false);
    expect(p.evaluate('data.t.deny', { input })).toEqual(['stage prod needs approval']);
    expect(p.evaluate('data.t.by_name', { input })).toEqual({ build: 'jenkins', prod: 'deploy' });
    expect(p.evaluate('data.t.grade', { input })).toBe('b');
    expect(p.evaluate('data.t.grade', { input: { score: 1 } })).toBe('c');
  });

  it('supports functions, every, comprehensions and ref heads', () => {
    const p = policy(`package t
double(x) := x * 2
all_positive if every x in input.xs { x > 0 }
squares := {x: x * x | some x in input.xs}
a.b[k] := v if some k, v in input.kv
`);
    expect(p.evaluate('data.t.squares', { input: { xs: [1, 2] } })).toEqual({ '1': 1, '2': 4 });
    expect(p.evaluate('data.t.all_positive', { input: { xs: [1, 2] } })).toBe(true);
    expect(p.evaluate('data.t.all_positive', { input: { xs: [1, -2] } })).toBeUndefined();
    expect(p.query('x := data.t.double(21)').results[0]?.get('x')).toBe(42);
    expect(p.evaluate('data.t.a.b', { input: { kv: { q: 1 } } })).toEqual({ q: 1 });
  });

  it('applies with to input, data and functions', () => {
    const p = policy(`package t
limit := data.config.limit
over if input.n > limit
f(x) := x + 1
g := f(1)
`);
    const results = p.query(
      'a := data.t.over with input as {"n": 5} with data.config.limit as 3; b := data.t.g with data.t.f as 10; c := count([1]) with count as 7',
    ).results;
    expect(results[0]?.get('a')).toBe(true);
    expect(results[0]?.get('b')).toBe(10);
    expect(results[0]?.get('c')).toBe(7);
  });

  it('keeps integers beyond 2^53 exact and counts strings in code points', () => {
    const p = policy(`package t
big := 9007199254740993 + 2
text := sprintf("%d", [big])
n := count("héllo😀")
u := upper(substring("naïve😀x", 4, 2))
`);
    expect(p.query('x := data.t.text').results[0]?.get('x')).toBe('9007199254740995');
    expect(p.evaluate('data.t.n')).toBe(6);
    expect(p.evaluate('data.t.u')).toBe('E😀');
  });

  it('orders values like OPA: null < boolean < number < string < array < object < set', () => {
    const values: Value[] = [new RegoSet([1]), 'a', [1], null, 2, true];
    const sorted = [...values].sort(compareValues).map(formatValue);
    expect(sorted).toEqual(['null', 'true', '2', '"a"', '[1]', '{1}']);
  });

  it('raises a conflict error for complete rules with two values', () => {
    const p = policy('package t\nx := 1 if true\nx := 2 if true');
    expect(() => p.evaluate('data.t.x')).toThrow(EvalError);
    try {
      p.evaluate('data.t.x');
    } catch (err) {
      expect((err as EvalError).code).toBe('eval_conflict_error');
      expect((err as EvalError).message).toMatch(/rule data\.\S+ produced conflicting values/);
    }
  });

  it('treats builtin errors as undefined unless strict', () => {
    const p = policy('package t\nn := to_number("abc")\nok if { not n }');
    expect(p.evaluate('data.t.ok')).toBe(true);
    expect(() => p.evaluate('data.t.n', { strictBuiltinErrors: true })).toThrow(/to_number/);
  });

  it('rejects unsafe variables and undefined functions at compile time', () => {
    expect(() => policy('package t\np if { x > 1 }')).toThrow(CompileError);
    expect(() => policy('package t\np if { x > 1 }')).toThrow(/var x is unsafe/);
    expect(() => policy('package t\np if { nope(1) }')).toThrow(/undefined function nope/);
  });

  it('rejects recursion at compile time, naming the cycle', () => {
    expect(() => policy('package t\np if q\nq if p')).toThrow(
      /rego_recursion_error: rule data.t.p is recursive: data.t.p -> data.t.q -> data.t.p/,
    );
    expect(() => policy('package t\nf(x) := y if y := f(x)')).toThrow(CompileError);
    expect(() => policy('package t\np if data.t[_]')).toThrow(/recursive/);
    expect(policy('package t\np := data[2]\nq if data.other.x').evaluate('data.t.p', { data: { '2': 'ok' } })).toBe(
      'ok',
    );
  });

  it('runs test_ rules and names the failing ones', () => {
    const p = compile([
      { name: 'a.rego', source: 'package t\nallow if input.ok' },
      {
        name: 'a_test.rego',
        source:
          'package t\ntest_allows if allow with input as {"ok": true}\ntest_denies if allow with input as {"ok": false}',
      },
    ]);
    // Each result also says where the test is and how long it took.
    expect(p.runTests().map(({ durationNs, ...r }) => ({ ...r, timed: typeof durationNs === 'number' }))).toEqual([
      { name: 'data.t.test_allows', passed: true, location: { file: 'a_test.rego', line: 2 }, timed: true },
      {
        name: 'data.t.test_denies',
        passed: false,
        error: 'undefined',
        location: { file: 'a_test.rego', line: 3 },
        timed: true,
      },
    ]);
  });

  it('prints without failing the body, showing undefined operands', () => {
    const p = policy('package t\np if { print("role:", input.role, input.missing); true }');
    const { results, prints } = p.query('data.t.p', { input: { role: 'dev' } });
    expect(results).toHaveLength(1);
    expect(prints).toEqual(['role: dev <undefined>']);
  });

  it('evaluates a simple cached policy quickly', () => {
    const p = policy(
      'package t\ndefault allow := false\nallow if { input.user.role == "admin"; input.action in {"read", "write"} }',
    );
    const input = { user: { role: 'admin' }, action: 'read' };
    for (let i = 0; i < 200; i++) p.evaluate('data.t.allow', { input });
    const times: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const start = process.hrtime.bigint();
      p.evaluate('data.t.allow', { input });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    expect(times[500]).toBeLessThan(0.2);
  });
});

describe('budgets', () => {
  it('stops a huge comprehension with BudgetExceededError', () => {
    const p = policy('package t\nxs := [x | some x in numbers.range(1, 100000000)]');
    const start = Date.now();
    expect(() => p.evaluate('data.t.xs', { budget: { maxSteps: 100_000 } })).toThrow(BudgetExceededError);
    expect(Date.now() - start).toBeLessThan(2000);
  });

  it('stops nested iteration by wall time', () => {
    const p = policy(
      'package t\nn := count([1 | some a in numbers.range(1, 2000); some b in numbers.range(1, 2000); some c in numbers.range(1, 2000)])',
    );
    const start = Date.now();
    expect(() => p.evaluate('data.t.n', { budget: { timeoutMs: 200, maxSteps: 1e12 } })).toThrow(BudgetExceededError);
    expect(Date.now() - start).toBeLessThan(3000);
  });

  it('answers a catastrophic pattern with case folding (linear-time RE2 matching, no timeout needed)', () => {
    const p = policy('package t\nm if regex.match("(?i)(a+)+$", input.s)\nn if regex.match("(?i)(a+)+!$", input.s)');
    const input = { s: 'a'.repeat(100_000) + '!' };
    expect(p.evaluate('data.t.m', { input })).toBeUndefined();
    expect(p.evaluate('data.t.n', { input })).toBe(true);
  });

  it('runs backtracking-prone patterns without case folding in linear time', () => {
    const p = policy('package t\nm if regex.match("(a+)+$", input.s)');
    expect(p.evaluate('data.t.m', { input: { s: 'a'.repeat(5000) + '!' } })).toBeUndefined();
  });

  it('rejects RE2-unsupported backreferences and lookarounds', () => {
    const p = policy(
      'package t\nbad := regex.is_valid("(a)\\\\1")\nlook := regex.is_valid("a(?=b)")\ngood := regex.is_valid("^[a-z]+$")',
    );
    expect(p.evaluate('data.t.bad')).toBe(false);
    expect(p.evaluate('data.t.look')).toBe(false);
    expect(p.evaluate('data.t.good')).toBe(true);
  });
});
