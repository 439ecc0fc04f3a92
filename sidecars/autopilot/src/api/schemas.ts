// Request and response schemas of the autopilot API (validated by the kit, published as OpenAPI).
import { InputError, pageCursorParam, requireApplicationRead, type Caller } from '@isd/kit';
import { z } from 'zod';
import { JUDGE_NAMES } from '../domain';
import { inlineLogTemplateSchema } from '../logs/log-template';
import type { VerificationListFilter } from '../store/verification-store';
import { inlineTemplateSchema, TEMPLATE_NAME_PATTERN } from '../templates/template';

const SCOPE_KEY = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;

/** Scope labels selecting one side's series (`{namespace: 'prod', deployment: 'web-v2'}`). */
export const scopeSchema = z
  .record(z.string().regex(SCOPE_KEY, 'label names are letters, digits, `_`, `.`, `:` or `-`'), z.string().max(1024))
  .refine((scope) => Object.keys(scope).length > 0, 'needs at least one label')
  // Said with patternProperties, not propertyNames: generators draw keys from the pattern instead of filtering.
  .meta({
    minProperties: 1,
    propertyNames: undefined,
    patternProperties: { [SCOPE_KEY.source]: { type: 'string', maxLength: 1024 } },
    additionalProperties: false,
  });

/** A verification's status, as every view and list filter names it. */
export const verificationStatusSchema = z.enum(['running', 'pass', 'marginal', 'fail', 'error', 'canceled']);

/** A stored template by name and optional version (latest when absent). */
export const templateRefSchema = z.strictObject({
  name: z.string().regex(TEMPLATE_NAME_PATTERN, 'not a template name'),
  version: z
    .union([
      // Versions are Postgres integers (as the string form's nine digits keep them).
      z.number().int().positive().max(2_147_483_647),
      z
        .string()
        .regex(/^[1-9][0-9]{0,8}$/, 'must be a positive integer')
        .transform(Number),
    ])
    .nullish()
    .describe('Version; absent or null = latest'),
});

/** A schema's JSON Schema as the OpenAPI document writes a request body's (kit/openapi.ts adds the NUL rule). */
function inputJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/**
 * A stored template's reference `{name, version?}` or an inline template, told apart by whether the object has
 * `inlineKey` (a reference is a strict `{name, version}`, so it never has it). A z.union would refuse a mistake
 * with "Invalid input"; this names the field in the form the client chose. The document says the choice as
 * `anyOf` of the two forms' own schemas.
 */
function templateRefOrInline<Inline extends z.ZodType<Record<string, unknown>>>(inlineKey: string, inline: Inline) {
  return z
    .record(z.string(), z.unknown())
    .transform((value, context): z.output<typeof templateRefSchema> | z.output<Inline> => {
      const result = (inlineKey in value ? inline : templateRefSchema).safeParse(value);
      if (result.success) return result.data as z.output<typeof templateRefSchema> | z.output<Inline>;
      for (const issue of result.error.issues)
        context.addIssue({ code: 'custom', path: issue.path, message: issue.message, input: value });
      return z.NEVER;
    })
    .meta({
      type: undefined,
      propertyNames: undefined,
      additionalProperties: undefined,
      anyOf: [inputJsonSchema(templateRefSchema), inputJsonSchema(inline)],
    });
}

/** A verification's metric template: `{name, version?}` of a stored one, or an inline one (it has `metrics`). */
export const verificationTemplateSchema = templateRefOrInline('metrics', inlineTemplateSchema);

/** A verification's log template: `{name, version?}` of a stored one, or an inline one (it has `provider`). */
export const verificationLogTemplateSchema = templateRefOrInline('provider', inlineLogTemplateSchema);

const thresholdsSchema = z
  .strictObject({ pass: z.number().min(0).max(100), marginal: z.number().min(0).max(100) })
  .refine((thresholds) => thresholds.marginal <= thresholds.pass, {
    message: 'marginal must not exceed pass',
    path: ['marginal'],
  });

/**
 * `POST /api/v1/verifications`: the payload of the `isdVerificationGate` stage (orca-stages catalog).
 * Orca sends `null` for parameters the user left empty, which means "use the default".
 */
