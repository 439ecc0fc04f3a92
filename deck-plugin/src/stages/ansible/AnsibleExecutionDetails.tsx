// Execution view of the Ansible stage: the AWX job (linked), its status and run time, the end of its
// output, and visibility's message; Orca's copy first, then visibility's fresher answer through Gate.
import React from 'react';
import { ExecutionDetailsSection } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import { useSidecarClient } from '../../api/client-context';
import type { ExternalStageRun } from '../../api/sidecar-shapes';
import { ErrorNotice } from '../../common/components';
import { webhookError } from '../../common/stage-context';
import { useGateInstance } from '../../common/useGateInstance';

/** Deck execution details section for the ISD Ansible stage. */
export function AnsibleExecutionDetails(props: IExecutionDetailsSectionProps) {
  return (
    <ExecutionDetailsSection name={props.name} current={props.current}>
      <AnsibleDetails {...props} />
    </ExecutionDetailsSection>
  );
}
AnsibleExecutionDetails.title = 'ansible';

const statusLabels: Record<string, { text: string; className: string }> = {
  creating: { text: 'Launching', className: 'label-info' },
  waiting: { text: 'Running', className: 'label-info' },
  done: { text: 'Succeeded', className: 'label-success' },
  rejected: { text: 'Rejected', className: 'label-danger' },
  failed: { text: 'Failed', className: 'label-danger' },
  timeout: { text: 'Timed out', className: 'label-warning' },
  canceled: { text: 'Canceled', className: 'label-default' },
};

function AnsibleDetails(props: IExecutionDetailsSectionProps) {
  const client = useSidecarClient();
  const state = useGateInstance<ExternalStageRun>(props.stage, (id) => client.getAwxJob(id));
  const run = state.instance;
  const orcaError = webhookError(props.stage);
  if (!run) {
    return (
      <div className="isd-ansible-details">
        {orcaError ? (
          <ErrorNotice title="The Ansible stage could not start:" message={orcaError} />
        ) : (
          <p className="isd-empty">The job has not been launched yet.</p>
        )}
        {state.refreshError && <ErrorNotice title="Could not load from visibility:" message={state.refreshError} />}
      </div>
    );
  }
  const label = statusLabels[run.status] ?? { text: run.status, className: 'label-default' };
  const jobStatus = typeof run.observed?.['status'] === 'string' ? (run.observed['status'] as string) : undefined;
  const elapsed = typeof run.observed?.['elapsed'] === 'number' ? (run.observed['elapsed'] as number) : undefined;
  const output = typeof run.observed?.['stdoutTail'] === 'string' ? (run.observed['stdoutTail'] as string) : '';
  const failed = run.status === 'failed' || run.status === 'rejected' || run.status === 'timeout';
  return (
    <div className="isd-ansible-details" data-refreshing={state.refreshing}>
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
      <dl className="dl-horizontal isd-ansible-facts">
        <dt>Job</dt>
        <dd className="isd-ansible-job">
          {run.ref ? (
            <a href={run.ref.url} target="_blank" rel="noopener noreferrer">
              {run.ref.id}
            </a>
          ) : (
            'not launched yet'
          )}
        </dd>
        <dt>Status in AWX</dt>
        <dd className="isd-ansible-status">{jobStatus ?? 'unknown'}</dd>
        {elapsed !== undefined && elapsed > 0 && (
          <>
            <dt>Ran for</dt>
            <dd className="isd-ansible-elapsed">{elapsed.toFixed(1)} s</dd>
          </>
        )}
      </dl>
      {run.message &&
        (failed ? (
          <ErrorNotice title="Ansible stage:" message={run.message} />
        ) : (
          <p className="isd-ansible-message">{run.message}</p>
        ))}
      {output !== '' && (
        <>
          <h5>End of the output</h5>
          <pre className="isd-ansible-output" tabIndex={0} style={{ maxHeight: 320, overflow: 'auto' }}>
            {output}
          </pre>
        </>
      )}
    </div>
  );
}
