// A malicious agent: it holds a valid agent certificate from the controller's CA and speaks the tunnel
// protocol (tunnel-proto/proto/tunnel.proto) with the real grpc-js client, but answers the controller's
// requests with whatever frames a test hands it. Only the protocol's framing is honoured; every field
// (status, headers, bodies, stream counts) is the attacker's choice.
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import {
  CAPABILITIES,
  PROTOCOL_VERSION,
  loadTunnelClient,
  loadTunnelDefinition,
  type AgentControlOut,
  type AgentFrameOut,
  type ControllerControl,
  type ControllerFrame,
  type TunnelClient,
} from '@isd/tunnel-proto';

export type ExchangeStream = grpc.ClientDuplexStream<AgentFrameOut, ControllerFrame>;

/** What the hostile agent does with one request the controller sends it. */
export type Answer = (stream: ExchangeStream, head: NonNullable<ControllerFrame['requestHead']>) => void;

export interface HostileAgent {
  sessionId: string;
  client: TunnelClient;
  /** The control stream, to send any control message. */
  control: grpc.ClientDuplexStream<AgentControlOut, ControllerControl>;
  /** Renewal answers received, in order. */
  renewResponses: NonNullable<ControllerControl['renewResponse']>[];
  /** Opens `count` Exchange streams attached to the session, each answering with `answer`. */
  openStreams(count: number): ExchangeStream[];
  /** The answer given to requests on streams opened from now on (and on streams the controller asks for). */
  answer: Answer;
  close(): void;
}

export async function connectHostileAgent(options: {
  agentUrl: string;
  credentials: { certPem: string; keyPem: string; caPem: string };
  services: { type: string; name: string }[];
  answer: Answer;
  /** Open the streams the controller asks for (OpenStreams); default true. */
  honourOpenStreams?: boolean;
}): Promise<HostileAgent> {
  const Client = loadTunnelClient();
  const client = new Client(
    options.agentUrl.replace(/^[a-z]+:\/\//, ''),
    grpc.credentials.createSsl(
      Buffer.from(options.credentials.caPem),
      Buffer.from(options.credentials.keyPem),
      Buffer.from(options.credentials.certPem),
    ),
    { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' },
  );
  const control = client.Control();
  control.on('error', () => undefined);
  const streams: ExchangeStream[] = [];
  const agent: HostileAgent = {
    sessionId: '',
    client,
    control,
    renewResponses: [],
    answer: options.answer,
    openStreams(count) {
      const opened: ExchangeStream[] = [];
      for (let index = 0; index < count; index++) {
        const stream = client.Exchange();
        stream.on('error', () => undefined);
        const answer = agent.answer;
        stream.on('data', (frame: ControllerFrame) => {
          if (frame.frame === 'requestHead' && frame.requestHead) answer(stream, frame.requestHead);
        });
        stream.write({ attach: { sessionId: agent.sessionId } });
        streams.push(stream);
        opened.push(stream);
      }
      return opened;
    },
    close() {
      for (const stream of streams) stream.cancel();
      control.cancel();
      client.close();
    },
  };
  await new Promise<void>((resolve, reject) => {
    // A refused agent leaves no connection behind (it would count against the agent's connection limit).
    const refused = (error: Error): void => {
      clearTimeout(timer);
      client.close();
      reject(error);
    };
    const timer = setTimeout(() => refused(new Error('no welcome from the controller')), 10_000);
    control.once('error', refused);
    control.on('data', (message: ControllerControl) => {
      if (message.message === 'welcome' && message.welcome) {
        clearTimeout(timer);
        agent.sessionId = message.welcome.sessionId;
        resolve();
      } else if (message.message === 'ping' && message.ping) {
        control.write({ pong: { nonce: message.ping.nonce, pingSentAtMs: message.ping.sentAtMs } });
      } else if (message.message === 'renewResponse' && message.renewResponse) {
        agent.renewResponses.push(message.renewResponse);
      } else if (message.message === 'openStreams' && message.openStreams && options.honourOpenStreams !== false) {
        agent.openStreams(message.openStreams.count);
      }
    });
    control.write({
      hello: {
        protocolVersion: PROTOCOL_VERSION,
        agentVersion: 'hostile',
        capabilities: CAPABILITIES.filter((capability) => capability !== 'lane'),
        endpoints: options.services.map((service) => ({ ...service, annotations: {} })),
        hostname: 'hostile',
        poolSize: 0,
        annotations: {},
      },
    });
  });
  return agent;
}

/** A gRPC length-prefixed message: no compression flag, the length, the body. */
export function grpcFrame(body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

/**
 * The agent's Control stream over raw HTTP/2 (gRPC framing by hand), so that not reading is really not
 * reading: grpc-js reads everything into memory, while a paused Node HTTP/2 stream sends no WINDOW_UPDATE,
 * and the controller's answers then wait at the controller once HTTP/2's flow-control window is full.
 */
export function rawControlStream(options: {
  agentUrl: string;
  credentials: { certPem: string; keyPem: string; caPem: string };
}): {
  send(message: AgentControlOut): void;
  /** The messages read so far (nothing is read until `stream.resume()`). */
  received(): ControllerControl[];
  stream: http2.ClientHttp2Stream;
  close(): void;
} {
  const definition = loadTunnelDefinition();
  const session = http2.connect(`https://${options.agentUrl.replace(/^[a-z]+:\/\//, '')}`, {
    ca: options.credentials.caPem,
    cert: options.credentials.certPem,
    key: options.credentials.keyPem,
    servername: 'localhost',
  });
  session.on('error', () => undefined);
  const stream = session.request({
    ':method': 'POST',
    ':path': '/isd.tunnel.v1.Tunnel/Control',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.on('error', () => undefined);
  stream.pause();
  let buffered = Buffer.alloc(0);
  const messages: ControllerControl[] = [];
  stream.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt32BE(1)) {
      const length = buffered.readUInt32BE(1);
      messages.push(definition.Control.responseDeserialize(buffered.subarray(5, 5 + length)) as ControllerControl);
      buffered = buffered.subarray(5 + length);
    }
  });
  return {
    send(message) {
      stream.write(grpcFrame(definition.Control.requestSerialize(message)));
    },
    received: () => messages,
    stream,
    close() {
      stream.close();
      session.close();
    },
  };
}
