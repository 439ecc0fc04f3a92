// The Cloud Monitoring client against the contract harness: service-account JWT exchanged for a token,
// timeSeries.list with the documented parameters, paging, errors.
import { generateKeyPairSync } from 'node:crypto';
import { stackdriverHarness, type StackdriverListCall, type StackdriverSeries } from '../../test/harness/stackdriver';
import { startReplayServer, type ReplayServer } from '../../test/replay-server';
import { ProviderError } from './provider';
import { createStackdriverProvider } from './stackdriver';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const clientEmail = 'autopilot@demo-project.iam.gserviceaccount.com';

let server: ReplayServer;
beforeEach(async () => {
  server = await startReplayServer();
});
afterEach(async () => {
  await server.close();
});

const window = { startMs: Date.UTC(2026, 0, 1, 12, 0), endMs: Date.UTC(2026, 0, 1, 12, 5), stepSeconds: 60 };
const minute = (n: number) => window.startMs + n * 60_000;
const series = (points: Array<[number, number]>, pod = 'web-1'): StackdriverSeries => ({
  metric: { type: 'kubernetes.io/container/cpu/core_usage_time' },
  resource: { type: 'k8s_container', labels: { namespace_name: 'prod', pod_name: pod } },
  points,
});

let storeClockOffsetMs = 0;
beforeEach(() => {
  storeClockOffsetMs = 0;
});

function serve(
  data: (call: StackdriverListCall) => ReturnType<Parameters<typeof stackdriverHarness>[0]['data']>,
  pageSize?: number,
) {
  const calls: StackdriverListCall[] = [];
  const harness = stackdriverHarness({
    clientEmail,
    publicKey,
    project: 'demo-project',
    tokenUrl: () => `${server.url}/token`,
    now: () => Date.now() + storeClockOffsetMs,
    ...(pageSize ? { pageSize } : {}),
    data: (call) => {
      calls.push(call);
      return data(call);
    },
  });
  server.respond(harness.handler);
  return { calls, state: harness.state };
}

const provider = (overrides: { privateKey?: string; clientEmail?: string } = {}) =>
  createStackdriverProvider('gcp', {
    url: server.url,
    tokenUrl: `${server.url}/token`,
    projectId: 'demo-project',
    clientEmail,
    privateKey: privateKeyPem,
    timeoutMs: 2_000,
    ...overrides,
  });

