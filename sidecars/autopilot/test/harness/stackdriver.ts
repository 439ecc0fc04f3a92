// A contract harness for Google Cloud Monitoring, written from its API reference: the OAuth2 token
// endpoint (JWT bearer grant: RS256 signature over the service account's key, iss/aud/scope/iat/exp
// checked) and `projects.timeSeries.list` (Bearer token, project path, required filter and interval in
// RFC 3339, alignment period as `<n>s`, documented aligner/reducer names, pageToken paging). Answers use
// the documented `ListTimeSeriesResponse` and `google.rpc.Status` error shapes. Both live on one replay
// server: POST /token and GET /v3/projects/{project}/timeSeries.
import { verify, type KeyObject } from 'node:crypto';
import type { RecordedRequest, ReplayResponse } from '../replay-server';

/** One series the harness stores: labels and points (endTime ms, value), as the API would return them. */
export interface StackdriverSeries {
  metric: { type: string; labels?: Record<string, string> };
  resource: { type: string; labels?: Record<string, string> };
  valueType?: 'DOUBLE' | 'INT64';
  points: Array<[number, number]>;
}

/** What the list call asked for. */
export interface StackdriverListCall {
  project: string;
  filter: string;
  startMs: number;
  endMs: number;
  alignmentSeconds: number;
  perSeriesAligner: string;
  crossSeriesReducer: string | null;
  groupByFields: string[];
}

