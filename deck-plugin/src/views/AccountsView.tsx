// The Accounts view: the Kubernetes accounts sapor manages, a page at a time by name, a form to add one with a
// pasted kubeconfig or through a tunnel agent (the agent manifest sapor returns is shown once, to copy), delete
// with confirmation, and each account's history. Everything is for account admins; others see why not.
import React from 'react';

import { useSidecarClient } from '../api/client-context';
import { SidecarError } from '../api/sidecar-client';
import type { AccountHistoryEntry, AccountRequest, AccountSummary } from '../api/sidecar-shapes';
import { ErrorNotice, useLoadable } from '../common/components';
import { PageNav, useCursorPages } from '../common/paging';
import { formatTime } from '../stages/approval/ApprovalParts';

/** Rows per page. */
export const ACCOUNTS_PAGE_SIZE = 50;

const ADMIN_ONLY =
  'Only account admins (Fiat admins, or holders of a role in sapor’s accounts.adminRoles) may see and change accounts.';

/** Props of AccountsView; Deck passes the application of its application states (accounts are global). */
export interface AccountsViewProps {
  app: { name: string };
}

/** Deck view of sapor's Kubernetes accounts. */
export function AccountsView(_props: AccountsViewProps) {
  const client = useSidecarClient();
  const [forbidden, setForbidden] = React.useState(false);
  const [notice, setNotice] = React.useState<string | undefined>();
  const [manifest, setManifest] = React.useState<{ account: string; text: string } | undefined>();
  const [openHistory, setOpenHistory] = React.useState<string | undefined>();
  const pages = useCursorPages(async (cursor) => {
    try {
      const page = await client.listAccounts({ limit: ACCOUNTS_PAGE_SIZE, cursor });
      setForbidden(false);
      return page;
    } catch (error) {
      setForbidden(error instanceof SidecarError && error.status === 403);
      throw error;
    }
  }, 'accounts');
  const rows = pages.page.state === 'loaded' ? pages.page.value.items : [];

  return (
    <div className="isd-accounts-view container-fluid">
      <h3>Accounts</h3>
      <p className="help-block">
        Kubernetes accounts Spinnaker deploys to, added without a restart through sapor. {ADMIN_ONLY}
      </p>
      {notice && (
        <div className="alert alert-success isd-notice" role="status">
          {notice}
        </div>
      )}
      {manifest && <ManifestBlock {...manifest} dismiss={() => setManifest(undefined)} />}

      {pages.page.state === 'loading' && <p className="isd-loading">Loading accounts from sapor…</p>}
      {pages.page.state === 'failed' &&
        (forbidden ? (
          <div className="alert alert-warning isd-forbidden" role="alert">
            {ADMIN_ONLY} <span className="isd-error-message">{pages.page.error}</span>
          </div>
        ) : (
          <ErrorNotice title="Could not load accounts:" message={pages.page.error} />
        ))}
      {pages.page.state === 'loaded' && rows.length === 0 && pages.index === 0 && (
        <p className="isd-empty">No accounts are managed by sapor yet. Add one below.</p>
      )}
      {rows.length > 0 && (
        <table className="table table-condensed isd-accounts-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Reaches the cluster</th>
              <th>Namespaces</th>
              <th>Environment</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((account) => (
              <AccountRow
                key={account.name}
                account={account}
                historyOpen={openHistory === account.name}
                toggleHistory={() => setOpenHistory(openHistory === account.name ? undefined : account.name)}
                deleted={(message) => {
                  setNotice(message);
                  pages.reload();
                }}
              />
            ))}
          </tbody>
        </table>
      )}
      <PageNav label="Account pages" pages={pages} />

      {!forbidden && (
        <AddAccountForm
          created={(name, agentManifest) => {
            setNotice(`Account ${name} was created.`);
            setManifest(agentManifest ? { account: name, text: agentManifest } : undefined);
            pages.reload();
          }}
        />
      )}
    </div>
  );
}

function reaches(account: Pick<AccountSummary, 'agent' | 'kubeconfig'>): string {
  if (account.agent) return `through agent ${account.agent.name} (namespace ${account.agent.namespace})`;
  return `${account.kubeconfig.server} (${account.kubeconfig.auth})`;
}

