// Calls an external system's JSON API through the kit's outbound client and sorts failures into the
// two kinds a stage treats differently: permanent (the stage fails with the system's own words) and
// transient (the next poll tries again).
import { OutboundError, describeUrl, outboundRequest, parsePeerJson, storable } from '@isd/kit';
import type { ExternalRef } from './model';

/** An external system refused or could not be reached; `permanent` means retrying will not help. */
export class ExternalSystemError extends Error {
  /** What the stage had already made when this failed (an issue a failed transition belongs to). */
  ref?: ExternalRef;

  constructor(
    message: string,
    readonly permanent: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ExternalSystemError';
  }
}

/** One call. */
export interface VendorCall {
  base: string;
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: unknown;
  /** Accepted content: JSON (parsed) or plain text. */
  accept?: 'json' | 'text';
  timeoutMs: number;
  maxResponseBytes: number;
}

/** A successful answer. */
export interface VendorAnswer {
  status: number;
  /** Parsed JSON (or undefined for an empty body) when `accept` is json; the text otherwise. */
  body: unknown;
  text: string;
}

/**
 * Performs the call; a 2xx answer is returned, anything else throws ExternalSystemError whose message
 * carries what `describeError` reads from the vendor's error body. 408, 429 and 5xx are transient.
 */
export async function callVendor(
  system: string,
  call: VendorCall,
  describeError: (status: number, body: unknown, text: string) => string | undefined,
): Promise<VendorAnswer> {
  const accept = call.accept ?? 'json';
  let response;
  try {
    response = await outboundRequest({
      base: call.base,
      path: call.path,
      method: call.method ?? 'GET',
      headers: {
        accept: accept === 'json' ? 'application/json' : 'text/plain',
        ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...call.headers,
      },
      body: call.body !== undefined ? JSON.stringify(call.body) : undefined,
      timeoutMs: call.timeoutMs,
      maxResponseBytes: call.maxResponseBytes,
      maxRedirects: 0,
    });
  } catch (error) {
    if (error instanceof OutboundError) {
      // A bad URL or an oversized answer stays so; a timeout or a refused connection may heal.
      const permanent = error.code !== 'timeout' && error.code !== 'unreachable';
      throw new ExternalSystemError(`${system} could not be reached: ${error.message}`, permanent);
    }
    throw error;
  }
  // Storable: the text (a job's output) and what quotes it (error messages) are kept in Postgres, which refuses NUL.
  const text = storable(response.text);
  const parsed = jsonOrUndefined(text);
  if (response.status < 200 || response.status > 299) {
    const detail = describeError(response.status, parsed, text) ?? plainText(text);
    const transient = response.status === 408 || response.status === 429 || response.status >= 500;
    throw new ExternalSystemError(
      `${system} answered ${response.status} ${statusWord(response.status)} to ${call.method ?? 'GET'} ${describeUrl(response.url)}${detail ? `: ${detail}` : ''}`,
      !transient,
      response.status,
    );
  }
  if (accept === 'text') return { status: response.status, body: text, text };
  if (text.trim() !== '' && parsed === undefined)
    throw new ExternalSystemError(`${system} did not answer JSON at ${describeUrl(response.url)}`, false);
  return { status: response.status, body: parsed, text };
}

function jsonOrUndefined(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parsePeerJson(text);
  } catch {
    return undefined;
  }
}

/** The first 200 characters of a text body with markup removed, for bodies no describer understood. */
function plainText(text: string): string {
  return text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

function statusWord(status: number): string {
  const words: Record<number, string> = {
    400: '(bad request)',
    401: '(not authenticated: check the configured credentials)',
    403: '(forbidden: the configured user lacks permission)',
    404: '(not found)',
    409: '(conflict)',
    429: '(rate limited)',
  };
  return words[status] ?? '';
}
