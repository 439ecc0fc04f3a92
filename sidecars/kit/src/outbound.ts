// The one outbound HTTP client of every service: evidence connectors, notifications, metric providers,
// Gate, Fiat and external OPA all call out through `outboundRequest`. A request names an allowed base
// (from config, trusted) and optionally a relative path (often from a request, untrusted). The path is
// normalised first — percent-decoding, dot segments, backslashes, encoded slashes — and a path that
// would climb out of the base is refused before anything is sent. Hosts are compared in canonical form
// (WHATWG parsing turns `0x7f.1` and `2130706433` into 127.0.0.1; IPv4-mapped IPv6 is unmapped here).
// Redirects are followed only while they stay inside the base, so headers (the connector's credentials)
// never leave it. Every request has a deadline and a response-size limit.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parsePeerJson } from './well-formed-json';

/** Why an outbound request failed; `code` is stable, the message names the URL without credentials. */
export type OutboundErrorCode =
  | 'invalid_url'
  | 'outside_base'
  | 'redirect_outside_base'
  | 'too_many_redirects'
  | 'timeout'
  | 'unreachable'
  | 'too_large'
  | 'tls_files';

export class OutboundError extends Error {
  constructor(
    readonly code: OutboundErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'OutboundError';
  }
}

/**
 * TLS settings of a connection (files are read per request, so a rotated certificate is picked up).
 * PEM text may be given instead of a file (a kubeconfig's inline `*-data`); a file wins when both are set.
 */
export interface OutboundTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  insecureSkipVerify?: boolean;
}

/** One outbound request. */
export interface OutboundRequest {
  /** The allowed base: an absolute http(s) URL from config. Nothing outside it is ever requested. */
  base: string;
  /** A path relative to `base`, with an optional `?query`; untrusted input is fine here. */
  path?: string;
  /** Query parameters appended to the URL. */
  query?: Record<string, string> | URLSearchParams;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Headers, credentials included: they are only ever sent to URLs inside `base`. */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Deadline for the whole exchange, redirects and body included. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** An extra cancellation (e.g. the caller's own deadline). */
  signal?: AbortSignal;
  tls?: OutboundTls;
  /** Redirects followed inside the base (default 3; 0 = a redirect is returned as is). */
  maxRedirects?: number;
}

/** A response: status, headers, body text, and the URL that answered. */
export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  url: URL;
}

