// The stage catalog: one typed definition per ISD gate. Everything Spinnaker needs to run a gate as a
// preconfigured webhook stage (Orca's `webhook.preconfigured`, Deck's stage keys and defaults, Gate's
// proxies) is derived from these objects, so they are the single source of truth.
//
// Orca facts this file relies on (spinnaker/orca orca-webhook, see ../README.md for the full list):
// - the preconfigured YAML overwrites url/method/headers/payload in the stage context
//   (PreconfiguredWebhookStage.java), so users cannot redirect a gate elsewhere;
// - `stageTimeoutMs` and `retryStatusCodes` are read only from the stage JSON (WebhookStage.StageData),
//   never from YAML, so they are `stageDefaults` the Deck plugin writes into new stages;
// - SpEL in the payload is evaluated on every task run and a failed expression is left as literal
//   `${…}` text (ContextParameterProcessor), so every inserted value goes through `#toJson(...)` and
//   the sidecars reject literal `${` with 400.

/** The kinds of stage ISD adds to Spinnaker: the gates and the stages that act on external systems. */
export type GateKind =
  'approval' | 'verification' | 'testVerification' | 'policy' | 'terraform' | 'jira' | 'servicenow' | 'awx';

/** Stage type keys: Orca's `webhook.preconfigured[].type` and Deck's `IStageTypeConfig.key`. */
export type GateStageKey =
  | 'isdApprovalGate'
  | 'isdVerificationGate'
  | 'isdTestVerificationGate'
  | 'isdPolicyGate'
  | 'isdTerraform'
  | 'isdJiraIssue'
  | 'isdServiceNowChange'
  | 'isdAnsibleJob';

/** The sidecar service that answers a gate; also the Gate proxy id (`/proxies/{service}/**`). */
export type SidecarService = 'visibility' | 'autopilot' | 'sapor';

/** One user-facing input of a gate stage; its value lives at `stage.parameterValues[name]`. */
export interface StageParameter {
  /** Key inside `stage.parameterValues`. */
  name: string;
  /** Label the Deck editor shows. */
  label: string;
  /** JSON type of the value the Deck editor writes. */
  type: 'string' | 'number' | 'boolean' | 'string[]' | 'object' | 'array';
  /** Whether the sidecar rejects a create without it (400 naming the field). */
  required: boolean;
  /** Value the Deck editor puts into new stages; absent means no default. */
  defaultValue?: unknown;
  /** One or two sentences of help text. */
  help: string;
}

/**
 * Stage-JSON fields Orca honours only from the stage itself (WebhookStage.StageData and
 * StageExecutionImpl.getParentWithTimeout), never from `orca-local.yml`. The Deck plugin must put
 * these into new stages as `IStageTypeConfig.defaults`.
 */
export interface StageDefaults {
  /** Overall stage timeout; MonitorWebhookTask otherwise gives up after 1 hour. */
  stageTimeoutMs: number;
  /** Extra monitor status codes to retry besides 5xx and 429 (MonitorWebhookTask `retryStatusCodes`). */
  retryStatusCodes: number[];
  /** Must stay true: the gate answers asynchronously and Orca has to poll it. */
  waitForCompletion: true;
  /** Stage failure stops the pipeline, as users expect of a gate. */
  failPipeline: true;
}

/** Status words a gate's monitor endpoint returns at `$.status`, grouped as Orca maps them. */
export interface GateStatuses {
  /** Words meaning "still working"; Orca keeps polling (unknown words do the same). */
  running: string[];
  /** Words Orca maps to SUCCEEDED (`successStatuses`). */
  success: string[];
  /** Words Orca maps to TERMINAL (`terminalStatuses`). */
  terminal: string[];
  /** Words Orca maps to CANCELED (`canceledStatuses`). */
  canceled: string[];
}

/** HTTP methods Orca's webhook stage can use for create and cancel. */
export type WebhookMethod = 'POST' | 'PUT' | 'GET' | 'DELETE' | 'PATCH';

