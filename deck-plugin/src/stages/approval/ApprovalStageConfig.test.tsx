import { fireEvent, screen, waitFor } from '@testing-library/react';

import { newStage, renderEditor, expectHelpForEveryParameter } from '../../../test/render-helpers';
import { gateStages } from '../../catalog';
import { ApprovalStageConfig } from './ApprovalStageConfig';

describe('ApprovalStageConfig', () => {
  it('renders every catalog parameter with its label, bound to the stage defaults', () => {
    const { container } = renderEditor(ApprovalStageConfig, newStage('approval'));
    for (const parameter of gateStages.approval.parameters) {
      if (parameter.name === 'timeoutMs') continue; // shown in minutes, see below
      expect(screen.getAllByText(parameter.label, { exact: false }).length).toBeGreaterThan(0);
    }
    // 24 h default shown as minutes
    expect((container.querySelector('input[name="parameterValues.timeoutMs"]') as HTMLInputElement).value).toBe('1440');
  });

  it('gives every catalog parameter a help icon whose popover shows the catalog text', async () => {
    const { container } = renderEditor(ApprovalStageConfig, newStage('approval'));
    await expectHelpForEveryParameter(container, 'approval');
  });

  it('adds and edits approver groups and reports them to Deck', async () => {
    const { lastUpdate } = renderEditor(ApprovalStageConfig, newStage('approval'));
    fireEvent.click(screen.getByText('Add approver group'));
    fireEvent.change(screen.getByLabelText('Approver group 1 name'), { target: { value: 'release-managers' } });
    fireEvent.change(screen.getByLabelText('Approver group 1 approvals required'), { target: { value: '2' } });
    await waitFor(() =>
      expect(lastUpdate()?.parameterValues?.approverGroups).toEqual([{ name: 'release-managers', required: 2 }]),
    );
  });

  it('writes the timeout in milliseconds', async () => {
    const { container, lastUpdate } = renderEditor(
      ApprovalStageConfig,
      newStage('approval', { approverGroups: [{ name: 'qa', required: 1 }] }),
    );
    fireEvent.change(container.querySelector('input[name="parameterValues.timeoutMs"]') as HTMLInputElement, {
      target: { value: '90' },
    });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.timeoutMs).toBe(90 * 60_000));
  });

  it('shows validation errors naming the field', async () => {
    renderEditor(ApprovalStageConfig, newStage('approval'));
    fireEvent.click(screen.getByText('Add approver group'));
    fireEvent.change(screen.getByLabelText('Approver group 1 approvals required'), { target: { value: '0' } });
    expect(await screen.findByText('Approver groups row 1: group name is required.')).toBeTruthy();
  });

  it('edits evidence connectors and the automatic decision', async () => {
    const { lastUpdate } = renderEditor(
      ApprovalStageConfig,
      newStage('approval', { approverGroups: [{ name: 'qa', required: 1 }] }),
    );
    fireEvent.click(screen.getByText('Add evidence'));
    fireEvent.change(screen.getByLabelText('Evidence 1 connector'), { target: { value: 'jenkins' } });
    fireEvent.click(screen.getByLabelText('Use an automatic decision policy'));
    fireEvent.change(screen.getByLabelText('Automatic decision policy path'), {
      target: { value: 'isd/approval/auto' },
    });
    await waitFor(() => {
      expect(lastUpdate()?.parameterValues?.evidence).toEqual([{ connector: 'jenkins' }]);
      expect(lastUpdate()?.parameterValues?.autoDecision).toEqual({
        policyPath: 'isd/approval/auto',
        mode: 'recommend',
      });
    });
  });

  it('runs the policy check from the editor and lists deny messages', async () => {
    const { gate } = renderEditor(ApprovalStageConfig, newStage('approval'));
    gate.on('POST /proxies/sapor/api/v1/policies/pipeline-check', {
      body: { deny: ['prod pipelines need two approver groups'] },
    });
    fireEvent.click(screen.getByText('Check pipeline against policies'));
    expect(await screen.findByText('prod pipelines need two approver groups')).toBeTruthy();
  });

  it('shows a sidecar error instead of a blank panel when the check cannot run', async () => {
    const { gate } = renderEditor(ApprovalStageConfig, newStage('approval'));
    gate.on('POST /proxies/sapor/api/v1/policies/pipeline-check', {
      status: 503,
      body: { detail: 'policy store unavailable' },
    });
    fireEvent.click(screen.getByText('Check pipeline against policies'));
    expect(await screen.findByText('sapor 503: policy store unavailable')).toBeTruthy();
  });
});
