// Tunnel benchmark (npm run bench:tunnel). This process is the load generator; target, controller and
// agent run as separate processes on loopback. Every tunnel number is set against a direct
// (client → target) baseline measured in the same run, and set beside the TLS-relay floor and oes-birger
// (peers.ts). The last line printed is one JSON object; its `vsFloor`, `vsBirger` and `birgerVsFloor` are
// throughput ratios per direction.
//   --quick            shorter runs
//   --birger-dir DIR   oes-birger's controller and agent binaries (built outside the repository)
//   --peers-only       only the comparison with the floor and oes-birger
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import forge from 'node-forge';
import { CertificateAuthority, generateTokenKeys, type Credentials } from '@isd/controller';
import { spawnChild, writeBody } from './children';
import { comparePeers } from './peers';

const MB = 1024 * 1024;
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'birger-dir': { type: 'string' },
    'peers-only': { type: 'boolean', default: false },
  },
});
const quick = args.quick ?? false;
const CONNECTIONS = 16;

function progress(message: string): void {
  process.stderr.write(`[bench:tunnel] ${message}\n`);
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number;
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

interface Endpoint {
  base: string;
  agent: http.Agent;
  tls?: https.RequestOptions;
}

function request(
  endpoint: Endpoint,
  method: string,
  target: string,
  body?: { size: number },
): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const url = new URL(target, endpoint.base);
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, {
      method,
      agent: endpoint.agent,
      ...endpoint.tls,
      headers: body ? { 'content-length': body.size } : {},
    });
    req.on('response', (res) => {
      let bytes = 0;
      res.on('data', (data: Buffer) => (bytes += data.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!body) {
      req.end();
      return;
    }
    writeBody(req, body.size);
  });
}

/**
 * Credentials of `count` distinct agents (`fleet-0` …) sharing one key: the CA signs one CSR once per name (it
 * takes the identity from its argument, never from the CSR), so a fleet of 1,000 costs seconds, not a key each.
 */
function fleetCredentials(ca: CertificateAuthority, base: Credentials, count: number): Credentials[] {
  const key = forge.pki.privateKeyFromPem(base.keyPem) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.sign(key, forge.md.sha256.create());
  const csrPem = forge.pki.certificationRequestToPem(csr);
  return Array.from({ length: count }, (_, index) => ({
    ...base,
    certPem: ca.signCsr(csrPem, { purpose: 'agent', agent: `fleet-${index}` }),
  }));
}

async function timeTransfer(endpoint: Endpoint, direction: 'down' | 'up', size: number): Promise<number> {
  const started = performance.now();
  const result =
    direction === 'down'
      ? await request(endpoint, 'GET', `/bytes?n=${size}`)
      : await request(endpoint, 'POST', '/upload', { size });
  const elapsed = performance.now() - started;
  const received = direction === 'down' ? result.bytes : Number.NaN;
  if (result.status !== 200 || (direction === 'down' && received !== size))
    throw new Error(`${direction} ${size} failed: ${result.status} ${received}`);
  return elapsed;
}

