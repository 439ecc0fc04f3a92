// The one way connectors call out: a timeout, a response size cap, JSON only, errors that say what failed.

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

/** Fetches a URL and parses JSON; non-2xx, oversize, non-JSON and timeouts throw ConnectorError. */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal: options.signal,
      redirect: 'error',
    });
  } catch (error) {
    throw new ConnectorError(describeFetchError(error, options.signal, url));
  }
  const text = await readCapped(response, options.maxResponseBytes, options.signal, url);
  if (!response.ok) {
    throw new ConnectorError(
      `${redactUrl(url)} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
      response.status,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ConnectorError(`${redactUrl(url)} did not answer JSON`);
  }
}

async function readCapped(response: Response, maxBytes: number, signal: AbortSignal, url: string): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw new ConnectorError(`${redactUrl(url)} answered more than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ConnectorError) throw error;
    throw new ConnectorError(describeFetchError(error, signal, url));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFetchError(error: unknown, signal: AbortSignal, url: string): string {
  if (signal.aborted) return `${redactUrl(url)} did not answer in time`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `${redactUrl(url)} could not be reached: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
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
