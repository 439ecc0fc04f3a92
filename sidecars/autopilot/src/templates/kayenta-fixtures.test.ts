// Every canary config published in Kayenta's repository (fixtures/kayenta, see its README) either imports
// with the query Kayenta's own query builder would send for the same scope, or is refused naming the field.
// The expected queries are written from Kayenta's source: PrometheusMetricsService.buildQuery/addScopeFilter
// (labelBindings, custom filter tokens first, gce_instance / aws_ec2_instance scope filters, avg(), by (…)),
// DatadogMetricsService.buildQuery, NewRelicQueryBuilderService.buildQueryFromSelectAndQ,
// GraphiteMetricsService.buildQuery, InfluxDbQueryBuilder.build (its unit test's cases), and
// QueryConfigUtils.expandCustomFilter (templates, `$\{` unescaping, extendedScopeParams as variables).
import fs from 'node:fs';
import path from 'node:path';
import { createDatadogProvider } from '../providers/datadog';
import { createGraphiteProvider } from '../providers/graphite';
import { createInfluxdbProvider } from '../providers/influxdb';
import { createNewRelicProvider } from '../providers/newrelic';
import { createPrometheusProvider } from '../providers/prometheus';
import { createSignalFxProvider } from '../providers/signalfx';
import { createStackdriverProvider } from '../providers/stackdriver';
import { createWavefrontProvider } from '../providers/wavefront';
import { importKayentaConfig } from './import';
import { expandQuery, type Template } from './template';

type Json = Record<string, unknown>;
const FIXTURES = path.join(__dirname, 'fixtures', 'kayenta');
const fixture = (name: string): Json => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Json;

const providers = {
  prometheus: createPrometheusProvider('prometheus', { url: 'http://127.0.0.1:9', timeoutMs: 1000 }),
  datadog: createDatadogProvider('datadog', {
    url: 'http://127.0.0.1:9',
    apiKey: 'k',
    applicationKey: 'a',
    timeoutMs: 1000,
  }),
  newrelic: createNewRelicProvider('newrelic', {
    url: 'http://127.0.0.1:9',
    apiKey: 'k',
    accountId: 1,
    timeoutMs: 1000,
  }),
  graphite: createGraphiteProvider('graphite', { url: 'http://127.0.0.1:9', timeoutMs: 1000 }),
  influxdb: createInfluxdbProvider('influxdb', { url: 'http://127.0.0.1:9', database: 'db', timeoutMs: 1000 }),
  stackdriver: createStackdriverProvider('stackdriver', {
    url: 'http://127.0.0.1:9',
    tokenUrl: 'http://127.0.0.1:9/token',
    projectId: 'p',
    clientEmail: 'a@p.iam.gserviceaccount.com',
    privateKey: 'unused',
    timeoutMs: 1000,
  }),
  signalfx: createSignalFxProvider('signalfx', { url: 'http://127.0.0.1:9', accessToken: 't', timeoutMs: 1000 }),
  wavefront: createWavefrontProvider('wavefront', { url: 'http://127.0.0.1:9', apiToken: 't', timeoutMs: 1000 }),
};

/** The query a verification sends for metric `index` with these scope labels (Kayenta's scope variables). */
function sent(template: Template, index: number, scope: Record<string, string>): string {
  const metric = template.metrics[index]!;
  const provider = providers[metric.provider as keyof typeof providers];
  return expandQuery(metric.query, scope, provider, 60);
}

function refusalIssues(config: unknown): Array<{ path: string; message: string }> {
  try {
    importKayentaConfig(config);
  } catch (error) {
    return (error as { issues: Array<{ path: string; message: string }> }).issues;
  }
  throw new Error('the import was not refused');
}
const refusal = (config: unknown) => refusalIssues(config).map((issue) => issue.path);

