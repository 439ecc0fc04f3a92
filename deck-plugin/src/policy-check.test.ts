import type { IPipeline, IStage } from '@spinnaker/core';

import { createGateProxyClient } from './api/sidecar-client';
import { PipelineChecker } from './policy-check';
import { FakeGate } from '../test/fake-gate';

const route = 'POST /proxies/sapor/api/v1/policies/pipeline-check';
const pipeline = {
  id: 'p1',
  name: 'deploy',
  application: 'app',
  stages: [{ type: 'isdPolicyGate' }],
  updateTs: 1,
} as unknown as IPipeline;

function setup() {
  const gate = new FakeGate();
  const checker = new PipelineChecker(() => createGateProxyClient({ gateUrl: gate.gateUrl, fetch: gate.fetch }));
  const [deny, unavailable] = checker.validators();
  const run = (validator: typeof deny, p: IPipeline) => validator?.validate(p, {} as never, validator, {} as never);
  return { gate, checker, deny, unavailable, run };
}

describe('PipelineChecker', () => {
  it('blocks saving with sapor’s deny messages', async () => {
    const { gate, deny, unavailable, run } = setup();
    gate.on(route, { body: { deny: ['prod deploys need an approval gate', 'no manual judgment'] } });
    expect(deny?.preventSave).toBe(true);
    await expect(run(deny, pipeline)).resolves.toBe(
      'Policy check denies saving this pipeline: prod deploys need an approval gate; no manual judgment',
    );
    await expect(run(unavailable, pipeline)).resolves.toBe('');
  });

  it('reports on the first ISD gate of a pipeline only, so messages are not repeated per gate', () => {
    const checker = new PipelineChecker(() => {
      throw new Error('not called');
    });
    const [deny, unavailable] = checker.validators(['isdApprovalGate', 'isdPolicyGate']);
    const first = { type: 'isdPolicyGate' } as IStage;
    const second = { type: 'isdApprovalGate' } as IStage;
    const withGates = { stages: [{ type: 'wait' }, first, second] } as unknown as IPipeline;
    expect(deny?.skipValidation?.(withGates, first)).toBe(false);
    expect(deny?.skipValidation?.(withGates, second)).toBe(true);
    expect(unavailable?.skipValidation?.(withGates, second)).toBe(true);
  });

  it('says nothing when sapor allows', async () => {
    const { gate, deny, run } = setup();
    gate.on(route, { body: { deny: [] } });
    await expect(run(deny, pipeline)).resolves.toBe('');
  });

  it('asks sapor once per distinct config, ignoring updateTs', async () => {
    const { gate, deny, unavailable, run } = setup();
    gate.on(route, { body: { deny: [] } });
    await run(deny, pipeline);
    await run(unavailable, pipeline);
    await run(deny, { ...pipeline, updateTs: 2 } as IPipeline);
    expect(gate.requests).toHaveLength(1);
    expect(gate.requests[0]?.body).toEqual({
      new: { id: 'p1', name: 'deploy', application: 'app', stages: [{ type: 'isdPolicyGate' }] },
    });
    await run(deny, { ...pipeline, name: 'renamed' } as IPipeline);
    expect(gate.requests).toHaveLength(2);
  });

  it('warns without blocking when sapor cannot be reached, and asks again next time', async () => {
    const { gate, deny, unavailable, run } = setup();
    gate.on(route, { status: 502 });
    expect(unavailable?.preventSave).toBe(false);
    await expect(run(deny, pipeline)).resolves.toBe('');
    await expect(run(unavailable, pipeline)).resolves.toMatch(/^Policy check could not run \(sapor is unavailable/);
    gate.on(route, { body: { deny: ['x'] } });
    await expect(run(deny, pipeline)).resolves.toMatch(/denies saving this pipeline: x/);
  });
});
