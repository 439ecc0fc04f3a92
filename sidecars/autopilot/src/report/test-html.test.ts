// The test verification report page: every name and message from the builds escaped, nothing outside
// the page referenced, each category listed with its count, and the slower tests drawn to scale.
import { compareTestRuns, type TestRun } from '../test-verification/compare';
import type { TestCase, TestOutcome } from '../test-verification/results';
import { escapeHtml } from './html';
import { durationChart, renderTestReportHtml, type TestReportPage } from './test-html';

const hostile = '<script>alert("x")</script>';

function test(name: string, outcome: TestOutcome, durationMs: number, message: string | null = null): TestCase {
  return {
    id: `evil.${name}`,
    suite: `suite ${hostile}`,
    className: 'evil',
    name,
    outcome,
    durationMs,
    message,
    failedAttempts: 0,
  };
}

const run = (label: string, ...cases: TestCase[]): TestRun => ({ label, cases });

function page(): TestReportPage {
  const comparison = compareTestRuns(
    [
      run(
        `baseline ${hostile}`,
        test(`${hostile}fails`, 'passed', 10),
        test('slow"<img src=x onerror=alert(1)>', 'passed', 100),
        test('gone<b>', 'passed', 10),
        test('skips', 'passed', 10),
      ),
    ],
    [
      run(
        'canary',
        test(`${hostile}fails`, 'failed', 10, `expected <div> but got ${hostile}`),
        test('slow"<img src=x onerror=alert(1)>', 'passed', 2_000),
        test('skips', 'skipped', 0),
      ),
    ],
    { pass: 80, marginal: 60 },
  );
  return {
    id: 'id',
    status: 'fail',
    score: comparison.score,
    reason: comparison.reason,
    application: hostile,
    pipelineName: hostile,
    executionId: hostile,
    thresholds: { pass: 80, marginal: 60 },
    baselineRuns: [{ kind: 'inline', label: hostile }],
    canaryRuns: [{ kind: 'url', label: 'https://nexus/x.xml' }],
    createdAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:05.000Z',
    report: comparison,
  };
}

describe('test report page', () => {
  it('escapes every name, message and label from the builds and references nothing outside the page', () => {
    const html = renderTestReportHtml(page());
    expect(html).not.toMatch(/<script|<img|gone<b>|<div>/);
    expect(html).toContain(escapeHtml(hostile));
    expect(html).toContain(escapeHtml('expected <div> but got '));
    expect(html).toContain(escapeHtml('slow"<img src=x onerror=alert(1)>'));
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('shows verdict, score, thresholds, the count of each category and a table per finding kind', () => {
    const data = page();
    const html = renderTestReportHtml(data);
    const counts = data.report!.counts;
    expect(counts).toMatchObject({ newFailures: 1, slower: 1, missing: 1, newlySkipped: 1 });
    expect(html).toContain(`data-status="fail"`);
    expect(html).toContain(`Score ${data.score}`);
    expect(html).toContain('pass ≥ 80, marginal ≥ 60');
    for (const [key, value] of Object.entries(counts)) expect(html).toContain(`data-count="${key}"><b>${value}</b>`);
    const section = (id: string) => html.slice(html.indexOf(`<h2 id="${id}"`)).split('<h2')[1]!;
    expect(section('new-failures')).toContain(escapeHtml(`${hostile}fails`));
    expect(section('new-failures')).toContain('expected &lt;div&gt;');
    expect(section('missing')).toContain('gone&lt;b&gt;');
    expect(section('newly-skipped')).toContain('<code>skips</code>');
    expect(section('flaky')).toContain('None.');
    expect(section('slower')).toMatch(/<td>100 ms<\/td><td>2 s<\/td><td>×20<\/td>/);
  });

  it('draws the slower tests as bars to one scale, capped, and nothing when none is slower', () => {
    const svg = durationChart([
      { id: 'a', baselineMs: 100, canaryMs: 400, ratio: 4 },
      { id: 'b', baselineMs: 0, canaryMs: 200, ratio: null },
    ]);
    const widths = [...svg.matchAll(/width="([\d.]+)" height="8" fill="[^"]+" data-side="(\w+)"/g)].map((m) => [
      m[2],
      Number(m[1]),
    ]);
    expect(widths.map((w) => w[0])).toEqual(['baseline', 'canary', 'baseline', 'canary']);
    const [aBase, aCanary, , bCanary] = widths.map((w) => w[1] as number) as [number, number, number, number];
    expect(aCanary / aBase).toBeCloseTo(4, 1);
    expect(aCanary / bCanary).toBeCloseTo(2, 1);
    expect(svg).toContain('from 0 ms');
    const many = Array.from({ length: 50 }, (_, i) => ({ id: `t${i}`, baselineMs: 1, canaryMs: 2, ratio: 2 }));
    expect(durationChart(many).match(/<g /g)).toHaveLength(20);
    expect(durationChart([])).toBe('');
  });

  it('says so while running or when no comparison was made', () => {
    expect(renderTestReportHtml({ ...page(), status: 'running', report: null, score: null })).toContain(
      'has not finished yet',
    );
    expect(
      renderTestReportHtml({ ...page(), status: 'error', report: null, error: `Jenkins said ${hostile}` }),
    ).toContain(`Jenkins said ${escapeHtml(hostile)}`);
  });
});
