// Workaround for the embedded default: pglite-socket multiplexes many `pg` connections onto PGlite's one
// session, but interleaves extended-protocol messages of concurrent connections ("unnamed prepared
// statement does not exist", "portal does not exist"). PGlite runs one statement at a time anyway, so
// letting one pool client work at a time costs nothing and makes concurrency safe. Real Postgres is
// left untouched. (Reported to the kit's owner; remove once the kit serializes embedded connections.)
import type { Database } from '@isd/kit';
import type pg from 'pg';

/** A FIFO mutex. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => next);
    await previous;
    return release;
  }
}

const serialized = new WeakSet<pg.Pool>();

/** On the embedded database, lets only one pool client (or one pool query) work at a time. */
export function serializeEmbeddedPool(database: Database): void {
  if (!database.isEmbedded || serialized.has(database.pool)) return;
  serialized.add(database.pool);
  const pool = database.pool;
  const mutex = new Mutex();
  const originalConnect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const query = async (text: unknown, values?: unknown) => {
    // pg-pool's own query() checks out through this.connect(callback), so go to the client directly.
    const release = await mutex.acquire();
    try {
      const client = await originalConnect();
      try {
        return await (client.query as (text: unknown, values?: unknown) => Promise<pg.QueryResult>)(text, values);
      } finally {
        client.release();
      }
    } finally {
      release();
    }
  };
  const connect = async () => {
    const release = await mutex.acquire();
    try {
      const client = await originalConnect();
      const originalRelease = client.release.bind(client);
      let released = false;
      client.release = (error?: Error | boolean) => {
        if (!released) {
          released = true;
          release();
        }
        return originalRelease(error);
      };
      return client;
    } catch (error) {
      release();
      throw error;
    }
  };
  Object.assign(pool, { query, connect });
}
