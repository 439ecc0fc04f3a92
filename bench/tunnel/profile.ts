// Tunnel CPU profile: npx tsx bench/tunnel/profile.ts [--cpu-prof] [--perf] [--size=MB] [--runs=N]
// [--only=down|up] [--https-target] [--small=N] [--light-traffic] [--pause=MS] [--without-node-flags]
// [--without-lanes]. The same separate
// processes as the benchmark, one direction at a time, reporting controller and agent CPU (user/system) per
// GB; --small=N instead sends N sequential 1 KB GETs and reports their CPU per request (the cost that decides
// latency on a busy machine). --light-traffic runs 5 s of small requests before the transfers;
// --without-node-flags starts controller and agent without TUNNEL_NODE_FLAGS. With --cpu-prof the controller
// and agent write V8 CPU profiles to $TMPDIR/isd-tunnel-profiles/<process>/ on exit (summarize with
// summarize-profile.ts); with --perf they write /tmp/perf-<pid>.map so Linux perf names JavaScript frames.
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority, generateTokenKeys } from '@isd/controller';
import { spawnChild, transfer, type Child } from './children';

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
  return spawnChild(script, config, execArgv, !process.argv.includes('--without-node-flags'));
}

const usage = (child: Process): Promise<Usage> => child.ask<Usage>({ type: 'cpu' }, 'cpu');

async function main(): Promise<void> {
  const ca = CertificateAuthority.generate('profile CA');
  const caPem = ca.exportPem();
  const httpsTarget = process.argv.includes('--https-target');
  const targetCredentials = httpsTarget
    ? ca.issue({ purpose: 'server', name: 'target' }, { dnsNames: ['127.0.0.1', 'localhost'] })
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
        credentials: ca.issue({ purpose: 'agent', agent: 'bench' }),
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
  const caller = ca.issue({ purpose: 'service', agent: 'bench', type: 'generic', name: 'target' });
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
  for (const direction of smallCount > 0 ? [] : directions) {
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    await transfer(serviceUrl, tunnelAgent, tls, direction, sizeBytes); // warm up
    // Each run measured on its own: the least CPU over the runs is the figure least disturbed by
    // whatever else shares the machine; the median is reported beside it.
    const perRun: Array<{ elapsedMs: number; controllerMs: number; agentMs: number }> = [];
    const totals = { controllerUser: 0, controllerSystem: 0, agentUser: 0, agentSystem: 0 };
    for (let run = 0; run < runs; run += 1) {
      // With --pause=MS the tunnel idles between transfers, as it does between a caller's bursts.
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      const [controllerBefore, agentBefore] = await Promise.all([usage(controller), usage(agent)]);
      const started = performance.now();
      await transfer(serviceUrl, tunnelAgent, tls, direction, sizeBytes);
      const elapsedMs = performance.now() - started;
      const [controllerAfter, agentAfter] = await Promise.all([usage(controller), usage(agent)]);
      totals.controllerUser += controllerAfter.userMs - controllerBefore.userMs;
      totals.controllerSystem += controllerAfter.systemMs - controllerBefore.systemMs;
      totals.agentUser += agentAfter.userMs - agentBefore.userMs;
      totals.agentSystem += agentAfter.systemMs - agentBefore.systemMs;
      perRun.push({
        elapsedMs,
        controllerMs:
          controllerAfter.userMs + controllerAfter.systemMs - controllerBefore.userMs - controllerBefore.systemMs,
        agentMs: agentAfter.userMs + agentAfter.systemMs - agentBefore.userMs - agentBefore.systemMs,
      });
    }
    const perGB = (value: number, count = runs): number => Math.round((value / count / sizeBytes) * 1024 * MB);
    const stats = (values: number[]): string => {
      const sorted = [...values].sort((a, b) => a - b);
      return `min ${perGB(sorted[0] ?? NaN, 1)} median ${perGB(sorted[Math.floor(sorted.length / 2)] ?? NaN, 1)}`;
    };
    const times = perRun.map((run) => run.elapsedMs).sort((a, b) => a - b);
    process.stdout.write(
      `${direction}: ${(times[Math.floor(times.length / 2)] ?? NaN).toFixed(1)} ms median (min ${(times[0] ?? NaN).toFixed(1)}) per ${sizeBytes / MB} MB; ` +
        `CPU ms/GB controller user ${perGB(totals.controllerUser)} sys ${perGB(totals.controllerSystem)}, ` +
        `agent user ${perGB(totals.agentUser)} sys ${perGB(totals.agentSystem)}; ` +
        `per run: controller ${stats(perRun.map((run) => run.controllerMs))}, agent ${stats(perRun.map((run) => run.agentMs))}, ` +
        `both ${stats(perRun.map((run) => run.controllerMs + run.agentMs))}; ` +
        `each run (ms, controller/agent CPU ms per GB): ${perRun
          .map((run) => `${run.elapsedMs.toFixed(0)} ${perGB(run.controllerMs, 1)}/${perGB(run.agentMs, 1)}`)
          .join(', ')}\n`,
    );
  }
  tunnelAgent.destroy();
  // A clean exit, so --cpu-prof writes the profiles.
  for (const child of [controller.child, agent.child, target.child]) child.send({ type: 'exit' });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  process.exit(0);
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
