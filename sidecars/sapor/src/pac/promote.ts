// Promotion: copy a pipeline from one application (or environment) to another with string
// substitutions (accounts, namespaces, anything), check it with the static policies, save it through
// Gate and audit it with the actor. A denied promotion is refused with the policy's reasons and audited too.
import { randomUUID } from 'node:crypto';
import { ConflictError, InputError, NotFoundError, type IsdError } from '@isd/kit';
import { compare, type Operation } from 'fast-json-patch';
import type { AuditStore } from '../audit/audit-store';
import type { GateClient } from '../gate-client';
import type { PipelineCheckResult, PolicyService } from '../policy-service';
import { SERVER_FIELDS } from './render';
import { desiredPipeline, findByName } from './sync';

type Json = Record<string, unknown>;

export interface PromotionRequest {
  from: { application: string; pipeline: string };
  to: { application: string; pipeline?: string };
  substitutions: Record<string, string>;
  dryRun: boolean;
}

export interface PromotionResult {
  status: 'promoted' | 'would-promote' | 'denied';
  action: 'create' | 'update' | 'unchanged';
  pipeline: Json;
  diff: Operation[];
  policy: Pick<PipelineCheckResult, 'status' | 'messages' | 'denies' | 'decisionId'>;
  /** Substitution keys found nowhere in the source pipeline (likely a typo). */
  unusedSubstitutions: string[];
}

/** Replaces every key of `substitutions` in every string of `value`, longest key first, in one pass. */
export function substitute(value: unknown, substitutions: Record<string, string>, used: Set<string>): unknown {
  const keys = Object.keys(substitutions).sort((a, b) => b.length - a.length);
  if (!keys.length) return value;
  const pattern = new RegExp(keys.map((key) => key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string')
      return node.replace(pattern, (match) => {
        used.add(match);
        return substitutions[match]!;
      });
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object')
      return Object.fromEntries(Object.entries(node as Json).map(([key, item]) => [key, walk(item)]));
    return node;
  };
  return walk(value);
}

/**
 * Promotes one pipeline; throws an ISD error for what the caller must fix. `user` is the Gate user asking
 * (absent for the service), whose evaluation lane the policy check waits in.
 */
export async function promotePipeline(
  dependencies: { gate: GateClient; policy: Pick<PolicyService, 'pipelineCheck'>; audit: AuditStore },
  request: PromotionRequest,
  actor: string,
  user?: string,
): Promise<PromotionResult> {
  const { gate, policy, audit } = dependencies;
  const targetName = request.to.pipeline ?? request.from.pipeline;
  if (
    request.from.application.toLowerCase() === request.to.application.toLowerCase() &&
    request.from.pipeline.toLowerCase() === targetName.toLowerCase()
  )
    throw new InputError('to: the target is the source pipeline; name another application or pipeline', {
      code: 'promotion_same_pipeline',
      issues: [{ path: 'to', message: 'same application and pipeline as from' }],
    });
  const source = findByName(await gate.pipelineConfigs(request.from.application), request.from.pipeline);
  if (!source)
    throw new NotFoundError(`application ${request.from.application} has no pipeline ${request.from.pipeline}`, {
      code: 'promotion_source_not_found',
    });

  const used = new Set<string>();
  const copied = substitute(source, request.substitutions, used) as Json;
  for (const field of [...SERVER_FIELDS, 'index']) delete copied[field];
  copied.application = request.to.application;
  copied.name = targetName;
  const current = findByName(await gate.pipelineConfigs(request.to.application), targetName);
  const pipeline = desiredPipeline(copied, current);
  const diff = compare(current ?? {}, pipeline);
  const action = !current ? 'create' : diff.length ? 'update' : 'unchanged';
  const check = await policy.pipelineCheck(pipeline, current, user);
  const result: PromotionResult = {
    status: check.status === 'deny' ? 'denied' : request.dryRun ? 'would-promote' : 'promoted',
    action,
    pipeline,
    diff,
    policy: { status: check.status, messages: check.messages, denies: check.denies, decisionId: check.decisionId },
    unusedSubstitutions: Object.keys(request.substitutions).filter((key) => !used.has(key)),
  };
  if (request.dryRun) return result;

  if (result.status === 'promoted' && action !== 'unchanged') {
    try {
      await gate.savePipeline(pipeline, { staleCheck: true });
    } catch (error) {
      if (/stale/i.test((error as Error).message))
        throw new ConflictError(
          `pipeline ${targetName} of ${request.to.application} changed while it was being promoted; try again`,
          { code: 'promotion_conflict', cause: error },
        );
      throw error as IsdError;
    }
  }
  await audit.append({
    source: 'sapor',
    key: `promotion:${randomUUID()}`,
    type: 'promotion',
    outcome: result.status,
    application: request.to.application,
    actor,
    occurredAt: new Date(),
    subject: {
      from: request.from,
      to: { application: request.to.application, pipeline: targetName },
      pipelineId: typeof pipeline.id === 'string' ? pipeline.id : null,
    },
    details: {
      action,
      changes: diff.length,
      substitutions: request.substitutions,
      decisionId: check.decisionId,
      messages: check.messages,
    },
  });
  return result;
}
