// What a verification keeps of one window's log analysis, and how the API and report show it: every
// cluster with its key (for marks), template, example lines, counts baseline vs canary, classification
// and score impact, plus the mark in force then and the application's current mark (who, when).
import type { LogAnalysis, LogCluster, Mark } from './analysis';
import { clusterKey } from './log-template';

/** Clusters stored per window beyond the ones that cost points (a noisy log can have thousands). */
const MAX_QUIET_CLUSTERS = 200;

/** A cluster as stored: JSON-safe (no Infinity) and with its key. */
export interface StoredLogCluster extends Omit<LogCluster, 'rateRatio'> {
  clusterKey: string;
  /** Canary rate ÷ baseline rate; null when the baseline never logged it. */
  rateRatio: number | null;
}

/** One window's log analysis as stored beside the metric judge's result. */
export interface StoredLogAnalysis extends Omit<LogAnalysis, 'clusters'> {
  template: { name: string; version: number | null };
  provider: string;
  queries: { baseline: string; canary: string };
  /** Clusters found; `clusters` holds every one that costs points and up to 200 others. */
  clusterCount: number;
  clusters: StoredLogCluster[];
}

export function storedLogAnalysis(
  analysis: LogAnalysis,
  context: Pick<StoredLogAnalysis, 'template' | 'provider' | 'queries'>,
): StoredLogAnalysis {
  const costly = analysis.clusters.filter((c) => c.unexpected || c.critical);
  const quiet = analysis.clusters.filter((c) => !c.unexpected && !c.critical).slice(0, MAX_QUIET_CLUSTERS);
  return {
    ...analysis,
    ...context,
    clusterCount: analysis.clusters.length,
    clusters: [...costly, ...quiet].map((c) => ({
      ...c,
      clusterKey: clusterKey(c.template),
      rateRatio: Number.isFinite(c.rateRatio) ? c.rateRatio : null,
    })),
  };
}

/** A mark as the API shows it. */
export interface LogMarkView {
  mark: Mark;
  comment: string | null;
  markedBy: string;
  markedAt: string;
}

/** How a cluster counts in words: what Deck shows as its classification. */
export type ClusterClassification = 'critical' | 'unexpected' | 'expected' | 'ignored' | 'baseline';

/** A cluster in the report and the verification JSON. */
export interface LogClusterView extends StoredLogCluster {
  classification: ClusterClassification;
  /** Points taken off the log score (before the algorithm's normalisation), or 'fails the run'. */
  scoreImpact: number | 'fails the run';
  /** The application's current mark on this cluster (may be newer than the run: it applies to later runs). */
  currentMark: LogMarkView | null;
}

export interface LogsView extends Omit<StoredLogAnalysis, 'clusters'> {
  weight: number;
  clusters: LogClusterView[];
}

export function classificationOf(cluster: StoredLogCluster): ClusterClassification {
  if (cluster.critical) return 'critical';
  if (cluster.unexpected) return 'unexpected';
  if (cluster.mark === 'ignorable') return 'ignored';
  if (cluster.kind === 'canary-only' || cluster.kind === 'increased' || cluster.kind === 'burst') return 'expected';
  return 'baseline';
}

export function logsView(
  stored: StoredLogAnalysis,
  weight: number,
  currentMarks: ReadonlyMap<string, LogMarkView>,
): LogsView {
  return {
    ...stored,
    weight,
    clusters: stored.clusters.map((cluster) => ({
      ...cluster,
      classification: classificationOf(cluster),
      scoreImpact: cluster.critical ? 'fails the run' : Math.round(cluster.penalty * 100) / 100,
      currentMark: currentMarks.get(cluster.clusterKey) ?? null,
    })),
  };
}
