// The Graphite client against a real Graphite (carbon-cache fed over the plaintext protocol, graphite-web's
// render API), with baseline and canary series of known values; auth headers against a local replay server.
import { eventually } from '@isd/test-support';
import { startGraphite, type GraphiteServer } from '../../test/metric-stores-harness';
import { startReplayServer } from '../../test/replay-server';
import { createGraphiteProvider } from './graphite';
import { ProviderError } from './provider';

jest.setTimeout(120_000);

let graphite: GraphiteServer;
// Whole minutes in the past, so the window's grid and Graphite's 1 s points line up.
const endMs = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const startMs = endMs - 60_000;
const window = { startMs, endMs, stepSeconds: 10 };

beforeAll(async () => {
  graphite = await startGraphite();
  const points: Array<{ path: string; value: number; atMs: number }> = [];
  for (let atMs = startMs; atMs <= endMs; atMs += 1_000) {
    const second = (atMs - startMs) / 1000;
    points.push({ path: 'web.prod.web-v1.latency', value: 100 + (second % 2), atMs }); // 100, 101, 100, …
    // The canary has a 10 s gap (no points: nulls in the render answer).
    if (second < 20 || second >= 30) points.push({ path: 'web.prod.web-v2.latency', value: 200, atMs });
    points.push({ path: 'latency;namespace=prod;deployment=web-v1', value: 7, atMs });
    points.push({ path: 'latency;namespace=prod;deployment=web-v2', value: 9, atMs });
  }
  await graphite.send(points);
  const provider = createGraphiteProvider('graphite', { url: graphite.url, timeoutMs: 10_000 });
  // carbon writes and registers tags asynchronously: wait until every series is readable.
  await eventually(
    async () => {
      const [paths, tagged] = await Promise.all([
        provider.fetch('web.prod.*.latency', window),
        provider.fetch("seriesByTag('name=latency')", window),
      ]);
      return paths.seriesCount === 2 && tagged.seriesCount === 2 ? true : undefined;
    },
    60_000,
    'seeded series readable',
  );
});

afterAll(async () => {
  await graphite?.stop();
});

const provider = () => createGraphiteProvider('graphite', { url: graphite.url, timeoutMs: 10_000 });

