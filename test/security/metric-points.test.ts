// A template may hold 500 metrics at a 1 s step, and a verification's window may be hours long: the step grew
// only to keep one series under Prometheus's 11,000 points, so one window could hand the judge 500 × 2 series of
// 11,000 points, and the isd judge costs some 4 µs a point of autopilot's one thread (100 metrics over 3 hours
// at 1 s, 2 million points: 8 s during which /healthz is unanswered; 500 metrics: some 40 s). The step now also grows to keep every series of a window
// together under analysis.maxMetricPoints.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@isd/test-support';
import { asOrca, call, startServiceProcess, type ServiceProcess } from './services';

jest.setTimeout(120_000);

const METRICS = 100;
const WINDOW_MS = 3 * 3_600_000;
/** The default of analysis.maxMetricPoints. */
const MAX_METRIC_POINTS = 100_000;

let prometheus: http.Server;
let autopilot: ServiceProcess;
/** Points the store answered, over every range query. */
let pointsServed = 0;
const stepsAsked = new Set<number>();

beforeAll(async () => {
  // Answers like Prometheus's range API: one point a step over start..end, steady on both sides.
  prometheus = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      const start = Number(form.get('start'));
      const end = Number(form.get('end'));
      const step = Number((form.get('step') ?? '1s').replace('s', ''));
      stepsAsked.add(step);
      const values: Array<[number, string]> = [];
      for (let t = Math.ceil(start / step) * step; t <= end; t += step) values.push([t, String(100 + (t % 7))]);
      pointsServed += values.length;
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'matrix', result: [{ metric: { job: 'app' }, values }] },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
  autopilot = await startServiceProcess('autopilot', {
    AUTOPILOT_PROVIDERS: JSON.stringify({
      prom: { type: 'prometheus', url: `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}` },
    }),
    AUTOPILOT_ANALYSIS__CHECK_QUERIES_ON_CREATE: 'false',
    AUTOPILOT_ANALYSIS__PROVIDER_ATTEMPTS: '1',
  });
});

afterAll(async () => {
  await autopilot?.stop();
  await new Promise((resolve) => prometheus?.close(resolve));
});

describe('a template of many metrics at a 1 s step over a 3-hour window', () => {
  it('is judged at a step that keeps the window under analysis.maxMetricPoints, and autopilot keeps answering', async () => {
    const startMs = Math.floor((Date.now() - WINDOW_MS - 10 * 60_000) / 60_000) * 60_000;
    const started = await call(autopilot.url, 'POST', '/api/v1/verifications', asOrca, {
      application: 'shop',
      executionId: 'exec-metric-points',
      stageId: 'verify',
      template: {
        stepSeconds: 1,
        metrics: Array.from({ length: METRICS }, (_, k) => ({ name: `m${k}`, query: `m${k}{\${scope}}` })),
      },
      baseline: { deployment: 'shop-v1' },
      canary: { deployment: 'shop-v2' },
      startTime: new Date(startMs).toISOString(),
      lifetimeMs: WINDOW_MS,
      intervalMs: null,
    });
    expect([started.status, started.body]).toEqual([202, expect.anything()]);
    const finished = await eventually(
      async () => {
        if (autopilot.child.child.exitCode !== null || autopilot.child.child.signalCode !== null)
          throw new Error(`autopilot exited: ${autopilot.child.output().slice(-1500)}`);
        const { body } = await call(autopilot.url, 'GET', `/api/v1/verifications/${started.body.id}`, asOrca);
        return body.status !== 'running' ? body : undefined;
      },
      110_000,
      'the verification to finish',
    );
    expect(finished).toMatchObject({ status: 'pass' });
    // One step for the window (ceil(10,800 s / 499 points) = 22 s), and every point it asked for judged.
    expect([...stepsAsked]).toEqual([22]);
    expect(pointsServed).toBeLessThanOrEqual(MAX_METRIC_POINTS);
    expect((await fetch(`${autopilot.url}/healthz`)).status).toBe(200);
  });
});
