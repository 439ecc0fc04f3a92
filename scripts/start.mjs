#!/usr/bin/env node
// `npm start`: builds the services, then runs all of them on the embedded default (PGlite under .isd/)
// with a demo metrics source as autopilot's default provider, prints each URL once it is ready, and stops
// them all cleanly on Ctrl-C. Ports: <SERVICE>_SERVER__PORT, ISD_DEMO_METRICS_PORT; ISD_STATE_DIR moves
// .isd/; ISD_START_SKIP_BUILD=1 uses the dist/ already built. docs/quickstart.md walks through the demo.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = path.resolve(root, process.env.ISD_STATE_DIR ?? '.isd');

/**
 * Demo users with per-application permissions (as Fiat would give them): admin sees everything and holds
 * sapor's policy-admin role, the release managers may act on every application, carol may only look.
 */
const demoUsers = {
  admin: { roles: ['admin', 'release-managers'], admin: true },
  alice: { roles: ['release-managers'], applications: { '*': ['READ', 'WRITE', 'EXECUTE'] } },
  bob: { roles: ['release-managers'], applications: { '*': ['READ', 'WRITE', 'EXECUTE'] } },
  carol: { roles: ['developers'], applications: { '*': ['READ'] } },
};

const demoMetricsPort = Number(process.env.ISD_DEMO_METRICS_PORT ?? 9091);

/** Environment a kit-based sidecar needs on the embedded default (what the user set wins). */
function sidecarEnv(name, port, credentials) {
  const prefix = `${name.toUpperCase()}_`;
  return {
    [`${prefix}SERVER__PORT`]: String(port),
    [`${prefix}DATABASE__EMBEDDED_DATA_DIR`]: path.join(stateDir, name),
    [`${prefix}LOG__PRETTY`]: 'false',
    [`${prefix}AUTH__SERVICE_TOKEN`]: credentials.serviceToken,
    [`${prefix}AUTH__GATE_TOKEN`]: credentials.gateToken,
    [`${prefix}AUTH__USERS`]: JSON.stringify(credentials.users),
  };
}

/** Autopilot also gets the demo metrics source as its one provider account, and the demo template. */
function autopilotEnv(name, port, credentials) {
  return {
    ...sidecarEnv(name, port, credentials),
    AUTOPILOT_PROVIDERS__DEMO__TYPE: 'prometheus',
    AUTOPILOT_PROVIDERS__DEMO__URL: `http://127.0.0.1:${demoMetricsPort}`,
    AUTOPILOT_ANALYSIS__DEFAULT_PROVIDER: 'demo',
    AUTOPILOT_TEMPLATES__DIRECTORY: path.join(root, 'sidecars', 'autopilot', 'demo', 'templates'),
  };
}

/** The services `npm start` runs: default port, the variable that overrides it, and where readiness shows. */
const services = [
  {
    name: 'demo-metrics',
    dir: 'sidecars/autopilot',
    main: 'dist/demo/main.js',
    args: () => ['--port', String(demoMetricsPort)],
    port: demoMetricsPort,
    portVar: 'ISD_DEMO_METRICS_PORT',
    what: "demo metrics source (Prometheus query API; autopilot's provider `demo`)",
    env: () => ({}),
    readyUrl: () => `http://127.0.0.1:${demoMetricsPort}/-/ready`,
  },
  {
    name: 'visibility',
    dir: 'sidecars/visibility',
    port: 8096,
    portVar: 'VISIBILITY_SERVER__PORT',
    what: 'approval gate',
    env: sidecarEnv,
  },
  {
    name: 'autopilot',
    dir: 'sidecars/autopilot',
    port: 8090,
    portVar: 'AUTOPILOT_SERVER__PORT',
    what: 'verification gate',
    env: autopilotEnv,
  },
  {
    name: 'sapor',
    dir: 'sidecars/sapor',
    port: 8085,
    portVar: 'SAPOR_SERVER__PORT',
    what: 'policy gate',
    env: sidecarEnv,
  },
  {
    name: 'controller',
    dir: 'controller',
    port: 9003,
    portVar: 'ISD_CONTROLLER_CONTROL_LISTEN_PORT',
    // The control API is TLS only, with a certificate from the controller's own CA.
    scheme: 'https',
    what: `tunnel controller: control API (agents ${process.env.ISD_CONTROLLER_AGENT_LISTEN_PORT ?? 9001}, services ${process.env.ISD_CONTROLLER_SERVICE_LISTEN_PORT ?? 9002}, metrics ${process.env.ISD_CONTROLLER_PROMETHEUS_LISTEN_PORT ?? 9102})`,
    // The CA and token keys are kept here across restarts; the first start prints a bootstrap control token.
    env: () => ({ ISD_CONTROLLER_DATA_DIR: path.join(stateDir, 'controller') }),
    // As the image runs it (TUNNEL_NODE_FLAGS, built with the controller; tunnel-proto/src/node-flags.ts says why).
    nodeFlags: () => createRequire(import.meta.url)(path.join(root, 'tunnel-proto/dist/index.js')).TUNNEL_NODE_FLAGS,
    readyUrl: () => `http://127.0.0.1:${process.env.ISD_CONTROLLER_PROMETHEUS_LISTEN_PORT ?? 9102}/readyz`,
  },
];

