// The Argo Rollouts face of verifications (docs/argo-rollouts.md). Argo's `web` metric provider sends one
// HTTP request per measurement and reads one value out of the answer with a JSONPath, so this is a single
// create-or-get: the first measurement of a rollout revision starts its verification, every later one
// answers how it stands, in the four words an AnalysisTemplate's successCondition/failureCondition test.
import { ConflictError, InputError, type HttpApp, type Logger } from '@isd/kit';
import { z } from 'zod';
import { JUDGE_NAMES } from '../domain';
import type { VerificationRecord } from '../store/verification-store';
import type { RouteDependencies } from './routes';
import {
  scopeSchema,
  VERIFICATION_REFUSALS,
  verificationStatusSchema,
  verificationTemplateSchema,
  type CreateVerificationBody,
} from './schemas';
import { reportUrlOf } from './views';

/** Verifications started through this route are keyed under this execution-id prefix. */
export const ARGO_EXECUTION_PREFIX = 'argo-rollouts';

// Argo substitutes `{{args.x}}` as text, so numbers often arrive as strings, and an optional argument
// with no value arrives as "" (an argument cannot be null). Both are accepted here.
const emptyAsAbsent = (value: unknown) => (value === '' ? undefined : value);
const positiveInteger = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, 'must be a positive integer (milliseconds)')
    .transform(Number),
]);
const nonNegativeInteger = z.union([
  z.number().int().min(0),
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,14})$/, 'must be a non-negative integer (milliseconds)')
    .transform(Number),
]);
const percent = z.union([
  z.number().min(0).max(100),
  z
    .string()
    .regex(/^\d{1,3}(\.\d+)?$/, 'must be a number 0–100')
    .transform(Number)
    .pipe(z.number().max(100)),
]);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** `POST /api/v1/argo/verifications`: what the AnalysisTemplate's web metric sends (docs/argo-rollouts.md). */
export const argoVerificationSchema = z.object({
  application: z.string().min(1).max(256).describe('Spinnaker application the verification belongs to'),
  rollout: z
    .strictObject({
      namespace: z.string().regex(DNS_LABEL, 'must be a Kubernetes namespace name'),
      name: z.string().regex(DNS_SUBDOMAIN, 'must be a Kubernetes object name'),
      revision: z
        .string()
        .regex(
          /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
          "the rollout revision: its rollout.argoproj.io/revision annotation or the canary's pod-template-hash",
        ),
    })
    .describe('The rollout revision under verification: the idempotency key'),
  analysis: z
    .preprocess(
      emptyAsAbsent,
      z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, `.`, `_` or `-`')
        .optional(),
    )
    .describe('Which verification of the revision (e.g. a step name), when one revision is verified more than once'),
  template: verificationTemplateSchema.describe(
    '{name, version?} of a stored template, or an inline template ({name?, metrics, ...})',
  ),
  baseline: scopeSchema,
  canary: scopeSchema,
  startTime: z
    .preprocess(emptyAsAbsent, z.iso.datetime({ offset: true }).optional())
    .describe('Start of the analysis; absent or "" = when the first measurement arrives'),
  lifetimeMs: positiveInteger.describe('Total length of the analysis'),
  intervalMs: z.preprocess(emptyAsAbsent, positiveInteger.optional()).describe('One scored interval; absent = one'),
  lookbackMs: z.preprocess(emptyAsAbsent, positiveInteger.optional()).describe('Sliding windows of this length'),
  beginAfterMs: z.preprocess(emptyAsAbsent, nonNegativeInteger.optional()).describe('Warm-up before the first window'),
  thresholds: z
    .preprocess(
      emptyAsAbsent,
      z
        .strictObject({ pass: percent, marginal: percent })
        .refine((thresholds) => thresholds.marginal <= thresholds.pass, {
          message: 'marginal must not exceed pass',
          path: ['marginal'],
        })
        .optional(),
    )
    .describe('Score thresholds; absent = {pass: 80, marginal: 60}'),
  judge: z.preprocess(emptyAsAbsent, z.enum(JUDGE_NAMES).optional()).describe('Judge; absent = template or default'),
});

export type ArgoVerificationBody = z.output<typeof argoVerificationSchema>;

/** The four answers an AnalysisTemplate's conditions test. */
export const ARGO_STATUSES = ['running', 'pass', 'marginal', 'fail'] as const;

