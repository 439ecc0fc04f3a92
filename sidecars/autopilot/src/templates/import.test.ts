// Imports of Kayenta canary configs and OpsMx metric templates into the ISD template model.
import { importKayentaConfig, importOpsmxTemplate } from './import';
import { parseTemplateYaml } from './yaml-files';

/** Shaped like the Prometheus example of Kayenta's docs/canary-config.md (metrics, templates, classifier). */
const kayentaConfig = {
  name: 'my-prometheus-canary',
  description: 'Latency and errors',
  configVersion: '1.0',
  applications: ['web'],
  judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
  metrics: [
    {
      name: 'cpu',
      query: { type: 'prometheus', metricName: 'container_cpu_usage_seconds_total', customFilterTemplate: 'by-pod' },
      groups: ['system'],
      analysisConfigurations: {
        canary: {
          direction: 'increase',
          nanStrategy: 'replace',
          critical: true,
          effectSize: { allowedIncrease: 1.1, criticalIncrease: 2 },
          outliers: { strategy: 'remove', outlierFactor: 2.5 },
        },
      },
      scopeName: 'default',
    },
    {
      name: 'errors',
      query: {
        type: 'prometheus',
        customInlineTemplate: 'PromQL:sum(rate(http_requests_total{status=~"5..",pod=~"${scope}.*"}[1m]))',
      },
      groups: ['errors'],
      analysisConfigurations: { canary: { direction: 'increase', mustHaveData: true } },
      scopeName: 'default',
    },
    {
      name: 'dd-latency',
      query: { type: 'datadog', metricName: 'avg:trace.http.request.duration' },
      groups: ['latency'],
      analysisConfigurations: { canary: {} },
    },
    {
      name: 'nr-throughput',
      query: { type: 'newrelic', select: 'SELECT count(*) FROM Transaction', q: "appName = 'web'" },
      groups: ['latency'],
      analysisConfigurations: { canary: { direction: 'decrease' } },
    },
  ],
  templates: { 'by-pod': 'pod=~"${scope}.*",namespace="${location}"' },
  classifier: { groupWeights: { system: 30, errors: 50, latency: 20 } },
};

describe('Kayenta canary config import', () => {
  it('keeps metrics, groups, weights and analysis settings, and turns queries into ISD queries', () => {
    const template = importKayentaConfig(kayentaConfig);
    expect(template).toMatchObject({
      name: 'my-prometheus-canary',
      description: 'Latency and errors',
      judge: 'kayenta',
      groupWeights: { system: 30, errors: 50, latency: 20 },
    });
    const [cpu, errors, latency, throughput] = template.metrics;
    expect(cpu).toMatchObject({
      name: 'cpu',
      provider: 'prometheus',
      query: 'avg(container_cpu_usage_seconds_total{pod=~"${scope.scope}.*",namespace="${scope.location}"})',
      groups: ['system'],
      direction: 'increase',
      critical: true,
      nanStrategy: 'replace',
      effectSize: { allowedIncrease: 1.1, criticalIncrease: 2 },
      outliers: { strategy: 'remove', factor: 2.5 },
    });
    expect(errors).toMatchObject({
      query: 'sum(rate(http_requests_total{status=~"5..",pod=~"${scope.scope}.*"}[1m]))',
      mustHaveData: true,
    });
    expect(latency).toMatchObject({
      provider: 'datadog',
      query: 'avg:trace.http.request.duration{${scope.scope}}',
      direction: 'either',
    });
    expect(throughput).toMatchObject({
      provider: 'newrelic',
      query: "SELECT count(*) FROM Transaction WHERE appName = 'web' AND ${scope}",
      direction: 'decrease',
    });
  });

  it('names the field of what it cannot import', () => {
    const atlas = {
      ...kayentaConfig,
      metrics: [{ name: 'x', query: { type: 'atlas', q: 'name,cpu,:eq' }, groups: [] }],
    };
    expect(() => importKayentaConfig(atlas)).toThrow(
      expect.objectContaining({
        issues: [{ path: 'metrics.0.query.type', message: expect.stringMatching(/"atlas" is not supported/) }],
      }),
    );
    // Names of Object.prototype members are unsupported types, not Object.prototype's (was a 500).
    for (const type of ['constructor', '__proto__', 'toString'])
      expect(() =>
        importKayentaConfig({ ...kayentaConfig, metrics: [{ name: 'x', query: { type }, groups: [] }] }),
      ).toThrow(
        expect.objectContaining({
          issues: [{ path: 'metrics.0.query.type', message: expect.stringMatching(/is not supported/) }],
        }),
      );
    const missingFilter = { ...kayentaConfig, templates: {} };
    expect(() => importKayentaConfig(missingFilter)).toThrow(
      expect.objectContaining({
        issues: expect.arrayContaining([expect.objectContaining({ path: 'metrics.0.query.customFilterTemplate' })]),
      }),
    );
    // Kayenta reads any other spelling (`none`, `Replace`) as its default: refused, not judged differently.
    const withCanary = (canary: object) => ({
      ...kayentaConfig,
      metrics: [{ ...kayentaConfig.metrics[0], analysisConfigurations: { canary } }],
    });
    for (const nanStrategy of ['zero', 'none', 'Replace'])
      expect(() => importKayentaConfig(withCanary({ nanStrategy }))).toThrow(
        expect.objectContaining({
          issues: [
            {
              path: 'metrics.0.analysisConfigurations.canary.nanStrategy',
              message: `must be remove or replace (Kayenta would read "${nanStrategy}" as remove)`,
            },
          ],
        }),
      );
    expect(() => importKayentaConfig(withCanary({ outliers: { strategy: 'Remove' } }))).toThrow(
      expect.objectContaining({
        issues: [
          {
            path: 'metrics.0.analysisConfigurations.canary.outliers.strategy',
            message: 'must be remove or keep (Kayenta would read "Remove" as keep)',
          },
        ],
      }),
    );
  });
});

