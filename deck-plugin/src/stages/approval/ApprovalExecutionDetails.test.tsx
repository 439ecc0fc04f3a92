import { fireEvent, screen, waitFor } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { approvals, executionStage } from '../../../test/fixtures';
import { renderDetails } from '../../../test/render-helpers';
import type { ApprovalInstance, ApprovalStatus } from '../../api/sidecar-shapes';
import { ApprovalExecutionDetails } from './ApprovalExecutionDetails';

const approvalRoute = 'GET /proxies/visibility/api/v1/approvals/apr-7f3c';
const decisionsRoute = 'POST /proxies/visibility/api/v1/approvals/apr-7f3c/decisions';

const statusTexts: Record<ApprovalStatus, string> = {
  activated: 'Waiting for approval',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
  canceled: 'Canceled',
};

function stageWith(body: ApprovalInstance) {
  return executionStage('isdApprovalGate', body);
}

describe('ApprovalExecutionDetails', () => {
  it.each(Object.keys(statusTexts) as ApprovalStatus[])(
    'renders a %s approval from the stage context',
    async (status) => {
      const gate = new FakeGate().on(approvalRoute, { body: approvals[status] });
      const { container, settled } = renderDetails(ApprovalExecutionDetails, stageWith(approvals[status]), gate);
      expect(container.querySelector('.isd-status')?.textContent).toBe(statusTexts[status]);
      expect(container.querySelector('.isd-status')?.getAttribute('data-status')).toBe(status);
      expect(screen.getByText('release-managers')).toBeTruthy();
      for (const decision of approvals[status].decisions) expect(container.textContent).toContain(decision.user);
      expect(container.querySelectorAll('.isd-evidence-card')).toHaveLength(2);
      expect(container.textContent).toContain('sonarqube answered 503');
      await waitFor(() => expect(gate.requests).toHaveLength(1));
      await settled();
      // Buttons only for a live, undecided gate the user may decide on.
      await waitFor(() => expect(Boolean(container.querySelector('.isd-approve'))).toBe(status === 'activated'));
    },
  );

  it('marks a break-glass self-approval in the decisions', async () => {
    const body: ApprovalInstance = {
      ...approvals.approved,
      decisions: approvals.approved.decisions.map((decision, index) => ({ ...decision, breakGlass: index === 0 })),
    };
    const gate = new FakeGate().on(approvalRoute, { body });
    const { container, settled } = renderDetails(ApprovalExecutionDetails, stageWith(body), gate);
    await settled();
    expect(container.querySelectorAll('.isd-decision-break-glass')).toHaveLength(1);
  });

  it('shows the deadline and group progress while waiting', async () => {
    const { container, settled } = renderDetails(ApprovalExecutionDetails, stageWith(approvals.activated));
    await settled();
    expect(container.querySelector('.isd-deadline')?.textContent).toBe(' Expires 2026-11-23 10:00:00 UTC');
    expect(container.querySelector('.isd-group-progress')?.textContent).toBe('1 of 2 approvals');
  });

  it('approves through the Gate proxy and shows the new status', async () => {
    const gate = new FakeGate()
      .on(approvalRoute, { body: approvals.activated })
      .on(decisionsRoute, { status: 201, body: approvals.approved });
    const { container } = renderDetails(ApprovalExecutionDetails, stageWith(approvals.activated), gate);
    const approve = await screen.findByText('Approve');
    fireEvent.change(screen.getByLabelText('Comment'), { target: { value: ' ship it ' } });
    fireEvent.click(approve);
    await waitFor(() => expect(container.querySelector('.isd-status')?.textContent).toBe('Approved'));
    expect(gate.requests.find((r) => r.method === 'POST')?.body).toEqual({
      action: 'approve',
      comment: 'ship it',
      evidenceDigest: approvals.activated.evidenceDigest,
    });
    expect(container.querySelector('.isd-approve')).toBeNull();
  });

  it('requires a comment to reject, then sends it', async () => {
    const gate = new FakeGate()
      .on(approvalRoute, { body: approvals.activated })
      .on(decisionsRoute, { body: approvals.rejected });
    const { container } = renderDetails(ApprovalExecutionDetails, stageWith(approvals.activated), gate);
    fireEvent.click(await screen.findByText('Reject'));
    expect(screen.getByText('A comment is required to reject.')).toBeTruthy();
    expect(gate.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    fireEvent.change(screen.getByLabelText('Comment'), { target: { value: 'error rate too high' } });
    fireEvent.click(screen.getByText('Reject'));
    await waitFor(() => expect(container.querySelector('.isd-status')?.textContent).toBe('Rejected'));
    expect(gate.requests.find((r) => r.method === 'POST')?.body).toEqual({
      action: 'reject',
      comment: 'error rate too high',
      evidenceDigest: approvals.activated.evidenceDigest,
    });
  });

  it('shows why a decision was refused and keeps the buttons', async () => {
    const gate = new FakeGate().on(approvalRoute, { body: approvals.activated }).on(decisionsRoute, {
      status: 403,
      body: { title: 'Forbidden', detail: 'bob is not in an approver group of this gate' },
    });
    renderDetails(ApprovalExecutionDetails, stageWith(approvals.activated), gate);
    fireEvent.click(await screen.findByText('Approve'));
    expect(await screen.findByText('visibility 403: bob is not in an approver group of this gate')).toBeTruthy();
    expect(screen.getByText('Approve')).toBeTruthy();
  });

  it('renders the instructions as sanitized Markdown', async () => {
    const instructions = 'Check the **canary** dashboard <img src=x onerror="window.pwned=1">';
    const gate = new FakeGate().on(approvalRoute, { body: { ...approvals.activated, instructions } });
    const { container, settled } = renderDetails(
      ApprovalExecutionDetails,
      stageWith({ ...approvals.activated, instructions }),
      gate,
    );
    await settled();
    expect(container.querySelector('.isd-instructions strong')?.textContent).toBe('canary');
    expect(container.querySelector('.isd-instructions img')?.getAttribute('onerror')).toBeFalsy();
  });

  it('says evidence is still being gathered', async () => {
    const pending = { ...approvals.activated, evidenceStatus: 'pending' as const, evidence: [] };
    const gate = new FakeGate().on(approvalRoute, { body: pending });
    const { container, settled } = renderDetails(ApprovalExecutionDetails, stageWith(pending), gate);
    await settled();
    expect(container.querySelector('.isd-evidence-pending')?.textContent).toBe('Gathering evidence…');
    expect(container.querySelectorAll('.isd-evidence-card')).toHaveLength(0);
  });

  it('offers only Reject to a user who may not approve (self-approval off)', async () => {
    const gate = new FakeGate().on(approvalRoute, { body: { ...approvals.activated, canApprove: false } });
    const { container, settled } = renderDetails(ApprovalExecutionDetails, stageWith(approvals.activated), gate);
    await settled();
    expect(container.querySelector('.isd-reject')).not.toBeNull();
    expect(container.querySelector('.isd-approve')).toBeNull();
  });

  it('hides the buttons from users visibility says cannot decide', async () => {
    const gate = new FakeGate().on(approvalRoute, { body: { ...approvals.activated, canDecide: false } });
    const { container } = renderDetails(ApprovalExecutionDetails, stageWith(approvals.activated), gate);
    expect(
      await screen.findByText('You are not in an approver group that can still decide on this gate.'),
    ).toBeTruthy();
    expect(container.querySelector('.isd-approve')).toBeNull();
  });

  it('falls back to Orca’s copy, without buttons, when visibility is unreachable', async () => {
    const gate = new FakeGate().on(approvalRoute, { status: 502, text: '' });
    const { container } = renderDetails(ApprovalExecutionDetails, stageWith(approvals.activated), gate);
    expect(await screen.findByText('visibility is unavailable (Gate answered 502)')).toBeTruthy();
    expect(container.querySelector('.isd-status')?.textContent).toBe('Waiting for approval');
    expect(container.querySelector('.isd-approve')).toBeNull();
  });

  it('explains a stage whose gate was never created instead of a blank panel', () => {
    // No body and no statusEndpoint: there is no gate id, so nothing is fetched.
    const stage = {
      ...executionStage('isdApprovalGate', undefined),
      context: { webhook: { error: 'Error submitting webhook: 400 approverGroups is required' } },
    };
    renderDetails(ApprovalExecutionDetails, stage);
    expect(screen.getByText('Error submitting webhook: 400 approverGroups is required')).toBeTruthy();
    renderDetails(ApprovalExecutionDetails, { ...stage, context: {} });
    expect(screen.getByText('The approval gate has not been created yet.')).toBeTruthy();
  });

  it('renders nothing when another tab is selected', () => {
    const gate = new FakeGate();
    const { container } = renderDetails(ApprovalExecutionDetails, stageWith(approvals.activated), gate, 'taskStatus');
    expect(container.textContent).toBe('');
    expect(gate.requests).toHaveLength(0);
  });
});
