import { screen, waitFor } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { executionStage } from '../../../test/fixtures';
import { renderDetails } from '../../../test/render-helpers';
import type { ExternalStageRun } from '../../api/sidecar-shapes';
import { ServiceNowExecutionDetails } from './ServiceNowExecutionDetails';

const runId = '5d1e8f7a-0a6b-4c3d-8e9f-112233445566';
const route = `GET /proxies/visibility/api/v1/servicenow-changes/${runId}`;
const link = 'https://acme.service-now.com/nav_to.do?uri=change_request.do%3Fsys_id%3Dabc';

function run(overrides: Partial<ExternalStageRun> = {}): ExternalStageRun {
  return {
    id: runId,
    kind: 'servicenow',
    status: 'waiting',
    message: 'CHG0030001 is Authorize, approval requested',
    application: 'app',
    executionId: 'exec-1',
    stageId: 'stage-1',
    ref: { id: 'CHG0030001', url: link },
    observed: { sysId: 'abc', state: 'Authorize', approval: 'requested', shortDescription: 'Deploy shop' },
    request: {},
    createdAt: '2026-12-01T10:00:00.000Z',
    observedAt: '2026-12-01T10:00:05.000Z',
    deadline: '2026-12-02T10:00:00.000Z',
    closedAt: null,
    ...overrides,
  };
}

describe('ServiceNowExecutionDetails', () => {
  it('links the change request and shows its state, approval and the message', async () => {
    const gate = new FakeGate().on(route, { body: run() });
    const { container, settled } = renderDetails(
      ServiceNowExecutionDetails,
      executionStage('isdServiceNowChange', run()),
      gate,
    );
    await settled();
    const anchor = container.querySelector('.isd-servicenow-number a') as HTMLAnchorElement;
    expect(anchor.textContent).toBe('CHG0030001');
    expect(anchor.href).toBe(link);
    expect(container.querySelector('.isd-status')?.textContent).toBe('Waiting for approval');
    expect(container.querySelector('.isd-servicenow-state')?.textContent).toBe('Authorize');
    expect(container.querySelector('.isd-servicenow-approval')?.textContent).toBe('requested');
    expect(container.querySelector('.isd-servicenow-message')?.textContent).toBe(
      'CHG0030001 is Authorize, approval requested',
    );
  });

  it('shows the approval visibility reports now over Orca’s copy', async () => {
    const gate = new FakeGate().on(route, {
      body: run({
        status: 'done',
        observed: { state: 'Scheduled', approval: 'approved' },
        message: 'CHG0030001 is approved (state Scheduled)',
        closedAt: '2026-12-01T11:00:00Z',
      }),
    });
    const { container } = renderDetails(ServiceNowExecutionDetails, executionStage('isdServiceNowChange', run()), gate);
    await waitFor(() => expect(container.querySelector('.isd-status')?.textContent).toBe('Approved'));
    expect(container.querySelector('.isd-servicenow-approval')?.textContent).toBe('approved');
  });

  it('shows a rejection as an error, and Orca’s error before any answer', async () => {
    const rejected = run({ status: 'rejected', message: 'CHG0030001 was rejected' });
    const gate = new FakeGate().on(route, { body: rejected });
    const { settled } = renderDetails(
      ServiceNowExecutionDetails,
      executionStage('isdServiceNowChange', rejected),
      gate,
    );
    await settled();
    expect(screen.getByText('CHG0030001 was rejected')).toBeTruthy();
    expect(screen.getByRole('alert')).toBeTruthy();
  });

  it('shows Orca’s webhook error when the create was refused', () => {
    renderDetails(ServiceNowExecutionDetails, {
      ...executionStage('isdServiceNowChange', undefined),
      context: { webhook: { error: 'visibility answered 400: body.changeType' } },
    });
    expect(screen.getByText('visibility answered 400: body.changeType')).toBeTruthy();
  });
});
