// Config editor of the Ansible stage: the AWX / Tower job template, its extra variables as JSON, the
// host limit, and how long to wait for the job. Credentials are visibility's.
import React from 'react';
import { FormikFormField, TextAreaInput, TextInput } from '@spinnaker/core';
import type { IFormikStageConfigInjectedProps, IStage, IStageConfigProps } from '@spinnaker/core';
import type { FormikProps } from 'formik';

import { MinutesField, ParameterHelp, parameterOf } from '../../common/components';
import { FieldRow, fieldError } from '../../common/FieldRow';
import { GateStageForm } from '../../common/GateStageForm';

/** Deck config editor for the ISD Ansible stage. */
export function AnsibleStageConfig(props: IStageConfigProps) {
  return (
    <GateStageForm
      kind="awx"
      config={props}
      render={(injected: IFormikStageConfigInjectedProps) => <AnsibleFields formik={injected.formik} />}
    />
  );
}

function AnsibleFields(props: { formik: FormikProps<IStage> }) {
  const text = (name: string, placeholder: string) => (
    <FormikFormField
      name={`parameterValues.${name}`}
      label={parameterOf('awx', name).label}
      help={<ParameterHelp kind="awx" name={name} />}
      input={(inputProps) => <TextInput {...inputProps} placeholder={placeholder} />}
    />
  );
  return (
    <div className="isd-ansible-config">
      {text('jobTemplate', 'deploy-web')}
      <ExtraVarsField formik={props.formik} />
      {text('limit', 'web*:&prod')}
      <MinutesField kind="awx" name="timeoutMs" label="Wait timeout" />
    </div>
  );
}

/** Extra variables as a JSON object; invalid JSON stays in the box and the stage keeps its last valid value. */
function ExtraVarsField(props: { formik: FormikProps<IStage> }) {
  const stored = (props.formik.values.parameterValues as Record<string, unknown> | undefined)?.['extraVars'];
  const [text, setText] = React.useState(() =>
    typeof stored === 'string'
      ? stored
      : stored === undefined || stored === null
        ? ''
        : JSON.stringify(stored, null, 2),
  );
  const [parseError, setParseError] = React.useState<string | undefined>();
  const onChange = (next: string) => {
    setText(next);
    if (next.trim() === '') {
      setParseError(undefined);
      props.formik.setFieldValue('parameterValues.extraVars', undefined);
      return;
    }
    try {
      const parsed: unknown = JSON.parse(next);
      setParseError(undefined);
      props.formik.setFieldValue('parameterValues.extraVars', parsed);
    } catch (error) {
      setParseError(`Extra variables: not valid JSON (${error instanceof Error ? error.message : String(error)}).`);
    }
  };
  return (
    <FieldRow kind="awx" name="extraVars" error={parseError ?? fieldError(props.formik, 'extraVars')}>
      <TextAreaInput
        name="extraVars"
        aria-label="Extra variables (JSON)"
        rows={5}
        placeholder='{"version": "${trigger.buildInfo.number}"}'
        value={text}
        onChange={(event: React.ChangeEvent<HTMLTextAreaElement>) => onChange(event.target.value)}
      />
    </FieldRow>
  );
}
