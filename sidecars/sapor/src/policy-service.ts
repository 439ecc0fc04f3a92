// What sapor does with policies: save (tested), evaluate (logged), check pipelines, decide gates.
import { randomUUID, createHash } from 'node:crypto';
import { ConflictError, InputError, NotFoundError, isIsdError, type Logger } from '@isd/kit';
import type { RegoVersion, TestResult } from '@isd/rego';
import { collectDenies, gateOutcome, type FoundDeny } from './domain/decision';
import { canonicalJson, digestOf, digestOfCanonical } from './domain/digest';
import { buildRuntimeInput, buildStaticInput, type TrustedGateFields } from './domain/input';
import { dottedPath, parseDocumentPath } from './domain/paths';
import {
  PolicyEvaluationError,
  resultData,
  type EvaluateCallOptions,
  type Evaluation,
  type PolicyEvaluator,
} from './engine/evaluator';
import type { CandidateEvaluation, JobInput } from './engine/jobs';
import type { JobCaller } from './engine/pool';
import { PolicyTestFailedError, type PolicyRegistry } from './engine/registry';
import type { AuditStore } from './audit/audit-store';
import type { GateClient } from './gate-client';
import type {
  DecisionRecord,
  PolicyGateRecord,
  PolicyModule,
  PolicyOrigin,
  PolicyStore,
  PolicyVersion,
  SaveResult,
} from './store/policy-store';

/** A request to save a policy version. */
export interface SavePolicyRequest {
  name: string;
  regoVersion?: RegoVersion;
  modules: PolicyModule[];
  description?: string | null;
  origin: PolicyOrigin;
  originRef?: string | null;
  createdBy?: string | null;
}

/** A logged evaluation. */
export interface LoggedEvaluation extends Evaluation {
  decisionId: string;
  durationMs: number;
}

/** Result of the save-time pipeline check. */
export interface PipelineCheckResult {
  status: 'allow' | 'deny';
  messages: string[];
  denies: Array<FoundDeny & { policyName: string | null; policyVersion: number | null }>;
  decisionId: string;
}

/** The gate payload after validation. */
export interface PolicyGateRequest extends TrustedGateFields {
  policy: string;
  params: Record<string, unknown> | null;
}

/** Dependencies of the policy service. */
export interface PolicyServiceOptions {
  store: PolicyStore;
  registry: PolicyRegistry;
  evaluator: PolicyEvaluator;
  gate: GateClient | undefined;
  defaultRegoVersion: RegoVersion;
  staticPackages: string[];
  /** What the live set may hold (policy.maxPolicies, policy.maxBundleBytes). */
  limits: { maxPolicies: number; maxBundleBytes: number };
  logger: Logger;
  /** Where gate decisions are appended to the audit trail. */
  audit?: AuditStore;
}

const SAVE_ATTEMPTS = 10;
const SAVE_BACKOFF_MS = 25;

/** Bytes of Rego source of a policy's modules. */
function sourceBytes(modules: PolicyModule[]): number {
  return modules.reduce((total, module) => total + Buffer.byteLength(module.source), 0);
}

/** Digest of a policy's content: same syntax version and modules give the same digest. */
export function policyDigest(regoVersion: RegoVersion, modules: PolicyModule[]): string {
  return `sha256:${createHash('sha256')
    .update(JSON.stringify([regoVersion, modules.map((module) => [module.name, module.source])]))
    .digest('hex')}`;
}

