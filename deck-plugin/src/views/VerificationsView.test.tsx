import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import React from 'react';

import { FakeGate } from '../../test/fake-gate';
import { testVerificationSummaries, verificationReport, verificationSummaries } from '../../test/fixtures';
import { SidecarClientProvider } from '../api/client-context';
import { createGateProxyClient } from '../api/sidecar-client';
import { VERIFICATIONS_PAGE_SIZE, VerificationsView } from './VerificationsView';

/** The chart whose accessible name starts with `title` (a query by role is slow on a large jsdom page). */
function chart(title: string): SVGElement {
  const found = [...document.querySelectorAll('svg[aria-label]')].find((svg) =>
    svg.getAttribute('aria-label')!.startsWith(title),
  );
  if (!found) throw new Error(`no chart ${title}`);
  return found as SVGElement;
}

const listRoute = 'GET /proxies/autopilot/api/v1/verifications';
const testListRoute = 'GET /proxies/autopilot/api/v1/test-verifications';
const TOTAL = 10_000;

function renderView(gate: FakeGate) {
  const client = createGateProxyClient({ gateUrl: gate.gateUrl, fetch: gate.fetch });
  return render(
    <SidecarClientProvider client={client}>
      <VerificationsView app={{ name: 'checkout' }} />
    </SidecarClientProvider>,
  );
}

/** autopilot's lists over 10,000 stored verifications and `tests` test verifications: a cursor is the offset it reached, as text. */
function pagedList(gate: FakeGate, tests = 0) {
  gate.on(testListRoute, (request) => {
    const start = request.query['cursor'] ? Number(request.query['cursor']) : 0;
    const count = Math.max(0, Math.min(Number(request.query['limit']), tests - start));
    return {
      body: {
        testVerifications: testVerificationSummaries(count, start),
        next: start + count < tests ? String(start + count) : null,
      },
    };
  });
  return gate.on(listRoute, (request) => {
    const start = request.query['cursor'] ? Number(request.query['cursor']) : 0;
    const limit = Number(request.query['limit']);
    const count = Math.min(limit, TOTAL - start);
    return {
      body: {
        verifications: verificationSummaries(count, start),
        next: start + count < TOTAL ? String(start + count) : null,
      },
    };
  });
}

function listRequests(gate: FakeGate) {
  return gate.requests.filter((request) => `${request.method} ${request.path}` === listRoute);
}

