// The JSON the plugin reads from and sends to the sidecars (through Gate's `/proxies/{service}/...`).
// Kept in one file so a difference from a sidecar's real responses is fixed in one place; the
// fixtures in test/fixtures follow these shapes.

/** Approval gate instance states (visibility). */
export type ApprovalStatus = 'activated' | 'approved' | 'rejected' | 'expired' | 'canceled';

/** One approver group and how far it has got. */
export interface ApproverGroupProgress {
  name: string;
  /** Approvals this group must give. */
  required: number;
  /** Approvals given so far. */
  approvals: number;
}

/** A decision a user recorded on an approval. */
export interface ApprovalDecision {
  user: string;
  action: ApprovalAction;
  comment?: string;
  /** ISO-8601 time of the decision. */
  at: string;
  /** Approver groups the decision counted for. */
  groups?: string[];
  /** The triggering user approved through the audited break-glass path. */
  breakGlass?: boolean;
}

/** Evidence one connector gathered for approvers. */
export interface EvidenceCard {
  connector: string;
  label?: string;
  status: 'pass' | 'fail' | 'warn' | 'info' | 'error';
  summary: string;
  error?: string;
  data?: Record<string, unknown>;
  fetchedAt?: string;
  durationMs?: number;
}

/** `GET /api/v1/approvals/{id}` (and Orca's monitor body for the approval gate). */
export interface ApprovalInstance {
  id: string;
  status: ApprovalStatus;
  application?: string;
  pipelineName?: string;
  executionId?: string;
  /** The user who triggered the pipeline. */
  triggeredBy?: string;
  /** ISO-8601 time the gate was created. */
  createdAt?: string;
  approverGroups: ApproverGroupProgress[];
  decisions: ApprovalDecision[];
  evidence: EvidenceCard[];
  /** `pending` while connectors are still gathering evidence. */
  evidenceStatus?: 'pending' | 'gathered';
  /** Digest of the evidence shown; sent back with a decision so a user decides on what they saw. */
  evidenceDigest?: string | null;
  /** ISO-8601 time after which the gate expires. */
  deadline?: string;
  /** Whether the calling user may approve or reject now (only meaningful through Gate's proxy). */
  canDecide?: boolean;
  /** Whether the calling user may approve (false when only a reject is open to them, e.g. self-approval). */
  canApprove?: boolean;
  instructions?: string;
  links?: Record<string, string>;
}

/** What an approver can do. */
export type ApprovalAction = 'approve' | 'reject';

/** `POST /api/v1/approvals/{id}/decisions` body; a reject must carry a comment. */
export interface ApprovalDecisionRequest {
  action: ApprovalAction;
  comment: string;
  /** The evidence digest the user was shown; visibility answers 409 if the evidence changed since. */
  evidenceDigest?: string;
}

/** Verification states (autopilot). */
export type VerificationStatus = 'running' | 'pass' | 'fail' | 'marginal' | 'error' | 'canceled';

/** One scored interval of a verification. */
export interface VerificationInterval {
  index?: number;
  /** `pending` while collecting, `judged` once scored, `skipped` when the analysis ended first. */
  status?: 'pending' | 'judged' | 'skipped';
  /** Score 0–100, absent until the interval is judged. */
  score?: number;
  classification?: string;
  startTime?: string;
  endTime?: string;
}

/** The judgement of one metric. */
export interface MetricResult {
  name: string;
  classification: string;
  reason?: string;
  kind?: string;
}

/** `GET /api/v1/verifications/{id}` (and Orca's monitor body for the verification gate). */
export interface VerificationResult {
  id: string;
  status: VerificationStatus;
  score?: number;
  intervals: VerificationInterval[];
  metrics: MetricResult[];
  /** The report; a path (`/api/v1/...`) is relative to autopilot and reached through Gate's proxy. */
  reportUrl?: string;
  /** Why the verdict is what it is (e.g. which critical metric failed). */
  reason?: string | null;
  error?: string;
  thresholds?: { pass?: number; marginal?: number };
  /** The metric template; null when the verification reads logs only. */
  template?: { name: string; version: number | null } | null;
  /** The log template the verification reads, or null/absent for metrics only. */
  logTemplate?: { name: string; version: number | null } | null;
  weights?: { metric: number; log: number };
}

