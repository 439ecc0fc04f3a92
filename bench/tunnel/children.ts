// What the tunnel benchmark and its analysis tools (profile.ts, floor.ts) share: the processes they fork,
// the request body they stream and the bulk transfer they time.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { PerformanceObserver, constants, monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { TUNNEL_NODE_FLAGS } from '@isd/controller';

/** A forked bench process: what it reported when ready, and a way to ask it something over IPC. */
export interface Child<Ready> {
  child: ChildProcess;
  ready: Ready;
  ask<Reply>(message: Record<string, unknown>, replyType: string): Promise<Reply>;
}

/**
 * Built (`npm run bench:tunnel` compiles the bench, whose imports then resolve to the packages' dist/), the
 * children run compiled code as production does; run from source, they go through tsx, whose transformed
 * closures cost measurably more per request (bench/README.md).
 */
const compiled = path.extname(__filename) === '.js';

/** The processes that stand for the tunnel's two ends (ours, and the floor's relays). */
const TUNNEL_PROCESSES = new Set(['controller-process.ts', 'agent-process.ts', 'floor-relay.ts']);

/**
 * Forks `script` (in this folder) with one JSON argument; resolves on its first message.
 * The tunnel's ends get the Node flags the image runs the controller and agent with, unless `nodeFlags`
 * is false (to measure what they change).
 */
