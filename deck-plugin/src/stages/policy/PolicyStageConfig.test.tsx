import { fireEvent, screen, waitFor } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { policies } from '../../../test/fixtures';
import { newStage, renderEditor, expectHelpForEveryParameter, findOption } from '../../../test/render-helpers';
import { PolicyStageConfig } from './PolicyStageConfig';

const policiesRoute = 'GET /proxies/sapor/api/v1/policies';

describe('PolicyStageConfig', () => {
  it('gives every catalog parameter a help icon whose popover shows the catalog text', async () => {
    const { container } = renderEditor(
      PolicyStageConfig,
      newStage('policy'),
      new FakeGate().on(policiesRoute, { body: policies }),
    );
    await expectHelpForEveryParameter(container, 'policy');
  });

  it('offers sapor’s policies and binds the pick', async () => {
    const gate = new FakeGate().on(policiesRoute, { body: policies });
    const { lastUpdate } = renderEditor(PolicyStageConfig, newStage('policy'), gate);
    await findOption('isd/deploy/allowed — Deployment windows and trusted images');
    fireEvent.change(screen.getByLabelText('Policy'), { target: { value: 'isd/pipeline/required-gates' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.policy).toBe('isd/pipeline/required-gates'));
  });

  it('keeps a saved policy sapor no longer lists visible', async () => {
    const gate = new FakeGate().on(policiesRoute, { body: policies });
    renderEditor(PolicyStageConfig, newStage('policy', { policy: 'isd/retired' }), gate);
    expect(await findOption('isd/retired (not listed by sapor)')).toBeTruthy();
  });

  it('binds parameters as JSON and names invalid JSON without losing the last valid value', async () => {
    const gate = new FakeGate().on(policiesRoute, { body: policies });
    const { lastUpdate } = renderEditor(PolicyStageConfig, newStage('policy', { policy: 'isd/deploy/allowed' }), gate);
    const params = screen.getByLabelText('Policy parameters (JSON)');
    fireEvent.change(params, { target: { value: '{"environment": "prod"}' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.params).toEqual({ environment: 'prod' }));
    fireEvent.change(params, { target: { value: '{"environment": ' } });
    expect(await screen.findByText(/^Parameters: not valid JSON/)).toBeTruthy();
    expect(lastUpdate()?.parameterValues?.params).toEqual({ environment: 'prod' });
  });

  it('shows sapor’s error when the policy list fails, and requires a policy', async () => {
    const gate = new FakeGate().on(policiesRoute, { status: 502, text: '' });
    renderEditor(PolicyStageConfig, newStage('policy'), gate);
    expect(await screen.findByText('sapor is unavailable (Gate answered 502)')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Policy'), { target: { value: ' ' } });
    expect(await screen.findByText('Policy is required.')).toBeTruthy();
  });
});