/** One side's outcome of a test over all its runs (autopilot's test verification). */
export interface TestSideTally {
  status: 'absent' | 'skipped' | 'passed' | 'failed' | 'flaky';
  passed: number;
  failed: number;
  skipped: number;
  medianMs: number | null;
}

/** A test the comparison lists (new failure, flaky, missing…). */
export interface TestFinding {
  id: string;
  suite: string;
  name: string;
  message: string | null;
  baseline: TestSideTally;
  canary: TestSideTally;
  /** Flaky list only: flaky in the canary but not in the baseline. */
  newlyFlaky?: boolean;
}

/** One run's totals. */
export interface TestRunSummary {
  label: string;
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

/** `GET /api/v1/test-verifications/{id}` (and Orca's monitor body for the test verification gate). */
export interface TestVerificationResult {
  id: string;
  kind?: 'test';
  status: VerificationStatus;
  score: number | null;
  reason: string | null;
  error?: string;
  thresholds?: { pass?: number; marginal?: number };
  reportUrl?: string;
  baselineRuns?: Array<{ kind: string; label: string }>;
  canaryRuns?: Array<{ kind: string; label: string }>;
  counts: {
    newFailures: number;
    stillFailing: number;
    fixed: number;
    flaky: number;
    newlyFlaky: number;
    slower: number;
    missing: number;
    newTests: number;
    newlySkipped: number;
  } | null;
  suite: { baselineMs: number; canaryMs: number; ratio: number | null; slower: boolean; tests: number } | null;
  baseline: { runs: TestRunSummary[]; tests: number } | null;
  canary: { runs: TestRunSummary[]; tests: number } | null;
  penalties?: Array<{ rule: string; count: number; points: number }>;
  newFailures: TestFinding[];
  flaky: TestFinding[];
  slower: Array<{ id: string; baselineMs: number; canaryMs: number; ratio: number | null }>;
  missing: TestFinding[];
}

/** An entry of `GET /api/v1/log-templates` (autopilot answers `{templates: [...]}`). */
export interface LogTemplateSummary {
  name: string;
  version?: number | string;
  description?: string | null;
  provider?: string;
}

/** The marks a person can put on a log cluster (`PUT …/log-marks/{clusterKey}`). */
export type LogMarkKind = 'expected' | 'ignorable' | 'critical';

/** An application's mark on a cluster, as autopilot stores it. */
export interface LogMark {
  mark: LogMarkKind;
  comment?: string | null;
  markedBy: string;
  markedAt: string;
}

/** One log cluster of the report (`LogClusterView` in autopilot). */
export interface ReportLogCluster {
  clusterKey: string;
  template: string;
  examples?: { baseline?: string[]; canary?: string[] };
  baselineCount: number;
  canaryCount: number;
  kind?: string;
  topic?: string;
  classification: string;
  /** Points off the log score, or `fails the run` for a critical cluster. */
  scoreImpact?: number | string;
  /** The mark applied when the window was analysed. */
  mark?: LogMarkKind | null;
  /** The application's mark now. */
  currentMark?: LogMark | null;
}

/** One log template's analysis in the report (`LogsView` in autopilot). */
export interface ReportLogs {
  kind?: 'log';
  template: { name: string; version: number | null };
  provider?: string;
  weight?: number;
  score: number | null;
  failed?: boolean;
  reasons?: string[];
  baselineEvents?: number;
  canaryEvents?: number;
  clusterCount?: number;
  clusters: ReportLogCluster[];
}

/** An entry of `GET /api/v1/templates` (autopilot answers `{templates: [...]}`). */
export interface VerificationTemplateSummary {
  name: string;
  version?: number | string;
  description?: string | null;
  metricCount?: number;
}

/** Policy decisions (sapor). */
export type PolicyStatus = 'allow' | 'deny';

/** Orca's monitor body for the policy gate. */
export interface PolicyGateDecision {
  status: PolicyStatus;
  messages: string[];
  /** The decision's document path (what the stage asked for), and the policy that holds it. */
  policy: { path?: string; name?: string | null; version?: string | number | null };
  decisionId: string;
}

/** An entry of `GET /api/v1/policies` (sapor answers `{revision, policies: [...]}`). */
export interface PolicySummary {
  name: string;
  version?: string | number;
  description?: string | null;
  /** Rego packages the policy defines (`isd.deploy`); decisions are addressed as `isd/deploy/<rule>`. */
  packages?: string[];
}

/**
 * `POST /api/v1/policies/pipeline-check` as sapor answers it: `{status: allow|deny, messages, denies,
 * decisionId}`. The client also accepts the older `{deny: string[]}` form.
 */
export interface PipelineCheckAnswer {
  status?: PolicyStatus;
  messages?: string[];
  denies?: Array<{ message: string; packagePath?: string; policyName?: string | null }>;
  decisionId?: string;
  deny?: string[];
}

/** The pipeline check normalised by the client: empty `deny` means the pipeline may be saved. */
export interface PipelineCheckResult {
  deny: string[];
  decisionId?: string;
}

/** `GET /api/v1/approvals` filters; `mine` lists only the gates the calling user may still decide. */
export interface ApprovalListFilter {
  application?: string;
  status?: ApprovalStatus;
  mine?: boolean;
  limit: number;
  offset: number;
}

/** `GET /api/v1/verifications` filters (autopilot); `cursor` is the previous page's `next`. */
export interface VerificationListFilter {
  application: string;
  pipeline?: string;
  status?: VerificationStatus;
  /** ISO-8601 bounds on the creation time. */
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** An entry of autopilot's verification list. */
export interface VerificationSummary {
  id: string;
  status: VerificationStatus;
  score: number | null;
  reason: string | null;
  application: string;
  pipelineName: string | null;
  pipelineId?: string | null;
  executionId: string;
  stageId: string;
  template: { name: string; version: number | null };
  thresholds: { pass: number; marginal: number };
  createdAt: string;
  finishedAt: string | null;
}

/** An entry of autopilot's test verification list (`GET /api/v1/test-verifications`, same filters). */
export interface TestVerificationSummary {
  id: string;
  kind: 'test';
  status: VerificationStatus;
  score: number | null;
  reason: string | null;
  error?: string;
  application: string;
  pipelineName: string | null;
  executionId: string;
  stageId: string;
  thresholds: { pass: number; marginal: number };
  baselineRuns: Array<{ kind: string; label: string }>;
  canaryRuns: Array<{ kind: string; label: string }>;
  /** autopilot's path of the HTML report. */
  reportUrl: string;
  createdAt: string;
  finishedAt: string | null;
}

/** One page of a keyset-paged list: `next` is the cursor of the following page, null on the last. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** A side's points over time in the report (null = gap). */
export interface SeriesPoints {
  timestampsMs: number[];
  values: Array<number | null>;
}

/** A metric in autopilot's JSON report. */
export interface ReportMetric {
  name: string;
  classification: string;
  reason?: string;
  critical?: boolean;
  groups?: string[];
  /** The template's unit of the values (ms, %, req/s). */
  unit?: string;
  problems?: string[];
  baselineSeries: SeriesPoints;
  canarySeries: SeriesPoints;
}

/** `GET /api/v1/verifications/{id}/report?format=json` (the metric part; log results are listed separately). */
export interface VerificationReport {
  id: string;
  status: VerificationStatus;
  verdict?: string;
  score: number | null;
  reason?: string | null;
  error?: string | null;
  template?: { name: string; version: number | null };
  thresholds?: { pass: number; marginal: number };
  baselineScope?: Record<string, string>;
  canaryScope?: Record<string, string>;
  intervals: VerificationInterval[];
  groups?: Array<{ name: string; score: number; weight: number }>;
  metrics: ReportMetric[];
  /** Log analysis of the last judged window, one entry per log template (empty without one). */
  logs?: ReportLogs[];
  reportUrl?: string;
  /** What autopilot's retention dropped from this finished verification (`retention.detailDays`), and when. */
  detailsDropped?: { at: string; dropped: string } | null;
}

/** A runtime policy gate decision in sapor's list (`GET /api/v1/policy-gates`). */
export interface PolicyGateRecord {
  id: string;
  status: PolicyStatus;
  messages: string[];
  policy: { path: string; name: string | null; version: number | null };
  decisionId: string;
  application: string;
  pipelineName: string | null;
  executionId: string;
  stageId: string;
  triggeredBy: string | null;
  inputDigest: string;
  createdAt: string;
}

/** `GET /api/v1/policy-gates` filters. */
export interface PolicyGateListFilter {
  application: string;
  status?: PolicyStatus;
  limit: number;
  cursor?: string;
}

/** `GET /api/v1/policy-gates/{id}/input`. */
export interface PolicyGateInput {
  id: string;
  input: unknown;
  inputBytes: number | null;
  omitted: string | null;
}

/** `GET /api/v1/policies/{name}`: a policy with its Rego modules. */
export interface PolicyDetail extends PolicySummary {
  regoVersion?: 'v0' | 'v1';
  modules: Array<{ name: string; source: string }>;
}

/** `POST /api/v1/policies/{name}/check` body: a draft, and an input to evaluate it on. */
export interface PolicyCheckRequest {
  modules: Array<{ name: string; source: string }>;
  regoVersion?: 'v0' | 'v1';
  input?: unknown;
  /** Document to evaluate (`isd/deploy/deny`); absent = the draft's first package. */
  query?: string;
}

/** What sapor answers to a policy check. */
export interface PolicyCheckAnswer {
  passed: boolean;
  packages: string[];
  tests: Array<{ name: string; passed: boolean; error?: string }>;
  evaluation?: { document: string; result?: unknown; warnings: string[]; error?: string };
}

/** The DORA measures of one group (sapor `GET /api/v1/insights/dora`). */
export interface DoraGroup {
  application: string;
  pipeline?: string;
  environment?: string;
  deployments: { successful: number; failed: number; perDay: number };
  leadTimeMs: { median: number | null; p90: number | null; count: number };
  changeFailureRate: number | null;
  timeToRestoreMs: { median: number | null; count: number; unrestored: number };
}

/** Freshness of sapor's execution sync. */
export interface InsightsFreshness {
  lastSuccessAt: string | null;
  lastAttemptAt: string | null;
  lastError: string | null;
  stale: boolean;
}

/** `GET /api/v1/insights/dora`. */
export interface DoraAnswer {
  from: string;
  to: string;
  groups: DoraGroup[];
  freshness: InsightsFreshness;
}

/** One application in `GET /api/v1/insights/gates`. */
export interface GateInsights {
  application: string;
  decisions: Record<string, Record<string, number>>;
  policyDenials: number;
  approvalWaitMs: { median: number | null; p90: number | null; count: number };
  verificationScore: { mean: number | null; count: number };
}

/** `GET /api/v1/insights/gates`. */
export interface GatesAnswer {
  from: string;
  to: string;
  applications: GateInsights[];
}

/** Where an account's kubeconfig points (sapor never answers a credential). */
export interface KubeconfigSummary {
  server: string;
  context: string;
  auth: 'token' | 'client-certificate';
  sha256: string;
}

/** Fiat permissions of an account: role lists per authorization. */
export interface AccountPermissions {
  READ?: string[];
  WRITE?: string[];
  EXECUTE?: string[];
}

/** A Kubernetes account sapor manages (`GET /api/v1/accounts`). */
export interface AccountSummary {
  name: string;
  type: 'kubernetes';
  kubeconfig: KubeconfigSummary;
  agent: { name: string; namespace: string } | null;
  namespaces: string[];
  omitNamespaces: string[];
  environment: string;
  permissions: AccountPermissions;
  version: number;
  backend: 'clouddriver' | 'git';
  revision: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/** What an admin sends to create an account: a pasted kubeconfig, or an agent that will reach the cluster. */
export interface AccountRequest {
  name: string;
  kubeconfig?: string;
  agent?: { name: string; namespace?: string };
  context?: string;
  namespaces?: string[];
  environment?: string;
  permissions: AccountPermissions;
}

/** sapor's answer to a create; through a new agent it holds the manifest to apply (shown only once). */
export interface AccountWriteResult {
  account: AccountSummary;
  agentManifest?: string;
}

/** One version of an account, newest first; `account` is null for a deletion. */
export interface AccountHistoryEntry {
  version: number;
  action: 'created' | 'updated' | 'deleted';
  backend: 'clouddriver' | 'git';
  actor: string;
  occurredAt: string;
  revision: string | null;
  account: Omit<AccountSummary, 'createdAt' | 'createdBy' | 'updatedAt' | 'updatedBy'> | null;
}

/** sapor's answer to a delete. */
export interface AccountDeleteResult {
  name: string;
  version: number;
  revision: string | null;
  revoked: number;
}

/** Terraform stage states (visibility): running, then success, terminal or canceled. */
export type TerraformRunStatus =
  | 'planning'
  | 'awaiting_approval'
  | 'applying'
  | 'applied'
  | 'no_changes'
  | 'rejected'
  | 'expired'
  | 'discarded'
  | 'errored'
  | 'canceled';

/** One resource change of a Terraform plan, its action folded into one word. */
export interface TerraformResourceChange {
  address: string;
  action: 'create' | 'update' | 'delete' | 'replace' | 'read' | 'no-op';
  actions?: string[];
  reason?: string;
}

/** `GET /api/v1/terraform-runs/{id}` (and Orca's monitor body for the Terraform stage). */
export interface TerraformRun {
  id: string;
  status: TerraformRunStatus;
  /** One line saying where the run is. */
  message?: string;
  application?: string;
  organization?: string;
  workspace?: string;
  /** Names of the run variables sent (values are not shown back). */
  variables?: string[];
  terraform?: { runId: string | null; status: string | null; url: string | null };
  plan?: {
    additions: number;
    changes: number;
    destructions: number;
    replacements: number;
    resourceChanges: TerraformResourceChange[];
    omitted: number;
  } | null;
  /** The approval opened on the plan, as visibility shows it to the calling user. */
  approval?: ApprovalInstance | null;
  error?: string | null;
  history?: Array<{ at: string; status: string; terraformStatus: string | null; note: string }>;
  createdAt?: string;
  finishedAt?: string | null;
}

/** A stage visibility performs on an external system (JIRA, ...): Orca's monitor body and the view's data. */
export interface ExternalStageRun {
  id: string;
  kind: string;
  status: 'creating' | 'waiting' | 'done' | 'rejected' | 'failed' | 'timeout' | 'canceled';
  /** What happened, in words (Orca's progress message). */
  message: string;
  application: string;
  executionId: string;
  stageId: string;
  /** The thing created (issue key, change number, job id) and its link; null before it exists. */
  ref: { id: string; url: string } | null;
  /** The thing as last read: for JIRA `{status, statusCategory, summary}`. */
  observed: Record<string, unknown> | null;
  /** The stage inputs as visibility validated them. */
  request: Record<string, unknown>;
  createdAt: string;
  observedAt: string | null;
  deadline: string;
  closedAt: string | null;
}
