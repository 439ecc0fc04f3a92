// Sidecar responses the views and editors are tested with, typed against src/api/sidecar-shapes.ts so a
// change of shape breaks the type-check here first. Shapes follow the sidecar contract in issue 7.
import type {
  ApprovalInstance,
  LogTemplateSummary,
  ApprovalStatus,
  PolicyGateDecision,
  PolicyGateRecord,
  PolicySummary,
  TestFinding,
  TestVerificationResult,
  VerificationReport,
  VerificationResult,
  VerificationStatus,
  VerificationSummary,
  TestVerificationSummary,
  VerificationTemplateSummary,
} from '../src/api/sidecar-shapes';

/** Fields visibility sends that the plugin does not read; kept so fixtures pass visibility's own schema. */
type VisibilityBody = ApprovalInstance & Record<string, unknown>;

const digest = `sha256:${'ab'.repeat(32)}`;

function decision(user: string, action: 'approve' | 'reject', comment: string, at: string, groups: string[]) {
  return { user, action, comment, at, groups, evidenceDigest: digest, breakGlass: false };
}

const base: VisibilityBody = {
  id: 'apr-7f3c',
  status: 'activated',
  application: 'checkout',
  pipelineName: 'deploy-prod',
  pipelineId: 'pipeline-checkout',
  executionId: 'execution-1',
  stageId: 'stage-1',
  attempt: 1,
  triggeredBy: 'alice',
  approverGroups: [
    { name: 'release-managers', required: 2, approvals: 1 },
    { name: 'qa', required: 1, approvals: 0 },
  ],
  allowSelfApproval: false,
  decisions: [decision('erin', 'approve', 'Looks good', '2026-11-22T10:15:00.000Z', ['release-managers'])],
  evidenceStatus: 'gathered',
  evidence: [
    {
      connector: 'jenkins',
      label: 'Jenkins build',
      status: 'pass',
      summary: 'Build #412 passed (1,204 tests)',
      data: { url: 'https://jenkins.example.com/job/app/412/' },
      fetchedAt: '2026-11-22T10:01:00.000Z',
      durationMs: 120,
    },
    {
      connector: 'sonarqube',
      status: 'error',
      summary: 'Quality gate unknown',
      error: 'sonarqube answered 503',
      data: {},
      fetchedAt: '2026-11-22T10:01:00.000Z',
      durationMs: 3000,
    },
  ],
  evidenceDigest: digest,
  autoDecision: null,
  instructions: 'Check the canary dashboard before approving.',
  createdAt: '2026-11-22T10:00:00.000Z',
  deadline: '2026-11-23T10:00:00.000Z',
  closedAt: null,
  canDecide: true,
  canApprove: true,
  links: { self: '/api/v1/approvals/apr-7f3c' },
};

const closed = { canDecide: false, canApprove: false, closedAt: '2026-11-22T10:30:00.000Z' };

/** One approval instance per status, as visibility answers through Gate. */
export const approvals: Record<ApprovalStatus, VisibilityBody> = {
  activated: base,
  approved: {
    ...base,
    ...closed,
    status: 'approved',
    approverGroups: [
      { name: 'release-managers', required: 2, approvals: 2 },
      { name: 'qa', required: 1, approvals: 1 },
    ],
    decisions: [
      ...base.decisions,
      decision('bob', 'approve', '', '2026-11-22T10:20:00.000Z', ['release-managers']),
      decision('carol', 'approve', 'QA done', '2026-11-22T10:25:00.000Z', ['qa']),
    ],
  },
  rejected: {
    ...base,
    ...closed,
    status: 'rejected',
    decisions: [
      ...base.decisions,
      decision('dave', 'reject', 'Error rate too high', '2026-11-22T10:30:00.000Z', ['qa']),
    ],
  },
  expired: { ...base, ...closed, status: 'expired' },
  canceled: { ...base, ...closed, status: 'canceled' },
};

