// Evaluates a document either with the built-in Rego engine or by asking an external OPA.
import { IsdError, OutboundError, outboundRequest, type OutboundResponse, withoutNulEscapes } from '@isd/kit';
import { parseJSONText, RawJSON, RegoObject, stringifyJSON, toJSONText, valueToExactJSON, type Value } from '@isd/rego';
import { documentRef, dottedPath } from '../domain/paths';
import type { PolicyRegistry } from './registry';
import { policiesFor, regoErrorMessage } from './registry';
import type { InputText } from './jobs';

/** Which engine answered. */
export type EngineKind = 'builtin' | 'opa';

/** The answer for one document. */
export interface Evaluation {
  /**
   * The document's value as JSON text, each number written as the engine holds it (`1.0`, 30 digits,
   * `1e400`), as OPA answers; undefined when the document is undefined. resultData reads it.
   */
  result: RawJSON | undefined;
  engine: EngineKind;
  /** Live policies defining the document, most specific first (empty with the opa engine). */
  policies: Array<{ name: string; version: number }>;
  revision: number | null;
  /** Builtin errors met on the way (non-strict evaluation treats the failing call as undefined). */
  warnings: string[];
}

/** The policy could not be evaluated (engine error, budget, unreachable OPA); `code` says which. */
export class PolicyEvaluationError extends IsdError {
  /** The decision log entry of the failed evaluation, once logged. */
  decisionId: string | undefined;

  constructor(
    message: string,
    readonly engineCode: string,
    cause?: unknown,
  ) {
    super(engineCode === 'opa_unavailable' ? 'UnavailableError' : 'InputError', message, {
      code: engineCode === 'eval_budget_exceeded' ? 'policy_budget_exceeded' : 'policy_evaluation_failed',
      cause,
    });
  }
}

/** The configuration key that sets each engine budget, named in budget errors. */
const budgetKeys: Record<string, string> = {
  steps: 'policy.maxSteps',
  time: 'policy.timeoutMs / policy.workers.deadlineMs',
  memory: 'policy.maxMemoryBytes / policy.workers.maxOldGenerationMb',
};

/**
 * Per-call options: OPA's `strict-builtin-errors` makes a failing builtin call an error, not undefined;
 * `caller` is the user the evaluation is for (their evaluations share one lane of the worker pool);
 * `inputText` is the input as the client's JSON text, which the evaluation reads instead of the parsed
 * input so that numbers keep their text (`1.0`, 30-digit integers), as OPA reads them (decision 177).
 */
export interface EvaluateCallOptions {
  strictBuiltinErrors?: boolean;
  caller?: string;
  inputText?: InputText;
}

/** Something that evaluates `data.<segments>` for an input. */
export interface PolicyEvaluator {
  readonly kind: EngineKind;
  evaluate(segments: string[], input: unknown, options?: EvaluateCallOptions): Promise<Evaluation>;
}

/** Evaluates with @isd/rego over the live policies, compiled once per version set. */
export class BuiltinEvaluator implements PolicyEvaluator {
  readonly kind = 'builtin' as const;

  constructor(private readonly registry: PolicyRegistry) {}

  async evaluate(segments: string[], input: unknown, options: EvaluateCallOptions = {}): Promise<Evaluation> {
    let bundle;
    try {
      bundle = await this.registry.bundle();
    } catch (error) {
      throw new PolicyEvaluationError(
        `the policy set could not be loaded: ${regoErrorMessage(error)}`,
        'opa_unavailable',
        error,
      );
    }
    const policies = policiesFor(segments, bundle.policies).map((policy) => ({
      name: policy.name,
      version: policy.version,
    }));
    if (bundle.policies.length === 0)
      return { result: undefined, engine: 'builtin', policies, revision: bundle.revision, warnings: [] };
    try {
      const { result, warnings } = await this.registry.evaluate(
        bundle,
        documentRef(segments),
        // Text, not the value: a NumberText of the input would not survive the copy to the worker.
        options.inputText ?? (input === undefined ? { value: undefined } : { text: stringifyJSON(input) }),
        options.strictBuiltinErrors,
        options.caller,
      );
      return {
        result: result === undefined ? undefined : new RawJSON(result),
        engine: 'builtin',
        policies,
        revision: bundle.revision,
        warnings,
      };
    } catch (error) {
      if (error instanceof IsdError) throw error;
      const fields = error as { code?: string; limit?: string };
      const code = fields.code === 'bundle_compile_error' ? 'opa_unavailable' : (fields.code ?? 'eval_error');
      const limit = fields.limit && budgetKeys[fields.limit] ? ` (limit: ${budgetKeys[fields.limit]})` : '';
      throw new PolicyEvaluationError(
        `evaluating ${dottedPath(segments)} failed: ${regoErrorMessage(error)}${limit}`,
        code,
        error,
      );
    }
  }
}

