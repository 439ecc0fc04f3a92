// Google Cloud Monitoring (Stackdriver): `projects.timeSeries.list` (GET /v3/projects/{project}/timeSeries)
// with the template's filter, aligned and reduced at the window's step; pages through nextPageToken. Auth is
// a service account's OAuth2 JWT bearer grant (RS256 JWT signed with node:crypto, exchanged at the token
// URL for an access token kept until shortly before it expires).
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { excerpt, providerRequest, type TlsOptions } from './http-client';
import {
  ProviderError,
  alignToGrid,
  stepGrid,
  unusableSeries,
  type FetchWindow,
  type FetchedSeries,
  type MetricsProvider,
  queryRefusal,
} from './provider';
import { splitQueryOptions } from './query-options';

/** Settings of one Cloud Monitoring account (the service account's key from config only). */
export interface StackdriverSettings {
  url: string;
  projectId: string;
  clientEmail: string;
  privateKey: string;
  privateKeyId?: string;
  tokenUrl: string;
  tls?: TlsOptions;
  timeoutMs: number;
}

interface Point {
  interval?: { startTime?: string; endTime?: string };
  value?: {
    doubleValue?: number | string;
    int64Value?: string | number;
    boolValue?: boolean;
    distributionValue?: { mean?: number; count?: string | number };
  };
}
interface TimeSeries {
  metric?: { type?: string; labels?: Record<string, string> };
  resource?: { type?: string; labels?: Record<string, string> };
  points?: Point[];
}
interface ListBody {
  timeSeries?: TimeSeries[];
  nextPageToken?: string;
  executionErrors?: Array<{ message?: string }>;
  error?: { code?: number; message?: string; status?: string };
}

/** The query options a Cloud Monitoring metric may give after its filter. */
export const STACKDRIVER_OPTIONS = ['perSeriesAligner', 'crossSeriesReducer', 'groupByFields'] as const;
const SCOPE = 'https://www.googleapis.com/auth/monitoring.read';
const MAX_PAGES = 100;
/** Statuses that mean the account or the service, not the query (google.rpc.Code names). */
const UNAVAILABLE_STATUSES = new Set([
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'INTERNAL',
  'DEADLINE_EXCEEDED',
]);

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** The value of a point as a number: double, int64 (a JSON string), bool as 0/1, a distribution's mean. */
function pointValue(point: Point): number {
  const value = point.value ?? {};
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.int64Value !== undefined) return Number(value.int64Value);
  if (value.boolValue !== undefined) return value.boolValue ? 1 : 0;
  if (value.distributionValue !== undefined)
    return Number(value.distributionValue.count ?? 0) > 0 ? Number(value.distributionValue.mean ?? 0) : Number.NaN;
  return Number.NaN;
}

