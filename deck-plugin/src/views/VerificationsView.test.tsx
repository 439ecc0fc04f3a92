import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import React from 'react';

import { FakeGate } from '../../test/fake-gate';
import { verificationReport, verificationSummaries } from '../../test/fixtures';
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
const TOTAL = 10_000;

function renderView(gate: FakeGate) {
  const client = createGateProxyClient({ gateUrl: gate.gateUrl, fetch: gate.fetch });
  return render(
    <SidecarClientProvider client={client}>
      <VerificationsView app={{ name: 'checkout' }} />
    </SidecarClientProvider>,
  );
}

/** autopilot's list over 10,000 stored verifications: a cursor is the offset it reached, as text. */
function pagedList(gate: FakeGate) {
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

  it('says when there is nothing, and shows autopilot’s error instead of an empty table', async () => {
    const empty = new FakeGate().on(listRoute, { body: { verifications: [], next: null } });
    renderView(empty);
    expect(await screen.findByText('No verifications have run in this application yet.')).toBeTruthy();
    const failing = new FakeGate().on(listRoute, { status: 400, body: { detail: 'query.limit: too big' } });
    renderView(failing);
    expect(await screen.findByText('autopilot 400: query.limit: too big')).toBeTruthy();
  });
});
