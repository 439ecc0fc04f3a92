// The log template: which logs a verification reads (provider account, index or stream, a query with
// `${scope}` placeholders per side) and how it scores them (algorithm, sensitivity, topics, tags). Created
// over the API or in YAML like metric templates, or imported from an OpsMx log template.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InputError, type FieldIssue } from '@isd/kit';
import { ALGORITHMS, SENSITIVITIES, type LogAnalysisOptions, type Mark } from './analysis';
import { linePatternProblem } from './pattern';
import { DEFAULT_TOPIC_RULES } from './topics';
import { templateIdentityFields, templateName } from '../templates/template';

/** A log template's fields, before the rule JSON Schema cannot say (logTemplateRules). */
const logTemplateFields = z.strictObject({
  ...templateIdentityFields,
  provider: z.string().min(1).describe('Log provider account (OpenSearch, Loki or Splunk)'),
  index: z.string().min(1).optional().describe('OpenSearch/Elasticsearch index or pattern'),
  query: z
    .string()
    .max(10_000)
    .default('')
    .describe('Provider query for one side; `${scope}` is replaced by the side\'s filter (e.g. pod:"web-canary")'),
  filterKey: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Log field the scope is matched on (OpsMx filterKey): the scope label of that name, or a one-label scope's value",
    ),
  messageFields: z.array(z.string().min(1)).default(['message', 'log']).describe('Fields holding the message'),
  scoringAlgorithm: z.enum(ALGORITHMS).default('canary'),
  sensitivity: z.enum(SENSITIVITIES).default('high'),
  infoScoring: z.boolean().default(false),
  disableDefaultErrorTopics: z.boolean().default(false),
  errorTopics: z
    .array(z.strictObject({ string: z.string().min(1), topic: z.enum(['CRITICAL', 'ERROR', 'WARN']) }))
    .default([]),
  // Every line is matched against every mask and tag: their number and size are bounded (see pattern.ts).
  tags: z
    .array(z.strictObject({ pattern: z.string().min(1).max(1000), tag: z.string().min(1).max(200) }))
    .max(50)
    .default([]),
  masks: z
    .array(z.string().min(1).max(1000))
    .max(50)
    .default([])
    .describe('Regular expressions (RE2 syntax) whose matches are variables'),
});

/**
 * Masks and tag patterns run on RE2 (linear time whatever the line, decision 165): its syntax, no lookaround
 * or backreferences, a bounded program. JSON Schema cannot state that, so the document lists it under the 400.
 */
function logTemplateRules(template: z.output<typeof logTemplateFields>, context: z.RefinementCtx): void {
  const check = (source: string, path: (string | number)[]): void => {
    const problem = linePatternProblem(source);
    if (problem !== undefined)
      context.addIssue({ code: 'custom', path, message: `not a usable RE2 regular expression: ${problem}` });
  };
  template.masks.forEach((mask, index) => check(mask, ['masks', index]));
  template.tags.forEach((tag, index) => check(tag.pattern, ['tags', index, 'pattern']));
}

export const logTemplateSchema = logTemplateFields.superRefine(logTemplateRules);

/** A log template written inline in a verification request: its name is optional (`inline`). */
export const inlineLogTemplateSchema = logTemplateFields
  .extend({ name: templateName.default('inline') })
  .superRefine(logTemplateRules);

export type LogTemplate = z.infer<typeof logTemplateSchema>;

/** Validates a log template (API body or YAML); InputError issues name each bad field. */
export function parseLogTemplate(input: unknown): LogTemplate {
  const result = logTemplateSchema.safeParse(input);
  if (!result.success) {
    const issues: FieldIssue[] = result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(root)',
      message: issue.message,
    }));
    throw new InputError(`invalid log template: ${issues[0]?.path}: ${issues[0]?.message}`, {
      code: 'invalid_template',
      issues,
    });
  }
  return result.data;
}

/** How a provider's query language writes `field equals value`, and joins several. */
const FILTER_SYNTAX: Record<
  'opensearch' | 'loki' | 'splunk',
  { term: (k: string, v: string) => string; join: string }
> = {
  // Lucene query string: `kubernetes.pod_name:"web-1"` (dots are field paths, `/` must be escaped).
  opensearch: { term: (k, v) => `${k.replace(/[/:\s]/g, '\\$&')}:"${v.replace(/["\\]/g, '\\$&')}"`, join: ' AND ' },
  // LogQL stream selector matchers, inside the braces the query writes: `{${scope}} |= "ERROR"`.
  loki: { term: (k, v) => `${k}="${v.replace(/["\\]/g, '\\$&')}"`, join: ', ' },
  // SPL search terms: `pod="web-1" host="a"` (space is AND).
  splunk: { term: (k, v) => `${k}="${v.replace(/["\\]/g, '\\$&')}"`, join: ' ' },
};