function log(message) {
  process.stdout.write(`[isd] ${message}\n`);
}

/**
 * Dev credentials: tokens made once and kept in .isd/ so a second run (and your curl) uses the same ones;
 * the demo users are rewritten on every start (a file from an older run may name other roles).
 */
function devCredentials() {
  const file = path.join(stateDir, 'dev-credentials.json');
  const kept = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const credentials = {
    serviceToken: kept.serviceToken ?? randomBytes(24).toString('hex'),
    gateToken: kept.gateToken ?? randomBytes(24).toString('hex'),
    users: demoUsers,
  };
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return credentials;
}

function build() {
  if (process.env.ISD_START_SKIP_BUILD === '1') return;
  log('building services (tsc -b)…');
  const targets = [...new Set(services.map((service) => service.dir))];
  const result = spawnSync('npx', ['tsc', '-b', ...targets], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    log('build failed');
    process.exit(result.status ?? 1);
  }
}

async function waitReady(url, child, timeoutMs = 180_000) {
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

/** Sum of the processes' resident memory in MB, where /proc tells it (Linux); undefined elsewhere. */
function residentMegabytes(pids) {
  try {
    const kilobytes = pids.map((pid) =>
      Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0),
    );
    return Math.round(kilobytes.reduce((sum, value) => sum + value, 0) / 1024);
  } catch {
    return undefined;
  }
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
    const mainFile = path.join(root, service.dir, service.main ?? 'dist/main.js');
    if (!fs.existsSync(mainFile)) {
      log(`${service.name}: ${path.relative(root, mainFile)} missing after build; skipped`);
      continue;
    }
    const port = Number(process.env[service.portVar] ?? service.port);
    // What the user set in the environment wins over these defaults.
    const env = { ...service.env(service.name, port, credentials), ...process.env };
    const logFile = fs.openSync(path.join(stateDir, `${service.name}.log`), 'a');
    const args = service.args?.() ?? [];
    const nodeFlags = service.nodeFlags?.() ?? [];
    const child = spawn(process.execPath, [...nodeFlags, mainFile, ...args], {
      cwd: root,
      env,
      stdio: ['ignore', logFile, 'pipe'],
    });
    child.stderr.on('data', (chunk) => process.stderr.write(`[${service.name}] ${chunk}`));
    child.on('exit', (code, signal) => {
      if (!stopping) {
        log(`${service.name} exited (${signal ?? code}); see .isd/${service.name}.log`);
        stopAll(1);
      }
    });
    children.push({ service, child, port });
  }

  // The first start initialises each embedded database, which takes a while: say who we wait for.
  const pending = new Set(children.map(({ service }) => service.name));
  const progress = setInterval(() => log(`waiting for ${[...pending].join(', ')}…`), 5_000);
  const results = await Promise.all(
    children.map(async ({ service, child, port }) => {
      const ready = await waitReady(service.readyUrl?.() ?? `http://127.0.0.1:${port}/readyz`, child);
      pending.delete(service.name);
      return ready;
    }),
  );
  clearInterval(progress);
  log('');
  children.forEach(({ service, port }, index) => {
    log(
      `${results[index] ? 'ready ' : 'NOT READY'}  ${service.name.padEnd(12)} ${service.scheme ?? 'http'}://localhost:${port}   ${service.what}`,
    );
  });
  log('');
  log(`data: ${path.relative(root, stateDir)}/<service>, logs: ${path.relative(root, stateDir)}/<service>.log`);
  log(
    `Orca service token, Gate credential and demo users: ${path.relative(root, path.join(stateDir, 'dev-credentials.json'))}`,
  );
  // The controller writes its bootstrap token to its log (stdout), which the terminal never shows.
  const controllerDir = path.relative(root, path.join(stateDir, 'controller'));
  if (fs.existsSync(path.join(stateDir, 'controller', 'bootstrap-control-token')))
    log(
      `tunnel control API: CA ${controllerDir}/ca.crt, bootstrap control token ${controllerDir}/bootstrap-control-token`,
    );
  const memory = residentMegabytes(children.map(({ child }) => child.pid));
  if (memory !== undefined) log(`memory: ${memory} MB resident in total`);
  log('walk through the demo: docs/quickstart.md');
  log('Ctrl-C stops everything.');
  if (results.some((ready) => !ready)) stopAll(1);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