export function spawnChild<Ready>(
  script: string,
  argument: unknown,
  execArgv: string[] = [],
  nodeFlags = true,
): Promise<Child<Ready>> {
  const flags = nodeFlags && TUNNEL_PROCESSES.has(script) ? TUNNEL_NODE_FLAGS : [];
  const file = compiled ? script.replace(/\.ts$/, '.js') : script;
  const child = fork(path.join(__dirname, file), [JSON.stringify(argument)], {
    execArgv: [...(compiled ? [] : ['--import', 'tsx']), ...flags, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <Reply>(message: Record<string, unknown>, replyType: string): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const onMessage = (reply: { type: string; message?: string }): void => {
        if (reply.type === replyType) {
          child.off('message', onMessage);
          resolve(reply as Reply);
        } else if (reply.type === 'error') {
          child.off('message', onMessage);
          reject(new Error(reply.message));
        }
      };
      child.on('message', onMessage);
      child.send(message);
    });
  return new Promise((resolve, reject) => {
    child.once('message', (message: Ready) => resolve({ child, ready: message, ask }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** In a child: this process's CPU so far, as the answer to a `{ type: 'cpu' }` request. */
export function cpuReply(): { type: 'cpu'; cpuMs: number; userMs: number; systemMs: number } {
  const usage = process.cpuUsage();
  return {
    type: 'cpu',
    cpuMs: (usage.user + usage.system) / 1000,
    userMs: usage.user / 1000,
    systemMs: usage.system / 1000,
  };
}

/** Event-loop stalls of one process over a measurement window: what a slow request may have waited on. */
export interface Stalls {
  /** Longest and 99th-percentile event-loop delay (monitorEventLoopDelay, 1 ms resolution). */
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  /** Garbage collections in the window, the longest one's pause, and how many were full (mark-compact). */
  gcCount: number;
  gcMaxMs: number;
  majorGcCount: number;
  /** CPU (user + system) the process used in the window: a long delay with little CPU was the machine, not us. */
  cpuMs: number;
}

/**
 * Watches this process's event loop and garbage collector between start() and stop(). Only during the
 * window: the 1 ms delay timer would otherwise add wake-ups to every CPU-per-GB figure. The delay monitor's
 * first tick is its baseline, so a stall in the window's first millisecond or so is not seen.
 */
export class StallWatch {
  private delay: IntervalHistogram | undefined;
  private observer: PerformanceObserver | undefined;
  private gcDurations: number[] = [];
  private majorGcs = 0;
  private cpuAtStart = process.cpuUsage();

  start(): void {
    this.stop();
    this.gcDurations = [];
    this.majorGcs = 0;
    this.cpuAtStart = process.cpuUsage();
    this.delay = monitorEventLoopDelay({ resolution: 1 });
    this.delay.enable();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.gcDurations.push(entry.duration);
        const { detail } = entry as { detail?: { kind?: number } };
        if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.majorGcs += 1;
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): Stalls {
    const cpu = process.cpuUsage(this.cpuAtStart);
    const delay = this.delay;
    delay?.disable();
    this.observer?.disconnect();
    this.delay = undefined;
    this.observer = undefined;
    const ms = (nanoseconds: number | undefined): number => Number(((nanoseconds ?? 0) / 1e6).toFixed(2));
    return {
      loopDelayMaxMs: ms(delay?.max),
      loopDelayP99Ms: ms(delay?.percentile(99)),
      gcCount: this.gcDurations.length,
      gcMaxMs: Number(Math.max(0, ...this.gcDurations).toFixed(2)),
      majorGcCount: this.majorGcs,
      cpuMs: Number(((cpu.user + cpu.system) / 1000).toFixed(1)),
    };
  }
}

/**
 * In a child: answers `{ type: 'stalls-start' }` (ack `stalls-started`) and `{ type: 'stalls' }` (the window's
 * Stalls); false for any other message.
 */
export function answerStalls(watch: StallWatch, message: { type: string }): boolean {
  if (message.type === 'stalls-start') {
    watch.start();
    process.send?.({ type: 'stalls-started' });
    return true;
  }
  if (message.type === 'stalls') {
    process.send?.({ type: 'stalls', ...watch.stop() });
    return true;
  }
  return false;
}

/** Writes `sizeBytes` of filler to the request in 64 KiB pieces, honouring backpressure, then ends it. */
export function writeBody(req: http.ClientRequest, sizeBytes: number): void {
  const piece = Buffer.alloc(64 * 1024, 121);
  let sent = 0;
  const pump = (): void => {
    while (sent < sizeBytes) {
      const slice = sizeBytes - sent >= piece.length ? piece : piece.subarray(0, sizeBytes - sent);
      sent += slice.length;
      if (!req.write(slice)) {
        req.once('drain', pump);
        return;
      }
    }
    req.end();
  };
  pump();
}

/**
 * CPU time (user + system) of processes so far, from /proc: the same measure for Node and Go processes
 * (the tunnel, the floor's relays, oes-birger).
 */
export function processCpuMs(pids: number[]): number {
  const ticksPerSecond = 100; // USER_HZ, 100 on Linux
  let ticks = 0;
  for (const pid of pids) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ") "; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks / ticksPerSecond) * 1000;
}

/**
 * One bulk transfer against the benchmark target's API at `base`: GET `/bytes?n=` (down) or POST
 * `/upload` (up) of `sizeBytes`; rejects unless it ends 200 with every byte received.
 */
export function transfer(
  base: string,
  agent: http.Agent,
  tls: https.RequestOptions,
  direction: 'down' | 'up',
  sizeBytes: number,
  headers: Record<string, string> = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(direction === 'down' ? `/bytes?n=${sizeBytes}` : '/upload', base);
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, {
      method: direction === 'down' ? 'GET' : 'POST',
      agent,
      ...tls,
      headers: { ...headers, ...(direction === 'up' ? { 'content-length': sizeBytes } : {}) },
    });
    // A peer that stops answering must fail the measurement, not hang the bench.
    req.setTimeout(120_000, () => req.destroy(new Error(`${direction}: no progress for 120 s`)));
    req.on('response', (res) => {
      let received = 0;
      let text = '';
      res.on('data', (data: Buffer) => {
        received += data.length;
        if (direction === 'up') text += data.toString();
      });
      res.on('end', () => {
        // Down: every byte arrived. Up: the target answers how many bytes it received.
        const complete = direction === 'down' ? received === sizeBytes : text === String(sizeBytes);
        if (res.statusCode === 200 && complete) resolve();
        else reject(new Error(`${direction}: status ${res.statusCode}, ${received} bytes: ${text.slice(0, 200)}`));
      });
    });
    req.on('error', reject);
    if (direction === 'down') req.end();
    else writeBody(req, sizeBytes);
  });
}
