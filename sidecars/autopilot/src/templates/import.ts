// Imports foreign template formats into the ISD template model: Kayenta canary configs (JSON, as
// stored by Kayenta's config API) and OpsMx Autopilot metric templates (as the Argo plugin posts them).
// Every problem is an InputError naming the field in the foreign document.
import { InputError, type FieldIssue } from '@isd/kit';
import { WAVEFRONT_SUMMARIZATIONS } from '../providers/wavefront';
import { parseTemplate, type Template } from './template';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(issues: FieldIssue[]): never {
  throw new InputError(`cannot import: ${issues[0]?.path}: ${issues[0]?.message}`, { code: 'invalid_import', issues });
}

function sanitizeName(raw: string): string {
  const cleaned = raw
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return cleaned || 'imported';
}

/**
 * Foreign variables become scope labels of the same name: OpsMx `${namespace_key}` → `${scope.namespace_key}`.
 * In Kayenta text `${scope}` is the scope's *value* (a server group), not a selector, so it becomes
 * `${scope.scope}` too (the verification then passes `{scope: 'web-v2'}`); OpsMx has no `${scope}`.
 */
function variablesToScopeLabels(text: string): string {
  return text.replace(/\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/g, (_whole, name: string) => `\${scope.${name}}`);
}

/** The text of a Kayenta filter template (`customFilterTemplate` names an entry of `templates{}`). */
function kayentaFilterTemplate(templates: Json, name: unknown, path: string, issues: FieldIssue[]): string | undefined {
  if (name === undefined || name === null || name === '') return undefined;
  const text = typeof name === 'string' ? templates[name] : undefined;
  if (typeof text !== 'string') {
    issues.push({ path, message: `names a filter template that is not in templates{}` });
    return undefined;
  }
  return text;
}

