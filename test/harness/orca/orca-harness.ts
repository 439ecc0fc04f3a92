// Orca contract harness: runs a pipeline of preconfigured webhook stages from a rendered
// `orca-local.yml` the way Orca's orca-webhook module does, so the sidecars can be tested against
// Orca's real semantics without a JVM. Each behaviour names the Orca source it mirrors (spinnaker/orca
// as of Apr 2025, orca-webhook Java sources; paths abbreviated to the class name).
//
// Deliberate simplifications: stages run one after another in the order given (no parallel
// branches); there is no Redis queue, so a task's next run is a timer; the time factor compresses every
// Orca duration (backoffs, task and stage timeouts) while HTTP timeouts stay real.
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { parseWithSchema, orcaLocalSchema } from '@isd/orca-stages';
import type { OrcaLocalConfig, PreconfiguredWebhook } from '@isd/orca-stages';
import { evaluateEntries, toJson } from './spel';
import type { FailedExpression, SpelContext } from './spel';
import { UrlRestrictionError, validateWebhookUrl } from './url-restrictions';

/** Orca's ExecutionStatus values the harness produces. */
export type ExecutionStatus = 'NOT_STARTED' | 'RUNNING' | 'SUCCEEDED' | 'TERMINAL' | 'CANCELED' | 'FAILED_CONTINUE';

/** One stage of the pipeline to run: its stage JSON as Deck would save it. */
export interface PipelineStageInput {
  refId: string;
  name: string;
  /** Stage type: a preconfigured webhook key (`isdApprovalGate`) or a key of `customStages`. */
  type: string;
  /** Remaining stage JSON fields (`parameterValues`, `stageTimeoutMs`, `alias`, …), copied into the context. */
  context?: Record<string, unknown>;
}

/** The pipeline to run and who triggered it. */
export interface PipelineInput {
  application: string;
  name: string;
  pipelineConfigId?: string;
  /** The triggering user: `execution.authentication.user`, what `#currentUser()` returns. */
  user: string;
  trigger?: Record<string, unknown>;
  stages: PipelineStageInput[];
}

/** A task inside a stage, as Orca records it. */
export interface HarnessTask {
  name: string;
  status: ExecutionStatus;
  startTime?: number;
  endTime?: number;
}

/** A stage execution: `context.webhook.monitor.body` is what Deck shows. */
export interface HarnessStage {
  id: string;
  refId: string;
  name: string;
  type: string;
  status: ExecutionStatus;
  context: Record<string, unknown>;
  tasks: HarnessTask[];
  startTime?: number;
  endTime?: number;
  /** Expressions Orca would have left as literal `${…}` text. */
  failedExpressions: FailedExpression[];
}

/** One HTTP call the harness made on Orca's behalf. */
export interface RecordedRequest {
  phase: 'create' | 'monitor' | 'cancel';
  stageId: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  statusCode?: number;
  error?: string;
  /** Orca time (ms since the execution started, in Orca's clock). */
  atMs: number;
  /** For cancels: which Orca path sent it. */
  source?: 'task.onCancel' | 'onFailureStages';
}

/** A pipeline execution as Orca would store it. */
export interface HarnessExecution {
  id: string;
  /** Wall-clock time (epoch ms) the run started; Orca times below are ms of Orca time since then. */
  startEpochMs: number;
  application: string;
  name: string;
  pipelineConfigId: string;
  status: ExecutionStatus;
  canceled: boolean;
  canceledBy?: string;
  authentication: { user: string };
  trigger: Record<string, unknown>;
  stages: HarnessStage[];
  startTime: number;
  endTime?: number;
  requests: RecordedRequest[];
}

/** Runs a non-webhook stage type (e.g. a deploy) in tests. */
export type CustomStageRunner = (
  stage: HarnessStage,
  execution: HarnessExecution,
  signal: AbortSignal,
) => Promise<{ status: 'SUCCEEDED' | 'TERMINAL'; outputs?: Record<string, unknown> }>;

/** Options of the Orca harness. */
export interface OrcaHarnessOptions {
  /** The rendered `orca-local.yml` text, or its parsed content; validated against the Orca schema. */
  orcaLocal: string | OrcaLocalConfig;
  /** Properties Spring would resolve `${NAME}` placeholders from (Orca's environment), e.g. the token. */
  springEnvironment?: Record<string, string>;
  /** Real milliseconds per Orca millisecond: 0.01 runs Orca's 1 s poll every 10 ms. Default 1. */
  timeFactor?: number;
  /** Runners for stage types that are not preconfigured webhooks. */
  customStages?: Record<string, CustomStageRunner>;
  /** Real timeout of one HTTP call; a timed-out call is a SocketTimeoutException. Default 10 000. */
  requestTimeoutMs?: number;
  /** `tasks.global.backOffPeriod` (Orca ms); the effective backoff is the max of this and the task's. */
  globalBackoffMs?: number;
  /** Called with one line per notable event, for debugging tests. */
  log?: (line: string) => void;
}

