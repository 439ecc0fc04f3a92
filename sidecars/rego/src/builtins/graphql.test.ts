// graphql.parse_query / graphql.parse_schema give what the real `opa` gives (gqlparser's AST as OPA prunes
// it, and its error texts and positions) on edge-case documents, and charge the budgets as they parse.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireTool } from '@isd/test-support';
import { BudgetExceededError, RegoError } from '../errors';
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

/** A schema using every kind of definition, for the query rules. */
const schema = `
schema { query: Query mutation: Mutation subscription: Subscription }
interface Node { id: ID! }
interface Named implements Node { id: ID! name: String }
type User implements Node & Named { id: ID! name: String friends(first: Int = 10, after: String): [User!]! role: Role pet: Pet }
type Dog implements Node & Named { id: ID! name: String barks: Boolean nick: String }
type Cat implements Node { id: ID! name: Int meows: Boolean }
union Pet = Dog | Cat
enum Role { ADMIN USER GUEST }
input Filter { role: Role name: String = "x" ids: [ID!] nested: Filter limit: Int! }
input One @oneOf { a: Int b: String }
scalar Date
type Query { user(id: ID!): User users(filter: Filter, date: Date): [User] node(id: ID!): Node pets: [Pet] search(one: One): String version(s: String): String! }
type Mutation { setRole(id: ID!, role: Role!): User }
type Subscription { userChanged(id: ID): User tick: Int }
directive @auth(role: Role = ADMIN) repeatable on FIELD_DEFINITION | FIELD
directive @tag(name: String!) on FIELD | QUERY
`;

