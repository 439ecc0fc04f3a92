// Turns stored records into API bodies.
import type { PolicyGateRecord, PolicyVersion } from '../store/policy-store';

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
