import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from './logger';
import { UnavailableError } from './errors';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

/** Anything that runs SQL: the pool or a client inside a transaction. */
export interface Queryable {
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<Row>>;
}

/** Options for {@link openDatabase}. */
export interface DatabaseOptions {
  /** A Postgres URL; absent means the embedded default (PGlite) with data in `embeddedDataDir`. */
  url?: string;
  embeddedDataDir: string;
  /** The service's own schema; it becomes the connection's search_path. */
  schema: string;
  poolSize?: number;
  logger?: Logger;
}

/** Postgres access for one service: a `pg` pool on the service's schema, transactions and migrations. */
export class Database implements Queryable {
  /** The pool, for libraries that want one (the job queue). */
  readonly pool: pg.Pool;
  readonly schema: string;
  /** Connection string in use (the embedded server's when embedded). */
  readonly url: string;
  private readonly embedded: EmbeddedPostgres | undefined;
  private closed = false;
  /** One per open connection, settled when its socket has closed. */
  private readonly connectionsOpen = new Set<Promise<void>>();

  constructor(pool: pg.Pool, schema: string, url: string, embedded?: EmbeddedPostgres) {
    this.pool = pool;
    this.schema = schema;
    this.url = url;
    this.embedded = embedded;
    // A client's `end` event is its socket's close, whichever side or error closed it.
    pool.on('connect', (client) => {
      const closed = new Promise<void>((resolve) => client.once('end', () => resolve()));
      this.connectionsOpen.add(closed);
      void closed.then(() => this.connectionsOpen.delete(closed));
    });
  }

  /** True when running on the embedded PGlite default. */
  get isEmbedded(): boolean {
    return this.embedded !== undefined;
  }

  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<Row>> {
    return this.pool.query<Row>(text, values);
  }

  /**
   * Runs `work` in one transaction: committed if it resolves, rolled back if it throws.
   * Serialization failures and deadlocks are retried a few times, since callers express intent, not timing.
   */
  async transaction<T>(
    work: (client: Queryable) => Promise<T>,
    options: { isolation?: 'read committed' | 'serializable' } = {},
  ): Promise<T> {
    const attempts = options.isolation === 'serializable' ? 5 : 1;
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query(options.isolation === 'serializable' ? 'BEGIN ISOLATION LEVEL SERIALIZABLE' : 'BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const code = (error as { code?: string }).code;
        if (attempt < attempts && (code === '40001' || code === '40P01')) continue;
        throw error;
      } finally {
        client.release();
      }
    }
  }

  /** True when a trivial query answers. */
  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Closes the pool and waits until its connections' sockets have closed (bounded, in case the server
   * never answers), then stops the embedded server if there is one. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // pool.end() resolves once it has asked each connection to terminate, while the server has yet to close
    // them: a process that then expects to exit (a jest worker) would wait on those sockets.
    await this.pool.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.connectionsOpen),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CONNECTION_CLOSE_WAIT_MS).unref())),
    ]);
    clearTimeout(timer);
    await this.embedded?.stop();
  }
}

/** How long close() waits for the server to close the pool's connections. */
const CONNECTION_CLOSE_WAIT_MS = 5_000;

/** Opens the service's database: the configured Postgres, or the embedded PGlite default. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  assertIdentifier(options.schema, 'schema');
  let embedded: EmbeddedPostgres | undefined;
  let url = options.url;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dataDir: options.embeddedDataDir,
      searchPath: `${options.schema}, public`,
    });
    url = embedded.url;
    options.logger?.info({ dataDir: embedded.dataDir }, 'no database.url configured: using embedded PGlite');
  }
  const pool = new pg.Pool({
    connectionString: url,
    // pglite-socket interleaves the extended-protocol messages of concurrent connections ("unnamed
    // prepared statement does not exist"), and PGlite runs one statement at a time anyway: one
    // connection is as fast and safe. Code that nests a query inside a transaction gets a timeout error.
    max: embedded ? 1 : (options.poolSize ?? 10),
    connectionTimeoutMillis: 10_000,
    // SQL in services names tables without a schema; PGlite, which ignores startup options, gets it at start.
    options: embedded ? undefined : `-c search_path=${options.schema},public`,
  });
  pool.on('error', (error) => options.logger?.warn({ err: error }, 'idle database connection failed'));
  const database = new Database(pool, options.schema, url, embedded);
  try {
    await ensureSchema(database, options.schema);
  } catch (error) {
    await database.close();
    throw new UnavailableError(`database at ${redactUrl(url)} is not reachable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return database;
}

/**
 * Creates a schema if missing. Replicas racing here can both miss the other's uncommitted schema and
 * one then gets a duplicate-key error even with IF NOT EXISTS; that outcome is the one wanted.
 */
