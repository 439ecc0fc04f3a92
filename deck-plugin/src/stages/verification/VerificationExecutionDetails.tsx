// Execution view of the verification gate: score over intervals, verdict, per-metric table, the log
// clusters with their marks (when the stage reads logs) and a link to autopilot's full report.
import React from 'react';
import { ExecutionDetailsSection } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import { useSidecarClient } from '../../api/client-context';
import type { VerificationInterval, VerificationResult } from '../../api/sidecar-shapes';
import { ErrorNotice } from '../../common/components';
import { gateId, webhookError } from '../../common/stage-context';
import { useGateInstance } from '../../common/useGateInstance';
import { isRecord } from '../../stage-values';
import { LogClusters } from './LogClusters';

/** Label text and Bootstrap class of each verification status. */
export const verdicts: Record<string, { text: string; className: string }> = {
  running: { text: 'Analysis running', className: 'label-info' },
  pass: { text: 'Pass', className: 'label-success' },
  marginal: { text: 'Marginal', className: 'label-warning' },
  fail: { text: 'Fail', className: 'label-danger' },
  error: { text: 'Error', className: 'label-danger' },
  canceled: { text: 'Canceled', className: 'label-default' },
};

/** Deck execution details section for the ISD verification gate. */
export function VerificationExecutionDetails(props: IExecutionDetailsSectionProps) {
  return (
    <ExecutionDetailsSection name={props.name} current={props.current}>
      <VerificationDetails {...props} />
    </ExecutionDetailsSection>
  );
}
VerificationExecutionDetails.title = 'verification';

