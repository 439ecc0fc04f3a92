// The SignalFlow client against its contract harness, and the event-stream parser against the spec.
import { signalFxHarness, type SignalFxCall, type SignalFxHarnessOptions } from '../../test/harness/signalfx';
import { startReplayServer, type ReplayServer } from '../../test/replay-server';
import { ProviderError } from './provider';
import { createSignalFxProvider } from './signalfx';
import { parseEventStream } from './sse';

let server: ReplayServer;
beforeEach(async () => {
  server = await startReplayServer();
});
afterEach(async () => {
  await server.close();
});

const window = { startMs: Date.UTC(2026, 0, 1, 12, 0), endMs: Date.UTC(2026, 0, 1, 12, 5), stepSeconds: 60 };
const minute = (n: number) => window.startMs + n * 60_000;

function serve(data: SignalFxHarnessOptions['data']) {
  const calls: SignalFxCall[] = [];
  server.respond(
    signalFxHarness({
      tokens: ['sfx-token'],
      data: (call) => {
        calls.push(call);
        return data(call);
      },
    }).handler,
  );
  return calls;
}
const provider = (accessToken = 'sfx-token') =>
  createSignalFxProvider('sfx', { url: server.url, accessToken, timeoutMs: 2_000 });

describe('SignalFx SignalFlow client', () => {
  it('executes the program over the window at the step and reads the one published series', async () => {
    const calls = serve(() => [
      {
        properties: { sf_metric: 'request.latency', app: 'web' },
        points: [
          [minute(0), 0.2],
          [minute(1), null],
          [minute(2), 0.3],
        ],
      },
    ]);
    const sfx = provider();
    const scope = sfx.renderScope({ app: 'web', note: "it's" });
    expect(scope).toBe("filter('app', 'web') and filter('note', 'it\\'s')");
    const program = `data('request.latency', filter=${scope}).mean().publish()`;
    const series = await sfx.fetch(program, window);
    expect(calls[0]).toEqual({
      program,
      startMs: window.startMs,
      stopMs: window.endMs,
      resolutionMs: 60_000,
      immediate: true,
    });
    expect(server.requests[0]!.headers['x-sf-token']).toBe('sfx-token');
    expect(series.values).toEqual([0.2, Number.NaN, 0.3, Number.NaN, Number.NaN, Number.NaN]);
    expect(series.labels).toEqual({ sf_metric: 'request.latency', app: 'web' });
  });

  it('reports several published series and no data as problems naming the program', async () => {
    serve(() => [
      { properties: { host: 'a' }, points: [[minute(0), 1]] },
      { properties: { host: 'b' }, points: [[minute(0), 2]] },
    ]);
    const several = await provider().fetch("data('cpu').publish()", window);
    expect(several.seriesCount).toBe(2);
    expect(several.problems[0]).toMatch(/published 2 time series .*"host":"a"/);
    serve(() => []);
    expect((await provider().fetch("data('none').publish()", window)).problems[0]).toMatch(
      /^no data for data\('none'\)/,
    );
  });

  it('maps a refused program and a failed computation to query errors, and 401/429/5xx to an unavailable provider', async () => {
    serve(() => [{ properties: {}, points: [] }]);
    expect(await provider().checkQuery("data('cpu'.publish()")).toMatch(
      /refused the program .*Invalid SignalFlow program: unclosed '\('/,
    );
    serve(() => ({ streamError: "Unknown function 'meen'" }));
    await expect(provider().fetch("data('cpu').meen().publish()", window)).rejects.toMatchObject({
      kind: 'query',
      message: expect.stringMatching(/Unknown function 'meen'/),
    });
    await expect(provider('wrong').fetch("data('cpu').publish()", window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/HTTP 401 .*Unauthorized/),
    });
    serve(() => ({ status: 429, message: 'Too many requests' }));
    await expect(provider().fetch("data('cpu').publish()", window)).rejects.toMatchObject({ kind: 'unavailable' });
    serve(() => ({ status: 503, message: 'unavailable' }));
    expect(
      await provider()
        .fetch("data('cpu').publish()", window)
        .catch((e: unknown) => e),
    ).toBeInstanceOf(ProviderError);
  });
});

describe('parseEventStream', () => {
  it('joins data lines, names events, skips comments and dispatches on blank lines', () => {
    expect(
      parseEventStream(': hello\nevent: data\ndata: {\ndata: "a": 1\ndata: }\n\ndata: x\r\n\r\nevent: empty\n\n'),
    ).toEqual([
      { event: 'data', data: '{\n"a": 1\n}' },
      { event: 'message', data: 'x' },
    ]);
  });
});
