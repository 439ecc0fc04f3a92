// Renders a report as one self-contained HTML page: inline CSS and hand-drawn SVG charts (no script,
// no external request), every value HTML-escaped.
import type { Distribution, Report, ReportMetric, SeriesPoints } from './report';
import { renderLogClusters } from '../logs/report-html';

export const BASELINE_COLOR = '#1f77b4';
export const CANARY_COLOR = '#e6550d';
export const STATUS_COLORS: Record<string, string> = {
  pass: '#2ca02c',
  marginal: '#d6a100',
  fail: '#d62728',
  error: '#7f0000',
  canceled: '#777',
  running: '#1f77b4',
};

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** The page, verdict and legend styles every report page shares; `color` is the verdict's. */
export function verdictStyles(color: string): string {
  return `body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1120px}
.verdict{border-left:8px solid ${color};padding:8px 16px;background:#f6f6f6}
.verdict .status{font-size:1.6em;font-weight:700;color:${color};text-transform:uppercase}
.score{font-size:1.6em;margin-left:16px}
.legend span{margin-right:16px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}`;
}

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

export function scale(
  domainMin: number,
  domainMax: number,
  rangeMin: number,
  rangeMax: number,
): (value: number) => number {
  const span = domainMax - domainMin || 1;
  return (value) => rangeMin + ((value - domainMin) / span) * (rangeMax - rangeMin);
}

/** Charts need no more points than pixels: longer series keep each bucket's first, min and max point (gaps kept). */
export function downsample(series: SeriesPoints, maxPoints = 600): SeriesPoints {
  const length = series.timestampsMs.length;
  if (length <= maxPoints) return series;
  const bucket = Math.ceil(length / (maxPoints / 3));
  const timestampsMs: number[] = [];
  const values: Array<number | null> = [];
  for (let start = 0; start < length; start += bucket) {
    const end = Math.min(length, start + bucket);
    const picks = new Set<number>([start]);
    let minAt = -1;
    let maxAt = -1;
    for (let i = start; i < end; i++) {
      const value = series.values[i];
      if (value === null || value === undefined) {
        picks.add(i);
        continue;
      }
      if (minAt < 0 || value < series.values[minAt]!) minAt = i;
      if (maxAt < 0 || value > series.values[maxAt]!) maxAt = i;
    }
    if (minAt >= 0) picks.add(minAt);
    if (maxAt >= 0) picks.add(maxAt);
    for (const i of [...picks].sort((a, b) => a - b)) {
      timestampsMs.push(series.timestampsMs[i]!);
      values.push(series.values[i] ?? null);
    }
  }
  return { timestampsMs, values };
}

