// The three gate services started as real processes (tsx on their main.ts, as `npm start` runs them),
// each on its own throwaway database, with users whose per-application permissions the attacks probe.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  TEST_GATE_TOKEN,
  TEST_SERVICE_TOKEN,
  createTestDatabase,
  eventually,
  freePort,
  spawnTypeScript,
  type ChildService,
} from '@isd/test-support';

/** Names that are members of Object.prototype: they must be ordinary user names everywhere. */
export const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty'] as const;

/**
 * The users every service is started with (the static map, as Fiat would answer): alice owns `shop`,
 * bob owns `billing`, mallory has nothing, root is an admin; the prototype-named users are shop approvers
 * with READ and WRITE on shop.
 */
export const USERS = {
  alice: { roles: ['shop-approvers'], applications: { shop: ['READ', 'WRITE', 'EXECUTE'] } },
  bob: { roles: ['billing-approvers'], applications: { billing: ['READ', 'WRITE', 'EXECUTE'] } },
  mallory: { roles: [] },
  root: { roles: ['admins'], admin: true },
  ...Object.fromEntries(
    PROTOTYPE_NAMES.map((name) => [name, { roles: ['shop-approvers'], applications: { shop: ['READ', 'WRITE'] } }]),
  ),
};

/** A running service process. */
export interface ServiceProcess {
  url: string;
  child: ChildService;
  stop(): Promise<void>;
}

/**
 * Starts `service` (visibility, autopilot or sapor) as a process; `env` adds its own settings. `database`
 * 'embedded' runs it on its embedded PGlite default (in a temporary directory) instead of the test cluster.
 */
export async function startServiceProcess(
  service: 'visibility' | 'autopilot' | 'sapor',
  env: Record<string, string> = {},
  { database = 'postgres' }: { database?: 'postgres' | 'embedded' } = {},
): Promise<ServiceProcess> {
  const prefix = `${service.toUpperCase()}_`;
  const port = await freePort();
  // The embedded database keeps its socket directory beside its data directory: both go in one temporary one.
  const tempDir = database === 'embedded' ? fs.mkdtempSync(path.join(os.tmpdir(), `isd-${service}-`)) : undefined;
  const databaseEnv: Record<string, string> = tempDir
    ? // DATABASE_URL (the conventional name) would win over the embedded default, so it is blanked.
      { [`${prefix}DATABASE__EMBEDDED_DATA_DIR`]: path.join(tempDir, 'data'), DATABASE_URL: '' }
    : { [`${prefix}DATABASE__URL`]: await createTestDatabase(service) };
  const child = spawnTypeScript(`sidecars/${service}/src/main.ts`, {
    ...databaseEnv,
    [`${prefix}SERVER__PORT`]: String(port),
    [`${prefix}SERVER__HOST`]: '127.0.0.1',
    [`${prefix}AUTH__SERVICE_TOKEN`]: TEST_SERVICE_TOKEN,
    [`${prefix}AUTH__GATE_TOKEN`]: TEST_GATE_TOKEN,
    [`${prefix}AUTH__USERS`]: JSON.stringify(USERS),
    [`${prefix}JOBS__POLLING_INTERVAL_SECONDS`]: '0.5',
    [`${prefix}LOG__LEVEL`]: 'warn',
    [`${prefix}LOG__PRETTY`]: 'false',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.child.exitCode !== null) throw new Error(`${service} exited: ${child.output()}`);
      const ready = await fetch(`${url}/readyz`).catch(() => undefined);
      return ready?.status === 200 ? true : undefined;
    },
    90_000,
    `${service} ready`,
  ).catch(async (error: Error) => {
    // A service that never got ready is nobody's to stop later: stopped here, or it outlives the test run.
    const output = child.output();
    await stop();
    throw new Error(`${error.message}\n${output}`);
  });
  return { url, child, stop };

  async function stop(): Promise<void> {
    await child.stop('SIGTERM');
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

/** A JSON answer. */
export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- attack answers are inspected freely
  body: any;
  text: string;
}

/** Calls a service; `as` is Orca (the service token), a user through Gate, or raw headers. */
export async function call(
  base: string,
  method: string,
  path: string,
  as: 'orca' | { user: string } | { headers: Record<string, string> },
  body?: unknown,
): Promise<Answer> {
  const headers: Record<string, string> =
    as === 'orca'
      ? { 'x-isd-service-token': TEST_SERVICE_TOKEN }
      : 'user' in as
        ? { 'x-isd-gate-token': TEST_GATE_TOKEN, 'x-spinnaker-user': as.user }
        : as.headers;
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed, text };
}

/** Shorthands. */
export const asOrca = 'orca' as const;
export const asUser = (user: string) => ({ user });

/** A local HTTP server that records every request: a peer an attack tries to reach through a service. */
export async function recordingPeer(): Promise<{ url: string; paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"secret":"the admin secret","ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An approval gate as Orca creates it. */
export function approvalPayload(application: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    application,
    pipelineName: 'deploy',
    pipelineId: 'pipeline-1',
    executionId: `exec-${Math.random().toString(36).slice(2)}`,
    stageId: 'approval',
    triggeredBy: 'someone-else',
    approverGroups: [{ name: `${application}-approvers`, required: 1 }],
    allowSelfApproval: false,
    timeoutMs: 3_600_000,
    instructions: '',
    evidence: [],
    autoDecision: null,
    ...overrides,
  };
}
