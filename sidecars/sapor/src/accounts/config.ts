// The `accounts` section of sapor's config: where accounts are written (Clouddriver's account API through
// Gate, or a git repository read by Clouddriver's config server), the controller for "through agent"
// accounts, and how the kubeconfig check reaches clusters.
import { z } from 'zod';

const gitRef = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/, 'expected a branch name');

export const accountsConfigSchema = z
  .strictObject({
    backend: z
      .enum(['none', 'clouddriver', 'git'])
      .default('none')
      .describe(
        "Where accounts are written: clouddriver = Clouddriver's account API (/credentials, Spinnaker ≥ 1.28) through gate.url; git = clouddriver-local.yml in accounts.git; none = the accounts API answers 503",
      ),
    adminRoles: z
      .array(z.string().min(1))
      .default(['admin'])
      .describe(
        'Roles (from Fiat or auth.users) allowed to create, change, delete and read accounts; Fiat admins always may',
      ),
    git: z
      .strictObject({
        url: z
          .string()
          .min(1)
          .describe('Repository Clouddriver’s config server reads (any URL the git binary accepts)'),
        branch: gitRef.default('main').describe('Branch written to (one commit per change)'),
        directory: z
          .string()
          .regex(
            // No lookahead: helm checks the chart schema's patterns with Go's RE2. Segments never start with a dot.
            /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\/?)?$/,
            'expected a relative folder whose segments do not start with a dot (no .., no leading /)',
          )
          .default('')
          .describe("Folder in the repository holding clouddriver-local.yml (the config server's searchPaths)"),
        checkoutDir: z.string().min(1).default('.isd/sapor/accounts-git').describe('Local clone sapor commits in'),
        authorName: z.string().min(1).default('ISD sapor').describe('Commit author name'),
        authorEmail: z.string().min(1).default('sapor@isd.invalid').describe('Commit author e-mail'),
        pushAttempts: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(5)
          .describe('Attempts of one change when the push is rejected because the branch moved (re-read, re-applied)'),
      })
      .optional()
      .describe('Git repository of Clouddriver’s config server; needed when backend is git'),
    controller: z
      .strictObject({
        url: z.string().url().describe("The tunnel controller's control API (https://…:9003)"),
        token: z.string().min(1).describe('Control token for the control API (secret)'),
        caFile: z.string().min(1).optional().describe("CA (PEM) of the controller's certificate"),
        timeoutMs: z.number().int().positive().default(10_000).describe('How long one control API call may take'),
      })
      .optional()
      .describe('Tunnel controller, for accounts "through agent X"; absent = such accounts are refused'),
    checkTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(5_000)
      .describe(
        'How long each kubeconfig check call (/version, namespaces) may take before the cluster counts as unreachable',
      ),
  })
  .superRefine((accounts, context) => {
    if (accounts.backend === 'git' && !accounts.git)
      context.addIssue({ code: 'custom', path: ['git'], message: 'backend git needs accounts.git.url' });
  })
  .prefault({});

export type AccountsConfig = z.infer<typeof accountsConfigSchema>;
