// Amazon CloudWatch: `GetMetricData` through the Query API (form-encoded POST, XML answer) signed with
// AWS Signature Version 4. The template's query is one `Expression` (Metrics Insights SQL, SEARCH(), or
// metric math over them) at the window's step as `Period`; pages are followed through `NextToken`.
import { XMLParser } from 'fast-xml-parser';
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
import { signV4, type AwsCredentials } from './sigv4';

/** Settings of one CloudWatch account (credentials from config only). */
export interface CloudWatchSettings extends AwsCredentials {
  region: string;
  /** Endpoint; default `https://monitoring.<region>.amazonaws.com`. */
  url?: string;
  tls?: TlsOptions;
  timeoutMs: number;
  /** The clock (signing time, age of the data asked for); tests inject one. */
  now?: () => number;
}

interface ResultEntry {
  id: string;
  label: string;
  points: Array<[number, number]>;
  statusCode: string;
  messages: string[];
}

const API_VERSION = '2010-08-01';
const QUERY_ID = 'q';
/** GetMetricData returns at most 100,800 points per call; more pages are a runaway query. */
const MAX_PAGES = 50;
/** Error codes that say the account or the service is the problem, not the query. */
const UNAVAILABLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalServiceError',
  'SignatureDoesNotMatch',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'ExpiredToken',
  'IncompleteSignature',
  'AccessDenied',
  'AccessDeniedException',
  'OptInRequired',
  'RequestExpired',
]);

const xml = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (name) => name === 'member',
});

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The shortest period CloudWatch answers for data starting `ageMs` ago (GetMetricData: older data is kept
 * only at coarser resolution, and a finer period returns no points): 1 s within 3 hours, 60 s within 15
 * days, 300 s within 63 days, 3600 s beyond.
 */
export function cloudWatchMinimumPeriod(ageMs: number): number {
  if (ageMs <= 3 * HOUR_MS) return 1;
  if (ageMs <= 15 * DAY_MS) return 60;
  if (ageMs <= 63 * DAY_MS) return 300;
  return 3600;
}

/** CloudWatch periods: 1, 5, 10, 30 (high resolution) or a multiple of 60 seconds, at least `minimum`. */
export function cloudWatchPeriod(stepSeconds: number, minimum = 1): number {
  const step = Math.max(1, Math.ceil(stepSeconds), minimum);
  // Every minimum above 1 (60, 300, 3600) is a multiple of 60, so its multiples are valid periods.
  const unit = Math.max(60, minimum);
  if (step >= 60) return Math.ceil(step / unit) * unit;
  return [1, 5, 10, 30, 60].find((period) => period >= step)!;
}

