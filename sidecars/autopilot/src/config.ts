import { baseConfigSchema, retentionBatchSizeSchema, retentionDaysSchema, userWritesConfigSchema } from '@isd/kit';
import { z } from 'zod';
import { JUDGE_NAMES } from './domain';
import { testSourceConfigSchema } from './test-verification/sources';

const tlsSchema = z
  .strictObject({
    caFile: z.string().min(1).optional().describe('PEM file of the CA that signed the provider certificate'),
    certFile: z.string().min(1).optional().describe('PEM client certificate (mutual TLS)'),
    keyFile: z.string().min(1).optional().describe('PEM client key (mutual TLS)'),
    insecureSkipVerify: z.boolean().default(false).describe('Skip certificate verification (tests only)'),
  })
  .optional();

const timeoutMs = z.number().int().positive().default(30_000).describe('Timeout of one provider request');

/** One metrics provider account, by type. */
export const providerConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('prometheus'),
    url: z.string().url().describe('Prometheus base URL (the one serving /api/v1/query_range)'),
    username: z.string().optional().describe('Basic auth user'),
    password: z.string().optional().describe('Basic auth password'),
    bearerToken: z.string().optional().describe('Bearer token (instead of basic auth)'),
    tls: tlsSchema,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('datadog'),
    url: z.string().url().default('https://api.datadoghq.com').describe('Datadog API site'),
    apiKey: z.string().min(1).describe('DD-API-KEY'),
    applicationKey: z.string().min(1).describe('DD-APPLICATION-KEY'),
    tls: tlsSchema,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('newrelic'),
    url: z.string().url().default('https://api.newrelic.com/graphql').describe('NerdGraph endpoint'),
    apiKey: z.string().min(1).describe('User API key (API-Key header)'),
    accountId: z.number().int().positive().describe('Account the NRQL runs in'),
    tls: tlsSchema,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('graphite'),
    url: z.string().url().describe('Graphite base URL (graphite-web or Graphite-API, the one serving /render)'),
    username: z.string().optional().describe('Basic auth user'),
    password: z.string().optional().describe('Basic auth password'),
    tls: tlsSchema,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('cloudwatch'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as us-east-1')
      .describe('AWS region the metrics are in (signs the requests)'),
    url: z.string().url().optional().describe('Endpoint; default https://monitoring.<region>.amazonaws.com'),
    accessKeyId: z.string().min(1).describe('AWS access key id'),
    secretAccessKey: z.string().min(1).describe('AWS secret access key'),
    sessionToken: z.string().min(1).optional().describe('Session token of temporary credentials'),
    tls: tlsSchema,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('influxdb'),
    url: z.string().url().describe('InfluxDB 1.x base URL (the one serving /query)'),
    database: z.string().min(1).describe('Database the InfluxQL runs in (`db`)'),
    username: z.string().optional().describe('InfluxDB user (basic auth)'),
    password: z.string().optional().describe('InfluxDB password'),
    tls: tlsSchema,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('stackdriver'),
    url: z.string().url().default('https://monitoring.googleapis.com').describe('Cloud Monitoring API endpoint'),
    projectId: z.string().min(1).describe('Project (or metrics scope) whose time series are listed'),
    clientEmail: z.string().email().describe("Service account's client_email (from its JSON key)"),
    privateKey: z
      .string()
      .includes('PRIVATE KEY', { message: 'must be the PEM private_key of the service account JSON key' })
      .describe("Service account's PEM private_key (secret)"),
    privateKeyId: z.string().min(1).optional().describe("Service account's private_key_id (the JWT kid)"),
    tokenUrl: z
      .string()
      .url()
      .default('https://oauth2.googleapis.com/token')
      .describe('OAuth2 token endpoint (the JSON key’s token_uri)'),
    tls: tlsSchema,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('dynatrace'),
    url: z.string().url().describe('Environment URL, e.g. https://abc12345.live.dynatrace.com'),
    apiToken: z.string().min(1).describe('API token with the metrics.read scope (secret)'),
    tls: tlsSchema,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('signalfx'),
    url: z.string().url().default('https://stream.us1.signalfx.com').describe("Realm's stream API (SignalFlow)"),
    accessToken: z.string().min(1).describe('Access token with API scope (X-SF-TOKEN, secret)'),
    tls: tlsSchema,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('wavefront'),
    url: z.string().url().describe('Cluster URL, e.g. https://example.wavefront.com'),
    apiToken: z.string().min(1).describe('API token (Bearer, secret)'),
    tls: tlsSchema,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('appdynamics'),
    url: z.string().url().describe('Controller URL, e.g. https://example.saas.appdynamics.com'),
    accountName: z.string().min(1).describe('Controller account name (client_id is <clientName>@<accountName>)'),
    clientName: z.string().min(1).describe('API client name'),
    clientSecret: z.string().min(1).describe('API client secret (secret)'),
    application: z.string().min(1).optional().describe('Business application of queries without `| application=`'),
    tls: tlsSchema,
    timeoutMs,
  }),
]);

