// Turns stored records into API bodies.
import type { Reply } from '@isd/kit';
import { stringifyJSON } from '@isd/rego';
import type { PolicyGateRecord, PolicyVersion } from '../store/policy-store';

/**
 * A JSON answer carrying a policy's values (a RawJSON result, NumberText numbers), written with their
 * numbers' texts as OPA answers them; the kit's JSON.stringify would round them or fail on them.
 */
export function exactJsonReply(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body: stringifyJSON(body), contentType: 'application/json', ...(headers ? { headers } : {}) };
}

/** A policy version for the API; sources only when asked. */
export function presentPolicy(policy: PolicyVersion, withSources: boolean) {
  const { modules, ...rest } = policy;
  return withSources ? { ...rest, modules } : rest;
}

/** A gate decision as Orca's monitor (and Deck) read it. */
export function presentGate(gate: PolicyGateRecord) {
  return {
    id: gate.id,
    status: gate.status,
    messages: gate.messages,
    policy: { path: gate.policyPath, name: gate.policyName, version: gate.policyVersion },
    policyName: gate.policyName,
    policyVersion: gate.policyVersion,
    decisionId: gate.decisionId,
    application: gate.application,
    pipelineName: gate.pipelineName,
    executionId: gate.executionId,
    stageId: gate.stageId,
    triggeredBy: gate.triggeredBy,
    inputDigest: gate.inputDigest,
    createdAt: gate.createdAt,
  };
}
