// What a user with WRITE on one application can make a service keep without bound.
// - Marks on log clusters: each PUT with a new 24-hex cluster key stored one more row (up to 22 KB of template
//   and comment), and every report render and analysis window of the application reads them all. Now a new
//   cluster beyond logMarks.maxPerApplication is a 400 naming the key, per application.
// - Metric and log templates: each POST with a new name (or a changed definition) stored one more template (or
//   version) of up to 1 MiB, and every user's template list reads the latest version of every application's
//   templates. Now a new name beyond templates.maxPerApplication and a version beyond templates.maxVersions are
//   a 400 naming the key.
// - The rate of those writes: flipping one mark back and forth, or alternating one template's definition, left
//   an audit record (with the cluster's template text), a queued job or a version behind per request. Now a
//   user's writes beyond userWrites.perMinute are a 429 naming the key, with Retry-After.
// Replacing what exists still works, and another application's (or user's) writes are not affected.
import { TEST_GATE_TOKEN } from '@isd/test-support';
import { asUser, call, startServiceProcess, type ServiceProcess } from './services';

const gateHeaders = (user: string) => ({ 'x-isd-gate-token': TEST_GATE_TOKEN, 'x-spinnaker-user': user });

jest.setTimeout(120_000);

const LIMIT = 5;
const TEMPLATE_LIMIT = 3;
const VERSION_LIMIT = 4;
let autopilot: ServiceProcess;

beforeAll(async () => {
  autopilot = await startServiceProcess('autopilot', {
    AUTOPILOT_LOG_MARKS__MAX_PER_APPLICATION: String(LIMIT),
    AUTOPILOT_TEMPLATES__MAX_PER_APPLICATION: String(TEMPLATE_LIMIT),
    AUTOPILOT_TEMPLATES__MAX_VERSIONS: String(VERSION_LIMIT),
    AUTOPILOT_PROVIDERS: JSON.stringify({ prom: { type: 'prometheus', url: 'http://127.0.0.1:1', timeoutMs: 500 } }),
    AUTOPILOT_ANALYSIS__CHECK_QUERIES_ON_CREATE: 'false',
    // The stored-row limits are this file's first subject: the rate of writes has its own process below.
    AUTOPILOT_USER_WRITES__PER_MINUTE: '10000',
  });
});
afterAll(() => autopilot?.stop());

const key = (n: number) => n.toString(16).padStart(24, '0');
const mark = (user: string, application: string, n: number, comment = 'x'.repeat(2000)) =>
  call(autopilot.url, 'PUT', `/api/v1/applications/${application}/log-marks/${key(n)}`, asUser(user), {
    mark: 'expected',
    comment,
  });

describe('log marks', () => {
  it('keeps at most logMarks.maxPerApplication per application, naming the limit beyond it', async () => {
    for (let n = 0; n < LIMIT; n++) expect((await mark('alice', 'shop', n)).status).toBe(200);
    for (let n = LIMIT; n < LIMIT + 20; n++) {
      const refused = await mark('alice', 'shop', n);
      expect(refused.status).toBe(400);
      expect(refused.body.detail).toContain('logMarks.maxPerApplication');
      expect(refused.body).toMatchObject({ type: 'urn:isd:problem:log_mark_limit', field: 'path.clusterKey' });
    }
    const listed = await call(autopilot.url, 'GET', '/api/v1/applications/shop/log-marks', asUser('alice'));
    expect(listed.body.marks).toHaveLength(LIMIT);

    // A mark already there can still change, and one removed makes room for another.
    expect((await mark('alice', 'shop', 0, 'changed')).status).toBe(200);
    const removed = await call(
      autopilot.url,
      'DELETE',
      `/api/v1/applications/shop/log-marks/${key(1)}`,
      asUser('alice'),
    );
    expect(removed.status).toBe(204);
    expect((await mark('alice', 'shop', LIMIT + 100)).status).toBe(200);

    // The limit is the application's, not the service's: billing's writer is not refused for shop's marks.
    expect((await mark('bob', 'billing', 0)).status).toBe(200);
    expect((await call(autopilot.url, 'GET', '/healthz', asUser('alice'))).status).toBe(200);
  });

  it('never lets concurrent new marks pass the limit together', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, n) => mark('bob', 'billing', 1_000 + n)));
    expect(answers.map((answer) => answer.status).filter((status) => status === 200)).toHaveLength(LIMIT - 1);
    expect(answers.every((answer) => answer.status === 200 || answer.status === 400)).toBe(true);
    const listed = await call(autopilot.url, 'GET', '/api/v1/applications/billing/log-marks', asUser('bob'));
    expect(listed.body.marks).toHaveLength(LIMIT);
  });
});

