// Execution view of the ServiceNow stage: the change request (linked), its state and approval, and
// visibility's message; Orca's copy first, then visibility's fresher answer through Gate.
import React from 'react';
import { ExecutionDetailsSection } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import type { ExternalStageRun } from '../../api/sidecar-shapes';
import { DeadlineFact, ExternalRunView, RunRef, observedText } from '../external-run';

/** Deck execution details section for the ISD ServiceNow stage. */
export function ServiceNowExecutionDetails(props: IExecutionDetailsSectionProps) {
  return (
    <ExecutionDetailsSection name={props.name} current={props.current}>
      <ExternalRunView
        stage={props.stage}
        name="servicenow"
        system="ServiceNow"
        notYet="The change request has not been created yet."
        labels={{ creating: 'Creating the change request', waiting: 'Waiting for approval', done: 'Approved' }}
        load={(client, id) => client.getServiceNowChange(id)}
        facts={(run) => <ServiceNowFacts run={run} />}
      />
    </ExecutionDetailsSection>
  );
}
// Deck humanises the key into the tab title: "change" reads "Change".
ServiceNowExecutionDetails.title = 'change';

function ServiceNowFacts({ run }: { run: ExternalStageRun }) {
  const summary = observedText(run, 'shortDescription');
  return (
    <dl className="dl-horizontal isd-servicenow-facts">
      <dt>Change request</dt>
      <dd className="isd-servicenow-number">
        <RunRef run={run} missing="not created yet" />
        {summary && <span className="isd-servicenow-summary"> {summary}</span>}
      </dd>
      <dt>State</dt>
      <dd className="isd-servicenow-state">{observedText(run, 'state') ?? 'unknown'}</dd>
      <dt>Approval</dt>
      <dd className="isd-servicenow-approval">{observedText(run, 'approval') ?? 'unknown'}</dd>
      <DeadlineFact run={run} className="isd-servicenow-deadline" />
    </dl>
  );
}