export const createVerificationSchema = z
  .object({
    application: z.string().min(1).max(256),
    pipelineName: z
      .string()
      .min(1)
      .max(256)
      .nullish()
      .describe('The pipeline the stage runs in (lists the verification under it)'),
    pipelineId: z.string().min(1).max(256).nullish().describe("The pipeline's config id"),
    executionId: z.string().min(1).max(256),
    stageId: z.string().min(1).max(256),
    template: verificationTemplateSchema
      .nullish()
      .describe(
        '{name, version?} of a stored metric template, or an inline template ({name?, metrics, groupWeights, ...}); absent = logs only',
      ),
    logTemplate: verificationLogTemplateSchema
      .nullish()
      .describe(
        '{name, version?} of a stored log template, or an inline one ({provider, index, query, ...}); absent = metrics only',
      ),
    weights: z
      .strictObject({ metric: z.number().min(0).max(1000), log: z.number().min(0).max(1000) })
      .refine((w) => w.metric + w.log > 0, { message: 'metric and log must not both be 0', path: ['log'] })
      .meta({
        anyOf: [{ properties: { metric: { exclusiveMinimum: 0 } } }, { properties: { log: { exclusiveMinimum: 0 } } }],
      })
      .nullish()
      .describe('Weights of the metric and log scores in the combined score; absent = analysis.metricWeight/logWeight'),
    baseline: scopeSchema,
    canary: scopeSchema,
    startTime: z.iso.datetime({ offset: true }).nullish().describe('Start of the analysis; absent = now'),
    lifetimeMs: z.number().int().positive().describe('Total length of the analysis'),
    intervalMs: z.number().int().positive().nullish().describe('Length of one scored interval; absent = one interval'),
    lookbackMs: z
      .number()
      .int()
      .positive()
      .nullish()
      .describe('Sliding windows of this length; absent = growing windows'),
    beginAfterMs: z.number().int().min(0).nullish().describe('Warm-up skipped before the first window'),
    thresholds: thresholdsSchema.nullish().describe('Score thresholds; absent = {pass: 80, marginal: 60}'),
    judge: z.enum(JUDGE_NAMES).nullish().describe('Judge; absent = the template or service default'),
  })
  .refine((body) => Boolean(body.template || body.logTemplate), {
    message: 'a verification needs a metric template, a log template (logTemplate) or both',
    path: ['template'],
  })
  // null is absent, as for every parameter Orca sends empty.
  .meta({
    anyOf: [
      { required: ['template'], properties: { template: { type: 'object' } } },
      { required: ['logTemplate'], properties: { logTemplate: { type: 'object' } } },
    ],
  });

/** The refusals of a template body that JSON Schema cannot say (the document has the rest). */
export const TEMPLATE_REFUSALS =
  'an input is invalid; `field` and `errors` name it. Beyond the schema: metric names must be unique, group ' +
  'weights total at most 100 and name groups the metrics use, each metric names a configured provider account ' +
  '(or type, or none when there is a default) whose provider accepts the query; a new name beyond ' +
  'templates.maxPerApplication, a version beyond templates.maxVersions';
/** The same for a log template. */
export const LOG_TEMPLATE_REFUSALS =
  'an input is invalid; `field` and `errors` name it. Beyond the schema: masks and tag patterns must be ' +
  'JavaScript regular expressions, provider a configured log provider account that accepts the query; a new ' +
  'name beyond templates.maxPerApplication, a version beyond templates.maxVersions';
/** The same for a verification. */
export const VERIFICATION_REFUSALS =
  'an input is invalid; `field` and `errors` name it. Beyond the schema: a stored template (or log template) ' +
  'must exist and be shared or belong to the application; an inline one is checked as when created; each scope ' +
  'needs the labels the queries read; marginal must not exceed pass; startTime must lie within ' +
  'analysis.maxLifetimeMs of now, lifetimeMs be at most that, intervalMs at least analysis.minIntervalMs and at ' +
  'most lifetimeMs, and one analysis window must fit; a field holding `${…}` is a SpEL expression that failed in Orca';

/** The create body after validation. */
export type CreateVerificationBody = z.output<typeof createVerificationSchema>;

/** `:id` of a verification. */
export const verificationIdParams = z.strictObject({ id: z.uuid('must be a verification id (UUID)') });

/** `?format=json|html` of the report. */
export const reportQuery = z.strictObject({ format: z.enum(['json', 'html']).optional() });

/** `:name` of a template. */
export const templateParams = z.strictObject({
  name: z.string().regex(TEMPLATE_NAME_PATTERN, 'not a template name'),
});

