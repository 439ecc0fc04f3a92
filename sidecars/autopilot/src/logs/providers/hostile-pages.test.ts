// A log provider (or whatever answers at its URL) that sends a page of the wrong shape: each is an error
// naming the provider and the place in the page, not a TypeError or SyntaxError from the reader (which ended
// the verification as "metrics could not be fetched: unexpected failure … charCodeAt is not a function"),
// and an OpenSearch page without the sort values paging needs is not asked for again until the deadline.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError } from '../../providers/provider';
import { LokiLogProvider } from './loki';
import { OpenSearchLogProvider } from './opensearch';
import type { LogProvider } from './provider';
import { SplunkLogProvider } from './splunk';

let server: http.Server;
let baseUrl: string;
/** The body the server answers to the provider's read of a page (other calls get what they need). */
let page: unknown;
let pageRequests = 0;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const url = request.url ?? '';
    const answer = (body: unknown) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.includes('point_in_time') && request.method === 'POST') return answer({ pit_id: 'p' });
    if (url.endsWith('/services/search/jobs') && request.method === 'POST') return answer({ sid: 's' });
    if (/\/services\/search\/jobs\/s\?/.test(url)) return answer({ entry: [{ content: { isDone: true } }] });
    if (request.method === 'DELETE') return answer({});
    pageRequests++;
    // A page a provider would read again without end answers its last entry's sort forever.
    return answer(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function read(provider: LogProvider): Promise<unknown> {
  try {
    for await (const line of provider.lines('x', { startMs: 0, endMs: 60_000 })) void line;
    return 'read to the end';
  } catch (error) {
    return error;
  }
}

const loki = () => new LokiLogProvider({ name: 'loki', baseUrl, pageSize: 2 });
const opensearch = () => new OpenSearchLogProvider({ name: 'os', baseUrl, index: 'logs', pageSize: 2 });
const splunk = () => new SplunkLogProvider({ name: 'splunk', baseUrl, pageSize: 2, pollDelay: async () => undefined });
const streams = (result: unknown) => ({ status: 'success', data: { resultType: 'streams', result } });

describe.each([
  ['loki', loki, streams({ app: 'a' }), 'data.result is not an array'],
  ['loki', loki, streams([null]), 'data.result[0].values is not an array'],
  ['loki', loki, streams([{ values: 'ab' }]), 'data.result[0].values is not an array'],
  [
    'loki',
    loki,
    streams([{ values: [['1', 42]] }]),
    'data.result[0].values[0] is not a [nanosecond timestamp, line] pair',
  ],
  [
    'loki',
    loki,
    streams([{ values: [['1.5', 'x']] }]),
    'data.result[0].values[0] is not a [nanosecond timestamp, line] pair',
  ],
  // A time that is not one (decision 248): never a line put at NaN or at a date no clock reads.
  [
    'loki',
    loki,
    streams([{ values: [['9'.repeat(30), 'x']] }]),
    'data.result[0].values[0] has a timestamp out of the range of dates',
  ],
  ['os', opensearch, { hits: { hits: 5 } }, 'hits.hits is not an array'],
  ['os', opensearch, { hits: { hits: [null] } }, 'hits.hits[0] is not an object'],
  [
    'os',
    opensearch,
    { hits: { hits: [{ _source: { message: 'a' } }, { _source: { message: 'b' } }] } },
    'hits.hits[1].sort is missing, so the next page cannot be asked for',
  ],
  [
    'os',
    opensearch,
    { hits: { hits: [{ _source: { message: 'a' }, sort: ['soon', 'x'] }] } },
    'hits.hits[0].sort[0] is not a time in milliseconds or nanoseconds',
  ],
  ['splunk', splunk, { results: { _raw: 'a' } }, 'results is not an array'],
  ['splunk', splunk, { results: [null] }, 'results[0] is not an object'],
  [
    'splunk',
    splunk,
    { results: [{ _raw: 'a', _time: 'yesterday' }] },
    'results[0]._time is not an ISO 8601 time or epoch seconds',
  ],
  [
    'splunk',
    splunk,
    { results: [{ _raw: 'a', _time: '2026-13-07T10:00:00.000+00:00' }] },
    'results[0]._time is not an ISO 8601 time or epoch seconds',
  ],
  [
    'splunk',
    splunk,
    { results: [{ _raw: 'a', _time: { at: 1 } }] },
    'results[0]._time is not an ISO 8601 time or epoch seconds',
  ],
] as const)('%s answering a malformed page', (name, provider, body, where) => {
  it(`names ${where}`, async () => {
    page = body;
    pageRequests = 0;
    const error = await read(provider());
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      kind: 'unavailable',
      message: `${name}: the answer is not a page of its API: ${where}`,
    });
    expect(pageRequests).toBe(1);
  });
});

it('still reads well-formed pages to the end', async () => {
  page = streams([{ stream: { app: 'a' }, values: [['1', 'one']] }]);
  expect(await read(loki())).toBe('read to the end');
  page = { hits: { hits: [{ _source: { message: 'a' }, sort: [1, 'x'] }] } };
  expect(await read(opensearch())).toBe('read to the end');
  // A page shorter than the page size is the last (a full one would be asked for again here, by this server).
  page = { results: [{ _raw: 'a', _time: '2026-12-07T10:00:00.000+00:00' }] };
  expect(await read(splunk())).toBe('read to the end');
});
