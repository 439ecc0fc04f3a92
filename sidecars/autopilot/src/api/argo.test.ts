// The Argo Rollouts route against a running autopilot on the demo metrics source: create-or-get per
// rollout revision, the four answers, 400 naming fields, the service token. The real Argo controller
// drives the same route in test/e2e/argo-rollouts.test.ts.
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import { createTestDatabase, eventually, serviceHeaders, startTestService, testServiceConfig } from '@isd/test-support';
import { startDemoPrometheus } from '../demo/demo-prometheus';
import type { AutopilotConfig } from '../config';
import { autopilotService } from '../service';
import { argoStatus } from './argo';

jest.setTimeout(60_000);

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads of nested JSON
  body: Record<string, any>;
}

let demo: Awaited<ReturnType<typeof startDemoPrometheus>>;
// Windows placed relative to the demo's noise origin read the same samples every run, so the healthy
// canary's verdict does not depend on the judge's false-alarm rate.
const METRICS_ORIGIN_MS = Date.now();
let service: RunningService<AutopilotConfig>;

beforeAll(async () => {
  demo = await startDemoPrometheus({ port: 0, host: '127.0.0.1', originMs: METRICS_ORIGIN_MS });
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_argo'),
      extra: {
        // `down` is a Prometheus that does not answer (nothing listens on port 1).
        providers: {
          demo: { type: 'prometheus', url: demo.url },
          down: { type: 'prometheus', url: 'http://127.0.0.1:1', timeoutMs: 1_000 },
        },
        analysis: { defaultProvider: 'demo', providerAttempts: 1, providerRetryDelayMs: 0 },
        templates: { directory: path.join(__dirname, '../../demo/templates') },
      },
    }),
  );
});

afterAll(async () => {
  await service?.stop();
  await demo?.close();
});

