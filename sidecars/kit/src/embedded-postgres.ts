import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A PGlite database (Postgres in WASM) served on a loopback port so the ordinary `pg` driver can use it. */
export interface EmbeddedPostgres {
  /** Connection string for `pg`. */
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Connections the socket server accepts (the kit's pool uses one; psql or a second replica may add more). */
const EMBEDDED_MAX_CONNECTIONS = 8;

/**
 * Starts PGlite with its data in `dataDir` (created if missing; data survives restarts) behind
 * pglite-socket on 127.0.0.1. PGlite is single-session: the socket server queues statements from several
 * connections and keeps a transaction's statements together.
 * `searchPath` must be trusted SQL (the caller checks identifiers).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  searchPath?: string;
}): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir });
  // Every socket connection shares PGlite's one session, so a session setting made here holds for all.
  if (options.searchPath) await db.exec(`SET search_path TO ${options.searchPath}`);
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: options.port ?? 0,
    maxConnections: EMBEDDED_MAX_CONNECTIONS,
  });
  await server.start();
  const address = server.getServerConn();
  const port = Number(address.split(':').pop());
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
    },
  };
}
