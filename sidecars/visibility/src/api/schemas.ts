// The HTTP contract of the approval gate, in one place: what Orca posts (the stage catalog's payload),
// what users post, and the instance body Orca's monitor and Deck read. OpenAPI is generated from these.
import { resolveWithinBase } from '@isd/kit';
import { z } from 'zod';

const MAX_ID_CHARS = 200;
const MAX_TEXT_CHARS = 20_000;

const id = (what: string) => z.string().trim().min(1, `${what} must not be empty`).max(MAX_ID_CHARS);
/** Orca's `#toJson` turns a missing value into `null`: null means "absent, use the default". */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);

/** True when no `/`-separated part is `.` or `..`, which would walk out of the intended URL path. */
const noDotSegments = (value: string) => value.split('/').every((part) => part.trim() !== '.' && part.trim() !== '..');

/** True when the kit's outbound client would send this path below an endpoint (what it refuses, this refuses). */
const staysBelowBase = (value: string) => {
  try {
    resolveWithinBase('http://endpoint.invalid/base', value);
    return true;
  } catch {
    return false;
  }
};

const gitRef = z
  .string()
  .min(1)
  .max(250)
  .regex(/^[\w./@^~+-]+$/, 'a git ref: letters, digits and . / @ ^ ~ + - _');

/** Evidence a gate gathers, one entry per connector; credentials come from config, never from here. */
/** An Artifactory repository key, and a path inside it that cannot climb out. */
const artifactRepository = z.string().regex(/^[A-Za-z0-9][\w.-]{0,63}$/, 'an Artifactory repository key');
const artifactPath = z
  .string()
  .min(1)
  .max(1_000)
  .regex(/^[^/\\?#]+(\/[^/\\?#]+)*$/, 'a path inside the repository, like libs/shop/1.5.0/shop-1.5.0.jar')
  .refine((path) => !path.split('/').some((segment) => segment === '.' || segment === '..'), {
    message: 'no . or .. segments',
  });

export const evidenceRequestSchema = z.discriminatedUnion('connector', [
  z.strictObject({
    connector: z.literal('jenkins'),
    job: z
      .string()
      .min(1)
      .max(500)
      .regex(/^[\w .()-]+(\/[\w .()-]+)*$/, 'a job name, folders separated by /')
      .refine(noDotSegments, 'must not contain . or .. segments'),
    build: z.union([z.number().int().positive(), z.enum(['lastBuild', 'lastCompletedBuild', 'lastSuccessfulBuild'])]),
  }),
  z
    .strictObject({
      connector: z.literal('git'),
      provider: z.enum(['github', 'gitlab', 'bitbucket', 'bitbucket-server']).default('github'),
      repository: z
        .string()
        .min(3)
        .max(300)
        .regex(/^[\w.-]+(\/[\w.-]+)+$/, 'owner/name (GitLab: group/subgroup/name)')
        .refine(noDotSegments, 'must not contain . or .. segments'),
      base: gitRef,
      head: gitRef,
    })
    .refine((request) => !request.provider.startsWith('bitbucket') || request.repository.split('/').length === 2, {
      message: 'Bitbucket repositories are workspace/slug (Server: PROJECT/slug)',
      path: ['repository'],
    }),
  z.strictObject({
    connector: z.literal('jira'),
    issues: z
      .array(z.string().regex(/^[A-Z][A-Z0-9_]{0,30}-\d{1,9}$/, 'an issue key like ABC-123'))
      .min(1)
      .max(100)
      .optional(),
    jql: z.string().min(1).max(2_000).optional(),
  }),
  z.strictObject({
    connector: z.literal('sonarqube'),
    projectKey: z
      .string()
      .min(1)
      .max(400)
      .regex(/^[\w.:-]+$/, 'a SonarQube project key'),
    branch: z.string().min(1).max(250).optional(),
    pullRequest: z.string().min(1).max(50).optional(),
  }),
  z.strictObject({
    connector: z.literal('bamboo'),
    plan: z.string().regex(/^[A-Z][A-Z0-9]{0,49}-[A-Z][A-Z0-9]{0,49}$/, 'a plan key like PROJ-PLAN'),
    build: z.number().int().positive(),
  }),
  z.strictObject({
    connector: z.literal('artifactory'),
    repository: artifactRepository,
    path: artifactPath,
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits')
      .optional(),
  }),
  z.strictObject({
    connector: z.literal('xray'),
    repository: artifactRepository,
    path: artifactPath,
  }),
  z.strictObject({
    connector: z.literal('prismacloud'),
    imageId: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'an image id like sha256:<64 hex digits>'),
  }),
  z.strictObject({
    connector: z.literal('aqua'),
    registry: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^/\u0000-\u001f]+$/, 'the name of a registry in Aqua (e.g. Docker Hub), without /'),
    image: z
      .string()
      .max(512)
      .regex(
        /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*:\w[\w.-]{0,127}$/,
        'an image as repository:tag (e.g. acme/shop:1.5.0)',
      ),
  }),
  z.strictObject({
    connector: z.literal('appscan'),
    scanId: z.string().regex(/^[0-9a-fA-F-]{36}$/, 'an AppScan scan id (GUID)'),
  }),
  z.strictObject({
    connector: z.literal('servicenow'),
    changeRequest: z.string().regex(/^[A-Z]{2,8}\d{4,12}$/, 'a change request number like CHG0030001'),
  }),
  z.strictObject({
    connector: z.literal('verification'),
    verificationId: z
      .string()
      .min(1)
      .max(MAX_ID_CHARS)
      .regex(/^[\w.-]+$/, 'a verification id')
      .refine(noDotSegments, 'must not be . or ..'),
  }),
  z.strictObject({
    connector: z.literal('http'),
    endpoint: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'the name of an endpoint configured under connectors.http'),
    path: z
      .string()
      .max(1_000)
      .regex(/^(\/[\w.~%@:=,+-]*)*(\?[\w.~%@:=,+&/-]*)?$/, 'a path (and query) below the endpoint URL, without ..')
      .refine((value) => !value.split(/[/?]/).includes('..'), 'must not contain ..')
      .refine(staysBelowBase, 'must stay below the endpoint URL (no dot segments, encoded or not)')
      .optional(),
    label: z.string().min(1).max(100).optional(),
    fields: z
      .record(
        z.string().min(1).max(100),
        z
          .string()
          .min(1)
          .max(300)
          .regex(/^[\w.[\]-]+$/, 'a dotted path like data.items.0.name'),
      )
      .refine((value) => Object.keys(value).length <= 50, 'at most 50 fields')
      .optional(),
  }),
]);

