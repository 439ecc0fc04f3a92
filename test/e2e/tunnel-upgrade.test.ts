import http from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import type { RunningController } from '@isd/controller';
import { startLocalController } from './tunnel-support';
import { startAgent, type RunningAgent } from '@isd/agent';

describe('HTTP upgrades through the tunnel', () => {
  let controller: RunningController;
  let agent: RunningAgent;
  let target: http.Server;
  let caller: { certPem: string; keyPem: string; caPem: string };

  beforeAll(async () => {
    target = http.createServer((_req, res) => res.end('plain'));
    const sockets = new WebSocketServer({
      noServer: true,
      handleProtocols: (protocols) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false),
    });
    target.on('upgrade', (req, socket, head) => {
      if (req.headers.upgrade?.toLowerCase() === 'websocket') {
        sockets.handleUpgrade(req, socket, head, (ws) =>
          ws.on('message', (data, isBinary) =>
            ws.send(isBinary ? Buffer.concat([Buffer.from([1]), data as Buffer]) : `echo:${String(data)}`),
          ),
        );
        return;
      }
      // SPDY-style raw upgrade: echo bytes upper-cased.
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n',
      );
      socket.on('data', (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
      socket.on('end', () => socket.end());
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    controller = await startLocalController();
    agent = await startAgent({
      controllers: [controller.agentUrl],
      serverName: 'localhost',
      credentials: await controller.issueAgentCredentials('cluster-u'),
      services: [
        { name: 'kube', type: 'kubernetes', url: `http://127.0.0.1:${(target.address() as AddressInfo).port}` },
      ],
      healthPort: null,
    });
    await agent.waitUntilConnected(5_000);
    caller = await controller.issueServiceCredentials('cluster-u', 'kubernetes', 'kube');
  });
  afterAll(async () => {
    await agent.stop();
    await controller.stop();
    target.closeAllConnections();
    await new Promise((resolve) => target.close(resolve));
  });

  it('round-trips WebSocket text and binary messages with the v5.channel.k8s.io subprotocol', async () => {
    const ws = new WebSocket(
      `${controller.serviceUrl.replace('https', 'wss')}/api/v1/namespaces/default/pods/p/exec?command=sh`,
      ['v5.channel.k8s.io'],
      {
        ca: controller.ca.certPem,
        cert: caller.certPem,
        key: caller.keyPem,
      },
    );
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.protocol).toBe('v5.channel.k8s.io');
    const replies: string[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (data, isBinary) => {
        replies.push(isBinary ? `binary:${(data as Buffer).toString('hex')}` : String(data));
        if (replies.length === 2) resolve();
      }),
    );
    ws.send('hello');
    ws.send(Buffer.from([0, 255]));
    await done;
    expect(replies).toEqual(['echo:hello', 'binary:0100ff']);
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close();
    await closed;
  });

  it('carries a SPDY-style raw upgrade as bidirectional bytes', async () => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: Number(new URL(controller.serviceUrl).port),
      ca: controller.ca.certPem,
      cert: caller.certPem,
      key: caller.keyPem,
      servername: 'localhost',
    });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.write(
      'POST /api/v1/namespaces/default/pods/p/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n',
    );
    let received = '';
    const head = await new Promise<string>((resolve) =>
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (received.includes('\r\n\r\n')) resolve(received);
      }),
    );
    expect(head).toMatch(/^HTTP\/1.1 101 /);
    expect(head).toMatch(/Upgrade: SPDY\/3.1/i);
    received = '';
    socket.write('ping bytes');
    const deadline = Date.now() + 2_000;
    while (!received.includes('PING BYTES') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(received).toContain('PING BYTES');
    socket.destroy();
  });

  it('stops while an upgraded connection is still open (its caller never closes it)', async () => {
    const own = await startLocalController({
      drainTimeoutMs: 200,
    });
    const ownAgent = await startAgent({
      controllers: [own.agentUrl],
      serverName: 'localhost',
      credentials: await own.issueAgentCredentials('cluster-s'),
      services: [
        { name: 'kube', type: 'kubernetes', url: `http://127.0.0.1:${(target.address() as AddressInfo).port}` },
      ],
      healthPort: null,
    });
    await ownAgent.waitUntilConnected(5_000);
    const ownCaller = await own.issueServiceCredentials('cluster-s', 'kubernetes', 'kube');
    const socket = tls.connect({
      host: '127.0.0.1',
      port: Number(new URL(own.serviceUrl).port),
      ca: own.ca.certPem,
      cert: ownCaller.certPem,
      key: ownCaller.keyPem,
      servername: 'localhost',
    });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.write(
      'POST /api/v1/namespaces/default/pods/p/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n',
    );
    await new Promise((resolve) => socket.once('data', resolve));
    // The caller keeps its socket open throughout; the agent is still connected while the controller stops.
    await own.stop();
    await ownAgent.stop();
    const closed = await new Promise<boolean>((resolve) => {
      if (socket.destroyed || socket.readableEnded) resolve(true);
      socket.once('close', () => resolve(true));
    });
    expect(closed).toBe(true);
  });

  it('answers a refused upgrade quickly so kubectl can fall back', async () => {
    const stranger = await controller.issueServiceCredentials('nobody', 'kubernetes', 'kube');
    const started = Date.now();
    const ws = new WebSocket(`${controller.serviceUrl.replace('https', 'wss')}/exec`, {
      ca: controller.ca.certPem,
      cert: stranger.certPem,
      key: stranger.keyPem,
    });
    const status = await new Promise<number>((resolve) =>
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(502);
    // Answered, not left hanging: kubectl falls back to SPDY only once the WebSocket upgrade is refused. The
    // bound leaves room for a loaded machine (a TLS handshake there can take a second).
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
