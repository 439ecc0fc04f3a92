// The application's Approvals view: the gates waiting for the user (in every application, or this one)
// and this application's gate history by status, a page at a time, each openable to decide in place.
import React from 'react';

import { useSidecarClient } from '../api/client-context';
import type { ApprovalInstance, ApprovalListFilter, ApprovalStatus } from '../api/sidecar-shapes';
import { ErrorNotice, useLoadable } from '../common/components';
import { ApprovalStatusLabel, ApprovalSummary, DecisionForm, formatTime } from '../stages/approval/ApprovalParts';

/** Rows per page. */
export const APPROVALS_PAGE_SIZE = 25;

/** Which gates the view lists. */
export type ApprovalsScope = 'mine-everywhere' | 'mine-here' | 'application';

const scopes: Array<{ value: ApprovalsScope; label: string }> = [
  { value: 'mine-everywhere', label: 'Waiting for me (all applications)' },
  { value: 'mine-here', label: 'Waiting for me (this application)' },
  { value: 'application', label: 'All gates of this application' },
];

const statuses: Array<ApprovalStatus | ''> = ['', 'activated', 'approved', 'rejected', 'expired', 'canceled'];

/** Props of ApprovalsView; Deck passes the application resolved for its application states. */
export interface ApprovalsViewProps {
  app: { name: string };
}

/** Deck application view listing approval gates, with filters, paging and decisions in place. */
export function ApprovalsView(props: ApprovalsViewProps) {
  const client = useSidecarClient();
  const [scope, setScope] = React.useState<ApprovalsScope>('mine-everywhere');
  const [status, setStatus] = React.useState<ApprovalStatus | ''>('');
  const [page, setPage] = React.useState(0);
  const [openId, setOpenId] = React.useState<string | undefined>();

  const filter = listFilter(props.app.name, scope, status, page);
  // One more row than a page tells whether a next page exists without counting every gate.
  const [list, reload] = useLoadable(
    () => client.listApprovals({ ...filter, limit: APPROVALS_PAGE_SIZE + 1 }),
    JSON.stringify(filter),
  );
  const rows = list.state === 'loaded' ? list.value.slice(0, APPROVALS_PAGE_SIZE) : [];
  const hasNext = list.state === 'loaded' && list.value.length > APPROVALS_PAGE_SIZE;

  const choose = (next: () => void) => {
    next();
    setPage(0);
    setOpenId(undefined);
  };

  return (
    <div className="isd-approvals-view container-fluid">
      <h3>Approvals</h3>
      <form className="form-inline isd-approvals-filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Show{' '}
          <select
            className="form-control input-sm"
            aria-label="Which gates"
            value={scope}
            onChange={(event) => choose(() => setScope(event.target.value as ApprovalsScope))}
          >
            {scopes.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>{' '}
        {scope === 'application' && (
          <label>
            Status{' '}
            <select
              className="form-control input-sm"
              aria-label="Status"
              value={status}
              onChange={(event) => choose(() => setStatus(event.target.value as ApprovalStatus | ''))}
            >
              {statuses.map((value) => (
                <option key={value} value={value}>
                  {value === '' ? 'any' : value}
                </option>
              ))}
            </select>
          </label>
        )}{' '}
        <button type="button" className="btn btn-sm btn-default" onClick={reload}>
          Refresh
        </button>
      </form>

      {list.state === 'loading' && <p className="isd-loading">Loading approvals from visibility…</p>}
      {list.state === 'failed' && <ErrorNotice title="Could not load approvals:" message={list.error} />}
      {list.state === 'loaded' && rows.length === 0 && (
        <p className="isd-empty">
          {scope === 'application' ? 'No approval gates match.' : 'Nothing is waiting for your approval.'}
        </p>
      )}
      {rows.length > 0 && (
        <table className="table table-condensed isd-approvals-table">
          <thead>
            <tr>
              <th>Status</th>
              <th>Application</th>
              <th>Pipeline</th>
              <th>Triggered by</th>
              <th>Created</th>
              <th>Approvals</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((approval) => (
              <ApprovalRow
                key={approval.id}
                approval={approval}
                open={openId === approval.id}
                toggle={() => setOpenId(openId === approval.id ? undefined : approval.id)}
                decided={reload}
              />
            ))}
          </tbody>
        </table>
      )}
      {(page > 0 || hasNext) && (
        <nav className="isd-approvals-paging" aria-label="Approval pages">
          <button
            type="button"
            className="btn btn-sm btn-default"
            disabled={page === 0}
            onClick={() => setPage(page - 1)}
          >
            Previous
          </button>{' '}
          <span>Page {page + 1}</span>{' '}
          <button
            type="button"
            className="btn btn-sm btn-default"
            disabled={!hasNext}
            onClick={() => setPage(page + 1)}
          >
            Next
          </button>
        </nav>
      )}
    </div>
  );
}

/** The list request for a scope, status filter and page. */
export function listFilter(
  application: string,
  scope: ApprovalsScope,
  status: ApprovalStatus | '',
  page: number,
): ApprovalListFilter {
  const offset = page * APPROVALS_PAGE_SIZE;
  // The inbox is open gates only.
  if (scope === 'mine-everywhere') return { mine: true, status: 'activated', limit: APPROVALS_PAGE_SIZE, offset };
  if (scope === 'mine-here') {
    return { mine: true, status: 'activated', application, limit: APPROVALS_PAGE_SIZE, offset };
  }
  return { application, ...(status ? { status } : {}), limit: APPROVALS_PAGE_SIZE, offset };
}

interface ApprovalRowProps {
  approval: ApprovalInstance;
  open: boolean;
  toggle: () => void;
  decided: () => void;
}

function ApprovalRow(props: ApprovalRowProps) {
  const client = useSidecarClient();
  const { approval } = props;
  const groups = (approval.approverGroups ?? []).map((group) => `${group.name} ${group.approvals}/${group.required}`);
  return (
    <>
      <tr className="isd-approval-row" data-id={approval.id}>
        <td>
          <ApprovalStatusLabel status={approval.status} />
        </td>
        <td>{approval.application}</td>
        <td>{approval.pipelineName}</td>
        <td>{approval.triggeredBy}</td>
        <td>{approval.createdAt ? formatTime(approval.createdAt) : ''}</td>
        <td>{groups.join(', ')}</td>
        <td>
          <button
            type="button"
            className="btn btn-xs btn-default"
            aria-expanded={props.open}
            aria-label={`${props.open ? 'Hide' : 'Show'} approval of ${approval.pipelineName ?? approval.id}`}
            onClick={props.toggle}
          >
            {props.open ? 'Hide' : 'Details'}
          </button>
        </td>
      </tr>
      {props.open && (
        <tr className="isd-approval-row-details">
          <td colSpan={7}>
            {approval.deadline && approval.status === 'activated' && (
              <p className="isd-deadline">Expires {formatTime(approval.deadline)}</p>
            )}
            <ApprovalSummary approval={approval} />
            {approval.status === 'activated' && approval.canDecide === true && (
              <DecisionForm
                canApprove={approval.canApprove !== false}
                decide={async (action, comment) => {
                  // Decide on the evidence shown: visibility refuses (409) if it changed in the meantime.
                  await client.decideApproval(approval.id, {
                    action,
                    comment,
                    ...(approval.evidenceDigest ? { evidenceDigest: approval.evidenceDigest } : {}),
                  });
                  props.decided();
                }}
              />
            )}
          </td>
        </tr>
      )}
    </>
  );
}
