// The metric template: what a verification compares. Groups with weights, metrics with a provider
// query holding `${scope}` placeholders and Kayenta's per-metric analysis settings. One model for
// templates created over the API, loaded from YAML, or imported from Kayenta / OpsMx.
import { z } from 'zod';
import { InputError, type FieldIssue } from '@isd/kit';
import { JUDGE_NAMES, normalizeMetricConfig, type MetricConfig } from '../domain';
import type { MetricsProvider } from '../providers/provider';
import { placeholdersIn, writeScopeValue, type PlaceholderAt } from '../providers/scope-value';

/** Template names: a letter or digit, then letters, digits, `.`, `_`, `-` (they appear in URLs). */
export const TEMPLATE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Placeholders a query may hold: the whole scope, one scope label, or the step. */
const PLACEHOLDER = /\$\{([^}]*)\}/g;
const SCOPE_KEY = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;

/** What String.prototype.trim removes (a placeholder's name is trimmed), spelled out: Python's `\\s` differs. */
const TRIMMED = '[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]*';
/**
 * A query whose placeholders are all known (what `placeholderProblems` finds nothing in), as one pattern the
 * OpenAPI document can carry: text without `$`, runs of `$` before anything but `{`, runs of `$` before a known
 * placeholder, and trailing `$`. No lookahead, so JavaScript and Python read it alike.
 */
export const KNOWN_PLACEHOLDERS_PATTERN = new RegExp(
  `^(?:[^$]|\\$+[^\${]|\\$+\\{${TRIMMED}(?:scope|stepSeconds|scope\\.${SCOPE_KEY.source.slice(1, -1)})${TRIMMED}\\})*\\$*$`,
);

const effectSizeSchema = z
  .strictObject({
    measure: z.enum(['meanRatio', 'cles']).optional().describe('meanRatio (canary mean / baseline mean) or cles'),
    allowedIncrease: z
      .number()
      .min(0)
      .optional()
      .describe('A significant increase only counts at or above this effect size'),
    allowedDecrease: z
      .number()
      .min(0)
      .optional()
      .describe('A significant decrease only counts at or below this effect size'),
    criticalIncrease: z
      .number()
      .min(0)
      .optional()
      .describe('A critical metric fails the run at or above this effect size'),
    criticalDecrease: z
      .number()
      .min(0)
      .optional()
      .describe('A critical metric fails the run at or below this effect size'),
  })
  .describe('Effect-size bounds (Kayenta effectSize)');

/** A provider query: its placeholders are filled per side. */
const providerQuery = z
  .string()
  .min(1)
  .max(10_000)
  // The refinement names the unknown placeholder; the document says the same rule as a pattern.
  .meta({ pattern: KNOWN_PLACEHOLDERS_PATTERN.source });

/** One metric of a template. */
export const templateMetricSchema = z.strictObject({
  name: z.string().min(1).max(200).describe('Metric name, unique in the template'),
  provider: z
    .string()
    .min(1)
    .optional()
    .describe('Provider account (config `providers`) or type; absent = the default provider'),
  query: providerQuery.describe(
    'Provider query; `${scope}`, `${scope.<label>}` and `${stepSeconds}` are filled per side',
  ),
  countQuery: providerQuery
    .optional()
    .describe(
      'Requests behind each point of `query` (e.g. `sum(rate(http_request_duration_seconds_count{${scope}}[1m]))`), run per side with the same scope, step and window; with it the isd judge compares an unequal traffic split per request (decision 176)',
    ),
  unit: z.string().min(1).max(32).optional().describe('Unit of the values (ms, %, req/s), shown on chart axes'),
  groups: z.array(z.string().min(1)).default([]).describe('Groups the metric counts in'),
  direction: z.enum(['increase', 'decrease', 'either']).default('either').describe('Which change is a regression'),
  critical: z.boolean().default(false).describe('A failing critical metric fails the whole run'),
  mustHaveData: z.boolean().default(false).describe('No data counts as a failure instead of being left out'),
  muted: z.boolean().default(false).describe('Fetched and shown but not scored'),
  nanStrategy: z
    .enum(['remove', 'replace'])
    .default('remove')
    .describe('Gaps are dropped (remove) or read as 0 (replace; also a series the query does not find)'),
  effectSize: effectSizeSchema.optional(),
  outliers: z
    .strictObject({
      strategy: z.enum(['none', 'remove', 'keep']).default('keep'),
      factor: z.number().positive().default(3),
    })
    .optional()
    .describe("Outlier handling before the comparison (Kayenta's IQR fences)"),
});

/** A metric or log template's name. */
export const templateName = z
  .string()
  .regex(TEMPLATE_NAME_PATTERN, 'must be 1–128 letters, digits, `.`, `_` or `-`, starting with a letter or digit');

/** The fields every template, metric or log, starts with. */
export const templateIdentityFields = {
  name: templateName,
  description: z.string().max(2000).optional(),
  application: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe(
      'Owning application: users need WRITE on it to change the template and READ to see it; absent = shared, changed by admins',
    ),
};

/** A metric template's fields, before the rules across them (templateRules). */
const templateFields = z.strictObject({
  ...templateIdentityFields,
  judge: z.enum(JUDGE_NAMES).optional().describe('Judge used when the request names none'),
  stepSeconds: z.number().int().min(1).max(3600).default(60).describe('Resolution of the fetched series'),
  groupWeights: z
    .record(z.string().min(1), z.number().min(0).max(100))
    .default({})
    .describe('Weight per group in percent'),
  metrics: z.array(templateMetricSchema).min(1, 'a template needs at least one metric').max(500),
  // Log analysis is a later issue: the slot exists so the model, API and report need no reshaping.
  logs: z.array(z.unknown()).max(0, 'log analysis is not available yet').optional(),
});