/** Kayenta stores `${` escaped as `$\{` in saved templates (QueryConfigUtils.escapeTemplates); undo it. */
const unescapeKayenta = (text: string) => text.replace(/\$\\\{/g, '${');

/** Fields of each Kayenta query config class (`serviceType` is the getter Jackson writes back out). */
const KAYENTA_QUERY_FIELDS: Record<string, readonly string[]> = {
  prometheus: [
    'type',
    'serviceType',
    'resourceType',
    'metricName',
    'labelBindings',
    'groupByFields',
    'customFilter',
    'customInlineTemplate',
    'customFilterTemplate',
  ],
  datadog: ['type', 'serviceType', 'metricName', 'customInlineTemplate', 'customFilterTemplate'],
  newrelic: ['type', 'serviceType', 'select', 'q', 'customInlineTemplate', 'customFilterTemplate'],
  graphite: ['type', 'serviceType', 'metricName'],
  influxdb: ['type', 'serviceType', 'metricName', 'fields', 'customInlineTemplate'],
  stackdriver: [
    'type',
    'serviceType',
    'resourceType',
    'metricType',
    'crossSeriesReducer',
    'perSeriesAligner',
    'groupByFields',
    'customFilter',
    'customInlineTemplate',
    'customFilterTemplate',
  ],
  signalfx: [
    'type',
    'serviceType',
    'metricName',
    'queryPairs',
    'aggregationMethod',
    'customInlineTemplate',
    'customFilterTemplate',
  ],
  wavefront: ['type', 'serviceType', 'metricName', 'summarization', 'aggregate'],
};
const KAYENTA_CONFIG_FIELDS = [
  'name',
  'id',
  'description',
  'configVersion',
  'applications',
  'judge',
  'metrics',
  'templates',
  'classifier',
  'createdTimestamp',
  'updatedTimestamp',
  'createdTimestampIso',
  'updatedTimestampIso',
];
const KAYENTA_METRIC_FIELDS = ['name', 'query', 'groups', 'analysisConfigurations', 'scopeName'];
const KAYENTA_CANARY_FIELDS = [
  'direction',
  'nanStrategy',
  'critical',
  'mustHaveData',
  'muted',
  'effectSize',
  'outliers',
];
const KAYENTA_EFFECT_FIELDS = ['measure', 'allowedIncrease', 'allowedDecrease', 'criticalIncrease', 'criticalDecrease'];
const KAYENTA_OUTLIER_FIELDS = ['strategy', 'outlierFactor'];
/** Kayenta's Prometheus `scopeLabel` default (PrometheusConfigurationProperties), used for gce_instance. */
const KAYENTA_PROMETHEUS_SCOPE_LABEL = 'instance';

/** Refuses every field of `object` that is not in `known`: nothing of a Kayenta config is dropped silently. */
function refuseUnknown(object: Json, known: readonly string[], path: string, what: string, issues: FieldIssue[]) {
  for (const key of Object.keys(object)) {
    if (!known.includes(key))
      issues.push({
        path: path ? `${path}.${key}` : key,
        message: `is not a field of ${what} (Kayenta ignores it; remove it to import)`,
      });
  }
}

function stringList(value: unknown, path: string, issues: FieldIssue[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    issues.push({ path, message: 'must be a list of strings' });
    return [];
  }
  return value as string[];
}

/**
 * The query Kayenta's PrometheusMetricsService.buildQuery sends, as an ISD query: a custom template
 * starting with `PromQL:` is the whole query; otherwise `avg(metricName{filters})` with the custom
 * filter's comma-separated tokens first and the labelBindings after them, or, without a custom filter, the
 * labelBindings then the resourceType's scope filters (gce_instance, aws_ec2_instance), then ` by (…)`.
 */
function kayentaPrometheusQuery(query: Json, custom: string | undefined, path: string, issues: FieldIssue[]) {
  const labelBindings = stringList(query.labelBindings, `${path}.labelBindings`, issues);
  const groupByFields = stringList(query.groupByFields, `${path}.groupByFields`, issues);
  if (custom !== undefined && custom.startsWith('PromQL:')) return custom.slice('PromQL:'.length);
  const metricName = typeof query.metricName === 'string' ? query.metricName : '';
  if (!metricName) {
    issues.push({
      path: `${path}.metricName`,
      message: 'a Prometheus query needs metricName, or a customInlineTemplate starting with "PromQL:"',
    });
    return undefined;
  }
  let filters: string[];
  if (custom !== undefined && custom !== '') filters = [...custom.split(','), ...labelBindings];
  else {
    const resourceType = typeof query.resourceType === 'string' ? query.resourceType : '';
    if (resourceType === 'gce_instance')
      filters = [
        ...labelBindings,
        `${KAYENTA_PROMETHEUS_SCOPE_LABEL}=~"\${scope.scope}-.{4}"`,
        'zone=~".+/projects/${scope.project}/zones/${scope.location}-.{1}"',
      ];
    else if (resourceType === 'aws_ec2_instance')
      filters = [...labelBindings, 'asg_groupName="${scope.scope}"', 'zone=~"${scope.location}.{1}"'];
    else {
      issues.push({
        path: `${path}.resourceType`,
        message: resourceType
          ? `Kayenta has no Prometheus support for resourceType ${JSON.stringify(resourceType)} (gce_instance, aws_ec2_instance); use labelBindings with a customFilterTemplate`
          : 'Kayenta needs a resourceType (gce_instance, aws_ec2_instance) or a customFilterTemplate / customInlineTemplate to scope this query (a resourceType in the run’s extendedScopeParams cannot be known at import)',
      });
      return undefined;
    }
  }
  const selector = filters.length > 0 ? `${metricName}{${filters.join(',')}}` : metricName;
  return `avg(${selector})${groupByFields.length > 0 ? ` by (${groupByFields.join(',')})` : ''}`;
}

/**
 * The target Kayenta's GraphiteMetricsService.buildQuery sends: metricName with every `$scope` and then
 * every `$location` replaced by the scope's values (plain text replacement, as Java's String.replace).
 */
function kayentaGraphiteQuery(query: Json, path: string, issues: FieldIssue[]): string | undefined {
  const metricName = typeof query.metricName === 'string' ? query.metricName : '';
  if (!metricName) {
    issues.push({ path: `${path}.metricName`, message: 'a Graphite query needs metricName (the target)' });
    return undefined;
  }
  if (metricName.includes('${')) {
    issues.push({
      path: `${path}.metricName`,
      message: 'holds "${", which Kayenta sends as it is but an ISD query reads as a placeholder',
    });
    return undefined;
  }
  return metricName.split('$scope').join('${scope.scope}').split('$location').join('${scope.location}');
}

/** What Kayenta's InfluxDbQueryBuilder.validateQuery refuses anywhere in a query. */
const KAYENTA_INFLUX_BLOCKED = [
  'SHOW CONTINUOUS QUERIES',
  'SHOW DATABASES',
  'SHOW DIAGNOSTICS',
  'SHOW FIELD',
  'SHOW TAG',
  'SHOW USERS',
  'SHOW GRANTS',
  'SHOW MEASUREMENT',
  'SHOW QUERIES',
  'SHOW RETENTION POLICIES',
  'SHOW SERIES',
  'SHOW SHARD',
  'SHOW STATS',
  'SHOW SUBSCRIPTIONS',
  ';',
  '--',
];
/** Kayenta's `${timeFilter}` as the ISD InfluxDB provider's bound parameters (the same instants). */
const INFLUX_TIME_FILTER = 'time >= $start AND time < $end';

/**
 * The InfluxQL Kayenta's InfluxDbQueryBuilder.build sends: a customInlineTemplate with `${timeFilter}` and
 * `${scope}` (both required) and optionally `${step}`; otherwise `SELECT fields FROM metricName WHERE
 * timeFilter AND scope`, fields defaulting to `*::field`. Kayenta's scope `name:value` is one tag condition
 * `name = 'value'`, which is what the provider writes for a one-label `${scope}`.
 */
function kayentaInfluxQuery(query: Json, path: string, issues: FieldIssue[]): string | undefined {
  const inline = typeof query.customInlineTemplate === 'string' ? unescapeKayenta(query.customInlineTemplate) : '';
  const blocked = (text: string, field: string) => {
    const found = KAYENTA_INFLUX_BLOCKED.find((statement) => text.includes(statement));
    if (found)
      issues.push({ path: `${path}.${field}`, message: `Kayenta refuses a query holding ${JSON.stringify(found)}` });
    return found !== undefined;
  };
  if (inline) {
    const missing = ['timeFilter', 'scope'].filter((name) => !inline.includes(`\${${name}}`));
    if (missing.length > 0) {
      issues.push({
        path: `${path}.customInlineTemplate`,
        message: `Kayenta requires ${missing.map((name) => `\${${name}}`).join(' and ')} in the query`,
      });
      return undefined;
    }
    if (blocked(inline, 'customInlineTemplate')) return undefined;
    const unknown = [...inline.matchAll(/\$\{([^}]*)\}/g)]
      .map((match) => match[1]!)
      .filter((name) => !['timeFilter', 'scope', 'step'].includes(name));
    if (unknown.length > 0) {
      issues.push({
        path: `${path}.customInlineTemplate`,
        message: `Kayenta fills only \${timeFilter}, \${scope} and \${step}, not \${${unknown[0]}}`,
      });
      return undefined;
    }
    return inline.split('${timeFilter}').join(INFLUX_TIME_FILTER).split('${step}').join('${stepSeconds}s');
  }
  const metricName = typeof query.metricName === 'string' ? query.metricName : '';
  if (!metricName) {
    issues.push({
      path: `${path}.metricName`,
      message: 'an InfluxDB query needs metricName (the measurement) or customInlineTemplate',
    });
    return undefined;
  }
  const fields = stringList(query.fields, `${path}.fields`, issues);
  for (const [field, text] of [
    ['metricName', metricName],
    ['fields', fields.join(', ')],
  ] as const) {
    if (blocked(text, field)) return undefined;
    if (text.includes('${')) {
      issues.push({
        path: `${path}.${field}`,
        message: 'holds "${", which Kayenta sends as it is but an ISD query reads as a placeholder',
      });
      return undefined;
    }
  }
  return `SELECT ${(fields.length > 0 ? fields : ['*::field']).join(', ')} FROM ${metricName} WHERE ${INFLUX_TIME_FILTER} AND \${scope}`;
}

