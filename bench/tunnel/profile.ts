// Tunnel CPU profile: npx tsx bench/tunnel/profile.ts [--cpu-prof] [--perf] [--size=MB] [--runs=N]
// [--only=down|up] [--https-target] [--small=N] [--light-traffic] [--pause=MS] [--without-node-flags]
// [--without-lanes] [--without-floor] [--latency] [--end-flags=a,b]. The same separate processes as the benchmark, one direction at a
// time, reporting controller and agent CPU (user/system) per GB; unless --without-floor, each run also
// moves the same body through the floor's two bare TLS relays (floor-relay.ts), alternating with ours, and
// reports each relay's CPU beside the end it stands for (controller side, agent side), so what our ends
// spend beyond the floor shows per end in the same run. --latency adds, after each direction's transfers,
// 3 s of 1 KB GETs at 100/s through each path with every process's event-loop delays and GC pauses
// (as the peers bench's round after the transfers), then the same while that path keeps moving bodies,
// to find what a slow small request waited on. --small=N instead sends N sequential 1 KB GETs and
// reports their CPU per request (the cost that decides latency on a busy machine). --light-traffic runs 5 s
// of small requests before the transfers; --without-node-flags starts controller and agent without
// TUNNEL_NODE_FLAGS. With --cpu-prof the controller, agent and relays write V8 CPU profiles to
// $TMPDIR/isd-tunnel-profiles/<process>/ on exit (summarize with summarize-profile.ts); with --perf they
// write /tmp/perf-<pid>.map so Linux perf names JavaScript frames.
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority, PREFERRED_CIPHERS, generateTokenKeys } from '@isd/controller';
import { spawnChild, transfer, type Child } from './children';
import { describeRound, latencyWithStalls, type Path } from './peers';

