// Calls the sidecars through Gate's proxies (`{gateUrl}/proxies/{service}/...`). Gate adds the
// logged-in user (X-SPINNAKER-USER) from the session, so the browser sends cookies and never an identity.
import type {
  AccountDeleteResult,
  AccountHistoryEntry,
  AccountRequest,
  AccountSummary,
  AccountWriteResult,
  ApprovalDecisionRequest,
  ApprovalInstance,
  ExternalStageRun,
  ApprovalListFilter,
  DoraAnswer,
  GatesAnswer,
  LogMark,
  LogMarkKind,
  LogTemplateSummary,
  Page,
  PipelineCheckAnswer,
  PipelineCheckResult,
  PolicyCheckAnswer,
  PolicyCheckRequest,
  PolicyDetail,
  PolicyGateInput,
  PolicyGateListFilter,
  PolicyGateRecord,
  PolicySummary,
  TerraformRun,
  VerificationListFilter,
  VerificationReport,
  TestVerificationResult,
  VerificationResult,
  VerificationSummary,
  TestVerificationSummary,
  VerificationTemplateSummary,
} from './sidecar-shapes';

/** The sidecars the plugin talks to; each is a Gate proxy id. */
export type SidecarService = 'visibility' | 'autopilot' | 'sapor';

/** A failed sidecar call, with the HTTP status (0 when the request never got an answer) and a readable message. */
export class SidecarError extends Error {
  override readonly name = 'SidecarError';
  constructor(
    readonly service: SidecarService,
    readonly status: number,
    message: string,
    options?: { cause?: unknown; field?: string },
  ) {
    super(message, options);
    this.field = options?.field;
  }

  /** The request field the sidecar's problem names (`field` of problem+json, without `body.`), if any. */
  readonly field: string | undefined;
}

/** Everything the plugin asks of the sidecars. */
export interface SidecarClient {
  getApproval(id: string): Promise<ApprovalInstance>;
  /** A JIRA stage run, read (and moved on) by visibility. */
  getJiraIssue(id: string): Promise<ExternalStageRun>;
  /** A ServiceNow stage run, read (and moved on) by visibility. */
  getServiceNowChange(id: string): Promise<ExternalStageRun>;
  /** An Ansible (AWX) stage run, read (and moved on) by visibility. */
  getAwxJob(id: string): Promise<ExternalStageRun>;
  listApprovals(filter: ApprovalListFilter): Promise<ApprovalInstance[]>;
  decideApproval(id: string, decision: ApprovalDecisionRequest): Promise<ApprovalInstance>;
  /** The Terraform stage's run: plan, approval and Terraform Cloud status. */
  getTerraformRun(id: string): Promise<TerraformRun>;
  getVerification(id: string): Promise<VerificationResult>;
  getTestVerification(id: string): Promise<TestVerificationResult>;
  listVerificationTemplates(): Promise<VerificationTemplateSummary[]>;
  listLogTemplates(): Promise<LogTemplateSummary[]>;
  /** Marks a log cluster of the application for later runs, as the logged-in user (Gate adds who). */
  markLogCluster(application: string, clusterKey: string, mark: LogMarkKind, template?: string): Promise<LogMark>;
  listPolicies(): Promise<PolicySummary[]>;
  checkPipeline(pipeline: unknown, current?: unknown): Promise<PipelineCheckResult>;
  listVerifications(filter: VerificationListFilter): Promise<Page<VerificationSummary>>;
  /** The test verifications (JUnit/xUnit comparisons), with the same filters and paging. */
  listTestVerifications(filter: VerificationListFilter): Promise<Page<TestVerificationSummary>>;
  getVerificationReport(id: string): Promise<VerificationReport>;
  listPolicyGates(filter: PolicyGateListFilter): Promise<Page<PolicyGateRecord>>;
  getPolicyGateInput(id: string): Promise<PolicyGateInput>;
  getPolicy(name: string): Promise<PolicyDetail>;
  checkPolicy(name: string, request: PolicyCheckRequest): Promise<PolicyCheckAnswer>;
  doraInsights(query: InsightsQuery): Promise<DoraAnswer>;
  gateInsights(query: InsightsQuery): Promise<GatesAnswer>;
  /** A page of the Kubernetes accounts sapor manages, by name (account admins only). */
  listAccounts(page: { limit: number; cursor?: string }): Promise<Page<AccountSummary>>;
  createAccount(request: AccountRequest): Promise<AccountWriteResult>;
  deleteAccount(name: string): Promise<AccountDeleteResult>;
  accountHistory(name: string): Promise<AccountHistoryEntry[]>;
  /** The browser URL of a sidecar path through Gate's proxy (for links such as autopilot's report). */
  proxyUrl(service: SidecarService, path: string): string;
}

