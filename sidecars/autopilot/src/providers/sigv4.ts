// AWS Signature Version 4 (header form), as AWS's "Create a signed AWS API request" guide defines it:
// canonical request → string to sign → HMAC chain of date, region, service → Authorization header.
// Written here rather than pulling in the AWS SDK for one request shape (docs/decisions/073).
import { createHash, createHmac } from 'node:crypto';

/** Long-lived or temporary AWS credentials (from config only). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What is signed: the request exactly as it will be sent. */
export interface SigV4Request {
  method: string;
  /** Host as sent in the Host header (with the port when it is not the scheme's default). */
  host: string;
  /** Decoded path, e.g. `/` or `/ሴ`; each segment is percent-encoded once. */
  path: string;
  /** Query parameters, decoded. */
  query?: Array<[string, string]>;
  /** Headers to sign besides host and x-amz-date (and x-amz-security-token with a session token). */
  headers?: Record<string, string>;
  body?: string;
}

/** The headers to add to the request: x-amz-date, authorization, and x-amz-security-token when needed. */
export interface SigV4Result {
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

/** RFC 3986 encoding with only unreserved characters left as they are. */
export function awsUriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** `20150830T123600Z` for a time. */
export function amzDate(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Signs a request for `service` in `region` at time `at`. */
export function signV4(
  request: SigV4Request,
  credentials: AwsCredentials,
  region: string,
  service: string,
  at: Date,
): SigV4Result {
  const timestamp = amzDate(at);
  const day = timestamp.slice(0, 8);
  const headers: Record<string, string> = { ...(request.headers ?? {}), host: request.host, 'x-amz-date': timestamp };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    const trimmed = value.trim().replace(/\s+/g, ' ');
    byName.set(key, byName.has(key) ? `${byName.get(key)},${trimmed}` : trimmed);
  }
  const names = [...byName.keys()].sort();
  const signedHeaders = names.join(';');
  const canonicalHeaders = names.map((name) => `${name}:${byName.get(name)}\n`).join('');
  const canonicalPath = request.path.split('/').map(awsUriEncode).join('/') || '/';
  const canonicalQuery = (request.query ?? [])
    .map(([key, value]): [string, string] => [awsUriEncode(key), awsUriEncode(value)])
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    sha256Hex(request.body ?? ''),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', timestamp, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  const result: Record<string, string> = {
    'x-amz-date': timestamp,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
  if (credentials.sessionToken) result['x-amz-security-token'] = credentials.sessionToken;
  return { headers: result, canonicalRequest, stringToSign, signature };
}