/**
 * The scope labels one side's query filters on: with `filterKey`, that one field, valued by the scope's
 * label of that name or, for a scope of one label, its value (OpsMx gives one value per side); otherwise
 * every label. Returns the missing label's name when the scope cannot fill the filter.
 */
export function scopeFilter(
  template: Pick<LogTemplate, 'filterKey'>,
  scope: Record<string, string>,
): { labels: [string, string][] } | { missing: string } {
  if (!template.filterKey) return { labels: Object.entries(scope).sort(([a], [b]) => a.localeCompare(b)) };
  const value = scope[template.filterKey] ?? (Object.keys(scope).length === 1 ? Object.values(scope)[0] : undefined);
  return value === undefined ? { missing: template.filterKey } : { labels: [[template.filterKey, value]] };
}

/**
 * The query one side runs: the template's query with `${scope}` as that side's filter in the provider's
 * syntax, or the filter AND-ed to the query when it has no `${scope}`. A scope given as a string is a
 * single value under `filterKey` (or the bare value without one).
 */
export function sideQuery(
  template: LogTemplate,
  scope: string | Record<string, string>,
  providerType: keyof typeof FILTER_SYNTAX = 'opensearch',
): string {
  const syntax = FILTER_SYNTAX[providerType];
  let filter: string;
  if (typeof scope === 'string') filter = template.filterKey ? syntax.term(template.filterKey, scope) : scope;
  else {
    const found = scopeFilter(template, scope);
    if ('missing' in found) throw new InputError(`the scope has no label ${found.missing} (the template's filterKey)`);
    filter = found.labels.map(([k, v]) => syntax.term(k, v)).join(syntax.join);
  }
  if (template.query.includes('${scope}')) return template.query.split('${scope}').join(filter);
  if (template.query.trim() === '') return filter;
  if (providerType === 'loki') return `{${filter}} ${template.query}`.trim();
  return providerType === 'splunk' ? `${filter} ${template.query}` : `(${template.query}) AND ${filter}`;
}

/** A cluster's key across runs: a short digest of its template text (URL-safe; marks are stored by it). */
export function clusterKey(template: string): string {
  return createHash('sha256').update(template).digest('hex').slice(0, 24);
}

/** A user's mark on a cluster of an application, with who set it. */
export interface ClusterMark {
  clusterKey: string;
  mark: Mark;
  user: string;
  atMs: number;
}

