// Graphite: the render API (`GET /render?target&from&until&format=json`, epoch seconds) of graphite-web or
// any Graphite-API server; null points are gaps. `${scope}` is written as seriesByTag() tag expressions,
// `'namespace=prod','deployment=web-v2'`, for tagged series; dotted paths take `${scope.<label>}` instead.
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

/** Settings of one Graphite account. */
export interface GraphiteSettings {
  url: string;
  username?: string;
  password?: string;
  tls?: TlsOptions;
  timeoutMs: number;
}

interface RenderedSeries {
  target?: string;
  tags?: Record<string, unknown>;
  datapoints?: Array<[number | null, number]>;
}

/**
 * One `name=value` tag expression quoted as a Graphite string. Graphite's tag rules: a name is not empty
 * and holds no `;!^=`; a value is not empty, holds no `;` and does not start with `~` (which would read
 * as `=~`, a regex match). A quote of each kind cannot be written inside one Graphite string.
 */
function tagExpression(provider: string, name: string, value: string): string {
  const problem =
    name === '' || /[;!^=]/.test(name)
      ? `the tag name ${JSON.stringify(name)} is empty or holds one of ; ! ^ =`
      : value === '' || value.includes(';') || value.startsWith('~')
        ? `the value ${JSON.stringify(value)} is empty, holds ; or starts with ~`
        : value.includes("'") && value.includes('"')
          ? `the value ${JSON.stringify(value)} holds both kinds of quote`
          : undefined;
  if (problem)
    throw new ProviderError(
      provider,
      'query',
      `${provider}: scope label ${JSON.stringify(name)}: ${problem}, which a Graphite tag expression cannot hold`,
    );
  const expression = `${name}=${value}`;
  return expression.includes("'") ? `"${expression}"` : `'${expression}'`;
}

/** Creates a Graphite provider. */
export function createGraphiteProvider(name: string, settings: GraphiteSettings): MetricsProvider {
  const base = new URL(settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
  const headers: Record<string, string> = {};
  if (settings.username !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${settings.username}:${settings.password ?? ''}`).toString('base64')}`;

  async function render(target: string, fromSeconds: number, untilSeconds: number): Promise<RenderedSeries[]> {
    const response = await providerRequest(name, {
      method: 'GET',
      base: base.href,
      path: 'render',
      query: { target, from: String(fromSeconds), until: String(untilSeconds), format: 'json' },
      headers,
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
    });
    // graphite-web answers a target it cannot evaluate (unknown function, bad arguments) with 400 and text.
    if (response.status === 400)
      throw new ProviderError(name, 'query', `${name} refused the target ${target}: ${excerpt(response.text)}`);
    if (response.status === 401 || response.status === 403)
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: HTTP ${response.status}: credentials refused (${base.host})`,
      );
    if (response.status !== 200)
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: HTTP ${response.status} from ${base.host}: ${excerpt(response.text)}`,
      );
    if (!Array.isArray(response.json))
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: ${base.host} did not answer with a render API JSON list: ${excerpt(response.text)}`,
      );
    return response.json as RenderedSeries[];
  }

  return {
    name,
    type: 'graphite',
    renderScope(scope) {
      return Object.entries(scope)
        .map(([label, value]) => tagExpression(name, label, value))
        .join(',');
    },
    async fetch(query: string, window: FetchWindow): Promise<FetchedSeries> {
      const grid = stepGrid(window);
      // Graphite reads `from` exclusively ((from, until]): one second earlier includes the window's first point.
      const result = await render(query, Math.floor(window.startMs / 1000) - 1, Math.ceil(window.endMs / 1000));
      const problems: string[] = [];
      if (result.length === 0) {
        problems.push(
          `no series matched ${query} between ${new Date(window.startMs).toISOString()} and ${new Date(window.endMs).toISOString()}`,
        );
        return unusableSeries(query, grid, 0, problems);
      }
      if (result.length > 1) {
        const sample = result
          .slice(0, 3)
          .map((series) => series.target ?? '?')
          .join(', ');
        problems.push(
          `${query} returned ${result.length} series (${sample}${result.length > 3 ? ', …' : ''}); aggregate them to one, e.g. sumSeries(...) or averageSeries(...)`,
        );
        return unusableSeries(query, grid, result.length, problems);
      }
      const series = result[0]!;
      const points = (series.datapoints ?? [])
        .filter((point): point is [number, number] => typeof point[0] === 'number' && typeof point[1] === 'number')
        .map(([value, seconds]): [number, number] => [seconds * 1000, value]);
      const labels = Object.fromEntries(Object.entries(series.tags ?? {}).map(([key, value]) => [key, String(value)]));
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
      return queryRefusal(() => render(query, now - 300, now));
    },
  };
}
