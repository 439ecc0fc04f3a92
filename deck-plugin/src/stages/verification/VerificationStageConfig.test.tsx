import { fireEvent, screen, waitFor } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { templates } from '../../../test/fixtures';
import { newStage, renderEditor, expectHelpForEveryParameter, findOption } from '../../../test/render-helpers';
import { VerificationStageConfig } from './VerificationStageConfig';

const templatesRoute = 'GET /proxies/autopilot/api/v1/templates';

function gateWithTemplates() {
  return new FakeGate().on(templatesRoute, { body: templates });
}

describe('VerificationStageConfig', () => {
  it('gives every catalog parameter a help icon whose popover shows the catalog text', async () => {
    const { container } = renderEditor(VerificationStageConfig, newStage('verification'), gateWithTemplates());
    await expectHelpForEveryParameter(container, 'verification');
  });

  it('offers autopilot’s templates and binds the pick with its version', async () => {
    const { lastUpdate } = renderEditor(VerificationStageConfig, newStage('verification'), gateWithTemplates());
    await findOption('http-golden-signals');
    fireEvent.change(screen.getByLabelText('Template name'), { target: { value: 'http-golden-signals' } });
    await waitFor(() =>
      expect(lastUpdate()?.parameterValues?.template).toEqual({ name: 'http-golden-signals', version: 2 }),
    );
  });

  it('shows autopilot’s error and falls back to typing the template name', async () => {
    const gate = new FakeGate().on(templatesRoute, { status: 500, body: { detail: 'template store down' } });
    const { lastUpdate } = renderEditor(VerificationStageConfig, newStage('verification'), gate);
    expect(await screen.findByText('autopilot 500: template store down')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Template name'), { target: { value: 'jvm-basics' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.template).toEqual({ name: 'jvm-basics' }));
    gate.on(templatesRoute, { body: templates });
    fireEvent.click(screen.getByText('Retry'));
    expect(await findOption('http-golden-signals')).toBeTruthy();
  });

  it('binds thresholds, lifetime and interval, and reports thresholds out of order', async () => {
    const { container, lastUpdate } = renderEditor(
      VerificationStageConfig,
      newStage('verification'),
      gateWithTemplates(),
    );
    expect((screen.getByLabelText('Pass threshold') as HTMLInputElement).value).toBe('80');
    expect((container.querySelector('input[name="parameterValues.lifetimeMs"]') as HTMLInputElement).value).toBe('30');
    fireEvent.change(container.querySelector('input[name="parameterValues.intervalMs"]') as HTMLInputElement, {
      target: { value: '10' },
    });
    fireEvent.change(screen.getByLabelText('Marginal threshold'), { target: { value: '90' } });
    await waitFor(() => {
      expect(lastUpdate()?.parameterValues?.intervalMs).toBe(600_000);
      expect(lastUpdate()?.parameterValues?.thresholds).toEqual({ pass: 80, marginal: 90 });
    });
    expect(await screen.findByText('Thresholds out of order: marginal (90) must not be above pass (80).')).toBeTruthy();
  });

  it('edits baseline and canary scope labels', async () => {
    const { lastUpdate } = renderEditor(VerificationStageConfig, newStage('verification'), gateWithTemplates());
    fireEvent.click(screen.getByText('Add baseline label'));
    const [key, value] = Array.from(document.querySelectorAll('[data-field="baseline"] input')) as HTMLInputElement[];
    fireEvent.change(key as HTMLInputElement, { target: { value: 'deployment' } });
    fireEvent.change(value as HTMLInputElement, { target: { value: 'app-baseline' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.baseline).toEqual({ deployment: 'app-baseline' }));
  });
});
