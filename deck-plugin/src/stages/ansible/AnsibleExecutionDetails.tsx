// Execution view of the Ansible stage: the AWX job (linked), its status and run time, the end of its
// output, and visibility's message; Orca's copy first, then visibility's fresher answer through Gate.
import React from 'react';
import { ExecutionDetailsSection } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import type { ExternalStageRun } from '../../api/sidecar-shapes';
import { ExternalRunView, RunRef, observedText } from '../external-run';

/** Deck execution details section for the ISD Ansible stage. */
export function AnsibleExecutionDetails(props: IExecutionDetailsSectionProps) {
  return (
    <ExecutionDetailsSection name={props.name} current={props.current}>
      <ExternalRunView
        stage={props.stage}
        name="ansible"
        system="Ansible"
        notYet="The job has not been launched yet."
        labels={{ creating: 'Launching', waiting: 'Running', done: 'Succeeded' }}
        load={(client, id) => client.getAwxJob(id)}
        facts={(run) => <AnsibleFacts run={run} />}
        after={(run) => <AnsibleOutput output={observedText(run, 'stdoutTail')} />}
      />
    </ExecutionDetailsSection>
  );
}
AnsibleExecutionDetails.title = 'ansible';

function AnsibleFacts({ run }: { run: ExternalStageRun }) {
  const elapsed = typeof run.observed?.['elapsed'] === 'number' ? (run.observed['elapsed'] as number) : undefined;
  return (
    <dl className="dl-horizontal isd-ansible-facts">
      <dt>Job</dt>
      <dd className="isd-ansible-job">
        <RunRef run={run} missing="not launched yet" />
      </dd>
      <dt>Status in AWX</dt>
      <dd className="isd-ansible-status">{observedText(run, 'status') ?? 'unknown'}</dd>
      {elapsed !== undefined && elapsed > 0 && (
        <>
          <dt>Ran for</dt>
          <dd className="isd-ansible-elapsed">{elapsed.toFixed(1)} s</dd>
        </>
      )}
    </dl>
  );
}

function AnsibleOutput({ output }: { output: string | undefined }) {
  if (!output) return null;
  return (
    <>
      <h5>End of the output</h5>
      <pre className="isd-ansible-output" tabIndex={0} style={{ maxHeight: 320, overflow: 'auto' }}>
        {output}
      </pre>
    </>
  );
}
