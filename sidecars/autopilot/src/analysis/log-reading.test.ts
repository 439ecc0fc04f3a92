import { LogComparison } from '../logs';
import { ProviderError } from '../providers/provider';
import { readLogsInto } from './runner';

/** Lines as a provider yields them, page by page. */
function provider(count: number) {
  return {
    name: 'os',
    async *lines() {
      for (let i = 0; i < count; i++) yield `INFO request ${i} served`;
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

  describe('bounds what the comparison holds (the logged application decides how many distinct events there are)', () => {
    const noDeadline = { deadline: Number.POSITIVE_INFINITY, limitMs: 1, now: () => 0 };
    /** Lines that masking cannot merge: words, no numbers (a user name, a request path). */
    function distinct(count: number, width = 1) {
      const word = (i: number) => i.toString(26).replace(/[0-9]/g, (d) => String.fromCharCode(113 + Number(d)));
      return {
        name: 'loki',
        async *lines() {
          for (let i = 0; i < count; i++) yield `ERROR user ${word(i).repeat(width)} refused`;
        },
      };
    }

    it('ends with a query error naming analysis.maxLogDistinctEvents', async () => {
      const comparison = new LogComparison({ limits: { maxDistinctEvents: 100, maxDistinctChars: 1_000_000 } });
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
      const comparison = new LogComparison({ limits: { maxDistinctEvents: 1_000, maxDistinctChars: 50_000 } });
      const reading = readLogsInto(comparison, 'baseline', distinct(500, 100), '{app="a"}', window, noDeadline);
      await expect(reading).rejects.toMatchObject({
        kind: 'query',
        message: expect.stringMatching(/more than 50000 characters after masking \(analysis\.maxLogDistinctChars\)/),
      });
    });

    it('counts lines that differ only in what masking replaces once, and cuts a huge line', async () => {
      const limits = { maxDistinctEvents: 10, maxDistinctChars: 1_000_000 };
      const comparison = new LogComparison({ limits });
      expect(await readLogsInto(comparison, 'canary', provider(2500), 'pod:"a"', window, noDeadline)).toBe(2500);
      const huge = {
        name: 'loki',
        lines: async function* () {
          yield `ERROR ${'x'.repeat(10_000_000)}`;
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
