// Config editor of the JIRA stage: where the issue goes (project, type), what it says (summary,
// description, labels), an optional transition, the statuses that pass or fail the stage, and how long
// to wait. Credentials are visibility's; nothing here reaches JIRA except through it.
import React from 'react';
import { FormikFormField, TextAreaInput, TextInput } from '@spinnaker/core';
import type { IFormikStageConfigInjectedProps, IStage, IStageConfigProps } from '@spinnaker/core';
import type { FormikProps } from 'formik';

import { MinutesField, ParameterHelp, parameterOf } from '../../common/components';
import { FieldRow, fieldError } from '../../common/FieldRow';
import { GateStageForm } from '../../common/GateStageForm';
import { splitNames } from '../../stage-values';

/** Deck config editor for the ISD JIRA stage. */
export function JiraStageConfig(props: IStageConfigProps) {
  return (
    <GateStageForm
      kind="jira"
      config={props}
      render={(injected: IFormikStageConfigInjectedProps) => <JiraFields formik={injected.formik} />}
    />
  );
}

function JiraFields(props: { formik: FormikProps<IStage> }) {
  const text = (name: string, placeholder: string) => (
    <FormikFormField
      name={`parameterValues.${name}`}
      label={parameterOf('jira', name).label}
      help={<ParameterHelp kind="jira" name={name} />}
      input={(inputProps) => <TextInput {...inputProps} placeholder={placeholder} />}
    />
  );
  return (
    <div className="isd-jira-config">
      {text('project', 'OPS')}
      {text('issueType', 'Task')}
      {text('summary', 'Deploy ${trigger.buildInfo.name} to production')}
      <FormikFormField
        name="parameterValues.description"
        label={parameterOf('jira', 'description').label}
        help={<ParameterHelp kind="jira" name="description" />}
        input={(inputProps) => <TextAreaInput {...inputProps} rows={5} />}
      />
      <NameListField formik={props.formik} name="labels" placeholder="release, shop" />
      {text('transition', 'Submit for Review')}
      <NameListField formik={props.formik} name="waitForStatuses" placeholder="Done, Approved" />
      <NameListField formik={props.formik} name="rejectStatuses" placeholder="Rejected, Won't Do" />
      <MinutesField kind="jira" name="timeoutMs" label="Wait timeout" />
    </div>
  );
}

/** A list of names typed comma-separated; the stage stores the list. */
function NameListField(props: { formik: FormikProps<IStage>; name: string; placeholder: string }) {
  const stored = (props.formik.values.parameterValues as Record<string, unknown> | undefined)?.[props.name];
  const asText = (value: unknown) =>
    Array.isArray(value) ? value.map(String).join(', ') : typeof value === 'string' ? value : '';
  // The text is kept as typed (a trailing comma included) while it still says the stored list.
  const [text, setText] = React.useState(() => asText(stored));
  React.useEffect(() => {
    if (asText(splitNames(text)) !== asText(stored)) setText(asText(stored));
  }, [stored]);
  const label = parameterOf('jira', props.name).label;
  return (
    <FieldRow kind="jira" name={props.name} error={fieldError(props.formik, props.name)}>
      <TextInput
        name={props.name}
        aria-label={label}
        placeholder={props.placeholder}
        value={text}
        onChange={(event: React.ChangeEvent<HTMLInputElement>) => {
          setText(event.target.value);
          props.formik.setFieldValue(`parameterValues.${props.name}`, splitNames(event.target.value));
        }}
      />
      <div className="small text-muted">Separate names with commas.</div>
    </FieldRow>
  );
}
