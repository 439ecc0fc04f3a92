// The audit trail: services append, everyone with READ on an application queries it (JSON or CSV, paged),
// and nothing — no API, no SQL UPDATE/DELETE outside retention — changes or removes a record.
import type { RunningService } from '@isd/kit';
import { createTestDatabase, startTestService, testServiceConfig } from '@isd/test-support';
import { saporService, type SaporConfig } from '../src';
import { saporSweeps } from '../src/retention';
import { client } from './helpers';

const people = {
  admin: 'root@example.com',
  webReader: 'reader@example.com',
  nobody: 'nobody@example.com',
};

let sapor: RunningService<SaporConfig>;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  const config = testServiceConfig(saporService, {
    databaseUrl,
    users: {
      [people.admin]: { roles: ['admin'], admin: true },
      [people.webReader]: { roles: ['dev'], applications: { web: ['READ'] } },
      [people.nobody]: { roles: ['dev'] },
    },
    // The service's own daily retention job runs at start; with two centuries it never removes the 2001 record
    // the retention test prunes itself.
    extra: { audit: { retentionDays: 73_000 } },
  });
  sapor = await startTestService(saporService, config);
  api = client(sapor.url);
});
afterAll(() => sapor.stop());

let counter = 0;
function decision(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    source: 'visibility',
    key: `approval-${counter}`,
    type: 'approval',
    outcome: 'approved',
    application: 'web',
    actor: 'alice@example.com',
    occurredAt: new Date(Date.UTC(2026, 0, 1, 12, 0, counter)).toISOString(),
    subject: { executionId: `exec-${counter}`, stageId: 'stage-1' },
    details: { comment: 'looks good' },
    ...overrides,
  };
}

describe('appending', () => {
  it('appends a decision once: a retry with the same source and key returns the stored record unchanged', async () => {
    const entry = decision();
    const first = await api.asService('POST', '/api/v1/audit/records', entry);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      source: 'visibility',
      type: 'approval',
      outcome: 'approved',
      actor: entry.actor,
    });
    const retry = await api.asService('POST', '/api/v1/audit/records', { ...entry, outcome: 'rejected' });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
  });

  it('refuses bad input naming the field, and users may not append', async () => {
    const bad = await api.asService(
      'POST',
      '/api/v1/audit/records',
      decision({ type: 'coffee', occurredAt: 'yesterday' }),
    );
    expect(bad.status).toBe(400);
    const fields = (bad.body.errors as Array<{ path: string }>).map((issue) => issue.path);
    expect(fields).toEqual(expect.arrayContaining(['body.type', 'body.occurredAt']));
    const extra = await api.asService('POST', '/api/v1/audit/records', { ...decision(), seq: '1' });
    expect(extra.status).toBe(400);
    const asUser = await api.asUser(people.admin, 'POST', '/api/v1/audit/records', decision());
    expect(asUser.status).toBe(401);
  });
});

describe('append-only', () => {
  it('has no API that updates or deletes a record', async () => {
    const created = await api.asService('POST', '/api/v1/audit/records', decision());
    const id = created.body.id as string;
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      for (const url of [`/api/v1/audit/records/${id}`, '/api/v1/audit/records', '/api/v1/audit']) {
        const response = await api.asService(method, url, { outcome: 'rejected' });
        expect([404, 405]).toContain(response.status);
      }
    }
    const openapi = (await api.raw('GET', '/openapi.json', undefined, {})).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const auditPaths = Object.entries(openapi.paths).filter(([path]) => path.startsWith('/api/v1/audit'));
    expect(auditPaths.map(([path, methods]) => [path, Object.keys(methods).sort()])).toEqual([
      ['/api/v1/audit/records', ['post']],
      ['/api/v1/audit', ['get']],
    ]);
    const after = await api.asService('GET', '/api/v1/audit?limit=1000');
    expect(after.body.records.find((record: { id: string }) => record.id === id)).toEqual(created.body);
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    await api.asService('POST', '/api/v1/audit/records', decision());
    await expect(sapor.database.query("UPDATE audit_records SET outcome = 'rejected'")).rejects.toThrow(
      /append-only \(UPDATE refused\)/,
    );
    await expect(sapor.database.query('DELETE FROM audit_records')).rejects.toThrow(/append-only \(DELETE refused\)/);
    await expect(sapor.database.query('TRUNCATE audit_records')).rejects.toThrow(/append-only \(TRUNCATE refused\)/);
  });

  it('retention removes only records older than the cutoff', async () => {
    const old = await api.asService('POST', '/api/v1/audit/records', decision({ occurredAt: '2001-01-01T00:00:00Z' }));
    const recent = await api.asService('POST', '/api/v1/audit/records', decision());
    const retention = saporSweeps(sapor.config).find((sweep) => sweep.name === 'audit_records')!;
    const deleted = await sapor.database.transaction((client) =>
      retention.removeBatch(client, new Date('2010-01-01T00:00:00Z'), 100),
    );
    expect(deleted).toEqual({ records: 1, rows: { audit_records: 1 } });
    const all = await api.asService('GET', '/api/v1/audit?limit=1000');
    const ids = all.body.records.map((record: { id: string }) => record.id);
    expect(ids).toContain(recent.body.id);
    expect(ids).not.toContain(old.body.id);
    // Outside the retention job, deleting is still refused.
    await expect(sapor.database.query('DELETE FROM audit_records')).rejects.toThrow(/append-only/);
  });
});