describe('metric templates', () => {
  const template = (name: string, application: string, query = 'avg(latency{${scope}})') => ({
    name,
    application,
    metrics: [{ name: 'latency', query, direction: 'increase' }],
  });
  const save = (user: string, body: unknown) => call(autopilot.url, 'POST', '/api/v1/templates', asUser(user), body);

  it('keeps at most templates.maxPerApplication names per application, naming the limit beyond it', async () => {
    for (let n = 0; n < TEMPLATE_LIMIT; n++)
      expect((await save('alice', template(`shop-${n}`, 'shop'))).status).toBe(201);
    for (let n = TEMPLATE_LIMIT; n < TEMPLATE_LIMIT + 10; n++) {
      const refused = await save('alice', template(`shop-${n}`, 'shop'));
      expect(refused.status).toBe(400);
      expect(refused.body.detail).toContain('templates.maxPerApplication');
      expect(refused.body).toMatchObject({ type: 'urn:isd:problem:template_limit', field: 'body.application' });
    }
    const listed = await call(autopilot.url, 'GET', '/api/v1/templates', asUser('alice'));
    expect(listed.body.templates.filter((t: { name: string }) => t.name.startsWith('shop-'))).toHaveLength(
      TEMPLATE_LIMIT,
    );
    // An existing template still takes a new version; billing's writer is not refused for shop's templates.
    expect((await save('alice', template('shop-0', 'shop', 'max(latency{${scope}})'))).status).toBe(201);
    expect((await save('bob', template('billing-0', 'billing'))).status).toBe(201);
  });

  it('keeps at most templates.maxVersions versions of one name', async () => {
    const query = (n: number) => `avg(latency_${n}{\${scope}})`;
    for (let n = 1; n <= VERSION_LIMIT - 1; n++)
      expect((await save('bob', template('billing-0', 'billing', query(n)))).status).toBe(201);
    const refused = await save('bob', template('billing-0', 'billing', query(99)));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ type: 'urn:isd:problem:template_version_limit', field: 'body.name' });
    expect(refused.body.detail).toContain('templates.maxVersions');
    // Posting the latest definition again is still the no-op it was.
    expect((await save('bob', template('billing-0', 'billing', query(VERSION_LIMIT - 1)))).status).toBe(200);
    const versions = await call(autopilot.url, 'GET', '/api/v1/templates/billing-0/versions', asUser('bob'));
    expect(versions.body.versions).toHaveLength(VERSION_LIMIT);
  });

  it('never lets concurrent new names pass the limit together', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, n) => save('toString', template(`race-${n}`, 'shop'))),
    );
    expect(answers.every((answer) => answer.status === 400)).toBe(true);
    const fresh = await Promise.all(
      Array.from({ length: 8 }, (_, n) => save('bob', template(`b-race-${n}`, 'billing'))),
    );
    expect(fresh.filter((answer) => answer.status === 201)).toHaveLength(TEMPLATE_LIMIT - 1);
    expect(fresh.every((answer) => answer.status === 201 || answer.status === 400)).toBe(true);
  });
});

describe("a user's writes per minute", () => {
  const PER_MINUTE = 3;
  let limited: ServiceProcess;

  beforeAll(async () => {
    limited = await startServiceProcess('autopilot', {
      AUTOPILOT_USER_WRITES__PER_MINUTE: String(PER_MINUTE),
      AUTOPILOT_PROVIDERS: JSON.stringify({ prom: { type: 'prometheus', url: 'http://127.0.0.1:1', timeoutMs: 500 } }),
      AUTOPILOT_ANALYSIS__CHECK_QUERIES_ON_CREATE: 'false',
    });
  });
  afterAll(() => limited?.stop());

  const flip = (user: string, application: string, mark: string) =>
    fetch(`${limited.url}/api/v1/applications/${application}/log-marks/${key(7)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...gateHeaders(user) },
      body: JSON.stringify({ mark, comment: 'x'.repeat(2000) }),
    });

  it('refuses a user beyond userWrites.perMinute with 429 and Retry-After, whatever they write', async () => {
    for (let n = 0; n < PER_MINUTE; n++)
      expect((await flip('alice', 'shop', n % 2 ? 'critical' : 'expected')).status).toBe(200);
    const refused = await flip('alice', 'shop', 'ignorable');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const problem = (await refused.json()) as { type: string; detail: string };
    expect(problem.type).toBe('urn:isd:problem:write_limit_exceeded');
    expect(problem.detail).toContain('userWrites.perMinute');
    // The budget is the user's, over every kind of write: a template save and a mark removal are refused too.
    const template = await call(limited.url, 'POST', '/api/v1/templates', asUser('alice'), {
      name: 'shop-rate',
      application: 'shop',
      metrics: [{ name: 'latency', query: 'avg(latency{${scope}})', direction: 'increase' }],
    });
    expect(template.status).toBe(429);
    const removal = await call(limited.url, 'DELETE', `/api/v1/applications/shop/log-marks/${key(7)}`, asUser('alice'));
    expect(removal.status).toBe(429);
    // The mark stays as the last admitted write left it, reads go on, and bob's writes are his own.
    const marks = await call(limited.url, 'GET', '/api/v1/applications/shop/log-marks', asUser('alice'));
    expect(marks.body.marks).toEqual([expect.objectContaining({ clusterKey: key(7), mark: 'expected' })]);
    expect((await flip('bob', 'billing', 'expected')).status).toBe(200);
  });
});
