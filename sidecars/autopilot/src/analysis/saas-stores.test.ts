// Whole verifications through the service against SaaS metric stores' contract harnesses: CloudWatch
// (SigV4, throttled once, so the runner's retry is exercised) and Cloud Monitoring (JWT token exchange),
// one metric each, a healthy canary passing and a degraded one failing; and a config error naming the key.
import { generateKeyPairSync } from 'node:crypto';
import type { RunningService } from '@isd/kit';
import { createTestDatabase, eventually, serviceHeaders, startTestService, testServiceConfig } from '@isd/test-support';
import { cloudWatchHarness } from '../../test/harness/cloudwatch';
import { stackdriverHarness } from '../../test/harness/stackdriver';
import { startReplayServer, type ReplayServer } from '../../test/replay-server';
import type { AutopilotConfig } from '../config';
import { autopilotService } from '../service';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response JSON read several levels deep
type LooseJson = Record<string, any>;

jest.setTimeout(60_000);

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const aws = {
  region: 'us-east-1',
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const clientEmail = 'autopilot@demo.iam.gserviceaccount.com';

let cloudwatch: ReplayServer;
let gcp: ReplayServer;
let service: RunningService<AutopilotConfig>;
let throttleNext = 0;
const throttled: string[] = [];

/** Deterministic noise in [-1, 1]. */
function noise(at: number, salt: number): number {
  const x = Math.sin((at / 1000) * 12.9898 + salt * 78.233) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

/** Points on the period grid: ~100 (doubled when `degraded`), with 5 % noise. */
function points(startMs: number, endMs: number, periodSeconds: number, degraded: boolean, salt: number) {
  const step = periodSeconds * 1000;
  const out: Array<[number, number]> = [];
  for (let at = Math.ceil(startMs / step) * step; at <= endMs; at += step)
    out.push([at, 100 * (degraded ? 2 : 1) * (1 + 0.05 * noise(at, salt))]);
  return out;
}

beforeAll(async () => {
  cloudwatch = await startReplayServer();
  gcp = await startReplayServer();
  const cw = cloudWatchHarness({
    ...aws,
    data: (expression, startMs, endMs, period) => {
      if (throttleNext > 0) {
        throttleNext--;
        throttled.push(expression);
        return { status: 400, code: 'Throttling', message: 'Rate exceeded' };
      }
      const canary = expression.includes("'web-v2'");
      // Requests per minute: the canary gets a tenth of the traffic.
      if (expression.includes('RequestCount'))
        return [
          {
            label: 'requests',
            points: points(startMs, endMs, period, false, 5).map(([at, value]) => [at, canary ? value : 9 * value]),
          },
        ];
      return [
        {
          label: 'latency',
          points: points(startMs, endMs, period, canary && expression.includes('Slow'), canary ? 2 : 1),
        },
      ];
    },
  });
  cloudwatch.respond(cw.handler);
  const sd = stackdriverHarness({
    clientEmail,
    publicKey,
    project: 'demo',
    tokenUrl: () => `${gcp.url}/token`,
    data: (call) => {
      const canary = call.filter.includes('"web-v2"');
      return [
        {
          metric: { type: 'custom.googleapis.com/errors' },
          resource: { type: 'k8s_container', labels: { deployment: canary ? 'web-v2' : 'web-v1' } },
          points: points(call.startMs, call.endMs, call.alignmentSeconds, false, canary ? 4 : 3).map(
            ([at, value]): [number, number] => [at + call.alignmentSeconds * 1000, value / 20],
          ),
        },
      ];
    },
  });
  gcp.respond(sd.handler);
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_saas'),
      extra: {
        providers: {
          cw: { type: 'cloudwatch', ...aws, url: cloudwatch.url, timeoutMs: 5_000 },
          gcp: {
            type: 'stackdriver',
            url: gcp.url,
            tokenUrl: `${gcp.url}/token`,
            projectId: 'demo',
            clientEmail,
            privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
            timeoutMs: 5_000,
          },
        },
        analysis: { providerAttempts: 2, providerRetryDelayMs: 50, checkQueriesOnCreate: false },
      },
    }),
  );
});

afterAll(async () => {
  await service?.stop();
  await cloudwatch?.close();
  await gcp?.close();
});

