// The one client sapor uses for Spinnaker's Gate: executions (one, or a time-range search with
// paging), applications, pipeline configs, credentials, and saving a pipeline. It authenticates as a
// service — an x509 client certificate (Gate's `x509.enabled` API port) first, HTTP basic auth against
// a dedicated internal Gate (`security.basicform.enabled`) second — and never sends X-SPINNAKER-USER,
// which Gate trusts only without an authenticated principal and anyone could forge.
// Every call goes through the kit's outbound client; 5xx answers, timeouts and unreachable Gate are
// retried with exponential backoff, and a circuit breaker stops calling a Gate that keeps failing.
import {
  ConflictError,
  InputError,
  OutboundError,
  UnavailableError,
  outboundRequest,
  type OutboundResponse,
  type OutboundTls,
  parsePeerJson,
  withoutNulEscapes,
} from '@isd/kit';
import { NumberText, parseJSONText, valueToExactJSON } from '@isd/rego';

/** How sapor proves who it is to Gate. */
export type GateAuth =
  | { kind: 'x509'; certFile: string; keyFile: string; caFile?: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'none' };

/** Where and how to reach Gate, and how hard to try. */
export interface GateClientOptions {
  url: string;
  auth: GateAuth;
  /** Trusted CA for an https Gate when the auth is not x509 (x509 carries its own caFile). */
  caFile?: string;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Extra attempts after the first for a retryable failure (5xx, timeout, unreachable). */
  retries?: number;
  /** First backoff; doubled per attempt up to `maxBackoffMs`, with jitter in its upper half. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Consecutive failed calls (retries exhausted) that open the breaker. */
  breakerThreshold?: number;
  /** How long an open breaker refuses calls before letting one trial call through. */
  breakerResetMs?: number;
  /** Injected for tests: the clock, the wait between attempts and the jitter source. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** The state of the circuit breaker, for readiness and metrics. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Filters of an executions search (Gate's ExecutionsController `…/executions/search`). */
export interface ExecutionSearch {
  /** Trigger-time window, epoch ms, both inclusive (Orca compares `buildTime`). */
  from?: number;
  to?: number;
  statuses?: string[];
  pipelineName?: string;
  /** Executions per page (Gate's `size`). */
  pageSize?: number;
  /** Stop after this many executions. */
  limit?: number;
}

type Json = Record<string, unknown>;

const RETRYABLE_CODES = new Set(['timeout', 'unreachable']);
const DEFAULT_PAGE_SIZE = 100;

/** A failure worth retrying (Gate or the network), as opposed to a client mistake. */
class RetryableGateError extends UnavailableError {}

/** A Gate client with retries and a circuit breaker; one per Gate. */
export class GateClient {
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly breakerThreshold: number;
  private readonly breakerResetMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;

  constructor(private readonly options: GateClientOptions) {
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.breakerThreshold = options.breakerThreshold ?? 5;
    this.breakerResetMs = options.breakerResetMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** Closed, open (calls refused), or half-open (the next call is a trial). */
  get breakerState(): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.breakerResetMs ? 'half-open' : 'open';
  }

  /** One execution (`GET /pipelines/{id}`, PipelineController → Orca). */
  async execution(executionId: string): Promise<Json> {
    // Its numbers keep the texts Orca wrote (Jackson's `1.0`), as a policy in OPA would read them.
    const body = await this.call('GET', `pipelines/${encodeURIComponent(executionId)}`, {
      what: `execution ${executionId}`,
      numberTexts: true,
      badPath: (message) =>
        new InputError(`execution id ${JSON.stringify(executionId)} is not usable: ${message}`, {
          code: 'execution_id_invalid',
        }),
    });
    return asObject(body, `execution ${executionId}`);
  }

  /** Every application (`GET /applications`, ApplicationController). */
  async applications(): Promise<Json[]> {
    return asObjectArray(await this.call('GET', 'applications', { what: 'applications' }), 'applications');
  }

