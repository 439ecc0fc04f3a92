// Execution view of the test verification gate: verdict and score, what cost points, the new failures,
// flaky and slower tests with their durations, the suite time of every run as a chart, and a link to
// autopilot's full JSON report.
import React from 'react';
import { ExecutionDetailsSection } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import { useSidecarClient } from '../../api/client-context';
import type { TestFinding, TestSideTally, TestVerificationResult } from '../../api/sidecar-shapes';
import { chartColors, LineChart } from '../../common/charts';
import { ErrorNotice } from '../../common/components';
import { webhookError } from '../../common/stage-context';
import { useGateInstance } from '../../common/useGateInstance';
import { verdicts } from '../verification/VerificationExecutionDetails';

/** Deck execution details section for the ISD test verification gate. */
export function TestVerificationExecutionDetails(props: IExecutionDetailsSectionProps) {
  return (
    <ExecutionDetailsSection name={props.name} current={props.current}>
      <TestVerificationDetails {...props} />
    </ExecutionDetailsSection>
  );
}
TestVerificationExecutionDetails.title = 'testVerification';

function TestVerificationDetails(props: IExecutionDetailsSectionProps) {
  const client = useSidecarClient();
  const gate = useGateInstance<TestVerificationResult>(props.stage, (id) => client.getTestVerification(id));
  const result = gate.instance;
  const orcaError = webhookError(props.stage);
  if (!result) {
    return (
      <div className="isd-test-verification-details" data-refreshing={gate.refreshing}>
        {orcaError ? (
          <ErrorNotice title="The test verification could not be started:" message={orcaError} />
        ) : (
          <p className="isd-empty">The test verification has not started yet.</p>
        )}
        {gate.refreshError && (
          <ErrorNotice title="Could not load the test verification from autopilot:" message={gate.refreshError} />
        )}
      </div>
    );
  }
  const verdict = verdicts[result.status] ?? { text: String(result.status ?? 'unknown'), className: 'label-default' };
  const running = result.status === 'running';
  const reportUrl =
    result.reportUrl && result.reportUrl.startsWith('/') && !result.reportUrl.startsWith('//')
      ? client.proxyUrl('autopilot', result.reportUrl)
      : undefined;
  return (
    <div className="isd-test-verification-details" data-refreshing={gate.refreshing}>
      <div className="isd-status-line">
        <span className={`label ${verdict.className} isd-status`} data-status={result.status}>
          {running ? 'Reading test results' : verdict.text}
        </span>
        {typeof result.score === 'number' && <span className="isd-score"> Score {result.score}</span>}{' '}
        {reportUrl && !running && (
          <a className="isd-report-link" href={reportUrl} target="_blank" rel="noopener noreferrer">
            Full report
          </a>
        )}
      </div>
      {gate.refreshError && (
        <ErrorNotice title="Showing Orca's last copy; autopilot could not be reached:" message={gate.refreshError} />
      )}
      {result.error && <ErrorNotice title="Test verification error:" message={result.error} />}
      {result.reason && <p className="isd-verdict-reason">{result.reason}</p>}
      {result.counts && <Counts result={result} />}
      {(result.penalties ?? []).length > 0 && (
        <ul className="isd-penalties">
          {result.penalties!.map((penalty) => (
            <li key={penalty.rule}>
              {penalty.count} × {penalty.rule}: −{penalty.points}
            </li>
          ))}
        </ul>
      )}
      <FindingsTable
        title="New failures"
        className="isd-new-failures"
        findings={result.newFailures ?? []}
        total={result.counts?.newFailures}
        columns={['Test', 'Message', 'Baseline', 'Canary']}
        row={(finding) => [finding.name, finding.message ?? '', tally(finding.baseline), tally(finding.canary)]}
      />
      <FindingsTable
        title="Flaky tests"
        className="isd-flaky"
        findings={result.flaky ?? []}
        total={result.counts?.flaky}
        columns={['Test', 'Canary', 'Baseline', '']}
        row={(finding) => [
          finding.name,
          tally(finding.canary),
          tally(finding.baseline),
          finding.newlyFlaky ? 'newly flaky' : 'flaky before',
        ]}
      />
      <SlowerTable result={result} />
      <FindingsTable
        title="Missing from the canary"
        className="isd-missing"
        findings={result.missing ?? []}
        total={result.counts?.missing}
        columns={['Test', 'Baseline']}
        row={(finding) => [finding.name, tally(finding.baseline)]}
      />
      <SuiteChart result={result} />
    </div>
  );
}