async function measure(body: unknown, headers: Record<string, string> = serviceHeaders()): Promise<Answer> {
  const response = await fetch(`${service.url}/api/v1/argo/verifications`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** A request as the doc's AnalysisTemplate sends it: every value a string, as Argo substitutes them. */
function request(canary: string, revision: string, overrides: Record<string, unknown> = {}) {
  return {
    application: 'demo',
    rollout: { namespace: 'demo', name: 'web', revision },
    analysis: '',
    template: { name: 'demo-golden-signals' },
    baseline: { namespace: 'demo', deployment: 'demo-baseline' },
    canary: { namespace: 'demo', deployment: canary },
    // Ten minutes already in the past: the verdict comes within seconds.
    startTime: new Date(METRICS_ORIGIN_MS - 15 * 60_000).toISOString(),
    lifetimeMs: '600000',
    intervalMs: '300000',
    ...overrides,
  };
}

/** Polls as Argo does (the same request each time) until the answer is no longer running. */
async function verdict(body: unknown): Promise<Answer['body']> {
  return eventually(
    async () => {
      const answer = await measure(body);
      expect(answer.status).toBe(200);
      return answer.body.status === 'running' ? undefined : answer.body;
    },
    30_000,
    'the verification to finish',
  );
}

describe('POST /api/v1/argo/verifications', () => {
  it('starts one verification per rollout revision and answers pass for a healthy canary, fail for a degraded one', async () => {
    const healthy = request('demo-canary-healthy', '7');
    const degraded = request('demo-canary-degraded', '8');
    const first = await measure(healthy);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'running', score: null, verificationStatus: 'running' });
    const again = await measure(healthy);
    expect(again.body.id).toBe(first.body.id);

    const [passed, failed] = await Promise.all([verdict(healthy), verdict(degraded)]);
    expect(passed).toMatchObject({ id: first.body.id, status: 'pass', verificationStatus: 'pass' });
    expect(passed.score).toBeGreaterThanOrEqual(80);
    expect(passed.reportUrl).toBe(`/api/v1/verifications/${first.body.id}/report`);
    expect(failed).toMatchObject({ status: 'fail', verificationStatus: 'fail' });
    expect(failed.score).toBeLessThan(60);
    expect(failed.reason).toEqual(expect.any(String));

    // The stored verification is the one autopilot's own API shows, keyed by rollout and revision.
    const shown = await fetch(`${service.url}/api/v1/verifications/${first.body.id}`, { headers: serviceHeaders() });
    expect(await shown.json()).toMatchObject({ executionId: 'argo-rollouts/demo/web', stageId: '7', status: 'pass' });

    // Another analysis of the same revision is another verification; the same one answers its verdict.
    const step = await measure({ ...healthy, analysis: 'step-50' });
    expect(step.body.id).not.toBe(first.body.id);
    expect((await measure(healthy)).body).toMatchObject({ id: first.body.id, status: 'pass' });
  });

  it('answers fail with the cause when the verification ends in error (a metrics provider down)', async () => {
    const body = request('demo-canary-healthy', '11', {
      template: {
        name: 'down',
        metrics: [{ name: 'latency', provider: 'down', query: 'avg(demo_request_latency_seconds{${scope}})' }],
      },
    });
    const ended = await verdict(body);
    expect(ended).toMatchObject({ status: 'fail', verificationStatus: 'error', score: null });
    expect(ended.reason).toMatch(/^verification ended in error: .*down/);
  });

  it('answers 400 naming the field for what Argo could send wrong', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ rollout: { namespace: 'demo', name: 'web' } }, 'body.rollout.revision'],
      [{ rollout: { namespace: 'Demo_NS', name: 'web', revision: '1' } }, 'body.rollout.namespace'],
      [{ lifetimeMs: '10m' }, 'body.lifetimeMs'],
      [{ intervalMs: '-1' }, 'body.intervalMs'],
      [{ startTime: 'yesterday' }, 'body.startTime'],
      [{ thresholds: { pass: 50, marginal: 70 } }, 'body.thresholds.marginal'],
      [{ canary: { namespace: 'demo', deployment: '{{args.canary-hash}}' } }, 'body.canary.deployment'],
      [{ template: { name: 'no-such-template' } }, 'body.template.name'],
      // The template's queries read ${scope}; a scope without a label they need is refused by the provider check.
      [{ baseline: {} }, 'body.baseline'],
    ];
    for (const [override, field] of cases) {
      const answer = await measure(request('demo-canary-healthy', 'bad', override));
      expect([answer.status, override]).toEqual([400, override]);
      expect(answer.body.field ?? answer.body.errors?.[0]?.path).toBe(field);
      expect(answer.body.detail).toEqual(expect.any(String));
    }
  });

  it('accepts only the service token, in X-ISD-Service-Token or as a bearer token', async () => {
    const body = request('demo-canary-healthy', '9');
    expect((await measure(body, {})).status).toBe(401);
    expect((await measure(body, { 'x-isd-service-token': 'not-the-token-0123456789' })).status).toBe(401);
    const token = serviceHeaders()['x-isd-service-token']!;
    expect((await measure(body, { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('refuses a revision already verified for another application (409)', async () => {
    const body = request('demo-canary-healthy', '10');
    expect((await measure(body)).status).toBe(200);
    const other = await measure({ ...body, application: 'billing' });
    expect(other.status).toBe(409);
    expect(other.body.detail).toMatch(/already verified for application demo/);
  });

  it('is described in /openapi.json with its request fields', async () => {
    const response = await fetch(`${service.url}/openapi.json`, { headers: serviceHeaders() });
    const spec = (await response.json()) as Answer['body'];
    const operation = spec.paths['/api/v1/argo/verifications'].post;
    const schema = operation.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['rollout', 'lifetimeMs', 'startTime']));
  });

  it('answers fail, never pass, for a verification that ended in error or was canceled', () => {
    expect(argoStatus({ status: 'error' })).toBe('fail');
    expect(argoStatus({ status: 'canceled' })).toBe('fail');
    expect(argoStatus({ status: 'marginal' })).toBe('marginal');
  });
});
