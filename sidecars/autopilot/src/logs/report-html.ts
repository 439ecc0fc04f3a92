// The log part of the verification report: one row per cluster with its template, example lines, counts
// baseline vs canary, classification, score impact, and the feedback marks with who set them and when.
import { escapeHtml } from '../report/html';
import { burstText } from './analysis';
import type { LogClusterView, LogsView } from './log-view';

const KIND_LABEL: Record<LogClusterView['kind'], string> = {
  'canary-only': 'only in canary',
  increased: 'more in canary',
  burst: 'in a burst in canary',
  both: 'in both',
  'baseline-only': 'only in baseline',
};

function impact(cluster: LogClusterView): string {
  if (cluster.scoreImpact === 'fails the run') return 'fails the run';
  if (cluster.scoreImpact > 0) return `−${cluster.scoreImpact.toFixed(1)}`;
  return '—';
}

function marks(cluster: LogClusterView): string {
  const applied = cluster.mark ? `applied in this run: ${escapeHtml(cluster.mark)}` : '';
  const current = cluster.currentMark
    ? `${escapeHtml(cluster.currentMark.mark)} by ${escapeHtml(cluster.currentMark.markedBy)} at ${escapeHtml(cluster.currentMark.markedAt)}${
        cluster.currentMark.comment ? `: ${escapeHtml(cluster.currentMark.comment)}` : ''
      }`
    : '';
  return [current, applied].filter(Boolean).join('<br>') || '—';
}

/** The Logs section of the report (`application` names the marks' path). */
export function renderLogClusters(logs: LogsView, application: string): string {
  const rows = logs.clusters.map((cluster) => {
    const ratio = cluster.rateRatio === null ? 'new' : `${cluster.rateRatio.toFixed(2)}×`;
    const example = (side: 'baseline' | 'canary') =>
      cluster.examples[side].map((e) => `<pre class="${side}">${escapeHtml(e)}</pre>`).join('');
    return `<tr class="cluster ${escapeHtml(cluster.classification)}" id="cluster-${escapeHtml(cluster.clusterKey)}">
<td><code>${escapeHtml(cluster.template)}</code>${cluster.tags.map((t) => ` <span class="tag">${escapeHtml(t)}</span>`).join('')}
<details><summary>examples</summary>${example('canary')}${example('baseline')}</details><small>key <code>${escapeHtml(cluster.clusterKey)}</code></small></td>
<td>${escapeHtml(cluster.topic)}</td><td>${escapeHtml(cluster.classification)}: ${escapeHtml(KIND_LABEL[cluster.kind])} (${escapeHtml(ratio)})${cluster.burst ? `<br><small>${escapeHtml(burstText(cluster.burst))}</small>` : ''}</td>
<td class="num">${cluster.baselineCount}</td><td class="num">${cluster.canaryCount}</td>
<td class="num">${escapeHtml(impact(cluster))}</td><td>${marks(cluster)}</td></tr>`;
  });
  const markPath = `/api/v1/applications/${encodeURIComponent(application)}/log-marks/{key}`;
  return `<section class="logs"><h2>Logs: score ${logs.score.toFixed(2)}${logs.failed ? ' (failed: critical cluster)' : ''} · weight ${escapeHtml(logs.weight)}</h2>
<p>Log template <b>${escapeHtml(logs.template.name)}</b>${logs.template.version ? ` v${logs.template.version}` : ' (inline)'} on <b>${escapeHtml(logs.provider)}</b> · ${escapeHtml(logs.algorithm)} scoring, ${escapeHtml(logs.sensitivity)} sensitivity; ${logs.baselineEvents} baseline and ${logs.canaryEvents} canary events in ${logs.clusterCount} clusters${logs.clusterCount > logs.clusters.length ? ` (${logs.clusters.length} shown: every one that costs points, then the most frequent)` : ''}.<br>
Baseline query <code>${escapeHtml(logs.queries.baseline)}</code> · canary query <code>${escapeHtml(logs.queries.canary)}</code></p>
${logs.reasons.length ? `<ul>${logs.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>` : ''}
<table><thead><tr><th>template</th><th>topic</th><th>classification</th><th>baseline</th><th>canary</th><th>score impact</th><th>mark</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
<p><small>Mark a cluster expected, ignorable or critical for later runs of ${escapeHtml(application)}: <code>PUT ${escapeHtml(markPath)}</code> through Gate (Deck's execution view).</small></p></section>`;
}
