// The report page: self-contained (no external reference), every user-supplied string escaped, charts
// drawn from the data.
import { distributionOf } from './report';
import { distributionChart, downsample, escapeHtml, renderReportHtml, seriesChart } from './html';
import type { Report } from './report';

const hostile = '<script>alert("x")</script>';

function report(): Report {
  const baseline = {
    query: `up{a="${hostile}"}`,
    labels: {},
    seriesCount: 1,
    problems: [],
    timestampsMs: [0, 1000, 2000, 3000],
    values: [1, 2, null, 2],
  };
  const canary = { ...baseline, values: [5, 6, 7, 6] };
  return {
    id: 'id',
    status: 'fail',
    verdict: 'Fail',
    score: 0,
    reason: hostile,
    error: null,
    application: hostile,
    template: { name: 't', version: 1 },
    logTemplate: null,
    weights: { metric: 0.5, log: 0.5 },
    judge: 'isd',
    thresholds: { pass: 80, marginal: 60 },
    baselineScope: { app: hostile },
    canaryScope: { app: 'b' },
    startTime: '2026-01-01T00:00:00.000Z',
    endTime: '2026-01-01T00:00:04.000Z',
    intervals: [{ index: 0, startTime: 'a', endTime: 'b', status: 'judged', score: 0, classification: 'fail' }],
    dataWindow: { index: 0, startTime: 'a', endTime: 'b' },
    groups: [{ name: hostile, score: 0, weight: 100, counted: 1, passed: 0 }],
    metrics: [
      {
        name: hostile,
        kind: 'metric',
        classification: 'High',
        reason: hostile,
        critical: true,
        groups: [],
        provider: 'prom',
        problems: [hostile],
        warnings: ['baseline has 3 points (< 50)'],
        baseline: { query: baseline.query, count: 3, mean: 1.67, std: 0.58 },
        canary: { query: canary.query, count: 4, mean: 6, std: 0.8 },
        numbers: { pValue: 0.001, ratio: null },
        findings: [{ test: 'welch', regression: true, message: hostile, numbers: {} }],
        baselineSeries: baseline,
        canarySeries: canary,
        distribution: distributionOf(baseline, canary),
      },
    ],
    logs: [],
    detailsDropped: null,
    reportUrl: '/api/v1/verifications/id/report',
    generatedAt: 'now',
  };
}

describe('report page', () => {
  it('escapes every user-supplied string and references nothing outside the page', () => {
    const page = renderReportHtml(report());
    expect(page).not.toContain('<script');
    expect(page).toContain(escapeHtml(hostile));
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('draws both series with a gap where a point is missing', () => {
    const svg = seriesChart(report().metrics[0]!.baselineSeries, report().metrics[0]!.canarySeries, 'x');
    const baselinePath = /d="([^"]*)"[^>]*data-side="baseline"/.exec(svg)![1]!;
    expect(baselinePath.match(/M/g)).toHaveLength(2);
    expect(baselinePath.match(/L/g)).toHaveLength(1);
  });

  it('bins both sides on shared edges so the histograms compare', () => {
    const distribution = distributionOf(
      report().metrics[0]!.baselineSeries as never,
      report().metrics[0]!.canarySeries as never,
    );
    expect(distribution.binEdges[0]).toBe(1);
    expect(distribution.binEdges[distribution.binEdges.length - 1]).toBeCloseTo(7);
    expect(distribution.baselineCounts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(distribution.canaryCounts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(distribution.canaryQuantiles!.p50).toBe(6);
    expect(distributionChart(distribution, 'd').match(/data-side="canary"/g)).toHaveLength(20);
  });
});

describe('chart downsampling', () => {
  it('keeps long series under the point budget with their extremes and gaps', () => {
    const timestampsMs = Array.from({ length: 10_000 }, (_, i) => i * 1000);
    const values: Array<number | null> = timestampsMs.map((_, i) => (i === 5_000 ? null : Math.sin(i / 50)));
    values[7_777] = 42;
    values[1_234] = -42;
    const reduced = downsample({ timestampsMs, values });
    expect(reduced.timestampsMs.length).toBeLessThanOrEqual(610);
    expect(Math.max(...reduced.values.filter((v): v is number => v !== null))).toBe(42);
    expect(Math.min(...reduced.values.filter((v): v is number => v !== null))).toBe(-42);
    expect(reduced.values).toContain(null);
    expect([...reduced.timestampsMs].sort((a, b) => a - b)).toEqual(reduced.timestampsMs);
    expect(downsample({ timestampsMs: [1, 2], values: [1, 2] })).toEqual({ timestampsMs: [1, 2], values: [1, 2] });
  });
});
