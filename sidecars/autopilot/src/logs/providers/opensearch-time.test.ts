// OpenSearch hands each hit's time over as its first sort value (decision 248), read here from a fake node that
// answers the provider's searches with seeded hits: the real node's test (opensearch.test.ts) needs a JVM.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BURST_WINDOW, START_MS, burstBaseline, burstCanary, replicaCluster } from '@isd/test-support';
import { analyzeLogStreams } from '../analysis';
import { OpenSearchLogProvider } from './opensearch';

let server: http.Server;
let baseUrl: string;
/** The hits of each query string, in time order; `toSort` turns a time in ms into the node's sort value. */
const hits = new Map<string, { message: string; timeMs: number }[]>();
let toSort = (timeMs: number): number => timeMs;

beforeAll(async () => {
  hits.set('pod:baseline', toHits(burstBaseline()));
  hits.set('pod:canary', toHits(burstCanary()));
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const answer = (json: unknown) =>
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      if (request.method === 'POST' && request.url?.includes('point_in_time')) return answer({ pit_id: 'p' });
      if (request.method !== 'POST') return answer({});
      const search = JSON.parse(body) as {
        size: number;
        query: { bool: { filter: { query_string?: { query: string } }[] } };
      };
      const query = search.query.bool.filter.find((f) => f.query_string)?.query_string?.query ?? '';
      const page = (hits.get(query) ?? []).map((hit, i) => ({
        _id: String(i),
        _source: { message: hit.message },
        sort: [toSort(hit.timeMs), String(i)],
      }));
      // One page holds every hit: a fake that pages is not needed to see the times handed over.
      if (page.length >= search.size) return response.writeHead(500).end('the fake answers one page: raise pageSize');
      answer({ _shards: { total: 1, failed: 0 }, hits: { hits: page } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function toHits(log: ReturnType<typeof burstBaseline>) {
  return log.map(({ seconds, message }) => ({ message, timeMs: START_MS + seconds * 1000 }));
}

describe.each([
  ['a date field (milliseconds)', (timeMs: number) => timeMs],
  ['a date_nanos field (nanoseconds)', (timeMs: number) => timeMs * 1_000_000],
])('OpenSearch sorting on %s', (_, sortValue) => {
  it('gives each hit its time: a burst is found in lines that carry no time in their text', async () => {
    toSort = sortValue;
    const provider = new OpenSearchLogProvider({ name: 'os', baseUrl, index: 'logs', pageSize: 5000 });
    const analysis = await analyzeLogStreams(
      provider.lines('pod:baseline', BURST_WINDOW),
      provider.lines('pod:canary', BURST_WINDOW),
    );
    const replica = replicaCluster(analysis.clusters);
    expect(replica).toMatchObject({ kind: 'burst', baselineCount: 38, canaryCount: 62 });
    expect(replica!.burst!.canaryInWindow).toBeGreaterThanOrEqual(22);
  });
});
