// Small pieces the three editors and execution views share.
import React from 'react';
import { FormikFormField, HelpField, NumberInput } from '@spinnaker/core';
import type { IFormInputProps } from '@spinnaker/core';

import { gateStages } from '../catalog';
import type { GateKind, StageParameter } from '../catalog';

/** The catalog entry of one gate parameter; throws when the catalog lacks it (a programming error). */
export function parameterOf(kind: GateKind, name: string): StageParameter {
  const parameter = gateStages[kind].parameters.find((p) => p.name === name);
  if (!parameter) throw new Error(`The ${kind} gate has no parameter "${name}" in @isd/orca-stages`);
  return parameter;
}

/** Deck help key of a gate parameter, as registered through `plugin.help`. */
export function helpKey(kind: GateKind, name: string): string {
  return `isd.${kind}.${name}`;
}

/** Props of ParameterHelp. */
export interface ParameterHelpProps {
  kind: GateKind;
  name: string;
}

/** The help icon of a gate parameter; its text comes from the catalog. */
export function ParameterHelp(props: ParameterHelpProps) {
  return <HelpField id={helpKey(props.kind, props.name)} fallback={parameterOf(props.kind, props.name).help} />;
}

/** Props of ErrorNotice. */
export interface ErrorNoticeProps {
  title: string;
  message: string;
}

/** A visible error (never a blank panel) for a failed sidecar call or a bad stage context. */
export function ErrorNotice(props: ErrorNoticeProps) {
  return (
    <div className="alert alert-danger isd-error" role="alert">
      <strong>{props.title}</strong> <span className="isd-error-message">{props.message}</span>
    </div>
  );
}

/** Props of MinutesField. */
export interface MinutesFieldProps {
  kind: GateKind;
  /** Parameter name; the value is stored in milliseconds at `parameterValues.<name>`. */
  name: string;
  label: string;
}

/** A duration parameter edited in minutes and stored in milliseconds, as the sidecars expect. */
export function MinutesField(props: MinutesFieldProps) {
  return (
    <FormikFormField
      name={`parameterValues.${props.name}`}
      label={props.label}
      help={<ParameterHelp kind={props.kind} name={props.name} />}
      input={(inputProps) => <MinutesInput {...inputProps} />}
    />
  );
}

function MinutesInput(props: IFormInputProps) {
  const { value, onChange, ...rest } = props;
  const minutes = typeof value === 'number' ? value / 60_000 : (value ?? '');
  return (
    <span className="isd-minutes" style={{ display: 'inline-flex', alignItems: 'center', gap: 8 }}>
      <NumberInput
        {...rest}
        value={minutes}
        min={0}
        onChange={(event: React.ChangeEvent<HTMLInputElement>) => {
          const raw = event.target.value;
          const parsed = raw === '' ? undefined : Number(raw);
          // SpEL or partial input stays as typed so the validator can name it.
          const next = parsed === undefined ? undefined : Number.isFinite(parsed) ? Math.round(parsed * 60_000) : raw;
          onChange?.({ target: { name: props.name, value: next } } as unknown as React.ChangeEvent<HTMLInputElement>);
        }}
      />{' '}
      minutes
    </span>
  );
}

/** State of a sidecar request made by a component. */
export type Loadable<T> = { state: 'loading' } | { state: 'loaded'; value: T } | { state: 'failed'; error: string };

/** Runs `load` when the component mounts (and when `key` changes) and tracks its outcome. */
export function useLoadable<T>(load: () => Promise<T>, key: string): [Loadable<T>, () => void] {
  const [result, setResult] = React.useState<Loadable<T>>({ state: 'loading' });
  const [attempt, setAttempt] = React.useState(0);
  React.useEffect(() => {
    let active = true;
    setResult({ state: 'loading' });
    load().then(
      (value) => active && setResult({ state: 'loaded', value }),
      (error: unknown) =>
        active && setResult({ state: 'failed', error: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      active = false;
    };
    // `load` is recreated on every render; `key` and `attempt` say when to ask again.
  }, [key, attempt]);
  return [result, () => setAttempt((n) => n + 1)];
}
