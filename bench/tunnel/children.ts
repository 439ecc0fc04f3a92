// What the tunnel benchmark and its analysis tools (profile.ts, floor.ts) share: the processes they fork,
// the request body they stream and the bulk transfer they time.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

/** A forked bench process: what it reported when ready, and a way to ask it something over IPC. */
export interface Child<Ready> {
  child: ChildProcess;
  ready: Ready;
  ask<Reply>(message: Record<string, unknown>, replyType: string): Promise<Reply>;
}

/** Forks `script` (in this folder, through tsx) with one JSON argument; resolves on its first message. */
export function spawnChild<Ready>(script: string, argument: unknown, execArgv: string[] = []): Promise<Child<Ready>> {
  const child = fork(path.join(__dirname, script), [JSON.stringify(argument)], {
    execArgv: ['--import', 'tsx', ...execArgv],
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
 * One bulk transfer against the benchmark target's API at `base`: GET `/bytes?n=` (down) or POST
 * `/upload` (up) of `sizeBytes`; rejects unless it ends 200 with every byte received.
 */
export function transfer(
  base: string,
  agent: http.Agent,
  tls: https.RequestOptions,
  direction: 'down' | 'up',
  sizeBytes: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(direction === 'down' ? `/bytes?n=${sizeBytes}` : '/upload', base);
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, {
      method: direction === 'down' ? 'GET' : 'POST',
      agent,
      ...tls,
      headers: direction === 'up' ? { 'content-length': sizeBytes } : {},
    });
    req.on('response', (res) => {
      let received = 0;
      res.on('data', (data: Buffer) => (received += data.length));
      res.on('end', () =>
        res.statusCode === 200 && (direction === 'up' || received === sizeBytes)
          ? resolve()
          : reject(new Error(`${direction}: status ${res.statusCode}, ${received} bytes`)),
      );
    });
    req.on('error', reject);
    if (direction === 'down') req.end();
    else writeBody(req, sizeBytes);
  });
}