function VerificationDetails(props: IExecutionDetailsSectionProps) {
  const client = useSidecarClient();
  const gate = useGateInstance<VerificationResult>(props.stage, (id) => client.getVerification(id));
  const result = gate.instance;
  const orcaError = webhookError(props.stage);

  if (!result) {
    return (
      <div className="isd-verification-details" data-refreshing={gate.refreshing}>
        {orcaError ? (
          <ErrorNotice title="The verification could not be started:" message={orcaError} />
        ) : (
          <p className="isd-empty">The verification has not started yet.</p>
        )}
        {gate.refreshError && (
          <ErrorNotice title="Could not load the verification from autopilot:" message={gate.refreshError} />
        )}
      </div>
    );
  }

  const verdict = verdicts[result.status] ?? { text: result.status ?? 'unknown', className: 'label-default' };
  // The sidecar's own thresholds (what it judged with) win over the stage's configured ones.
  const configured = (
    props.stage.context?.['parameterValues'] as { thresholds?: { pass?: number; marginal?: number } } | undefined
  )?.thresholds;
  const thresholds = result.thresholds ?? configured;
  const logsId = result.id || gateId(props.stage);
  const reportUrl = reportLink(result.reportUrl, client.proxyUrl('autopilot', result.reportUrl ?? ''));
  return (
    <div className="isd-verification-details" data-refreshing={gate.refreshing}>
      <div className="isd-status-line">
        <span className={`label ${verdict.className} isd-status`} data-status={result.status}>
          {verdict.text}
        </span>
        {typeof result.score === 'number' && <span className="isd-score"> Score {formatScore(result.score)}</span>}{' '}
        {reportUrl && (
          <a className="isd-report-link" href={reportUrl} target="_blank" rel="noopener noreferrer">
            Full report
          </a>
        )}
      </div>
      {gate.refreshError && (
        <ErrorNotice title="Showing Orca's last copy; autopilot could not be reached:" message={gate.refreshError} />
      )}
      {result.error && <ErrorNotice title="Verification error:" message={result.error} />}
      {result.reason && <p className="isd-verdict-reason">{result.reason}</p>}

      <h5>Score over intervals</h5>
      <ScoreChart intervals={result.intervals ?? []} pass={thresholds?.pass} marginal={thresholds?.marginal} />

      <h5>Metrics</h5>
      {(result.metrics ?? []).length === 0 ? (
        <p className="isd-no-metrics">
          {result.template === null ? 'This verification reads logs only.' : 'No metric results yet.'}
        </p>
      ) : (
        <table className="table table-condensed isd-metrics">
          <thead>
            <tr>
              <th>Metric</th>
              <th>Classification</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {result.metrics.map((metric) => (
              <tr key={metric.name} data-classification={metric.classification}>
                <td>{metric.name}</td>
                <td>{metric.classification}</td>
                <td>{metric.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {readsLogs(result, props.stage.context) && logsId && (
        <LogClusters verificationId={logsId} application={applicationOf(props)} status={result.status} />
      )}
    </div>
  );
}

/** Whether the verification reads logs: autopilot says so in its body, else the stage asked for a log template. */
function readsLogs(result: VerificationResult, context: Record<string, unknown> | undefined): boolean {
  if (result.logTemplate) return true;
  const parameters = context?.['parameterValues'];
  return isRecord(parameters) && Boolean(parameters['logTemplate']);
}

/** The application of the execution (marks are per application). */
function applicationOf(props: IExecutionDetailsSectionProps): string {
  const fromExecution = (props.execution as { application?: unknown } | undefined)?.application;
  return typeof fromExecution === 'string' && fromExecution !== '' ? fromExecution : props.application.name;
}

/** Props of ScoreChart. */
interface ScoreChartProps {
  intervals: VerificationInterval[];
  pass?: number;
  marginal?: number;
}

const chart = { width: 360, height: 140, padding: 24 };

/** The score of each finished interval as a line on a 0–100 scale, with the thresholds drawn across. */
function ScoreChart(props: ScoreChartProps) {
  const scored = props.intervals
    .map((interval, index) => ({ index, score: interval.score }))
    .filter((point): point is { index: number; score: number } => typeof point.score === 'number');
  if (scored.length === 0) return <p className="isd-no-intervals">No interval has been scored yet.</p>;
  const count = Math.max(props.intervals.length, 2);
  const x = (index: number) => chart.padding + (index * (chart.width - 2 * chart.padding)) / (count - 1);
  const y = (score: number) => chart.height - chart.padding - (score / 100) * (chart.height - 2 * chart.padding);
  const points = scored.map((point) => `${x(point.index).toFixed(1)},${y(point.score).toFixed(1)}`).join(' ');
  return (
    <div className="isd-score-chart">
      <svg width={chart.width} height={chart.height} role="img" aria-label="Score over intervals">
        <rect
          x={chart.padding}
          y={chart.padding}
          width={chart.width - 2 * chart.padding}
          height={chart.height - 2 * chart.padding}
          fill="none"
          stroke="#ddd"
        />
        {[0, 100].map((score) => (
          <text key={score} x={chart.padding - 4} y={y(score) + 4} fontSize={10} textAnchor="end" fill="#777">
            {score}
          </text>
        ))}
        {[props.pass, props.marginal].map(
          (threshold, index) =>
            typeof threshold === 'number' && (
              <line
                key={index}
                x1={chart.padding}
                x2={chart.width - chart.padding}
                y1={y(threshold)}
                y2={y(threshold)}
                stroke={index === 0 ? '#2e7d32' : '#f9a825'}
                strokeDasharray="4 3"
              />
            ),
        )}
        <polyline points={points} fill="none" stroke="#1565c0" strokeWidth={2} />
        {scored.map((point) => (
          <circle key={point.index} cx={x(point.index)} cy={y(point.score)} r={3} fill="#1565c0">
            <title>{`Interval ${point.index + 1}: ${formatScore(point.score)}`}</title>
          </circle>
        ))}
      </svg>
      <ol className="isd-interval-scores">
        {props.intervals.map((interval, index) => (
          <li key={index}>
            {typeof interval.score === 'number' ? formatScore(interval.score) : (interval.status ?? 'pending')}
          </li>
        ))}
      </ol>
    </div>
  );
}

function formatScore(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(1);
}

/**
 * Where "Full report" points: an absolute http(s) URL as given, a path (relative to autopilot) through
 * Gate's proxy, anything else (e.g. `javascript:`) not at all.
 */
function reportLink(reportUrl: string | undefined, proxied: string): string | undefined {
  if (!reportUrl) return undefined;
  if (/^https?:\/\//i.test(reportUrl)) return reportUrl;
  if (reportUrl.startsWith('/') && !reportUrl.startsWith('//')) return proxied;
  return undefined;
}
