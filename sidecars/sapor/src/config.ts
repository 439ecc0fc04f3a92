import { baseConfigSchema, retentionBatchSizeSchema, retentionDaysSchema, userWritesConfigSchema } from '@isd/kit';
import { z } from 'zod';
import { pipelinesAsCodeConfigSchema } from './pac/config';
import { accountsConfigSchema } from './accounts/config';

const regoVersion = z.enum(['v0', 'v1']);

/** Sapor's configuration: the kit's shared sections plus policies and the Gate connection. */
export const saporConfigSchema = baseConfigSchema({ name: 'sapor', port: 8085 }).extend({
  policy: z
    .strictObject({
      adminRoles: z
        .array(z.string().min(1))
        .default(['admin'])
        .describe('Roles (lower-case, from Fiat or auth.users) allowed to create, change and delete policies'),
      defaultRegoVersion: regoVersion
        .default('v1')
        .describe('Rego syntax of a policy that does not name one (v0 = pre-1.0 syntax)'),
      engine: z
        .enum(['builtin', 'opa'])
        .default('builtin')
        .describe('builtin = evaluate with @isd/rego; opa = send the input to an external OPA'),
      opa: z
        .strictObject({
          url: z.string().url().describe("External OPA's base URL (its /v1/data API is called)"),
          token: z.string().min(1).optional().describe('Bearer token for the external OPA (secret)'),
          timeoutMs: z
            .number()
            .int()
            .positive()
            .default(5_000)
            .describe('How long one call to the external OPA may take'),
        })
        .optional()
        .describe('External OPA, used when engine is opa'),
      maxSteps: z
        .number()
        .int()
        .positive()
        .default(1_000_000)
        .describe('Evaluation step budget; a policy that exceeds it is an error (deny)'),
      timeoutMs: z
        .number()
        .int()
        .positive()
        .default(1_000)
        .describe('Evaluation wall-time budget; a policy that exceeds it is an error (deny)'),
      maxMemoryBytes: z
        .number()
        .int()
        .positive()
        .default(32 * 1024 * 1024)
        .describe(
          'Evaluation memory budget: bytes of values a policy may build (strings at 2 bytes a character); a policy that exceeds it is an error (deny)',
        ),
      workers: z
        .strictObject({
          size: z.number().int().min(1).max(64).default(2).describe('Worker threads that evaluate policies'),
          maxOldGenerationMb: z
            .number()
            .int()
            .min(16)
            .default(256)
            .describe('V8 old-generation heap of each worker (MiB); a worker that needs more is ended and replaced'),
          maxYoungGenerationMb: z
            .number()
            .int()
            .min(1)
            .default(32)
            .describe('V8 young-generation heap of each worker (MiB)'),
          deadlineMs: z
            .number()
            .int()
            .positive()
            .default(5_000)
            .describe(
              'Wall-clock deadline of one evaluation in a worker, enforced from outside it (the worker is ended and replaced); tests at save get 10 times as long',
            ),
          queueLimit: z
            .number()
            .int()
            .min(1)
            .default(1_000)
            .describe('Evaluations waiting for a worker beyond which new ones are refused (503)'),
          perCallerLimit: z
            .number()
            .int()
            .min(1)
            .default(20)
            .describe(
              "Evaluations one user may have waiting or running beyond which their new ones are refused (503); each caller's wait in their own lane, served in turn, so one user's many checks do not delay Orca's gates or other users",
            ),
        })
        .prefault({})
        .describe('The worker pool policies are evaluated in'),
      httpAllowedHosts: z
        .array(z.string().min(1))
        .default([])
        .describe('Hosts http.send may call from a policy; empty = http.send is off'),
      staticPackages: z
        .array(z.string().regex(/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/, 'expected a dotted package name'))
        .default(['opa.pipelines', 'spinnaker.persistence.pipelines.before', 'isd.static'])
        .describe('Packages (and their sub-packages) whose `deny` rules the save-time pipeline check collects'),
      directory: z
        .string()
        .min(1)
        .optional()
        .describe('Folder of .rego files loaded at start and on reload (policy name = relative path)'),
      git: z
        .strictObject({
          url: z.string().min(1).describe('Repository to clone (any URL the git binary accepts)'),
          ref: z
            .string()
            .regex(/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/, 'expected a branch or tag name')
            .default('main')
            .describe('Branch or tag to follow'),
          subdirectory: z.string().default('').describe('Folder inside the repository holding the .rego files'),
          checkoutDir: z.string().min(1).default('.isd/sapor/policies-git').describe('Local clone'),
          pollIntervalMs: z
            .number()
            .int()
            .min(0)
            .default(60_000)
            .describe('How often the repository is pulled; 0 = only at start and on reload'),
        })
        .optional()
        .describe('Git repository of .rego files, cloned and pulled with the git binary'),
      maxPolicies: z
        .number()
        .int()
        .min(1)
        .default(1_000)
        .describe(
          'Most live policies (every evaluation compiles them all); saving a new name beyond is a 400 naming this key',
        ),
      maxBundleBytes: z
        .number()
        .int()
        .min(1)
        .default(16 * 1024 * 1024)
        .describe(
          'Most bytes of Rego source the live policies hold together (each worker compiles them all); a save beyond is a 400 naming this key',
        ),
      decisionLogRetentionDays: z
        .number()
        .int()
        .min(1)
        .default(90)
        .describe(
          'Decision log rows older than this are deleted, and the inputs kept with policy gates that old are dropped (the gates stay) (daily)',
        ),
    })
    .superRefine((policy, context) => {
      if (policy.engine === 'opa' && !policy.opa)
        context.addIssue({ code: 'custom', path: ['opa'], message: 'engine opa needs opa.url' });
    })
    .prefault({}),
  gate: z
    .strictObject({
      url: z
        .string()
        .url()
        .optional()
        .describe(
          "Gate's base URL (executions for policy gates, insights sync, pipelines); absent = sapor does not call Gate",
        ),
      x509: z
        .strictObject({
          certFile: z.string().min(1).describe("Client certificate (PEM) Gate's x509 API port accepts"),
          keyFile: z.string().min(1).describe('Private key of the client certificate (PEM, secret)'),
          caFile: z.string().min(1).optional().describe("CA (PEM) that signed Gate's server certificate"),
        })
        .optional()
        .describe('x509 client certificate for Gate (preferred over basic auth; needs an https url)'),
      username: z.string().min(1).optional().describe('Basic-auth user for a dedicated internal Gate'),
      password: z.string().min(1).optional().describe('Basic-auth password for an internal Gate (secret)'),
      caFile: z.string().min(1).optional().describe('CA (PEM) of an https Gate reached with basic auth'),
      timeoutMs: z.number().int().positive().default(5_000).describe('How long one call to Gate may take'),
      maxResponseBytes: z
        .number()
        .int()
        .positive()
        .default(8 * 1024 * 1024)
        .describe('Largest answer read from Gate (one execution, one page of a search)'),
      retries: z
        .number()
        .int()
        .min(0)
        .max(10)
        .default(3)
        .describe('Extra attempts after a 5xx, a timeout or an unreachable Gate'),
      backoffMs: z
        .number()
        .int()
        .positive()
        .default(200)
        .describe('First wait between attempts; doubled each attempt (with jitter) up to 5 s'),
      breakerThreshold: z
        .number()
        .int()
        .positive()
        .default(5)
        .describe('Consecutive failed calls after which sapor stops calling Gate for breakerResetMs'),
      breakerResetMs: z
        .number()
        .int()
        .positive()
        .default(30_000)
        .describe('How long the open circuit refuses calls before one trial call'),
    })
    .superRefine((gate, context) => {
      if (gate.x509 && gate.url && !gate.url.startsWith('https:'))
        context.addIssue({ code: 'custom', path: ['url'], message: 'x509 needs an https Gate url' });
      if ((gate.username === undefined) !== (gate.password === undefined))
        context.addIssue({
          code: 'custom',
          path: [gate.username === undefined ? 'username' : 'password'],
          message: 'basic auth needs both username and password',
        });
    })
    .prefault({}),
  insights: z
    .strictObject({
      syncIntervalMs: z
        .number()
        .int()
        .min(0)
        .default(60_000)
        .describe('How often executions are synced from Gate (job queue timer); 0 = only POST /api/v1/insights/sync'),
      backfillDays: z.number().int().min(1).default(90).describe('How far back the first sync reads executions'),
      overlapMs: z
        .number()
        .int()
        .min(0)
        .default(60_000)
        .describe('Each sync re-reads this much before its watermark (clock skew between Orca replicas)'),
      pageSize: z.number().int().min(1).max(1000).default(100).describe('Executions per page of Gate search'),
      staleAfterMs: z
        .number()
        .int()
        .positive()
        .default(15 * 60_000)
        .describe('Insights are marked stale when the last successful sync is older than this'),
      deployStageTypes: z
        .array(z.string().min(1))
        .default(['deployManifest', 'deploy', 'createServerGroup', 'cloneServerGroup', 'deployCloudFormation'])
        .describe('Stage types that make an execution a deployment (docs/insights.md)'),
      environments: z
        .record(z.string().min(1), z.string().min(1))
        .default({})
        .describe('Account → environment name; an account not listed is its own environment'),
      metricsWindowDays: z
        .number()
        .int()
        .min(1)
        .default(30)
        .describe('Trailing window of the isd_insights_* Prometheus gauges'),
    })
    .prefault({}),
  pipelinesAsCode: pipelinesAsCodeConfigSchema
    .optional()
    .describe(
      'Pipelines as code (docs/pipelines-as-code.md): a git repository of pipeline definitions synced to Spinnaker',
    ),
  accounts: accountsConfigSchema,
  userWrites: userWritesConfigSchema(
    300,
    "Rows a user's requests may make sapor store per minute, per replica: a decision-log row per static package for each pipeline checked (pipeline-check — Deck asks on each distinct edit of a pipeline with an ISD stage —, dry runs, promotions) and per Data API evaluation; one for each policy save or deletion, account change, promotion's audit record and queued sync. Beyond is a 429 naming this key; Orca's service token is never counted",
  ),
  audit: z
    .strictObject({
      retentionDays: z
        .number()
        .int()
        .min(1)
        .default(400)
        .describe('Audit records older than this are deleted (daily); the only way a record is removed'),
    })
    .prefault({}),
  retention: z
    .strictObject({
      days: retentionDaysSchema(
        400,
        'Policy gates older than this are deleted (daily), as are policy versions and account history entries superseded that long ago (the newest of each, and a version a kept gate names, stay)',
      ),
      batchSize: retentionBatchSizeSchema,
    })
    .prefault({}),
});

/** Validated configuration of the sapor service. */
export type SaporConfig = z.infer<typeof saporConfigSchema>;