describe('Graphite client on a real graphite-web and carbon-cache', () => {
  it('fetches a dotted path, averaging the 1 s points onto the step grid', async () => {
    const series = await provider().fetch('web.prod.web-v1.latency', window);
    expect(series.seriesCount).toBe(1);
    expect(series.timestampsMs).toEqual(Array.from({ length: 7 }, (_, i) => startMs + i * 10_000));
    // Each inner step averages the points within 5 s either side: as many 100s as 101s, give or take one.
    for (const value of series.values.slice(1, -1)) expect(value).toBeGreaterThanOrEqual(100.4);
    for (const value of series.values.slice(1, -1)) expect(value).toBeLessThanOrEqual(100.6);
    expect(series.labels).toEqual({ name: 'web.prod.web-v1.latency' });
    expect(series.problems).toEqual([]);
  });

  it('reads null points as missing: a step whose points are all null is NaN', async () => {
    const series = await provider().fetch('web.prod.web-v2.latency', window);
    // Points 20…29 s are missing; the step at 20 s averages 15…24 s (only 15…19 present), the one at 30 s 25…34.
    expect(series.values[2]).toBe(200);
    expect(series.values[3]).toBe(200);
    const gap = await provider().fetch('web.prod.web-v2.latency', { startMs, endMs, stepSeconds: 1 });
    expect(gap.values.slice(20, 30).every(Number.isNaN)).toBe(true);
    expect(gap.values.slice(0, 20).every((value) => value === 200)).toBe(true);
  });

  it('writes ${scope} as seriesByTag tag expressions that select one tagged series', async () => {
    const client = provider();
    const scope = client.renderScope({ namespace: 'prod', deployment: 'web-v2' });
    expect(scope).toBe("'namespace=prod','deployment=web-v2'");
    const series = await client.fetch(`seriesByTag('name=latency',${scope})`, window);
    expect(series.seriesCount).toBe(1);
    expect(series.labels).toEqual({ name: 'latency', namespace: 'prod', deployment: 'web-v2' });
    expect(series.values.every((value) => value === 9)).toBe(true);
    expect(client.renderScope({ team: "o'neil" })).toBe(`"team=o'neil"`);
    const unwritable: Array<Record<string, string>> = [
      { team: 'a;b' },
      { team: '~x' },
      { team: '' },
      { 'te=am': 'x' },
      { team: `a'b"c` },
    ];
    for (const bad of unwritable)
      expect(() => client.renderScope(bad)).toThrow(/which a Graphite tag expression cannot hold/);
    // Graphite allows spaces in tag values.
    expect(client.renderScope({ team: 'web ops' })).toBe("'team=web ops'");
  });

  it('reports no series and several series as problems naming the target', async () => {
    const empty = await provider().fetch('web.prod.missing.latency', window);
    expect(empty.seriesCount).toBe(0);
    expect(empty.values.every(Number.isNaN)).toBe(true);
    expect(empty.problems[0]).toMatch(/^no series matched web\.prod\.missing\.latency between /);
    const several = await provider().fetch('web.prod.*.latency', window);
    expect(several.seriesCount).toBe(2);
    expect(several.problems[0]).toMatch(
      /returned 2 series \(web\.prod\.web-v1\.latency, web\.prod\.web-v2\.latency\); aggregate/,
    );
    const summed = await provider().fetch('sumSeries(web.prod.*.latency)', window);
    expect(summed.seriesCount).toBe(1);
    expect(summed.values[0]).toBeCloseTo(300.5, 0);
  });

  it('returns graphite-web’s complaint for a target it cannot evaluate, and accepts a good one', async () => {
    const client = provider();
    expect(await client.checkQuery('noSuchFunction(web.prod.web-v1.latency)')).toMatch(
      /refused the target noSuchFunction\(web\.prod\.web-v1\.latency\): .*unknown function/i,
    );
    expect(await client.checkQuery("summarize(web.prod.web-v1.latency,'1min','avg')")).toBeNull();
    await expect(client.fetch('noSuchFunction(x)', window)).rejects.toMatchObject({ kind: 'query' });
  });

  it('is unavailable, not a query error, when Graphite does not answer', async () => {
    const down = createGraphiteProvider('graphite', { url: 'http://127.0.0.1:9', timeoutMs: 2_000 });
    const failure = await down.fetch('a.b', window).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/^graphite: .*ECONNREFUSED/) });
  });
});

describe('Graphite client requests', () => {
  it('sends the render query in epoch seconds with basic auth; 401 and a non-list answer are unavailable', async () => {
    const server = await startReplayServer();
    try {
      server.respond(() => ({
        status: 200,
        body: [
          {
            target: 'a.b',
            tags: { name: 'a.b' },
            datapoints: [
              [1.5, 1_700_000_000],
              [null, 1_700_000_001],
            ],
          },
        ],
      }));
      const client = createGraphiteProvider('graphite', {
        url: `${server.url}/graphite`,
        username: 'isd',
        password: 's3cret',
        timeoutMs: 2_000,
      });
      const range = { startMs: 1_700_000_000_000, endMs: 1_700_000_001_500, stepSeconds: 1 };
      const series = await client.fetch('a.b', range);
      expect(series.values).toEqual([1.5, Number.NaN]);
      const request = server.requests[0]!;
      expect(request.method).toBe('GET');
      expect(request.url.pathname).toBe('/graphite/render');
      expect(Object.fromEntries(request.url.searchParams)).toEqual({
        target: 'a.b',
        from: '1699999999',
        until: '1700000002',
        format: 'json',
      });
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from('isd:s3cret').toString('base64')}`);
      server.respond(() => ({ status: 401, body: 'Unauthorized' }));
      await expect(client.fetch('a.b', range)).rejects.toMatchObject({
        kind: 'unavailable',
        message: expect.stringMatching(/HTTP 401/),
      });
      server.respond(() => ({ status: 200, body: { unexpected: true } }));
      await expect(client.fetch('a.b', range)).rejects.toMatchObject({
        kind: 'unavailable',
        message: expect.stringMatching(/did not answer with a render API JSON list/),
      });
    } finally {
      await server.close();
    }
  });
});
