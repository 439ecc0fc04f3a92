import { InputError } from '@isd/kit';
import { analyzeLogs } from './analysis';
import {
  analysisOptions,
  combinedScore,
  importOpsmxLogTemplate,
  parseLogTemplate,
  sideQuery,
  type ClusterMark,
} from './log-template';
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
    const marks: ClusterMark[] = [
      {
        template: 'WARN slow <script> took <*> ms',
        mark: 'expected',
        user: 'alice@example.com',
        atMs: Date.UTC(2026, 0, 2),
      },
    ];
    const baseline = Array.from({ length: 50 }, (_, i) => `INFO ok ${i}`);
    const canary = [...baseline, 'ERROR IllegalArgumentException: bad <b>input</b> 7', 'WARN slow <script> took 5 ms'];
    const analysis = analyzeLogs(baseline, canary, analysisOptions(template, marks));
    const html = renderLogClusters(analysis, marks);
    expect(html).toContain('IllegalArgumentException: bad &lt;b&gt;input&lt;/b&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('only in canary');
    expect(html).toContain('expected by alice@example.com at 2026-01-02T00:00:00.000Z');
    expect(html).toMatch(/−\d+\.\d/);
  });
});
