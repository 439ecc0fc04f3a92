// HTTP contract of the Terraform stage: what Orca posts (orca-stages `isdTerraform`), and the run body
// Orca's monitor (`$.status`, `$.message`) and Deck read.
import { z } from 'zod';
import { approvalInstanceSchema, approverGroupSchema } from '../api/schemas';
import { terraformNamePattern } from './config';

const MAX_ID_CHARS = 200;
const id = (what: string) => z.string().trim().min(1, `${what} must not be empty`).max(MAX_ID_CHARS);
/** Orca's `#toJson` turns a missing value into `null`: null means "absent, use the default". */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);

/** Run variable names Terraform accepts as identifiers. */
const variableName = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

/** `POST /api/v1/terraform-runs`. */
export const createTerraformRunSchema = z.strictObject({
  application: id('application'),
  pipelineName: optional(z.string().max(MAX_ID_CHARS)),
  pipelineId: optional(z.string().max(MAX_ID_CHARS)),
  executionId: id('executionId'),
  stageId: id('stageId'),
  triggeredBy: optional(z.string().max(MAX_ID_CHARS)),
  organization: optional(z.string().regex(terraformNamePattern, 'an organization name: letters, digits, - and _')),
  workspace: z.string().regex(terraformNamePattern, 'a workspace name: letters, digits, - and _ (at most 90)'),
  message: optional(z.string().max(2_000)),
  variables: optional(
    z
      .record(
        z.string().regex(variableName, 'a variable name: a letter or _, then letters, digits, _ or -'),
        z.union([z.string().max(10_000), z.number().finite(), z.boolean()]),
      )
      .refine((variables) => Object.keys(variables).length <= 100, 'at most 100 variables'),
  ),
  approverGroups: z
    .array(approverGroupSchema)
    .min(1, 'at least one approver group is required')
    .max(20)
    .refine(
      (groups) => new Set(groups.map((group) => group.name)).size === groups.length,
      'group names must be unique',
    ),
  allowSelfApproval: optional(z.boolean()),
  timeoutMs: optional(z.number().int().positive()),
  instructions: optional(z.string().max(20_000)),
});

export type CreateTerraformRunRequest = z.infer<typeof createTerraformRunSchema>;

/** Stage states: Orca reads them at `$.status` (orca-stages maps them to RUNNING/SUCCEEDED/TERMINAL/CANCELED). */
export const terraformRunStatuses = [
  'planning',
  'awaiting_approval',
  'applying',
  'applied',
  'no_changes',
  'rejected',
  'expired',
  'discarded',
  'errored',
  'canceled',
] as const;
export type TerraformRunStatus = (typeof terraformRunStatuses)[number];

/** The states after which nothing changes. */
export const finishedTerraformStatuses: ReadonlySet<TerraformRunStatus> = new Set([
  'applied',
  'no_changes',
  'rejected',
  'expired',
  'discarded',
  'errored',
  'canceled',
]);

const resourceChangeSchema = z.object({
  address: z.string(),
  action: z.enum(['create', 'update', 'delete', 'replace', 'read', 'no-op']),
  actions: z.array(z.string()),
  reason: z.string().optional(),
});

/** The run body. */
export const terraformRunSchema = z.object({
  id: z.string(),
  status: z.enum(terraformRunStatuses),
  /** One line saying where the run is, for Orca's progress and Deck. */
  message: z.string(),
  application: z.string(),
  pipelineName: z.string().nullable(),
  executionId: z.string(),
  stageId: z.string(),
  attempt: z.number(),
  triggeredBy: z.string().nullable(),
  organization: z.string(),
  workspace: z.string(),
  variables: z.array(z.string()).describe('names of the run variables sent (values are not shown back)'),
  terraform: z.object({ runId: z.string().nullable(), status: z.string().nullable(), url: z.string().nullable() }),
  plan: z
    .object({
      additions: z.number(),
      changes: z.number(),
      destructions: z.number(),
      replacements: z.number(),
      resourceChanges: z.array(resourceChangeSchema),
      omitted: z.number(),
    })
    .nullable(),
  approval: approvalInstanceSchema.nullable(),
  error: z.string().nullable(),
  history: z.array(
    z.object({ at: z.string(), status: z.string(), terraformStatus: z.string().nullable(), note: z.string() }),
  ),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});

export type TerraformRunBody = z.infer<typeof terraformRunSchema>;

export const terraformRunIdParamsSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a Terraform run id (UUID)'),
});

export const terraformCancelSchema = z.strictObject({}).nullish();