export const argoAnswerSchema = z.object({
  status: z.enum(ARGO_STATUSES).describe('error and canceled verifications answer fail: they never pass'),
  score: z.number().nullable().describe('0–100; null until the first interval is judged'),
  id: z.string().describe('The verification, as GET /api/v1/verifications/{id} shows it'),
  verificationStatus: verificationStatusSchema,
  reason: z.string().nullable().describe('Why it ended as it did (for error: the cause)'),
  reportUrl: z.string(),
});

/** Verification status → the word Argo's conditions read. */
export function argoStatus(verification: Pick<VerificationRecord, 'status'>): (typeof ARGO_STATUSES)[number] {
  switch (verification.status) {
    case 'running':
    case 'pass':
    case 'marginal':
    case 'fail':
      return verification.status;
    // A verification that could not judge (a provider down, a watchdog timeout) or was canceled has not
    // shown the canary is safe: to a rollout that is a failure, never a pass.
    default:
      return 'fail';
  }
}

/** The `{{…}}` Argo leaves when a template names an argument the run does not resolve. */
function rejectUnresolvedArguments(value: unknown, path: string): void {
  if (typeof value === 'string') {
    const match = /\{\{[^}]*\}\}/.exec(value);
    if (match)
      throw new InputError(`field ${path} holds ${match[0]}: an AnalysisTemplate argument that was not resolved`, {
        code: 'unresolved_argument',
        issues: [{ path, message: `unresolved Argo argument ${match[0]}` }],
      });
  } else if (Array.isArray(value)) value.forEach((item, index) => rejectUnresolvedArguments(item, `${path}.${index}`));
  else if (value && typeof value === 'object') {
    // Inline template queries carry `${scope}` placeholders, never Argo's braces; they are checked too.
    for (const [key, child] of Object.entries(value)) rejectUnresolvedArguments(child, `${path}.${key}`);
  }
}

/** The execution id and stage id a rollout revision's verification is stored under. */
export function argoKey(body: Pick<ArgoVerificationBody, 'rollout' | 'analysis'>): {
  executionId: string;
  stageId: string;
} {
  return {
    executionId: `${ARGO_EXECUTION_PREFIX}/${body.rollout.namespace}/${body.rollout.name}`,
    stageId: body.analysis ? `${body.rollout.revision}/${body.analysis}` : body.rollout.revision,
  };
}

/** Starts a verification, or returns the one stored under the same key (routes.ts). */
export type StartOrResume = (body: CreateVerificationBody, log: Logger) => Promise<VerificationRecord>;

/** Registers `POST /api/v1/argo/verifications`. */
export function registerArgoRoutes(http: HttpApp, deps: RouteDependencies, startOrResume: StartOrResume): void {
  http.route(
    {
      method: 'post',
      path: '/api/v1/argo/verifications',
      summary:
        'Argo Rollouts web metric: start the verification of a rollout revision, or answer how it stands (idempotent per rollout, revision and analysis)',
      tags: ['verifications'],
      auth: 'service',
      body: argoVerificationSchema,
      responses: {
        200: { description: 'the verification of this revision', schema: argoAnswerSchema },
        400: {
          description: `${VERIFICATION_REFUSALS}; a field holding \`{{…}}\` is an AnalysisTemplate argument that was not resolved`,
        },
        409: { description: 'the revision is already verified for another application' },
      },
    },
    async ({ body, log }) => {
      rejectUnresolvedArguments(body, 'body');
      const key = argoKey(body);
      const existing = await deps.verifications.getByStage(key.executionId, key.stageId);
      if (existing && existing.application.toLowerCase() !== body.application.toLowerCase())
        throw new ConflictError(
          `body.application: ${key.executionId} revision ${key.stageId} is already verified for application ${existing.application}`,
          { code: 'revision_of_other_application' },
        );
      const verification = await startOrResume(
        {
          application: body.application,
          ...key,
          template: body.template,
          baseline: body.baseline,
          canary: body.canary,
          startTime: body.startTime ?? null,
          lifetimeMs: body.lifetimeMs,
          intervalMs: body.intervalMs ?? null,
          lookbackMs: body.lookbackMs ?? null,
          beginAfterMs: body.beginAfterMs ?? null,
          thresholds: body.thresholds ?? null,
          judge: body.judge ?? null,
        },
        log,
      );
      return {
        status: 200,
        body: {
          status: argoStatus(verification),
          score: verification.score,
          id: verification.id,
          verificationStatus: verification.status,
          reason:
            verification.status === 'error' && verification.error
              ? `verification ended in error: ${verification.error}`
              : verification.reason,
          reportUrl: reportUrlOf(verification.id, deps.config.server.publicUrl),
        },
      };
    },
  );
}
