// Two controller replicas sharing one real Postgres for their revocation list (docs/decisions/097):
// a revoke through one replica's control API is refused by the other, survives restarts of both, and
// stays enforced while the database is unreachable. The database is reached through a TCP relay the
// test can cut, which is how an outage looks to the controller (connections reset, new ones refused).
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import net from 'node:net';
import pg from 'pg';
import {
  CertificateAuthority,
  generateTokenKeys,
  normalizeSerial,
  openRevocationStore,
  type Credentials,
  type RunningController,
} from '@isd/controller';
import { startAgent, type RunningAgent } from '@isd/agent';
import { createLogger } from '@isd/kit';
import { createTestDatabase } from '@isd/test-support';
import { startTestTarget, type TestTarget, startLocalController } from './tunnel-support';

/**
 * A TCP relay to Postgres that can be cut (all connections reset, new ones refused), frozen (bytes
 * dropped both ways and new connections held, as in a network partition) and restored.
 */
interface Relay {
  url: string;
  cut(): Promise<void>;
  freeze(): void;
  /** Forwards new connections again; connections frozen before stay dead without any error. */
  thaw(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function startRelay(databaseUrl: string): Promise<Relay> {
  const upstream = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  const pairs = new Set<[net.Socket, net.Socket]>();
  let server: net.Server | undefined;
  let port = 0;
  let frozen = false;
  const listen = async (): Promise<void> => {
    frozen = false;
    const next = net.createServer((client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => undefined);
      if (frozen) return;
      const database = net.connect(Number(upstream.port || 5432), upstream.hostname);
      sockets.add(database);
      database.on('close', () => sockets.delete(database));
      database.on('error', () => undefined);
      const pair: [net.Socket, net.Socket] = [client, database];
      pairs.add(pair);
      client.on('close', () => pairs.delete(pair));
      client.pipe(database).pipe(client);
      client.on('close', () => database.destroy());
      database.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => next.listen(port, '127.0.0.1', resolve));
    port = (next.address() as net.AddressInfo).port;
    server = next;
  };
  const cut = async (): Promise<void> => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  await listen();
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const freeze = (): void => {
    frozen = true;
    for (const [client, database] of pairs) {
      client.unpipe(database);
      database.unpipe(client);
      // Read and drop: nothing flows, nothing is reset.
      client.on('data', () => undefined);
      database.on('data', () => undefined);
    }
  };
  const thaw = (): void => {
    frozen = false;
  };
  return { url: url.toString(), cut, freeze, thaw, restore: listen, close: cut };
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Reply {
  status: number;
  body: string;
  reusedSocket: boolean;
}

function request(
  url: string,
  options: {
    method?: string;
    caPem: string;
    credentials?: { certPem: string; keyPem: string };
    agent?: https.Agent;
    headers?: Record<string, string>;
    body?: unknown;
  },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = https.request(url, {
      method: options.method ?? 'GET',
      ca: options.caPem,
      cert: options.credentials?.certPem,
      key: options.credentials?.keyPem,
      agent: options.agent ?? false,
      headers: { ...options.headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('revocations shared by controller replicas through Postgres', () => {
  let ca: { certPem: string; keyPem: string };
  const tokenKeys = generateTokenKeys();
  let databaseUrl: string;
  let relay: Relay;
  let target: TestTarget;
  let replicas: RunningController[] = [];
  let agents: RunningAgent[] = [];

  const startReplica = (refreshIntervalMs: number): Promise<RunningController> =>
    startLocalController({
      ca,
      tokenKeys,
      database: { url: relay.url, refreshIntervalMs },
    });
  async function startReplicas(refreshIntervalMs: number): Promise<[RunningController, RunningController]> {
    await stopAll();
    const pair: [RunningController, RunningController] = [
      await startReplica(refreshIntervalMs),
      await startReplica(refreshIntervalMs),
    ];
    replicas = pair;
    return pair;
  }
  async function stopAll(): Promise<void> {
    await Promise.all(agents.map((agent) => agent.stop()));
    await Promise.all(replicas.map((replica) => replica.stop()));
    agents = [];
    replicas = [];
  }
  /** An agent connected to every replica (the chart's topology). */
  async function connectAgent(name: string, given?: Credentials) {
    const credentials = given ?? (await replicas[0]!.issueAgentCredentials(name));
    const agent = await startAgent({
      controllers: replicas.map((replica) => replica.agentUrl),
      serverName: 'localhost',
      credentials,
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: null,
    });
    agents.push(agent);
    return { agent, credentials };
  }
  const connectedTo = (replica: RunningController, name: string): boolean =>
    replica.agents().some((session) => session.agentName === name);
  async function revokeThrough(replica: RunningController, serial: string): Promise<Reply> {
    const { token } = await replica.issueControlCredentials('sapor');
    return request(`${replica.controlUrl.replace('localhost', '127.0.0.1')}/api/v1/revokeCertificate`, {
      method: 'POST',
      caPem: ca.certPem,
      headers: { authorization: `Bearer ${token}` },
      body: { serial },
    });
  }
  const serialOf = (certPem: string): string => normalizeSerial(new X509Certificate(certPem).serialNumber);

  /** The replica's isd_tunnel_revocations_synced_timestamp_seconds. */
  async function lastSynced(replica: RunningController): Promise<number> {
    const text = await (await fetch(`${replica.metricsUrl}/metrics`)).text();
    const match = /^isd_tunnel_revocations_synced_timestamp_seconds (\S+)$/m.exec(text);
    if (!match) throw new Error('no isd_tunnel_revocations_synced_timestamp_seconds in /metrics');
    return Number(match[1]);
  }

  beforeAll(async () => {
    ca = (await CertificateAuthority.generate()).exportPem();
    databaseUrl = await createTestDatabase('ctlrevoke');
    relay = await startRelay(databaseUrl);
    target = await startTestTarget();
  });
  afterAll(async () => {
    await stopAll();
    await relay.close();
    await target.close();
  });

  it('a revoke through replica A is refused by replica B at once: new request, kept-alive connection and agent session', async () => {
    // A re-read every minute: refusal well before that shows the notification, not the re-read, carried it.
    const [a, b] = await startReplicas(60_000);
    await connectAgent('cluster-a');
    const { credentials: agentCredentials } = await connectAgent('cluster-v');
    await waitFor(() => replicas.every((replica) => connectedTo(replica, 'cluster-v')), 10_000, 'agents connected');
    await waitFor(() => replicas.every((replica) => connectedTo(replica, 'cluster-a')), 10_000, 'agents connected');

    const caller = await a.issueServiceCredentials('cluster-a', 'jenkins', 'ci');
    const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const callB = (agent?: https.Agent) =>
      request(`${b.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: caller, agent });
    expect((await callB(keepAlive)).status).toBe(200);

    const revoked = await revokeThrough(a, serialOf(caller.certPem));
    expect(revoked.status).toBe(200);
    const acknowledgedAt = Date.now();
    let keptAlive: Reply | undefined;
    await waitFor(
      async () => {
        keptAlive = await callB(keepAlive);
        return keptAlive.status === 401;
      },
      30_000,
      'replica B refuses the revoked caller certificate',
    );
    const callerRefusedAfterMs = Date.now() - acknowledgedAt;
    expect(callerRefusedAfterMs).toBeLessThan(60_000);
    expect(keptAlive?.reusedSocket).toBe(true);
    expect(keptAlive?.body).toContain('revoked');
    expect((await callB()).status).toBe(401);
    keepAlive.destroy();

    // The agent's session on B ends without B ever being asked.
    expect(connectedTo(b, 'cluster-v')).toBe(true);
    expect((await revokeThrough(a, serialOf(agentCredentials.certPem))).status).toBe(200);
    const agentRevokedAt = Date.now();
    await waitFor(() => !connectedTo(b, 'cluster-v'), 30_000, 'replica B ends the revoked agent session');
    const agentCutAfterMs = Date.now() - agentRevokedAt;
    expect(connectedTo(a, 'cluster-v')).toBe(false);
    // The unrevoked agent is untouched on both.
    expect(replicas.every((replica) => connectedTo(replica, 'cluster-a'))).toBe(true);
    if (process.env.ISD_PRINT_TIMINGS)
      process.stdout.write(
        `revocation reached replica B: caller ${callerRefusedAfterMs} ms, agent ${agentCutAfterMs} ms\n`,
      );
  });

  it('both replicas restarted (nothing in memory, no dataDir) still refuse what was revoked', async () => {
    const [a, b] = await startReplicas(60_000);
    const { agent } = await connectAgent('cluster-a');
    await agent.waitUntilConnected(10_000);
    await waitFor(() => replicas.every((replica) => connectedTo(replica, 'cluster-a')), 10_000, 'agent connected');
    const caller = await a.issueServiceCredentials('cluster-a', 'jenkins', 'ci');
    expect((await revokeThrough(b, serialOf(caller.certPem))).status).toBe(200);

    // A second round of restarts, revoking through the other replica this time.
    const [a2] = await startReplicas(60_000);
    const revokedAgent = await a2.issueAgentCredentials('cluster-r');
    expect((await revokeThrough(a2, serialOf(revokedAgent.certPem))).status).toBe(200);
    const [a3, b3] = await startReplicas(60_000);
    await connectAgent('cluster-a');
    await waitFor(() => replicas.every((replica) => connectedTo(replica, 'cluster-a')), 10_000, 'agent reconnected');
    for (const replica of [a3, b3]) {
      const reply = await request(`${replica.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: caller });
      expect(reply.status).toBe(401);
      const fresh = await replica.issueServiceCredentials('cluster-a', 'jenkins', 'ci');
      expect((await request(`${replica.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: fresh })).status).toBe(
        200,
      );
    }
    // The revoked agent certificate is refused by both restarted replicas.
    const { agent: refused } = await connectAgent('cluster-r', revokedAgent);
    await expect(refused.waitUntilConnected(1_500)).rejects.toThrow();
    expect(replicas.some((replica) => connectedTo(replica, 'cluster-r'))).toBe(false);
  });

  it('keeps enforcing the known list while the database is down, refuses to acknowledge a revoke it cannot share, and catches up after', async () => {
    const refreshIntervalMs = 300;
    const [a, b] = await startReplicas(refreshIntervalMs);
    await connectAgent('cluster-a');
    await waitFor(() => replicas.every((replica) => connectedTo(replica, 'cluster-a')), 10_000, 'agent connected');
    const before = await a.issueServiceCredentials('cluster-a', 'jenkins', 'ci');
    expect((await revokeThrough(a, serialOf(before.certPem))).status).toBe(200);
    await waitFor(
      async () => (await request(`${b.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: before })).status === 401,
      30_000,
      'replica B refuses',
    );

    await relay.cut();
    // Several failed re-reads later, both replicas still refuse it and still serve the rest.
    await new Promise((resolve) => setTimeout(resolve, 3 * refreshIntervalMs));
    const syncedDuringOutage = await lastSynced(b);
    expect(syncedDuringOutage).toBeGreaterThan(0);
    const other = await a.issueServiceCredentials('cluster-a', 'jenkins', 'ci');
    for (const replica of [a, b]) {
      expect((await request(`${replica.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: before })).status).toBe(
        401,
      );
      expect((await request(`${replica.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: other })).status).toBe(
        200,
      );
    }
    // A revoke that cannot be shared: A refuses the certificate already, but answers 503 so the caller retries.
    const during = await revokeThrough(a, serialOf(other.certPem));
    expect(during.status).toBe(503);
    expect(during.body).toContain('retry');
    expect((await request(`${a.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: other })).status).toBe(401);
    expect((await request(`${b.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: other })).status).toBe(200);

    // A revocation written while B's listening connection was down (no notification reaches B) arrives
    // by the periodic re-read once the database is back.
    const missed = await a.issueServiceCredentials('cluster-a', 'jenkins', 'ci');
    const direct = new pg.Client({ connectionString: databaseUrl });
    await direct.connect();
    try {
      await direct.query('INSERT INTO controller.revoked_certificates (serial) VALUES ($1)', [
        serialOf(missed.certPem),
      ]);
    } finally {
      await direct.end();
    }
    // No successful read while the database was away.
    expect(await lastSynced(b)).toBe(syncedDuringOutage);
    await relay.restore();
    await waitFor(
      async () => (await request(`${b.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: missed })).status === 401,
      30_000,
      'replica B learns the revocation it missed',
    );
    expect(await lastSynced(b)).toBeGreaterThan(syncedDuringOutage);
    // The retried revoke is stored and reaches B.
    expect((await revokeThrough(a, serialOf(other.certPem))).status).toBe(200);
    await waitFor(
      async () => (await request(`${b.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: other })).status === 401,
      30_000,
      'replica B refuses the retried revoke',
    );
  });

  it('a database that stops answering (a partition, nothing reset) hangs neither a revoke nor the re-read loop', async () => {
    const [a, b] = await startReplicas(300);
    const caller = await a.issueServiceCredentials('cluster-a', 'jenkins', 'ci');
    relay.freeze();
    const during = await revokeThrough(a, serialOf(caller.certPem));
    expect(during.status).toBe(503);
    expect((await request(`${a.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: caller })).status).toBe(401);
    // The partition heals (connections reset, then accepted again): the retried revoke is stored and reaches B.
    await relay.cut();
    await relay.restore();
    expect((await revokeThrough(a, serialOf(caller.certPem))).status).toBe(200);
    await waitFor(
      async () => (await request(`${b.serviceUrl}/whoami`, { caPem: ca.certPem, credentials: caller })).status === 401,
      30_000,
      'replica B refuses the retried revoke',
    );
  }, 60_000);

  it('replaces a listening connection a partition left open but dead, so notifications flow again once it heals', async () => {
    await stopAll();
    // No periodic re-read during the test: only refresh() calls and notifications deliver serials.
    const store = await openRevocationStore({
      url: relay.url,
      refreshIntervalMs: 600_000,
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    const seen = new Set<string>();
    store.follow((serial) => seen.add(serial));
    const insert = async (serial: string): Promise<void> => {
      const direct = new pg.Client({ connectionString: databaseUrl });
      await direct.connect();
      try {
        await direct.query('INSERT INTO controller.revoked_certificates (serial) VALUES ($1)', [serial]);
      } finally {
        await direct.end();
      }
    };
    try {
      await store.refresh();
      await insert('AA01');
      await waitFor(() => seen.has('AA01'), 30_000, 'the notification arrives');
      relay.freeze();
      relay.thaw();
      await insert('AA02');
      // Each refresh probes the held connections; dead ones time out and are replaced.
      for (let attempt = 0; attempt < 4 && !seen.has('AA02'); attempt++) await store.refresh();
      expect(seen.has('AA02')).toBe(true);
      await insert('AA03');
      await waitFor(() => seen.has('AA03'), 30_000, 'a notification arrives on the replaced listening connection');
    } finally {
      await store.close();
    }
  }, 90_000);

  it('does not start without the shared list: an unreachable database is an error naming database.url', async () => {
    await stopAll();
    await relay.cut();
    try {
      await expect(startReplica(10_000)).rejects.toThrow(/database\.url: .*not reachable/);
    } finally {
      await relay.restore();
    }
  });
});