describe('querying', () => {
  const application = `shop${Date.now()}`;
  beforeAll(async () => {
    for (let i = 0; i < 5; i++)
      await api.asService('POST', '/api/v1/audit/records', decision({ application, actor: i % 2 ? 'bob' : 'carol' }));
    await api.asService(
      'POST',
      '/api/v1/audit/records',
      decision({ application, type: 'verification', outcome: 'fail' }),
    );
    await api.asService(
      'POST',
      '/api/v1/audit/records',
      decision({ application: null, type: 'account', outcome: 'created', subject: { account: 'prod' } }),
    );
  });

  it('filters by application, type, actor and time, newest first, and pages with the cursor', async () => {
    const byActor = await api.asService('GET', `/api/v1/audit?application=${application}&actor=carol&type=approval`);
    expect(byActor.status).toBe(200);
    expect(byActor.body.records).toHaveLength(3);
    const times = byActor.body.records.map((record: { occurredAt: string }) => record.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);

    const first = await api.asService('GET', `/api/v1/audit?application=${application}&limit=4`);
    expect(first.body.records).toHaveLength(4);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await api.asService(
      'GET',
      `/api/v1/audit?application=${application}&limit=4&cursor=${first.body.next}`,
    );
    expect(second.body.records).toHaveLength(2);
    expect(second.body.next).toBeNull();
    const ids = [...first.body.records, ...second.body.records].map((record: { id: string }) => record.id);
    expect(new Set(ids).size).toBe(6);

    const window = first.body.records[1].occurredAt as string;
    const before = await api.asService(
      'GET',
      `/api/v1/audit?application=${application}&to=${encodeURIComponent(window)}`,
    );
    expect(before.body.records.every((record: { occurredAt: string }) => record.occurredAt < window)).toBe(true);
    expect(before.body.records).toHaveLength(4);
  });

  it('answers text/csv with a header row, quoting, formula-safe cells and a next link', async () => {
    await api.asService(
      'POST',
      '/api/v1/audit/records',
      decision({ application, actor: '=HYPERLINK("http://evil")', details: { comment: 'a, "b"\nc' } }),
    );
    const response = await api.raw('GET', `/api/v1/audit?application=${application}&limit=2`, undefined, {
      ...(await import('@isd/test-support')).serviceHeaders(),
      accept: 'text/csv',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = response.body as string;
    expect(text.split('\r\n')[0]).toBe(
      'id,occurredAt,recordedAt,source,type,outcome,application,actor,subject,details',
    );
    expect(text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(text).toContain('"{""comment"":""a, \\""b\\""\\nc""}"');
    expect(response.headers.get('link')).toMatch(/cursor=\d+>; rel="next"$/);
  });

  it('shows a user only applications they may READ; records of no application only to admins', async () => {
    await api.asService('POST', '/api/v1/audit/records', decision({ application: 'web' }));
    const reader = await api.asUser(people.webReader, 'GET', '/api/v1/audit?limit=1000');
    expect(reader.status).toBe(200);
    const apps = new Set(reader.body.records.map((record: { application: string | null }) => record.application));
    expect([...apps]).toEqual(['web']);
    expect((await api.asUser(people.webReader, 'GET', `/api/v1/audit?application=${application}`)).status).toBe(404);
    expect((await api.asUser(people.nobody, 'GET', '/api/v1/audit')).body.records).toEqual([]);
    const admin = await api.asUser(people.admin, 'GET', '/api/v1/audit?type=account');
    expect(admin.body.records.length).toBeGreaterThan(0);
    expect(admin.body.records[0]).toMatchObject({ application: null, type: 'account', outcome: 'created' });
  });

  it('refuses bad filters naming them', async () => {
    const response = await api.asService('GET', '/api/v1/audit?from=tomorrow&limit=0&type=x&cursor=abc');
    expect(response.status).toBe(400);
    const fields = (response.body.errors as Array<{ path: string }>).map((issue) => issue.path);
    expect(fields).toEqual(expect.arrayContaining(['query.from', 'query.limit', 'query.type', 'query.cursor']));
    const range = await api.asService('GET', '/api/v1/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(range.status).toBe(400);
    expect(range.body.detail).toContain('query.from');
  });
});