export function analysisOptions(template: LogTemplate, marks: readonly ClusterMark[] = []): LogAnalysisOptions {
  const byKey = new Map(marks.map((m) => [m.clusterKey, m.mark]));
  return {
    algorithm: template.scoringAlgorithm,
    sensitivity: template.sensitivity,
    infoScoring: template.infoScoring,
    topics: { rules: template.errorTopics, disableDefaults: template.disableDefaultErrorTopics, tags: template.tags },
    miner: { masks: template.masks },
    marks: { get: (template: string) => byKey.get(clusterKey(template)) },
  };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** OpsMx `monitoringProvider` values and the provider type each is read with. */
const OPSMX_PROVIDERS: Record<string, string> = {
  ELASTICSEARCH: 'opensearch',
  OPENSEARCH: 'opensearch',
  KIBANA: 'opensearch',
  LOKI: 'loki',
  SPLUNK: 'splunk',
};

/** OpsMx fields that are only accepted at their "off" value, since nothing here does what they ask. */
const OPSMX_OFF_FIELDS: Record<string, { off: unknown; why: string }> = {
  autoBaseline: { off: false, why: 'automatic baselines from earlier runs are not supported; give a baseline scope' },
  contextualCluster: { off: false, why: 'contextual clustering is not supported' },
  contextualWindowSize: { off: 0, why: 'contextual clustering is not supported' },
  regExFilter: { off: false, why: 'filtering lines by regular expression is not supported; write it in the query' },
  regExResponseKey: { off: '', why: 'filtering lines by regular expression is not supported; write it in the query' },
  streamId: { off: '', why: 'Graylog streams are not a supported log provider' },
};

const OPSMX_FIELDS = new Set([
  'templateName',
  'filterKey',
  'monitoringProvider',
  'accountName',
  'index',
  'responseKeywords',
  'scoringAlgorithm',
  'sensitivity',
  'infoScoring',
  'tags',
  'errorTopics',
  'disableDefaultErrorTopics',
  'regularExpression',
  ...Object.keys(OPSMX_OFF_FIELDS),
]);

/**
 * Imports an OpsMx log template (`LogTemplateYaml` of the Argo plugin: templateName, filterKey,
 * monitoringProvider, accountName, index, responseKeywords, scoringAlgorithm, sensitivity, infoScoring,
 * tags[{string, tag}], errorTopics[{string, topic, type}], disableDefaultErrorTopics, regularExpression).
 * Every field is honoured or refused naming it: unknown fields, other providers, and features not built
 * here (autoBaseline, contextual clustering, regExFilter, streamId) unless they are off. Default-type error
 * topics equal to OpsMx's defaults are ours already; a changed default is kept as a rule.
 */
export function importOpsmxLogTemplate(
  input: unknown,
  overrides: { provider?: string | undefined; name?: string | undefined; application?: string | undefined } = {},
): LogTemplate {
  const { provider, name, application } = overrides;
  if (!isObject(input)) throw refuse('(root)', 'an OpsMx log template must be an object');
  for (const key of Object.keys(input)) {
    if (!OPSMX_FIELDS.has(key)) throw refuse(key, 'not a field of an OpsMx log template');
    const off = OPSMX_OFF_FIELDS[key];
    if (off && input[key] !== off.off && input[key] !== null) throw refuse(key, off.why);
  }
  const str = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : undefined);
  const monitoring = str('monitoringProvider')?.toUpperCase();
  if (monitoring !== undefined && !OPSMX_PROVIDERS[monitoring])
    throw refuse(
      'monitoringProvider',
      `${monitoring} is not a supported log provider (${Object.keys(OPSMX_PROVIDERS).join(', ')})`,
    );
  const algorithm = str('scoringAlgorithm')?.toLowerCase();
  const sensitivity = str('sensitivity')?.toLowerCase();
  const topics = Array.isArray(input.errorTopics) ? input.errorTopics : [];
  const tags = Array.isArray(input.tags) ? input.tags : [];
  const isDefault = (t: Json) =>
    t.type === 'default' &&
    DEFAULT_TOPIC_RULES.some(
      (rule) => rule.string === t.string && typeof t.topic === 'string' && rule.topic === t.topic.toUpperCase(),
    );
  return parseLogTemplate({
    name:
      name ??
      ((str('templateName') ?? 'imported').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') ||
        'imported'),
    ...(application ? { application } : {}),
    provider: provider ?? str('accountName') ?? (monitoring ? OPSMX_PROVIDERS[monitoring] : undefined),
    ...(str('index') ? { index: str('index') } : {}),
    ...(str('filterKey') ? { filterKey: str('filterKey') } : {}),
    ...(str('responseKeywords')
      ? {
          messageFields: str('responseKeywords')!
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        }
      : {}),
    ...(algorithm ? { scoringAlgorithm: algorithm } : {}),
    ...(sensitivity ? { sensitivity } : {}),
    ...(typeof input.infoScoring === 'boolean' ? { infoScoring: input.infoScoring } : {}),
    ...(typeof input.disableDefaultErrorTopics === 'boolean'
      ? { disableDefaultErrorTopics: input.disableDefaultErrorTopics }
      : {}),
    errorTopics: topics
      .filter((t): t is Json => isObject(t) && !isDefault(t))
      .map((t) => ({ string: t.string, topic: typeof t.topic === 'string' ? t.topic.toUpperCase() : t.topic })),
    tags: tags.filter(isObject).map((t) => ({ pattern: escapeRegExp(String(t.string ?? '')), tag: t.tag })),
    ...(str('regularExpression') ? { masks: [str('regularExpression')] } : {}),
  });
}

function refuse(path: string, message: string): InputError {
  return new InputError(`cannot import: ${path}: ${message}`, {
    code: 'invalid_template',
    issues: [{ path, message }],
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The verification score from the metric and the log score: a weighted mean (weights need not add to 1);
 * a log analysis that found a critical cluster fails the run, whatever the metrics say.
 */
export function combinedScore(
  parts: { metric?: number; log?: { score: number; failed: boolean } },
  weights: { metric: number; log: number } = { metric: 0.5, log: 0.5 },
): { score: number; failed: boolean } {
  if (!(weights.metric >= 0 && weights.log >= 0 && weights.metric + weights.log > 0))
    throw new InputError('weights: metric and log must be ≥ 0 and not both 0', {
      issues: [{ path: 'weights', message: 'metric and log must be ≥ 0 and not both 0' }],
    });
  const terms: [number, number][] = [];
  if (parts.metric !== undefined) terms.push([parts.metric, weights.metric]);
  if (parts.log !== undefined) terms.push([parts.log.score, weights.log]);
  const total = terms.reduce((sum, [, w]) => sum + w, 0);
  const score = total === 0 ? 100 : terms.reduce((sum, [s, w]) => sum + s * w, 0) / total;
  const failed = parts.log?.failed === true;
  return { score: failed ? 0 : Math.round(score * 100) / 100, failed };
}
