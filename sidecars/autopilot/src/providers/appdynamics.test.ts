// The AppDynamics metric-data client against its contract harness.
import {
  appDynamicsHarness,
  type AppDynamicsCall,
  type AppDynamicsHarnessOptions,
} from '../../test/harness/appdynamics';
import { startReplayServer, type ReplayServer } from '../../test/replay-server';
import { createAppDynamicsProvider } from './appdynamics';
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
const account = { accountName: 'customer1', clientName: 'autopilot', clientSecret: 's3cret' };

function serve(data: AppDynamicsHarnessOptions['data']) {
  const calls: AppDynamicsCall[] = [];
  const harness = appDynamicsHarness({
    ...account,
    applications: ['checkout'],
    data: (call) => {
      calls.push(call);
      return data(call);
    },
  });
  server.respond(harness.handler);
  return { calls, state: harness.state };
}
const provider = (overrides: Partial<typeof account> & { application?: string } = {}) =>
  createAppDynamicsProvider('appd', {
    url: server.url,
    ...account,
    application: 'checkout',
    ...overrides,
    timeoutMs: 2_000,
  });

const path = 'Business Transaction Performance|Business Transactions|web|/checkout|Average Response Time (ms)';

describe('AppDynamics metric-data client', () => {
  it('gets a token once and reads the metric path between the window’s times, per interval', async () => {
    const { calls, state } = serve(() => [
      {
        metricPath: path,
        points: [
          [minute(0), 120],
          [minute(2), 180],
        ],
      },
    ]);
    const appd = provider();
    expect(appd.renderScope({ tier: 'web', node: 'web-1' })).toBe('web|web-1');
    const [series, max] = await Promise.all([appd.fetch(path, window), appd.fetch(`${path} | value=max`, window)]);
    expect(max.values[0]).toBe(120);
    expect(state.tokensIssued).toBe(1);
    expect(calls[0]).toEqual({
      application: 'checkout',
      metricPath: path,
      startMs: window.startMs,
      endMs: window.endMs,
      rollup: false,
    });
    expect(series.values).toEqual([120, Number.NaN, 180, Number.NaN, Number.NaN, Number.NaN]);
    expect(series.labels).toEqual({ metricPath: path, frequency: 'ONE_MIN' });
  });

  it('takes the application from the query, and reports no data and wildcard matches as problems', async () => {
    const { calls } = serve((call) =>
      call.metricPath.includes('*')
        ? [
            { metricPath: 'a|x', points: [[minute(0), 1]] },
            { metricPath: 'b|x', points: [[minute(0), 2]] },
          ]
        : [],
    );
    const empty = await provider({ application: undefined }).fetch(
      'Overall|Calls per Minute | application=checkout',
      window,
    );
    expect(calls[0]!.application).toBe('checkout');
    expect(empty.problems[0]).toMatch(/^no data for Overall\|Calls per Minute \| application=checkout between/);
    const several = await provider().fetch('*|x', window);
    expect(several.problems[0]).toMatch(/matched 2 metrics \(a\|x, b\|x\); name one path/);
    expect(await provider({ application: undefined }).checkQuery('Overall|Calls per Minute')).toMatch(
      /name the application/,
    );
    expect(await provider().checkQuery(`${path} | value=avg`)).toMatch(/value must be one of value, current/);
  });

  it('maps a wrong secret to an unavailable provider, a bad application to a query error, and 429/5xx to unavailable', async () => {
    serve(() => []);
    await expect(provider({ clientSecret: 'wrong' }).fetch(path, window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/access token request for autopilot@customer1 failed: HTTP 401/),
    });
    expect(await provider().checkQuery(`${path} | application=shop`)).toMatch(/HTTP 400 .*Invalid application id shop/);
    serve(() => ({ status: 429, message: 'Too many requests' }));
    await expect(provider().fetch(path, window)).rejects.toMatchObject({ kind: 'unavailable' });
    serve(() => ({ status: 500, message: 'Internal Server Error' }));
    expect(
      await provider()
        .fetch(path, window)
        .catch((e: unknown) => e),
    ).toBeInstanceOf(ProviderError);
  });
});
