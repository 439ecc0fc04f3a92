// A malicious agent against the controller. It holds a valid agent certificate ("evil") and answers the
// requests the controller forwards to it with frames of its choosing. The controller must answer its caller
// with a 502 naming the agent (or cut the caller's connection once a head is out), never write the agent's
// bytes as HTTP framing of its own, never let them spill into the caller's next response, keep serving the
// other agent ("good", a real agent in front of a real target), and never die.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import tls from 'node:tls';
import forge from 'node-forge';
import type { RunningController } from '@isd/controller';
import { startAgent, type RunningAgent } from '@isd/agent';
import { PROTOCOL_VERSION, type AgentFrameOut } from '@isd/tunnel-proto';
import { eventually } from '@isd/test-support';
import { startTestTarget, call, type TestTarget, startLocalController } from '../e2e/tunnel-support';
import {
  connectHostileAgent,
  rawControlStream,
  type HostileAgent,
  type Answer,
  type ExchangeStream,
} from './hostile-agent';

jest.setTimeout(60_000);

let controller: RunningController;
let target: TestTarget;
let goodAgent: RunningAgent;
let evil: HostileAgent;
let evilAnswer: Answer = () => undefined;
let evilToken: string;
let goodToken: string;

beforeAll(async () => {
  target = await startTestTarget();
  controller = await startLocalController();
  goodAgent = await startAgent({
    controllers: [controller.agentUrl],
    serverName: 'localhost',
    credentials: await controller.issueAgentCredentials('good'),
    services: [{ name: 'ci', type: 'jenkins', url: target.url }],
    healthPort: null,
  });
  await goodAgent.waitUntilConnected(10_000);
  evil = await connectHostileAgent({
    agentUrl: controller.agentUrl,
    credentials: await controller.issueAgentCredentials('evil'),
    services: [{ type: 'jenkins', name: 'ci' }],
    answer: (stream, head) => evilAnswer(stream, head),
  });
  evil.openStreams(2);
  evilToken = await controller.issueServiceToken('evil', 'jenkins', 'ci');
  goodToken = await controller.issueServiceToken('good', 'jenkins', 'ci');
});

afterAll(async () => {
  evil?.close();
  await goodAgent?.stop();
  await controller?.stop();
  await target?.close();
});

const ok = { ok: {}, trailers: [] };

function answerWith(...frames: AgentFrameOut[]): Answer {
  return (stream: ExchangeStream) => {
    for (const frame of frames) stream.write(frame);
  };
}

const send = (path: string, token = evilToken) =>
  call(controller.serviceUrl, path, { caPem: controller.ca.certPem, headers: { authorization: `Bearer ${token}` } });

/** The controller still forwards to the honest agent and its metrics port still answers. */
async function controllerStillServes(): Promise<void> {
  const good = await send('/job/build', goodToken);
  expect(good.status).toBe(201);
  const health = await fetch(`${controller.metricsUrl}/healthz`);
  expect(health.status).toBe(200);
}

/**
 * Sends `first` and then `second` on one kept-alive TLS connection (pipelined, as a pooling client may
 * reuse it) and returns every byte the controller wrote until it closed the connection.
 */