/** Options of the external OPA backend. */
export interface OpaBackendOptions {
  url: string;
  token?: string;
  timeoutMs: number;
  maxResponseBytes?: number;
}

/** Sends the same input to an external OPA's `POST /v1/data/{path}` and reads `result`. */
export class OpaEvaluator implements PolicyEvaluator {
  readonly kind = 'opa' as const;

  constructor(private readonly options: OpaBackendOptions) {}

  async evaluate(segments: string[], input: unknown, options: EvaluateCallOptions = {}): Promise<Evaluation> {
    const maxResponseBytes = this.options.maxResponseBytes ?? 8 * 1024 * 1024;
    let response: OutboundResponse;
    try {
      response = await outboundRequest({
        base: this.options.url,
        path: `v1/data/${segments.map((segment) => encodeURIComponent(segment)).join('/')}${
          options.strictBuiltinErrors ? '?strict-builtin-errors=true' : ''
        }`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
        },
        body: opaRequestBody(input, options.inputText),
        timeoutMs: this.options.timeoutMs,
        maxResponseBytes,
      });
    } catch (error) {
      if (error instanceof OutboundError && error.code === 'too_large')
        throw new PolicyEvaluationError(`external OPA answered more than ${maxResponseBytes} bytes`, 'opa_unavailable');
      throw new PolicyEvaluationError(
        `external OPA at ${this.options.url} is unreachable: ${regoErrorMessage(error)}`,
        'opa_unavailable',
        error,
      );
    }
    const text = response.text;
    // Read with the numbers' texts, so OPA's `1.0` or 30 digits are answered as OPA wrote them.
    let body: Value;
    try {
      // A NUL in OPA's answer could not be stored in the decision log (a lone surrogate reads as U+FFFD already).
      body = parseJSONText(withoutNulEscapes(text));
    } catch (error) {
      throw new PolicyEvaluationError(
        `external OPA answered ${response.status} with a body that is not JSON`,
        'opa_unavailable',
        error,
      );
    }
    if (response.status < 200 || response.status > 299) {
      const message = body instanceof RegoObject ? body.get('message') : undefined;
      const code = body instanceof RegoObject ? body.get('code') : undefined;
      throw new PolicyEvaluationError(
        `external OPA answered ${response.status}${typeof code === 'string' ? ` ${code}` : ''}: ${typeof message === 'string' ? message : text.slice(0, 500)}`,
        response.status >= 500 ? 'opa_unavailable' : 'opa_error',
      );
    }
    const result = body instanceof RegoObject ? body.get('result') : undefined;
    return {
      result: result === undefined ? undefined : new RawJSON(toJSONText(result)),
      engine: 'opa',
      policies: [],
      revision: null,
      warnings: [],
    };
  }
}

/** OPA's Data API body: the client's own text where there is one, so OPA reads the numbers as sent. */
function opaRequestBody(input: unknown, inputText: InputText | undefined): string {
  if (inputText?.member === 'input') return inputText.text;
  if (inputText) return `{"input":${inputText.text}}`;
  return stringifyJSON(input === undefined ? {} : { input });
}

/**
 * A result as JSON data for deciding with it (gates, pipeline checks): numbers JS cannot hold as written
 * stay NumberText or bigint, so a message made of them shows their text (stringifyJSON writes it).
 */
export function resultData(result: RawJSON | undefined): unknown {
  return result === undefined ? undefined : valueToExactJSON(parseJSONText(result.text));
}
