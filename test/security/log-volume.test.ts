// The logs a verification reads are written by the application under test, and so, through anything it logs
// (a request path, a user name, a header), by anyone who can reach it. Lines whose leading words vary, which
// masking cannot merge, each became a template of their own: 150,000 a side in one window ended autopilot out
// of memory at the chart's 512 MiB limit, every application's verifications with it (the interval job is then
// retried). The comparison now holds at most analysis.maxLogDistinctEvents distinct events.
// Lines that are each their own template, within those bounds, made the template miner compare each with every
// one before it: 10,000 held autopilot's one thread for minutes (25,000, the bound, for far longer), /healthz
// unanswered, so Kubernetes restarted the pod; the miner now compares at most analysis.maxLogTemplateComparisons
// token positions. A line holding an access log's request (`"GET /…`) with a long target and no `HTTP/1.1" 200` after it
// made the access-line pattern try every split of the target (5 s of that thread for a 64 KiB line); it now makes
// one pass. Lines that mask into few events pass those bounds, and a source answering full pages without end was read
// until analysis.maxLogReadMs (10 minutes); each side now reads at most analysis.maxLogReadChars.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@isd/test-support';
import { startLokiHarness, type LokiHarness } from '../harness/loki';
import { asOrca, call, startServiceProcess, type ServiceProcess } from './services';

jest.setTimeout(120_000);

let loki: LokiHarness;
let endlessLoki: http.Server;
let endlessPages = 0;
let autopilot: ServiceProcess;
const t0 = Math.floor((Date.now() - 20 * 60_000) / 60_000) * 60_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const DISTINCT_LINES = 150_000;
/** Lines a side whose request target the access-line pattern once split every way (64 KiB, 5 s each), within MAX_READ_CHARS. */
const LONG_TARGET_LINES = 50;
/** Lines a side that are each their own template: within the distinct-event bounds. */
const OWN_TEMPLATE_LINES = 5_000;
/** Small enough for the endless source to reach it fast, far above what the distinct-event test reads. */
const MAX_READ_CHARS = 5_000_000;

/** Six short words per number, of letters only: nothing a mask replaces, and no two lines in one cluster. */
function words(i: number): string {
  let text = '';
  for (let k = 0, x = i; k < 6; k++, x = Math.floor(x / 7) + k)
    text += `${String.fromCharCode(97 + (x % 26), 97 + ((x >> 3) % 26))}q `;
  return text.trimEnd();
}

/** Twenty words of letters that no other line shares, so no two lines are alike enough to share a template. */
function ownTemplate(i: number): string {
  const word = (n: number) => n.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[+d]!) + 'q';
  return Array.from({ length: 20 }, (_, k) => word(i * 20 + k)).join(' ');
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
  for (const [side, pod] of ['cart-v1', 'cart-v2'].entries())
    loki.push(
      Array.from({ length: OWN_TEMPLATE_LINES }, (_, k) => ({
        labels: { app: 'cart', pod },
        ts: ns(t0 + k * 2),
        line: `WARN ${ownTemplate(side * OWN_TEMPLATE_LINES + k)}`,
      })),
    );
  for (const pod of ['search-v1', 'search-v2'])
    loki.push(
      Array.from({ length: LONG_TARGET_LINES }, (_, k) => ({
        labels: { app: 'search', pod },
        ts: ns(t0 + k * 2),
        line: `WARN "GET /${'q'.repeat(64_000)} HTTP/x`,
      })),
    );
  // A Loki that answers every query_range with a full page of lines at the nanoseconds after `start` (a window
  // holds 6 × 10^10 a minute). It stops at 200 pages, so that autopilot without the bound fails the test
  // instead of reading for 10 minutes.
  endlessLoki = http.createServer((request, response) => {
    const params = new URL(request.url ?? '/', 'http://loki').searchParams;
    const start = BigInt(params.get('start') ?? '0');
    const values = Array.from({ length: endlessPages < 200 ? Number(params.get('limit')) : 0 }, (_, k) => [
      String(start + BigInt(k + 1)),
      `INFO request ${endlessPages * 10_000 + k} served`,
    ]);
    endlessPages++;
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: 'success', data: { resultType: 'streams', result: [{ stream: {}, values }] } }));
  });
  await new Promise<void>((resolve) => endlessLoki.listen(0, '127.0.0.1', resolve));
  const endlessUrl = `http://127.0.0.1:${(endlessLoki.address() as AddressInfo).port}`;
  autopilot = await startServiceProcess('autopilot', {
    AUTOPILOT_LOG_PROVIDERS: JSON.stringify({
      loki: { type: 'loki', url: loki.url, pageSize: 10_000 },
      endless: { type: 'loki', url: endlessUrl, pageSize: 10_000 },
    }),
    AUTOPILOT_ANALYSIS__PROVIDER_ATTEMPTS: '1',
    AUTOPILOT_ANALYSIS__MAX_LOG_READ_CHARS: String(MAX_READ_CHARS),
    // The isd chart's memory limit for autopilot (512Mi).
    NODE_OPTIONS: '--max-old-space-size=512',
  });
});

