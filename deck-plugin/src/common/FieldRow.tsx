// A labelled form row for composite parameters (lists, maps, pickers) that FormikFormField cannot bind.
import React from 'react';
import type { IStage } from '@spinnaker/core';
import type { FormikProps } from 'formik';

import type { GateKind } from '../catalog';
import { ParameterHelp, parameterOf } from './components';

/** Props of FieldRow. */
export interface FieldRowProps {
  kind: GateKind;
  /** Parameter name in the catalog. */
  name: string;
  error: string | undefined;
  children?: React.ReactNode;
}

/** Label, help icon, the given inputs and the parameter's validation error, laid out like Deck's fields. */
export function FieldRow(props: FieldRowProps) {
  return (
    <div className="sp-formItem isd-field-row" data-field={props.name}>
      <div className="sp-formItem__left">
        <div className="sp-formLabel">
          {parameterOf(props.kind, props.name).label} <ParameterHelp kind={props.kind} name={props.name} />
        </div>
      </div>
      <div className="sp-formItem__right">
        {props.children}
        {props.error && (
          <div className="sp-validation-message error-message isd-field-error" role="alert">
            {props.error}
          </div>
        )}
      </div>
    </div>
  );
}

/** The validation error Formik holds for `parameterValues.<name>`, if any. */
export function fieldError(formik: FormikProps<IStage>, name: string): string | undefined {
  const errors = formik.errors as { parameterValues?: Record<string, unknown> };
  const error = errors.parameterValues?.[name];
  return typeof error === 'string' ? error : undefined;
}

/** Stringifies a map's values for Deck's MapEditor, which edits strings only. */
export function stringMap(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key,
      typeof item === 'string' ? item : JSON.stringify(item),
    ]),
  );
}