/** The policy service's operations, independent of HTTP. */
export class PolicyService {
  // Saves on one replica take turns, so they do not invalidate each other's validation; replicas
  // racing each other retry against the revision row.
  private saving: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: PolicyServiceOptions) {}

  /** Decision-log rows one pipeline check writes: one per static package. */
  get rowsPerPipelineCheck(): number {
    return this.options.staticPackages.length;
  }

  /** Validates (parse, compile with the live set, own tests) and saves a new version unless unchanged. */
  save(request: SavePolicyRequest): Promise<SaveResult & { tests: number }> {
    const turn = this.saving.then(() => this.saveNow(request));
    this.saving = turn.catch(() => undefined);
    return turn;
  }

  private async saveNow(request: SavePolicyRequest): Promise<SaveResult & { tests: number }> {
    const regoVersion = request.regoVersion ?? this.options.defaultRegoVersion;
    const digest = policyDigest(regoVersion, request.modules);
    for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
      const active = await this.options.store.active();
      // Unchanged content (a reload, a retried PUT) is not validated again: it was when it was saved.
      const unchanged = active.policies.find((policy) => policy.name === request.name && policy.digest === digest);
      if (unchanged) return { version: unchanged, created: false, tests: 0 };
      this.checkLimits(request, active.policies);
      const { packages, tests } = await this.options.registry.validate(
        { name: request.name, regoVersion, modules: request.modules },
        active.policies,
      );
      const saved = await this.options.store.save(
        {
          name: request.name,
          regoVersion,
          modules: request.modules,
          packages,
          digest,
          description: request.description ?? null,
          origin: request.origin,
          originRef: request.originRef ?? null,
          createdBy: request.createdBy ?? null,
        },
        active.revision,
      );
      if (saved !== 'stale') {
        if (saved.created)
          this.options.logger.info(
            { policy: request.name, version: saved.version.version, origin: request.origin },
            'policy saved',
          );
        return { ...saved, tests: tests.length };
      }
      await new Promise((resolve) => setTimeout(resolve, SAVE_BACKOFF_MS * attempt * Math.random()));
    }
    throw new ConflictError(
      `policy ${request.name} was not saved: the policy set kept changing while it was validated; retry`,
      { code: 'policy_set_busy' },
    );
  }

  /** Refuses a save after which the live set would hold more policies or Rego than allowed. */
  private checkLimits(request: SavePolicyRequest, live: PolicyVersion[]): void {
    const { maxPolicies, maxBundleBytes } = this.options.limits;
    const others = live.filter((policy) => policy.name !== request.name);
    if (others.length >= maxPolicies)
      throw new InputError(
        `policy ${request.name} would be live policy ${others.length + 1}; policy.maxPolicies allows ${maxPolicies} (delete one first)`,
        { code: 'policy_limit', issues: [{ path: 'path.name', message: `at most ${maxPolicies} live policies` }] },
      );
    const bytes = others.reduce((total, policy) => total + sourceBytes(policy.modules), sourceBytes(request.modules));
    if (bytes > maxBundleBytes)
      throw new InputError(
        `with policy ${request.name} the live policies would hold ${bytes} bytes of Rego, more than policy.maxBundleBytes (${maxBundleBytes})`,
        {
          code: 'policy_bundle_too_large',
          issues: [{ path: 'body.modules', message: `the live policies may hold at most ${maxBundleBytes} bytes` }],
        },
      );
  }

  /**
   * Checks a policy as a save would (parse, compile with the live set, run its tests) without saving it;
   * failing tests are returned, not thrown, so an editor can show them all. `caller` is the user who asks
   * (any reader may): their check runs in their own evaluation lane, never in the service's.
   */
  async check(
    request: Pick<SavePolicyRequest, 'name' | 'regoVersion' | 'modules'>,
    evaluate?: { document?: string; input: JobInput },
    caller?: JobCaller,
  ): Promise<{ packages: string[]; tests: TestResult[]; evaluation?: CandidateEvaluation }> {
    const active = await this.options.store.active();
    const candidate = {
      name: request.name,
      regoVersion: request.regoVersion ?? this.options.defaultRegoVersion,
      modules: request.modules,
    };
    try {
      return await this.options.registry.validate(candidate, active.policies, evaluate, caller);
    } catch (error) {
      if (error instanceof PolicyTestFailedError)
        return {
          packages: error.packages,
          tests: error.tests,
          ...(error.evaluation ? { evaluation: error.evaluation } : {}),
        };
      throw error;
    }
  }

  /** Deletes a policy (its versions stay readable). */
  remove(name: string): Promise<void> {
    const turn = this.saving.then(() => this.removeNow(name));
    this.saving = turn.catch(() => undefined);
    return turn;
  }

  private async removeNow(name: string): Promise<void> {
    for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
      const revision = await this.options.store.revision();
      const removed = await this.options.store.remove(name, revision);
      if (removed === 'stale') continue;
      if (!removed) throw new NotFoundError(`policy ${name} does not exist`, { code: 'policy_not_found' });
      this.options.logger.info({ policy: name }, 'policy deleted');
      return;
    }
    throw new ConflictError(`policy ${name} was not deleted: the policy set kept changing; retry`, {
      code: 'policy_set_busy',
    });
  }

  /** Evaluates a document and writes the decision log; engine errors are logged and rethrown. */
  async evaluate(
    source: DecisionRecord['source'],
    segments: string[],
    input: unknown,
    options: EvaluateCallOptions = {},
  ): Promise<LoggedEvaluation> {
    const decisionId = randomUUID();
    const started = process.hrtime.bigint();
    const path = dottedPath(segments);
    // The canonical text is digested and, unless the client's own text is at hand, evaluated: one walk of
    // the input, whose numbers keep their texts in it.
    const canonical = canonicalJson(input);
    const inputDigest = digestOfCanonical(canonical);
    const inputText = options.inputText ?? (input === undefined ? undefined : { text: canonical });
    try {
      const evaluation = await this.options.evaluator.evaluate(segments, input, {
        ...options,
        ...(inputText ? { inputText } : {}),
      });
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      await this.options.store.logDecision({
        decisionId,
        source,
        path,
        engine: evaluation.engine,
        policies: evaluation.policies,
        revision: evaluation.revision,
        inputDigest,
        outcome: evaluation.result === undefined ? 'undefined' : 'defined',
        result: evaluation.result,
        error: evaluation.warnings.length ? evaluation.warnings.join('; ') : null,
        durationMs,
      });
      return { ...evaluation, decisionId, durationMs };
    } catch (caught) {
      // A full evaluation queue (or lane) is the service's state, not the input's fault: 503, retry later.
      const unavailable = isIsdError(caught) && caught.category === 'UnavailableError';
      const error =
        caught instanceof PolicyEvaluationError
          ? caught
          : new PolicyEvaluationError(
              `evaluating ${path} failed: ${(caught as Error).message}`,
              unavailable ? 'opa_unavailable' : 'eval_error',
              caught,
            );
      error.decisionId = decisionId;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      await this.options.store.logDecision({
        decisionId,
        source,
        path,
        engine: this.options.evaluator.kind,
        policies: [],
        revision: null,
        inputDigest,
        outcome: 'error',
        result: undefined,
        error: (error as Error).message,
        durationMs,
      });
      throw error;
    }
  }

  /** The save-time check: every `deny` under the static packages, for `{new, current}`, asked by `caller` (a user). */
  async pipelineCheck(pipeline: unknown, current: unknown, caller?: string): Promise<PipelineCheckResult> {
    const input = buildStaticInput(pipeline, current);
    const denies: PipelineCheckResult['denies'] = [];
    let decisionId = '';
    // One decision id for the check: the first evaluation's; the others are logged under their own ids.
    for (const packageName of this.options.staticPackages) {
      const segments = packageName.split('.');
      const evaluation = await this.evaluate('pipeline-check', segments, input, { caller });
      decisionId ||= evaluation.decisionId;
      for (const deny of collectDenies(resultData(evaluation.result), `data.${packageName}`)) {
        const owner = await this.ownerOf(deny.packagePath);
        denies.push({ ...deny, policyName: owner?.name ?? null, policyVersion: owner?.version ?? null });
      }
    }
    return {
      status: denies.length ? 'deny' : 'allow',
      messages: denies.map((deny) => deny.message),
      denies,
      decisionId,
    };
  }

  private async ownerOf(packagePath: string): Promise<PolicyVersion | undefined> {
    const bundle = this.options.evaluator.kind === 'builtin' ? await this.options.registry.bundle() : undefined;
    const name = packagePath.replace(/^data\./, '');
    return bundle?.policies.find((policy) => policy.packages.includes(name));
  }

  /**
   * Decides a runtime gate once per (executionId, stageId): builds the input on the server, evaluates,
   * stores the decision. Undefined, engine errors and an unreadable execution all deny.
   */
  async decideGate(request: PolicyGateRequest): Promise<{ gate: PolicyGateRecord; created: boolean }> {
    const existing = await this.options.store.gateFor(request.executionId, request.stageId);
    // A repeated call also repairs an audit append that failed after the decision was stored.
    if (existing) {
      await this.auditGate(existing);
      return { gate: existing, created: false };
    }
    const decided = await this.decideNewGate(request);
    await this.auditGate(decided.gate);
    return decided;
  }

  /** Appends a gate decision (idempotent on the gate id) with the policy version and input digest. */
  private async auditGate(gate: PolicyGateRecord): Promise<void> {
    if (!this.options.audit) return;
    await this.options.audit.append({
      source: 'sapor',
      key: `policy-gate:${gate.id}`,
      type: 'policy',
      outcome: gate.status,
      application: gate.application,
      actor: 'sapor',
      occurredAt: new Date(gate.createdAt),
      subject: {
        kind: 'policy-gate',
        gateId: gate.id,
        executionId: gate.executionId,
        stageId: gate.stageId,
        pipelineName: gate.pipelineName,
        pipelineId: gate.pipelineId,
        triggeredBy: gate.triggeredBy,
      },
      details: {
        policyPath: gate.policyPath,
        policyName: gate.policyName,
        policyVersion: gate.policyVersion,
        inputDigest: gate.inputDigest,
        decisionId: gate.decisionId,
        messages: gate.messages,
      },
    });
  }

  private async decideNewGate(request: PolicyGateRequest): Promise<{ gate: PolicyGateRecord; created: boolean }> {
    const segments = parseDocumentPath(request.policy, 'body.policy');
    const name = dottedPath(segments);
    let status: 'allow' | 'deny' = 'deny';
    let messages: string[] = [];
    let decisionId: string = randomUUID();
    let inputDigest = digestOf(null);
    let owner: { name: string; version: number } | undefined;
    let input: unknown;
    try {
      let execution: Record<string, unknown> | null = null;
      if (this.options.gate) {
        execution = await this.options.gate.execution(request.executionId);
        if (execution.application !== undefined && execution.application !== request.application) {
          throw new Error(
            `execution ${request.executionId} belongs to application ${String(execution.application)}, not ${request.application}`,
          );
        }
      }
      input = buildRuntimeInput(request, execution, request.params);
      inputDigest = digestOf(input);
      const evaluation = await this.evaluate('policy-gate', segments, input);
      decisionId = evaluation.decisionId;
      owner = evaluation.policies[0];
      const outcome = gateOutcome(resultData(evaluation.result), name);
      status = outcome.status;
      messages = outcome.messages;
      if (evaluation.result === undefined && evaluation.warnings.length)
        messages.push(...evaluation.warnings.map((warning) => `engine: ${warning}`));
    } catch (error) {
      // Fail closed: whatever went wrong is the reason shown in the stage.
      status = 'deny';
      messages = [`policy ${name} could not be evaluated: ${(error as Error).message}`];
      if (error instanceof PolicyEvaluationError && error.decisionId) decisionId = error.decisionId;
      else this.options.logger.warn({ err: error, executionId: request.executionId }, 'policy gate input failed');
    }
    return this.options.store.insertGate(
      {
        id: randomUUID(),
        executionId: request.executionId,
        stageId: request.stageId,
        application: request.application,
        pipelineName: request.pipelineName,
        pipelineId: request.pipelineId,
        triggeredBy: request.triggeredBy,
        policyPath: name,
        status,
        messages,
        policyName: owner?.name ?? null,
        policyVersion: owner?.version ?? null,
        decisionId,
        inputDigest,
      },
      input,
    );
  }
}
