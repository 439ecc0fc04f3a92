// Execution view of the JIRA stage: the issue (linked), its status in JIRA now, what the stage waits
// for, and visibility's message; Orca's copy first, then visibility's fresher answer through Gate.
import React from 'react';
import { ExecutionDetailsSection } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import { useSidecarClient } from '../../api/client-context';
import type { ExternalStageRun } from '../../api/sidecar-shapes';
import { ErrorNotice } from '../../common/components';
import { webhookError } from '../../common/stage-context';
import { useGateInstance } from '../../common/useGateInstance';

/** Deck execution details section for the ISD JIRA stage. */
export function JiraExecutionDetails(props: IExecutionDetailsSectionProps) {
  return (
    <ExecutionDetailsSection name={props.name} current={props.current}>
      <JiraDetails {...props} />
    </ExecutionDetailsSection>
  );
}
JiraExecutionDetails.title = 'jira';

const statusLabels: Record<string, { text: string; className: string }> = {
  creating: { text: 'Creating the issue', className: 'label-info' },
  waiting: { text: 'Waiting for JIRA', className: 'label-info' },
  done: { text: 'Done', className: 'label-success' },
  rejected: { text: 'Rejected', className: 'label-danger' },
  failed: { text: 'Failed', className: 'label-danger' },
  timeout: { text: 'Timed out', className: 'label-warning' },
  canceled: { text: 'Canceled', className: 'label-default' },
};

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function JiraDetails(props: IExecutionDetailsSectionProps) {
  const client = useSidecarClient();
  const state = useGateInstance<ExternalStageRun>(props.stage, (id) => client.getJiraIssue(id));
  const run = state.instance;
  const orcaError = webhookError(props.stage);
  if (!run) {
    return (
      <div className="isd-jira-details">
        {orcaError ? (
          <ErrorNotice title="The JIRA stage could not start:" message={orcaError} />
        ) : (
          <p className="isd-empty">The JIRA issue has not been created yet.</p>
        )}
        {state.refreshError && <ErrorNotice title="Could not load from visibility:" message={state.refreshError} />}
      </div>
    );
  }
  const label = statusLabels[run.status] ?? { text: run.status, className: 'label-default' };
  const jiraStatus = typeof run.observed?.['status'] === 'string' ? (run.observed['status'] as string) : undefined;
  const summary = typeof run.observed?.['summary'] === 'string' ? (run.observed['summary'] as string) : undefined;
  const waitFor = names(run.request['waitForStatuses']);
  const rejecting = names(run.request['rejectStatuses']);
  const failed = run.status === 'failed' || run.status === 'rejected' || run.status === 'timeout';
  return (
    <div className="isd-jira-details" data-refreshing={state.refreshing}>
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
      <dl className="dl-horizontal isd-jira-facts">
        <dt>Issue</dt>
        <dd className="isd-jira-issue">
          {run.ref ? (
            <a href={run.ref.url} target="_blank" rel="noopener noreferrer">
              {run.ref.id}
            </a>
          ) : (
            'not created yet'
          )}
          {summary && <span className="isd-jira-summary"> {summary}</span>}
        </dd>
        <dt>Status in JIRA</dt>
        <dd className="isd-jira-status">{jiraStatus ?? 'unknown'}</dd>
        <dt>Waits for</dt>
        <dd className="isd-jira-wait">{waitFor.length ? waitFor.join(', ') : 'nothing: done once created'}</dd>
        {rejecting.length > 0 && (
          <>
            <dt>Fails on</dt>
            <dd className="isd-jira-reject">{rejecting.join(', ')}</dd>
          </>
        )}
        {!run.closedAt && (
          <>
            <dt>Gives up</dt>
            <dd className="isd-jira-deadline">{new Date(run.deadline).toLocaleString()}</dd>
          </>
        )}
      </dl>
      {run.message &&
        (failed ? (
          <ErrorNotice title="JIRA stage:" message={run.message} />
        ) : (
          <p className="isd-jira-message">{run.message}</p>
        ))}
    </div>
  );
}
