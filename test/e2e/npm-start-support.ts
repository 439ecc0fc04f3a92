// Starting the product the way a newcomer does (`npm start`, i.e. scripts/start.mjs) on ports of its
// own, for the tests that drive it. Uses the dist/ that `npm test`'s type-check step has just built
// (ISD_START_SKIP_BUILD=1).
import { spawn } from 'node:child_process';
import { repoRoot } from '@isd/test-support';

/** Ports one test process's `npm start` uses, away from the defaults and from other test processes. */
export function startPorts(offset = 0) {
  // Eight ports per (process, offset), so two product runs of one test process never share one.
  // Below 32768, where Linux's ephemeral ports (every client socket and port-0 server) begin.
  const basePort = 21_000 + (((process.pid % 700) * 2 + offset) % 1_400) * 8;
  return {
    visibility: basePort,
    autopilot: basePort + 1,
    sapor: basePort + 2,
    control: basePort + 3,
    metrics: basePort + 4,
    agent: basePort + 5,
    service: basePort + 6,
    demoMetrics: basePort + 7,
  };
}

export type StartPorts = ReturnType<typeof startPorts>;

/** The environment that points `npm start` (and the quickstart's commands) at these ports and state dir. */
export function startEnv(ports: StartPorts, stateDir: string): Record<string, string> {
  return {
    ISD_START_SKIP_BUILD: '1',
    ISD_STATE_DIR: stateDir,
    VISIBILITY_SERVER__PORT: String(ports.visibility),
    AUTOPILOT_SERVER__PORT: String(ports.autopilot),
    SAPOR_SERVER__PORT: String(ports.sapor),
    ISD_DEMO_METRICS_PORT: String(ports.demoMetrics),
    ISD_CONTROLLER_CONTROL_LISTEN_PORT: String(ports.control),
    ISD_CONTROLLER_PROMETHEUS_LISTEN_PORT: String(ports.metrics),
    ISD_CONTROLLER_AGENT_LISTEN_PORT: String(ports.agent),
    ISD_CONTROLLER_SERVICE_LISTEN_PORT: String(ports.service),
  };
}

/** Runs scripts/start.mjs; `output()` is everything it printed so far. */
export function startProduct(ports: StartPorts, stateDir: string) {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '', ...startEnv(ports, stateDir) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}