/** The typed definition of one gate stage. */
export interface GateStage {
  kind: GateKind;
  key: GateStageKey;
  /** Name in Deck's stage picker and in the preconfigured webhook list. */
  label: string;
  /** One-line description shown in Deck. */
  description: string;
  /** Sidecar that serves this gate. */
  service: SidecarService;
  /** User inputs, stored under `stage.parameterValues`. */
  parameters: StageParameter[];
  /** Stage-JSON defaults Orca only reads from the stage (see StageDefaults). */
  stageDefaults: StageDefaults;
  /** Status words at `statusJsonPath` in the monitor body. */
  statuses: GateStatuses;
  /** Path appended to the sidecar base URL for create, e.g. `/api/v1/approvals`. */
  createPath: string;
  /** Create method. */
  method: WebhookMethod;
  /** SpEL JSON template Orca evaluates and sends as the create body. */
  payloadTemplate: string;
  /** How Orca finds the status URL: the `Location` header of the 202. */
  statusUrlResolution: 'locationHeader';
  /** JSONPath of the status word in the monitor body. */
  statusJsonPath: '$.status';
  /** JSONPath of a human progress message in the monitor body (must be a string there). */
  progressJsonPath?: string;
  /** Cancel endpoint as SpEL (resolved against the stage context), or absent when the gate has none. */
  cancelEndpointTemplate?: string;
  /** Cancel method. */
  cancelMethod?: WebhookMethod;
  /** Cancel body template (JSON text); Orca sends it as is after SpEL. */
  cancelPayloadTemplate?: string;
}

/** Header carrying Orca's service token to the sidecars (value from a secret reference, never a literal). */
export const serviceTokenHeader = 'X-ISD-Service-Token';

/** Header a trusted Gate-side hop adds to prove a request came through Gate (see README, trust model). */
export const gateTokenHeader = 'X-ISD-Gate-Token';

/** Stage-context key under which every gate's user inputs live. */
export const parameterValuesKey = 'parameterValues';

/** Deck stage JSON alias that makes Orca route a stage to PreconfiguredWebhookStage (DefaultStageResolver). */
export const preconfiguredWebhookAlias = 'preconfiguredWebhook';

// SpEL fragments shared by the payloads. `#toJson` makes every value valid JSON (strings quoted, null
// as null) and kork refuses to emit `${` from it, so a value cannot smuggle in a second expression.
// None of these may contain ':' — Spring resolves `${a:b}` in orca-local.yml as a property
// placeholder with a default before Orca ever sees it (checked in render.ts).
const spel = {
  application: '${#toJson(execution.application)}',
  pipelineName: '${#toJson(execution.name)}',
  pipelineId: '${#toJson(execution.pipelineConfigId)}',
  executionId: '${#toJson(execution.id)}',
  stageId: '${#toJson(#currentStage().id)}',
  triggeredBy: '${#toJson(#currentUser())}',
  parameter: (name: string): string => `\${#toJson(${parameterValuesKey}['${name}'])}`,
};

/** Builds a JSON template from (key, SpEL fragment) pairs, one key per line so diffs stay readable. */
function jsonTemplate(fields: Array<[string, string]>): string {
  const lines = fields.map(([key, value], index) => `  "${key}": ${value}${index < fields.length - 1 ? ',' : ''}`);
  return ['{', ...lines, '}'].join('\n');
}

/**
 * A gate's create payload: where the stage runs, who started it (for the services that record it), then the
 * stage's own parameters, each read from the stage's values.
 */
function gatePayload(parameters: readonly StageParameter[], options: { triggeredBy: boolean }): string {
  return jsonTemplate([
    ['application', spel.application],
    ['pipelineName', spel.pipelineName],
    ['pipelineId', spel.pipelineId],
    ['executionId', spel.executionId],
    ['stageId', spel.stageId],
    ...(options.triggeredBy ? [['triggeredBy', spel.triggeredBy] as [string, string]] : []),
    ...parameters.map((parameter): [string, string] => [parameter.name, spel.parameter(parameter.name)]),
  ]);
}

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

/** Evidence connectors visibility gathers from (its `evidenceRequestSchema`; a contract test keeps them equal). */
export const evidenceConnectors = [
  'jenkins',
  'git',
  'jira',
  'sonarqube',
  'bamboo',
  'artifactory',
  'xray',
  'prismacloud',
  'appscan',
  'aqua',
  'servicenow',
  'verification',
  'http',
] as const;

