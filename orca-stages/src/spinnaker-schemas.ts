// Zod schemas of exactly the properties Orca and Gate bind from the files we render. Spring ignores an
// unknown key and coerces loosely, so a typo would silently turn a gate off in production; these
// schemas are strict so the renderer fails instead, naming the field.
//
// Sources (spinnaker/orca, spinnaker/gate, spinnaker/kork as of Spinnaker 1.3x):
// - WebhookProperties.java (`webhook.*`) and its PreconfiguredWebhook inner class;
// - orca-api PreconfiguredStageParameter (`parameters[]`);
// - UserConfiguredUrlRestrictions.Builder (`user-configured-url-restrictions.*`);
// - gate-api ProxyConfig (`proxies[]`);
// - kork-plugins / gate-plugins deck-proxy (`spinnaker.extensibility.*`).
import { z } from 'zod';

/** Spring's `HttpMethod` names as Orca binds them for `method` and `cancelMethod`. */
const httpMethod = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE']);

/** `Map<String, List<String>>`, the shape of `customHeaders`, `sensitiveHeaders` and `permissions`. */
const stringListMap = z.record(z.string(), z.array(z.string()));

/** A comma-separated status list (`successStatuses` …): MonitorWebhookTask splits on ','. */
const statusList = z.string().regex(/^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$/, 'must be comma-separated status words');

/** Text that Orca treats as SpEL: Spring reads `${a:b}` as a placeholder with a default first. */
const spelText = z
  .string()
  .refine((text) => !(text.match(/\$\{[^}]*\}/g) ?? []).some((expression) => expression.includes(':')), {
    message: "a ${…} expression contains ':', which Spring resolves as a property-placeholder default",
  });

/** orca-api PreconfiguredStageParameter: the only parameter type Orca knows is `string`. */
export const preconfiguredStageParameterSchema = z
  .object({
    name: z.string().min(1),
    label: z.string(),
    defaultValue: z.string().optional(),
    description: z.string().optional(),
    type: z.literal('string'),
    order: z.number().int().optional(),
  })
  .strict();

/** WebhookProperties.PreconfiguredWebhook: every field Spring binds for one `webhook.preconfigured[]` entry. */
export const preconfiguredWebhookSchema = z
  .object({
    enabled: z.boolean().optional(),
    label: z.string().min(1),
    description: z.string().optional(),
    type: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'must be a stage type key'),
    parameters: z.array(preconfiguredStageParameterSchema).optional(),
    url: z.string().url(),
    customHeaders: stringListMap.optional(),
    // Added by spinnaker/spinnaker#7421 (2026); older Orca ignores it.
    sensitiveHeaders: stringListMap.optional(),
    parameterValues: z.record(z.string(), z.string()).optional(),
    parameterData: z.record(z.string(), z.record(z.string(), z.string())).optional(),
    method: httpMethod.optional(),
    payload: spelText.optional(),
    failFastStatusCodes: z.array(z.number().int().min(100).max(599)).optional(),
    waitForCompletion: z.boolean().optional(),
    statusUrlResolution: z.enum(['getMethod', 'locationHeader', 'webhookResponse']).optional(),
    statusUrlJsonPath: z.string().optional(),
    statusJsonPath: z.string().startsWith('$').optional(),
    progressJsonPath: z.string().startsWith('$').optional(),
    successStatuses: statusList.optional(),
    canceledStatuses: statusList.optional(),
    terminalStatuses: statusList.optional(),
    permissions: stringListMap.optional(),
    signalCancellation: z.boolean().optional(),
    cancelEndpoint: spelText.optional(),
    cancelMethod: httpMethod.optional(),
    cancelPayload: spelText.optional(),
  })
  .strict()
  .superRefine((webhook, context) => {
    // MonitorWebhookTask calls successStatuses.split(',') unconditionally when it polls.
    if (webhook.waitForCompletion && !webhook.successStatuses) {
      context.addIssue({
        code: 'custom',
        path: ['successStatuses'],
        message: 'is required when waitForCompletion is true',
      });
    }
    if (webhook.waitForCompletion && !webhook.statusJsonPath) {
      context.addIssue({
        code: 'custom',
        path: ['statusJsonPath'],
        message: 'is required when waitForCompletion is true',
      });
    }
  });

