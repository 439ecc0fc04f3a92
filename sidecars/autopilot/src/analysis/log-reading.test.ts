import { LogComparison } from '../logs';
import { ProviderError } from '../providers/provider';
import { START_MS, burstBaseline, burstCanary, type TimedMessage } from '@isd/test-support';
import { readLogsInto } from './runner';

/** Lines as a provider yields them, page by page. */
function provider(count: number) {
  return {
    name: 'os',
    async *lines() {
      for (let i = 0; i < count; i++) yield { text: `INFO request ${i} served` };
    },
  };
}

describe('reading one side of a window', () => {
  const window = { startMs: 0, endMs: 60_000 };

  it('streams every line into the comparison', async () => {
    const comparison = new LogComparison();
    const read = await readLogsInto(comparison, 'canary', provider(2500), 'pod:"a"', window, {
      deadline: Number.POSITIVE_INFINITY,
      limitMs: 1,
      maxChars: 1_000_000_000,
      now: () => 0,
    });
    expect(read).toBe(2500);
    expect(comparison.finish().canaryEvents).toBe(2500);
  });

  it('stops past the deadline with a query error naming the limit and how far it got', async () => {
    let clock = 0;
    const now = () => (clock += 10); // each line takes 10 ms on this clock
    const reading = readLogsInto(new LogComparison(), 'baseline', provider(10_000), 'pod:"a"', window, {
      deadline: 1_000,
      limitMs: 1_000,
      maxChars: 1_000_000_000,
      now,
    });
    await expect(reading).rejects.toBeInstanceOf(ProviderError);
    await expect(reading).rejects.toMatchObject({
      kind: 'query',
      message: expect.stringMatching(
        /^os: reading the baseline logs took longer than analysis\.maxLogReadMs \(1000 ms\) after 101 lines/,
      ),
    });
  });

  it('hands the provider’s time of each line on: a burst in lines whose text has no time is found', async () => {
    const source = (log: readonly TimedMessage[]) => ({
      name: 'loki',
      async *lines() {
        for (const { seconds, message } of log) yield { text: message, timeMs: START_MS + seconds * 1000 };
      },
    });
    const limit = { deadline: Number.POSITIVE_INFINITY, limitMs: 1, maxChars: 1_000_000_000, now: () => 0 };
    const comparison = new LogComparison();
    await readLogsInto(comparison, 'baseline', source(burstBaseline()), 'q', window, limit);
    await readLogsInto(comparison, 'canary', source(burstCanary()), 'q', window, limit);
    const replica = comparison.finish().clusters.find((c) => c.template.includes('replica'));
    expect(replica).toMatchObject({ kind: 'burst', baselineCount: 38, canaryCount: 62 });
  });

  describe('bounds the characters one side reads (lines that mask into few events pass the distinct-event bounds)', () => {
    const noDeadline = { deadline: Number.POSITIVE_INFINITY, limitMs: 1, now: () => 0 };
    /**
     * A source that answers as long as it is read, up to a million lines (so that code without the bound fails
     * the test instead of hanging it); `served` counts the lines it handed out.
     */
    function endless(line: string) {
      const source = {
        name: 'loki',
        served: 0,
        async *lines() {
          while (source.served < 1_000_000) {
            source.served++;
            yield { text: line };
          }
        },
      };
      return source;
    }

    it('ends an endless source at analysis.maxLogReadChars with a query error naming the provider', async () => {
      const source = endless('INFO request 123 served'); // 23 characters, 24 counted
      const comparison = new LogComparison({
        limits: { maxDistinctEvents: 10, maxDistinctChars: 1_000, maxTemplateComparisons: 1e8 },
      });
      const reading = readLogsInto(comparison, 'canary', source, '{app="a"}', window, {
        ...noDeadline,
        maxChars: 24_000,
      });
      await expect(reading).rejects.toBeInstanceOf(ProviderError);
      await expect(reading).rejects.toMatchObject({
        kind: 'query',
        message:
          'loki: the canary logs hold more than 24000 characters in this window (analysis.maxLogReadChars) after 1000 lines of "{app=\\"a\\"}": narrow the log template\'s query or shorten the interval',
      });
      expect(source.served).toBe(1001);
      expect(comparison.finish().canaryEvents).toBe(1000);
    });

    it('counts empty lines too', async () => {
      const reading = readLogsInto(new LogComparison(), 'baseline', endless(''), 'q', window, {
        ...noDeadline,
        maxChars: 5_000,
      });
      await expect(reading).rejects.toMatchObject({ message: expect.stringContaining('after 5000 lines') });
    });

    it('reads a window of exactly the bound whole', async () => {
      const comparison = new LogComparison();
      const perLine = 'INFO request 1 served'.length + 1;
      const read = await readLogsInto(comparison, 'canary', provider(10), 'q', window, {
        ...noDeadline,
        maxChars: 10 * perLine,
      });
      expect(read).toBe(10);
    });
  });

  describe('bounds what the comparison holds (the logged application decides how many distinct events there are)', () => {
    const noDeadline = { deadline: Number.POSITIVE_INFINITY, limitMs: 1, maxChars: 1_000_000_000, now: () => 0 };
    /** Lines that masking cannot merge: words, no numbers (a user name, a request path). */
    function distinct(count: number, width = 1) {
      const word = (i: number) => i.toString(26).replace(/[0-9]/g, (d) => String.fromCharCode(113 + Number(d)));
      return {
        name: 'loki',
        async *lines() {
          for (let i = 0; i < count; i++) yield { text: `ERROR user ${word(i).repeat(width)} refused` };
        },
      };
    }

    it('ends with a query error naming analysis.maxLogDistinctEvents', async () => {
      const comparison = new LogComparison({
        limits: { maxDistinctEvents: 100, maxDistinctChars: 1_000_000, maxTemplateComparisons: 1e8 },
      });
      const reading = readLogsInto(comparison, 'canary', distinct(1_000), '{app="a"}', window, noDeadline);
      await expect(reading).rejects.toBeInstanceOf(ProviderError);
      await expect(reading).rejects.toMatchObject({
        kind: 'query',
        message: expect.stringMatching(
          /^loki: the logs hold more than 100 distinct events after masking \(analysis\.maxLogDistinctEvents\), the canary logs reaching it/,
        ),
      });
    });

    it('ends with a query error naming analysis.maxLogDistinctChars', async () => {
      const comparison = new LogComparison({
        limits: { maxDistinctEvents: 1_000, maxDistinctChars: 50_000, maxTemplateComparisons: 1e8 },
      });
      const reading = readLogsInto(comparison, 'baseline', distinct(500, 100), '{app="a"}', window, noDeadline);
      await expect(reading).rejects.toMatchObject({
        kind: 'query',
        message: expect.stringMatching(/more than 50000 characters after masking \(analysis\.maxLogDistinctChars\)/),
      });
    });

    it('ends the comparison in error naming analysis.maxLogTemplateComparisons on lines each their own template', () => {
      // 2,000 lines of twenty words no other line shares: within the distinct-event bounds, but each is compared
      // with every template before it (some 10^8 token positions, seconds of the service's one thread).
      const comparison = new LogComparison({
        limits: { maxDistinctEvents: 25_000, maxDistinctChars: 4_000_000, maxTemplateComparisons: 10_000_000 },
      });
      const word = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[+d]!) + 'q';
      for (let i = 0; i < 2_000; i++)
        comparison.add('canary', `WARN ${Array.from({ length: 20 }, (_, k) => word(i * 20 + k)).join(' ')}`);
      expect(() => comparison.finish()).toThrow(
        expect.objectContaining({
          key: 'maxLogTemplateComparisons',
          message: expect.stringMatching(
            /^mining the logs' 2000 distinct events into templates compared more than 10000000 token positions \(analysis\.maxLogTemplateComparisons\)/,
          ),
        }),
      );
    });

    it('counts lines that differ only in what masking replaces once, and cuts a huge line', async () => {
      const limits = { maxDistinctEvents: 10, maxDistinctChars: 1_000_000, maxTemplateComparisons: 1e8 };
      const comparison = new LogComparison({ limits });
      expect(await readLogsInto(comparison, 'canary', provider(2500), 'pod:"a"', window, noDeadline)).toBe(2500);
      const huge = {
        name: 'loki',
        lines: async function* () {
          yield { text: `ERROR ${'x'.repeat(10_000_000)}` };
        },
      };
      expect(await readLogsInto(comparison, 'canary', huge, 'pod:"a"', window, noDeadline)).toBe(1);
      const analysis = comparison.finish();
      expect(analysis.canaryEvents).toBe(2501);
      const texts = analysis.clusters.flatMap((cluster) => [cluster.template, ...cluster.examples.canary]);
      const longest = Math.max(...texts.map((text) => text.length));
      expect(longest).toBeLessThanOrEqual(65_536);
    });
  });
});
