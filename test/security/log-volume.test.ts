// The logs a verification reads are written by the application under test, and so, through anything it logs
// (a request path, a user name, a header), by anyone who can reach it. Lines whose leading words vary, which
// masking cannot merge, each became a template of their own: 150,000 a side in one window ended autopilot out
// of memory at the chart's 512 MiB limit, every application's verifications with it (the interval job is then
// retried). The comparison now holds at most analysis.maxLogDistinctEvents distinct events.
import { eventually } from '@isd/test-support';
import { startLokiHarness, type LokiHarness } from '../harness/loki';
import { asOrca, call, startServiceProcess, type ServiceProcess } from './services';

jest.setTimeout(120_000);

let loki: LokiHarness;
let autopilot: ServiceProcess;
const t0 = Math.floor((Date.now() - 20 * 60_000) / 60_000) * 60_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const DISTINCT_LINES = 150_000;

/** Six short words per number, of letters only: nothing a mask replaces, and no two lines in one cluster. */
function words(i: number): string {
  let text = '';
  for (let k = 0, x = i; k < 6; k++, x = Math.floor(x / 7) + k)
    text += `${String.fromCharCode(97 + (x % 26), 97 + ((x >> 3) % 26))}q `;
  return text.trimEnd();
}

beforeAll(async () => {
  loki = await startLokiHarness();
  // Both versions serve the same requests, so both sides' lines are the attacker's.
  for (const pod of ['shop-v1', 'shop-v2'])
    for (let from = 0; from < DISTINCT_LINES; from += 10_000)
      loki.push(
        Array.from({ length: 10_000 }, (_, k) => ({
          labels: { app: 'shop', pod },
          ts: ns(t0 + (from + k) * 2),
          line: `WARN ${words(from + k)} refused ${words((from + k) * 31)}`,
        })),
      );
  autopilot = await startServiceProcess('autopilot', {
    AUTOPILOT_LOG_PROVIDERS: JSON.stringify({ loki: { type: 'loki', url: loki.url, pageSize: 10_000 } }),
    AUTOPILOT_ANALYSIS__PROVIDER_ATTEMPTS: '1',
    // The isd chart's memory limit for autopilot (512Mi).
    NODE_OPTIONS: '--max-old-space-size=512',
  });
});

afterAll(async () => {
  await autopilot?.stop();
  await loki?.close();
});

describe('an application logging lines that masking cannot merge', () => {
  it('ends the verification in error naming the limit, and autopilot keeps running', async () => {
    const started = await call(autopilot.url, 'POST', '/api/v1/verifications', asOrca, {
      application: 'shop',
      executionId: 'exec-log-volume',
      stageId: 'verify',
      logTemplate: { provider: 'loki', query: '{${scope}}' },
      baseline: { app: 'shop', pod: 'shop-v1' },
      canary: { app: 'shop', pod: 'shop-v2' },
      startTime: new Date(t0).toISOString(),
      lifetimeMs: 15 * 60_000,
    });
    expect([started.status, started.body]).toEqual([202, expect.anything()]);
    const finished = await eventually(
      async () => {
        if (autopilot.child.child.exitCode !== null || autopilot.child.child.signalCode !== null)
          throw new Error(`autopilot exited: ${autopilot.child.output().slice(-1500)}`);
        const { body } = await call(autopilot.url, 'GET', `/api/v1/verifications/${started.body.id}`, asOrca);
        return body.status !== 'running' ? body : undefined;
      },
      100_000,
      'the verification to finish',
    );
    expect(finished).toMatchObject({
      status: 'error',
      reason: 'interval 1: logs could not be fetched',
      error: expect.stringMatching(
        /^logs: loki: the logs hold more than 25000 distinct events after masking \(analysis\.maxLogDistinctEvents\), the baseline logs reaching it/,
      ),
    });
    expect((await fetch(`${autopilot.url}/healthz`)).status).toBe(200);
  });
});
