import WebSocket from 'ws';
import { startKubeApiServer, type KubeApiServer } from './server';

// The channel protocols on the wire, without kubectl: one leading channel byte per binary message
// (0 stdin, 1 stdout, 2 stderr, 3 error), v5's [255, channel] close signal, and the error-channel Status.

let server: KubeApiServer;

beforeAll(async () => {
  server = await startKubeApiServer();
  server.store.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'shell', namespace: 'default' },
    spec: { containers: [{ name: 'main' }] },
  });
});

afterAll(() => server.stop());

interface Session {
  protocol: string;
  messages: Buffer[];
  closed: Promise<void>;
  socket: WebSocket;
}

function open(query: string, protocols: string[]): Promise<Session> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(
      `${server.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/shell/exec?${query}`,
      protocols,
      {
        ca: server.caPem,
        headers: { authorization: `Bearer ${server.token}` },
      },
    );
    const messages: Buffer[] = [];
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('message', (data: Buffer) => messages.push(data));
    socket.on('open', () => resolve({ protocol: socket.protocol, messages, closed, socket }));
    socket.on('unexpected-response', (_request, response) =>
      reject(new Error(`upgrade refused: ${response.statusCode ?? 0}`)),
    );
    socket.on('error', reject);
  });
}

function channel(messages: Buffer[], number: number): string {
  return Buffer.concat(
    messages.filter((message) => message[0] === number).map((message) => message.subarray(1)),
  ).toString();
}

describe('exec over WebSocket channels', () => {
  it('v5: stdout on channel 1, the Success Status on channel 3, then a normal close', async () => {
    const session = await open('command=echo&command=hi&stdout=true&stderr=true', [
      'v5.channel.k8s.io',
      'v4.channel.k8s.io',
    ]);
    expect(session.protocol).toBe('v5.channel.k8s.io');
    await session.closed;
    expect(channel(session.messages, 1)).toBe('hi\n');
    expect(JSON.parse(channel(session.messages, 3))).toEqual({ metadata: {}, status: 'Success' });
  });

  it('v5: stdin on channel 0 ends with the [255, 0] close signal, so cat finishes', async () => {
    const session = await open('command=cat&stdin=true&stdout=true', ['v5.channel.k8s.io']);
    session.socket.send(Buffer.concat([Buffer.from([0]), Buffer.from('typed\n')]));
    session.socket.send(Buffer.from([255, 0]));
    await session.closed;
    expect(channel(session.messages, 1)).toBe('typed\n');
  });

  it('v4: a non-zero exit is a Failure Status with an ExitCode cause; stderr on channel 2', async () => {
    const session = await open(
      `command=sh&command=-c&command=${encodeURIComponent('echo-stderr bad; exit 7')}&stdout=true&stderr=true`,
      ['v4.channel.k8s.io'],
    );
    expect(session.protocol).toBe('v4.channel.k8s.io');
    await session.closed;
    expect(channel(session.messages, 2)).toBe('bad\n');
    expect(JSON.parse(channel(session.messages, 3))).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });

  it('refuses a client offering no channel protocol it speaks, with a 400 before any upgrade', async () => {
    await expect(open('command=echo&stdout=true', ['channel.k8s.io'])).rejects.toThrow('upgrade refused: 400');
  });

  it('answers 404 before upgrading for a pod that does not exist', async () => {
    const socket = new WebSocket(
      `${server.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/ghost/exec?command=ls&stdout=true`,
      ['v5.channel.k8s.io'],
      {
        ca: server.caPem,
        headers: { authorization: `Bearer ${server.token}` },
      },
    );
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('error', () => resolve(-1));
    });
    expect(status).toBe(404);
  });
});