describe('VerificationsView', () => {
  it('shows one page of 10,000 verifications with their scores over time per pipeline', async () => {
    const gate = pagedList(new FakeGate());
    const { container } = renderView(gate);
    expect(screen.getByText('Loading verifications from autopilot…')).toBeTruthy();
    await waitFor(() =>
      expect(container.querySelectorAll('.isd-verification-row')).toHaveLength(VERIFICATIONS_PAGE_SIZE),
    );
    expect(listRequests(gate)[0]?.query).toEqual({ application: 'checkout', limit: String(VERIFICATIONS_PAGE_SIZE) });
    const chartElement = chart('Score over time');
    expect(chartElement.querySelectorAll('[data-series]')).toHaveLength(2);
    expect(within(chartElement as unknown as HTMLElement).getByText('Score')).toBeTruthy();
    expect(within(chartElement as unknown as HTMLElement).getByText('Started (UTC)')).toBeTruthy();
    expect(within(chartElement as unknown as HTMLElement).getByText('pass')).toBeTruthy();
  });

  it('pages forward with autopilot’s cursor and back again', async () => {
    const gate = pagedList(new FakeGate());
    const { container } = renderView(gate);
    await screen.findAllByText('deploy-prod');
    fireEvent.click(screen.getByText('Next'));
    await waitFor(() => expect(screen.getByText('Page 2')).toBeTruthy());
    await waitFor(() =>
      expect(container.querySelector('.isd-verification-row')?.getAttribute('data-id')).toMatch(/^00000050/),
    );
    expect(listRequests(gate).at(-1)?.query['cursor']).toBe(String(VERIFICATIONS_PAGE_SIZE));
    fireEvent.click(screen.getByText('Previous'));
    await waitFor(() =>
      expect(container.querySelector('.isd-verification-row')?.getAttribute('data-id')).toMatch(/^00000000/),
    );
    expect(listRequests(gate).at(-1)?.query['cursor']).toBeUndefined();
  });

  it('filters by pipeline when asked, not on every keystroke, and by status', async () => {
    const gate = pagedList(new FakeGate());
    renderView(gate);
    await screen.findAllByText('deploy-prod');
    fireEvent.change(screen.getByLabelText('Pipeline'), { target: { value: 'deploy-prod' } });
    expect(listRequests(gate)).toHaveLength(1);
    fireEvent.submit(screen.getByLabelText('Pipeline').closest('form')!);
    await waitFor(() => expect(listRequests(gate).at(-1)?.query['pipeline']).toBe('deploy-prod'));
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'fail' } });
    await waitFor(() =>
      expect(listRequests(gate).at(-1)?.query).toMatchObject({ pipeline: 'deploy-prod', status: 'fail' }),
    );
  });

  it('opens a run’s report in place: interval scores, and baseline vs canary with the unit', async () => {
    const gate = pagedList(new FakeGate()).on(
      `GET /proxies/autopilot/api/v1/verifications/${verificationReport.id}/report`,
      (request) => ({ body: request.query['format'] === 'json' ? verificationReport : 'html' }),
    );
    renderView(gate);
    const open = await screen.findAllByLabelText(/Show report of/);
    fireEvent.click(open[3]!);
    expect(await screen.findByText('Fail: the canary is worse than the baseline')).toBeTruthy();
    expect(chart('Score per interval')).toBeTruthy();
    const metric = chart('p99 latency: baseline vs canary');
    expect(metric.querySelectorAll('[data-series="baseline"] circle')).toHaveLength(3);
    expect(metric.querySelectorAll('[data-series="canary"] circle')).toHaveLength(4);
    expect(within(metric as unknown as HTMLElement).getByText('p99 latency (s)')).toBeTruthy();
    // The gap in the baseline breaks its line instead of joining across it.
    expect(metric.querySelector('[data-series="baseline"] path')?.getAttribute('d')?.match(/M/g)).toHaveLength(2);
    expect(screen.getByText('canary median 0.42 s vs baseline 0.21 s (+100%)')).toBeTruthy();
    fireEvent.click(screen.getByLabelText(/Hide report of/));
    expect(screen.queryByText('Fail: the canary is worse than the baseline')).toBeNull();
  });

  it('says what retention dropped from an old run’s report, and nothing on a run kept whole', async () => {
    const dropped =
      'fetched metric points, log example lines and the log clusters that cost no points (retention.detailDays)';
    const trimmed = { ...verificationReport, detailsDropped: { at: '2026-11-30T02:00:00.000Z', dropped } };
    const gate = pagedList(new FakeGate()).on(
      `GET /proxies/autopilot/api/v1/verifications/${verificationReport.id}/report`,
      () => ({ body: trimmed }),
    );
    renderView(gate);
    fireEvent.click((await screen.findAllByLabelText(/Show report of/))[3]!);
    const notice = (await screen.findByText(/^Dropped on/)).closest('.isd-details-dropped')!;
    expect(notice.textContent).toContain(dropped);
    expect(notice.textContent).toContain('The verdict, scores, reasons and findings are kept.');
    expect(screen.getByText('Fail: the canary is worse than the baseline')).toBeTruthy();

    const whole = pagedList(new FakeGate()).on(
      `GET /proxies/autopilot/api/v1/verifications/${verificationReport.id}/report`,
      () => ({ body: verificationReport }),
    );
    document.body.innerHTML = '';
    renderView(whole);
    fireEvent.click((await screen.findAllByLabelText(/Show report of/))[3]!);
    await screen.findByText('Fail: the canary is worse than the baseline');
    expect(document.querySelector('.isd-details-dropped')).toBeNull();
  });

  it('says when there is nothing, and shows autopilot’s error instead of an empty table', async () => {
    const empty = new FakeGate()
      .on(listRoute, { body: { verifications: [], next: null } })
      .on(testListRoute, { body: { testVerifications: [], next: null } });
    renderView(empty);
    expect(await screen.findByText('No verifications have run in this application yet.')).toBeTruthy();
    const failing = new FakeGate()
      .on(listRoute, { status: 400, body: { detail: 'query.limit: too big' } })
      .on(testListRoute, { body: { testVerifications: [], next: null } });
    renderView(failing);
    expect(await screen.findByText('autopilot 400: query.limit: too big')).toBeTruthy();
  });

  it('lists test verifications among the metric ones, newest first, with kind, verdict, score and report link', async () => {
    const gate = pagedList(new FakeGate(), 100);
    const { container } = renderView(gate);
    await waitFor(() =>
      expect(container.querySelectorAll('.isd-verification-row')).toHaveLength(VERIFICATIONS_PAGE_SIZE),
    );
    const rowsShown = [...container.querySelectorAll('.isd-verification-row')];
    // Metric runs every hour from 12:00, test runs every 2 hours from 12:30: 12:30 test, 12:00 metric, 11:00 metric, 10:30 test…
    expect(rowsShown.slice(0, 4).map((row) => row.getAttribute('data-kind'))).toEqual([
      'test',
      'metric',
      'metric',
      'test',
    ]);
    expect(rowsShown.filter((row) => row.getAttribute('data-kind') === 'test')).toHaveLength(17);
    const test = rowsShown[0]!;
    const cells = [...test.querySelectorAll('td')].map((cell) => cell.textContent);
    expect(cells.slice(1, 5)).toEqual(['50', 'tests', 'deploy-prod', 'checkout-ci #101']);
    expect(test.querySelector('[data-status]')?.getAttribute('data-status')).toBe('fail');
    const link = within(test as HTMLElement).getByText('Report');
    expect(link.getAttribute('href')).toBe(
      `${gate.gateUrl}/proxies/autopilot/api/v1/test-verifications/${testVerificationSummaries(1)[0]!.id}/report`,
    );
    expect(link.getAttribute('target')).toBe('_blank');
    expect(rowsShown[1]!.querySelectorAll('td')[2]!.textContent).toBe('metrics');
    // Both lists were asked with the same filters; the chart draws the test scores as their own line.
    const testRequests = gate.requests.filter((request) => `${request.method} ${request.path}` === testListRoute);
    expect(testRequests[0]?.query).toEqual({ application: 'checkout', limit: String(VERIFICATIONS_PAGE_SIZE) });
    expect(chart('Score over time').querySelectorAll('[data-series]')).toHaveLength(3);

    // The next page goes on where each list stopped: no row twice, none left out.
    const firstIds = rowsShown.map((row) => row.getAttribute('data-id'));
    fireEvent.click(screen.getByText('Next'));
    await waitFor(() => expect(screen.getByText('Page 2')).toBeTruthy());
    await waitFor(() =>
      expect(container.querySelector('.isd-verification-row')?.getAttribute('data-id')).not.toBe(firstIds[0]),
    );
    const secondIds = [...container.querySelectorAll('.isd-verification-row')].map((row) =>
      row.getAttribute('data-id'),
    );
    expect(secondIds.filter((id) => firstIds.includes(id))).toEqual([]);
    expect(secondIds[0]).toBe('00000033-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
  });

  it('shows one kind when asked, asking only its list', async () => {
    const gate = pagedList(new FakeGate(), 5);
    const { container } = renderView(gate);
    await screen.findAllByText('deploy-staging');
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'test' } });
    await waitFor(() => expect(container.querySelectorAll('.isd-verification-row')).toHaveLength(5));
    expect(
      [...container.querySelectorAll('.isd-verification-row')].map((row) => row.getAttribute('data-kind')),
    ).toEqual(Array(5).fill('test'));
    const metricCalls = listRequests(gate).length;
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'fail' } });
    await waitFor(() =>
      expect(gate.requests.at(-1)).toMatchObject({
        path: '/proxies/autopilot/api/v1/test-verifications',
        query: { status: 'fail' },
      }),
    );
    expect(listRequests(gate)).toHaveLength(metricCalls);
    expect(screen.queryByText('Next')).toBeNull();
  });
});
