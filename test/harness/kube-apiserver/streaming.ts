import net from 'node:net';
import type { WebSocket } from 'ws';
import type { ShellIo } from './exec-shell';
import { runShellCommand, StdinQueue } from './exec-shell';
import type { PodFileSystem } from './pod-files';
import type { KubeObject } from './resources';
import type { SpdyStream } from './spdy';
import { SpdySession } from './spdy';

/** What exec or attach asked for, from the query string. */
export interface RemoteCommandRequest {
  kind: 'exec' | 'attach';
  pod: KubeObject;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  files: PodFileSystem;
}

/** Resolves a pod port to where the harness forwards it (a local TCP server in tests). */
export type PodPortResolver = (
  namespace: string,
  podName: string,
  port: number,
) => { host: string; port: number } | undefined;

/** Output sinks and stdin for one remote command, whatever the wire protocol. */
interface CommandStreams {
  stdin: StdinQueue;
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
  /** Sends the final `metav1.Status` on the error channel and closes. */
  finish(status: Record<string, unknown>): void;
  signal: AbortSignal;
}

// The v4+ error-channel payload: Success, or Failure with the exit code as an `ExitCode` cause —
// kubectl turns that cause into its own exit status.
function exitStatus(command: readonly string[], exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

function containerEnv(request: RemoteCommandRequest): Record<string, string> {
  const spec = (request.pod.spec ?? {}) as {
    containers?: { name?: string; env?: { name: string; value?: string }[] }[];
  };
  const container = spec.containers?.find((candidate) => candidate.name === request.container);
  return Object.fromEntries((container?.env ?? []).map((entry) => [entry.name, entry.value ?? '']));
}

async function runCommand(
  request: RemoteCommandRequest,
  streams: CommandStreams,
  attachLines?: (listener: (line: string) => void) => () => void,
): Promise<void> {
  if (!request.stdin) streams.stdin.end();
  const io: ShellIo = {
    stdin: streams.stdin,
    stdout: (data) => {
      if (request.stdout) streams.stdout(typeof data === 'string' ? Buffer.from(data) : data);
    },
    stderr: (data) => {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      // With a TTY there is no separate stderr: it is merged into stdout, as a terminal would show it.
      if (request.tty) {
        if (request.stdout) streams.stdout(bytes);
      } else if (request.stderr) {
        streams.stderr(bytes);
      }
    },
    podName: request.pod.metadata.name ?? '',
    files: request.files,
    env: containerEnv(request),
    signal: streams.signal,
  };
  if (request.kind === 'attach') {
    // Attaching joins the container's main process: it echoes stdin and prints the pod's new log lines.
    const unsubscribe = attachLines?.((line) => io.stdout(line + '\n')) ?? (() => undefined);
    if (request.stdin) for await (const chunk of streams.stdin.read()) io.stdout(chunk);
    else await new Promise<void>((resolve) => streams.signal.addEventListener('abort', () => resolve()));
    unsubscribe();
    streams.finish(exitStatus([], 0));
    return;
  }
  const exitCode = await runShellCommand(request.command, io);
  streams.finish(exitStatus(request.command, exitCode));
}

// Channel numbers of the k8s.io channel protocols over WebSocket (one leading byte per message).
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE_SIGNAL = 255;
const STREAM_CREATION_TIMEOUT_MS = 30_000;
/** Stands for the container runtime starting the exec'd process (see serveWebSocketCommand). */
const PROCESS_START_MS = 25;

/** Runs exec/attach over a WebSocket speaking `v5.channel.k8s.io` or `v4.channel.k8s.io`. */
export function serveWebSocketCommand(
  socket: WebSocket,
  request: RemoteCommandRequest,
  attachLines?: (listener: (line: string) => void) => () => void,
): void {
  const abort = new AbortController();
  const stdin = new StdinQueue();
  const send = (channel: number, data: Buffer) => {
    if (socket.readyState === socket.OPEN) socket.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true });
  };
  socket.on('message', (message: Buffer, isBinary: boolean) => {
    const bytes = isBinary ? message : Buffer.from(message);
    if (bytes.length === 0) return;
    const channel = bytes.readUInt8(0);
    if (channel === STDIN) stdin.push(Buffer.from(bytes.subarray(1)));
    // v5 only: the client's "close stdin" signal, [255, channel].
    else if (channel === CLOSE_SIGNAL && bytes.readUInt8(1) === STDIN) stdin.end();
  });
  socket.on('close', () => {
    stdin.end();
    abort.abort();
  });
  // client-go's WebSocket executor starts reading before it registers its streams and drops a message for
  // a stream not yet registered ("Unknown stream id 2, discarding message"). A real kubelet answers only
  // after the container runtime has started the process, which is later than that; the harness starts
  // the command on a later timer turn so that a client on the other side of the tunnel is ready too.
  const started = new Promise<void>((resolve) => setTimeout(resolve, PROCESS_START_MS));
  void started.then(() =>
    runCommand(
      request,
      {
        stdin,
        stdout: (data) => send(STDOUT, data),
        stderr: (data) => send(STDERR, data),
        finish: (status) => {
          send(ERROR, Buffer.from(JSON.stringify(status)));
          if (socket.readyState === socket.OPEN) socket.close(1000);
        },
        signal: abort.signal,
      },
      attachLines,
    ),
  );
}

