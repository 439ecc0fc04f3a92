// Execution view of the Terraform stage: where the run is (visibility's status and Terraform Cloud's), the
// plan as a table of resource changes, and the plan's approval with Approve / Reject in place.
import React from 'react';
import { ExecutionDetailsSection } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import { useSidecarClient } from '../../api/client-context';
import type { ApprovalDecisionRequest, TerraformResourceChange, TerraformRun } from '../../api/sidecar-shapes';
import { ErrorNotice } from '../../common/components';
import { webhookError } from '../../common/stage-context';
import { useGateInstance } from '../../common/useGateInstance';
import { ApprovalStatusLabel, ApprovalSummary, DecisionForm, formatTime } from '../approval/ApprovalParts';

/** How each stage status is labelled. */
const statusLabels: Record<string, { text: string; className: string }> = {
  planning: { text: 'Planning', className: 'label-info' },
  awaiting_approval: { text: 'Plan waits for approval', className: 'label-info' },
  applying: { text: 'Applying', className: 'label-info' },
  applied: { text: 'Applied', className: 'label-success' },
  no_changes: { text: 'No changes', className: 'label-success' },
  rejected: { text: 'Rejected', className: 'label-danger' },
  expired: { text: 'Approval expired', className: 'label-warning' },
  discarded: { text: 'Discarded', className: 'label-danger' },
  errored: { text: 'Failed', className: 'label-danger' },
  canceled: { text: 'Canceled', className: 'label-default' },
};

/** The words a change is shown with, and Deck's label colour for it. */
const actionLabels: Record<TerraformResourceChange['action'], { text: string; className: string }> = {
  create: { text: 'create', className: 'label-success' },
  update: { text: 'update', className: 'label-warning' },
  delete: { text: 'delete', className: 'label-danger' },
  replace: { text: 'replace', className: 'label-danger' },
  read: { text: 'read', className: 'label-default' },
  'no-op': { text: 'no change', className: 'label-default' },
};

/** Statuses after which the run changes no more. */
const FINISHED = new Set(['applied', 'no_changes', 'rejected', 'expired', 'discarded', 'errored', 'canceled']);

/** How often an open run is read again, so a decision shows the apply without waiting for Orca's next poll. */
const REFRESH_MS = 2_000;

/** Deck execution details section for the ISD Terraform stage. */
export function TerraformExecutionDetails(props: IExecutionDetailsSectionProps) {
  return (
    <ExecutionDetailsSection name={props.name} current={props.current}>
      <TerraformDetails {...props} />
    </ExecutionDetailsSection>
  );
}
TerraformExecutionDetails.title = 'terraform';