/** Queries against `schema`: valid ones and ones breaking each of gqlparser's rules (often several at once). */
const checkedQueries = [
  '{ user(id: 1) { id name friends { name } } }',
  '{ user { id } }',
  '{ user(id: "1") { nam } }',
  '{ node(id: "1") { name } }',
  '{ pets { name } }',
  '{ user(id: "1") { id } user(id: "2") { id } }',
  '{ a: version b: version a: users { id } }',
  '{ pets { ... on Dog { name } ... on Cat { name } } }',
  'query Q($id: ID, $unused: Int) { user(id: $id) { id } }',
  '{ users(filter: {limit: 1, role: ADMN, nested: {limit: "x"}, extra: 1}) { id } }',
  '{ search(one: {a: 1, b: "x"}) s2: search(one: {a: null}) }',
  'query Q($v: Int) { search(one: {a: $v}) }',
  'subscription { userChanged { id } tick __typename }',
  'subscription S { ...Sub } fragment Sub on Subscription { tick userChanged { id } }',
  'fragment F on User { ...G } fragment G on User { ...F } { user(id: 1) { ...F } }',
  'fragment A on User { ...A } { user(id: 1) { ...A } }',
  '{ user(id: 1) { ...Missing } }',
  'fragment U on Usr { id } { version }',
  '{ version @skip(if: true) @skip(if: false) @auth @auth @unknown @tag }',
  'query @skip(if: true) { version }',
  'query A { version } query A { version } { version }',
  '{ version { x } user(id: 1) }',
  '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }',
  '{ __type(name: "User") { name fields { name } } }',
  '{ users(filter: {limit: 99999999999}, date: "2020") { id } }',
  '{ users(filter: {limit: 1.5, name: 2, role: "ADMIN", ids: 3}) { id } }',
  'mutation { setRole(id: 1, role: "ADMIN") { id } }',
  'mutation { setRole(id: 1.5, role: GUST) { id } }',
  'query ($r: Role = GUEST) { user(id: "1") { friends(first: $r) { id } } }',
  'query ($u: User, $d: Dat) { version }',
  '{ ... on Role { x } }',
  'fragment R on Role { x } { ...R }',
  '{ pets { ... on User { id } } }',
  'fragment D on Dog { id } { user(id: 1) { ...D } }',
  '{ version(a: 1, s: "x", s: "y") }',
  'query ($a: Int, $a: Int) { users(filter: {limit: $a}) { id } }',
  '{ users(filter: {limit: 1, limit: 2}) { id } }',
  'query { users(filter: null) { id } user(id: null) { id } }',
  '{ user(id: "1") { pet { ... on Dog { barks } ... on Cat { meows } } } }',
  '{ __typename user(id: 1) { __typename } }',
  '{ user(id: 1) { friends { id } friends(first: 2) { id } } }',
  '{ user(id: 1) { x: name x: id } }',
  '{ version(s: "a\\"b\\n\\u0001") v: version(s: 1) }',
  'query ($x: [Int], $y: [ID!]!) { users(filter: {ids: $x, limit: 1}) { id } u2: users(filter: {ids: $y, limit: 1}) { id } }',
  '{ user(id: [1]) { id } }',
  '{ users(filter: {limit: 1, ids: [1, "a", true, null]}) { id } }',
  'query ($l: Int = 5) { users(filter: {limit: $l}) { id } }',
  'query ($l: Int!) { users(filter: {limit: $l}) { friends(first: $l) { id } } }',
  '{ users { friends(first: 1) { id } } users { friends(first: 2) { id } } }',
  '{ pets { ... on Dog { nick: name } ... on Cat { nick: meows } } }',
  '{ user(id: 1) { ...on Named { name } ... { id } ... @include(if: false) { role } } }',
  '{ node(id: 1) { id ... on User { role } ... on Dog { barks } } }',
  '{ user(id: 1) { role { x } pet } }',
  '{ users(filter: {limit: 1, role: [ADMIN]}) { id } }',
  '{ user(id: 1) { friends(first: 1, first: 2, last: 3) { id } } }',
  'query Q { user(id: $nope) { id } }',
  'fragment V on Query { user(id: $v) { id } } query ($v: ID!) { ...V }',
  'query { version @tag }',
  'query @tag(name: "a") @tag(name: "b") { version }',
  '{ version @auth(role: ADMIN, role: USER, level: 1) }',
  '{ users(filter: {limit: 1e400}) { id } a: users(filter: {limit: -2147483649, ids: [1.0]}) { id } }',
  '{ version(s: "\\u0085 \\u00e9 \\u007f") }',
  '{ user(id: 1) { ... @defer { id } ... @defer(label: "x") { name } } pets @defer { __typename } }',
  'query ($o: One!, $p: String) { a: search(one: $o) b: search(one: {b: $p}) }',
  'query ($v: Boolean = true @deprecated) { version @include(if: $v) @skip(if: $v) }',
  '{ user(id: 1) { friends(first: 1) { id } ... on User { friends(first: 1) { id } } } }',
  '{ pets { ... on Dog { id: name } ... on Node { id } } }',
  'query Q { ...Q2 } fragment Q2 on Query { version } fragment Q2 on Query { pets { __typename } }',
  '{ users(filter: {limit: 1, nested: {limit: 2, nested: {limit: "deep", role: ADMIN}}}) { id } }',
  '{ user(id: 1) { role(x: 1) } }',
  '{ users(filter: {limit: 1, name: """block"""}) { id } }',
  'query ($f: Filter = {limit: "x"}) { users(filter: $f) { id } }',
  'query ($f: Filter = {limit: 1}, $g: Filter!) { a: users(filter: $f) { id } b: users(filter: $g) { id } }',
  'mutation M { setRole(id: 1, role: ADMIN) { id } } mutation M { setRole(id: 2, role: USER) { id } }',
  'subscription { tick } subscription { tick }',
  '{ pets { __typename } node(id: 1) { __typename ...on Dog { barks } ...on Pet { __typename } } }',
  '{ node(id: 1) { ... on Named { name } ... on Cat { name } } }',
];

