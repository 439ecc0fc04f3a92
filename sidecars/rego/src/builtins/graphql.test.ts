// graphql.parse_query / graphql.parse_schema give what the real `opa` gives (gqlparser's AST as OPA prunes
// it, and its error texts and positions) on edge-case documents, and charge the budgets as they parse.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireTool } from '@isd/test-support';
import { BudgetExceededError } from '../errors';
import { compile } from '../policy';

const queries = [
  '# lead\n{ a }',
  'query Q($v: [Int!]! = [1, 2] @d(x: 1), $w: In = {a: {b: null, c: ENUM, d: true}}) @op { ...F ... on T { x } ... @skip(if: $v) { y } }\nfragment F on T { z(arg: """\n    block\n      indented\n  """) }',
  'query {\n  # before field\n  a: b(s: "esc \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u{1F600} \\ud83d\\ude00") # trailing\n}',
  'mutation M { m(f: 1.5e3, g: -0, h: 0.1) }',
  'subscription { s }\n# end',
  '"described" query D { d }',
  '{ a(x: 01) }',
  '{ a(x: 1.) }',
  '{ a(x: "unterminated) }',
  "{ a(x: 'single') }",
  '{ a(x: "\\q") }',
  '{ a(x: "\\u12") }',
  '{ a(x: "\\u{110000}") }',
  '{ a ? }',
  '{ ...on }',
  'query Q { a } extra',
  '"desc" { a }',
  '{ a(x: $v) @d(y: [$w]) }',
  '{ a(x: """a\n""" b: 1) }',
  'fragment on on T { a }',
  '{}',
  '{ a(x: {}) }',
  `{ a(x: ${'['.repeat(1100)}${']'.repeat(1100)}) }`,
  `query Q($v: ${'['.repeat(1100)}Int${']'.repeat(1100)}) { a }`,
];
const schemas = [
  '"""Doc"""\nschema @s { query: Q mutation: M }\nextend schema @e\n# c\ntype Q implements & A & B @d { "f doc" f(a: Int = 1 @x, "b doc" b: [String!]): String! @y }',
  'interface I implements J { i: Int }\nunion U @u = | A | B\nenum E { "one" ONE @d TWO }\ninput In { a: Int = 5 @z, b: [In!] }\nscalar Time @specifiedBy(url: "x")',
  'directive @d(a: Int) repeatable on FIELD | QUERY\ndirective @e on | SCHEMA | ENUM_VALUE\nextend directive @d @x',
  'extend type Q implements I\nextend interface I @d\nextend union U = C\nextend enum E { THREE }\nextend input In @d\nextend scalar Time @x',
  '# a\ntype A {\n  # b\n  f: Int # c\n}\n# d\n',
  'extend type Q',
  'extend schema',
  'directive @d on NOPE',
  'type A { f(): Int }',
  'type A { f: Int',
  '"desc" extend type A @d',
  'type A {}\n',
  'union U = ',
  '\u0001',
];

const expressions = [
  ...queries.map((q) => `graphql.parse_query(${JSON.stringify(q)})`),
  ...schemas.map((s) => `graphql.parse_schema(${JSON.stringify(s)})`),
];

/** Each rule's value, or its error message: `r<n> := <expression>` evaluated one by one. */
function opaResults(opa: string, dir: string): unknown[] {
  return expressions.map((expression, i) => {
    const file = path.join(dir, `t${i}.rego`);
    fs.writeFileSync(file, `package t\n\nr := ${expression}\n`);
    try {
      const out = JSON.parse(
        execFileSync(opa, ['eval', '--strict-builtin-errors', '--format', 'json', '--data', file, 'data.t.r'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      ) as { result: Array<{ expressions: Array<{ value: unknown }> }> };
      return out.result[0]?.expressions[0]?.value;
    } catch (error) {
      const stdout = (error as { stdout?: string }).stdout ?? '';
      const parsed = JSON.parse(stdout) as { errors: Array<{ message: string }> };
      return { error: parsed.errors[0]?.message };
    }
  });
}

function ours(expression: string): unknown {
  try {
    return compile([{ name: 't.rego', source: `package t\n\nr := ${expression}\n` }]).evaluate('data.t.r', {
      strictBuiltinErrors: true,
    });
  } catch (error) {
    return { error: (error as Error).message.replace(/^.*?eval_builtin_error: /, '') };
  }
}

function value(expr: string, budget: { maxSteps?: number; maxMemoryBytes?: number }, input: unknown): unknown {
  return compile([{ name: 'b.rego', source: `package b\nv := ${expr}` }]).evaluate('data.b.v', {
    budget,
    input,
    strictBuiltinErrors: true,
  });
}

describe('graphql parse builtins', () => {
  it('give OPA’s documents and errors', () => {
    const opa = requireTool('opa');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rego-graphql-'));
    try {
      const expected = opaResults(opa, dir);
      const differences = expressions
        .map((expression, i) => ({ expression, opa: expected[i], ours: ours(expression) }))
        .filter(({ opa: want, ours: got }) => JSON.stringify(want) !== JSON.stringify(got));
      expect(differences).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses nesting deeper than gqlparser’s limit instead of exhausting the stack', () => {
    const deep = `{ a(x: ${'['.repeat(5000)}${']'.repeat(5000)}) }`;
    expect(() => value('graphql.parse_query(input.q)', {}, { q: deep })).toThrow(
      /exceeded maximum nesting depth of 1000 in GraphQL string at location 1:\d+/,
    );
  });

  it('charges each token against the budgets while parsing', () => {
    const big = `{ ${Array.from({ length: 20000 }, (_, i) => `f${i}`).join(' ')} }`;
    expect(() => value('graphql.parse_query(input.q)', { maxSteps: 5000 }, { q: big })).toThrow(BudgetExceededError);
    expect(() => value('graphql.parse_query(input.q)', { maxMemoryBytes: 1024 * 1024 }, { q: big })).toThrow(
      BudgetExceededError,
    );
    expect(value('count(graphql.parse_query(input.q).Operations[0].SelectionSet)', {}, { q: big })).toBe(20000);
  });
});
