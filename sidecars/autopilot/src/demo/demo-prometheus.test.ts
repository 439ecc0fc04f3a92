import { answer, DEMO_SERIES, evaluate, parseDemoQuery, startDemoPrometheus } from './demo-prometheus';

describe('demo metrics source', () => {
  it('parses selectors with every matcher kind, inside an aggregation or not', () => {
    expect(parseDemoQuery('avg(demo_error_ratio{deployment="demo-baseline", namespace=~"de.*"})')).toEqual({
      aggregation: 'avg',
      metric: 'demo_error_ratio',
      matchers: [
        { label: 'deployment', op: '=', value: 'demo-baseline' },
        { label: 'namespace', op: '=~', value: 'de.*' },
      ],
    });
    expect(parseDemoQuery('demo_error_ratio{deployment!=\'x\',app!~"a\\"b"}').matchers).toEqual([
      { label: 'deployment', op: '!=', value: 'x' },
      { label: 'app', op: '!~', value: 'a"b' },
    ]);
    expect(parseDemoQuery('demo_error_ratio')).toEqual({
      aggregation: undefined,
      metric: 'demo_error_ratio',
      matchers: [],
    });
  });

  it('refuses what it cannot read as Prometheus does (400 bad_data naming the problem)', () => {
    for (const [query, problem] of [
      ['rate(demo_error_ratio[5m])', /aggregations .* not rate/],
      ['demo_error_ratio{deployment="a"', /understands a selector/],
      ['demo_error_ratio{deployment=a}', /unexpected label matcher/],
      ['demo_error_ratio{deployment=~"("}', /invalid regular expression/],
      ['', /understands a selector/],
    ] as const) {
      const reply = answer('/api/v1/query', new URLSearchParams({ query }), 1_000);
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ status: 'error', errorType: 'bad_data' });
      expect((reply.body as { error: string }).error).toMatch(problem);
    }
    expect(
      answer(
        '/api/v1/query_range',
        new URLSearchParams({ query: 'demo_error_ratio', start: '10', end: '5', step: '1s' }),
        0,
      ).status,
    ).toBe(400);
    expect(
      answer(
        '/api/v1/query_range',
        new URLSearchParams({ query: 'demo_error_ratio', start: '0', end: '1e6', step: '1' }),
        0,
      ).status,
    ).toBe(400);
    expect(
      answer(
        '/api/v1/query_range',
        new URLSearchParams({ query: 'demo_error_ratio', start: '0', end: '10', step: 'soon' }),
        0,
      ).status,
    ).toBe(400);
  });

  it('answers a range query with one series per deployment on the step grid, the same numbers every time', () => {
    const params = new URLSearchParams({
      query: 'demo_request_latency_seconds{namespace="demo"}',
      start: '1000',
      end: '1060',
      step: '30s',
    });
    const first = answer('/api/v1/query_range', params, 0);
    expect(first.status).toBe(200);
    const body = first.body as {
      data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
    };
    expect(body.data.resultType).toBe('matrix');
    expect(body.data.result.map((series) => series.metric.deployment)).toEqual(
      Object.keys(DEMO_SERIES.demo_request_latency_seconds!),
    );
    expect(body.data.result[0]!.values.map(([time]) => time)).toEqual([1000, 1030, 1060]);
    expect(answer('/api/v1/query_range', params, 0)).toEqual(first);
    expect(evaluate(parseDemoQuery('demo_error_ratio{deployment="nope"}'), [1])).toEqual([]);
  });

  it('keys the noise on the time since its origin, so a fixed origin replays the same samples', () => {
    const query = parseDemoQuery('demo_error_ratio{deployment="demo-baseline"}');
    const at = (start: number, originMs: number) =>
      evaluate(query, [start, start + 30, start + 60], originMs)[0]!.values;
    const values = (points: [number, number][]) => points.map(([, value]) => value);
    expect(values(at(1_000, 0))).not.toEqual(values(at(2_000, 0)));
    expect(values(at(2_000, 1_000_000))).toEqual(values(at(1_000, 0)));
    expect(values(at(1_700_000_000.25, 1_699_999_999_250))).toEqual(values(at(1, 0)));
  });

  it('gives the healthy canary the baseline distribution and the degraded one a clearly worse one', () => {
    const times = Array.from({ length: 600 }, (_, index) => 1_700_000_000 + index * 10);
    const mean = (query: string) => {
      const [series] = evaluate(parseDemoQuery(query), times);
      return series!.values.reduce((sum, [, value]) => sum + value, 0) / times.length;
    };
    const baseline = mean('avg(demo_request_latency_seconds{deployment="demo-baseline"})');
    expect(mean('avg(demo_request_latency_seconds{deployment="demo-canary-healthy"})') / baseline).toBeCloseTo(1, 1);
    expect(mean('avg(demo_request_latency_seconds{deployment="demo-canary-degraded"})') / baseline).toBeGreaterThan(
      1.5,
    );
    expect(
      mean('avg(demo_error_ratio{deployment="demo-canary-degraded"})') /
        mean('avg(demo_error_ratio{deployment="demo-baseline"})'),
    ).toBeGreaterThan(3);
  });

  it('serves the API over HTTP, by POST form as autopilot sends it and by GET', async () => {
    const source = await startDemoPrometheus({ now: () => 5_000 });
    try {
      const posted = await fetch(`${source.url}/api/v1/query_range`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: 'sum(demo_error_ratio)', start: '0', end: '20', step: '10' }).toString(),
      });
      expect(posted.status).toBe(200);
      const body = (await posted.json()) as { data: { result: { metric: object; values: unknown[] }[] } };
      expect(body.data.result).toHaveLength(1);
      expect(body.data.result[0]!.metric).toEqual({});
      expect(body.data.result[0]!.values).toHaveLength(3);
      const instant = (await (await fetch(`${source.url}/api/v1/query?query=count(demo_error_ratio)`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      expect(instant.data.result[0]!.value).toEqual([5_000, '3']);
      const tooBig = await fetch(`${source.url}/api/v1/query`, { method: 'POST', body: 'x'.repeat(100_000) });
      expect(tooBig.status).toBe(413);
    } finally {
      await source.close();
    }
  });
});
