import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createTestDatabase } from '@isd/test-support';
import pg from 'pg';
import {
  migrate,
  migrationsApplied,
  NO_TRANSACTION_MARKER,
  openDatabase,
  readMigrations,
  type Migration,
  type Queryable,
} from './database';

const migrations: Migration[] = [
  { version: 1, name: 'things', sql: 'CREATE TABLE things (id text PRIMARY KEY, n integer NOT NULL)' },
  { version: 2, name: 'things_note', sql: 'ALTER TABLE things ADD COLUMN note text' },
];

describe('database on real Postgres', () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase('kit');
  });

  it('closes only once the server has closed every connection, so no socket keeps the process alive', async () => {
    const sockets = (): number => process.getActiveResourcesInfo().filter((type) => type === 'TCPSocketWrap').length;
    const before = sockets();
    const database = await openDatabase({ url, embeddedDataDir: 'unused', schema: 'closing' });
    await Promise.all([1, 2, 3, 4].map(() => database.transaction((client) => client.query('SELECT pg_sleep(0.05)'))));
    expect(sockets()).toBeGreaterThan(before);
    await database.close();
    expect(sockets()).toBe(before);
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

  describe('a no-transaction migration', () => {
    const table: Migration = {
      version: 1,
      name: 'things',
      sql: `CREATE TABLE things (id text PRIMARY KEY, n integer NOT NULL);
            INSERT INTO things SELECT 'seed' || i, i FROM generate_series(1, 100) i`,
    };
    const index: Migration = {
      version: 2,
      name: 'things_n',
      sql: `${NO_TRANSACTION_MARKER}
-- Built beside the writes; a semicolon in a comment; does not split it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS things_n ON things (n) WHERE id <> 'a;b';
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Things id" ON things (id);`,
    };

    async function indexes(database: Queryable): Promise<Record<string, { valid: boolean; oid: number }>> {
      const { rows } = await database.query<{ name: string; valid: boolean; oid: number }>(
        `SELECT c.relname AS name, i.indisvalid AS valid, c.oid::int AS oid
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE c.relname IN ('things_n', 'Things id') AND c.relnamespace = current_schema()::regnamespace`,
      );
      return Object.fromEntries(rows.map(({ name, valid, oid }) => [name, { valid, oid }]));
    }

    /** Resolves once a session of this database waits on a lock while running a statement containing `text`. */
    async function untilWaiting(database: Queryable, text: string): Promise<void> {
      for (;;) {
        const { rows } = await database.query(
          `SELECT 1 FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND position($1 in query) > 0`,
          [text],
        );
        if (rows.length > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    it('builds its index while other sessions keep writing to the table', async () => {
      const database = await openDatabase({ url, embeddedDataDir: 'unused', schema: 'concurrent_build' });
      const writer = new pg.Client({ connectionString: url, options: '-c search_path=concurrent_build' });
      const openWrite = new pg.Client({ connectionString: url, options: '-c search_path=concurrent_build' });
      await Promise.all([writer.connect(), openWrite.connect()]);
      try {
        await migrate(database, [table]);
        // An uncommitted write makes the build wait for it, which keeps the build running while we write.
        await openWrite.query("BEGIN; INSERT INTO things (id, n) VALUES ('open', 0)");
        const migrating = migrate(database, [table, index]);
        let migrated = false;
        void migrating.then(() => (migrated = true)).catch(() => undefined);
        await untilWaiting(database, 'CREATE INDEX CONCURRENTLY');
        // A build in a transaction would hold a lock that queues this insert behind it until the build ends.
        await writer.query("SET lock_timeout = '10s'");
        await writer.query("INSERT INTO things (id, n) VALUES ('during', 1)");
        await writer.query("UPDATE things SET n = 2 WHERE id = 'seed1'");
        expect(migrated).toBe(false);
        await openWrite.query('COMMIT');
        expect(await migrating).toEqual([2]);
        expect(await indexes(database)).toEqual({
          things_n: { valid: true, oid: expect.any(Number) },
          'Things id': { valid: true, oid: expect.any(Number) },
        });
        const { rows } = await database.query('SELECT count(*)::int AS n FROM things');
        expect(rows[0]).toEqual({ n: 102 });
      } finally {
        await Promise.all([writer.end(), openWrite.end()]);
        await database.close();
      }
    });

    it('rebuilds an index a failed build left invalid, and records the migration only then', async () => {
      const database = await openDatabase({ url, embeddedDataDir: 'unused', schema: 'invalid_index' });
      try {
        await migrate(database, [table]);
        await database.query("INSERT INTO things (id, n) VALUES ('twin', 1)");
        const unique: Migration = {
          version: 2,
          name: 'unique_n',
          sql: `${NO_TRANSACTION_MARKER}\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS things_n ON things (n);`,
        };
        // The duplicate n = 1 fails the build half-way, as a crash or a cancel would, leaving the index INVALID.
        await expect(migrate(database, [table, unique])).rejects.toThrow(/could not create unique index/);
        expect(await indexes(database)).toEqual({ things_n: { valid: false, oid: expect.any(Number) } });
        expect(await migrationsApplied(database, 'invalid_index', [table, unique])).toBe(false);

        await database.query("DELETE FROM things WHERE id = 'twin'");
        expect(await migrate(database, [table, unique])).toEqual([2]);
        expect(await indexes(database)).toEqual({ things_n: { valid: true, oid: expect.any(Number) } });
        await expect(database.query("INSERT INTO things (id, n) VALUES ('again', 1)")).rejects.toThrow(/duplicate key/);
      } finally {
        await database.close();
      }
    });

    it('leaves alone an index an install built before the migration ran concurrently', async () => {
      const database = await openDatabase({ url, embeddedDataDir: 'unused', schema: 'built_before' });
      try {
        // The old form of the migration: the same index built in a transaction, and recorded under version 1.
        await migrate(database, [
          { ...table, sql: `${table.sql}; CREATE INDEX things_n ON things (n) WHERE id <> 'a;b'` },
        ]);
        const before = await indexes(database);
        expect(await migrate(database, [table, index])).toEqual([2]);
        const after = await indexes(database);
        expect(after['things_n']).toEqual(before['things_n']);
        expect(after['Things id']?.valid).toBe(true);
      } finally {
        await database.close();
      }
    });

    it('is applied once when replicas start at the same moment, none failing while another builds', async () => {
      const replicas = await Promise.all(
        [1, 2, 3].map(() => openDatabase({ url, embeddedDataDir: 'unused', schema: 'concurrent_race' })),
      );
      try {
        const applied = await Promise.all(replicas.map((database) => migrate(database, [table, index])));
        expect(applied.flat().sort()).toEqual([1, 2]);
        expect(await indexes(replicas[0]!)).toEqual({
          things_n: { valid: true, oid: expect.any(Number) },
          'Things id': { valid: true, oid: expect.any(Number) },
        });
      } finally {
        await Promise.all(replicas.map((database) => database.close()));
      }
    });
  });

  it('reports an unreachable server as unavailable, naming it without the password', async () => {
    await expect(
      openDatabase({ url: 'postgres://u:hunter2@127.0.0.1:1/x', embeddedDataDir: 'unused', schema: 'x' }),
    ).rejects.toThrow(/postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x is not reachable/);
  });
});

describe('embedded PGlite default', () => {
  const embeddedMigrations: Migration[] = [
    ...migrations,
    {
      version: 3,
      name: 'things_n',
      sql: `${NO_TRANSACTION_MARKER}\nCREATE INDEX CONCURRENTLY IF NOT EXISTS things_n ON things (n);`,
    },
  ];

  it('runs the same pg code path and keeps data across a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-pglite-'));
    const first = await openDatabase({ embeddedDataDir: dataDir, schema: 'embedded' });
    expect(first.isEmbedded).toBe(true);
    expect(await migrate(first, embeddedMigrations)).toEqual([1, 2, 3]);
    const { rows: index } = await first.query(
      "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('embedded.things_n')",
    );
    expect(index).toEqual([{ valid: true }]);
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
      expect(await migrate(second, embeddedMigrations)).toEqual([]);
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

  it('refuses a no-transaction migration with a statement that would block writes or could not run twice', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-migrations-'));
    const file = path.join(dir, '003_indexes.sql');
    fs.writeFileSync(
      file,
      `${NO_TRANSACTION_MARKER}\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_x ON a (x);\nCREATE INDEX b_x ON b (x);\n`,
    );
    expect(() => readMigrations(dir)).toThrow(
      /migration 3_indexes is marked -- isd:no-transaction but has a statement that is not CREATE \[UNIQUE\] INDEX CONCURRENTLY IF NOT EXISTS or DROP INDEX CONCURRENTLY IF EXISTS: CREATE INDEX b_x ON b \(x\)/,
    );
    fs.writeFileSync(file, `${NO_TRANSACTION_MARKER}\nALTER TABLE a ADD COLUMN y text;\n`);
    expect(() => readMigrations(dir)).toThrow(/3_indexes .* ALTER TABLE a ADD COLUMN y text/);
    fs.writeFileSync(file, `${NO_TRANSACTION_MARKER}\n-- nothing yet\n`);
    expect(() => readMigrations(dir)).toThrow(/3_indexes is marked -- isd:no-transaction but has no statement/);
    fs.writeFileSync(
      file,
      `${NO_TRANSACTION_MARKER}\ncreate unique index concurrently if not exists "A;x" on a (x);\nDROP INDEX CONCURRENTLY IF EXISTS old;\n`,
    );
    expect(readMigrations(dir).map((m) => m.version)).toEqual([3]);
  });
});
