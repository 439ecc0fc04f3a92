// HTTP routes of pipelines as code (webhook, dry run, syncs) and of promotion.
import {
  CallerLimitError,
  InputError,
  NotAllowedError,
  NotFoundError,
  UnavailableError,
  canAccessApplication,
  isAdmin,
  type Caller,
  type HttpApp,
  type UserWriteBudget,
} from '@isd/kit';
import { z } from 'zod';
import { WRITE_LIMIT_RESPONSE } from '../api/routes';
import type { AuditStore } from '../audit/audit-store';
import type { GateClient } from '../gate-client';
import type { PolicyService } from '../policy-service';
import { promotePipeline } from './promote';
import { GIT_REF, UnknownRefError } from './repository';
import type { PipelinesAsCode } from './sync';
import { readWebhook, refMatches } from './webhook';

const applicationName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'expected a Spinnaker application name');
const pipelineName = z.string().trim().min(1).max(500);

const definitionErrorSchema = z.object({
  file: z.string(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
  path: z.string().optional(),
  message: z.string(),
});
const policyResultSchema = z.object({
  status: z.enum(['allow', 'deny']),
  messages: z.array(z.string()),
  decisionId: z.string(),
});
const itemSchema = z.object({
  application: z.string(),
  name: z.string(),
  file: z.string(),
  action: z.enum(['create', 'update', 'unchanged']),
  outcome: z.enum(['saved', 'would-save', 'unchanged', 'denied', 'not-allowed', 'conflict', 'failed', 'skipped']),
  policy: policyResultSchema.nullable(),
  diff: z.array(z.object({ op: z.string(), path: z.string() }).loose()).describe('RFC 6902 JSON Patch'),
  error: z.string().optional(),
  pipeline: z.record(z.string(), z.unknown()).optional(),
});
const planSchema = z.object({
  commit: z.string().nullable(),
  items: z.array(itemSchema),
  errors: z.array(definitionErrorSchema),
});
const syncSchema = planSchema.extend({
  id: z.uuid(),
  trigger: z.string(),
  ref: z.string(),
  status: z.enum(['running', 'succeeded', 'partial', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
  counts: z.record(z.string(), z.number()),
});

const filePath = z
  .string()
  .min(1)
  .max(500)
  .refine(
    (file) =>
      !file.startsWith('/') &&
      !file.includes('\\') &&
      file.split('/').every((part) => part !== '' && part !== '..' && part !== '.'),
    'expected a relative path with / separators and no . or .. parts',
  );
export const dryRunSchema = z
  .strictObject({
    ref: z
      .string()
      .regex(GIT_REF, 'expected a branch, tag or commit')
      .optional()
      .describe('Ref of the configured repository'),
    files: z
      .record(filePath, z.string())
      .optional()
      .describe('An uploaded tree: relative path → file content (instead of a ref)'),
  })
  .refine((body) => body.ref === undefined || body.files === undefined, {
    message: 'give ref or files, not both',
    path: ['files'],
  });

export const promoteSchema = z.strictObject({
  from: z.strictObject({ application: applicationName, pipeline: pipelineName }),
  to: z.strictObject({
    application: applicationName,
    pipeline: pipelineName.optional().describe('Name in the target application; default the source name'),
  }),
  substitutions: z
    .record(z.string().min(1, 'a substitution key may not be empty').max(500), z.string().max(10_000))
    .refine((map) => Object.keys(map).length <= 200, 'at most 200 substitutions')
    .default({})
    .describe('Every occurrence of a key in any string of the pipeline is replaced by its value (longest key first)'),
  dryRun: z.boolean().default(false).describe('Check and diff without saving or auditing'),
});

/** Service callers, Fiat admins and policy admins. */
function requireOperator(caller: Caller, adminRoles: string[], what: string): void {
  if (isAdmin(caller)) return;
  if (caller.kind === 'user') {
    const roles = new Set(caller.roles.map((role) => role.toLowerCase()));
    if (adminRoles.some((role) => roles.has(role.toLowerCase()))) return;
  }
  throw new NotAllowedError(
    `${caller.kind === 'user' ? caller.user : 'the caller'} may not ${what}: it is for admins and services`,
    {
      code: 'not_pipelines_admin',
    },
  );
}

function actorOf(caller: Caller): string {
  return caller.kind === 'user' ? caller.user : caller.kind === 'service' ? `service:${caller.name}` : 'anonymous';
}

/** Pipelines-as-code routes; registered only when `pipelinesAsCode` is configured. */
export function registerPipelinesAsCodeRoutes(
  http: HttpApp,
  pac: PipelinesAsCode,
  options: {
    webhookSecret: string | undefined;
    ref: string;
    adminRoles: string[];
    writes: UserWriteBudget;
    /** Decision-log rows one pipeline's check writes. */
    rowsPerCheck: number;
  },
): void {
  /**
   * Users with a dry run of a ref fetching or waiting: git runs one fetch at a time for everyone, syncs
   * included, so a user's queued fetches would delay every other user's and the syncs (each may take up to
   * pipelinesAsCode.git.timeoutMs); a user gets one at a time.
   */
  const usersFetching = new Set<string>();
  const fetchFor = async (caller: Caller, ref: string | undefined) => {
    const user = caller.kind === 'user' ? caller.user : undefined;
    const key = user?.toLowerCase();
    if (key !== undefined) {
      if (usersFetching.has(key))
        throw new CallerLimitError(
          `${user} already has a dry run of a ref fetching: the repository is fetched one ref at a time for everyone, so each user gets one at a time`,
        );
      usersFetching.add(key);
    }
    try {
      return await pac.fetch(ref);
    } catch (error) {
      if (!(error instanceof UnknownRefError)) throw error;
      throw new InputError(error.message, { code: error.code, issues: [{ path: 'body.ref', message: error.message }] });
    } finally {
      if (key !== undefined) usersFetching.delete(key);
    }
  };
  http.route(
    {
      method: 'post',
      path: '/api/v1/pipelines-as-code/webhook',
      summary:
        'Push webhook of GitHub, GitLab or Bitbucket: verifies the secret/signature, then queues a sync when the configured ref moved',
      tags: ['pipelines-as-code'],
      auth: 'public',
      rawBody: true,
      responses: {
        202: { description: 'a sync of the configured ref is queued' },
        200: { description: 'verified but ignored (another ref or event); the reason is in the body' },
        400: { description: 'not a known webhook, or a body that is not JSON' },
        401: { description: 'signature or token missing or wrong' },
        404: { description: 'no webhook secret configured' },
      },
    },
    async ({ req, rawBody, log }) => {
      if (!options.webhookSecret)
        throw new NotFoundError('the webhook is off: pipelinesAsCode.webhookSecret is not configured', {
          code: 'webhook_not_configured',
        });
      const event = readWebhook(req.headers, rawBody ?? '', options.webhookSecret);
      if (event.kind === 'ignored') return { status: 200, body: { queued: false, reason: event.reason } };
      if (!event.refs.some((ref) => refMatches(ref, options.ref)))
        return {
          status: 200,
          body: { queued: false, reason: `the push moved ${event.refs.join(', ') || 'no ref'}, not ${options.ref}` },
        };
      await pac.request(`webhook:${event.provider}`);
      void pac.kick().catch((error: unknown) => log.warn({ err: error }, 'pipelines sync failed'));
      return { status: 202, body: { queued: true, commit: event.commit } };
    },
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/pipelines-as-code/dry-run',
      summary:
        'For CI: renders a ref of the repository or an uploaded tree, checks every pipeline with the static policies and diffs it against Spinnaker; saves nothing',
      tags: ['pipelines-as-code'],
      auth: 'service-or-user',
      body: dryRunSchema,
      responses: {
        200: {
          description: 'rendered pipelines, their diffs and policy results, and the definition errors',
          schema: planSchema,
        },
        400: {
          description:
            'the body is malformed, the repository has no such ref (field body.ref), or the ref holds more than a pipelinesAsCode.limits key allows (named: maxRepositoryBytes, maxTreeEntries, maxTotalBytes)',
        },
        403: { description: 'a user who may not READ an application of the tree' },
        429: {
          description: `${WRITE_LIMIT_RESPONSE.description}, or the user already has a dry run of a ref fetching`,
        },
        503: { description: 'Gate or git failed (named)' },
      },
    },
    async ({ body, caller }) => {
      const tree = body.files
        ? { commit: null, files: new Map(Object.entries(body.files)), errors: [] }
        : await fetchFor(caller, body.ref);
      const rendered = pac.render(tree);
      if (caller.kind === 'user') {
        const { pipelines } = rendered;
        // A user sees diffs only of applications they may read.
        if (!isAdmin(caller))
          for (const application of new Set(pipelines.map((pipeline) => pipeline.application)))
            if (!canAccessApplication(caller, application, 'READ'))
              throw new NotAllowedError(
                `${caller.user} may not READ application ${application}, which the tree defines`,
                { code: 'application_not_readable' },
              );
        // Every pipeline's check is logged: the whole tree is paid for before the first.
        await options.writes.spend(caller, pipelines.length * options.rowsPerCheck);
      }
      return {
        status: 200,
        body: await pac.dryRun(tree, caller.kind === 'user' ? caller.user : undefined, rendered),
      };
    },
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/pipelines-as-code/syncs',
      summary: 'Queues a sync of the configured ref now (admin or service)',
      tags: ['pipelines-as-code'],
      auth: 'service-or-user',
      responses: {
        202: { description: 'queued' },
        403: { description: 'not an admin' },
        429: WRITE_LIMIT_RESPONSE,
      },
    },
    async ({ caller, log }) => {
      requireOperator(caller, options.adminRoles, 'start a pipelines sync');
      await options.writes.spend(caller);
      await pac.request(`manual:${actorOf(caller)}`);
      void pac.kick().catch((error: unknown) => log.warn({ err: error }, 'pipelines sync failed'));
      return { status: 202, body: { queued: true } };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/pipelines-as-code/syncs',
      summary: 'Stored syncs, newest first: commit, status, and per pipeline the outcome, policy result and diff',
      tags: ['pipelines-as-code'],
      auth: 'service-or-user',
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(100).default(20),
        before: z.uuid().optional().describe('Id of the last sync of the previous page'),
      }),
      responses: { 200: { description: 'syncs', schema: z.object({ syncs: z.array(syncSchema) }) } },
    },
    async ({ query, caller }) => {
      requireOperator(caller, options.adminRoles, 'read pipelines syncs');
      return { status: 200, body: { syncs: await pac.syncs(query.limit, query.before) } };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/pipelines-as-code/syncs/:id',
      summary: 'One stored sync',
      tags: ['pipelines-as-code'],
      auth: 'service-or-user',
      params: z.object({ id: z.uuid() }),
      responses: { 200: { description: 'the sync', schema: syncSchema }, 404: { description: 'no such sync' } },
    },
    async ({ params, caller }) => {
      requireOperator(caller, options.adminRoles, 'read pipelines syncs');
      const sync = await pac.sync(params.id);
      if (!sync) throw new NotFoundError(`pipelines sync ${params.id} does not exist`, { code: 'sync_not_found' });
      return { status: 200, body: sync };
    },
  );
}

