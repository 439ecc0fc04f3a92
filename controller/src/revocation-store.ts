import path from 'node:path';
import type pg from 'pg';
import {
  UnavailableError,
  migrate,
  openDatabase,
  readMigrations,
  redactUrl,
  type Database,
  type Logger,
} from '@isd/kit';

/** The controller's own schema in the shared database. */
export const REVOCATIONS_SCHEMA = 'controller';
/** Channel the insert trigger (migrations/001) notifies with each new serial. */
export const REVOCATIONS_CHANNEL = 'isd_controller_revocations';

const MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');
/**
 * A database that stops answering (a network partition drops packets, nothing resets) must neither hang
 * a revoke request nor stall the re-read loop: each query gives up after this long.
 */
const QUERY_TIMEOUT_MS = 5_000;

/** A query with pg's read timeout (honoured by pg's Client.query, missing from @types/pg). */
function timed(text: string, values?: unknown[]): pg.QueryConfig {
  const config: pg.QueryConfig & { query_timeout: number } = { text, values, query_timeout: QUERY_TIMEOUT_MS };
  return config;
}

/** Options for {@link openRevocationStore}. */
export interface RevocationStoreOptions {
  url: string;
  /** How often the whole list is re-read (and a lost listening connection re-made). */
  refreshIntervalMs: number;
  logger: Logger;
  /** Called after each successful read of the whole list (the sync-time metric). */
  onSynced?: () => void;
}

/**
 * Revoked serials kept in Postgres and shared by every controller replica (decision 097). A replica
 * LISTENs for new serials on one dedicated connection and re-reads the whole table every
 * `refreshIntervalMs`, so a notification missed while the database or the connection was down is
 * picked up by the next successful read. While the database is unreachable the replica keeps the
 * list it has (revocations are never forgotten in memory) and retries.
 */
export interface RevocationStore {
  /** Every serial in the table when the store was opened (read before the controller serves). */
  readonly initial: string[];
  /** Writes a serial (normalized hex); resolves once committed. Unreachable database → UnavailableError. */
  add(serial: string): Promise<void>;
  /** Starts listening and the periodic re-read; `onRevoked` gets every serial seen (repeats included). */
  follow(onRevoked: (serial: string) => void): void;
  /** Re-reads the whole table now (the periodic re-read; exposed so tests and start-up share it). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the database, applies the controller's migrations and reads the whole list. Any failure here
 * is a start-up error naming the (redacted) URL: a controller must not serve without the shared list.
 */
export async function openRevocationStore(options: RevocationStoreOptions): Promise<RevocationStore> {
  const { logger } = options;
  let database: Database;
  try {
    database = await openDatabase({
      url: options.url,
      embeddedDataDir: '', // never used: a URL is always given
      schema: REVOCATIONS_SCHEMA,
      // One connection for writes and re-reads, one held by LISTEN.
      poolSize: 2,
      logger,
    });
  } catch (error) {
    throw new UnavailableError(`config: database.url: ${(error as Error).message}`, { cause: error });
  }
  let initial: string[];
  try {
    await migrate(database, readMigrations(MIGRATIONS_DIR));
    initial = await readAll(database);
    options.onSynced?.();
  } catch (error) {
    await database.close();
    throw new UnavailableError(
      `config: database.url: cannot read revocations from ${redactUrl(database.url)}: ${(error as Error).message}`,
      { cause: error },
    );
  }

  let onRevoked: ((serial: string) => void) | undefined;
  let listener: pg.PoolClient | undefined;
  let connectingListener: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  // Logged once per outage, not once per retry.
  let failing = false;

  const reportFailure = (error: unknown, what: string): void => {
    if (!failing)
      logger.warn(
        { err: error },
        `revocation list: ${what} failed; serving with the last known list and retrying every ${options.refreshIntervalMs} ms`,
      );
    failing = true;
  };

  const dropListener = (client: pg.PoolClient, error?: Error): void => {
    if (listener !== client) return;
    listener = undefined;
    client.release(error ?? true);
  };

  async function listen(): Promise<void> {
    const client = await database.pool.connect();
    if (closed) {
      client.release(true);
      return;
    }
    client.on('notification', (message) => {
      if (message.channel === REVOCATIONS_CHANNEL && message.payload) onRevoked?.(message.payload);
    });
    client.on('error', (error) => {
      reportFailure(error, 'listening connection');
      dropListener(client, error);
    });
    listener = client;
    try {
      await client.query(timed(`LISTEN ${REVOCATIONS_CHANNEL}`));
    } catch (error) {
      dropListener(client, error as Error);
      throw error;
    }
  }

  /**
   * Makes sure a listening connection is alive: a connection cut off by a partition can stay open with no
   * error while notifications no longer arrive, so the held one is probed and replaced when it fails.
   */
  async function ensureListening(): Promise<void> {
    const current = listener;
    if (current) {
      try {
        await current.query(timed('SELECT 1'));
        return;
      } catch (error) {
        dropListener(current, error as Error);
      }
    }
    await (connectingListener ??= listen().finally(() => (connectingListener = undefined)));
  }

  async function refresh(): Promise<void> {
    try {
      // Listen first, then read: a serial committed in between arrives both ways, none is missed.
      await ensureListening();
      const serials = await readAll(database);
      for (const serial of serials) onRevoked?.(serial);
      options.onSynced?.();
      if (failing) logger.info({ revoked: serials.length }, 'revocation list: database reachable again');
      failing = false;
    } catch (error) {
      reportFailure(error, 're-read');
    }
  }

  const schedule = (): void => {
    if (closed) return;
    timer = setTimeout(() => void refresh().finally(schedule), options.refreshIntervalMs);
    timer.unref();
  };

  return {
    initial,
    async add(serial) {
      try {
        await database.pool.query(
          timed('INSERT INTO revoked_certificates (serial) VALUES ($1) ON CONFLICT (serial) DO NOTHING', [serial]),
        );
      } catch (error) {
        throw new UnavailableError(
          `the revocation of ${serial} could not be stored in the shared database (${(error as Error).message}); this replica refuses it already, retry so every replica does`,
          { cause: error },
        );
      }
    },
    follow(handler) {
      onRevoked = handler;
      void refresh().finally(schedule);
    },
    refresh,
    async close() {
      closed = true;
      clearTimeout(timer);
      await connectingListener?.catch(() => undefined);
      if (listener) dropListener(listener);
      await database.close();
    },
  };
}

async function readAll(database: Database): Promise<string[]> {
  const { rows } = await database.pool.query<{ serial: string }>(timed('SELECT serial FROM revoked_certificates'));
  return rows.map((row) => row.serial);
}
