// The application's Verifications view: autopilot's metric and test verifications newest first in one
// list, a page at a time, with their scores over time per pipeline, and each metric run's report
// (interval scores, and per metric baseline vs canary over time) opened in place; a test run's HTML
// report opens in a new tab. The report's metric part is one component so log results can
// sit beside it later without changing it.
import React from 'react';

import { useSidecarClient } from '../api/client-context';
import type {
  ReportMetric,
  TestVerificationSummary,
  VerificationInterval,
  VerificationReport,
  VerificationStatus,
  VerificationSummary,
} from '../api/sidecar-shapes';
import { chartColors, LineChart } from '../common/charts';
import type { ChartRule, ChartSeries } from '../common/charts';
import { ErrorNotice, useLoadable } from '../common/components';
import { PageNav, useCursorPages } from '../common/paging';
import { formatTime } from '../stages/approval/ApprovalParts';
import { DetailsDropped } from '../stages/verification/DetailsDropped';
import { verdicts } from '../stages/verification/VerificationExecutionDetails';
import { loadMergedPage, type PageLoader } from './merged-pages';

/** Rows per page. */
export const VERIFICATIONS_PAGE_SIZE = 50;

const statuses: Array<VerificationStatus | ''> = ['', 'running', 'pass', 'marginal', 'fail', 'error', 'canceled'];

/** A row of the list: a metric verification (metrics and logs) or a test verification (JUnit/xUnit). */
export type VerificationListRow = (VerificationSummary & { kind: 'metric' }) | TestVerificationSummary;

type Kind = VerificationListRow['kind'];
const kindNames: Record<Kind, string> = { metric: 'metrics', test: 'tests' };

/** Props of VerificationsView; Deck passes the application of its application states. */
export interface VerificationsViewProps {
  app: { name: string };
}

