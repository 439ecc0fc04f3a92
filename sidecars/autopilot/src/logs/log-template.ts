// The log template: which logs a verification reads (provider account, index or stream, a query with
// `${scope}` placeholders per side) and how it scores them (algorithm, sensitivity, topics, tags). Created
// over the API or in YAML like metric templates, or imported from an OpsMx log template.
import { z } from 'zod';
import { InputError, type FieldIssue } from '@isd/kit';
import { ALGORITHMS, SENSITIVITIES, type LogAnalysisOptions, type Mark } from './analysis';
import { TEMPLATE_NAME_PATTERN } from '../templates/template';

export const logTemplateSchema = z.strictObject({
  name: z
    .string()
    .regex(TEMPLATE_NAME_PATTERN, 'must be 1–128 letters, digits, `.`, `_` or `-`, starting with a letter or digit'),
  description: z.string().max(2000).optional(),
  provider: z.string().min(1).describe('Log provider account (OpenSearch, Loki or Splunk)'),
  index: z.string().min(1).optional().describe('OpenSearch/Elasticsearch index or pattern'),
  query: z
    .string()
    .max(10_000)
    .default('')
    .describe('Provider query for one side; `${scope}` is replaced by the side\'s filter (e.g. pod:"web-canary")'),
  filterKey: z.string().min(1).optional().describe('Field the scope value is matched on (OpsMx filterKey)'),
  messageFields: z.array(z.string().min(1)).default(['message', 'log']).describe('Fields holding the message'),
  scoringAlgorithm: z.enum(ALGORITHMS).default('canary'),
  sensitivity: z.enum(SENSITIVITIES).default('high'),
  infoScoring: z.boolean().default(false),
  disableDefaultErrorTopics: z.boolean().default(false),
  errorTopics: z
    .array(z.strictObject({ string: z.string().min(1), topic: z.enum(['CRITICAL', 'ERROR', 'WARN']) }))
    .default([]),
  tags: z.array(z.strictObject({ pattern: z.string().min(1), tag: z.string().min(1) })).default([]),
  masks: z.array(z.string().min(1)).default([]).describe('Regular expressions whose matches are variables'),
});

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
  const template = result.data;
  const badRegex = (source: string) => {
    try {
      new RegExp(source);
      return false;
    } catch {
      return true;
    }
  };
  const issues: FieldIssue[] = [
    ...template.masks.flatMap((m, i) =>
      badRegex(m) ? [{ path: `masks.${i}`, message: 'not a regular expression' }] : [],
    ),
    ...template.tags.flatMap((t, i) =>
      badRegex(t.pattern) ? [{ path: `tags.${i}.pattern`, message: 'not a regular expression' }] : [],
    ),
  ];
  if (issues.length > 0)
    throw new InputError(`invalid log template: ${issues[0]!.path}: ${issues[0]!.message}`, {
      code: 'invalid_template',
      issues,
    });
  return template;
}

/** The query one side runs: the template's query with `${scope}` as `filterKey:"value"` (or the value). */
export function sideQuery(template: LogTemplate, scopeValue: string): string {
  const escaped = scopeValue.replace(/["\\]/g, '\\$&');
  const filter = template.filterKey ? `${template.filterKey}:"${escaped}"` : scopeValue;
  if (template.query.includes('${scope}')) return template.query.split('${scope}').join(filter);
  return template.query.trim() === '' ? filter : `(${template.query}) AND ${filter}`;
}

/** A user's mark on a cluster of an application, with who set it. */
export interface ClusterMark {
  template: string;
  mark: Mark;
  user: string;
  atMs: number;
}

export function analysisOptions(template: LogTemplate, marks: readonly ClusterMark[] = []): LogAnalysisOptions {
  return {
    algorithm: template.scoringAlgorithm,
    sensitivity: template.sensitivity,
    infoScoring: template.infoScoring,
    topics: { rules: template.errorTopics, disableDefaults: template.disableDefaultErrorTopics, tags: template.tags },
    miner: { masks: template.masks },
    marks: new Map(marks.map((m) => [m.template, m.mark])),
  };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Imports an OpsMx log template (`LogTemplateYaml` of the Argo plugin: templateName, filterKey,
 * monitoringProvider, accountName, index, responseKeywords, scoringAlgorithm, sensitivity, infoScoring,
 * tags[{string, tag}], errorTopics[{string, topic, type}], disableDefaultErrorTopics, regularExpression).
 * OpsMx's default-type error topics are ours already, so only custom ones are carried over.
 */
export function importOpsmxLogTemplate(input: unknown, provider?: string): LogTemplate {
  if (!isObject(input)) throw new InputError('cannot import: (root): an OpsMx log template must be an object');
  const str = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : undefined);
  const algorithm = str('scoringAlgorithm')?.toLowerCase();
  const sensitivity = str('sensitivity')?.toLowerCase();
  const topics = Array.isArray(input.errorTopics) ? input.errorTopics : [];
  const tags = Array.isArray(input.tags) ? input.tags : [];
  return parseLogTemplate({
    name:
      (str('templateName') ?? 'imported').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'imported',
    provider: provider ?? str('accountName') ?? str('monitoringProvider')?.toLowerCase(),
    ...(str('index') ? { index: str('index') } : {}),
    ...(str('filterKey') ? { filterKey: str('filterKey') } : {}),
    ...(str('responseKeywords')
      ? {
          messageFields: str('responseKeywords')!
            .split(',')
            .map((s) => s.trim()),
        }
      : {}),
    ...(algorithm ? { scoringAlgorithm: algorithm } : {}),
    ...(sensitivity ? { sensitivity } : {}),
    ...(typeof input.infoScoring === 'boolean' ? { infoScoring: input.infoScoring } : {}),
    ...(typeof input.disableDefaultErrorTopics === 'boolean'
      ? { disableDefaultErrorTopics: input.disableDefaultErrorTopics }
      : {}),
    errorTopics: topics
      .filter((t): t is Json => isObject(t) && t.type !== 'default')
      .map((t) => ({ string: t.string, topic: typeof t.topic === 'string' ? t.topic.toUpperCase() : t.topic })),
    tags: tags.filter(isObject).map((t) => ({ pattern: escapeRegExp(String(t.string ?? '')), tag: t.tag })),
    ...(str('regularExpression') ? { masks: [str('regularExpression')] } : {}),
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