/** One evidence request as parsed. */
export type EvidenceRequest = z.infer<typeof evidenceRequestSchema>;

/** An approver group in a create payload: a Fiat role and how many of its members must approve. */
export const approverGroupSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, 'group name must not be empty')
    .max(256)
    .transform((value) => value.toLowerCase()),
  required: optional(z.number().int().min(1).max(100)),
});

/** `POST /api/v1/approvals`: the stage catalog's payload (orca-stages `isdApprovalGate`). */
export const createApprovalSchema = z.strictObject({
  application: id('application'),
  pipelineName: optional(z.string().max(MAX_ID_CHARS)),
  pipelineId: optional(z.string().max(MAX_ID_CHARS)),
  executionId: id('executionId'),
  stageId: id('stageId'),
  /** A restarted stage posts a higher attempt to get a fresh gate; Orca's template leaves it out (1). */
  attempt: optional(z.number().int().min(1).max(1_000)),
  triggeredBy: optional(z.string().max(MAX_ID_CHARS)),
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
  instructions: optional(z.string().max(MAX_TEXT_CHARS)),
  evidence: optional(z.array(evidenceRequestSchema).max(20)),
  autoDecision: optional(
    z.strictObject({
      policyPath: z
        .string()
        .min(1)
        .max(300)
        .regex(/^[A-Za-z_][\w-]*(\/[A-Za-z_][\w-]*)*$/, 'a policy package path like isd/approval/auto'),
      mode: z.enum(['approve', 'reject', 'recommend']),
    }),
  ),
});

/** A parsed create payload. */
export type CreateApprovalRequest = z.infer<typeof createApprovalSchema>;

/** A comment with something besides whitespace (what `comment.trim().length > 0` accepts), in JSON Schema. */
const NON_BLANK_COMMENT = {
  required: ['comment'],
  // \ufeff: JavaScript's \s (what trim() removes) has it, Python's (Schemathesis's generator) has not.
  properties: { comment: { type: 'string', pattern: '[^\\s\\ufeff]' } },
};