const approvalParameters: StageParameter[] = [
  {
    name: 'approverGroups',
    label: 'Approver groups',
    type: 'array',
    required: true,
    defaultValue: [],
    help: 'List of {name, required}: each group (a Fiat role) must give `required` approvals before the gate opens.',
  },
  {
    name: 'allowSelfApproval',
    label: 'Allow self-approval',
    type: 'boolean',
    required: false,
    defaultValue: false,
    help: 'Whether the user who triggered the pipeline may approve their own execution.',
  },
  {
    name: 'timeoutMs',
    label: 'Approval timeout (ms)',
    type: 'number',
    required: true,
    defaultValue: DAY_MS,
    help: 'After this long without a decision the gate reports `expired`; keep it below the stage timeout.',
  },
  {
    name: 'instructions',
    label: 'Instructions',
    type: 'string',
    required: false,
    defaultValue: '',
    help: 'Markdown shown to approvers next to the evidence.',
  },
  {
    name: 'evidence',
    label: 'Evidence',
    type: 'array',
    required: false,
    defaultValue: [],
    help: `List of {connector: ${evidenceConnectors.map((name) => `'${name}'`).join('|')}, ...params} the gate gathers for approvers.`,
  },
  {
    name: 'autoDecision',
    label: 'Automatic decision',
    type: 'object',
    required: false,
    help: "Optional {policyPath, mode: 'approve'|'reject'|'recommend'}: a policy evaluated on activation that can decide or recommend.",
  },
];

const verificationParameters: StageParameter[] = [
  // Autopilot needs a metric template, a log template or both (400 `body.template` otherwise), so
  // neither is required on its own; the Deck validator checks the pair.
  {
    name: 'template',
    label: 'Metric template',
    type: 'object',
    required: false,
    help: 'The {name, version?} of the metric template that defines what is compared; absent means logs only (then a log template is required).',
  },
  {
    name: 'logTemplate',
    label: 'Log template',
    type: 'object',
    required: false,
    help: 'The {name, version?} of the log template whose clusters are compared; absent means metrics only.',
  },
  {
    name: 'weights',
    label: 'Score weights',
    type: 'object',
    required: false,
    help: "{metric, log}: how much the metric and log scores count in the combined score; absent means autopilot's default (0.5 / 0.5).",
  },
  {
    name: 'baseline',
    label: 'Baseline scope',
    type: 'object',
    required: true,
    help: 'Scope labels selecting the baseline series (e.g. {namespace, deployment}).',
  },
  {
    name: 'canary',
    label: 'Canary scope',
    type: 'object',
    required: true,
    help: 'Scope labels selecting the canary series.',
  },
  {
    name: 'startTime',
    label: 'Start time',
    type: 'string',
    required: false,
    help: 'ISO-8601 start of the analysis window; absent means when the gate is created.',
  },
  {
    name: 'lifetimeMs',
    label: 'Analysis lifetime (ms)',
    type: 'number',
    required: true,
    defaultValue: 30 * MINUTE_MS,
    help: 'Total length of the analysis.',
  },
  {
    name: 'intervalMs',
    label: 'Interval (ms)',
    type: 'number',
    required: true,
    defaultValue: 5 * MINUTE_MS,
    help: 'Length of one scoring interval; the lifetime is split into intervals.',
  },
  {
    name: 'thresholds',
    label: 'Score thresholds',
    type: 'object',
    required: true,
    defaultValue: { pass: 80, marginal: 60 },
    help: 'Final score >= pass is `pass`, >= marginal is `marginal`, below is `fail`.',
  },
  {
    name: 'judge',
    label: 'Judge',
    type: 'string',
    required: false,
    help: 'Name of the judge algorithm; absent means the service default.',
  },
];

const testVerificationParameters: StageParameter[] = [
  {
    name: 'baseline',
    label: 'Baseline runs',
    type: 'array',
    required: true,
    defaultValue: [],
    help: "The baseline build's test results, one entry per run: {source?, job, build, artifact?} (a Jenkins build's test report, or an archived JUnit/xUnit file of it), {url} (a JUnit/xUnit file under a configured test source) or {xml}.",
  },
  {
    name: 'canary',
    label: 'Canary runs',
    type: 'array',
    required: true,
    defaultValue: [],
    help: "The canary build's test results, in the same form; several runs of one build reveal flaky tests.",
  },
  {
    name: 'thresholds',
    label: 'Score thresholds',
    type: 'object',
    required: true,
    defaultValue: { pass: 80, marginal: 60 },
    help: 'Score >= pass is `pass`, >= marginal is `marginal`, below is `fail` (a new failure costs 50 points).',
  },
  {
    name: 'durations',
    label: 'Slower-test rule',
    type: 'object',
    required: false,
    help: "{ratio, minIncreaseMs, suiteRatio, suiteMinIncreaseMs}: when a test or the suite counts as slower; absent means autopilot's defaults (1.5x and 250 ms; 1.2x and 2 s).",
  },
];

