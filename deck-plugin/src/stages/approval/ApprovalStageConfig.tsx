// Config editor of the approval gate: approver groups (N required each), timeout, instructions,
// evidence connectors with their parameters, and an optional automatic decision policy.
import React from 'react';
import {
  CheckboxInput,
  FormikFormField,
  MapEditor,
  NumberInput,
  SelectInput,
  TextAreaInput,
  TextInput,
} from '@spinnaker/core';
import type { IFormikStageConfigInjectedProps, IStage, IStageConfigProps } from '@spinnaker/core';
import type { FormikProps } from 'formik';

import { MinutesField, ParameterHelp, parameterOf } from '../../common/components';
import { FieldRow, fieldError, stringMap } from '../../common/FieldRow';
import { PipelineCheckPanel } from '../../common/PipelineCheckPanel';
import { GateStageForm } from '../../common/GateStageForm';
import { isRecord } from '../../stage-values';
import { evidenceConnectors } from '../../catalog';
import type { GateKind } from '../../catalog';
import { autoDecisionModes } from '../../validation';

export interface ApproverGroup {
  name: string;
  required: number;
}

type EvidenceItem = { connector: string } & Record<string, unknown>;

/** Deck config editor for the ISD approval gate stage. */
export function ApprovalStageConfig(props: IStageConfigProps) {
  return (
    <GateStageForm
      kind="approval"
      config={props}
      render={(injected: IFormikStageConfigInjectedProps) => <ApprovalFields {...injected} />}
    />
  );
}

function ApprovalFields(props: IFormikStageConfigInjectedProps) {
  const { formik } = props;
  const values = (formik.values.parameterValues ?? {}) as Record<string, unknown>;
  return (
    <div className="isd-approval-config">
      <ApproverGroupsField formik={formik} groups={listOf<ApproverGroup>(values['approverGroups'])} />
      <MinutesField kind="approval" name="timeoutMs" label="Approval timeout" />
      <FormikFormField
        name="parameterValues.allowSelfApproval"
        label={parameterOf('approval', 'allowSelfApproval').label}
        help={<ParameterHelp kind="approval" name="allowSelfApproval" />}
        input={(inputProps) => <CheckboxInput {...inputProps} text="The triggering user may approve" />}
      />
      <FormikFormField
        name="parameterValues.instructions"
        label={parameterOf('approval', 'instructions').label}
        help={<ParameterHelp kind="approval" name="instructions" />}
        input={(inputProps) => <TextAreaInput {...inputProps} rows={4} />}
      />
      <EvidenceField formik={formik} items={listOf<EvidenceItem>(values['evidence'])} />
      <AutoDecisionField
        formik={formik}
        value={isRecord(values['autoDecision']) ? values['autoDecision'] : undefined}
      />
      <PipelineCheckPanel pipeline={props.pipeline} />
    </div>
  );
}

interface GroupsFieldProps {
  formik: FormikProps<IStage>;
  groups: ApproverGroup[];
  /** The stage whose catalog labels the field (the Terraform stage's plan approval uses it too). */
  kind?: GateKind;
}

