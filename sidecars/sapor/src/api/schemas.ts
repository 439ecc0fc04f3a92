// Request and response schemas of sapor's API; the OpenAPI document is generated from these.
import { pageCursorParam } from '@isd/kit';
import { z } from 'zod';

/** A policy name: letters, digits, `.`, `_`, `-`. */
export const policyNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/,
    'expected 1-200 letters, digits, dots, dashes or underscores, starting with a letter or digit',
  );

const moduleSchema = z.strictObject({
  name: z.string().regex(/^[\w.-]{1,200}$/, 'expected a file name such as policy.rego'),
  source: z.string().max(512 * 1024, 'a module is at most 512 KiB'),
});

/** Body of `PUT /api/v1/policies/{name}`: Rego modules (or one `source`), syntax version and a description. */
const policySourceFields = {
  regoVersion: z
    .enum(['v0', 'v1'])
    .optional()
    .describe('Rego syntax: v1 (OPA 1.x) or v0 (pre-1.0); default from config'),
  description: z.string().max(2_000).optional(),
  source: z
    .string()
    .max(512 * 1024)
    .optional()
    .describe('A single module; shorthand for modules: [{name: "policy.rego", source}]'),
  modules: z.array(moduleSchema).min(1).max(50).optional(),
};

/** Exactly one of `source` and `modules`. */
function hasOneSource(body: { source?: string; modules?: unknown[] }): boolean {
  return (body.source === undefined) !== (body.modules === undefined);
}
const oneSourceError = { message: 'give exactly one of source or modules', path: ['modules'] };
/** hasOneSource in JSON Schema, for the document (a property schema `false` means the property is absent). */
const ONE_SOURCE_JSON_SCHEMA = {
  anyOf: [
    { required: ['source'], properties: { modules: false } },
    { required: ['modules'], properties: { source: false } },
  ],
};

/** Body of `PUT /api/v1/policies/{name}`. */
export const savePolicySchema = z
  .strictObject(policySourceFields)
  .refine(hasOneSource, oneSourceError)
  .meta(ONE_SOURCE_JSON_SCHEMA);

/**
 * Body of `POST /api/v1/policies/{name}/check`: a draft as for a save, and optionally an input to
 * evaluate one of its documents on (the policy playground).
 */
export const checkPolicySchema = z
  .strictObject({
    ...policySourceFields,
    input: z.unknown().optional().describe('Evaluate `query` of the draft with the live set on this input'),
    query: z
      .string()
      .min(1)
      .max(1_000)
      .optional()
      .describe(
        "Document to evaluate (`isd/deploy/deny` or `data.isd.deploy.deny`); default: the draft's first package",
      ),
  })
  .refine(hasOneSource, oneSourceError)
  .meta(ONE_SOURCE_JSON_SCHEMA);

/** A policy version as returned by the API. */
export const policyVersionSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  regoVersion: z.enum(['v0', 'v1']),
  packages: z.array(z.string()),
  digest: z.string(),
  description: z.string().nullable(),
  origin: z.enum(['api', 'directory', 'git']),
  originRef: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  modules: z.array(moduleSchema).optional(),
});

/** Result of checking a policy without saving it. */
export const policyCheckResultSchema = z.object({
  passed: z.boolean(),
  packages: z.array(z.string()),
  tests: z.array(z.object({ name: z.string(), passed: z.boolean(), error: z.string().optional() })),
  evaluation: z
    .object({
      document: z.string(),
      result: z.unknown().optional().describe('absent when the document is undefined for the input'),
      warnings: z.array(z.string()),
      error: z.string().optional(),
    })
    .optional()
    .describe('With `input`: the draft document evaluated on it'),
});

/** Body of the save-time pipeline check: the pipeline config being saved and, for diffs, the saved one. */
export const pipelineCheckSchema = z.strictObject({
  new: z.record(z.string(), z.unknown()).describe('Pipeline config being saved (Front50 JSON)'),
  current: z.record(z.string(), z.unknown()).nullish().describe('The saved pipeline config, when updating'),
});