const policyParameters: StageParameter[] = [
  {
    name: 'policy',
    label: 'Policy',
    type: 'string',
    required: true,
    help: 'Package path of the Rego policy to evaluate, e.g. `isd/deploy/allowed`.',
  },
  {
    name: 'params',
    label: 'Parameters',
    type: 'object',
    required: false,
    defaultValue: {},
    help: 'Extra input passed to the policy as `input.params`.',
  },
];

const terraformParameters: StageParameter[] = [
  {
    name: 'workspace',
    label: 'Workspace',
    type: 'string',
    required: true,
    help: 'Terraform Cloud / Enterprise workspace to plan and apply (its current configuration is used).',
  },
  {
    name: 'organization',
    label: 'Organization',
    type: 'string',
    required: false,
    help: "Terraform Cloud organization of the workspace; empty means visibility's `terraform.organization`.",
  },
  {
    name: 'message',
    label: 'Run message',
    type: 'string',
    required: false,
    help: 'Message of the Terraform run; empty means one naming the application, pipeline and user.',
  },
  {
    name: 'variables',
    label: 'Run variables',
    type: 'object',
    required: false,
    defaultValue: {},
    help: 'Run variables {name: value} (strings, numbers, booleans) for this run only; sent to Terraform as HCL literals.',
  },
  {
    name: 'approverGroups',
    label: 'Approver groups',
    type: 'array',
    required: true,
    defaultValue: [],
    help: 'List of {name, required}: who approves the plan before it is applied (Fiat roles, N-of-M per group).',
  },
  {
    name: 'allowSelfApproval',
    label: 'Allow self-approval',
    type: 'boolean',
    required: false,
    defaultValue: false,
    help: 'Whether the user who triggered the pipeline may approve their own plan.',
  },
  {
    name: 'timeoutMs',
    label: 'Approval timeout (ms)',
    type: 'number',
    required: true,
    defaultValue: DAY_MS,
    help: 'After this long without a decision the approval expires and the plan is discarded.',
  },
  {
    name: 'instructions',
    label: 'Instructions',
    type: 'string',
    required: false,
    defaultValue: '',
    help: 'Markdown shown to approvers next to the plan.',
  },
];

/** The approval gate: N-of-M approvals from groups, with evidence, served by visibility. */
const approvalGate: GateStage = {
  kind: 'approval',
  key: 'isdApprovalGate',
  label: 'ISD Approval Gate',
  description: 'Waits for the required approvals from approver groups, with evidence gathered for them.',
  service: 'visibility',
  parameters: approvalParameters,
  stageDefaults: {
    // The approval's own expiry (timeoutMs, default 24 h) must fire first so users see `expired`
    // rather than Orca's generic stage timeout.
    stageTimeoutMs: DAY_MS + 10 * MINUTE_MS,
    retryStatusCodes: [],
    waitForCompletion: true,
    failPipeline: true,
  },
  statuses: {
    running: ['activated'],
    success: ['approved'],
    terminal: ['rejected', 'expired'],
    canceled: ['canceled'],
  },
  createPath: '/api/v1/approvals',
  method: 'POST',
  payloadTemplate: gatePayload(approvalParameters, { triggeredBy: true }),
  statusUrlResolution: 'locationHeader',
  statusJsonPath: '$.status',
  // CreateWebhookTask stores the resolved Location as `statusEndpoint` in the stage context.
  cancelEndpointTemplate: '${statusEndpoint}/cancel',
  cancelMethod: 'POST',
  cancelPayloadTemplate: '{}',
};