/** `POST /api/v1/approvals/{id}/decisions`. */
export const decisionRequestSchema = z
  .strictObject({
    action: z.enum(['approve', 'reject']),
    comment: z.string().max(MAX_TEXT_CHARS).default(''),
    /** Self-approval through the audited break-glass path (config `approvals.breakGlassRoles`); needs a reason. */
    breakGlass: z.boolean().default(false),
    /** The evidence digest the user was shown; when given it must still be the gate's. */
    evidenceDigest: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex digits>')
      .optional(),
  })
  .refine((value) => value.action !== 'reject' || value.comment.trim().length > 0, {
    message: 'a reject needs a comment',
    path: ['comment'],
  })
  .refine((value) => !value.breakGlass || value.comment.trim().length > 0, {
    message: 'break-glass needs a reason in the comment',
    path: ['comment'],
  })
  .refine((value) => !value.breakGlass || value.action === 'approve', {
    message: 'break-glass only applies to approve',
    path: ['breakGlass'],
  })
  // The refinements above, said in JSON Schema for the document (the refinements keep their clearer messages).
  .meta({
    allOf: [
      { anyOf: [{ properties: { action: { const: 'approve' } } }, NON_BLANK_COMMENT] },
      {
        anyOf: [
          { properties: { breakGlass: { const: false } } },
          { ...NON_BLANK_COMMENT, properties: { ...NON_BLANK_COMMENT.properties, action: { const: 'approve' } } },
        ],
      },
    ],
  });

/** A parsed decision request. */
export type DecisionRequest = z.infer<typeof decisionRequestSchema>;

/** `POST /api/v1/approvals/{id}/cancel` (Orca sends `{}`). */
export const cancelRequestSchema = z.strictObject({}).nullish();

/** Path parameter `{id}`. */
export const approvalIdParamsSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'an approval id (UUID)'),
});

const statusSchema = z.enum(['activated', 'approved', 'rejected', 'expired', 'canceled']);

/** `GET /api/v1/approvals` query. */
export const listQuerySchema = z.strictObject({
  status: statusSchema.optional(),
  mine: z.enum(['true', 'false']).optional(),
  application: z.string().min(1).max(MAX_ID_CHARS).optional(),
  executionId: z.string().min(1).max(MAX_ID_CHARS).optional(),
  limit: z
    .string()
    // 1 to 500 in at most 4 digits (leading zeros allowed), said as a pattern so the document carries the range.
    .regex(/^(?:0{0,3}[1-9]|0{0,2}[1-9][0-9]|0?[1-4][0-9][0-9]|0?500)$/, 'a whole number from 1 to 500')
    .transform(Number)
    .optional(),
  offset: z
    .string()
    .regex(/^\d{1,7}$/, 'a whole number')
    .transform(Number)
    .optional(),
});

/** An evidence card: what one connector found, or why it could not. */
export const evidenceCardSchema = z.object({
  connector: z.string(),
  label: z.string().optional(),
  status: z.enum(['pass', 'fail', 'warn', 'info', 'error']),
  summary: z.string(),
  error: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
  fetchedAt: z.string(),
  durationMs: z.number(),
});

/** The approval instance: Orca's monitor body (`$.status`) and what Deck shows. */
export const approvalInstanceSchema = z.object({
  id: z.string(),
  status: statusSchema,
  application: z.string(),
  pipelineName: z.string().nullable(),
  pipelineId: z.string().nullable(),
  executionId: z.string(),
  stageId: z.string(),
  attempt: z.number(),
  triggeredBy: z.string().nullable(),
  approverGroups: z.array(z.object({ name: z.string(), required: z.number(), approvals: z.number() })),
  allowSelfApproval: z.boolean(),
  decisions: z.array(
    z.object({
      user: z.string(),
      action: z.enum(['approve', 'reject']),
      comment: z.string(),
      at: z.string(),
      groups: z.array(z.string()),
      evidenceDigest: z.string().nullable(),
      breakGlass: z.boolean(),
    }),
  ),
  evidenceStatus: z.enum(['pending', 'gathered']),
  evidence: z.array(evidenceCardSchema),
  evidenceDigest: z.string().nullable(),
  autoDecision: z
    .object({
      policyPath: z.string(),
      mode: z.enum(['approve', 'reject', 'recommend']),
      result: z
        .object({
          outcome: z.enum(['allow', 'deny', 'undefined', 'error']),
          decisionId: z.string().nullable(),
          messages: z.array(z.string()),
          evaluatedAt: z.string(),
        })
        .nullable(),
    })
    .nullable(),
  instructions: z.string(),
  createdAt: z.string(),
  deadline: z.string(),
  closedAt: z.string().nullable(),
  /** Whether the calling user may approve or reject now; always false for Orca. */
  canDecide: z.boolean(),
  /** Whether the calling user may approve (false when only a reject is open to them, e.g. self-approval). */
  canApprove: z.boolean(),
  links: z.record(z.string(), z.string()),
});

/** The approval instance body. */
export type ApprovalInstanceBody = z.infer<typeof approvalInstanceSchema>;

/** `GET /api/v1/approvals` answer. */
export const approvalListSchema = z.object({
  approvals: z.array(approvalInstanceSchema),
  limit: z.number(),
  offset: z.number(),
});
