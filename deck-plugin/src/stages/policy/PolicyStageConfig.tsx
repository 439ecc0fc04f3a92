// Config editor of the policy gate: the policy (from sapor's list) and its parameters as JSON.
import React from 'react';
import { TextAreaInput, TextInput } from '@spinnaker/core';
import type { IFormikStageConfigInjectedProps, IStage, IStageConfigProps } from '@spinnaker/core';
import type { FormikProps } from 'formik';

import { useSidecarClient } from '../../api/client-context';
import { ErrorNotice, useLoadable } from '../../common/components';
import { FieldRow, fieldError } from '../../common/FieldRow';
import { PipelineCheckPanel } from '../../common/PipelineCheckPanel';
import { GateStageForm } from '../../common/GateStageForm';

/** Deck config editor for the ISD policy gate stage. */
export function PolicyStageConfig(props: IStageConfigProps) {
  return (
    <GateStageForm
      kind="policy"
      config={props}
      render={(injected: IFormikStageConfigInjectedProps) => (
        <div className="isd-policy-config">
          <PolicyField formik={injected.formik} />
          <ParamsField formik={injected.formik} />
          <PipelineCheckPanel pipeline={injected.pipeline} />
        </div>
      )}
    />
  );
}

interface FormikFieldProps {
  formik: FormikProps<IStage>;
}

/** `isd.deploy` → `isd/deploy`: decisions are addressed by document path, packages by dotted name. */
function packagePath(pkg: string): string {
  return pkg
    .replace(/^data\./, '')
    .split('.')
    .join('/');
}

function PolicyField(props: FormikFieldProps) {
  const client = useSidecarClient();
  const [policies, retry] = useLoadable(() => client.listPolicies(), 'policies');
  const value = (props.formik.values.parameterValues as Record<string, unknown> | undefined)?.['policy'];
  const policy = typeof value === 'string' ? value : '';
  const listed = policies.state === 'loaded' ? policies.value : [];
  // One suggestion per Rego package; the author adds the rule (`isd/deploy` + `/allowed`).
  const suggestions = listed.flatMap((summary) =>
    (summary.packages ?? []).map((pkg) => ({
      path: packagePath(pkg),
      label: [summary.name, summary.version !== undefined ? `v${summary.version}` : '', summary.description ?? '']
        .filter(Boolean)
        .join(' — '),
    })),
  );
  const known = suggestions.some(
    (suggestion) => policy === suggestion.path || policy.startsWith(`${suggestion.path}/`),
  );
  return (
    <FieldRow kind="policy" name="policy" error={fieldError(props.formik, 'policy')}>
      <TextInput
        name="policy"
        aria-label="Policy"
        list="isd-policy-paths"
        placeholder="isd/deploy/allowed"
        value={policy}
        onChange={(event: React.ChangeEvent<HTMLInputElement>) =>
          props.formik.setFieldValue('parameterValues.policy', event.target.value)
        }
      />
      <datalist id="isd-policy-paths">
        {suggestions.map((suggestion) => (
          <option key={suggestion.path} value={suggestion.path}>
            {suggestion.label}
          </option>
        ))}
      </datalist>
      {policies.state === 'loading' && <span className="isd-loading">Loading policies from sapor…</span>}
      {policies.state === 'failed' && (
        <div>
          <ErrorNotice title="Could not load policies:" message={policies.error} />
          <button type="button" className="btn btn-sm btn-default" onClick={retry}>
            Retry
          </button>
        </div>
      )}
      {policies.state === 'loaded' && policy.trim() !== '' && !known && (
        <div className="isd-policy-unknown text-warning">
          “{policy}” is not under any policy package sapor has loaded (
          {suggestions.map((s) => s.path).join(', ') || 'none'}).
        </div>
      )}
    </FieldRow>
  );
}

function ParamsField(props: FormikFieldProps) {
  const stored = (props.formik.values.parameterValues as Record<string, unknown> | undefined)?.['params'];
  // A value that is not an object (a broken legacy string) is shown as it is, with the field error.
  const [text, setText] = React.useState(() =>
    typeof stored === 'string' ? stored : JSON.stringify(stored ?? {}, null, 2),
  );
  const [parseError, setParseError] = React.useState<string | undefined>();
  const onChange = (next: string) => {
    setText(next);
    try {
      const parsed: unknown = JSON.parse(next === '' ? '{}' : next);
      setParseError(undefined);
      props.formik.setFieldValue('parameterValues.params', parsed);
    } catch (error) {
      // Invalid JSON is kept in the text box only; the stage keeps its last valid value.
      setParseError(`Parameters: not valid JSON (${error instanceof Error ? error.message : String(error)}).`);
    }
  };
  return (
    <FieldRow kind="policy" name="params" error={parseError ?? fieldError(props.formik, 'params')}>
      <TextAreaInput
        name="params"
        aria-label="Policy parameters (JSON)"
        rows={6}
        value={text}
        onChange={(event: React.ChangeEvent<HTMLTextAreaElement>) => onChange(event.target.value)}
      />
    </FieldRow>
  );
}
