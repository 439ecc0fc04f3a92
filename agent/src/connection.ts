import { generateKeyPair, X509Certificate } from 'node:crypto';
import os from 'node:os';
import * as grpc from '@grpc/grpc-js';
import forge from 'node-forge';
import {
  CAPABILITIES as AGENT_CAPABILITIES,
  PROTOCOL_VERSION,
  loadTunnelClient,
  signNatively,
  type AgentControlOut as AgentControl,
  type AgentFrameOut as AgentFrame,
  type ControllerControl,
  type ControllerFrame,
  type TunnelClient,
} from '@isd/tunnel-proto';
import { serveExchange, type ExchangeLimit } from './exchange';
import { AgentLanes } from './lanes';
import type { Target } from './targets';
import type { AgentMetrics } from './metrics';

/** PEM credentials of the agent (certificate issued by the controller CA). */
export interface AgentCredentials {
  certPem: string;
  keyPem: string;
  caPem: string;
}

/** Shared state every controller connection of one agent reads. */
export interface ConnectionContext {
  agentVersion: string;
  poolSize: number;
  /** Concurrent exchanges over all connections; also bounds the streams one connection opens. */
  exchangeLimit: ExchangeLimit;
  /** Announce capability "lane". */
  lanes: boolean;
  serverName?: string;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Renew when less than this fraction of the certificate lifetime remains. */
  renewFraction: number;
  annotations: Record<string, string>;
  targets: Map<string, Target>;
  metrics: AgentMetrics;
  getCredentials(): AgentCredentials;
  setCredentials(credentials: AgentCredentials): void;
  log: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

const HELLO_TIMEOUT_MS = 5_000;

/**
 * One agent → controller replica connection. Reconnects forever with jittered exponential backoff;
 * a network error never ends the process.
 */
export class ControllerConnection {
  connected = false;
  sessionId = '';
  private client: TunnelClient | undefined;
  private control: grpc.ClientDuplexStream<AgentControl, ControllerControl> | undefined;
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private lastHeardAt = 0;
  private renewing = false;
  private readonly connectedListeners = new Set<() => void>();

  constructor(
    readonly address: string,
    private readonly context: ConnectionContext,
  ) {}

  start(): void {
    this.connect();
  }

  /** Resolves once connected (or immediately when already connected). */
  onceConnected(listener: () => void): () => void {
    this.connectedListeners.add(listener);
    return () => this.connectedListeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.teardown('agent stopping');
  }

