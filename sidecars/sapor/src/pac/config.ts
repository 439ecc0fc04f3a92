// Configuration of pipelines as code (the `pipelinesAsCode` section of sapor's config).
import { z } from 'zod';
import { DEFAULT_RENDER_LIMITS } from './render';
import { GIT_REF } from './repository';

const limit = (fallback: number, description: string) =>
  z.number().int().positive().default(fallback).describe(description);

export const pipelinesAsCodeConfigSchema = z
  .strictObject({
    git: z
      .strictObject({
        url: z
          .string()
          .min(1)
          .refine((url) => !url.startsWith('-'), 'a URL may not start with -')
          .refine(
            (url) => !/^[a-z][\w+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url),
            'put credentials in username/password, not the URL',
          )
          .describe(
            'Repository of pipeline definitions (https://, ssh:// or file:// — any URL the git binary accepts)',
          ),
        ref: z
          .string()
          .regex(GIT_REF, 'expected a branch or tag name')
          .default('main')
          .describe('Branch or tag synced'),
        username: z.string().min(1).optional().describe('HTTPS user (with password: a Basic Authorization header)'),
        password: z.string().min(1).optional().describe('HTTPS password or access token (secret)'),
        sshKeyFile: z.string().min(1).optional().describe('SSH private key for ssh URLs'),
        knownHostsFile: z
          .string()
          .min(1)
          .optional()
          .describe('known_hosts for ssh URLs (host keys are always checked)'),
        checkoutDir: z
          .string()
          .min(1)
          .default('.isd/sapor/pipelines-git')
          .describe('Folder each fetch makes a bare repository in, removed once read (one process each)'),
        timeoutMs: z.number().int().positive().default(120_000).describe('How long one git command may take'),
      })
      .superRefine((git, context) => {
        if ((git.username === undefined) !== (git.password === undefined))
          context.addIssue({
            code: 'custom',
            path: [git.username === undefined ? 'username' : 'password'],
            message: 'https credentials need both username and password',
          });
      })
      .describe('Where the definitions are'),
    webhookSecret: z
      .string()
      .min(16, 'at least 16 characters')
      .optional()
      .describe(
        'Secret of the push webhook (GitHub/Bitbucket HMAC signature, GitLab token); absent = the webhook route refuses every call',
      ),
    syncIntervalMs: z
      .number()
      .int()
      .min(0)
      .default(300_000)
      .describe('How often the repository is synced without a push; 0 = only on webhook or POST …/syncs'),
    applications: z
      .array(z.string().min(1))
      .default([])
      .describe('Applications the repository may change (case-insensitive); empty = any'),
    leaseMs: z
      .number()
      .int()
      .min(1_000)
      .default(600_000)
      .describe('How long a replica holds the sync lease without renewing it (renewed while it syncs)'),
    syncRetentionDays: z
      .number()
      .int()
      .min(1)
      .default(30)
      .describe(
        "Stored syncs (each with every pipeline's outcome and diff) that finished longer ago are deleted after each sync",
      ),
    maxStoredSyncs: z
      .number()
      .int()
      .min(1)
      .default(2_000)
      .describe(
        'Most stored syncs, however recent (a timer every 5 minutes makes 288 a day; webhooks and manual syncs more); the oldest go first',
      ),
    actor: z
      .string()
      .min(1)
      .default('pipelines-as-code')
      .describe('Actor recorded in the audit trail for pipelines a sync saves'),
    limits: z
      .strictObject({
        maxFileBytes: limit(DEFAULT_RENDER_LIMITS.maxFileBytes, 'Largest definition file'),
        maxFiles: limit(DEFAULT_RENDER_LIMITS.maxFiles, 'Most definition files in the repository'),
        maxDepth: limit(DEFAULT_RENDER_LIMITS.maxDepth, 'Deepest nesting of module includes'),
        maxNodes: limit(DEFAULT_RENDER_LIMITS.maxNodes, 'Most values one pipeline may expand to'),
        maxPipelineBytes: limit(DEFAULT_RENDER_LIMITS.maxPipelineBytes, 'Largest rendered pipeline (JSON bytes)'),
        maxTreeNodes: limit(
          DEFAULT_RENDER_LIMITS.maxTreeNodes,
          'Most values all pipelines of the tree may expand to together, failed ones included (about a microsecond of rendering each; a sync or dry run beyond it renders nothing and names this key)',
        ),
        maxTreeBytes: limit(
          DEFAULT_RENDER_LIMITS.maxTreeBytes,
          'Most characters of text all pipelines of the tree may expand to together, failed ones included (held in memory at once; beyond it nothing is rendered and the error names this key)',
        ),
        maxRepositoryBytes: limit(
          64 * 1024 * 1024,
          'Most bytes one fetch (depth 1, one ref) may write to disk; git is stopped beyond and the sync fails naming this key',
        ),
        maxTreeEntries: limit(
          100_000,
          'Most entries (every file, link and submodule, definition or not) in the tree of the fetched commit',
        ),
        maxTotalBytes: limit(16 * 1024 * 1024, 'Most bytes of all definition files together, read into memory'),
      })
      .prefault({})
      .describe('Bounds on what an (untrusted) repository may hold and render to'),
  })
  .describe('Pipelines as code');

export type PipelinesAsCodeConfig = z.infer<typeof pipelinesAsCodeConfigSchema>;
