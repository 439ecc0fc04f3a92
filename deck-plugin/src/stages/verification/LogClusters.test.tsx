import { fireEvent, screen, waitFor, within } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { executionStage, verificationReportWithLogs, verifications } from '../../../test/fixtures';
import { renderDetails } from '../../../test/render-helpers';
import type { VerificationReport } from '../../api/sidecar-shapes';
import { VerificationExecutionDetails } from './VerificationExecutionDetails';

const verificationRoute = 'GET /proxies/autopilot/api/v1/verifications/ver-19a2';
const reportRoute = 'GET /proxies/autopilot/api/v1/verifications/ver-19a2/report';
const newCluster = '3f1c0a9e5b7d2c4e6f8a0b1c';
const markRoute = `PUT /proxies/autopilot/api/v1/applications/app/log-marks/${newCluster}`;
const withLogs = { ...verifications.fail, logTemplate: { name: 'web-logs', version: 3 } };

function stageReadingLogs() {
  return executionStage('isdVerificationGate', withLogs, {
    statusEndpoint: 'https://autopilot.isd.example.com/api/v1/verifications/ver-19a2',
    parameterValues: { logTemplate: { name: 'web-logs' } },
  });
}

function gateWith(report: VerificationReport) {
  return new FakeGate().on(verificationRoute, { body: withLogs }).on(reportRoute, { body: report });
}

/** The report after a cluster was marked: autopilot shows the application's mark as `currentMark`. */
function reportWithMark(mark: 'expected' | 'ignorable' | 'critical', markedBy: string): VerificationReport {
  const [logs] = verificationReportWithLogs.logs ?? [];
  if (!logs) throw new Error('fixture without logs');
  const clusters = logs.clusters.map((cluster) =>
    cluster.clusterKey === newCluster
      ? { ...cluster, currentMark: { mark, comment: null, markedBy, markedAt: '2026-12-06T10:00:00Z' } }
      : cluster,
  );
  return { ...verificationReportWithLogs, logs: [{ ...logs, clusters }] };
}

async function clusterItem(key: string): Promise<HTMLElement> {
  let found: HTMLElement | null = null;
  await waitFor(() => {
    found = document.querySelector(`[data-cluster-key="${key}"]`);
    expect(found).not.toBeNull();
  });
  return found as unknown as HTMLElement;
}

describe('VerificationExecutionDetails logs', () => {
  it('lists each cluster with its template, counts, classification, score impact, examples and mark', async () => {
    const { container, settled } = renderDetails(
      VerificationExecutionDetails,
      stageReadingLogs(),
      gateWith(verificationReportWithLogs),
    );
    const fresh = await clusterItem(newCluster);
    await settled();
    expect(fresh.getAttribute('data-classification')).toBe('unexpected');
    expect(fresh.querySelector('.isd-cluster-template')?.textContent).toBe(
      'ERROR order <*> failed: java.lang.IllegalStateException: stock for <*> is negative',
    );
    expect(fresh.querySelector('.isd-cluster-counts')?.textContent).toBe(
      'Baseline 0 · Canary 20 · Score impact −37.5 points',
    );
    expect(within(fresh).getByText('Canary examples (1)')).toBeTruthy();
    expect(within(fresh).queryByText(/Baseline examples/)).toBeNull();
    expect(fresh.querySelector('pre')?.textContent).toContain('stock for sku-7 is negative');

    const known = await clusterItem('a1b2c3d4e5f60718293a4b5c');
    expect(known.querySelector('.isd-score-impact')?.textContent).toBe(' · Score impact none');
    expect(known.querySelector('.isd-current-mark')?.textContent).toBe(
      'Marked expected by dana at 2026-11-21T08:00:00Z',
    );
    expect(within(known).getByText('Mark expected').getAttribute('aria-pressed')).toBe('true');
    expect(container.querySelector('.isd-log-score')?.textContent).toBe(' Log score 62.5');
    expect(screen.getByText('1 unexpected cluster(s) cost 37.5 points')).toBeTruthy();
  });

  it('marks a cluster through Gate with its template, then shows who marked it from the reloaded report', async () => {
    const gate = gateWith(verificationReportWithLogs);
    gate.on(markRoute, (request) => {
      gate.on(reportRoute, { body: reportWithMark('critical', 'ana') });
      return { body: { ...(request.body as object), markedBy: 'ana', markedAt: '2026-12-06T10:00:00Z' } };
    });
    renderDetails(VerificationExecutionDetails, stageReadingLogs(), gate);
    const item = await clusterItem(newCluster);
    const button = within(item).getByText('Mark critical');
    button.focus();
    expect(document.activeElement).toBe(button);
    fireEvent.click(button);
    await waitFor(() =>
      expect(item.querySelector('.isd-current-mark')?.textContent).toBe(
        'Marked critical by ana at 2026-12-06T10:00:00Z (applies from the next window)',
      ),
    );
    const put = gate.requests.find((request) => request.method === 'PUT');
    expect(put?.body).toEqual({
      mark: 'critical',
      template: 'ERROR order <*> failed: java.lang.IllegalStateException: stock for <*> is negative',
    });
    expect(gate.requests.filter((request) => request.path.endsWith('/report'))).toHaveLength(2);
  });

  it('shows autopilot’s refusal of a mark on the cluster and keeps the list', async () => {
    const gate = gateWith(verificationReportWithLogs).on(markRoute, {
      status: 403,
      body: { detail: 'anonymous may not mark log clusters of app: needs WRITE on the application' },
    });
    renderDetails(VerificationExecutionDetails, stageReadingLogs(), gate);
    const item = await clusterItem(newCluster);
    fireEvent.click(within(item).getByText('Mark ignorable'));
    expect(
      await within(item).findByText(
        'autopilot 403: anonymous may not mark log clusters of app: needs WRITE on the application',
      ),
    ).toBeTruthy();
    expect((within(item).getByText('Mark ignorable') as HTMLButtonElement).disabled).toBe(false);
    expect(document.querySelectorAll('.isd-log-cluster')).toHaveLength(2);
  });

  it('names the error when the report cannot be loaded, and shows no Logs section for a metrics-only stage', async () => {
    const gate = new FakeGate()
      .on(verificationRoute, { body: withLogs })
      .on(reportRoute, { status: 502, text: 'bad gateway' });
    renderDetails(VerificationExecutionDetails, stageReadingLogs(), gate);
    expect(await screen.findByText('autopilot is unavailable (Gate answered 502: bad gateway)')).toBeTruthy();

    const metricsOnly = executionStage('isdVerificationGate', verifications.fail, {
      statusEndpoint: 'https://autopilot.isd.example.com/api/v1/verifications/ver-19a2',
    });
    const second = renderDetails(
      VerificationExecutionDetails,
      metricsOnly,
      new FakeGate().on(verificationRoute, { body: verifications.fail }),
    );
    await second.settled();
    expect(second.container.querySelector('.isd-logs')).toBeNull();
    expect(second.gate.requests.some((request) => request.path.endsWith('/report'))).toBe(false);
  });
});