/** One verification per status. */
export const verifications: Record<VerificationStatus, VerificationResult> = {
  running: {
    id: 'ver-19a2',
    status: 'running',
    score: 92,
    intervals: [
      { index: 0, status: 'judged', score: 95 },
      { index: 1, status: 'judged', score: 89 },
      { index: 2, status: 'pending' },
    ],
    metrics: [{ name: 'http_error_rate', classification: 'pass', reason: 'no shift (p=0.41)' }],
  },
  pass: {
    id: 'ver-19a2',
    status: 'pass',
    score: 91.5,
    intervals: [
      { index: 0, score: 95 },
      { index: 1, score: 89 },
      { index: 2, score: 90.5 },
    ],
    metrics: [
      { name: 'http_error_rate', classification: 'pass', reason: 'no shift (p=0.41)' },
      { name: 'p99_latency_ms', classification: 'pass' },
    ],
    reportUrl: 'https://autopilot.example.com/reports/ver-19a2',
  },
  marginal: {
    id: 'ver-19a2',
    status: 'marginal',
    score: 71,
    intervals: [
      { index: 0, score: 80 },
      { index: 1, score: 62 },
    ],
    metrics: [{ name: 'p99_latency_ms', classification: 'high', reason: 'canary 18% slower' }],
    reportUrl: 'https://autopilot.example.com/reports/ver-19a2',
  },
  fail: {
    id: 'ver-19a2',
    status: 'fail',
    score: 35,
    intervals: [
      { index: 0, score: 40 },
      { index: 1, score: 30 },
    ],
    metrics: [{ name: 'http_error_rate', classification: 'high', reason: 'canary errors 4.1% vs 0.2%' }],
    reportUrl: '/api/v1/verifications/ver-19a2/report',
  },
  error: {
    id: 'ver-19a2',
    status: 'error',
    intervals: [],
    metrics: [],
    error: 'prometheus query failed: 503 Service Unavailable',
  },
  canceled: { id: 'ver-19a2', status: 'canceled', score: 88, intervals: [{ index: 0, score: 88 }], metrics: [] },
};

/** The policy gate's two outcomes. */
export const policyDecisions: Record<'allow' | 'deny', PolicyGateDecision> = {
  allow: {
    status: 'allow',
    messages: [],
    policy: { path: 'isd/deploy/allowed', name: 'deploy-rules', version: 3 },
    decisionId: 'dec-5b8e2c',
  },
  deny: {
    status: 'deny',
    messages: ['Deployments to prod are frozen until 2026-11-30', 'Image is not from the trusted registry'],
    policy: { path: 'isd/deploy/allowed', name: 'deploy-rules', version: 3 },
    decisionId: 'dec-77aa01',
  },
};

/** autopilot's template list. */
export const templates: VerificationTemplateSummary[] = [
  { name: 'http-golden-signals', version: 2, description: 'Error rate, latency, saturation', metricCount: 3 },
  { name: 'jvm-basics', version: 1, description: null, metricCount: 2 },
];

/** autopilot's log template list (`GET /api/v1/log-templates`). */
export const logTemplates: LogTemplateSummary[] = [
  { name: 'web-logs', version: 3, description: 'Errors and warnings of the web pods', provider: 'logs' },
  { name: 'batch-logs', version: 1, description: null, provider: 'loki' },
];

/** sapor's policy list (`GET /api/v1/policies` answers `{revision, policies}`). */
export const policies: PolicySummary[] = [
  { name: 'deploy-rules', version: 3, packages: ['isd.deploy'], description: 'Deployment windows and trusted images' },
  { name: 'pipeline-rules', version: 1, packages: ['isd.pipeline'], description: null },
];

/** sapor's pipeline-check answer that denies, as sapor sends it. */
export const pipelineCheckDeny = {
  status: 'deny',
  messages: ['Pipelines deploying to prod need an approval gate after the verification'],
  denies: [
    {
      message: 'Pipelines deploying to prod need an approval gate after the verification',
      packagePath: 'isd/pipeline',
      policyName: 'pipeline-rules',
      policyVersion: 1,
    },
  ],
  decisionId: 'dec-pc-0001',
};

/** sapor's pipeline-check answer that allows. */
export const pipelineCheckAllow = { status: 'allow', messages: [], denies: [], decisionId: 'dec-pc-0002' };

/** A stage as Orca reports it to Deck, with the gate body where the webhook task leaves it. */
export function executionStage(type: string, body: unknown, extraContext: Record<string, unknown> = {}) {
  return {
    id: 'stage-1',
    refId: '1',
    name: 'Gate',
    type,
    status: 'RUNNING',
    context: {
      statusEndpoint: 'https://visibility.isd.example.com/api/v1/approvals/apr-7f3c',
      webhook: { statusCode: 'ACCEPTED', monitor: { body } },
      ...extraContext,
    },
    outputs: {},
    tasks: [],
  };
}

/** A page of autopilot's verification list. */
export function verificationSummaries(count: number, start = 0): VerificationSummary[] {
  return Array.from({ length: count }, (_, offset) => {
    const index = start + offset;
    return {
      id: `0000000${index}`.slice(-8) + '-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
      status: index % 4 === 3 ? 'fail' : 'pass',
      score: index % 4 === 3 ? 41 : 90 + (index % 10),
      reason: null,
      application: 'checkout',
      pipelineName: index % 2 === 0 ? 'deploy-prod' : 'deploy-staging',
      pipelineId: null,
      executionId: `exec-${index}`,
      stageId: 'stage-1',
      template: { name: 'golden-signals', version: 3 },
      thresholds: { pass: 80, marginal: 60 },
      createdAt: new Date(Date.parse('2026-11-22T12:00:00Z') - index * 3_600_000).toISOString(),
      finishedAt: new Date(Date.parse('2026-11-22T12:30:00Z') - index * 3_600_000).toISOString(),
    };
  });
}

