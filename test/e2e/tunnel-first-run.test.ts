// The controller's first run and restarts, through its real entry point (controller/src/main.ts): the
// bootstrap control token is printed once, the CA, token keys and revocations survive a restart, and a
// connected agent comes back on its own with the credentials it already has.
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { startAgent, type RunningAgent } from '@isd/agent';
import { eventually, freePort, repoRoot, spawnTypeScript, type ChildService } from '@isd/test-support';
import { call, startTestTarget, type TestTarget } from './tunnel-support';

const controllerMain = path.join(repoRoot, 'controller', 'src', 'main.ts');

interface StartedController {
  process: ChildService;
  controlUrl: string;
  serviceUrl: string;
  agentUrl: string;
  caPem: string;
  /** The token printed after "Bootstrap control token", if this start printed one. */
  bootstrapToken?: string;
}

async function startControllerProcess(env: Record<string, string>, dataDir: string): Promise<StartedController> {
  const started = spawnTypeScript(controllerMain, env);
  const line = await eventually(
    async () => {
      if (started.child.exitCode !== null) throw new Error(`controller exited: ${started.output()}`);
      return started
        .output()
        .split('\n')
        .find((text) => text.includes('"controller started"'));
    },
    60_000,
    'controller started',
  );
  const urls = JSON.parse(line) as { controlUrl: string; serviceUrl: string; agentUrl: string };
  // The bootstrap block is written before the start line.
  const output = started.output();
  const printed = /Bootstrap control token[^\n]*\n(?:.*\n)*?\s{2}(ey[\w-]+\.[\w-]+\.[\w-]+)\n/.exec(output)?.[1];
  return {
    process: started,
    ...urls,
    caPem: fs.readFileSync(path.join(dataDir, 'ca.crt'), 'utf8'),
    bootstrapToken: printed,
  };
}

function control(
  controller: StartedController,
  method: string,
  route: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = https.request(new URL(route, controller.controlUrl), {
      method,
      ca: controller.caPem,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      agent: false,
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const fromBase64 = (value: unknown): string => Buffer.from(String(value), 'base64').toString('utf8');

describe('controller first run and restart (data directory)', () => {
  let target: TestTarget;
  let agent: RunningAgent | undefined;
  let controller: StartedController | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-controller-data-'));

  beforeAll(async () => {
    target = await startTestTarget();
  });
  afterAll(async () => {
    await agent?.stop();
    await controller?.process.stop('SIGKILL');
    await target.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints a bootstrap token once, and a restarted controller keeps its CA, tokens, revocations and agents', async () => {
    const ports = {
      agent: await freePort(),
      service: await freePort(),
      control: await freePort(),
      metrics: await freePort(),
    };
    const env = {
      ISD_CONTROLLER_DATA_DIR: dataDir,
      ISD_CONTROLLER_LISTEN_HOST: '127.0.0.1',
      ISD_CONTROLLER_AGENT_LISTEN_PORT: String(ports.agent),
      ISD_CONTROLLER_SERVICE_LISTEN_PORT: String(ports.service),
      ISD_CONTROLLER_CONTROL_LISTEN_PORT: String(ports.control),
      ISD_CONTROLLER_PROMETHEUS_LISTEN_PORT: String(ports.metrics),
      ISD_CONTROLLER_DRAIN_TIMEOUT_MS: '100',
    };
    controller = await startControllerProcess(env, dataDir);
    const bootstrap = controller.bootstrapToken;
    expect(bootstrap).toBeDefined();
    expect(fs.readFileSync(path.join(dataDir, 'bootstrap-control-token'), 'utf8').trim()).toBe(bootstrap);
    for (const file of ['ca.key', 'token-keys.json']) {
      expect(fs.statSync(path.join(dataDir, file)).mode & 0o077).toBe(0);
    }

    // Everything else is issued with the bootstrap token, as a newcomer would.
    const manifest = await control(controller, 'POST', '/api/v1/generateAgentManifestComponents', bootstrap as string, {
      agentName: 'cluster-r',
    });
    expect(manifest.status).toBe(200);
    agent = await startAgent({
      controllers: [controller.agentUrl],
      serverName: 'localhost',
      credentials: {
        certPem: fromBase64(manifest.body.agentCertificate),
        keyPem: fromBase64(manifest.body.agentKey),
        caPem: fromBase64(manifest.body.caCert),
      },
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: null,
    });
    await agent.waitUntilConnected(10_000);
    const service = await control(controller, 'POST', '/api/v1/generateServiceCredentials', bootstrap as string, {
      agentName: 'cluster-r',
      type: 'jenkins',
      name: 'ci',
    });
    const serviceToken = (service.body.credential as { password: string }).password;
    const kubectl = await control(controller, 'POST', '/api/v1/generateKubectlComponents', bootstrap as string, {
      agentName: 'cluster-r',
      name: 'ci',
    });
    const revokedCaller = {
      certPem: fromBase64(kubectl.body.userCertificate),
      keyPem: fromBase64(kubectl.body.userKey),
      caPem: controller.caPem,
    };
    expect(
      (
        await control(controller, 'POST', '/api/v1/revokeCertificate', bootstrap as string, {
          certificate: revokedCaller.certPem,
        })
      ).status,
    ).toBe(200);
    const throughTunnel = (started: StartedController) =>
      call(started.serviceUrl, '/status?code=200', {
        caPem: started.caPem,
        headers: { authorization: `Bearer ${serviceToken}` },
      });
    expect((await throughTunnel(controller)).status).toBe(200);
    const caBefore = controller.caPem;

    await controller.process.stop('SIGTERM');
    await eventually(async () => (agent?.connected ? undefined : true), 10_000, 'agent notices the controller is gone');
    controller = await startControllerProcess(env, dataDir);

    expect(controller.caPem).toBe(caBefore);
    expect(controller.bootstrapToken).toBeUndefined();
    expect(controller.process.output()).not.toContain('Bootstrap control token');
    // The agent reconnects with the certificate it has; nobody re-issues anything.
    await agent.waitUntilConnected(10_000);
    expect((await throughTunnel(controller)).status).toBe(200);
    const statistics = await control(controller, 'GET', '/api/v1/getAgentStatistics', bootstrap as string);
    expect(statistics.status).toBe(200);
    expect((statistics.body.connectedAgents as Array<{ name: string }>).map((entry) => entry.name)).toEqual([
      'cluster-r',
    ]);
    // A revocation made before the restart still holds.
    const refused = await call(controller.serviceUrl, '/status?code=200', {
      caPem: controller.caPem,
      credentials: revokedCaller,
    });
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body.toString())).toMatchObject({ status: 401, detail: 'client certificate is revoked' });
  }, 180_000);
});
