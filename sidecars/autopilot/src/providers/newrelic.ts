// New Relic: NRQL through NerdGraph (`POST /graphql`, `API-Key` header). The template's NRQL gets
// `SINCE <ms> UNTIL <ms> TIMESERIES <step> seconds` appended; each bucket's single aggregate is the value.
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

/** Settings of one New Relic account. */
export interface NewRelicSettings {
  url: string;
  apiKey: string;
  accountId: number;
  tls?: TlsOptions;
  timeoutMs: number;
}

interface NerdGraphBody {
  data?: { actor?: { account?: { nrql?: { results?: Array<Record<string, unknown>> } | null } | null } | null } | null;
  errors?: Array<{ message?: string; extensions?: { errorClass?: string } }>;
}

const NRQL_QUERY =
  'query($accountId: Int!, $nrql: Nrql!) { actor { account(id: $accountId) { nrql(query: $nrql, timeout: 60) { results } } } }';
const AUTH_ERROR_CLASSES = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'UNAUTHENTICATED', 'SERVER_ERROR', 'TIMEOUT']);
const TIME_KEYS = new Set(['beginTimeSeconds', 'endTimeSeconds', 'facet']);
/** NRQL allows at most 366 buckets in a TIMESERIES. */
const MAX_BUCKETS = 366;

/** Creates a New Relic (NRQL) provider. */
export function createNewRelicProvider(name: string, settings: NewRelicSettings): MetricsProvider {
  const url = new URL(settings.url);

  async function run(nrql: string): Promise<Array<Record<string, unknown>>> {
    const response = await providerRequest(name, {
      method: 'POST',
      base: url.href,
      headers: { 'content-type': 'application/json', 'API-Key': settings.apiKey },
      body: JSON.stringify({ query: NRQL_QUERY, variables: { accountId: settings.accountId, nrql } }),
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
    });
    const body = (response.json ?? {}) as NerdGraphBody;
    if (response.status !== 200) {
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: HTTP ${response.status} from ${url.host}: ${body.errors?.[0]?.message ?? excerpt(response.text)}`,
      );
    }
    if (body.errors?.length) {
      const messages = body.errors.map((error) => error.message ?? 'error').join('; ');
      const unavailable = body.errors.some((error) => AUTH_ERROR_CLASSES.has(error.extensions?.errorClass ?? ''));
      throw new ProviderError(
        name,
        unavailable ? 'unavailable' : 'query',
        unavailable ? `${name}: ${messages}` : `${name} refused the query ${nrql}: ${messages}`,
      );
    }
    const results = body.data?.actor?.account?.nrql?.results;
    if (!Array.isArray(results))
      throw new ProviderError(name, 'unavailable', `${name}: answer without data.actor.account.nrql.results`);
    return results;
  }

  return {
    name,
    type: 'newrelic',
    renderScope(scope) {
      return Object.entries(scope)
        .map(([key, value]) => `\`${key.replace(/`/g, '')}\` = '${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
        .join(' AND ');
    },
    async fetch(query: string, window: FetchWindow): Promise<FetchedSeries> {
      const stepSeconds = Math.max(window.stepSeconds, Math.ceil((window.endMs - window.startMs) / 1000 / MAX_BUCKETS));
      const grid = stepGrid({ ...window, stepSeconds });
      const nrql = `${query} SINCE ${Math.floor(window.startMs)} UNTIL ${Math.ceil(window.endMs)} TIMESERIES ${stepSeconds} seconds`;
      const rows = await run(nrql);
      const problems: string[] = [];
      const facets = new Set(rows.map((row) => JSON.stringify(row.facet ?? null)));
      if (facets.size > 1) {
        problems.push(`${nrql} returned ${facets.size} series (FACET); remove the FACET so it returns one`);
        return unusableSeries(nrql, grid, facets.size, problems);
      }
      const points: Array<[number, number]> = [];
      const extraKeys = rows.find((row) => Object.keys(row).filter((key) => !TIME_KEYS.has(key)).length > 1);
      if (extraKeys) {
        problems.push(
          `${nrql} returns several values per bucket (${Object.keys(extraKeys)
            .filter((key) => !TIME_KEYS.has(key))
            .join(', ')}); select exactly one aggregate`,
        );
        return unusableSeries(nrql, grid, rows.length ? 1 : 0, problems);
      }
      for (const row of rows) {
        const begin = row.beginTimeSeconds;
        const value = aggregateValue(row);
        if (typeof begin === 'number' && value !== undefined) points.push([begin * 1000, value]);
      }
      const values = alignToGrid(grid, stepSeconds, points);
      if (rows.length === 0 || values.every((value) => Number.isNaN(value))) {
        problems.push(`no data for ${nrql}`);
      }
      return { query: nrql, timestampsMs: grid, values, labels: {}, seriesCount: rows.length ? 1 : 0, problems };
    },
    async checkQuery(query: string): Promise<string | null> {
      return queryRefusal(() => run(`${query} SINCE 5 minutes ago`));
    },
  };
}

/** The bucket's one aggregate: a number, or a one-entry object (`percentile` → `{"95": 0.3}`); null = gap. */
function aggregateValue(row: Record<string, unknown>): number | undefined {
  const entries = Object.entries(row).filter(([key]) => !TIME_KEYS.has(key));
  if (entries.length !== 1) return undefined;
  const value = entries[0]![1];
  if (typeof value === 'number') return value;
  if (value === null) return Number.NaN;
  if (typeof value === 'object') {
    const inner = Object.values(value as Record<string, unknown>);
    if (inner.length === 1 && typeof inner[0] === 'number') return inner[0];
  }
  return undefined;
}