async function medianTransfer(
  endpoint: Endpoint,
  direction: 'down' | 'up',
  size: number,
  runs: number,
): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) times.push(await timeTransfer(endpoint, direction, size));
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/** Open loop: requests start on schedule whether or not earlier ones finished; latency counts from the schedule. */
async function openLoop(endpoint: Endpoint, ratePerSecond: number, durationMs: number): Promise<number[]> {
  const total = Math.floor((ratePerSecond * durationMs) / 1000);
  const intervalMs = 1000 / ratePerSecond;
  const latencies: number[] = [];
  const started = performance.now();
  const pending: Array<Promise<void>> = [];
  for (let index = 0; index < total; index += 1) {
    const scheduledAt = started + index * intervalMs;
    const wait = scheduledAt - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      request(endpoint, 'GET', '/small').then((result) => {
        if (result.status === 200) latencies.push(performance.now() - scheduledAt);
      }),
    );
  }
  await Promise.all(pending);
  return latencies.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const ca = await CertificateAuthority.generate('bench CA');
  const caPem = ca.exportPem();
  const tokenKeys = generateTokenKeys();
  progress(
    `starting target, controller and agent processes (load average ${os
      .loadavg()
      .map((value) => value.toFixed(1))
      .join(' ')} on ${os.cpus().length} CPUs)`,
  );
  const target = await spawnChild<{ url: string }>('target.ts', {});
  const controllerConfig = {
    host: '127.0.0.1',
    agentPort: 0,
    servicePort: 0,
    controlPort: 0,
    metricsPort: 0,
    ca: caPem,
    tokenKeys,
    pingIntervalMs: 10_000,
  };
  let controller = await spawnChild<{ agentUrl: string; serviceUrl: string }>(
    'controller-process.ts',
    controllerConfig,
    ['--expose-gc'],
  );
  const agentCredentials = await ca.issue({ purpose: 'agent', agent: 'bench' });
  const agentConfig = {
    controllers: [controller.ready.agentUrl],
    serverName: 'localhost',
    credentials: agentCredentials,
    services: [{ name: 'target', type: 'generic', url: target.ready.url }],
    healthPort: null,
    poolSize: 4,
  };
  const agent = await spawnChild<{ type: string }>('agent-process.ts', { count: 1, config: agentConfig });
  await agent.ask({ type: 'wait-connected', timeoutMs: 10_000 }, 'connected');
  const caller = await ca.issue({ purpose: 'service', agent: 'bench', type: 'generic', name: 'target' });
  // A fixed pool of kept-alive connections, as Clouddriver and kubectl use: an unbounded pool would
  // turn any queueing into a storm of TLS handshakes and measure those instead of the tunnel.
  const direct: Endpoint = {
    base: target.ready.url,
    agent: new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS }),
  };
  const tunnelTls = { ca: caPem.certPem, cert: caller.certPem, key: caller.keyPem };
  const tunnel: Endpoint = {
    base: controller.ready.serviceUrl,
    agent: new https.Agent({ keepAlive: true, maxSockets: CONNECTIONS, ...tunnelTls }),
    tls: tunnelTls,
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, () => request(tunnel, 'GET', '/small')));
  await Promise.all(Array.from({ length: CONNECTIONS }, () => request(direct, 'GET', '/small')));

  // Beside the floor and the peer, in this run and topology.
  const peers = await comparePeers({
    ca,
    targetUrl: target.ready.url,
    ours: {
      base: controller.ready.serviceUrl,
      tls: tunnelTls,
      headers: {},
      pids: [controller.child.pid as number, agent.child.pid as number],
      stallReporters: [
        { role: 'controller', child: controller },
        { role: 'agent', child: agent },
      ],
    },
    birgerDir: args['birger-dir'],
    runs: quick ? 1 : 3,
    progress,
  });
  const peerSummary = {
    vsFloor: peers.vsFloor,
    vsBirger: peers.vsBirger,
    birgerVsFloor: peers.birgerVsFloor,
    cpuSecondsPerGB: peers.cpuSecondsPerGB,
    latencyAt100Ms: peers.latencyMs,
    earlyLatencyAt100Ms: peers.earlyLatencyMs,
    upAt3MB: peers.upAt3MB,
    birger: peers.birger,
  };
  if (args['peers-only']) {
    for (const child of [agent.child, controller.child, target.child]) child.kill('SIGKILL');
    direct.agent.destroy();
    tunnel.agent.destroy();
    process.stdout.write(`${JSON.stringify({ peers, loadAverage: os.loadavg(), ...peerSummary })}\n`);
    process.exit(0);
  }

  // Throughput.
  const throughput: Record<string, { directMs: number; tunnelMs: number; ratio: number; tunnelCpuMsPerGB: number }> =
    {};
  for (const size of [1 * MB, 100 * MB]) {
    for (const direction of ['down', 'up'] as const) {
      const runs = size === MB ? 9 : quick ? 1 : 3;
      await timeTransfer(tunnel, direction, Math.min(size, 4 * MB)); // warm up
      const directMs = await medianTransfer(direct, direction, size, runs);
      const cpuBefore = await Promise.all([
        controller.ask<{ cpuMs: number }>({ type: 'cpu' }, 'cpu'),
        agent.ask<{ cpuMs: number }>({ type: 'cpu' }, 'cpu'),
      ]);
      const tunnelMs = await medianTransfer(tunnel, direction, size, runs);
      const cpuAfter = await Promise.all([
        controller.ask<{ cpuMs: number }>({ type: 'cpu' }, 'cpu'),
        agent.ask<{ cpuMs: number }>({ type: 'cpu' }, 'cpu'),
      ]);
      const tunnelCpuMsPerGB = round(
        ((cpuAfter[0].cpuMs - cpuBefore[0].cpuMs + cpuAfter[1].cpuMs - cpuBefore[1].cpuMs) / runs / size) * 1024 * MB,
        0,
      );
      const key = `${size / MB}MB-${direction}`;
      throughput[key] = {
        directMs: round(directMs, 1),
        tunnelMs: round(tunnelMs, 1),
        ratio: round(directMs / tunnelMs),
        tunnelCpuMsPerGB,
      };
      progress(
        `throughput ${key}: direct ${round(directMs, 1)} ms, tunnel ${round(tunnelMs, 1)} ms, ratio ${round(directMs / tunnelMs)} (controller+agent CPU ${tunnelCpuMsPerGB} ms/GB)`,
      );
    }
  }

  // Latency, open loop at 500 req/s.
  const latencyDurationMs = quick ? 2_000 : 6_000;
  await openLoop(tunnel, 200, 500);
  const directLatency = await openLoop(direct, 500, latencyDurationMs);
  const tunnelLatency = await openLoop(tunnel, 500, latencyDurationMs);
  const latency = {
    directP50Ms: round(percentile(directLatency, 0.5)),
    directP99Ms: round(percentile(directLatency, 0.99)),
    tunnelP50Ms: round(percentile(tunnelLatency, 0.5)),
    tunnelP99Ms: round(percentile(tunnelLatency, 0.99)),
    samples: tunnelLatency.length,
  };
  progress(
    `latency 1 KB @500 rps: direct p50 ${latency.directP50Ms} p99 ${latency.directP99Ms}; tunnel p50 ${latency.tunnelP50Ms} p99 ${latency.tunnelP99Ms} ms`,
  );
  // Context only: the same at 100 req/s, where a shared machine is less likely to be saturated.
  const directLight = await openLoop(direct, 100, latencyDurationMs / 2);
  const tunnelLight = await openLoop(tunnel, 100, latencyDurationMs / 2);
  const latencyAt100 = {
    addedP50Ms: round(percentile(tunnelLight, 0.5) - percentile(directLight, 0.5)),
    addedP99Ms: round(percentile(tunnelLight, 0.99) - percentile(directLight, 0.99)),
  };
  progress(`latency 1 KB @100 rps: added p50 ${latencyAt100.addedP50Ms} ms, added p99 ${latencyAt100.addedP99Ms} ms`);

  // Watches: 1,000 idle watches, one stalled reader, GET load, events to rotating watches.
  const watchCount = quick ? 200 : 1_000;
  progress(`opening ${watchCount} watches through the tunnel`);
  const eventLatencies: number[] = [];
  const watchRequests: http.ClientRequest[] = [];
  // Watches each hold a connection for their lifetime, as kubectl get -w does.
  const watchAgent = new https.Agent({ keepAlive: false, maxSockets: Infinity, ...tunnelTls });
  await Promise.all(
    Array.from(
      { length: watchCount },
      (_, id) =>
        new Promise<void>((resolve, reject) => {
          const req = https.request(new URL(`/watch?id=${id}`, tunnel.base), { agent: watchAgent, ...tunnelTls });
          req.on('response', (res) => {
            let buffered = '';
            res.on('data', (data: Buffer) => {
              const receivedAt = performance.timeOrigin + performance.now();
              buffered += data.toString();
              let newline = buffered.indexOf('\n');
              while (newline >= 0) {
                const line = buffered.slice(0, newline);
                buffered = buffered.slice(newline + 1);
                const match = /"sentAtMs":([0-9.]+)/.exec(line);
                if (match) eventLatencies.push(receivedAt - Number(match[1]));
                newline = buffered.indexOf('\n');
              }
            });
            resolve();
          });
          req.on('error', reject);
          req.end();
          watchRequests.push(req);
        }),
    ),
  );
  const stalled = https.request(new URL('/flood', tunnel.base), { agent: false, ...tunnelTls });
  stalled.on('response', (res) => res.pause()); // never reads
  stalled.on('error', () => undefined);
  stalled.end();
  target.child.send({ type: 'events', intervalMs: 5, count: watchCount });
  const getLoad = await openLoop(tunnel, 200, quick ? 2_000 : 5_000);
  target.child.send({ type: 'stop-events' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  eventLatencies.sort((a, b) => a - b);
  const watch = {
    events: eventLatencies.length,
    p50Ms: round(percentile(eventLatencies, 0.5)),
    p99Ms: round(percentile(eventLatencies, 0.99)),
    getP99UnderWatchLoadMs: round(percentile(getLoad, 0.99)),
  };
  progress(
    `watch events: ${watch.events}, p50 ${watch.p50Ms} ms, p99 ${watch.p99Ms} ms; GET p99 under watch load ${watch.getP99UnderWatchLoadMs} ms`,
  );
  for (const req of watchRequests) req.destroy();
  stalled.destroy();
  await new Promise((resolve) => setTimeout(resolve, 500));

  // Memory per connected agent, measured in the controller process.
  const agentCount = quick ? 200 : 1_000;
  const before = await controller.ask<{ rssBytes: number; heapUsedBytes: number; externalBytes: number }>(
    { type: 'memory' },
    'memory',
  );
  progress(`connecting ${agentCount} simulated agents (one process, one TLS connection and one name each)`);
  // Each simulated agent is an agent of its own, as in a fleet (the controller limits what one agent name holds).
  const credentialsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fleet-')), 'credentials.json');
  fs.writeFileSync(credentialsFile, JSON.stringify(fleetCredentials(ca, agentCredentials, agentCount)));
  const fleet = await spawnChild<{ type: string }>(
    'agent-process.ts',
    {
      count: agentCount,
      credentialsFile,
      config: { ...agentConfig, poolSize: 1, services: [{ name: 'idle', type: 'generic', url: target.ready.url }] },
    },
    ['--expose-gc'],
  );
  fs.rmSync(path.dirname(credentialsFile), { recursive: true });
  await fleet.ask({ type: 'wait-connected', timeoutMs: 120_000 }, 'connected');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const after = await controller.ask<{
    rssBytes: number;
    heapUsedBytes: number;
    externalBytes: number;
    agents: number;
  }>({ type: 'memory' }, 'memory');
  const fleetMemory = await fleet.ask<{ rssBytes: number }>({ type: 'memory' }, 'memory');
  const kbPerAgent = round((after.rssBytes - before.rssBytes) / 1024 / agentCount, 1);
  const heapKbPerAgent = round(
    (after.heapUsedBytes + after.externalBytes - before.heapUsedBytes - before.externalBytes) / 1024 / agentCount,
    1,
  );
  progress(
    `controller RSS ${round(before.rssBytes / MB, 1)} → ${round(after.rssBytes / MB, 1)} MB for ${after.agents - 1} more sessions: ${kbPerAgent} KB RSS (${heapKbPerAgent} KB heap+external) per agent; simulated agents use ${round(fleetMemory.rssBytes / 1024 / agentCount, 1)} KB each`,
  );
  fleet.child.kill('SIGKILL');

  // Reconnect after a controller SIGKILL and restart on the same port.
  progress('killing the controller with SIGKILL and restarting it');
  const agentPort = Number(controller.ready.agentUrl.split(':').pop());
  controller.child.kill('SIGKILL');
  await new Promise((resolve) => controller.child.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  controller = await spawnChild('controller-process.ts', { ...controllerConfig, agentPort }, ['--expose-gc']);
  const listeningAt = performance.now();
  const restarted: Endpoint = {
    base: controller.ready.serviceUrl,
    agent: new https.Agent({ keepAlive: false, ...tunnelTls }),
    tls: tunnelTls,
  };
  let reconnectMs = Number.NaN;
  for (let attempt = 0; attempt < 1_000; attempt += 1) {
    const result = await request(restarted, 'GET', '/small').catch(() => ({ status: 0, bytes: 0 }));
    if (result.status === 200) {
      reconnectMs = round(performance.now() - listeningAt, 1);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  progress(`first 200 through the tunnel ${reconnectMs} ms after the restarted controller was listening`);

  for (const child of [agent.child, controller.child, target.child]) child.kill('SIGKILL');
  direct.agent.destroy();
  tunnel.agent.destroy();
  const throughputRatio100MB = Math.min(throughput['100MB-down']?.ratio ?? 0, throughput['100MB-up']?.ratio ?? 0);
  const summary = {
    throughputRatio100MB,
    addedP50Ms: round(latency.tunnelP50Ms - latency.directP50Ms),
    addedP99Ms: round(latency.tunnelP99Ms - latency.directP99Ms),
    watchP99Ms: watch.p99Ms,
    kbPerAgent,
    reconnectMs,
    heapKbPerAgent,
    throughput,
    latency,
    latencyAt100,
    loadAverage: os.loadavg().map((value) => round(value, 1)),
    watch,
    watches: watchCount,
    simulatedAgents: agentCount,
    peers,
    // Last, so the line ends with the ratios: per direction, ours ÷ floor, ours ÷ birger, birger ÷ floor.
    ...peerSummary,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench:tunnel] failed: ${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
