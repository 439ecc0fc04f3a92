import { SplunkLogProvider, analyzeLogStreams } from '@isd/autopilot';
import { BURST_WINDOW, START_MS, burstBaseline, burstCanary, replicaCluster } from '@isd/test-support';
import { startSplunkHarness, type SplunkHarness } from './index';

let splunk: SplunkHarness;
const t0 = Date.UTC(2026, 0, 1);
const noWait = () => Promise.resolve();

beforeAll(async () => {
  splunk = await startSplunkHarness();
  splunk.add(
    Array.from({ length: 950 }, (_, i) => ({
      fields: { host: i % 2 ? 'canary-1' : 'baseline-1', sourcetype: 'app' },
      raw: `host ${i % 2 ? 'canary' : 'baseline'} served request ${i}`,
      // Added out of order: the job must return them in time order.
      timeMs: t0 + ((i * 7919) % 950) * 1000,
    })),
  );
  // Lines with no time in their text, a warning burst in the canary's (decision 248).
  for (const [host, log] of [
    ['orders-baseline', burstBaseline()],
    ['orders-canary', burstCanary()],
  ] as const)
    splunk.add(
      log.map(({ seconds, message }) => ({ fields: { host }, raw: message, timeMs: START_MS + seconds * 1000 })),
    );
});
afterAll(() => splunk.close());

describe('Splunk log provider (contract harness)', () => {
  it('runs a search job, waits for it, reads all results in time order by offset, and deletes the job', async () => {
    const provider = new SplunkLogProvider({
      name: 'splunk',
      baseUrl: splunk.url,
      authorization: `Bearer ${splunk.token}`,
      pageSize: 100,
      pollDelay: noWait,
    });
    const got: string[] = [];
    for await (const line of provider.lines('host=canary-1', { startMs: t0, endMs: t0 + 950_000 })) got.push(line.text);
    expect(got).toHaveLength(475);
    const numbers = got.map((l) => Number(/request (\d+)/.exec(l)![1]));
    const times = numbers.map((i) => ((i * 7919) % 950) * 1000);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const [job] = [...splunk.jobs.values()];
    expect(job).toMatchObject({ deleted: true });
    expect(job!.polls).toBeGreaterThan(splunk.pollsUntilDone);
  });

  it('gives each result its _time: a burst is found in lines that carry no time in their text', async () => {
    const provider = new SplunkLogProvider({
      name: 'splunk',
      baseUrl: splunk.url,
      authorization: `Bearer ${splunk.token}`,
      pollDelay: noWait,
    });
    const analysis = await analyzeLogStreams(
      provider.lines('host=orders-baseline', BURST_WINDOW),
      provider.lines('host=orders-canary', BURST_WINDOW),
    );
    const replica = replicaCluster(analysis.clusters);
    expect(replica).toMatchObject({ kind: 'burst', baselineCount: 38, canaryCount: 62 });
    expect(replica!.burst!.canaryInWindow).toBeGreaterThanOrEqual(22);
  });

  it('says whose fault it is: a bad search is a query error, a bad token is the provider being unusable', async () => {
    const good = new SplunkLogProvider({
      name: 'splunk',
      baseUrl: splunk.url,
      authorization: `Bearer ${splunk.token}`,
      pollDelay: noWait,
    });
    const read = async (provider: SplunkLogProvider, query: string) => {
      for await (const line of provider.lines(query, { startMs: t0, endMs: t0 + 1000 })) void line;
    };
    await expect(read(good, 'host=x | frobnicate')).rejects.toMatchObject({
      kind: 'query',
      message: expect.stringMatching(/400.*Unknown search command 'frobnicate'/),
    });
    const stranger = new SplunkLogProvider({
      name: 'splunk',
      baseUrl: splunk.url,
      authorization: 'Bearer wrong',
      pollDelay: noWait,
    });
    await expect(read(stranger, 'host=x')).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/401/),
    });
  });

  it('gives up on a job that never finishes, once the job timeout has passed on its clock', async () => {
    splunk.pollsUntilDone = 1_000_000;
    try {
      // Each pause between polls moves the provider's clock by 500 ms: the 2-s timeout passes after a few
      // polls without the test waiting for it.
      let nowMs = t0;
      const provider = new SplunkLogProvider({
        name: 'splunk',
        baseUrl: splunk.url,
        authorization: `Splunk ${splunk.token}`,
        pollDelay: async () => {
          nowMs += 500;
        },
        now: () => nowMs,
        jobTimeoutMs: 2_000,
      });
      const read = async () => {
        for await (const line of provider.lines('host=canary-1', { startMs: t0, endMs: t0 + 1000 })) void line;
      };
      await expect(read()).rejects.toMatchObject({ message: expect.stringMatching(/not done in time/) });
      // Polled until the clock passed the deadline (t0 + 2 s): five pauses, six polls; not one more.
      expect(nowMs).toBe(t0 + 2_500);
      const job = [...splunk.jobs.values()].at(-1);
      expect(job?.polls).toBe(6);
    } finally {
      splunk.pollsUntilDone = 2;
    }
  });
});