/** A started pipeline: the live execution, a way to cancel it, and its end. */
export interface PipelineRun {
  execution: HarnessExecution;
  /** Cancels the execution as `PUT /pipelines/{id}/cancel` would; takes effect at the next task run. */
  cancel(user?: string): void;
  done: Promise<HarnessExecution>;
}

const IGNORED_PRECONFIGURED_FIELDS = new Set([
  'enabled',
  'label',
  'description',
  'type',
  'parameters',
  'sensitiveHeaders',
]);
// WebhookProperties.PreconfiguredWebhook declares these; all are copied by PreconfiguredWebhookStage.
const PRECONFIGURED_FIELDS = [
  'url',
  'customHeaders',
  'parameterValues',
  'parameterData',
  'method',
  'payload',
  'failFastStatusCodes',
  'waitForCompletion',
  'statusUrlResolution',
  'statusUrlJsonPath',
  'statusJsonPath',
  'progressJsonPath',
  'successStatuses',
  'canceledStatuses',
  'terminalStatuses',
  'permissions',
  'signalCancellation',
  'cancelEndpoint',
  'cancelMethod',
  'cancelPayload',
] as const;
// WebhookService.headerDenyList.
const HEADER_DENY_LIST = [
  'X-SPINNAKER-USER',
  'X-SPINNAKER-ACCOUNT',
  'X-SPINNAKER-USER-ORIGIN',
  'X-SPINNAKER-REQUEST-ID',
  'X-SPINNAKER-EXECUTION-ID',
];

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
// CreateWebhookTask: backoffPeriod 10 s, timeout 5 min.
const CREATE_BACKOFF_MS = 10 * SECOND_MS;
const CREATE_TIMEOUT_MS = 5 * MINUTE_MS;
// MonitorWebhookTask: backoffPeriod 1 s (15 s after the first minute), timeout 1 h unless stageTimeoutMs.
const MONITOR_BACKOFF_MS = SECOND_MS;
const MONITOR_SLOW_BACKOFF_MS = 15 * SECOND_MS;
const MONITOR_TIMEOUT_MS = 60 * MINUTE_MS;

const HTTP_STATUS_NAMES: Record<number, string> = {
  200: 'OK',
  201: 'CREATED',
  202: 'ACCEPTED',
  204: 'NO_CONTENT',
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  410: 'GONE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

function httpStatusName(code: number): string {
  return HTTP_STATUS_NAMES[code] ?? String(code);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Spring resolves `${NAME}` property placeholders when binding YAML; unknown names stay as text. */
function resolvePlaceholders(value: unknown, environment: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g, (match, name: string) => environment[name] ?? match);
  }
  if (Array.isArray(value)) return value.map((item) => resolvePlaceholders(item, environment));
  if (isMap(value))
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolvePlaceholders(item, environment)]),
    );
  return value;
}

