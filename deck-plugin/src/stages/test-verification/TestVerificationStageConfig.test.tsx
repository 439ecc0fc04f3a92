import { fireEvent, screen, waitFor } from '@testing-library/react';
import type { IStage } from '@spinnaker/core';

import { expectHelpForEveryParameter, newStage, renderEditor } from '../../../test/render-helpers';
import { gateStages } from '../../catalog';
import { TestVerificationStageConfig } from './TestVerificationStageConfig';

const value = (label: string) => (screen.getByLabelText(label) as HTMLInputElement).value;

describe('TestVerificationStageConfig', () => {
  it('gives every catalog parameter a help icon whose popover shows the catalog text', async () => {
    const { container } = renderEditor(TestVerificationStageConfig, newStage('testVerification'));
    await expectHelpForEveryParameter(container, 'testVerification');
  });

  it('starts with no runs and says both sides need one', async () => {
    renderEditor(TestVerificationStageConfig, newStage('testVerification'));
    expect(await screen.findByText('Baseline runs: add at least one run.')).toBeTruthy();
    expect(screen.getByText('Canary runs: add at least one run.')).toBeTruthy();
    expect(value('Pass threshold')).toBe('80');
  });

  it('adds a Jenkins run, writes the build as a number and a permalink as text', async () => {
    const { lastUpdate } = renderEditor(TestVerificationStageConfig, newStage('testVerification'));
    fireEvent.click(screen.getByText('Add canary run'));
    fireEvent.change(await screen.findByLabelText('Canary run 1 job'), { target: { value: 'shop/web-build' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.canary).toEqual([{ job: 'shop/web-build', build: '' }]));
    expect(await screen.findByText('Canary runs run 1: the build is required.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Canary run 1 build'), { target: { value: '42' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.canary).toEqual([{ job: 'shop/web-build', build: 42 }]));
    fireEvent.change(screen.getByLabelText('Canary run 1 build'), { target: { value: 'lastSuccessfulBuild' } });
    fireEvent.change(screen.getByLabelText('Canary run 1 artifact'), { target: { value: 'dotnet/TestResults.xml' } });
    await waitFor(() =>
      expect(lastUpdate()?.parameterValues?.canary).toEqual([
        { job: 'shop/web-build', build: 'lastSuccessfulBuild', artifact: 'dotnet/TestResults.xml' },
      ]),
    );
    fireEvent.change(screen.getByLabelText('Canary run 1 build'), { target: { value: '${trigger.buildInfo.number}' } });
    expect(
      await screen.findByText(
        'Canary runs run 1: SpEL (${…}) cannot be used here; use a build number or a Jenkins permalink.',
      ),
    ).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Canary run 1 build'), { target: { value: 'nextBuild' } });
    expect(
      await screen.findByText(
        'Canary runs run 1: the build must be a number or one of lastBuild, lastCompletedBuild, lastSuccessfulBuild, lastStableBuild, lastUnstableBuild, lastFailedBuild.',
      ),
    ).toBeTruthy();
  });

  it('switches a run to a URL or pasted XML, keeping its label, and removes runs', async () => {
    const { lastUpdate } = renderEditor(
      TestVerificationStageConfig,
      newStage('testVerification', { baseline: [{ job: 'web', build: 41, label: 'release' }] }),
    );
    fireEvent.change(screen.getByLabelText('Baseline run 1 kind'), { target: { value: 'url' } });
    fireEvent.change(await screen.findByLabelText('Baseline run 1 URL'), { target: { value: 'ftp://x' } });
    expect(await screen.findByText('Baseline runs run 1: the URL must start with http:// or https://.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Baseline run 1 URL'), {
      target: { value: 'https://nexus.example.com/r/TEST-cart.xml' },
    });
    await waitFor(() =>
      expect(lastUpdate()?.parameterValues?.baseline).toEqual([
        { label: 'release', url: 'https://nexus.example.com/r/TEST-cart.xml' },
      ]),
    );
    fireEvent.change(screen.getByLabelText('Baseline run 1 kind'), { target: { value: 'xml' } });
    fireEvent.change(await screen.findByLabelText('Baseline run 1 XML'), { target: { value: '<testsuite/>' } });
    await waitFor(() =>
      expect(lastUpdate()?.parameterValues?.baseline).toEqual([{ label: 'release', xml: '<testsuite/>' }]),
    );
    fireEvent.click(screen.getByLabelText('Remove Baseline run 1'));
    await waitFor(() => expect(lastUpdate()?.parameterValues?.baseline).toEqual([]));
  });

  it('binds the slower-test rule and drops it when emptied', async () => {
    const { lastUpdate } = renderEditor(TestVerificationStageConfig, newStage('testVerification'));
    fireEvent.change(screen.getByLabelText('Test slower at ratio'), { target: { value: '2' } });
    fireEvent.change(screen.getByLabelText('Suite slower by at least (ms)'), { target: { value: '5000' } });
    await waitFor(() =>
      expect(lastUpdate()?.parameterValues?.durations).toEqual({ ratio: 2, suiteMinIncreaseMs: 5000 }),
    );
    fireEvent.change(screen.getByLabelText('Test slower at ratio'), { target: { value: '0.5' } });
    expect(await screen.findByText('Slower ratio must be at least 1.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Test slower at ratio'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Suite slower by at least (ms)'), { target: { value: '' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.durations).toBeUndefined());
  });

  it('reads the strings Deck’s generic webhook form saved and writes them back typed', async () => {
    const stage = {
      name: gateStages.testVerification.label,
      refId: '1',
      requisiteStageRefIds: [],
      type: gateStages.testVerification.key,
      parameterValues: {
        baseline: '[{"job":"web","build":"41"}]',
        canary: '[{"url":"https://nexus.example.com/r/42.xml"}]',
        thresholds: '{"pass":"90","marginal":"70"}',
        durations: '',
      },
    } as IStage;
    const { lastUpdate } = renderEditor(TestVerificationStageConfig, stage);
    expect(value('Baseline run 1 job')).toBe('web');
    expect(value('Baseline run 1 build')).toBe('41');
    expect(value('Canary run 1 URL')).toBe('https://nexus.example.com/r/42.xml');
    expect(value('Pass threshold')).toBe('90');
    await waitFor(() =>
      expect(lastUpdate()?.parameterValues).toEqual({
        baseline: [{ job: 'web', build: '41' }],
        canary: [{ url: 'https://nexus.example.com/r/42.xml' }],
        thresholds: { pass: 90, marginal: 70 },
      }),
    );
  });

  it('shows what it cannot read as it is, with the error on its field, never a blank editor', async () => {
    const stage = newStage('testVerification', {
      baseline: '{not json',
      canary: ['web #42', { job: 'web', build: 42, url: 'https://x/y.xml' }],
    });
    renderEditor(TestVerificationStageConfig, stage);
    expect(await screen.findByText(/^Baseline runs must be a list in JSON; this text is not valid JSON/)).toBeTruthy();
    expect(screen.getByText('"{not json"')).toBeTruthy();
    expect(screen.getByText('"web #42"')).toBeTruthy();
    expect(
      await screen.findByText('Canary runs run 1 must be an object such as {"job": "web", "build": 42}.'),
    ).toBeTruthy();
    fireEvent.click(screen.getByText('Replace with an empty list'));
    expect(await screen.findByText('Baseline runs: add at least one run.')).toBeTruthy();
  });
});
