// The InfluxDB client against a real InfluxDB 1.x (influxd from its Go module) with authentication on,
// seeded with baseline and canary points of known values; the request shape against a local replay server.
import { startInfluxdb, type InfluxdbServer } from '../../test/metric-stores-harness';
import { startReplayServer } from '../../test/replay-server';
import { createInfluxdbProvider, influxIdentifier, influxString, notOneReadingSelect } from './influxdb';
import { ProviderError } from './provider';

jest.setTimeout(120_000);

const admin = { username: 'admin', password: 'admin-secret' };
let influx: InfluxdbServer;
const endMs = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const startMs = endMs - 60_000;
const window = { startMs, endMs, stepSeconds: 10 };

beforeAll(async () => {
  influx = await startInfluxdb({ auth: admin });
  await influx.admin('CREATE DATABASE metrics');
  await influx.admin(`CREATE USER reader WITH PASSWORD 'reader-secret'`);
  await influx.admin('GRANT READ ON metrics TO reader');
  const lines: string[] = [];
  for (let atMs = startMs - 30_000; atMs <= endMs + 30_000; atMs += 1_000) {
    const second = (atMs - startMs) / 1000;
    lines.push(`latency,namespace=prod,deployment=web-v1 value=${100 + (second & 1)},errors=1i ${atMs}`);
    // The canary has no points from 20 s to 29 s.
    if (second < 20 || second >= 30) lines.push(`latency,namespace=prod,deployment=web-v2 value=200,errors=2i ${atMs}`);
    lines.push(`latency,namespace=prod,deployment=o'neil\\ v3 value=300 ${atMs}`);
    lines.push(`versions,deployment=web-v1 name="build 7" ${atMs}`);
  }
  await influx.write('metrics', lines);
});

afterAll(async () => {
  await influx?.stop();
});

const reader = () =>
  createInfluxdbProvider('influx', {
    url: influx.url,
    database: 'metrics',
    username: 'reader',
    password: 'reader-secret',
    timeoutMs: 10_000,
  });
const MEAN = 'SELECT mean("value") FROM latency WHERE ${scope} AND time >= $start AND time < $end GROUP BY time(10s)';