/** autopilot's test verification list entries: one every 2 hours, from half an hour after the first metric one. */
export function testVerificationSummaries(count: number, start = 0): TestVerificationSummary[] {
  return Array.from({ length: count }, (_, offset) => {
    const index = start + offset;
    const id = `0000000${index}`.slice(-8) + '-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
    return {
      id,
      kind: 'test',
      status: index % 3 === 0 ? 'fail' : 'pass',
      score: index % 3 === 0 ? 50 : 100,
      reason: index % 3 === 0 ? '1 new failure; score 50 is fail (pass ≥ 80, marginal ≥ 60)' : null,
      application: 'checkout',
      pipelineName: 'deploy-prod',
      executionId: `exec-t${index}`,
      stageId: 'stage-2',
      thresholds: { pass: 80, marginal: 60 },
      baselineRuns: [{ kind: 'jenkins', label: `checkout-ci #${100 + index}` }],
      canaryRuns: [{ kind: 'jenkins', label: `checkout-ci #${101 + index}` }],
      reportUrl: `/api/v1/test-verifications/${id}/report`,
      createdAt: new Date(Date.parse('2026-11-22T12:30:00Z') - index * 7_200_000).toISOString(),
      finishedAt: new Date(Date.parse('2026-11-22T12:35:00Z') - index * 7_200_000).toISOString(),
    };
  });
}

/** autopilot's JSON report of a failed verification (the parts the view draws). */
export const verificationReport: VerificationReport = {
  id: '00000003-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  status: 'fail',
  verdict: 'Fail: the canary is worse than the baseline',
  score: 41,
  reason: 'interval 2 of 3 scored 41 ≤ marginal 60: stopped early',
  thresholds: { pass: 80, marginal: 60 },
  intervals: [
    { index: 0, status: 'judged', score: 85, startTime: '2026-11-22T09:00:00Z', endTime: '2026-11-22T09:10:00Z' },
    { index: 1, status: 'judged', score: 41, startTime: '2026-11-22T09:10:00Z', endTime: '2026-11-22T09:20:00Z' },
    { index: 2, status: 'skipped', startTime: '2026-11-22T09:20:00Z', endTime: '2026-11-22T09:30:00Z' },
  ],
  metrics: [
    {
      name: 'p99 latency',
      classification: 'High',
      reason: 'canary median 0.42 s vs baseline 0.21 s (+100%)',
      critical: true,
      unit: 's',
      problems: [],
      baselineSeries: {
        timestampsMs: [0, 1, 2, 3].map((step) => Date.parse('2026-11-22T09:00:00Z') + step * 60_000),
        values: [0.2, 0.21, null, 0.22],
      },
      canarySeries: {
        timestampsMs: [0, 1, 2, 3].map((step) => Date.parse('2026-11-22T09:00:00Z') + step * 60_000),
        values: [0.4, 0.42, 0.45, 0.41],
      },
    },
  ],
};

/** sapor's gate decisions of the checkout application, newest first. */
export function policyGateRecords(count: number, start = 0): PolicyGateRecord[] {
  return Array.from({ length: count }, (_, offset) => {
    const index = start + offset;
    const deny = index % 3 === 0;
    return {
      id: `${`0000000${index}`.slice(-8)}-bbbb-4bbb-8bbb-bbbbbbbbbbbb`,
      status: deny ? 'deny' : 'allow',
      messages: deny ? ['deploys to prod need a change ticket'] : [],
      policy: { path: 'data.isd.deploy', name: 'deploy-rules', version: 3 },
      decisionId: `dec-${index}`,
      application: 'checkout',
      pipelineName: 'deploy-prod',
      executionId: `exec-${index}`,
      stageId: 'stage-2',
      triggeredBy: 'alice',
      inputDigest: `sha256:${'cd'.repeat(32)}`,
      createdAt: new Date(Date.parse('2026-11-22T12:00:00Z') - index * 600_000).toISOString(),
    };
  });
}