/** Minimal Jayway JsonPath for `$.a.b`, `$['a']` and `$.a[0]`; undefined means PathNotFoundException. */
function readJsonPath(body: unknown, jsonPath: string): { found: boolean; value?: unknown } {
  if (!jsonPath.startsWith('$')) return { found: false };
  const segments = [...jsonPath.slice(1).matchAll(/\.([A-Za-z_$][\w$-]*)|\['([^']*)'\]|\[(\d+)\]/g)];
  let current: unknown = body;
  for (const segment of segments) {
    const key = segment[1] ?? segment[2];
    if (key !== undefined) {
      if (!isMap(current) || !Object.prototype.hasOwnProperty.call(current, key)) return { found: false };
      current = current[key];
    } else {
      const index = Number(segment[3]);
      if (!Array.isArray(current) || index >= current.length) return { found: false };
      current = current[index];
    }
  }
  return { found: true, value: current };
}

/** Network failure classes Orca distinguishes (WebhookResponseProcessor, MonitorWebhookTask). */
type NetworkFailure = 'unknownHost' | 'socketTimeout' | 'other';

class NetworkError extends Error {
  constructor(
    readonly failure: NetworkFailure,
    message: string,
  ) {
    super(message);
  }
}

interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

class TaskTimeoutError extends Error {}

/** Starts a pipeline; see `runPipeline` to wait for the end. */
export function startPipeline(options: OrcaHarnessOptions, pipeline: PipelineInput): PipelineRun {
  const timeFactor = options.timeFactor ?? 1;
  if (!(timeFactor > 0)) throw new Error('timeFactor must be a positive number');
  const rendered =
    typeof options.orcaLocal === 'string'
      ? parseWithSchema(orcaLocalSchema, YAML.parse(options.orcaLocal), 'orca-local.yml')
      : parseWithSchema(orcaLocalSchema, options.orcaLocal, 'orca-local.yml');
  const orcaLocal = resolvePlaceholders(rendered, options.springEnvironment ?? {}) as OrcaLocalConfig;
  const restrictions = orcaLocal['user-configured-url-restrictions'];
  const log = options.log ?? (() => undefined);
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const defaultRetryStatusCodes = orcaLocal.webhook.defaultRetryStatusCodes ?? [429];
  const realStart = Date.now();
  const now = (): number => (Date.now() - realStart) / timeFactor;
  const abort = new AbortController();

  const execution: HarnessExecution = {
    id: randomUUID(),
    application: pipeline.application,
    name: pipeline.name,
    pipelineConfigId: pipeline.pipelineConfigId ?? randomUUID(),
    status: 'NOT_STARTED',
    canceled: false,
    authentication: { user: pipeline.user },
    trigger: { type: 'manual', user: pipeline.user, parameters: {}, ...(pipeline.trigger ?? {}) },
    stages: pipeline.stages.map((input) => ({
      id: randomUUID(),
      refId: input.refId,
      name: input.name,
      type: input.type,
      status: 'NOT_STARTED' as ExecutionStatus,
      context: structuredClone(input.context ?? {}),
      tasks: [],
      failedExpressions: [],
    })),
    startTime: 0,
    startEpochMs: realStart,
    requests: [],
  };

  const sleep = (orcaMs: number): Promise<void> =>
    new Promise((resolve) => setTimeout(resolve, Math.max(0, orcaMs * timeFactor)));

  function stageView(stage: HarnessStage): Record<string, unknown> {
    return {
      id: stage.id,
      refId: stage.refId,
      name: stage.name,
      type: stage.type,
      status: stage.status,
      context: stage.context,
      outputs: {},
    };
  }

  function executionView(): Record<string, unknown> {
    return {
      id: execution.id,
      application: execution.application,
      name: execution.name,
      pipelineConfigId: execution.pipelineConfigId,
      status: execution.status,
      authentication: execution.authentication,
      trigger: execution.trigger,
      stages: execution.stages.map(stageView),
    };
  }

  /**
   * ContextParameterProcessor: roots are the context keys plus execution, trigger and parameters. The
   * execution and stages are Java objects in Orca (an unknown property throws); contexts are maps.
   */
  function spelContext(stage: HarnessStage): SpelContext {
    const strictObjects = new WeakSet<object>();
    const strict = <T extends object>(value: T): T => {
      strictObjects.add(value);
      return value;
    };
    const view = strict(executionView());
    for (const stageEntry of view.stages as object[]) strict(stageEntry);
    const strictStageView = (target: HarnessStage): Record<string, unknown> => strict(stageView(target));
    return {
      strictObjects,
      root: {
        ...stage.context,
        execution: view,
        trigger: execution.trigger,
        parameters: execution.trigger.parameters ?? {},
      },
      functions: {
        toJson,
        currentStage: () => strictStageView(stage),
        currentUser: () => execution.authentication.user ?? 'anonymous',
        stage: (name: unknown) => {
          // StageExpressionFunctionProvider.stage: by name or by id.
          const found = execution.stages.find((candidate) => candidate.name === name || candidate.id === name);
          if (!found) throw new Error(`Unable to locate [${String(name)}] stage`);
          return strictStageView(found);
        },
        stageByRefId: (refId: unknown) => {
          const found = execution.stages.find((candidate) => candidate.refId === refId);
          if (!found) throw new Error(`Unable to locate stage with refId [${String(refId)}]`);
          return strictStageView(found);
        },
      },
    };
  }

  /** WebhookService.buildHttpHeaders (+ sensitiveHeaders from the preconfigured entry, Spinnaker 2026+). */
  function buildHeaders(customHeaders: unknown, preconfigured?: PreconfiguredWebhook): Record<string, string> {
    const headers: Record<string, string> = {};
    const add = (source: unknown): void => {
      if (!isMap(source)) return;
      for (const [key, value] of Object.entries(source)) {
        if (HEADER_DENY_LIST.includes(key.toUpperCase())) continue;
        headers[key] = Array.isArray(value) ? value.map(String).join(', ') : String(value);
      }
    };
    add(customHeaders);
    add(preconfigured?.sensitiveHeaders);
    return headers;
  }

  async function send(
    phase: RecordedRequest['phase'],
    stage: HarnessStage,
    method: string,
    url: string,
    headers: Record<string, string>,
    body: unknown,
    source?: RecordedRequest['source'],
  ): Promise<HttpResult> {
    const text =
      body === null || body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const record: RecordedRequest = { phase, stageId: stage.id, method, url, headers, body: text, atMs: now(), source };
    execution.requests.push(record);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: method === 'GET' || method === 'HEAD' ? undefined : text,
        redirect: 'manual',
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      const name = (error as Error).name;
      const failure: NetworkFailure =
        cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN'
          ? 'unknownHost'
          : name === 'TimeoutError' ||
              cause?.code === 'UND_ERR_HEADERS_TIMEOUT' ||
              cause?.code === 'UND_ERR_BODY_TIMEOUT'
            ? 'socketTimeout'
            : 'other';
      record.error = `${failure}: ${cause?.code ?? (error as Error).message}`;
      throw new NetworkError(failure, record.error);
    }
    record.statusCode = response.status;
    const raw = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    let parsed: unknown = raw === '' ? null : raw;
    // RestTemplate with Object.class: Jackson reads JSON bodies into maps and lists.
    if (raw !== '' && /json/i.test(contentType)) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = raw;
      }
    }
    return { statusCode: response.status, headers: Object.fromEntries(response.headers.entries()), body: parsed };
  }

  type TaskResult = { status: ExecutionStatus; outputs: Record<string, unknown> };

  /** CreateWebhookTask + WebhookResponseProcessor + WebhookStatusCheckUrlRetriever. */
  async function createWebhook(
    stage: HarnessStage,
    data: Record<string, unknown>,
    preconfigured?: PreconfiguredWebhook,
  ): Promise<TaskResult> {
    const url = typeof data.url === 'string' ? data.url : '';
    const method = typeof data.method === 'string' ? data.method.toUpperCase() : 'POST';
    const clientFailure = (message: string, status: ExecutionStatus): TaskResult => ({
      status,
      outputs: { webhook: { error: message } },
    });
    let result: HttpResult;
    try {
      if (!url) throw new UrlRestrictionError('Unable to determine rest template to call webhook');
      validateWebhookUrl(url, restrictions);
      result = await send('create', stage, method, url, buildHeaders(data.customHeaders, preconfigured), data.payload);
    } catch (error) {
      // processClientException: unknown host retries, a socket timeout retries only for GET.
      if (error instanceof NetworkError && error.failure === 'unknownHost') {
        return clientFailure(
          `Remote host resolution failure in webhook for pipeline ${execution.id} to ${url}, will retry.`,
          'RUNNING',
        );
      }
      if (error instanceof NetworkError && error.failure === 'socketTimeout' && method === 'GET') {
        return clientFailure(
          `Socket timeout in webhook on GET request for pipeline ${execution.id} to ${url}, will retry.`,
          'RUNNING',
        );
      }
      return clientFailure(
        `An exception occurred for pipeline ${execution.id} performing a request to ${url}. ${(error as Error).message}`,
        'TERMINAL',
      );
    }
    const webhook: Record<string, unknown> = {
      statusCode: httpStatusName(result.statusCode),
      statusCodeValue: result.statusCode,
      ...(Object.keys(result.headers).length > 0 ? { headers: result.headers } : {}),
      ...(result.body !== null ? { body: result.body } : {}),
    };
    if (result.statusCode >= 400) {
      // processReceivedFailureStatusCode: fail-fast codes, then 5xx/defaultRetryStatusCodes retry, else TERMINAL.
      const failFast = Array.isArray(data.failFastStatusCodes) && data.failFastStatusCodes.includes(result.statusCode);
      if (failFast) {
        webhook.error = `Received status code ${result.statusCode}, which is configured to fail fast, terminating stage for pipeline ${execution.id} to ${url}`;
        return { status: 'TERMINAL', outputs: { webhook } };
      }
      if (result.statusCode >= 500 || defaultRetryStatusCodes.includes(result.statusCode)) {
        webhook.error = `Error submitting webhook for pipeline ${execution.id} to ${url} with status code ${result.statusCode}, will retry.`;
        return { status: 'RUNNING', outputs: { webhook } };
      }
      webhook.error = `Error submitting webhook for pipeline ${execution.id} to ${url} with status code ${result.statusCode}.`;
      return { status: 'TERMINAL', outputs: { webhook } };
    }
    if (data.waitForCompletion !== true) return { status: 'SUCCEEDED', outputs: { webhook } };
    let statusUrl: string | undefined;
    try {
      if (data.statusUrlResolution === 'locationHeader') statusUrl = result.headers.location;
      else if (data.statusUrlResolution === 'webhookResponse') {
        const found = readJsonPath(result.body, String(data.statusUrlJsonPath ?? ''));
        if (!found.found) throw new Error(`No results for path: ${String(data.statusUrlJsonPath)}`);
        statusUrl = found.value === null || found.value === undefined ? undefined : String(found.value);
      } else statusUrl = url;
      if (statusUrl && statusUrl !== url) {
        const statusUri = new URL(statusUrl, url);
        const webhookUri = new URL(url);
        // Same host but another scheme keeps the webhook's scheme; a relative URL resolves against it.
        if (
          statusUri.hostname === webhookUri.hostname &&
          statusUri.protocol !== webhookUri.protocol &&
          /:\/\//.test(statusUrl)
        ) {
          statusUrl = `${webhookUri.protocol}//${statusUrl.replace(/^[^:]+:\/\//, '')}`;
        } else if (!/^[a-z][a-z0-9+.-]*:/i.test(statusUrl)) {
          statusUrl = statusUri.toString();
        }
      }
    } catch (error) {
      webhook.error = `Exception while resolving status check URL: ${(error as Error).message}`;
      return { status: 'TERMINAL', outputs: { webhook } };
    }
    if (!statusUrl) {
      webhook.error = "The status URL couldn't be resolved, but 'Wait for completion' is configured";
      return { status: 'TERMINAL', outputs: { webhook } };
    }
    webhook.statusEndpoint = statusUrl;
    return { status: 'SUCCEEDED', outputs: { webhook, statusEndpoint: statusUrl } };
  }

  /** MonitorWebhookTask.execute. */
  async function monitorWebhook(
    stage: HarnessStage,
    data: Record<string, unknown>,
    preconfigured?: PreconfiguredWebhook,
  ): Promise<TaskResult> {
    const statusEndpoint = typeof data.statusEndpoint === 'string' ? data.statusEndpoint.trim() : '';
    if (!statusEndpoint && data.monitorOnly !== true) {
      throw new Error(`Missing required parameter: statusEndpoint = ${String(data.statusEndpoint ?? null)}`);
    }
    const target = statusEndpoint || (typeof data.url === 'string' ? data.url : '');
    const previous = isMap(data.webhook) ? data.webhook : {};
    const oldMonitor = isMap(previous.monitor) ? previous.monitor : undefined;
    const monitor: Record<string, unknown> = {};
    const webhook = { ...previous, monitor };
    const outputs = { webhook };
    const pastStatusCodes: number[] = Array.isArray(oldMonitor?.pastStatusCodes)
      ? [...(oldMonitor.pastStatusCodes as number[])]
      : [];
    if (pastStatusCodes.length > 0) monitor.pastStatusCodes = pastStatusCodes;
    let result: HttpResult;
    try {
      validateWebhookUrl(target, restrictions);
      result = await send('monitor', stage, 'GET', target, buildHeaders(data.customHeaders, preconfigured), undefined);
    } catch (error) {
      if (error instanceof NetworkError && (error.failure === 'unknownHost' || error.failure === 'socketTimeout')) {
        return { status: 'RUNNING', outputs };
      }
      // Anything else — connection refused included — fails the stage.
      monitor.error = `an exception occurred in webhook monitor to ${target}: ${(error as Error).message}`;
      return { status: 'TERMINAL', outputs };
    }
    if (result.statusCode >= 400) {
      if (shouldRetryMonitor(result.statusCode, data, pastStatusCodes)) {
        pastStatusCodes.push(result.statusCode);
        monitor.pastStatusCodes = pastStatusCodes;
        return { status: 'RUNNING', outputs };
      }
      monitor.error = `an exception occurred in webhook monitor to ${target}: ${result.statusCode} ${httpStatusName(result.statusCode)}`;
      if (Object.keys(result.headers).length > 0) monitor.headers = result.headers;
      return { status: 'TERMINAL', outputs };
    }
    monitor.body = result.body;
    monitor.statusCode = httpStatusName(result.statusCode);
    monitor.statusCodeValue = result.statusCode;
    if (Object.keys(result.headers).length > 0) monitor.headers = result.headers;
    const statusJsonPath = typeof data.statusJsonPath === 'string' ? data.statusJsonPath : '';
    if (!statusJsonPath) return { status: 'SUCCEEDED', outputs };
    const found = readJsonPath(result.body, statusJsonPath);
    if (!found.found) {
      monitor.error = `Unable to parse status: JSON property '${statusJsonPath}' not found in response body`;
      return { status: 'TERMINAL', outputs };
    }
    const value = found.value;
    if (!(typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) {
      monitor.error = `The json path '${statusJsonPath}' did not resolve to a single value`;
      monitor.resolvedValue = value;
      return { status: 'TERMINAL', outputs };
    }
    const progressJsonPath = typeof data.progressJsonPath === 'string' ? data.progressJsonPath : '';
    if (progressJsonPath) {
      const progress = readJsonPath(result.body, progressJsonPath);
      if (!progress.found) {
        monitor.error = `Unable to parse progress: JSON property '${statusJsonPath}' not found in response body`;
        return { status: 'TERMINAL', outputs };
      }
      if (typeof progress.value !== 'string') {
        monitor.error = `The json path '${progressJsonPath}' did not resolve to a String value`;
        monitor.resolvedValue = progress.value;
        return { status: 'TERMINAL', outputs };
      }
      monitor.progressMessage = progress.value;
    }
    if (typeof value === 'number') {
      monitor.percentComplete = value;
      return { status: value === 100 ? 'SUCCEEDED' : 'RUNNING', outputs };
    }
    // createStatusMap: success, then canceled, then terminal (later lists win); words trimmed, upper-cased.
    const statusMap = new Map<string, ExecutionStatus>();
    const addStatuses = (list: unknown, status: ExecutionStatus): void => {
      if (typeof list !== 'string' || list === '') return;
      for (const word of list.split(',')) statusMap.set(word.trim().toUpperCase(), status);
    };
    if (typeof data.successStatuses !== 'string')
      throw new Error('successStatuses is null (NullPointerException in split)');
    addStatuses(data.successStatuses, 'SUCCEEDED');
    addStatuses(data.canceledStatuses, 'CANCELED');
    addStatuses(data.terminalStatuses, 'TERMINAL');
    return { status: statusMap.get(String(value).toUpperCase()) ?? 'RUNNING', outputs };
  }

  /** MonitorWebhookTask.shouldRetry: per-code `retries[code].maxAttempts`, else 5xx/429/retryStatusCodes. */
  function shouldRetryMonitor(statusCode: number, data: Record<string, unknown>, pastStatusCodes: number[]): boolean {
    const retries = isMap(data.retries) ? data.retries : undefined;
    const limit =
      retries && isMap(retries[String(statusCode)])
        ? (retries[String(statusCode)] as { maxAttempts?: number })
        : undefined;
    if (limit) return pastStatusCodes.filter((code) => code === statusCode).length < (limit.maxAttempts ?? 0);
    const retryStatusCodes = Array.isArray(data.retryStatusCodes) ? data.retryStatusCodes : [];
    return statusCode >= 500 || defaultRetryStatusCodes.includes(statusCode) || retryStatusCodes.includes(statusCode);
  }

  /** WebhookService.cancelWebhook: best effort, on the stored (not re-evaluated) stage context. */
  async function cancelWebhook(
    stage: HarnessStage,
    source: RecordedRequest['source'],
    preconfigured?: PreconfiguredWebhook,
  ): Promise<void> {
    const data = stage.context;
    const endpoint = typeof data.cancelEndpoint === 'string' ? data.cancelEndpoint : '';
    if (!endpoint) return;
    if (endpoint.includes('${')) {
      // RunTaskHandler calls onCancel with the stored context; an expression never evaluated there
      // (statusEndpoint not yet known) is not a URL, so Orca logs a warning and sends nothing.
      log(`cancel skipped for stage ${stage.name}: cancelEndpoint still holds an expression (${endpoint})`);
      return;
    }
    const method = typeof data.cancelMethod === 'string' ? data.cancelMethod.toUpperCase() : 'POST';
    try {
      validateWebhookUrl(endpoint, restrictions);
      await send(
        'cancel',
        stage,
        method,
        endpoint,
        buildHeaders(data.customHeaders, preconfigured),
        data.cancelPayload,
        source,
      );
    } catch (error) {
      log(`cancel of stage ${stage.name} failed (best effort): ${(error as Error).message}`);
    }
  }

  function timeoutOf(stage: HarnessStage, taskName: string): number {
    // OverridableTimeoutRetryableTask (the monitor) uses the stage's stageTimeoutMs when set.
    const stageTimeoutMs = typeof stage.context.stageTimeoutMs === 'number' ? stage.context.stageTimeoutMs : undefined;
    if (taskName === 'monitorWebhook') return stageTimeoutMs ?? MONITOR_TIMEOUT_MS;
    return CREATE_TIMEOUT_MS;
  }

  function backoffOf(stage: HarnessStage, taskName: string, taskElapsedMs: number): number {
    const own =
      taskName === 'monitorWebhook'
        ? taskElapsedMs > MINUTE_MS
          ? MONITOR_SLOW_BACKOFF_MS
          : MONITOR_BACKOFF_MS
        : CREATE_BACKOFF_MS;
    const stageBackoff = typeof stage.context.backoffPeriodMs === 'number' ? stage.context.backoffPeriodMs : 0;
    return Math.max(own, options.globalBackoffMs ?? 0, stageBackoff);
  }

  async function runWebhookStage(stage: HarnessStage): Promise<ExecutionStatus> {
    // PreconfiguredWebhookStage.taskGraph: find the YAML entry by type, then overwrite the context with
    // every non-null YAML field (and fill fields the stage left null).
    const preconfigured = orcaLocal.webhook.preconfigured.find(
      (entry) => entry.type === stage.type && entry.enabled !== false,
    );
    if (!preconfigured) {
      stage.context.exception = { details: { error: `Preconfigured webhook not found for type ${stage.type}` } };
      return 'TERMINAL';
    }
    const entry = preconfigured as Record<string, unknown>;
    for (const field of PRECONFIGURED_FIELDS) {
      if (IGNORED_PRECONFIGURED_FIELDS.has(field)) continue;
      if (stage.context[field] === undefined || stage.context[field] === null || entry[field] !== undefined) {
        stage.context[field] = entry[field] ?? null;
      }
    }
    const monitorOnly = stage.context.monitorOnly === true;
    const waitForCompletion = stage.context.waitForCompletion === true;
    if (monitorOnly && !waitForCompletion) {
      stage.context.exception = {
        details: { error: "Can't specify monitorOnly = true and waitForCompletion = false at the same time" },
      };
      return 'TERMINAL';
    }
    const taskNames = [...(monitorOnly ? [] : ['createWebhook']), ...(waitForCompletion ? ['monitorWebhook'] : [])];
    stage.tasks = taskNames.map((name) => ({ name, status: 'NOT_STARTED' as ExecutionStatus }));

    for (const task of stage.tasks) {
      task.status = 'RUNNING';
      task.startTime = now();
      for (;;) {
        if (execution.canceled) {
          // RunTaskHandler: a cancelled execution calls the task's onCancel (only the monitor has one).
          if (task.name === 'monitorWebhook') await cancelWebhook(stage, 'task.onCancel', preconfigured);
          task.status = 'CANCELED';
          task.endTime = now();
          return 'CANCELED';
        }
        try {
          // RunTaskHandler.checkForStageTimeout / checkForTaskTimeout, before each run.
          const stageTimeoutMs =
            typeof stage.context.stageTimeoutMs === 'number' ? stage.context.stageTimeoutMs : undefined;
          if (stageTimeoutMs !== undefined && now() - (stage.startTime ?? 0) > stageTimeoutMs) {
            throw new TaskTimeoutError(
              `Stage ${stage.name} timed out after ${Math.round(now() - (stage.startTime ?? 0))} ms`,
            );
          }
          if (now() - task.startTime > timeoutOf(stage, task.name)) {
            throw new TaskTimeoutError(
              `${task.name} of stage ${stage.name} timed out after ${Math.round(now() - task.startTime)} ms`,
            );
          }
          // ExpressionAware.withMergedContext: the context is evaluated on every run and the evaluated
          // map becomes the stored context (failed expressions stay literal).
          const failed: FailedExpression[] = [];
          const processed = evaluateEntries(stage.context, spelContext(stage), failed) as Record<string, unknown>;
          stage.failedExpressions = failed;
          stage.context = processed;
          const result =
            task.name === 'createWebhook'
              ? await createWebhook(stage, processed, preconfigured)
              : await monitorWebhook(stage, processed, preconfigured);
          Object.assign(stage.context, result.outputs);
          if (result.status === 'RUNNING') {
            await sleep(backoffOf(stage, task.name, now() - task.startTime));
            continue;
          }
          task.status = result.status;
          task.endTime = now();
          if (result.status === 'CANCELED') {
            await cancelWebhook(stage, 'task.onCancel', preconfigured);
            return 'CANCELED';
          }
          if (result.status !== 'SUCCEEDED') return result.status;
          break;
        } catch (error) {
          // RunTaskHandler: an exception (timeout included) ends the task TERMINAL with context.exception.
          const message = (error as Error).message;
          stage.context.exception = {
            exceptionType: error instanceof TaskTimeoutError ? 'TimeoutException' : 'IllegalStateException',
            shouldRetry: false,
            details: { error: message, errors: [message] },
          };
          task.status = 'TERMINAL';
          task.endTime = now();
          return 'TERMINAL';
        }
      }
    }
    return 'SUCCEEDED';
  }

  async function runCustomStage(stage: HarnessStage, runner: CustomStageRunner): Promise<ExecutionStatus> {
    stage.tasks = [{ name: stage.type, status: 'RUNNING', startTime: now() }];
    const result = await runner(stage, execution, abort.signal);
    Object.assign(stage.context, result.outputs ?? {});
    const status: ExecutionStatus = execution.canceled ? 'CANCELED' : result.status;
    Object.assign(stage.tasks[0] as HarnessTask, { status, endTime: now() });
    return status;
  }

  async function run(): Promise<HarnessExecution> {
    execution.status = 'RUNNING';
    execution.startTime = now();
    for (const stage of execution.stages) {
      if (execution.canceled) break;
      stage.status = 'RUNNING';
      stage.startTime = now();
      const runner = options.customStages?.[stage.type];
      let status: ExecutionStatus;
      try {
        status = runner ? await runCustomStage(stage, runner) : await runWebhookStage(stage);
      } catch (error) {
        stage.context.exception = { details: { error: (error as Error).message } };
        status = 'TERMINAL';
      }
      // CompleteStageHandler: a failed or cancelled stage plans its onFailureStages, and
      // WebhookStage.onFailureStages calls the cancel endpoint (a second time after a cancel).
      if ((status === 'TERMINAL' || status === 'CANCELED') && !runner) {
        const preconfigured = orcaLocal.webhook.preconfigured.find((entry) => entry.type === stage.type);
        await cancelWebhook(stage, 'onFailureStages', preconfigured);
      }
      // StageExecution.failureStatus: continuePipeline turns a failure into FAILED_CONTINUE.
      if (status === 'TERMINAL' && stage.context.continuePipeline === true) status = 'FAILED_CONTINUE';
      stage.status = status;
      stage.endTime = now();
      log(`stage ${stage.name} (${stage.type}) ended ${status}`);
      if (status === 'TERMINAL' || status === 'CANCELED') {
        execution.status = status;
        break;
      }
    }
    if (execution.canceled) execution.status = 'CANCELED';
    else if (execution.status === 'RUNNING') execution.status = 'SUCCEEDED';
    execution.endTime = now();
    return execution;
  }

  const done = run();
  return {
    execution,
    cancel(user = execution.authentication.user): void {
      execution.canceled = true;
      execution.canceledBy = user;
      abort.abort();
    },
    done,
  };
}

