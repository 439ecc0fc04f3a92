import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A PGlite database (Postgres in WASM) served on a Unix socket so the ordinary `pg` driver can use it. */
export interface EmbeddedPostgres {
  /** Connection string for `pg` (a Unix socket: `?host=<socketDir>`). */
  url: string;
  dataDir: string;
  /** Directory (mode 0700) holding the socket `.s.PGSQL.5432`; only this OS user can enter it. */
  socketDir: string;
  stop(): Promise<void>;
}

/** Connections the socket server accepts (the kit's pool uses one; psql or a second replica may add more). */
const EMBEDDED_MAX_CONNECTIONS = 8;

/** The port number only names the socket file, as Postgres does (`.s.PGSQL.<port>`). */
const SOCKET_PORT = 5432;

/** Longest Unix socket path the kernel takes (108 bytes with the terminating NUL on Linux). */
const MAX_SOCKET_PATH = 107;

/**
 * Postgres settings for a small single-user database: PGlite's defaults reserve 160 MB of shared buffers in
 * WebAssembly memory that never shrinks; a gate service's working set is a few MB (see bench/README.md).
 */
const SMALL_SERVER_SETTINGS = [
  'shared_buffers=16MB',
  'wal_buffers=1MB',
  'temp_buffers=2MB',
  'maintenance_work_mem=16MB',
];

/**
 * Starts PGlite with its data in `dataDir` (created if missing; data survives restarts) behind
 * pglite-socket on a Unix socket in a directory only the current OS user can enter: there is no TCP
 * port, so nobody else on the machine can reach the database (it has no password; see
 * docs/decisions/035-embedded-database-unix-socket.md). PGlite is single-session: the socket server
 * queues statements from several connections and keeps a transaction's statements together.
 * `searchPath` must be trusted SQL (the caller checks identifiers).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  searchPath?: string;
}): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await initialiseInChildProcess(dataDir);
  const db = await PGlite.create({
    dataDir,
    startParams: [...PGlite.defaultStartParams, ...SMALL_SERVER_SETTINGS.flatMap((setting) => ['-c', setting])],
  });
  // Every socket connection shares PGlite's one session, so a session setting made here holds for all.
  if (options.searchPath) await db.exec(`SET search_path TO ${options.searchPath}`);
  const socketDir = privateSocketDir(dataDir);
  const socketPath = path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  // A socket left by a process that was killed would make listen fail with EADDRINUSE.
  fs.rmSync(socketPath, { force: true });
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: EMBEDDED_MAX_CONNECTIONS });
  try {
    await server.start();
    fs.chmodSync(socketPath, 0o600);
  } catch (error) {
    await db.close();
    throw error;
  }
  let stopped = false;
  return {
    url: `postgresql://postgres@localhost:${SOCKET_PORT}/postgres?host=${encodeURIComponent(socketDir)}`,
    dataDir,
    socketDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
      fs.rmSync(socketPath, { force: true });
    },
  };
}

/**
 * `<dataDir>.sock/` beside the data directory (PGlite owns the data directory itself), or a fresh
 * directory under the system temp dir when that path is too long for a socket. Mode 0700 either way.
 */
function privateSocketDir(dataDir: string): string {
  const besideData = `${dataDir}.sock`;
  if (besideData.length + `/.s.PGSQL.${SOCKET_PORT}`.length <= MAX_SOCKET_PATH) {
    fs.mkdirSync(besideData, { recursive: true, mode: 0o700 });
    fs.chmodSync(besideData, 0o700);
    return besideData;
  }
  return fs.mkdtempSync(path.join(os.tmpdir(), 'isd-pg-'));
}

/**
 * Creates the database cluster in `dataDir` in a short-lived child process: initdb's WebAssembly memory
 * (about 450 MB) would otherwise stay in this process's RSS for good (a worker thread keeps ~130 MB of it).
 */
async function initialiseInChildProcess(dataDir: string): Promise<void> {
  const pglite = pathToFileURL(require.resolve('@electric-sql/pglite')).href;
  const script = `const { PGlite } = await import(process.argv[1]);
    const db = await PGlite.create({ dataDir: process.argv[2] });
    await db.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, pglite, dataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // The parent's NODE_OPTIONS (a debugger, jest's flags) are not for this helper.
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0)
    throw new Error(`could not initialise the embedded database in ${dataDir} (exit ${code}): ${stderr.trim()}`);
}
