// The Logs section of the verification execution view: each log template's clusters from autopilot's
// JSON report (template, examples, baseline vs canary counts, classification, score impact, marks) and
// buttons to mark a cluster for later runs of the application, sent through Gate as the logged-in user.
import React from 'react';

import { useSidecarClient } from '../../api/client-context';
import type { LogMarkKind, ReportLogCluster, ReportLogs, VerificationReport } from '../../api/sidecar-shapes';
import { ErrorNotice } from '../../common/components';
import { DetailsDropped } from './DetailsDropped';

/** The marks offered, with what each does to later runs (shown as the button's title). */
export const logMarks: Array<{ mark: LogMarkKind; text: string; effect: string }> = [
  { mark: 'expected', text: 'Mark expected', effect: 'Later runs do not count this cluster against the canary.' },
  { mark: 'ignorable', text: 'Mark ignorable', effect: 'Later runs ignore this cluster.' },
  { mark: 'critical', text: 'Mark critical', effect: 'Later runs fail when this cluster appears or grows.' },
];

/** Props of LogClusters. */
export interface LogClustersProps {
  verificationId: string;
  /** The application whose marks a click sets. */
  application: string;
  /** The verification's status: a change (e.g. a new window judged) reloads the report. */
  status: string | undefined;
}

type ReportState = { report?: VerificationReport; error?: string; loading: boolean };

/** Loads the report's `logs[]` and lists the clusters; reloads after a mark so the list shows it. */
export function LogClusters(props: LogClustersProps) {
  const client = useSidecarClient();
  const [state, setState] = React.useState<ReportState>({ loading: true });
  const [reloads, setReloads] = React.useState(0);

  React.useEffect(() => {
    let active = true;
    // The last report stays on screen while the next one loads, so marking does not blank the list.
    setState((previous) => ({ ...previous, loading: true }));
    client.getVerificationReport(props.verificationId).then(
      (report) => active && setState({ report, loading: false }),
      (error: unknown) => active && setState((previous) => ({ ...previous, error: messageOf(error), loading: false })),
    );
    return () => {
      active = false;
    };
    // `client` is stable for the view's life; the id, status and reload count say when to ask again.
  }, [props.verificationId, props.status, reloads]);

  const logs = state.report?.logs ?? [];
  return (
    <div className="isd-logs" data-loading={state.loading}>
      <h5>Logs</h5>
      {state.error && <ErrorNotice title="Could not load the log analysis from autopilot:" message={state.error} />}
      {state.report && logs.length === 0 && <p className="isd-no-logs">No log window has been analysed yet.</p>}
      {!state.report && state.loading && <p className="isd-loading">Loading the log analysis…</p>}
      {state.report && <DetailsDropped report={state.report} />}
      {logs.map((entry) => (
        <LogTemplateResult
          key={`${entry.template.name}@${String(entry.template.version)}`}
          logs={entry}
          application={props.application}
          onMarked={() => setReloads((n) => n + 1)}
        />
      ))}
    </div>
  );
}

interface LogTemplateResultProps {
  logs: ReportLogs;
  application: string;
  onMarked: () => void;
}

