// Lets an author run the save-time policy check from the editor and see sapor's deny messages.
import React from 'react';
import type { IPipeline } from '@spinnaker/core';

import { useSidecarClient } from '../api/client-context';
import { PipelineChecker } from '../policy-check';
import type { PipelineCheckOutcome } from '../policy-check';
import { ErrorNotice } from './components';

/** Props of PipelineCheckPanel. */
export interface PipelineCheckPanelProps {
  pipeline: IPipeline;
}

/** A "check against policies" button and its result; the same check runs again when Deck saves. */
export function PipelineCheckPanel(props: PipelineCheckPanelProps) {
  const client = useSidecarClient();
  const checker = React.useMemo(() => new PipelineChecker(() => client), [client]);
  const [outcome, setOutcome] = React.useState<PipelineCheckOutcome | 'running' | undefined>();

  const run = () => {
    setOutcome('running');
    void checker.check(props.pipeline).then(setOutcome);
  };

  return (
    <div className="isd-pipeline-check">
      <button type="button" className="btn btn-sm btn-default" onClick={run} disabled={outcome === 'running'}>
        Check pipeline against policies
      </button>
      {outcome === 'running' && <span className="isd-check-running"> checking…</span>}
      {outcome !== undefined && outcome !== 'running' && !outcome.ok && (
        <ErrorNotice title="Policy check failed:" message={outcome.error} />
      )}
      {outcome !== undefined && outcome !== 'running' && outcome.ok && outcome.result.deny.length === 0 && (
        <div className="alert alert-success isd-check-allowed">Policies allow saving this pipeline.</div>
      )}
      {outcome !== undefined && outcome !== 'running' && outcome.ok && outcome.result.deny.length > 0 && (
        <div className="alert alert-danger isd-check-denied">
          <strong>Policies deny saving this pipeline:</strong>
          <ul>
            {outcome.result.deny.map((message, index) => (
              <li key={index}>{message}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
