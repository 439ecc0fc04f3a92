// A throwaway PostgreSQL cluster for tests: initdb in a temp dir, started on a free loopback port.
// Written in plain JS because jest's globalSetup loads it before any transform is set up.
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

function findPostgresBin() {
  const candidates = [];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) candidates.push(dir);
  const lib = '/usr/lib/postgresql';
  if (fs.existsSync(lib)) {
    for (const version of fs.readdirSync(lib).sort().reverse()) candidates.push(path.join(lib, version, 'bin'));
  }
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: run scripts/install-test-tools.sh');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Postgres refuses to run as root, so as root the cluster belongs to the `postgres` (or `nobody`) user. */
function runAs() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
      return { user, uid, gid };
    } catch {
      // try the next user
    }
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists');
}

function run(bin, args, owner) {
  if (owner) return execFileSync('runuser', ['-u', owner.user, '--', bin, ...args], { stdio: 'pipe' });
  return execFileSync(bin, args, { stdio: 'pipe' });
}

/** Starts a cluster and returns its URL and a stop function. */
async function startPostgresCluster() {
  const bin = findPostgresBin();
  const owner = runAs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-pg-'));
  const dataDir = path.join(dir, 'data');
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  run(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'isd', '--auth=trust', '-E', 'UTF8', '--no-sync'], owner);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  run(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start'], owner);
  const url = `postgres://isd@127.0.0.1:${port}/postgres`;
  const stop = () => {
    try {
      run(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop'], owner);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  return { url, port, dataDir, stop };
}

module.exports = { startPostgresCluster, freePort, findPostgresBin };
