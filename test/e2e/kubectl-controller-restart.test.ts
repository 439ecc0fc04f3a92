import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startAgent, type RunningAgent } from '@isd/agent';
import { CertificateAuthority, generateTokenKeys } from '@isd/controller';
import {
  createKubectlSession,
  renderKubeconfig,
  startKubeApiServer,
  type KubeApiServer,
  type KubectlSession,
} from '../harness/kube-apiserver';
import { seedNamespace } from '../harness/kube-apiserver/scenarios';

// kill -9 of the controller while kubectl streams through it, seen by real kubectl: `logs -f` must fail
// (a reset, never a log that merely ended), and the same kubeconfig works again soon after the
// controller comes back on the same ports with the same CA. The controller runs as a separate process
// (test/e2e/tunnel-controller-process.ts) so SIGKILL is real.

jest.setTimeout(60_000);

interface ControllerProcess {
  child: ChildProcess;
  agentUrl: string;
  serviceUrl: string;
}

function spawnController(config: Record<string, unknown>): Promise<ControllerProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'tunnel-controller-process.ts'), JSON.stringify(config)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n')[0];
      if (output.includes('\n') && line)
        resolve({ child, ...(JSON.parse(line) as { agentUrl: string; serviceUrl: string }) });
    });
    child.once('exit', (code) => reject(new Error(`controller exited with ${String(code)} before listening`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

const AGENT_NAME = 'cluster-k';
let harness: KubeApiServer;
let agent: RunningAgent | undefined;
let controller: ControllerProcess | undefined;
let kubectl: KubectlSession | undefined;

beforeAll(async () => {
  harness = await startKubeApiServer();
});

afterAll(async () => {
  kubectl?.dispose();
  await agent?.stop();
  controller?.child.kill('SIGKILL');
  await harness.stop();
});

describe('kubectl when the controller is killed with SIGKILL mid-stream', () => {
  it('logs -f fails instead of ending cleanly, and the same kubeconfig works again after the restart', async () => {
    const ca = await CertificateAuthority.generate();
    const config = {
      host: '127.0.0.1',
      agentPort: 0,
      servicePort: 0,
      controlPort: 0,
      metricsPort: 0,
      serverNames: ['localhost', '127.0.0.1'],
      ca: ca.exportPem(),
      tokenKeys: generateTokenKeys(),
    };
    controller = await spawnController(config);
    agent = await startAgent({
      controllers: [controller.agentUrl],
      serverName: 'localhost',
      credentials: await ca.issue({ purpose: 'agent', agent: AGENT_NAME }),
      services: [
        {
          name: 'kube',
          type: 'kubernetes',
          kubeconfig: renderKubeconfig({ server: harness.url, caPem: harness.caPem, token: harness.token }),
        },
      ],
      healthPort: null,
    });
    await agent.waitUntilConnected(10_000);
    // What generateKubectlComponents returns in the v3 (certificate) shape, issued from the shared CA.
    const caller = await ca.issue({ purpose: 'service', agent: AGENT_NAME, type: 'kubernetes', name: 'kube' });
    kubectl = createKubectlSession(
      renderKubeconfig({
        server: controller.serviceUrl,
        caPem: ca.certPem,
        clientCertificatePem: caller.certPem,
        clientKeyPem: caller.keyPem,
      }),
    );
    const context = { kubectl, server: harness, namespace: 'restart' };
    seedNamespace(context);
    harness.store.appendPodLog('restart', 'web-0', 'before the kill');

    const follow = kubectl.spawn(['logs', '-f', 'web-0', '-n', 'restart', '--request-timeout=0']);
    await follow.waitFor('before the kill\n');
    controller.child.kill('SIGKILL');
    const code = await new Promise<number | null>((resolve) => {
      if (follow.child.exitCode !== null) resolve(follow.child.exitCode);
      else follow.child.once('close', (exitCode) => resolve(exitCode));
    });
    expect(code).not.toBe(0);
    expect(follow.errors()).toMatch(/unexpected EOF|INTERNAL_ERROR|connection reset|stream error/i);
    await exited(controller.child);

    // Back on the same agent and service ports, with the same CA: the old kubeconfig must work again.
    const agentPort = Number(controller.agentUrl.split(':').pop());
    const servicePort = Number(new URL(controller.serviceUrl).port);
    controller = await spawnController({ ...config, agentPort, servicePort });
    const listeningAt = Date.now();
    let result = await kubectl.run(['get', 'pods', '-n', 'restart', '-o', 'name', '--request-timeout=5s']);
    while (result.code !== 0 && Date.now() - listeningAt < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      result = await kubectl.run(['get', 'pods', '-n', 'restart', '-o', 'name', '--request-timeout=5s']);
    }
    expect(result.stdout).toBe('pod/db-0\npod/web-0\n');
    // Includes kubectl's own start-up (~0.1 s per try); the agent's reconnect itself is pinned at < 1 s by tunnel-restart.
    expect(Date.now() - listeningAt).toBeLessThan(5_000);
  });
});