/**
 * `:name/versions/:version` of a template. Separate from templateParams: the document lists every field of a
 * route's params as a path parameter, and an optional `version` made it one of GET /templates/{name}.
 */
export const templateVersionParams = templateParams.extend({
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, 'must be a positive integer')
    .transform(Number),
});

/** `:format` of a template import. */
export const importParams = z.strictObject({ format: z.enum(['kayenta', 'opsmx']) });

/** `:format` of a log template import (OpsMx's log template JSON). */
export const logImportParams = z.strictObject({ format: z.enum(['opsmx']) });

/** `?name=`, `?provider=` and `?application=` set the imported log template's name, account and owner. */
export const logImportQuery = z.strictObject({
  name: z.string().regex(TEMPLATE_NAME_PATTERN, 'not a template name').optional(),
  provider: z.string().min(1).max(256).optional(),
  application: z.string().min(1).max(256).optional(),
});

/** Spinnaker application names (Front50: letters, digits, `.`, `_`, `-`). */
const APPLICATION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;

/** `:application` of the log marks. */
export const applicationParams = z.strictObject({
  application: z.string().regex(APPLICATION_NAME, 'not an application name'),
});

/** `:application/:clusterKey` of one log mark. */
export const logMarkParams = applicationParams.extend({
  clusterKey: z.string().regex(/^[0-9a-f]{24}$/, "must be a cluster's key (24 hex digits, as the report shows it)"),
});

/** `PUT …/log-marks/{clusterKey}`. */
export const logMarkBody = z.strictObject({
  mark: z.enum(['expected', 'ignorable', 'critical']),
  template: z.string().min(1).max(20_000).optional().describe("The cluster's template text (checked against the key)"),
  comment: z.string().max(2000).optional(),
});

const logMarkView = z.object({
  application: z.string(),
  clusterKey: z.string(),
  template: z.string().nullable(),
  mark: z.enum(['expected', 'ignorable', 'critical']),
  comment: z.string().nullable(),
  markedBy: z.string(),
  markedAt: z.string(),
});

export const logMarkViewSchema = logMarkView;
export const logMarkListSchema = z.object({ marks: z.array(logMarkView) });

/** An entry of the log template list. */
export const logTemplateSummarySchema = z.object({
  name: z.string(),
  version: z.number(),
  description: z.string().nullable(),
  provider: z.string(),
  application: z.string().nullable(),
  scoringAlgorithm: z.string(),
  sensitivity: z.string(),
  source: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
});

/** `?name=` overrides the imported template's name. */
export const importQuery = z.strictObject({
  name: z.string().regex(TEMPLATE_NAME_PATTERN, 'not a template name').optional(),
});

/** Any JSON object (templates are validated by the handler so errors carry their field path). */
export const jsonObjectSchema = z.record(z.string(), z.unknown());

const intervalView = z.object({
  index: z.number(),
  startTime: z.string(),
  endTime: z.string(),
  status: z.enum(['pending', 'judged', 'skipped']),
  score: z.number().optional(),
  classification: z.string().optional(),
});

const metricView = z.object({
  name: z.string(),
  kind: z.literal('metric'),
  classification: z.string(),
  reason: z.string(),
  critical: z.boolean(),
  groups: z.array(z.string()),
  provider: z.string(),
  problems: z.array(z.string()),
  warnings: z.array(z.string()),
  baseline: z.record(z.string(), z.unknown()),
  canary: z.record(z.string(), z.unknown()),
  numbers: z.record(z.string(), z.number().nullable()).optional().describe('In the report only'),
  findings: z.array(z.record(z.string(), z.unknown())).optional().describe('In the report only'),
});

