import { screen, waitFor } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { executionStage, verifications } from '../../../test/fixtures';
import { renderDetails } from '../../../test/render-helpers';
import type { VerificationStatus } from '../../api/sidecar-shapes';
import { VerificationExecutionDetails } from './VerificationExecutionDetails';

const route = 'GET /proxies/autopilot/api/v1/verifications/ver-19a2';
const verdictTexts: Record<VerificationStatus, string> = {
  running: 'Analysis running',
  pass: 'Pass',
  marginal: 'Marginal',
  fail: 'Fail',
  error: 'Error',
  canceled: 'Canceled',
};

function stageWith(status: VerificationStatus) {
  return executionStage('isdVerificationGate', verifications[status], {
    statusEndpoint: 'https://autopilot.isd.example.com/api/v1/verifications/ver-19a2',
    parameterValues: { thresholds: { pass: 80, marginal: 60 } },
  });
}

describe('VerificationExecutionDetails', () => {
  it.each(Object.keys(verdictTexts) as VerificationStatus[])('renders a %s verification', async (status) => {
    const gate = new FakeGate().on(route, { body: verifications[status] });
    const { container, settled } = renderDetails(VerificationExecutionDetails, stageWith(status), gate);
    const result = verifications[status];
    expect(container.querySelector('.isd-status')?.textContent).toBe(verdictTexts[status]);
    if (result.score !== undefined)
      expect(container.querySelector('.isd-score')?.textContent).toBe(` Score ${result.score}`);
    const scored = result.intervals.filter((interval) => interval.score !== undefined);
    expect(container.querySelectorAll('.isd-score-chart circle')).toHaveLength(scored.length);
    expect(container.querySelectorAll('.isd-metrics tbody tr')).toHaveLength(result.metrics.length);
    expect(Boolean(container.querySelector('.isd-report-link'))).toBe(result.reportUrl !== undefined);
    if (result.error) expect(screen.getByText(result.error)).toBeTruthy();
    await waitFor(() => expect(gate.requests).toHaveLength(1));
    await settled();
  });

  it('draws the pass and marginal thresholds and labels unscored intervals', async () => {
    const { container, settled } = renderDetails(VerificationExecutionDetails, stageWith('running'));
    await settled();
    expect(container.querySelectorAll('.isd-score-chart line')).toHaveLength(2);
    expect(Array.from(container.querySelectorAll('.isd-interval-scores li')).map((li) => li.textContent)).toEqual([
      '95',
      '89',
      'pending',
    ]);
  });

  it('lists each metric with its classification and reason, and links autopilot’s report through Gate', async () => {
    const { container, settled } = renderDetails(VerificationExecutionDetails, stageWith('fail'));
    await settled();
    const row = container.querySelector('.isd-metrics tbody tr');
    expect(row?.getAttribute('data-classification')).toBe('high');
    expect(row?.textContent).toBe('http_error_ratehighcanary errors 4.1% vs 0.2%');
    expect(container.querySelector('.isd-report-link')?.getAttribute('href')).toBe(
      'http://gate.test/proxies/autopilot/api/v1/verifications/ver-19a2/report',
    );
  });

  it('links an absolute report URL as given and never a javascript: one', async () => {
    const { container, settled } = renderDetails(VerificationExecutionDetails, stageWith('pass'));
    await settled();
    expect(container.querySelector('.isd-report-link')?.getAttribute('href')).toBe(
      'https://autopilot.example.com/reports/ver-19a2',
    );
    const evil = executionStage('isdVerificationGate', { ...verifications.pass, reportUrl: 'javascript:alert(1)' });
    const second = renderDetails(VerificationExecutionDetails, {
      ...evil,
      context: { ...evil.context, statusEndpoint: undefined },
    });
    await second.settled();
    expect(second.container.querySelector('.isd-report-link')).toBeNull();
  });

  it('shows autopilot’s fresher answer over Orca’s copy', async () => {
    const gate = new FakeGate().on(route, { body: verifications.pass });
    const { container } = renderDetails(VerificationExecutionDetails, stageWith('running'), gate);
    await waitFor(() => expect(container.querySelector('.isd-status')?.textContent).toBe('Pass'));
  });

  it('names autopilot’s error when the refresh fails', async () => {
    const gate = new FakeGate().on(route, { status: 404, body: { detail: 'verification ver-19a2 not found' } });
    const { settled } = renderDetails(VerificationExecutionDetails, stageWith('running'), gate);
    await settled();
    expect(await screen.findByText('autopilot 404: verification ver-19a2 not found')).toBeTruthy();
  });
});