function twoRequestsOnOneConnection(first: string, second: string): Promise<string> {
  const url = new URL(controller.serviceUrl);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port),
      ca: controller.ca.certPem,
      servername: 'localhost',
    });
    const chunks: Buffer[] = [];
    socket.on('secureConnect', () => {
      socket.write(`GET ${first} HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer ${evilToken}\r\n\r\n`);
      socket.write(
        `GET ${second} HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer ${goodToken}\r\nConnection: close\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.setTimeout(30_000, () => reject(new Error('the controller neither answered nor closed')));
  });
}

const SMUGGLED =
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n{"approved": "by evil"}';

describe('a malicious agent’s response head', () => {
  const heads: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'a CR/LF in a header value',
      { headers: [{ name: 'X-A', value: 'a\r\nSet-Cookie: session=evil' }] },
      /header X-A has a control character/,
    ],
    [
      'a header name that is not a token',
      { headers: [{ name: 'Set-Cookie: session=evil\r\nX', value: 'a' }] },
      /is not a token/,
    ],
    [
      'a CR/LF in the status message',
      { statusMessage: 'OK\r\nSet-Cookie: session=evil' },
      /status message has a control character/,
    ],
    ['status 1000', { status: 1000 }, /status 1000 is not a final status/],
    ['status 0', { status: 0 }, /status 0 is not a final status/],
    ['status 101 on a plain request', { status: 101 }, /status 101 is not a final status/],
    [
      'two different Content-Lengths',
      {
        headers: [
          { name: 'Content-Length', value: '2' },
          { name: 'Content-Length', value: '40' },
        ],
      },
      /several different Content-Lengths/,
    ],
    [
      'a Content-Length that is not a number',
      { headers: [{ name: 'Content-Length', value: '2, 40' }] },
      /is not a length/,
    ],
    // Was passed on whole: the caller was written a head of 2.4 MB (an 8 MiB frame allows more).
    [
      '300,000 headers',
      { headers: Array.from({ length: 300_000 }, (_, index) => ({ name: `x-${index}`, value: 'v' })) },
      /headers take \d+ bytes; at most 65536/,
    ],
  ];
  it.each(heads)(
    'with %s is a 502 naming the agent and the problem; the controller lives on',
    async (_what, head, reason) => {
      evilAnswer = answerWith({
        responseHead: { status: 200, statusMessage: '', headers: [], body: Buffer.from('hi'), end: ok, ...head },
      });
      const result = await send('/anything');
      expect(result.status).toBe(502);
      expect(result.headers['set-cookie']).toBeUndefined();
      const problem = JSON.parse(result.body.toString()) as { detail: string };
      expect(problem.detail).toContain('agent evil sent an invalid response head');
      expect(problem.detail).toMatch(reason);
      await controllerStillServes();
    },
  );

  it('cannot set hop-by-hop fields (Transfer-Encoding, Connection) on the controller’s answer', async () => {
    evilAnswer = answerWith({
      responseHead: {
        status: 200,
        statusMessage: '',
        headers: [
          { name: 'Content-Length', value: '2' },
          { name: 'Transfer-Encoding', value: 'chunked' },
          { name: 'Connection', value: 'close, X-Gone' },
          { name: 'X-Gone', value: '1' },
          { name: 'X-Kept', value: '1' },
        ],
        body: Buffer.from('hi'),
        end: ok,
      },
    });
    const result = await send('/anything');
    expect(result.status).toBe(200);
    expect(result.body.toString()).toBe('hi');
    expect(result.headers['transfer-encoding']).toBeUndefined();
    expect(result.headers['x-gone']).toBeUndefined();
    expect(result.headers['x-kept']).toBe('1');
    expect(result.headers['content-length']).toBe('2');
  });

  it('an informational frame with a final status (200) is never written ahead of the answer', async () => {
    evilAnswer = answerWith(
      { informational: { status: 200, headers: [{ name: 'Content-Length', value: '22' }] } },
      { body: { data: Buffer.from('{"approved": "by evil"}') } },
      { responseHead: { status: 200, statusMessage: '', headers: [], body: Buffer.from('real'), end: ok } },
    );
    const result = await send('/anything');
    expect(result.status).toBe(502);
    expect(result.body.toString()).toContain('agent evil sent an invalid informational response');
    await controllerStillServes();
  });

  it('an invalid trailer cuts the answer off instead of ending the controller', async () => {
    evilAnswer = answerWith(
      { responseHead: { status: 200, statusMessage: '', headers: [{ name: 'Trailer', value: 'x-t' }] } },
      { body: { data: Buffer.from('partial') } },
      { end: { ok: {}, trailers: [{ name: 'x-t', value: 'a\r\nb' }] } },
    );
    await expect(send('/anything')).rejects.toThrow();
    await controllerStillServes();
  });

  it('a second head is ignored', async () => {
    evilAnswer = answerWith(
      { responseHead: { status: 200, statusMessage: '', headers: [{ name: 'Content-Length', value: '2' }] } },
      { responseHead: { status: 500, statusMessage: '', headers: [] } },
      { body: { data: Buffer.from('hi') } },
      { end: ok },
    );
    const result = await send('/anything');
    expect(result.status).toBe(200);
    expect(result.body.toString()).toBe('hi');
  });
});

describe('a malicious agent’s oversized frames', () => {
  it('a body frame over the 8 MiB message limit fails that exchange only', async () => {
    evilAnswer = answerWith(
      { responseHead: { status: 200, statusMessage: '', headers: [] } },
      { body: { data: Buffer.alloc(9 * 1024 * 1024, 97) } },
      { end: ok },
    );
    await expect(send('/anything')).rejects.toThrow();
    await controllerStillServes();
  });
});

describe('a malicious agent’s body that disagrees with its Content-Length', () => {
  it('cannot answer the next request on the caller’s connection (to another agent) with bytes past its length', async () => {
    evilAnswer = answerWith(
      { responseHead: { status: 200, statusMessage: '', headers: [{ name: 'Content-Length', value: '5' }] } },
      { body: { data: Buffer.from('hello') } },
      { body: { data: Buffer.from(SMUGGLED) } },
      { end: ok },
    );
    const bytes = await twoRequestsOnOneConnection('/anything', '/job/build');
    expect(bytes).not.toContain('by evil');
    await controllerStillServes();
  });

  it('cannot end early and have the next response read as the rest of its body', async () => {
    evilAnswer = answerWith(
      { responseHead: { status: 200, statusMessage: '', headers: [{ name: 'Content-Length', value: '100' }] } },
      { body: { data: Buffer.from('short') } },
      { end: ok },
    );
    const bytes = await twoRequestsOnOneConnection('/anything', '/job/build');
    // The good agent's 201 must not become bytes 6–100 of evil's answer: the connection ends first.
    expect(bytes).not.toContain('201 Created');
    await controllerStillServes();
  });
});

describe('a malicious agent and upgrades', () => {
  function upgrade(): Promise<string> {
    const url = new URL(controller.serviceUrl);
    return new Promise((resolve) => {
      const socket = tls.connect({
        host: url.hostname,
        port: Number(url.port),
        ca: controller.ca.certPem,
        servername: 'localhost',
      });
      const chunks: Buffer[] = [];
      socket.on('secureConnect', () =>
        socket.write(
          `GET /ws HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer ${evilToken}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
        ),
      );
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (Buffer.concat(chunks).includes('\r\n\r\n')) socket.destroy();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
  }

  it('a CR/LF in the 101’s status message or a header name never reaches the raw head', async () => {
    for (const head of [
      { statusMessage: 'Switching Protocols\r\nSet-Cookie: session=evil', headers: [] },
      { statusMessage: '', headers: [{ name: 'Set-Cookie: session=evil\r\nX', value: '1' }] },
    ]) {
      evilAnswer = answerWith({ responseHead: { status: 101, body: Buffer.alloc(0), ...head } });
      const answer = await upgrade();
      expect(answer).not.toMatch(/\r\nSet-Cookie: session=evil/);
      expect(answer).toMatch(/^HTTP\/1\.1 502 /);
    }
    await controllerStillServes();
  });

  it('no body bytes are written before the head', async () => {
    evilAnswer = answerWith(
      { body: { data: Buffer.from(`${SMUGGLED}\r\n\r\n`) } },
      { end: { error: 'gone', trailers: [] } },
    );
    expect(await upgrade()).not.toContain('by evil');
    await controllerStillServes();
  });
});

