import type { IStage } from '@spinnaker/core';

import { defaultParameterValues, gateStages } from './catalog';
import type { GateKind } from './catalog';
import { errorMessages, formatDuration, stageValidators, validateGateStage } from './validation';

const MINUTE_MS = 60_000;

function stage(kind: GateKind, parameterValues: Record<string, unknown>, extra: Partial<IStage> = {}): IStage {
  return {
    name: 'gate',
    refId: '1',
    requisiteStageRefIds: [],
    type: gateStages[kind].key,
    ...gateStages[kind].stageDefaults,
    parameterValues: { ...defaultParameterValues(gateStages[kind]), ...parameterValues },
    ...extra,
  } as IStage;
}

const validApproval = { approverGroups: [{ name: 'release-managers', required: 2 }] };
const validVerification = {
  template: { name: 'http-golden-signals' },
  baseline: { deployment: 'app-baseline' },
  canary: { deployment: 'app-canary' },
};

describe('validateGateStage', () => {
  it('accepts a complete stage of each kind', () => {
    expect(validateGateStage('approval', stage('approval', validApproval))).toEqual({});
    expect(validateGateStage('verification', stage('verification', validVerification))).toEqual({});
    expect(validateGateStage('policy', stage('policy', { policy: 'isd/deploy/allowed' }))).toEqual({});
  });

  it('names every missing required parameter by its label', () => {
    const errors = validateGateStage('verification', stage('verification', {}));
    expect(errors.parameterValues).toMatchObject({
      template: 'Metric template or Log template is required: choose at least one.',
      baseline: 'Baseline scope is required.',
      canary: 'Canary scope is required.',
    });
    expect(validateGateStage('policy', stage('policy', {})).parameterValues?.['policy']).toBe('Policy is required.');
  });

  it('accepts a log template alone, a metric template alone or both, and checks their shape and the weights', () => {
    const { template: _metric, ...logsOnly } = validVerification;
    const check = (values: Record<string, unknown>) =>
      validateGateStage('verification', stage('verification', values)).parameterValues ?? {};
    expect(check({ ...logsOnly, logTemplate: { name: 'web-logs' } })).toEqual({});
    expect(
      check({ ...validVerification, logTemplate: { name: 'web-logs', version: 2 }, weights: { metric: 3, log: 1 } }),
    ).toEqual({});
    expect(check({ ...logsOnly, logTemplate: { version: 2 } })).toEqual({
      logTemplate: 'Log template: choose a template.',
    });
    expect(check({ ...validVerification, weights: { metric: 0, log: 0 } })).toEqual({
      weights: 'Score weights: metric and log must not both be 0.',
    });
    expect(check({ ...validVerification, weights: { metric: -1, log: 1 } })).toEqual({
      weights: 'Metric weight must be at least 0.',
    });
    expect(check({ ...validVerification, weights: { metric: 1, log: 'x' } })).toEqual({
      weights: 'Log weight must be a number.',
    });
    expect(check({ ...validVerification, weights: [1, 1] }).weights).toBe(
      'Score weights must be an object (found a list).',
    );
    expect(check({ ...validVerification, weights: { metric: '${parameters.w}', log: 1 } })).toEqual({});
  });

  it('requires at least one approver group with a name and a whole number of approvals', () => {
    expect(
      validateGateStage('approval', stage('approval', { approverGroups: [] })).parameterValues?.['approverGroups'],
    ).toBe('Approver groups: add at least one group.');
    expect(
      validateGateStage('approval', stage('approval', { approverGroups: [{ name: '', required: 1 }] }))
        .parameterValues?.['approverGroups'],
    ).toBe('Approver groups row 1: group name is required.');
    expect(
      validateGateStage('approval', stage('approval', { approverGroups: [{ name: 'qa', required: 0 }] }))
        .parameterValues?.['approverGroups'],
    ).toBe('Approver groups row 1: required approvals must be a whole number of at least 1.');
    expect(
      validateGateStage(
        'approval',
        stage('approval', {
          approverGroups: [
            { name: 'qa', required: 1 },
            { name: 'qa', required: 1 },
          ],
        }),
      ).parameterValues?.['approverGroups'],
    ).toBe('Approver groups row 2: group "qa" is listed twice.');
  });

  it('keeps the approval timeout in range and shorter than the stage timeout', () => {
    const tooShort = validateGateStage('approval', stage('approval', { ...validApproval, timeoutMs: 1000 }));
    expect(tooShort.parameterValues?.['timeoutMs']).toBe('Approval timeout (ms) must be at least 1m.');
    const longerThanStage = validateGateStage(
      'approval',
      stage('approval', { ...validApproval, timeoutMs: 2 * 60 * MINUTE_MS }, { stageTimeoutMs: 60 * MINUTE_MS }),
    );
    expect(longerThanStage.parameterValues?.['timeoutMs']).toMatch(/must be shorter than the stage timeout \(1h\)/);
  });

  it('checks the stage timeout range', () => {
    const errors = validateGateStage(
      'policy',
      stage('policy', { policy: 'p' }, { stageTimeoutMs: 40 * 24 * 60 * MINUTE_MS }),
    );
    expect(errors.stageTimeoutMs).toBe('Stage timeout must be at most 30d.');
  });

  it('leaves SpEL values to Orca', () => {
    expect(
      validateGateStage('approval', stage('approval', { ...validApproval, timeoutMs: '${parameters.timeout}' })),
    ).toEqual({});
  });

  it('requires thresholds in order and within 0–100', () => {
    const outOfOrder = validateGateStage(
      'verification',
      stage('verification', { ...validVerification, thresholds: { pass: 60, marginal: 80 } }),
    );
    expect(outOfOrder.parameterValues?.['thresholds']).toBe(
      'Thresholds out of order: marginal (80) must not be above pass (60).',
    );
    const outOfRange = validateGateStage(
      'verification',
      stage('verification', { ...validVerification, thresholds: { pass: 120, marginal: 50 } }),
    );
    expect(outOfRange.parameterValues?.['thresholds']).toBe('Pass threshold must be at most 100.');
  });

  it('keeps the interval within the lifetime and the lifetime within the stage timeout', () => {
    const interval = validateGateStage(
      'verification',
      stage('verification', { ...validVerification, lifetimeMs: 10 * MINUTE_MS, intervalMs: 20 * MINUTE_MS }),
    );
    expect(interval.parameterValues?.['intervalMs']).toBe('Interval (ms) must be at most the analysis lifetime.');
    const lifetime = validateGateStage(
      'verification',
      stage(
        'verification',
        { ...validVerification, lifetimeMs: 5 * 60 * MINUTE_MS },
        { stageTimeoutMs: 4 * 60 * MINUTE_MS },
      ),
    );
    expect(lifetime.parameterValues?.['lifetimeMs']).toMatch(/shorter than the stage timeout \(4h\)/);
  });

  it('rejects a start time that is not ISO-8601', () => {
    const errors = validateGateStage(
      'verification',
      stage('verification', { ...validVerification, startTime: 'yesterday' }),
    );
    expect(errors.parameterValues?.['startTime']).toMatch(/ISO-8601/);
  });

  it('checks evidence connectors and the automatic decision', () => {
    const errors = validateGateStage(
      'approval',
      stage('approval', {
        ...validApproval,
        evidence: [{ connector: 'fax' }],
        autoDecision: { policyPath: '', mode: 'maybe' },
      }),
    );
    expect(errors.parameterValues?.['evidence']).toBe('Evidence row 1: unknown connector "fax".');
    expect(errors.parameterValues?.['autoDecision']).toBe('Automatic decision: policy path is required.');
  });

  it('feeds Deck a blocking validator whose message lists every problem', () => {
    const [validator] = stageValidators('policy');
    expect(validator?.preventSave).toBe(true);
    const bad = stage('policy', {}, { stageTimeoutMs: 1 });
    const message = validator?.validate({} as never, bad, validator, {} as never);
    expect(message).toBe(errorMessages(validateGateStage('policy', bad)).join(' '));
    expect(message).toContain('Policy is required.');
    expect(validator?.validate({} as never, stage('policy', { policy: 'p' }), validator, {} as never)).toBe('');
  });
});

describe('formatDuration', () => {
  it('prints whole units', () => {
    expect(formatDuration(24 * 60 * MINUTE_MS + 10 * MINUTE_MS)).toBe('1d 10m');
  });
});
