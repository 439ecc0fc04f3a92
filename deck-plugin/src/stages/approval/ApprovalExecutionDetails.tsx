// Execution view of the approval gate: status, deadline, group progress, decisions, evidence, and
// Approve / Reject (with comment) for users visibility says may decide, sent through Gate's proxy.
import React from 'react';
import { ExecutionDetailsSection } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import { useSidecarClient } from '../../api/client-context';
import type { ApprovalDecisionRequest, ApprovalInstance } from '../../api/sidecar-shapes';
import { ErrorNotice } from '../../common/components';
import { gateId, webhookError } from '../../common/stage-context';
import { useGateInstance } from '../../common/useGateInstance';
import { ApprovalStatusLabel, ApprovalSummary, DecisionForm, formatTime } from './ApprovalParts';

/** Deck execution details section for the ISD approval gate. */
export function ApprovalExecutionDetails(props: IExecutionDetailsSectionProps) {
  return (
    <ExecutionDetailsSection name={props.name} current={props.current}>
      <ApprovalDetails {...props} />
    </ExecutionDetailsSection>
  );
}
ApprovalExecutionDetails.title = 'approval';

function ApprovalDetails(props: IExecutionDetailsSectionProps) {
  const client = useSidecarClient();
  const gate = useGateInstance<ApprovalInstance>(props.stage, (id) => client.getApproval(id));
  const approval = gate.instance;
  const orcaError = webhookError(props.stage);

  if (!approval) {
    return (
      <div className="isd-approval-details" data-refreshing={gate.refreshing}>
        {orcaError ? (
          <ErrorNotice title="The approval gate could not be created:" message={orcaError} />
        ) : (
          <p className="isd-empty">The approval gate has not been created yet.</p>
        )}
        {gate.refreshError && (
          <ErrorNotice title="Could not load the approval from visibility:" message={gate.refreshError} />
        )}
      </div>
    );
  }

  return (
    <div className="isd-approval-details" data-refreshing={gate.refreshing}>
      <div className="isd-status-line">
        <ApprovalStatusLabel status={approval.status} />
        {approval.deadline && approval.status === 'activated' && (
          <span className="isd-deadline"> Expires {formatTime(approval.deadline)}</span>
        )}{' '}
        <button type="button" className="btn btn-xs btn-link" onClick={gate.refresh} disabled={gate.refreshing}>
          {gate.refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {gate.refreshError && (
        <ErrorNotice title="Showing Orca's last copy; visibility could not be reached:" message={gate.refreshError} />
      )}
      <ApprovalSummary approval={approval} />

      {approval.status === 'activated' && gate.live && approval.canDecide === true && (
        <DecisionForm
          canApprove={approval.canApprove !== false}
          decide={async (action, comment) => {
            const id = approval.id ?? gateId(props.stage);
            if (!id) throw new Error('The approval has no id to decide on.');
            const request: ApprovalDecisionRequest = { action, comment };
            // Decide on the evidence shown: visibility refuses (409) if it changed in the meantime.
            if (approval.evidenceDigest) request.evidenceDigest = approval.evidenceDigest;
            const updated = await client.decideApproval(id, request);
            // Some answers carry only the decision; ask for the whole instance then.
            gate.update(updated && updated.status ? updated : await client.getApproval(id));
          }}
        />
      )}
      {approval.status === 'activated' && gate.live && approval.canDecide === false && (
        <p className="isd-cannot-decide">You are not in an approver group that can still decide on this gate.</p>
      )}
    </div>
  );
}
