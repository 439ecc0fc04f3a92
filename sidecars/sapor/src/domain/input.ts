// The policy input is built here, by the server, from records it trusts; authors reach only `params`.
import { NumberText } from '@isd/rego';

/** Version of the input document; policies can check it, and the JSON Schema file carries the same id. */
export const POLICY_INPUT_SCHEMA_ID = 'https://isd.dev/schemas/sapor/policy-input/v1.json';

/** The gate payload fields Orca fills from SpEL over its own state (trusted: it comes with the service token). */
export interface TrustedGateFields {
  application: string;
  pipelineName: string | null;
  pipelineId: string | null;
  executionId: string;
  stageId: string;
  triggeredBy: string | null;
}

/** The runtime policy input (see `schemas/policy-input.v1.json`). */
export interface RuntimePolicyInput {
  schema: string;
  kind: 'runtime';
  application: string;
  pipeline: { id: string | null; name: string | null };
  executionId: string;
  stage: Record<string, unknown> & { id: string };
  trigger: Record<string, unknown> & { user: string | null };
  user: { username: string | null };
  execution: Record<string, unknown> | null;
  stages: Record<string, unknown>[];
  params: Record<string, unknown>;
}

/** The save-time input: Armory's `pipeline` and OpsMx's `new`/`current` in one document. */
export interface StaticPolicyInput {
  schema: string;
  kind: 'static';
  pipeline: unknown;
  new: unknown;
  current: unknown;
}

// Keys whose values are credentials: never handed to a policy (a token in stage context is common:
// `customHeaders` of preconfigured webhooks carry the service token).
const SECRET_KEY = /^(customHeaders|sensitiveHeaders|headers|authorization|cookie|credentials?)$/;
// Names that end like a credential, compared without case, `_`, `-` or `.`: trigger parameters and job
// parameters are named like environment variables (GITHUB_TOKEN, DB_PASSWORD, AWS_SECRET_ACCESS_KEY, x-api-key).
// A name only starting so (secretName, tokenizer) is a reference or a setting, and is kept.
const SECRET_ENDING =
  /(password|passwd|passphrase|secret|secrets|token|tokens|apikey|apikeys|privatekey|secretkey|secretaccesskey)$/;
const isSecretKey = (key: string) =>
  SECRET_KEY.test(key) || SECRET_ENDING.test(key.toLowerCase().replace(/[-_.]/g, ''));
const MAX_DEPTH = 64;

/** A Kubernetes Secret manifest (a deploy stage's or a pipeline's): its data is dropped, the rest kept. */
const isSecretManifest = (value: Record<string, unknown>) =>
  value.kind === 'Secret' && typeof value.apiVersion === 'string' && /^v1$/.test(value.apiVersion);
const SECRET_MANIFEST_DATA = new Set(['data', 'stringData']);

/**
 * Deep copy without secret-looking keys, the data of Kubernetes Secret manifests, prototype-polluting keys,
 * and anything nested deeper than 64.
 */
export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item, depth + 1));
  // A number kept as its text (NumberText) is a leaf, as any number.
  if (value && typeof value === 'object' && !(value instanceof NumberText)) {
    const source = value as Record<string, unknown>;
    const secretManifest = isSecretManifest(source);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(source)) {
      if (isSecretKey(key) || key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
      if (secretManifest && SECRET_MANIFEST_DATA.has(key)) continue;
      Object.defineProperty(out, key, {
        value: withoutSecrets(item, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof NumberText)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * Builds the runtime input. Top-level facts come from the trusted payload fields and from the execution
 * Gate returned (itself Orca's record); `params` (author-supplied) sits only under `input.params`, so a
 * pipeline cannot set `input.verification.score` or override `application`.
 */
export function buildRuntimeInput(
  fields: TrustedGateFields,
  execution: Record<string, unknown> | null,
  params: unknown,
): RuntimePolicyInput {
  const cleanExecution = execution ? record(withoutSecrets(execution)) : null;
  const stages = Array.isArray(cleanExecution?.stages) ? (cleanExecution.stages as unknown[]).map(record) : [];
  const stage = stages.find((candidate) => candidate.id === fields.stageId) ?? {};
  const executionTrigger = record(cleanExecution?.trigger);
  return {
    schema: POLICY_INPUT_SCHEMA_ID,
    kind: 'runtime',
    application: fields.application,
    pipeline: { id: fields.pipelineId, name: fields.pipelineName },
    executionId: fields.executionId,
    stage: { ...stage, id: fields.stageId },
    trigger: { ...executionTrigger, user: fields.triggeredBy },
    user: { username: fields.triggeredBy },
    execution: cleanExecution,
    stages,
    params: record(withoutSecrets(params ?? {})),
  };
}

/** Builds the save-time input from a pipeline config and, for diffs, the saved one. */
export function buildStaticInput(pipeline: unknown, current: unknown): StaticPolicyInput {
  const clean = withoutSecrets(pipeline);
  return {
    schema: POLICY_INPUT_SCHEMA_ID,
    kind: 'static',
    pipeline: clean,
    new: clean,
    current: current === undefined ? null : withoutSecrets(current),
  };
}
