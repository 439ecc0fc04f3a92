// A small HTTP(S) client for provider calls: timeouts, TLS options (CA, client certificate, skip
// verification), and errors that name the provider and URL without leaking credentials.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { ProviderError } from './provider';

/** TLS settings of a provider connection. */
export interface TlsOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify?: boolean;
}

/** One request to a provider. */
export interface ProviderRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: URL;
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

/** Sends a request; network failures and timeouts become `ProviderError('unavailable')`. */
export function providerRequest(provider: string, request: ProviderRequest): Promise<ProviderResponse> {
  const where = `${request.url.protocol}//${request.url.host}${request.url.pathname}`;
  const isHttps = request.url.protocol === 'https:';
  const tls = request.tls ?? {};
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      reject(
        new ProviderError(provider, 'unavailable', `${provider}: ${message} (${request.method} ${where})`, { cause }),
      );
    };
    let options: https.RequestOptions;
    try {
      options = {
        method: request.method,
        headers: {
          accept: 'application/json',
          ...request.headers,
          ...(request.body !== undefined ? { 'content-length': String(Buffer.byteLength(request.body)) } : {}),
        },
        timeout: request.timeoutMs,
        ...(isHttps
          ? {
              ca: tls.caFile ? fs.readFileSync(tls.caFile) : undefined,
              cert: tls.certFile ? fs.readFileSync(tls.certFile) : undefined,
              key: tls.keyFile ? fs.readFileSync(tls.keyFile) : undefined,
              rejectUnauthorized: !tls.insecureSkipVerify,
            }
          : {}),
      };
    } catch (error) {
      fail(`cannot read TLS files: ${(error as Error).message}`, error);
      return;
    }
    const req = (isHttps ? https : http).request(request.url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          req.destroy();
          fail(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
      res.on('error', (error) => fail(error.message, error));
    });
    req.on('timeout', () => {
      req.destroy();
      fail(`no answer within ${request.timeoutMs} ms`);
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      fail(error.code ? `${error.code}: ${error.message}` : error.message, error),
    );
    if (request.body !== undefined) req.write(request.body);
    req.end();
  });
}

/** A short excerpt of a response body for error messages. */
export function excerpt(text: string, maxChars = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars)}…` : flat;
}
