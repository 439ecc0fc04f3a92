// The services' migrations on real Postgres, as a fresh install and as an upgrade: the retention indexes
// are built without a transaction (so writes go on during the build) and an install that built them
// earlier, inside its retention migration, keeps them as they are.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate, openDatabase, readMigrations, type Database, type Migration } from '@isd/kit';
import { createTestDatabase } from '@isd/test-support';

const services = ['autopilot', 'sapor', 'visibility'] as const;

function migrationsOf(service: string): Migration[] {
  return readMigrations(path.join(__dirname, '..', '..', 'sidecars', service, 'migrations'));
}

/** Name → oid of every index in the service's schema, and whether any is INVALID. */
async function indexesOf(database: Database): Promise<{ oids: Record<string, number>; invalid: string[] }> {
  const { rows } = await database.query<{ name: string; oid: number; valid: boolean }>(
    `SELECT c.relname AS name, c.oid::int AS oid, i.indisvalid AS valid
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relnamespace = $1::regnamespace`,
    [database.schema],
  );
  return {
    oids: Object.fromEntries(rows.map((row) => [row.name, row.oid])),
    invalid: rows.filter((row) => !row.valid).map((row) => row.name),
  };
}

describe.each(services)('%s migrations', (service) => {
  const migrations = migrationsOf(service);
  const concurrent = migrations.filter((migration) => migration.sql.startsWith('-- isd:no-transaction'));

  it('build the retention indexes outside a transaction', () => {
    const retention = concurrent.flatMap((migration) => migration.sql.match(/CREATE INDEX CONCURRENTLY/g) ?? []);
    expect(retention.length).toBeGreaterThanOrEqual(3);
    const inTransaction = migrations
      .filter((migration) => !concurrent.includes(migration) && /retention/.test(migration.name))
      .filter((migration) => /CREATE (UNIQUE )?INDEX/i.test(migration.sql));
    expect(inTransaction.map((migration) => migration.name)).toEqual([]);
  });

  it('apply once on a fresh install and keep indexes an install built before they were concurrent', async () => {
    const database = await openDatabase({
      url: await createTestDatabase(`${service}_migrations`),
      embeddedDataDir: 'unused',
      schema: service,
    });
    try {
      expect(await migrate(database, migrations)).toEqual(migrations.map((migration) => migration.version));
      const fresh = await indexesOf(database);
      expect(fresh.invalid).toEqual([]);
      // An install upgraded from before: its retention migration built these indexes, and the concurrent
      // migrations that now build them were never recorded.
      const versions = concurrent.map((migration) => migration.version);
      await database.query('DELETE FROM schema_migrations WHERE version = ANY($1)', [versions]);
      expect(await migrate(database, migrations)).toEqual(versions);
      expect(await indexesOf(database)).toEqual(fresh);
    } finally {
      await database.close();
    }
  });
});

it.each(services)('%s migrations apply on the embedded PGlite default, concurrent ones included', async (service) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `isd-${service}-migrations-`));
  const database = await openDatabase({ embeddedDataDir: dataDir, schema: service });
  try {
    const migrations = migrationsOf(service);
    expect(await migrate(database, migrations)).toEqual(migrations.map((migration) => migration.version));
    const { invalid, oids } = await indexesOf(database);
    expect(invalid).toEqual([]);
    expect(Object.keys(oids).length).toBeGreaterThan(3);
  } finally {
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
