// Regular expressions users write that the services match against text an application controls: a log
// template's masks and tags (autopilot) against the application's own log lines. Before they ran on RE2 a
// user with WRITE on one application could stall autopilot for every application with a mask like
// `(a+)+b` and a log line of forty `a`s (V8's RegExp backtracks for hours on the service's only thread).
// The service runs as its own process, so a stalled one fails this test by its timeouts instead of hanging it.
import { eventually } from '@isd/test-support';
import { startLokiHarness, type LokiHarness } from '../harness/loki';
import { asOrca, asUser, call, startServiceProcess, type ServiceProcess } from './services';

jest.setTimeout(120_000);

let loki: LokiHarness;
let autopilot: ServiceProcess;
const t0 = Math.floor((Date.now() - 20 * 60_000) / 60_000) * 60_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

beforeAll(async () => {
  loki = await startLokiHarness();
  for (const pod of ['shop-v1', 'shop-v2'])
    loki.push(
      Array.from({ length: 200 }, (_, i) => ({
        labels: { app: 'shop', pod },
        ts: ns(t0 + i * 500),
        // Lines the application writes: runs of one letter and of words, each ending where the patterns fail.
        line: i % 2 ? `INFO ${'a'.repeat(48)}! ${'x'.repeat(48)}` : `WARN ${'word '.repeat(40)}!`,
      })),
    );
  autopilot = await startServiceProcess('autopilot', {
    AUTOPILOT_LOG_PROVIDERS: JSON.stringify({ loki: { type: 'loki', url: loki.url, pageSize: 100 } }),
    AUTOPILOT_ANALYSIS__PROVIDER_ATTEMPTS: '1',
  });
});

afterAll(async () => {
  await autopilot?.stop();
  await loki?.close();
});

/** True when /healthz answers 200 within 10 s. */
const healthy = async () =>
  (await fetch(`${autopilot.url}/healthz`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined))?.status ===
  200;

describe('regular expressions from users', () => {
  it('judges logs with exponentially backtracking masks and tags and keeps answering meanwhile', async () => {
    const created = await call(autopilot.url, 'POST', '/api/v1/log-templates', asUser('alice'), {
      name: 'shop-backtracking',
      application: 'shop',
      provider: 'loki',
      query: '{${scope}}',
      masks: ['(a+)+b', '(x+x+)+y'],
      tags: [{ pattern: '^WARN (\\w+\\s?)+$', tag: 'words-only' }],
    });
    expect(created.status).toBe(201);
    const started = await call(autopilot.url, 'POST', '/api/v1/verifications', asOrca, {
      application: 'shop',
      executionId: 'exec-regex',
      stageId: 'verify',
      logTemplate: { name: 'shop-backtracking' },
      baseline: { app: 'shop', pod: 'shop-v1' },
      canary: { app: 'shop', pod: 'shop-v2' },
      startTime: new Date(t0).toISOString(),
      lifetimeMs: 2 * 60_000,
    });
    expect(started.status).toBe(202);
    const health: boolean[] = [];
    const finished = await eventually(
      async () => {
        health.push(await healthy());
        const { body } = await call(autopilot.url, 'GET', `/api/v1/verifications/${started.body.id}`, asOrca);
        return body.status !== 'running' ? body : undefined;
      },
      60_000,
      'the verification to finish',
    );
    expect(health.every(Boolean)).toBe(true);
    // Both sides log the same lines: nothing new in the canary.
    expect(finished).toMatchObject({ status: 'pass', score: 100 });
    expect(loki.requests.length).toBeGreaterThan(0);
  });

  it('refuses a mask or tag RE2 cannot match in linear time with 400 naming the field', async () => {
    for (const [field, template] of [
      ['body.masks.0', { masks: ['(?<=id=)\\d+'] }],
      ['body.tags.0.pattern', { tags: [{ pattern: '(a+)\\1', tag: 'repeat' }] }],
      // Linear, but about 3,000 instructions per character of every line.
      ['body.masks.0', { masks: ['[a-h]{999}z|[a-i]{998}z|[a-j]{997}z'] }],
    ] as const) {
      const answer = await call(autopilot.url, 'POST', '/api/v1/log-templates', asUser('alice'), {
        name: 'shop-refused',
        application: 'shop',
        provider: 'loki',
        ...template,
      });
      expect([field, answer.status]).toEqual([field, 400]);
      expect(answer.body.errors).toEqual([
        { path: field, message: expect.stringMatching(/^not a usable RE2 regular expression: /) },
      ]);
    }
  });
});
