// What a user with WRITE on one application can make a service keep without bound. Marks on log clusters: each
// PUT with a new 24-hex cluster key stored one more row (up to 22 KB of template and comment), and every report
// render and analysis window of the application reads them all. Now a new cluster beyond
// logMarks.maxPerApplication is a 400 naming the key, per application: replacing or removing a mark still
// works, and another application's writers are not affected.
import { asUser, call, startServiceProcess, type ServiceProcess } from './services';

jest.setTimeout(120_000);

const LIMIT = 5;
let autopilot: ServiceProcess;

beforeAll(async () => {
  autopilot = await startServiceProcess('autopilot', { AUTOPILOT_LOG_MARKS__MAX_PER_APPLICATION: String(LIMIT) });
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
