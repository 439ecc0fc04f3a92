// A contract harness for CloudWatch's GetMetricData Query API, written from the API reference
// (GetMetricData, Common Parameters, Common Errors, Signature Version 4): it checks what CloudWatch checks
// — the SigV4 signature over the request as received, the credential scope (region, `monitoring`), the
// clock skew, the required parameters and their formats — and answers with the documented XML shapes,
// paging through NextToken. Use it as a replay server's handler.
import type { RecordedRequest, ReplayResponse } from '../replay-server';
import { signV4 } from '../../src/providers/sigv4';

/** One series the harness "stores" for an expression: label and points (ms, value). */
export interface CloudWatchSeries {
  label: string;
  points: Array<[number, number]>;
  /** MessageData of the result (e.g. why data is partial). */
  messages?: Array<{ code: string; value: string }>;
}

/** What the harness answers for an expression, or a documented error to return. */
export type CloudWatchAnswer = CloudWatchSeries[] | { status: number; code: string; message: string };

export interface CloudWatchHarnessOptions {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** The store's clock (requests more than 5 minutes off are refused as AWS does). */
  now?: () => number;
  /** Points per page before NextToken (the real limit is 100,800). */
  pageSize?: number;
  data: (expression: string, startMs: number, endMs: number, periodSeconds: number) => CloudWatchAnswer;
}

const XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function errorXml(status: number, code: string, message: string): ReplayResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>harness-request</RequestId></ErrorResponse>`,
  };
}

/** Creates the handler; `requests` counts the GetMetricData calls answered. */
export function cloudWatchHarness(options: CloudWatchHarnessOptions) {
  const pageSize = options.pageSize ?? 100_800;
  const pending = new Map<string, CloudWatchSeries[]>();
  let tokenCounter = 0;

  function checkSignature(request: RecordedRequest): ReplayResponse | undefined {
    const authorization = String(request.headers.authorization ?? '');
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
        authorization,
      );
    if (!match) return errorXml(400, 'IncompleteSignature', 'Authorization header is not a SigV4 header');
    const [, keyId, day, region, service, signedHeaders, signature] = match;
    if (keyId !== options.accessKeyId)
      return errorXml(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (region !== options.region || service !== 'monitoring')
      return errorXml(
        403,
        'SignatureDoesNotMatch',
        `Credential should be scoped to a valid region and service 'monitoring'`,
      );
    const date = String(request.headers['x-amz-date'] ?? '');
    const at = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (!at || date.slice(0, 8) !== day)
      return errorXml(400, 'IncompleteSignature', 'X-Amz-Date is missing or invalid');
    const sentMs = Date.UTC(+at[1]!, +at[2]! - 1, +at[3]!, +at[4]!, +at[5]!, +at[6]!);
    if (Math.abs(sentMs - (options.now ?? Date.now)()) > 5 * 60_000)
      return errorXml(400, 'RequestExpired', 'Request has expired.');
    const names = signedHeaders!.split(';');
    if (!names.includes('host') || !names.includes('x-amz-date'))
      return errorXml(403, 'SignatureDoesNotMatch', 'host and x-amz-date must be signed');
    if (options.sessionToken && request.headers['x-amz-security-token'] !== options.sessionToken)
      return errorXml(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    const headers = Object.fromEntries(
      names
        .filter((name) => name !== 'host' && name !== 'x-amz-date')
        .map((name) => [name, String(request.headers[name] ?? '')]),
    );
    const expected = signV4(
      {
        method: request.method,
        host: String(request.headers.host ?? ''),
        path: decodeURIComponent(request.url.pathname),
        query: [...request.url.searchParams],
        headers,
        body: request.body,
      },
      {
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.secretAccessKey,
        ...(headers['x-amz-security-token'] ? { sessionToken: headers['x-amz-security-token'] } : {}),
      },
      options.region,
      'monitoring',
      new Date(sentMs),
    );
    if (expected.signature !== signature)
      return errorXml(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    return undefined;
  }

  const handler = (request: RecordedRequest): ReplayResponse => {
    if (
      request.method !== 'POST' ||
      !String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
    )
      return errorXml(400, 'InvalidAction', 'POST a form-encoded Query API request');
    const refused = checkSignature(request);
    if (refused) return refused;
    const params = new URLSearchParams(request.body);
    if (params.get('Action') !== 'GetMetricData')
      return errorXml(400, 'InvalidAction', `unknown action ${params.get('Action')}`);
    if (params.get('Version') !== '2010-08-01')
      return errorXml(400, 'InvalidParameterValue', 'Version must be 2010-08-01');
    for (const key of ['StartTime', 'EndTime']) {
      const value = params.get(key);
      if (!value) return errorXml(400, 'MissingParameter', `The parameter ${key} is required.`);
      if (!ISO_8601.test(value)) return errorXml(400, 'InvalidParameterValue', `${key} must be ISO 8601`);
    }
    const startMs = Date.parse(params.get('StartTime')!);
    const endMs = Date.parse(params.get('EndTime')!);
    if (startMs >= endMs)
      return errorXml(400, 'InvalidParameterValue', 'The parameter StartTime must be less than the parameter EndTime.');
    const id = params.get('MetricDataQueries.member.1.Id') ?? '';
    if (!/^[a-z][a-zA-Z0-9_]*$/.test(id))
      return errorXml(400, 'ValidationError', 'MetricDataQueries.member.1.Id must start with a lowercase letter');
    const expression = params.get('MetricDataQueries.member.1.Expression');
    if (!expression)
      return errorXml(400, 'MissingParameter', 'MetricDataQueries.member.1.Expression or MetricStat is required');
    const period = Number(params.get('MetricDataQueries.member.1.Period'));
    if (!Number.isInteger(period) || !(period % 60 === 0 || [1, 5, 10, 30].includes(period)) || period <= 0)
      return errorXml(400, 'InvalidParameterValue', 'The parameter Period must be 1, 5, 10, 30 or a multiple of 60.');
    if (params.get('ScanBy') && !['TimestampAscending', 'TimestampDescending'].includes(params.get('ScanBy')!))
      return errorXml(400, 'ValidationError', 'ScanBy must be TimestampAscending or TimestampDescending');

    let series: CloudWatchSeries[];
    const token = params.get('NextToken');
    if (token) {
      const rest = pending.get(token);
      if (!rest)
        return errorXml(
          400,
          'InvalidNextToken',
          'The service couldn’t process your request because the NextToken is invalid.',
        );
      pending.delete(token);
      series = rest;
    } else {
      const answer = options.data(expression, startMs, endMs, period);
      if (!Array.isArray(answer)) return errorXml(answer.status, answer.code, answer.message);
      // Documented: older data is kept only at coarser periods; a finer period returns no data points.
      const ageMs = (options.now ?? Date.now)() - startMs;
      const minimum = ageMs > 63 * 86_400_000 ? 3600 : ageMs > 15 * 86_400_000 ? 300 : ageMs > 3 * 3_600_000 ? 60 : 1;
      const tooFine = period % minimum !== 0;
      series = answer.map((entry) => ({
        ...entry,
        points: tooFine ? [] : entry.points.filter(([at]) => at >= startMs && at < endMs).sort((a, b) => a[0] - b[0]),
      }));
    }
    // Page: the first `pageSize` points across the series; the rest waits behind a NextToken.
    let budget = pageSize;
    const now: typeof series = [];
    const later: typeof series = [];
    for (const entry of series) {
      const take = entry.points.slice(0, Math.max(0, budget));
      budget -= take.length;
      now.push({ ...entry, points: take });
      if (take.length < entry.points.length)
        later.push({ label: entry.label, points: entry.points.slice(take.length) });
    }
    let nextToken = '';
    if (later.length) {
      nextToken = `token-${++tokenCounter}`;
      pending.set(nextToken, later);
    }
    const results = now
      .map(
        (entry) =>
          `<member><Id>${id}</Id><Label>${escapeXml(entry.label)}</Label><Timestamps>${entry.points
            .map(([at]) => `<member>${new Date(at).toISOString().replace('.000Z', 'Z')}</member>`)
            .join('')}</Timestamps><Values>${entry.points
            .map(([, value]) => `<member>${value}</member>`)
            .join('')}</Values>${
            entry.messages?.length
              ? `<Messages>${entry.messages.map((m) => `<member><Code>${escapeXml(m.code)}</Code><Value>${escapeXml(m.value)}</Value></member>`).join('')}</Messages>`
              : ''
          }<StatusCode>${later.some((rest) => rest.label === entry.label) ? 'PartialData' : 'Complete'}</StatusCode></member>`,
      )
      .join('');
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<GetMetricDataResponse xmlns="${XMLNS}"><GetMetricDataResult><MetricDataResults>${results}</MetricDataResults>${
        nextToken ? `<NextToken>${nextToken}</NextToken>` : ''
      }<Messages/></GetMetricDataResult><ResponseMetadata><RequestId>harness-request</RequestId></ResponseMetadata></GetMetricDataResponse>`,
    };
  };
  return { handler };
}