  /** An application's pipeline configs (`GET /applications/{app}/pipelineConfigs`). */
  async pipelineConfigs(application: string): Promise<Json[]> {
    const what = `pipeline configs of ${application}`;
    return asObjectArray(
      await this.call('GET', `applications/${encodeURIComponent(application)}/pipelineConfigs`, { what }),
      what,
    );
  }

  /** Accounts (`GET /credentials`, CredentialsController → Clouddriver). */
  async credentials(): Promise<Json[]> {
    return asObjectArray(await this.call('GET', 'credentials', { what: 'credentials' }), 'credentials');
  }

  /**
   * Creates an account (`POST /credentials`, Gate → Clouddriver's account API). Sent once: a retry after
   * a lost answer would be refused as a duplicate. Clouddriver's refusal (4xx) becomes `refused`.
   */
  async createAccount(definition: Json): Promise<void> {
    const name = String(definition.name);
    await this.call('POST', 'credentials', {
      what: `creating account ${name}`,
      body: JSON.stringify(definition),
      retry: false,
      refused: accountRefused(name),
    });
  }

  /** Replaces an account (`PUT /credentials`); idempotent, so retried like a read. */
  async updateAccount(definition: Json): Promise<void> {
    const name = String(definition.name);
    await this.call('PUT', 'credentials', {
      what: `updating account ${name}`,
      body: JSON.stringify(definition),
      refused: accountRefused(name),
    });
  }

  /**
   * Deletes an account (`DELETE /credentials/{name}`). Sent once; Clouddriver's "does not exist" counts
   * as done, so an account removed there by hand can still be deleted here.
   */
  async deleteAccount(name: string): Promise<void> {
    try {
      await this.call('DELETE', `credentials/${encodeURIComponent(name)}`, {
        what: `deleting account ${name}`,
        retry: false,
        refused: accountRefused(name),
      });
    } catch (error) {
      if (error instanceof InputError && error.code === 'account_missing_in_clouddriver') return;
      throw error;
    }
  }

  /**
   * Saves a pipeline config (`POST /pipelines`; Gate runs Orca's savePipeline task and fails unless it
   * succeeds). Front50 upserts by `id`, so a config with an id is retried like a read; one without an
   * id is sent once, since a retry after a lost answer could save it twice. `staleCheck` makes Front50
   * refuse the save when the stored `updateTs` differs from the one sent (someone saved in between).
   */
  async savePipeline(pipeline: Json, options: { staleCheck?: boolean } = {}): Promise<void> {
    const hasId = typeof pipeline.id === 'string' && pipeline.id !== '';
    await this.call('POST', 'pipelines', {
      what: `saving pipeline ${String(pipeline.name)}`,
      body: JSON.stringify(pipeline),
      retry: hasId,
      ...(options.staleCheck ? { query: { staleCheck: 'true' } } : {}),
    });
  }