/** Approver groups as rows of (group, approvals required). */
export function ApproverGroupsField(props: GroupsFieldProps) {
  const { formik, groups } = props;
  const update = (next: ApproverGroup[]) => formik.setFieldValue('parameterValues.approverGroups', next);
  const error = fieldError(formik, 'approverGroups');
  return (
    <FieldRow kind={props.kind ?? 'approval'} name="approverGroups" error={error}>
      <table className="table table-condensed isd-approver-groups">
        <thead>
          <tr>
            <th>Group (role)</th>
            <th>Approvals required</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {groups.map((group, index) => (
            <tr key={index}>
              <td>
                <TextInput
                  name={`approverGroups.${index}.name`}
                  aria-label={`Approver group ${index + 1} name`}
                  value={group.name ?? ''}
                  onChange={(event: React.ChangeEvent<HTMLInputElement>) =>
                    update(groups.map((g, i) => (i === index ? { ...g, name: event.target.value } : g)))
                  }
                />
              </td>
              <td>
                <NumberInput
                  name={`approverGroups.${index}.required`}
                  aria-label={`Approver group ${index + 1} approvals required`}
                  min={1}
                  value={group.required ?? ''}
                  onChange={(event: React.ChangeEvent<HTMLInputElement>) =>
                    update(groups.map((g, i) => (i === index ? { ...g, required: toNumber(event.target.value) } : g)))
                  }
                />
              </td>
              <td>
                <button
                  type="button"
                  className="btn btn-sm btn-default"
                  aria-label={`Remove approver group ${index + 1}`}
                  onClick={() => update(groups.filter((_, i) => i !== index))}
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
        onClick={() => update([...groups, { name: '', required: 1 }])}
      >
        Add approver group
      </button>
    </FieldRow>
  );
}

interface EvidenceFieldProps {
  formik: FormikProps<IStage>;
  items: EvidenceItem[];
}

function EvidenceField(props: EvidenceFieldProps) {
  const { formik, items } = props;
  const update = (next: EvidenceItem[]) => formik.setFieldValue('parameterValues.evidence', next);
  return (
    <FieldRow kind="approval" name="evidence" error={fieldError(formik, 'evidence')}>
      {items.map((item, index) => {
        const { connector, ...parameters } = item;
        return (
          <div key={index} className="isd-evidence-row well well-sm">
            <SelectInput
              name={`evidence.${index}.connector`}
              aria-label={`Evidence ${index + 1} connector`}
              options={['', ...evidenceConnectors]}
              value={connector ?? ''}
              onChange={(event: React.ChangeEvent<HTMLSelectElement>) =>
                update(items.map((it, i) => (i === index ? { ...it, connector: event.target.value } : it)))
              }
            />
            <MapEditor
              label="Connector parameters"
              model={stringMap(parameters)}
              allowEmpty={true}
              onChange={(model) =>
                update(
                  items.map((it, i) =>
                    i === index ? { connector: it.connector, ...(model as Record<string, string>) } : it,
                  ),
                )
              }
            />
            <button
              type="button"
              className="btn btn-sm btn-default"
              aria-label={`Remove evidence ${index + 1}`}
              onClick={() => update(items.filter((_, i) => i !== index))}
            >
              Remove
            </button>
          </div>
        );
      })}
      <button type="button" className="btn btn-sm btn-default" onClick={() => update([...items, { connector: '' }])}>
        Add evidence
      </button>
    </FieldRow>
  );
}

interface AutoDecisionFieldProps {
  formik: FormikProps<IStage>;
  value: Record<string, unknown> | undefined;
}

function AutoDecisionField(props: AutoDecisionFieldProps) {
  const { formik, value } = props;
  const enabled = value !== undefined && value !== null;
  return (
    <FieldRow kind="approval" name="autoDecision" error={fieldError(formik, 'autoDecision')}>
      <label className="checkbox-inline">
        <input
          type="checkbox"
          checked={enabled}
          aria-label="Use an automatic decision policy"
          onChange={(event) =>
            formik.setFieldValue(
              'parameterValues.autoDecision',
              event.target.checked ? { policyPath: '', mode: 'recommend' } : undefined,
            )
          }
        />{' '}
        Use an automatic decision policy
      </label>
      {enabled && (
        <div className="isd-auto-decision">
          <TextInput
            name="autoDecision.policyPath"
            aria-label="Automatic decision policy path"
            placeholder="isd/approval/auto"
            value={(value['policyPath'] as string) ?? ''}
            onChange={(event: React.ChangeEvent<HTMLInputElement>) =>
              formik.setFieldValue('parameterValues.autoDecision', { ...value, policyPath: event.target.value })
            }
          />
          <SelectInput
            name="autoDecision.mode"
            aria-label="Automatic decision mode"
            options={[...autoDecisionModes]}
            value={(value['mode'] as string) ?? 'recommend'}
            onChange={(event: React.ChangeEvent<HTMLSelectElement>) =>
              formik.setFieldValue('parameterValues.autoDecision', { ...value, mode: event.target.value })
            }
          />
        </div>
      )}
    </FieldRow>
  );
}

/** The rows of a list parameter; anything else (shown as a field error) edits as an empty list. */
export function listOf<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value.filter(isRecord) as T[]) : [];
}

function toNumber(raw: string): number {
  return raw === '' ? Number.NaN : Number(raw);
}
