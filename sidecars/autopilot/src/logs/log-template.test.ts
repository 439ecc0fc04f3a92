import { InputError } from '@isd/kit';
import { analyzeLogs } from './analysis';
import {
  analysisOptions,
  clusterKey,
  combinedScore,
  importOpsmxLogTemplate,
  parseLogTemplate,
  scopeFilter,
  sideQuery,
  type ClusterMark,
} from './log-template';
import { logsView, storedLogAnalysis } from './log-view';
import { renderLogClusters } from './report-html';

describe('log templates', () => {
  it('fills defaults and names every bad field', () => {
    const template = parseLogTemplate({ name: 'web-logs', provider: 'opensearch-prod', index: 'logs-*' });
    expect(template).toMatchObject({
      scoringAlgorithm: 'canary',
      sensitivity: 'high',
      messageFields: ['message', 'log'],
    });
    try {
      parseLogTemplate({ name: '-bad', provider: '', sensitivity: 'extreme', tags: [{ pattern: '(', tag: 'x' }] });
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      const paths = (error as InputError & { issues: { path: string }[] }).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['name', 'provider', 'sensitivity']));
    }
    expect(() => parseLogTemplate({ name: 'x', provider: 'p', tags: [{ pattern: '(', tag: 'x' }] })).toThrow(
      /tags\.0\.pattern/,
    );
  });

  it('refuses masks and tags RE2 cannot match in linear time (lookaround, backreferences), naming the field', () => {
    const issues = (input: unknown) => {
      try {
        parseLogTemplate(input);
        return [];
      } catch (error) {
        return (error as InputError & { issues: { path: string; message: string }[] }).issues;
      }
    };
    expect(issues({ name: 'x', provider: 'p', masks: ['\\d+', '(?<=id=)\\w+'] })).toEqual([
      { path: 'masks.1', message: expect.stringMatching(/^not a usable RE2 regular expression: /) },
    ]);
    expect(issues({ name: 'x', provider: 'p', tags: [{ pattern: '(a)\\1', tag: 'twice' }] })).toEqual([
      { path: 'tags.0.pattern', message: expect.stringMatching(/^not a usable RE2 regular expression: .*\\1/) },
    ]);
    // A program so large that each line would cost milliseconds, and too many patterns, are refused too.
    const huge = Array.from({ length: 3 }, (_, i) => `[a-h]{${999 - i}}z`).join('|');
    expect(issues({ name: 'x', provider: 'p', masks: ['\\d+', huge] })).toEqual([
      { path: 'masks.1', message: expect.stringMatching(/RE2 instructions, more than 1000$/) },
    ]);
    expect(
      issues({ name: 'x', provider: 'p', masks: Array.from({ length: 51 }, () => 'x') }).map((i) => i.path),
    ).toEqual(['masks']);
    // Patterns that backtrack exponentially in V8 are fine: RE2 matches them in linear time.
    expect(
      issues({ name: 'x', provider: 'p', masks: ['(a+)+b'], tags: [{ pattern: '(\\w+\\s?)+$', tag: 't' }] }),
    ).toEqual([]);
  });

  it("writes each side's query from the scope", () => {
    const template = parseLogTemplate({
      name: 't',
      provider: 'p',
      filterKey: 'kubernetes.pod_name',
      query: 'level:ERROR',
    });
    expect(sideQuery(template, 'web-"canary"')).toBe('(level:ERROR) AND kubernetes.pod_name:"web-\\"canary\\""');
    const placed = parseLogTemplate({ name: 't', provider: 'p', filterKey: 'pod', query: '${scope} AND app:web' });
    expect(sideQuery(placed, 'web-1')).toBe('pod:"web-1" AND app:web');
  });

  it('imports an OpsMx log template', () => {
    const template = importOpsmxLogTemplate({
      templateName: 'loggytemp',
      filterKey: 'kubernetes.pod_name',
      monitoringProvider: 'ELASTICSEARCH',
      accountName: 'elastic-account',
      index: 'kubernetes*',
      responseKeywords: 'log,message',
      scoringAlgorithm: 'Canary',
      sensitivity: 'high',
      disableDefaultErrorTopics: false,
      tags: [{ string: 'payment.failed', tag: 'payments' }],
      errorTopics: [
        { string: 'OnOutOfMemoryError', topic: 'critical', type: 'default' },
        { string: 'timed out', topic: 'warn', type: 'custom' },
      ],
    });
    expect(template).toMatchObject({
      name: 'loggytemp',
      provider: 'elastic-account',
      index: 'kubernetes*',
      messageFields: ['log', 'message'],
      scoringAlgorithm: 'canary',
      errorTopics: [{ string: 'timed out', topic: 'WARN' }],
      tags: [{ pattern: 'payment\\.failed', tag: 'payments' }],
    });
    expect(() => importOpsmxLogTemplate({ templateName: 'x', scoringAlgorithm: 'magic', accountName: 'a' })).toThrow(
      /scoringAlgorithm/,
    );
  });

  it('combines metric and log scores by weight; a critical log cluster fails the run', () => {
    expect(combinedScore({ metric: 90, log: { score: 60, failed: false } }, { metric: 2, log: 1 }).score).toBe(80);
    expect(combinedScore({ metric: 90 }).score).toBe(90);
    expect(combinedScore({ metric: 100, log: { score: 0, failed: true } })).toEqual({ score: 0, failed: true });
    expect(() => combinedScore({ metric: 1 }, { metric: 0, log: 0 })).toThrow(/weights/);
  });

  it('renders clusters with examples, counts, classification, impact and who marked them, escaped', () => {
    const template = parseLogTemplate({ name: 't', provider: 'p' });
    const slow = 'WARN slow <script> took <*> ms';
    const marks: ClusterMark[] = [
      { clusterKey: clusterKey(slow), mark: 'expected', user: 'alice@example.com', atMs: Date.UTC(2026, 0, 2) },
    ];
    const baseline = Array.from({ length: 50 }, (_, i) => `INFO ok ${i}`);
    const errors = [7, 8, 9, 10].map((n) => `ERROR IllegalArgumentException: bad <b>input</b> ${n}`);
    const canary = [...baseline, ...errors, 'WARN slow <script> took 5 ms'];
    const analysis = analyzeLogs(baseline, canary, analysisOptions(template, marks));
    expect(analysis.clusters.find((c) => c.template === slow)).toMatchObject({ mark: 'expected', unexpected: false });
    const stored = storedLogAnalysis(analysis, {
      template: { name: 't', version: 1 },
      provider: 'p',
      queries: { baseline: 'pod:"a"', canary: 'pod:"b"' },
    });
    const current = new Map([
      [
        clusterKey(slow),
        {
          mark: 'expected' as const,
          comment: 'known',
          markedBy: 'alice@example.com',
          markedAt: '2026-01-02T00:00:00.000Z',
        },
      ],
    ]);
    const view = logsView(stored, 0.5, current);
    expect(view.clusters.find((c) => c.template === slow)).toMatchObject({
      classification: 'expected',
      scoreImpact: 0,
    });
    const html = renderLogClusters(view, 'web');
    expect(html).toContain('IllegalArgumentException: bad &lt;b&gt;input&lt;/b&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('only in canary');
    expect(html).toContain('expected by alice@example.com at 2026-01-02T00:00:00.000Z: known');
    expect(html).toContain('applied in this run: expected');
    expect(html).toMatch(/−\d+\.\d/);
  });

  it('writes the scope filter in each provider syntax and names a label the scope lacks', () => {
    const template = parseLogTemplate({ name: 't', provider: 'p', query: 'level:ERROR' });
    const scope = { namespace: 'prod', 'kubernetes.pod_name': 'web-1' };
    expect(sideQuery(template, scope, 'opensearch')).toBe(
      '(level:ERROR) AND kubernetes.pod_name:"web-1" AND namespace:"prod"',
    );
    const loki = parseLogTemplate({ name: 't', provider: 'p', query: '{${scope}} |= "ERROR"' });
    expect(sideQuery(loki, { app: 'web', pod: 'a"b' }, 'loki')).toBe('{app="web", pod="a\\"b"} |= "ERROR"');
    const splunk = parseLogTemplate({ name: 't', provider: 'p', query: 'index=main' });
    expect(sideQuery(splunk, { host: 'h1' }, 'splunk')).toBe('host="h1" index=main');
    const keyed = parseLogTemplate({ name: 't', provider: 'p', filterKey: 'pod' });
    expect(sideQuery(keyed, { deployment: 'web-v2' })).toBe('pod:"web-v2"'); // one label: its value
    expect(scopeFilter(keyed, { a: '1', b: '2' })).toEqual({ missing: 'pod' });
    expect(() => sideQuery(keyed, { a: '1', b: '2' })).toThrow(/no label pod/);
  });

  it('refuses OpsMx fields it cannot honour, naming them', () => {
    const base = { templateName: 'x', accountName: 'a', monitoringProvider: 'ELASTICSEARCH' };
    expect(() => importOpsmxLogTemplate({ ...base, autoBaseline: true })).toThrow(/autoBaseline: automatic/);
    expect(() => importOpsmxLogTemplate({ ...base, contextualCluster: true })).toThrow(/contextualCluster/);
    expect(() => importOpsmxLogTemplate({ ...base, streamId: 'abc' })).toThrow(/streamId/);
    expect(() => importOpsmxLogTemplate({ ...base, colour: 'red' })).toThrow(/colour: not a field/);
    expect(() => importOpsmxLogTemplate({ ...base, monitoringProvider: 'GRAYLOG' })).toThrow(/monitoringProvider/);
    // Off values are accepted; a changed default topic is kept as a rule.
    const template = importOpsmxLogTemplate({
      ...base,
      autoBaseline: false,
      contextualCluster: false,
      errorTopics: [
        { string: 'FATAL', topic: 'critical', type: 'default' },
        { string: 'WARN', topic: 'error', type: 'default' },
      ],
    });
    expect(template.errorTopics).toEqual([{ string: 'WARN', topic: 'ERROR' }]);
    expect(importOpsmxLogTemplate(base, { provider: 'logs-prod', name: 'renamed', application: 'web' })).toMatchObject({
      name: 'renamed',
      provider: 'logs-prod',
    });
  });
});