describe('every published Kayenta canary config', () => {
  it('covers every fixture file', () => {
    expect(fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).length).toBe(14);
  });

  it('integration-test-cpu: custom filter template with an extendedScopeParams variable', () => {
    const template = importKayentaConfig(fixture('integration-tests-prometheus-cpu.json'));
    expect(sent(template, 0, { scope: 'myapp-canary', namespace: 'prod' })).toBe(
      "avg(integration_test_cpu{namespace='prod', scope='myapp-canary'})",
    );
    expect(template.metrics[0]).toMatchObject({ critical: true, direction: 'increase', groups: ['pod-group'] });
    expect(template.description).toMatch(/scoreThresholds pass 75, marginal 50/);
  });

  it('muted-metric: both metrics, the muted flag kept', () => {
    const template = importKayentaConfig(fixture('integration-tests-prometheus-muted-metric.json'));
    const scope = { scope: 'myapp-baseline', namespace: 'ns' };
    expect(sent(template, 0, scope)).toBe("avg(integration_failing_metric{namespace='ns', scope='myapp-baseline'})");
    expect(sent(template, 1, scope)).toBe("avg(integration_successful_metric{namespace='ns', scope='myapp-baseline'})");
    expect(template.metrics.map((m) => m.muted)).toEqual([true, false]);
  });

  it('scratch prometheus config: refused naming the fields Kayenta would ignore or fail on', () => {
    expect(refusal(fixture('scratch-prometheus.json')).sort()).toEqual(
      [
        'judge.name',
        'metrics.0.query.aggregationPeriod',
        'metrics.0.query.resourceType',
        'metrics.0.query.sumByFields',
      ].sort(),
    );
  });

  it('scratch prometheus config, once importable: labelBindings and the gce_instance / aws_ec2_instance scope filters', () => {
    const raw = fixture('scratch-prometheus.json');
    const metric = (raw.metrics as Json[])[0]!;
    const { aggregationPeriod: _a, sumByFields: _s, ...query } = metric.query as Json;
    const fixed = (extra: Json) => ({
      ...raw,
      judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
      metrics: [{ ...metric, query: { ...query, ...extra } }],
    });
    const gce = importKayentaConfig(fixed({ resourceType: 'gce_instance' }));
    expect(sent(gce, 0, { scope: 'myapp-v010', location: 'us-central1', project: 'my-project' })).toBe(
      'avg(node_cpu{mode=~"user|system",job="node",instance=~"myapp-v010-.{4}",zone=~".+/projects/my-project/zones/us-central1-.{1}"})',
    );
    const aws = importKayentaConfig(fixed({ resourceType: 'aws_ec2_instance', groupByFields: ['mode', 'job'] }));
    expect(sent(aws, 0, { scope: 'myapp-v010', location: 'us-east-1' })).toBe(
      'avg(node_cpu{mode=~"user|system",job="node",asg_groupName="myapp-v010",zone=~"us-east-1.{1}"}) by (mode,job)',
    );
    expect(refusal(fixed({ resourceType: 'k8s_container' }))).toEqual(['metrics.0.query.resourceType']);
  });

  it('custom inline templates: PromQL as the whole query, otherwise filter tokens before labelBindings', () => {
    const base = fixture('integration-tests-prometheus-cpu.json');
    const withQuery = (query: Json) => ({
      ...base,
      metrics: [{ ...(base.metrics as Json[])[0]!, query: { type: 'prometheus', ...query } }],
    });
    const promql = importKayentaConfig(
      withQuery({ customInlineTemplate: 'PromQL:sum(rate(http_requests_total{app="$\\{scope}"}[1m]))' }),
    );
    expect(sent(promql, 0, { scope: 'web' })).toBe('sum(rate(http_requests_total{app="web"}[1m]))');
    const filter = importKayentaConfig(
      withQuery({
        metricName: 'http_requests_total',
        customInlineTemplate: 'app="${scope}",region="${location}"',
        labelBindings: ['code=~"5.."'],
        groupByFields: ['code'],
      }),
    );
    expect(sent(filter, 0, { scope: 'web', location: 'eu-west-1' })).toBe(
      'avg(http_requests_total{app="web",region="eu-west-1",code=~"5.."}) by (code)',
    );
    expect(refusal(withQuery({ metricName: 'x', customFilter: 'app="a"' }))).toEqual([
      'metrics.0.query.customFilter',
      'metrics.0.query.resourceType',
    ]);
  });

  it('scratch newrelic config: SELECT … WHERE scope, as NewRelicQueryBuilderService builds it', () => {
    const template = importKayentaConfig(fixture('scratch-newrelic.json'));
    const scope = { build_version: 'v2' };
    expect(template.metrics.map((_, i) => sent(template, i, scope))).toEqual([
      "SELECT apdex(duration, 0.2) FROM Transaction WHERE `build_version` = 'v2'",
      "SELECT average(totalTime*1000) WHERE `build_version` = 'v2'",
      "SELECT percentage(count(*), WHERE error IS true) FROM Transaction WHERE `build_version` = 'v2'",
      "SELECT average(databaseDuration*1000) FROM Transaction WHERE `build_version` = 'v2'",
    ]);
    expect(template.metrics.map((m) => m.nanStrategy)).toEqual(['remove', 'remove', 'replace', 'remove']);
  });

  it('scratch newrelic ad-hoc canary: q before the scope, extendedScopeParams as scope labels', () => {
    const adhoc = fixture('scratch-newrelic-adhoc.json');
    const template = importKayentaConfig(adhoc.canaryConfig);
    // Kayenta: … WHERE httpResponseCode >= '500' AND appName LIKE 'PROD - MyComponent' AND build_version LIKE ''
    expect(sent(template, 0, { appName: 'PROD - MyComponent', build_version: 'v1' })).toBe(
      "SELECT count(*)/uniqueCount(host) FROM Transaction WHERE httpResponseCode >= '500' AND `appName` = 'PROD - MyComponent' AND `build_version` = 'v1'",
    );
    expect(template.groupWeights).toEqual({ err: 70, app: 30 });
  });

  it('graphite integration tests: metricName with $scope replaced by the scope, as GraphiteMetricsService does', () => {
    const integration = importKayentaConfig(fixture('graphite-integration-test.json'));
    expect(integration.metrics[0]).toMatchObject({ provider: 'graphite', direction: 'increase' });
    expect(sent(integration, 0, { scope: 'myapp-canary' })).toBe('test.server.request.400.myapp-canary');
    const cpu = importKayentaConfig(fixture('integration-tests-graphite-cpu.json'));
    expect(sent(cpu, 0, { scope: 'myapp-baseline' })).toBe('integrationTestCpu.namespace.*.scope.myapp-baseline');
    expect(cpu.groupWeights).toEqual({ 'Integration Test Group': 100 });
  });

  it('graphite sample config: refused for its services block and weightless group, once fixed the target is metricName', () => {
    const raw = fixture('graphite-sample-config.json');
    expect(refusal(raw)).toEqual(['services']);
    const { services: _services, ...withoutServices } = raw;
    // Its classifier weighs a group "requests" that no metric is in.
    expect(refusal(withoutServices)).toEqual(['groupWeights.requests']);
    const rest: Json = { ...withoutServices, classifier: { groupWeights: { system: 100 } } };
    const template = importKayentaConfig(rest);
    expect(sent(template, 0, { scope: 'web-v2' })).toBe('system.cpu.user');
    // Every occurrence of $scope, then of $location, is replaced (Java's String.replace).
    const located = importKayentaConfig({
      ...rest,
      metrics: [
        { ...(rest.metrics as Json[])[0]!, query: { type: 'graphite', metricName: 'a.$location.$scope.$scope' } },
      ],
    });
    expect(sent(located, 0, { scope: 'web-v2', location: 'us-east-1' })).toBe('a.us-east-1.web-v2.web-v2');
    const withQuery = (query: Json) => ({ ...rest, metrics: [{ ...(rest.metrics as Json[])[0]!, query }] });
    expect(refusal(withQuery({ type: 'graphite' }))).toEqual(['metrics.0.query.metricName']);
    expect(refusal(withQuery({ type: 'graphite', metricName: 'a.${b}' }))).toEqual(['metrics.0.query.metricName']);
    expect(refusal(withQuery({ type: 'graphite', metricName: 'a.b', customInlineTemplate: 'x' }))).toEqual([
      'metrics.0.query.customInlineTemplate',
    ]);
  });

  describe('influxdb: the cases of Kayenta’s InfluxdbQueryBuilderTest', () => {
    // Kayenta writes the window as literal instants; ISD binds the same instants as $start and $end.
    const kayentaWindow = (query: string) =>
      query.replace('$start', "'2010-01-01T12:00:00Z'").replace('$end', "'2010-01-01T12:01:40Z'");
    const config = (query: Json) => ({
      name: 'influx',
      judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
      metrics: [{ name: 'temperature', query: { type: 'influxdb', ...query }, groups: ['g'], scopeName: 'default' }],
      classifier: { groupWeights: { g: 100 } },
    });
    const scope = { server: 'myapp-prod-v002' }; // Kayenta's scope "server:myapp-prod-v002"
    const influxSent = (query: Json) => kayentaWindow(sent(importKayentaConfig(config(query)), 0, scope));

    it('fields, or *::field without them, FROM the measurement WHERE time filter AND scope', () => {
      expect(influxSent({ metricName: 'temperature', fields: ['external', 'internal'] })).toBe(
        "SELECT external, internal FROM temperature WHERE time >= '2010-01-01T12:00:00Z' AND time < '2010-01-01T12:01:40Z' AND server = 'myapp-prod-v002'",
      );
      expect(influxSent({ metricName: 'temperature' })).toBe(
        "SELECT *::field FROM temperature WHERE time >= '2010-01-01T12:00:00Z' AND time < '2010-01-01T12:01:40Z' AND server = 'myapp-prod-v002'",
      );
    });

    it('customInlineTemplate, stored escaped or not, with ${timeFilter}, ${scope} and ${step} filled', () => {
      expect(
        influxSent({
          customInlineTemplate:
            "SELECT count FROM measurement WHERE label1 = 'value1' AND $\\{timeFilter} AND $\\{scope}",
        }),
      ).toBe(
        "SELECT count FROM measurement WHERE label1 = 'value1' AND time >= '2010-01-01T12:00:00Z' AND time < '2010-01-01T12:01:40Z' AND server = 'myapp-prod-v002'",
      );
      expect(
        influxSent({
          customInlineTemplate: 'SELECT sum(count) FROM cpu WHERE ${scope} AND ${timeFilter} GROUP BY time(${step})',
        }),
      ).toBe(
        "SELECT sum(count) FROM cpu WHERE server = 'myapp-prod-v002' AND time >= '2010-01-01T12:00:00Z' AND time < '2010-01-01T12:01:40Z' GROUP BY time(60s)",
      );
    });

    it('refuses what Kayenta refuses, naming the field', () => {
      const refused = (query: Json) => refusalIssues(config(query));
      expect(refused({ customInlineTemplate: 'SELECT count FROM measurement' })).toEqual([
        {
          path: 'metrics.0.query.customInlineTemplate',
          message: 'Kayenta requires ${timeFilter} and ${scope} in the query',
        },
      ]);
      expect(
        refused({
          customInlineTemplate:
            'SELECT sum(count) FROM web_requests WHERE $\\{scope} AND $\\{timeFilter} GROUP BY time(1m); DROP DATABASE metrics',
        }),
      ).toEqual([{ path: 'metrics.0.query.customInlineTemplate', message: 'Kayenta refuses a query holding ";"' }]);
      expect(
        refused({ customInlineTemplate: "'SELECT count FROM web_requests WHERE ${scope} AND ${timeFilter}' or 1=1--" }),
      ).toEqual([{ path: 'metrics.0.query.customInlineTemplate', message: 'Kayenta refuses a query holding "--"' }]);
      expect(refused({ metricName: 'm', fields: ['a', 'SHOW SERIES'] })).toEqual([
        { path: 'metrics.0.query.fields', message: 'Kayenta refuses a query holding "SHOW SERIES"' },
      ]);
      expect(refused({ fields: ['a'] }).map((issue) => issue.path)).toEqual(['metrics.0.query.metricName']);
      expect(refused({ metricName: 'm', fields: 'a' }).map((issue) => issue.path)).toEqual(['metrics.0.query.fields']);
      expect(
        refused({ customInlineTemplate: 'SELECT a FROM m WHERE ${scope} AND ${timeFilter} AND x = ${other}' }),
      ).toEqual([
        {
          path: 'metrics.0.query.customInlineTemplate',
          message: 'Kayenta fills only ${timeFilter}, ${scope} and ${step}, not ${other}',
        },
      ]);
      expect(refused({ metricName: 'm', labelBindings: ['a'] }).map((issue) => issue.path)).toEqual([
        'metrics.0.query.labelBindings',
      ]);
    });
  });

  it.each([
    ['atlas-sample-config.json', 'atlas'],
    ['scratch-atlas.json', 'atlas'],
    ['judge-test-config.json', 'atlas'],
  ])('%s: refused naming the unsupported %s store of every metric', (file, store) => {
    const config = fixture(file);
    const issues = refusalIssues(config);
    (config.metrics as Json[]).forEach((_, index) =>
      expect(issues).toContainEqual({
        path: `metrics.${index}.query.type`,
        message: expect.stringContaining(`"${store}" is not supported`),
      }),
    );
  });

  it('signalfx integration test: custom programs as Kayenta expands them, simple programs as SimpleSignalFlowProgramBuilder builds them', () => {
    const template = importKayentaConfig(fixture('signalfx-integration-test.json'));
    const custom = { scope: 'web-v2', location: 'us-west-2' };
    expect(sent(template, 0, custom)).toBe(
      "data('kayenta.integration-test.cpu.avg', filter=filter('canary-scope', 'web-v2') and filter('location', 'us-west-2')).mean(by=['location', 'canary-scope']).publish()",
    );
    expect(sent(template, 1, custom)).toBe(
      "data('kayenta.integration-test.request.count', filter=filter('uri', '/v1/some-endpoint') and filter('status_code', '4*') and filter('canary-scope', 'web-v2') and filter('location', 'us-west-2')).mean(by=['location', 'canary-scope']).publish()",
    );
    // Kayenta: filter(scopeKey, scope) and filter(locationKey, location); here the scope labels are those keys.
    const simple = { 'canary-scope': 'web-v2', location: 'us-west-2' };
    expect(sent(template, 2, simple)).toBe(
      "data('kayenta.integration-test.errors.count', filter=filter('canary-scope', 'web-v2') and filter('location', 'us-west-2')).sum().publish()",
    );
    expect(template.metrics.map((m) => [m.provider, m.critical, m.nanStrategy])).toEqual([
      ['signalfx', false, 'remove'],
      ['signalfx', true, 'remove'],
      ['signalfx', true, 'replace'],
      ['signalfx', false, 'remove'],
    ]);
  });

  it('signalfx query pairs: negated and multi-valued filters before the scope, aggregation method kept', () => {
    const base = fixture('signalfx-integration-test.json');
    const metric = (base.metrics as Json[])[2]!;
    const withQuery = (query: Json) => ({ ...base, metrics: [{ ...metric, query: { type: 'signalfx', ...query } }] });
    const template = importKayentaConfig(
      withQuery({
        metricName: 'requests',
        aggregationMethod: 'max',
        queryPairs: [
          { key: 'status', value: '500,503' },
          { key: '!uri', value: '/health' },
        ],
      }),
    );
    expect(sent(template, 0, { app: 'web' })).toBe(
      "data('requests', filter=filter('status', '500','503') and (not filter('uri', '/health')) and filter('app', 'web')).max().publish()",
    );
    expect(refusal(withQuery({ queryPairs: [{ key: 'a', value: 'b' }] }))).toEqual(['metrics.0.query.metricName']);
    expect(refusal(withQuery({ metricName: 'm', queryPairs: [{ key: 'a' }], filter: 'x' }))).toEqual([
      'metrics.0.query.filter',
      'metrics.0.query.queryPairs.0',
    ]);
  });

  it('scratch stackdriver config: refused naming the judge and the resourceType the run would have to give', () => {
    expect(refusal(fixture('scratch-stackdriver.json'))).toEqual(['judge.name', 'metrics.0.query.resourceType']);
  });

  it('stackdriver, once importable: the filter StackdriverMetricsService.buildQuery sends, aggregation as clauses', () => {
    const raw = fixture('scratch-stackdriver.json');
    const metric = (raw.metrics as Json[])[0]!;
    const fixed = (extra: Json) => ({
      ...raw,
      judge: { name: 'NetflixACAJudge-v1.0' },
      metrics: [{ ...metric, query: { ...(metric.query as Json), ...extra } }],
    });
    const gce = importKayentaConfig(fixed({ resourceType: 'gce_instance' }));
    expect(sent(gce, 0, { scope: 'myapp-v010', location: 'us-central1', project: 'my-project' })).toBe(
      'metric.type="compute.googleapis.com/instance/cpu/utilization" AND resource.type=gce_instance AND project=my-project AND metadata.user_labels."spinnaker-region"=us-central1 AND metadata.user_labels."spinnaker-server-group"=myapp-v010',
    );
    const aws = importKayentaConfig(
      fixed({
        resourceType: 'aws_ec2_instance',
        perSeriesAligner: 'ALIGN_RATE',
        crossSeriesReducer: 'REDUCE_SUM',
        groupByFields: ['resource.labels.zone'],
      }),
    );
    expect(sent(aws, 0, { scope: 'myapp-v010', location: 'us-east-1' })).toBe(
      'metric.type="compute.googleapis.com/instance/cpu/utilization" AND resource.type=aws_ec2_instance AND resource.labels.region="aws:us-east-1" AND metadata.user_labels."aws:autoscaling:groupname"=myapp-v010 | perSeriesAligner=ALIGN_RATE | crossSeriesReducer=REDUCE_SUM | groupByFields=resource.labels.zone',
    );
    const k8s = importKayentaConfig(
      fixed({ resourceType: 'k8s_container', customInlineTemplate: 'resource.labels.namespace_name="${namespace}"' }),
    );
    expect(sent(k8s, 0, { namespace: 'prod' })).toBe(
      'metric.type="compute.googleapis.com/instance/cpu/utilization" AND resource.type=k8s_container AND resource.labels.namespace_name="prod"',
    );
    const global = importKayentaConfig(fixed({ resourceType: 'global' }));
    expect(global.metrics[0]!.query).toBe(
      'metric.type="compute.googleapis.com/instance/cpu/utilization" AND resource.type=global',
    );
    expect(refusal(fixed({ resourceType: 'k8s_container' }))).toEqual(['metrics.0.query.resourceType']);
    expect(refusal(fixed({ resourceType: 'global', perSeriesAligner: 'align mean' }))).toEqual([
      'metrics.0.query.perSeriesAligner',
    ]);
  });

  it('wavefront: ts(metricName, scope) in the aggregate, as WavefrontMetricsService.buildQuery sends it', () => {
    const base = fixture('signalfx-integration-test.json');
    const metric = (base.metrics as Json[])[3]!;
    const withQuery = (query: Json) => ({ ...base, metrics: [{ ...metric, query: { type: 'wavefront', ...query } }] });
    const template = importKayentaConfig(
      withQuery({ metricName: 'request.latency', aggregate: 'avg', summarization: 'MEAN' }),
    );
    expect(sent(template, 0, { scope: 'env="prod" and app="web-v2"' })).toBe(
      'avg(ts(request.latency, env="prod" and app="web-v2")) | summarization=MEAN',
    );
    expect(importKayentaConfig(withQuery({ metricName: 'cpu' })).metrics[0]!.query).toBe('ts(cpu, ${scope.scope})');
    expect(refusal(withQuery({ metricName: 'cpu', summarization: 'AVERAGE', customInlineTemplate: 'x' }))).toEqual([
      'metrics.0.query.customInlineTemplate',
      'metrics.0.query.summarization',
    ]);
  });

  it('duplicated-metric-name: refused, its metrics have no query', () => {
    expect(refusal(fixture('web-duplicated-metric-name.json'))).toEqual([
      'metrics.0.query.type',
      'metrics.1.query.type',
    ]);
  });
});