/** Settings of one provider account. */
export type ProviderConfig = z.infer<typeof providerConfigSchema>;

const logAuth = {
  username: z.string().optional().describe('Basic auth user'),
  password: z.string().optional().describe('Basic auth password'),
  bearerToken: z.string().optional().describe('Bearer token (instead of basic auth)'),
  tls: tlsSchema,
  timeoutMs,
  pageSize: z.number().int().min(1).max(10_000).default(1000).describe('Messages read per request'),
};

/** One log provider account, by type. */
export const logProviderConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('opensearch'),
    url: z.string().url().describe('OpenSearch or Elasticsearch base URL'),
    index: z.string().min(1).optional().describe('Index or pattern for log templates that name none'),
    timeField: z.string().min(1).default('@timestamp').describe('Time field of the log documents'),
    ...logAuth,
  }),
  z.strictObject({
    type: z.literal('loki'),
    url: z.string().url().describe('Loki base URL (the one serving /loki/api/v1/query_range)'),
    orgId: z.string().min(1).optional().describe('X-Scope-OrgID of a multi-tenant Loki'),
    ...logAuth,
  }),
  z.strictObject({
    type: z.literal('splunk'),
    url: z.string().url().describe('Splunk management API base URL (port 8089)'),
    token: z.string().optional().describe('Splunk authentication token (instead of basic auth)'),
    ...logAuth,
  }),
]);

/** Settings of one log provider account. */
export type LogProviderConfig = z.infer<typeof logProviderConfigSchema>;

