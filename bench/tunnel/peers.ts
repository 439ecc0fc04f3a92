// The tunnel beside its floor and its peer, in one run and one topology (load generator --TLS-->
// controller side --TLS--> agent side --plain--> target):
//   ours   the ISD controller and agent (already started by run.ts);
//   floor  two bare TLS byte relays (floor-relay.ts): no HTTP, HTTP/2, gRPC or framing, the least any
//          tunnel of this shape can cost on this machine;
//   birger oes-birger's controller and agent from --birger-dir (birger.ts), when given.
// Per direction: 100 MB transfers (median of the runs, the three interleaved so machine noise hits all
// alike), CPU seconds per GB of each side's two processes (/proc, the same measure for Node and Go), and
// the latency of 1 KB GETs at 100 requests/s.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { PREFERRED_CIPHERS, type CertificateAuthority } from '@isd/controller';
import { StallWatch, processCpuMs, spawnChild, transfer, type Child, type Stalls } from './children';
import { startBirger, type Birger } from './birger';

const MB = 1024 * 1024;
const GB = 1024 * MB;
const SMALL_UP_BYTES = 3 * MB;

/** One way through the topology. */
export interface Path {
  name: 'ours' | 'floor' | 'birger';
  base: string;
  agent: http.Agent;
  tls: { ca: string; cert?: string; key?: string; servername?: string };
  headers: Record<string, string>;
  /** The processes between the load generator and the target. */
  pids: number[];
  /** Those of them that report their event-loop stalls (Node processes of the bench), by role. */
  stallReporters?: Array<{ role: string; child: Child<unknown> }>;
}

/** 1 KB GET latency in one round, and what each process's event loop went through meanwhile. */
export interface LatencyRound {
  p50: number;
  p99: number;
  max: number;
  /** By role (controller, agent, relays, and `client`: the load generator itself); absent for Go peers. */
  stalls: Record<string, Stalls>;
}

type PerDirection<T> = { up: T; down: T };

/** What the run reports about the three paths. */
export interface PeerComparison {
  sizeMB: number;
  runs: number;
  /** Ours ÷ floor throughput (1 = as fast as two bare TLS relays). */
  vsFloor: PerDirection<number | null>;
  /** Ours ÷ birger throughput; null where birger is absent or failed (see `birger.reason`). */
  vsBirger: PerDirection<number | null>;
  /** Birger ÷ floor throughput. */
  birgerVsFloor: PerDirection<number | null>;
  /** CPU seconds per GB moved, summed over the path's two processes. */
  cpuSecondsPerGB: Record<Path['name'], PerDirection<number | null>>;
  /** Median transfer time in ms. */
  medianMs: Record<Path['name'], PerDirection<number | null>>;
  /** Uploads of 3 MB (what oes-birger can carry): the same ratios and median times. */
  upAt3MB: {
    vsFloor: number | null;
    vsBirger: number | null;
    birgerVsFloor: number | null;
    medianMs: Record<Path['name'], number | null>;
  };
  /** 1 KB GETs, open loop at 100 requests/s, early in the connections' life: p50 and p99 in ms. */
  earlyLatencyMs: Record<Path['name'], LatencyRound | null>;
  /** The same after the downloads and 3 MB uploads (null for a path that is absent). */
  latencyMs: Record<Path['name'], LatencyRound | null>;
  birger: { present: boolean; reason?: string; errors?: Record<string, string> };
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN;
}

