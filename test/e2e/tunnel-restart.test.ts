import { spawn, type ChildProcess } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import { CertificateAuthority, generateTokenKeys } from '@isd/controller';
import { startAgent, type RunningAgent } from '@isd/agent';
import { startTestTarget, type TestTarget } from './tunnel-support';

function spawnController(
  config: Record<string, unknown>,
): Promise<{ child: ChildProcess; agentUrl: string; serviceUrl: string }> {
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
    child.once('exit', (code) => reject(new Error(`controller exited with ${code}`)));
  });
}

describe('controller killed with SIGKILL', () => {
  let target: TestTarget;
  let agent: RunningAgent;
  let child: ChildProcess | undefined;
  const tokenKeys = generateTokenKeys();

  beforeAll(async () => {
    target = await startTestTarget();
  });
  afterAll(async () => {
    await agent?.stop();
    child?.kill('SIGKILL');
    await target.close();
  });

  it('resets an in-flight stream (never a clean end) and the agent is back within 1 s of the restart', async () => {
    const provided = await CertificateAuthority.generate();
    // The restarted controller must present the same CA, so the CA is passed to both runs.
    const caMaterial = provided.exportPem();
    const exported = { certPem: provided.certPem };
    const config = {
      host: '127.0.0.1',
      agentPort: 0,
      servicePort: 0,
      controlPort: 0,
      metricsPort: 0,
      ca: caMaterial,
      tokenKeys,
    };
    const first = await spawnController(config);
    child = first.child;
    // Listened for from the start: the exit can be seen before the reset of the stream is.
    const firstExited = new Promise((resolve) => first.child.once('exit', resolve));
    agent = await startAgent({
      controllers: [first.agentUrl],
      serverName: 'localhost',
      credentials: await provided.issue({ purpose: 'agent', agent: 'cluster-k' }),
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: null,
    });
    await agent.waitUntilConnected(5_000);
    const caller = await provided.issue({ purpose: 'service', agent: 'cluster-k', type: 'jenkins', name: 'ci' });

    const outcome = new Promise<string>((resolve) => {
      const request = https.request(new URL('/slow', first.serviceUrl), {
        ca: exported.certPem,
        cert: caller.certPem,
        key: caller.keyPem,
        agent: false,
      });
      request.on('response', (response) => {
        response.once('data', () => first.child.kill('SIGKILL'));
        response.on('end', () => resolve(response.complete ? 'clean end' : 'incomplete end'));
        response.on('error', () => resolve('reset'));
        response.on('aborted', () => resolve('reset'));
      });
      request.on('error', () => resolve('reset'));
      request.end();
    });
    expect(await outcome).toBe('reset');
    await firstExited;
    const deadline = Date.now() + 2_000;
    while (agent.connected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(agent.connected).toBe(false);

    // Stay down for a while so the agent's backoff has grown, then come back on the same port.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const port = Number(first.agentUrl.split(':').pop());
    const second = await spawnController({ ...config, agentPort: port });
    child = second.child;
    const listeningAt = Date.now();
    await agent.waitUntilConnected(3_000);
    expect(Date.now() - listeningAt).toBeLessThan(1_000);

    const result = await new Promise<number>((resolve, reject) => {
      const request = https.request(new URL('/status?code=200', second.serviceUrl), {
        ca: exported.certPem,
        cert: caller.certPem,
        key: caller.keyPem,
        agent: false,
      });
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
      request.end();
    });
    expect(result).toBe(200);
  }, 60_000);
});
