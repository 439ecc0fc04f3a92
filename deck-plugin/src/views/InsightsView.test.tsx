import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import React from 'react';

import { FakeGate } from '../../test/fake-gate';
import type { RecordedRequest } from '../../test/fake-gate';
import { SidecarClientProvider } from '../api/client-context';
import { createGateProxyClient } from '../api/sidecar-client';
import { InsightsView } from './InsightsView';

/** The chart whose accessible name starts with `title` (a query by role is slow on a large jsdom page). */
function chart(title: string): SVGElement {
  const found = [...document.querySelectorAll('svg[aria-label]')].find((svg) =>
    svg.getAttribute('aria-label')!.startsWith(title),
  );
  if (!found) throw new Error(`no chart ${title}`);
  return found as SVGElement;
}

function findChart(title: string): Promise<SVGElement> {
  return waitFor(() => chart(title));
}

const now = Date.parse('2026-11-22T00:00:00Z');
const DAY = 86_400_000;

function renderView(gate: FakeGate) {
  const client = createGateProxyClient({ gateUrl: gate.gateUrl, fetch: gate.fetch });
  return render(
    <SidecarClientProvider client={client}>
      <InsightsView app={{ name: 'Checkout' }} now={() => now} />
    </SidecarClientProvider>,
  );
}

/** The week index (0 = oldest of 12) a request's range ends in. */
function week(request: RecordedRequest): number {
  return 11 - Math.round((now - Date.parse(request.query['to']!)) / (7 * DAY));
}

/** sapor answering per range: the deployments grow week by week; every third week has failures. */
function sapor() {
  return new FakeGate()
    .on('GET /proxies/sapor/api/v1/insights/dora', (request) => {
      const n = week(request);
      return {
        body: {
          from: request.query['from'],
          to: request.query['to'],
          groupBy: 'application',
          groups: [
            {
              application: 'checkout',
              deployments: { successful: n + 1, failed: n % 3 === 0 ? 1 : 0, perDay: (n + 1) / 7 },
              leadTimeMs: { median: (n + 1) * 3_600_000, p90: (n + 2) * 3_600_000, count: n + 1 },
              changeFailureRate: n % 3 === 0 ? 1 / (n + 2) : 0,
              timeToRestoreMs: { median: n % 3 === 0 ? 2 * 3_600_000 : null, count: 0, unrestored: 0 },
            },
          ],
          freshness: { lastSuccessAt: '2026-11-21T23:50:00Z', lastAttemptAt: null, lastError: null, stale: false },
        },
      };
    })
    .on('GET /proxies/sapor/api/v1/insights/gates', (request) => ({
      body: {
        from: request.query['from'],
        to: request.query['to'],
        applications:
          week(request) < 6
            ? []
            : [
                {
                  application: 'checkout',
                  decisions: { approval: { approved: 2, rejected: 1 }, policy: { deny: 1 } },
                  policyDenials: 1,
                  approvalWaitMs: { median: 600_000, p90: 1_200_000, count: 3 },
                  verificationScore: { mean: 88, count: 2 },
                },
              ],
      },
    }));
}

describe('InsightsView', () => {
  it('asks sapor for each of 12 weeks and charts the DORA measures and gate numbers', async () => {
    const gate = sapor();
    const { container } = renderView(gate);
    expect(screen.getByText(/Loading insights from sapor…/)).toBeTruthy();
    await findChart('Deployments');
    const dora = gate.requests.filter((request) => request.path.endsWith('/insights/dora'));
    expect(dora).toHaveLength(12);
    expect(new Set(dora.map((request) => request.query['to']))).toHaveProperty('size', 12);
    expect(dora.every((request) => request.query['application'] === 'Checkout')).toBe(true);
    expect(dora.map((request) => Date.parse(request.query['to']!) - Date.parse(request.query['from']!))).toEqual(
      new Array(12).fill(7 * DAY),
    );
    expect(Math.max(...dora.map((request) => Date.parse(request.query['to']!)))).toBe(now);

    const deployments = chart('Deployments');
    expect(deployments.querySelectorAll('[data-series="successful"] circle')).toHaveLength(12);
    expect(deployments.querySelector('[data-series="successful"] circle:last-of-type title')?.textContent).toMatch(
      /^successful: 12 at/,
    );
    const lead = chart('Lead time for changes');
    expect(lead.querySelector('.isd-chart-y-label')?.textContent).toBe('Lead time (h)');
    // Weeks without a restore have no point rather than a zero.
    expect(chart('Time to restore').querySelectorAll('circle')).toHaveLength(4);
    const waits = chart('Approval wait');
    expect(waits.querySelectorAll('[data-series="median"] circle')).toHaveLength(6);
    expect(waits.querySelector('title')?.textContent).toMatch(/^median: 10 min/);
    expect(container.querySelector('.isd-freshness')?.textContent).toContain('2026-11-21 23:50:00 UTC');
  });

  it('switches to 30 daily buckets', async () => {
    const gate = sapor();
    renderView(gate);
    await findChart('Deployments');
    fireEvent.change(screen.getByLabelText('Period'), { target: { value: '30d' } });
    await waitFor(() =>
      expect(gate.requests.filter((request) => request.path.endsWith('/insights/gates'))).toHaveLength(12 + 30),
    );
    await findChart('Deployments');
  });

  it('says when there is nothing, warns of stale data, and shows sapor’s error', async () => {
    const empty = new FakeGate()
      .on('GET /proxies/sapor/api/v1/insights/dora', {
        body: {
          groups: [],
          freshness: { lastSuccessAt: null, lastAttemptAt: null, lastError: 'Gate 503', stale: true },
        },
      })
      .on('GET /proxies/sapor/api/v1/insights/gates', { body: { applications: [] } });
    renderView(empty);
    expect(await screen.findByText('No deployments or gate decisions in this period.')).toBeTruthy();
    expect(screen.getByText(/Deployment data may be out of date/).textContent).toContain('Gate 503');
    const failing = new FakeGate()
      .on('GET /proxies/sapor/api/v1/insights/dora', {
        status: 400,
        body: { detail: 'query.from: must be before query.to' },
      })
      .on('GET /proxies/sapor/api/v1/insights/gates', { body: { applications: [] } });
    renderView(failing);
    expect(await screen.findByText('sapor 400: query.from: must be before query.to')).toBeTruthy();
  });
});
