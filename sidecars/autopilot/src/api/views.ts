// The verification as the API shows it: one body for Orca's monitor, Deck and the JSON report.
import type { MetricResult, RequestCountUse } from '../domain';
import type { StoredLogAnalysis } from '../logs/log-view';
import { DROPPED_DETAILS } from '../retention';
import type { IntervalRecord, SideData, VerificationRecord } from '../store/verification-store';

/** Per-metric view: classification, reason, numbers, and each side's query, summary and problems. */
export interface MetricView {
  name: string;
  /** `metric` now; log results will sit beside them with `kind: 'log'`. */
  kind: 'metric';
  classification: string;
  reason: string;
  critical: boolean;
  groups: string[];
  provider: string;
  problems: string[];
  /** The judge's caveats (e.g. fewer points than Kayenta recommends). */
  warnings: string[];
  /** With a `countQuery`: whether the judge compared the sides per request, and each side's requests. */
  requestCounts?: RequestCountUse;
  baseline: Record<string, unknown>;
  canary: Record<string, unknown>;
  /** The judge's numbers and findings: in the report; left out of the monitor body, which Orca stores on every poll. */
  numbers?: Record<string, number | null>;
  findings?: Array<Record<string, unknown>>;
}

const MONITOR_SIDE_KEYS = ['query', 'count', 'mean', 'receivedCount', 'missingCount'];

/** The small per-side summary of the monitor body. */
function compactSide(side: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(side).filter(([key]) => MONITOR_SIDE_KEYS.includes(key)));
}

/** Path of a verification's report, under `publicUrl` when the service knows where it is reached. */
export function reportUrlOf(id: string, publicUrl: string | undefined): string {
  const path = `/api/v1/verifications/${id}/report`;
  return publicUrl ? `${publicUrl.replace(/\/$/, '')}${path}` : path;
}

function finiteOrNull(numbers: Record<string, number>): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(numbers).map(([key, value]) => [key, Number.isFinite(value) ? value : null]),
  );
}

function sideView(summary: MetricResult['baseline'] | undefined, side: SideData | undefined): Record<string, unknown> {
  return {
    query: side?.query ?? null,
    ...(side?.countQuery !== undefined ? { countQuery: side.countQuery } : {}),
    labels: side?.labels ?? {},
    ...(summary ? finiteOrNull(summary as unknown as Record<string, number>) : {}),
  };
}

/** Joins the judge's metric results with the fetched data (queries, problems); `detailed` adds numbers and findings. */
export function metricViews(interval: IntervalRecord | undefined, detailed = true): MetricView[] {
  if (!interval) return [];
  const judged = new Map(interval.result.metrics.map((metric) => [metric.name, metric]));
  return interval.data.map((data) => {
    const result = judged.get(data.name);
    const problems = [
      ...new Set([
        ...data.baseline.problems.map((p) => `baseline: ${p}`),
        ...data.canary.problems.map((p) => `canary: ${p}`),
      ]),
    ];
    if (!result) {
      // Muted metrics are fetched and shown but not judged.
      return {
        name: data.name,
        kind: 'metric' as const,
        classification: 'Muted',
        reason: 'muted: fetched and shown, not scored',
        critical: false,
        groups: [],
        provider: data.provider,
        problems,
        warnings: [],
        baseline: sideView(undefined, data.baseline),
        canary: sideView(undefined, data.canary),
        ...(detailed ? { numbers: {}, findings: [] } : {}),
      };
    }
    // No data must never look like a quiet pass: the reason names the query and what came back.
    const reason =
      problems.length && (result.classification === 'Nodata' || result.classification === 'NodataFailMetric')
        ? `${result.reason}: ${problems.join('; ')}`
        : result.reason;
    const view: MetricView = {
      name: data.name,
      kind: 'metric' as const,
      classification: result.classification,
      reason,
      critical: result.critical,
      groups: result.groups,
      provider: data.provider,
      problems,
      warnings: result.warnings,
      ...(result.requestCounts ? { requestCounts: result.requestCounts } : {}),
      baseline: sideView(result.baseline, data.baseline),
      canary: sideView(result.canary, data.canary),
    };
    if (!detailed) return { ...view, baseline: compactSide(view.baseline), canary: compactSide(view.canary) };
    return {
      ...view,
      numbers: finiteOrNull(result.numbers),
      findings: result.findings.map((finding) => ({ ...finding, numbers: finiteOrNull(finding.numbers) })),
    };
  });
}

