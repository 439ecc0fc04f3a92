import { fireEvent, screen, waitFor } from '@testing-library/react';

import { expectHelpForEveryParameter, newStage, renderEditor } from '../../../test/render-helpers';
import { AnsibleStageConfig } from './AnsibleStageConfig';

describe('AnsibleStageConfig', () => {
  it('gives every catalog parameter a help icon whose popover shows the catalog text', async () => {
    const { container } = renderEditor(AnsibleStageConfig, newStage('awx', { jobTemplate: 'deploy-web' }));
    await expectHelpForEveryParameter(container, 'awx');
  });

  it('binds extra variables as JSON and names invalid JSON without losing the last valid value', async () => {
    const { lastUpdate } = renderEditor(
      AnsibleStageConfig,
      newStage('awx', { jobTemplate: 'deploy-web', extraVars: { version: '1.0' } }),
    );
    const vars = screen.getByLabelText('Extra variables (JSON)') as HTMLTextAreaElement;
    expect(JSON.parse(vars.value)).toEqual({ version: '1.0' });
    fireEvent.change(vars, { target: { value: '{"version": "2.0", "canary": true}' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.extraVars).toEqual({ version: '2.0', canary: true }));
    fireEvent.change(vars, { target: { value: '{"version": ' } });
    expect(await screen.findByText(/^Extra variables: not valid JSON/)).toBeTruthy();
    expect(lastUpdate()?.parameterValues?.extraVars).toEqual({ version: '2.0', canary: true });
    fireEvent.change(vars, { target: { value: '["a"]' } });
    expect(await screen.findByText('Extra variables must be an object (found a list).')).toBeTruthy();
  });

  it('requires a job template', async () => {
    renderEditor(AnsibleStageConfig, newStage('awx', { jobTemplate: ' ' }));
    expect(await screen.findByText('Job template is required.')).toBeTruthy();
  });

  it('reads a stage saved by Deck’s generic webhook form', async () => {
    const stage = {
      name: 'Ansible',
      refId: '1',
      requisiteStageRefIds: [],
      type: 'isdAnsibleJob',
      parameterValues: { jobTemplate: '42', extraVars: '{"env":"prod"}', limit: 'web*', timeoutMs: '600000' },
    };
    const { updates } = renderEditor(AnsibleStageConfig, stage as never);
    await waitFor(() =>
      expect(updates[0]?.parameterValues).toMatchObject({ extraVars: { env: 'prod' }, timeoutMs: 600_000 }),
    );
    expect(JSON.parse((screen.getByLabelText('Extra variables (JSON)') as HTMLTextAreaElement).value)).toEqual({
      env: 'prod',
    });
    expect((document.querySelector('[name="parameterValues.limit"]') as HTMLInputElement).value).toBe('web*');
  });
});
