// The Terraform stage editor: typed values, the strings Deck's generic webhook form writes, and field errors.
import { fireEvent, screen, waitFor } from '@testing-library/react';
import type { IStage } from '@spinnaker/core';

import { expectHelpForEveryParameter, newStage, renderEditor } from '../../../test/render-helpers';
import { gateStages } from '../../catalog';
import { validateGateStage } from '../../validation';
import { TerraformStageConfig } from './TerraformStageConfig';

function value(container: HTMLElement, selector: string): string {
  return (container.querySelector(selector) as HTMLInputElement).value;
}

describe('TerraformStageConfig', () => {
  it('shows typed values and one help icon per catalog parameter', async () => {
    const { container } = renderEditor(
      TerraformStageConfig,
      newStage('terraform', {
        workspace: 'network-prod',
        variables: { size: 'large', replicas: 3, public: false },
        approverGroups: [{ name: 'ops', required: 2 }],
      }),
    );
    expect(value(container, 'input[name="parameterValues.workspace"]')).toBe('network-prod');
    expect((screen.getByLabelText('Variable 2 value') as HTMLInputElement).value).toBe('3');
    expect((screen.getByLabelText('Variable 2 type') as HTMLSelectElement).value).toBe('number');
    expect((screen.getByLabelText('Variable 3 value') as HTMLInputElement).checked).toBe(false);
    expect((screen.getByLabelText('Approver group 1 approvals required') as HTMLInputElement).value).toBe('2');
    await expectHelpForEveryParameter(container, 'terraform');
  });

  it('reads a stage saved by the generic webhook form and writes it back typed', async () => {
    const stage = {
      name: 'Terraform',
      refId: '1',
      requisiteStageRefIds: [],
      type: gateStages.terraform.key,
      parameterValues: {
        workspace: 'network',
        organization: '',
        variables: '{"size":"large","replicas":"3"}',
        approverGroups: '[{"name":"ops","required":"2"}]',
        allowSelfApproval: 'false',
        timeoutMs: '3600000',
        instructions: 'Read the plan',
      },
    } as unknown as IStage;
    const { container, lastUpdate } = renderEditor(TerraformStageConfig, stage);
    expect((screen.getByLabelText('Approver group 1 name') as HTMLInputElement).value).toBe('ops');
    expect(value(container, 'input[name="parameterValues.timeoutMs"]')).toBe('60');
    expect((screen.getByLabelText('Variable 1 name') as HTMLInputElement).value).toBe('size');
    await waitFor(() =>
      expect(lastUpdate()?.parameterValues).toMatchObject({
        workspace: 'network',
        variables: { size: 'large', replicas: '3' },
        approverGroups: [{ name: 'ops', required: 2 }],
        allowSelfApproval: false,
        timeoutMs: 3_600_000,
      }),
    );
  });

  it('shows an unreadable value as a field error instead of a blank panel', async () => {
    const stage = newStage('terraform', { workspace: 'network', approverGroups: [{ name: 'ops', required: 1 }] });
    stage.parameterValues = { ...stage.parameterValues, variables: '{not json' };
    const { container } = renderEditor(TerraformStageConfig, stage);
    await waitFor(() =>
      expect(container.querySelector('[data-field="variables"] .isd-field-error')?.textContent).toContain(
        'not valid JSON',
      ),
    );
    expect(value(container, 'input[name="parameterValues.workspace"]')).toBe('network');
  });

  it('adds a typed variable and names a bad variable or workspace on its field', async () => {
    const { lastUpdate } = renderEditor(
      TerraformStageConfig,
      newStage('terraform', { workspace: 'network', approverGroups: [{ name: 'ops', required: 1 }] }),
    );
    fireEvent.click(screen.getByText('Add variable'));
    fireEvent.change(screen.getByLabelText('Variable 1 name'), { target: { value: 'replicas' } });
    fireEvent.change(screen.getByLabelText('Variable 1 type'), { target: { value: 'number' } });
    fireEvent.change(screen.getByLabelText('Variable 1 value'), { target: { value: '4' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues).toMatchObject({ variables: { replicas: 4 } }));

    const errors = validateGateStage('terraform', {
      ...newStage('terraform'),
      parameterValues: {
        workspace: 'net work',
        variables: { 'bad name': 'x', nested: { a: 1 } },
        approverGroups: [],
        timeoutMs: 86_400_000,
      },
    });
    expect(errors.parameterValues).toEqual({
      workspace: 'Workspace may hold only letters, digits, - and _ (at most 90).',
      variables: expect.stringContaining('"bad name" is not a variable name'),
      approverGroups: 'Approver groups: add at least one group.',
    });
    expect(validateGateStage('terraform', newStage('terraform')).parameterValues).toMatchObject({
      workspace: 'Workspace is required.',
    });
  });
});
