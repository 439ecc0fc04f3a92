// Config editor of the test verification gate: the baseline and canary runs (a Jenkins build's test
// report or an archived file of it, a JUnit/xUnit file URL, or pasted XML), score thresholds and the
// slower-test rule. A run the editor cannot read (hand-edited JSON) is shown as it is, with its error.
import React from 'react';
import { NumberInput, SelectInput, TextAreaInput, TextInput } from '@spinnaker/core';
import type { IFormikStageConfigInjectedProps, IStage, IStageConfigProps } from '@spinnaker/core';
import type { FormikProps } from 'formik';

import { FieldRow, fieldError } from '../../common/FieldRow';
import { PipelineCheckPanel } from '../../common/PipelineCheckPanel';
import { GateStageForm } from '../../common/GateStageForm';
import { isRecord } from '../../stage-values';
import { testRunKind } from '../../validation';

type RunKind = 'jenkins' | 'url' | 'xml';

const runKinds: Array<{ value: RunKind; label: string }> = [
  { value: 'jenkins', label: 'Jenkins build' },
  { value: 'url', label: 'File URL' },
  { value: 'xml', label: 'Pasted XML' },
];

/** Deck config editor for the ISD test verification gate stage. */
export function TestVerificationStageConfig(props: IStageConfigProps) {
  return (
    <GateStageForm
      kind="testVerification"
      config={props}
      render={(injected: IFormikStageConfigInjectedProps) => <TestVerificationFields {...injected} />}
    />
  );
}

function TestVerificationFields(props: IFormikStageConfigInjectedProps) {
  const { formik } = props;
  const values = (formik.values.parameterValues ?? {}) as Record<string, unknown>;
  return (
    <div className="isd-test-verification-config">
      <RunsField formik={formik} side="baseline" value={values['baseline']} />
      <RunsField formik={formik} side="canary" value={values['canary']} />
      <ThresholdsField formik={formik} value={values['thresholds']} />
      <DurationsField formik={formik} value={values['durations']} />
      <PipelineCheckPanel pipeline={props.pipeline} />
    </div>
  );
}

interface RunsFieldProps {
  formik: FormikProps<IStage>;
  side: 'baseline' | 'canary';
  value: unknown;
}

