import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { createTestCa } from '@isd/test-support';
import { closeSilentConnections } from './silent-connections';

const SILENT_MS = 300;

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

async function listening<S extends http.Server>(server: S): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

describe('closeSilentConnections', () => {
  let server: http.Server;
  let port: number;
  beforeEach(async () => {
    server = http.createServer({ keepAliveTimeout: 60_000 }, (_req, res) => res.end('ok'));
    closeSilentConnections(server, SILENT_MS);
    port = await listening(server);
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('closes a connection that sends nothing, and one that never finishes its headers', async () => {
    const silent = await connect(port);
    const trickling = await connect(port);
    trickling.write('GET / HTTP/1.1\r\nHost: x\r\n');
    // Node's headersTimeout (60 s) would not close the first at all, nor the second this soon.
    await Promise.all([closed(silent), closed(trickling)]);
  });

  it('leaves a connection that sent a request to keep-alive, and keeps serving', async () => {
    const client = await connect(port);
    const answered = new Promise<string>((resolve) => client.once('data', (chunk) => resolve(String(chunk))));
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await answered).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/);
    // A silent connection opened after it is closed: by then the sweep has passed the first one too.
    await closed(await connect(port));
    expect(client.destroyed).toBe(false);
    const again = new Promise<string>((resolve) => client.once('data', (chunk) => resolve(String(chunk))));
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await again).toMatch(/^HTTP\/1\.1 200 OK/);
    client.destroy();
  });

  it('answers an Upgrade request as an ordinary one on a server that does not upgrade (Node does, unless told otherwise)', async () => {
    const client = await connect(port);
    const answered = new Promise<string>((resolve) => client.once('data', (chunk) => resolve(String(chunk))));
    client.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(await answered).toMatch(/^HTTP\/1\.1 200 OK/);
    client.destroy();
  });

  it('leaves an upgraded connection of a server that upgrades alone', async () => {
    const upgrading = http.createServer((_req, res) => res.end('ok'));
    // Upgraded sockets are the handler's, not the server's: closeAllConnections does not end them.
    const upgraded: net.Socket[] = [];
    upgrading.on('upgrade', (_req, socket: net.Socket) => {
      upgraded.push(socket);
      socket.write('HTTP/1.1 101 Switching Protocols\r\n\r\n');
    });
    closeSilentConnections(upgrading, SILENT_MS);
    const upgradingPort = await listening(upgrading);
    try {
      const client = await connect(upgradingPort);
      const switched = new Promise<string>((resolve) => client.once('data', (chunk) => resolve(String(chunk))));
      client.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tunnel\r\n\r\n');
      expect(await switched).toMatch(/^HTTP\/1\.1 101/);
      // A silent connection opened after it is closed: by then the sweep has passed the upgraded one too.
      await closed(await connect(upgradingPort));
      expect(client.destroyed).toBe(false);
      client.destroy();
    } finally {
      for (const socket of upgraded) socket.destroy();
      upgrading.closeAllConnections();
      await new Promise((resolve) => upgrading.close(resolve));
    }
  });

  it('over HTTPS, closes a connection that completes the handshake and then sends nothing', async () => {
    const ca = createTestCa();
    const leaf = ca.issue({ commonName: 'localhost', serverNames: ['127.0.0.1'] });
    const secure = https.createServer({ key: leaf.privateKeyPem, cert: leaf.certificatePem }, (_req, res) =>
      res.end('ok'),
    );
    closeSilentConnections(secure, SILENT_MS);
    const securePort = await listening(secure);
    try {
      const socket = tls.connect({ port: securePort, host: '127.0.0.1', ca: ca.certificatePem });
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      await closed(socket);
    } finally {
      secure.closeAllConnections();
      await new Promise((resolve) => secure.close(resolve));
    }
  });
});