/** `POST /api/v1/pipelines/promote`; needs Gate. */
export function registerPromotionRoute(
  http: HttpApp,
  dependencies: {
    gate: GateClient | undefined;
    policy: Pick<PolicyService, 'pipelineCheck' | 'rowsPerPipelineCheck'>;
    audit: AuditStore;
    writes: UserWriteBudget;
  },
): void {
  http.route(
    {
      method: 'post',
      path: '/api/v1/pipelines/promote',
      summary:
        'Copies a pipeline to another application or name with substitutions, checks it with the static policies, saves it through Gate and audits it',
      tags: ['pipelines-as-code'],
      auth: 'service-or-user',
      body: promoteSchema,
      responses: {
        200: { description: 'promoted (or, with dryRun, what would be saved): pipeline, diff, policy result' },
        403: { description: 'the user may not READ the source or WRITE the target application' },
        404: { description: 'no such source pipeline' },
        409: { description: 'the target changed in Spinnaker while it was being promoted' },
        422: { description: 'the static policies deny the promoted pipeline; the reasons are in `denies`' },
        429: WRITE_LIMIT_RESPONSE,
        503: { description: 'Gate failed or is not configured' },
      },
    },
    async ({ body, caller }) => {
      if (!canAccessApplication(caller, body.from.application, 'READ'))
        throw new NotAllowedError(`${actorOf(caller)} may not READ application ${body.from.application}`, {
          code: 'application_not_readable',
        });
      if (!canAccessApplication(caller, body.to.application, 'WRITE'))
        throw new NotAllowedError(`${actorOf(caller)} may not WRITE application ${body.to.application}`, {
          code: 'application_not_writable',
        });
      if (!dependencies.gate)
        throw new UnavailableError('gate.url is not configured: sapor cannot read or save pipelines', {
          code: 'gate_not_configured',
        });
      // Its check's decision-log rows, and its audit record unless it is a dry run.
      await dependencies.writes.spend(caller, dependencies.policy.rowsPerPipelineCheck + (body.dryRun ? 0 : 1));
      const result = await promotePipeline(
        { gate: dependencies.gate, policy: dependencies.policy, audit: dependencies.audit },
        body,
        actorOf(caller),
        caller.kind === 'user' ? caller.user : undefined,
      );
      if (result.status !== 'denied') return { status: 200, body: result };
      return {
        status: 422,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'urn:isd:problem:promotion_denied',
          title: 'Unprocessable Entity',
          status: 422,
          detail: `the static policies deny the promoted pipeline: ${result.policy.messages.join('; ')}`,
          denies: result.policy.denies,
          decisionId: result.policy.decisionId,
          action: result.action,
          pipeline: result.pipeline,
          diff: result.diff,
          unusedSubstitutions: result.unusedSubstitutions,
        }),
      };
    },
  );
}
