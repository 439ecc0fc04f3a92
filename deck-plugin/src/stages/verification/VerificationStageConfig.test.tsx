import { fireEvent, screen, waitFor } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { logTemplates, templates } from '../../../test/fixtures';
import { newStage, renderEditor, expectHelpForEveryParameter, findOption } from '../../../test/render-helpers';
import { VerificationStageConfig } from './VerificationStageConfig';

const templatesRoute = 'GET /proxies/autopilot/api/v1/templates';
const logTemplatesRoute = 'GET /proxies/autopilot/api/v1/log-templates';

function gateWithTemplates() {
  return new FakeGate()
    .on(templatesRoute, { body: templates })
    .on(logTemplatesRoute, { body: { templates: logTemplates } });
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
    const gate = new FakeGate()
      .on(templatesRoute, { status: 500, body: { detail: 'template store down' } })
      .on(logTemplatesRoute, { body: { templates: logTemplates } });
    const { lastUpdate } = renderEditor(VerificationStageConfig, newStage('verification'), gate);
    expect(await screen.findByText('autopilot 500: template store down')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Template name'), { target: { value: 'jvm-basics' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.template).toEqual({ name: 'jvm-basics' }));
    gate.on(templatesRoute, { body: templates });
    fireEvent.click(screen.getByText('Retry'));
    expect(await findOption('http-golden-signals')).toBeTruthy();
  });

  it('offers autopilot’s log templates; a logs-only stage is valid and no template at all is an error', async () => {
    const { lastUpdate } = renderEditor(VerificationStageConfig, newStage('verification'), gateWithTemplates());
    expect(await screen.findByText('Metric template or Log template is required: choose at least one.')).toBeTruthy();
    await findOption('web-logs');
    fireEvent.change(screen.getByLabelText('Log template name'), { target: { value: 'web-logs' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.logTemplate).toEqual({ name: 'web-logs', version: 3 }));
    await waitFor(() =>
      expect(screen.queryByText('Metric template or Log template is required: choose at least one.')).toBeNull(),
    );
    fireEvent.change(screen.getByLabelText('Log template name'), { target: { value: '' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.logTemplate).toBeUndefined());
  });

  it('keeps a saved log template selectable when autopilot no longer lists it, and types one when the list fails', async () => {
    renderEditor(
      VerificationStageConfig,
      newStage('verification', { logTemplate: { name: 'retired-logs', version: 1 } }),
      gateWithTemplates(),
    );
    await findOption('web-logs');
    expect((screen.getByLabelText('Log template name') as HTMLSelectElement).value).toBe('retired-logs');

    const gate = new FakeGate()
      .on(templatesRoute, { body: templates })
      .on(logTemplatesRoute, { status: 503, body: { detail: 'log template store down' } });
    const second = renderEditor(VerificationStageConfig, newStage('verification'), gate);
    expect(await screen.findByText('autopilot 503: log template store down')).toBeTruthy();
    fireEvent.change(screen.getAllByLabelText('Log template name')[1] as HTMLElement, {
      target: { value: 'batch-logs' },
    });
    await waitFor(() => expect(second.lastUpdate()?.parameterValues?.logTemplate).toEqual({ name: 'batch-logs' }));
  });

  it('binds the score weights and names a bad pair', async () => {
    const { lastUpdate } = renderEditor(
      VerificationStageConfig,
      newStage('verification', { template: { name: 'jvm-basics' } }),
      gateWithTemplates(),
    );
    fireEvent.change(screen.getByLabelText('Metric weight'), { target: { value: '0' } });
    fireEvent.change(screen.getByLabelText('Log weight'), { target: { value: '0' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.weights).toEqual({ metric: 0, log: 0 }));
    expect(await screen.findByText('Score weights: metric and log must not both be 0.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Log weight'), { target: { value: '2' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.weights).toEqual({ metric: 0, log: 2 }));
    fireEvent.change(screen.getByLabelText('Metric weight'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Log weight'), { target: { value: '' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.weights).toBeUndefined());
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