describe('Cloud Monitoring timeSeries.list client', () => {
  it('exchanges a signed JWT for a token once and lists the filter aligned and reduced at the step', async () => {
    const { calls, state } = serve(() => [
      series([
        [minute(1), 0.25],
        [minute(3), 0.5],
      ]),
    ]);
    const gcp = provider();
    const scope = gcp.renderScope({ namespace_name: 'prod', 'metadata.user_labels."app"': 'w"eb' });
    expect(scope).toBe('resource.labels.namespace_name="prod" AND metadata.user_labels."app"="w\\"eb"');
    const query = `metric.type="kubernetes.io/container/cpu/core_usage_time" AND ${scope} | perSeriesAligner=ALIGN_RATE | crossSeriesReducer=REDUCE_SUM`;
    // Baseline and canary are fetched at once: one token exchange serves both.
    const [first] = await Promise.all([gcp.fetch(query, window), gcp.fetch(query, window)]);
    await gcp.fetch(query, window);
    expect(state.tokensIssued).toBe(1);
    expect(calls[0]).toEqual({
      project: 'demo-project',
      filter: `metric.type="kubernetes.io/container/cpu/core_usage_time" AND ${scope}`,
      startMs: window.startMs,
      endMs: window.endMs,
      alignmentSeconds: 60,
      perSeriesAligner: 'ALIGN_RATE',
      crossSeriesReducer: 'REDUCE_SUM',
      groupByFields: [],
    });
    expect(first.values).toEqual([Number.NaN, 0.25, Number.NaN, 0.5, Number.NaN, Number.NaN]);
    expect(first.labels).toEqual({ namespace_name: 'prod', pod_name: 'web-1' });
  });

  it('defaults to Kayenta’s ALIGN_MEAN / REDUCE_MEAN, passes groupByFields, and follows nextPageToken', async () => {
    const { calls } = serve(
      () => [series([[minute(1), 1]], 'a'), series([[minute(1), 2]], 'b'), series([[minute(1), 3]], 'c')],
      2,
    );
    const result = await provider().fetch('metric.type="x" | groupByFields=resource.labels.pod_name', window);
    expect(calls[0]).toMatchObject({
      perSeriesAligner: 'ALIGN_MEAN',
      crossSeriesReducer: 'REDUCE_MEAN',
      groupByFields: ['resource.labels.pod_name'],
    });
    expect(server.requests.filter((r) => r.url.searchParams.has('pageToken'))).toHaveLength(1);
    expect(result.seriesCount).toBe(3);
    expect(result.problems[0]).toMatch(/returned 3 series .*reduce them to one/);
    const unreduced = await provider().fetch('metric.type="x" | crossSeriesReducer=REDUCE_NONE', window);
    expect(calls[1]!.crossSeriesReducer).toBeNull();
    expect(unreduced.seriesCount).toBe(3);
  });

  it('reads int64 points, and an empty answer is a problem naming the query', async () => {
    serve(() => [{ ...series([[minute(2), 7]]), valueType: 'INT64' }]);
    expect((await provider().fetch('metric.type="x"', window)).values[2]).toBe(7);
    serve(() => []);
    const empty = await provider().fetch('metric.type="nothing"', window);
    expect(empty.problems[0]).toMatch(/no series matched metric.type="nothing" between/);
  });

  it('drops a token the API no longer accepts, so the retry exchanges a new one', async () => {
    const { state } = serve(() => [series([[minute(1), 1]])]);
    const gcp = provider();
    await gcp.fetch('metric.type="x"', window);
    // The store expired the token early (its clock is past the expiry it announced).
    storeClockOffsetMs = 2 * 3600_000;
    await expect(gcp.fetch('metric.type="x"', window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/HTTP 401 .*UNAUTHENTICATED/),
    });
    storeClockOffsetMs = 0;
    expect((await gcp.fetch('metric.type="x"', window)).values[1]).toBe(1);
    expect(state.tokensIssued).toBe(2);
  });

  it('refuses a key the token endpoint does not accept as an unavailable provider', async () => {
    serve(() => []);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    await expect(provider({ privateKey: other.toString() }).fetch('metric.type="x"', window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(
        /token exchange for autopilot@.* failed: HTTP 400 invalid_grant \(Invalid JWT Signature.\)/,
      ),
    });
    await expect(provider({ privateKey: 'not a key' }).fetch('metric.type="x"', window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: 'gcp: privateKey is not a PEM private key',
    });
  });

  it('maps INVALID_ARGUMENT to a query error, and quota or 5xx to an unavailable provider', async () => {
    serve(() => []);
    expect(await provider().checkQuery('resource.type="k8s_container"')).toMatch(
      /INVALID_ARGUMENT: .*must specify a metric type/,
    );
    expect(await provider().checkQuery('metric.type="x" | perSeriesAligner=ALIGN_AVERAGE')).toMatch(
      /perSeriesAligner had an invalid value/,
    );
    expect(
      await provider().checkQuery('metric.type="x" | perSeriesAligner=ALIGN_MAX | perSeriesAligner=ALIGN_MIN'),
    ).toMatch(/option perSeriesAligner is given twice/);
    serve(() => ({
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      message: 'Quota exceeded for quota metric Time series queries',
    }));
    await expect(provider().fetch('metric.type="x"', window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/HTTP 429 .*RESOURCE_EXHAUSTED: Quota exceeded/),
    });
    serve(() => ({ code: 503, status: 'UNAVAILABLE', message: 'The service is currently unavailable.' }));
    const failure = await provider()
      .fetch('metric.type="x"', window)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ kind: 'unavailable' });
  });
});
