// Resource caps between a hostile agent or controller and the tunnel (controller agentLimits, agent
// maxConcurrentExchanges). An agent certificate, stolen or legit, must not let its holder make the controller
// hold connections, sessions or unattached streams without bound; a controller must not make the agent run
// requests without bound. Excess is refused cleanly and counted; other agents and the process carry on.
import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { CertificateAuthority, type RunningController } from '@isd/controller';
import { startAgent, type RunningAgent } from '@isd/agent';
import {
  PROTOCOL_VERSION,
  loadTunnelDefinition,
  type AgentControl,
  type AgentFrame,
  type ControllerControlOut,
  type ControllerFrameOut,
} from '@isd/tunnel-proto';
import { eventually } from '@isd/test-support';
import { call, startLocalController } from '../e2e/tunnel-support';
import { connectHostileAgent, grpcFrame, rawControlStream, type HostileAgent } from './hostile-agent';

jest.setTimeout(60_000);

/** A target that holds requests to /hold until released and answers any other at once. */
interface HoldingTarget {
  url: string;
  /** Requests being held now, and the most held at once. */
  held: number;
  mostHeld: number;
  release(): void;
  close(): Promise<void>;
}

async function startHoldingTarget(): Promise<HoldingTarget> {
  const waiting: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    if (req.url !== '/hold') {
      res.end('quick');
      return;
    }
    waiting.push(res);
    target.held += 1;
    target.mostHeld = Math.max(target.mostHeld, target.held);
    res.on('close', () => (target.held -= 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const target: HoldingTarget = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: 0,
    mostHeld: 0,
    release: () => {
      for (const res of waiting.splice(0)) res.end('released');
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return target;
}

/** `promise`, or a rejection naming `what` once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A TLS connection to the controller's service endpoint, as a caller without credentials opens it. */
function serviceSocket(controller: RunningController): tls.TLSSocket {
  const url = new URL(controller.serviceUrl);
  return tls.connect({
    host: url.hostname,
    port: Number(url.port),
    ca: controller.ca.certPem,
    servername: 'localhost',
  });
}

describe('controller agentLimits against one agent certificate', () => {
  let controller: RunningController;
  let target: HoldingTarget;
  let good: RunningAgent;
  let goodToken: string;
  const hostiles: HostileAgent[] = [];
  const limits = {
    connectionsPerAgent: 4,
    sessionsPerAgent: 2,
    pendingStreamsPerAgent: 40,
    pendingStreams: 60,
    streamsPerConnection: 300,
  };

  beforeAll(async () => {
    target = await startHoldingTarget();
    controller = await startLocalController({
      agentLimits: limits,
    });
    good = await startAgent({
      controllers: [controller.agentUrl],
      serverName: 'localhost',
      credentials: await controller.issueAgentCredentials('good'),
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: null,
    });
    await good.waitUntilConnected(10_000);
    goodToken = await controller.issueServiceToken('good', 'jenkins', 'ci');
  });

  afterAll(async () => {
    for (const hostile of hostiles) hostile.close();
    await good?.stop();
    await controller?.stop();
    await target?.close();
  });

  async function controllerStillServes(): Promise<void> {
    const answer = await call(controller.serviceUrl, '/quick', {
      caPem: controller.ca.certPem,
      headers: { authorization: `Bearer ${goodToken}` },
    });
    expect(answer.status).toBe(200);
    expect((await fetch(`${controller.metricsUrl}/healthz`)).status).toBe(200);
  }

  async function refusals(agent: string, limit: string): Promise<number> {
    const values = (await controller.metrics.agentLimitRefusals.get()).values;
    return values.find((value) => value.labels.agent === agent && value.labels.limit === limit)?.value ?? 0;
  }

  /** An HTTP/2 connection with `credentials`: its server SETTINGS if it was admitted, 'closed' if not. */
  function h2Connection(credentials: {
    certPem: string;
    keyPem: string;
    caPem: string;
  }): Promise<{ session: http2.ClientHttp2Session; settings: http2.Settings | 'closed' }> {
    const session = http2.connect(`https://${controller.agentUrl}`, {
      ca: credentials.caPem,
      cert: credentials.certPem,
      key: credentials.keyPem,
      servername: 'localhost',
    });
    session.on('error', () => undefined);
    return new Promise((resolve) => {
      session.once('remoteSettings', (settings) => resolve({ session, settings }));
      session.once('close', () => resolve({ session, settings: 'closed' }));
    });
  }

  it('connections of one agent beyond connectionsPerAgent are closed; its HTTP/2 settings are bounded', async () => {
    const credentials = await controller.issueAgentCredentials('many-connections');
    const connections = await Promise.all(Array.from({ length: 10 }, () => h2Connection(credentials)));
    try {
      const admitted = connections.filter((connection) => connection.settings !== 'closed');
      expect(admitted).toHaveLength(limits.connectionsPerAgent);
      expect(await refusals('many-connections', 'connectionsPerAgent')).toBe(10 - limits.connectionsPerAgent);
      const settings = admitted[0]?.settings as http2.Settings;
      expect(settings.maxConcurrentStreams).toBe(limits.streamsPerConnection);
      expect(settings.maxHeaderListSize).toBe(16 * 1024);
      // Another agent is not affected, and a closed connection makes room again.
      expect((await h2Connection(await controller.issueAgentCredentials('other'))).settings).not.toBe('closed');
      admitted[0]?.session.destroy();
      await eventually(
        async () => {
          const next = await h2Connection(credentials);
          connections.push(next);
          return next.settings === 'closed' ? undefined : true;
        },
        10_000,
        'a connection admitted once another one closed',
      );
      await controllerStillServes();
    } finally {
      for (const connection of connections) connection.session.destroy();
    }
  });

  it('a service certificate (same CA) gets no HTTP/2 session on the agent endpoint', async () => {
    const service = await controller.issueServiceCredentials('good', 'jenkins', 'ci');
    const connection = await h2Connection(service);
    connection.session.destroy();
    expect(connection.settings).toBe('closed');
  });

  it('a third session of one agent name is refused with RESOURCE_EXHAUSTED naming sessionsPerAgent', async () => {
    const credentials = await controller.issueAgentCredentials('replicated');
    const connect = () =>
      connectHostileAgent({
        agentUrl: controller.agentUrl,
        credentials,
        services: [{ type: 'jenkins', name: 'ci' }],
        answer: () => undefined,
      });
    const first = await connect();
    hostiles.push(first, await connect());
    await expect(connect()).rejects.toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: expect.stringMatching(/agent replicated has 2 sessions .*agentLimits\.sessionsPerAgent/),
    });
    expect(await refusals('replicated', 'sessionsPerAgent')).toBe(1);
    first.close();
    await eventually(
      async () =>
        connect().then(
          (agent) => (hostiles.push(agent), true),
          () => undefined,
        ),
      10_000,
      'a session once one ended',
    );
    await controllerStillServes();
  });

  it('a stream the agent leaves open after the controller ended it is reset', async () => {
    const credentials = await controller.issueAgentCredentials('half-open');
    const hello = rawControlStream({ agentUrl: controller.agentUrl, credentials });
    const { session } = await h2Connection(credentials);
    try {
      hello.send({
        hello: {
          protocolVersion: PROTOCOL_VERSION,
          agentVersion: 'hostile',
          capabilities: [],
          endpoints: [{ type: 'jenkins', name: 'ci', annotations: {} }],
          hostname: 'hostile',
          poolSize: 0,
          annotations: {},
        },
      });
      hello.stream.resume();
      const sessionId = await eventually(
        async () => hello.received().find((message) => message.welcome)?.welcome?.sessionId,
        10_000,
        'a welcome',
      );
      const definition = loadTunnelDefinition();
      type WireFrame = Parameters<typeof definition.Exchange.requestSerialize>[0];
      const frame = (message: WireFrame): Buffer => grpcFrame(definition.Exchange.requestSerialize(message));
      /** An Exchange stream that sends `first` (and answers a request with an error), never ending its side. */
      const leftOpen = (first: WireFrame) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': '/isd.tunnel.v1.Tunnel/Exchange',
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        stream.on('error', () => undefined);
        stream.write(frame(first));
        stream.on('data', () => stream.write(frame({ end: { error: 'no', trailers: [] } })));
        return new Promise<{ status: unknown; rstCode: number | undefined }>((resolve) => {
          let status: unknown;
          stream.on('response', (headers) => (status ??= headers['grpc-status']));
          stream.on('trailers', (trailers) => (status ??= trailers['grpc-status']));
          stream.on('close', () => resolve({ status, rstCode: stream.rstCode }));
        });
      };
      // Refused at once (an unknown session): the controller's answer ends the stream on its side.
      const refused = await within(
        leftOpen({ attach: { sessionId: 'no-such-session' } }),
        15_000,
        'reset of the stream',
      );
      expect(refused).toEqual({ status: String(grpc.status.NOT_FOUND), rstCode: http2.constants.NGHTTP2_NO_ERROR });
      // Attached and given a request, which it fails: the controller ends the stream after the exchange.
      const served = leftOpen({ attach: { sessionId } });
      const token = await controller.issueServiceToken('half-open', 'jenkins', 'ci');
      const answer = await call(controller.serviceUrl, '/x', {
        caPem: controller.ca.certPem,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(answer.status).toBe(502);
      expect(await within(served, 15_000, 'reset of the stream')).toEqual({
        status: String(grpc.status.OK),
        rstCode: http2.constants.NGHTTP2_NO_ERROR,
      });
    } finally {
      hello.close();
      session.destroy();
    }
  });

  it('streams that never attach are capped per agent and over all agents, and released when they end', async () => {
    const connect = async (name: string) => {
      const agent = await connectHostileAgent({
        agentUrl: controller.agentUrl,
        credentials: await controller.issueAgentCredentials(name),
        services: [{ type: 'jenkins', name: 'ci' }],
        answer: () => undefined,
      });
      hostiles.push(agent);
      return agent;
    };
    /** Streams that say nothing (each could wait for the attach timeout). */
    const silent = (agent: HostileAgent, count: number) =>
      Array.from({ length: count }, () => {
        const stream = agent.client.Exchange();
        stream.on('error', () => undefined);
        return stream;
      });
    /** A stream that attaches to no session: refused over a limit, else NOT_FOUND once its attach is read. */
    const probe = (agent: HostileAgent) =>
      new Promise<grpc.StatusObject>((resolve) => {
        const stream = agent.client.Exchange();
        stream.on('error', () => undefined);
        stream.on('status', resolve);
        stream.write({ attach: { sessionId: 'no-such-session' } });
      });

    // Control streams that have not said hello count the same.
    const c = await connect('pending-c');
    const controls = Array.from({ length: limits.pendingStreamsPerAgent }, () => {
      const stream = c.client.Control();
      stream.on('error', () => undefined);
      return stream;
    });
    expect((await probe(c)).details).toMatch(/agent pending-c has 40 streams .*pendingStreamsPerAgent/);
    for (const stream of controls) stream.cancel();
    await eventually(
      async () => ((await probe(c)).code === grpc.status.NOT_FOUND ? true : undefined),
      10_000,
      'a stream admitted once pending-c’s control streams ended',
    );

    const a = await connect('pending-a');
    const heldByA = silent(a, limits.pendingStreamsPerAgent);
    const refused = await probe(a);
    expect(refused.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.details).toMatch(
      /agent pending-a has 40 streams that have not attached yet .*pendingStreamsPerAgent/,
    );
    expect(await refusals('pending-a', 'pendingStreamsPerAgent')).toBe(1);
    // Another agent is not affected by pending-a's limit.
    await controllerStillServes();

    const b = await connect('pending-b');
    expect((await probe(b)).code).toBe(grpc.status.NOT_FOUND);
    silent(b, limits.pendingStreams - limits.pendingStreamsPerAgent);
    const overAll = await probe(b);
    expect(overAll.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(overAll.details).toMatch(
      /the controller has 60 streams that have not attached yet .*agentLimits\.pendingStreams\)/,
    );

    for (const stream of heldByA) stream.cancel();
    await eventually(
      async () => ((await probe(b)).code === grpc.status.NOT_FOUND ? true : undefined),
      10_000,
      'a stream admitted once pending-a’s streams ended',
    );
    await controllerStillServes();
  });
});

describe('the controller’s listeners against clients that hold connections', () => {
  let controller: RunningController;

  beforeAll(async () => {
    controller = await startLocalController();
  });

  afterAll(async () => {
    await controller?.stop();
  });

  /** Resolves when `socket` closes; rejects (and closes it) if it is still open after `ms`. */
  function closes(socket: net.Socket, ms: number): Promise<void> {
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    return within(closed, ms, 'close of the connection').finally(() => socket.destroy());
  }

  it('a caller refused for its credentials does not keep its connection', async () => {
    const socket = serviceSocket(controller);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('secureConnect', () => socket.write('GET /anything HTTP/1.1\r\nHost: c\r\n\r\n'));
    // Keep-alive would hold it for 60 s, and one request a minute for good.
    await closes(socket, 10_000);
    const answer = Buffer.concat(chunks).toString('latin1');
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
  });

  it('a caller that trickles its request head (slowloris) is cut off', async () => {
    const socket = serviceSocket(controller);
    const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 500);
    socket.on('secureConnect', () => socket.write('GET /anything HTTP/1.1\r\nHost: c\r\n'));
    try {
      // Node's default would hold it for 60 to 90 s.
      await closes(socket, 40_000);
    } finally {
      clearInterval(trickle);
    }
  });

  it('connections that never complete a TLS handshake are closed on every listener', async () => {
    const ports = [controller.agentUrl, controller.serviceUrl, controller.controlUrl].map((address) =>
      Number(/:(\d+)\/?$/.exec(address)?.[1]),
    );
    // Node's default would hold each for 120 s.
    await Promise.all(ports.map((port) => closes(net.connect(port, '127.0.0.1'), 18_000)));
  });
});

describe('connections not yet authenticated on the controller’s TLS listeners', () => {
  let controller: RunningController;
  let target: HoldingTarget;
  let agent: RunningAgent | undefined;
  const flood: net.Socket[] = [];

  beforeAll(async () => {
    target = await startHoldingTarget();
    controller = await startLocalController({ unauthenticatedConnections: { total: 12, perAddress: 4 } });
  });

  afterAll(async () => {
    for (const socket of flood) socket.destroy();
    await agent?.stop();
    await controller?.stop();
    await target?.close();
  });

  const portOf = (address: string) => Number(/:(\d+)\/?$/.exec(address)?.[1]);

  /**
   * Opens `count` TCP connections to `port` from `localAddress` (Linux routes all of 127/8 to loopback), one
   * after the other so the controller accepts them in that order; none ever starts its TLS handshake.
   */
  async function holdSilent(port: number, localAddress: string, count: number): Promise<Array<{ closed: boolean }>> {
    const states: Array<{ closed: boolean }> = [];
    for (let index = 0; index < count; index += 1) {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress });
      const state = { closed: false };
      socket.on('error', () => undefined);
      socket.once('close', () => (state.closed = true));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      flood.push(socket);
      states.push(state);
    }
    return states;
  }

  async function evictions(listener: string, limit: string): Promise<number> {
    const values = (await controller.metrics.unauthenticatedEvictions.get()).values;
    return values.find((value) => value.labels.listener === listener && value.labels.limit === limit)?.value ?? 0;
  }

  it('one source holds at most perAddress connections in handshake: its oldest are closed', async () => {
    const held = await holdSilent(portOf(controller.agentUrl), '127.0.0.2', 10);
    // The handshake timeout (10 s) would close all ten; the bound closes the six oldest when the newer arrive.
    await eventually(
      async () => ((await evictions('agent', 'perAddress')) === 6 ? true : undefined),
      8_000,
      'six evictions',
    );
    await eventually(async () => (held.slice(0, 6).every((state) => state.closed) ? true : undefined), 8_000);
    expect(held.slice(6).map((state) => state.closed)).toEqual([false, false, false, false]);
    for (const socket of flood.splice(0)) socket.destroy();
  });

  it('on the service port, connections that finished their handshake count until they send a request head, with no per-source bound', async () => {
    const port = portOf(controller.serviceUrl);
    const before = await evictions('service', 'total');
    const states: Array<{ closed: boolean }> = [];
    // 14 from one source: above perAddress (4), which holds on the agent port only, and above total (12).
    for (let index = 0; index < 14; index += 1) {
      const socket = tls.connect({
        socket: net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.9' }),
        ca: controller.ca.certPem,
        servername: 'localhost',
      });
      const state = { closed: false };
      socket.on('error', () => undefined);
      socket.once('close', () => (state.closed = true));
      await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
      flood.push(socket);
      states.push(state);
    }
    // Silent after the handshake: the 15 s head timeout would close all of them; the total bound closes the two oldest.
    await eventually(
      async () => ((await evictions('service', 'total')) === before + 2 ? true : undefined),
      8_000,
      'two evictions',
    );
    await eventually(async () => (states.slice(0, 2).every((state) => state.closed) ? true : undefined), 8_000);
    expect(states.slice(2).every((state) => !state.closed)).toBe(true);
    expect(await evictions('service', 'perAddress')).toBe(0);
    for (const socket of flood.splice(0)) socket.destroy();
  });

  it('a flood from many sources cannot keep a real agent or caller out', async () => {
    const sources = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8'];
    const before = { agent: await evictions('agent', 'total'), service: await evictions('service', 'total') };
    for (const source of sources) {
      await holdSilent(portOf(controller.agentUrl), source, 4);
      await holdSilent(portOf(controller.serviceUrl), source, 4);
    }
    // 24 per listener, 12 held: the listener holds its bound, whatever the sources.
    for (const listener of ['agent', 'service'] as const)
      await eventually(
        async () => ((await evictions(listener, 'total')) === before[listener] + 12 ? true : undefined),
        8_000,
      );
    // The flood fills both bounds; a real client still gets in, closing the oldest of the flood.
    agent = await startAgent({
      controllers: [controller.agentUrl],
      serverName: 'localhost',
      credentials: await controller.issueAgentCredentials('real'),
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: null,
    });
    await agent.waitUntilConnected(10_000);
    const answer = await call(controller.serviceUrl, '/quick', {
      caPem: controller.ca.certPem,
      headers: { authorization: `Bearer ${await controller.issueServiceToken('real', 'jenkins', 'ci')}` },
    });
    expect(answer.status).toBe(200);
    expect(await evictions('service', 'total')).toBeGreaterThan(before.service + 12);
  });
});

