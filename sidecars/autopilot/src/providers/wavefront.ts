// Wavefront (Tanzu / Aria Operations for Applications): the chart API (`GET /api/v2/chart/api`, Bearer API
// token) with the template's ts() expression, s/e in epoch ms, a granularity from the step, and a
// `| summarization=…` clause (MEAN by default, as Kayenta); strict so no points outside the window come back.
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

/** Settings of one Wavefront cluster account. */
export interface WavefrontSettings {
  url: string;
  apiToken: string;
  tls?: TlsOptions;
  timeoutMs: number;
}

interface ChartBody {
  timeseries?: Array<{
    label?: string;
    host?: string;
    tags?: Record<string, string>;
    data?: Array<[number, number | null]>;
  }>;
  warnings?: string;
  errorMessage?: string;
  message?: string;
}

export const WAVEFRONT_OPTIONS = ['summarization'] as const;
export const WAVEFRONT_SUMMARIZATIONS = ['MEAN', 'MEDIAN', 'MIN', 'MAX', 'SUM', 'COUNT', 'LAST', 'FIRST'];

/** The chart API's granularity letter for a step: s, m, h or d. */
export function wavefrontGranularity(stepSeconds: number): 's' | 'm' | 'h' | 'd' {
  if (stepSeconds < 60) return 's';
  if (stepSeconds < 3600) return 'm';
  if (stepSeconds < 86_400) return 'h';
  return 'd';
}

/** Creates a Wavefront provider. */
export function createWavefrontProvider(name: string, settings: WavefrontSettings): MetricsProvider {
  const base = new URL(settings.url.endsWith('/') ? settings.url : `${settings.url}/`);

  async function chart(query: string, startMs: number, endMs: number, stepSeconds: number): Promise<ChartBody> {
    const split = splitQueryOptions(query, WAVEFRONT_OPTIONS);
    if ('error' in split)
      throw new ProviderError(name, 'query', `${name} cannot send the query ${query}: ${split.error}`);
    const summarization = (split.options.summarization ?? 'MEAN').toUpperCase();
    if (!WAVEFRONT_SUMMARIZATIONS.includes(summarization))
      throw new ProviderError(
        name,
        'query',
        `${name} cannot send the query ${query}: summarization must be one of ${WAVEFRONT_SUMMARIZATIONS.join(', ')}`,
      );
    const response = await providerRequest(name, {
      method: 'GET',
      base: base.href,
      path: 'api/v2/chart/api',
      query: {
        q: split.text,
        s: String(Math.floor(startMs)),
        e: String(Math.ceil(endMs)),
        g: wavefrontGranularity(stepSeconds),
        summarization,
        strict: 'true',
        listMode: 'true',
        sorted: 'true',
      },
      headers: { authorization: `Bearer ${settings.apiToken}` },
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
    });
    const body = (response.json ?? {}) as ChartBody;
    if (response.status !== 200) {
      const message = body.message ?? body.errorMessage ?? excerpt(response.text);
      if (response.status === 400)
        throw new ProviderError(name, 'query', `${name} refused the query ${query}: ${message}`);
      throw new ProviderError(name, 'unavailable', `${name}: HTTP ${response.status} from ${base.host}: ${message}`);
    }
    if (body.errorMessage)
      throw new ProviderError(name, 'query', `${name} refused the query ${query}: ${body.errorMessage}`);
    return body;
  }

  return {
    name,
    type: 'wavefront',
    renderScope(scope) {
      // Point-tag filters inside ts(metric, …): key="value" joined with `and`; `source` is the source filter.
      return Object.entries(scope)
        .map(
          ([key, value]) =>
            `${key.replace(/[^A-Za-z0-9_.~-]/g, '')}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
        )
        .join(' and ');
    },
    async fetch(query: string, window: FetchWindow): Promise<FetchedSeries> {
      const grid = stepGrid(window);
      const body = await chart(query, window.startMs, window.endMs, window.stepSeconds);
      const series = (body.timeseries ?? []).filter((s) => (s.data ?? []).length > 0);
      const warnings = body.warnings ? [`${name}: ${body.warnings}`] : [];
      const range = `between ${new Date(window.startMs).toISOString()} and ${new Date(window.endMs).toISOString()}`;
      if (series.length === 0) return unusableSeries(query, grid, 0, [`no data for ${query} ${range}`, ...warnings]);
      if (series.length > 1) {
        const labels = series.slice(0, 3).map((s) => `${s.label ?? '?'}${s.host ? `@${s.host}` : ''}`);
        return unusableSeries(query, grid, series.length, [
          `${query} returned ${series.length} series (${labels.join(', ')}); aggregate them to one (e.g. avg(ts(…)))`,
        ]);
      }
      const only = series[0]!;
      // Chart points are [epoch seconds, value].
      const points = (only.data ?? [])
        .filter((point): point is [number, number] => typeof point[1] === 'number')
        .map(([atSeconds, value]): [number, number] => [atSeconds * 1000, value]);
      return {
        query,
        timestampsMs: grid,
        values: alignToGrid(grid, window.stepSeconds, points),
        labels: { ...(only.host ? { source: only.host } : {}), ...only.tags },
        seriesCount: 1,
        problems: warnings,
      };
    },
    async checkQuery(query: string): Promise<string | null> {
      const now = Date.now();
      return queryRefusal(() => chart(query, now - 300_000, now, 60));
    },
  };
}