/** An insights range for one application (ISO-8601 bounds, `to` exclusive). */
export interface InsightsQuery {
  application: string;
  from: string;
  to: string;
}

/** The subset of `fetch` the client needs, so tests and hosts can pass their own. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

/** Options of the Gate proxy client. */
export interface GateProxyClientOptions {
  /** Gate's base URL (Deck's `SETTINGS.gateUrl`). */
  gateUrl: string;
  fetch: FetchFunction;
}

/** Builds a client that reaches the sidecars through Gate's `proxies`. */
export function createGateProxyClient(options: GateProxyClientOptions): SidecarClient {
  const base = options.gateUrl.replace(/\/+$/, '');

  async function call<T>(
    service: SidecarService,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', 'X-RateLimit-App': 'deck' };
    const sendsBody = method === 'POST' || method === 'PUT';
    // Gate forwards a body only with a Content-Type and answers 502 to a bodyless POST, so writes always carry JSON.
    if (sendsBody) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await options.fetch(`${base}/proxies/${service}${path}`, {
        method,
        headers,
        credentials: 'include',
        body: sendsBody ? JSON.stringify(body ?? {}) : undefined,
      });
    } catch (error) {
      throw new SidecarError(service, 0, `${service} is unreachable through Gate: ${describe(error)}`, {
        cause: error,
      });
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) {
      throw new SidecarError(service, response.status, errorMessage(service, response.status, parsed, text), {
        field: problemField(parsed),
      });
    }
    if (parsed === undefined) {
      throw new SidecarError(
        service,
        response.status,
        `${service} answered ${method} ${path} with a body that is not JSON`,
      );
    }
    return parsed as T;
  }

  return {
    getApproval: (id) => call('visibility', 'GET', `/api/v1/approvals/${encodeURIComponent(id)}`),
    getJiraIssue: (id) => call('visibility', 'GET', `/api/v1/jira-issues/${encodeURIComponent(id)}`),
    getServiceNowChange: (id) => call('visibility', 'GET', `/api/v1/servicenow-changes/${encodeURIComponent(id)}`),
    getAwxJob: (id) => call('visibility', 'GET', `/api/v1/awx-jobs/${encodeURIComponent(id)}`),
    listApprovals: async (filter) => {
      const query = new URLSearchParams({ limit: String(filter.limit), offset: String(filter.offset) });
      if (filter.application) query.set('application', filter.application);
      if (filter.status) query.set('status', filter.status);
      if (filter.mine) query.set('mine', 'true');
      return listOf(await call('visibility', 'GET', `/api/v1/approvals?${query.toString()}`), 'approvals');
    },
    decideApproval: (id, decision) =>
      call('visibility', 'POST', `/api/v1/approvals/${encodeURIComponent(id)}/decisions`, decision),
    getTerraformRun: (id) => call('visibility', 'GET', `/api/v1/terraform-runs/${encodeURIComponent(id)}`),
    getVerification: (id) => call('autopilot', 'GET', `/api/v1/verifications/${encodeURIComponent(id)}`),
    getTestVerification: (id) => call('autopilot', 'GET', `/api/v1/test-verifications/${encodeURIComponent(id)}`),
    listVerificationTemplates: async () => listOf(await call('autopilot', 'GET', '/api/v1/templates'), 'templates'),
    listLogTemplates: async () => listOf(await call('autopilot', 'GET', '/api/v1/log-templates'), 'templates'),
    markLogCluster: (application, clusterKey, mark, template) =>
      call(
        'autopilot',
        'PUT',
        `/api/v1/applications/${encodeURIComponent(application)}/log-marks/${encodeURIComponent(clusterKey)}`,
        template === undefined ? { mark } : { mark, template },
      ),
    listPolicies: async () => listOf(await call('sapor', 'GET', '/api/v1/policies'), 'policies'),
    checkPipeline: async (pipeline, current) =>
      pipelineCheckResult(
        await call<PipelineCheckAnswer>(
          'sapor',
          'POST',
          '/api/v1/policies/pipeline-check',
          current === undefined ? { new: pipeline } : { new: pipeline, current },
        ),
      ),
    listVerifications: async (filter) =>
      pageOf<VerificationSummary>(
        await call('autopilot', 'GET', `/api/v1/verifications?${queryOf(filter)}`),
        'verifications',
      ),
    listTestVerifications: async (filter) =>
      pageOf<TestVerificationSummary>(
        await call('autopilot', 'GET', `/api/v1/test-verifications?${queryOf(filter)}`),
        'testVerifications',
      ),
    getVerificationReport: (id) =>
      call('autopilot', 'GET', `/api/v1/verifications/${encodeURIComponent(id)}/report?format=json`),
    listPolicyGates: async (filter) =>
      pageOf<PolicyGateRecord>(await call('sapor', 'GET', `/api/v1/policy-gates?${queryOf(filter)}`), 'gates'),
    getPolicyGateInput: (id) => call('sapor', 'GET', `/api/v1/policy-gates/${encodeURIComponent(id)}/input`),
    getPolicy: (name) => call('sapor', 'GET', `/api/v1/policies/${encodeURIComponent(name)}`),
    checkPolicy: (name, request) =>
      call('sapor', 'POST', `/api/v1/policies/${encodeURIComponent(name)}/check`, request),
    doraInsights: (query) => call('sapor', 'GET', `/api/v1/insights/dora?${queryOf(query)}`),
    gateInsights: (query) => call('sapor', 'GET', `/api/v1/insights/gates?${queryOf(query)}`),
    listAccounts: async (page) =>
      pageOf<AccountSummary>(await call('sapor', 'GET', `/api/v1/accounts?${queryOf(page)}`), 'accounts'),
    createAccount: (request) => call('sapor', 'POST', '/api/v1/accounts', request),
    deleteAccount: (name) => call('sapor', 'DELETE', `/api/v1/accounts/${encodeURIComponent(name)}`),
    accountHistory: async (name) =>
      listOf(await call('sapor', 'GET', `/api/v1/accounts/${encodeURIComponent(name)}/history`), 'history'),
    proxyUrl: (service, path) => `${base}/proxies/${service}${path.startsWith('/') ? path : `/${path}`}`,
  };
}