let stage = 0;
async function verify(
  latencyMetric: string,
  options: { countQuery?: string; judge?: string } = {},
): Promise<LooseJson> {
  const response = await fetch(`${service.url}/api/v1/verifications`, {
    method: 'POST',
    headers: serviceHeaders(),
    body: JSON.stringify({
      application: 'app',
      executionId: 'exec',
      stageId: `saas-${++stage}`,
      template: {
        stepSeconds: 60,
        metrics: [
          {
            name: 'latency',
            provider: 'cw',
            query: `SELECT AVG(${latencyMetric}) FROM SCHEMA("App", deployment) WHERE \${scope}`,
            ...(options.countQuery ? { countQuery: options.countQuery } : {}),
            direction: 'increase',
            critical: true,
            groups: ['latency'],
          },
          {
            name: 'errors',
            provider: 'gcp',
            query: 'metric.type="custom.googleapis.com/errors" AND ${scope} | perSeriesAligner=ALIGN_RATE',
            direction: 'increase',
            groups: ['errors'],
          },
        ],
      },
      baseline: { deployment: 'web-v1' },
      canary: { deployment: 'web-v2' },
      startTime: new Date(Date.now() - 40 * 60_000).toISOString(),
      lifetimeMs: 30 * 60_000,
      intervalMs: null,
      thresholds: { pass: 80, marginal: 40 },
      judge: options.judge ?? 'kayenta',
    }),
  });
  expect(response.status).toBe(202);
  const location = response.headers.get('location')!;
  return eventually(
    async () => {
      const body = (await (
        await fetch(`${service.url}${location}`, { headers: serviceHeaders() })
      ).json()) as LooseJson;
      return body.status === 'running' ? undefined : body;
    },
    40_000,
    'the verification to finish',
  );
}

describe('verifications on SaaS metric stores', () => {
  it('passes a healthy canary after retrying a throttled CloudWatch call', async () => {
    throttleNext = 1;
    const result = await verify('Latency');
    expect(throttled).toHaveLength(1);
    expect(result.status).toBe('pass');
    const latency = (result.metrics as LooseJson[]).find((metric) => metric.name === 'latency')!;
    expect(latency.canary.query).toBe(
      `SELECT AVG(Latency) FROM SCHEMA("App", deployment) WHERE "deployment" = 'web-v2'`,
    );
    expect(latency.canary.receivedCount).toBeGreaterThanOrEqual(25);
    const errors = (result.metrics as LooseJson[]).find((metric) => metric.name === 'errors')!;
    expect(errors.baseline.query).toBe(
      'metric.type="custom.googleapis.com/errors" AND resource.labels.deployment="web-v1" | perSeriesAligner=ALIGN_RATE',
    );
    expect(errors.classification).toBe('Pass');
  });

  it('runs a countQuery through CloudWatch beside the query, and the isd judge compares per request', async () => {
    const result = await verify('Latency', {
      countQuery: 'SELECT SUM(RequestCount) FROM SCHEMA("App", deployment) WHERE ${scope}',
      judge: 'isd',
    });
    const report = (await (
      await fetch(`${service.url}${result.reportUrl}?format=json`, { headers: serviceHeaders() })
    ).json()) as LooseJson;
    const latency = (report.metrics as LooseJson[]).find((metric) => metric.name === 'latency')!;
    expect(latency.canary.countQuery).toBe(
      `SELECT SUM(RequestCount) FROM SCHEMA("App", deployment) WHERE "deployment" = 'web-v2'`,
    );
    expect(latency.requestCounts.used).toBe(true);
    expect(latency.requestCounts.baselineTotal / latency.requestCounts.canaryTotal).toBeCloseTo(9, 0);
  });

  it('fails a canary whose critical CloudWatch latency doubled', async () => {
    const result = await verify('SlowLatency');
    expect(result.status).toBe('fail');
    expect((result.metrics as LooseJson[]).find((metric) => metric.name === 'latency')!.classification).toBe('High');
  });
});

describe('SaaS store config', () => {
  it('names the key of a bad account setting', () => {
    const result = autopilotService.configSchema.safeParse({
      auth: { serviceToken: 'x' },
      providers: { cw: { type: 'cloudwatch', region: 'Frankfurt', accessKeyId: 'a', secretAccessKey: 'b' } },
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => [issue.path.join('.'), issue.message])).toContainEqual([
      'providers.cw.region',
      'an AWS region such as us-east-1',
    ]);
  });
});