function LogTemplateResult(props: LogTemplateResultProps) {
  const { logs } = props;
  const version = logs.template.version === null ? '' : ` v${logs.template.version}`;
  const shown = logs.clusters.length;
  return (
    <section className="isd-log-template" aria-label={`Log template ${logs.template.name}`}>
      <div className="isd-log-summary">
        <strong>
          {logs.template.name}
          {version}
        </strong>
        {typeof logs.score === 'number' && <span className="isd-log-score"> Log score {formatNumber(logs.score)}</span>}
        {logs.failed && <span className="label label-danger"> fails the run</span>}
        {typeof logs.baselineEvents === 'number' && typeof logs.canaryEvents === 'number' && (
          <span className="isd-log-events">
            {' '}
            ({logs.baselineEvents} baseline / {logs.canaryEvents} canary events)
          </span>
        )}
      </div>
      {(logs.reasons ?? []).length > 0 && (
        <ul className="isd-log-reasons">
          {(logs.reasons ?? []).map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
      {typeof logs.clusterCount === 'number' && logs.clusterCount > shown && (
        <p className="isd-log-more">
          Showing {shown} of {logs.clusterCount} clusters (all that cost points); the full report has the rest.
        </p>
      )}
      {shown === 0 ? (
        <p className="isd-no-clusters">No log cluster was found.</p>
      ) : (
        <ol className="isd-log-clusters list-unstyled">
          {logs.clusters.map((cluster) => (
            <ClusterItem
              key={cluster.clusterKey}
              cluster={cluster}
              application={props.application}
              onMarked={props.onMarked}
            />
          ))}
        </ol>
      )}
    </section>
  );
}

interface ClusterItemProps {
  cluster: ReportLogCluster;
  application: string;
  onMarked: () => void;
}

const classificationClass: Record<string, string> = {
  critical: 'label-danger',
  unexpected: 'label-warning',
  expected: 'label-success',
  ignored: 'label-default',
  baseline: 'label-info',
};

function ClusterItem(props: ClusterItemProps) {
  const client = useSidecarClient();
  const { cluster } = props;
  const [saving, setSaving] = React.useState<LogMarkKind | undefined>();
  const [error, setError] = React.useState<string | undefined>();
  const current = cluster.currentMark ?? undefined;

  const mark = (kind: LogMarkKind) => {
    setSaving(kind);
    setError(undefined);
    client.markLogCluster(props.application, cluster.clusterKey, kind, cluster.template).then(
      () => {
        setSaving(undefined);
        props.onMarked();
      },
      (failure: unknown) => {
        setSaving(undefined);
        setError(messageOf(failure));
      },
    );
  };

  const titleId = `isd-cluster-${cluster.clusterKey}`;
  return (
    <li
      className="isd-log-cluster"
      style={{ marginBottom: 12 }}
      data-cluster-key={cluster.clusterKey}
      data-classification={cluster.classification}
    >
      <div>
        <span className={`label ${classificationClass[cluster.classification] ?? 'label-default'} isd-classification`}>
          {cluster.classification}
        </span>{' '}
        <code id={titleId} className="isd-cluster-template">
          {cluster.template}
        </code>
      </div>
      <div className="isd-cluster-counts">
        Baseline <span className="isd-baseline-count">{cluster.baselineCount}</span> · Canary{' '}
        <span className="isd-canary-count">{cluster.canaryCount}</span>
        {cluster.scoreImpact !== undefined && (
          <span className="isd-score-impact"> · Score impact {impactText(cluster.scoreImpact)}</span>
        )}
      </div>
      <Examples title="Canary examples" lines={cluster.examples?.canary ?? []} />
      <Examples title="Baseline examples" lines={cluster.examples?.baseline ?? []} />
      {current && (
        <p className="isd-current-mark">
          Marked {current.mark} by {current.markedBy} at {current.markedAt}
          {current.comment ? `: ${current.comment}` : ''}
          {cluster.mark !== current.mark ? ' (applies from the next window)' : ''}
        </p>
      )}
      {!current && cluster.mark && (
        <p className="isd-applied-mark">Analysed as marked {cluster.mark}; the mark has since been removed.</p>
      )}
      <div className="btn-group isd-mark-buttons" role="group" aria-labelledby={titleId}>
        {logMarks.map((option) => (
          <button
            key={option.mark}
            type="button"
            className={`btn btn-xs ${current?.mark === option.mark ? 'btn-primary' : 'btn-default'}`}
            title={option.effect}
            aria-pressed={current?.mark === option.mark}
            disabled={saving !== undefined}
            onClick={() => mark(option.mark)}
          >
            {saving === option.mark ? 'Saving…' : option.text}
          </button>
        ))}
      </div>
      {error && <ErrorNotice title="Could not mark the cluster:" message={error} />}
    </li>
  );
}

function Examples(props: { title: string; lines: string[] }) {
  if (props.lines.length === 0) return null;
  // <details> opens with Enter or Space from the keyboard, and keeps long stack traces folded.
  return (
    <details className="isd-cluster-examples">
      <summary>
        {props.title} ({props.lines.length})
      </summary>
      {props.lines.map((line, index) => (
        <pre key={index}>{line}</pre>
      ))}
    </details>
  );
}

function impactText(impact: number | string): string {
  if (typeof impact !== 'number') return impact;
  return impact === 0 ? 'none' : `−${formatNumber(impact)} points`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
