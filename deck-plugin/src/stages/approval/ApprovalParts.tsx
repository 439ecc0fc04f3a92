// Pieces of the approval gate's view shared by the execution details and the application's Approvals view:
// status label, what approvers need to see (instructions, group progress, decisions, evidence) and the
// Approve / Reject form.
import React from 'react';
import { Markdown } from '@spinnaker/core';

import type { ApprovalAction, ApprovalInstance, EvidenceCard } from '../../api/sidecar-shapes';
import { ErrorNotice } from '../../common/components';

/** How each approval status is labelled. */
export const statusLabels: Record<string, { text: string; className: string }> = {
  activated: { text: 'Waiting for approval', className: 'label-info' },
  approved: { text: 'Approved', className: 'label-success' },
  rejected: { text: 'Rejected', className: 'label-danger' },
  expired: { text: 'Expired', className: 'label-warning' },
  canceled: { text: 'Canceled', className: 'label-default' },
};

/** Props of ApprovalStatusLabel. */
export interface ApprovalStatusLabelProps {
  status: string | undefined;
}

/** The gate's status as a coloured label. */
export function ApprovalStatusLabel(props: ApprovalStatusLabelProps) {
  const status = statusLabels[props.status ?? ''] ?? { text: props.status ?? 'unknown', className: 'label-default' };
  return (
    <span className={`label ${status.className} isd-status`} data-status={props.status}>
      {status.text}
    </span>
  );
}

/** Props of ApprovalSummary. */
export interface ApprovalSummaryProps {
  approval: ApprovalInstance;
}

/** Instructions, approver-group progress, decisions and evidence of one gate. */
export function ApprovalSummary(props: ApprovalSummaryProps) {
  const { approval } = props;
  return (
    <>
      {/* Instructions are Markdown (catalog help); Deck's Markdown sanitizes with DOMPurify. */}
      {approval.instructions && <Markdown className="isd-instructions" message={approval.instructions} trim={true} />}

      <h5>Approver groups</h5>
      <table className="table table-condensed isd-groups">
        <tbody>
          {(approval.approverGroups ?? []).map((group) => (
            <tr key={group.name}>
              <td>{group.name}</td>
              <td className="isd-group-progress">
                {group.approvals} of {group.required} approvals
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h5>Decisions</h5>
      {(approval.decisions ?? []).length === 0 ? (
        <p className="isd-no-decisions">No decisions yet.</p>
      ) : (
        <ul className="isd-decisions">
          {approval.decisions.map((decision, index) => (
            <li key={index}>
              <strong>{decision.user}</strong> {decision.action === 'approve' ? 'approved' : 'rejected'} at{' '}
              {formatTime(decision.at)}
              {decision.breakGlass && <span className="isd-decision-break-glass"> (break-glass self-approval)</span>}
              {decision.comment && <span className="isd-decision-comment">: “{decision.comment}”</span>}
            </li>
          ))}
        </ul>
      )}

      {approval.evidenceStatus === 'pending' && <p className="isd-evidence-pending">Gathering evidence…</p>}
      {(approval.evidence ?? []).length > 0 && (
        <>
          <h5>Evidence</h5>
          <div className="isd-evidence">
            {approval.evidence.map((card, index) => (
              <EvidenceCardView key={index} card={card} />
            ))}
          </div>
        </>
      )}
    </>
  );
}

/** Props of EvidenceCardView. */
interface EvidenceCardViewProps {
  card: EvidenceCard;
}

function EvidenceCardView(props: EvidenceCardViewProps) {
  const { card } = props;
  const link = typeof card.data?.['url'] === 'string' ? (card.data['url'] as string) : undefined;
  return (
    <div className={`panel panel-default isd-evidence-card`} data-connector={card.connector} data-status={card.status}>
      <div className="panel-heading">
        <strong>{card.label ?? card.connector}</strong> <span className="isd-evidence-status">{card.status}</span>
      </div>
      <div className="panel-body">
        <p>{card.summary}</p>
        {card.error && <p className="text-danger isd-evidence-error">{card.error}</p>}
        {link && isSafeLink(link) && (
          <a href={link} target="_blank" rel="noopener noreferrer">
            Open
          </a>
        )}
      </div>
    </div>
  );
}

/** Props of DecisionForm. */
export interface DecisionFormProps {
  /** False when the user may only reject (e.g. they triggered the pipeline and self-approval is off). */
  canApprove: boolean;
  decide: (action: ApprovalAction, comment: string) => Promise<void>;
}

/** Comment and Approve / Reject buttons; shows why a decision was not recorded. */
export function DecisionForm(props: DecisionFormProps) {
  const [comment, setComment] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | undefined>();
  // A successful decision usually closes the gate, which unmounts this form before the promise settles.
  const mounted = React.useRef(true);
  React.useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const submit = (action: ApprovalAction) => {
    if (action === 'reject' && comment.trim() === '') {
      setError('A comment is required to reject.');
      return;
    }
    setBusy(true);
    setError(undefined);
    props.decide(action, comment.trim()).then(
      () => mounted.current && setBusy(false),
      (reason: unknown) => {
        if (!mounted.current) return;
        setBusy(false);
        setError(reason instanceof Error ? reason.message : String(reason));
      },
    );
  };

  return (
    <div className="isd-decision-form">
      <label htmlFor="isd-decision-comment">Comment</label>
      <textarea
        id="isd-decision-comment"
        className="form-control"
        rows={2}
        value={comment}
        onChange={(event) => setComment(event.target.value)}
        placeholder="Why (required to reject)"
      />
      {props.canApprove && (
        <>
          <button
            type="button"
            className="btn btn-sm btn-success isd-approve"
            disabled={busy}
            onClick={() => submit('approve')}
          >
            Approve
          </button>{' '}
        </>
      )}
      <button
        type="button"
        className="btn btn-sm btn-danger isd-reject"
        disabled={busy}
        onClick={() => submit('reject')}
      >
        Reject
      </button>
      {error && <ErrorNotice title="Decision not recorded:" message={error} />}
    </div>
  );
}

/** An ISO time as `YYYY-MM-DD hh:mm:ss UTC`; anything unparsable as it is. */
export function formatTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time)
    ? iso
    : new Date(time)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

/** Only http(s) links from evidence are rendered, so a connector cannot inject `javascript:` URLs. */
function isSafeLink(url: string): boolean {
  return /^https?:\/\//i.test(url);
}