describe('InfluxDB client on a real influxd with authentication', () => {
  it('fetches one field on the step grid, the window bound as $start and $end, ${scope} as tag conditions', async () => {
    const client = reader();
    const scope = client.renderScope({ namespace: 'prod', deployment: 'web-v1' });
    expect(scope).toBe("namespace = 'prod' AND deployment = 'web-v1'");
    const series = await client.fetch(MEAN.replace('${scope}', scope), window);
    expect(series.seriesCount).toBe(1);
    expect(series.timestampsMs).toEqual(Array.from({ length: 7 }, (_, i) => startMs + i * 10_000));
    // GROUP BY time(10s) buckets [t, t+10 s) within the window; the last step (endMs) is outside `time < $end`.
    expect(series.values.slice(0, 6)).toEqual([100.5, 100.5, 100.5, 100.5, 100.5, 100.5]);
    expect(series.values[6]).toBeNaN();
    expect(series.problems).toEqual([]);
  });

  it('reads null buckets and missing points as missing', async () => {
    const client = reader();
    const series = await client.fetch(MEAN.replace('${scope}', "deployment = 'web-v2'"), window);
    expect(series.values.slice(0, 6)).toEqual([200, 200, Number.NaN, 200, 200, 200]);
    const raw = await client.fetch(
      `SELECT "value" FROM latency WHERE deployment = 'web-v2' AND time >= $start AND time < $end`,
      { ...window, stepSeconds: 1 },
    );
    expect(raw.values.slice(20, 30).every(Number.isNaN)).toBe(true);
    expect(raw.values.slice(0, 20).every((value) => value === 200)).toBe(true);
  });

  it('quotes scope values (and odd tag names) so that they are read as data', async () => {
    const client = reader();
    const scope = client.renderScope({ deployment: "o'neil v3", 'odd key': 'x', select: 'y' });
    expect(scope).toBe(`deployment = 'o\\'neil v3' AND "odd key" = 'x' AND "select" = 'y'`);
    const series = await client.fetch(
      MEAN.replace('${scope}', client.renderScope({ deployment: "o'neil v3" })),
      window,
    );
    expect(series.values[0]).toBe(300);
    expect(series.labels).toEqual({});
    expect(influxIdentifier('a"b')).toBe('"a\\"b"');
    expect(influxString('a\\b')).toBe("'a\\\\b'");
  });

  it('reports no series, several series, several fields and text fields as problems naming the query', async () => {
    const client = reader();
    const empty = await client.fetch(MEAN.replace('${scope}', "deployment = 'missing'"), window);
    expect(empty.seriesCount).toBe(0);
    expect(empty.problems[0]).toMatch(
      /^no series matched SELECT mean\("value"\) FROM latency WHERE deployment = 'missing'/,
    );
    const grouped = await client.fetch(
      'SELECT mean("value") FROM latency WHERE time >= $start AND time < $end GROUP BY time(10s), deployment',
      window,
    );
    expect(grouped.seriesCount).toBe(3);
    expect(grouped.problems[0]).toMatch(/returned 3 series .*aggregate them to one \(no GROUP BY on tags\)/);
    expect(grouped.values.every(Number.isNaN)).toBe(true);
    const fields = await client.fetch(
      "SELECT * FROM latency WHERE deployment = 'web-v1' AND time >= $start AND time < $end",
      window,
    );
    expect(fields.problems[0]).toMatch(/returned \d+ fields \(.*errors.*value.*\); select exactly one/);
    const text = await client.fetch('SELECT "name" FROM versions WHERE time >= $start AND time < $end', window);
    expect(text.values.every(Number.isNaN)).toBe(true);
    expect(text.problems).toEqual([expect.stringMatching(/the field name holds text or booleans/)]);
  });

  it('returns InfluxDB’s complaint for a bad query, refuses statements other than one SELECT, accepts a good one', async () => {
    const client = reader();
    expect(await client.checkQuery('SELECT mean(value FROM latency')).toMatch(
      /refused the query SELECT mean\(value FROM latency: error parsing query: /,
    );
    expect(await client.checkQuery('SELECT nosuchfunction(value) FROM latency WHERE time >= $start')).toMatch(
      /undefined function nosuchfunction/,
    );
    expect(await client.checkQuery('DROP DATABASE metrics')).toMatch(/is not a SELECT statement/);
    expect(await client.checkQuery('SELECT * INTO copy FROM latency')).toMatch(/writes \(SELECT … INTO\)/);
    expect(notOneReadingSelect(`SELECT "into" FROM m WHERE t = 'into; x' AND u = '--'`)).toBeNull();
    // A quote inside a comment must not hide the statement after it.
    expect(await client.checkQuery("SELECT value FROM latency -- '\n; DROP DATABASE metrics -- '")).toMatch(
      /holds a comment/,
    );
    expect(await client.checkQuery('SELECT value FROM latency WHERE time >= $start; DROP DATABASE metrics')).toMatch(
      /holds several statements; a metric is one SELECT/,
    );
    // A `;` inside a string or identifier is data, not a statement separator.
    expect(
      await client.checkQuery(`SELECT "value" FROM latency WHERE deployment = 'a;b' AND time >= $start`),
    ).toBeNull();
    expect(await client.checkQuery(MEAN.replace('${scope}', "deployment = 'web-v1'"))).toBeNull();
    // Not even an admin account drops the database through the provider (InfluxDB itself would run it).
    const asAdmin = createInfluxdbProvider('influx', {
      url: influx.url,
      database: 'metrics',
      ...admin,
      timeoutMs: 10_000,
    });
    for (const query of [
      'SELECT value FROM latency; DROP DATABASE metrics',
      "SELECT value FROM latency -- '\n; DROP DATABASE metrics -- '",
      'SELECT * INTO metrics.autogen.copy FROM latency',
    ])
      await expect(asAdmin.fetch(query, window)).rejects.toMatchObject({ kind: 'query' });
    expect((await client.fetch(MEAN.replace('${scope}', "deployment = 'web-v1'"), window)).seriesCount).toBe(1);
  });

  it('is unavailable on refused credentials, a missing database, and a server that does not answer', async () => {
    const wrong = createInfluxdbProvider('influx', {
      url: influx.url,
      database: 'metrics',
      username: 'reader',
      password: 'wrong',
      timeoutMs: 5_000,
    });
    await expect(wrong.fetch(MEAN, window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/^influx: HTTP 401: credentials refused/),
    });
    const anonymous = createInfluxdbProvider('influx', { url: influx.url, database: 'metrics', timeoutMs: 5_000 });
    await expect(anonymous.fetch(MEAN, window)).rejects.toMatchObject({ kind: 'unavailable' });
    const noDatabase = createInfluxdbProvider('influx', {
      url: influx.url,
      database: 'nope',
      username: admin.username,
      password: admin.password,
      timeoutMs: 5_000,
    });
    await expect(noDatabase.fetch(MEAN.replace('${scope}', "deployment = 'x'"), window)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/database not found: nope/),
    });
    const down = createInfluxdbProvider('influx', { url: 'http://127.0.0.1:9', database: 'metrics', timeoutMs: 2_000 });
    const failure = await down.fetch(MEAN, window).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe('InfluxDB client requests', () => {
  it('sends GET /query with db, epoch=ms, the bound window and basic auth', async () => {
    const server = await startReplayServer();
    try {
      server.respond(() => ({
        status: 200,
        body: {
          results: [
            { statement_id: 0, series: [{ name: 'm', columns: ['time', 'mean'], values: [[1_700_000_000_000, 1.5]] }] },
          ],
        },
      }));
      const client = createInfluxdbProvider('influx', {
        url: `${server.url}/influx`,
        database: 'metrics',
        username: 'isd',
        password: 's3cret',
        timeoutMs: 2_000,
      });
      const series = await client.fetch('SELECT mean(v) FROM m', {
        startMs: 1_700_000_000_000,
        endMs: 1_700_000_001_000,
        stepSeconds: 1,
      });
      expect(series.values).toEqual([1.5, Number.NaN]);
      const request = server.requests[0]!;
      expect(request.method).toBe('GET');
      expect(request.url.pathname).toBe('/influx/query');
      expect(Object.fromEntries(request.url.searchParams)).toEqual({
        db: 'metrics',
        q: 'SELECT mean(v) FROM m',
        epoch: 'ms',
        params: JSON.stringify({ start: '2023-11-14T22:13:20.000Z', end: '2023-11-14T22:13:21.000Z' }),
      });
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from('isd:s3cret').toString('base64')}`);
      server.respond(() => ({ status: 503, body: { error: 'overloaded' } }));
      await expect(client.checkQuery('SELECT 1')).rejects.toMatchObject({
        kind: 'unavailable',
        message: 'influx: HTTP 503 from ' + new URL(server.url).host + ': overloaded',
      });
    } finally {
      await server.close();
    }
  });
});
