// Provider calls go through the kit's outbound client (the configured URL is the allowed base, so a
// redirect elsewhere is not followed and the provider's credentials stay with it); this adapter keeps
// the providers' error vocabulary: every failure names the provider and URL without credentials.
import { OutboundError, jsonOf, outboundRequest, type OutboundTls } from '@isd/kit';
import { ProviderError } from './provider';

/** TLS settings of a provider connection. */
export type TlsOptions = OutboundTls;

/** One request to a provider: a path under its configured base URL. */
export interface ProviderRequest {
  method: 'GET' | 'POST' | 'DELETE';
  base: string;
  path?: string;
  query?: Record<string, string> | URLSearchParams;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  tls?: TlsOptions;
}

/** A provider's answer: status and parsed JSON (undefined when the body is not JSON). */
export interface ProviderResponse {
  status: number;
  json: unknown;
  text: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Sends a request; network failures, timeouts and refused URLs become `ProviderError('unavailable')`. */
export async function providerRequest(provider: string, request: ProviderRequest): Promise<ProviderResponse> {
  try {
    const response = await outboundRequest({
      base: request.base,
      path: request.path,
      query: request.query,
      method: request.method,
      headers: request.headers,
      body: request.body,
      timeoutMs: request.timeoutMs,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      tls: request.tls,
    });
    return { status: response.status, json: jsonOf(response), text: response.text };
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    const message =
      error.code === 'timeout' ? `no answer within ${request.timeoutMs} ms (${error.message})` : error.message;
    throw new ProviderError(provider, 'unavailable', `${provider}: ${message}`, { cause: error });
  }
}

/** A short excerpt of a response body for error messages. */
export function excerpt(text: string, maxChars = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars)}…` : flat;
}