/** Schemas breaking gqlparser's schema checks (and some valid ones). */
const checkedSchemas = [
  'type Query { a: Undefined }',
  'type Query { a: Int } type Query { b: Int }',
  'extend type Missing { a: Int }',
  'type Query { a: Int } extend interface Query { b: Int }',
  'interface I { a: Int } type Query implements I { b: Int }',
  'interface I { a(x: Int): Int } type Query implements I { a: Int }',
  'interface I { a(x: Int): Int } type Query implements I { a(x: String): Int }',
  'interface I { a: Int } type Query implements I { a(y: Int!): Int }',
  'interface I { a: Int! } type Query implements I { a: Int }',
  'interface I { a: [I] } type Query implements I { a: [Query] }',
  'type Query implements Query { a: Int }',
  'interface I implements J { a: Int } interface J { a: Int } type Query implements I { a: Int }',
  'interface I implements I { a: Int } type Query { a: Int }',
  'type Query implements I & I { a: Int } interface I { a: Int }',
  'union U = A | B type A { a: Int } type Query { u: U }',
  'union U = Query | Query type Query { a: Int }',
  'union U = Query | E enum E { A } type Query { a: Int }',
  'union U type Query { a: Int }',
  'enum E { A B A } type Query { e: E }',
  'enum E { true } type Query { e: E }',
  'enum E type Query { e: E }',
  'type Query { __a: Int }',
  'type __Q { a: Int }',
  'type Query { a(x: Query): Int }',
  'type Query { a(__x: Int): Int }',
  'input I { a: Query } type Query { a(i: I): Int }',
  'input I type Query { a: Int }',
  'type Query { a: I } input I { b: Int }',
  'type Query { a: Int @deprecated @deprecated }',
  'type Query { a: Int @unknown }',
  'type Query @deprecated { a: Int }',
  'type Query { a: Int @deprecated(foo: 1) }',
  'type Query { a: Int @deprecated(reason: "x", reason: "y") }',
  'directive @d(a: Int, a: Int) on FIELD type Query { a: Int }',
  'directive @d(x: Int @d) on ARGUMENT_DEFINITION type Query { a: Int }',
  'directive @skip on FIELD type Query { a: Int }',
  'directive @d on FIELD directive @d on FIELD type Query { a: Int }',
  'directive @__d on FIELD type Query { a: Int }',
  'schema { query: Q } schema { query: Q } type Q { a: Int }',
  'schema { query: Missing }',
  'schema { query: Q query: Q } type Q { a: Int }',
  'schema { query: I } interface I { a: Int }',
  'schema { mutation: M } type M { a: Int } scalar Query',
  'type Mutation { a: Int } union Query = Mutation',
  'input A { b: B! } input B { a: A! } type Query { a: Int }',
  'input A { a: A } input B { b: [B!]! } type Query { a: Int }',
  'type Query { a: Int } extend schema { mutation: Query }',
  'type Query { a: Int } extend schema { query: Query }',
  'extend schema @deprecated',
  'extend directive @skip @deprecated type Query { a: Int }',
  'extend directive @nope @deprecated type Query { a: Int }',
  'type Query { a(x: In = {b: 1, b: 2}): Int } input In { b: Int }',
  'type Query { a: Int } extend type Query { a: Int }',
  'type Query { a: Int } type Query2 implements Query { a: Int }',
  'scalar S @specifiedBy type Query { a: S }',
  'scalar S @specifiedBy(url: null) type Query { a: S }',
  'extend scalar Int @deprecated type Query { a: Int }',
  'extend type __Type { extra: Int } type Query { a: Int }',
  'type Query { a: Int } extend union Query = Query',
  '',
  'type Query { a: Int } extend type Query implements I interface I { a: Int }',
  'type Query { a: Int } extend type Query implements I interface I { b: Int }',
  'interface I { a: Int } interface J implements I { a: Int } type Query implements J { a: Int }',
  '"doc" type Query { "f" a("arg" x: [[Int!]!] = [[1]]): Int @deprecated(reason: "old") }',
  'input I @oneOf { a: Int b: String } type Query { a(i: I): Int }',
  'type Query { a: Int } extend enum E { X } extend input In { a: Int }',
  'enum E { A } extend enum E { A } type Query { e: E }',
  'type Query { a: Int @deprecated(reason: 1) }',
  'directive @d repeatable on OBJECT type Query @d @d { a: Int }',
  'directive @d on OBJECT type Query @d @d { a: Int }',
  'directive @d on OBJECT | INTERFACE type Query @d { a: Int } interface I @d { a: Int } union U @d = Query',
  'type Subscription { a: Int } type Query { a: Int } schema { subscription: Subscription }',
  'type Query { a: Int } type Mutation { b: String } type Subscription { c: ID }',
  'scalar Query',
  'input A { a: A! } type Query { a: Int }',
  'input A { b: B! c: C! } input B { c: C! } input C { a: A! } type Query { a: Int }',
  'type Query { a(x: Int! = null): Int }',
  'interface I { a: Int } type Query implements I { a: Int! } type B implements I { a: String }',
  'union U = A | B type A { a: Int } type B { a: Int } type Query { u: U } interface I { u: U } type C implements I { u: A }',
];