  private connect(): void {
    if (this.stopped) return;
    const credentials = this.context.getCredentials();
    const channelCredentials = grpc.credentials.createSsl(
      Buffer.from(credentials.caPem),
      Buffer.from(credentials.keyPem),
      Buffer.from(credentials.certPem),
    );
    const options: grpc.ChannelOptions = {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_receive_message_length': 8 * 1024 * 1024,
      // HTTP/2's 64 KiB default window throttles one stream to a tenth of loopback bandwidth.
      'grpc-node.flow_control_window': 16 * 1024 * 1024,
      // We own the reconnect loop (a fresh channel per attempt), so grpc's own backoff stays short.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
      ...(this.context.serverName
        ? {
            'grpc.ssl_target_name_override': this.context.serverName,
            'grpc.default_authority': this.context.serverName,
          }
        : {}),
    };
    const Client = loadTunnelClient();
    const client = new Client(this.address, channelCredentials, options);
    this.client = client;
    const control = client.Control();
    this.control = control;
    let welcomed = false;
    this.helloTimer = setTimeout(() => this.lost('no welcome from controller'), HELLO_TIMEOUT_MS);
    control.on('data', (message: ControllerControl) => {
      this.lastHeardAt = Date.now();
      switch (message.message) {
        case 'welcome': {
          const welcome = message.welcome;
          if (!welcome || welcomed) return;
          welcomed = true;
          clearTimeout(this.helloTimer);
          this.sessionId = welcome.sessionId;
          this.idleStreams = 0;
          this.openStreams = { count: 0 };
          this.reuse = welcome.capabilities.includes('reuse');
          this.inline = welcome.capabilities.includes('inline');
          this.lanes?.close('new session');
          this.lanes = welcome.capabilities.includes('lane') ? this.startLanes(welcome.sessionId) : undefined;
          this.connected = true;
          this.attempt = 0;
          this.context.metrics.connected.set({ controller: this.address }, 1);
          this.context.metrics.connects.inc({ controller: this.address });
          this.context.log('info', 'connected to controller', {
            controller: this.address,
            sessionId: welcome.sessionId,
          });
          for (let index = 0; index < this.context.poolSize; index += 1) this.openExchange();
          this.startPings(Math.max(100, welcome.pingIntervalMs || 10_000));
          this.maybeRenew();
          for (const listener of this.connectedListeners) listener();
          return;
        }
        case 'ping':
          control.write({ pong: { nonce: message.ping?.nonce ?? 0, pingSentAtMs: message.ping?.sentAtMs ?? 0 } });
          return;
        case 'openStreams':
          for (let index = 0; index < (message.openStreams?.count ?? 0); index += 1) {
            if (!this.openExchange()) break;
          }
          return;
        case 'renewResponse': {
          this.renewing = false;
          const response = message.renewResponse;
          if (!response?.certPem) {
            this.context.log('warn', 'certificate renewal refused', { error: response?.error });
            return;
          }
          const pending = this.pendingKeyPem;
          this.pendingKeyPem = undefined;
          if (pending)
            this.context.setCredentials({
              certPem: response.certPem,
              keyPem: pending,
              caPem: response.caPem || this.context.getCredentials().caPem,
            });
          return;
        }
        case 'drain':
          // The replica is going away: reconnect now so new work lands on its replacement.
          this.lost('controller draining');
          return;
        default:
          return;
      }
    });
    control.on('error', (error: grpc.ServiceError) =>
      this.lost(`control stream failed: ${error.details || error.message}`),
    );
    control.on('end', () => this.lost('controller closed the control stream'));
    control.write({
      hello: {
        protocolVersion: PROTOCOL_VERSION,
        agentVersion: this.context.agentVersion,
        capabilities: this.context.lanes
          ? AGENT_CAPABILITIES
          : AGENT_CAPABILITIES.filter((capability) => capability !== 'lane'),
        endpoints: [...this.context.targets.values()].map((target) => ({
          type: target.type,
          name: target.name,
          annotations: target.annotations,
        })),
        hostname: os.hostname(),
        poolSize: this.context.poolSize,
        annotations: this.context.annotations,
      },
    });
  }

  private pendingKeyPem: string | undefined;
  /** Idle Exchange streams on the current connection. */
  private idleStreams = 0;
  /** Exchange streams open on the current connection, whatever their state (one object per session). */
  private openStreams = { count: 0 };
  /** Both sides announced stream reuse in hello/welcome. */
  private reuse = false;
  /** Both sides announced capability "inline" (a small response in one frame). */
  private inline = false;
  /** Both sides announced capability "lane": this session's lanes. */
  private lanes: AgentLanes | undefined;

  private startLanes(sessionId: string): AgentLanes {
    const lanes = new AgentLanes(
      sessionId,
      () => ({ address: this.address, serverName: this.context.serverName, ...this.context.getCredentials() }),
      (message, fields) => this.context.log('warn', message, { controller: this.address, ...fields }),
    );
    return lanes;
  }

