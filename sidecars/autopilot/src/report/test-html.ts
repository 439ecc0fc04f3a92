// The test verification report as one self-contained HTML page, in the style of the metric report:
// inline CSS, a hand-drawn SVG duration chart, no script, every value HTML-escaped (test names and
// failure messages come from the builds under test, so an attacker may write them).
import type { SlowerTest, TestComparison, TestFinding } from '../test-verification/compare';
import { BASELINE_COLOR, CANARY_COLOR, escapeHtml, formatNumber, scale, STATUS_COLORS, verdictStyles } from './html';

/** What the page shows: the verification's summary and its comparison (null while running or on error). */
export interface TestReportPage {
  id: string;
  status: string;
  score: number | null;
  reason: string | null;
  error?: string;
  application: string;
  pipelineName: string | null;
  executionId: string;
  thresholds: { pass: number; marginal: number };
  baselineRuns: Array<{ kind: string; label: string }>;
  canaryRuns: Array<{ kind: string; label: string }>;
  createdAt: string;
  finishedAt: string | null;
  report: TestComparison | null;
}

/** Bars drawn at most: the chart is an overview, the table below lists them all. */
const CHART_TESTS = 20;
/** Characters of a failure message shown; the JSON form has the whole text. */
const MESSAGE_CHARS = 2_000;

function milliseconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  return value >= 1000 ? `${formatNumber(value / 1000)} s` : `${formatNumber(value)} ms`;
}

function message(text: string | null): string {
  if (!text) return '<span class="empty">no message</span>';
  const shown = text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS)}… (${text.length} characters)` : text;
  return `<pre>${escapeHtml(shown)}</pre>`;
}

function tally(side: TestFinding['baseline']): string {
  const parts = [`${side.status}`];
  if (side.passed + side.failed + side.skipped > 1)
    parts.push(`${side.passed} passed, ${side.failed} failed, ${side.skipped} skipped`);
  if (side.medianMs !== null) parts.push(milliseconds(side.medianMs));
  return escapeHtml(parts.join(' · '));
}

/** A table of findings: test, suite, both sides' outcomes and (optionally) the message. */
function findingTable(
  kind: string,
  title: string,
  findings: TestFinding[],
  total: number,
  withMessage: boolean,
  note = '',
): string {
  const heading = `<h2 id="${kind}">${escapeHtml(title)} <span class="count">${total}</span></h2>${note}`;
  if (total === 0) return `${heading}<p class="empty">None.</p>`;
  const rows = findings
    .map(
      (finding) =>
        `<tr data-test="${escapeHtml(finding.id)}"><td><code>${escapeHtml(finding.name)}</code><br><small>${escapeHtml(finding.suite)}</small></td><td>${tally(finding.baseline)}</td><td>${tally(finding.canary)}</td>${withMessage ? `<td>${message(finding.message)}</td>` : ''}</tr>`,
    )
    .join('');
  const omitted =
    total > findings.length
      ? `<p class="empty">${total - findings.length} more not listed (the counts are complete).</p>`
      : '';
  return `${heading}<table class="findings ${kind}"><tr><th>test</th><th>baseline</th><th>canary</th>${withMessage ? '<th>message</th>' : ''}</tr>${rows}</table>${omitted}`;
}

/** Paired horizontal bars: each slower test's baseline and canary median, on one shared axis. */
export function durationChart(slower: SlowerTest[]): string {
  const tests = slower.slice(0, CHART_TESTS);
  if (tests.length === 0) return '';
  const width = 520;
  const row = 22;
  const pad = { left: 10, right: 70, top: 6, bottom: 6 };
  const height = pad.top + pad.bottom + tests.length * row;
  const longest = Math.max(1, ...tests.flatMap((test) => [test.baselineMs, test.canaryMs]));
  const x = scale(0, longest, pad.left, width - pad.right);
  const bars = tests
    .map((test, i) => {
      const top = pad.top + i * row;
      const bar = (ms: number, y: number, color: string, side: string) =>
        `<rect x="${pad.left}" y="${y}" width="${Math.max(1, x(ms) - pad.left).toFixed(1)}" height="8" fill="${color}" data-side="${side}"><title>${escapeHtml(test.id)} ${side} ${escapeHtml(milliseconds(ms))}</title></rect>`;
      return `<g data-test="${escapeHtml(test.id)}">${bar(test.baselineMs, top, BASELINE_COLOR, 'baseline')}${bar(test.canaryMs, top + 9, CANARY_COLOR, 'canary')}<text x="${(x(Math.max(test.baselineMs, test.canaryMs)) + 4).toFixed(1)}" y="${top + 14}">${test.ratio === null ? 'from 0 ms' : `×${escapeHtml(formatNumber(test.ratio))}`}</text></g>`;
    })
    .join('');
  return `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Median duration of the slower tests, baseline and canary">${bars}</svg>`;
}