function get(path: Path, target: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(target, path.base);
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      agent,
      ...path.tls,
      headers: path.headers,
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Kept-alive connections for the latency runs, as run.ts's pool: one connection would queue requests behind each other. */
const LATENCY_CONNECTIONS = 16;

/** Open loop: requests start on schedule whether or not earlier ones finished. */
async function latency(
  path: Path,
  agent: http.Agent,
  ratePerSecond: number,
  durationMs: number,
): Promise<{ p50: number; p99: number; max: number }> {
  const total = Math.floor((ratePerSecond * durationMs) / 1000);
  const started = performance.now();
  const samples: number[] = [];
  const pending: Array<Promise<void>> = [];
  for (let index = 0; index < total; index += 1) {
    const scheduledAt = started + (index * 1000) / ratePerSecond;
    const wait = scheduledAt - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      get(path, '/small', agent).then((status) => {
        if (status !== 200) throw new Error(`${path.name}: GET /small answered ${status}`);
        samples.push(performance.now() - scheduledAt);
      }),
    );
  }
  await Promise.all(pending);
  samples.sort((a, b) => a - b);
  return {
    p50: round(percentile(samples, 0.5)),
    p99: round(percentile(samples, 0.99)),
    max: round(samples.at(-1) ?? NaN),
  };
}

/** One line per round: the percentiles, then each process's longest event-loop delay and GC pause. */
export function describeRound(name: string, round: LatencyRound | null): string {
  if (!round) return `${name} –`;
  const stalls = Object.entries(round.stalls)
    .map(
      ([role, s]) =>
        `${role} loop ≤${s.loopDelayMaxMs} ms, gc ≤${s.gcMaxMs} ms (${s.majorGcCount} full), cpu ${s.cpuMs} ms`,
    )
    .join(', ');
  return `${name} p50 ${round.p50} p99 ${round.p99} max ${round.max} ms [${stalls}]`;
}

/** A measured latency round, with the event-loop stalls of the path's processes and of this load generator. */
export async function latencyWithStalls(path: Path, agent: http.Agent, durationMs: number): Promise<LatencyRound> {
  const reporters = path.stallReporters ?? [];
  await Promise.all(reporters.map(({ child }) => child.ask({ type: 'stalls-start' }, 'stalls-started')));
  const client = new StallWatch();
  client.start();
  let clientStalls: Stalls | undefined;
  const measured = await latency(path, agent, 100, durationMs).finally(() => (clientStalls = client.stop()));
  const stalls: Record<string, Stalls> = { client: clientStalls ?? client.stop() };
  for (const { role, child } of reporters) {
    const { type: _type, ...report } = await child.ask<Stalls & { type: string }>({ type: 'stalls' }, 'stalls');
    stalls[role] = report;
  }
  return { ...measured, stalls };
}

async function startFloor(
  ca: CertificateAuthority,
  targetUrl: string,
): Promise<{ path: Path; children: Array<Child<{ port: number }>> }> {
  const server = await ca.issue({ purpose: 'server', name: 'relay' }, { dnsNames: ['localhost', '127.0.0.1'] });
  const target = new URL(targetUrl);
  const relay = { key: server.keyPem, cert: server.certPem, ca: server.caPem, ciphers: PREFERRED_CIPHERS };
  const agentSide = await spawnChild<{ port: number }>('floor-relay.ts', {
    ...relay,
    next: { host: target.hostname, port: Number(target.port), tls: false },
  });
  const controllerSide = await spawnChild<{ port: number }>('floor-relay.ts', {
    ...relay,
    next: { host: '127.0.0.1', port: agentSide.ready.port, tls: true },
  });
  const tls = { ca: server.caPem, servername: 'localhost' };
  return {
    path: {
      name: 'floor',
      base: `https://127.0.0.1:${controllerSide.ready.port}/`,
      agent: new https.Agent({ keepAlive: true, maxSockets: 1, ...tls }),
      tls,
      headers: {},
      pids: [controllerSide.child.pid as number, agentSide.child.pid as number],
      stallReporters: [
        { role: 'controller-side relay', child: controllerSide },
        { role: 'agent-side relay', child: agentSide },
      ],
    },
    children: [controllerSide, agentSide],
  };
}

