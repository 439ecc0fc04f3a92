// OpenSearch / Elasticsearch: the query is a Lucene query string (OpsMx log templates write them that way,
// e.g. `kubernetes.pod_name:"web-canary-1" AND level:ERROR`), filtered to the window on the time field and
// read in time order through a point in time with search_after, so paging never skips or repeats a hit
// and needs no scroll context (whose count the cluster limits).
import { providerRequest, type ProviderResponse } from '../../providers/http-client';
import { ProviderError } from '../../providers/provider';
import {
  DEFAULT_PAGE_SIZE,
  DEFAULT_TIMEOUT_MS,
  isRecord,
  malformedPage,
  validTimeMs,
  type LogLine,
  type LogProvider,
  type LogProviderAccount,
  type LogWindow,
} from './provider';

export interface OpenSearchAccount extends LogProviderAccount {
  /** Index or pattern to search (`logs-*`). */
  index: string;
  timeField?: string;
  /** Fields holding the message, the first present wins (OpsMx `responseKeywords`). */
  messageFields?: string[];
}

interface ShardsReport {
  total?: number;
  failed?: number;
  failures?: { reason?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } } }[];
}

interface Hit {
  _source?: Record<string, unknown>;
  sort?: unknown[];
}

export class OpenSearchLogProvider implements LogProvider {
  readonly type = 'opensearch' as const;
  readonly name: string;
  private readonly timeField: string;
  private readonly messageFields: string[];
  private readonly pageSize: number;