/** A logs-and-metrics report of the failed verification: one new exception in the canary, one known warning. */
export const verificationReportWithLogs: VerificationReport = {
  ...verificationReport,
  logs: [
    {
      kind: 'log',
      template: { name: 'web-logs', version: 3 },
      provider: 'logs',
      weight: 0.5,
      score: 62.5,
      failed: false,
      reasons: ['1 unexpected cluster(s) cost 37.5 points'],
      baselineEvents: 690,
      canaryEvents: 710,
      clusterCount: 2,
      clusters: [
        {
          clusterKey: '3f1c0a9e5b7d2c4e6f8a0b1c',
          template: 'ERROR order <*> failed: java.lang.IllegalStateException: stock for <*> is negative',
          examples: {
            baseline: [],
            canary: ['ERROR order 30 failed: java.lang.IllegalStateException: stock for sku-7 is negative'],
          },
          baselineCount: 0,
          canaryCount: 20,
          kind: 'canary-only',
          topic: 'ERROR',
          classification: 'unexpected',
          scoreImpact: 37.5,
          mark: null,
          currentMark: null,
        },
        {
          clusterKey: 'a1b2c3d4e5f60718293a4b5c',
          template: 'WARN cache <*> miss ratio high',
          examples: { baseline: ['WARN cache products miss ratio high'], canary: ['WARN cache carts miss ratio high'] },
          baselineCount: 12,
          canaryCount: 14,
          kind: 'both',
          topic: 'WARN',
          classification: 'expected',
          scoreImpact: 0,
          mark: 'expected',
          currentMark: { mark: 'expected', comment: null, markedBy: 'dana', markedAt: '2026-11-21T08:00:00Z' },
        },
      ],
    },
  ],
};

const tallyOf = (
  status: TestFinding['baseline']['status'],
  passed: number,
  failed: number,
  medianMs: number | null = 20,
) => ({
  status,
  passed,
  failed,
  skipped: 0,
  medianMs,
});

/** A failed test verification as autopilot's monitor body holds it: two runs a side. */
export const testVerificationFail: TestVerificationResult = {
  id: '3f0c6a52-8a9e-4b43-9d0e-0c1d2e3f4a5b',
  kind: 'test',
  status: 'fail',
  score: 25,
  reason: '1 new failure, 1 newly flaky, 1 slower test; score 25 is fail (pass ≥ 80, marginal ≥ 60)',
  thresholds: { pass: 80, marginal: 60 },
  reportUrl: '/api/v1/test-verifications/3f0c6a52-8a9e-4b43-9d0e-0c1d2e3f4a5b/report',
  baselineRuns: [
    { kind: 'jenkins', label: 'shop/web-build #40' },
    { kind: 'jenkins', label: 'shop/web-build #41' },
  ],
  canaryRuns: [
    { kind: 'jenkins', label: 'shop/web-build #42' },
    { kind: 'jenkins', label: 'shop/web-build #43' },
  ],
  counts: {
    newFailures: 1,
    stillFailing: 0,
    fixed: 0,
    flaky: 1,
    newlyFlaky: 1,
    slower: 1,
    missing: 0,
    newTests: 0,
    newlySkipped: 0,
  },
  suite: { baselineMs: 382.5, canaryMs: 1330, ratio: 3.48, slower: false, tests: 5 },
  baseline: {
    tests: 5,
    runs: [
      { label: 'shop/web-build #40', tests: 5, passed: 5, failed: 0, skipped: 0, durationMs: 380 },
      { label: 'shop/web-build #41', tests: 5, passed: 5, failed: 0, skipped: 0, durationMs: 385 },
    ],
  },
  canary: {
    tests: 5,
    runs: [
      { label: 'shop/web-build #42', tests: 5, passed: 3, failed: 2, skipped: 0, durationMs: 1280 },
      { label: 'shop/web-build #43', tests: 5, passed: 4, failed: 1, skipped: 0, durationMs: 1380 },
    ],
  },
  penalties: [
    { rule: 'new failure', count: 1, points: 50 },
    { rule: 'newly flaky', count: 1, points: 20 },
    { rule: 'slower test', count: 1, points: 5 },
  ],
  newFailures: [
    {
      id: 'com.acme.CartTest.refunds',
      suite: 'com.acme.CartTest',
      name: 'refunds',
      message: 'expected REFUNDED but was OPEN',
      baseline: tallyOf('passed', 2, 0),
      canary: tallyOf('failed', 0, 2),
    },
  ],
  flaky: [
    {
      id: 'com.acme.CartTest.pays',
      suite: 'com.acme.CartTest',
      name: 'pays',
      message: 'timeout talking to payments',
      baseline: tallyOf('passed', 2, 0),
      canary: tallyOf('flaky', 1, 1),
      newlyFlaky: true,
    },
  ],
  slower: [{ id: 'com.acme.CartTest.ships', baselineMs: 300, canaryMs: 1250, ratio: 4.17 }],
  missing: [],
};

/** The same gate while autopilot reads the reports. */
export const testVerificationRunning: TestVerificationResult = {
  ...testVerificationFail,
  status: 'running',
  score: null,
  reason: null,
  counts: null,
  suite: null,
  baseline: null,
  canary: null,
  penalties: [],
  newFailures: [],
  flaky: [],
  slower: [],
};
