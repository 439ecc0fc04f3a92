import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createTestDatabase } from '@isd/test-support';
import pg from 'pg';
import { migrate, migrationsApplied, openDatabase, readMigrations, type Migration } from './database';

const migrations: Migration[] = [
  { version: 1, name: 'things', sql: 'CREATE TABLE things (id text PRIMARY KEY, n integer NOT NULL)' },
  { version: 2, name: 'things_note', sql: 'ALTER TABLE things ADD COLUMN note text' },
];

describe('database on real Postgres', () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase('kit');
  });

  it('applies migrations once when two replicas start at the same moment', async () => {
    const replicas = await Promise.all(
      [1, 2, 3].map(() => openDatabase({ url, embeddedDataDir: 'unused', schema: 'race' })),
    );
    try {
      const applied = await Promise.all(replicas.map((database) => migrate(database, migrations)));
      expect(applied.flat().sort()).toEqual([1, 2]);
      const first = replicas[0]!;
      const { rows } = await first.query('SELECT count(*)::int AS n FROM schema_migrations');
      expect(rows[0]).toEqual({ n: 2 });
      expect(await migrationsApplied(first, 'race', migrations)).toBe(true);
      expect(await migrationsApplied(first, 'race', [...migrations, { version: 3, name: 'x', sql: '' }])).toBe(false);
    } finally {
      await Promise.all(replicas.map((database) => database.close()));
    }
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const database = await openDatabase({ url, embeddedDataDir: 'unused', schema: 'tx' });
    try {
      await migrate(database, migrations);
      await database.transaction(async (client) => {
        await client.query("INSERT INTO things (id, n) VALUES ('a', 1)");
      });
      await expect(
        database.transaction(async (client) => {
          await client.query("INSERT INTO things (id, n) VALUES ('b', 2)");
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      const { rows } = await database.query('SELECT id FROM things ORDER BY id');
      expect(rows).toEqual([{ id: 'a' }]);
    } finally {
      await database.close();
    }
  });

  it('reports an unreachable server as unavailable, naming it without the password', async () => {
    await expect(
      openDatabase({ url: 'postgres://u:hunter2@127.0.0.1:1/x', embeddedDataDir: 'unused', schema: 'x' }),
    ).rejects.toThrow(/postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x is not reachable/);
  });
});

describe('embedded PGlite default', () => {
  it('runs the same pg code path and keeps data across a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-pglite-'));
    const first = await openDatabase({ embeddedDataDir: dataDir, schema: 'embedded' });
    expect(first.isEmbedded).toBe(true);
    await migrate(first, migrations);
    await first.transaction(async (client) => {
      await client.query("INSERT INTO things (id, n, note) VALUES ('kept', 7, 'survives')");
    });
    // Concurrent parameterised queries and transactions: the extended protocol must not interleave.
    await Promise.all([
      ...[1, 2, 3, 4].map((n) => first.query('INSERT INTO things (id, n) VALUES ($1, $2)', [`p${n}`, n])),
      ...[1, 2, 3].map((n) =>
        first.transaction(async (client) => {
          await client.query('SELECT n FROM things WHERE id = $1', [`p${n}`]);
          await client.query('SELECT $1::int AS echo', [n]);
        }),
      ),
      ...Array.from({ length: 20 }, (_, n) => first.query('SELECT $1::text AS echo', [`e${n}`])),
    ]);
    await first.close();

    const second = await openDatabase({ embeddedDataDir: dataDir, schema: 'embedded' });
    try {
      expect(await migrate(second, migrations)).toEqual([]);
      const { rows } = await second.query('SELECT id, n, note FROM things ORDER BY id');
      expect(rows).toEqual([
        { id: 'kept', n: 7, note: 'survives' },
        { id: 'p1', n: 1, note: null },
        { id: 'p2', n: 2, note: null },
        { id: 'p3', n: 3, note: null },
        { id: 'p4', n: 4, note: null },
      ]);
    } finally {
      await second.close();
    }
  });
});

describe('embedded PGlite access', () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-pglite-access-'));
    database = await openDatabase({ embeddedDataDir: path.join(dataDir, 'db'), schema: 'access' });
  });
  afterAll(() => database.close());

  it('listens on a Unix socket in a directory only its own OS user can enter, with no TCP port', async () => {
    const url = new URL(database.url);
    const socketDir = url.searchParams.get('host') ?? '';
    expect(socketDir).toBe(`${path.join(dataDir, 'db')}.sock`);
    expect(fs.statSync(socketDir).mode & 0o777).toBe(0o700);
    const socket = path.join(socketDir, '.s.PGSQL.5432');
    expect(fs.statSync(socket).isSocket()).toBe(true);
    // The same URL works for a second client of this user (psql, a migration tool).
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      expect((await client.query('SELECT 41 + 1 AS n')).rows).toEqual([{ n: 42 }]);
    } finally {
      await client.end();
    }
  });

  // Another local user is the attacker of issue 19 (psql on loopback with no password). Only root can
  // start a process as another user, so this runs where the tests run as root (CI and the dev container);
  // elsewhere the socket's permissions are still checked by the test above, and the skip says why.
  const asRoot = process.getuid?.() === 0;
  const reason = asRoot ? '' : ' (skipped: only root can start a process as another OS user)';
  (asRoot ? it : it.skip)(`refuses a passwordless connection from another OS user${reason}`, () => {
    const socket = path.join(`${path.join(dataDir, 'db')}.sock`, '.s.PGSQL.5432');
    const attempt = spawnSync(
      process.execPath,
      [
        '-e',
        `require('node:net').connect(process.argv[1])
           .on('connect', () => { console.log('connected'); process.exit(0); })
           .on('error', (error) => { console.log(error.code); process.exit(1); });`,
        socket,
      ],
      { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH ?? '' } },
    );
    expect(attempt.stdout.trim()).toBe('EACCES');
    expect(attempt.status).toBe(1);
  });
});

describe('readMigrations', () => {
  it('sorts NNN_name.sql files and refuses other names', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-migrations-'));
    fs.writeFileSync(path.join(dir, '002_b.sql'), 'SELECT 2');
    fs.writeFileSync(path.join(dir, '001_a.sql'), 'SELECT 1');
    expect(readMigrations(dir).map((m) => m.name)).toEqual(['a', 'b']);
    fs.writeFileSync(path.join(dir, 'oops.sql'), '');
    expect(() => readMigrations(dir)).toThrow(/oops\.sql is not NNN_name\.sql/);
  });
});