/** The verification gate: canary vs baseline analysis, served by autopilot. */
const verificationGate: GateStage = {
  kind: 'verification',
  key: 'isdVerificationGate',
  label: 'ISD Verification Gate',
  description: 'Scores canary against baseline metrics and logs and passes, fails or flags a marginal result.',
  service: 'autopilot',
  parameters: verificationParameters,
  stageDefaults: {
    stageTimeoutMs: 4 * HOUR_MS,
    retryStatusCodes: [],
    waitForCompletion: true,
    failPipeline: true,
  },
  // `marginal` is terminal by default; render values can move it to success (see values.ts).
  statuses: {
    running: ['running'],
    success: ['pass'],
    terminal: ['fail', 'marginal', 'error'],
    canceled: ['canceled'],
  },
  createPath: '/api/v1/verifications',
  method: 'POST',
  payloadTemplate: gatePayload(verificationParameters, { triggeredBy: false }),
  statusUrlResolution: 'locationHeader',
  statusJsonPath: '$.status',
  cancelEndpointTemplate: '${statusEndpoint}/cancel',
  cancelMethod: 'POST',
  cancelPayloadTemplate: '{}',
};

/** The test verification gate: the canary build's test results against the baseline's, served by autopilot. */
const testVerificationGate: GateStage = {
  kind: 'testVerification',
  key: 'isdTestVerificationGate',
  label: 'ISD Test Verification Gate',
  description: "Compares the canary build's test results with the baseline's: new failures, flaky and slower tests.",
  service: 'autopilot',
  parameters: testVerificationParameters,
  stageDefaults: {
    // Reading a few reports takes seconds; the margin covers retries of an unreachable Jenkins.
    stageTimeoutMs: HOUR_MS,
    retryStatusCodes: [],
    waitForCompletion: true,
    failPipeline: true,
  },
  statuses: {
    running: ['running'],
    success: ['pass'],
    terminal: ['fail', 'marginal', 'error'],
    canceled: ['canceled'],
  },
  createPath: '/api/v1/test-verifications',
  method: 'POST',
  payloadTemplate: gatePayload(testVerificationParameters, { triggeredBy: false }),
  statusUrlResolution: 'locationHeader',
  statusJsonPath: '$.status',
  cancelEndpointTemplate: '${statusEndpoint}/cancel',
  cancelMethod: 'POST',
  cancelPayloadTemplate: '{}',
};

/** The policy gate: a Rego decision taken on create, served by sapor. */
const policyGate: GateStage = {
  kind: 'policy',
  key: 'isdPolicyGate',
  label: 'ISD Policy Gate',
  description: 'Evaluates a Rego policy against the execution and allows or denies the pipeline to continue.',
  service: 'sapor',
  parameters: policyParameters,
  stageDefaults: {
    stageTimeoutMs: 10 * MINUTE_MS,
    retryStatusCodes: [],
    waitForCompletion: true,
    failPipeline: true,
  },
  // Decided on create; the monitor only reads the stored decision, so there is nothing to cancel.
  statuses: { running: [], success: ['allow'], terminal: ['deny'], canceled: [] },
  createPath: '/api/v1/policy-gates',
  method: 'POST',
  payloadTemplate: gatePayload(policyParameters, { triggeredBy: true }),
  statusUrlResolution: 'locationHeader',
  statusJsonPath: '$.status',
};

/** Terraform: a Terraform Cloud run planned, approved on its plan, then applied; served by visibility. */
const terraformStage: GateStage = {
  kind: 'terraform',
  key: 'isdTerraform',
  label: 'ISD Terraform',
  description: 'Plans in Terraform Cloud, shows the plan to approver groups, and applies it once approved.',
  service: 'visibility',
  parameters: terraformParameters,
  stageDefaults: {
    // The approval's own expiry (24 h by default) plus time to plan and apply must fit.
    stageTimeoutMs: DAY_MS + 2 * HOUR_MS,
    retryStatusCodes: [],
    waitForCompletion: true,
    failPipeline: true,
  },
  statuses: {
    running: ['planning', 'awaiting_approval', 'applying'],
    success: ['applied', 'no_changes'],
    terminal: ['rejected', 'expired', 'discarded', 'errored'],
    canceled: ['canceled'],
  },
  createPath: '/api/v1/terraform-runs',
  method: 'POST',
  payloadTemplate: gatePayload(terraformParameters, { triggeredBy: true }),
  statusUrlResolution: 'locationHeader',
  statusJsonPath: '$.status',
  cancelEndpointTemplate: '${statusEndpoint}/cancel',
  cancelMethod: 'POST',
  cancelPayloadTemplate: '{}',
};

/** Every gate stage by kind: the single source of truth for Orca YAML, Gate proxies and Deck keys. */
// External-system stages: visibility performs the action with the credentials it holds (never Orca or
// the stage context), records it keyed by (executionId, stageId) so a retried create does not act twice,
// and answers Orca's monitor poll. See docs/decisions/113-external-system-stages.md.

