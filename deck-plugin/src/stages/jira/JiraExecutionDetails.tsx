// Execution view of the JIRA stage: the issue (linked), its status in JIRA now, what the stage waits
// for, and visibility's message; Orca's copy first, then visibility's fresher answer through Gate.
import React from 'react';
import { ExecutionDetailsSection } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import type { ExternalStageRun } from '../../api/sidecar-shapes';
import { DeadlineFact, ExternalRunView, RunRef, observedText } from '../external-run';

/** Deck execution details section for the ISD JIRA stage. */
export function JiraExecutionDetails(props: IExecutionDetailsSectionProps) {
  return (
    <ExecutionDetailsSection name={props.name} current={props.current}>
      <ExternalRunView
        stage={props.stage}
        name="jira"
        system="JIRA"
        notYet="The JIRA issue has not been created yet."
        labels={{ creating: 'Creating the issue', waiting: 'Waiting for JIRA', done: 'Done' }}
        load={(client, id) => client.getJiraIssue(id)}
        facts={(run) => <JiraFacts run={run} />}
      />
    </ExecutionDetailsSection>
  );
}
JiraExecutionDetails.title = 'jira';

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function JiraFacts({ run }: { run: ExternalStageRun }) {
  const summary = observedText(run, 'summary');
  const waitFor = names(run.request['waitForStatuses']);
  const rejecting = names(run.request['rejectStatuses']);
  return (
    <dl className="dl-horizontal isd-jira-facts">
      <dt>Issue</dt>
      <dd className="isd-jira-issue">
        <RunRef run={run} missing="not created yet" />
        {summary && <span className="isd-jira-summary"> {summary}</span>}
      </dd>
      <dt>Status in JIRA</dt>
      <dd className="isd-jira-status">{observedText(run, 'status') ?? 'unknown'}</dd>
      <dt>Waits for</dt>
      <dd className="isd-jira-wait">{waitFor.length ? waitFor.join(', ') : 'nothing: done once created'}</dd>
      {rejecting.length > 0 && (
        <>
          <dt>Fails on</dt>
          <dd className="isd-jira-reject">{rejecting.join(', ')}</dd>
        </>
      )}
      <DeadlineFact run={run} className="isd-jira-deadline" />
    </dl>
  );
}
