// End to end against a real OpenSearch holding seeded baseline and canary logs, through the API and the
// report: a new exception in the canary fails the gate, the same error rates on both sides pass; a user's
// mark (through Gate, with their identity) changes later runs and shows in the report; an unreachable
// log provider ends in `error` with the cause; bad log templates are 400 naming the field.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import {
  createTestDatabase,
  eventually,
  freePort,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
import type { AutopilotConfig } from '../config';
import { autopilotService } from '../service';
import { startOpenSearch, type LogDocument, type OpenSearchNode } from '../../test/opensearch-harness';

// Tests read response JSON several levels deep; a loose type keeps those reads short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseJson = Record<string, any>;

jest.setTimeout(90_000);

const INDEX = 'web-logs-2026';
// The logs cover a 5-minute window that has already ended, so each verification's one window runs at once.
const windowStart = Math.floor((Date.now() - 15 * 60_000) / 60_000) * 60_000;
const LIFETIME_MS = 5 * 60_000;

let opensearch: OpenSearchNode;
let service: RunningService<AutopilotConfig>;
let logTemplateDir: string;

async function call(path: string, method = 'GET', body?: unknown, headers = serviceHeaders()) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  return { status: response.status, body: (isJson && text ? JSON.parse(text) : { text }) as LooseJson };
}

const alice = () => gateHeaders('alice'); // WRITE on web
const bob = () => gateHeaders('bob'); // READ on web only

/** One pod's logs: requests, a steady rate of declined payments, and what `extra` adds at step i. */
function podLogs(pod: string, seed: number, extra?: (i: number, at: number) => LogDocument[]): LogDocument[] {
  const docs: LogDocument[] = [];
  for (let i = 0; i < 600; i++) {
    const at = windowStart + i * 500 + (seed % 7);
    docs.push({ at, pod, message: `INFO GET /orders/${(i * 7919 + seed) % 10_000} 200 in ${(i * seed) % 90} ms` });
    if (i % 20 === 0) docs.push({ at: at + 1, pod, message: `INFO cache refreshed: ${i + seed} entries` });
    if (i % 50 === 0)
      docs.push({ at: at + 2, pod, message: `ERROR payment ${i + seed} declined by gateway: code=${i % 3}` });
    if (i % 75 === 0) docs.push({ at: at + 3, pod, message: `WARN slow query on orders took ${900 + i} ms` });
    docs.push(...(extra?.(i, at) ?? []));
  }
  return docs;
}

const stackTrace = (i: number) =>
  [
    `ERROR order ${i} failed: java.lang.IllegalStateException: stock for sku-${i} is negative`,
    '\tat com.example.orders.Stock.reserve(Stock.java:88)',
    `\tat com.example.orders.OrderService.place(OrderService.java:${140 + (i % 5)})`,
    '\t... 42 more',
  ].join('\n');

function verification(stageId: string, canaryPod: string, overrides: Record<string, unknown> = {}) {
  return {
    application: 'web',
    executionId: 'exec-logs',
    stageId,
    template: null,
    logTemplate: { name: 'web-logs', version: null },
    baseline: { pod: 'web-v1' },
    canary: { pod: canaryPod },
    startTime: new Date(windowStart).toISOString(),
    lifetimeMs: LIFETIME_MS,
    intervalMs: null,
    thresholds: { pass: 80, marginal: 60 },
    judge: null,
    ...overrides,
  };
}

async function runToEnd(payload: Record<string, unknown>) {
  const created = await call('/api/v1/verifications', 'POST', payload);
  expect(created.status).toBe(202);
  const location = `/api/v1/verifications/${created.body.id as string}`;
  return eventually(
    async () => {
      const { body } = await call(location);
      return body.status !== 'running' ? body : undefined;
    },
    60_000,
    `${location} to finish`,
  );
}