function namespaceText(account: Pick<AccountSummary, 'namespaces' | 'omitNamespaces'>): string {
  if (account.namespaces.length > 0) return account.namespaces.join(', ');
  if (account.omitNamespaces.length > 0) return `all but ${account.omitNamespaces.join(', ')}`;
  return 'all';
}

function AccountRow(props: {
  account: AccountSummary;
  historyOpen: boolean;
  toggleHistory: () => void;
  deleted: (message: string) => void;
}) {
  const client = useSidecarClient();
  const { account } = props;
  const [confirming, setConfirming] = React.useState(false);
  const [deleting, setDeleting] = React.useState(false);
  const [error, setError] = React.useState<string | undefined>();
  const confirmButton = React.useRef<HTMLButtonElement>(null);
  React.useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  const remove = async () => {
    setDeleting(true);
    setError(undefined);
    try {
      const result = await client.deleteAccount(account.name);
      props.deleted(
        `Account ${result.name} was deleted (${result.revoked} tunnel certificate${result.revoked === 1 ? '' : 's'} revoked).`,
      );
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setDeleting(false);
      setConfirming(false);
    }
  };

  return (
    <>
      <tr className="isd-account-row" data-name={account.name}>
        <td>{account.name}</td>
        <td>{reaches(account)}</td>
        <td>{namespaceText(account)}</td>
        <td>{account.environment}</td>
        <td>
          {formatTime(account.updatedAt)} by {account.updatedBy}
        </td>
        <td className="text-right">
          <button
            type="button"
            className="btn btn-xs btn-default"
            aria-expanded={props.historyOpen}
            aria-label={`${props.historyOpen ? 'Hide' : 'Show'} history of ${account.name}`}
            onClick={props.toggleHistory}
          >
            History
          </button>{' '}
          {confirming ? (
            <span role="group" aria-label={`Confirm deleting ${account.name}`}>
              Delete {account.name}? Its tunnel certificates are revoked.{' '}
              <button
                ref={confirmButton}
                type="button"
                className="btn btn-xs btn-danger"
                disabled={deleting}
                onClick={() => void remove()}
              >
                {deleting ? 'Deleting…' : 'Yes, delete'}
              </button>{' '}
              <button
                type="button"
                className="btn btn-xs btn-default"
                disabled={deleting}
                onClick={() => setConfirming(false)}
              >
                Cancel
              </button>
            </span>
          ) : (
            <button
              type="button"
              className="btn btn-xs btn-default"
              aria-label={`Delete ${account.name}`}
              onClick={() => setConfirming(true)}
            >
              Delete
            </button>
          )}
        </td>
      </tr>
      {error && (
        <tr>
          <td colSpan={6}>
            <ErrorNotice title={`Could not delete ${account.name}:`} message={error} />
          </td>
        </tr>
      )}
      {props.historyOpen && (
        <tr className="isd-account-history-row">
          <td colSpan={6}>
            <AccountHistory name={account.name} />
          </td>
        </tr>
      )}
    </>
  );
}

