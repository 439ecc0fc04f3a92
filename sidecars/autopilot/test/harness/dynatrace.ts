// A contract harness for the Dynatrace Metrics API v2 `GET /api/v2/metrics/query`, written from its
// API reference: `Authorization: Api-Token` with the metrics.read scope, metricSelector required,
// from/to as epoch ms or ISO 8601, resolution as `<n>m|h|d` or Inf, nextPageKey only on its own; answers
// with the documented MetricData shape and error envelope (with constraintViolations), 429 with Retry-After.
import type { RecordedRequest, ReplayResponse } from '../replay-server';

/** One series the harness stores: its dimensions and points (ms, value or null). */
export interface DynatraceSeries {
  dimensionMap: Record<string, string>;
  points: Array<[number, number | null]>;
}

export interface DynatraceCall {
  metricSelector: string;
  entitySelector: string | null;
  fromMs: number;
  toMs: number;
  resolution: string;
}

export interface DynatraceHarnessOptions {
  /** Token → its scopes. */
  tokens: Record<string, string[]>;
  /** Series per page before nextPageKey. */
  pageSize?: number;
  data: (call: DynatraceCall) => DynatraceSeries[] | { code: number; message: string };
}

const error = (
  code: number,
  message: string,
  violations: Array<{ path: string; message: string }> = [],
): ReplayResponse => ({
  status: code,
  body: {
    error: {
      code,
      message,
      ...(violations.length
        ? { constraintViolations: violations.map((v) => ({ ...v, parameterLocation: 'QUERY', location: null })) }
        : {}),
    },
  },
  ...(code === 429 ? { headers: { 'retry-after': '1' } } : {}),
});

/** A Dynatrace timeframe bound: epoch ms or ISO 8601 (relative bounds are not used by autopilot). */
function parseTime(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  return /^\d{4}-\d{2}-\d{2}T/.test(text) && Number.isFinite(parsed) ? parsed : undefined;
}

export function dynatraceHarness(options: DynatraceHarnessOptions) {
  const pending = new Map<string, { metricId: string; series: DynatraceSeries[] }>();
  let counter = 0;

  const handler = (request: RecordedRequest): ReplayResponse => {
    if (request.method !== 'GET' || request.url.pathname !== '/api/v2/metrics/query') return error(404, 'Not found');
    const token = /^Api-Token (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    const scopes = token === undefined ? undefined : options.tokens[token];
    if (!scopes) return error(401, 'Missing authorization parameter.');
    if (!scopes.includes('metrics.read'))
      return error(403, 'Token is missing required scope. Use one of: metrics.read (Read metrics)');
    const q = request.url.searchParams;
    let metricId: string;
    let series: DynatraceSeries[];
    let resolution = '';
    const pageKey = q.get('nextPageKey');
    if (pageKey !== null) {
      const others = [...q.keys()].filter((key) => key !== 'nextPageKey');
      if (others.length)
        return error(
          400,
          'Constraints violated.',
          others.map((key) => ({ path: key, message: 'must not be set together with nextPageKey' })),
        );
      const rest = pending.get(pageKey);
      if (!rest) return error(400, 'Constraints violated.', [{ path: 'nextPageKey', message: 'invalid page key' }]);
      pending.delete(pageKey);
      ({ metricId, series } = rest);
    } else {
      const metricSelector = q.get('metricSelector');
      if (!metricSelector)
        return error(400, 'Constraints violated.', [{ path: 'metricSelector', message: 'must not be null' }]);
      const fromMs = parseTime(q.get('from') ?? '');
      const toMs = parseTime(q.get('to') ?? String(Date.now()));
      if (fromMs === undefined)
        return error(400, 'Constraints violated.', [{ path: 'from', message: 'invalid timestamp' }]);
      if (toMs === undefined)
        return error(400, 'Constraints violated.', [{ path: 'to', message: 'invalid timestamp' }]);
      if (fromMs >= toMs) return error(400, 'The start of the timeframe must be before its end.');
      resolution = q.get('resolution') ?? '';
      if (resolution && !/^(\d+[mhdwMqy]|Inf)$/.test(resolution))
        return error(400, 'Constraints violated.', [
          { path: 'resolution', message: `invalid resolution ${resolution}` },
        ]);
      const answer = options.data({
        metricSelector,
        entitySelector: q.get('entitySelector'),
        fromMs,
        toMs,
        resolution,
      });
      if (!Array.isArray(answer)) return error(answer.code, answer.message);
      metricId = metricSelector;
      series = answer.map((s) => ({ ...s, points: s.points.filter(([at]) => at >= fromMs && at <= toMs) }));
    }
    const pageSize = options.pageSize ?? 100_000;
    let nextPageKey: string | null = null;
    if (series.length > pageSize) {
      nextPageKey = `page-${++counter}`;
      pending.set(nextPageKey, { metricId, series: series.slice(pageSize) });
    }
    return {
      status: 200,
      body: {
        totalCount: series.length,
        nextPageKey,
        resolution: resolution || '1m',
        result: [
          {
            metricId,
            dataPointCountRatio: 0.0001,
            dimensionCountRatio: 0.00002,
            data: series.slice(0, pageSize).map((s) => ({
              dimensions: Object.values(s.dimensionMap),
              dimensionMap: s.dimensionMap,
              timestamps: s.points.map(([at]) => at),
              values: s.points.map(([, value]) => value),
            })),
            ...(series.length === 0 ? { warnings: ['The metric selector matched no data'] } : {}),
          },
        ],
      },
    };
  };
  return { handler };
}