afterAll(async () => {
  await autopilot?.stop();
  await loki?.close();
  await new Promise((resolve) => endlessLoki?.close(resolve));
});

/** Starts a one-interval verification of `shop`'s logs from `provider` and waits for it to finish. */
async function verifyLogsFrom(provider: string, executionId: string, app = 'shop'): Promise<Record<string, unknown>> {
  const started = await call(autopilot.url, 'POST', '/api/v1/verifications', asOrca, {
    application: 'shop',
    executionId,
    stageId: 'verify',
    logTemplate: { provider, query: '{${scope}}' },
    baseline: { app, pod: `${app}-v1` },
    canary: { app, pod: `${app}-v2` },
    startTime: new Date(t0).toISOString(),
    lifetimeMs: 15 * 60_000,
  });
  expect([started.status, started.body]).toEqual([202, expect.anything()]);
  return eventually(
    async () => {
      if (autopilot.child.child.exitCode !== null || autopilot.child.child.signalCode !== null)
        throw new Error(`autopilot exited: ${autopilot.child.output().slice(-1500)}`);
      const { body } = await call(autopilot.url, 'GET', `/api/v1/verifications/${started.body.id}`, asOrca);
      return body.status !== 'running' ? body : undefined;
    },
    100_000,
    'the verification to finish',
  );
}

describe('an application logging lines that masking cannot merge', () => {
  it('ends the verification in error naming the limit, and autopilot keeps running', async () => {
    const finished = await verifyLogsFrom('loki', 'exec-log-volume');
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

describe('an application logging lines that are each their own template, within the distinct-event bounds', () => {
  it('ends the verification in error naming the limit, and autopilot keeps running', async () => {
    const finished = await verifyLogsFrom('loki', 'exec-own-templates', 'cart');
    expect(finished).toMatchObject({
      status: 'error',
      reason: 'interval 1: logs could not be fetched',
      error: expect.stringMatching(
        /^logs: loki: mining the logs' 10000 distinct events into templates compared more than 100000000 token positions \(analysis\.maxLogTemplateComparisons\)/,
      ),
    });
    expect((await fetch(`${autopilot.url}/healthz`)).status).toBe(200);
  });
});

describe('an application logging long request targets that are not access lines', () => {
  it('judges the verification, and autopilot keeps running', async () => {
    const finished = await verifyLogsFrom('loki', 'exec-long-targets', 'search');
    expect(finished).toMatchObject({ status: 'pass' });
    expect((await fetch(`${autopilot.url}/healthz`)).status).toBe(200);
  });
});

describe('a log source that answers full pages without end', () => {
  it('ends the verification at analysis.maxLogReadChars, naming the provider, after reading that much', async () => {
    const finished = await verifyLogsFrom('endless', 'exec-endless-logs');
    expect(finished).toMatchObject({
      status: 'error',
      reason: 'interval 1: logs could not be fetched',
      error: expect.stringMatching(
        /^logs: endless: the baseline logs hold more than 5000000 characters in this window \(analysis\.maxLogReadChars\) after \d+ lines/,
      ),
    });
    // Some 28 characters a line: the bound is reached within the 18th page of 10,000 lines (one more request
    // may check the query at create), and nothing is asked for after it.
    expect(endlessPages).toBeLessThanOrEqual(Math.ceil(MAX_READ_CHARS / (10_000 * 25)));
  });
});