type XmlNode = Record<string, unknown>;
const node = (value: unknown): XmlNode => (value && typeof value === 'object' ? (value as XmlNode) : {});
const members = (value: unknown): unknown[] => {
  const list = node(value).member;
  return Array.isArray(list) ? list : [];
};
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Creates a CloudWatch provider. */
export function createCloudWatchProvider(name: string, settings: CloudWatchSettings): MetricsProvider {
  const base = new URL(settings.url ?? `https://monitoring.${settings.region}.amazonaws.com`);
  const now = settings.now ?? Date.now;
  const credentials: AwsCredentials = {
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}),
  };

  async function page(params: Array<[string, string]>, expression: string): Promise<XmlNode> {
    const body = new URLSearchParams(params).toString();
    const contentType = 'application/x-www-form-urlencoded; charset=utf-8';
    const signed = signV4(
      { method: 'POST', host: base.host, path: base.pathname, headers: { 'content-type': contentType }, body },
      credentials,
      settings.region,
      'monitoring',
      new Date(now()),
    );
    const response = await providerRequest(name, {
      method: 'POST',
      base: base.href,
      headers: { 'content-type': contentType, accept: 'text/xml', ...signed.headers },
      body,
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
    });
    let parsed: XmlNode;
    try {
      parsed = node(xml.parse(response.text));
    } catch {
      parsed = {};
    }
    if (response.status !== 200) {
      const error = node(node(parsed.ErrorResponse).Error);
      const code = text(error.Code);
      const message = `${code || `HTTP ${response.status}`}: ${text(error.Message) || excerpt(response.text)}`;
      if (response.status === 400 && code && !UNAVAILABLE_CODES.has(code))
        throw new ProviderError(name, 'query', `${name} refused the query ${expression}: ${message}`);
      throw new ProviderError(name, 'unavailable', `${name}: HTTP ${response.status} from ${base.host}: ${message}`);
    }
    const result = node(node(parsed.GetMetricDataResponse).GetMetricDataResult);
    if (!parsed.GetMetricDataResponse)
      throw new ProviderError(
        name,
        'unavailable',
        `${name}: answer without GetMetricDataResponse: ${excerpt(response.text)}`,
      );
    return result;
  }

  /** The series of an expression, and the service's messages about the query (e.g. a Metrics Insights limit hit). */
  async function run(
    expression: string,
    startMs: number,
    endMs: number,
    period: number,
  ): Promise<{ entries: ResultEntry[]; notices: string[] }> {
    const params: Array<[string, string]> = [
      ['Action', 'GetMetricData'],
      ['Version', API_VERSION],
      ['StartTime', new Date(startMs).toISOString()],
      ['EndTime', new Date(endMs).toISOString()],
      ['ScanBy', 'TimestampAscending'],
      ['MetricDataQueries.member.1.Id', QUERY_ID],
      ['MetricDataQueries.member.1.Expression', expression],
      ['MetricDataQueries.member.1.Period', String(period)],
      ['MetricDataQueries.member.1.ReturnData', 'true'],
    ];
    const byKey = new Map<string, ResultEntry>();
    const notices = new Set<string>();
    let nextToken = '';
    for (let pages = 0; ; pages++) {
      if (pages >= MAX_PAGES)
        throw new ProviderError(name, 'query', `${name}: ${expression} still had more pages after ${MAX_PAGES}`);
      const result = await page(nextToken ? [...params, ['NextToken', nextToken]] : params, expression);
      for (const raw of members(result.MetricDataResults)) {
        const entry = node(raw);
        const id = text(entry.Id);
        const label = text(entry.Label);
        const key = `${id}\u0000${label}`;
        const known = byKey.get(key) ?? { id, label, points: [], statusCode: '', messages: [] };
        const times = members(entry.Timestamps).map((at) => Date.parse(text(at)));
        const values = members(entry.Values).map((value) => Number(text(value)));
        times.forEach((at, index) => known.points.push([at, values[index] ?? Number.NaN]));
        known.statusCode = text(entry.StatusCode);
        for (const message of members(entry.Messages))
          known.messages.push(`${text(node(message).Code)}: ${text(node(message).Value)}`);
        byKey.set(key, known);
      }
      for (const message of members(result.Messages))
        notices.add(`${text(node(message).Code)}: ${text(node(message).Value)}`);
      nextToken = text(result.NextToken);
      if (!nextToken) break;
    }
    const entries = [...byKey.values()];
    const failed = entries.find((entry) => entry.statusCode === 'InternalError' || entry.statusCode === 'Forbidden');
    if (failed) {
      throw new ProviderError(
        name,
        failed.statusCode === 'Forbidden' ? 'unavailable' : 'query',
        `${name}: ${expression} answered ${failed.statusCode}${failed.messages.length ? ` (${failed.messages.join('; ')})` : ''}`,
      );
    }
    for (const entry of entries) for (const message of entry.messages) notices.add(message);
    return { entries, notices: [...notices].map((notice) => `${name}: ${notice}`) };
  }

  return {
    name,
    type: 'cloudwatch',
    renderScope(scope) {
      // Metrics Insights WHERE clause: dimension names double-quoted, values single-quoted.
      return Object.entries(scope)
        .map(([key, value]) => `"${key.replace(/"/g, '')}" = '${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
        .join(' AND ');
    },
    async fetch(query: string, window: FetchWindow): Promise<FetchedSeries> {
      const period = cloudWatchPeriod(window.stepSeconds, cloudWatchMinimumPeriod(now() - window.startMs));
      const grid = stepGrid({ ...window, stepSeconds: period });
      const { entries, notices } = await run(query, window.startMs, window.endMs, period);
      const withData = entries.filter((entry) => entry.points.length > 0);
      const range = `between ${new Date(window.startMs).toISOString()} and ${new Date(window.endMs).toISOString()}`;
      if (withData.length === 0) return unusableSeries(query, grid, 0, [`no data for ${query} ${range}`]);
      if (withData.length > 1) {
        const labels = withData.slice(0, 3).map((entry) => entry.label || entry.id);
        return unusableSeries(query, grid, withData.length, [
          `${query} returned ${withData.length} series (${labels.join(', ')}); aggregate them to one (no GROUP BY)`,
          ...notices,
        ]);
      }
      const only = withData[0]!;
      return {
        query,
        timestampsMs: grid,
        values: alignToGrid(grid, period, only.points),
        labels: only.label ? { label: only.label } : {},
        seriesCount: 1,
        problems: notices,
      };
    },
    async checkQuery(query: string): Promise<string | null> {
      const endMs = now();
      return queryRefusal(() => run(query, endMs - 600_000, endMs, 60));
    },
  };
}
