// Typed config of the Terraform stage: where Terraform Cloud / Enterprise is and visibility's API token
// for it. The token lives only here (never in Orca's config or a stage's context).
import { z } from 'zod';

const url = () => z.string().url();

/** An organization or workspace name as Terraform Cloud allows them (letters, digits, - and _). */
export const terraformNamePattern = /^[A-Za-z0-9_-]{1,90}$/;

/** `terraform` section of visibility's config; absent = the Terraform stage is refused at create. */
export const terraformConfigSchema = z
  .strictObject({
    url: url()
      .default('https://app.terraform.io')
      .describe('Terraform Cloud or Enterprise base URL (the API is under /api/v2)'),
    token: z
      .string()
      .min(1)
      .describe('API token (secret) of a team or user allowed to queue and apply runs on the workspaces'),
    organization: z
      .string()
      .regex(terraformNamePattern, 'an organization name: letters, digits, - and _')
      .describe('Organization of a stage that names none'),
    allowedWorkspaces: z
      .array(z.string().regex(/^[A-Za-z0-9_*/-]{1,181}$/, 'organization/workspace or workspace, * as wildcard'))
      .default([])
      .describe(
        'Workspaces stages may run, as `workspace` or `organization/workspace` with `*` wildcards; empty = any the token can reach',
      ),
    archivistUrls: z
      .array(url())
      .default(['https://archivist.terraform.io'])
      .describe(
        "Origins the plan's JSON may be downloaded from after Terraform Cloud's redirect, besides `url` itself (no token is sent there)",
      ),
    pollIntervalMs: z
      .number()
      .int()
      .min(50)
      .default(5_000)
      .describe('How often a run is read from Terraform Cloud while it plans, waits or applies'),
    requestTimeoutMs: z.number().int().positive().default(30_000).describe('Timeout of one Terraform Cloud request'),
    maxPlanBytes: z
      .number()
      .int()
      .positive()
      .default(32 * 1024 * 1024)
      .describe("Largest plan JSON read to list a run's resource changes"),
    maxResourceChanges: z
      .number()
      .int()
      .min(1)
      .max(5_000)
      .default(500)
      .describe('Resource changes kept and shown per run; the counts still cover all of them'),
    failureLimit: z
      .number()
      .int()
      .min(1)
      .default(30)
      .describe('Consecutive failed Terraform Cloud reads (network, 429, 5xx) after which the stage fails'),
  })
  .optional()
  .describe('Terraform Cloud / Enterprise for the Terraform stage (plan, approve, apply)');

export type TerraformConfig = NonNullable<z.infer<typeof terraformConfigSchema>>;
