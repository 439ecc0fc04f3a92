// Config editor of the verification gate: metric and log templates (from autopilot's lists), score
// weights, baseline and canary scopes, start time, lifetime, interval, score thresholds and judge.
import React from 'react';
import { FormikFormField, MapEditor, NumberInput, SelectInput, TextInput } from '@spinnaker/core';
import type { IFormikStageConfigInjectedProps, IStage, IStageConfigProps } from '@spinnaker/core';
import type { FormikProps } from 'formik';

import { useSidecarClient } from '../../api/client-context';
import { ErrorNotice, MinutesField, ParameterHelp, parameterOf, useLoadable } from '../../common/components';
import { FieldRow, fieldError, stringMap } from '../../common/FieldRow';
import { PipelineCheckPanel } from '../../common/PipelineCheckPanel';
import { GateStageForm } from '../../common/GateStageForm';
import { isRecord } from '../../stage-values';

/** Deck config editor for the ISD verification gate stage. */
export function VerificationStageConfig(props: IStageConfigProps) {
  return (
    <GateStageForm
      kind="verification"
      config={props}
      render={(injected: IFormikStageConfigInjectedProps) => <VerificationFields {...injected} />}
    />
  );
}

function VerificationFields(props: IFormikStageConfigInjectedProps) {
  const { formik } = props;
  const values = (formik.values.parameterValues ?? {}) as Record<string, unknown>;
  const thresholds = isRecord(values['thresholds']) ? values['thresholds'] : {};
  const setThreshold = (key: 'pass' | 'marginal', raw: string) =>
    formik.setFieldValue('parameterValues.thresholds', { ...thresholds, [key]: raw === '' ? undefined : Number(raw) });
  return (
    <div className="isd-verification-config">
      <TemplateField
        formik={formik}
        parameter="template"
        value={isRecord(values['template']) ? values['template'] : undefined}
      />
      <TemplateField
        formik={formik}
        parameter="logTemplate"
        value={isRecord(values['logTemplate']) ? values['logTemplate'] : undefined}
      />
      <WeightsField formik={formik} value={values['weights']} />
      {(['baseline', 'canary'] as const).map((scope) => (
        <FieldRow key={scope} kind="verification" name={scope} error={fieldError(formik, scope)}>
          <MapEditor
            model={stringMap(values[scope])}
            keyLabel="Label"
            valueLabel="Value"
            addButtonLabel={`Add ${scope} label`}
            onChange={(model) => formik.setFieldValue(`parameterValues.${scope}`, model)}
          />
        </FieldRow>
      ))}
      <FormikFormField
        name="parameterValues.startTime"
        label={parameterOf('verification', 'startTime').label}
        help={<ParameterHelp kind="verification" name="startTime" />}
        input={(inputProps) => (
          <TextInput {...inputProps} placeholder="2026-01-31T12:00:00Z (empty: when the gate starts)" />
        )}
      />
      <MinutesField kind="verification" name="lifetimeMs" label="Analysis lifetime" />
      <MinutesField kind="verification" name="intervalMs" label="Interval" />
      <FieldRow kind="verification" name="thresholds" error={fieldError(formik, 'thresholds')}>
        <label>
          Pass at or above{' '}
          <NumberInput
            name="thresholds.pass"
            aria-label="Pass threshold"
            min={0}
            max={100}
            value={typeof thresholds['pass'] === 'number' ? thresholds['pass'] : ''}
            onChange={(event: React.ChangeEvent<HTMLInputElement>) => setThreshold('pass', event.target.value)}
          />
        </label>{' '}
        <label>
          Marginal at or above{' '}
          <NumberInput
            name="thresholds.marginal"
            aria-label="Marginal threshold"
            min={0}
            max={100}
            value={typeof thresholds['marginal'] === 'number' ? thresholds['marginal'] : ''}
            onChange={(event: React.ChangeEvent<HTMLInputElement>) => setThreshold('marginal', event.target.value)}
          />
        </label>
      </FieldRow>
      <FormikFormField
        name="parameterValues.judge"
        label={parameterOf('verification', 'judge').label}
        help={<ParameterHelp kind="verification" name="judge" />}
        input={(inputProps) => <TextInput {...inputProps} placeholder="service default" />}
      />
      <PipelineCheckPanel pipeline={props.pipeline} />
    </div>
  );
}

