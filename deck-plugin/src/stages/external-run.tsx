// What the execution views of the stages visibility performs on an external system (JIRA, ServiceNow,
// AWX) share: Orca's copy of the run first, then visibility's fresher answer through Gate; the status
// line with Refresh; the empty and error states; the run's message. Each view adds its own facts.
import React from 'react';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import { useSidecarClient } from '../api/client-context';
import type { SidecarClient } from '../api/sidecar-client';
import type { ExternalStageRun } from '../api/sidecar-shapes';
import { ErrorNotice } from '../common/components';
import { webhookError } from '../common/stage-context';
import { useGateInstance } from '../common/useGateInstance';

export interface ExternalRunViewProps {
  stage: IExecutionDetailsSectionProps['stage'];
  /** Class-name stem: `isd-{name}-details`, `isd-{name}-message`. */
  name: string;
  /** The stage's name in messages: "JIRA", "ServiceNow", "Ansible". */
  system: string;
  /** Shown before visibility has made anything. */
  notYet: string;
  /** Words for the statuses whose meaning depends on the system. */
  labels: { creating: string; waiting: string; done: string };
  load: (client: SidecarClient, id: string) => Promise<ExternalStageRun>;
  /** The run's facts (a `<dl>`), shown above its message. */
  facts: (run: ExternalStageRun) => React.ReactNode;
  /** Anything shown below the message (AWX's output). */
  after?: (run: ExternalStageRun) => React.ReactNode;
}

const sharedLabels: Record<string, { text: string; className: string }> = {
  rejected: { text: 'Rejected', className: 'label-danger' },
  failed: { text: 'Failed', className: 'label-danger' },
  timeout: { text: 'Timed out', className: 'label-warning' },
  canceled: { text: 'Canceled', className: 'label-default' },
};

function statusLabel(status: string, labels: ExternalRunViewProps['labels']): { text: string; className: string } {
  if (status === 'creating' || status === 'waiting') return { text: labels[status], className: 'label-info' };
  if (status === 'done') return { text: labels.done, className: 'label-success' };
  return sharedLabels[status] ?? { text: status, className: 'label-default' };
}

export function ExternalRunView(props: ExternalRunViewProps) {
  const client = useSidecarClient();
  const state = useGateInstance<ExternalStageRun>(props.stage, (id) => props.load(client, id));
  const run = state.instance;
  const orcaError = webhookError(props.stage);
  if (!run) {
    return (
      <div className={`isd-${props.name}-details`}>
        {orcaError ? (
          <ErrorNotice title={`The ${props.system} stage could not start:`} message={orcaError} />
        ) : (
          <p className="isd-empty">{props.notYet}</p>
        )}
        {state.refreshError && <ErrorNotice title="Could not load from visibility:" message={state.refreshError} />}
      </div>
    );
  }
  const label = statusLabel(run.status, props.labels);
  const failed = run.status === 'failed' || run.status === 'rejected' || run.status === 'timeout';
  return (
    <div className={`isd-${props.name}-details`} data-refreshing={state.refreshing}>
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
      {props.facts(run)}
      {run.message &&
        (failed ? (
          <ErrorNotice title={`${props.system} stage:`} message={run.message} />
        ) : (
          <p className={`isd-${props.name}-message`}>{run.message}</p>
        ))}
      {props.after?.(run)}
    </div>
  );
}

/** What the run made, linked to the system; `missing` until it exists. */
export function RunRef({ run, missing }: { run: ExternalStageRun; missing: string }) {
  return run.ref ? (
    <a href={run.ref.url} target="_blank" rel="noopener noreferrer">
      {run.ref.id}
    </a>
  ) : (
    <>{missing}</>
  );
}

/** "Gives up" with the run's deadline while it is open. */
export function DeadlineFact({ run, className }: { run: ExternalStageRun; className: string }) {
  if (run.closedAt) return null;
  return (
    <>
      <dt>Gives up</dt>
      <dd className={className}>{new Date(run.deadline).toLocaleString()}</dd>
    </>
  );
}

/** A string the system reported, or undefined. */
export function observedText(run: ExternalStageRun, key: string): string | undefined {
  const value = run.observed?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
