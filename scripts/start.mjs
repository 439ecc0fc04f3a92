#!/usr/bin/env node
// `npm start`: builds the services, then runs all of them on the embedded default (PGlite under .isd/),
// prints each URL once it is ready, and stops them all cleanly on Ctrl-C. Ports: <SERVICE>_SERVER__PORT;
// ISD_STATE_DIR moves .isd/; ISD_START_SKIP_BUILD=1 uses the dist/ already built.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = path.resolve(root, process.env.ISD_STATE_DIR ?? '.isd');

/** The services `npm start` runs, with their default ports. */
const services = [
  { name: 'visibility', dir: 'sidecars/visibility', port: 8096, what: 'approval gate' },
  { name: 'autopilot', dir: 'sidecars/autopilot', port: 8090, what: 'verification gate' },
  { name: 'sapor', dir: 'sidecars/sapor', port: 8085, what: 'policy gate' },
  { name: 'controller', dir: 'controller', port: 9003, what: 'tunnel controller (control API)', gate: false },
];

function log(message) {
  process.stdout.write(`[isd] ${message}\n`);
}

/** Dev credentials, made once and kept in .isd/ so a second run (and your curl) uses the same ones. */
function devCredentials() {
  const file = path.join(stateDir, 'dev-credentials.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const credentials = {
    serviceToken: randomBytes(24).toString('hex'),
    gateToken: randomBytes(24).toString('hex'),
    users: {
      admin: ['admins', 'release-managers'],
      alice: ['release-managers'],
      bob: ['release-managers'],
      carol: ['developers'],
    },
  };
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return credentials;
}

function build() {
  if (process.env.ISD_START_SKIP_BUILD === '1') return;
  log('building services (tsc -b)…');
  const targets = services.map((service) => service.dir);
  const result = spawnSync('npx', ['tsc', '-b', ...targets], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    log('build failed');
    process.exit(result.status ?? 1);
  }
}

async function waitReady(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function main() {
  build();
  const credentials = devCredentials();
  const children = [];
  let stopping = false;
  const stopAll = (code) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
    const force = setTimeout(
      () => children.forEach(({ child }) => child.exitCode === null && child.kill('SIGKILL')),
      15_000,
    );
    Promise.all(
      children.map(({ child }) =>
        child.exitCode !== null ? null : new Promise((resolve) => child.once('exit', resolve)),
      ),
    ).then(() => {
      clearTimeout(force);
      log('all services stopped');
      process.exit(code);
    });
  };
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));

  for (const service of services) {
    const prefix = `${service.name.toUpperCase()}_`;
    const mainFile = path.join(root, service.dir, 'dist', 'main.js');
    if (!fs.existsSync(mainFile)) {
      log(`${service.name}: ${path.relative(root, mainFile)} missing after build; skipped`);
      continue;
    }
    const port = Number(process.env[`${prefix}SERVER__PORT`] ?? service.port);
    const defaults = {
      [`${prefix}SERVER__PORT`]: String(port),
      [`${prefix}DATABASE__EMBEDDED_DATA_DIR`]: path.join(stateDir, service.name),
      [`${prefix}LOG__PRETTY`]: 'false',
      ...(service.gate === false
        ? {}
        : {
            [`${prefix}AUTH__SERVICE_TOKEN`]: credentials.serviceToken,
            [`${prefix}AUTH__GATE_TOKEN`]: credentials.gateToken,
            [`${prefix}AUTH__USERS`]: JSON.stringify(credentials.users),
          }),
    };
    // What the user set in the environment wins over these defaults.
    const env = { ...defaults, ...process.env };
    const logFile = fs.openSync(path.join(stateDir, `${service.name}.log`), 'a');
    const child = spawn(process.execPath, [mainFile], { cwd: root, env, stdio: ['ignore', logFile, 'pipe'] });
    child.stderr.on('data', (chunk) => process.stderr.write(`[${service.name}] ${chunk}`));
    child.on('exit', (code, signal) => {
      if (!stopping) {
        log(`${service.name} exited (${signal ?? code}); see .isd/${service.name}.log`);
        stopAll(1);
      }
    });
    children.push({ service, child, port });
  }

  const results = await Promise.all(
    children.map(({ child, port }) => waitReady(`http://127.0.0.1:${port}/readyz`, child)),
  );
  log('');
  children.forEach(({ service, port }, index) => {
    log(
      `${results[index] ? 'ready ' : 'NOT READY'}  ${service.name.padEnd(11)} http://localhost:${port}   ${service.what}`,
    );
  });
  log('');
  log(`data: ${path.relative(root, stateDir)}/<service>, logs: ${path.relative(root, stateDir)}/<service>.log`);
  log(`Orca service token and Gate credential: ${path.relative(root, path.join(stateDir, 'dev-credentials.json'))}`);
  log('Ctrl-C stops everything.');
  if (results.some((ready) => !ready)) stopAll(1);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
