// The policy input document as a zod schema: the committed JSON Schema file is generated from it and
// tests check built inputs against it, so the documented shape and the real one cannot drift apart.
import { z } from 'zod';
import { POLICY_INPUT_SCHEMA_ID } from './input';

const looseObject = () => z.record(z.string(), z.unknown());

/** The runtime (policy gate) input, version 1. */
export const runtimeInputSchema = z
  .strictObject({
    schema: z.literal(POLICY_INPUT_SCHEMA_ID).describe('Identifies this document version'),
    kind: z.literal('runtime'),
    application: z.string().describe('Spinnaker application (trusted: from the gate payload Orca built)'),
    pipeline: z
      .strictObject({ id: z.string().nullable(), name: z.string().nullable() })
      .describe('Pipeline config id and name (trusted)'),
    executionId: z.string().describe('Execution id (trusted)'),
    stage: looseObject()
      .and(z.object({ id: z.string() }))
      .describe("The gate's own stage from the execution (id trusted; the rest is Orca's record)"),
    trigger: looseObject()
      .and(z.object({ user: z.string().nullable() }))
      .describe("The execution's trigger; `user` is the triggering user from the payload"),
    user: z.strictObject({ username: z.string().nullable() }).describe('The triggering user'),
    execution: looseObject()
      .nullable()
      .describe('The execution as Gate returned it, without credentials; null when sapor has no Gate URL'),
    stages: z.array(looseObject()).describe('execution.stages, for policies written against OpsMx-style inputs'),
    params: looseObject().describe('Author-supplied stage parameters: untrusted, and only here'),
  })
  .describe('Input of a runtime policy gate (sapor policy input v1)');

/** The save-time (pipeline check) input, version 1. */
export const staticInputSchema = z
  .strictObject({
    schema: z.literal(POLICY_INPUT_SCHEMA_ID),
    kind: z.literal('static'),
    pipeline: z.unknown().describe("The pipeline config being saved (Armory's input.pipeline)"),
    new: z.unknown().describe("The same pipeline config (OpsMx's input.new)"),
    current: z.unknown().describe('The saved pipeline config when updating, else null (OpsMx input.current)'),
  })
  .describe('Input of the save-time pipeline check (sapor policy input v1)');

/** Either input. */
export const policyInputSchema = z.union([runtimeInputSchema, staticInputSchema]);

/** The JSON Schema committed as `schemas/policy-input.v1.json`. */
export function policyInputJsonSchema(): Record<string, unknown> {
  return {
    $id: POLICY_INPUT_SCHEMA_ID,
    title: 'sapor policy input v1',
    ...z.toJSONSchema(policyInputSchema, { unrepresentable: 'any' }),
  };
}
