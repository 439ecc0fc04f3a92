// Template API on real Postgres: versions, list for Deck, roles, imports, YAML files loaded at start-up,
// and the Orca-facing checks that need no metrics provider.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import {
  createTestDatabase,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
import type { AutopilotConfig } from '../config';
import { autopilotService } from '../service';

// Tests read response JSON several levels deep; a loose type keeps those reads short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseJson = Record<string, any>;

let service: RunningService<AutopilotConfig>;
let templatesDir: string;

async function call(
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = gateHeaders('alice'),
) {
  const response = await fetch(`${service.url}${urlPath}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as LooseJson) : undefined,
  };
}

const template = (query = 'avg(latency{${scope}})') => ({
  name: 'golden',
  description: 'golden signals',
  metrics: [{ name: 'latency', query, direction: 'increase', groups: ['latency'] }],
});

beforeAll(async () => {
  templatesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-templates-'));
  fs.writeFileSync(
    path.join(templatesDir, 'from-git.yml'),
    'name: from-git\nmetrics:\n  - name: errors\n    query: sum(errors{${scope}})\n    direction: increase\n',
  );
  fs.writeFileSync(path.join(templatesDir, 'README.md'), 'not a template');
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_templates'),
      users: { alice: ['release-engineers'], bob: ['dev'] },
      extra: {
        providers: { prom: { type: 'prometheus', url: 'http://127.0.0.1:1', timeoutMs: 500 } },
        templates: { directory: templatesDir, editorRoles: ['release-engineers'] },
      },
    }),
  );
});

afterAll(async () => {
  await service?.stop();
  fs.rmSync(templatesDir, { recursive: true, force: true });
});

describe('template API', () => {
  it('versions templates: a change is a new version, the same definition again is not', async () => {
    const first = await call('POST', '/api/v1/templates', template());
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: 'golden', version: 1, createdBy: 'alice', source: 'api' });
    expect(first.headers.get('location')).toBe('/api/v1/templates/golden/versions/1');
    const again = await call('POST', '/api/v1/templates', template());
    expect(again.status).toBe(200);
    expect(again.body!.version).toBe(1);
    const changed = await call('POST', '/api/v1/templates', template('avg(latency_seconds{${scope}})'));
    expect(changed.status).toBe(201);
    expect(changed.body!.version).toBe(2);

    expect((await call('GET', '/api/v1/templates/golden')).body).toMatchObject({
      version: 2,
      definition: { metrics: [{ query: 'avg(latency_seconds{${scope}})' }] },
    });
    expect((await call('GET', '/api/v1/templates/golden/versions/1')).body).toMatchObject({
      version: 1,
      definition: { metrics: [{ query: 'avg(latency{${scope}})' }] },
    });
    expect(
      (await call('GET', '/api/v1/templates/golden/versions')).body!.versions.map(
        (v: { version: number }) => v.version,
      ),
    ).toEqual([2, 1]);
    expect((await call('GET', '/api/v1/templates/golden/versions/9')).status).toBe(404);
  });

  it('lists the latest version of each template for the stage editor, including YAML-loaded ones', async () => {
    const list = await call('GET', '/api/v1/templates', undefined, serviceHeaders());
    expect(list.status).toBe(200);
    const byName = Object.fromEntries(list.body!.templates.map((t: { name: string }) => [t.name, t]));
    expect(byName['from-git']).toMatchObject({ version: 1, source: 'file:from-git.yml', metricCount: 1 });
    expect(byName.golden).toMatchObject({ version: 2, groups: ['latency'] });
  });

  it('loads a changed YAML file as a new version on restart, and an unchanged one as nothing', async () => {
    const url = service.config.database.url;
    const restart = async () => {
      await service.stop();
      service = await startTestService(
        autopilotService,
        testServiceConfig(autopilotService, {
          databaseUrl: url,
          users: { alice: ['release-engineers'] },
          extra: {
            providers: { prom: { type: 'prometheus', url: 'http://127.0.0.1:1', timeoutMs: 500 } },
            templates: { directory: templatesDir, editorRoles: ['release-engineers'] },
          },
        }),
      );
    };
    await restart();
    expect((await call('GET', '/api/v1/templates/from-git')).body!.version).toBe(1);
    fs.writeFileSync(
      path.join(templatesDir, 'from-git.yml'),
      'name: from-git\nmetrics:\n  - name: errors\n    query: sum(errors_total{${scope}})\n    direction: increase\n',
    );
    await restart();
    expect((await call('GET', '/api/v1/templates/from-git')).body).toMatchObject({
      version: 2,
      definition: { metrics: [{ query: 'sum(errors_total{${scope}})' }] },
    });
  });

  it('lets only editors create templates, and only through Gate', async () => {
    const bob = await call('POST', '/api/v1/templates', template(), gateHeaders('bob'));
    expect(bob.status).toBe(403);
    expect(bob.body!.detail).toMatch(/release-engineers/);
    const orca = await call('POST', '/api/v1/templates', template(), serviceHeaders());
    expect([401, 403]).toContain(orca.status);
    const forged = await call('POST', '/api/v1/templates', template(), {
      'content-type': 'application/json',
      'x-spinnaker-user': 'alice',
    });
    expect(forged.status).toBe(401);
  });

  it('imports a Kayenta canary config and an OpsMx template over the API', async () => {
    const kayenta = await call('POST', '/api/v1/templates/import/kayenta?name=imported-kayenta', {
      name: 'ignored because of ?name',
      metrics: [
        {
          name: 'cpu',
          query: {
            type: 'prometheus',
            metricName: 'cpu_seconds',
            customFilterTemplate: 'by-app',
            labelBindings: ['mode="user"'],
          },
          groups: ['system'],
          analysisConfigurations: { canary: { direction: 'increase' } },
        },
      ],
      templates: { 'by-app': 'app="${scope}"' },
      classifier: { groupWeights: { system: 100 } },
    });
    expect(kayenta.status).toBe(201);
    expect(kayenta.body).toMatchObject({
      name: 'imported-kayenta',
      source: 'import:kayenta',
      definition: {
        judge: 'kayenta',
        metrics: [{ query: 'avg(cpu_seconds{app="${scope.scope}",mode="user"})', provider: 'prometheus' }],
      },
    });
    // Kayenta cannot scope a bare metricName either: refused, naming the field.
    const unscoped = await call('POST', '/api/v1/templates/import/kayenta', {
      metrics: [{ name: 'cpu', query: { type: 'prometheus', metricName: 'cpu_seconds' } }],
    });
    expect(unscoped.status).toBe(400);
    expect(unscoped.body!.field).toBe('body.metrics.0.query.resourceType');
    const opsmx = await call('POST', '/api/v1/templates/import/opsmx', {
      templateName: 'mem',
      metricProvider: 'PROMETHEUS',
      data: {
        groups: [
          {
            group: 'memory',
            metrics: [{ name: 'sum(mem{pod=~"${pod_key}"})', riskDirection: 'Higher', customThresholdHigher: 20 }],
          },
        ],
      },
    });
    expect(opsmx.status).toBe(201);
    expect(opsmx.body!.definition.metrics[0]).toMatchObject({
      query: 'sum(mem{pod=~"${scope.pod_key}"})',
      direction: 'increase',
      effectSize: { allowedIncrease: 1.2 },
    });
    const bad = await call('POST', '/api/v1/templates/import/opsmx', {
      templateName: 'mem',
      data: { groups: [{ group: 'g', metrics: [{ riskDirection: 'Higher' }] }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body!.field).toBe('body.data.groups.0.metrics.0.name');
    expect((await call('POST', '/api/v1/templates/import/atlas', {})).body!.field).toBe('path.format');
  });

  it('keeps a metric’s countQuery, validated like its query and refused naming the field', async () => {
    const metric = {
      name: 'latency',
      query: 'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket{${scope}}[1m])))',
      countQuery: 'sum(rate(http_request_duration_seconds_count{${scope}}[1m]))',
      direction: 'increase',
    };
    const saved = await call('POST', '/api/v1/templates', { name: 'per-request', metrics: [metric] });
    expect(saved.status).toBe(201);
    expect((await call('GET', '/api/v1/templates/per-request')).body!.definition.metrics[0].countQuery).toBe(
      metric.countQuery,
    );
    for (const [countQuery, message] of [
      ['sum(x{${namespace}})', /unknown placeholder \$\{namespace\}/],
      ['', /too_small|at least|>=1/i],
      [42, /string/i],
    ] as const) {
      const refused = await call('POST', '/api/v1/templates', { name: 'bad', metrics: [{ ...metric, countQuery }] });
      expect(refused.status).toBe(400);
      expect(refused.body!.field).toBe('body.metrics.0.countQuery');
      expect(JSON.stringify(refused.body!.errors)).toMatch(message);
    }
    // A scope label the count query reads must be in both scopes, like the query's.
    const verification = await call(
      'POST',
      '/api/v1/verifications',
      {
        application: 'web',
        executionId: 'e',
        stageId: 's',
        template: { metrics: [{ ...metric, countQuery: 'sum(rate(x_count{pod="${scope.pod}"}[1m]))' }] },
        baseline: { namespace: 'prod' },
        canary: { namespace: 'prod', pod: 'web-v2' },
        lifetimeMs: 60_000,
      },
      serviceHeaders(),
    );
    expect(verification.status).toBe(400);
    expect(verification.body!.field).toBe('body.baseline.pod');
  });

  it('documents countQuery beside query, with the same placeholder pattern', async () => {
    const document = (await call('GET', '/openapi.json', undefined, {})).body!;
    const found: LooseJson[] = [];
    const visit = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object') {
        const object = node as LooseJson;
        if (object.properties?.countQuery && object.properties?.query) found.push(object.properties);
        Object.values(object).forEach(visit);
      }
    };
    visit(document);
    expect(found.length).toBeGreaterThan(0);
    for (const properties of found) {
      expect(properties.countQuery.pattern).toBe(properties.query.pattern);
      expect(properties.countQuery.description).toMatch(/same scope, step and window/);
    }
  });

  it('refuses a metric naming an unknown provider account, naming the field', async () => {
    const response = await call('POST', '/api/v1/templates', {
      name: 'x',
      metrics: [{ name: 'm', query: 'up', provider: 'datadog-eu' }],
    });
    expect(response.status).toBe(400);
    expect(response.body!.field).toBe('body.metrics.0.provider');
  });

  it('refuses a scope value the query cannot hold where the template puts it, naming the label', async () => {
    const payload = {
      application: 'web',
      executionId: 'e',
      stageId: 's',
      template: { metrics: [{ name: 'm', query: 'up{pod=`${scope.pod}`}' }] },
      baseline: { pod: 'web-v1' },
      canary: { pod: 'web`} or up{app=`billing' },
      startTime: null,
      lifetimeMs: 60_000,
      intervalMs: null,
      thresholds: null,
      judge: null,
    };
    const response = await call('POST', '/api/v1/verifications', payload, serviceHeaders());
    expect(response.status).toBe(400);
    expect(response.body!.errors).toEqual([
      {
        path: 'body.canary.pod',
        message: expect.stringMatching(/^metric m: prom: scope label pod: the value .* holds `/),
      },
    ]);
  });

  it('refuses a verification whose template reads a scope label the scopes lack, and a too-long interval', async () => {
    const payload = {
      application: 'web',
      executionId: 'e',
      stageId: 's',
      template: { metrics: [{ name: 'm', query: 'up{pod=~"${scope.pod}"}' }] },
      baseline: { namespace: 'prod' },
      canary: { namespace: 'prod', pod: 'web-v2' },
      startTime: null,
      lifetimeMs: 60_000,
      intervalMs: 120_000,
      thresholds: null,
      judge: null,
    };
    const response = await call('POST', '/api/v1/verifications', payload, serviceHeaders());
    expect(response.status).toBe(400);
    expect(response.body!.errors.map((e: { path: string }) => e.path)).toEqual([
      'body.baseline.pod',
      'body.intervalMs',
    ]);
    const ancient = await call(
      'POST',
      '/api/v1/verifications',
      {
        ...payload,
        baseline: { namespace: 'prod', pod: 'web-v1' },
        intervalMs: null,
        startTime: '2001-01-01T00:00:00Z',
      },
      serviceHeaders(),
    );
    expect(ancient.status).toBe(400);
    expect(ancient.body!.field).toBe('body.startTime');
    const userCancel = await call(
      'POST',
      '/api/v1/verifications/00000000-0000-4000-8000-000000000000/cancel',
      {},
      gateHeaders('alice'),
    );
    expect(userCancel.status).toBe(401);
    const unauthenticated = await call('POST', '/api/v1/verifications', payload, {
      'content-type': 'application/json',
    });
    expect(unauthenticated.status).toBe(401);
    expect((await call('GET', '/api/v1/verifications/not-a-uuid', undefined, serviceHeaders())).body!.field).toBe(
      'path.id',
    );
    expect(
      (await call('GET', '/api/v1/verifications/00000000-0000-4000-8000-000000000000', undefined, serviceHeaders()))
        .status,
    ).toBe(404);
  });

  it('publishes every route in the OpenAPI document', async () => {
    const response = await call('GET', '/openapi.json', undefined, {});
    expect(response.status).toBe(200);
    const paths = Object.keys(response.body!.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/verifications',
        '/api/v1/verifications/{id}',
        '/api/v1/verifications/{id}/cancel',
        '/api/v1/verifications/{id}/report',
        '/api/v1/templates',
        '/api/v1/templates/import/{format}',
        '/api/v1/log-templates',
        '/api/v1/log-templates/{name}/versions/{version}',
        '/api/v1/log-templates/import/{format}',
        '/api/v1/applications/{application}/log-marks',
        '/api/v1/applications/{application}/log-marks/{clusterKey}',
      ]),
    );
  });

  // Found by fuzzing: a `version` parameter was listed for paths that have none.
  it("lists exactly each path's own parameters", async () => {
    const response = await call('GET', '/openapi.json', undefined, {});
    const documented = response.body!.paths as Record<
      string,
      Record<string, { parameters: { in: string; name: string }[] }>
    >;
    for (const [path, operations] of Object.entries(documented)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      for (const operation of Object.values(operations))
        expect([
          path,
          operation.parameters
            .filter((p) => p.in === 'path')
            .map((p) => p.name)
            .sort(),
        ]).toEqual([path, inPath]);
    }
    expect(documented['/api/v1/templates']!.post!).toHaveProperty(
      'requestBody.content.application/json.schema.required',
      ['name', 'metrics'],
    );
  });
});
