// The verification list on real Postgres: 10,000 seeded verifications paged with the keyset cursor
// (every row once, in a stable order, also when rows share a creation instant), the filters, the
// 400s that name a bad parameter, and the application's READ permission.
import type { RunningService } from '@isd/kit';
import { createTestDatabase, gateHeaders, startTestService, testServiceConfig } from '@isd/test-support';
import type { AutopilotConfig } from '../config';
import { autopilotService } from '../service';

interface Summary {
  id: string;
  status: string;
  score: number | null;
  pipelineName: string | null;
  stageId: string;
  createdAt: string;
}

let service: RunningService<AutopilotConfig>;
const SEEDED = 10_000;

async function list(query: string, user = 'alice') {
  const response = await fetch(`${service.url}/api/v1/verifications?${query}`, { headers: gateHeaders(user) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function page(query: string) {
  const answer = await list(query);
  expect(answer.status).toBe(200);
  return answer.body as { verifications: Summary[]; next: string | null };
}

beforeAll(async () => {
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_list'),
      users: {
        alice: ['dev'],
        carol: { roles: ['dev'], applications: { other: ['READ'] } },
      },
    }),
  );
  // Three pipelines; rows come in fours a minute apart: two pairs with the same instant (the id orders
  // them) 7 µs apart (in the same millisecond, which a cursor of JavaScript Dates would lose).
  await service.database.query(
    `INSERT INTO verifications (id, execution_id, stage_id, application, pipeline_name, pipeline_id, request, template,
                                template_name, template_version, judge, thresholds, windows, status, score, created_at)
     SELECT gen_random_uuid(), 'exec-' || n, 'stage-' || (n % 2), CASE WHEN n % 10 = 0 THEN 'other' ELSE 'Checkout' END,
            'deploy-' || (n % 3), 'pipe-' || (n % 3), '{}', '{"metrics":[]}', 'golden', 1, 'isd',
            '{"pass":80,"marginal":60}', '[]', CASE WHEN n % 7 = 0 THEN 'fail' ELSE 'pass' END, n % 100,
            timestamptz '2026-11-01T00:00:00Z' + ((n / 4) * interval '1 minute') + ((n / 2) % 2) * interval '7 microseconds'
     FROM generate_series(1, $1) AS n`,
    [SEEDED],
  );
});

afterAll(async () => {
  await service?.stop();
});

describe('GET /api/v1/verifications', () => {
  it('pages through every verification of the application once, newest first, in a stable order', async () => {
    const seen: Summary[] = [];
    let cursor: string | null = null;
    do {
      // 199 a page: page ends fall inside groups of rows created in the same millisecond.
      const query: string = `application=checkout&limit=199${cursor ? `&cursor=${cursor}` : ''}`;
      const answer = await page(query);
      seen.push(...answer.verifications);
      cursor = answer.next;
    } while (cursor);
    const expected = SEEDED - SEEDED / 10;
    expect(seen).toHaveLength(expected);
    expect(new Set(seen.map((row) => row.id)).size).toBe(expected);
    const times = seen.map((row) => Date.parse(row.createdAt));
    expect(times.every((time, index) => index === 0 || time <= times[index - 1]!)).toBe(true);
    // The same order again, asked in one go from the middle: paging is stable.
    const middle = await page(`application=checkout&limit=200&from=2026-11-01T10:00:00Z&to=2026-11-01T12:00:00Z`);
    const ids = seen.map((row) => row.id);
    const start = ids.indexOf(middle.verifications[0]!.id);
    expect(ids.slice(start, start + middle.verifications.length)).toEqual(middle.verifications.map((row) => row.id));
  });

  it('filters by pipeline, stage, status and time range', async () => {
    const first = await page('application=checkout&pipeline=deploy-1&stageId=stage-0&status=fail&limit=200');
    expect(first.verifications.length).toBeGreaterThan(0);
    for (const row of first.verifications) {
      expect(row).toMatchObject({ pipelineName: 'deploy-1', stageId: 'stage-0', status: 'fail' });
    }
    const ranged = await page('application=checkout&from=2026-11-01T01:00:00Z&to=2026-11-01T01:30:00Z&limit=200');
    expect(ranged.verifications.length).toBeGreaterThan(0);
    for (const row of ranged.verifications) {
      expect(Date.parse(row.createdAt)).toBeGreaterThanOrEqual(Date.parse('2026-11-01T01:00:00Z'));
      expect(Date.parse(row.createdAt)).toBeLessThan(Date.parse('2026-11-01T01:30:00Z'));
    }
    expect(ranged.next).toBeNull();
    expect((await page('application=nothing-here')).verifications).toEqual([]);
  });

  it.each([
    ['', 'query.application'],
    ['application=checkout&limit=0', 'query.limit'],
    ['application=checkout&limit=1000', 'query.limit'],
    ['application=checkout&cursor=not-a-cursor', 'query.cursor'],
    ['application=checkout&from=yesterday', 'query.from'],
    ['application=checkout&from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'query.from'],
    ['application=checkout&status=green', 'query.status'],
    ['application=checkout&colour=blue', 'colour'],
  ])('answers 400 naming the bad parameter for %s', async (query, field) => {
    const answer = await list(query);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain(field);
  });

  it('answers a user without READ on the application as if it had no verifications to show', async () => {
    expect((await list('application=checkout', 'carol')).status).toBe(404);
    expect((await list('application=other&limit=1', 'carol')).status).toBe(200);
  });
});