  /**
   * Executions of `application` (`*` = all) in a trigger-time window, page by page
   * (`GET /applications/{app}/executions/search?startIndex=&size=`), oldest first (`reverse=true`), so
   * executions started during the walk land after it instead of shifting pages; ids seen are skipped.
   */
  async *searchExecutions(application: string, search: ExecutionSearch = {}): AsyncGenerator<Json[]> {
    const size = search.pageSize ?? DEFAULT_PAGE_SIZE;
    const seen = new Set<string>();
    let returned = 0;
    for (let startIndex = 0; ; startIndex += size) {
      const query: Record<string, string> = {
        startIndex: String(startIndex),
        size: String(size),
        reverse: 'true',
        expand: 'true',
      };
      if (search.from !== undefined) query.triggerTimeStartBoundary = String(search.from);
      if (search.to !== undefined) query.triggerTimeEndBoundary = String(search.to);
      if (search.statuses?.length) query.statuses = search.statuses.join(',');
      if (search.pipelineName) query.pipelineName = search.pipelineName;
      const what = `executions of ${application}`;
      const page = asObjectArray(
        await this.call('GET', `applications/${encodeURIComponent(application)}/executions/search`, { what, query }),
        what,
      );
      const fresh = page.filter((execution) => {
        const id = typeof execution.id === 'string' ? execution.id : undefined;
        if (id === undefined || seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      const room = search.limit === undefined ? fresh.length : Math.max(0, search.limit - returned);
      const batch = fresh.slice(0, room);
      returned += batch.length;
      if (batch.length) yield batch;
      if (page.length < size || (search.limit !== undefined && returned >= search.limit)) return;
    }
  }

  private authHeaders(): Record<string, string> {
    const { auth } = this.options;
    if (auth.kind !== 'basic') return {};
    return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
  }

  private tls(): OutboundTls | undefined {
    const { auth } = this.options;
    if (auth.kind === 'x509') return { certFile: auth.certFile, keyFile: auth.keyFile, caFile: auth.caFile };
    return this.options.caFile ? { caFile: this.options.caFile } : undefined;
  }

  /** Refuses a call while the breaker is open; lets exactly one trial through once it is half-open. */
  private enterBreaker(what: string): boolean {
    const state = this.breakerState;
    if (state === 'closed') return false;
    if (state === 'open' || this.trialInFlight) {
      const retryInMs = Math.max(0, this.breakerResetMs - (this.now() - (this.openedAt ?? 0)));
      throw new UnavailableError(
        `Gate is failing; not calling it for ${what} (circuit open after ${this.consecutiveFailures} failed calls, next try in ${retryInMs} ms)`,
        { code: 'gate_circuit_open' },
      );
    }
    this.trialInFlight = true;
    return true;
  }

  private recordOutcome(ok: boolean, trial: boolean): void {
    if (trial) this.trialInFlight = false;
    if (ok) {
      this.consecutiveFailures = 0;
      this.openedAt = undefined;
      return;
    }
    this.consecutiveFailures += 1;
    if (trial || this.consecutiveFailures >= this.breakerThreshold) this.openedAt = this.now();
  }

  private async call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: {
      what: string;
      query?: Record<string, string>;
      body?: string;
      retry?: boolean;
      badPath?: (message: string) => Error;
      refused?: (status: number, message: string) => Error;
      /** Read the answer with its numbers' texts (NumberText, bigint), for what a policy reads. */
      numberTexts?: boolean;
    },
  ): Promise<unknown> {
    const trial = this.enterBreaker(options.what);
    const attempts = options.retry === false ? 1 : this.retries + 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.attempt(method, path, options);
        this.recordOutcome(true, trial);
        return result;
      } catch (error) {
        if (!(error instanceof RetryableGateError)) {
          // Gate answered (a 4xx or a bad body): it is up, the request was the problem.
          this.recordOutcome(true, trial);
          throw error;
        }
        if (attempt >= attempts) {
          this.recordOutcome(false, trial);
          throw new UnavailableError(`${error.message} (after ${attempt} attempts)`, {
            code: 'gate_unavailable',
            cause: error,
          });
        }
        const ceiling = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
        await this.sleep(ceiling / 2 + (this.random() * ceiling) / 2);
      }
    }
  }

