// Contract tests of the Datadog and New Relic clients against local servers replaying the responses
// their API documentation shows (Datadog `GET /api/v1/query`, New Relic NerdGraph `nrql { results }`).
import { startReplayServer, type ReplayServer } from '../../test/replay-server';
import { createDatadogProvider } from './datadog';
import { createNewRelicProvider } from './newrelic';
import { ProviderError } from './provider';

let server: ReplayServer;
beforeEach(async () => {
  server = await startReplayServer();
});
afterEach(async () => {
  await server.close();
});

const window = { startMs: 1_575_317_840_000, endMs: 1_575_317_900_000, stepSeconds: 20 };

/** Datadog's documented example of a metrics query answer (one series, points in ms). */
function datadogAnswer(pointlist: Array<[number, number | null]>, series = 1) {
  return {
    status: 'ok',
    res_type: 'time_series',
    from_date: window.startMs,
    to_date: window.endMs,
    query: 'avg:system.cpu.idle{host:foo,env:test}',
    message: '',
    group_by: [],
    series: Array.from({ length: series }, (_, i) => ({
      aggr: 'avg',
      display_name: 'system.cpu.idle',
      end: window.endMs,
      expression: `system.cpu.idle{host:foo${i},env:test}`,
      interval: 20,
      length: pointlist.length,
      metric: 'system.cpu.idle',
      pointlist,
      scope: `host:foo${i},env:test`,
      start: window.startMs,
      tag_set: [`host:foo${i}`, 'env:test'],
      unit: [{ family: 'percentage', name: 'percent', plural: 'percent', scale_factor: 1, short_name: '%' }],
    })),
  };
}

describe('Datadog client', () => {
  const provider = () =>
    createDatadogProvider('dd', {
      url: server.url,
      apiKey: 'api-key-1',
      applicationKey: 'app-key-1',
      timeoutMs: 2_000,
    });

  it('sends the query with from/to in seconds and both keys, and places points on the step grid', async () => {
    server.respond(() => ({
      status: 200,
      body: datadogAnswer([
        [1_575_317_840_000, 0.5],
        [1_575_317_860_000, null],
        [1_575_317_880_000, 0.7],
      ]),
    }));
    const dd = provider();
    const query = `avg:system.cpu.idle{${dd.renderScope({ host: 'foo', env: 'test' })}}`;
    const series = await dd.fetch(query, window);
    const request = server.requests[0]!;
    expect(request.url.pathname).toBe('/api/v1/query');
    expect(request.url.searchParams.get('query')).toBe('avg:system.cpu.idle{host:foo,env:test}');
    expect(request.url.searchParams.get('from')).toBe('1575317840');
    expect(request.url.searchParams.get('to')).toBe('1575317900');
    expect(request.headers['dd-api-key']).toBe('api-key-1');
    expect(request.headers['dd-application-key']).toBe('app-key-1');
    expect(series.values).toEqual([0.5, Number.NaN, 0.7, Number.NaN]);
    expect(series.labels).toEqual({ host: 'foo0', env: 'test' });
    expect(series.problems).toEqual([]);
  });

  it('reports an empty result and several series as problems naming the query, not as values', async () => {
    server.respond(() => ({ status: 200, body: { ...datadogAnswer([]), series: [] } }));
    const empty = await provider().fetch('avg:nothing{env:test}', window);
    expect(empty.values.every(Number.isNaN)).toBe(true);
    expect(empty.problems[0]).toMatch(/no series matched avg:nothing\{env:test\}/);
    server.respond(() => ({ status: 200, body: datadogAnswer([[window.startMs, 1]], 2) }));
    const several = await provider().fetch('avg:system.cpu.idle{env:test} by {host}', window);
    expect(several.seriesCount).toBe(2);
    expect(several.problems[0]).toMatch(/returned 2 series/);
  });

  it('maps 400 to a query error and 403 to an unavailable provider', async () => {
    server.respond(() => ({
      status: 400,
      body: { errors: ["Error parsing query: unable to parse avg:system.cpu.idle{: Rule 'scope_expr' didn't match"] },
    }));
    await expect(provider().fetch('avg:system.cpu.idle{', window)).rejects.toMatchObject({
      kind: 'query',
      message: expect.stringMatching(/Error parsing query/),
    });
    expect(await provider().checkQuery('avg:system.cpu.idle{')).toMatch(/Error parsing query/);
    server.respond(() => ({ status: 403, body: { errors: ['Forbidden'] } }));
    await expect(provider().fetch('avg:system.cpu.idle{*}', window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/HTTP 403.*Forbidden/),
    });
  });
});