/**
 * The rules across a template's fields, which JSON Schema cannot say (the OpenAPI document lists them under the
 * operation's 400): unique metric names, group weights totalling at most 100, each weighted group used.
 */
function templateRules(template: z.output<typeof templateFields>, context: z.RefinementCtx): void {
  const names = new Set<string>();
  template.metrics.forEach((metric, index) => {
    if (names.has(metric.name))
      context.addIssue({
        code: 'custom',
        path: ['metrics', index, 'name'],
        message: `duplicate metric name ${JSON.stringify(metric.name)}`,
      });
    names.add(metric.name);
    for (const field of ['query', 'countQuery'] as const)
      for (const problem of placeholderProblems(metric[field] ?? ''))
        context.addIssue({ code: 'custom', path: ['metrics', index, field], message: problem });
  });
  const total = Object.values(template.groupWeights).reduce((sum, weight) => sum + weight, 0);
  if (total > 100 + 1e-9)
    context.addIssue({ code: 'custom', path: ['groupWeights'], message: `weights total ${total}, more than 100` });
  const groups = new Set(template.metrics.flatMap((metric) => (metric.groups.length ? metric.groups : ['default'])));
  for (const group of Object.keys(template.groupWeights)) {
    if (!groups.has(group))
      context.addIssue({
        code: 'custom',
        path: ['groupWeights', group],
        message: `no metric is in group ${JSON.stringify(group)}`,
      });
  }
}

/** A metric template as stored (defaults filled). */
export const templateSchema = templateFields.superRefine(templateRules);

/** A template written inline in a verification request: its name is optional (`inline`). */
export const inlineTemplateSchema = templateFields
  .extend({ name: templateName.default('inline') })
  .superRefine(templateRules);

/** A validated template with defaults filled. */
export type Template = z.output<typeof templateSchema>;
/** One metric of a validated template. */
export type TemplateMetric = Template['metrics'][number];

/** Problems with the `${...}` placeholders of a query (unknown names, bad label keys). */
export function placeholderProblems(query: string): string[] {
  const problems: string[] = [];
  for (const match of query.matchAll(PLACEHOLDER)) {
    const name = (match[1] ?? '').trim();
    if (name === 'scope' || name === 'stepSeconds') continue;
    if (name.startsWith('scope.') && SCOPE_KEY.test(name.slice('scope.'.length))) continue;
    problems.push(`unknown placeholder \${${name}}: use \${scope}, \${scope.<label>} or \${stepSeconds}`);
  }
  if (/\$\{[^}]*$/.test(query)) problems.push('unterminated placeholder `${`');
  return problems;
}

/** Scope labels a query reads one by one (`${scope.namespace}` → `namespace`). */
export function scopeKeysUsed(query: string): string[] {
  return [...query.matchAll(PLACEHOLDER)]
    .map((match) => (match[1] ?? '').trim())
    .filter((name) => name.startsWith('scope.'))
    .map((name) => name.slice(6));
}

/**
 * Fills a query's placeholders for one side: `${scope}` as the provider's `renderScope` writes it, each
 * `${scope.<label>}` as a value where it stands (providers/scope-value.ts), `${stepSeconds}` as a number.
 * Throws InputError for a label the scope lacks, ScopeValueError for a value the query cannot hold there.
 */
export function expandQuery(
  query: string,
  scope: Record<string, string>,
  provider: Pick<MetricsProvider, 'name' | 'type' | 'renderScope'>,
  stepSeconds: number,
): string {
  let expanded = '';
  let from = 0;
  for (const placeholder of placeholdersIn(query, provider.type)) {
    expanded += query.slice(from, placeholder.start) + fill(placeholder);
    from = placeholder.end;
  }
  return expanded + query.slice(from);

  function fill(placeholder: PlaceholderAt): string {
    const name = placeholder.name;
    if (name === 'scope') return provider.renderScope(scope);
    if (name === 'stepSeconds') return String(stepSeconds);
    const key = name.slice('scope.'.length);
    const value = Object.hasOwn(scope, key) ? scope[key] : undefined;
    if (value === undefined)
      throw new InputError(`the query reads scope label ${key}, which the scope does not have`, {
        issues: [{ path: key, message: 'missing scope label' }],
      });
    return writeScopeValue(provider, key, value, placeholder);
  }
}

/**
 * Validates a template written by a user (API body or YAML file); throws `InputError` whose issues name
 * each bad field from the template's root (`metrics.2.direction`), prefixed with `pathPrefix`.
 */
export function parseTemplate(input: unknown, pathPrefix = ''): Template {
  const result = templateSchema.safeParse(input);
  if (!result.success) {
    const issues: FieldIssue[] = result.error.issues.map((issue) => ({
      path: joinPath(pathPrefix, issue.path.map(String).join('.')),
      message: issue.message,
    }));
    throw new InputError(`invalid template: ${issues[0]?.path}: ${issues[0]?.message}`, {
      code: 'invalid_template',
      issues,
    });
  }
  return result.data;
}

/** The judge's metric configuration of a template metric (Kayenta's defaults for anything absent). */
export function metricConfigOf(metric: TemplateMetric): MetricConfig {
  return normalizeMetricConfig({
    name: metric.name,
    groups: metric.groups,
    direction: metric.direction,
    critical: metric.critical,
    mustHaveData: metric.mustHaveData,
    muted: metric.muted,
    nanStrategy: metric.nanStrategy,
    ...(metric.effectSize ? { effectSize: metric.effectSize } : {}),
    ...(metric.outliers ? { outliers: metric.outliers } : {}),
  });
}

function joinPath(prefix: string, path: string): string {
  if (!prefix) return path || '(root)';
  return path ? `${prefix}.${path}` : prefix;
}
