// The one way connectors call out: the kit's outbound client, JSON only, errors that say what failed.
import { OutboundError, describeUrl, outboundRequest, parsePeerJson, type OutboundResponse } from '@isd/kit';

/** A connector call that failed; the message is shown on the evidence card. */
export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

/** Options of one JSON GET/POST. */
export interface FetchJsonOptions {
  headers?: Record<string, string>;
  method?: 'GET' | 'POST';
  body?: unknown;
  signal: AbortSignal;
  maxResponseBytes: number;
}

/** Connector calls get this long at most; the card's own deadline (`signal`) usually ends them first. */
const CONNECTOR_TIMEOUT_MS = 60_000;

/**
 * Fetches `path` under the configured `base` through the kit's outbound client (a path that leaves the
 * base is refused, redirects off it are not followed) and parses JSON; every failure is a ConnectorError.
 */
export async function fetchJson(base: string, path: string, options: FetchJsonOptions): Promise<unknown> {
  let response: OutboundResponse;
  try {
    response = await outboundRequest({
      base,
      path,
      method: options.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal: options.signal,
      timeoutMs: CONNECTOR_TIMEOUT_MS,
      maxResponseBytes: options.maxResponseBytes,
    });
  } catch (error) {
    if (error instanceof OutboundError) {
      throw new ConnectorError(
        error.code === 'timeout' && options.signal.aborted
          ? `${redactUrl(base)} did not answer in time`
          : error.message,
      );
    }
    throw error;
  }
  const where = describeUrl(response.url);
  if (response.status < 200 || response.status > 299) {
    throw new ConnectorError(
      `${where} answered ${response.status}${response.text ? `: ${response.text.slice(0, 200)}` : ''}`,
      response.status,
    );
  }
  try {
    // Storable: a lone surrogate or NUL escape from the peer would make the card's jsonb write fail.
    return parsePeerJson(response.text);
  } catch {
    throw new ConnectorError(`${where} did not answer JSON`);
  }
}

/** A URL without user info or query, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/** `Authorization: Basic` from user and token, or nothing. */
export function basicAuth(user?: string, token?: string): Record<string, string> {
  if (!user || !token) return {};
  return { authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` };
}

/** Joins a base URL and a path without doubling or dropping slashes. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** Narrowing helpers for untrusted JSON. */
export function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
