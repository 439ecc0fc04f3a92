// A contract harness for the AppDynamics controller, written from its REST API documentation: the API
// client's OAuth token (`POST /controller/api/oauth/access_token`, client_credentials with client_id
// `<client>@<account>`) and the metric-data call (`GET /controller/rest/applications/{app}/metric-data`,
// Bearer token, metric-path required, BETWEEN_TIMES needing start-time and end-time in epoch ms, JSON only
// with output=JSON). Answers use the documented metric-data list (with "METRIC DATA NOT FOUND" for a path
// without data); errors come as the controller's HTML/text pages.
import type { RecordedRequest, ReplayResponse } from '../replay-server';

export interface AppDynamicsMetric {
  metricPath: string;
  /** Interval starts (ms) and their `value` (current/min/max are derived from it). */
  points: Array<[number, number]>;
}

export interface AppDynamicsCall {
  application: string;
  metricPath: string;
  startMs: number;
  endMs: number;
  rollup: boolean;
}

export interface AppDynamicsHarnessOptions {
  accountName: string;
  clientName: string;
  clientSecret: string;
  applications: string[];
  now?: () => number;
  data: (call: AppDynamicsCall) => AppDynamicsMetric[] | { status: number; message: string };
}

const page = (status: number, message: string): ReplayResponse => ({
  status,
  headers: { 'content-type': 'text/html' },
  body: `<html><head><title>Error ${status}</title></head><body><h2>HTTP ${status}</h2><p>${message}</p></body></html>`,
});

export function appDynamicsHarness(options: AppDynamicsHarnessOptions) {
  const now = () => (options.now ?? Date.now)();
  const tokens = new Map<string, number>();
  const state = { tokensIssued: 0 };

  function token(request: RecordedRequest): ReplayResponse {
    const form = new URLSearchParams(request.body);
    if (form.get('grant_type') !== 'client_credentials') return page(400, 'unsupported grant_type');
    if (
      form.get('client_id') !== `${options.clientName}@${options.accountName}` ||
      form.get('client_secret') !== options.clientSecret
    )
      return page(401, 'Failed to authenticate: invalid client credentials');
    const value = `appd-token-${++state.tokensIssued}`;
    tokens.set(value, now() + 300_000);
    return { status: 200, body: { access_token: value, expires_in: 300 } };
  }

  function metricData(request: RecordedRequest, application: string): ReplayResponse {
    const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    const expiry = bearer ? tokens.get(bearer) : undefined;
    if (!expiry || expiry < now()) return page(401, 'Authentication required');
    if (!options.applications.includes(application))
      return page(400, `Invalid application id ${application} is specified`);
    const q = request.url.searchParams;
    const metricPath = q.get('metric-path');
    if (!metricPath) return page(400, 'metric-path is required');
    if (q.get('time-range-type') !== 'BETWEEN_TIMES') return page(400, 'time-range-type must be BETWEEN_TIMES here');
    const startText = q.get('start-time') ?? '';
    const endText = q.get('end-time') ?? '';
    if (!/^\d+$/.test(startText) || !/^\d+$/.test(endText))
      return page(400, 'start-time and end-time (epoch ms) are required with BETWEEN_TIMES');
    const startMs = Number(startText);
    const endMs = Number(endText);
    if (startMs >= endMs) return page(400, 'start-time must be before end-time');
    const answer = options.data({ application, metricPath, startMs, endMs, rollup: q.get('rollup') !== 'false' });
    if (!Array.isArray(answer)) return page(answer.status, answer.message);
    if (q.get('output') !== 'JSON')
      return { status: 200, headers: { 'content-type': 'text/xml' }, body: '<metric-datas/>' };
    const body = answer.length
      ? answer.map((metric, index) => ({
          metricName: metric.metricPath.split('|').slice(-3).join('|'),
          metricId: 1000 + index,
          metricPath: metric.metricPath,
          frequency: 'ONE_MIN',
          metricValues: metric.points
            .filter(([at]) => at >= startMs && at < endMs)
            .map(([at, value]) => ({
              startTimeInMillis: at,
              occurrences: 0,
              current: value,
              min: value,
              max: value,
              useRange: false,
              count: 1,
              sum: value,
              value,
              standardDeviation: 0,
            })),
        }))
      : [
          {
            metricName: 'METRIC DATA NOT FOUND',
            metricId: -1,
            metricPath: metricPath,
            frequency: 'ONE_MIN',
            metricValues: [],
          },
        ];
    return { status: 200, body };
  }

  const handler = (request: RecordedRequest): ReplayResponse => {
    if (request.method === 'POST' && request.url.pathname === '/controller/api/oauth/access_token')
      return token(request);
    const path = /^\/controller\/rest\/applications\/([^/]+)\/metric-data$/.exec(request.url.pathname);
    if (request.method === 'GET' && path) return metricData(request, decodeURIComponent(path[1]!));
    return page(404, 'Not Found');
  };
  return { handler, state };
}
