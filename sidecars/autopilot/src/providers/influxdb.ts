// InfluxDB 1.x: InfluxQL through `GET /query` (`db`, `epoch=ms`), the window passed as the bound
// parameters `$start` and `$end` (RFC 3339), so a query reads `WHERE time >= $start AND time < $end`.
// Only one reading SELECT is sent (InfluxDB 1.x runs a DROP or SELECT … INTO even with GET), so a template
// cannot write or drop data; give autopilot a user with READ on the database all the same.
// `${scope}` is written as tag conditions: `"namespace" = 'prod' AND "deployment" = 'web-v2'`.
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

/** Settings of one InfluxDB account. */
export interface InfluxdbSettings {
  url: string;
  database: string;
  username?: string;
  password?: string;
  tls?: TlsOptions;
  timeoutMs: number;
}

interface InfluxSeries {
  name?: string;
  tags?: Record<string, string>;
  columns?: string[];
  values?: Array<Array<number | string | boolean | null>>;
}

interface InfluxBody {
  error?: string;
  results?: Array<{ statement_id?: number; error?: string; series?: InfluxSeries[]; messages?: unknown[] }>;
}

/** InfluxQL keywords, which must be quoted to be read as identifiers. */
const KEYWORDS = new Set(
  (
    'ALL ALTER ANALYZE ANY AS ASC BEGIN BY CARDINALITY CREATE CONTINUOUS DATABASE DATABASES DEFAULT DELETE DESC ' +
    'DESTINATIONS DIAGNOSTICS DISTINCT DROP DURATION END EVERY EXACT EXPLAIN FIELD FOR FROM GRANT GRANTS GROUP ' +
    'GROUPS IN INF INSERT INTO KEY KEYS KILL LIMIT MEASUREMENT MEASUREMENTS NAME OFFSET ON ORDER PASSWORD POLICIES ' +
    'POLICY PRIVILEGES QUERIES QUERY READ REPLICATION RESAMPLE RETENTION REVOKE SELECT SERIES SET SHARD SHARDS ' +
    'SLIMIT SOFFSET STATS SUBSCRIPTION SUBSCRIPTIONS TAG TO USER USERS VALUES WHERE WITH WRITE AND OR TRUE FALSE'
  ).split(' '),
);

/** An identifier as InfluxQL reads it: bare when it is a plain word, else double-quoted with escapes. */
export function influxIdentifier(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name.toUpperCase())) return name;
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** A string literal as InfluxQL reads it: single-quoted, backslash and quote escaped. */
export function influxString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/**
 * Why an InfluxQL text is not one reading SELECT, or null: InfluxDB 1.x still runs writes sent with GET
 * (it only warns), so the provider refuses a second statement (`;` outside quotes, with text after it),
 * `SELECT … INTO`, which writes, and comments, which could hide either from this scan.
 */
export function notOneReadingSelect(query: string): string | null {
  if (!/^\s*select\b/i.test(query)) return 'is not a SELECT statement';
  let quote: string | undefined;
  let outside = '';
  for (let at = 0; at < query.length; at++) {
    const char = query[at]!;
    if (quote) {
      if (char === '\\') at++;
      else if (char === quote) quote = undefined;
      outside += ' ';
    } else if (char === "'" || char === '"') {
      quote = char;
      outside += ' ';
    } else if (char === ';' && query.slice(at + 1).trim() !== '') return 'holds several statements';
    // A comment could hide a quote from this scan (and a statement behind it): none are accepted.
    else if (query.startsWith('--', at) || query.startsWith('/*', at)) return 'holds a comment';
    else outside += char;
  }
  if (/\binto\b/i.test(outside)) return 'writes (SELECT … INTO)';
  return null;
}

/** Creates an InfluxDB 1.x provider. */
export function createInfluxdbProvider(name: string, settings: InfluxdbSettings): MetricsProvider {
  const base = new URL(settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
  const headers: Record<string, string> = {};
  if (settings.username !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${settings.username}:${settings.password ?? ''}`).toString('base64')}`;

  async function select(query: string, startMs: number, endMs: number): Promise<InfluxSeries[]> {
    const refusal = notOneReadingSelect(query);
    if (refusal) throw new ProviderError(name, 'query', `${name}: ${query} ${refusal}; a metric is one SELECT`);
    const response = await providerRequest(name, {
      method: 'GET',
      base: base.href,
      path: 'query',
      query: {
        db: settings.database,
        q: query,
        epoch: 'ms',
        params: JSON.stringify({ start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString() }),
      },
      headers,
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
    });
    const body = (response.json ?? {}) as InfluxBody;
    if (response.status === 400)
      throw new ProviderError(
        name,
        'query',
        `${name} refused the query ${query}: ${body.error ?? excerpt(response.text)}`,
      );
    if (response.status === 401 || response.status === 403)
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: HTTP ${response.status}: credentials refused (${base.host})`,
      );
    if (response.status !== 200 || !Array.isArray(body.results))
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: HTTP ${response.status} from ${base.host}: ${body.error ?? excerpt(response.text)}`,
      );
    if (body.results.length !== 1)
      throw new ProviderError(
        name,
        'query',
        `${name}: ${query} holds ${body.results.length} statements; a metric is one SELECT`,
      );
    const result = body.results[0]!;
    if (result.error !== undefined) {
      // A missing database is the account's mistake, not the template's.
      const kind = /database not found/i.test(result.error) ? 'unavailable' : 'query';
      throw new ProviderError(name, kind, `${name} refused the query ${query}: ${result.error}`);
    }
    return result.series ?? [];
  }

  return {
    name,
    type: 'influxdb',
    renderScope(scope) {
      return Object.entries(scope)
        .map(([label, value]) => `${influxIdentifier(label)} = ${influxString(value)}`)
        .join(' AND ');
    },
    async fetch(query: string, window: FetchWindow): Promise<FetchedSeries> {
      const grid = stepGrid(window);
      const result = await select(query, window.startMs, window.endMs);
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
          .map((series) => `${series.name ?? '?'}${JSON.stringify(series.tags ?? {})}`)
          .join(', ');
        problems.push(
          `${query} returned ${result.length} series (${sample}${result.length > 3 ? ', …' : ''}); aggregate them to one (no GROUP BY on tags)`,
        );
        return unusableSeries(query, grid, result.length, problems);
      }
      const series = result[0]!;
      const columns = series.columns ?? [];
      const fields = columns.slice(1);
      if (columns[0] !== 'time' || fields.length !== 1) {
        problems.push(
          `${query} returned ${fields.length} fields (${fields.join(', ')}); select exactly one, e.g. mean("value")`,
        );
        return unusableSeries(query, grid, 1, problems);
      }
      const rows = series.values ?? [];
      if (rows.some((row) => typeof row[1] === 'string' || typeof row[1] === 'boolean'))
        problems.push(`${query}: the field ${fields[0]} holds text or booleans, which are not judged`);
      const points = rows
        .filter((row): row is [number, number] => typeof row[0] === 'number' && typeof row[1] === 'number')
        .map(([atMs, value]): [number, number] => [atMs, value]);
      return {
        query,
        timestampsMs: grid,
        values: alignToGrid(grid, window.stepSeconds, points),
        labels: series.tags ?? {},
        seriesCount: 1,
        problems,
      };
    },
    async checkQuery(query: string): Promise<string | null> {
      const now = Date.now();
      return queryRefusal(() => select(query, now - 300_000, now));
    },
  };
}
