// Prometheus: range queries (`/api/v1/query_range`) on the window's step grid, basic or bearer auth,
// TLS; the query's syntax is checked with an instant query, which parses it the same way.
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

/** Settings of one Prometheus account. */
export interface PrometheusSettings {
  url: string;
  username?: string;
  password?: string;
  bearerToken?: string;
  tls?: TlsOptions;
  timeoutMs: number;
}

interface PrometheusBody {
  status?: string;
  errorType?: string;
  error?: string;
  warnings?: string[];
  data?: { resultType?: string; result?: Array<{ metric?: Record<string, string>; values?: Array<[number, string]> }> };
}

/** Label values are written as PromQL strings: backslash and double quote escaped. */
function promString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Creates a Prometheus provider. */
export function createPrometheusProvider(name: string, settings: PrometheusSettings): MetricsProvider {
  const base = new URL(settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (settings.bearerToken) headers.authorization = `Bearer ${settings.bearerToken}`;
  else if (settings.username !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${settings.username}:${settings.password ?? ''}`).toString('base64')}`;

  async function call(path: string, form: Record<string, string>, query: string): Promise<PrometheusBody> {
    const response = await providerRequest(name, {
      method: 'POST',
      base: base.href,
      path,
      headers,
      body: new URLSearchParams(form).toString(),
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
    });
    const body = (response.json ?? {}) as PrometheusBody;
    if ((response.status === 400 || response.status === 422) && body.status === 'error') {
      throw new ProviderError(
        name,
        'query',
        `${name} refused the query ${query}: ${body.errorType ?? 'error'}: ${body.error ?? excerpt(response.text)}`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: HTTP ${response.status}: credentials refused (${base.host})`,
      );
    }
    if (response.status !== 200 || body.status !== 'success') {
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: HTTP ${response.status} from ${base.host}: ${body.error ?? excerpt(response.text)}`,
      );
    }
    return body;
  }

  return {
    name,
    type: 'prometheus',
    renderScope(scope) {
      return Object.entries(scope)
        .map(([key, value]) => `${key}=${promString(value)}`)
        .join(',');
    },
    async fetch(query: string, window: FetchWindow): Promise<FetchedSeries> {
      const grid = stepGrid(window);
      const body = await call(
        'api/v1/query_range',
        {
          query,
          start: String(window.startMs / 1000),
          end: String(window.endMs / 1000),
          step: `${window.stepSeconds}s`,
        },
        query,
      );
      if (body.data?.resultType !== 'matrix') {
        throw new ProviderError(
          name,
          'query',
          `${name}: the query ${query} returned a ${body.data?.resultType ?? 'missing'} result, not a range vector series`,
        );
      }
      const result = body.data.result ?? [];
      const problems: string[] = (body.warnings ?? []).map((warning) => `${name} warned: ${warning}`);
      if (result.length === 0) {
        problems.push(
          `no series matched ${query} between ${new Date(window.startMs).toISOString()} and ${new Date(window.endMs).toISOString()}`,
        );
        return unusableSeries(query, grid, 0, problems);
      }
      if (result.length > 1) {
        const sample = result
          .slice(0, 3)
          .map((series) => JSON.stringify(series.metric ?? {}))
          .join(', ');
        problems.push(
          `${query} returned ${result.length} series (${sample}${result.length > 3 ? ', …' : ''}); aggregate them to one, e.g. sum(...) or avg(...)`,
        );
        return unusableSeries(query, grid, result.length, problems);
      }
      const series = result[0]!;
      const points = (series.values ?? []).map(([seconds, text]): [number, number] => [
        Math.round(seconds * 1000),
        Number(text),
      ]);
      return {
        query,
        timestampsMs: grid,
        values: alignToGrid(grid, window.stepSeconds, points),
        labels: series.metric ?? {},
        seriesCount: 1,
        problems,
      };
    },
    async checkQuery(query: string): Promise<string | null> {
      return queryRefusal(() => call('api/v1/query', { query }, query));
    },
  };
}
