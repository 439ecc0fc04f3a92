// Throughput floor of the tunnel's topology (npx tsx bench/tunnel/floor.ts [--runs=N]): the benchmark's
// 100 MB transfers, direct and through two bare TLS byte relays in separate processes (load generator
// --TLS--> relay --TLS--> relay --plain--> target), i.e. the same four TLS operations and three socket
// hops as the tunnel with no HTTP, HTTP/2, gRPC or framing work at all. No tunnel built on Node's TLS
// on this machine can beat this ratio, so it tells how much of the gap the tunnel's own code still owns.
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import { CertificateAuthority, PREFERRED_CIPHERS } from '@isd/controller';
import { spawnChild, transfer, type Child } from './children';

const MB = 1024 * 1024;
const sizeBytes = 100 * MB;
const runsArgument = process.argv.find((value) => value.startsWith('--runs='));
const runs = runsArgument ? Number(runsArgument.split('=')[1]) : 5;

type Relay = Child<{ port: number; url?: string }>;

const cpuMs = async (relay: Relay): Promise<number> =>
  (await relay.ask<{ cpuMs: number }>({ type: 'cpu' }, 'cpu')).cpuMs;

async function main(): Promise<void> {
  const ca = await CertificateAuthority.generate('floor CA');
  const server = await ca.issue({ purpose: 'server', name: 'relay' }, { dnsNames: ['localhost', '127.0.0.1'] });
  const target = await spawnChild<Relay['ready']>('target.ts', {});
  const targetUrl = new URL(target.ready.url ?? '');
  const agentSide = await spawnChild<Relay['ready']>('floor-relay.ts', {
    key: server.keyPem,
    cert: server.certPem,
    ca: server.caPem,
    ciphers: PREFERRED_CIPHERS,
    next: { host: targetUrl.hostname, port: Number(targetUrl.port), tls: false },
  });
  const controllerSide = await spawnChild<Relay['ready']>('floor-relay.ts', {
    key: server.keyPem,
    cert: server.certPem,
    ca: server.caPem,
    ciphers: PREFERRED_CIPHERS,
    next: { host: '127.0.0.1', port: agentSide.ready.port, tls: true },
  });
  const tls = { ca: server.caPem, servername: 'localhost' };
  const direct = { url: targetUrl.href, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) };
  const relayed = {
    url: `https://127.0.0.1:${controllerSide.ready.port}/`,
    agent: new https.Agent({ keepAlive: true, maxSockets: 1, ...tls }),
  };
  const results: Record<string, unknown> = {};
  for (const direction of ['down', 'up'] as const) {
    await transfer(direct.url, direct.agent, {}, direction, sizeBytes);
    await transfer(relayed.url, relayed.agent, tls, direction, sizeBytes);
    const directMs: number[] = [];
    const relayMs: number[] = [];
    const relayCpuMs: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      let started = performance.now();
      await transfer(direct.url, direct.agent, {}, direction, sizeBytes);
      directMs.push(performance.now() - started);
      const before = (await cpuMs(controllerSide)) + (await cpuMs(agentSide));
      started = performance.now();
      await transfer(relayed.url, relayed.agent, tls, direction, sizeBytes);
      relayMs.push(performance.now() - started);
      relayCpuMs.push((await cpuMs(controllerSide)) + (await cpuMs(agentSide)) - before);
    }
    const middle = (values: number[]): number =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
    const ratio = middle(directMs) / middle(relayMs);
    const cpuPerGB = (middle(relayCpuMs) / sizeBytes) * 1024 * MB;
    results[direction] = {
      directMs: Math.round(middle(directMs)),
      relayMs: Math.round(middle(relayMs)),
      ratio: Number(ratio.toFixed(3)),
      relayCpuMsPerGB: Math.round(cpuPerGB),
    };
    process.stderr.write(
      `[floor] ${direction}: direct ${middle(directMs).toFixed(1)} ms, two TLS relays ${middle(relayMs).toFixed(1)} ms, ratio ${ratio.toFixed(3)}; relays' CPU ${cpuPerGB.toFixed(0)} ms/GB\n`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({ ...results, loadAverage: os.loadavg().map((value) => Number(value.toFixed(1))) })}\n`,
  );
  for (const child of [controllerSide.child, agentSide.child, target.child]) child.kill('SIGKILL');
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`floor failed: ${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
