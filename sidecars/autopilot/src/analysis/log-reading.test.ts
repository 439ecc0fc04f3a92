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
});
