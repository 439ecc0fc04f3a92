// The form every ISD stage editor is: Deck's Formik stage config over the stage read as the catalog's
// types (legacy strings included), validated by the stage's own rules on every change.
import React from 'react';
import { FormikStageConfig } from '@spinnaker/core';
import type { IFormikStageConfigInjectedProps, IStage, IStageConfigProps } from '@spinnaker/core';

import type { GateKind } from '../catalog';
import { validateGateStage } from '../validation';
import { useNormalizedStage } from './useNormalizedStage';

export function GateStageForm(props: {
  kind: GateKind;
  config: IStageConfigProps;
  render: (injected: IFormikStageConfigInjectedProps) => React.ReactNode;
}) {
  const { kind, config } = props;
  const stage = useNormalizedStage(kind, config);
  return (
    <FormikStageConfig
      application={config.application}
      pipeline={config.pipeline}
      stage={stage}
      onChange={config.updateStage}
      validate={(values) => validateGateStage(kind, values as IStage)}
      render={props.render}
    />
  );
}