/** Runs exec/attach over a SPDY/3.1 session (`v4.channel.k8s.io` stream types), on an upgraded socket. */
export function serveSpdyCommand(
  socket: net.Socket,
  head: Buffer,
  request: RemoteCommandRequest,
  attachLines?: (listener: (line: string) => void) => () => void,
): void {
  const abort = new AbortController();
  const stdin = new StdinQueue();
  const streams = new Map<string, SpdyStream>();
  // The client opens one stream per requested channel before it sends anything; start once all are there.
  const expected = [
    'error',
    ...(request.stdin ? ['stdin'] : []),
    ...(request.stdout ? ['stdout'] : []),
    ...(request.stderr && !request.tty ? ['stderr'] : []),
  ];
  let started = false;
  // The kubelet gives the client 30 s to open every stream it asked for; so does the harness.
  const streamWait = setTimeout(() => {
    if (!started) socket.destroy();
  }, STREAM_CREATION_TIMEOUT_MS);
  streamWait.unref();
  const session = new SpdySession(
    (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    (stream) => {
      const type = stream.headers.streamtype ?? '';
      streams.set(type, stream);
      if (type === 'stdin') {
        stream.onData((chunk) => stdin.push(chunk));
        stream.onEnd(() => stdin.end());
      }
      if (!started && expected.every((name) => streams.has(name))) {
        started = true;
        start();
      }
    },
    () => socket.destroy(),
  );
  socket.on('data', (bytes: Buffer) => session.receive(bytes));
  if (head.length > 0) session.receive(head);
  socket.on('close', () => {
    session.transportClosed();
    stdin.end();
    abort.abort();
  });
  socket.on('error', () => undefined);
  const start = () =>
    void runCommand(
      request,
      {
        stdin,
        stdout: (data) => streams.get('stdout')?.write(data),
        stderr: (data) => streams.get('stderr')?.write(data),
        finish: (status) => {
          // Output streams end first so the client has copied all of stdout before it reads the status.
          streams.get('stdout')?.end();
          streams.get('stderr')?.end();
          const errorStream = streams.get('error');
          if (status.status !== 'Success') errorStream?.write(JSON.stringify(status));
          errorStream?.end();
          session.goAway();
          setTimeout(() => socket.end(), 50).unref();
        },
        signal: abort.signal,
      },
      attachLines,
    );
}

/** Serves port-forward streams (`portforward.k8s.io`: an error and a data stream per request id) on a SPDY session. */
export function servePortForwardSession(
  writeBytes: (bytes: Buffer) => void,
  namespace: string,
  podName: string,
  resolve: PodPortResolver,
  onProtocolError: (message: string) => void,
): SpdySession {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
  const sockets = new Set<net.Socket>();
  const session = new SpdySession(
    writeBytes,
    (stream) => {
      const requestId = stream.headers.requestid ?? '';
      const pair = pairs.get(requestId) ?? {};
      if (stream.headers.streamtype === 'error') pair.error = stream;
      else if (stream.headers.streamtype === 'data') pair.data = stream;
      else return stream.reset();
      pairs.set(requestId, pair);
      const { error, data } = pair;
      if (!error || !data) return;
      pairs.delete(requestId);
      const port = Number(data.headers.port);
      const target = Number.isInteger(port) ? resolve(namespace, podName, port) : undefined;
      if (!target) {
        error.write(`error forwarding port ${data.headers.port ?? ''} to pod ${podName}: no listener on that port`);
        error.end();
        data.end();
        return;
      }
      const upstream = net.connect(target.port, target.host);
      sockets.add(upstream);
      data.onData((chunk) => upstream.write(chunk));
      data.onEnd(() => upstream.end());
      upstream.on('data', (chunk: Buffer) => data.write(chunk));
      upstream.on('end', () => data.end());
      upstream.on('error', (cause: Error) => {
        error.write(`error forwarding port ${port} to pod ${podName}: ${cause.message}`);
        error.end();
        data.end();
      });
      upstream.on('close', () => sockets.delete(upstream));
    },
    onProtocolError,
    () => {
      for (const upstream of sockets) upstream.destroy();
    },
  );
  return session;
}
