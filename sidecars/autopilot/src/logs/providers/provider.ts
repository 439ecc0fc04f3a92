// What every log provider does: stream the messages of one side's query in a time window, oldest first,
// a page at a time (memory stays flat however large the window), with errors naming the provider.
import type { TlsOptions } from '../../providers/http-client';
import { ProviderError } from '../../providers/provider';

export interface LogWindow {
  startMs: number;
  endMs: number;
}

export interface LogProviderAccount {
  name: string;
  /** Base URL of the provider's API. */
  baseUrl: string;
  /** Sent as `Authorization` (e.g. `Bearer …`, `Basic …`, `Splunk …`). */
  authorization?: string;
  tls?: TlsOptions;
  timeoutMs?: number;
  /** Messages per request (OpenSearch `size`, Loki `limit`, Splunk `count`). */
  pageSize?: number;
}

/** One message, with when it was logged as the provider's API records it (absent where the API gives none). */
export interface LogLine {
  text: string;
  /** Milliseconds since the epoch. */
  timeMs?: number;
}

export interface LogProvider {
  readonly name: string;
  readonly type: 'opensearch' | 'loki' | 'splunk';
  /** The messages matching `query` in the window, oldest first. Throws ProviderError on failure. */
  lines(query: string, window: LogWindow): AsyncIterable<LogLine>;
  /**
   * Asks the provider whether it can parse `query`: the complaint in words, or null when it can. Absent
   * when the provider has no way to ask. Throws ProviderError when the provider cannot be reached.
   */
  checkQuery?(query: string): Promise<string | null>;
}

export const DEFAULT_PAGE_SIZE = 1000;
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A page whose shape is not the provider's (a wrong type where its API documents an array, an entry without
 * the field paging needs): an error naming the provider and the place, never a TypeError from the reader, and
 * never the same page read again until the deadline.
 */
export function malformedPage(provider: string, what: string): ProviderError {
  return new ProviderError(provider, 'unavailable', `${provider}: the answer is not a page of its API: ${what}`);
}

/** An object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The farthest a JavaScript Date reaches from the epoch, in milliseconds. */
const MAX_DATE_MS = 8.64e15;

/** `ms` when it is a time a Date can hold, else undefined (the caller names the malformed field). */
export function validTimeMs(ms: number): number | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? ms : undefined;
}