const MB = 1024 * 1024;
const argument = (name: string, fallback: number): number => {
  const found = process.argv.find((value) => value.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
};
const sizeBytes = argument('size', 100) * MB;
const runs = argument('runs', 3);
const pauseMs = argument('pause', 0);
const profiling = process.argv.includes('--cpu-prof');
const directions = (['down', 'up'] as const).filter(
  (direction) => !process.argv.includes(`--only=${direction === 'down' ? 'up' : 'down'}`),
);
const profileDir = path.join(os.tmpdir(), 'isd-tunnel-profiles');
interface Usage {
  userMs: number;
  systemMs: number;
}

type Process = Child<Record<string, string>>;

function spawn(script: string, config: unknown, name: string): Promise<Process> {
  const execArgv: string[] = [];
  // One directory per process: tsx's loader thread writes a (small) profile of its own beside the main one.
  if (profiling) execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, name)}`);
  // For Linux perf: JIT-compiled JavaScript gets names in /tmp/perf-<pid>.map.
  if (process.argv.includes('--perf')) execArgv.push('--perf-basic-prof-only-functions');
  // --end-flags=a,b: more Node/V8 flags for the tunnel's two ends (ours and the floor's relays), to A/B them.
  const endFlags = process.argv.find((value) => value.startsWith('--end-flags='));
  if (endFlags && script !== 'target.ts') execArgv.push(...endFlags.slice('--end-flags='.length).split(','));
  return spawnChild(script, config, execArgv, !process.argv.includes('--without-node-flags'));
}

const usage = (child: Process): Promise<Usage> => child.ask<Usage>({ type: 'cpu' }, 'cpu');

async function main(): Promise<void> {
  const ca = await CertificateAuthority.generate('profile CA');
  const caPem = ca.exportPem();
  const httpsTarget = process.argv.includes('--https-target');
  const targetCredentials = httpsTarget
    ? await ca.issue({ purpose: 'server', name: 'target' }, { dnsNames: ['127.0.0.1', 'localhost'] })
    : undefined;
  const target = await spawn(
    'target.ts',
    targetCredentials ? { tls: { keyPem: targetCredentials.keyPem, certPem: targetCredentials.certPem } } : {},
    'target',
  );
  const controller = await spawn(
    'controller-process.ts',
    {
      host: '127.0.0.1',
      agentPort: 0,
      servicePort: 0,
      controlPort: 0,
      metricsPort: 0,
      ca: caPem,
      tokenKeys: generateTokenKeys(),
      pingIntervalMs: 10_000,
    },
    'controller',
  );
  const agent = await spawn(
    'agent-process.ts',
    {
      count: 1,
      config: {
        controllers: [controller.ready.agentUrl],
        serverName: 'localhost',
        credentials: await ca.issue({ purpose: 'agent', agent: 'bench' }),
        services: [{ name: 'target', type: 'generic', url: target.ready.url, caPem: targetCredentials?.caPem }],
        healthPort: null,
        poolSize: 4,
        lanes: !process.argv.includes('--without-lanes'),
      },
    },
    'agent',
  );
  await new Promise<void>((resolve) => {
    agent.child.once('message', () => resolve());
    agent.child.send({ type: 'wait-connected', timeoutMs: 10_000 });
  });
  const caller = await ca.issue({ purpose: 'service', agent: 'bench', type: 'generic', name: 'target' });
  const tls = { ca: caPem.certPem, cert: caller.certPem, key: caller.keyPem };
  const tunnelAgent = new https.Agent({ keepAlive: true, maxSockets: 1, ...tls });
  const serviceUrl = controller.ready.serviceUrl as string;
  process.stderr.write(
    `pids: controller ${controller.child.pid} agent ${agent.child.pid} target ${target.child.pid}\n`,
  );
  const smallCount = argument('small', 0);
  if (smallCount > 0) await profileSmallRequests(smallCount, serviceUrl, tunnelAgent, { controller, agent });
  if (process.argv.includes('--light-traffic')) {
    // Five seconds of 1 KB GETs at 100/s over 16 connections first, as the peers bench's latency round:
    // after such a spell V8 had shrunk the young generation, and bulk transfers cost twice the CPU.
    const light = new https.Agent({ keepAlive: true, maxSockets: 16, ...tls });
    const pending: Array<Promise<void>> = [];
    for (let index = 0; index < 500; index += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      pending.push(transfer(serviceUrl, light, tls, 'down', 1024));
    }
    await Promise.all(pending);
    light.destroy();
  }
  const paths: TransferPath[] = [
    { name: 'ours', base: serviceUrl, agent: tunnelAgent, tls, ends: { controller, agent } },
  ];
  const floorRelays: Process[] = [];
  if (smallCount === 0 && !process.argv.includes('--without-floor')) {
    const floor = await startFloor(ca, target.ready.url as string, targetCredentials?.caPem);
    floorRelays.push(floor.ends.controller, floor.ends.agent);
    paths.push(floor);
  }
  // Kept-alive connections for --latency, warmed up before the transfers as the peers bench does.
  const latencyAgents = new Map(
    paths.map((path) => [path, new https.Agent({ keepAlive: true, maxSockets: 16, ...path.tls })]),
  );
  if (process.argv.includes('--latency'))
    for (const path of paths) {
      const agent = latencyAgents.get(path) as https.Agent;
      await Promise.all(Array.from({ length: 16 }, () => transfer(path.base, agent, path.tls, 'down', 1024)));
    }
  for (const direction of smallCount > 0 ? [] : directions) {
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    for (const path of paths) await transfer(path.base, path.agent, path.tls, direction, sizeBytes); // warm up
    // Each run measured on its own: the least CPU over the runs is the figure least disturbed by
    // whatever else shares the machine; the median is reported beside it. Ours and the floor alternate
    // within each run, so the machine's noise falls on both alike.
    const perRun = new Map<TransferPath, RunCost[]>(paths.map((path) => [path, []]));
    for (let run = 0; run < runs; run += 1) {
      for (const path of paths) {
        // With --pause=MS the tunnel idles between transfers, as it does between a caller's bursts.
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        perRun.get(path)?.push(await measureTransfer(path, direction));
      }
    }
    for (const path of paths) report(direction, path.name, perRun.get(path) ?? []);
    if (process.argv.includes('--latency')) {
      for (const during of [false, true]) {
        for (const path of paths) {
          // During: the path keeps moving bodies of this direction (on its own connection) meanwhile.
          let transferring = during;
          const bulk = (async () => {
            while (transferring) await transfer(path.base, path.agent, path.tls, direction, sizeBytes);
          })();
          const round = await latencyWithStalls(
            {
              name: path.name,
              base: path.base,
              tls: path.tls,
              agent: path.agent,
              headers: {},
              pids: [],
              stallReporters: [
                { role: path.name === 'ours' ? 'controller' : 'controller-side relay', child: path.ends.controller },
                { role: path.name === 'ours' ? 'agent' : 'agent-side relay', child: path.ends.agent },
              ],
            },
            latencyAgents.get(path) as https.Agent,
            3_000,
          );
          transferring = false;
          await bulk;
          process.stdout.write(
            `${direction} latency ${during ? `during ${sizeBytes / MB} MB transfers` : 'after the transfers'}: ${describeRound(path.name, round)}\n`,
          );
        }
      }
    }
  }
  tunnelAgent.destroy();
  // A clean exit, so --cpu-prof writes the profiles.
  for (const child of [controller.child, agent.child, target.child, ...floorRelays.map((relay) => relay.child)])
    child.send({ type: 'exit' });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  process.exit(0);
}

/** One way through the topology: ours (controller, agent) or the floor (its controller-side and agent-side relay). */
interface TransferPath {
  name: 'ours' | 'floor';
  base: string;
  agent: https.Agent;
  tls: Path['tls'];
  ends: { controller: Process; agent: Process };
}

/** One transfer: its time, and each end's user and system CPU in ms. */
interface RunCost {
  elapsedMs: number;
  controller: Usage;
  agent: Usage;
}

const since = (after: Usage, before: Usage): Usage => ({
  userMs: after.userMs - before.userMs,
  systemMs: after.systemMs - before.systemMs,
});
const total = (cost: Usage): number => cost.userMs + cost.systemMs;

async function measureTransfer(path: TransferPath, direction: 'down' | 'up'): Promise<RunCost> {
  const before = await Promise.all([usage(path.ends.controller), usage(path.ends.agent)]);
  const started = performance.now();
  await transfer(path.base, path.agent, path.tls, direction, sizeBytes);
  const elapsedMs = performance.now() - started;
  const after = await Promise.all([usage(path.ends.controller), usage(path.ends.agent)]);
  return { elapsedMs, controller: since(after[0], before[0]), agent: since(after[1], before[1]) };
}

function report(direction: 'down' | 'up', name: TransferPath['name'], runsOfPath: RunCost[]): void {
  const perGB = (ms: number): number => Math.round((ms / sizeBytes) * 1024 * MB);
  const middle = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const least = (values: number[]): number => Math.min(...values);
  const stats = (values: number[]): string => `min ${perGB(least(values))} median ${perGB(middle(values))}`;
  const sum = (pick: (cost: RunCost) => number): number => runsOfPath.reduce((all, cost) => all + pick(cost), 0);
  const mean = (pick: (cost: RunCost) => number): number => perGB(sum(pick) / runsOfPath.length);
  const times = runsOfPath.map((cost) => cost.elapsedMs);
  const [controllerName, agentName] =
    name === 'ours' ? ['controller', 'agent'] : ['controller-side relay', 'agent-side relay'];
  process.stdout.write(
    `${direction} ${name}: ${middle(times).toFixed(1)} ms median (min ${least(times).toFixed(1)}) per ${sizeBytes / MB} MB; ` +
      `CPU ms/GB ${controllerName} user ${mean((cost) => cost.controller.userMs)} sys ${mean((cost) => cost.controller.systemMs)}, ` +
      `${agentName} user ${mean((cost) => cost.agent.userMs)} sys ${mean((cost) => cost.agent.systemMs)}; ` +
      `per run: ${controllerName} ${stats(runsOfPath.map((cost) => total(cost.controller)))}, ` +
      `${agentName} ${stats(runsOfPath.map((cost) => total(cost.agent)))}, ` +
      `both ${stats(runsOfPath.map((cost) => total(cost.controller) + total(cost.agent)))}; ` +
      `each run (ms, CPU ms per GB of each end): ${runsOfPath
        .map((cost) => `${cost.elapsedMs.toFixed(0)} ${perGB(total(cost.controller))}/${perGB(total(cost.agent))}`)
        .join(', ')}\n`,
  );
}

/** The floor's two bare TLS relays (as peers.ts starts them) in front of the same target. */
async function startFloor(ca: CertificateAuthority, targetUrl: string, targetCaPem?: string): Promise<TransferPath> {
  const server = await ca.issue({ purpose: 'server', name: 'relay' }, { dnsNames: ['localhost', '127.0.0.1'] });
  const target = new URL(targetUrl);
  const relay = { key: server.keyPem, cert: server.certPem, ca: server.caPem, ciphers: PREFERRED_CIPHERS };
  const agentSide = await spawn(
    'floor-relay.ts',
    {
      ...relay,
      ...(targetCaPem ? { ca: targetCaPem } : {}),
      next: { host: target.hostname, port: Number(target.port), tls: target.protocol === 'https:' },
    },
    'relay-agent-side',
  );
  const controllerSide = await spawn(
    'floor-relay.ts',
    { ...relay, next: { host: '127.0.0.1', port: Number(agentSide.ready.port), tls: true } },
    'relay-controller-side',
  );
  const tls = { ca: server.caPem, servername: 'localhost' };
  return {
    name: 'floor',
    base: `https://127.0.0.1:${controllerSide.ready.port}/`,
    agent: new https.Agent({ keepAlive: true, maxSockets: 1, ...tls }),
    tls,
    ends: { controller: controllerSide, agent: agentSide },
  };
}

