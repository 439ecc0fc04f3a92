// Imports foreign template formats into the ISD template model: Kayenta canary configs (JSON, as
// stored by Kayenta's config API) and OpsMx Autopilot metric templates (as the Argo plugin posts them).
// Every problem is an InputError naming the field in the foreign document.
import { InputError, type FieldIssue } from '@isd/kit';
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

/** The text of a Kayenta filter template (`customFilterTemplate` names an entry of `templates{}`), variables mapped to scope labels. */
function kayentaFilter(templates: Json, name: unknown, path: string, issues: FieldIssue[]): string | undefined {
  if (name === undefined || name === null) return undefined;
  const text = typeof name === 'string' ? templates[name] : undefined;
  if (typeof text !== 'string') {
    issues.push({ path, message: `names a filter template that is not in templates{}` });
    return undefined;
  }
  return variablesToScopeLabels(text);
}

/**
 * Converts a Kayenta canary config. Queries: Prometheus (`customInlineTemplate` "PromQL:…", or metricName
 * with `customFilterTemplate` / labelBindings, averaged like Kayenta does), Datadog (`metricName{${scope}}`),
 * New Relic (`select` + `q`). Other metric stores are refused naming the metric.
 */
export function importKayentaConfig(config: unknown, nameOverride?: string): Template {
  if (!isObject(config)) fail([{ path: '(root)', message: 'a Kayenta canary config must be a JSON object' }]);
  const issues: FieldIssue[] = [];
  const filterTemplates = isObject(config.templates) ? config.templates : {};
  const metricsIn = config.metrics;
  if (!Array.isArray(metricsIn) || metricsIn.length === 0)
    fail([{ path: 'metrics', message: 'must be a non-empty list' }]);
  const metrics = metricsIn.map((raw, index) => {
    const path = `metrics.${index}`;
    if (!isObject(raw)) {
      issues.push({ path, message: 'must be an object' });
      return undefined;
    }
    const query = isObject(raw.query) ? raw.query : {};
    const type = typeof query.type === 'string' ? query.type.toLowerCase() : '';
    let text: string | undefined;
    let provider: string | undefined;
    const inline = typeof query.customInlineTemplate === 'string' ? query.customInlineTemplate : undefined;
    const filter = kayentaFilter(
      filterTemplates,
      query.customFilterTemplate,
      `${path}.query.customFilterTemplate`,
      issues,
    );
    if (type === 'prometheus') {
      provider = 'prometheus';
      if (inline) text = variablesToScopeLabels(inline.replace(/^PromQL:/, ''));
      else if (typeof query.metricName === 'string') {
        const selector = filter ?? '${scope}';
        const groupBy =
          Array.isArray(query.groupByFields) && query.groupByFields.length
            ? ` by (${query.groupByFields.join(',')})`
            : '';
        text = `avg(${query.metricName}{${selector}})${groupBy}`;
      } else
        issues.push({
          path: `${path}.query.metricName`,
          message: 'a Prometheus query needs metricName or customInlineTemplate',
        });
    } else if (type === 'datadog') {
      provider = 'datadog';
      if (inline) text = variablesToScopeLabels(inline);
      else if (typeof query.metricName === 'string') text = `${query.metricName}{${filter ?? '${scope}'}}`;
      else
        issues.push({
          path: `${path}.query.metricName`,
          message: 'a Datadog query needs metricName or customInlineTemplate',
        });
    } else if (type === 'newrelic') {
      provider = 'newrelic';
      if (inline) text = variablesToScopeLabels(inline);
      else if (typeof query.select === 'string') {
        const where = [filter ?? '${scope}', typeof query.q === 'string' && query.q ? `(${query.q})` : undefined]
          .filter(Boolean)
          .join(' AND ');
        text = `${query.select} WHERE ${where}`;
      } else
        issues.push({
          path: `${path}.query.select`,
          message: 'a New Relic query needs select or customInlineTemplate',
        });
    } else {
      issues.push({
        path: `${path}.query.type`,
        message: `metric store ${JSON.stringify(query.type ?? null)} is not supported (prometheus, datadog, newrelic)`,
      });
    }
    const canary =
      isObject(raw.analysisConfigurations) && isObject(raw.analysisConfigurations.canary)
        ? raw.analysisConfigurations.canary
        : {};
    const direction =
      typeof canary.direction === 'string' && ['increase', 'decrease', 'either'].includes(canary.direction)
        ? canary.direction
        : 'either';
    const effect = isObject(canary.effectSize) ? canary.effectSize : undefined;
    const outliers = isObject(canary.outliers) ? canary.outliers : undefined;
    return {
      name: typeof raw.name === 'string' ? raw.name : `metric-${index + 1}`,
      ...(provider ? { provider } : {}),
      query: text ?? '',
      groups: Array.isArray(raw.groups) ? raw.groups : [],
      direction,
      ...(typeof canary.critical === 'boolean' ? { critical: canary.critical } : {}),
      ...(typeof canary.mustHaveData === 'boolean' ? { mustHaveData: canary.mustHaveData } : {}),
      ...(typeof canary.muted === 'boolean' ? { muted: canary.muted } : {}),
      ...(typeof canary.nanStrategy === 'string' ? { nanStrategy: canary.nanStrategy } : {}),
      ...(effect ? { effectSize: effect } : {}),
      ...(outliers
        ? {
            outliers: { strategy: outliers.strategy ?? 'keep', factor: outliers.outlierFactor ?? outliers.factor ?? 3 },
          }
        : {}),
    };
  });
  if (issues.length) fail(issues);
  const classifier = isObject(config.classifier) ? config.classifier : {};
  const name = nameOverride ?? sanitizeName(typeof config.name === 'string' ? config.name : 'kayenta-config');
  return parseTemplate({
    name,
    ...(typeof config.description === 'string' && config.description ? { description: config.description } : {}),
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
      const direction = OPSMX_DIRECTIONS[directionKey];
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
