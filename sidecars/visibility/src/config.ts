import { baseConfigSchema, retentionBatchSizeSchema, retentionDaysSchema } from '@isd/kit';
import { z } from 'zod';
import { terraformConfigSchema } from './terraform/config';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

const url = () => z.string().url();

/** A credential pair for services that take user + API token (Jenkins, JIRA). */
const basicCredentials = {
  user: z.string().min(1).optional().describe('User name for basic auth'),
  apiToken: z.string().min(1).optional().describe('API token (secret) for basic auth'),
};

/** Visibility's configuration: the kit's shared sections plus approvals, connectors, sapor and notifications. */
export const visibilityConfigSchema = baseConfigSchema({ name: 'visibility', port: 8096 }).extend({
  approvals: z
    .strictObject({
      defaultTimeoutMs: z
        .number()
        .int()
        .positive()
        .default(DAY_MS)
        .describe('Expiry of a gate whose payload gives no timeoutMs'),
      minTimeoutMs: z.number().int().positive().default(1_000).describe('Shortest timeoutMs a payload may ask for'),
      maxTimeoutMs: z
        .number()
        .int()
        .positive()
        .default(365 * DAY_MS)
        .describe('Longest timeoutMs a payload may ask for'),
      deckUrl: url().optional().describe("Deck's base URL, for the execution link shown with a gate"),
      breakGlassRoles: z
        .array(
          z
            .string()
            .min(1)
            .transform((role) => role.toLowerCase()),
        )
        .default([])
        .describe(
          'Roles whose members may approve a gate they triggered (breakGlass: true, with a reason); empty = nobody',
        ),
      retryWindowMs: z
        .number()
        .int()
        .min(0)
        .default(6 * 60 * 1000)
        .describe(
          "How long after a gate's creation an identical create is Orca's retry (same gate); later, a closed gate's stage was restarted (new gate)",
        ),
      reconcileIntervalMs: z
        .number()
        .int()
        .positive()
        .default(30_000)
        .describe('How often gates whose timers or evidence job were not yet queued are picked up (after a crash)'),
    })
    .prefault({}),
  connectors: z
    .strictObject({
      timeoutMs: z
        .number()
        .int()
        .positive()
        .default(10_000)
        .describe('How long one evidence connector may take before its card shows a timeout'),
      maxResponseBytes: z
        .number()
        .int()
        .positive()
        .default(2 * 1024 * 1024)
        .describe('Largest connector response read'),
      jenkins: z
        .strictObject({ url: url().describe('Jenkins base URL'), ...basicCredentials })
        .optional()
        .describe('Jenkins connector'),
      github: z
        .strictObject({
          apiUrl: url().default('https://api.github.com').describe('GitHub API base URL'),
          webUrl: url().default('https://github.com').describe('GitHub web base URL, for PR links'),
          token: z.string().min(1).optional().describe('GitHub token (secret)'),
        })
        .optional()
        .describe('GitHub connector'),
      gitlab: z
        .strictObject({
          url: url().default('https://gitlab.com').describe('GitLab base URL'),
          token: z.string().min(1).optional().describe('GitLab private token (secret)'),
        })
        .optional()
        .describe('GitLab connector'),
      bitbucket: z
        .strictObject({
          apiUrl: url().default('https://api.bitbucket.org').describe('Bitbucket Cloud API base URL'),
          webUrl: url().default('https://bitbucket.org').describe('Bitbucket Cloud web base URL, for PR links'),
          token: z.string().min(1).optional().describe('Bitbucket Cloud access token (secret), sent as a bearer token'),
          user: z.string().min(1).optional().describe('Bitbucket Cloud user for an app password'),
          appPassword: z.string().min(1).optional().describe('Bitbucket Cloud app password (secret)'),
        })
        .optional()
        .describe('Bitbucket Cloud (git connector, provider bitbucket)'),
      bitbucketServer: z
        .strictObject({
          url: url().describe('Bitbucket Server / Data Center base URL'),
          token: z.string().min(1).optional().describe('HTTP access token (secret), sent as a bearer token'),
          user: z.string().min(1).optional().describe('User for basic auth (when no token)'),
          password: z.string().min(1).optional().describe('Password (secret) for basic auth'),
        })
        .optional()
        .describe('Bitbucket Server (git connector, provider bitbucket-server)'),
      jira: z
        .strictObject({ url: url().describe('JIRA base URL'), ...basicCredentials })
        .optional()
        .describe('JIRA connector'),
      sonarqube: z
        .strictObject({
          url: url().describe('SonarQube base URL'),
          token: z.string().min(1).optional().describe('SonarQube token (secret)'),
        })
        .optional()
        .describe('SonarQube connector'),
      bamboo: z
        .strictObject({
          url: url().describe('Bamboo base URL'),
          token: z.string().min(1).optional().describe('Bamboo personal access token (secret), sent as a bearer token'),
          user: z.string().min(1).optional().describe('Bamboo user for basic auth (when no token)'),
          password: z.string().min(1).optional().describe('Bamboo password (secret) for basic auth'),
        })
        .optional()
        .describe('Bamboo connector'),
      artifactory: z
        .strictObject({
          url: url().describe('Artifactory base URL (https://<host>/artifactory)'),
          token: z.string().min(1).optional().describe('Artifactory access token (secret), sent as a bearer token'),
        })
        .optional()
        .describe('Artifactory connector'),
      xray: z
        .strictObject({
          url: url().describe('JFrog platform base URL; Xray is under /xray (https://<name>.jfrog.io)'),
          token: z.string().min(1).optional().describe('JFrog access token (secret), sent as a bearer token'),
          artifactoryId: z
            .string()
            .min(1)
            .default('default')
            .describe('Artifactory instance id that prefixes Xray artifact paths'),
        })
        .optional()
        .describe('JFrog Xray connector'),
      prismacloud: z
        .strictObject({
          url: url().describe('Prisma Cloud Compute console URL (the API is under /api/v1)'),
          token: z
            .string()
            .min(1)
            .optional()
            .describe('Prisma Cloud Compute API token (secret), sent as a bearer token'),
          user: z.string().min(1).optional().describe('Access key or user for basic auth (when no token)'),
          password: z.string().min(1).optional().describe('Secret key or password (secret) for basic auth'),
        })
        .optional()
        .describe('Prisma Cloud Compute connector'),
      aqua: z
        .strictObject({
          url: url().describe('Aqua console (server) URL; the scanner API is under /api/v1'),
          token: z.string().min(1).optional().describe('Aqua API token (secret), sent as a bearer token'),
          user: z.string().min(1).optional().describe('Aqua user for basic auth (when no token)'),
          password: z.string().min(1).optional().describe('Password of that user (secret)'),
          apiKey: z
            .string()
            .min(1)
            .optional()
            .describe('Aqua SaaS API key: a token is requested from authUrl with an HMAC-signed request'),
          apiSecret: z.string().min(1).optional().describe('Secret of that API key (secret), signs the token request'),
          authUrl: url()
            .default('https://api.cloudsploit.com')
            .describe("Aqua SaaS token service of the account's region (with apiKey)"),
        })
        .superRefine((aqua, context) => {
          const pairs = [
            ['user', 'password'],
            ['apiKey', 'apiSecret'],
          ] as const;
          for (const [first, second] of pairs) {
            if (aqua[first] && !aqua[second])
              context.addIssue({ code: 'custom', path: [second], message: `${first} needs ${second}` });
            if (aqua[second] && !aqua[first])
              context.addIssue({ code: 'custom', path: [first], message: `${second} needs ${first}` });
          }
          if (!aqua.token && !aqua.user && !aqua.password && !aqua.apiKey && !aqua.apiSecret)
            context.addIssue({
              code: 'custom',
              path: ['token'],
              message: 'Aqua needs credentials: token, user and password, or apiKey and apiSecret',
            });
        })
        .optional()
        .describe('Aqua Security image scan connector'),
      appscan: z
        .strictObject({
          url: url().default('https://cloud.appscan.com').describe('HCL AppScan on Cloud base URL'),
          keyId: z.string().min(1).describe('AppScan API key id'),
          keySecret: z.string().min(1).describe('AppScan API key secret (secret)'),
        })
        .optional()
        .describe('HCL AppScan connector'),
      servicenow: z
        .strictObject({
          url: url().describe('ServiceNow instance URL (https://<instance>.service-now.com)'),
          user: z
            .string()
            .min(1)
            .optional()
            .describe(
              'ServiceNow user for basic auth (needs read on change_request; create too for the ServiceNow stage)',
            ),
          password: z.string().min(1).optional().describe('ServiceNow password (secret)'),
        })
        .optional()
        .describe('ServiceNow change request connector'),
      awx: z
        .strictObject({
          url: url().describe('AWX / Ansible Tower base URL (the API is under /api/v2)'),
          token: z
            .string()
            .min(1)
            .optional()
            .describe('AWX OAuth2 / personal access token (secret), sent as a bearer token'),
          user: z.string().min(1).optional().describe('AWX user for basic auth (when no token)'),
          password: z.string().min(1).optional().describe('Password of that user (secret)'),
          stdoutTailChars: z
            .number()
            .int()
            .positive()
            .max(100_000)
            .default(4_000)
            .describe("Most characters of a job's output kept for the execution view (the end of it)"),
        })
        .superRefine((awx, context) => {
          if (!awx.token && !(awx.user && awx.password))
            context.addIssue({ code: 'custom', path: ['token'], message: 'AWX needs a token, or user and password' });
        })
        .optional()
        .describe('AWX / Ansible Tower, for the Ansible stage (needs execute on the job templates it launches)'),
      autopilot: z
        .strictObject({
          url: url().describe("Autopilot's base URL (verification scores)"),
          token: z.string().min(1).optional().describe('Service token for autopilot (secret)'),
        })
        .optional()
        .describe('Verification connector'),
      http: z
        .record(
          z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'endpoint names are lower-case words'),
          z.strictObject({
            url: url().describe('Base URL of the endpoint; a payload may only add a path below it'),
            headers: z.record(z.string(), z.string()).default({}).describe('Headers sent (may hold secrets)'),
          }),
        )
        .default({})
        .describe('Named JSON-over-HTTP endpoints the generic connector may call'),
    })
    .prefault({}),
  externalStages: z
    .strictObject({
      pollIntervalMs: z
        .number()
        .int()
        .positive()
        .default(10_000)
        .describe("Orca's monitor polls closer together than this reuse the last reading of the external system"),
      callTimeoutMs: z.number().int().positive().default(15_000).describe('Timeout of one call to the external system'),
      createLeaseMs: z
        .number()
        .int()
        .positive()
        .default(60_000)
        .describe(
          'How long one request holds a create, and how long a create that failed to get an answer waits before trying again',
        ),
      defaultTimeoutMs: z
        .number()
        .int()
        .positive()
        .default(DAY_MS)
        .describe('How long a stage whose payload gives no timeoutMs waits for the external system'),
      minTimeoutMs: z.number().int().positive().default(1_000).describe('Shortest timeoutMs a payload may ask for'),
      maxTimeoutMs: z
        .number()
        .int()
        .positive()
        .default(30 * DAY_MS)
        .describe('Longest timeoutMs a payload may ask for'),
    })
    .prefault({})
    .describe(
      'Stages that act on JIRA, ServiceNow and AWX for Orca (credentials: `connectors.jira`, `connectors.servicenow`, `connectors.awx`)',
    ),
  deckPlugin: z
    .strictObject({
      dir: z
        .string()
        .min(1)
        .optional()
        .describe(
          'Directory of the packaged Deck plugin (plugins.json and the bundle zip), served to Gate at /plugins/isd/; unset = not served',
        ),
    })
    .prefault({}),
  sapor: z
    .strictObject({
      url: url().describe("Sapor's base URL (policy API)"),
      token: z.string().min(1).optional().describe('Service token for sapor (secret)'),
      timeoutMs: z.number().int().positive().default(5_000).describe('Policy evaluation timeout'),
    })
    .optional()
    .describe('Policy engine for automatic decisions; absent = autoDecision is refused'),
  terraform: terraformConfigSchema,
  retention: z
    .strictObject({
      days: retentionDaysSchema(
        400,
        'Closed approval gates (with their decisions, audit trail, Slack message and e-mail links), finished Terraform runs and external stage runs are deleted this many days after they closed (daily); an open one never is',
      ),
      batchSize: retentionBatchSizeSchema,
    })
    .prefault({}),
  notifications: z
    .strictObject({
      slack: z
        .strictObject({
          webhookUrl: url().optional().describe('Slack incoming webhook URL (secret)'),
          botToken: z
            .string()
            .min(1)
            .optional()
            .describe('Slack bot token; with `channel`, messages are updated when decided'),
          channel: z.string().min(1).optional().describe('Slack channel id for the bot token'),
          apiUrl: url().default('https://slack.com/api').describe('Slack Web API base URL'),
          signingSecret: z
            .string()
            .min(1)
            .optional()
            .describe(
              "Slack app's signing secret (secret); with botToken and channel, messages carry Approve/Reject buttons",
            ),
          teamId: z
            .string()
            .min(1)
            .optional()
            .describe('Slack workspace (team) id whose button presses are accepted; unset = any the app is in'),
          users: z
            .record(z.string().regex(/^[UW][A-Z0-9]+$/, 'Slack user ids look like U012ABC'), z.string().min(1))
            .default({})
            .describe('Slack user id → Spinnaker user name; checked before the e-mail mapping'),
          identityFromEmail: z
            .enum(['email', 'local-part', 'off'])
            .default('email')
            .describe(
              'Spinnaker user of a Slack user not in `users`: their Slack profile e-mail (users.info), its part before @, or nobody',
            ),
          emailDomains: z
            .array(
              z
                .string()
                .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'a domain name such as example.com')
                .transform((domain) => domain.toLowerCase()),
            )
            .min(1)
            .optional()
            .describe(
              'E-mail domains whose Slack users map to Spinnaker users (others: nobody); required with local-part',
            ),
          signatureMaxAgeSeconds: z
            .number()
            .int()
            .min(1)
            .max(300)
            .default(300)
            .describe("Oldest Slack request timestamp accepted (Slack's recommendation: 5 minutes)"),
        })
        .superRefine((slack, context) => {
          // The part before @ names a person only within the domains the organisation owns.
          if (slack.identityFromEmail === 'local-part' && !slack.emailDomains)
            context.addIssue({
              code: 'custom',
              path: ['emailDomains'],
              message:
                'identityFromEmail local-part needs emailDomains: the domains whose addresses name Spinnaker users',
            });
          // Buttons need the bot to post and update the message, and to open the confirmation modal.
          for (const key of ['botToken', 'channel'] as const)
            if (slack.signingSecret && !slack[key])
              context.addIssue({
                code: 'custom',
                path: [key],
                message: `signingSecret (Slack decisions) needs ${key}`,
              });
        })
        .optional()
        .describe('Slack notifications'),
      email: z
        .strictObject({
          host: z.string().min(1).describe('SMTP host'),
          port: z.number().int().min(1).max(65535).default(587).describe('SMTP port'),
          secure: z.boolean().default(false).describe('TLS from the start (port 465); otherwise STARTTLS when offered'),
          user: z.string().min(1).optional().describe('SMTP user'),
          password: z.string().min(1).optional().describe('SMTP password (secret)'),
          from: z.string().min(3).describe('From address'),
          to: z.array(z.string().min(3)).min(1).describe('Recipients of gate notifications'),
          decisionLinkBase: url()
            .optional()
            .describe(
              "Where users reach this service through Gate (e.g. https://gate.example.com/proxies/visibility); set = each recipient's mail carries a single-use link to decide",
            ),
        })
        .optional()
        .describe('Email notifications'),
      reminderBeforeDeadlineMs: z
        .array(z.number().int().positive())
        .default([HOUR_MS])
        .describe('Reminders are sent this long before a gate expires'),
      retryLimit: z.number().int().min(0).default(5).describe('Retries of a failed notification'),
      retryDelaySeconds: z
        .number()
        .int()
        .min(1)
        .default(5)
        .describe('First retry delay of a failed notification (doubles)'),
      timeoutMs: z.number().int().positive().default(10_000).describe('Timeout of one notification delivery'),
    })
    .prefault({}),
});

/** Validated configuration of the visibility service. */
export type VisibilityConfig = z.infer<typeof visibilityConfigSchema>;