/** Creates a Cloud Monitoring provider. */
export function createStackdriverProvider(name: string, settings: StackdriverSettings): MetricsProvider {
  const base = new URL(settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
  let privateKey: KeyObject | undefined;
  let token: { value: string; expiresAtMs: number } | undefined;

  let pendingToken: Promise<string> | undefined;

  /** The cached token, or one exchange shared by every request that needs it meanwhile (baseline and canary run at once). */
  function accessToken(): Promise<string> {
    pendingToken ??= exchangeToken().finally(() => {
      pendingToken = undefined;
    });
    return pendingToken;
  }

  async function exchangeToken(): Promise<string> {
    const nowMs = Date.now();
    if (token && token.expiresAtMs - 60_000 > nowMs) return token.value;
    try {
      privateKey ??= createPrivateKey(settings.privateKey.replace(/\\n/g, '\n'));
    } catch (error) {
      throw new ProviderError(name, 'unavailable', `${name}: privateKey is not a PEM private key`, { cause: error });
    }
    const iat = Math.floor(nowMs / 1000);
    const header = { alg: 'RS256', typ: 'JWT', ...(settings.privateKeyId ? { kid: settings.privateKeyId } : {}) };
    const claims = { iss: settings.clientEmail, scope: SCOPE, aud: settings.tokenUrl, iat, exp: iat + 3600 };
    const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const assertion = `${unsigned}.${base64url(sign('sha256', Buffer.from(unsigned), privateKey))}`;
    const response = await providerRequest(name, {
      method: 'POST',
      base: settings.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
    });
    const body = (response.json ?? {}) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    };
    if (response.status !== 200 || typeof body.access_token !== 'string') {
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: the token exchange for ${settings.clientEmail} failed: HTTP ${response.status} ${body.error ?? ''}${body.error_description ? ` (${body.error_description})` : ''}`.trim(),
      );
    }
    token = { value: body.access_token, expiresAtMs: nowMs + (body.expires_in ?? 3600) * 1000 };
    return token.value;
  }

  async function list(query: string, startMs: number, endMs: number, stepSeconds: number): Promise<TimeSeries[]> {
    const split = splitQueryOptions(query, STACKDRIVER_OPTIONS);
    if ('error' in split)
      throw new ProviderError(name, 'query', `${name} cannot send the query ${query}: ${split.error}`);
    const reducer = split.options.crossSeriesReducer ?? 'REDUCE_MEAN';
    const params = new URLSearchParams({
      filter: split.text,
      'interval.startTime': new Date(startMs).toISOString(),
      'interval.endTime': new Date(endMs).toISOString(),
      'aggregation.alignmentPeriod': `${stepSeconds}s`,
      'aggregation.perSeriesAligner': split.options.perSeriesAligner ?? 'ALIGN_MEAN',
    });
    if (reducer !== 'REDUCE_NONE') params.set('aggregation.crossSeriesReducer', reducer);
    for (const field of (split.options.groupByFields ?? '')
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean))
      params.append('aggregation.groupByFields', field);
    const series: TimeSeries[] = [];
    let pageToken = '';
    for (let pages = 0; ; pages++) {
      if (pages >= MAX_PAGES)
        throw new ProviderError(name, 'query', `${name}: ${query} still had more pages after ${MAX_PAGES}`);
      const pageParams = new URLSearchParams(params);
      if (pageToken) pageParams.set('pageToken', pageToken);
      const response = await providerRequest(name, {
        method: 'GET',
        base: base.href,
        path: `v3/projects/${encodeURIComponent(settings.projectId)}/timeSeries`,
        query: pageParams,
        headers: { authorization: `Bearer ${await accessToken()}` },
        timeoutMs: settings.timeoutMs,
        tls: settings.tls,
      });
      const body = (response.json ?? {}) as ListBody;
      if (response.status !== 200) {
        if (response.status === 401) token = undefined;
        const status = body.error?.status ?? '';
        const message = `${status || `HTTP ${response.status}`}: ${body.error?.message ?? excerpt(response.text)}`;
        if (response.status === 400 && !UNAVAILABLE_STATUSES.has(status))
          throw new ProviderError(name, 'query', `${name} refused the query ${query}: ${message}`);
        throw new ProviderError(name, 'unavailable', `${name}: HTTP ${response.status} from ${base.host}: ${message}`);
      }
      if (body.executionErrors?.length)
        throw new ProviderError(
          name,
          'unavailable',
          `${name}: ${query} answered with errors: ${body.executionErrors.map((e) => e.message ?? '?').join('; ')}`,
        );
      series.push(...(body.timeSeries ?? []));
      pageToken = body.nextPageToken ?? '';
      if (!pageToken) return series;
    }
  }

  return {
    name,
    type: 'stackdriver',
    renderScope(scope) {
      // A label without a prefix is a resource label (Kayenta's k8s and GCE scopes are resource labels).
      return Object.entries(scope)
        .map(([key, value]) => {
          const field = key.includes('.') ? key : `resource.labels.${key}`;
          return `${field}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
        })
        .join(' AND ');
    },
    async fetch(query: string, window: FetchWindow): Promise<FetchedSeries> {
      const grid = stepGrid(window);
      const series = await list(query, window.startMs, window.endMs, window.stepSeconds);
      const range = `between ${new Date(window.startMs).toISOString()} and ${new Date(window.endMs).toISOString()}`;
      if (series.length === 0) return unusableSeries(query, grid, 0, [`no series matched ${query} ${range}`]);
      if (series.length > 1) {
        const labels = series.slice(0, 3).map((s) => JSON.stringify({ ...s.resource?.labels, ...s.metric?.labels }));
        return unusableSeries(query, grid, series.length, [
          `${query} returned ${series.length} series (${labels.join(', ')}); reduce them to one (crossSeriesReducer without groupByFields)`,
        ]);
      }
      const only = series[0]!;
      // An aligned point stands for the period ending at its endTime.
      const points = (only.points ?? []).map((point): [number, number] => [
        Date.parse(point.interval?.endTime ?? point.interval?.startTime ?? ''),
        pointValue(point),
      ]);
      return {
        query,
        timestampsMs: grid,
        values: alignToGrid(grid, window.stepSeconds, points),
        labels: { ...only.resource?.labels, ...only.metric?.labels },
        seriesCount: 1,
        problems: [],
      };
    },
    async checkQuery(query: string): Promise<string | null> {
      const now = Date.now();
      return queryRefusal(() => list(query, now - 300_000, now, 60));
    },
  };
}
