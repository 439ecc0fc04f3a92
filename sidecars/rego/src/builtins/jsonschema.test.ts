// json.match_schema / json.verify_schema give what the real `opa` gives (its gojsonschema fork), keyword by
// keyword, and charge the budgets before validating.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireTool } from '@isd/test-support';
import { BudgetExceededError } from '../errors';
import { compile } from '../policy';

/** Rules `r<n> := <expression>`; each must give OPA's value. */
const expressions = [
  'json.match_schema({"a": {"b": [1, "x"]}}, {"properties": {"a": {"properties": {"b": {"items": {"type": "integer"}}}}}})',
  'json.match_schema({"n": 1.5}, {"properties": {"n": {"type": "integer"}}})',
  'json.match_schema({"n": 5}, {"properties": {"n": {"type": ["string", "null"]}}})',
  'json.match_schema({}, {"required": ["a", "b"]})',
  'json.match_schema({"c": "z"}, {"properties": {"c": {"enum": ["x", "y"]}}})',
  'json.match_schema({"c": "z"}, {"properties": {"c": {"const": "x"}}})',
  'json.match_schema({"x": 1, "y": 2}, {"properties": {"x": {}}, "additionalProperties": false})',
  'json.match_schema({"s": "ab"}, {"properties": {"s": {"minLength": 3, "maxLength": 1, "pattern": "^z"}}})',
  'json.match_schema({"n": 3}, {"properties": {"n": {"minimum": 4, "maximum": 2, "multipleOf": 2}}})',
  'json.match_schema({"n": 3}, {"properties": {"n": {"exclusiveMinimum": 3, "exclusiveMaximum": 3}}})',
  'json.match_schema({"l": [1, 1]}, {"properties": {"l": {"uniqueItems": true, "minItems": 3, "maxItems": 1}}})',
  'json.match_schema({"v": true}, {"properties": {"v": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}})',
  'json.match_schema({"o": 5}, {"properties": {"o": {"oneOf": [{"type": "integer"}, {"minimum": 1}]}}})',
  'json.match_schema({"o": 5}, {"properties": {"o": {"not": {"type": "integer"}}}})',
  'json.match_schema(`"x"`, {"type": "integer", "minimum": 3})',
  'json.match_schema({"e": "nope"}, {"properties": {"e": {"format": "email"}}})',
  'json.match_schema({"a": 1}, {"if": {"required": ["a"]}, "then": {"required": ["b"]}})',
  'json.match_schema({"a": 1}, {"minProperties": 2, "maxProperties": 0})',
  'json.match_schema({"a": 1}, {"dependencies": {"a": ["b"]}})',
  'json.match_schema({"a/b": {"c~d": 1}}, {"properties": {"a/b": {"properties": {"c~d": {"type": "string"}}}}})',
  'json.match_schema(`{"id": 1}`, `{"properties": {"id": {"type": "string"}}}`)',
  'json.verify_schema({"type": ["string", "bogus"]})',
  'json.verify_schema(`{"type": `)',
  'json.verify_schema({"properties": {"a": {"pattern": "^[a-z]+$"}}})',
  // Drafts by $schema: draft-04's boolean exclusiveMinimum, others read with draft-07 keywords.
  'json.match_schema({"n": 3}, {"$schema": "http://json-schema.org/draft-04/schema#", "properties": {"n": {"minimum": 3, "exclusiveMinimum": true}}})',
  'json.verify_schema({"$schema": "http://json-schema.org/draft-06/schema#", "type": "object"})',
  'json.verify_schema({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"})',
  // Two schemas with one $id in one evaluation do not collide.
  'json.match_schema({"n": "x"}, {"$id": "http://example.com/s", "properties": {"n": {"type": "string"}}})',
  'json.match_schema({"n": "x"}, {"$id": "http://example.com/s", "properties": {"n": {"$ref": "#/definitions/d"}}, "definitions": {"d": {"type": "integer"}}})',
];

function module(): string {
  return `package t\n\n${expressions.map((expression, i) => `r${i} := ${expression}`).join('\n')}\n`;
}

function value(expr: string, budget?: { maxSteps?: number; maxMemoryBytes?: number }, input?: unknown): unknown {
  return compile([{ name: 'b.rego', source: `package b\nv := ${expr}` }]).evaluate('data.b.v', {
    budget,
    input,
    strictBuiltinErrors: true,
  });
}

describe('json schema builtins', () => {
  it('give OPA’s results and error objects', () => {
    const opa = requireTool('opa');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rego-jsonschema-'));
    try {
      fs.writeFileSync(path.join(dir, 't.rego'), module());
      const output = JSON.parse(
        execFileSync(opa, ['eval', '--format', 'json', '--data', path.join(dir, 't.rego'), 'data.t'], {
          encoding: 'utf8',
        }),
      ) as { result: Array<{ expressions: Array<{ value: Record<string, unknown> }> }> };
      const expected = output.result[0]?.expressions[0]?.value ?? {};
      const actual = compile([{ name: 't.rego', source: module() }]).evaluate('data.t') as Record<string, unknown>;
      const differences = expressions
        .map((expression, i) => ({ expression, opa: expected[`r${i}`], ours: actual[`r${i}`] }))
        .filter(({ opa: want, ours }) => JSON.stringify(want) !== JSON.stringify(ours));
      expect(differences).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad operands and schemas with OPA’s messages', () => {
    expect(() => value('json.match_schema(`{"a": `, {})')).toThrow(/json.match_schema: invalid JSON string/);
    expect(() => value('json.match_schema({}, {"type": "nope"})')).toThrow(/has a primitive type that is NOT VALID/);
    expect(() => value('json.match_schema({}, {"minLength": 3, "maxLength": 1})')).toThrow(
      /minLength cannot be greater than maxLength/,
    );
    expect(value('json.verify_schema(input.s)', undefined, { s: 5 })).toEqual([
      false,
      'jsonschema: wrong type, expected string or object',
    ]);
  });

  it('never fetches a remote $ref', () => {
    const [valid, message] = value('json.verify_schema({"$ref": "http://127.0.0.1:9/schema.json"})') as [
      boolean,
      string,
    ];
    expect(valid).toBe(false);
    expect(message).toMatch(/^jsonschema: /);
  });

  it('matches patterns with RE2, so a catastrophic pattern cannot hang validation', () => {
    const schema = '{"properties": {"s": {"pattern": "^(a+)+$"}}}';
    const [valid, errors] = value(`json.match_schema({"s": concat("", [input.a, "!"])}, ${schema})`, undefined, {
      a: 'a'.repeat(5000),
    }) as [boolean, Array<{ type: string }>];
    expect(valid).toBe(false);
    expect(errors.map((e) => e.type)).toEqual(['pattern']);
  });

  it('charges document and schema size against the budgets before validating', () => {
    const items = Array.from({ length: 20000 }, (_, i) => ({ id: i }));
    const schema = '{"items": {"properties": {"id": {"type": "integer", "minimum": 0}}}}';
    expect(() => value(`json.match_schema(input.items, ${schema})`, { maxSteps: 10000 }, { items })).toThrow(
      BudgetExceededError,
    );
    expect(() =>
      value(
        'json.match_schema(input.doc, {})',
        { maxMemoryBytes: 1024 * 1024 },
        { doc: JSON.stringify('x'.repeat(1024 * 1024)) },
      ),
    ).toThrow(BudgetExceededError);
    // Within budget the same document validates.
    expect(value(`json.match_schema(input.items, ${schema})`, undefined, { items })).toEqual([true, []]);
  });
});