function slowerTable(report: TestComparison): string {
  const { slower, counts, suite, durationRule } = report;
  const rule = `<p>A test is slower when its canary median is ≥ ${formatNumber(durationRule.ratio)}× its baseline median and ≥ ${durationRule.minIncreaseMs} ms longer; the suite when its total is ≥ ${formatNumber(durationRule.suiteRatio)}× and ≥ ${durationRule.suiteMinIncreaseMs} ms longer.</p>
<p class="suite${suite.slower ? ' regression' : ''}">Suite (${suite.tests} tests run on both sides): baseline ${escapeHtml(milliseconds(suite.baselineMs))} → canary ${escapeHtml(milliseconds(suite.canaryMs))}${suite.ratio === null ? '' : ` (×${escapeHtml(formatNumber(suite.ratio))})`}${suite.slower ? ' — slower' : ''}</p>`;
  const heading = `<h2 id="slower">Slower tests <span class="count">${counts.slower}</span></h2>${rule}`;
  if (counts.slower === 0) return `${heading}<p class="empty">None.</p>`;
  const legend = `<p class="legend"><span><i style="background:${BASELINE_COLOR}"></i>baseline</span><span><i style="background:${CANARY_COLOR}"></i>canary</span>${slower.length > CHART_TESTS ? ` (the first ${CHART_TESTS} drawn)` : ''}</p>`;
  const rows = slower
    .map(
      (test) =>
        `<tr data-test="${escapeHtml(test.id)}"><td><code>${escapeHtml(test.id)}</code></td><td>${escapeHtml(milliseconds(test.baselineMs))}</td><td>${escapeHtml(milliseconds(test.canaryMs))}</td><td>${test.ratio === null ? 'n/a' : `×${escapeHtml(formatNumber(test.ratio))}`}</td></tr>`,
    )
    .join('');
  const omitted =
    counts.slower > slower.length
      ? `<p class="empty">${counts.slower - slower.length} more not listed (the counts are complete).</p>`
      : '';
  return `${heading}${legend}${durationChart(slower)}<table class="findings slower"><tr><th>test</th><th>baseline median</th><th>canary median</th><th>ratio</th></tr>${rows}</table>${omitted}`;
}

function runsTable(report: TestComparison): string {
  const rows = (side: 'baseline' | 'canary') =>
    report[side].runs
      .map(
        (run) =>
          `<tr><th>${side}</th><td>${escapeHtml(run.label)}</td><td>${run.tests}</td><td>${run.passed}</td><td>${run.failed}</td><td>${run.skipped}</td><td>${escapeHtml(milliseconds(run.durationMs))}</td></tr>`,
      )
      .join('');
  return `<h2>Runs</h2><table><tr><th></th><th>run</th><th>tests</th><th>passed</th><th>failed</th><th>skipped</th><th>time</th></tr>${rows('baseline')}${rows('canary')}</table>`;
}