/**
 * The filter Kayenta's StackdriverMetricsService.buildQuery sends, with its aggregation as query clauses
 * (docs/decisions/074): `metric.type="…" AND resource.type=…`, then ` AND <custom filter>`, or the
 * resourceType's scope filters (gce_instance, aws_ec2_instance; global adds none). Resource types whose
 * filters depend on which extendedScopeParams a run passes (gae_app, k8s_*, gke_container) need a custom
 * filter, as does a query without a resourceType (Kayenta would take it from the run's scope).
 */
function kayentaStackdriverQuery(query: Json, custom: string | undefined, path: string, issues: FieldIssue[]) {
  const groupByFields = stringList(query.groupByFields, `${path}.groupByFields`, issues);
  const metricType = typeof query.metricType === 'string' ? query.metricType : '';
  const resourceType = typeof query.resourceType === 'string' ? query.resourceType : '';
  if (!metricType) issues.push({ path: `${path}.metricType`, message: 'a Stackdriver query needs metricType' });
  if (!resourceType)
    issues.push({
      path: `${path}.resourceType`,
      message:
        'Kayenta takes a missing resourceType from the run’s scope, which cannot be known at import; set it (e.g. gce_instance, k8s_container)',
    });
  if (!metricType || !resourceType) return undefined;
  let filter = `metric.type="${metricType}" AND resource.type=${resourceType}`;
  if (custom) filter += ` AND ${custom}`;
  else if (resourceType === 'gce_instance')
    filter +=
      ' AND project=${scope.project} AND metadata.user_labels."spinnaker-region"=${scope.location} AND metadata.user_labels."spinnaker-server-group"=${scope.scope}';
  else if (resourceType === 'aws_ec2_instance')
    filter +=
      ' AND resource.labels.region="aws:${scope.location}" AND metadata.user_labels."aws:autoscaling:groupname"=${scope.scope}';
  else if (resourceType !== 'global') {
    issues.push({
      path: `${path}.resourceType`,
      message: `Kayenta's filter for ${JSON.stringify(resourceType)} depends on the extendedScopeParams of each run (or is not supported); give a customInlineTemplate or customFilterTemplate with the filter to import`,
    });
    return undefined;
  }
  const clauses: string[] = [];
  for (const key of ['perSeriesAligner', 'crossSeriesReducer'] as const) {
    const value = query[key];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string' || !/^[A-Z0-9_]+$/.test(value))
      issues.push({ path: `${path}.${key}`, message: 'must be an aligner / reducer name such as ALIGN_MEAN' });
    else clauses.push(` | ${key}=${value}`);
  }
  if (groupByFields.length > 0) clauses.push(` | groupByFields=${groupByFields.join(',')}`);
  return filter + clauses.join('');
}

