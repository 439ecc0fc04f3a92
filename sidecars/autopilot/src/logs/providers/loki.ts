// Loki: a LogQL log query read with /loki/api/v1/query_range, forward in time, `limit` entries a page; the
// next page starts at the last timestamp seen (inclusive, since several entries can share a nanosecond),
// skipping the entries of that instant already read.
import { providerRequest } from '../../providers/http-client';
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

export class LokiLogProvider implements LogProvider {
  readonly type = 'loki' as const;
  readonly name: string;
  private readonly pageSize: number;

  constructor(private readonly account: LogProviderAccount & { orgId?: string }) {
    this.name = account.name;
    this.pageSize = account.pageSize ?? DEFAULT_PAGE_SIZE;
  }

  async *lines(query: string, window: LogWindow): AsyncIterable<LogLine> {
    const end = BigInt(window.endMs) * 1_000_000n;
    let start = BigInt(window.startMs) * 1_000_000n;
    let seenAtStart = 0; // entries at exactly `start` already yielded
    for (;;) {
      const entries = await this.page(query, start, end);
      let skip = seenAtStart;
      let lastTs = start;
      let atLast = seenAtStart;
      for (const [ts, text, timeMs] of entries) {
        if (ts === start && skip > 0) {
          skip--;
          continue;
        }
        yield { text, timeMs };
        if (ts === lastTs) atLast++;
        else {
          lastTs = ts;
          atLast = 1;
        }
      }
      if (entries.length < this.pageSize) return;
      if (lastTs === start && atLast === seenAtStart)
        throw new ProviderError(
          this.name,
          'unavailable',
          `${this.name}: more than ${this.pageSize} entries share one nanosecond; raise pageSize`,
        );
      start = lastTs;
      seenAtStart = atLast;
    }
  }

  /** The page's entries, each [nanosecond timestamp, line, the timestamp in milliseconds], in time order. */
  private async page(query: string, start: bigint, end: bigint): Promise<[bigint, string, number][]> {
    const response = await providerRequest(this.name, {
      method: 'GET',
      base: this.account.baseUrl,
      path: 'loki/api/v1/query_range',
      query: {
        query,
        start: String(start),
        end: String(end),
        limit: String(this.pageSize),
        direction: 'forward',
      },
      headers: {
        ...(this.account.authorization ? { authorization: this.account.authorization } : {}),
        ...(this.account.orgId ? { 'x-scope-orgid': this.account.orgId } : {}),
      },
      timeoutMs: this.account.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(this.account.tls ? { tls: this.account.tls } : {}),
    });
    if (response.status >= 400) {
      const kind = response.status === 400 ? 'query' : 'unavailable';
      throw new ProviderError(
        this.name,
        kind,
        `${this.name}: query_range answered ${response.status}: ${response.text.trim().slice(0, 300)}`,
      );
    }
    const data = (response.json as { status?: string; data?: { resultType?: string; result?: unknown } } | undefined)
      ?.data;
    if (data?.resultType !== 'streams')
      throw new ProviderError(
        this.name,
        'query',
        `${this.name}: ${JSON.stringify(query)} is not a log query (it returned ${data?.resultType ?? 'nothing'})`,
      );
    const entries: [bigint, string, number][] = [];
    const streams: unknown = data.result ?? [];
    if (!Array.isArray(streams)) throw malformedPage(this.name, 'data.result is not an array');
    for (const [s, stream] of streams.entries()) {
      const values: unknown = isRecord(stream) ? (stream.values ?? []) : undefined;
      if (!Array.isArray(values)) throw malformedPage(this.name, `data.result[${s}].values is not an array`);
      for (const [v, value] of values.entries()) {
        const [ts, line] = Array.isArray(value) ? (value as unknown[]) : [];
        if (typeof ts !== 'string' || !/^\d{1,30}$/.test(ts) || typeof line !== 'string')
          throw malformedPage(this.name, `data.result[${s}].values[${v}] is not a [nanosecond timestamp, line] pair`);
        const nanoseconds = BigInt(ts);
        const timeMs = validTimeMs(Number(nanoseconds / 1_000_000n));
        if (timeMs === undefined)
          throw malformedPage(this.name, `data.result[${s}].values[${v}] has a timestamp out of the range of dates`);
        entries.push([nanoseconds, line, timeMs]);
      }
    }
    // Streams come separately; one time order across them.
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return entries;
  }
}