  constructor(private readonly account: OpenSearchAccount) {
    this.name = account.name;
    this.timeField = account.timeField ?? '@timestamp';
    this.messageFields = account.messageFields ?? ['message', 'log'];
    this.pageSize = account.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!/^[^\s/,#]+$/.test(account.index.replace(/,/g, '')))
      throw new Error(`${account.name}: index ${JSON.stringify(account.index)} is not an index name or pattern`);
  }

  async *lines(query: string, window: LogWindow): AsyncIterable<LogLine> {
    const pit = await this.call(
      'POST',
      `/${encodeURIComponent(this.account.index)}/_search/point_in_time?keep_alive=2m`,
    );
    const pitId = (pit.json as { pit_id?: string }).pit_id;
    if (!pitId)
      throw new ProviderError(this.name, 'unavailable', `${this.name}: no pit_id in ${pit.text.slice(0, 200)}`);
    try {
      let searchAfter: unknown[] | undefined;
      for (;;) {
        const body = {
          size: this.pageSize,
          pit: { id: pitId, keep_alive: '2m' },
          _source: this.messageFields,
          query: {
            bool: {
              filter: [
                { range: { [this.timeField]: { gte: window.startMs, lt: window.endMs, format: 'epoch_millis' } } },
                ...(query.trim() === '' ? [] : [{ query_string: { query } }]),
              ],
            },
          },
          // _id breaks ties between hits of one instant (OpenSearch 2.x has no _shard_doc tiebreaker).
          sort: [{ [this.timeField]: 'asc' }, { _id: 'asc' }],
          ...(searchAfter ? { search_after: searchAfter } : {}),
        };
        const page = await this.call('POST', '/_search', body);
        this.checkShards(page);
        const hits: unknown = (page.json as { hits?: { hits?: unknown } } | undefined)?.hits?.hits ?? [];
        if (!Array.isArray(hits)) throw malformedPage(this.name, 'hits.hits is not an array');
        for (const [h, hit] of hits.entries()) {
          if (!isRecord(hit)) throw malformedPage(this.name, `hits.hits[${h}] is not an object`);
          const text = this.message(isRecord(hit._source) ? hit._source : {});
          if (text !== undefined) yield { text, timeMs: this.hitTimeMs(hit, h) };
        }
        if (hits.length < this.pageSize) return;
        const last = hits[hits.length - 1] as Hit;
        // Without it the next request would ask for the first page again, until the reading deadline.
        if (!Array.isArray(last.sort) || last.sort.length === 0)
          throw malformedPage(
            this.name,
            `hits.hits[${hits.length - 1}].sort is missing, so the next page cannot be asked for`,
          );
        searchAfter = last.sort;
      }
    } finally {
      await this.call('DELETE', '/_search/point_in_time', { pit_id: [pitId] }).catch(() => undefined);
    }
  }

  /** OpenSearch's `_validate/query` on the index: a query string it cannot parse is named with its reason. */
  async checkQuery(query: string): Promise<string | null> {
    if (query.trim() === '') return null;
    const response = await this.call(
      'POST',
      `/${encodeURIComponent(this.account.index)}/_validate/query?explain=true&ignore_unavailable=true&allow_no_indices=true`,
      { query: { query_string: { query } } },
    );
    const body = response.json as {
      valid?: boolean;
      error?: string;
      explanations?: { valid?: boolean; error?: string }[];
    };
    if (body.valid !== false) return null;
    const reason = body.explanations?.find((e) => e.valid === false)?.error ?? body.error ?? 'not a valid query';
    return `OpenSearch refuses the query ${JSON.stringify(query)}: ${reason.slice(0, 500)}`;
  }

  // A search over a point in time answers 200 even when every shard refused the query: the failures are in
  // _shards. Reading on would silently see no logs.
  private checkShards(page: ProviderResponse): void {
    const shards = (page.json as { _shards?: ShardsReport })._shards;
    if (!shards || !shards.failed) return;
    const first = shards.failures?.[0]?.reason;
    const reason = first?.caused_by?.reason ?? first?.reason ?? 'unknown reason';
    const kind = /query|pars/i.test(`${first?.type ?? ''} ${first?.caused_by?.type ?? ''}`) ? 'query' : 'unavailable';
    throw new ProviderError(
      this.name,
      kind,
      `${this.name}: ${shards.failed} of ${shards.total} shards failed: ${reason}`,
    );
  }

  /**
   * When a hit was logged: its first sort value, the time field's, which OpenSearch gives in milliseconds for a
   * `date` field and in nanoseconds for `date_nanos` (a number past the milliseconds a Date holds). A hit without
   * sort values (only the last one's are needed for paging) has no time here.
   */
  private hitTimeMs(hit: Record<string, unknown>, h: number): number | undefined {
    if (!Array.isArray(hit.sort) || hit.sort.length === 0) return undefined;
    const value: unknown = hit.sort[0];
    const timeMs =
      typeof value !== 'number' ? undefined : (validTimeMs(value) ?? validTimeMs(Math.floor(value / 1_000_000)));
    if (timeMs === undefined)
      throw malformedPage(this.name, `hits.hits[${h}].sort[0] is not a time in milliseconds or nanoseconds`);
    return timeMs;
  }

  private message(source: Record<string, unknown>): string | undefined {
    for (const field of this.messageFields) {
      let value: unknown = source;
      for (const part of field.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
      if (typeof value === 'string') return value;
    }
    return undefined;
  }

  private async call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<ProviderResponse> {
    const response = await providerRequest(this.name, {
      method,
      base: this.account.baseUrl,
      path: path.replace(/^\//, ''),
      headers: {
        'content-type': 'application/json',
        ...(this.account.authorization ? { authorization: this.account.authorization } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs: this.account.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(this.account.tls ? { tls: this.account.tls } : {}),
    });
    if (response.status >= 400) {
      const reason = (response.json as { error?: { root_cause?: { reason?: string }[]; reason?: string } } | undefined)
        ?.error;
      const message = reason?.root_cause?.[0]?.reason ?? reason?.reason ?? response.text.slice(0, 300);
      const kind = response.status === 400 ? 'query' : 'unavailable';
      throw new ProviderError(
        this.name,
        kind,
        `${this.name}: ${method} ${path} answered ${response.status}: ${message}`,
      );
    }
    return response;
  }
}