/** Kayenta's SimpleSignalFlowProgramBuilder.formatQueryPair: `!key` negates, `a,b` matches any value. */
function signalFxQueryPair(pair: unknown, path: string, issues: FieldIssue[]): string | undefined {
  if (!isObject(pair) || typeof pair.key !== 'string' || !pair.key || typeof pair.value !== 'string') {
    issues.push({ path, message: 'must be {key, value} strings' });
    return undefined;
  }
  refuseUnknown(pair, ['key', 'value'], path, 'a Kayenta SignalFx query pair', issues);
  const negated = pair.key.startsWith('!');
  const key = negated ? pair.key.slice(1) : pair.key;
  const values = pair.value.includes(',')
    ? pair.value.split(',').map((value) => `'${value.trim()}'`)
    : [`'${pair.value}'`];
  const filter = `filter('${key}', ${values.join(',')})`;
  return negated ? `(not ${filter})` : filter;
}

/**
 * The program Kayenta's SignalFxQueryBuilderService sends: the expanded custom template as the whole
 * program, else `data('<metricName>', filter=<queryPairs> and <scope filters>).<aggregation>(by=[…]).publish()`.
 * Kayenta's scope filters are `filter('<scope key>', '<value>')` for the scope, the location and each
 * extendedScopeParam; here they are `${scope}`, which the SignalFx provider renders the same way from the
 * scope labels (name the labels by the SignalFx dimensions, e.g. {"canary-scope": "web-v2"}). Kayenta
 * groups by those same keys, each pinned to one value by the filter, so the grouping is left out.
 */
