// Capability "lane": bodies of 1 MiB or more with a known length cross separate mutual-TLS lanes as raw
// bytes. These tests hold lanes to the same fidelity as Body frames, and check who may open a lane.
import { createHash } from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';
import { LANE_ACCEPTED, LANE_ALPN, encodeLaneHello } from '@isd/tunnel-proto';
import { call, startTunnel, type TunnelFixture } from './tunnel-support';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function laneBodies(tunnel: TunnelFixture): Promise<{ request: number; response: number }> {
  const { values } = await tunnel.controller.metrics.laneBodies.get();
  const count = (direction: string): number => values.find((value) => value.labels.direction === direction)?.value ?? 0;
  return { request: count('request'), response: count('response') };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('tunnel lanes', () => {
  let tunnel: TunnelFixture;
  beforeAll(async () => {
    tunnel = await startTunnel('cluster-a');
  });
  afterAll(async () => {
    await tunnel.close();
  });
  const send = (path: string, options: { method?: string; body?: Buffer; headers?: Record<string, string> } = {}) =>
    call(tunnel.controller.serviceUrl, path, {
      caPem: tunnel.controller.ca.certPem,
      credentials: tunnel.caller,
      ...options,
    });

  const lanesOpen = (): number => tunnel.controller.agents()[0]?.lanes ?? 0;

  it('opens lanes on demand: the first large bodies cross in frames and open one lane each way', async () => {
    expect(lanesOpen()).toBe(0);
    expect((await send(`/bytes?n=${2 * MiB}`)).body.length).toBe(2 * MiB);
    const body = Buffer.alloc(2 * MiB, 2);
    expect((await send('/echo', { method: 'PUT', body })).trailers['x-body-sha256']).toBe(sha256(body));
    expect(await laneBodies(tunnel)).toEqual({ request: 0, response: 0 });
    await until(() => lanesOpen() === 2);
  });

  it('carries a large download and a large upload on lanes, byte for byte', async () => {
    const before = await laneBodies(tunnel);
    const size = 5 * MiB + 3;
    const download = await send(`/bytes?n=${size}`);
    expect(download.status).toBe(200);
    expect(download.body.equals(Buffer.alloc(size, 7))).toBe(true);

    const upload = Buffer.alloc(4 * MiB + 11);
    for (let index = 0; index < upload.length; index += 1) upload[index] = (index * 31) % 251;
    const echoed = await send('/echo', { method: 'PUT', body: upload });
    expect(echoed.status).toBe(200);
    expect(echoed.trailers['x-body-sha256']).toBe(sha256(upload));
    expect(echoed.body.equals(upload)).toBe(true);

    const after = await laneBodies(tunnel);
    expect(after.response - before.response).toBe(1);
    expect(after.request - before.request).toBe(1);
  });

  it('keeps small bodies, HEAD answers and bodies of unknown length off the lanes', async () => {
    const before = await laneBodies(tunnel);
    expect((await send(`/bytes?n=${MiB - 1}`)).body.length).toBe(MiB - 1);
    const head = await send(`/bytes?n=${8 * MiB}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(8 * MiB));
    expect(head.body.length).toBe(0);
    const chunked = await send(`/bytes?n=${3 * MiB}&chunked`);
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    expect(chunked.body.length).toBe(3 * MiB);
    expect(await laneBodies(tunnel)).toEqual(before);
  });

  it('serves concurrent large transfers in both directions', async () => {
    const uploads = [1, 2, 3].map((seed) => Buffer.alloc(2 * MiB + seed, seed));
    const results = await Promise.all([
      ...[3, 4, 5, 6].map((mebibytes) => send(`/bytes?n=${mebibytes * MiB}`)),
      ...uploads.map((body) => send('/echo', { method: 'POST', body })),
    ]);
    [3, 4, 5, 6].forEach((mebibytes, index) => expect(results[index]?.body.length).toBe(mebibytes * MiB));
    uploads.forEach((body, index) => expect(results[4 + index]?.trailers['x-body-sha256']).toBe(sha256(body)));
  });

  it('breaks the client connection when a lane body is cut short, and the tunnel goes on working', async () => {
    await expect(send(`/short?n=${4 * MiB}`)).rejects.toThrow();
    const next = await send(`/bytes?n=${2 * MiB}`);
    expect(next.body.length).toBe(2 * MiB);
  });

  it('aborts the target request when the client abandons a large upload, and the tunnel goes on working', async () => {
    const seenBefore = tunnel.target.closedEarly.length;
    await new Promise<void>((resolve) => {
      const request = https.request(new URL('/echo', tunnel.controller.serviceUrl), {
        method: 'PUT',
        headers: { 'content-length': String(16 * MiB) },
        ca: tunnel.controller.ca.certPem,
        cert: tunnel.caller.certPem,
        key: tunnel.caller.keyPem,
        agent: false,
      });
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      request.write(Buffer.alloc(3 * MiB, 1), () => setTimeout(() => request.destroy(), 100));
    });
    await until(() => tunnel.target.closedEarly.length > seenBefore);
    const body = Buffer.alloc(3 * MiB, 9);
    const echoed = await send('/echo', { method: 'PUT', body });
    expect(echoed.trailers['x-body-sha256']).toBe(sha256(body));
  });

  describe('who may open a lane', () => {
    const openLane = (credentials: { certPem: string; keyPem: string }, sessionId: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          port: Number(tunnel.controller.agentUrl.split(':').pop()),
          ca: tunnel.controller.ca.certPem,
          cert: credentials.certPem,
          key: credentials.keyPem,
          servername: 'localhost',
          ALPNProtocols: [LANE_ALPN],
        });
        socket.on('secureConnect', () => socket.write(encodeLaneHello({ direction: 'response', sessionId })));
        socket.on('data', (chunk: Buffer) => {
          resolve(chunk[0] === LANE_ACCEPTED ? 'accepted' : 'other');
          socket.destroy();
        });
        socket.on('error', () => resolve('closed'));
        socket.on('close', () => resolve('closed'));
      });
    const sessionOf = (agent: string): string => {
      const session = tunnel.controller.agents().find((summary) => summary.agentName === agent);
      if (!session) throw new Error(`${agent} has no session`);
      return session.sessionId;
    };

    it('accepts a lane of the agent whose session it names', async () => {
      expect(await openLane(await tunnel.controller.issueAgentCredentials('cluster-a'), sessionOf('cluster-a'))).toBe(
        'accepted',
      );
    });

    it("refuses another agent's certificate, a service certificate and an unknown session", async () => {
      const session = sessionOf('cluster-a');
      expect(await openLane(await tunnel.controller.issueAgentCredentials('cluster-b'), session)).toBe('closed');
      expect(await openLane(tunnel.caller, session)).toBe('closed');
      expect(await openLane(await tunnel.controller.issueAgentCredentials('cluster-a'), 'no-such-session')).toBe(
        'closed',
      );
    });
  });
});

describe('an agent with lanes switched off', () => {
  it('carries large bodies in Body frames and opens no lane', async () => {
    const tunnel = await startTunnel('cluster-c', { lanes: false });
    try {
      const call_ = (path: string, options: { method?: string; body?: Buffer } = {}) =>
        call(tunnel.controller.serviceUrl, path, {
          caPem: tunnel.controller.ca.certPem,
          credentials: tunnel.caller,
          ...options,
        });
      expect((await call_(`/bytes?n=${3 * MiB}`)).body.length).toBe(3 * MiB);
      const body = Buffer.alloc(3 * MiB, 4);
      expect((await call_('/echo', { method: 'PUT', body })).trailers['x-body-sha256']).toBe(sha256(body));
      expect(tunnel.controller.agents()[0]?.capabilities).not.toContain('lane');
      expect(await laneBodies(tunnel)).toEqual({ request: 0, response: 0 });
    } finally {
      await tunnel.close();
    }
  });
});