/** Measures ours, the floor and (with `birgerDir`) oes-birger side by side. */
export async function comparePeers(options: {
  ca: CertificateAuthority;
  targetUrl: string;
  ours: Omit<Path, 'name' | 'agent'>;
  birgerDir?: string;
  runs: number;
  sizeBytes?: number;
  progress: (message: string) => void;
}): Promise<PeerComparison> {
  const sizeBytes = options.sizeBytes ?? 100 * MB;
  const ours: Path = {
    ...options.ours,
    name: 'ours',
    agent: new https.Agent({ keepAlive: true, maxSockets: 1, ...options.ours.tls }),
  };
  const floor = await startFloor(options.ca, options.targetUrl);
  let birger: Birger | undefined;
  let birgerPath: Path | undefined;
  const birgerState: PeerComparison['birger'] = { present: false };
  if (!options.birgerDir) {
    birgerState.reason =
      'no --birger-dir: oes-birger is not served by the Go module proxy (403), so the project cannot install it; build it outside the repository and pass --birger-dir DIR (bench/README.md)';
  } else {
    try {
      birger = await startBirger(options.birgerDir, options.targetUrl, options.ca);
      const tls = { ca: options.ca.certPem, servername: 'localhost' };
      birgerPath = {
        name: 'birger',
        base: birger.serviceUrl,
        agent: new https.Agent({ keepAlive: true, maxSockets: 1, ...tls }),
        tls,
        headers: birger.headers,
        pids: birger.pids,
      };
      birgerState.present = true;
    } catch (error) {
      birgerState.reason = `oes-birger did not start: ${(error as Error).message}`;
    }
  }
  if (birgerState.reason) options.progress(birgerState.reason);
  const paths = [ours, floor.path, ...(birgerPath ? [birgerPath] : [])];

  const errors: Record<string, string> = {};
  /** Median time and CPU per GB of each path for one direction and size; a failing birger is recorded. */
  const measure = async (direction: 'down' | 'up', size: number) => {
    const times = new Map<Path, number[]>(paths.map((path) => [path, []]));
    const cpu = new Map<Path, number[]>(paths.map((path) => [path, []]));
    const failed = new Set<Path>();
    for (let run = -1; run < options.runs; run += 1) {
      for (const path of paths) {
        if (failed.has(path)) continue;
        try {
          const cpuBefore = processCpuMs(path.pids);
          const started = performance.now();
          await transfer(path.base, path.agent, path.tls, direction, size, path.headers);
          if (run < 0) continue; // the first round warms every path up
          times.get(path)?.push(performance.now() - started);
          cpu.get(path)?.push(processCpuMs(path.pids) - cpuBefore);
        } catch (error) {
          // Only the peer may fail here (ours or the floor failing fails the bench).
          if (path.name !== 'birger') throw error;
          failed.add(path);
          const gone = path.pids.filter((pid) => !fs.existsSync(`/proc/${pid}`)).length;
          errors[`${direction}${size / MB}MB`] =
            `${(error as Error).message}${gone ? ` (${gone} birger process(es) exited; see its logs)` : ''}`;
          options.progress(`birger ${direction} ${size / MB} MB failed: ${errors[`${direction}${size / MB}MB`]}`);
        }
      }
    }
    const result = new Map<Path['name'], { ms: number; cpuSecondsPerGB: number } | null>();
    for (const path of paths) {
      result.set(
        path.name,
        failed.has(path)
          ? null
          : {
              ms: round(median(times.get(path) ?? []), 1),
              cpuSecondsPerGB: round((median(cpu.get(path) ?? []) / 1000 / size) * GB, 2),
            },
      );
    }
    options.progress(
      `${direction} ${size / MB} MB: ${paths
        .map((path) => {
          const value = result.get(path.name);
          return `${path.name} ${value ? `${value.ms} ms (${value.cpuSecondsPerGB} CPU s/GB)` : 'failed'}`;
        })
        .join(', ')}`,
    );
    return result;
  };

  try {
    // Latency is measured twice: early (after a 2 s warm-up of every path) and again after the downloads and
    // small uploads, before the 100 MB uploads that can take a peer down. Connection age changes our figure
    // (see bench/README.md), so both are reported.
    const latencyAgents = new Map(
      paths.map((path) => [path, new https.Agent({ keepAlive: true, maxSockets: LATENCY_CONNECTIONS, ...path.tls })]),
    );
    const latencyRound = async (warmUpMs: number): Promise<PeerComparison['latencyMs']> => {
      const result: PeerComparison['latencyMs'] = { ours: null, floor: null, birger: null };
      const usable = new Set<Path>();
      for (const path of paths) {
        try {
          if (warmUpMs > 0) await latency(path, latencyAgents.get(path) as https.Agent, 100, warmUpMs);
          usable.add(path);
        } catch (error) {
          if (path.name !== 'birger') throw error;
          errors.latency = (error as Error).message;
        }
      }
      for (const path of usable) {
        try {
          result[path.name] = await latencyWithStalls(path, latencyAgents.get(path) as https.Agent, 3_000);
        } catch (error) {
          if (path.name !== 'birger') throw error;
          errors.latency = (error as Error).message;
        }
      }
      options.progress(
        `1 KB GETs at 100/s (${warmUpMs > 0 ? 'early' : 'after the transfers'}): ${paths.map((path) => describeRound(path.name, result[path.name])).join('; ')}`,
      );
      return result;
    };
    const earlyLatencyMs = await latencyRound(2_000);
    const down = await measure('down', sizeBytes);
    // oes-birger v5 sends a request body as one gRPC message, capped at gRPC's default 4 MiB: uploads are
    // also compared at 3 MB, which it can carry, before the full size.
    const smallUp = await measure('up', SMALL_UP_BYTES);
    const latencyMs = await latencyRound(0);
    for (const agent of latencyAgents.values()) agent.destroy();
    const up = await measure('up', sizeBytes);
    const pick = (map: typeof down, name: Path['name'], field: 'ms' | 'cpuSecondsPerGB') =>
      map.get(name)?.[field] ?? null;
    const medianMs = Object.fromEntries(
      (['ours', 'floor', 'birger'] as const).map((name) => [
        name,
        { down: pick(down, name, 'ms'), up: pick(up, name, 'ms') },
      ]),
    ) as PeerComparison['medianMs'];
    const cpuSecondsPerGB = Object.fromEntries(
      (['ours', 'floor', 'birger'] as const).map((name) => [
        name,
        { down: pick(down, name, 'cpuSecondsPerGB'), up: pick(up, name, 'cpuSecondsPerGB') },
      ]),
    ) as PeerComparison['cpuSecondsPerGB'];
    const smallUpMs = {
      ours: pick(smallUp, 'ours', 'ms'),
      floor: pick(smallUp, 'floor', 'ms'),
      birger: pick(smallUp, 'birger', 'ms'),
    };
    const ratio = (slow: number | null, fast: number | null): number | null =>
      slow === null || fast === null ? null : round(slow / fast);
    const each = (numerator: Path['name'], denominator: Path['name']): PerDirection<number | null> => ({
      up: ratio(medianMs[denominator].up, medianMs[numerator].up),
      down: ratio(medianMs[denominator].down, medianMs[numerator].down),
    });
    if (Object.keys(errors).length) birgerState.errors = { ...birgerState.errors, ...errors };
    return {
      sizeMB: sizeBytes / MB,
      runs: options.runs,
      vsFloor: each('ours', 'floor'),
      vsBirger: each('ours', 'birger'),
      birgerVsFloor: each('birger', 'floor'),
      cpuSecondsPerGB,
      medianMs,
      latencyMs,
      earlyLatencyMs,
      upAt3MB: {
        vsFloor: ratio(smallUpMs.floor, smallUpMs.ours),
        vsBirger: ratio(smallUpMs.birger, smallUpMs.ours),
        birgerVsFloor: ratio(smallUpMs.floor, smallUpMs.birger),
        medianMs: smallUpMs,
      },
      birger: birgerState,
    };
  } finally {
    birger?.stop();
    for (const child of floor.children) child.child.kill('SIGKILL');
    for (const path of paths) path.agent.destroy();
  }
}