export async function ensureSchema(database: Queryable, schema: string): Promise<void> {
  assertIdentifier(schema, 'schema');
  await database.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((error: { code?: string }) => {
    if (error.code !== '23505' && error.code !== '42P06') throw error;
  });
}

/** One versioned migration: `NNN_name.sql` in the service's `migrations/` folder. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * A migration whose first line is this runs outside a transaction, one statement at a time, so an index
 * on a large table is built with CREATE INDEX CONCURRENTLY and writes go on meanwhile.
 */
export const NO_TRANSACTION_MARKER = '-- isd:no-transaction';

/**
 * Reads `NNN_name.sql` files, sorted by version; duplicate or malformed names, or a no-transaction migration
 * with a statement it may not hold, are an error.
 */
export function readMigrations(dir: string): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d+)_([\w-]+)\.sql$/.exec(file);
      if (!match) throw new Error(`migration file name ${file} is not NNN_name.sql`);
      const migration = {
        version: Number(match[1]),
        name: match[2] as string,
        sql: fs.readFileSync(path.join(dir, file), 'utf8'),
      };
      planMigration(migration);
      return migration;
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]?.version === migrations[i - 1]?.version)
      throw new Error(`two migrations have version ${migrations[i]?.version}`);
  }
  return migrations;
}

/**
 * Applies the migrations not yet applied, in version order, under a session-level advisory lock keyed by
 * the schema, so replicas starting at once apply each migration exactly once and wait for each other.
 * Each migration runs in its own transaction, except one marked {@link NO_TRANSACTION_MARKER}: its
 * statements run one by one and it is recorded only when all succeeded, so a build that failed or was
 * killed half-way runs again at the next start, which first drops the INVALID index such a build leaves
 * (IF NOT EXISTS would otherwise keep it). Returns the versions this call applied.
 */
export async function migrate(database: Database, migrations: Migration[]): Promise<number[]> {
  const schema = database.schema;
  const plans = migrations.map((migration) => ({ migration, steps: planMigration(migration) }));
  const client = await database.pool.connect();
  let broken = false;
  try {
    await waitForMigrationLock(client, schema);
    try {
      // The pool's connections already have this search_path; a no-transaction statement relies on it.
      await client.query(`SET search_path TO ${schema}, public`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
           version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`);
      const applied = new Set(rows.map((row) => row.version));
      const done: number[] = [];
      for (const { migration, steps } of plans) {
        if (applied.has(migration.version)) continue;
        if (steps === undefined) {
          await inTransaction(client, async () => {
            await client.query(migration.sql);
            await recordApplied(client, schema, migration);
          });
        } else {
          for (const step of steps) {
            if (step.index !== undefined) await dropInvalidIndex(client, step.index);
            await client.query(step.sql);
          }
          await recordApplied(client, schema, migration);
        }
        done.push(migration.version);
      }
      return done;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [migrationLockKey(schema)]).catch(() => {
        broken = true; // a connection that may still hold the lock must not go back to the pool
      });
    }
  } finally {
    client.release(broken);
  }
}

async function recordApplied(client: Queryable, schema: string, migration: Migration): Promise<void> {
  await client.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
    migration.version,
    migration.name,
  ]);
}

function migrationLockKey(schema: string): string {
  return `isd-migrations:${schema}`;
}

/**
 * Polls for the lock rather than waiting in pg_advisory_lock: a session waiting there holds a snapshot,
 * and CREATE INDEX CONCURRENTLY in the session holding the lock waits for every older snapshot — a
 * deadlock Postgres would resolve by failing one of them, possibly the index build.
 */
async function waitForMigrationLock(client: Queryable, schema: string): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
      migrationLockKey(schema),
    ]);
    if (rows[0]?.locked) return;
    await new Promise((resolve) => setTimeout(resolve, MIGRATION_LOCK_POLL_MS));
  }
}

const MIGRATION_LOCK_POLL_MS = 200;

async function inTransaction(client: Queryable, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Drops `name` if it is an index left INVALID by a concurrent build that did not finish. */
async function dropInvalidIndex(client: Queryable, name: string): Promise<void> {
  const { rows } = await client.query<{ index: string }>(
    `SELECT indexrelid::regclass::text AS index FROM pg_index
      WHERE indexrelid = to_regclass(quote_ident($1)) AND NOT indisvalid`,
    [name],
  );
  // The name comes back from regclass's own output: quoted and qualified as needed.
  for (const row of rows) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${row.index}`);
}

/** One statement of a no-transaction migration, and the index it builds if it builds one. */
interface Step {
  sql: string;
  index?: string;
}

const CREATE_INDEX_CONCURRENTLY =
  /^create\s+(?:unique\s+)?index\s+concurrently\s+if\s+not\s+exists\s+(?:"((?:[^"]|"")+)"|([a-z_][a-z0-9_$]*))\s+on\s/i;
