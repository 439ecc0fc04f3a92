// The CloudWatch client against the GetMetricData contract harness (SigV4 checked over the request as
// received, documented XML answers and errors, NextToken paging).
import { cloudWatchHarness, type CloudWatchAnswer } from '../../test/harness/cloudwatch';
import { startReplayServer, type ReplayServer } from '../../test/replay-server';
import { cloudWatchMinimumPeriod, cloudWatchPeriod, createCloudWatchProvider } from './cloudwatch';
import { ProviderError } from './provider';

let server: ReplayServer;
beforeEach(async () => {
  server = await startReplayServer();
});
afterEach(async () => {
  await server.close();
});

const account = {
  region: 'eu-west-1',
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const window = { startMs: Date.UTC(2026, 0, 1, 12, 0), endMs: Date.UTC(2026, 0, 1, 12, 5), stepSeconds: 60 };
const minute = (n: number) => window.startMs + n * 60_000;

/** The clock of both sides: a minute after the window (recent data: every period is available). */
let clock = () => window.endMs + 60_000;
beforeEach(() => {
  clock = () => window.endMs + 60_000;
});

function serve(data: (expression: string, periodSeconds: number) => CloudWatchAnswer, pageSize?: number) {
  const asked: string[] = [];
  const harness = cloudWatchHarness({
    ...account,
    now: () => clock(),
    ...(pageSize ? { pageSize } : {}),
    data: (expression, _start, _end, period) => {
      asked.push(expression);
      return data(expression, period);
    },
  });
  server.respond(harness.handler);
  return asked;
}

const provider = (overrides: Partial<typeof account> & { sessionToken?: string } = {}) =>
  createCloudWatchProvider('cw', { ...account, ...overrides, url: server.url, timeoutMs: 2_000, now: () => clock() });

describe('CloudWatch GetMetricData client', () => {
  it('sends a signed GetMetricData with the expression at the step and places the points on the grid', async () => {
    const asked = serve(() => [
      {
        label: 'p90',
        points: [
          [minute(0), 0.5],
          [minute(2), 0.7],
          [minute(3), 0.9],
        ],
      },
    ]);
    const cw = provider();
    const where = cw.renderScope({ ServiceName: 'web', Env: "o'neil" });
    expect(where).toBe(`"ServiceName" = 'web' AND "Env" = 'o\\'neil'`);
    const query = `SELECT AVG(Latency) FROM SCHEMA("App/Web", ServiceName, Env) WHERE ${where}`;
    const series = await cw.fetch(query, window);
    expect(asked).toEqual([query]);
    const form = new URLSearchParams(server.requests[0]!.body);
    expect(form.get('StartTime')).toBe('2026-01-01T12:00:00.000Z');
    expect(form.get('EndTime')).toBe('2026-01-01T12:05:00.000Z');
    expect(form.get('MetricDataQueries.member.1.Period')).toBe('60');
    expect(server.requests[0]!.headers.authorization).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/monitoring\//);
    expect(series.values).toEqual([0.5, Number.NaN, 0.7, 0.9, Number.NaN, Number.NaN]);
    expect(series.labels).toEqual({ label: 'p90' });
    expect(series.problems).toEqual([]);
  });

  it('follows NextToken pages and joins a series split across them', async () => {
    serve(() => [{ label: 'm', points: [0, 1, 2, 3, 4].map((n): [number, number] => [minute(n), n]) }], 2);
    const series = await provider().fetch("SEARCH('{App,Svc} MetricName=\"m\"', 'Average')", window);
    expect(server.requests).toHaveLength(3);
    expect(new URLSearchParams(server.requests[1]!.body).get('NextToken')).toBe('token-1');
    expect(series.values).toEqual([0, 1, 2, 3, 4, Number.NaN]);
  });

  it('shows the service’s messages about a result as problems', async () => {
    serve(() => [
      {
        label: 'm',
        points: [[minute(0), 1]],
        messages: [{ code: 'ArithmeticError', value: 'Division by zero at 12:01' }],
      },
    ]);
    const series = await provider().fetch('m1 / m2', window);
    expect(series.values[0]).toBe(1);
    expect(series.problems).toEqual(['cw: ArithmeticError: Division by zero at 12:01']);
  });

  it('asks for a period older data still has (a finer one would come back empty)', async () => {
    clock = () => window.endMs + 20 * 24 * 3_600_000;
    serve(() => [
      {
        label: 'm',
        points: [
          [minute(0), 1],
          [minute(5), 2],
        ],
      },
    ]);
    const series = await provider().fetch('SELECT AVG(x) FROM y', { ...window, stepSeconds: 60 });
    expect(new URLSearchParams(server.requests[0]!.body).get('MetricDataQueries.member.1.Period')).toBe('300');
    expect(series.timestampsMs).toEqual([minute(0), minute(5)]);
    // EndTime is exclusive: the period starting at the window's end is not in it.
    expect(series.values).toEqual([1, Number.NaN]);
  });

  it('rounds steps to periods CloudWatch accepts', () => {
    expect([1, 3, 7, 20, 45, 60, 61, 300].map((step) => cloudWatchPeriod(step))).toEqual([
      1, 5, 10, 30, 60, 60, 120, 300,
    ]);
    // Older data only exists at coarser periods.
    expect([10, 90].map((step) => cloudWatchPeriod(step, 60))).toEqual([60, 120]);
    expect([60, 400].map((step) => cloudWatchPeriod(step, 300))).toEqual([300, 600]);
    expect([60, 4000].map((step) => cloudWatchPeriod(step, 3600))).toEqual([3600, 7200]);
    const hour = 3_600_000;
    expect([hour, 4 * hour, 16 * 24 * hour, 64 * 24 * hour].map(cloudWatchMinimumPeriod)).toEqual([1, 60, 300, 3600]);
  });

  it('reports an empty answer and several series as problems naming the query', async () => {
    serve(() => [{ label: 'none', points: [] }]);
    const empty = await provider().fetch('SELECT AVG(x) FROM y', window);
    expect(empty.seriesCount).toBe(0);
    expect(empty.problems[0]).toMatch(/no data for SELECT AVG\(x\) FROM y between/);
    serve(() => [
      { label: 'a', points: [[minute(0), 1]] },
      { label: 'b', points: [[minute(0), 2]] },
    ]);
    const several = await provider().fetch('SELECT AVG(x) FROM y GROUP BY z', window);
    expect(several.seriesCount).toBe(2);
    expect(several.problems[0]).toMatch(/returned 2 series \(a, b\)/);
  });

  it('signs with a session token, and a wrong key or secret is an unavailable provider naming the code', async () => {
    const token = cloudWatchHarness({
      ...account,
      sessionToken: 'tok',
      now: () => clock(),
      data: () => [{ label: 'm', points: [[minute(1), 1]] }],
    });
    server.respond(token.handler);
    expect((await provider({ sessionToken: 'tok' }).fetch('SELECT AVG(x) FROM y', window)).values[1]).toBe(1);
    serve(() => []);
    await expect(provider({ secretAccessKey: 'wrong' }).fetch('SELECT AVG(x) FROM y', window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/^cw: HTTP 403 .*SignatureDoesNotMatch/),
    });
    await expect(provider({ accessKeyId: 'AKIDOTHER' }).fetch('SELECT AVG(x) FROM y', window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/InvalidClientTokenId/),
    });
  });

  it('maps a refused expression to a query error and throttling or 5xx to an unavailable provider', async () => {
    serve(() => ({ status: 400, code: 'ValidationError', message: 'Error in expression q: Unrecognized token' }));
    const refused = await provider()
      .fetch('SELECT AVG(', window)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProviderError);
    expect(refused).toMatchObject({
      kind: 'query',
      message: expect.stringMatching(/refused the query SELECT AVG\(: ValidationError: Error in expression/),
    });
    expect(await provider().checkQuery('SELECT AVG(')).toMatch(/Unrecognized token/);
    serve(() => ({ status: 400, code: 'Throttling', message: 'Rate exceeded' }));
    await expect(provider().fetch('SELECT AVG(x) FROM y', window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/Throttling: Rate exceeded/),
    });
    serve(() => ({ status: 503, code: 'ServiceUnavailable', message: 'try later' }));
    await expect(provider().fetch('SELECT AVG(x) FROM y', window)).rejects.toMatchObject({ kind: 'unavailable' });
    expect(
      await provider()
        .checkQuery('SELECT AVG(x) FROM y')
        .catch((error: unknown) => error),
    ).toBeInstanceOf(ProviderError);
  });
});