/** OpsMx/Argo-MetricProvider-Job testcases/gitops/PrometheusMetricTemplate, as published. */
const opsmxTemplate = {
  filterKey: '${namespace_key},${pod_key},${app_name}',
  data: {
    percent_diff_threshold: 'hard',
    isNormalize: false,
    groups: [
      {
        metrics: [
          {
            accountName: 'isd312-saas-prom',
            riskDirection: 'HigherOrLower',
            customThresholdHigher: 100,
            customThresholdLower: 100,
            name: 'sum(container_memory_usage_bytes{namespace="${namespace_key}", pod=~".*${pod_key}.*"})',
          },
        ],
        group: 'Memory Usage By Pod Name',
      },
    ],
  },
  templateName: 'PrometheusMetricTemplate',
  metricProvider: 'PROMETHEUS',
};

describe('OpsMx metric template import', () => {
  it('maps groups, the query variables, risk direction and percentage thresholds', () => {
    const template = importOpsmxTemplate(opsmxTemplate);
    expect(template.name).toBe('PrometheusMetricTemplate');
    expect(template.groupWeights).toEqual({ 'Memory Usage By Pod Name': 100 });
    expect(template.metrics[0]).toMatchObject({
      name: 'Memory Usage By Pod Name: sum(container_memory_usage_bytes{namespace="${namespace_key}", pod=~".*${pod_key}.*"})',
      provider: 'isd312-saas-prom',
      query: 'sum(container_memory_usage_bytes{namespace="${scope.namespace_key}", pod=~".*${scope.pod_key}.*"})',
      groups: ['Memory Usage By Pod Name'],
      direction: 'either',
      effectSize: { measure: 'meanRatio', allowedIncrease: 2, allowedDecrease: 0 },
    });
  });

  it('names the field of a bad risk direction or threshold', () => {
    const bad = JSON.parse(JSON.stringify(opsmxTemplate)) as typeof opsmxTemplate & {
      data: { groups: Array<{ metrics: Array<Record<string, unknown>> }> };
    };
    bad.data.groups[0]!.metrics[0]!.riskDirection = 'Sideways';
    bad.data.groups[0]!.metrics[0]!.customThresholdHigher = -5;
    expect(() => importOpsmxTemplate(bad)).toThrow(
      expect.objectContaining({
        issues: [
          { path: 'data.groups.0.metrics.0.riskDirection', message: 'must be Higher, Lower or HigherOrLower' },
          { path: 'data.groups.0.metrics.0.customThresholdHigher', message: 'must be a percentage ≥ 0' },
        ],
      }),
    );
    bad.data.groups[0]!.metrics[0]!.riskDirection = 'constructor';
    bad.data.groups[0]!.metrics[0]!.customThresholdHigher = 5;
    expect(() => importOpsmxTemplate(bad)).toThrow(
      expect.objectContaining({
        issues: [{ path: 'data.groups.0.metrics.0.riskDirection', message: 'must be Higher, Lower or HigherOrLower' }],
      }),
    );
  });
});

describe('YAML templates', () => {
  it('reads a template with defaults filled', () => {
    const template = parseTemplateYaml(
      `name: http-golden-signals
stepSeconds: 30
groupWeights: {latency: 60, errors: 40}
metrics:
  - name: p90 latency
    query: histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket{\${scope}}[\${stepSeconds}s])))
    groups: [latency]
    direction: increase
  - name: errors
    query: sum(rate(http_requests_total{\${scope},code=~"5.."}[1m]))
    groups: [errors]
    direction: increase
    critical: true
    nanStrategy: replace
`,
      'golden.yml',
    );
    expect(template.metrics[1]).toMatchObject({
      critical: true,
      nanStrategy: 'replace',
      mustHaveData: false,
      muted: false,
    });
    expect(template.metrics[0]!.direction).toBe('increase');
  });

  it('names the file and the field of a bad template', () => {
    expect(() =>
      parseTemplateYaml(
        'name: x\nmetrics:\n  - name: a\n    query: up\n    effectSize: {allowedIncrease: -1}\n',
        't.yml',
      ),
    ).toThrow(
      expect.objectContaining({
        issues: [expect.objectContaining({ path: 't.yml:metrics.0.effectSize.allowedIncrease' })],
      }),
    );
    expect(() => parseTemplateYaml('name: x\nmetrics: [', 't.yml')).toThrow(/t.yml: not valid YAML/);
    expect(() =>
      parseTemplateYaml(
        'name: x\ngroupWeights: {a: 80, b: 30}\nmetrics:\n  - {name: a, query: up, groups: [a]}\n  - {name: b, query: up, groups: [b]}\n',
        't.yml',
      ),
    ).toThrow(
      expect.objectContaining({
        issues: [{ path: 't.yml:groupWeights', message: 'weights total 110, more than 100' }],
      }),
    );
  });
});
