import { fireEvent, screen, waitFor } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { policies } from '../../../test/fixtures';
import { expectHelpForEveryParameter, newStage, renderEditor } from '../../../test/render-helpers';
import { PolicyStageConfig } from './PolicyStageConfig';

const policiesRoute = 'GET /proxies/sapor/api/v1/policies';

function gateWithPolicies() {
  return new FakeGate().on(policiesRoute, { body: { revision: 7, policies } });
}

async function suggestions(): Promise<string[]> {
  let values: string[] = [];
  await waitFor(() => {
    values = Array.from(document.querySelectorAll('#isd-policy-paths option')).map(
      (o) => o.getAttribute('value') ?? '',
    );
    expect(values.length).toBeGreaterThan(0);
  });
  return values;
}

describe('PolicyStageConfig', () => {
  it('gives every catalog parameter a help icon whose popover shows the catalog text', async () => {
    const { container } = renderEditor(PolicyStageConfig, newStage('policy'), gateWithPolicies());
    await suggestions();
    await expectHelpForEveryParameter(container, 'policy');
  });

  it('suggests the package paths of sapor’s policies and binds the typed decision path', async () => {
    const { lastUpdate } = renderEditor(PolicyStageConfig, newStage('policy'), gateWithPolicies());
    expect(await suggestions()).toEqual(['isd/deploy', 'isd/pipeline']);
    expect(document.querySelector('#isd-policy-paths option')?.textContent).toBe(
      'deploy-rules — v3 — Deployment windows and trusted images',
    );
    fireEvent.change(screen.getByLabelText('Policy'), { target: { value: 'isd/deploy/allowed' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.policy).toBe('isd/deploy/allowed'));
    expect(document.querySelector('.isd-policy-unknown')).toBeNull();
  });

  it('warns, without blocking, about a path under no package sapor has loaded', async () => {
    renderEditor(PolicyStageConfig, newStage('policy', { policy: 'isd/retired/allowed' }), gateWithPolicies());
    await suggestions();
    expect((await screen.findByText(/is not under any policy package sapor has loaded/)).textContent).toBe(
      '“isd/retired/allowed” is not under any policy package sapor has loaded (isd/deploy, isd/pipeline).',
    );
  });

  it('binds parameters as JSON and names invalid JSON without losing the last valid value', async () => {
    const { lastUpdate } = renderEditor(
      PolicyStageConfig,
      newStage('policy', { policy: 'isd/deploy/allowed' }),
      gateWithPolicies(),
    );
    const params = screen.getByLabelText('Policy parameters (JSON)');
    fireEvent.change(params, { target: { value: '{"environment": "prod"}' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.params).toEqual({ environment: 'prod' }));
    fireEvent.change(params, { target: { value: '{"environment": ' } });
    expect(await screen.findByText(/^Parameters: not valid JSON/)).toBeTruthy();
    expect(lastUpdate()?.parameterValues?.params).toEqual({ environment: 'prod' });
  });

  it('shows sapor’s error when the policy list fails, still lets the author type, and requires a policy', async () => {
    const gate = new FakeGate().on(policiesRoute, { status: 502, text: '' });
    renderEditor(PolicyStageConfig, newStage('policy'), gate);
    expect(await screen.findByText('sapor is unavailable (Gate answered 502)')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Policy'), { target: { value: ' ' } });
    expect(await screen.findByText('Policy is required.')).toBeTruthy();
    gate.on(policiesRoute, { body: { revision: 7, policies } });
    fireEvent.click(screen.getByText('Retry'));
    expect(await suggestions()).toEqual(['isd/deploy', 'isd/pipeline']);
  });
});