/** Status words every external-system stage answers with; `message` says what happened in words. */
const externalStageStatuses: GateStatuses = {
  running: ['creating', 'waiting'],
  success: ['done'],
  terminal: ['rejected', 'failed', 'timeout'],
  canceled: ['canceled'],
};

/** An external-system stage: visibility's create/monitor/cancel contract, with the stage's own inputs. */
function externalStage(stage: {
  kind: GateKind;
  key: GateStageKey;
  label: string;
  description: string;
  parameters: StageParameter[];
  stageTimeoutMs: number;
  createPath: string;
}): GateStage {
  return {
    kind: stage.kind,
    key: stage.key,
    label: stage.label,
    description: stage.description,
    service: 'visibility',
    parameters: stage.parameters,
    stageDefaults: {
      stageTimeoutMs: stage.stageTimeoutMs,
      retryStatusCodes: [],
      waitForCompletion: true,
      failPipeline: true,
    },
    statuses: externalStageStatuses,
    createPath: stage.createPath,
    method: 'POST',
    payloadTemplate: gatePayload(stage.parameters, { triggeredBy: true }),
    statusUrlResolution: 'locationHeader',
    statusJsonPath: '$.status',
    progressJsonPath: '$.message',
    cancelEndpointTemplate: '${statusEndpoint}/cancel',
    cancelMethod: 'POST',
    cancelPayloadTemplate: '{}',
  };
}

const jiraParameters: StageParameter[] = [
  {
    name: 'project',
    label: 'Project key',
    type: 'string',
    required: true,
    help: 'Key of the JIRA project the issue is created in, e.g. `OPS`.',
  },
  {
    name: 'issueType',
    label: 'Issue type',
    type: 'string',
    required: true,
    defaultValue: 'Task',
    help: 'Name of the issue type, e.g. `Task`, `Change` or `Bug`; it must exist in the project.',
  },
  {
    name: 'summary',
    label: 'Summary',
    type: 'string',
    required: true,
    help: 'One-line summary of the issue (at most 255 characters). Pipeline expressions are evaluated by Orca.',
  },
  {
    name: 'description',
    label: 'Description',
    type: 'string',
    required: false,
    defaultValue: '',
    help: "Body of the issue in JIRA's wiki markup; a link to the execution is added below it.",
  },
  {
    name: 'labels',
    label: 'Labels',
    type: 'string[]',
    required: false,
    defaultValue: [],
    help: 'Labels put on the issue (no spaces); ISD adds one more that identifies the stage.',
  },
  {
    name: 'transition',
    label: 'Transition after creating',
    type: 'string',
    required: false,
    defaultValue: '',
    help: 'Name of a workflow transition (or of the status it leads to) performed right after creating, e.g. `Submit for approval`; empty = none.',
  },
  {
    name: 'waitForStatuses',
    label: 'Wait for statuses',
    type: 'string[]',
    required: false,
    defaultValue: ['Done'],
    help: 'The stage succeeds once the issue reaches one of these statuses; empty = as soon as it is created.',
  },
  {
    name: 'rejectStatuses',
    label: 'Rejecting statuses',
    type: 'string[]',
    required: false,
    defaultValue: [],
    help: "The stage fails (TERMINAL) when the issue reaches one of these statuses, e.g. `Rejected`, `Won't Do`.",
  },
  {
    name: 'timeoutMs',
    label: 'Wait timeout (ms)',
    type: 'number',
    required: true,
    defaultValue: DAY_MS,
    help: 'After this long without reaching a status above the stage reports `timeout`; keep it below the stage timeout.',
  },
];

/** JIRA: create an issue, optionally transition it, and wait for a status; performed by visibility. */
const jiraStage = externalStage({
  kind: 'jira',
  key: 'isdJiraIssue',
  label: 'ISD JIRA Issue',
  description: 'Creates a JIRA issue, optionally moves it along its workflow, and waits until it reaches a status.',
  parameters: jiraParameters,
  stageTimeoutMs: DAY_MS + 10 * MINUTE_MS,
  createPath: '/api/v1/jira-issues',
});

