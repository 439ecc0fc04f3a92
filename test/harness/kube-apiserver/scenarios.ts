import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { KubectlSession } from './kubectl';
import { kubectlMinorVersion } from './kubectl';
import type { KubeApiServer } from './server';

// The kubectl behaviours the harness (and the tunnel in front of it) must support, written once and run
// both directly against the harness and through the controller/agent tunnel. Each returns after its own
// assertions; they use the jest `expect` global.

/** What every scenario gets: kubectl (bound to some kubeconfig), the harness behind it, a fresh namespace. */
export interface ScenarioContext {
  kubectl: KubectlSession;
  server: KubeApiServer;
  namespace: string;
}

/** Creates the namespace and one running pod `web-0` (container `main`, port 8080) in it. */
export function seedNamespace({ server, namespace }: ScenarioContext): void {
  server.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  server.store.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace, labels: { app: 'web', tier: 'front' } },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'nginx:1.27',
          ports: [{ containerPort: 8080 }],
          env: [{ name: 'GREETING', value: 'hello' }],
        },
      ],
    },
  });
  server.store.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'db-0', namespace, labels: { app: 'db' } },
    spec: { containers: [{ name: 'postgres', image: 'postgres:16' }] },
  });
}

function expectSuccess(result: { code: number | null; stdout: string; stderr: string }): string {
  if (result.code !== 0) throw new Error(`kubectl exited ${String(result.code)}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** `kubectl get pods`: server-side printing (Table) with the columns kubectl shows. */
export async function getPrintsServerSideTable({ kubectl, namespace }: ScenarioContext): Promise<void> {
  const output = expectSuccess(await kubectl.run(['get', 'pods', '-n', namespace]));
  const lines = output.trim().split('\n');
  expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
  expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 3).join(' '))).toEqual([
    'db-0 1/1 Running',
    'web-0 1/1 Running',
  ]);
}

/** The upgrade kubectl uses first for exec (WebSocket since 1.30) and port-forward (since 1.31). */
export async function expectedFirstUpgrade(kind: 'exec' | 'portforward'): Promise<'websocket' | 'SPDY/3.1'> {
  const minor = await kubectlMinorVersion();
  return minor >= (kind === 'exec' ? 30 : 31) ? 'websocket' : 'SPDY/3.1';
}

/** `kubectl logs -f`: existing lines, then new ones as they are written, for as long as the client stays. */
export async function logsFollowStreams({ kubectl, server, namespace }: ScenarioContext, idleMs = 0): Promise<void> {
  server.store.appendPodLog(namespace, 'web-0', 'line one');
  const follow = kubectl.spawn(['logs', '-f', 'web-0', '-n', namespace, '--request-timeout=0']);
  try {
    await follow.waitFor('line one\n');
    server.store.appendPodLog(namespace, 'web-0', 'line two');
    await follow.waitFor('line two\n');
    if (idleMs > 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    server.store.appendPodLog(namespace, 'web-0', 'line three');
    await follow.waitFor('line three\n');
    expect(follow.output()).toBe('line one\nline two\nline three\n');
  } finally {
    await follow.stop();
  }
  const tail = expectSuccess(await kubectl.run(['logs', 'web-0', '-n', namespace, '--tail=1']));
  expect(tail).toBe('line three\n');
}

/** `kubectl exec`: stdout, stdin (`cat`), stderr and the remote exit code, over whichever stream protocol. */
export async function execRunsCommands({ kubectl, namespace }: ScenarioContext): Promise<void> {
  expect(expectSuccess(await kubectl.run(['exec', 'web-0', '-n', namespace, '--', 'echo', 'hello', 'world']))).toBe(
    'hello world\n',
  );
  expect(
    expectSuccess(
      await kubectl.run(['exec', '-i', 'web-0', '-n', namespace, '--', 'cat'], { stdin: 'from stdin\nsecond line\n' }),
    ),
  ).toBe('from stdin\nsecond line\n');
  expect(expectSuccess(await kubectl.run(['exec', 'web-0', '-n', namespace, '--', 'printenv', 'GREETING']))).toBe(
    'hello\n',
  );
  const failed = await kubectl.run(['exec', 'web-0', '-n', namespace, '--', 'sh', '-c', 'echo-stderr broken; exit 3']);
  expect(failed.code).toBe(3);
  expect(failed.stderr).toContain('broken');
  expect(failed.stderr).toContain('command terminated with exit code 3');
}

/** Starts a TCP echo server for port-forward tests. */
export async function startEchoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function echoThrough(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let length = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`echo through port ${port}: got ${length} of ${payload.length} bytes`));
    }, 10_000);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      length += chunk.length;
      if (length >= payload.length) {
        clearTimeout(timer);
        socket.end();
        resolve(Buffer.concat(received));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * `kubectl port-forward pod/web-0 :8080`: two local connections, one after the other and one large
 * (256 KiB), each echoed byte for byte by the server behind the pod port.
 */
export async function portForwardCarriesBytes({ kubectl, namespace }: ScenarioContext): Promise<void> {
  const forward = kubectl.spawn(['port-forward', '-n', namespace, 'pod/web-0', ':8080', '--address=127.0.0.1']);
  try {
    const output = await forward.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
    const localPort = Number(/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
    expect((await echoThrough(localPort, Buffer.from('ping\n'))).toString()).toBe('ping\n');
    const large = Buffer.alloc(256 * 1024);
    for (let index = 0; index < large.length; index += 1) large[index] = index % 251;
    expect((await echoThrough(localPort, large)).equals(large)).toBe(true);
  } finally {
    await forward.stop();
  }
}

/** `kubectl attach -i`: joins the container's main process, which echoes stdin back. */
export async function attachEchoesStdin({ kubectl, namespace }: ScenarioContext): Promise<void> {
  const result = await kubectl.run(['attach', '-i', 'web-0', '-n', namespace], { stdin: 'attached input\n' });
  expect(result.code).toBe(0);
  expect(result.stdout).toBe('attached input\n');
}

/**
 * An apiserver that dies mid-stream: `kubectl logs -f` must end with an error (non-zero exit, "unexpected
 * EOF"), never as if the log had simply finished — a truncated stream must not look complete.
 */
export async function brokenLogStreamIsAnError({ kubectl, server, namespace }: ScenarioContext): Promise<void> {
  server.store.appendPodLog(namespace, 'web-0', 'before the crash');
  const follow = kubectl.spawn(['logs', '-f', 'web-0', '-n', namespace, '--request-timeout=0']);
  try {
    await follow.waitFor('before the crash\n');
    server.dropConnections();
    const code = await new Promise<number | null>((resolve) => {
      if (follow.child.exitCode !== null) resolve(follow.child.exitCode);
      else follow.child.once('close', (exitCode) => resolve(exitCode));
    });
    expect(code).not.toBe(0);
    expect(follow.errors()).toMatch(/unexpected EOF|INTERNAL_ERROR|stream error|connection reset/i);
  } finally {
    await follow.stop();
  }
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** An interactive `kubectl exec -i -- cat` that sits idle for `idleMs`, then still echoes and exits 0. */
export async function execSessionSurvivesIdle({ kubectl, namespace }: ScenarioContext, idleMs: number): Promise<void> {
  const session = kubectl.spawn(['exec', '-i', 'web-0', '-n', namespace, '--', 'cat']);
  try {
    session.child.stdin.write('first\n');
    await session.waitFor('first\n');
    await sleep(idleMs);
    session.child.stdin.write('second\n');
    await session.waitFor('first\nsecond\n');
    session.child.stdin.end();
    const code = await new Promise<number | null>((resolve) => {
      if (session.child.exitCode !== null) resolve(session.child.exitCode);
      else session.child.once('close', (exitCode) => resolve(exitCode));
    });
    expect(code).toBe(0);
  } finally {
    await session.stop();
  }
}

/** One port-forwarded TCP connection that sits idle for `idleMs` between two echoes. */
export async function portForwardSurvivesIdle({ kubectl, namespace }: ScenarioContext, idleMs: number): Promise<void> {
  const forward = kubectl.spawn(['port-forward', '-n', namespace, 'pod/web-0', ':8080', '--address=127.0.0.1']);
  try {
    const output = await forward.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
    const socket = net.connect(Number(/127\.0\.0\.1:(\d+)/.exec(output)?.[1]), '127.0.0.1');
    let received = '';
    const receivedText = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`port-forward echo: waited for "${text}", got "${received}"`)),
          10_000,
        );
        const check = () => {
          if (received.includes(text)) {
            clearTimeout(timer);
            socket.off('data', check);
            resolve();
          }
        };
        socket.on('data', check);
        check();
      });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    socket.write('before idle\n');
    await receivedText('before idle\n');
    await sleep(idleMs);
    socket.write('after idle\n');
    await receivedText('after idle\n');
    socket.destroy();
  } finally {
    await forward.stop();
  }
}

/**
 * `kubectl cp` both ways: a 1 MiB random binary file into the pod (a Go tar stream into `tar -xmf -`
 * over exec stdin), a file and a directory tree out of it (`tar cf -` over exec stdout), byte for byte.
 */
export async function copyFilesBothWays({ kubectl, server, namespace }: ScenarioContext): Promise<void> {
  const files = server.store.podFiles(namespace, 'web-0');
  const local = join(kubectl.directory, `cp-${namespace}`);
  mkdirSync(local, { recursive: true });
  const upload = randomBytes(1024 * 1024);
  writeFileSync(join(local, 'upload.bin'), upload);
  expectSuccess(
    await kubectl.run(['cp', join(local, 'upload.bin'), `${namespace}/web-0:/tmp/upload.bin`], { timeoutMs: 30_000 }),
  );
  expect(files.read('/tmp/upload.bin')?.equals(upload)).toBe(true);

  files.write('/etc/motd', Buffer.from('welcome to web-0\n'));
  files.write('/data/a.txt', Buffer.from('alpha\n'));
  files.write('/data/sub/b.bin', Buffer.from([0, 1, 2, 255, 254]));
  expectSuccess(await kubectl.run(['cp', `${namespace}/web-0:/etc/motd`, join(local, 'motd')]));
  expect(readFileSync(join(local, 'motd'), 'utf8')).toBe('welcome to web-0\n');
  expectSuccess(await kubectl.run(['cp', `${namespace}/web-0:/data`, join(local, 'data')]));
  expect(readFileSync(join(local, 'data', 'a.txt'), 'utf8')).toBe('alpha\n');
  expect([...readFileSync(join(local, 'data', 'sub', 'b.bin'))]).toEqual([0, 1, 2, 255, 254]);
  // A missing source: tar fails in the pod, nothing is written locally (kubectl's exit code races its own
  // untar against the exec status, so it is not pinned).
  await kubectl.run(['cp', `${namespace}/web-0:/nope`, join(local, 'nope')]);
  expect(existsSync(join(local, 'nope'))).toBe(false);
}
