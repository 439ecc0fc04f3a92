// Execution view of the ServiceNow stage: the change request (number, linked), its state and approval in
// ServiceNow, and visibility's message; Orca's copy first, then visibility's fresher answer through Gate.
import React from 'react';
import { ExecutionDetailsSection } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import { useSidecarClient } from '../../api/client-context';
import type { ExternalStageRun } from '../../api/sidecar-shapes';
import { ErrorNotice } from '../../common/components';
import { webhookError } from '../../common/stage-context';
import { useGateInstance } from '../../common/useGateInstance';

/** Deck execution details section for the ISD ServiceNow stage. */
export function ServiceNowExecutionDetails(props: IExecutionDetailsSectionProps) {
  return (
    <ExecutionDetailsSection name={props.name} current={props.current}>
      <ServiceNowDetails {...props} />
    </ExecutionDetailsSection>
  );
}
// Deck humanises the key into the tab title: "change" reads "Change".
ServiceNowExecutionDetails.title = 'change';

const statusLabels: Record<string, { text: string; className: string }> = {
  creating: { text: 'Creating the change request', className: 'label-info' },
  waiting: { text: 'Waiting for approval', className: 'label-info' },
  done: { text: 'Approved', className: 'label-success' },
  rejected: { text: 'Rejected', className: 'label-danger' },
  failed: { text: 'Failed', className: 'label-danger' },
  timeout: { text: 'Timed out', className: 'label-warning' },
  canceled: { text: 'Canceled', className: 'label-default' },
};

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function ServiceNowDetails(props: IExecutionDetailsSectionProps) {
  const client = useSidecarClient();
  const state = useGateInstance<ExternalStageRun>(props.stage, (id) => client.getServiceNowChange(id));
  const run = state.instance;
  const orcaError = webhookError(props.stage);
  if (!run) {
    return (
      <div className="isd-servicenow-details">
        {orcaError ? (
          <ErrorNotice title="The ServiceNow stage could not start:" message={orcaError} />
        ) : (
          <p className="isd-empty">The change request has not been created yet.</p>
        )}
        {state.refreshError && <ErrorNotice title="Could not load from visibility:" message={state.refreshError} />}
      </div>
    );
  }
  const label = statusLabels[run.status] ?? { text: run.status, className: 'label-default' };
  const failed = run.status === 'failed' || run.status === 'rejected' || run.status === 'timeout';
  return (
    <div className="isd-servicenow-details" data-refreshing={state.refreshing}>
      <div className="isd-status-line">
        <span className={`label ${label.className} isd-status`} data-status={run.status}>
          {label.text}
        </span>{' '}
        <button type="button" className="btn btn-xs btn-link" onClick={state.refresh} disabled={state.refreshing}>
          {state.refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {state.refreshError && (
        <ErrorNotice title="Showing Orca's last copy; visibility could not be reached:" message={state.refreshError} />
      )}
      <dl className="dl-horizontal isd-servicenow-facts">
        <dt>Change request</dt>
        <dd className="isd-servicenow-number">
          {run.ref ? (
            <a href={run.ref.url} target="_blank" rel="noopener noreferrer">
              {run.ref.id}
            </a>
          ) : (
            'not created yet'
          )}
          {text(run.observed?.['shortDescription']) && (
            <span className="isd-servicenow-summary"> {text(run.observed?.['shortDescription'])}</span>
          )}
        </dd>
        <dt>State</dt>
        <dd className="isd-servicenow-state">{text(run.observed?.['state']) ?? 'unknown'}</dd>
        <dt>Approval</dt>
        <dd className="isd-servicenow-approval">{text(run.observed?.['approval']) ?? 'unknown'}</dd>
        {!run.closedAt && (
          <>
            <dt>Gives up</dt>
            <dd className="isd-servicenow-deadline">{new Date(run.deadline).toLocaleString()}</dd>
          </>
        )}
      </dl>
      {run.message &&
        (failed ? (
          <ErrorNotice title="ServiceNow stage:" message={run.message} />
        ) : (
          <p className="isd-servicenow-message">{run.message}</p>
        ))}
    </div>
  );
}
