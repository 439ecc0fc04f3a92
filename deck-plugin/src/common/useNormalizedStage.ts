// Gives an editor its stage with typed parameter values, and writes them back once so the pipeline Deck
// saves (and Orca later sends to the sidecar) carries JSON of the right types.
import React from 'react';
import type { IStage, IStageConfigProps } from '@spinnaker/core';

import type { GateKind } from '../catalog';
import { normalizeParameterValues } from '../stage-values';

/** The stage with `parameterValues` normalised; values that cannot be read stay as they were. */
export function useNormalizedStage(kind: GateKind, props: IStageConfigProps): IStage {
  const { stage, updateStage } = props;
  const normalized = React.useMemo(() => normalizeParameterValues(kind, stage.parameterValues), [kind, stage]);
  React.useEffect(() => {
    if (normalized.changed) updateStage({ parameterValues: normalized.values });
    // Written once per stage object: after the write the values are typed and `changed` is false.
  }, [normalized]);
  return React.useMemo(
    () => (normalized.changed ? { ...stage, parameterValues: normalized.values } : stage),
    [normalized, stage],
  );
}
