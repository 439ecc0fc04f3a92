// Splunk: the search jobs API. A job is created for the query over the window (sorted by time), polled
// until done, its results read `count` at a time by offset, and the job deleted at the end.
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

export interface SplunkAccount extends LogProviderAccount {
  /** How long to wait for a search job before giving up. */
  jobTimeoutMs?: number;
  /** Waits between job polls (injectable so tests need not sleep). */
  pollDelay?: () => Promise<void>;
  /** The clock the job deadline is read on (injectable so tests pass it without waiting). */
  now?: () => number;
}

const EPOCH_SECONDS = /^\d{1,15}(\.\d{1,9})?$/;
// Date.parse reads many other shapes, some by the local time zone: only ISO 8601 with its zone is taken.
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)$/;

interface JobContent {
  dispatchState?: string;
  isDone?: boolean;
  isFailed?: boolean;
  messages?: { type?: string; text?: string }[];
}

export class SplunkLogProvider implements LogProvider {
  readonly type = 'splunk' as const;
  readonly name: string;
  private readonly pageSize: number;

  constructor(private readonly account: SplunkAccount) {
    this.name = account.name;
    this.pageSize = account.pageSize ?? DEFAULT_PAGE_SIZE;
  }

  async *lines(query: string, window: LogWindow): AsyncIterable<LogLine> {
    const search = `${/^\s*(search\b|\|)/.test(query) ? query : `search ${query}`} | sort 0 _time`;
    const created = await this.call('POST', '/services/search/jobs', {
      search,
      earliest_time: (window.startMs / 1000).toFixed(3),
      latest_time: (window.endMs / 1000).toFixed(3),
      output_mode: 'json',
    });
    const sid = (created.json as { sid?: string }).sid;
    if (!sid)
      throw new ProviderError(this.name, 'unavailable', `${this.name}: no sid in ${created.text.slice(0, 200)}`);
    const job = `/services/search/jobs/${encodeURIComponent(sid)}`;
    try {
      await this.waitForJob(job, query);
      for (let offset = 0; ; offset += this.pageSize) {
        const page = await this.call('GET', `${job}/results`, {
          output_mode: 'json',
          offset: String(offset),
          count: String(this.pageSize),
        });
        const results: unknown = (page.json as { results?: unknown } | undefined)?.results ?? [];
        if (!Array.isArray(results)) throw malformedPage(this.name, 'results is not an array');
        for (const [r, result] of results.entries()) {
          if (!isRecord(result)) throw malformedPage(this.name, `results[${r}] is not an object`);
          if (typeof result._raw === 'string') yield { text: result._raw, timeMs: this.resultTimeMs(result, r) };
        }
        if (results.length < this.pageSize) return;
      }
    } finally {
      await this.call('DELETE', job).catch(() => undefined);
    }
  }

  /**
   * When a result was logged: its `_time`, which Splunk writes in ISO 8601 with an offset
   * (`2026-12-07T10:00:00.000+00:00`) or, by some time formats, as epoch seconds. A result without one (a search
   * whose pipeline dropped it) has no time here.
   */
  private resultTimeMs(result: Record<string, unknown>, r: number): number | undefined {
    const time = result._time;
    if (time === undefined) return undefined;
    const timeMs =
      typeof time === 'number'
        ? validTimeMs(time * 1000)
        : typeof time !== 'string'
          ? undefined
          : EPOCH_SECONDS.test(time)
            ? validTimeMs(Number(time) * 1000)
            : ISO_TIME.test(time)
              ? validTimeMs(Date.parse(time))
              : undefined;
    if (timeMs === undefined)
      throw malformedPage(this.name, `results[${r}]._time is not an ISO 8601 time or epoch seconds`);
    return timeMs;
  }

  private async waitForJob(job: string, query: string): Promise<void> {
    const now = this.account.now ?? Date.now;
    const deadline = now() + (this.account.jobTimeoutMs ?? 300_000);
    const pause = this.account.pollDelay ?? (() => new Promise<void>((resolve) => setTimeout(resolve, 500)));
    for (;;) {
      const status = await this.call('GET', job, { output_mode: 'json' });
      const content = (status.json as { entry?: { content?: JobContent }[] }).entry?.[0]?.content ?? {};
      if (content.isFailed || content.dispatchState === 'FAILED') {
        const text = content.messages?.map((m) => m.text).join('; ') || 'the search job failed';
        throw new ProviderError(this.name, 'query', `${this.name}: search ${JSON.stringify(query)}: ${text}`);
      }
      if (content.isDone || content.dispatchState === 'DONE') return;
      if (now() > deadline)
        throw new ProviderError(
          this.name,
          'unavailable',
          `${this.name}: search job not done in time (${content.dispatchState})`,
        );
      await pause();
    }
  }

  private async call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    params: Record<string, string> = {},
  ): Promise<ProviderResponse> {
    const form = new URLSearchParams(params).toString();
    const response = await providerRequest(this.name, {
      method,
      base: this.account.baseUrl,
      path: path.replace(/^\//, ''),
      ...(method === 'POST' ? {} : { query: params }),
      headers: {
        ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...(this.account.authorization ? { authorization: this.account.authorization } : {}),
      },
      ...(method === 'POST' ? { body: form } : {}),
      timeoutMs: this.account.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(this.account.tls ? { tls: this.account.tls } : {}),
    });
    if (response.status >= 400) {
      const messages = (response.json as { messages?: { text?: string }[] } | undefined)?.messages;
      const text = messages?.map((m) => m.text).join('; ') || response.text.slice(0, 300);
      const kind = response.status === 400 ? 'query' : 'unavailable';
      throw new ProviderError(this.name, kind, `${this.name}: ${method} ${path} answered ${response.status}: ${text}`);
    }
    return response;
  }
}