describe('an agent at its limit of concurrent exchanges', () => {
  let controller: RunningController;
  let target: HoldingTarget;
  let agent: RunningAgent;
  let token: string;

  beforeAll(async () => {
    target = await startHoldingTarget();
    controller = await startLocalController();
    agent = await startAgent({
      controllers: [controller.agentUrl],
      serverName: 'localhost',
      credentials: await controller.issueAgentCredentials('busy'),
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: null,
      maxConcurrentExchanges: 2,
    });
    await agent.waitUntilConnected(10_000);
    token = await controller.issueServiceToken('busy', 'jenkins', 'ci');
  });

  afterAll(async () => {
    target?.release();
    await agent?.stop();
    await controller?.stop();
    await target?.close();
  });

  const send = (path: string) =>
    call(controller.serviceUrl, path, { caPem: controller.ca.certPem, headers: { authorization: `Bearer ${token}` } });

  it('answers more requests with a 503 naming the limit (nothing reaches the target), and serves again after', async () => {
    const holding = [send('/hold'), send('/hold')];
    await eventually(async () => (target.held === 2 ? true : undefined), 10_000, 'two requests held by the target');
    const refused = await send('/quick');
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body.toString()).detail).toMatch(
      /agent busy refused the request: agent is at its limit of 2 concurrent exchanges \(maxConcurrentExchanges\)/,
    );

    // An upgrade gets the same answer on its raw socket.
    const upgradeAnswer = await new Promise<string>((resolve) => {
      const socket = serviceSocket(controller);
      const chunks: Buffer[] = [];
      socket.on('secureConnect', () =>
        socket.write(
          `GET /ws HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
        ),
      );
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
    expect(upgradeAnswer).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(upgradeAnswer).toContain('at its limit of 2 concurrent exchanges');

    target.release();
    for (const answer of await Promise.all(holding)) expect(answer.status).toBe(200);
    expect((await send('/quick')).status).toBe(200);
    expect(target.mostHeld).toBe(2);
  });
});

describe('a malicious controller against the agent', () => {
  let target: HoldingTarget;
  let server: grpc.Server;
  let agent: RunningAgent;
  let control: grpc.ServerDuplexStream<AgentControl, ControllerControlOut> | undefined;
  /** Streams the agent opened at this controller, at most at once (counted until the first one ends). */
  const streams = { open: 0, most: 0 };
  const refusedEnds: string[] = [];
  const answers: number[] = [];
  /** While true every stream gets a request to /hold; afterwards streams are kept idle here. */
  let flood = true;
  const idle: grpc.ServerDuplexStream<AgentFrame, ControllerFrameOut>[] = [];
  const maxConcurrentExchanges = 20;
  const poolSize = 2;

  const requestHead = (path: string): ControllerFrameOut => ({
    requestHead: {
      exchangeId: `x-${streams.open}`,
      serviceType: 'jenkins',
      serviceName: 'ci',
      method: 'GET',
      target: path,
      headers: [],
      upgrade: false,
      hasBody: false,
      lane: false,
    },
  });

  beforeAll(async () => {
    target = await startHoldingTarget();
    const ca = await CertificateAuthority.generate();
    const serverCertificate = await ca.issue(
      { purpose: 'server', name: 'localhost' },
      { dnsNames: ['localhost', '127.0.0.1'] },
    );
    server = new grpc.Server();
    server.addService(loadTunnelDefinition(), {
      Control: (stream: grpc.ServerDuplexStream<AgentControl, ControllerControlOut>) => {
        stream.on('error', () => undefined);
        stream.on('data', (message: AgentControl) => {
          if (message.message !== 'hello') return;
          control = stream;
          stream.write({
            welcome: {
              sessionId: 's',
              protocolVersion: PROTOCOL_VERSION,
              capabilities: [],
              pingIntervalMs: 10_000,
              controllerId: 'malicious',
            },
          });
          // "Open 3,000 streams": each is then given a request to a target that does not answer.
          for (let index = 0; index < 3; index++) stream.write({ openStreams: { count: 1_000 } });
        });
      },
      Exchange: (exchange: grpc.ServerDuplexStream<AgentFrame, ControllerFrameOut>) => {
        exchange.on('error', () => undefined);
        streams.open += 1;
        streams.most = Math.max(streams.most, streams.open);
        exchange.once('data', () => {
          if (!flood) {
            idle.push(exchange);
            return;
          }
          exchange.write(requestHead('/hold'));
          exchange.on('data', (frame: AgentFrame) => {
            if (frame.frame === 'responseHead') answers.push(frame.responseHead?.status ?? 0);
            if (frame.frame !== 'end') return;
            if (frame.end?.result === 'unavailable') refusedEnds.push(frame.end.unavailable ?? '');
            exchange.end();
          });
        });
      },
    } as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createSsl(
          Buffer.from(ca.certPem),
          [{ cert_chain: Buffer.from(serverCertificate.certPem), private_key: Buffer.from(serverCertificate.keyPem) }],
          true,
        ),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    agent = await startAgent({
      controllers: [`127.0.0.1:${port}`],
      serverName: 'localhost',
      credentials: await ca.issue({ purpose: 'agent', agent: 'victim' }),
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: 0,
      healthHost: '127.0.0.1',
      poolSize,
      maxConcurrentExchanges,
      lanes: false,
    });
    await agent.waitUntilConnected(10_000);
  });

  afterAll(async () => {
    target?.release();
    await agent?.stop();
    server?.forceShutdown();
    await target?.close();
  });

  it('runs at most maxConcurrentExchanges requests, opens at most that many streams plus its pool, refuses the rest', async () => {
    await eventually(
      async () => (target.held === maxConcurrentExchanges && refusedEnds.length > 0 ? true : undefined),
      20_000,
      'the agent at its limit, refusing',
    );
    expect(streams.most).toBeLessThanOrEqual(maxConcurrentExchanges + poolSize);
    expect(target.mostHeld).toBe(maxConcurrentExchanges);
    expect(refusedEnds[0]).toBe(
      `agent is at its limit of ${maxConcurrentExchanges} concurrent exchanges (maxConcurrentExchanges)`,
    );
    const refused = (await agent.metrics.requests.get()).values.find((value) => value.labels.status === 'refused');
    expect(refused?.value).toBeGreaterThan(0);

    // The agent stays healthy, and once the held requests end it serves again.
    expect((await fetch(`${agent.healthUrl}/healthz`)).status).toBe(200);
    flood = false;
    target.release();
    await eventually(
      async () => (answers.length === maxConcurrentExchanges ? true : undefined),
      10_000,
      'the held requests answered',
    );
    const stream = await eventually(
      async () => {
        control?.write({ openStreams: { count: 1 } });
        await new Promise((resolve) => setTimeout(resolve, 50));
        return idle.shift();
      },
      10_000,
      'a new stream',
    );
    const status = new Promise<number>((resolve) =>
      stream.on('data', (frame: AgentFrame) => {
        if (frame.frame === 'responseHead') resolve(frame.responseHead?.status ?? 0);
      }),
    );
    stream.write(requestHead('/quick'));
    expect(await status).toBe(200);
  });
});
