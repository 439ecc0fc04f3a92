import { normalizeParameterValues } from './stage-values';

describe('normalizeParameterValues', () => {
  it('reads the strings Deck’s generic webhook form writes as the catalog’s types', () => {
    const result = normalizeParameterValues('approval', {
      approverGroups: '[{"name":"qa","required":"2"}]',
      allowSelfApproval: 'TRUE',
      timeoutMs: ' 86400000 ',
      instructions: 'Check the dashboards',
      evidence: '[]',
      autoDecision: '',
    });
    expect(result.values).toEqual({
      approverGroups: [{ name: 'qa', required: 2 }],
      allowSelfApproval: true,
      timeoutMs: 86_400_000,
      instructions: 'Check the dashboards',
      evidence: [],
    });
    expect(result.problems).toEqual({});
    expect(result.changed).toBe(true);
  });

  it('leaves typed values, SpEL expressions and unknown keys untouched', () => {
    const raw = {
      approverGroups: [{ name: 'qa', required: 1 }],
      timeoutMs: '${ parameters.timeout }',
      custom: '{"kept":"as is"}',
    };
    const result = normalizeParameterValues('approval', raw);
    expect(result.values).toEqual(raw);
    expect(result.changed).toBe(false);
  });

  it('keeps a value it cannot read and names the field and the problem', () => {
    const result = normalizeParameterValues('approval', { approverGroups: '[{"name":', timeoutMs: 'one day' });
    expect(result.values['approverGroups']).toBe('[{"name":');
    expect(result.problems['approverGroups']).toMatch(
      /^Approver groups must be a list in JSON; this text is not valid JSON/,
    );
    expect(result.problems['timeoutMs']).toBe('Approval timeout (ms) must be a number (found "one day").');
  });

  it('reads numbers inside thresholds and scopes written as JSON text', () => {
    const result = normalizeParameterValues('verification', {
      thresholds: '{"pass":"80","marginal":60}',
      baseline: '{"app":"web"}',
      lifetimeMs: 1_800_000,
    });
    expect(result.values['thresholds']).toEqual({ pass: 80, marginal: 60 });
    expect(result.values['baseline']).toEqual({ app: 'web' });
  });

  it('reads a log template and weights written as JSON text, numbers in the weights too', () => {
    const result = normalizeParameterValues('verification', {
      logTemplate: '{"name":"web-logs","version":2}',
      weights: '{"metric":"0.7","log":1}',
    });
    expect(result.values['logTemplate']).toEqual({ name: 'web-logs', version: 2 });
    expect(result.values['weights']).toEqual({ metric: 0.7, log: 1 });
    const spel = { metric: ' 2 ', log: '${parameters.logWeight}' };
    expect(normalizeParameterValues('verification', { weights: spel }).values['weights']).toEqual({
      metric: 2,
      log: '${parameters.logWeight}',
    });
    expect(normalizeParameterValues('verification', { weights: '{"metric":' }).problems['weights']).toMatch(
      /^Score weights must be an object in JSON; this text is not valid JSON/,
    );
  });

  it('refuses a list where an object belongs, and an object where a list belongs', () => {
    expect(normalizeParameterValues('policy', { params: '[1]' }).problems['params']).toBe(
      'Parameters must be an object (found [1]).',
    );
    expect(normalizeParameterValues('approval', { evidence: { connector: 'git' } }).problems['evidence']).toBe(
      'Evidence must be a list (found an object).',
    );
  });

  it('reads parameterValues stored as one JSON string, and reports anything else on the first field', () => {
    expect(normalizeParameterValues('policy', '{"policy":"isd/deploy/allowed"}').values).toEqual({
      policy: 'isd/deploy/allowed',
    });
    const broken = normalizeParameterValues('policy', 42);
    expect(broken.values).toEqual({});
    expect(broken.problems['policy']).toBe('Stage parameters must be an object (found 42). They were reset.');
  });
});