beforeAll(async () => {
  opensearch = await startOpenSearch();
  await opensearch.seed(INDEX, [
    ...podLogs('web-v1', 1),
    // The same kinds of lines at the same rates, different variables.
    ...podLogs('web-v2-good', 2),
    // A new exception, a stack trace every 30 steps (20 events among ~690).
    ...podLogs('web-v2-bad', 3, (i, at) =>
      i % 30 === 0 ? [{ at: at + 4, pod: 'web-v2-bad', message: stackTrace(i) }] : [],
    ),
  ]);
  const unusedPort = await freePort();
  logTemplateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'autopilot-log-templates-'));
  fs.writeFileSync(
    path.join(logTemplateDir, 'gitops-logs.yml'),
    `name: gitops-logs\nprovider: logs\nindex: ${INDEX}\nfilterKey: pod\nscoringAlgorithm: definite\nerrorTopics:\n  - { string: declined, topic: WARN }\n`,
  );
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_logs_e2e'),
      users: {
        alice: { roles: [], applications: { web: ['READ', 'WRITE'] } },
        bob: { roles: [], applications: { web: ['READ'] } },
      },
      extra: {
        logProviders: {
          logs: { type: 'opensearch', url: opensearch.url, timeoutMs: 10_000, pageSize: 250 },
          down: { type: 'opensearch', url: `http://127.0.0.1:${unusedPort}`, index: 'logs-*', timeoutMs: 2_000 },
          splunk: { type: 'splunk', url: `http://127.0.0.1:${unusedPort}`, timeoutMs: 2_000 },
        },
        analysis: { providerAttempts: 2, providerRetryDelayMs: 0 },
        templates: { logDirectory: logTemplateDir },
      },
    }),
  );
  const created = await call(
    '/api/v1/log-templates',
    'POST',
    {
      name: 'web-logs',
      description: 'web pods in OpenSearch',
      application: 'web',
      provider: 'logs',
      index: INDEX,
      filterKey: 'pod',
      messageFields: ['message'],
      scoringAlgorithm: 'canary',
      sensitivity: 'high',
    },
    alice(),
  );
  expect(created.status).toBe(201);
}, 300_000);

afterAll(async () => {
  await service?.stop();
  await opensearch?.stop();
  fs.rmSync(logTemplateDir, { recursive: true, force: true });
}, 60_000);