export interface StackdriverHarnessOptions {
  clientEmail: string;
  publicKey: KeyObject;
  project: string;
  /** The token URL the JWT must name as audience. */
  tokenUrl: () => string;
  now?: () => number;
  /** Series per page before nextPageToken. */
  pageSize?: number;
  data: (call: StackdriverListCall) => StackdriverSeries[] | { code: number; status: string; message: string };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ALIGNERS = new Set(
  'ALIGN_NONE ALIGN_DELTA ALIGN_RATE ALIGN_INTERPOLATE ALIGN_NEXT_OLDER ALIGN_MIN ALIGN_MAX ALIGN_MEAN ALIGN_COUNT ALIGN_SUM ALIGN_STDDEV ALIGN_COUNT_TRUE ALIGN_COUNT_FALSE ALIGN_FRACTION_TRUE ALIGN_PERCENTILE_99 ALIGN_PERCENTILE_95 ALIGN_PERCENTILE_50 ALIGN_PERCENTILE_05 ALIGN_PERCENT_CHANGE'.split(
    ' ',
  ),
);
const REDUCERS = new Set(
  'REDUCE_NONE REDUCE_MEAN REDUCE_MIN REDUCE_MAX REDUCE_SUM REDUCE_STDDEV REDUCE_COUNT REDUCE_COUNT_TRUE REDUCE_COUNT_FALSE REDUCE_FRACTION_TRUE REDUCE_PERCENTILE_99 REDUCE_PERCENTILE_95 REDUCE_PERCENTILE_50 REDUCE_PERCENTILE_05'.split(
    ' ',
  ),
);

const rpcError = (code: number, status: string, message: string): ReplayResponse => ({
  status: code,
  body: { error: { code, message, status } },
});

/** Creates the handler; `tokensIssued` counts the token exchanges. */
export function stackdriverHarness(options: StackdriverHarnessOptions) {
  const now = () => (options.now ?? Date.now)();
  const tokens = new Map<string, number>();
  const pending = new Map<string, StackdriverSeries[]>();
  let counter = 0;
  const state = { tokensIssued: 0 };

  function token(request: RecordedRequest): ReplayResponse {
    const form = new URLSearchParams(request.body);
    const refuse = (description: string) => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: description },
    });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' } };
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return refuse('Invalid JWT: not three segments');
    const [header, claims] = parts.slice(0, 2).map((part) => {
      try {
        return JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    });
    if (!header || !claims) return refuse('Invalid JWT: segments are not JSON');
    if (header.alg !== 'RS256') return refuse('Invalid JWT: alg must be RS256');
    const signed = verify(
      'sha256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      options.publicKey,
      Buffer.from(parts[2]!, 'base64url'),
    );
    if (!signed) return refuse('Invalid JWT Signature.');
    if (claims.iss !== options.clientEmail)
      return { status: 401, body: { error: 'invalid_client', error_description: 'The OAuth client was not found.' } };
    if (claims.aud !== options.tokenUrl())
      return refuse('Invalid JWT: Token must be a short-lived token and in a reasonable timeframe (aud)');
    if (
      typeof claims.scope !== 'string' ||
      !claims.scope.split(' ').some((s) => s.startsWith('https://www.googleapis.com/auth/monitoring'))
    )
      return refuse('Invalid OAuth scope or ID token audience provided.');
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    const nowSeconds = now() / 1000;
    if (
      !Number.isInteger(iat) ||
      !Number.isInteger(exp) ||
      exp - iat > 3600 ||
      iat > nowSeconds + 300 ||
      exp < nowSeconds
    )
      return refuse('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    const accessToken = `ya29.harness-${++counter}`;
    tokens.set(accessToken, now() + 3600_000);
    state.tokensIssued++;
    return { status: 200, body: { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' } };
  }

  function list(request: RecordedRequest, project: string): ReplayResponse {
    const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    const expiry = bearer ? tokens.get(bearer) : undefined;
    if (!expiry || expiry < now())
      return rpcError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token.',
      );
    if (project !== options.project)
      return rpcError(
        403,
        'PERMISSION_DENIED',
        `Permission monitoring.timeSeries.list denied (or the resource may not exist).`,
      );
    const q = request.url.searchParams;
    const filter = q.get('filter');
    if (!filter) return rpcError(400, 'INVALID_ARGUMENT', 'Field filter had an invalid value: a filter is required');
    if (!/metric\.type\s*=/.test(filter))
      return rpcError(
        400,
        'INVALID_ARGUMENT',
        `Field filter had an invalid value of "${filter}": must specify a metric type`,
      );
    const end = q.get('interval.endTime') ?? '';
    const start = q.get('interval.startTime') ?? '';
    if (!RFC3339.test(end)) return rpcError(400, 'INVALID_ARGUMENT', 'Field interval.endTime had an invalid value');
    if (start && !RFC3339.test(start))
      return rpcError(400, 'INVALID_ARGUMENT', 'Field interval.startTime had an invalid value');
    const period = /^(\d+)s$/.exec(q.get('aggregation.alignmentPeriod') ?? '');
    const aligner = q.get('aggregation.perSeriesAligner') ?? 'ALIGN_NONE';
    const reducer = q.get('aggregation.crossSeriesReducer');
    if (!ALIGNERS.has(aligner))
      return rpcError(
        400,
        'INVALID_ARGUMENT',
        `Field aggregation.perSeriesAligner had an invalid value of "${aligner}"`,
      );
    if (reducer !== null && !REDUCERS.has(reducer))
      return rpcError(
        400,
        'INVALID_ARGUMENT',
        `Field aggregation.crossSeriesReducer had an invalid value of "${reducer}"`,
      );
    if (aligner !== 'ALIGN_NONE' && (!period || Number(period[1]) < 1))
      return rpcError(
        400,
        'INVALID_ARGUMENT',
        'The alignment period must be at least 1 second when an aligner is given',
      );
    if (reducer && reducer !== 'REDUCE_NONE' && aligner === 'ALIGN_NONE')
      return rpcError(400, 'INVALID_ARGUMENT', 'A reducer requires an aligner other than ALIGN_NONE');

    let series: StackdriverSeries[];
    const pageToken = q.get('pageToken');
    if (pageToken) {
      const rest = pending.get(pageToken);
      if (!rest) return rpcError(400, 'INVALID_ARGUMENT', 'Field pageToken had an invalid value');
      pending.delete(pageToken);
      series = rest;
    } else {
      const startMs = start ? Date.parse(start) : Date.parse(end);
      const endMs = Date.parse(end);
      const answer = options.data({
        project,
        filter,
        startMs,
        endMs,
        alignmentSeconds: period ? Number(period[1]) : 0,
        perSeriesAligner: aligner,
        crossSeriesReducer: reducer,
        groupByFields: q.getAll('aggregation.groupByFields'),
      });
      if (!Array.isArray(answer)) return rpcError(answer.code, answer.status, answer.message);
      series = answer.map((s) => ({ ...s, points: s.points.filter(([at]) => at > startMs && at <= endMs) }));
    }
    const pageSize = options.pageSize ?? 100_000;
    const page = series.slice(0, pageSize);
    let nextPageToken: string | undefined;
    if (series.length > pageSize) {
      nextPageToken = `page-${++counter}`;
      pending.set(nextPageToken, series.slice(pageSize));
    }
    const periodMs = (period ? Number(period[1]) : 0) * 1000;
    return {
      status: 200,
      body: {
        timeSeries: page.map((s) => ({
          metric: s.metric,
          resource: s.resource,
          metricKind: 'GAUGE',
          valueType: s.valueType ?? 'DOUBLE',
          // The API returns points newest first; int64 values are JSON strings.
          points: [...s.points]
            .sort((a, b) => b[0] - a[0])
            .map(([at, value]) => ({
              interval: { startTime: new Date(at - periodMs).toISOString(), endTime: new Date(at).toISOString() },
              value: s.valueType === 'INT64' ? { int64Value: String(Math.round(value)) } : { doubleValue: value },
            })),
        })),
        ...(nextPageToken ? { nextPageToken } : {}),
        unit: '1',
      },
    };
  }

  const handler = (request: RecordedRequest): ReplayResponse => {
    if (request.method === 'POST' && request.url.pathname === '/token') return token(request);
    const path = /^\/v3\/projects\/([^/]+)\/timeSeries$/.exec(request.url.pathname);
    if (request.method === 'GET' && path) return list(request, decodeURIComponent(path[1]!));
    return rpcError(404, 'NOT_FOUND', `no route ${request.method} ${request.url.pathname}`);
  };
  return { handler, state };
}