describe('a malicious agent’s streams', () => {
  it('opening thousands of idle Exchange streams leaves the controller holding a bounded pool', async () => {
    const before = controller.agents().find((session) => session.agentName === 'evil')?.idleStreams ?? 0;
    evil.openStreams(2_000);
    await eventually(
      async () => {
        // Streams arriving faster than they attach may be refused before attaching (agentLimits) instead.
        const refused = (await controller.metrics.refusedStreams.get()).values
          .filter(
            (value) => value.labels.reason === 'idle-pool-full' || value.labels.reason === 'pendingStreamsPerAgent',
          )
          .reduce((sum, value) => sum + value.value, 0);
        return refused >= 2_000 + before - 64 ? true : undefined;
      },
      30_000,
      'the streams beyond the pool to be refused',
    );
    expect(controller.agents().find((session) => session.agentName === 'evil')?.idleStreams).toBeLessThanOrEqual(64);
    await controllerStillServes();
  });
});

describe('a malicious agent’s renewals', () => {
  /** A CSR whose key has an 8192-bit modulus and exponent, with a signature as long as the modulus. */
  function costlyCsr(): string {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signer = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
    const csr = forge.pki.createCertificationRequest();
    const modulus = Buffer.concat([Buffer.from([0xff]), randomBytes(1023)]).toString('hex');
    csr.publicKey = forge.pki.setRsaPublicKey(
      new forge.jsbn.BigInteger(modulus, 16),
      new forge.jsbn.BigInteger('f'.repeat(2048), 16),
    );
    csr.sign(signer, forge.md.sha256.create());
    csr.signature = randomBytes(1024).toString('binary');
    return forge.pki.certificationRequestToPem(csr);
  }

  it('a CSR with an 8192-bit key is refused before its signature is checked; more renewals on the connection wait a minute', async () => {
    const renewer = await connectHostileAgent({
      agentUrl: controller.agentUrl,
      credentials: await controller.issueAgentCredentials('evil-renewer'),
      services: [{ type: 'jenkins', name: 'ci' }],
      answer: () => undefined,
    });
    try {
      // Each took seconds of the controller's one event loop, so a loop of them stalled every tunnel.
      for (let index = 0; index < 4; index++) renewer.control.write({ renewRequest: { csrPem: costlyCsr() } });
      await eventually(async () => (renewer.renewResponses.length === 4 ? true : undefined), 30_000, 'four answers');
      expect(renewer.renewResponses[0]?.error).toMatch(/CSR key must be RSA of 2048–4096 bits with exponent 65537/);
      for (const response of renewer.renewResponses.slice(1)) {
        expect(response.certPem).toBe('');
        expect(response.error).toMatch(/at most one renewal per 60 s on a connection/);
      }
      await controllerStillServes();
    } finally {
      renewer.close();
    }
  });
});

