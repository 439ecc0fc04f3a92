import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import React from 'react';

import { FakeGate } from '../../test/fake-gate';
import { approvals } from '../../test/fixtures';
import { SidecarClientProvider } from '../api/client-context';
import { createGateProxyClient } from '../api/sidecar-client';
import { APPROVALS_PAGE_SIZE, ApprovalsView } from './ApprovalsView';

const listRoute = 'GET /proxies/visibility/api/v1/approvals';

function renderView(gate: FakeGate) {
  const client = createGateProxyClient({ gateUrl: gate.gateUrl, fetch: gate.fetch });
  return render(
    <SidecarClientProvider client={client}>
      <ApprovalsView app={{ name: 'checkout' }} />
    </SidecarClientProvider>,
  );
}

function listRequests(gate: FakeGate) {
  return gate.requests.filter((request) => `${request.method} ${request.path}` === listRoute);
}

/** `count` gates with distinct ids, as visibility lists them. */
function page(count: number) {
  return Array.from({ length: count }, (_, index) => ({
    ...approvals.activated,
    id: `apr-${index}`,
    pipelineName: `deploy-${index}`,
  }));
}

describe('ApprovalsView', () => {
  it('lists the gates waiting for the user in every application first', async () => {
    const gate = new FakeGate().on(listRoute, { body: { approvals: [approvals.activated] } });
    renderView(gate);
    expect(await screen.findByText('deploy-prod')).toBeTruthy();
    expect(screen.getByText('release-managers 1/2, qa 0/1')).toBeTruthy();
    expect(listRequests(gate)[0]?.query).toEqual({
      mine: 'true',
      status: 'activated',
      limit: String(APPROVALS_PAGE_SIZE + 1),
      offset: '0',
    });
  });

  it('narrows to this application and a status', async () => {
    const gate = new FakeGate().on(listRoute, { body: { approvals: [approvals.rejected] } });
    renderView(gate);
    await screen.findByText('deploy-prod');
    fireEvent.change(screen.getByLabelText('Which gates'), { target: { value: 'application' } });
    fireEvent.change(await screen.findByLabelText('Status'), { target: { value: 'rejected' } });
    await waitFor(() =>
      expect(listRequests(gate).at(-1)?.query).toEqual({
        application: 'checkout',
        status: 'rejected',
        limit: String(APPROVALS_PAGE_SIZE + 1),
        offset: '0',
      }),
    );
    fireEvent.change(screen.getByLabelText('Which gates'), { target: { value: 'mine-here' } });
    await waitFor(() =>
      expect(listRequests(gate).at(-1)?.query).toMatchObject({ mine: 'true', application: 'checkout' }),
    );
  });

  it('pages through long lists without counting them', async () => {
    const gate = new FakeGate().on(listRoute, (request) => ({
      body: { approvals: request.query['offset'] === '0' ? page(APPROVALS_PAGE_SIZE + 1) : page(3) },
    }));
    const { container } = renderView(gate);
    await screen.findByText('deploy-0');
    expect(container.querySelectorAll('.isd-approval-row')).toHaveLength(APPROVALS_PAGE_SIZE);
    fireEvent.click(screen.getByText('Next'));
    await waitFor(() => expect(container.querySelectorAll('.isd-approval-row')).toHaveLength(3));
    expect(listRequests(gate).at(-1)?.query['offset']).toBe(String(APPROVALS_PAGE_SIZE));
    expect((screen.getByText('Next') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByText('Previous'));
    await waitFor(() => expect(container.querySelectorAll('.isd-approval-row')).toHaveLength(APPROVALS_PAGE_SIZE));
  });

  it('opens a gate, approves it in place on the evidence shown, and reloads the list', async () => {
    let decided = false;
    const gate = new FakeGate()
      .on(listRoute, () => ({ body: { approvals: decided ? [] : [approvals.activated] } }))
      .on(`POST /proxies/visibility/api/v1/approvals/${approvals.activated.id}/decisions`, () => {
        decided = true;
        return { body: approvals.approved };
      });
    renderView(gate);
    fireEvent.click(await screen.findByLabelText('Show approval of deploy-prod'));
    expect(screen.getByText('Build #412 passed (1,204 tests)')).toBeTruthy();
    fireEvent.click(screen.getByText('Approve'));
    expect(await screen.findByText('Nothing is waiting for your approval.')).toBeTruthy();
    const decision = gate.requests.find((request) => request.method === 'POST');
    expect(decision?.body).toEqual({
      action: 'approve',
      comment: '',
      evidenceDigest: approvals.activated.evidenceDigest,
    });
  });

  it('shows visibility’s error instead of an empty table', async () => {
    const gate = new FakeGate().on(listRoute, { status: 503, body: { detail: 'database unavailable' } });
    renderView(gate);
    expect(await screen.findByText('visibility 503: database unavailable')).toBeTruthy();
  });
});
