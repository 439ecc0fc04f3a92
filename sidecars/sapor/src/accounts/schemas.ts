// The accounts API's request and response shapes (validated by the kit, published in /openapi.json).
import { z } from 'zod';

/** Spinnaker account names: lower-case, digits, `-` and `_`, starting and ending with a letter or digit. */
export const accountNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$/, 'expected lower-case letters, digits, - and _ (a Spinnaker account name)');

const kubernetesName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a Kubernetes name (RFC 1123 label)');

const roleList = z.array(z.string().min(1).max(200)).max(200);

/** Fiat permissions of the account: the roles that may see it, deploy to it, run pipelines on it. */
export const permissionsSchema = z
  .strictObject({ READ: roleList.optional(), WRITE: roleList.optional(), EXECUTE: roleList.optional() })
  .describe('Fiat permissions: role lists per authorization');

const MAX_KUBECONFIG_BYTES = 256 * 1024;

const accountFields = z.strictObject({
  name: accountNameSchema.describe('Account name in Spinnaker'),
  type: z.literal('kubernetes').default('kubernetes').describe('Account type (Kubernetes only for now)'),
  kubeconfig: z
    .string()
    .min(1)
    .max(MAX_KUBECONFIG_BYTES)
    .optional()
    .describe('Kubeconfig (YAML) with inline credentials; checked against its cluster before anything is written'),
  agent: z
    .strictObject({
      name: kubernetesName.describe('Agent name (the remote cluster)'),
      namespace: kubernetesName.optional().describe('Namespace the agent is installed in (default isd-agent)'),
    })
    .optional()
    .describe(
      'Reach the cluster through the tunnel: sapor asks the controller for credentials and returns the agent manifest',
    ),
  context: z.string().min(1).max(253).optional().describe('Kubeconfig context to use (default: its current-context)'),
  namespaces: z.array(kubernetesName).max(1000).optional().describe('Namespaces Spinnaker may use (default: all)'),
  omitNamespaces: z.array(kubernetesName).max(1000).optional().describe('Namespaces Spinnaker must not use'),
  environment: z.string().min(1).max(100).optional().describe('Environment shown in Spinnaker (default: the name)'),
  permissions: permissionsSchema.default({}),
});

function checkAccount(
  account: z.output<typeof accountFields> | Omit<z.output<typeof accountFields>, 'name'>,
  context: z.RefinementCtx,
): void {
  if ((account.kubeconfig === undefined) === (account.agent === undefined))
    context.addIssue({
      code: 'custom',
      path: [account.kubeconfig === undefined ? 'kubeconfig' : 'agent'],
      message: 'give exactly one of kubeconfig or agent',
    });
  if (account.agent && account.context !== undefined)
    context.addIssue({ code: 'custom', path: ['context'], message: 'an account through an agent has no context' });
  if (account.namespaces?.length && account.omitNamespaces?.length)
    context.addIssue({
      code: 'custom',
      path: ['omitNamespaces'],
      message: 'give namespaces or omitNamespaces, not both (Clouddriver refuses both)',
    });
}

/** checkAccount in JSON Schema, for the document (a property schema `false` means the property is absent). */
const ACCOUNT_RULES_JSON_SCHEMA = {
  allOf: [
    {
      anyOf: [
        { required: ['kubeconfig'], properties: { agent: false } },
        { required: ['agent'], properties: { kubeconfig: false } },
      ],
    },
    { anyOf: [{ properties: { agent: false } }, { properties: { context: false } }] },
    {
      anyOf: [{ properties: { namespaces: { maxItems: 0 } } }, { properties: { omitNamespaces: { maxItems: 0 } } }],
    },
  ],
};

/** What a user sends to create an account. */
export const accountRequestSchema = accountFields.superRefine(checkAccount).meta(ACCOUNT_RULES_JSON_SCHEMA);

/** PUT body: the same, replacing the whole account; `name`, when given, must equal the path's. */
export const accountUpdateSchema = accountFields
  .extend({ name: accountNameSchema.optional() })
  .superRefine(checkAccount)
  .meta(ACCOUNT_RULES_JSON_SCHEMA);

export type AccountRequest = z.output<typeof accountRequestSchema>;

/** What is shown of a kubeconfig: never a credential, only where it points and how it authenticates. */
export const kubeconfigSummarySchema = z.object({
  server: z.string(),
  context: z.string(),
  auth: z.enum(['token', 'client-certificate']),
  sha256: z.string().describe('SHA-256 of the kubeconfig text, to tell versions apart'),
});

export const accountViewSchema = z.object({
  name: z.string(),
  type: z.literal('kubernetes'),
  version: z.number().int(),
  backend: z.enum(['clouddriver', 'git']),
  kubeconfig: kubeconfigSummarySchema,
  agent: z.object({ name: z.string(), namespace: z.string() }).nullable(),
  namespaces: z.array(z.string()),
  omitNamespaces: z.array(z.string()),
  environment: z.string(),
  permissions: permissionsSchema,
  revision: z.string().nullable().describe('The git commit of the change, or null'),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});

export type AccountView = z.infer<typeof accountViewSchema>;

export const accountHistoryEntrySchema = z.object({
  version: z.number().int(),
  action: z.enum(['created', 'updated', 'deleted']),
  backend: z.enum(['clouddriver', 'git']),
  actor: z.string(),
  occurredAt: z.string(),
  revision: z.string().nullable(),
  account: accountViewSchema.omit({ createdAt: true, createdBy: true, updatedAt: true, updatedBy: true }).nullable(),
});

export const accountWriteResultSchema = z.object({
  account: accountViewSchema,
  agentManifest: z
    .string()
    .optional()
    .describe('Through an agent: the manifest to apply in the remote cluster (holds the agent’s key; shown once)'),
});
