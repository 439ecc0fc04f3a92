import { buildRuntimeInput, buildStaticInput, withoutSecrets } from './input';

const fields = {
  application: 'app',
  pipelineName: 'deploy',
  pipelineId: 'p1',
  executionId: 'e1',
  stageId: 's2',
  triggeredBy: 'alice',
};

describe('buildRuntimeInput', () => {
  it('keeps author parameters under params only', () => {
    const input = buildRuntimeInput(fields, null, {
      verification: { score: 100 },
      application: 'evil',
      user: { username: 'root' },
    }) as unknown as Record<string, unknown>;
    expect(input.verification).toBeUndefined();
    expect(input.application).toBe('app');
    expect(input.user).toEqual({ username: 'alice' });
    expect(input.params).toEqual({ verification: { score: 100 }, application: 'evil', user: { username: 'root' } });
  });

  it('takes the trigger user from the trusted payload even when the execution says otherwise', () => {
    const input = buildRuntimeInput(
      fields,
      {
        trigger: { type: 'manual', user: 'mallory' },
        stages: [{ id: 's2', type: 'isdPolicyGate', context: { x: 1 } }],
      },
      {},
    );
    expect(input.trigger).toEqual({ type: 'manual', user: 'alice' });
    expect(input.stage).toEqual({ id: 's2', type: 'isdPolicyGate', context: { x: 1 } });
  });
});

describe('withoutSecrets', () => {
  it('drops credentials and prototype keys at any depth', () => {
    const value = JSON.parse(
      '{"a":{"customHeaders":{"X":"t"},"apiToken":"s","githubToken":"g","password":"p","keep":1},"__proto__":{"polluted":true},"list":[{"authorization":"Bearer x","ok":2}]}',
    );
    expect(withoutSecrets(value)).toEqual({ a: { keep: 1 }, list: [{ ok: 2 }] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('buildStaticInput', () => {
  it("carries Armory's pipeline and OpsMx's new/current", () => {
    expect(buildStaticInput({ name: 'p' }, undefined)).toMatchObject({
      kind: 'static',
      pipeline: { name: 'p' },
      new: { name: 'p' },
      current: null,
    });
  });
});