const DROP_INDEX_CONCURRENTLY = /^drop\s+index\s+concurrently\s+if\s+exists\s/i;

/**
 * The statements of a no-transaction migration, or undefined for an ordinary one. Such a migration may be
 * run again after failing half-way, so only statements that are safe to repeat and do not block writes are
 * allowed: CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS and DROP INDEX CONCURRENTLY IF EXISTS.
 */
function planMigration(migration: Migration): Step[] | undefined {
  const [firstLine = '', ...rest] = migration.sql.split('\n');
  if (firstLine.trim() !== NO_TRANSACTION_MARKER) return undefined;
  const label = `migration ${migration.version}_${migration.name}`;
  const steps = splitStatements(rest.join('\n')).map((sql): Step => {
    const code = stripComments(sql).replace(/\s+/g, ' ').trim();
    const create = CREATE_INDEX_CONCURRENTLY.exec(code);
    if (create) return { sql, index: create[1]?.replace(/""/g, '"') ?? create[2]?.toLowerCase() };
    if (DROP_INDEX_CONCURRENTLY.test(code)) return { sql };
    throw new Error(
      `${label} is marked ${NO_TRANSACTION_MARKER} but has a statement that is not ` +
        `CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS or DROP INDEX CONCURRENTLY IF EXISTS: ${code.slice(0, 80)}`,
    );
  });
  if (steps.length === 0) throw new Error(`${label} is marked ${NO_TRANSACTION_MARKER} but has no statement`);
  return steps;
}

/** Splits SQL on semicolons outside quotes, comments and dollar-quoted bodies, leaving out empty statements. */
function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const rest = sql.slice(i);
    const skip =
      /^--[^\n]*/.exec(rest) ??
      /^\/\*[\s\S]*?\*\//.exec(rest) ??
      /^'(?:[^']|'')*'/.exec(rest) ??
      /^"(?:[^"]|"")*"/.exec(rest) ??
      /^(\$[a-z_0-9]*\$)[\s\S]*?\1/i.exec(rest);
    if (skip) {
      i += skip[0].length;
    } else if (sql[i] === ';') {
      statements.push(sql.slice(start, i));
      start = ++i;
    } else {
      i++;
    }
  }
  statements.push(sql.slice(start));
  return statements.map((statement) => statement.trim()).filter((statement) => stripComments(statement).trim() !== '');
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
}

/** True when every given migration has been applied (used by `/readyz`). */
export async function migrationsApplied(
  database: Queryable,
  schema: string,
  migrations: Migration[],
): Promise<boolean> {
  try {
    const { rows } = await database.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`);
    const applied = new Set(rows.map((row) => row.version));
    return migrations.every((migration) => applied.has(migration.version));
  } catch {
    return false;
  }
}

function assertIdentifier(value: string, what: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(value))
    throw new Error(`${what} ${JSON.stringify(value)} must be a lower-case SQL identifier`);
}

/** A URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
