// Datadog: the metrics query API (`GET /api/v1/query?from&to&query`, seconds), API and application
// keys in headers; points are placed on the window's step grid.
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
import { ScopeValueError } from './scope-value';

/** Settings of one Datadog account. */
export interface DatadogSettings {
  url: string;
  apiKey: string;
  applicationKey: string;
  tls?: TlsOptions;
  timeoutMs: number;
}

interface DatadogBody {
  status?: string;
  error?: string;
  errors?: string[];
  series?: Array<{
    pointlist?: Array<[number, number | null]>;
    scope?: string;
    tag_set?: string[];
    expression?: string;
    metric?: string;
  }>;
}

/** A tag value as Datadog stores it (docs.datadoghq.com/getting_started/tagging, "Define tags"). */
const DATADOG_TAG = /^[\p{L}\p{N}_\-:./]+$/u;

/** Creates a Datadog provider. */
export function createDatadogProvider(name: string, settings: DatadogSettings): MetricsProvider {
  const base = new URL(settings.url.endsWith('/') ? settings.url : `${settings.url}/`);

  async function call(query: string, fromSeconds: number, toSeconds: number): Promise<DatadogBody> {
    const response = await providerRequest(name, {
      method: 'GET',
      base: base.href,
      path: 'api/v1/query',
      query: { from: String(fromSeconds), to: String(toSeconds), query },
      headers: { 'DD-API-KEY': settings.apiKey, 'DD-APPLICATION-KEY': settings.applicationKey },
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
    });
    const body = (response.json ?? {}) as DatadogBody;
    if (response.status === 400) {
      throw new ProviderError(
        name,
        'query',
        `${name} refused the query ${query}: ${(body.errors ?? []).join('; ') || excerpt(response.text)}`,
      );
    }
    if (response.status !== 200) {
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: HTTP ${response.status} from ${base.host}: ${(body.errors ?? []).join('; ') || excerpt(response.text)}`,
      );
    }
    if (body.status === 'error')
      throw new ProviderError(name, 'query', `${name} refused the query ${query}: ${body.error ?? 'error'}`);
    return body;
  }

  return {
    name,
    type: 'datadog',
    renderScope(scope) {
      // Datadog's filter has no quoting: a value with `,`, `}`, a space or `*` would add terms, close the
      // filter or widen it. Tags hold only letters, digits, `_ - : . /` (others are stored as `_`), so a
      // value outside that set matches no tag anyway and is refused.
      return Object.entries(scope)
        .map(([key, value]) => {
          if (!DATADOG_TAG.test(value))
            throw new ScopeValueError(name, key, value, 'is not a Datadog tag value (letters, digits, _ - : . /)');
          return `${key}:${value}`;
        })
        .join(',');
    },
    async fetch(query: string, window: FetchWindow): Promise<FetchedSeries> {
      const grid = stepGrid(window);
      const body = await call(query, Math.floor(window.startMs / 1000), Math.ceil(window.endMs / 1000));
      const series = body.series ?? [];
      const problems: string[] = [];
      if (series.length === 0) {
        problems.push(
          `no series matched ${query} between ${new Date(window.startMs).toISOString()} and ${new Date(window.endMs).toISOString()}`,
        );
        return unusableSeries(query, grid, 0, problems);
      }
      if (series.length > 1) {
        problems.push(
          `${query} returned ${series.length} series (${series
            .slice(0, 3)
            .map((s) => s.scope ?? '?')
            .join(', ')}); aggregate them to one (no "by {...}")`,
        );
        return unusableSeries(query, grid, series.length, problems);
      }
      const only = series[0]!;
      const points = (only.pointlist ?? [])
        .filter((point): point is [number, number] => typeof point[1] === 'number')
        .map(([atMs, value]): [number, number] => [atMs, value]);
      const labels = Object.fromEntries(
        (only.tag_set ?? (only.scope ?? '').split(',')).filter(Boolean).map((tag) => {
          const at = tag.indexOf(':');
          return at < 0 ? [tag, ''] : [tag.slice(0, at), tag.slice(at + 1)];
        }),
      );
      return {
        query,
        timestampsMs: grid,
        values: alignToGrid(grid, window.stepSeconds, points),
        labels,
        seriesCount: 1,
        problems,
      };
    },
    async checkQuery(query: string): Promise<string | null> {
      const now = Math.floor(Date.now() / 1000);
      return queryRefusal(() => call(query, now - 300, now));
    },
  };
}
