import { defaultParameterValues, gateKinds, gateStageByKey, gateStages } from './index';
import type { GateKind } from './index';

const allKinds: GateKind[] = [
  'approval',
  'verification',
  'testVerification',
  'policy',
  'terraform',
  'jira',
  'servicenow',
  'awx',
];

/** Replaces every `${…}` expression with JSON null, as if each evaluated to null. */
function withExpressionsAsNull(template: string): string {
  return template.replace(/\$\{[^}]*\}/g, 'null');
}

describe('gate stage catalog', () => {
  it('defines one stage per kind with the kind it is filed under', () => {
    for (const kind of allKinds) expect(gateStages[kind].kind).toBe(kind);
    expect([...gateKinds].sort()).toEqual([...allKinds].sort());
  });

  it('uses the stage keys Deck and Orca share', () => {
    expect(gateStages.approval.key).toBe('isdApprovalGate');
    expect(gateStages.verification.key).toBe('isdVerificationGate');
    expect(gateStages.policy.key).toBe('isdPolicyGate');
    expect(gateStages.testVerification.key).toBe('isdTestVerificationGate');
    expect(gateStageByKey('isdPolicyGate')).toBe(gateStages.policy);
    expect(gateStageByKey('webhook')).toBeUndefined();
  });

  it.each(allKinds)('renders a %s payload template that is valid JSON once expressions evaluate', (kind) => {
    const stage = gateStages[kind];
    const payload = JSON.parse(withExpressionsAsNull(stage.payloadTemplate)) as Record<string, unknown>;
    for (const parameter of stage.parameters) expect(payload).toHaveProperty(parameter.name);
    expect(payload).toHaveProperty('executionId');
    expect(payload).toHaveProperty('stageId');
  });

  it.each(allKinds)('passes every %s value through #toJson so a string cannot break the JSON', (kind) => {
    const expressions = gateStages[kind].payloadTemplate.match(/\$\{[^}]*\}/g) ?? [];
    expect(expressions.length).toBeGreaterThan(3);
    for (const expression of expressions) expect(expression.startsWith('${#toJson(')).toBe(true);
  });

  it.each(allKinds)('keeps %s SpEL free of ":" so Spring does not read it as a placeholder default', (kind) => {
    const stage = gateStages[kind];
    const templates = [stage.payloadTemplate, stage.cancelEndpointTemplate ?? '', stage.cancelPayloadTemplate ?? ''];
    for (const expression of templates.join('\n').match(/\$\{[^}]*\}/g) ?? []) expect(expression).not.toContain(':');
  });

  it.each(allKinds)('keeps the %s status words in disjoint groups', (kind) => {
    const { running, success, terminal, canceled } = gateStages[kind].statuses;
    const all = [...running, ...success, ...terminal, ...canceled].map((word) => word.toUpperCase());
    expect(new Set(all).size).toBe(all.length);
    expect(success.length).toBeGreaterThan(0);
  });

  it('lets the approval expire before Orca times the stage out', () => {
    const approval = gateStages.approval;
    const timeout = approval.parameters.find((parameter) => parameter.name === 'timeoutMs');
    expect(typeof timeout?.defaultValue).toBe('number');
    expect(approval.stageDefaults.stageTimeoutMs).toBeGreaterThan(timeout?.defaultValue as number);
  });

  it('gives approval and verification a cancel endpoint and policy none', () => {
    expect(gateStages.approval.cancelEndpointTemplate).toBe('${statusEndpoint}/cancel');
    expect(gateStages.verification.cancelEndpointTemplate).toBe('${statusEndpoint}/cancel');
    expect(gateStages.policy.cancelEndpointTemplate).toBeUndefined();
  });

  it('lets a verification name a metric template, a log template or both, with optional weights', () => {
    const parameters = new Map(gateStages.verification.parameters.map((parameter) => [parameter.name, parameter]));
    expect(parameters.get('template')?.required).toBe(false);
    expect(parameters.get('logTemplate')).toMatchObject({ type: 'object', required: false });
    expect(parameters.get('weights')).toMatchObject({ type: 'object', required: false });
    // An unset parameter evaluates to null, which autopilot reads as absent.
    expect(gateStages.verification.payloadTemplate).toContain(
      `"logTemplate": \${#toJson(parameterValues['logTemplate'])}`,
    );
    expect(gateStages.verification.payloadTemplate).toContain(`"weights": \${#toJson(parameterValues['weights'])}`);
    expect(defaultParameterValues(gateStages.verification)).not.toHaveProperty('logTemplate');
  });

  it('serves the test verification gate from autopilot in the verification gate contract', () => {
    const stage = gateStages.testVerification;
    expect(stage).toMatchObject({
      service: 'autopilot',
      createPath: '/api/v1/test-verifications',
      cancelEndpointTemplate: '${statusEndpoint}/cancel',
      statuses: gateStages.verification.statuses,
    });
    expect(stage.parameters.filter((p) => p.required).map((p) => p.name)).toEqual(['baseline', 'canary', 'thresholds']);
    expect(stage.payloadTemplate).toContain(`"canary": \${#toJson(parameterValues['canary'])}`);
    expect(defaultParameterValues(stage)).toEqual({ baseline: [], canary: [], thresholds: { pass: 80, marginal: 60 } });
  });

  it('gives the Terraform stage time to plan, wait for its approval and apply', () => {
    const terraform = gateStages.terraform;
    expect(terraform).toMatchObject({
      key: 'isdTerraform',
      service: 'visibility',
      createPath: '/api/v1/terraform-runs',
    });
    const timeout = terraform.parameters.find((parameter) => parameter.name === 'timeoutMs')?.defaultValue as number;
    expect(terraform.stageDefaults.stageTimeoutMs).toBeGreaterThan(timeout);
    expect(terraform.statuses.success).toEqual(['applied', 'no_changes']);
    expect(terraform.cancelEndpointTemplate).toBe('${statusEndpoint}/cancel');
    expect(terraform.parameters.find((parameter) => parameter.name === 'workspace')?.required).toBe(true);
  });

  it('returns fresh default parameter values each time', () => {
    const first = defaultParameterValues(gateStages.verification);
    expect(first).toEqual({ lifetimeMs: 1_800_000, intervalMs: 300_000, thresholds: { pass: 80, marginal: 60 } });
    (first.thresholds as { pass: number }).pass = 1;
    expect(defaultParameterValues(gateStages.verification).thresholds).toEqual({ pass: 80, marginal: 60 });
  });
});

describe('JIRA stage', () => {
  it('is served by visibility, reports its progress message and can be canceled', () => {
    const jira = gateStages.jira;
    expect(jira).toMatchObject({ key: 'isdJiraIssue', service: 'visibility', createPath: '/api/v1/jira-issues' });
    expect(jira.progressJsonPath).toBe('$.message');
    expect(jira.cancelEndpointTemplate).toBe('${statusEndpoint}/cancel');
    expect(jira.statuses).toEqual({
      running: ['creating', 'waiting'],
      success: ['done'],
      terminal: ['rejected', 'failed', 'timeout'],
      canceled: ['canceled'],
    });
  });

  it('stops waiting before Orca times the stage out', () => {
    const timeout = gateStages.jira.parameters.find((parameter) => parameter.name === 'timeoutMs');
    expect(gateStages.jira.stageDefaults.stageTimeoutMs).toBeGreaterThan(timeout?.defaultValue as number);
  });
});