  private async attempt(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: {
      what: string;
      query?: Record<string, string>;
      body?: string;
      badPath?: (message: string) => Error;
      refused?: (status: number, message: string) => Error;
      /** Read the answer with its numbers' texts (NumberText, bigint), for what a policy reads. */
      numberTexts?: boolean;
    },
  ): Promise<unknown> {
    let response: OutboundResponse;
    try {
      response = await outboundRequest({
        base: this.options.url,
        path,
        method,
        query: options.query,
        headers: {
          accept: 'application/json',
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...this.authHeaders(),
        },
        body: options.body,
        tls: this.tls(),
        timeoutMs: this.options.timeoutMs,
        maxResponseBytes: this.options.maxResponseBytes,
        maxRedirects: 0,
      });
    } catch (error) {
      if (error instanceof OutboundError) {
        if (RETRYABLE_CODES.has(error.code))
          throw new RetryableGateError(`Gate is unreachable for ${options.what}: ${error.message}`, { cause: error });
        if ((error.code === 'outside_base' || error.code === 'invalid_url') && options.badPath)
          throw options.badPath(error.message);
        if (error.code === 'too_large')
          throw new UnavailableError(
            `Gate's answer for ${options.what} is larger than ${this.options.maxResponseBytes} bytes`,
            { code: 'gate_answer_too_large' },
          );
      }
      throw new UnavailableError(`calling Gate for ${options.what} failed: ${(error as Error).message}`, {
        code: 'gate_unavailable',
        cause: error,
      });
    }
    if (response.status >= 500)
      throw new RetryableGateError(`Gate answered ${response.status} for ${options.what}${detail(response)}`);
    // An account write's 4xx other than 401 is Clouddriver's answer about the account (Gate passes it on).
    if (options.refused && [400, 403, 404, 409, 422].includes(response.status))
      throw options.refused(response.status, detail(response).replace(/^: /, ''));
    if (response.status === 401 || response.status === 403)
      throw new UnavailableError(
        `Gate refused sapor's credentials (${response.status}) for ${options.what}; check gate.x509 or gate.username/password`,
        { code: 'gate_auth_refused' },
      );
    if (response.status === 404)
      throw new UnavailableError(`Gate answered 404: there is no ${options.what}`, { code: 'gate_not_found' });
    if (response.status < 200 || response.status > 299)
      throw new UnavailableError(`Gate answered ${response.status} for ${options.what}${detail(response)}`, {
        code: 'gate_refused',
      });
    if (!response.text) return undefined;
    try {
      return options.numberTexts
        ? valueToExactJSON(parseJSONText(withoutNulEscapes(response.text)))
        : parsePeerJson(response.text);
    } catch (error) {
      throw new UnavailableError(
        `Gate answered ${options.what} with a body that is not JSON: ${(error as Error).message}`,
        {
          code: 'gate_bad_answer',
        },
      );
    }
  }
}

/** Clouddriver's refusal of an account write (kork's InvalidRequestException → 400, passed on by Gate). */
function accountRefused(name: string): (status: number, message: string) => Error {
  return (status, message) => {
    const text = message || `status ${status}`;
    if (status === 403)
      // Sapor's own Gate identity lacks a permission: a setup problem, not the caller's mistake.
      return new UnavailableError(
        `Spinnaker denied sapor's Gate identity (403) for account ${name}: it must be an account manager in Clouddriver, and a Fiat admin or hold WRITE on the account (${text})`,
        { code: 'account_write_forbidden' },
      );
    if (status === 404 && !/does not exist/i.test(text))
      return new UnavailableError(
        `Gate has no account API for account ${name} (404: ${text}); it needs Spinnaker 1.28 or later`,
        { code: 'account_api_missing' },
      );
    if (/duplicate/i.test(text))
      return new ConflictError(`Clouddriver already has an account ${name}: ${text}`, { code: 'account_exists' });
    if (/does not exist/i.test(text))
      return new InputError(`Clouddriver has no account ${name}: ${text}`, { code: 'account_missing_in_clouddriver' });
    return new InputError(`Clouddriver refused account ${name} (${status}): ${text}`, {
      code: 'account_refused_by_clouddriver',
      issues: [{ path: 'account', message: text }],
    });
  };
}

/** Gate's Spring error body (`{error, message, status}`), shortened, for messages. */
function detail(response: OutboundResponse): string {
  try {
    const body = JSON.parse(response.text) as { message?: unknown };
    if (typeof body.message === 'string' && body.message) return `: ${body.message.slice(0, 300)}`;
  } catch {
    // not JSON: no detail
  }
  return '';
}

function asObject(body: unknown, what: string): Json {
  if (!body || typeof body !== 'object' || Array.isArray(body) || body instanceof NumberText)
    throw new UnavailableError(`Gate answered ${what} with a non-object`, { code: 'gate_bad_answer' });
  return body as Json;
}

function asObjectArray(body: unknown, what: string): Json[] {
  if (!Array.isArray(body) || body.some((item) => !item || typeof item !== 'object' || Array.isArray(item)))
    throw new UnavailableError(`Gate answered ${what} with something other than a list of objects`, {
      code: 'gate_bad_answer',
    });
  return body as Json[];
}
