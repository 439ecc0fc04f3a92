// What Orca posts to create an external-system stage (the catalog's payload) and the run body its
// monitor and Deck read. Values come through `#toJson`, so a missing one is null: null means "default".
import { z } from 'zod';

const MAX_ID_CHARS = 200;

const id = (what: string) => z.string().trim().min(1, `${what} must not be empty`).max(MAX_ID_CHARS);
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);
/** A list of non-empty names, trimmed, without repeats (JIRA statuses, labels). */
const names = (what: string, max: number) =>
  z
    .array(z.string().trim().min(1, `a ${what} must not be empty`).max(255))
    .max(max)
    .transform((list) => [...new Set(list)]);

/** Fields every external-system stage's create carries: which execution and stage it belongs to. */
const stageFields = {
  application: id('application'),
  pipelineName: optional(z.string().max(MAX_ID_CHARS)),
  pipelineId: optional(z.string().max(MAX_ID_CHARS)),
  executionId: id('executionId'),
  stageId: id('stageId'),
  /** A restarted stage may post a higher attempt to act again; Orca's template leaves it out. */
  attempt: optional(z.number().int().min(1).max(1_000)),
  triggeredBy: optional(z.string().max(MAX_ID_CHARS)),
  timeoutMs: optional(z.number().int().positive()),
};

/** The JIRA stage's create body. */
export const createJiraIssueSchema = z
  .strictObject({
    ...stageFields,
    project: z
      .string()
      .trim()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,49}$/, 'a JIRA project key: a letter, then letters, digits or _ (e.g. OPS)'),
    issueType: z.string().trim().min(1, 'issue type must not be empty').max(255),
    summary: z
      .string()
      .trim()
      .min(1, 'summary must not be empty')
      .max(255, 'JIRA summaries are at most 255 characters')
      .refine((text) => !/[\r\n]/.test(text), 'summary must be one line'),
    description: optional(z.string().max(32_000)),
    labels: optional(
      names('label', 20).refine(
        (labels) => labels.every((label) => !/\s/.test(label)),
        'JIRA labels cannot contain spaces',
      ),
    ),
    transition: optional(z.string().trim().max(255)),
    waitForStatuses: optional(names('status', 20)),
    rejectStatuses: optional(names('status', 20)),
  })
  .superRefine((body, context) => {
    const waited = new Set((body.waitForStatuses ?? []).map((status) => status.toLowerCase()));
    for (const status of body.rejectStatuses ?? [])
      if (waited.has(status.toLowerCase()))
        context.addIssue({
          code: 'custom',
          path: ['rejectStatuses'],
          message: `"${status}" is also a status to wait for; a status cannot both pass and fail the stage`,
        });
  });

/** A validated JIRA create. */
export type CreateJiraIssueRequest = z.infer<typeof createJiraIssueSchema>;

/** The ServiceNow stage's create body. */
export const createServiceNowChangeSchema = z.strictObject({
  ...stageFields,
  shortDescription: z
    .string()
    .trim()
    .min(1, 'short description must not be empty')
    .max(160, "ServiceNow's short description holds at most 160 characters"),
  description: optional(z.string().max(32_000)),
  changeType: optional(z.enum(['normal', 'standard', 'emergency'])),
  assignmentGroup: optional(z.string().trim().max(255)),
  category: optional(z.string().trim().max(255)),
});

/** A validated ServiceNow create. */
export type CreateServiceNowChangeRequest = z.infer<typeof createServiceNowChangeSchema>;

/** The Ansible (AWX / Tower) stage's create body. */
export const createAwxJobSchema = z.strictObject({
  ...stageFields,
  jobTemplate: z
    .union([
      z.number().int().positive().transform(String),
      z.string().trim().min(1, 'job template must not be empty').max(512),
    ])
    .describe('id or name of the job template'),
  extraVars: optional(z.record(z.string(), z.unknown())),
  limit: optional(z.string().trim().max(1_024)),
});

/** A validated AWX create. */
export type CreateAwxJobRequest = z.infer<typeof createAwxJobSchema>;

export const runIdParamsSchema = z.strictObject({
  // Every hex group in place, as Postgres's uuid type parses it (36 hex digits and dashes anywhere is not one).
  id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a run id (uuid)'),
});

export const cancelRunSchema = z.object({}).passthrough();

/** The run as Orca's monitor and Deck read it. */
export const runBodySchema = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.enum(['creating', 'waiting', 'done', 'rejected', 'failed', 'timeout', 'canceled']),
  message: z.string(),
  application: z.string(),
  pipelineName: z.string().nullable(),
  executionId: z.string(),
  stageId: z.string(),
  attempt: z.number(),
  ref: z.object({ id: z.string(), url: z.string() }).nullable(),
  observed: z.record(z.string(), z.unknown()).nullable(),
  request: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  observedAt: z.string().nullable(),
  deadline: z.string(),
  closedAt: z.string().nullable(),
});