/** Runs a pipeline to its end and returns the execution (status, stages with their contexts, requests). */
export function runPipeline(options: OrcaHarnessOptions, pipeline: PipelineInput): Promise<HarnessExecution> {
  return startPipeline(options, pipeline).done;
}

/**
 * The execution as Orca's `GET /pipelines/{id}` serialises it (what Gate returns to Deck and to
 * sapor's Spinnaker connector): epoch-millisecond times, stages with context, outputs, tasks and
 * `requisiteStageRefIds` (each stage after the previous one, as the harness runs them).
 */
export function toOrcaExecutionJson(execution: HarnessExecution): Record<string, unknown> {
  const epoch = (orcaMs: number | undefined): number | null =>
    orcaMs === undefined ? null : Math.round(execution.startEpochMs + orcaMs);
  return {
    type: 'PIPELINE',
    id: execution.id,
    application: execution.application,
    name: execution.name,
    pipelineConfigId: execution.pipelineConfigId,
    status: execution.status,
    canceled: execution.canceled,
    canceledBy: execution.canceledBy ?? null,
    buildTime: execution.startEpochMs,
    startTime: epoch(execution.startTime),
    endTime: epoch(execution.endTime),
    authentication: execution.authentication,
    trigger: execution.trigger,
    stages: execution.stages.map((stage, index) => ({
      id: stage.id,
      refId: stage.refId,
      type: stage.type,
      name: stage.name,
      status: stage.status,
      context: structuredClone(stage.context),
      outputs: {},
      requisiteStageRefIds: index === 0 ? [] : [execution.stages[index - 1]?.refId],
      startTime: epoch(stage.startTime),
      endTime: epoch(stage.endTime),
      tasks: stage.tasks.map((task, taskIndex) => ({
        id: String(taskIndex + 1),
        name: task.name,
        status: task.status,
        startTime: epoch(task.startTime),
        endTime: epoch(task.endTime),
      })),
    })),
  };
}
