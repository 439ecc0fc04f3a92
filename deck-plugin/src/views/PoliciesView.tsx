// The application's Policies view: the live policies (every one gates every application's pipelines),
// this application's recent gate decisions with their reasons and the input each was decided on, and a
// playground that evaluates an edited policy on an edited input through sapor's policy check, with the
// policy's own tests, without saving anything.
import React from 'react';

import { useSidecarClient } from '../api/client-context';
import type { PolicyCheckAnswer, PolicyGateRecord, PolicyStatus, PolicySummary } from '../api/sidecar-shapes';
import { ErrorNotice, useLoadable } from '../common/components';
import { PageNav, useCursorPages } from '../common/paging';
import { formatTime } from '../stages/approval/ApprovalParts';

/** Decisions per page. */
export const DECISIONS_PAGE_SIZE = 25;

/** Props of PoliciesView; Deck passes the application of its application states. */
export interface PoliciesViewProps {
  app: { name: string };
}

/** What the playground starts from: a policy to load and, optionally, an input. */
interface PlaygroundSeed {
  policy?: string;
  input?: unknown;
  /** Changes on every request, so asking for the same seed twice still applies it. */
  serial: number;
}

/** Deck application view of sapor's policies and decisions, with a policy playground. */
export function PoliciesView(props: PoliciesViewProps) {
  const [seed, setSeed] = React.useState<PlaygroundSeed>({ serial: 0 });
  const playground = React.useRef<HTMLElement>(null);
  const toPlayground = (next: Omit<PlaygroundSeed, 'serial'>) => {
    setSeed((current) => ({ ...current, ...next, serial: current.serial + 1 }));
    playground.current?.scrollIntoView?.({ block: 'start' });
    playground.current?.focus();
  };
  return (
    <div className="isd-policies-view container-fluid">
      <h3>Policies</h3>
      <PolicyList tryPolicy={(policy) => toPlayground({ policy })} />
      <RecentDecisions application={props.app.name} tryInput={(policy, input) => toPlayground({ policy, input })} />
      <section className="isd-playground" ref={playground} tabIndex={-1} aria-labelledby="isd-playground-title">
        <h4 id="isd-playground-title">Playground</h4>
        <Playground seed={seed} />
      </section>
    </div>
  );
}

