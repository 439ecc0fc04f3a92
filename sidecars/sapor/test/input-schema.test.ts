// The committed JSON Schema of the policy input matches the code, and built inputs conform to it.
import fs from 'node:fs';
import path from 'node:path';
import { policyInputJsonSchema, runtimeInputSchema, staticInputSchema } from '../src/domain/input-schema';
import { runtimeInput, staticInput } from './example-cases';

const file = path.join(__dirname, '..', 'schemas', 'policy-input.v1.json');

it('schemas/policy-input.v1.json is generated from the input schema (regenerate with UPDATE_SCHEMA=1)', () => {
  const generated = policyInputJsonSchema();
  if (process.env.UPDATE_SCHEMA) fs.writeFileSync(file, `${JSON.stringify(generated, null, 2)}\n`);
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(generated);
});

it('the inputs sapor builds conform to the schema', () => {
  expect(() => runtimeInputSchema.parse(runtimeInput())).not.toThrow();
  expect(() => staticInputSchema.parse(staticInput())).not.toThrow();
  expect(() => runtimeInputSchema.parse({ ...(runtimeInput() as object), verification: { score: 100 } })).toThrow(
    /verification/,
  );
});