/** A line chart of both sides over time; gaps break the line. */
export function seriesChart(fullBaseline: SeriesPoints, fullCanary: SeriesPoints, label: string): string {
  const baseline = downsample(fullBaseline);
  const canary = downsample(fullCanary);
  const width = 520;
  const height = 180;
  const pad = { left: 56, right: 10, top: 10, bottom: 26 };
  const points = [baseline, canary]
    .flatMap((side) => side.timestampsMs.map((t, i) => [t, side.values[i]] as const))
    .filter((p): p is readonly [number, number] => p[1] !== null && p[1] !== undefined);
  if (points.length === 0) return `<p class="empty">No data points to draw.</p>`;
  const times = points.map((p) => p[0]);
  const values = points.map((p) => p[1]);
  const x = scale(Math.min(...times), Math.max(...times), pad.left, width - pad.right);
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (low === high) {
    low -= 1;
    high += 1;
  }
  const y = scale(low, high, height - pad.bottom, pad.top);
  const path = (side: SeriesPoints) => {
    let d = '';
    let pen = false;
    side.timestampsMs.forEach((t, i) => {
      const value = side.values[i];
      if (value === null || value === undefined) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(value).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  const start = new Date(Math.min(...times)).toISOString().slice(11, 19);
  const end = new Date(Math.max(...times)).toISOString().slice(11, 19);
  return `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}">
<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#999"/>
<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#999"/>
<text x="${pad.left - 4}" y="${pad.top + 8}" text-anchor="end">${escapeHtml(formatNumber(high))}</text>
<text x="${pad.left - 4}" y="${height - pad.bottom}" text-anchor="end">${escapeHtml(formatNumber(low))}</text>
<text x="${pad.left}" y="${height - 8}">${start} UTC</text>
<text x="${width - pad.right}" y="${height - 8}" text-anchor="end">${end} UTC</text>
<path d="${path(baseline)}" fill="none" stroke="${BASELINE_COLOR}" stroke-width="1.5" data-side="baseline"/>
<path d="${path(canary)}" fill="none" stroke="${CANARY_COLOR}" stroke-width="1.5" data-side="canary"/>
</svg>`;
}

/** Side-by-side histogram bars of both sides over shared bins. */
export function distributionChart(distribution: Distribution, label: string): string {
  if (distribution.binEdges.length === 0) return `<p class="empty">No values to compare.</p>`;
  const width = 520;
  const height = 160;
  const pad = { left: 56, right: 10, top: 10, bottom: 26 };
  const bins = distribution.baselineCounts.length;
  const maxCount = Math.max(1, ...distribution.baselineCounts, ...distribution.canaryCounts);
  const slot = (width - pad.left - pad.right) / bins;
  const y = scale(0, maxCount, height - pad.bottom, pad.top);
  const bars = (counts: number[], offset: number, color: string, side: string) =>
    counts
      .map((count, i) => {
        const top = y(count);
        return `<rect x="${(pad.left + i * slot + offset).toFixed(1)}" y="${top.toFixed(1)}" width="${(slot / 2 - 1).toFixed(1)}" height="${(height - pad.bottom - top).toFixed(1)}" fill="${color}" data-side="${side}"><title>${side} ${formatNumber(distribution.binEdges[i])}–${formatNumber(distribution.binEdges[i + 1])}: ${count}</title></rect>`;
      })
      .join('');
  return `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}">
<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#999"/>
<text x="${pad.left - 4}" y="${pad.top + 8}" text-anchor="end">${maxCount}</text>
<text x="${pad.left}" y="${height - 8}">${escapeHtml(formatNumber(distribution.binEdges[0]))}</text>
<text x="${width - pad.right}" y="${height - 8}" text-anchor="end">${escapeHtml(formatNumber(distribution.binEdges[distribution.binEdges.length - 1]))}</text>
${bars(distribution.baselineCounts, 0, BASELINE_COLOR, 'baseline')}
${bars(distribution.canaryCounts, slot / 2, CANARY_COLOR, 'canary')}
</svg>`;
}

function intervalChart(report: Report): string {
  const scored = report.intervals.filter((interval) => typeof interval.score === 'number');
  if (scored.length === 0) return '<p class="empty">No interval has been scored yet.</p>';
  const width = 520;
  const height = 140;
  const pad = { left: 40, right: 10, top: 10, bottom: 20 };
  const slot = (width - pad.left - pad.right) / Math.max(1, report.intervals.length);
  const y = scale(0, 100, height - pad.bottom, pad.top);
  const line = (value: number, color: string, name: string) =>
    `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="${color}" stroke-dasharray="4 3"/><text x="${width - pad.right}" y="${(y(value) - 2).toFixed(1)}" text-anchor="end">${name} ${value}</text>`;
  const bars = report.intervals
    .map((interval, i) => {
      if (typeof interval.score !== 'number') return '';
      const top = y(interval.score);
      const color = STATUS_COLORS[interval.classification ?? ''] ?? '#888';
      return `<rect x="${(pad.left + i * slot + 2).toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, slot - 4).toFixed(1)}" height="${(height - pad.bottom - top).toFixed(1)}" fill="${color}"><title>interval ${i + 1}: ${interval.score}</title></rect>`;
    })
    .join('');
  return `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Score per interval">
<text x="${pad.left - 4}" y="${y(100) + 8}" text-anchor="end">100</text><text x="${pad.left - 4}" y="${y(0)}" text-anchor="end">0</text>
${bars}${line(report.thresholds.pass, '#2ca02c', 'pass')}${line(report.thresholds.marginal, '#d6a100', 'marginal')}
</svg>`;
}

function scopeText(scope: Record<string, string>): string {
  return Object.entries(scope)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

function sideRow(name: string, side: Record<string, unknown>, quantiles: Record<string, number> | null): string {
  const q = quantiles
    ? Object.entries(quantiles)
        .map(([key, value]) => `${key} ${formatNumber(value)}`)
        .join(' · ')
    : 'n/a';
  return `<tr><th>${name}</th><td>${escapeHtml(formatNumber(side.count as number))}</td><td>${escapeHtml(formatNumber(side.mean as number))}</td><td>${escapeHtml(formatNumber(side.std as number))}</td><td>${escapeHtml(q)}</td><td><code>${escapeHtml(side.query)}</code>${side.countQuery !== undefined ? `<br>requests: <code>${escapeHtml(side.countQuery)}</code>` : ''}</td></tr>`;
}

/** Whether the judge compared the sides per request (a `countQuery`), with each side's requests. */
function requestCountsLine(metric: ReportMetric): string {
  const counts = metric.requestCounts;
  if (!counts) return '';
  const totals = `baseline ${formatNumber(counts.baselineTotal)} requests, canary ${formatNumber(counts.canaryTotal)}`;
  return `<p class="request-counts" data-used="${counts.used}"><b>Request counts ${counts.used ? 'used' : 'not used'}</b>: ${escapeHtml(totals)} — ${escapeHtml(counts.note)}</p>`;
}

function metricSection(metric: ReportMetric): string {
  const numbers = Object.entries(metric.numbers)
    .map(([key, value]) => `<span class="number"><b>${escapeHtml(key)}</b> ${escapeHtml(formatNumber(value))}</span>`)
    .join(' ');
  const findings = metric.findings
    .map(
      (finding) =>
        `<li class="${finding.regression ? 'regression' : ''}">${escapeHtml(finding.test)}: ${escapeHtml(finding.message)}</li>`,
    )
    .join('');
  const problems = [...metric.problems, ...metric.warnings]
    .map((problem) => `<li>${escapeHtml(problem)}</li>`)
    .join('');
  return `<section class="metric" data-metric="${escapeHtml(metric.name)}" data-classification="${escapeHtml(metric.classification)}">
<h3>${escapeHtml(metric.name)} <span class="badge c-${escapeHtml(metric.classification)}">${escapeHtml(metric.classification)}</span>${metric.critical ? ' <span class="badge critical">critical</span>' : ''}</h3>
<p class="reason">${escapeHtml(metric.reason)}</p>
${problems ? `<ul class="problems">${problems}</ul>` : ''}
<div class="charts"><div><h4>Over time</h4>${seriesChart(metric.baselineSeries, metric.canarySeries, `${metric.name} over time`)}</div>
<div><h4>Distribution</h4>${distributionChart(metric.distribution, `${metric.name} distribution`)}</div></div>
<table class="sides"><tr><th></th><th>n</th><th>mean</th><th>std</th><th>quantiles</th><th>query</th></tr>
${sideRow('baseline', metric.baseline, metric.distribution.baselineQuantiles)}
${sideRow('canary', metric.canary, metric.distribution.canaryQuantiles)}</table>
${requestCountsLine(metric)}
${numbers ? `<p class="numbers">${numbers}</p>` : ''}
${findings ? `<ul class="findings">${findings}</ul>` : ''}
</section>`;
}

/** The report as an HTML page. */
export function renderReportHtml(report: Report): string {
  const color = STATUS_COLORS[report.status] ?? '#555';
  const groups = report.groups
    .map(
      (group) =>
        `<tr><td>${escapeHtml(group.name)}</td><td>${escapeHtml(formatNumber(group.score))}</td><td>${escapeHtml(formatNumber(group.weight))}%</td><td>${group.passed}/${group.counted}</td></tr>`,
    )
    .join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Verification ${escapeHtml(report.application)} — ${escapeHtml(report.status)}</title>
<style>
${verdictStyles(color)}
.metric{border-top:1px solid #ddd;padding:8px 0}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart text{font-size:10px;fill:#555}
.badge{font-size:.7em;padding:2px 6px;border-radius:3px;background:#ddd;vertical-align:middle}
.c-Pass{background:#cfe9cf}.c-High,.c-Low,.c-NodataFailMetric{background:#f4c7c7}.c-Nodata,.c-Error{background:#f3e2b3}.critical{background:#d62728;color:#fff}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}code{font-size:.85em;word-break:break-all}
.cluster.critical td{background:#f4c7c7}.cluster.unexpected td{background:#fbe9d0}.tag{font-size:.75em;background:#e4e4f4;padding:1px 4px;border-radius:3px}
pre{margin:2px 0;white-space:pre-wrap;font-size:.8em}pre.canary{border-left:3px solid ${CANARY_COLOR};padding-left:4px}pre.baseline{border-left:3px solid ${BASELINE_COLOR};padding-left:4px}
.problems li{color:#a00}.findings li.regression{color:#a00}.number{margin-right:12px;white-space:nowrap}.empty{color:#777}
</style></head><body>
<h1>Verification of ${escapeHtml(report.application)}</h1>
<div class="verdict"><span class="status" data-status="${escapeHtml(report.status)}">${escapeHtml(report.status)}</span><span class="score">Score ${escapeHtml(formatNumber(report.score))}</span>
<p>${escapeHtml(report.verdict)}</p>
${report.reason ? `<p class="reason">${escapeHtml(report.reason)}</p>` : ''}
${report.error ? `<p class="error"><b>Error:</b> ${escapeHtml(report.error)}</p>` : ''}</div>
${report.detailsDropped ? `<p class="dropped">Dropped on ${escapeHtml(report.detailsDropped.at)}: ${escapeHtml(report.detailsDropped.dropped)}. The verdict, scores, reasons and findings are kept.</p>` : ''}
<p>${report.template ? `Template <b>${escapeHtml(report.template.name)}</b>${report.template.version ? ` v${report.template.version}` : ' (inline)'}` : 'No metric template'}${report.logTemplate ? ` · log template <b>${escapeHtml(report.logTemplate.name)}</b>${report.logTemplate.version ? ` v${report.logTemplate.version}` : ' (inline)'} · weights metrics ${report.weights.metric}, logs ${report.weights.log}` : ''} · judge <b>${escapeHtml(report.judge)}</b> · thresholds pass ≥ ${report.thresholds.pass}, marginal ≥ ${report.thresholds.marginal}<br>
Baseline <code>${escapeHtml(scopeText(report.baselineScope))}</code> · canary <code>${escapeHtml(scopeText(report.canaryScope))}</code><br>
${escapeHtml(report.startTime)} → ${escapeHtml(report.endTime)}${report.dataWindow ? ` · metric data from interval ${report.dataWindow.index + 1} (${escapeHtml(report.dataWindow.startTime)} → ${escapeHtml(report.dataWindow.endTime)})` : ''}</p>
<h2>Score per interval</h2>${intervalChart(report)}
${groups ? `<h2>Groups</h2><table><tr><th>group</th><th>score</th><th>weight</th><th>passed</th></tr>${groups}</table>` : ''}
<h2>Metrics</h2><p class="legend"><span><i style="background:${BASELINE_COLOR}"></i>baseline</span><span><i style="background:${CANARY_COLOR}"></i>canary</span></p>
${report.metrics.length ? report.metrics.map(metricSection).join('\n') : report.template ? '<p class="empty">No metric has been judged yet.</p>' : '<p class="empty">This verification reads logs only.</p>'}
${
  report.logs.length
    ? report.logs.map((logs) => renderLogClusters(logs, report.application)).join('\n')
    : `<h2>Logs</h2><p class="empty">${report.logTemplate ? 'No window has been analysed yet.' : 'Log analysis is not part of this verification.'}</p>`
}
<footer><small>Generated ${escapeHtml(report.generatedAt)} · <a href="?format=json">JSON</a></small></footer>
</body></html>`;
}