  /**
   * Renewal over the tunnel: a fresh key stays here, only a CSR travels. The key is generated off the event
   * loop and the CSR signed natively: synchronously they held it for 200–400 ms, stalling every exchange.
   */
  private maybeRenew(): void {
    if (this.renewing || !this.control) return;
    const certificate = new X509Certificate(this.context.getCredentials().certPem);
    const notBefore = Date.parse(certificate.validFrom);
    const notAfter = Date.parse(certificate.validTo);
    const remaining = notAfter - Date.now();
    if (remaining > (notAfter - notBefore) * this.context.renewFraction) return;
    this.renewing = true;
    const control = this.control;
    generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      },
      (error, publicKeyPem, privateKeyPem) => {
        // The connection it was meant for is gone: the next one starts its own renewal at its first ping.
        if (this.control !== control) return;
        if (error) {
          this.renewing = false; // tried again at the next ping
          this.context.log('warn', 'renewal key generation failed', { error: error.message });
          return;
        }
        const csr = forge.pki.createCertificationRequest();
        csr.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
        csr.setSubject([{ shortName: 'CN', value: 'renewal' }]);
        signNatively(csr, privateKeyPem);
        this.pendingKeyPem = privateKeyPem;
        control.write({ renewRequest: { csrPem: forge.pki.certificationRequestToPem(csr) } });
      },
    );
  }

  private startPings(intervalMs: number): void {
    clearInterval(this.pingTimer);
    let nonce = 0;
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastHeardAt > 3 * intervalMs) {
        this.lost('controller silent');
        return;
      }
      nonce += 1;
      this.control?.write({ ping: { nonce, sentAtMs: Date.now() } });
      this.maybeRenew();
    }, intervalMs);
  }

  /**
   * Opens one idle Exchange stream; it waits for the controller's request head. False when none was opened:
   * a connection holds at most as many streams as the agent runs exchanges (plus its pool), however many a
   * controller asks for.
   */
  private openExchange(): boolean {
    const client = this.client;
    if (!client || !this.connected) return false;
    const open = this.openStreams;
    if (open.count >= this.context.exchangeLimit.max + this.context.poolSize) return false;
    open.count += 1;
    const stream = client.Exchange();
    this.context.metrics.streamsOpened.inc();
    stream.once('status', () => (open.count -= 1));
    stream.on('error', () => undefined);
    stream.write({ attach: { sessionId: this.sessionId } });
    this.awaitRequest(stream, client);
    return true;
  }

  /** Parks a stream until the controller claims it with a request head (again, when reused). */
  private awaitRequest(stream: grpc.ClientDuplexStream<AgentFrame, ControllerFrame>, client: TunnelClient): void {
    this.idleStreams += 1;
    const closedWhileIdle = (): void => {
      stream.off('data', onHead);
      this.idleStreams -= 1;
    };
    const onHead = (frame: ControllerFrame): void => {
      stream.off('data', onHead);
      stream.off('status', closedWhileIdle);
      this.idleStreams -= 1;
      if (frame.frame !== 'requestHead' || !frame.requestHead) {
        stream.cancel();
        return;
      }
      const head = frame.requestHead;
      const reuse = this.reuse
        ? () => (this.client === client ? this.awaitRequest(stream, client) : stream.end())
        : undefined;
      serveExchange(
        stream,
        head,
        this.context.targets.get(`${head.serviceType}/${head.serviceName}`),
        this.context.metrics,
        {
          onIdle: reuse,
          inline: this.inline,
          lanes: this.lanes,
          limit: this.context.exchangeLimit,
        },
      );
      // Top the pool up right after the request is on its way, keeping stream setup off its critical path.
      setImmediate(() => {
        if (this.client === client && this.idleStreams < this.context.poolSize) this.openExchange();
      });
    };
    stream.on('data', onHead);
    stream.once('status', closedWhileIdle);
  }

  private lost(reason: string): void {
    if (!this.client) return;
    const wasConnected = this.connected;
    this.teardown(reason);
    this.context.metrics.connectFailures.inc({ controller: this.address });
    this.context.log('warn', wasConnected ? 'controller connection lost' : 'controller connection failed', {
      controller: this.address,
      reason,
    });
    this.scheduleReconnect();
  }

  private teardown(reason: string): void {
    clearTimeout(this.helloTimer);
    clearInterval(this.pingTimer);
    if (this.connected) this.context.metrics.connected.set({ controller: this.address }, 0);
    this.connected = false;
    this.renewing = false;
    const control = this.control;
    const client = this.client;
    this.control = undefined;
    this.client = undefined;
    this.lanes?.close(reason);
    this.lanes = undefined;
    control?.removeAllListeners('data');
    control?.removeAllListeners('end');
    control?.on('error', () => undefined);
    control?.cancel();
    client?.close();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    // Full-jitter-ish: between half and all of the capped exponential delay.
    const ceiling = Math.min(this.context.maxBackoffMs, this.context.initialBackoffMs * 2 ** this.attempt);
    const delayMs = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt = Math.min(this.attempt + 1, 30);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }
}
