// The log part of the verification report: one row per cluster with its template, example lines, counts
// baseline vs canary, classification, score impact and the feedback mark with who set it.
import { escapeHtml } from '../report/html';
import type { LogAnalysis, LogCluster } from './analysis';
import type { ClusterMark } from './log-template';

const KIND_LABEL: Record<LogCluster['kind'], string> = {
  'canary-only': 'only in canary',
  increased: 'more in canary',
  both: 'in both',
  'baseline-only': 'only in baseline',
};

function impact(cluster: LogCluster): string {
  if (cluster.critical) return 'fails the run';
  if (cluster.penalty > 0) return `−${cluster.penalty.toFixed(1)}`;
  return '—';
}

export function renderLogClusters(analysis: LogAnalysis, marks: readonly ClusterMark[] = []): string {
  const byTemplate = new Map(marks.map((m) => [m.template, m]));
  const rows = analysis.clusters.map((cluster) => {
    const mark = byTemplate.get(cluster.template);
    const examples = [...cluster.examples.canary, ...cluster.examples.baseline].slice(0, 3);
    const ratio = Number.isFinite(cluster.rateRatio) ? `${cluster.rateRatio.toFixed(2)}×` : 'new';
    return `<tr class="cluster ${cluster.unexpected ? 'unexpected' : 'expected'}${cluster.critical ? ' critical' : ''}">
<td><code>${escapeHtml(cluster.template)}</code>${cluster.tags.map((t) => ` <span class="tag">${escapeHtml(t)}</span>`).join('')}
<details><summary>examples</summary>${examples.map((e) => `<pre>${escapeHtml(e)}</pre>`).join('')}</details></td>
<td>${escapeHtml(cluster.topic)}</td><td>${escapeHtml(KIND_LABEL[cluster.kind])} (${escapeHtml(ratio)})</td>
<td class="num">${cluster.baselineCount}</td><td class="num">${cluster.canaryCount}</td>
<td class="num">${escapeHtml(impact(cluster))}</td>
<td>${mark ? `${escapeHtml(mark.mark)} by ${escapeHtml(mark.user)} at ${escapeHtml(new Date(mark.atMs).toISOString())}` : '—'}</td></tr>`;
  });
  return `<section class="logs"><h2>Logs: score ${analysis.score.toFixed(2)}${analysis.failed ? ' (failed: critical cluster)' : ''}</h2>
<p>${escapeHtml(analysis.algorithm)} scoring, ${escapeHtml(analysis.sensitivity)} sensitivity; ${analysis.baselineEvents} baseline and ${analysis.canaryEvents} canary events in ${analysis.clusters.length} clusters.</p>
${analysis.reasons.length ? `<ul>${analysis.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>` : ''}
<table><thead><tr><th>template</th><th>topic</th><th>classification</th><th>baseline</th><th>canary</th><th>score impact</th><th>mark</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}