/** Result of the pipeline check. */
export const pipelineCheckResultSchema = z.object({
  status: z.enum(['allow', 'deny']),
  messages: z.array(z.string()),
  denies: z.array(
    z.object({
      message: z.string(),
      packagePath: z.string(),
      policyName: z.string().nullable(),
      policyVersion: z.number().nullable(),
    }),
  ),
  decisionId: z.string(),
});

/** OpsMx's static-policy request (`POST /v1/staticPolicy/eval`). */
export const opsmxStaticSchema = z.object({
  input: z.object({ new: z.record(z.string(), z.unknown()), current: z.record(z.string(), z.unknown()).nullish() }),
});

const nullableText = z.string().max(1_000).nullish();

/**
 * The policy gate payload (orca-stages catalog, `isdPolicyGate`). Unknown fields are dropped: only these
 * reach the input, and `params` only under `input.params`.
 */
export const createPolicyGateSchema = z.object({
  application: z.string().min(1).max(500),
  pipelineName: nullableText,
  pipelineId: nullableText,
  executionId: z.string().min(1).max(200),
  stageId: z.string().min(1).max(200),
  triggeredBy: nullableText,
  policy: z.string().min(1).max(1_000).describe('Document path of the decision, e.g. isd/deploy/allowed'),
  params: z.record(z.string(), z.unknown()).nullish().describe('Author-supplied parameters, passed as input.params'),
});

/** The stored decision a gate's monitor reads. */
export const policyGateSchema = z.object({
  id: z.string(),
  status: z.enum(['allow', 'deny']),
  messages: z.array(z.string()),
  policy: z.object({ path: z.string(), name: z.string().nullable(), version: z.number().nullable() }),
  policyName: z.string().nullable(),
  policyVersion: z.number().nullable(),
  decisionId: z.string(),
  application: z.string(),
  pipelineName: z.string().nullable(),
  executionId: z.string(),
  stageId: z.string(),
  triggeredBy: z.string().nullable(),
  inputDigest: z.string(),
  createdAt: z.string(),
});

/** OPA's Data API request body. */
export const dataRequestSchema = z.object({ input: z.unknown().optional() }).loose();

/** OPA's Data API response: `result` absent when the document is undefined. */
export const dataResponseSchema = z.object({
  result: z.unknown().optional(),
  decision_id: z.string().optional(),
  metrics: z.record(z.string(), z.number()).optional().describe('with ?metrics=true: OPA timer names'),
  provenance: z.object({ version: z.string(), revision: z.string() }).optional().describe('with ?provenance=true'),
});

/** Query flags OPA accepts on the Data API; sapor accepts and ignores the presentation ones. */
export const dataQuerySchema = z
  .object({
    input: z.string().optional().describe('GET only: the input document as JSON'),
    pretty: z.string().optional(),
    explain: z.string().optional(),
    metrics: z.string().optional(),
    provenance: z.string().optional(),
    instrument: z.string().optional(),
    'strict-builtin-errors': z.string().optional(),
  })
  .loose();

/** Largest page of the policy gate list. */
export const MAX_GATE_PAGE = 200;

const listInstant = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 time with an offset' })
  .transform((text) => new Date(text));

/** `GET /api/v1/policy-gates` filters and page. */
export const policyGateListQuery = z.strictObject({
  application: z.string().min(1).max(256).describe('The application whose gate decisions are listed (required)'),
  status: z.enum(['allow', 'deny']).optional(),
  policy: z.string().min(1).max(512).optional().describe('The decided document path (`data.isd.deploy`)'),
  pipeline: z.string().min(1).max(256).optional().describe('Only this pipeline (by name)'),
  from: listInstant.optional().describe('Decided at or after (ISO 8601)'),
  to: listInstant.optional().describe('Decided before (ISO 8601)'),
  limit: z.coerce.number().int().min(1).max(MAX_GATE_PAGE).default(50),
  cursor: pageCursorParam.optional(),
});

/** `GET /api/v1/policy-gates/{id}/input`. */
export const policyGateInputSchema = z.object({
  id: z.string(),
  input: z.unknown().describe('The input the gate was decided on (secrets removed); null when not kept'),
  inputBytes: z.number().nullable().describe('Size of the input as JSON'),
  omitted: z.string().nullable().describe('Why the input is not shown, when it is not'),
});
