// A stage saved by Deck's generic preconfigured-webhook form (the plugin not installed, or failed to load)
// holds every parameter as a string. Each editor must show those values, write them back typed, and show
// a value it cannot read as a field error instead of a blank panel.
import { screen, waitFor } from '@testing-library/react';
import type { IStage } from '@spinnaker/core';

import { FakeGate } from '../../test/fake-gate';
import { logTemplates, policies, templates } from '../../test/fixtures';
import { renderEditor } from '../../test/render-helpers';
import { gateStages } from '../catalog';
import type { GateKind } from '../catalog';
import { ApprovalStageConfig } from './approval/ApprovalStageConfig';
import { PolicyStageConfig } from './policy/PolicyStageConfig';
import { VerificationStageConfig } from './verification/VerificationStageConfig';

/** The stage as Deck's generic form saves it: `parameterValues` all strings. */
function genericFormStage(kind: GateKind, parameterValues: Record<string, string>): IStage {
  const gate = gateStages[kind];
  return {
    name: gate.label,
    refId: '1',
    requisiteStageRefIds: [],
    type: gate.key,
    parameterValues,
  } as IStage;
}

function sidecars(): FakeGate {
  return new FakeGate()
    .on('GET /proxies/autopilot/api/v1/templates', { body: templates })
    .on('GET /proxies/autopilot/api/v1/log-templates', { body: { templates: logTemplates } })
    .on('GET /proxies/sapor/api/v1/policies', { body: { revision: 1, policies } });
}

function input(container: HTMLElement, selector: string): HTMLInputElement {
  const element = container.querySelector(selector);
  if (!element) throw new Error(`no element ${selector}`);
  return element as HTMLInputElement;
}

describe('editors on a stage saved by Deck’s generic webhook form', () => {
  it('approval: shows the groups, timeout and flags, and writes them back typed', async () => {
    const { container, lastUpdate } = renderEditor(
      ApprovalStageConfig,
      genericFormStage('approval', {
        approverGroups: '[{"name":"release-managers","required":"2"}]',
        allowSelfApproval: 'true',
        timeoutMs: '5400000',
        instructions: 'Check the error budget',
        evidence: '[{"connector":"jenkins","job":"build"}]',
        autoDecision: '',
      }),
      sidecars(),
    );
    expect((screen.getByLabelText('Approver group 1 name') as HTMLInputElement).value).toBe('release-managers');
    expect((screen.getByLabelText('Approver group 1 approvals required') as HTMLInputElement).value).toBe('2');
    expect(input(container, 'input[name="parameterValues.timeoutMs"]').value).toBe('90');
    expect((screen.getByLabelText('Evidence 1 connector') as HTMLSelectElement).value).toBe('jenkins');
    await waitFor(() =>
      expect(lastUpdate()?.parameterValues).toEqual({
        approverGroups: [{ name: 'release-managers', required: 2 }],
        allowSelfApproval: true,
        timeoutMs: 5_400_000,
        instructions: 'Check the error budget',
        evidence: [{ connector: 'jenkins', job: 'build' }],
      }),
    );
  });

  it('verification: shows the template, scopes, durations and thresholds', async () => {
    const { container, lastUpdate } = renderEditor(
      VerificationStageConfig,
      genericFormStage('verification', {
        template: '{"name":"http-golden-signals","version":2}',
        baseline: '{"deployment":"web-baseline"}',
        canary: '{"deployment":"web-canary"}',
        lifetimeMs: '1800000',
        intervalMs: '300000',
        thresholds: '{"pass":"85","marginal":"70"}',
      }),
      sidecars(),
    );
    await waitFor(() =>
      expect((screen.getByLabelText('Template name') as HTMLSelectElement).value).toBe('http-golden-signals'),
    );
    expect(screen.getAllByDisplayValue('web-baseline').length).toBe(1);
    expect(screen.getAllByDisplayValue('web-canary').length).toBe(1);
    expect(input(container, 'input[name="parameterValues.lifetimeMs"]').value).toBe('30');
    expect((screen.getByLabelText('Pass threshold') as HTMLInputElement).value).toBe('85');
    await waitFor(() => expect(lastUpdate()?.parameterValues?.thresholds).toEqual({ pass: 85, marginal: 70 }));
    expect(container.querySelector('.isd-field-error')).toBeNull();
  });

  it('verification: shows a log template and weights saved as text, and names weights it cannot read', async () => {
    const { container, lastUpdate } = renderEditor(
      VerificationStageConfig,
      genericFormStage('verification', {
        logTemplate: '{"name":"web-logs","version":3}',
        weights: '{"metric":"1","log":"3"}',
        baseline: '{"pod":"web-v1"}',
        canary: '{"pod":"web-v2"}',
        lifetimeMs: '1800000',
        intervalMs: '300000',
        thresholds: '{"pass":80,"marginal":60}',
      }),
      sidecars(),
    );
    await waitFor(() =>
      expect((screen.getByLabelText('Log template name') as HTMLSelectElement).value).toBe('web-logs'),
    );
    expect((screen.getByLabelText('Log weight') as HTMLInputElement).value).toBe('3');
    await waitFor(() =>
      expect(lastUpdate()?.parameterValues).toMatchObject({
        logTemplate: { name: 'web-logs', version: 3 },
        weights: { metric: 1, log: 3 },
      }),
    );
    expect(container.querySelector('.isd-field-error')).toBeNull();

    renderEditor(
      VerificationStageConfig,
      genericFormStage('verification', { template: '{"name":"jvm-basics"}', weights: 'half and half' }),
      sidecars(),
    );
    expect(
      await screen.findByText('Score weights must be an object in JSON; this text is not valid JSON: half and half'),
    ).toBeTruthy();
  });

  it('policy: shows the policy path and its parameters', async () => {
    const { lastUpdate } = renderEditor(
      PolicyStageConfig,
      genericFormStage('policy', { policy: 'isd/deploy/allowed', params: '{"environment":"prod"}' }),
      sidecars(),
    );
    expect((screen.getByLabelText('Policy') as HTMLInputElement).value).toBe('isd/deploy/allowed');
    expect((screen.getByLabelText('Policy parameters (JSON)') as HTMLTextAreaElement).value).toContain('"prod"');
    await waitFor(() => expect(lastUpdate()?.parameterValues?.params).toEqual({ environment: 'prod' }));
  });

  it('shows a value it cannot read as an error on its field, keeping the rest of the editor', async () => {
    renderEditor(
      ApprovalStageConfig,
      genericFormStage('approval', { approverGroups: '[{"name": "qa",', timeoutMs: 'a day' }),
      sidecars(),
    );
    expect(
      await screen.findByText(/^Approver groups must be a list in JSON; this text is not valid JSON/),
    ).toBeTruthy();
    expect(await screen.findByText('Approval timeout (ms) must be a number (found "a day").')).toBeTruthy();
    expect(screen.getByText('Add approver group')).toBeTruthy();
  });
});