describe('log analysis in the verification gate, on a real OpenSearch', () => {
  let newException: LooseJson;

  it('fails a canary that logs a new exception, with the cluster in the verification and the report', async () => {
    const result = await runToEnd(verification('stage-bad', 'web-v2-bad'));
    expect(result).toMatchObject({ status: 'fail', template: null, logTemplate: { name: 'web-logs', version: 1 } });
    expect(result.score).toBeLessThan(60);
    expect(result.logs).toEqual([
      expect.objectContaining({ kind: 'log', name: 'web-logs', failed: false, unexpectedClusters: 1 }),
    ]);

    const report = await call(`/api/v1/verifications/${result.id as string}/report?format=json`);
    expect(report.status).toBe(200);
    const logs = report.body.logs[0] as LooseJson;
    expect(logs.queries).toEqual({ baseline: 'pod:"web-v1"', canary: 'pod:"web-v2-bad"' });
    expect(logs.baselineEvents).toBeGreaterThan(600);
    newException = (logs.clusters as LooseJson[]).find((c) => c.classification === 'unexpected')!;
    expect(newException).toMatchObject({
      kind: 'canary-only',
      topic: 'ERROR',
      baselineCount: 0,
      canaryCount: 20,
      rateRatio: null,
      currentMark: null,
    });
    expect(newException.template).toContain('IllegalStateException');
    expect(newException.clusterKey).toMatch(/^[0-9a-f]{24}$/);
    expect(newException.examples.canary[0]).toContain('\tat com.example.orders.Stock.reserve');
    expect(newException.scoreImpact).toBeGreaterThan(20);
    // The declined payments are logged at the same rate on both sides: shown, not scored.
    const declined = (logs.clusters as LooseJson[]).find((c) => c.template.includes('declined by gateway'))!;
    expect(declined).toMatchObject({ kind: 'both', classification: 'baseline', scoreImpact: 0 });
    expect(declined.baselineCount).toBe(declined.canaryCount);

    const html = await call(`/api/v1/verifications/${result.id as string}/report`, 'GET', undefined, {
      ...serviceHeaders(),
      accept: 'text/html',
    });
    expect(html.body.text).toContain('Logs: score');
    expect(html.body.text).toContain('IllegalStateException');
    expect(html.body.text).toContain('only in canary');
    expect(html.body.text).toContain(newException.clusterKey);
  });

  it('passes a canary with the same error rates as the baseline', async () => {
    const result = await runToEnd(verification('stage-good', 'web-v2-good'));
    expect(result).toMatchObject({ status: 'pass', score: 100 });
    const report = await call(`/api/v1/verifications/${result.id as string}/report?format=json`);
    const clusters = report.body.logs[0].clusters as LooseJson[];
    expect(clusters.some((c) => c.template.includes('declined by gateway'))).toBe(true);
    expect(clusters.filter((c) => c.unexpected)).toEqual([]);
  });

  it('takes an inline log template and the weights the request gives', async () => {
    // An inline log template and no metrics: the combined score is the log score whatever the weights.
    const result = await runToEnd(
      verification('stage-inline', 'web-v2-bad', {
        logTemplate: { provider: 'logs', index: INDEX, filterKey: 'pod', sensitivity: 'low' },
        weights: { metric: 3, log: 1 },
      }),
    );
    expect(result.weights).toEqual({ metric: 3, log: 1 });
    expect(result.logTemplate).toEqual({ name: 'inline', version: null });
    // Low sensitivity weighs the same new exception less than high does.
    expect(result.score).toBeGreaterThan(60);
    expect(result.status).not.toBe('error');
  });

  it("applies a user's mark to later runs of the application and shows who set it", async () => {
    const path = `/api/v1/applications/web/log-marks/${newException.clusterKey as string}`;
    // Only a person through Gate with WRITE on the application marks; the service token cannot pretend.
    const asService = await call(path, 'PUT', { mark: 'ignorable' });
    expect(asService.status).toBe(403);
    expect(asService.body.type).toBe('urn:isd:problem:service_token_not_accepted');
    // Naming a user beside the service token does not make the request a user's.
    const pretending = await call(
      path,
      'PUT',
      { mark: 'ignorable' },
      { ...serviceHeaders(), 'x-spinnaker-user': 'alice' },
    );
    expect(pretending.status).toBe(403);
    expect((await call(path, 'PUT', { mark: 'ignorable' }, bob())).status).toBe(403);
    const mismatch = await call(path, 'PUT', { mark: 'ignorable', template: 'something else' }, alice());
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.field ?? mismatch.body.errors?.[0]?.path).toBe('body.template');
    const bad = await call(path, 'PUT', { mark: 'fine' }, alice());
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('body.mark');

    const marked = await call(
      path,
      'PUT',
      { mark: 'ignorable', template: newException.template, comment: 'known stock race, fixed in 2.1' },
      alice(),
    );
    expect(marked.status).toBe(200);
    expect(marked.body).toMatchObject({ mark: 'ignorable', markedBy: 'alice', application: 'web' });
    const list = await call('/api/v1/applications/web/log-marks', 'GET', undefined, bob());
    expect(list.body.marks).toEqual([
      expect.objectContaining({ clusterKey: newException.clusterKey, markedBy: 'alice' }),
    ]);

    const again = await runToEnd(verification('stage-bad-marked', 'web-v2-bad'));
    expect(again).toMatchObject({ status: 'pass', score: 100 });
    const report = await call(`/api/v1/verifications/${again.id as string}/report?format=json`);
    const cluster = (report.body.logs[0].clusters as LooseJson[]).find((c) => c.clusterKey === newException.clusterKey);
    expect(cluster).toMatchObject({
      mark: 'ignorable',
      classification: 'ignored',
      currentMark: { mark: 'ignorable', markedBy: 'alice', comment: 'known stock race, fixed in 2.1' },
    });
    const html = await call(`/api/v1/verifications/${again.id as string}/report`, 'GET', undefined, {
      ...serviceHeaders(),
      accept: 'text/html',
    });
    expect(html.body.text).toMatch(/ignorable by alice at \d{4}-\d\d-\d\dT/);

    // Marked critical, the same cluster fails the run whatever the score would be.
    expect((await call(path, 'PUT', { mark: 'critical' }, alice())).status).toBe(200);
    const critical = await runToEnd(
      verification('stage-bad-critical', 'web-v2-bad', { thresholds: { pass: 0, marginal: 0 } }),
    );
    expect(critical.status).toBe('fail');
    expect(critical.reason).toContain('critical log cluster');
    expect(critical.logs[0]).toMatchObject({ failed: true, criticalClusters: [newException.clusterKey] });

    expect((await call(path, 'DELETE', undefined, alice())).status).toBe(204);
    expect((await call(path, 'DELETE', undefined, alice())).status).toBe(404);
  });

  it('ends in error naming the cause when the log provider cannot be reached', async () => {
    const created = await call(
      '/api/v1/log-templates',
      'POST',
      { name: 'down-logs', application: 'web', provider: 'down', filterKey: 'pod' },
      alice(),
    );
    expect(created.status).toBe(201);
    const result = await runToEnd(verification('stage-down', 'web-v2-good', { logTemplate: { name: 'down-logs' } }));
    expect(result.status).toBe('error');
    expect(result.reason).toContain('logs could not be fetched');
    expect(result.error).toMatch(/^logs: down: .*ECONNREFUSED.*\(after 2 tries\)/);
  });

  it('refuses bad log templates and requests with 400 naming the field', async () => {
    const expectField = async (response: Promise<{ status: number; body: LooseJson }>, field: string) => {
      const { status, body } = await response;
      expect(status).toBe(400);
      expect([body.field, ...((body.errors ?? []) as LooseJson[]).map((e) => e.path)]).toContain(field);
    };
    const post = (body: unknown) => call('/api/v1/log-templates', 'POST', body, alice());
    await expectField(
      post({ name: 'x', application: 'web', provider: 'logs', index: INDEX, sensitivity: 'extreme' }),
      'body.sensitivity',
    );
    await expectField(post({ name: 'x', application: 'web', provider: 'nowhere', index: INDEX }), 'body.provider');
    await expectField(post({ name: 'x', application: 'web', provider: 'logs' }), 'body.index');
    await expectField(post({ name: 'x', application: 'web', provider: 'logs', index: 'a b' }), 'body.index');
    await expectField(
      post({ name: 'x', application: 'web', provider: 'logs', index: INDEX, masks: ['('] }),
      'body.masks.0',
    );
    await expectField(post({ name: 'x', application: 'web', provider: 'logs', index: INDEX, colour: 'red' }), 'body');
    // OpenSearch itself is asked whether it can parse the query.
    await expectField(
      post({ name: 'x', application: 'web', provider: 'logs', index: INDEX, query: 'level:(ERROR' }),
      'body.query',
    );
    const importOpsmx = (body: unknown) =>
      call('/api/v1/log-templates/import/opsmx?provider=logs&application=web', 'POST', body, alice());
    await expectField(importOpsmx({ templateName: 'o', index: INDEX, autoBaseline: true }), 'body.autoBaseline');
    await expectField(
      importOpsmx({ templateName: 'o', index: INDEX, scoringAlgorithm: 'magic' }),
      'body.scoringAlgorithm',
    );

    const verify = (overrides: Record<string, unknown>) =>
      call('/api/v1/verifications', 'POST', verification(`bad-${Math.random()}`, 'web-v2-good', overrides));
    await expectField(verify({ logTemplate: null }), 'body.template');
    await expectField(verify({ logTemplate: { name: 'no-such-logs' } }), 'body.logTemplate.name');
    await expectField(verify({ baseline: { app: 'web', zone: 'a' } }), 'body.baseline.pod');
    await expectField(verify({ weights: { metric: 0, log: 0 } }), 'body.weights.log');
    await expectField(
      verify({ logTemplate: { provider: 'logs', index: INDEX, query: 'message:"unclosed' } }),
      'body.logTemplate.query',
    );
    await expectField(
      verify({ logTemplate: { provider: 'logs', index: INDEX, sensitivity: 'x' } }),
      'body.logTemplate.sensitivity',
    );
    // A scope value stays one quoted value: no line break (ends every store's string), no Splunk wildcard.
    await expectField(verify({ canary: { pod: 'web-v2\n' } }), 'body.canary.pod');
    await expectField(
      verify({ canary: { pod: '*' }, logTemplate: { provider: 'splunk', filterKey: 'pod' } }),
      'body.canary.pod',
    );
  });

  it('imports an OpsMx log template and lists and versions log templates', async () => {
    const imported = await call(
      '/api/v1/log-templates/import/opsmx?provider=logs&name=web-opsmx&application=web',
      'POST',
      {
        templateName: 'loggytemp',
        filterKey: 'pod',
        monitoringProvider: 'ELASTICSEARCH',
        index: INDEX,
        responseKeywords: 'message',
        scoringAlgorithm: 'Canary',
        sensitivity: 'medium',
        autoBaseline: false,
        errorTopics: [{ string: 'declined by gateway', topic: 'critical', type: 'custom' }],
        tags: [{ string: 'payment', tag: 'payments' }],
      },
      alice(),
    );
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ name: 'web-opsmx', version: 1, source: 'import:opsmx', createdBy: 'alice' });
    expect(imported.body.definition).toMatchObject({
      application: 'web',
      provider: 'logs',
      sensitivity: 'medium',
      errorTopics: [{ string: 'declined by gateway', topic: 'CRITICAL' }],
    });
    const list = await call('/api/v1/log-templates', 'GET', undefined, bob());
    expect(list.body.templates.map((t: LooseJson) => t.name)).toEqual(
      expect.arrayContaining(['web-logs', 'web-opsmx', 'gitops-logs']),
    );
    // Loaded from the YAML folder at start-up.
    const gitops = await call('/api/v1/log-templates/gitops-logs');
    expect(gitops.body).toMatchObject({ version: 1, source: 'file:gitops-logs.yml', scoringAlgorithm: 'definite' });
    expect(gitops.body.definition.errorTopics).toEqual([{ string: 'declined', topic: 'WARN' }]);
    const changed = await call(
      '/api/v1/log-templates',
      'POST',
      { name: 'web-logs', application: 'web', provider: 'logs', index: INDEX, filterKey: 'pod', sensitivity: 'low' },
      alice(),
    );
    expect(changed.status).toBe(201);
    expect(changed.body.version).toBe(2);
    const versions = await call('/api/v1/log-templates/web-logs/versions');
    expect(versions.body.versions.map((v: LooseJson) => v.version)).toEqual([2, 1]);
    // A user without WRITE on web cannot change it.
    expect(
      (
        await call(
          '/api/v1/log-templates',
          'POST',
          { name: 'web-logs', application: 'web', provider: 'logs', index: INDEX },
          bob(),
        )
      ).status,
    ).toBe(403);
  });
});