/** Deny messages from either answer form; a `deny` status without messages still denies. */
function pipelineCheckResult(answer: PipelineCheckAnswer): PipelineCheckResult {
  const decisionId = typeof answer?.decisionId === 'string' ? { decisionId: answer.decisionId } : {};
  if (Array.isArray(answer?.deny)) return { deny: answer.deny.map(String), ...decisionId };
  if (answer?.status !== 'deny') return { deny: [], ...decisionId };
  const messages =
    Array.isArray(answer.messages) && answer.messages.length > 0
      ? answer.messages
      : (answer.denies ?? []).map((deny) => deny.message);
  return { deny: messages.length > 0 ? messages.map(String) : ['denied by policy (no message given)'], ...decisionId };
}

/** A query string of the defined fields (undefined and empty ones are left out). */
function queryOf(fields: object): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== '') query.set(key, String(value));
  }
  return query.toString();
}

/** A keyset page `{<name>: [...], next}`. */
function pageOf<T>(body: unknown, key: string): Page<T> {
  const next = body && typeof body === 'object' ? (body as Record<string, unknown>)['next'] : undefined;
  return { items: listOf<T>(body, key), next: typeof next === 'string' && next !== '' ? next : null };
}

/** Lists come either bare or wrapped as `{items: [...]}` / `{<name>: [...]}`; both are accepted. */
function listOf<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const list = record[key] ?? record['items'];
    if (Array.isArray(list)) return list as T[];
  }
  return [];
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Picks the most useful message from a problem+json body, an Express-style error or plain text. */
function errorMessage(service: SidecarService, status: number, parsed: unknown, text: string): string {
  if (parsed && typeof parsed === 'object') {
    const body = parsed as Record<string, unknown>;
    for (const key of ['detail', 'message', 'title', 'error']) {
      const value = body[key];
      if (typeof value === 'string' && value.trim() !== '') return `${service} ${status}: ${value}`;
    }
  }
  const snippet = text.trim().slice(0, 200);
  if (status === 502) return `${service} is unavailable (Gate answered 502${snippet ? `: ${snippet}` : ''})`;
  return `${service} ${status}${snippet ? `: ${snippet}` : ''}`;
}

/** The field a problem+json body names (`body.kubeconfig` → `kubeconfig`). */
function problemField(parsed: unknown): string | undefined {
  if (!parsed || typeof parsed !== 'object') return undefined;
  const field = (parsed as Record<string, unknown>)['field'];
  return typeof field === 'string' && field !== '' ? field.replace(/^body\./, '') : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