const quoted = (x: string): string => JSON.stringify(x);

const expressions = [
  ...queries.map((q) => `graphql.parse_query(${quoted(q)})`),
  ...schemas.map((s) => `graphql.parse_schema(${quoted(s)})`),
  ...checkedQueries.map((q) => `graphql.parse(${quoted(q)}, ${quoted(schema)})`),
  ...checkedQueries.slice(0, 12).map((q) => `graphql.parse_and_verify(${quoted(q)}, ${quoted(schema)})[0]`),
  ...checkedSchemas.map((s) => `graphql.parse(${quoted('{ a }')}, ${quoted(s)})`),
  ...checkedSchemas.map((s) => `graphql.schema_is_valid(${quoted(s)})`),
  // ASTs given as objects: as parsed, and as a policy might build or break them.
  `graphql.parse(graphql.parse_query(${quoted(checkedQueries[0] as string)}), graphql.parse_schema(${quoted(schema)}))`,
  `graphql.parse(graphql.parse_query(${quoted('fragment F on User { id } { user(id: 1) { ...F ... on User { name } } }')}), ${quoted(schema)})`,
  `graphql.parse({"Operations": [{"Operation": "query", "SelectionSet": [{"Name": "version"}, null]}]}, ${quoted(schema)})`,
  `graphql.parse({"Operations": [{"Operation": "query", "SelectionSet": [{"Name": "nope"}]}]}, ${quoted(schema)})`,
  `graphql.parse({"Operations": [{"Operation": "query", "SelectionSet": [{"Name": 5}]}]}, ${quoted(schema)})`,
  `graphql.parse({"Operations": 5}, ${quoted(schema)})`,
  `graphql.parse({"Operations": [{"Operation": "query", "SelectionSet": [{"Name": "user", "Arguments": [{"Name": "id", "Value": {"Kind": 1.5, "Raw": "1"}}]}]}]}, ${quoted(schema)})`,
  `graphql.is_valid({"Operations": [{"Operation": "query", "SelectionSet": [{"Name": "version"}]}]}, graphql.parse_schema(${quoted(schema)}))`,
  `graphql.parse(${quoted('{ a }')}, {"Definitions": [{"Kind": "OBJECT", "Name": "Query", "Fields": [{"Name": "b", "Type": {"NamedType": "Int"}}]}]})`,
  `graphql.parse(${quoted('{ a }')}, {"Definitions": [{"Kind": "OBJECT", "Name": "Query", "Fields": [{"Name": "a", "Type": {"NamedType": "Nope"}}]}]})`,
  `graphql.schema_is_valid({"Definitions": [{"Kind": "OBJECT", "Name": "Query", "Fields": [{"Name": "a", "Type": {"NamedType": "Int"}}]}]})`,
  `graphql.schema_is_valid({"Definitions": [{"Kind": "OBJECT", "Name": "Query", "Fields": 3}]})`,
  ...[
    '{"Operations": [{"Operation": 5}]}',
    '{"Operations": [5, null]}',
    '{"Operations": [{"SelectionSet": 5}]}',
    '{"Operations": [{"VariableDefinitions": [{"Variable": 5}]}]}',
    '{"Operations": [{"VariableDefinitions": [{"Variable": "v", "Type": "Int"}]}]}',
    '{"Fragments": [{"Name": 5}]}',
    '{"Operations": [{"Operation": "query", "SelectionSet": [{"Name": "user", "Arguments": [{"Name": "id", "Value": {"Raw": 5}}]}]}]}',
    '{"Operations": [{"Operation": "query", "SelectionSet": [{"Name": "version", "Arguments": 7, "Directives": 1}]}]}',
    '{"Operations": [{"Operation": "query", "SelectionSet": [{"TypeCondition": "Query", "Name": 1, "SelectionSet": [{"Alias": "v", "Name": "version"}]}]}]}',
  ].map((q) => `graphql.parse(${q}, ${quoted(schema)})`),
  ...[
    '{"Definitions": [{"Kind": "OBJECT", "Name": "Query", "Fields": 3}]}',
    '{"Definitions": [{"Kind": 1}]}',
    '{"Schema": [{"OperationTypes": [{"Operation": 1}]}]}',
    '{"Directives": [{"Name": "d", "Locations": ["FIELD", 2]}]}',
    '{"Definitions": [{"Kind": "OBJECT", "Name": "Query", "Fields": [{"Name": "a", "Type": {"NamedType": "Int"}, "Arguments": [{"Name": "x", "Type": {"NamedType": "Int"}, "DefaultValue": {"Kind": 1.5}}]}]}]}',
    '{"Definitions": [{"Kind": "OBJECT", "Name": "Query", "Fields": [{"Name": "a", "Type": {"NamedType": "Int"}}], "Directives": [{"Name": "deprecated"}]}]}',
  ].map((s) => `graphql.parse("{ a }", ${s})`),
  // Nesting as deep as the parser allows, in selections, values and types.
  `graphql.is_valid(${quoted(`{ ${'q { '.repeat(990)}version${' }'.repeat(990)} }`)}, "type Query { q: Query version: Int }")`,
  `graphql.parse(${quoted(`{ q(l: ${'['.repeat(990)}1${']'.repeat(990)}) }`)}, ${quoted(`type Query { q(l: ${'['.repeat(990)}Int${']'.repeat(990)}): Int }`)})`,
  `graphql.parse(${quoted(`{ q(l: ${'['.repeat(990)}"s"${']'.repeat(990)}) }`)}, ${quoted(`type Query { q(l: ${'['.repeat(990)}Int${']'.repeat(990)}): Int }`)})`,
  `graphql.schema_is_valid(${quoted(`interface I { a: ${'['.repeat(990)}I${']'.repeat(990)} } type Query implements I { a: ${'['.repeat(990)}Query${']'.repeat(990)} }`)})`,
  // Operands of other types (json.unmarshal hides their type from OPA's type checker).
  `graphql.is_valid(${quoted('{ version }')}, json.unmarshal("5"))`,
  `graphql.parse_and_verify(json.unmarshal("[1]"), ${quoted(schema)})`,
  `graphql.schema_is_valid(json.unmarshal("true"))`,
  `graphql.parse(json.unmarshal("5"), ${quoted(schema)})`,
  `graphql.parse(${quoted('{ a }')}, json.unmarshal("null"))`,
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
          maxBuffer: 1 << 28,
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
    return { error: (error as Error).message.replace(/^.*?eval_(builtin|type)_error: /, '') };
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

describe('graphql validation builtins', () => {
  const small = 'type Query { version: String q: Query }';

  it('charge every pair OverlappingFieldsCanBeMerged compares', () => {
    // 3,000 fields with one response name: 4.5 million comparisons, refused by the step budget.
    const same = `{ ${'a: version '.repeat(3000)}}`;
    expect(() => value('graphql.is_valid(input.q, input.s)', { maxSteps: 200_000 }, { q: same, s: small })).toThrow(
      BudgetExceededError,
    );
    expect(value('graphql.is_valid(input.q, input.s)', {}, { q: `{ ${'a: version '.repeat(30)}}`, s: small })).toBe(
      true,
    );
  });

  it('charge the schema checks, not only the parse', () => {
    // 20 types implementing an interface of 300 fields: each field looked up among 300 (gqlparser's ForName).
    const fields = Array.from({ length: 300 }, (_, i) => `f${i}: Int`).join(' ');
    const types = Array.from({ length: 20 }, (_, i) => `type T${i} implements I { ${fields} }`).join('\n');
    const s = `interface I { ${fields} }\n${types}\n${small}`;
    const budget = { maxSteps: 200_000 };
    expect(value('count(graphql.parse_schema(input.s).Definitions)', budget, { s })).toBe(22);
    expect(() => value('graphql.schema_is_valid(input.s)', budget, { s })).toThrow(BudgetExceededError);
    expect(value('graphql.schema_is_valid(input.s)', {}, { s })).toBe(true);
  });

  it('charge the error texts, which quote the attacker’s values', () => {
    // Each of 900 nested input objects fails (a float beyond float64 at the bottom) and is quoted whole.
    const s = 'input F { limit: Float n: F t: String } type Query { q(f: F): Int }';
    const text = 'x'.repeat(100);
    const q = `{ q(f: ${`{ t: "${text}", n: `.repeat(900)}{ limit: 1e400 }${' }'.repeat(900)}) }`;
    const budget = { maxMemoryBytes: 8 * 1024 * 1024 };
    expect(value('count(graphql.parse_query(input.q).Operations)', budget, { q })).toBe(1);
    expect(() => value('graphql.is_valid(input.q, input.s)', budget, { q, s })).toThrow(BudgetExceededError);
  });

  it('charge the decoding of AST objects', () => {
    const query = {
      Operations: [{ Operation: 'query', SelectionSet: Array.from({ length: 20000 }, () => ({ Name: 'version' })) }],
    };
    const budget = { maxMemoryBytes: 8 * 1024 * 1024 };
    expect(value('count(input.q.Operations[0].SelectionSet)', budget, { q: query })).toBe(20000);
    expect(() => value('graphql.is_valid(input.q, input.s)', budget, { q: query, s: small })).toThrow(
      BudgetExceededError,
    );
  });

  it('refuses AST objects gqlparser would crash on (the real opa panics), naming the place', () => {
    const s = 'type Query { version(s: String): String }';
    const cases: [unknown, unknown, RegExp][] = [
      [
        { Operations: [{ VariableDefinitions: [{ Variable: 'v' }], SelectionSet: [{ Name: 'version' }] }] },
        s,
        /QueryDocument\.Operations\[0\]\.VariableDefinitions\[0\] has no Type/,
      ],
      [
        { Operations: [{ SelectionSet: [{ Name: 'version', Arguments: [{ Name: 's' }] }] }] },
        s,
        /QueryDocument\.Operations\[0\]\.SelectionSet\[0\]\.Arguments\[0\] has no Value/,
      ],
      [
        { Operations: [{ SelectionSet: [{ Name: 'version', Arguments: [{ Name: 's', Value: { Kind: 42 } }] }] }] },
        s,
        /Arguments\[0\]\.Value Kind 42 is no value kind/,
      ],
      [{ Operations: [{ Operation: 'weird' }] }, s, /Operation "weird" is not query, mutation or subscription/],
      [
        '{ a }',
        { Definitions: [{ Kind: 'OBJECT', Name: 'Query', Fields: [{ Name: 'a' }] }] },
        /Fields\[0\] has no Type/,
      ],
      [
        '{ a }',
        { Definitions: [{ Kind: 'OBJECT', Name: 'Query', Fields: [{ Name: 'a', Type: {} }] }] },
        /Fields\[0\]\.Type names no type/,
      ],
    ];
    for (const [q, schema, message] of cases) {
      expect(() => value('graphql.parse(input.q, input.s)', {}, { q, s: schema })).toThrow(message);
      expect(value('graphql.is_valid(input.q, input.s)', {}, { q, s: schema })).toBe(false);
      expect(value('graphql.parse_and_verify(input.q, input.s)[0]', {}, { q, s: schema })).toBe(false);
    }
  });

  it('give only values or Rego errors for 1,000 mutated AST objects', () => {
    // A seeded generator: keys dropped, values swapped for junk, list items added and removed.
    let seed = 11;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const junk = (): unknown => [null, 5, 1.5, 'x', true, [], {}, [null], { Name: 'q' }, { NamedType: '' }][random(10)];
    const mutate = (x: unknown): unknown => {
      if (random(12) === 0) return junk();
      if (Array.isArray(x)) {
        const out = x.map(mutate);
        if (random(6) === 0) out.push(junk());
        if (random(6) === 0) out.shift();
        return out;
      }
      if (x === null || typeof x !== 'object') return x;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x)) if (random(10) !== 0) out[k] = mutate(v);
      if (random(10) === 0)
        out[['Name', 'Type', 'Value', 'Kind', 'Elem', 'SelectionSet', 'Operation'][random(7)] as string] = junk();
      return out;
    };
    const asts = compile([
      {
        name: 'a.rego',
        source: `package a
q := graphql.parse_query(\`query Q($v: [Int!] = [1]) @d { a(x: {b: [1, "s", $v]}) { ...F ... on T @skip(if: true) { c } } } fragment F on T { d(e: ENUM) }\`)
s := graphql.parse_schema(\`schema { query: Query } interface I { a: Int } type Query implements I @d { a(x: [In!] = {b: 1}): Int } input In { b: Int } union U = Query enum E { A } directive @d(x: Int) repeatable on OBJECT | QUERY | FIELD extend type Query { z: E } scalar S\`)`,
      },
    ]);
    const q = asts.evaluate('data.a.q');
    const s = asts.evaluate('data.a.s');
    const policy = compile([
      {
        name: 'b.rego',
        source:
          'package b\nr := graphql.parse(input.q, input.s)\nv := graphql.is_valid(input.q, input.s)\nw := graphql.schema_is_valid(input.s)',
      },
    ]);
    const unexpected: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const input = { q: mutate(q), s: mutate(s) };
      for (const rule of ['r', 'v', 'w'])
        try {
          policy.evaluate(`data.b.${rule}`, { input, strictBuiltinErrors: true });
        } catch (error) {
          if (
            !(error instanceof RegoError) ||
            /Cannot read|is not a function|is not iterable|undefined/.test(error.message)
          )
            unexpected.push(`${String(error)} for ${JSON.stringify(input)}`);
        }
    }
    expect(unexpected).toEqual([]);
  });

  it('refuses fragment chains deeper than it recurses, with a reason rather than a verdict', () => {
    const chain = (n: number): string =>
      `{ ...F0 }\n${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { q { ...F${i + 1} } }`).join('\n')}\nfragment F${n} on Query { version }`;
    expect(value('graphql.is_valid(input.q, input.s)', {}, { q: chain(50), s: small })).toBe(true);
    for (const builtin of ['graphql.is_valid', 'graphql.parse_and_verify', 'graphql.parse'])
      expect(() => value(`${builtin}(input.q, input.s)`, {}, { q: chain(1100), s: small })).toThrow(
        /GraphQL document nests deeper than 2000 levels/,
      );
  });
});
