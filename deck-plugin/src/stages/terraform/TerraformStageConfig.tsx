// Config editor of the Terraform stage: workspace (and organization), run message, run variables, and
// the approval the plan waits for (approver groups, timeout, self-approval, instructions).
import React from 'react';
import { CheckboxInput, FormikFormField, TextAreaInput, TextInput } from '@spinnaker/core';
import type { IFormikStageConfigInjectedProps, IStage, IStageConfigProps } from '@spinnaker/core';
import type { FormikProps } from 'formik';

import { MinutesField, ParameterHelp, parameterOf } from '../../common/components';
import { FieldRow, fieldError } from '../../common/FieldRow';
import { PipelineCheckPanel } from '../../common/PipelineCheckPanel';
import { GateStageForm } from '../../common/GateStageForm';
import { isRecord } from '../../stage-values';
import { ApproverGroupsField, listOf } from '../approval/ApprovalStageConfig';
import type { ApproverGroup } from '../approval/ApprovalStageConfig';

/** Deck config editor for the ISD Terraform stage. */
export function TerraformStageConfig(props: IStageConfigProps) {
  return (
    <GateStageForm
      kind="terraform"
      config={props}
      render={(injected: IFormikStageConfigInjectedProps) => <TerraformFields {...injected} />}
    />
  );
}

function TerraformFields(props: IFormikStageConfigInjectedProps) {
  const { formik } = props;
  const values = (formik.values.parameterValues ?? {}) as Record<string, unknown>;
  const text = (name: string, placeholder?: string) => (
    <FormikFormField
      name={`parameterValues.${name}`}
      label={parameterOf('terraform', name).label}
      help={<ParameterHelp kind="terraform" name={name} />}
      input={(inputProps) => <TextInput {...inputProps} placeholder={placeholder} />}
    />
  );
  return (
    <div className="isd-terraform-config">
      {text('workspace', 'e.g. network-prod')}
      {text('organization', 'visibility’s default organization')}
      {text('message', 'Spinnaker <application> / <pipeline> by <user>')}
      <VariablesField formik={formik} value={values['variables']} />
      <ApproverGroupsField kind="terraform" formik={formik} groups={listOf<ApproverGroup>(values['approverGroups'])} />
      <MinutesField kind="terraform" name="timeoutMs" label="Approval timeout" />
      <FormikFormField
        name="parameterValues.allowSelfApproval"
        label={parameterOf('terraform', 'allowSelfApproval').label}
        help={<ParameterHelp kind="terraform" name="allowSelfApproval" />}
        input={(inputProps) => <CheckboxInput {...inputProps} text="The triggering user may approve the plan" />}
      />
      <FormikFormField
        name="parameterValues.instructions"
        label={parameterOf('terraform', 'instructions').label}
        help={<ParameterHelp kind="terraform" name="instructions" />}
        input={(inputProps) => <TextAreaInput {...inputProps} rows={3} />}
      />
      <PipelineCheckPanel pipeline={props.pipeline} />
    </div>
  );
}

type VariableType = 'string' | 'number' | 'boolean';

interface VariableRow {
  name: string;
  type: VariableType;
  /** As typed; read as the row's type when written. */
  text: string;
}

function rowsOf(value: unknown): VariableRow[] {
  if (!isRecord(value)) return [];
  return Object.entries(value).map(([name, item]) => ({
    name,
    type: typeof item === 'number' ? 'number' : typeof item === 'boolean' ? 'boolean' : 'string',
    text: typeof item === 'string' ? item : JSON.stringify(item),
  }));
}

/** The map visibility takes: rows without a name are left out; a number that does not read stays text for the validator. */
function mapOf(rows: VariableRow[]): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (const row of rows) {
    if (row.name.trim() === '') continue;
    if (row.type === 'boolean') map[row.name.trim()] = row.text === 'true';
    else if (row.type === 'number') {
      const parsed = row.text.trim() === '' ? Number.NaN : Number(row.text);
      map[row.name.trim()] = Number.isFinite(parsed) ? parsed : { invalidNumber: row.text };
    } else map[row.name.trim()] = row.text;
  }
  return map;
}

interface VariablesFieldProps {
  formik: FormikProps<IStage>;
  value: unknown;
}

/** Run variables as (name, type, value) rows; the rows are kept while editing, the map is what is saved. */
function VariablesField(props: VariablesFieldProps) {
  const { formik } = props;
  const [rows, setRows] = React.useState<VariableRow[]>(() => rowsOf(props.value));
  const error = fieldError(formik, 'variables');
  const update = (next: VariableRow[]) => {
    setRows(next);
    formik.setFieldValue('parameterValues.variables', mapOf(next));
  };
  const change = (index: number, patch: Partial<VariableRow>) =>
    update(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  return (
    <FieldRow kind="terraform" name="variables" error={error}>
      <table className="table table-condensed isd-terraform-variables">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Value</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={index}>
              <td>
                <TextInput
                  name={`variables.${index}.name`}
                  aria-label={`Variable ${index + 1} name`}
                  value={row.name}
                  onChange={(event: React.ChangeEvent<HTMLInputElement>) => change(index, { name: event.target.value })}
                />
              </td>
              <td>
                <select
                  className="form-control input-sm"
                  aria-label={`Variable ${index + 1} type`}
                  value={row.type}
                  onChange={(event) =>
                    change(index, {
                      type: event.target.value as VariableType,
                      text: event.target.value === 'boolean' ? 'false' : row.text,
                    })
                  }
                >
                  <option value="string">string</option>
                  <option value="number">number</option>
                  <option value="boolean">true/false</option>
                </select>
              </td>
              <td>
                {row.type === 'boolean' ? (
                  <input
                    type="checkbox"
                    aria-label={`Variable ${index + 1} value`}
                    checked={row.text === 'true'}
                    onChange={(event) => change(index, { text: String(event.target.checked) })}
                  />
                ) : (
                  <TextInput
                    name={`variables.${index}.value`}
                    aria-label={`Variable ${index + 1} value`}
                    value={row.text}
                    onChange={(event: React.ChangeEvent<HTMLInputElement>) =>
                      change(index, { text: event.target.value })
                    }
                  />
                )}
              </td>
              <td>
                <button
                  type="button"
                  className="btn btn-sm btn-default"
                  aria-label={`Remove variable ${index + 1}`}
                  onClick={() => update(rows.filter((_, i) => i !== index))}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        type="button"
        className="btn btn-sm btn-default"
        onClick={() => update([...rows, { name: '', type: 'string', text: '' }])}
      >
        Add variable
      </button>
    </FieldRow>
  );
}