/** The small per-window log summary of the monitor body (clusters with examples are in the report). */
export function logSummaries(logs: StoredLogAnalysis | null | undefined, weight: number) {
  if (!logs) return [];
  return [
    {
      kind: 'log' as const,
      name: logs.template.name,
      version: logs.template.version,
      provider: logs.provider,
      score: logs.score,
      failed: logs.failed,
      weight,
      reasons: logs.reasons,
      baselineEvents: logs.baselineEvents,
      canaryEvents: logs.canaryEvents,
      clusterCount: logs.clusterCount,
      unexpectedClusters: logs.clusters.filter((c) => c.unexpected).length,
      criticalClusters: logs.clusters.filter((c) => c.critical).map((c) => c.clusterKey),
    },
  ];
}

/** The metric template a verification names; null when it reads logs only. */
export function metricTemplateRef(verification: VerificationRecord) {
  return verification.template.metrics.length > 0
    ? { name: verification.templateName, version: verification.templateVersion }
    : null;
}

/**
 * The API body of a verification (Orca's monitor body: it lands in the stage context on every poll, so
 * per-metric results carry classification, reason, problems and the queries; numbers and findings are in the report).
 */
export function verificationView(
  verification: VerificationRecord,
  intervals: IntervalRecord[],
  publicUrl: string | undefined,
) {
  const judged = new Map(intervals.map((interval) => [interval.index, interval]));
  const last = intervals[intervals.length - 1];
  const windows = verification.windows;
  return {
    id: verification.id,
    status: verification.status,
    score: verification.score,
    reason: verification.reason,
    ...(verification.error ? { error: verification.error } : {}),
    application: verification.application,
    executionId: verification.executionId,
    stageId: verification.stageId,
    template: metricTemplateRef(verification),
    logTemplate: verification.logTemplate
      ? { name: verification.logTemplate.name, version: verification.logTemplateVersion }
      : null,
    weights: verification.weights,
    judge: verification.judge,
    thresholds: verification.thresholds,
    startTime: new Date(windows[0]?.startMs ?? verification.spec.startMs).toISOString(),
    endTime: new Date(
      windows[windows.length - 1]?.endMs ?? verification.spec.startMs + verification.spec.lifetimeMs,
    ).toISOString(),
    intervals: windows.map((window) => {
      const interval = judged.get(window.index);
      return {
        index: window.index,
        startTime: new Date(window.startMs).toISOString(),
        endTime: new Date(window.endMs).toISOString(),
        status: interval
          ? ('judged' as const)
          : verification.status === 'running'
            ? ('pending' as const)
            : ('skipped' as const),
        ...(interval ? { score: interval.score, classification: interval.classification } : {}),
      };
    }),
    metrics: metricViews(last, false),
    logs: logSummaries(last?.logs, verification.weights.log),
    reportUrl: reportUrlOf(verification.id, publicUrl),
    createdAt: verification.createdAt,
    updatedAt: verification.updatedAt,
    finishedAt: verification.finishedAt,
    detailsDropped: detailsDroppedOf(verification),
  };
}

/** What retention dropped from a finished verification, and when; null while everything is kept. */
export function detailsDroppedOf(verification: VerificationRecord): { at: string; dropped: string } | null {
  return verification.detailsDroppedAt ? { at: verification.detailsDroppedAt, dropped: DROPPED_DETAILS } : null;
}

/** The view type. */
export type VerificationView = ReturnType<typeof verificationView>;
