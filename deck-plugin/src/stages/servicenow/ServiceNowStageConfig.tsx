// Config editor of the ServiceNow stage: what the change request says, its change model, who it is
// assigned to, and how long to wait for its approval. Credentials are visibility's.
import React from 'react';
import { FormikFormField, SelectInput, TextAreaInput, TextInput } from '@spinnaker/core';
import type { IFormikStageConfigInjectedProps, IStageConfigProps } from '@spinnaker/core';

import { MinutesField, ParameterHelp, parameterOf } from '../../common/components';
import { GateStageForm } from '../../common/GateStageForm';
import { serviceNowChangeTypes } from '../../validation';

/** Deck config editor for the ISD ServiceNow stage. */
export function ServiceNowStageConfig(props: IStageConfigProps) {
  return (
    <GateStageForm
      kind="servicenow"
      config={props}
      render={(_injected: IFormikStageConfigInjectedProps) => <ServiceNowFields />}
    />
  );
}

function ServiceNowFields() {
  const text = (name: string, placeholder: string) => (
    <FormikFormField
      name={`parameterValues.${name}`}
      label={parameterOf('servicenow', name).label}
      help={<ParameterHelp kind="servicenow" name={name} />}
      input={(inputProps) => <TextInput {...inputProps} placeholder={placeholder} />}
    />
  );
  return (
    <div className="isd-servicenow-config">
      {text('shortDescription', 'Deploy ${trigger.buildInfo.name} to production')}
      <FormikFormField
        name="parameterValues.description"
        label={parameterOf('servicenow', 'description').label}
        help={<ParameterHelp kind="servicenow" name="description" />}
        input={(inputProps) => <TextAreaInput {...inputProps} rows={5} />}
      />
      <FormikFormField
        name="parameterValues.changeType"
        label={parameterOf('servicenow', 'changeType').label}
        help={<ParameterHelp kind="servicenow" name="changeType" />}
        input={(inputProps) => (
          <SelectInput
            {...inputProps}
            options={serviceNowChangeTypes.map((type) => ({
              label: type[0]?.toUpperCase() + type.slice(1),
              value: type,
            }))}
          />
        )}
      />
      {text('assignmentGroup', 'CAB Approval')}
      {text('category', 'Software')}
      <MinutesField kind="servicenow" name="timeoutMs" label="Wait timeout" />
    </div>
  );
}