/** Autopilot's configuration: the kit's shared sections plus its own. */
export const autopilotConfigSchema = baseConfigSchema({ name: 'autopilot', port: 8090 }).extend({
  providers: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, `_` or `-`'), providerConfigSchema)
    .default({})
    .describe(
      'Metrics provider accounts by name: {type (prometheus, datadog, newrelic, graphite, influxdb, cloudwatch, stackdriver, dynatrace, signalfx, wavefront or appdynamics), url, credentials}; secrets via env, e.g. AUTOPILOT_PROVIDERS__PROM__PASSWORD',
    ),
  logProviders: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, `_` or `-`'), logProviderConfigSchema)
    .default({})
    .describe(
      'Log provider accounts by name: {type (opensearch, loki or splunk), url, credentials}; secrets via env, e.g. AUTOPILOT_LOG_PROVIDERS__LOGS__PASSWORD',
    ),
  testSources: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, `_` or `-`'), testSourceConfigSchema)
    .default({})
    .describe(
      'Servers test verifications read test results from, by name: {type (jenkins or http), url, credentials (jenkins: user, apiToken; http: bearerToken or username, password)}; a stage URL must lie under one of these URLs',
    ),
  testVerification: z
    .strictObject({
      maxReportBytes: z
        .number()
        .int()
        .positive()
        .default(32 * 1024 * 1024)
        .describe('Largest test report read (fetched or inline); a larger one ends the verification in error'),
      maxTestCases: z.number().int().positive().default(200_000).describe('Most test cases one report may hold'),
      maxRuns: z.number().int().min(1).max(100).default(10).describe('Most runs per side (baseline, canary)'),
    })
    .prefault({}),
  analysis: z
    .strictObject({
      defaultJudge: z
        .enum(JUDGE_NAMES)
        .default('isd')
        .describe('Judge used when neither the request nor the template names one'),
      defaultProvider: z
        .string()
        .optional()
        .describe('Provider account for metrics that name none; default: the only account'),
      providerAttempts: z
        .number()
        .int()
        .min(1)
        .max(10)
        .default(3)
        .describe('Tries per provider fetch before the verification ends in error'),
      providerRetryDelayMs: z.number().int().min(0).default(2_000).describe('Pause between provider tries'),
      checkQueriesOnCreate: z
        .boolean()
        .default(true)
        .describe('Ask the provider to parse each query when a template or verification is created'),
      maxLifetimeMs: z
        .number()
        .int()
        .positive()
        .default(24 * 3_600_000)
        .describe('Longest verification accepted'),
      watchdogGraceMs: z
        .number()
        .int()
        .positive()
        .default(30 * 60_000)
        .describe(
          'A verification still running this long after its last window ends is ended in error (failed jobs never leave it running)',
        ),
      minIntervalMs: z.number().int().positive().default(1_000).describe('Shortest interval accepted'),
      maxLogReadMs: z
        .number()
        .int()
        .positive()
        .default(10 * 60_000)
        .describe(
          "Longest one window's log reading may take (both sides, one try); beyond it the verification ends in error",
        ),
      maxLogReadChars: z
        .number()
        .int()
        .positive()
        .default(1_000_000_000)
        .describe(
          'Characters of log lines one window may read per side (a line counts its length plus one), some 5 million lines of 200 characters; beyond it the verification ends in error. Memory does not grow with it (lines are streamed); time does: about 35 s per 10^9 characters read from a local Loki here (lines of 160 characters), and the log provider serves them all. Without it a source answering full pages without end is read until maxLogReadMs',
        ),
      maxMetricPoints: z
        .number()
        .int()
        .min(1_000)
        .max(10_000_000)
        .default(100_000)
        .describe(
          "Points one window's metric judgement may hold: every metric's series (and count query) on both sides together. The step a window is fetched at grows to stay under it (and under 11,000 points a series), so a template of many metrics at a tiny step over a long window is judged at a coarser step. The isd judge costs some 4 microseconds a point of autopilot's one thread (100,000: about 0.4 s a window; 100 metrics over 3 hours at a 1 s step, 2 million points, held it 8 s); a template of 20 metrics over an hour at 60 s holds 2,440",
        ),
      maxLogDistinctEvents: z
        .number()
        .int()
        .positive()
        .default(25_000)
        .describe(
          "Distinct log events (after masking) one window's comparison may hold, both sides together; beyond it the verification ends in error (the logged application decides how many there are; 300,000 short ones, each its own template, exceed a 512 MiB heap while scored)",
        ),
      maxLogDistinctChars: z
        .number()
        .int()
        .positive()
        .default(4_000_000)
        .describe(
          "Characters of those distinct events one window's comparison may hold (each costs several times its size while scored); beyond it the verification ends in error",
        ),
      maxLogTemplateComparisons: z
        .number()
        .int()
        .positive()
        .default(100_000_000)
        .describe(
          "Token positions the template miner may compare in one window's comparison (each distinct event is compared with the templates of its prefix-tree leaf and of its length, counted as templates × their length); beyond it the verification ends in error. Loghub's logs need at most 100 per distinct event; events that are each their own template need a number growing with the square of their count (25,000 of 20 words: some 10^10, minutes of one core during which autopilot answers nothing). 10^8 is about 2 s of one core",
        ),
      metricWeight: z
        .number()
        .min(0)
        .default(0.5)
        .describe('Weight of the metric score in the combined score when a verification names none'),
      logWeight: z
        .number()
        .min(0)
        .default(0.5)
        .describe('Weight of the log score in the combined score when a verification names none'),
    })
    .prefault({}),
  templates: z
    .strictObject({
      directory: z
        .string()
        .min(1)
        .optional()
        .describe('Folder of *.yml / *.yaml templates loaded at start-up (a changed file becomes a new version)'),
      logDirectory: z
        .string()
        .min(1)
        .optional()
        .describe('Folder of *.yml / *.yaml log templates loaded at start-up (a changed file becomes a new version)'),
      maxPerApplication: z
        .number()
        .int()
        .min(1)
        .default(200)
        .describe(
          'Most metric templates, and most log templates, one application may hold (every template list reads them all); a new name beyond is a 400 naming this key',
        ),
      maxVersions: z
        .number()
        .int()
        .min(1)
        .default(1_000)
        .describe('Most versions of one template name; a change beyond is a 400 naming this key'),
      editorRoles: z
        .array(z.string())
        .default([])
        .describe(
          'Roles that may change shared templates (no application) besides Fiat admins; application templates need WRITE on it',
        ),
    })
    .prefault({}),
  userWrites: userWritesConfigSchema(
    60,
    "A user's template saves and imports (metric and log) and log mark changes per minute, per replica; each leaves a version or an audit record behind. Beyond is a 429 naming this key",
  ),
  logMarks: z
    .strictObject({
      maxPerApplication: z
        .number()
        .int()
        .min(1)
        .default(1_000)
        .describe(
          'Most marked log clusters one application may keep (every report and analysis window reads them all); a new one beyond is a 400 naming this key',
        ),
    })
    .prefault({}),
  retention: z
    .strictObject({
      days: retentionDaysSchema(
        400,
        'Finished verifications (with their intervals) and test verifications are deleted this many days after they finished (daily); a running one never is',
      ),
      detailDays: retentionDaysSchema(
        30,
        "A finished verification's fetched metric points and log example lines (and the log clusters that cost no points) are dropped this many days after it finished; verdict, scores, reasons and findings stay, and the report says what was dropped",
      ),
      batchSize: retentionBatchSizeSchema,
    })
    .superRefine((retention, context) => {
      if (retention.detailDays > retention.days)
        context.addIssue({
          code: 'custom',
          path: ['detailDays'],
          message: `must not exceed retention.days (${retention.days}): details cannot outlive their verification`,
        });
    })
    .prefault({}),
  audit: z
    .strictObject({
      url: z.string().url().describe("Sapor's base URL: finished verifications are appended to its audit trail"),
      token: z.string().min(1).optional().describe('Service token for sapor (secret)'),
      timeoutMs: z.number().int().positive().default(5_000).describe('How long one append may take'),
    })
    .optional()
    .describe('The one audit trail (sapor); absent = verifications are not appended'),
});

/** Validated configuration of the autopilot service. */
export type AutopilotConfig = z.infer<typeof autopilotConfigSchema>;
