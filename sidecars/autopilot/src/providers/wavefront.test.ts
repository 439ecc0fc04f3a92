// The Wavefront chart API client against its contract harness.
import { wavefrontHarness, type WavefrontCall, type WavefrontHarnessOptions } from '../../test/harness/wavefront';
import { startReplayServer, type ReplayServer } from '../../test/replay-server';
import { ProviderError } from './provider';
import { createWavefrontProvider, wavefrontGranularity } from './wavefront';

let server: ReplayServer;
beforeEach(async () => {
  server = await startReplayServer();
});
afterEach(async () => {
  await server.close();
});

const window = { startMs: Date.UTC(2026, 0, 1, 12, 0), endMs: Date.UTC(2026, 0, 1, 12, 5), stepSeconds: 60 };
const minute = (n: number) => window.startMs + n * 60_000;

function serve(data: WavefrontHarnessOptions['data']) {
  const calls: WavefrontCall[] = [];
  server.respond(
    wavefrontHarness({
      tokens: ['wf-token'],
      data: (call) => {
        calls.push(call);
        return data(call);
      },
    }).handler,
  );
  return calls;
}
const provider = (apiToken = 'wf-token') =>
  createWavefrontProvider('wf', { url: server.url, apiToken, timeoutMs: 2_000 });

describe('Wavefront chart API client', () => {
  it('sends the ts() expression with s/e in ms, the granularity and summarization, and reads [seconds, value] points', async () => {
    const calls = serve(() => [
      {
        label: 'request.latency',
        host: 'web-1',
        tags: { env: 'prod' },
        points: [
          [minute(0), 1.5],
          [minute(3), 2.5],
        ],
      },
    ]);
    const wf = provider();
    const scope = wf.renderScope({ env: 'prod', app: 'we"b' });
    expect(scope).toBe('env="prod" and app="we\\"b"');
    const series = await wf.fetch(`avg(ts(request.latency, ${scope})) | summarization=max`, window);
    expect(calls[0]).toEqual({
      query: `avg(ts(request.latency, ${scope}))`,
      startMs: window.startMs,
      endMs: window.endMs,
      granularity: 'm',
      summarization: 'MAX',
      strict: true,
    });
    expect(server.requests[0]!.headers.authorization).toBe('Bearer wf-token');
    expect(series.values).toEqual([1.5, Number.NaN, Number.NaN, 2.5, Number.NaN, Number.NaN]);
    expect(series.labels).toEqual({ source: 'web-1', env: 'prod' });
  });

  it('picks the granularity from the step and reports several series and no data as problems', async () => {
    expect([1, 59, 60, 3599, 3600, 86_400].map(wavefrontGranularity)).toEqual(['s', 's', 'm', 'm', 'h', 'd']);
    serve(() => [
      { label: 'cpu', host: 'a', points: [[minute(0), 1]] },
      { label: 'cpu', host: 'b', points: [[minute(0), 2]] },
    ]);
    const several = await provider().fetch('ts(cpu)', window);
    expect(several.problems[0]).toMatch(/returned 2 series \(cpu@a, cpu@b\)/);
    serve(() => []);
    expect((await provider().fetch('ts(none)', window)).problems[0]).toMatch(/^no data for ts\(none\) between/);
  });

  it('maps syntax errors and bad options to query errors and 401/429/5xx to an unavailable provider', async () => {
    serve(() => []);
    expect(await provider().checkQuery('ts(cpu')).toMatch(/refused the query ts\(cpu: Syntax error: missing '\)'/);
    expect(await provider().checkQuery('ts(cpu) | summarization=AVERAGE')).toMatch(/summarization must be one of MEAN/);
    await expect(provider('bad').fetch('ts(cpu)', window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/HTTP 401 .*invalid or missing API token/),
    });
    serve(() => ({ status: 429, message: 'Too many requests' }));
    await expect(provider().fetch('ts(cpu)', window)).rejects.toMatchObject({ kind: 'unavailable' });
    serve(() => ({ status: 500, message: 'boom' }));
    expect(
      await provider()
        .fetch('ts(cpu)', window)
        .catch((e: unknown) => e),
    ).toBeInstanceOf(ProviderError);
  });
});