/** `GET /api/v1/verifications/{id}`: what Orca's monitor reads (`status`) and Deck shows. */
export const verificationViewSchema = z.object({
  id: z.string(),
  status: verificationStatusSchema,
  score: z.number().nullable(),
  reason: z.string().nullable(),
  error: z.string().optional(),
  application: z.string(),
  executionId: z.string(),
  stageId: z.string(),
  template: z.object({ name: z.string(), version: z.number().nullable() }).nullable(),
  logTemplate: z.object({ name: z.string(), version: z.number().nullable() }).nullable(),
  weights: z.object({ metric: z.number(), log: z.number() }),
  judge: z.string(),
  thresholds: z.object({ pass: z.number(), marginal: z.number() }),
  startTime: z.string(),
  endTime: z.string(),
  intervals: z.array(intervalView),
  metrics: z.array(metricView),
  logs: z
    .array(
      z.object({
        kind: z.literal('log'),
        name: z.string(),
        version: z.number().nullable(),
        provider: z.string(),
        score: z.number(),
        failed: z.boolean(),
        weight: z.number(),
        reasons: z.array(z.string()),
        baselineEvents: z.number(),
        canaryEvents: z.number(),
        clusterCount: z.number(),
        unexpectedClusters: z.number(),
        criticalClusters: z.array(z.string()),
      }),
    )
    .describe("The last judged window's log analysis (empty without a log template); clusters are in the report"),
  reportUrl: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  detailsDropped: z
    .object({ at: z.string(), dropped: z.string() })
    .nullable()
    .describe(
      'What retention dropped from this finished verification (retention.detailDays), and when; null while kept',
    ),
});

/** An entry of the template list (what Deck's stage editor offers). */
export const templateSummarySchema = z.object({
  name: z.string(),
  version: z.number(),
  description: z.string().nullable(),
  metricCount: z.number(),
  groups: z.array(z.string()),
  source: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
});

/** Largest page of the verification list. */
export const MAX_VERIFICATION_PAGE = 200;

const instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 time with an offset' })
  .transform((text) => new Date(text));

/** `GET /api/v1/verifications` filters and page. */
export const verificationListQuery = z.strictObject({
  application: z.string().min(1).max(256).describe('The application whose verifications are listed (required)'),
  pipeline: z.string().min(1).max(256).optional().describe('Only this pipeline (by name)'),
  stageId: z.string().min(1).max(256).optional().describe('Only this stage id'),
  status: verificationStatusSchema.optional(),
  from: instant.optional().describe('Created at or after (ISO 8601)'),
  to: instant.optional().describe('Created before (ISO 8601)'),
  limit: z.coerce.number().int().min(1).max(MAX_VERIFICATION_PAGE).default(50),
  cursor: pageCursorParam.optional(),
});

/**
 * The store filter of a list request (metric or test verifications): the range checked and the caller's
 * READ on the application required, as both list routes must.
 */
export function verificationListFilter(
  query: z.infer<typeof verificationListQuery>,
  caller: Caller,
): VerificationListFilter {
  if (query.from && query.to && query.from >= query.to)
    throw new InputError('query.from: must be before query.to', {
      code: 'invalid_range',
      issues: [{ path: 'query.from', message: 'must be before query.to' }],
    });
  requireApplicationRead(caller, query.application, `application ${query.application}`);
  const { cursor, ...filter } = query;
  return { ...filter, after: cursor };
}

/** One entry of the verification list (no intervals or metrics: open the verification for those). */
export const verificationSummarySchema = z.object({
  id: z.string(),
  status: verificationStatusSchema,
  score: z.number().nullable(),
  reason: z.string().nullable(),
  application: z.string(),
  pipelineName: z.string().nullable(),
  pipelineId: z.string().nullable(),
  executionId: z.string(),
  stageId: z.string(),
  template: z.object({ name: z.string(), version: z.number().nullable() }),
  thresholds: z.object({ pass: z.number(), marginal: z.number() }),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

/** `GET /api/v1/verifications` answer. */
export const verificationListSchema = z.object({
  verifications: z.array(verificationSummarySchema),
  next: z.string().nullable().describe('cursor of the following page, or null on the last page'),
});

/** One entry of the test verification list (open its report for the findings). */
export const testVerificationSummarySchema = z.object({
  id: z.string(),
  kind: z.literal('test'),
  status: verificationStatusSchema,
  score: z.number().nullable(),
  reason: z.string().nullable(),
  error: z.string().optional(),
  application: z.string(),
  executionId: z.string(),
  stageId: z.string(),
  pipelineName: z.string().nullable(),
  thresholds: z.object({ pass: z.number(), marginal: z.number() }),
  durations: z.record(z.string(), z.number()),
  baselineRuns: z.array(z.object({ kind: z.string(), label: z.string() })),
  canaryRuns: z.array(z.object({ kind: z.string(), label: z.string() })),
  reportUrl: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

/** `GET /api/v1/test-verifications`: a page and the cursor of the next. */
export const testVerificationListSchema = z.object({
  testVerifications: z.array(testVerificationSummarySchema),
  next: z.string().nullable().describe('cursor of the following page, or null on the last page'),
});