function PolicyList(props: { tryPolicy: (name: string) => void }) {
  const client = useSidecarClient();
  const [list, reload] = useLoadable(() => client.listPolicies(), 'policies');
  return (
    <section className="isd-policy-list" aria-labelledby="isd-policy-list-title">
      <h4 id="isd-policy-list-title">
        Policies in force{' '}
        <button type="button" className="btn btn-xs btn-default" onClick={reload}>
          Refresh
        </button>
      </h4>
      <p className="help-block">
        Sapor’s live policies apply to every application: the policy gates of this application’s pipelines and the
        save-time check of its pipeline configs decide with them.
      </p>
      {list.state === 'loading' && <p className="isd-loading">Loading policies from sapor…</p>}
      {list.state === 'failed' && <ErrorNotice title="Could not load policies:" message={list.error} />}
      {list.state === 'loaded' && list.value.length === 0 && <p className="isd-empty">No policies are in force.</p>}
      {list.state === 'loaded' && list.value.length > 0 && (
        <table className="table table-condensed isd-policies-table">
          <thead>
            <tr>
              <th>Policy</th>
              <th>Version</th>
              <th>Packages</th>
              <th>Description</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.value.map((policy: PolicySummary) => (
              <tr key={policy.name} className="isd-policy-row">
                <td>{policy.name}</td>
                <td>{policy.version ?? ''}</td>
                <td>{(policy.packages ?? []).join(', ')}</td>
                <td>{policy.description ?? ''}</td>
                <td>
                  <button
                    type="button"
                    className="btn btn-xs btn-default"
                    aria-label={`Try ${policy.name} in the playground`}
                    onClick={() => props.tryPolicy(policy.name)}
                  >
                    Try
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RecentDecisions(props: {
  application: string;
  tryInput: (policy: string | undefined, input: unknown) => void;
}) {
  const client = useSidecarClient();
  const [status, setStatus] = React.useState<PolicyStatus | ''>('');
  const [openId, setOpenId] = React.useState<string | undefined>();
  const filter = { application: props.application, status: status || undefined };
  const pages = useCursorPages(
    (cursor) => client.listPolicyGates({ ...filter, limit: DECISIONS_PAGE_SIZE, cursor }),
    JSON.stringify(filter),
  );
  const rows = pages.page.state === 'loaded' ? pages.page.value.items : [];
  return (
    <section className="isd-decisions" aria-labelledby="isd-decisions-title">
      <h4 id="isd-decisions-title">Recent decisions</h4>
      <form className="form-inline isd-filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Outcome{' '}
          <select
            className="form-control input-sm"
            aria-label="Outcome"
            value={status}
            onChange={(event) => {
              setStatus(event.target.value as PolicyStatus | '');
              setOpenId(undefined);
            }}
          >
            <option value="">any</option>
            <option value="allow">allow</option>
            <option value="deny">deny</option>
          </select>
        </label>{' '}
        <button type="button" className="btn btn-sm btn-default" onClick={pages.reload}>
          Refresh
        </button>
      </form>
      {pages.page.state === 'loading' && <p className="isd-loading">Loading decisions from sapor…</p>}
      {pages.page.state === 'failed' && <ErrorNotice title="Could not load decisions:" message={pages.page.error} />}
      {pages.page.state === 'loaded' && rows.length === 0 && (
        <p className="isd-empty">No policy gate has decided{status ? ` ${status}` : ''} in this application.</p>
      )}
      {rows.length > 0 && (
        <table className="table table-condensed isd-decisions-table">
          <thead>
            <tr>
              <th>Outcome</th>
              <th>Decided</th>
              <th>Pipeline</th>
              <th>Policy</th>
              <th>Reasons</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <DecisionRow
                key={row.id}
                row={row}
                open={openId === row.id}
                toggle={() => setOpenId(openId === row.id ? undefined : row.id)}
                tryInput={props.tryInput}
              />
            ))}
          </tbody>
        </table>
      )}
      <PageNav label="Decision pages" pages={pages} />
    </section>
  );
}

function DecisionRow(props: {
  row: PolicyGateRecord;
  open: boolean;
  toggle: () => void;
  tryInput: (policy: string | undefined, input: unknown) => void;
}) {
  const { row } = props;
  const policy = `${row.policy.path}${row.policy.name ? ` (${row.policy.name} v${row.policy.version ?? '?'})` : ''}`;
  return (
    <>
      <tr className="isd-decision-row" data-id={row.id}>
        <td>
          <span className={`label ${row.status === 'allow' ? 'label-success' : 'label-danger'}`}>{row.status}</span>
        </td>
        <td>{formatTime(row.createdAt)}</td>
        <td>{row.pipelineName ?? ''}</td>
        <td>{policy}</td>
        <td>
          {row.messages.length === 0 ? (
            <span className="text-muted">none</span>
          ) : (
            <ul className="list-unstyled isd-decision-reasons">
              {row.messages.map((message, index) => (
                <li key={index}>{message}</li>
              ))}
            </ul>
          )}
        </td>
        <td>
          <button
            type="button"
            className="btn btn-xs btn-default"
            aria-expanded={props.open}
            aria-label={`${props.open ? 'Hide' : 'Show'} input of the decision at ${formatTime(row.createdAt)}`}
            onClick={props.toggle}
          >
            {props.open ? 'Hide' : 'Input'}
          </button>
        </td>
      </tr>
      {props.open && (
        <tr className="isd-decision-details">
          <td colSpan={6}>
            <DecisionInput row={row} tryInput={props.tryInput} />
          </td>
        </tr>
      )}
    </>
  );
}

function DecisionInput(props: {
  row: PolicyGateRecord;
  tryInput: (policy: string | undefined, input: unknown) => void;
}) {
  const client = useSidecarClient();
  const [input] = useLoadable(() => client.getPolicyGateInput(props.row.id), props.row.id);
  if (input.state === 'loading') return <p className="isd-loading">Loading the input…</p>;
  if (input.state === 'failed') return <ErrorNotice title="Could not load the input:" message={input.error} />;
  if (input.value.input === null || input.value.input === undefined)
    return <p className="isd-empty">{input.value.omitted ?? 'Sapor did not keep this input.'}</p>;
  return (
    <div>
      <p>
        Decision <code>{props.row.decisionId}</code>, input digest <code>{props.row.inputDigest}</code>{' '}
        <button
          type="button"
          className="btn btn-xs btn-primary"
          onClick={() => props.tryInput(props.row.policy.name ?? undefined, input.value.input)}
        >
          Use in the playground
        </button>
      </p>
      <pre className="isd-decision-input" tabIndex={0} style={{ maxHeight: 320, overflow: 'auto' }}>
        {JSON.stringify(input.value.input, null, 2)}
      </pre>
    </div>
  );
}

const newPolicy = `package isd.playground

deny contains msg if {
  input.application == ""
  msg := "the application is missing"
}

test_empty_application_denied if {
  count(deny) == 1 with input as {"application": ""}
}
`;

function Playground(props: { seed: PlaygroundSeed }) {
  const client = useSidecarClient();
  const [name, setName] = React.useState('playground');
  const [source, setSource] = React.useState(newPolicy);
  const [regoVersion, setRegoVersion] = React.useState<'v0' | 'v1'>('v1');
  const [inputText, setInputText] = React.useState('{\n  "application": ""\n}');
  const [query, setQuery] = React.useState('');
  const [loading, setLoading] = React.useState<string | undefined>();
  const [loadError, setLoadError] = React.useState<string | undefined>();
  const [inputError, setInputError] = React.useState<string | undefined>();
  const [running, setRunning] = React.useState(false);
  const [answer, setAnswer] = React.useState<{ result?: PolicyCheckAnswer; error?: string } | undefined>();
  const [otherModules, setOtherModules] = React.useState<Array<{ name: string; source: string }>>([]);
  const [moduleName, setModuleName] = React.useState('policy.rego');

  // A seed from the list or a decision loads that policy's current source (and the decision's input).
  React.useEffect(() => {
    if (props.seed.serial === 0) return;
    if (props.seed.input !== undefined) setInputText(JSON.stringify(props.seed.input, null, 2));
    setAnswer(undefined);
    const policy = props.seed.policy;
    if (!policy) return;
    let active = true;
    setLoading(policy);
    setLoadError(undefined);
    client.getPolicy(policy).then(
      (detail) => {
        if (!active) return;
        const [first, ...rest] = detail.modules ?? [];
        setName(detail.name);
        setSource(first?.source ?? '');
        setModuleName(first?.name ?? 'policy.rego');
        setOtherModules(rest);
        setRegoVersion(detail.regoVersion ?? 'v1');
        setLoading(undefined);
      },
      (error: unknown) => {
        if (!active) return;
        setLoading(undefined);
        setLoadError(error instanceof Error ? error.message : String(error));
      },
    );
    return () => {
      active = false;
    };
  }, [props.seed.serial]);

  const evaluate = async () => {
    let input: unknown;
    try {
      input = JSON.parse(inputText);
    } catch (error) {
      setInputError(`not JSON: ${(error as Error).message}`);
      return;
    }
    setInputError(undefined);
    setRunning(true);
    try {
      const result = await client.checkPolicy(name.trim() || 'playground', {
        modules: [{ name: moduleName, source }, ...otherModules],
        regoVersion,
        input,
        ...(query.trim() ? { query: query.trim() } : {}),
      });
      setAnswer({ result });
    } catch (error) {
      setAnswer({ error: error instanceof Error ? error.message : String(error) });
    } finally {
      setRunning(false);
    }
  };

  return (
    <form
      className="isd-playground-form"
      onSubmit={(event) => {
        event.preventDefault();
        void evaluate();
      }}
    >
      <p className="help-block">
        Evaluates the policy as edited here with the other live policies, on the input below, and runs its tests.
        Nothing is saved.
      </p>
      {loading && <p className="isd-loading">Loading {loading} from sapor…</p>}
      {loadError && <ErrorNotice title="Could not load the policy:" message={loadError} />}
      <div className="form-inline">
        <label>
          Policy name{' '}
          <input
            className="form-control input-sm"
            aria-label="Policy name"
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        </label>{' '}
        <label>
          Rego{' '}
          <select
            className="form-control input-sm"
            aria-label="Rego version"
            value={regoVersion}
            onChange={(event) => setRegoVersion(event.target.value as 'v0' | 'v1')}
          >
            <option value="v1">v1</option>
            <option value="v0">v0</option>
          </select>
        </label>{' '}
        <label>
          Document{' '}
          <input
            className="form-control input-sm"
            aria-label="Document to evaluate"
            placeholder="the policy's package"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
        </label>
      </div>
      <div className="row">
        <div className="col-md-7">
          <label htmlFor="isd-playground-source">
            {moduleName}
            {otherModules.length > 0 ? ` (and ${otherModules.length} more module(s), unchanged)` : ''}
          </label>
          <textarea
            id="isd-playground-source"
            className="form-control isd-code"
            rows={16}
            spellCheck={false}
            value={source}
            onChange={(event) => setSource(event.target.value)}
            style={{ fontFamily: 'monospace' }}
          />
        </div>
        <div className="col-md-5">
          <label htmlFor="isd-playground-input">Input (JSON)</label>
          <textarea
            id="isd-playground-input"
            className="form-control isd-code"
            rows={16}
            spellCheck={false}
            aria-invalid={inputError ? true : undefined}
            aria-describedby={inputError ? 'isd-playground-input-error' : undefined}
            value={inputText}
            onChange={(event) => setInputText(event.target.value)}
            style={{ fontFamily: 'monospace' }}
          />
          {inputError && (
            <p id="isd-playground-input-error" className="text-danger isd-field-error">
              Input: {inputError}
            </p>
          )}
        </div>
      </div>
      <p>
        <button type="submit" className="btn btn-primary btn-sm isd-evaluate" disabled={running}>
          {running ? 'Evaluating…' : 'Evaluate'}
        </button>
      </p>
      {answer?.error && <ErrorNotice title="Sapor refused the policy:" message={answer.error} />}
      {answer?.result && <PlaygroundResult answer={answer.result} />}
    </form>
  );
}

function PlaygroundResult(props: { answer: PolicyCheckAnswer }) {
  const { evaluation, tests } = props.answer;
  return (
    <div className="isd-playground-result" aria-live="polite">
      {evaluation && (
        <>
          <h5>
            Result of <code>{evaluation.document}</code>
          </h5>
          {evaluation.error ? (
            <ErrorNotice title="Evaluation failed:" message={evaluation.error} />
          ) : evaluation.result === undefined ? (
            <p className="isd-undefined">Undefined: no rule of that document applies to this input.</p>
          ) : (
            <pre className="isd-evaluation-result" tabIndex={0}>
              {JSON.stringify(evaluation.result, null, 2)}
            </pre>
          )}
          {evaluation.warnings.map((warning) => (
            <p key={warning} className="text-warning">
              {warning}
            </p>
          ))}
        </>
      )}
      <h5>
        Tests{' '}
        <span className={`label ${props.answer.passed ? 'label-success' : 'label-danger'}`}>
          {tests.length === 0 ? 'none' : props.answer.passed ? 'all pass' : 'failing'}
        </span>
      </h5>
      {tests.length > 0 && (
        <ul className="list-unstyled isd-test-results">
          {tests.map((test) => (
            <li key={test.name} data-passed={test.passed}>
              <span className={test.passed ? 'text-success' : 'text-danger'}>{test.passed ? '✓' : '✗'}</span>{' '}
              {test.name}
              {test.error ? `: ${test.error}` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
