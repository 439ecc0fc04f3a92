// Dynatrace: Metrics API v2 (`GET /api/v2/metrics/query`, `Authorization: Api-Token …`, scope
// metrics.read) with the template's metric selector from/to in ms at a resolution of the step in minutes;
// an optional `| entitySelector=…` clause; pages through nextPageKey.
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

/** Settings of one Dynatrace environment. */
export interface DynatraceSettings {
  /** Environment URL, e.g. https://abc12345.live.dynatrace.com (or …/e/{environment-id} for Managed). */
  url: string;
  apiToken: string;
  tls?: TlsOptions;
  timeoutMs: number;
}

interface QueryBody {
  totalCount?: number;
  nextPageKey?: string | null;
  resolution?: string;
  result?: Array<{
    metricId?: string;
    warnings?: string[];
    data?: Array<{
      dimensionMap?: Record<string, string>;
      timestamps?: number[];
      values?: Array<number | null>;
    }>;
  }>;
  error?: { code?: number; message?: string; constraintViolations?: Array<{ path?: string; message?: string }> };
}

export const DYNATRACE_OPTIONS = ['entitySelector'] as const;
const MAX_PAGES = 100;

/** Dynatrace resolutions are whole minutes here (its finest is 1m). */
export function dynatraceResolutionMinutes(stepSeconds: number): number {
  return Math.max(1, Math.round(stepSeconds / 60));
}

/** A quoted string in Dynatrace selector syntax: `"` and `~` are escaped with `~`. */
const quote = (text: string) => `"${text.replace(/~/g, '~~').replace(/"/g, '~"')}"`;

/** Creates a Dynatrace provider. */
export function createDynatraceProvider(name: string, settings: DynatraceSettings): MetricsProvider {
  const base = new URL(settings.url.endsWith('/') ? settings.url : `${settings.url}/`);

  async function query(text: string, startMs: number, endMs: number, minutes: number): Promise<QueryBody['result']> {
    const split = splitQueryOptions(text, DYNATRACE_OPTIONS);
    if ('error' in split)
      throw new ProviderError(name, 'query', `${name} cannot send the query ${text}: ${split.error}`);
    const first: Record<string, string> = {
      metricSelector: split.text,
      from: String(Math.floor(startMs)),
      to: String(Math.ceil(endMs)),
      resolution: `${minutes}m`,
      ...(split.options.entitySelector ? { entitySelector: split.options.entitySelector } : {}),
    };
    const results: NonNullable<QueryBody['result']> = [];
    let nextPageKey = '';
    for (let pages = 0; ; pages++) {
      if (pages >= MAX_PAGES)
        throw new ProviderError(name, 'query', `${name}: ${text} still had more pages after ${MAX_PAGES}`);
      const response = await providerRequest(name, {
        method: 'GET',
        base: base.href,
        path: 'api/v2/metrics/query',
        // A next page is asked for with nextPageKey alone: the API refuses it beside the first page's parameters.
        query: nextPageKey ? { nextPageKey } : first,
        headers: { authorization: `Api-Token ${settings.apiToken}` },
        timeoutMs: settings.timeoutMs,
        tls: settings.tls,
      });
      const body = (response.json ?? {}) as QueryBody;
      if (response.status !== 200) {
        const violations = (body.error?.constraintViolations ?? []).map((v) => `${v.path ?? ''}: ${v.message ?? ''}`);
        const message = [body.error?.message ?? excerpt(response.text), ...violations].join('; ');
        if (response.status === 400 || response.status === 404)
          throw new ProviderError(name, 'query', `${name} refused the query ${text}: ${message}`);
        throw new ProviderError(name, 'unavailable', `${name}: HTTP ${response.status} from ${base.host}: ${message}`);
      }
      results.push(...(body.result ?? []));
      nextPageKey = body.nextPageKey ?? '';
      if (!nextPageKey) return results;
    }
  }

  return {
    name,
    type: 'dynatrace',
    renderScope(scope) {
      // For `:filter(${scope})`: one eq() per label, joined with and().
      const conditions = Object.entries(scope).map(([key, value]) => `eq(${quote(key)},${quote(value)})`);
      return conditions.length === 1 ? conditions[0]! : `and(${conditions.join(',')})`;
    },
    async fetch(text: string, window: FetchWindow): Promise<FetchedSeries> {
      const minutes = dynatraceResolutionMinutes(window.stepSeconds);
      const stepSeconds = minutes * 60;
      const grid = stepGrid({ ...window, stepSeconds });
      const results = await query(text, window.startMs, window.endMs, minutes);
      const series = (results ?? []).flatMap((result) =>
        (result.data ?? []).map((data) => ({ ...data, metricId: result.metricId })),
      );
      const warnings = (results ?? []).flatMap((result) => result.warnings ?? []);
      const range = `between ${new Date(window.startMs).toISOString()} and ${new Date(window.endMs).toISOString()}`;
      if (series.length === 0)
        return unusableSeries(text, grid, 0, [`no data for ${text} ${range}`, ...warnings.map((w) => `${name}: ${w}`)]);
      if (series.length > 1) {
        const labels = series.slice(0, 3).map((s) => JSON.stringify(s.dimensionMap ?? {}));
        return unusableSeries(text, grid, series.length, [
          `${text} returned ${series.length} series (${labels.join(', ')}); aggregate them to one (:splitBy())`,
        ]);
      }
      const only = series[0]!;
      const values = only.values ?? [];
      const points = (only.timestamps ?? []).map((at, index): [number, number] => [at, values[index] ?? Number.NaN]);
      return {
        query: text,
        timestampsMs: grid,
        values: alignToGrid(grid, stepSeconds, points),
        labels: only.dimensionMap ?? {},
        seriesCount: 1,
        problems: warnings.map((w) => `${name}: ${w}`),
      };
    },
    async checkQuery(text: string): Promise<string | null> {
      const now = Date.now();
      return queryRefusal(() => query(text, now - 600_000, now, 1));
    },
  };
}