/** What differs between the metric and the log template pickers. */
const templatePickers = {
  template: { noun: 'verification templates', inputLabel: 'Template name' },
  logTemplate: { noun: 'log templates', inputLabel: 'Log template name' },
} as const;

interface TemplateFieldProps {
  formik: FormikProps<IStage>;
  parameter: keyof typeof templatePickers;
  value: Record<string, unknown> | undefined;
}

function TemplateField(props: TemplateFieldProps) {
  const client = useSidecarClient();
  const { noun, inputLabel } = templatePickers[props.parameter];
  const [templates, retry] = useLoadable<Array<{ name: string; version?: number | string }>>(
    () => (props.parameter === 'template' ? client.listVerificationTemplates() : client.listLogTemplates()),
    props.parameter,
  );
  const name = typeof props.value?.['name'] === 'string' ? (props.value['name'] as string) : '';
  const version = props.value?.['version'];
  // An empty pick removes the parameter: a verification may read metrics only or logs only.
  const set = (next: Record<string, unknown> | undefined) =>
    props.formik.setFieldValue(`parameterValues.${props.parameter}`, next);
  const names = templates.state === 'loaded' ? templates.value.map((t) => t.name) : [];
  // Keep a saved template selectable even if autopilot no longer lists it, so the editor never hides it.
  const options = ['', ...names, ...(name && !names.includes(name) ? [name] : [])];
  return (
    <FieldRow kind="verification" name={props.parameter} error={fieldError(props.formik, props.parameter)}>
      {templates.state === 'loading' && <span className="isd-loading">Loading {noun} from autopilot…</span>}
      {templates.state === 'failed' && (
        <div>
          <ErrorNotice title={`Could not load ${noun}:`} message={templates.error} />
          <button type="button" className="btn btn-sm btn-default" onClick={retry}>
            Retry
          </button>
        </div>
      )}
      {templates.state === 'failed' ? (
        <TextInput
          name={`${props.parameter}.name`}
          aria-label={inputLabel}
          value={name}
          onChange={(event: React.ChangeEvent<HTMLInputElement>) =>
            set(event.target.value === '' ? undefined : { ...props.value, name: event.target.value })
          }
        />
      ) : (
        <SelectInput
          name={`${props.parameter}.name`}
          aria-label={inputLabel}
          options={options}
          value={name}
          onChange={(event: React.ChangeEvent<HTMLSelectElement>) => {
            const picked =
              templates.state === 'loaded' ? templates.value.find((t) => t.name === event.target.value) : undefined;
            if (event.target.value === '') set(undefined);
            else if (picked?.version !== undefined) set({ name: event.target.value, version: picked.version });
            else set({ name: event.target.value });
          }}
        />
      )}
      {name && version !== undefined && <span className="isd-template-version"> version {String(version)}</span>}
    </FieldRow>
  );
}

interface WeightsFieldProps {
  formik: FormikProps<IStage>;
  value: unknown;
}

/** The metric and log weights; both empty removes the parameter (autopilot's default applies). */
function WeightsField(props: WeightsFieldProps) {
  const weights = isRecord(props.value) ? props.value : {};
  const setWeight = (key: 'metric' | 'log', raw: string) => {
    const next = { ...weights, [key]: raw === '' ? undefined : Number(raw) };
    const empty = next['metric'] === undefined && next['log'] === undefined;
    props.formik.setFieldValue('parameterValues.weights', empty ? undefined : next);
  };
  const shown = (key: 'metric' | 'log') => {
    const value = weights[key];
    return typeof value === 'number' || typeof value === 'string' ? value : '';
  };
  return (
    <FieldRow kind="verification" name="weights" error={fieldError(props.formik, 'weights')}>
      <label>
        Metric weight{' '}
        <NumberInput
          name="weights.metric"
          aria-label="Metric weight"
          min={0}
          max={1000}
          placeholder="0.5"
          value={shown('metric')}
          onChange={(event: React.ChangeEvent<HTMLInputElement>) => setWeight('metric', event.target.value)}
        />
      </label>{' '}
      <label>
        Log weight{' '}
        <NumberInput
          name="weights.log"
          aria-label="Log weight"
          min={0}
          max={1000}
          placeholder="0.5"
          value={shown('log')}
          onChange={(event: React.ChangeEvent<HTMLInputElement>) => setWeight('log', event.target.value)}
        />
      </label>
    </FieldRow>
  );
}