function kayentaSignalFxQuery(query: Json, custom: string | undefined, path: string, issues: FieldIssue[]) {
  if (custom) return custom;
  const metricName = typeof query.metricName === 'string' ? query.metricName : '';
  if (!metricName) {
    issues.push({ path: `${path}.metricName`, message: 'a SignalFx query needs metricName or a custom template' });
    return undefined;
  }
  const aggregation = query.aggregationMethod ?? 'mean';
  if (typeof aggregation !== 'string' || !/^[a-z_]+$/.test(aggregation)) {
    issues.push({ path: `${path}.aggregationMethod`, message: 'must be a SignalFlow aggregation such as mean or sum' });
    return undefined;
  }
  const pairsIn = query.queryPairs ?? [];
  if (!Array.isArray(pairsIn)) {
    issues.push({ path: `${path}.queryPairs`, message: 'must be a list of {key, value}' });
    return undefined;
  }
  const pairs = pairsIn.map((pair, index) => signalFxQueryPair(pair, `${path}.queryPairs.${index}`, issues));
  const filters = [...pairs.filter((pair): pair is string => pair !== undefined), '${scope}'];
  return `data('${metricName}', filter=${filters.join(' and ')}).${aggregation}().publish()`;
}

/**
 * The query Kayenta's WavefrontMetricsService.buildQuery sends: `ts(<metricName>, <scope>)` wrapped in
 * `<aggregate>(…)`, the scope being the run's raw scope text (`${scope.scope}`); summarization as a clause.
 */
function kayentaWavefrontQuery(query: Json, path: string, issues: FieldIssue[]) {
  const metricName = typeof query.metricName === 'string' ? query.metricName : '';
  if (!metricName) {
    issues.push({ path: `${path}.metricName`, message: 'a Wavefront query needs metricName' });
    return undefined;
  }
  let text = `ts(${metricName}, \${scope.scope})`;
  if (typeof query.aggregate === 'string' && query.aggregate) text = `${query.aggregate}(${text})`;
  const summarization = query.summarization;
  if (summarization === undefined || summarization === null || summarization === '') return text;
  if (typeof summarization !== 'string' || !WAVEFRONT_SUMMARIZATIONS.includes(summarization.toUpperCase())) {
    issues.push({
      path: `${path}.summarization`,
      message: `must be one of ${WAVEFRONT_SUMMARIZATIONS.join(', ')}`,
    });
    return undefined;
  }
  return `${text} | summarization=${summarization.toUpperCase()}`;
}

/**
 * Converts a Kayenta canary config into an ISD template whose queries are the ones Kayenta's own query
 * builders send (Prometheus, Datadog, Graphite, InfluxDB; New Relic with the scope rendered the ISD way), with Kayenta's
 * variables (`${scope}`, `${location}`, `${project}`, extendedScopeParams) read from scope labels of the
 * same name (`${scope.scope}`, …). Every field is either honoured or the import is refused naming it.
 */