/** The runs of one side, one row each; a value that is not a list is shown as text to fix or replace. */
function RunsField(props: RunsFieldProps) {
  const { formik, side } = props;
  const path = `parameterValues.${side}`;
  const error = fieldError(formik, side);
  if (props.value !== undefined && props.value !== null && !Array.isArray(props.value)) {
    return (
      <FieldRow kind="testVerification" name={side} error={error}>
        <code className="isd-raw-value">{JSON.stringify(props.value)}</code>{' '}
        <button type="button" className="btn btn-sm btn-default" onClick={() => formik.setFieldValue(path, [])}>
          Replace with an empty list
        </button>
      </FieldRow>
    );
  }
  const runs: unknown[] = Array.isArray(props.value) ? props.value : [];
  const setRuns = (next: unknown[]) => formik.setFieldValue(path, next);
  const setRun = (index: number, next: unknown) => setRuns(runs.map((run, i) => (i === index ? next : run)));
  const sideName = side === 'baseline' ? 'Baseline' : 'Canary';
  return (
    <FieldRow kind="testVerification" name={side} error={error}>
      {runs.length === 0 && <p className="isd-empty">No runs yet.</p>}
      <ol className="isd-test-runs" data-side={side}>
        {runs.map((run, index) => (
          <li key={index} className="isd-test-run">
            <RunRow
              run={run}
              name={`${sideName} run ${index + 1}`}
              onChange={(next) => setRun(index, next)}
              onRemove={() => setRuns(runs.filter((_, i) => i !== index))}
            />
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="btn btn-sm btn-default"
        onClick={() => setRuns([...runs, { job: '', build: '' }])}
      >
        Add {side} run
      </button>
    </FieldRow>
  );
}

interface RunRowProps {
  run: unknown;
  /** e.g. "Canary run 2": prefixes every input's accessible name. */
  name: string;
  onChange: (run: Record<string, unknown>) => void;
  onRemove: () => void;
}

function RunRow(props: RunRowProps) {
  const { run, name } = props;
  const remove = (
    <button type="button" className="btn btn-sm btn-link" aria-label={`Remove ${name}`} onClick={props.onRemove}>
      Remove
    </button>
  );
  if (!isRecord(run)) {
    return (
      <span className="isd-unreadable-run">
        <code>{JSON.stringify(run)}</code> {remove}
      </span>
    );
  }
  // A run naming several kinds (hand-edited) shows as the first; the validator names the problem.
  const kind: RunKind = testRunKind(run) ?? ('url' in run ? 'url' : 'xml' in run ? 'xml' : 'jenkins');
  const text = (key: string) => {
    const value = run[key];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  };
  const set = (key: string, value: string) => {
    const next: Record<string, unknown> = { ...run };
    if (value === '' && key !== 'job' && key !== 'url' && key !== 'xml') delete next[key];
    // A build number is sent as a number; a permalink as text.
    else next[key] = key === 'build' && /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : value;
    props.onChange(next);
  };
  const switchKind = (next: RunKind) => {
    const label = run['label'];
    const base = typeof label === 'string' && label !== '' ? { label } : {};
    props.onChange(
      next === 'jenkins'
        ? { ...base, job: '', build: '' }
        : next === 'url'
          ? { ...base, url: '' }
          : { ...base, xml: '' },
    );
  };
  // A visible caption per input: once filled, the placeholder no longer says what the value is.
  const input = (key: string, label: string, placeholder: string) => (
    <div className="isd-test-run-input">
      <small className="isd-test-run-caption">{label[0]!.toUpperCase() + label.slice(1)}</small>
      <TextInput
        name={`${name}.${key}`}
        aria-label={`${name} ${label}`}
        placeholder={placeholder}
        value={text(key)}
        onChange={(event: React.ChangeEvent<HTMLInputElement>) => set(key, event.target.value)}
      />
    </div>
  );
  return (
    <div className="isd-test-run-fields" data-kind={kind}>
      <SelectInput
        name={`${name}.kind`}
        aria-label={`${name} kind`}
        options={runKinds}
        value={kind}
        onChange={(event: React.ChangeEvent<HTMLSelectElement>) => switchKind(event.target.value as RunKind)}
      />
      {kind === 'jenkins' && (
        <>
          {input('job', 'job', 'folder/job')}
          {input('build', 'build', '42 or lastSuccessfulBuild')}
          {input('source', 'source', 'test source (when several)')}
          {input('artifact', 'artifact', 'archived file (empty: the test report)')}
        </>
      )}
      {kind === 'url' && input('url', 'URL', 'https://nexus.example.com/…/TEST-results.xml')}
      {kind === 'xml' && (
        <TextAreaInput
          name={`${name}.xml`}
          aria-label={`${name} XML`}
          rows={4}
          value={text('xml')}
          onChange={(event: React.ChangeEvent<HTMLTextAreaElement>) => set('xml', event.target.value)}
        />
      )}
      {input('label', 'label', 'name in the report (optional)')}
      {remove}
    </div>
  );
}

interface ObjectFieldProps {
  formik: FormikProps<IStage>;
  value: unknown;
}

function ThresholdsField(props: ObjectFieldProps) {
  const thresholds = isRecord(props.value) ? props.value : {};
  const set = (key: 'pass' | 'marginal', raw: string) =>
    props.formik.setFieldValue('parameterValues.thresholds', {
      ...thresholds,
      [key]: raw === '' ? undefined : Number(raw),
    });
  const shown = (key: string) => (typeof thresholds[key] === 'number' ? (thresholds[key] as number) : '');
  return (
    <FieldRow kind="testVerification" name="thresholds" error={fieldError(props.formik, 'thresholds')}>
      <label>
        Pass at or above{' '}
        <NumberInput
          name="thresholds.pass"
          aria-label="Pass threshold"
          min={0}
          max={100}
          value={shown('pass')}
          onChange={(event: React.ChangeEvent<HTMLInputElement>) => set('pass', event.target.value)}
        />
      </label>{' '}
      <label>
        Marginal at or above{' '}
        <NumberInput
          name="thresholds.marginal"
          aria-label="Marginal threshold"
          min={0}
          max={100}
          value={shown('marginal')}
          onChange={(event: React.ChangeEvent<HTMLInputElement>) => set('marginal', event.target.value)}
        />
      </label>
    </FieldRow>
  );
}

const durationInputs: Array<{ key: string; label: string; placeholder: string }> = [
  { key: 'ratio', label: 'Test slower at ratio', placeholder: '1.5' },
  { key: 'minIncreaseMs', label: 'Test slower by at least (ms)', placeholder: '250' },
  { key: 'suiteRatio', label: 'Suite slower at ratio', placeholder: '1.2' },
  { key: 'suiteMinIncreaseMs', label: 'Suite slower by at least (ms)', placeholder: '2000' },
];

/** The slower-test rule; all empty removes the parameter (autopilot's defaults, the placeholders). */
function DurationsField(props: ObjectFieldProps) {
  const durations = isRecord(props.value) ? props.value : {};
  const set = (key: string, raw: string) => {
    const next: Record<string, unknown> = { ...durations, [key]: raw === '' ? undefined : Number(raw) };
    const empty = Object.values(next).every((value) => value === undefined);
    props.formik.setFieldValue('parameterValues.durations', empty ? undefined : next);
  };
  return (
    <FieldRow kind="testVerification" name="durations" error={fieldError(props.formik, 'durations')}>
      {durationInputs.map(({ key, label, placeholder }) => (
        <label key={key} className="isd-duration-input">
          {label}{' '}
          <NumberInput
            name={`durations.${key}`}
            aria-label={label}
            min={key.endsWith('Ms') ? 0 : 1}
            placeholder={placeholder}
            value={typeof durations[key] === 'number' ? (durations[key] as number) : ''}
            onChange={(event: React.ChangeEvent<HTMLInputElement>) => set(key, event.target.value)}
          />
        </label>
      ))}
    </FieldRow>
  );
}
