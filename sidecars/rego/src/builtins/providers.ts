// providers.aws.sign_req: signs an http.send request object with AWS Signature Version 4, as OPA's
// internal/providers/aws SignV4 does (same canonical request, headers and error texts).
import { createHash, createHmac } from 'node:crypto';
import { RegoObject, formatValue, int64Text, isNumber, type Value } from '../value';
import { ALLOWED_KEYS } from './http';
import { BUILTINS, BuiltinError, obj, register } from './registry';

const REQUIRED_AWS = ['aws_access_key', 'aws_region', 'aws_secret_access_key', 'aws_service'];
// Never signed: they may change on the way.
const IGNORED_HEADERS = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);

function setText(names: string[]): string {
  return `{${[...names]
    .sort()
    .map((n) => JSON.stringify(n))
    .join(', ')}}`;
}

function typeError(pos: number, message: string): BuiltinError {
  return new BuiltinError(`operand ${pos} ${message}`, 'eval_type_error');
}

function text(v: Value | undefined): string {
  return typeof v === 'string' ? v : '';
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
}

/** `YYYYMMDDTHHMMSSZ` of a time in nanoseconds since the epoch. */
function amzDate(ns: bigint): string {
  const ms = Number(ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n));
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

register('providers.aws.sign_req', 3, (args, ctx) => {
  const request = obj(args, 0);
  const config = obj(args, 1);
  const missingAws = REQUIRED_AWS.filter((k) => config.get(k) === undefined);
  if (missingAws.length > 0) throw typeError(2, `missing required AWS config parameters(s): ${setText(missingAws)}`);
  const invalidAws = REQUIRED_AWS.filter((k) => typeof config.get(k) !== 'string');
  if (invalidAws.length > 0)
    throw typeError(2, `invalid values for required AWS config parameters(s): ${setText(invalidAws)}`);
  const time = args[2] as Value;
  // OPA reads it with ast.Number.Int64 (util.Atoi64), so a literal like `-1e9` is no timestamp there either.
  const ns = isNumber(time) ? int64Text(time) : undefined;
  if (ns === undefined) throw typeError(3, 'could not convert time_ns value into a unix timestamp');

  const keys = request.keys().map((k) => (typeof k === 'string' ? k : formatValue(k)));
  const unknown = keys.filter((k) => !ALLOWED_KEYS.has(k));
  if (unknown.length > 0) throw typeError(1, `invalid request parameters(s): ${setText(unknown)}`);
  const missing = ['method', 'url'].filter((k) => request.get(k) === undefined);
  if (missing.length > 0) throw typeError(1, `missing required request parameters(s): ${setText(missing)}`);
  const headersValue = request.get('headers') ?? new RegoObject();
  if (!(headersValue instanceof RegoObject)) throw typeError(0, 'must be object');
  const invalid = ['method', 'url'].filter((k) => typeof request.get(k) !== 'string');
  if (invalid.length > 0) throw typeError(1, `invalid values for required request parameters(s): ${setText(invalid)}`);

  let url: URL;
  try {
    url = new URL(request.get('url') as string);
  } catch {
    throw new BuiltinError(`invalid url ${JSON.stringify(request.get('url'))}`);
  }
  const method = request.get('method') as string;
  const rawBody = request.get('raw_body');
  const body = request.get('body');
  const payload =
    rawBody !== undefined
      ? text(rawBody)
      : body !== undefined
        ? ((BUILTINS.get('json.marshal')?.fn([body], ctx) as string | undefined) ?? '')
        : '';
  const unsigned = config.get('disable_payload_signing');
  if (unsigned !== undefined && typeof unsigned !== 'boolean')
    throw typeError(2, "invalid value for 'disable_payload_signing' in AWS config");

  const service = config.get('aws_service') as string;
  const region = config.get('aws_region') as string;
  const secret = config.get('aws_secret_access_key') as string;
  const accessKey = config.get('aws_access_key') as string;
  const contentHash = unsigned === true ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(payload).digest('hex');
  const stamp = amzDate(ns);
  const day = stamp.slice(0, 8);
  const awsHeaders = new Map<string, string>([
    ['host', url.host],
    ['x-amz-date', stamp],
  ]);
  if (service === 's3' || service === 'glacier') awsHeaders.set('x-amz-content-sha256', contentHash);
  const token = text(config.get('aws_session_token'));
  if (token !== '') awsHeaders.set('x-amz-security-token', token);

  const given = headersValue.sortedEntries().map(([k, v]) => [typeof k === 'string' ? k : '', text(v)] as const);
  const toSign = new Map(awsHeaders);
  for (const [k, v] of given) if (!IGNORED_HEADERS.has(k.toLowerCase())) toSign.set(k.toLowerCase(), v);
  const names = [...toSign.keys()].sort();
  // Go's URL.EscapedPath: the path as written (empty for `http://host`), not WHATWG's normalised `/`.
  const rawPath = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/.exec(request.get('url') as string)?.[1] ?? '';
  const canonical = [
    method,
    encodeURI(decodeURIComponentSafe(rawPath)),
    url.search.replace(/^\?/, ''),
    ...names.map((k) => `${k}:${toSign.get(k)}`),
    '',
    names.join(';'),
    contentHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${stamp}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  let key: Buffer = Buffer.from(`AWS4${secret}`);
  for (const part of [day, region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');

  const headers = new RegoObject();
  for (const [k, v] of given) headers.set(k, v);
  headers.set(
    'Authorization',
    `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope},SignedHeaders=${names.join(';')},Signature=${signature}`,
  );
  for (const [k, v] of awsHeaders) headers.set(k, v);
  const out = new RegoObject(request.sortedEntries());
  out.set('headers', headers);
  return out;
});