/** NerdGraph's documented shape for `nrql(query) { results }` with TIMESERIES. */
function nerdGraphAnswer(results: Array<Record<string, unknown>>) {
  return { data: { actor: { account: { nrql: { results } } } } };
}

describe('New Relic NRQL client', () => {
  const provider = () =>
    createNewRelicProvider('nr', {
      url: `${server.url}/graphql`,
      apiKey: 'NRAK-TEST',
      accountId: 1234567,
      timeoutMs: 2_000,
    });

  it('posts the NRQL with SINCE/UNTIL/TIMESERIES through NerdGraph and reads each bucket', async () => {
    server.respond(() => ({
      status: 200,
      body: nerdGraphAnswer([
        { beginTimeSeconds: 1_575_317_840, endTimeSeconds: 1_575_317_860, 'average.duration': 0.21 },
        { beginTimeSeconds: 1_575_317_860, endTimeSeconds: 1_575_317_880, 'average.duration': null },
        { beginTimeSeconds: 1_575_317_880, endTimeSeconds: 1_575_317_900, 'average.duration': 0.25 },
      ]),
    }));
    const nr = provider();
    const where = nr.renderScope({ appName: "web's", env: 'prod' });
    expect(where).toBe("`appName` = 'web\\'s' AND `env` = 'prod'");
    const series = await nr.fetch(`SELECT average(duration) FROM Transaction WHERE ${where}`, window);
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.headers['api-key']).toBe('NRAK-TEST');
    const sent = JSON.parse(request.body) as { query: string; variables: { accountId: number; nrql: string } };
    expect(sent.query).toMatch(/nrql\(query: \$nrql/);
    expect(sent.variables.accountId).toBe(1234567);
    expect(sent.variables.nrql).toBe(
      `SELECT average(duration) FROM Transaction WHERE ${where} SINCE 1575317840000 UNTIL 1575317900000 TIMESERIES 20 seconds`,
    );
    expect(series.values).toEqual([0.21, Number.NaN, 0.25, Number.NaN]);
  });

  it('reads percentile buckets and flags FACET results as several series', async () => {
    server.respond(() => ({
      status: 200,
      body: nerdGraphAnswer([
        { beginTimeSeconds: 1_575_317_840, endTimeSeconds: 1_575_317_860, 'percentile.duration': { '95': 0.9 } },
      ]),
    }));
    expect((await provider().fetch('SELECT percentile(duration, 95) FROM Transaction', window)).values[0]).toBe(0.9);
    server.respond(() => ({
      status: 200,
      body: nerdGraphAnswer([
        { beginTimeSeconds: 1_575_317_840, endTimeSeconds: 1_575_317_860, facet: 'a', count: 1 },
        { beginTimeSeconds: 1_575_317_840, endTimeSeconds: 1_575_317_860, facet: 'b', count: 2 },
      ]),
    }));
    const faceted = await provider().fetch('SELECT count(*) FROM Transaction FACET host', window);
    expect(faceted.problems[0]).toMatch(/returned 2 series \(FACET\)/);
    server.respond(() => ({
      status: 200,
      body: nerdGraphAnswer([
        { beginTimeSeconds: 1_575_317_840, endTimeSeconds: 1_575_317_860, count: 3, 'average.duration': 0.2 },
      ]),
    }));
    const twoValues = await provider().fetch('SELECT count(*), average(duration) FROM Transaction', window);
    expect(twoValues.values.every(Number.isNaN)).toBe(true);
    expect(twoValues.problems[0]).toMatch(/several values per bucket \(count, average.duration\)/);
  });

  it('maps NRQL syntax errors to query errors and auth errors to an unavailable provider', async () => {
    server.respond(() => ({
      status: 200,
      body: {
        data: { actor: { account: { nrql: null } } },
        errors: [
          {
            message: "NRQL Syntax Error: Error at line 1 position 8, unexpected 'FROM'",
            path: ['actor', 'account', 'nrql'],
            extensions: { errorClass: 'INVALID_INPUT' },
          },
        ],
      },
    }));
    expect(await provider().checkQuery('SELECT FROM Transaction')).toMatch(/NRQL Syntax Error/);
    server.respond(() => ({
      status: 200,
      body: { data: null, errors: [{ message: 'Invalid API key', extensions: { errorClass: 'UNAUTHORIZED' } }] },
    }));
    const failure = await provider()
      .fetch('SELECT count(*) FROM Transaction', window)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ kind: 'unavailable', message: 'nr: Invalid API key' });
  });
});