const serviceNowParameters: StageParameter[] = [
  {
    name: 'shortDescription',
    label: 'Short description',
    type: 'string',
    required: true,
    help: 'One-line title of the change request (at most 160 characters). Pipeline expressions are evaluated by Orca.',
  },
  {
    name: 'description',
    label: 'Description',
    type: 'string',
    required: false,
    defaultValue: '',
    help: 'Body of the change request; the application, pipeline and execution are added below it.',
  },
  {
    name: 'changeType',
    label: 'Change type',
    type: 'string',
    required: false,
    defaultValue: 'normal',
    help: '`normal`, `standard` or `emergency`: which change model ServiceNow applies.',
  },
  {
    name: 'assignmentGroup',
    label: 'Assignment group',
    type: 'string',
    required: false,
    defaultValue: '',
    help: 'Name or sys_id of the group the change request is assigned to; empty = ServiceNow decides.',
  },
  {
    name: 'category',
    label: 'Category',
    type: 'string',
    required: false,
    defaultValue: '',
    help: 'Category of the change request (e.g. `Software`); empty = ServiceNow’s default.',
  },
  {
    name: 'timeoutMs',
    label: 'Wait timeout (ms)',
    type: 'number',
    required: true,
    defaultValue: DAY_MS,
    help: 'After this long without an approval the stage reports `timeout`; keep it below the stage timeout.',
  },
];

/** ServiceNow: create a change request and wait for its approval; performed by visibility. */
const serviceNowStage = externalStage({
  kind: 'servicenow',
  key: 'isdServiceNowChange',
  label: 'ISD ServiceNow Change',
  description: 'Creates a ServiceNow change request and waits until it is approved (rejected fails the stage).',
  parameters: serviceNowParameters,
  stageTimeoutMs: DAY_MS + 10 * MINUTE_MS,
  createPath: '/api/v1/servicenow-changes',
});

const awxParameters: StageParameter[] = [
  {
    name: 'jobTemplate',
    label: 'Job template',
    type: 'string',
    required: true,
    help: 'Name or numeric id of the AWX / Tower job template to launch.',
  },
  {
    name: 'extraVars',
    label: 'Extra variables',
    type: 'object',
    required: false,
    help: 'Variables passed to the playbook as `extra_vars` (the template must prompt for variables on launch).',
  },
  {
    name: 'limit',
    label: 'Limit',
    type: 'string',
    required: false,
    defaultValue: '',
    help: 'Host pattern the playbook is limited to, e.g. `web*:&prod`; empty = the template’s (it must prompt for the limit on launch).',
  },
  {
    name: 'timeoutMs',
    label: 'Wait timeout (ms)',
    type: 'number',
    required: true,
    defaultValue: 2 * HOUR_MS,
    help: 'After this long without the job finishing the stage reports `timeout` (the job itself is left running).',
  },
];

/** Ansible: launch an AWX / Tower job template and wait for the job; performed by visibility. */
const awxStage = externalStage({
  kind: 'awx',
  key: 'isdAnsibleJob',
  label: 'ISD Ansible Job',
  description: 'Launches an AWX / Ansible Tower job template and waits for the job to finish, showing its output.',
  parameters: awxParameters,
  stageTimeoutMs: 2 * HOUR_MS + 10 * MINUTE_MS,
  createPath: '/api/v1/awx-jobs',
});

/** Every stage by kind: the single source of truth for Orca YAML, Gate proxies and Deck keys. */
export const gateStages: Record<GateKind, GateStage> = {
  approval: approvalGate,
  verification: verificationGate,
  testVerification: testVerificationGate,
  policy: policyGate,
  terraform: terraformStage,
  jira: jiraStage,
  servicenow: serviceNowStage,
  awx: awxStage,
};

/** Every gate kind, in pipeline-editor order. */
export const gateKinds: readonly GateKind[] = [
  'policy',
  'verification',
  'testVerification',
  'approval',
  'terraform',
  'jira',
  'servicenow',
  'awx',
];

/** Finds a gate by its stage key, or undefined when the key is not an ISD gate. */
export function gateStageByKey(key: string): GateStage | undefined {
  return Object.values(gateStages).find((stage) => stage.key === key);
}

/** The `parameterValues` defaults of a gate: what a new stage starts with in Deck. */
export function defaultParameterValues(stage: GateStage): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const parameter of stage.parameters) {
    if (parameter.defaultValue !== undefined) values[parameter.name] = structuredClone(parameter.defaultValue);
  }
  return values;
}