export function importKayentaConfig(config: unknown, nameOverride?: string): Template {
  if (!isObject(config)) fail([{ path: '(root)', message: 'a Kayenta canary config must be a JSON object' }]);
  const issues: FieldIssue[] = [];
  refuseUnknown(config, KAYENTA_CONFIG_FIELDS, '', 'a Kayenta canary config', issues);
  const filterTemplates = isObject(config.templates) ? config.templates : {};
  if (config.judge !== undefined && config.judge !== null) {
    const judge = isObject(config.judge) ? config.judge : {};
    refuseUnknown(judge, ['name', 'judgeConfigurations'], 'judge', 'the judge config', issues);
    if (judge.name !== undefined && judge.name !== 'NetflixACAJudge-v1.0')
      issues.push({
        path: 'judge.name',
        message: `only NetflixACAJudge-v1.0 is reimplemented (the kayenta judge), not ${JSON.stringify(judge.name)}`,
      });
    if (isObject(judge.judgeConfigurations) && Object.keys(judge.judgeConfigurations).length > 0)
      issues.push({
        path: 'judge.judgeConfigurations',
        message: 'NetflixACAJudge-v1.0 takes no judge configurations; remove them to import',
      });
  }
  const classifier = isObject(config.classifier) ? config.classifier : {};
  refuseUnknown(classifier, ['groupWeights', 'scoreThresholds'], 'classifier', 'the classifier config', issues);
  const metricsIn = config.metrics;
  if (!Array.isArray(metricsIn) || metricsIn.length === 0)
    fail([{ path: 'metrics', message: 'must be a non-empty list' }]);
  const scopeNames = new Set<string>();
  const metrics = metricsIn.map((raw, index) => {
    const path = `metrics.${index}`;
    if (!isObject(raw)) {
      issues.push({ path, message: 'must be an object' });
      return undefined;
    }
    refuseUnknown(raw, KAYENTA_METRIC_FIELDS, path, 'a Kayenta metric', issues);
    const scopeName = typeof raw.scopeName === 'string' && raw.scopeName ? raw.scopeName : 'default';
    if (scopeNames.size > 0 && !scopeNames.has(scopeName))
      issues.push({
        path: `${path}.scopeName`,
        message: `a verification has one baseline/canary scope pair; this metric uses scope ${JSON.stringify(scopeName)}, others ${JSON.stringify([...scopeNames][0])}`,
      });
    scopeNames.add(scopeName);
    const query = isObject(raw.query) ? raw.query : {};
    const type = typeof query.type === 'string' ? query.type.toLowerCase() : '';
    const queryPath = `${path}.query`;
    // Own entries only: a type named `constructor` must not find Object.prototype's.
    const fields = Object.hasOwn(KAYENTA_QUERY_FIELDS, type) ? KAYENTA_QUERY_FIELDS[type] : undefined;
    let text: string | undefined;
    if (!fields) {
      issues.push({
        path: `${queryPath}.type`,
        message: `metric store ${JSON.stringify(query.type ?? null)} is not supported (${Object.keys(KAYENTA_QUERY_FIELDS).join(', ')})`,
      });
    } else if (type === 'graphite' || type === 'influxdb') {
      refuseUnknown(query, fields, queryPath, `Kayenta's ${type} query config`, issues);
      text =
        type === 'graphite'
          ? kayentaGraphiteQuery(query, queryPath, issues)
          : kayentaInfluxQuery(query, queryPath, issues);
    } else {
      refuseUnknown(query, fields, queryPath, `Kayenta's ${type} query config`, issues);
      if (typeof query.customFilter === 'string' && query.customFilter)
        issues.push({
          path: `${queryPath}.customFilter`,
          message: 'Kayenta refuses the deprecated customFilter; use customInlineTemplate',
        });
      // Kayenta expands customInlineTemplate if set, else the named customFilterTemplate.
      const inline = typeof query.customInlineTemplate === 'string' ? query.customInlineTemplate : '';
      const template = inline
        ? inline
        : kayentaFilterTemplate(
            filterTemplates,
            query.customFilterTemplate,
            `${queryPath}.customFilterTemplate`,
            issues,
          );
      const custom = template ? variablesToScopeLabels(unescapeKayenta(template)) : undefined;
      if (type === 'prometheus') text = kayentaPrometheusQuery(query, custom, queryPath, issues);
      else if (type === 'stackdriver') text = kayentaStackdriverQuery(query, custom, queryPath, issues);
      else if (type === 'signalfx') text = kayentaSignalFxQuery(query, custom, queryPath, issues);
      else if (type === 'wavefront') text = kayentaWavefrontQuery(query, queryPath, issues);
      else if (type === 'datadog') {
        // DatadogMetricsService: the expanded custom template is the whole query; else metricName{scope}.
        if (custom) text = custom;
        else if (typeof query.metricName === 'string' && query.metricName)
          text = `${query.metricName}{\${scope.scope}}`;
        else
          issues.push({
            path: `${queryPath}.metricName`,
            message: 'a Datadog query needs metricName or a custom template',
          });
      } else {
        // NewRelicQueryBuilderService: the custom template is the whole NRQL; else SELECT … WHERE q AND
        // scope. Kayenta adds TIMESERIES/SINCE/UNTIL itself, as the ISD New Relic provider does.
        if (custom) text = custom;
        else if (typeof query.select === 'string' && query.select.trim()) {
          const select = query.select.startsWith('SELECT') ? query.select : `SELECT ${query.select.trim()}`;
          const q = typeof query.q === 'string' && query.q ? `${query.q} AND ` : '';
          text = `${select} WHERE ${q}\${scope}`;
        } else
          issues.push({
            path: `${queryPath}.select`,
            message: 'a New Relic query needs select or customInlineTemplate',
          });
      }
    }
    const analysis = isObject(raw.analysisConfigurations) ? raw.analysisConfigurations : {};
    refuseUnknown(
      analysis,
      ['canary'],
      `${path}.analysisConfigurations`,
      'the analysis configurations NetflixACAJudge reads',
      issues,
    );
    const canary = isObject(analysis.canary) ? analysis.canary : {};
    const canaryPath = `${path}.analysisConfigurations.canary`;
    refuseUnknown(canary, KAYENTA_CANARY_FIELDS, canaryPath, "Kayenta's canary analysis config", issues);
    if (canary.direction !== undefined && !['increase', 'decrease', 'either'].includes(String(canary.direction)))
      issues.push({
        path: `${canaryPath}.direction`,
        message: `must be increase, decrease or either (Kayenta would read ${JSON.stringify(canary.direction)} as either)`,
      });
    // Kayenta reads any other spelling as its default, so a config meaning something else would be judged
    // differently without a word: refused here, as a direction is.
    if (canary.nanStrategy !== undefined && !['remove', 'replace'].includes(String(canary.nanStrategy)))
      issues.push({
        path: `${canaryPath}.nanStrategy`,
        message: `must be remove or replace (Kayenta would read ${JSON.stringify(canary.nanStrategy)} as remove)`,
      });
    const effect = isObject(canary.effectSize) ? canary.effectSize : undefined;
    if (effect)
      refuseUnknown(effect, KAYENTA_EFFECT_FIELDS, `${canaryPath}.effectSize`, "Kayenta's effect size", issues);
    const outliers = isObject(canary.outliers) ? canary.outliers : undefined;
    if (outliers)
      refuseUnknown(outliers, KAYENTA_OUTLIER_FIELDS, `${canaryPath}.outliers`, "Kayenta's outliers config", issues);
    if (outliers?.strategy !== undefined && !['remove', 'keep'].includes(String(outliers.strategy)))
      issues.push({
        path: `${canaryPath}.outliers.strategy`,
        message: `must be remove or keep (Kayenta would read ${JSON.stringify(outliers.strategy)} as keep)`,
      });
    return {
      name: typeof raw.name === 'string' ? raw.name : `metric-${index + 1}`,
      ...(fields ? { provider: type } : {}),
      query: text ?? '',
      groups: Array.isArray(raw.groups) ? raw.groups : [],
      direction: typeof canary.direction === 'string' ? canary.direction : 'either',
      ...(typeof canary.critical === 'boolean' ? { critical: canary.critical } : {}),
      ...(typeof canary.mustHaveData === 'boolean' ? { mustHaveData: canary.mustHaveData } : {}),
      ...(typeof canary.muted === 'boolean' ? { muted: canary.muted } : {}),
      ...(typeof canary.nanStrategy === 'string' ? { nanStrategy: canary.nanStrategy } : {}),
      ...(effect ? { effectSize: effect } : {}),
      ...(outliers
        ? {
            outliers: { strategy: outliers.strategy ?? 'keep', factor: outliers.outlierFactor ?? 3 },
          }
        : {}),
    };
  });
  if (issues.length) fail(issues);
  const name = nameOverride ?? sanitizeName(typeof config.name === 'string' ? config.name : 'kayenta-config');
  // Kayenta takes thresholds from each execution request, not from the config (scoreThresholds is hidden
  // and unused); ISD verifications do the same, so the config's values are kept in the description.
  const thresholds = isObject(classifier.scoreThresholds) ? classifier.scoreThresholds : undefined;
  const description = [
    typeof config.description === 'string' ? config.description : '',
    thresholds
      ? `(Kayenta config scoreThresholds pass ${String(thresholds.pass)}, marginal ${String(thresholds.marginal)}: pass them as the verification's thresholds)`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
  return parseTemplate({
    name,
    ...(description ? { description } : {}),
    judge: 'kayenta',
    groupWeights: isObject(classifier.groupWeights) ? classifier.groupWeights : {},
    metrics,
  });
}

const OPSMX_DIRECTIONS: Record<string, 'increase' | 'decrease' | 'either'> = {
  higher: 'increase',
  lower: 'decrease',
  higherorlower: 'either',
};

/**
 * Converts an OpsMx metric template: groups of metrics whose `name` is the query; riskDirection
 * Higher/Lower/HigherOrLower; customThresholdHigher/Lower (percent) become mean-ratio bounds; a critical
 * criticality marks the metric critical; metricWeight sums per group into group weights.
 */
export function importOpsmxTemplate(template: unknown, nameOverride?: string): Template {
  if (!isObject(template)) fail([{ path: '(root)', message: 'an OpsMx metric template must be a JSON object' }]);
  const data = isObject(template.data) ? template.data : undefined;
  if (!data || !Array.isArray(data.groups) || data.groups.length === 0)
    fail([{ path: 'data.groups', message: 'must be a non-empty list' }]);
  const issues: FieldIssue[] = [];
  const provider = String(template.metricProvider ?? template.monitoringProvider ?? '').toLowerCase() || undefined;
  const metrics: Json[] = [];
  // Group names come from the imported document: a Map, so `constructor` is just another group.
  const weightByGroup = new Map<string, number>();
  data.groups.forEach((group, groupIndex) => {
    const groupPath = `data.groups.${groupIndex}`;
    if (!isObject(group) || typeof group.group !== 'string' || !Array.isArray(group.metrics)) {
      issues.push({ path: groupPath, message: 'must be {group, metrics[]}' });
      return;
    }
    const groupName = group.group;
    group.metrics.forEach((metric, metricIndex) => {
      const path = `${groupPath}.metrics.${metricIndex}`;
      if (!isObject(metric) || typeof metric.name !== 'string' || !metric.name.trim()) {
        issues.push({ path: `${path}.name`, message: 'must be the metric query' });
        return;
      }
      const directionKey = String(metric.riskDirection ?? 'HigherOrLower').toLowerCase();
      const direction = Object.hasOwn(OPSMX_DIRECTIONS, directionKey) ? OPSMX_DIRECTIONS[directionKey] : undefined;
      if (!direction) issues.push({ path: `${path}.riskDirection`, message: 'must be Higher, Lower or HigherOrLower' });
      const percent = (key: string): number | undefined => {
        const value = metric[key];
        if (value === undefined || value === null || value === '') return undefined;
        const number = Number(value);
        if (!Number.isFinite(number) || number < 0) {
          issues.push({ path: `${path}.${key}`, message: 'must be a percentage ≥ 0' });
          return undefined;
        }
        return number;
      };
      const higher = percent('customThresholdHigher');
      const lower = percent('customThresholdLower');
      const weight = metric.metricWeight === undefined ? 1 : Number(metric.metricWeight);
      if (!Number.isFinite(weight) || weight < 0)
        issues.push({ path: `${path}.metricWeight`, message: 'must be a number ≥ 0' });
      weightByGroup.set(groupName, (weightByGroup.get(groupName) ?? 0) + (Number.isFinite(weight) ? weight : 0));
      const criticality = String(metric.criticality ?? '').toLowerCase();
      metrics.push({
        name: `${groupName}: ${metric.name}`.slice(0, 200),
        ...(typeof metric.accountName === 'string' ? { provider: metric.accountName } : provider ? { provider } : {}),
        query: variablesToScopeLabels(metric.name),
        groups: [groupName],
        direction: direction ?? 'either',
        critical: criticality === 'critical' || criticality === 'high' || metric.critical === true,
        ...(typeof metric.nanStrategy === 'string' ? { nanStrategy: metric.nanStrategy.toLowerCase() } : {}),
        effectSize: {
          measure: 'meanRatio',
          ...(higher !== undefined ? { allowedIncrease: 1 + higher / 100 } : {}),
          ...(lower !== undefined ? { allowedDecrease: Math.max(0, 1 - lower / 100) } : {}),
        },
      });
    });
  });
  if (issues.length) fail(issues);
  const totalWeight = [...weightByGroup.values()].reduce((sum, weight) => sum + weight, 0);
  const groupWeights =
    totalWeight > 0
      ? Object.fromEntries([...weightByGroup.entries()].map(([group, weight]) => [group, (100 * weight) / totalWeight]))
      : {};
  // Rounding can push the sum a hair over 100; trim the largest share.
  const sum = Object.values(groupWeights).reduce((a, b) => a + b, 0);
  if (sum > 100) {
    const largest = Object.entries(groupWeights).sort((a, b) => b[1] - a[1])[0];
    if (largest) groupWeights[largest[0]] = largest[1] - (sum - 100);
  }
  const name =
    nameOverride ?? sanitizeName(typeof template.templateName === 'string' ? template.templateName : 'opsmx-template');
  return parseTemplate({
    name,
    description: `Imported from OpsMx metric template ${String(template.templateName ?? '')}`.trim(),
    groupWeights,
    metrics,
  });
}