function TerraformDetails(props: IExecutionDetailsSectionProps) {
  const client = useSidecarClient();
  const gate = useGateInstance<TerraformRun>(props.stage, (id) => client.getTerraformRun(id));
  const run = gate.instance;
  const orcaError = webhookError(props.stage);
  const open = run !== undefined && !FINISHED.has(run.status);
  React.useEffect(() => {
    if (!open || gate.refreshing) return undefined;
    const timer = setTimeout(gate.refresh, REFRESH_MS);
    return () => clearTimeout(timer);
  }, [open, gate.refreshing, run]);

  if (!run) {
    return (
      <div className="isd-terraform-details" data-refreshing={gate.refreshing}>
        {orcaError ? (
          <ErrorNotice title="The Terraform stage could not start:" message={orcaError} />
        ) : (
          <p className="isd-empty">The Terraform run has not been created yet.</p>
        )}
        {gate.refreshError && (
          <ErrorNotice title="Could not load the Terraform run from visibility:" message={gate.refreshError} />
        )}
      </div>
    );
  }

  const label = statusLabels[run.status] ?? { text: run.status ?? 'unknown', className: 'label-default' };
  const approval = run.approval ?? undefined;
  return (
    <div className="isd-terraform-details" data-refreshing={gate.refreshing}>
      <div className="isd-status-line">
        <span className={`label ${label.className} isd-status`} data-status={run.status}>
          {label.text}
        </span>{' '}
        <span className="isd-terraform-where">
          {run.organization}/{run.workspace}
        </span>{' '}
        {run.terraform?.runId &&
          (run.terraform.url ? (
            <a className="isd-terraform-link" href={run.terraform.url} target="_blank" rel="noopener noreferrer">
              {run.terraform.runId}
            </a>
          ) : (
            <span className="isd-terraform-link">{run.terraform.runId}</span>
          ))}{' '}
        {run.terraform?.status && <span className="isd-terraform-status">Terraform: {run.terraform.status}</span>}{' '}
        <button type="button" className="btn btn-xs btn-link" onClick={gate.refresh} disabled={gate.refreshing}>
          {gate.refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {run.message && <p className="isd-terraform-message">{run.message}</p>}
      {run.error && <ErrorNotice title="Terraform:" message={run.error} />}
      {gate.refreshError && (
        <ErrorNotice title="Showing Orca's last copy; visibility could not be reached:" message={gate.refreshError} />
      )}

      <PlanTable run={run} />

      {approval && (
        <>
          <h5>
            Approval <ApprovalStatusLabel status={approval.status} />
            {approval.deadline && approval.status === 'activated' && (
              <span className="isd-deadline"> Expires {formatTime(approval.deadline)}</span>
            )}
          </h5>
          <ApprovalSummary approval={approval} />
          {approval.status === 'activated' && gate.live && approval.canDecide === true && (
            <DecisionForm
              canApprove={approval.canApprove !== false}
              decide={async (action, comment) => {
                const request: ApprovalDecisionRequest = { action, comment };
                // Decide on the plan shown: visibility refuses (409) if the evidence changed in the meantime.
                if (approval.evidenceDigest) request.evidenceDigest = approval.evidenceDigest;
                await client.decideApproval(approval.id, request);
                gate.update(await client.getTerraformRun(run.id));
              }}
            />
          )}
          {approval.status === 'activated' && gate.live && approval.canDecide === false && (
            <p className="isd-cannot-decide">You are not in an approver group that can still decide on this plan.</p>
          )}
        </>
      )}
    </div>
  );
}

/** The plan's counts and its resource changes as a table. */
function PlanTable(props: { run: TerraformRun }) {
  const plan = props.run.plan;
  if (!plan) {
    return props.run.status === 'planning' ? <p className="isd-terraform-planning">Terraform is planning…</p> : null;
  }
  return (
    <>
      <h5>Plan</h5>
      <p className="isd-terraform-counts">
        <span className="isd-plan-add">{plan.additions} to add</span>,{' '}
        <span className="isd-plan-change">{plan.changes} to change</span>,{' '}
        <span className="isd-plan-destroy">{plan.destructions} to destroy</span>
        {plan.replacements > 0 && <span className="isd-plan-replace"> ({plan.replacements} replaced)</span>}
      </p>
      {plan.resourceChanges.length === 0 ? (
        <p className="isd-plan-empty">No resource changes.</p>
      ) : (
        <table className="table table-condensed isd-plan-changes">
          <thead>
            <tr>
              <th>Action</th>
              <th>Resource</th>
            </tr>
          </thead>
          <tbody>
            {plan.resourceChanges.map((change) => {
              const action = actionLabels[change.action] ?? { text: change.action, className: 'label-default' };
              return (
                <tr key={change.address} data-action={change.action}>
                  <td>
                    <span className={`label ${action.className}`}>{action.text}</span>
                  </td>
                  <td>
                    <code>{change.address}</code>
                    {change.reason && <span className="isd-change-reason"> ({change.reason.replace(/_/g, ' ')})</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {plan.omitted > 0 && (
        <p className="isd-plan-omitted">{plan.omitted} more changes are not listed; see the run in Terraform Cloud.</p>
      )}
    </>
  );
}
