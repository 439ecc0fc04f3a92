// AppDynamics: the controller's metric-data REST API
// (`GET /controller/rest/applications/{application}/metric-data`, BETWEEN_TIMES in epoch ms, rollup=false,
// output=JSON) with an OAuth access token from the API client's client-credentials grant
// (`POST /controller/api/oauth/access_token`, client_id `<client>@<account>`), kept until shortly before it
// expires. The query is a metric path; `| application=…` names the business application (default: the
// account's `application`), `| value=…` the field read from each interval (value, current, min, max, sum, count).
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
import { ScopeValueError } from './scope-value';

/** Settings of one AppDynamics controller account (API client credentials from config only). */
export interface AppDynamicsSettings {
  url: string;
  accountName: string;
  clientName: string;
  clientSecret: string;
  application?: string;
  tls?: TlsOptions;
  timeoutMs: number;
}

interface MetricData {
  metricName?: string;
  metricPath?: string;
  frequency?: string;
  metricValues?: Array<Record<string, number | boolean | undefined> & { startTimeInMillis?: number }>;
}

export const APPDYNAMICS_OPTIONS = ['application', 'value'] as const;
const VALUE_FIELDS = ['value', 'current', 'min', 'max', 'sum', 'count'];
/** What the controller answers for a path without data. */
const NOT_FOUND = 'METRIC DATA NOT FOUND';

/** Creates an AppDynamics provider. */
export function createAppDynamicsProvider(name: string, settings: AppDynamicsSettings): MetricsProvider {
  const base = new URL(settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
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
    if (token && token.expiresAtMs - 30_000 > nowMs) return token.value;
    const response = await providerRequest(name, {
      method: 'POST',
      base: base.href,
      path: 'controller/api/oauth/access_token',
      // The controller documents this content type for the form-encoded grant.
      headers: { 'content-type': 'application/vnd.appd.cntrl+protobuf;v=1' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: `${settings.clientName}@${settings.accountName}`,
        client_secret: settings.clientSecret,
      }).toString(),
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
    });
    const body = (response.json ?? {}) as { access_token?: string; expires_in?: number };
    if (response.status !== 200 || typeof body.access_token !== 'string')
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: the access token request for ${settings.clientName}@${settings.accountName} failed: HTTP ${response.status} ${excerpt(response.text)}`,
      );
    token = { value: body.access_token, expiresAtMs: nowMs + (body.expires_in ?? 300) * 1000 };
    return token.value;
  }

  async function metricData(
    query: string,
    startMs: number,
    endMs: number,
  ): Promise<{ data: MetricData[]; field: string }> {
    const split = splitQueryOptions(query, APPDYNAMICS_OPTIONS);
    if ('error' in split)
      throw new ProviderError(name, 'query', `${name} cannot send the query ${query}: ${split.error}`);
    const application = split.options.application ?? settings.application;
    if (!application)
      throw new ProviderError(
        name,
        'query',
        `${name} cannot send the query ${query}: name the application (| application=…)`,
      );
    const field = split.options.value ?? 'value';
    if (!VALUE_FIELDS.includes(field))
      throw new ProviderError(
        name,
        'query',
        `${name} cannot send the query ${query}: value must be one of ${VALUE_FIELDS.join(', ')}`,
      );
    const response = await providerRequest(name, {
      method: 'GET',
      base: base.href,
      path: `controller/rest/applications/${encodeURIComponent(application)}/metric-data`,
      query: {
        'metric-path': split.text,
        'time-range-type': 'BETWEEN_TIMES',
        'start-time': String(Math.floor(startMs)),
        'end-time': String(Math.ceil(endMs)),
        rollup: 'false',
        output: 'JSON',
      },
      headers: { authorization: `Bearer ${await accessToken()}` },
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
    });
    if (response.status !== 200) {
      if (response.status === 401) token = undefined;
      const message = excerpt(response.text.replace(/<[^>]+>/g, ' '));
      if (response.status === 400 || response.status === 404)
        throw new ProviderError(
          name,
          'query',
          `${name} refused the query ${query}: HTTP ${response.status} ${message}`,
        );
      throw new ProviderError(name, 'unavailable', `${name}: HTTP ${response.status} from ${base.host}: ${message}`);
    }
    if (!Array.isArray(response.json))
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: metric-data answer is not a JSON list: ${excerpt(response.text)}`,
      );
    return { data: response.json as MetricData[], field };
  }

  return {
    name,
    type: 'appdynamics',
    renderScope(scope) {
      // Metric paths have no label filters: the scope's values as path segments (tier, then node, …). A
      // path has no quoting: `|` would add segments (or a `| application=` option) and `*` match every one.
      return Object.entries(scope)
        .map(([key, value]) => {
          if (/[|*\u0000-\u001f]/.test(value) || value.trim() === '')
            throw new ScopeValueError(name, key, value, 'is not one AppDynamics path segment (empty, or holds | or *)');
          return value;
        })
        .join('|');
    },
    async fetch(query: string, window: FetchWindow): Promise<FetchedSeries> {
      const grid = stepGrid(window);
      const { data, field } = await metricData(query, window.startMs, window.endMs);
      const found = data.filter((entry) => entry.metricName !== NOT_FOUND && (entry.metricValues ?? []).length > 0);
      const range = `between ${new Date(window.startMs).toISOString()} and ${new Date(window.endMs).toISOString()}`;
      if (found.length === 0) return unusableSeries(query, grid, 0, [`no data for ${query} ${range}`]);
      if (found.length > 1) {
        const paths = found.slice(0, 3).map((entry) => entry.metricPath ?? '?');
        return unusableSeries(query, grid, found.length, [
          `${query} matched ${found.length} metrics (${paths.join(', ')}); name one path (no wildcard)`,
        ]);
      }
      const only = found[0]!;
      const points = (only.metricValues ?? []).map((interval): [number, number] => [
        Number(interval.startTimeInMillis),
        typeof interval[field] === 'number' ? (interval[field] as number) : Number.NaN,
      ]);
      return {
        query,
        timestampsMs: grid,
        values: alignToGrid(grid, window.stepSeconds, points),
        labels: { metricPath: only.metricPath ?? '', ...(only.frequency ? { frequency: only.frequency } : {}) },
        seriesCount: 1,
        problems: [],
      };
    },
    async checkQuery(query: string): Promise<string | null> {
      const now = Date.now();
      return queryRefusal(() => metricData(query, now - 900_000, now));
    },
  };
}
