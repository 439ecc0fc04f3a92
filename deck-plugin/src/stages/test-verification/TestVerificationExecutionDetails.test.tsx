import { screen, waitFor } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { executionStage, testVerificationFail, testVerificationRunning } from '../../../test/fixtures';
import { renderDetails } from '../../../test/render-helpers';
import type { TestVerificationResult } from '../../api/sidecar-shapes';
import { TestVerificationExecutionDetails } from './TestVerificationExecutionDetails';

const id = testVerificationFail.id;
const route = `GET /proxies/autopilot/api/v1/test-verifications/${id}`;

function stageWith(body: unknown) {
  return executionStage('isdTestVerificationGate', body, {
    statusEndpoint: `http://isd-autopilot.isd.svc.cluster.local:8080/api/v1/test-verifications/${id}`,
  });
}

const rows = (container: HTMLElement, table: string) =>
  Array.from(container.querySelectorAll(`${table} tbody tr`)).map((row) =>
    Array.from(row.querySelectorAll('td')).map((cell) => cell.textContent),
  );

describe('TestVerificationExecutionDetails', () => {
  it('shows verdict, score, what cost points and the new failure, flaky and slower tables', async () => {
    const gate = new FakeGate().on(route, { body: testVerificationFail });
    const { container, settled } = renderDetails(
      TestVerificationExecutionDetails,
      stageWith(testVerificationFail),
      gate,
    );
    await settled();
    expect(gate.requests).toHaveLength(1);
    expect(container.querySelector('.isd-status')?.textContent).toBe('Fail');
    expect(container.querySelector('.isd-score')?.textContent).toBe(' Score 25');
    expect(screen.getByText(testVerificationFail.reason!)).toBeTruthy();
    expect(Array.from(container.querySelectorAll('.isd-penalties li')).map((li) => li.textContent)).toEqual([
      '1 × new failure: −50',
      '1 × newly flaky: −20',
      '1 × slower test: −5',
    ]);
    expect(container.querySelector('.isd-test-counts')?.textContent).toMatch(
      /^5 canary tests against 5 baseline tests: 1 new failures · 1 flaky · 1 slower · 0 missing/,
    );
    expect(rows(container, '.isd-new-failures')).toEqual([
      ['refunds', 'expected REFUNDED but was OPEN', '2 passed', '2 failed'],
    ]);
    expect(rows(container, '.isd-flaky')).toEqual([['pays', '1 passed, 1 failed', '2 passed', 'newly flaky']]);
    expect(rows(container, '.isd-slower')).toEqual([['ships', '300 ms', '1.3 s', '4.17×']]);
    expect(container.querySelector('.isd-missing')).toBeNull();
    expect(container.querySelector('.isd-report-link')?.getAttribute('href')).toBe(
      `${gate.gateUrl}/proxies/autopilot/api/v1/test-verifications/${id}/report`,
    );
  });

  it('charts the test time of every run, baseline against canary', async () => {
    const { container, settled } = renderDetails(TestVerificationExecutionDetails, stageWith(testVerificationFail));
    await settled();
    const chart = container.querySelector('.isd-suite-chart svg');
    expect(chart?.getAttribute('aria-label')).toBe('Test time of each run: baseline, canary by run');
    expect(container.querySelector('.isd-suite-chart .isd-chart-y-label')?.textContent).toBe('test time (s)');
    expect(container.querySelector('.isd-suite-totals')?.textContent).toBe(
      'Tests run on both sides took 383 ms (baseline) and 1.3 s (canary), 3.48×.',
    );
  });

  it('says when the monitor body lists only the first entries', async () => {
    const many: TestVerificationResult = {
      ...testVerificationFail,
      counts: { ...testVerificationFail.counts!, newFailures: 312 },
    };
    const { settled } = renderDetails(TestVerificationExecutionDetails, stageWith(many));
    await settled();
    expect(screen.getByText('(first 1 of 312; all in the full report)')).toBeTruthy();
  });

  it('shows a running gate, autopilot’s fresher answer, and an error verdict with its cause', async () => {
    const gate = new FakeGate().on(route, { body: testVerificationRunning });
    const running = renderDetails(TestVerificationExecutionDetails, stageWith(testVerificationRunning), gate);
    await running.settled();
    expect(running.container.querySelector('.isd-status')?.textContent).toBe('Reading test results');
    expect(running.container.querySelector('.isd-report-link')).toBeNull();
    running.unmount();

    const failed = {
      ...testVerificationRunning,
      status: 'error',
      error: 'shop/web-build #44: Jenkins has no such build (404)',
    };
    const errorGate = new FakeGate().on(route, { body: failed });
    const { container, settled } = renderDetails(
      TestVerificationExecutionDetails,
      stageWith(testVerificationRunning),
      errorGate,
    );
    await waitFor(() => expect(container.querySelector('.isd-status')?.textContent).toBe('Error'));
    await settled();
    expect(screen.getByText('shop/web-build #44: Jenkins has no such build (404)')).toBeTruthy();
  });

  it('keeps Orca’s copy when autopilot cannot be reached, and says why nothing shows before the gate starts', async () => {
    const gate = new FakeGate().on(route, { status: 502, body: { message: 'Bad Gateway' } });
    const { container, settled } = renderDetails(
      TestVerificationExecutionDetails,
      stageWith(testVerificationFail),
      gate,
    );
    await settled();
    expect(container.querySelector('.isd-status')?.textContent).toBe('Fail');
    expect(screen.getByText("Showing Orca's last copy; autopilot could not be reached:")).toBeTruthy();

    const notStarted = executionStage('isdTestVerificationGate', undefined, {
      statusEndpoint: undefined,
      webhook: {
        error: 'autopilot answered 400: body.canary.0.url: is not under the URL of any configured test source',
      },
    });
    renderDetails(TestVerificationExecutionDetails, notStarted);
    expect(screen.getByText('The test verification could not be started:')).toBeTruthy();
  });
});
