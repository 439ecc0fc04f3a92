// The report's content, independent of its rendering: verdict, score, interval scores, and for each
// metric both sides' series over time, their distributions (shared-bin histograms and quantiles), the
// classification and its reason. The HTML page renders exactly this object; `?format=json` returns it.
import { percentileSorted, sortAscending } from '../domain';
import { detailsDroppedOf, metricViews, reportUrlOf, verificationView, type MetricView } from '../api/views';
import { logsView, type LogMarkView, type LogsView } from '../logs/log-view';
import type { IntervalRecord, SideData, VerificationRecord } from '../store/verification-store';

/** A shared-bin histogram of both sides. */
export interface Distribution {
  binEdges: number[];
  baselineCounts: number[];
  canaryCounts: number[];
  baselineQuantiles: Record<string, number> | null;
  canaryQuantiles: Record<string, number> | null;
}

/** A side's points over time (null = gap). */
export interface SeriesPoints {
  timestampsMs: number[];
  values: Array<number | null>;
}

/** One metric in the report. */
export interface ReportMetric extends MetricView {
  /** The template's unit of the values, when it names one. */
  unit?: string;
  numbers: Record<string, number | null>;
  findings: Array<Record<string, unknown>>;
  baselineSeries: SeriesPoints;
  canarySeries: SeriesPoints;
  distribution: Distribution;
}

/** The whole report. */
export interface Report {
  id: string;
  status: string;
  verdict: string;
  score: number | null;
  reason: string | null;
  error: string | null;
  application: string;
  /** The metric template; null when the verification reads logs only. */
  template: { name: string; version: number | null } | null;
  logTemplate: { name: string; version: number | null } | null;
  weights: { metric: number; log: number };
  judge: string;
  thresholds: { pass: number; marginal: number };
  baselineScope: Record<string, string>;
  canaryScope: Record<string, string>;
  startTime: string;
  endTime: string;
  intervals: ReturnType<typeof verificationView>['intervals'];
  /** The window the per-metric data comes from (the last judged one). */
  dataWindow: { index: number; startTime: string; endTime: string } | null;
  groups: Array<{ name: string; score: number; weight: number; counted: number; passed: number }>;
  metrics: ReportMetric[];
  /** The last judged window's log analysis (one entry per log template; empty without one). */
  logs: Array<LogsView & { kind: 'log' }>;
  /** What retention dropped (metric points, log examples), and when; null while everything is kept. */
  detailsDropped: { at: string; dropped: string } | null;
  reportUrl: string;
  generatedAt: string;
}

const VERDICTS: Record<string, string> = {
  running: 'Running',
  pass: 'Pass: the canary is not worse than the baseline',
  marginal: 'Marginal: the score is between the marginal and pass thresholds',
  fail: 'Fail: the canary is worse than the baseline',
  error: 'Error: the analysis could not be completed',
  canceled: 'Canceled',
};

const QUANTILES = [5, 25, 50, 75, 95];
const BINS = 20;

function finite(values: ReadonlyArray<number | null>): number[] {
  return values.filter((value): value is number => value !== null && Number.isFinite(value));
}

function quantiles(values: number[]): Record<string, number> | null {
  if (values.length === 0) return null;
  const sorted = sortAscending(values);
  return Object.fromEntries(QUANTILES.map((q) => [`p${q}`, percentileSorted(sorted, q)]));
}

/** Histograms of both sides over the same bins, so their shapes compare directly. */
export function distributionOf(baseline: SideData | undefined, canary: SideData | undefined): Distribution {
  const b = finite(baseline?.values ?? []);
  const c = finite(canary?.values ?? []);
  const all = [...b, ...c];
  if (all.length === 0)
    return { binEdges: [], baselineCounts: [], canaryCounts: [], baselineQuantiles: null, canaryQuantiles: null };
  let min = Math.min(...all);
  let max = Math.max(...all);
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const width = (max - min) / BINS;
  const binEdges = Array.from({ length: BINS + 1 }, (_, i) => min + i * width);
  const count = (values: number[]) => {
    const counts = new Array<number>(BINS).fill(0);
    for (const value of values) counts[Math.min(BINS - 1, Math.floor((value - min) / width))]!++;
    return counts;
  };
  return {
    binEdges,
    baselineCounts: count(b),
    canaryCounts: count(c),
    baselineQuantiles: quantiles(b),
    canaryQuantiles: quantiles(c),
  };
}

/** Builds the report of a verification from its stored intervals. */
export function buildReport(
  verification: VerificationRecord,
  intervals: IntervalRecord[],
  publicUrl: string | undefined,
  /** The application's current log marks by cluster key (who marked what, and when). */
  currentMarks: ReadonlyMap<string, LogMarkView> = new Map(),
): Report {
  const view = verificationView(verification, intervals, publicUrl);
  const last = intervals[intervals.length - 1];
  const dataByName = new Map((last?.data ?? []).map((data) => [data.name, data]));
  const unitByName = new Map(verification.template.metrics.map((metric) => [metric.name, metric.unit]));
  const metrics = metricViews(last, true).map((metric): ReportMetric => {
    const data = dataByName.get(metric.name);
    const unit = unitByName.get(metric.name);
    return {
      ...metric,
      ...(unit ? { unit } : {}),
      numbers: metric.numbers ?? {},
      findings: metric.findings ?? [],
      baselineSeries: { timestampsMs: data?.baseline.timestampsMs ?? [], values: data?.baseline.values ?? [] },
      canarySeries: { timestampsMs: data?.canary.timestampsMs ?? [], values: data?.canary.values ?? [] },
      distribution: distributionOf(data?.baseline, data?.canary),
    };
  });
  return {
    id: verification.id,
    status: verification.status,
    verdict: VERDICTS[verification.status] ?? verification.status,
    score: verification.score,
    reason: verification.reason,
    error: verification.error,
    application: verification.application,
    template: view.template,
    logTemplate: view.logTemplate,
    weights: verification.weights,
    judge: verification.judge,
    thresholds: verification.thresholds,
    baselineScope: verification.spec.baseline,
    canaryScope: verification.spec.canary,
    startTime: view.startTime,
    endTime: view.endTime,
    intervals: view.intervals,
    dataWindow: last
      ? {
          index: last.index,
          startTime: new Date(last.startMs).toISOString(),
          endTime: new Date(last.endMs).toISOString(),
        }
      : null,
    groups: last?.result.groupScores ?? [],
    metrics,
    logs: last?.logs ? [{ kind: 'log' as const, ...logsView(last.logs, verification.weights.log, currentMarks) }] : [],
    detailsDropped: detailsDroppedOf(verification),
    reportUrl: reportUrlOf(verification.id, publicUrl),
    generatedAt: new Date().toISOString(),
  };
}
