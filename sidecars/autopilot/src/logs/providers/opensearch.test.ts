// Against a real single-node OpenSearch (scripts/install-test-tools.sh assembles it from Maven Central).
import { startOpenSearch, type LogDocument, type OpenSearchNode } from '../../../test/opensearch-harness';
import { analyzeLogStreams } from '../analysis';
import { OpenSearchLogProvider } from './opensearch';

let node: OpenSearchNode;
let baseUrl: string;
const seed = (index: string, docs: LogDocument[]) => node.seed(index, docs);

beforeAll(async () => {
  node = await startOpenSearch();
  baseUrl = node.url;
}, 300_000);

afterAll(async () => {
  await node?.stop();
}, 60_000);

describe('OpenSearch log provider (real node)', () => {
  const t0 = Date.UTC(2026, 0, 1);

  it('reads every message of the window in time order across pages, and nothing outside it', async () => {
    const docs = Array.from({ length: 2500 }, (_, i) => ({
      at: t0 + i * 1000,
      message: `request ${i} served`,
      pod: i % 2 === 0 ? 'web-baseline' : 'web-canary',
    }));
    await seed('paging', docs);
    const provider = new OpenSearchLogProvider({ name: 'os', baseUrl, index: 'paging', pageSize: 300 });
    const window = { startMs: t0 + 100_000, endMs: t0 + 2_100_000 };
    const got: string[] = [];
    for await (const line of provider.lines('pod:"web-canary"', window)) got.push(line.text);
    const expected = docs
      .filter((d) => d.pod === 'web-canary' && d.at >= window.startMs && d.at < window.endMs)
      .map((d) => d.message);
    expect(got).toEqual(expected);
  }, 120_000);

  it('names a query OpenSearch refuses as a query error', async () => {
    const provider = new OpenSearchLogProvider({ name: 'os', baseUrl, index: 'paging' });
    const read = async () => {
      for await (const line of provider.lines('pod:(unclosed', { startMs: t0, endMs: t0 + 1 })) void line;
    };
    await expect(read()).rejects.toMatchObject({
      kind: 'query',
      message: expect.stringMatching(/^os: .*(400|shards failed)/),
    });
  }, 60_000);

  it('asks OpenSearch to parse a query and names its complaint', async () => {
    const provider = new OpenSearchLogProvider({ name: 'os', baseUrl, index: 'paging' });
    expect(await provider.checkQuery('pod:"web-canary" AND message:served')).toBeNull();
    expect(await provider.checkQuery('')).toBeNull();
    expect(await provider.checkQuery('pod:(unclosed')).toMatch(/^OpenSearch refuses the query "pod:\(unclosed": .+/);
  }, 60_000);

  it('a missing index is the provider being unusable, named', async () => {
    const provider = new OpenSearchLogProvider({ name: 'os', baseUrl, index: 'no-such-index' });
    const read = async () => {
      for await (const line of provider.lines('', { startMs: t0, endMs: t0 + 1 })) void line;
    };
    await expect(read()).rejects.toMatchObject({ message: expect.stringMatching(/404.*no-such-index/) });
  }, 60_000);

  it('seeded baseline and canary: a new exception in the canary fails, equal error rates pass', async () => {
    const docs: LogDocument[] = [];
    for (let i = 0; i < 600; i++) {
      for (const pod of ['baseline', 'canary', 'steady']) {
        docs.push({ at: t0 + i * 500, message: `GET /orders/${i} 200 in ${i % 40} ms`, pod });
        if (i % 50 === 0) docs.push({ at: t0 + i * 500 + 1, message: `ERROR payment ${i} declined by gateway`, pod });
      }
      if (i % 30 === 0)
        docs.push({
          at: t0 + i * 500 + 2,
          message: `ERROR order ${i} failed: java.lang.IllegalStateException: stock for sku-${i} is negative`,
          pod: 'canary',
        });
    }
    await seed('verification', docs);
    const provider = new OpenSearchLogProvider({ name: 'os', baseUrl, index: 'verification', pageSize: 500 });
    const window = { startMs: t0, endMs: t0 + 600 * 500 };
    const side = (pod: string) => provider.lines(`pod:"${pod}"`, window);

    const failing = await analyzeLogStreams(side('baseline'), side('canary'));
    const fresh = failing.clusters.find((c) => c.kind === 'canary-only')!;
    expect(fresh.template).toContain('IllegalStateException');
    expect(fresh).toMatchObject({ topic: 'ERROR', canaryCount: 20, baselineCount: 0 });
    expect(failing.score).toBeLessThan(75);

    const passing = await analyzeLogStreams(side('baseline'), side('steady'));
    expect(passing.score).toBe(100);
    expect(passing.clusters.find((c) => c.topic === 'ERROR')).toMatchObject({ kind: 'both', unexpected: false });
  }, 120_000);
});
