// The Dynatrace Metrics API v2 client against its contract harness.
import { dynatraceHarness, type DynatraceCall, type DynatraceHarnessOptions } from '../../test/harness/dynatrace';
import { startReplayServer, type ReplayServer } from '../../test/replay-server';
import { createDynatraceProvider, dynatraceResolutionMinutes } from './dynatrace';
import { ProviderError } from './provider';

let server: ReplayServer;
beforeEach(async () => {
  server = await startReplayServer();
});
afterEach(async () => {
  await server.close();
});

const window = { startMs: Date.UTC(2026, 0, 1, 12, 0), endMs: Date.UTC(2026, 0, 1, 12, 5), stepSeconds: 60 };
const minute = (n: number) => window.startMs + n * 60_000;

function serve(data: DynatraceHarnessOptions['data'], pageSize?: number) {
  const calls: DynatraceCall[] = [];
  const harness = dynatraceHarness({
    tokens: { 'dt0c01.READ': ['metrics.read'], 'dt0c01.WRITE': ['metrics.ingest'] },
    ...(pageSize ? { pageSize } : {}),
    data: (call) => {
      calls.push(call);
      return data(call);
    },
  });
  server.respond(harness.handler);
  return calls;
}

const provider = (apiToken = 'dt0c01.READ') =>
  createDynatraceProvider('dt', { url: server.url, apiToken, timeoutMs: 2_000 });

describe('Dynatrace Metrics API v2 client', () => {
  it('sends the selector with from/to in ms at the step in minutes and reads one series, nulls as gaps', async () => {
    const calls = serve(() => [
      {
        dimensionMap: {},
        points: [
          [minute(0), 12.5],
          [minute(1), null],
          [minute(2), 14],
        ],
      },
    ]);
    const dt = provider();
    const scope = dt.renderScope({ 'k8s.namespace.name': 'prod', 'dt.entity.service': 'say "hi"~' });
    expect(scope).toBe('and(eq("k8s.namespace.name","prod"),eq("dt.entity.service","say ~"hi~"~~"))');
    expect(dt.renderScope({ a: 'b' })).toBe('eq("a","b")');
    const selector = `builtin:service.response.time:filter(${scope}):splitBy():avg`;
    const series = await dt.fetch(`${selector} | entitySelector=type(SERVICE),tag("web")`, window);
    expect(calls[0]).toEqual({
      metricSelector: selector,
      entitySelector: 'type(SERVICE),tag("web")',
      fromMs: window.startMs,
      toMs: window.endMs,
      resolution: '1m',
    });
    expect(server.requests[0]!.headers.authorization).toBe('Api-Token dt0c01.READ');
    expect(series.values).toEqual([12.5, Number.NaN, 14, Number.NaN, Number.NaN, Number.NaN]);
  });

  it('asks later pages with nextPageKey alone, and reports several series and no data as problems', async () => {
    serve(
      () => [1, 2, 3].map((n) => ({ dimensionMap: { 'dt.entity.service': `SERVICE-${n}` }, points: [[minute(0), n]] })),
      2,
    );
    const several = await provider().fetch('builtin:service.requestCount.total', window);
    expect(server.requests).toHaveLength(2);
    expect([...server.requests[1]!.url.searchParams.keys()]).toEqual(['nextPageKey']);
    expect(several.seriesCount).toBe(3);
    expect(several.problems[0]).toMatch(/returned 3 series .*SERVICE-1.*:splitBy\(\)/);
    serve(() => []);
    const empty = await provider().fetch('builtin:nothing', window);
    expect(empty.problems).toEqual([
      expect.stringMatching(/^no data for builtin:nothing between/),
      'dt: The metric selector matched no data',
    ]);
  });

  it('uses whole-minute resolutions', () => {
    expect([1, 60, 89, 90, 300].map(dynatraceResolutionMinutes)).toEqual([1, 1, 1, 2, 5]);
  });

  it('maps a 400 with constraint violations to a query error, and 401/403/429/5xx to an unavailable provider', async () => {
    serve(() => ({ code: 400, message: "Syntax error at position 8: expected ':' or end of selector" }));
    expect(await provider().checkQuery('builtin:(')).toMatch(
      /refused the query builtin:\(: Syntax error at position 8/,
    );
    await expect(provider('unknown').fetch('builtin:x', window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/HTTP 401 .*Missing authorization/),
    });
    await expect(provider('dt0c01.WRITE').fetch('builtin:x', window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/HTTP 403 .*metrics.read/),
    });
    serve(() => ({ code: 429, message: 'Too Many Requests' }));
    await expect(provider().fetch('builtin:x', window)).rejects.toMatchObject({ kind: 'unavailable' });
    serve(() => ({ code: 503, message: 'Service Unavailable' }));
    const failure = await provider()
      .fetch('builtin:x', window)
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(await provider().checkQuery('builtin:x | entitySelector=a | entitySelector=b')).toMatch(/given twice/);
  });
});