function Counts(props: { result: TestVerificationResult }) {
  const counts = props.result.counts!;
  const items: Array<[string, number]> = [
    ['new failures', counts.newFailures],
    ['flaky', counts.flaky],
    ['slower', counts.slower],
    ['missing', counts.missing],
    ['newly skipped', counts.newlySkipped],
    ['still failing', counts.stillFailing],
    ['fixed', counts.fixed],
    ['new tests', counts.newTests],
  ];
  return (
    <p className="isd-test-counts">
      {props.result.canary?.tests ?? 0} canary tests against {props.result.baseline?.tests ?? 0} baseline tests:{' '}
      {items.map(([label, count], index) => (
        <span key={label} data-count={label}>
          {index > 0 && ' · '}
          {count} {label}
        </span>
      ))}
    </p>
  );
}

interface FindingsTableProps {
  title: string;
  className: string;
  findings: TestFinding[];
  total: number | undefined;
  columns: string[];
  row: (finding: TestFinding) => string[];
}

function FindingsTable(props: FindingsTableProps) {
  if (props.findings.length === 0) return null;
  return (
    <>
      <h5>
        {props.title} <Shown shown={props.findings.length} total={props.total} />
      </h5>
      <table className={`table table-condensed ${props.className}`}>
        <thead>
          <tr>
            {props.columns.map((column, index) => (
              <th key={index}>{column}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.findings.map((finding) => (
            <tr key={finding.id} title={finding.id}>
              {props.row(finding).map((cell, index) => (
                <td key={index}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function SlowerTable(props: { result: TestVerificationResult }) {
  const slower = props.result.slower ?? [];
  if (slower.length === 0) return null;
  return (
    <>
      <h5>
        Slower tests <Shown shown={slower.length} total={props.result.counts?.slower} />
      </h5>
      <table className="table table-condensed isd-slower">
        <thead>
          <tr>
            <th>Test</th>
            <th>Baseline</th>
            <th>Canary</th>
            <th>Ratio</th>
          </tr>
        </thead>
        <tbody>
          {slower.map((test) => (
            <tr key={test.id} title={test.id}>
              <td>{test.id.split('.').pop()}</td>
              <td>{formatMs(test.baselineMs)}</td>
              <td>{formatMs(test.canaryMs)}</td>
              <td>{test.ratio === null ? '—' : `${test.ratio}×`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** "(first 20 of 312)" when the monitor body carries only the first entries. */
function Shown(props: { shown: number; total: number | undefined }) {
  if (props.total === undefined || props.total <= props.shown) return <small>({props.shown})</small>;
  return (
    <small>
      (first {props.shown} of {props.total}; all in the full report)
    </small>
  );
}

/** The suite time of each run, baseline and canary side by side: a regression stands out from run noise. */
function SuiteChart(props: { result: TestVerificationResult }) {
  const baseline = props.result.baseline?.runs ?? [];
  const canary = props.result.canary?.runs ?? [];
  if (baseline.length + canary.length === 0) return null;
  const points = (runs: typeof baseline) => runs.map((run, index) => ({ x: index + 1, y: run.durationMs / 1000 }));
  const suite = props.result.suite;
  return (
    <div className="isd-suite-chart">
      <LineChart
        title="Test time of each run"
        xKind="number"
        xLabel="run"
        yLabel="test time"
        unit="s"
        yFromZero
        width={480}
        height={200}
        series={[
          { name: 'baseline', color: chartColors[0]!, points: points(baseline) },
          { name: 'canary', color: chartColors[1]!, points: points(canary), dashed: true },
        ]}
      />
      {suite && suite.tests > 0 && (
        <p className="isd-suite-totals" data-slower={suite.slower}>
          Tests run on both sides took {formatMs(suite.baselineMs)} (baseline) and {formatMs(suite.canaryMs)} (canary)
          {suite.ratio === null ? '' : `, ${suite.ratio}×`}
          {suite.slower ? ': the suite is slower.' : '.'}
        </p>
      )}
    </div>
  );
}

function tally(side: TestSideTally): string {
  if (side.status === 'absent') return 'not run';
  const parts = [
    side.passed ? `${side.passed} passed` : '',
    side.failed ? `${side.failed} failed` : '',
    side.skipped ? `${side.skipped} skipped` : '',
  ].filter(Boolean);
  return parts.join(', ');
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${Math.round(ms)} ms`;
}