/** Deck application view of autopilot's verifications. */
export function VerificationsView(props: VerificationsViewProps) {
  const client = useSidecarClient();
  // The pipeline typed is applied on Enter or Refresh, not on every keystroke.
  const [pipelineDraft, setPipelineDraft] = React.useState('');
  const [pipeline, setPipeline] = React.useState('');
  const [status, setStatus] = React.useState<VerificationStatus | ''>('');
  const [kind, setKind] = React.useState<Kind | ''>('');
  const [openId, setOpenId] = React.useState<string | undefined>();
  const filter = { application: props.app.name, pipeline: pipeline || undefined, status: status || undefined };
  const loaders: Record<Kind, PageLoader<VerificationListRow>> = {
    metric: async (cursor, limit) => {
      const page = await client.listVerifications({ ...filter, limit, cursor });
      return { ...page, items: page.items.map((row) => ({ ...row, kind: 'metric' as const })) };
    },
    test: (cursor, limit) => client.listTestVerifications({ ...filter, limit, cursor }),
  };
  const pages = useCursorPages(
    (cursor) =>
      loadMergedPage(kind ? [loaders[kind]] : [loaders.metric, loaders.test], VERIFICATIONS_PAGE_SIZE, cursor),
    JSON.stringify({ ...filter, kind }),
  );
  const rows = pages.page.state === 'loaded' ? pages.page.value.items : [];
  // Names offered in the pipeline filter: those seen so far (autopilot has no list of pipelines).
  const [knownPipelines, setKnownPipelines] = React.useState<string[]>([]);
  React.useEffect(() => {
    const names = rows.map((row) => row.pipelineName).filter((name): name is string => !!name);
    if (names.some((name) => !knownPipelines.includes(name)))
      setKnownPipelines([...new Set([...knownPipelines, ...names])].sort());
  }, [rows]);

  return (
    <div className="isd-verifications-view container-fluid">
      <h3>Verifications</h3>
      <form
        className="form-inline isd-filters"
        onSubmit={(event) => {
          event.preventDefault();
          if (pipelineDraft.trim() === pipeline) pages.reload();
          else setPipeline(pipelineDraft.trim());
        }}
      >
        <label>
          Pipeline{' '}
          <input
            className="form-control input-sm"
            aria-label="Pipeline"
            list="isd-verification-pipelines"
            placeholder="any"
            value={pipelineDraft}
            onChange={(event) => setPipelineDraft(event.target.value)}
          />
          <datalist id="isd-verification-pipelines">
            {knownPipelines.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </label>{' '}
        <label>
          Status{' '}
          <select
            className="form-control input-sm"
            aria-label="Status"
            value={status}
            onChange={(event) => setStatus(event.target.value as VerificationStatus | '')}
          >
            {statuses.map((value) => (
              <option key={value} value={value}>
                {value === '' ? 'any' : value}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Kind{' '}
          <select
            className="form-control input-sm"
            aria-label="Kind"
            value={kind}
            onChange={(event) => setKind(event.target.value as Kind | '')}
          >
            <option value="">any</option>
            <option value="metric">{kindNames.metric}</option>
            <option value="test">{kindNames.test}</option>
          </select>
        </label>{' '}
        <button type="submit" className="btn btn-sm btn-default">
          Refresh
        </button>
      </form>

      {pages.page.state === 'loading' && <p className="isd-loading">Loading verifications from autopilot…</p>}
      {pages.page.state === 'failed' && (
        <ErrorNotice title="Could not load verifications:" message={pages.page.error} />
      )}
      {pages.page.state === 'loaded' && rows.length === 0 && (
        <p className="isd-empty">
          No verifications{pipeline || status || kind ? ' match' : ' have run in this application yet'}.
        </p>
      )}
      {rows.length > 0 && (
        <>
          <ScoreHistory rows={rows} />
          <table className="table table-condensed isd-verifications-table">
            <thead>
              <tr>
                <th>Status</th>
                <th>Score</th>
                <th>Kind</th>
                <th>Pipeline</th>
                <th>Compared</th>
                <th>Started</th>
                <th>Finished</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <VerificationRow
                  key={row.id}
                  row={row}
                  open={openId === row.id}
                  toggle={() => setOpenId(openId === row.id ? undefined : row.id)}
                />
              ))}
            </tbody>
          </table>
        </>
      )}
      <PageNav label="Verification pages" pages={pages} />
    </div>
  );
}

/** The page's scores over time, one line per pipeline, with the pass and marginal thresholds. */
function ScoreHistory(props: { rows: VerificationListRow[] }) {
  // Metric and test scores of one pipeline are different gates: one line each.
  const byPipeline = new Map<string, VerificationListRow[]>();
  for (const row of props.rows) {
    const name = `${row.pipelineName ?? '(pipeline not recorded)'}${row.kind === 'test' ? ' (tests)' : ''}`;
    byPipeline.set(name, [...(byPipeline.get(name) ?? []), row]);
  }
  const series: ChartSeries[] = [...byPipeline.entries()].map(([name, rows], index) => ({
    name,
    color: chartColors[index % chartColors.length]!,
    points: rows.map((row) => ({ x: Date.parse(row.createdAt), y: row.score })),
  }));
  return (
    <LineChart
      title="Score over time (this page)"
      series={series}
      xKind="time"
      xLabel="Started (UTC)"
      yLabel="Score"
      yDomain={[0, 100]}
      rules={thresholdRules(props.rows[0]?.thresholds)}
    />
  );
}

function thresholdRules(thresholds: { pass?: number; marginal?: number } | undefined): ChartRule[] {
  const rules: ChartRule[] = [];
  if (typeof thresholds?.pass === 'number') rules.push({ value: thresholds.pass, label: 'pass', color: '#3c763d' });
  if (typeof thresholds?.marginal === 'number')
    rules.push({ value: thresholds.marginal, label: 'marginal', color: '#8a6d3b' });
  return rules;
}

function formatScore(score: number | null | undefined): string {
  if (typeof score !== 'number') return '–';
  return Number.isInteger(score) ? String(score) : score.toFixed(1);
}

function StatusLabel(props: { status: string }) {
  const verdict = verdicts[props.status] ?? { text: props.status, className: 'label-default' };
  return (
    <span className={`label ${verdict.className} isd-status`} data-status={props.status}>
      {verdict.text}
    </span>
  );
}

/** What a run compared: the metric template, or the canary's test runs. */
function compared(row: VerificationListRow): string {
  if (row.kind === 'metric')
    return `${row.template.name}${row.template.version !== null ? ` v${row.template.version}` : ''}`;
  return row.canaryRuns.map((run) => run.label).join(', ');
}

function VerificationRow(props: { row: VerificationListRow; open: boolean; toggle: () => void }) {
  const { row } = props;
  const client = useSidecarClient();
  const name = `${row.pipelineName ?? 'verification'} started ${formatTime(row.createdAt)}`;
  return (
    <>
      <tr className="isd-verification-row" data-id={row.id} data-kind={row.kind}>
        <td>
          <StatusLabel status={row.status} />
        </td>
        <td>{formatScore(row.score)}</td>
        <td>{kindNames[row.kind]}</td>
        <td>{row.pipelineName ?? ''}</td>
        <td>{compared(row)}</td>
        <td>{formatTime(row.createdAt)}</td>
        <td>{row.finishedAt ? formatTime(row.finishedAt) : ''}</td>
        <td>
          {row.kind === 'test' ? (
            // autopilot's own HTML page (through Gate's proxy): the whole comparison, every finding.
            <a
              className="btn btn-xs btn-default isd-report-link"
              href={client.proxyUrl('autopilot', `/api/v1/test-verifications/${encodeURIComponent(row.id)}/report`)}
              target="_blank"
              rel="noopener noreferrer"
              aria-label={`Open the test report of ${name}`}
            >
              Report
            </a>
          ) : (
            <button
              type="button"
              className="btn btn-xs btn-default"
              aria-expanded={props.open}
              aria-label={`${props.open ? 'Hide' : 'Show'} report of ${name}`}
              onClick={props.toggle}
            >
              {props.open ? 'Hide' : 'Report'}
            </button>
          )}
        </td>
      </tr>
      {props.open && row.kind === 'metric' && (
        <tr className="isd-verification-report-row">
          <td colSpan={8}>
            <VerificationReportPanel id={row.id} />
          </td>
        </tr>
      )}
    </>
  );
}

/** One verification's report from autopilot, drawn in Deck. */
export function VerificationReportPanel(props: { id: string }) {
  const client = useSidecarClient();
  const [report] = useLoadable(() => client.getVerificationReport(props.id), props.id);
  if (report.state === 'loading') return <p className="isd-loading">Loading the report…</p>;
  if (report.state === 'failed') return <ErrorNotice title="Could not load the report:" message={report.error} />;
  const value: VerificationReport = report.value;
  return (
    <div className="isd-verification-report">
      <p>
        <StatusLabel status={value.status} /> <strong>Score {formatScore(value.score)}</strong>{' '}
        {value.verdict && <span className="isd-verdict">{value.verdict}</span>}
      </p>
      {value.reason && <p className="isd-verdict-reason">{value.reason}</p>}
      {value.error && <ErrorNotice title="Verification error:" message={value.error} />}
      <DetailsDropped report={value} />
      <IntervalScores intervals={value.intervals ?? []} thresholds={value.thresholds} />
      <MetricReports metrics={value.metrics ?? []} />
    </div>
  );
}

function IntervalScores(props: { intervals: VerificationInterval[]; thresholds?: { pass: number; marginal: number } }) {
  const points = props.intervals.map((interval, position) => ({
    x: (interval.index ?? position) + 1,
    y: typeof interval.score === 'number' ? interval.score : null,
  }));
  return (
    <LineChart
      title="Score per interval"
      series={[{ name: 'score', color: chartColors[0]!, points }]}
      xKind="number"
      xLabel="Interval"
      yLabel="Score"
      yDomain={[0, 100]}
      // Every interval has a place on the axis, also those not judged (yet).
      xDomain={[1, Math.max(points.length, 2)]}
      rules={thresholdRules(props.thresholds)}
      height={180}
    />
  );
}

/** The metric part of a report: per metric, its classification and baseline vs canary over time. */
export function MetricReports(props: { metrics: ReportMetric[] }) {
  if (props.metrics.length === 0) return <p className="isd-empty">No metric has been judged yet.</p>;
  return (
    <div className="isd-metric-reports">
      <h5>Metrics</h5>
      {props.metrics.map((metric) => (
        <section key={metric.name} className="isd-metric-report" data-classification={metric.classification}>
          <h6>
            {metric.name} <span className="label label-default">{metric.classification}</span>
            {metric.critical ? <span className="label label-danger">critical</span> : null}
          </h6>
          {metric.reason && <p className="isd-metric-reason">{metric.reason}</p>}
          {(metric.problems ?? []).map((problem) => (
            <p key={problem} className="text-warning isd-metric-problem">
              {problem}
            </p>
          ))}
          <LineChart
            title={`${metric.name}: baseline vs canary`}
            series={[
              { name: 'baseline', color: chartColors[0]!, points: seriesPoints(metric.baselineSeries) },
              { name: 'canary', color: chartColors[1]!, points: seriesPoints(metric.canarySeries), dashed: true },
            ]}
            xKind="time"
            xLabel="Time (UTC)"
            yLabel={metric.name}
            unit={metric.unit}
            height={200}
          />
        </section>
      ))}
    </div>
  );
}

function seriesPoints(series: ReportMetric['baselineSeries'] | undefined): Array<{ x: number; y: number | null }> {
  const times = series?.timestampsMs ?? [];
  const values = series?.values ?? [];
  return times.map((time, index) => ({ x: time, y: values[index] ?? null }));
}