/** WebhookProperties (`webhook.*`). */
export const webhookPropertiesSchema = z
  .object({
    preconfigured: z.array(preconfiguredWebhookSchema),
    trust: z
      .object({ enabled: z.boolean(), trustStore: z.string().optional(), trustStorePassword: z.string().optional() })
      .strict()
      .optional(),
    verifyRedirects: z.boolean().optional(),
    defaultRetryStatusCodes: z.array(z.number().int()).optional(),
  })
  .strict();

/** UserConfiguredUrlRestrictions.Builder (`user-configured-url-restrictions.*`). */
export const urlRestrictionsSchema = z
  .object({
    allowedHostnamesRegex: z.string().optional(),
    allowedSchemes: z.array(z.enum(['http', 'https'])).optional(),
    rejectLocalhost: z.boolean().optional(),
    rejectLinkLocal: z.boolean().optional(),
    rejectVerbatimIps: z.boolean().optional(),
    rejectedIps: z.array(z.string()).optional(),
    excludedDomainTemplate: z.string().optional(),
    excludedDomains: z.array(z.string()).optional(),
    excludedDomainsFromEnvironment: z.array(z.string()).optional(),
    extraExcludedPatterns: z.array(z.string()).optional(),
    httpClientProperties: z
      .object({
        enableRetry: z.boolean().optional(),
        maxRetryAttempts: z.number().int().optional(),
        retryInterval: z.number().int().optional(),
        timeoutMillis: z.number().int().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The `orca-local.yml` we render: the webhook stages and the URL restrictions they need. */
export const orcaLocalSchema = z
  .object({
    webhook: webhookPropertiesSchema,
    'user-configured-url-restrictions': urlRestrictionsSchema,
  })
  .strict();

/** gate-api ProxyConfig (`proxies[]`). */
export const proxyConfigSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a path segment'),
    uri: z.string().url(),
    methods: z.array(z.enum(['GET', 'POST', 'PUT', 'DELETE'])).optional(),
    connectTimeoutMs: z.number().int().positive().optional(),
    readTimeoutMs: z.number().int().positive().optional(),
    writeTimeoutMs: z.number().int().positive().optional(),
    additionalAttributes: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/** Gate's deck-proxy settings (`spinnaker.extensibility.deck-proxy.*`). */
const deckProxySchema = z
  .object({
    enabled: z.boolean().optional(),
    'cache-refresh-interval-ms': z.number().int().positive().optional(),
    plugins: z.record(z.string(), z.object({ enabled: z.boolean(), version: z.string().min(1).optional() }).strict()),
  })
  .strict();

/** kork-plugins repository settings (`spinnaker.extensibility.repositories.<name>.*`). */
const pluginRepositorySchema = z.object({ enabled: z.boolean().optional(), url: z.string().url() }).strict();

/** The `gate-local.yml` we render: sidecar proxies and the Deck plugin wiring. */
export const gateLocalSchema = z
  .object({
    proxies: z.array(proxyConfigSchema),
    spinnaker: z
      .object({
        extensibility: z
          .object({
            'deck-proxy': deckProxySchema,
            repositories: z.record(z.string(), pluginRepositorySchema),
          })
          .strict(),
      })
      .strict(),
  })
  .strict();

/** Parsed `orca-local.yml` content. */
export type OrcaLocalConfig = z.infer<typeof orcaLocalSchema>;
/** One parsed `webhook.preconfigured[]` entry. */
export type PreconfiguredWebhook = z.infer<typeof preconfiguredWebhookSchema>;
/** Parsed `gate-local.yml` content. */
export type GateLocalConfig = z.infer<typeof gateLocalSchema>;
/** One parsed `proxies[]` entry. */
export type ProxyConfig = z.infer<typeof proxyConfigSchema>;

/** A rendered or supplied config failed its schema; the message names every offending field. */
export class ConfigSchemaError extends Error {
  override readonly name = 'ConfigSchemaError';
  constructor(
    readonly file: string,
    readonly issues: Array<{ path: string; message: string }>,
  ) {
    super(
      `${file}: ${issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ')}`,
    );
  }
}

/** Validates a value against a schema, throwing ConfigSchemaError that names each bad field by path. */
export function parseWithSchema<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  file: string,
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigSchemaError(
    file,
    result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((key) => (path ? `${path}.${key}` : key)).join(', ');
        return { path: keys, message: 'unknown field (Spring would silently ignore it)' };
      }
      return { path, message: issue.message };
    }),
  );
}