describe('a malicious agent that does not read its control stream', () => {
  it('pinging without reading the answers does not make the controller queue them', async () => {
    const pinger = rawControlStream({
      agentUrl: controller.agentUrl,
      credentials: await controller.issueAgentCredentials('evil-pinger'),
    });
    const roundTrips = async () =>
      (await controller.metrics.pingRoundTrip.get()).values.find((value) => value.metricName?.endsWith('_count'))
        ?.value ?? 0;
    try {
      pinger.send({
        hello: {
          protocolVersion: PROTOCOL_VERSION,
          agentVersion: 'hostile',
          capabilities: [],
          endpoints: [],
          hostname: 'hostile',
          poolSize: 0,
          annotations: {},
        },
      });
      const before = await roundTrips();
      const sent = 50_000;
      for (let nonce = 1; nonce <= sent; nonce++) pinger.send({ ping: { nonce, sentAtMs: 0 } });
      // A pong from the agent is measured once every ping before it has been read.
      pinger.send({ pong: { nonce: 0, pingSentAtMs: Date.now() } });
      await eventually(async () => ((await roundTrips()) > before ? true : undefined), 60_000, 'every ping read');
      pinger.stream.resume();
      let probe = 1_000_000;
      await eventually(
        async () => {
          // Once the queue has drained, a new ping is answered again.
          pinger.send({ ping: { nonce: ++probe, sentAtMs: 0 } });
          return pinger.received().some((message) => (message.pong?.nonce ?? 0) > 1_000_000) ? true : undefined;
        },
        30_000,
        'a pong after reading resumed',
      );
      const answered = pinger.received().filter((message) => message.pong && message.pong.nonce <= sent).length;
      expect(answered).toBeLessThan(sent / 5);
      await controllerStillServes();
    } finally {
      pinger.close();
    }
  });
});

describe('a malicious agent’s hello', () => {
  // Each session keeps its hello for as long as it lives, 32 sessions a certificate: 250,000 endpoints a hello
  // grew the heap by some 75 MB a session (was: welcomed).
  it('announcing more endpoints or text than an agent configures is refused naming the limit', async () => {
    const credentials = await controller.issueAgentCredentials('announcer');
    const many = Array.from({ length: 250_000 }, (_, index) => ({ type: 'jenkins', name: `s${index}` }));
    const long = [{ type: 'jenkins', name: 'x'.repeat(300 * 1024) }];
    for (const [services, problem] of [
      [many, /the hello announces 250000 endpoints; at most 1000/],
      [long, /the hello holds \d+ characters of names and annotations; at most 262144/],
    ] as const) {
      const refused = await connectHostileAgent({
        agentUrl: controller.agentUrl,
        credentials,
        services,
        answer: () => undefined,
      }).then(
        (agent) => {
          agent.close();
          return new Error('welcomed');
        },
        (error: Error) => error,
      );
      expect(refused.message).toMatch(problem);
    }
    // An agent with as many targets as the limit allows is welcomed.
    const within = await connectHostileAgent({
      agentUrl: controller.agentUrl,
      credentials,
      services: many.slice(0, 1_000),
      answer: () => undefined,
    });
    within.close();
    await controllerStillServes();
  });
});