function countsTable(report: TestComparison): string {
  const names: Array<[keyof TestComparison['counts'], string]> = [
    ['newFailures', 'new failures'],
    ['flaky', 'flaky'],
    ['newlyFlaky', 'newly flaky'],
    ['slower', 'slower'],
    ['missing', 'missing'],
    ['newlySkipped', 'newly skipped'],
    ['stillFailing', 'still failing'],
    ['fixed', 'fixed'],
    ['newTests', 'new tests'],
  ];
  const cells = names
    .map(
      ([key, name]) =>
        `<td class="${report.counts[key] ? 'some' : ''}" data-count="${key}"><b>${report.counts[key]}</b><br>${name}</td>`,
    )
    .join('');
  const penalties = report.penalties
    .map((penalty) => `<li>${penalty.count} × ${escapeHtml(penalty.rule)}: −${penalty.points}</li>`)
    .join('');
  return `<table class="counts"><tr>${cells}</tr></table>${penalties ? `<h3>Penalties</h3><ul class="penalties">${penalties}</ul>` : ''}`;
}

function runList(runs: Array<{ kind: string; label: string }>): string {
  return runs.map((run) => `<code>${escapeHtml(run.label)}</code> (${escapeHtml(run.kind)})`).join(', ');
}

/** The test verification report as an HTML page. */
export function renderTestReportHtml(page: TestReportPage): string {
  const color = STATUS_COLORS[page.status] ?? '#555';
  const report = page.report;
  const body = report
    ? `${countsTable(report)}
${findingTable('new-failures', 'New failures', report.newFailures, report.counts.newFailures, true)}
${findingTable('flaky', 'Flaky tests', report.flaky, report.counts.flaky, true, '<p>Failed and passed on retry in the canary (newly flaky: not flaky in the baseline).</p>')}
${slowerTable(report)}
${findingTable('missing', 'Missing tests', report.missing, report.counts.missing, false, '<p>Ran in the baseline, absent from the canary.</p>')}
${findingTable('newly-skipped', 'Newly skipped tests', report.newlySkipped, report.counts.newlySkipped, false)}
${findingTable('still-failing', 'Still failing', report.stillFailing, report.counts.stillFailing, true, '<p>Failed in the baseline too (no penalty).</p>')}
${runsTable(report)}`
    : `<p class="empty">${page.status === 'running' ? 'The comparison has not finished yet.' : 'No comparison was made.'}</p>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Test verification ${escapeHtml(page.application)} — ${escapeHtml(page.status)}</title>
<style>
${verdictStyles(color)}
.chart text{font-size:10px;fill:#555}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}code{font-size:.85em;word-break:break-all}
table.findings tr:nth-child(even) td{background:#f6f6f6}table.counts td{text-align:center;border:1px solid #ddd;padding:4px 10px}
table.counts td.some{background:#fbe9d0}.count{font-size:.7em;padding:2px 6px;border-radius:3px;background:#ddd;vertical-align:middle}
pre{margin:2px 0;white-space:pre-wrap;font-size:.8em;max-width:640px;border-left:3px solid ${CANARY_COLOR};padding-left:4px}
.regression,.penalties li{color:#a00}.empty{color:#777}
</style></head><body>
<h1>Test verification of ${escapeHtml(page.application)}</h1>
<div class="verdict"><span class="status" data-status="${escapeHtml(page.status)}">${escapeHtml(page.status)}</span><span class="score">Score ${escapeHtml(formatNumber(page.score))}</span>
${page.reason ? `<p class="reason">${escapeHtml(page.reason)}</p>` : ''}
${page.error ? `<p class="error"><b>Error:</b> ${escapeHtml(page.error)}</p>` : ''}</div>
<p>${page.pipelineName ? `Pipeline <b>${escapeHtml(page.pipelineName)}</b> · ` : ''}execution <code>${escapeHtml(page.executionId)}</code> · thresholds pass ≥ ${page.thresholds.pass}, marginal ≥ ${page.thresholds.marginal}<br>
Baseline ${runList(page.baselineRuns)}<br>Canary ${runList(page.canaryRuns)}<br>
${escapeHtml(page.createdAt)}${page.finishedAt ? ` → ${escapeHtml(page.finishedAt)}` : ''}</p>
${body}
<footer><small><a href="?format=json">JSON</a></small></footer>
</body></html>`;
}
