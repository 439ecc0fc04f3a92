import { spawn } from 'node:child_process';
import type { ClientRequest, IncomingMessage } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { startController, type RunningController } from '@isd/controller';
import { startAgent } from '@isd/agent';
import { call, startTestTarget, type TestTarget } from './tunnel-support';

const ports = { host: '127.0.0.1', agentPort: 0, servicePort: 0, controlPort: 0, metricsPort: 0 } as const;

/** Opens /slow and reports how the response ended and how many events arrived. */
function watch(
  controller: RunningController,
  caller: { certPem: string; keyPem: string },
  onFirstEvent: () => void = () => undefined,
): Promise<{ outcome: string; events: number; lastEventAt: number }> {
  return new Promise((resolve) => {
    let events = 0;
    let lastEventAt = 0;
    const request = https.request(new URL('/slow', controller.serviceUrl), {
      ca: controller.ca.certPem,
      cert: caller.certPem,
      key: caller.keyPem,
      agent: false,
    });
    request.on('response', (response) => {
      response.on('data', (chunk: Buffer) => {
        events += chunk.toString().split('\n').filter(Boolean).length;
        lastEventAt = Date.now();
        if (events === 1) onFirstEvent();
      });
      response.on('end', () =>
        resolve({ outcome: response.complete ? 'clean end' : 'incomplete', events, lastEventAt }),
      );
      response.on('error', () => resolve({ outcome: 'reset', events, lastEventAt }));
    });
    request.on('error', () => resolve({ outcome: 'reset', events, lastEventAt }));
    request.end();
  });
}

describe('tunnel lifecycle', () => {
  let target: TestTarget;
  beforeAll(async () => {
    target = await startTestTarget();
  });
  afterAll(async () => {
    await target.close();
  });

  it('keeps a watch open beyond the 8-10 s at which oes-birger cut streams', async () => {
    const controller = await startController(ports);
    const agent = await startAgent({
      controllers: [controller.agentUrl],
      serverName: 'localhost',
      credentials: await controller.issueAgentCredentials('cluster-w'),
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: null,
    });
    try {
      await agent.waitUntilConnected(5_000);
      const caller = await controller.issueServiceCredentials('cluster-w', 'jenkins', 'ci');
      let request: ClientRequest | undefined;
      const startedAt = Date.now();
      const result = await new Promise<{ events: number; aliveMs: number }>((resolve) => {
        let events = 0;
        request = https.request(new URL('/slow', controller.serviceUrl), {
          ca: controller.ca.certPem,
          cert: caller.certPem,
          key: caller.keyPem,
          agent: false,
        });
        request.on('response', (response: IncomingMessage) => {
          response.on('data', (chunk: Buffer) => {
            events += chunk.toString().split('\n').filter(Boolean).length;
            if (Date.now() - startedAt > 11_000) resolve({ events, aliveMs: Date.now() - startedAt });
          });
          response.on('end', () => resolve({ events, aliveMs: -1 }));
          response.on('error', () => resolve({ events, aliveMs: -1 }));
        });
        request.end();
      });
      request?.destroy();
      expect(result.aliveMs).toBeGreaterThan(11_000);
      expect(result.events).toBeGreaterThan(150);
    } finally {
      await agent.stop();
      await controller.stop();
    }
  }, 20_000);

  it('refuses a request body over the cap with 413 naming the limit', async () => {
    const controller = await startController({ ...ports, maxRequestBodyBytes: 1024 });
    const agent = await startAgent({
      controllers: [controller.agentUrl],
      serverName: 'localhost',
      credentials: await controller.issueAgentCredentials('cluster-c'),
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: null,
    });
    try {
      await agent.waitUntilConnected(5_000);
      const caller = await controller.issueServiceCredentials('cluster-c', 'jenkins', 'ci');
      const small = await call(controller.serviceUrl, '/echo', {
        method: 'POST',
        body: Buffer.alloc(1000),
        caPem: controller.ca.certPem,
        credentials: caller,
      });
      expect(small.status).toBe(200);
      const large = await call(controller.serviceUrl, '/echo', {
        method: 'POST',
        body: Buffer.alloc(64 * 1024),
        caPem: controller.ca.certPem,
        credentials: caller,
      });
      expect(large.status).toBe(413);
      expect(large.body.toString()).toContain('exceeds 1024 bytes');
    } finally {
      await agent.stop();
      await controller.stop();
    }
  });

  it('drains on stop: agents are told, new requests get 503, in-flight streams end at the deadline as resets', async () => {
    const controller = await startController({ ...ports, drainTimeoutMs: 400 });
    const agent = await startAgent({
      controllers: [controller.agentUrl],
      serverName: 'localhost',
      credentials: await controller.issueAgentCredentials('cluster-n'),
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: 0,
    });
    try {
      await agent.waitUntilConnected(5_000);
      const caller = await controller.issueServiceCredentials('cluster-n', 'jenkins', 'ci');
      let stopping: Promise<void> | undefined;
      let during: Awaited<ReturnType<typeof call>> | undefined;
      const watched = watch(controller, caller, () => {
        stopping = controller.stop();
        void call(controller.serviceUrl, '/status?code=200', {
          caPem: controller.ca.certPem,
          credentials: caller,
        }).then((result) => (during = result));
      });
      const result = await watched;
      await stopping;
      expect(result.outcome).not.toBe('clean end');
      // The in-flight watch kept flowing during the drain window.
      expect(result.events).toBeGreaterThan(3);
      expect(during?.status).toBe(503);
      const deadline = Date.now() + 2_000;
      while (agent.connected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(agent.connected).toBe(false);
      expect((await fetch(`${agent.healthUrl}/readyz`)).status).toBe(503);
    } finally {
      await agent.stop();
    }
  });

  it('resets in-flight streams when the agent process is killed with SIGKILL, and forgets the agent', async () => {
    const controller = await startController(ports);
    const credentials = await controller.issueAgentCredentials('cluster-9');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, 'tunnel-agent-process.ts'),
        JSON.stringify({
          controllers: [controller.agentUrl],
          serverName: 'localhost',
          credentials,
          services: [{ name: 'ci', type: 'jenkins', url: target.url }],
          healthPort: null,
        }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('connected') && resolve());
        child.once('exit', (code) => reject(new Error(`agent exited with ${code}`)));
      });
      const caller = await controller.issueServiceCredentials('cluster-9', 'jenkins', 'ci');
      const result = await watch(controller, caller, () => child.kill('SIGKILL'));
      expect(result.outcome).not.toBe('clean end');
      const deadline = Date.now() + 2_000;
      while (controller.agents().length > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(controller.agents()).toHaveLength(0);
      const after = await call(controller.serviceUrl, '/', { caPem: controller.ca.certPem, credentials: caller });
      expect(after.status).toBe(502);
    } finally {
      child.kill('SIGKILL');
      await controller.stop();
    }
  });
});