/** N sequential 1 KB GETs (after 200 to warm up): CPU µs per request in the controller and the agent, and p50/p99. */
async function profileSmallRequests(
  count: number,
  serviceUrl: string,
  tunnelAgent: https.Agent,
  processes: { controller: Process; agent: Process },
): Promise<void> {
  const get = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = https.request(new URL('/small', serviceUrl), { agent: tunnelAgent }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
  for (let index = 0; index < 200; index += 1) await get();
  const [controllerBefore, agentBefore] = await Promise.all([usage(processes.controller), usage(processes.agent)]);
  const durations: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    await get();
    durations.push(performance.now() - started);
  }
  const [controllerAfter, agentAfter] = await Promise.all([usage(processes.controller), usage(processes.agent)]);
  const perRequest = (after: Usage, before: Usage): string =>
    `user ${Math.round(((after.userMs - before.userMs) * 1000) / count)} sys ${Math.round(((after.systemMs - before.systemMs) * 1000) / count)}`;
  durations.sort((a, b) => a - b);
  const at = (fraction: number): string => (durations[Math.floor(fraction * (count - 1))] ?? NaN).toFixed(2);
  process.stdout.write(
    `small: ${count} sequential 1 KB GETs, p50 ${at(0.5)} ms p99 ${at(0.99)} ms; CPU µs per request ` +
      `controller ${perRequest(controllerAfter, controllerBefore)}, agent ${perRequest(agentAfter, agentBefore)}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`profile failed: ${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