function AccountHistory(props: { name: string }) {
  const client = useSidecarClient();
  const [history] = useLoadable<AccountHistoryEntry[]>(() => client.accountHistory(props.name), props.name);
  if (history.state === 'loading') return <p className="isd-loading">Loading the history of {props.name}…</p>;
  if (history.state === 'failed')
    return <ErrorNotice title={`Could not load the history of ${props.name}:`} message={history.error} />;
  if (history.value.length === 0) return <p className="isd-empty">No versions recorded.</p>;
  return (
    <table className="table table-condensed isd-account-history" aria-label={`History of ${props.name}`}>
      <thead>
        <tr>
          <th>Version</th>
          <th>Change</th>
          <th>By</th>
          <th>When</th>
          <th>Reaches the cluster</th>
          <th>Namespaces</th>
        </tr>
      </thead>
      <tbody>
        {history.value.map((entry) => (
          <tr key={entry.version} data-version={entry.version}>
            <td>{entry.version}</td>
            <td>{entry.action}</td>
            <td>{entry.actor}</td>
            <td>{formatTime(entry.occurredAt)}</td>
            <td>{entry.account ? reaches(entry.account) : '–'}</td>
            <td>{entry.account ? namespaceText(entry.account) : '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The agent manifest from a create answer: sapor shows it only once (it holds the agent's key). */
function ManifestBlock(props: { account: string; text: string; dismiss: () => void }) {
  const [copied, setCopied] = React.useState<string | undefined>();
  const area = React.useRef<HTMLTextAreaElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setCopied('Copied.');
    } catch {
      // Without clipboard access (plain http, or denied) the text is selected for Ctrl+C instead.
      area.current?.select();
      setCopied('Selected: press Ctrl+C (or ⌘C) to copy.');
    }
  };
  return (
    <div className="panel panel-warning isd-agent-manifest">
      <div className="panel-heading">
        Agent manifest for {props.account}: apply it in the remote cluster (<code>kubectl apply -f</code>). It holds the
        agent’s key and is shown only now.
      </div>
      <div className="panel-body">
        <textarea
          ref={area}
          className="form-control"
          aria-label="Agent manifest"
          readOnly
          rows={12}
          value={props.text}
          style={{ fontFamily: 'monospace' }}
        />
        <button type="button" className="btn btn-sm btn-primary" onClick={() => void copy()}>
          Copy manifest
        </button>{' '}
        <button type="button" className="btn btn-sm btn-default" onClick={props.dismiss}>
          Done
        </button>{' '}
        {copied && <span role="status">{copied}</span>}
      </div>
    </div>
  );
}

type Reach = 'kubeconfig' | 'agent';

interface FormState {
  name: string;
  reach: Reach;
  kubeconfig: string;
  context: string;
  agentName: string;
  agentNamespace: string;
  namespaces: string;
  environment: string;
  read: string;
  write: string;
  execute: string;
}

const emptyForm: FormState = {
  name: '',
  reach: 'kubeconfig',
  kubeconfig: '',
  context: '',
  agentName: '',
  agentNamespace: '',
  namespaces: '',
  environment: '',
  read: '',
  write: '',
  execute: '',
};

/** A comma- or space-separated list; empty entries dropped. */
function listField(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** The request sapor expects; optional fields left empty are not sent. */
export function accountRequest(form: FormState): AccountRequest {
  const request: AccountRequest = { name: form.name.trim(), permissions: {} };
  if (form.reach === 'kubeconfig') {
    request.kubeconfig = form.kubeconfig;
    if (form.context.trim()) request.context = form.context.trim();
  } else {
    request.agent = { name: form.agentName.trim() };
    if (form.agentNamespace.trim()) request.agent.namespace = form.agentNamespace.trim();
  }
  const namespaces = listField(form.namespaces);
  if (namespaces.length > 0) request.namespaces = namespaces;
  if (form.environment.trim()) request.environment = form.environment.trim();
  for (const [key, text] of [
    ['READ', form.read],
    ['WRITE', form.write],
    ['EXECUTE', form.execute],
  ] as const) {
    const roles = listField(text);
    if (roles.length > 0) request.permissions[key] = roles;
  }
  return request;
}

/** The form input a field sapor names belongs to (`agent.name` → agentName, `permissions.WRITE.0` → write). */
function inputOf(field: string): keyof FormState | undefined {
  const [first, second] = field.split('.');
  switch (first) {
    case 'name':
    case 'kubeconfig':
    case 'context':
    case 'namespaces':
    case 'environment':
      return first;
    case 'omitNamespaces':
      return 'namespaces';
    case 'agent':
      return second === 'namespace' ? 'agentNamespace' : 'agentName';
    case 'permissions':
      return second === 'READ' ? 'read' : second === 'EXECUTE' ? 'execute' : 'write';
    default:
      return undefined;
  }
}

function AddAccountForm(props: { created: (name: string, agentManifest: string | undefined) => void }) {
  const client = useSidecarClient();
  const [form, setForm] = React.useState<FormState>(emptyForm);
  const [saving, setSaving] = React.useState(false);
  const [failure, setFailure] = React.useState<{ message: string; input?: keyof FormState; field?: string }>();
  const set = (key: keyof FormState) => (event: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
    setForm({ ...form, [key]: event.target.value });

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setFailure(undefined);
    try {
      const result = await client.createAccount(accountRequest(form));
      // The kubeconfig is cleared at once: it is never shown again, here or by sapor.
      setForm(emptyForm);
      props.created(result.account.name, result.agentManifest);
    } catch (error) {
      const field = error instanceof SidecarError ? error.field : undefined;
      const refused = error instanceof SidecarError && error.status === 403 ? `${ADMIN_ONLY} ` : '';
      const message = refused + (error instanceof Error ? error.message : String(error));
      setFailure({ message, field, input: field ? inputOf(field) : undefined });
    } finally {
      setSaving(false);
    }
  };

  const field = (key: keyof FormState, label: string, input: React.ReactElement, help?: string) => {
    const id = `isd-account-${key}`;
    const invalid = failure?.input === key;
    return (
      <div className={`form-group${invalid ? ' has-error' : ''}`}>
        <label htmlFor={id} className="col-md-3 sm-label-right">
          {label}
        </label>
        <div className="col-md-7">
          {React.cloneElement(input as React.ReactElement<Record<string, unknown>>, {
            id,
            className: 'form-control input-sm',
            value: form[key],
            onChange: set(key),
            'aria-invalid': invalid || undefined,
            'aria-describedby': invalid ? `${id}-error` : help ? `${id}-help` : undefined,
          })}
          {invalid && (
            <span id={`${id}-error`} className="help-block isd-field-error">
              {failure?.field}: {failure?.message}
            </span>
          )}
          {help && !invalid && (
            <span id={`${id}-help`} className="help-block">
              {help}
            </span>
          )}
        </div>
      </div>
    );
  };

  return (
    <form
      className="form-horizontal isd-add-account"
      aria-label="Add an account"
      onSubmit={(event) => void submit(event)}
    >
      <h4>Add an account</h4>
      {failure && !failure.input && (
        <ErrorNotice
          title="sapor refused the account:"
          message={failure.field ? `${failure.field}: ${failure.message}` : failure.message}
        />
      )}
      {field('name', 'Name', <input type="text" required />, 'lower-case letters, digits, - and _')}
      <fieldset className="form-group">
        <legend className="col-md-3 sm-label-right" style={{ fontSize: 'inherit', border: 0 }}>
          Reach the cluster
        </legend>
        <div className="col-md-7">
          {(
            [
              ['kubeconfig', 'with a kubeconfig (pasted)'],
              ['agent', 'through an agent (the remote cluster connects out)'],
            ] as const
          ).map(([value, text]) => (
            <label key={value} className="radio-inline">
              <input
                type="radio"
                name="isd-account-reach"
                value={value}
                checked={form.reach === value}
                onChange={() => setForm({ ...form, reach: value })}
              />{' '}
              {text}
            </label>
          ))}
        </div>
      </fieldset>
      {form.reach === 'kubeconfig' ? (
        <>
          {field(
            'kubeconfig',
            'Kubeconfig',
            <textarea rows={8} spellCheck={false} autoComplete="off" />,
            'inline credentials only; checked against the cluster, stored by Spinnaker, never shown again',
          )}
          {field('context', 'Context', <input type="text" placeholder="its current-context" />)}
        </>
      ) : (
        <>
          {field('agentName', 'Agent name', <input type="text" />, 'the remote cluster’s agent (a Kubernetes name)')}
          {field('agentNamespace', 'Agent namespace', <input type="text" placeholder="isd-agent" />)}
        </>
      )}
      {field('namespaces', 'Namespaces', <input type="text" placeholder="all" />, 'comma-separated')}
      {field('environment', 'Environment', <input type="text" placeholder="the name" />)}
      {field('read', 'READ roles', <input type="text" />, 'comma-separated Fiat roles')}
      {field('write', 'WRITE roles', <input type="text" />, 'comma-separated Fiat roles')}
      {field('execute', 'EXECUTE roles', <input type="text" />, 'comma-separated Fiat roles')}
      <div className="form-group">
        <div className="col-md-offset-3 col-md-7">
          <button type="submit" className="btn btn-sm btn-primary" disabled={saving}>
            {saving ? 'Adding…' : 'Add account'}
          </button>
        </div>
      </div>
    </form>
  );
}
