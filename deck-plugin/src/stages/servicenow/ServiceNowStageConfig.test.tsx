import { fireEvent, screen, waitFor } from '@testing-library/react';

import { expectHelpForEveryParameter, newStage, renderEditor } from '../../../test/render-helpers';
import { ServiceNowStageConfig } from './ServiceNowStageConfig';

describe('ServiceNowStageConfig', () => {
  it('gives every catalog parameter a help icon whose popover shows the catalog text', async () => {
    const { container } = renderEditor(ServiceNowStageConfig, newStage('servicenow', { shortDescription: 'Deploy' }));
    await expectHelpForEveryParameter(container, 'servicenow');
  });

  it('shows the values and writes edits back typed', async () => {
    const { lastUpdate } = renderEditor(
      ServiceNowStageConfig,
      newStage('servicenow', { shortDescription: 'Deploy shop', assignmentGroup: 'CAB Approval' }),
    );
    const input = (name: string) => document.querySelector(`[name="parameterValues.${name}"]`) as HTMLInputElement;
    expect(input('shortDescription').value).toBe('Deploy shop');
    expect(input('assignmentGroup').value).toBe('CAB Approval');
    expect(input('changeType').value).toBe('normal');
    fireEvent.change(input('changeType'), { target: { value: 'emergency' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.changeType).toBe('emergency'));
    fireEvent.change(document.querySelector('.isd-minutes input') as HTMLInputElement, { target: { value: '30' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.timeoutMs).toBe(1_800_000));
  });

  it('names problems on their fields', async () => {
    renderEditor(
      ServiceNowStageConfig,
      newStage('servicenow', { shortDescription: 'x'.repeat(161), changeType: 'urgent', timeoutMs: 30_000 }),
    );
    expect(
      await screen.findByText("Short description must be at most 160 characters (ServiceNow's limit)."),
    ).toBeTruthy();
    expect(screen.getByText('Change type must be one of normal, standard, emergency.')).toBeTruthy();
    expect(screen.getByText('Wait timeout (ms) must be at least 1m.')).toBeTruthy();
  });

  it('reads a stage saved by Deck’s generic webhook form', async () => {
    const stage = {
      name: 'Change',
      refId: '1',
      requisiteStageRefIds: [],
      type: 'isdServiceNowChange',
      parameterValues: { shortDescription: 'Deploy', changeType: 'standard', timeoutMs: '7200000' },
    };
    const { updates } = renderEditor(ServiceNowStageConfig, stage as never);
    await waitFor(() => expect(updates[0]?.parameterValues).toMatchObject({ timeoutMs: 7_200_000 }));
    expect((document.querySelector('.isd-minutes input') as HTMLInputElement).value).toBe('120');
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