const MAX_DECODE_ROUNDS = 3;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** `origin + pathname` of a URL, for messages: never user info or query (which may hold tokens). */
export function describeUrl(url: URL | string): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/** Parses a configured base URL: absolute http(s), no user info (credentials belong in headers). */
export function parseBase(base: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new OutboundError('invalid_url', `base URL ${JSON.stringify(base.slice(0, 200))} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OutboundError('invalid_url', `base URL ${describeUrl(url)} must be http or https`);
  if (url.username || url.password)
    throw new OutboundError(
      'invalid_url',
      `base URL ${describeUrl(url)} carries user info; put credentials in the configured headers instead`,
    );
  url.hash = '';
  return url;
}

/** A segment decoded until stable, so `%252e` cannot hide a dot from a server that decodes twice. */
function fullyDecoded(segment: string, whole: string): string {
  let current = segment;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    if (!current.includes('%')) return current;
    try {
      current = decodeURIComponent(current);
    } catch {
      // A `%` that is not an escape is a literal percent once the first round is done.
      if (round === 0)
        throw new OutboundError('invalid_url', `path ${JSON.stringify(whole)} has a malformed percent-escape`);
      return current;
    }
  }
  if (/%[0-9a-f]{2}/i.test(current))
    throw new OutboundError('invalid_url', `path ${JSON.stringify(whole)} is percent-encoded too many times`);
  return current;
}

/**
 * Every segment decoded once (what a server sees). Refuses a segment that, decoded as often as a lax
 * server might, is or contains a dot segment (`..`, `..%2f`, `%252e%252e`) or a control character.
 */
function safeSegments(path: string, whole: string): string[] {
  if (path.includes('\\'))
    throw new OutboundError('outside_base', `path ${JSON.stringify(whole)} contains a backslash`);
  return path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      const decoded = fullyDecoded(segment, whole);
      if (decoded.split(/[/\\]/).some((part) => part === '.' || part === '..'))
        throw new OutboundError(
          'outside_base',
          `path ${JSON.stringify(whole)} has a dot segment (${JSON.stringify(segment)}) that would leave the allowed base`,
        );
      if (CONTROL_CHARACTERS.test(decoded))
        throw new OutboundError(
          'invalid_url',
          `path ${JSON.stringify(whole)} hides a control character in ${JSON.stringify(segment)}`,
        );
      return decodeURIComponent(segment);
    });
}

/**
 * The URL `path` names under `base`, or an OutboundError('outside_base' | 'invalid_url') saying why not.
 * The result is rebuilt from decoded segments, each re-encoded once, so what is checked is what is sent.
 */
export function resolveWithinBase(base: string | URL, path = ''): URL {
  const baseUrl = typeof base === 'string' ? parseBase(base) : new URL(base.href);
  if (CONTROL_CHARACTERS.test(path))
    throw new OutboundError('invalid_url', `path ${JSON.stringify(path)} contains a control character`);
  if (path.includes('#')) throw new OutboundError('invalid_url', `path ${JSON.stringify(path)} contains a fragment`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//'))
    throw new OutboundError('outside_base', `path ${JSON.stringify(path)} must be relative to the allowed base`);
  const queryAt = path.indexOf('?');
  const pathPart = queryAt < 0 ? path : path.slice(0, queryAt);
  const query = queryAt < 0 ? '' : path.slice(queryAt + 1);
  const segments = safeSegments(pathPart, path);
  const url = new URL(baseUrl.href);
  if (segments.length) {
    const basePath = baseUrl.pathname.replace(/\/+$/, '');
    const trailing = pathPart.endsWith('/') ? '/' : '';
    url.pathname = `${basePath}/${segments.map(encodeURIComponent).join('/')}${trailing}`;
  }
  if (query) {
    const params = new URLSearchParams(url.search);
    for (const [key, value] of new URLSearchParams(query)) params.append(key, value);
    url.search = params.toString();
  }
  assertWithinBase(url, baseUrl);
  return url;
}

/** Host as compared: lower case, no trailing dot, IPv4-mapped IPv6 (`[::ffff:7f00:1]`) as its IPv4 form. */
export function canonicalHost(url: URL): string {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(host);
  if (mapped) {
    const high = parseInt(mapped[1]!, 16);
    const low = parseInt(mapped[2]!, 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  const dotted = /^\[::ffff:(\d+\.\d+\.\d+\.\d+)\]$/.exec(host);
  return dotted ? dotted[1]! : host;
}

function effectivePort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/** Throws unless `candidate` is inside `base`: same scheme, host and port, no user info, path under the base's. */
export function assertWithinBase(candidate: URL, base: URL): void {
  const where = describeUrl(candidate);
  if (candidate.username || candidate.password)
    throw new OutboundError('outside_base', `${where} carries user info (@), which is never sent`);
  if (
    candidate.protocol !== base.protocol ||
    canonicalHost(candidate) !== canonicalHost(base) ||
    effectivePort(candidate) !== effectivePort(base)
  )
    throw new OutboundError('outside_base', `${where} is not on the allowed base ${describeUrl(base)}`);
  // The path as a server would see it: every segment decoded must stay a plain segment.
  safeSegments(candidate.pathname, candidate.pathname);
  const basePath = base.pathname.replace(/\/+$/, '');
  if (basePath && candidate.pathname !== basePath && !candidate.pathname.startsWith(`${basePath}/`))
    throw new OutboundError('outside_base', `${where} is outside the allowed path ${describeUrl(base)}`);
}

/** Sends a request inside `base`; follows redirects only while they stay inside it. */
export async function outboundRequest(request: OutboundRequest): Promise<OutboundResponse> {
  const base = parseBase(request.base);
  let url = resolveWithinBase(base, request.path ?? '');
  if (request.query) {
    const params = new URLSearchParams(url.search);
    const extra = request.query instanceof URLSearchParams ? request.query : new URLSearchParams(request.query);
    for (const [key, value] of extra) params.append(key, value);
    url.search = params.toString();
  }
  const deadline = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
  let method = request.method ?? 'GET';
  let body = request.body;
  const maxRedirects = request.maxRedirects ?? 3;
  for (let redirects = 0; ; redirects++) {
    const response = await sendOnce(url, method, request, body, signal, deadline, request.timeoutMs);
    const location = response.headers.location;
    if (maxRedirects === 0 || response.status < 300 || response.status > 399 || !location) return response;
    if (redirects >= maxRedirects)
      throw new OutboundError('too_many_redirects', `${describeUrl(url)} redirected more than ${maxRedirects} times`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new OutboundError('invalid_url', `${describeUrl(url)} redirected to an invalid URL`);
    }
    try {
      assertWithinBase(next, base);
    } catch (error) {
      throw new OutboundError(
        'redirect_outside_base',
        `${describeUrl(url)} redirected to ${describeUrl(next)}, outside the allowed base ${describeUrl(base)}; not followed`,
        { cause: error },
      );
    }
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
    url = next;
  }
}

function tlsOptions(tls: OutboundTls | undefined): https.RequestOptions {
  if (!tls) return {};
  try {
    return {
      ca: tls.caFile ? fs.readFileSync(tls.caFile) : tls.caPem,
      cert: tls.certFile ? fs.readFileSync(tls.certFile) : tls.certPem,
      key: tls.keyFile ? fs.readFileSync(tls.keyFile) : tls.keyPem,
      rejectUnauthorized: !tls.insecureSkipVerify,
    };
  } catch (error) {
    throw new OutboundError('tls_files', `cannot read TLS files: ${(error as Error).message}`, { cause: error });
  }
}

function sendOnce(
  url: URL,
  method: string,
  request: OutboundRequest,
  body: string | Buffer | undefined,
  signal: AbortSignal,
  deadline: AbortSignal,
  timeoutMs: number,
): Promise<OutboundResponse> {
  const where = `${method} ${describeUrl(url)}`;
  const isHttps = url.protocol === 'https:';
  const options: https.RequestOptions = {
    method,
    headers: {
      accept: 'application/json',
      ...request.headers,
      ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
    },
    signal,
    ...(isHttps ? tlsOptions(request.tls) : {}),
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: OutboundError) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    const failFrom = (error: NodeJS.ErrnoException) => {
      if (deadline.aborted) fail(new OutboundError('timeout', `${where} did not answer within ${timeoutMs} ms`));
      else if (signal.aborted) fail(new OutboundError('timeout', `${where} was cancelled`, { cause: error }));
      else
        fail(
          new OutboundError('unreachable', `${error.code ? `${error.code}: ` : ''}${error.message} (${where})`, {
            cause: error,
          }),
        );
    };
    const req = (isHttps ? https : http).request(url, options, (res) => {
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > request.maxResponseBytes) {
        req.destroy();
        fail(new OutboundError('too_large', `${where} answered more than ${request.maxResponseBytes} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > request.maxResponseBytes) {
          req.destroy();
          fail(new OutboundError('too_large', `${where} answered more than ${request.maxResponseBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
          url,
        });
      });
      res.on('error', failFrom);
      res.on('aborted', () => failFrom(new Error('the response was cut off')));
    });
    req.on('error', failFrom);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Parses a response body as JSON (storable: see parsePeerJson), or undefined when it is not JSON. */
export function jsonOf(response: OutboundResponse): unknown {
  if (!response.text) return undefined;
  try {
    return parsePeerJson(response.text);
  } catch {
    return undefined;
  }
}
