// The verification gate reading logs from Loki (contract harness): the scope becomes stream selector
// matchers, a canary that logs a new NullPointerException (a CRITICAL default topic) fails the run.
import type { RunningService } from '@isd/kit';
import { autopilotService, type AutopilotConfig } from '@isd/autopilot';
import {
  burstBaseline,
  burstCanary,
  createTestDatabase,
  eventually,
  gateHeaders,
  serviceHeaders,
  SPAN_SECONDS,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
import { startLokiHarness, type LokiHarness } from './index';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseJson = Record<string, any>;

let loki: LokiHarness;
let service: RunningService<AutopilotConfig>;
const t0 = Math.floor((Date.now() - 20 * 60_000) / 60_000) * 60_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
// Two hours of lines with no time in their text, ending before the run: a warning burst in web-b2's (decision 248).
const burstStart = Math.floor((Date.now() - SPAN_SECONDS * 1000 - 20 * 60_000) / 60_000) * 60_000;

async function call(path: string, method = 'GET', body?: unknown, headers = serviceHeaders()) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as LooseJson };
}

beforeAll(async () => {
  loki = await startLokiHarness();
  for (const pod of ['web-v1', 'web-v2', 'web-v3']) {
    const entries = [];
    for (let i = 0; i < 900; i++) {
      entries.push({ labels: { app: 'web', pod }, ts: ns(t0 + i * 200), line: `INFO GET /cart/${i * 13} 200` });
      if (i % 100 === 0)
        entries.push({ labels: { app: 'web', pod }, ts: ns(t0 + i * 200) + 1n, line: `WARN retrying call ${i}` });
    }
    if (pod === 'web-v2')
      for (let i = 0; i < 9; i++)
        entries.push({
          labels: { app: 'web', pod },
          ts: ns(t0 + i * 20_000) + 2n,
          line: `ERROR java.lang.NullPointerException at cart ${i}`,
        });
    loki.push(entries);
  }
  for (const [pod, log] of [
    ['web-b1', burstBaseline()],
    ['web-b2', burstCanary()],
  ] as const)
    loki.push(
      log.map(({ seconds, message }) => ({
        labels: { app: 'web', pod },
        ts: ns(burstStart + seconds * 1000),
        line: message,
      })),
    );
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_loki_gate'),
      users: { alice: { roles: [], applications: { web: ['READ', 'WRITE'] } } },
      extra: {
        logProviders: { loki: { type: 'loki', url: loki.url, pageSize: 100 } },
        analysis: { providerAttempts: 1 },
      },
    }),
  );
  const created = await call(
    '/api/v1/log-templates',
    'POST',
    { name: 'web-loki', application: 'web', provider: 'loki', query: '{${scope}}' },
    gateHeaders('alice'),
  );
  expect(created.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await loki?.close();
});

async function verify(
  stageId: string,
  canaryPod: string,
  baselinePod = 'web-v1',
  interval = { startMs: t0, lifetimeMs: 3 * 60_000 },
) {
  const created = await call('/api/v1/verifications', 'POST', {
    application: 'web',
    executionId: 'exec-loki',
    stageId,
    logTemplate: { name: 'web-loki' },
    baseline: { app: 'web', pod: baselinePod },
    canary: { app: 'web', pod: canaryPod },
    startTime: new Date(interval.startMs).toISOString(),
    lifetimeMs: interval.lifetimeMs,
  });
  expect(created.status).toBe(202);
  return eventually(
    async () => {
      const { body } = await call(`/api/v1/verifications/${created.body.id as string}`);
      return body.status !== 'running' ? body : undefined;
    },
    30_000,
    'the verification to finish',
  );
}

describe('verification gate on Loki (contract harness)', () => {
  it('fails a canary logging a new NullPointerException, and passes one like the baseline', async () => {
    const failing = await verify('stage-npe', 'web-v2');
    expect(failing).toMatchObject({ status: 'fail', score: 0, logs: [{ failed: true }] });
    expect(failing.reason).toContain('NullPointerException');
    const queries = loki.requests.map((r) => r.get('query'));
    expect(queries).toEqual(expect.arrayContaining(['{app="web", pod="web-v1"}', '{app="web", pod="web-v2"}']));
    const passing = await verify('stage-ok', 'web-v3');
    expect(passing).toMatchObject({ status: 'pass', score: 100 });
  });

  it('finds a warning burst by Loki’s timestamps in lines that carry no time in their text', async () => {
    const run = await verify('stage-burst', 'web-b2', 'web-b1', {
      startMs: burstStart,
      lifetimeMs: SPAN_SECONDS * 1000 + 60_000,
    });
    expect(run.status).not.toBe('pass');
    expect(run.reason).toMatch(
      /burst: .* of the canary's 62 lines within 60 s; the baseline's busiest 60 s held .* of its 38/,
    );
  });
});
