import { LokiLogProvider, analyzeLogStreams } from '@isd/autopilot';
import { BURST_WINDOW, START_MS, burstBaseline, burstCanary, replicaCluster } from '@isd/test-support';
import { startLokiHarness, type LokiHarness } from './index';

let loki: LokiHarness;
const t0 = Date.UTC(2026, 0, 1);
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

beforeAll(async () => {
  loki = await startLokiHarness();
  for (const pod of ['baseline', 'canary']) {
    const entries = [];
    for (let i = 0; i < 1200; i++) {
      // Three entries share each millisecond, and both of the pod's streams interleave.
      entries.push({
        labels: { app: 'web', pod, stream: i % 2 ? 'stdout' : 'stderr' },
        ts: ns(t0 + Math.floor(i / 3)),
        line: `${pod} request ${i} ok`,
      });
    }
    if (pod === 'canary')
      for (let i = 0; i < 12; i++)
        entries.push({
          labels: { app: 'web', pod, stream: 'stderr' },
          ts: ns(t0 + i * 30) + 1n,
          line: `ERROR java.lang.NullPointerException at order ${i}`,
        });
    loki.push(entries);
  }
  // Lines with no time in their text, a warning burst in the canary's (decision 248).
  for (const [pod, log] of [
    ['baseline', burstBaseline()],
    ['canary', burstCanary()],
  ] as const)
    loki.push(
      log.map(({ seconds, message }) => ({
        labels: { app: 'orders', pod },
        ts: ns(START_MS + seconds * 1000),
        line: message,
      })),
    );
});
afterAll(() => loki.close());

describe('Loki log provider (contract harness)', () => {
  it('pages forward by time without losing or repeating entries that share a timestamp', async () => {
    const provider = new LokiLogProvider({ name: 'loki', baseUrl: loki.url, pageSize: 100 });
    const got: string[] = [];
    for await (const line of provider.lines('{app="web", pod="baseline"}', { startMs: t0, endMs: t0 + 400 }))
      got.push(line.text);
    expect(got).toHaveLength(1200);
    expect(new Set(got).size).toBe(1200);
    expect(loki.requests.length).toBeGreaterThan(12);
    expect(loki.requests[0]!.get('direction')).toBe('forward');
  });

  it('applies the window: start inclusive, end exclusive', async () => {
    const provider = new LokiLogProvider({ name: 'loki', baseUrl: loki.url, pageSize: 50 });
    const got: string[] = [];
    for await (const line of provider.lines('{pod="baseline"}', { startMs: t0 + 10, endMs: t0 + 20 }))
      got.push(line.text);
    expect(got).toHaveLength(30);
  });

  it('names a query Loki cannot parse as a query error', async () => {
    const provider = new LokiLogProvider({ name: 'loki', baseUrl: loki.url });
    const read = async () => {
      for await (const line of provider.lines('app=web', { startMs: t0, endMs: t0 + 1 })) void line;
    };
    await expect(read()).rejects.toMatchObject({
      kind: 'query',
      message: expect.stringMatching(/^loki: .*400.*parse error/),
    });
  });

  it('a canary logging a new exception scores lower than its baseline', async () => {
    const provider = new LokiLogProvider({ name: 'loki', baseUrl: loki.url, pageSize: 200 });
    const window = { startMs: t0, endMs: t0 + 400 };
    const analysis = await analyzeLogStreams(
      provider.lines('{pod="baseline"}', window),
      provider.lines('{pod="canary"}', window),
    );
    expect(analysis.failed).toBe(true); // NullPointerException is a critical topic
    expect(analysis.clusters[0]).toMatchObject({ kind: 'canary-only', canaryCount: 12, topic: 'CRITICAL' });
  });

  it('gives each line its timestamp: a burst is found in lines that carry no time in their text', async () => {
    const provider = new LokiLogProvider({ name: 'loki', baseUrl: loki.url, pageSize: 500 });
    const analysis = await analyzeLogStreams(
      provider.lines('{app="orders", pod="baseline"}', BURST_WINDOW),
      provider.lines('{app="orders", pod="canary"}', BURST_WINDOW),
    );
    const replica = replicaCluster(analysis.clusters);
    expect(replica).toMatchObject({ kind: 'burst', baselineCount: 38, canaryCount: 62 });
    expect(replica!.burst!.canaryInWindow).toBeGreaterThanOrEqual(22);
  });
});
