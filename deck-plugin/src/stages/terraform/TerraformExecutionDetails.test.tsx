// The Terraform stage's execution view: status, the plan as a table of changes, the approval in place.
import { fireEvent, screen, waitFor } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { approvals, executionStage } from '../../../test/fixtures';
import { renderDetails } from '../../../test/render-helpers';
import type { ApprovalInstance, TerraformRun } from '../../api/sidecar-shapes';
import { TerraformExecutionDetails } from './TerraformExecutionDetails';

const runId = '0b8f0c3e-3a52-4a7e-9a43-3d1f7f3a8e10';
const runRoute = `GET /proxies/visibility/api/v1/terraform-runs/${runId}`;
const decisionsRoute = 'POST /proxies/visibility/api/v1/approvals/apr-7f3c/decisions';

function waiting(approval: ApprovalInstance = approvals.activated as ApprovalInstance): TerraformRun {
  return {
    id: runId,
    status: 'awaiting_approval',
    message: 'plan 2 to add, 1 to change, 1 to destroy (1 replaced) waits for approval (1 of release-managers)',
    organization: 'acme',
    workspace: 'network',
    variables: ['size'],
    terraform: {
      runId: 'run-abc123',
      status: 'planned',
      url: 'https://app.terraform.io/app/acme/workspaces/network/runs/run-abc123',
    },
    plan: {
      additions: 2,
      changes: 1,
      destructions: 1,
      replacements: 1,
      resourceChanges: [
        { address: 'aws_vpc.main', action: 'create' },
        { address: 'aws_subnet.a', action: 'update' },
        { address: 'module.db.aws_db_instance.main', action: 'replace', reason: 'replace_because_cannot_update' },
      ],
      omitted: 0,
    },
    approval,
    error: null,
    history: [],
  };
}

function stageWith(body: TerraformRun) {
  return executionStage('isdTerraform', body, {
    statusEndpoint: `https://visibility.isd.example.com/api/v1/terraform-runs/${runId}`,
  });
}

describe('TerraformExecutionDetails', () => {
  it('shows where the run is and the plan as a table of changes', async () => {
    const gate = new FakeGate().on(runRoute, { body: waiting() });
    const { container, settled } = renderDetails(TerraformExecutionDetails, stageWith(waiting()), gate);
    await settled();
    expect(container.querySelector('.isd-status')?.textContent).toBe('Plan waits for approval');
    expect(container.querySelector('.isd-terraform-link')?.getAttribute('href')).toBe(
      'https://app.terraform.io/app/acme/workspaces/network/runs/run-abc123',
    );
    const rows = Array.from(container.querySelectorAll('.isd-plan-changes tbody tr')).map((row) => [
      row.getAttribute('data-action'),
      row.querySelector('code')?.textContent,
    ]);
    expect(rows).toEqual([
      ['create', 'aws_vpc.main'],
      ['update', 'aws_subnet.a'],
      ['replace', 'module.db.aws_db_instance.main'],
    ]);
    expect(container.querySelector('.isd-change-reason')?.textContent).toBe(' (replace because cannot update)');
    expect(container.querySelector('.isd-terraform-counts')?.textContent).toBe(
      '2 to add, 1 to change, 1 to destroy (1 replaced)',
    );
  });

  it('approves the plan in place through the Gate proxy and shows the run applying', async () => {
    const applying: TerraformRun = {
      ...waiting(approvals.approved as ApprovalInstance),
      status: 'applying',
      terraform: { runId: 'run-abc123', status: 'applying', url: null },
    };
    const gate = new FakeGate().on(runRoute, { body: waiting() }).on(decisionsRoute, { body: approvals.approved });
    const { container } = renderDetails(TerraformExecutionDetails, stageWith(waiting()), gate);
    const approve = await screen.findByText('Approve');
    gate.on(runRoute, { body: applying });
    fireEvent.change(screen.getByLabelText('Comment'), { target: { value: 'plan looks right' } });
    fireEvent.click(approve);
    await waitFor(() => expect(container.querySelector('.isd-status')?.textContent).toBe('Applying'));
    expect(gate.requests.find((request) => request.method === 'POST')?.body).toEqual({
      action: 'approve',
      comment: 'plan looks right',
      evidenceDigest: approvals.activated.evidenceDigest,
    });
    expect(container.querySelector('.isd-approve')).toBeNull();
  });

  it.each([
    ['planning', 'Planning', 'Terraform is planning…'],
    ['no_changes', 'No changes', 'No resource changes.'],
    ['errored', 'Failed', 'Invalid provider configuration'],
  ] as const)('shows a %s run', async (status, label, text) => {
    const body: TerraformRun = {
      ...waiting(),
      status,
      approval: null,
      plan:
        status === 'no_changes'
          ? { additions: 0, changes: 0, destructions: 0, replacements: 0, resourceChanges: [], omitted: 0 }
          : null,
      error: status === 'errored' ? 'Invalid provider configuration' : null,
    };
    const gate = new FakeGate().on(runRoute, { body });
    const { container, settled } = renderDetails(TerraformExecutionDetails, stageWith(body), gate);
    await settled();
    expect(container.querySelector('.isd-status')?.textContent).toBe(label);
    expect(container.textContent).toContain(text);
    expect(container.querySelector('.isd-approve')).toBeNull();
  });

  it('says when visibility cannot be reached, and shows Orca’s copy', async () => {
    const gate = new FakeGate().on(runRoute, { status: 503, body: { title: 'down' } });
    const { container, settled } = renderDetails(TerraformExecutionDetails, stageWith(waiting()), gate);
    await settled();
    expect(container.textContent).toContain("Showing Orca's last copy");
    expect(container.querySelectorAll('.isd-plan-changes tbody tr')).toHaveLength(3);
  });
});
