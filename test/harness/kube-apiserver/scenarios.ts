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

/** `kubectl get -l ... -o json`: label selectors filter server-side; the list is a typed PodList. */
export async function getFiltersByLabelSelector({ kubectl, namespace }: ScenarioContext): Promise<void> {
  const list = JSON.parse(
    expectSuccess(await kubectl.run(['get', 'pods', '-n', namespace, '-l', 'app in (web),tier=front', '-o', 'json'])),
  ) as {
    items: { metadata: { name: string } }[];
  };
  expect(list.items.map((item) => item.metadata.name)).toEqual(['web-0']);
  const none = expectSuccess(await kubectl.run(['get', 'pods', '-n', namespace, '-l', 'app=missing', '-o', 'name']));
  expect(none.trim()).toBe('');
}

/** `kubectl get` of a missing object: the apiserver's 404 Status reaches the user verbatim. */
export async function getMissingObjectIsNotFound({ kubectl, namespace }: ScenarioContext): Promise<void> {
  const result = await kubectl.run(['get', 'configmap', 'nope', '-n', namespace]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('Error from server (NotFound): configmaps "nope" not found');
}

function manifest(namespace: string, color: string, image: string): string {
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: settings',
    `  namespace: ${namespace}`,
    'data:',
    `  color: ${color}`,
    '---',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    `  namespace: ${namespace}`,
    'spec:',
    '  replicas: 2',
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    '      containers:',
    '      - name: main',
    `        image: ${image}`,
    '        env: [{name: MODE, value: blue}]',
    '',
  ].join('\n');
}

/**
 * `kubectl apply -f -` twice: the first creates (POST, last-applied annotation recorded), the second
 * GETs and sends a strategic merge PATCH computed from the last-applied configuration.
 */
export async function clientSideApplyCreatesThenPatches({
  kubectl,
  server,
  namespace,
}: ScenarioContext): Promise<void> {
  const first = expectSuccess(
    await kubectl.run(['apply', '-f', '-'], { stdin: manifest(namespace, 'blue', 'nginx:1.26') }),
  );
  expect(first).toContain('configmap/settings created');
  expect(first).toContain('deployment.apps/web created');
  // Something else (an operator, a `kubectl set env`) adds an env var the manifest does not mention.
  expectSuccess(
    await kubectl.run([
      'patch',
      'deployment',
      'web',
      '-n',
      namespace,
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"EXTRA","value":"1"}]}]}}}}',
    ]),
  );
  const second = expectSuccess(
    await kubectl.run(['apply', '-f', '-'], { stdin: manifest(namespace, 'green', 'nginx:1.27') }),
  );
  expect(second).toContain('configmap/settings configured');
  expect(second).toContain('deployment.apps/web configured');
  expect(server.store.find('ConfigMap', namespace, 'settings')?.data).toEqual({ color: 'green' });
  const deployment = server.store.find('Deployment', namespace, 'web') as unknown as {
    spec: { template: { spec: { containers: { image: string; env: unknown[] }[] } } };
    metadata: { generation: number; annotations: Record<string, string> };
  };
  expect(deployment.spec.template.spec.containers[0]?.image).toBe('nginx:1.27');
  // Strategic merge by `name`: the manifest's env var and the one added out of band both survive.
  expect(deployment.spec.template.spec.containers[0]?.env).toEqual([
    { name: 'MODE', value: 'blue' },
    { name: 'EXTRA', value: '1' },
  ]);
  expect(deployment.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('nginx:1.27');
  expect(deployment.metadata.generation).toBe(3);
  const patches = server.requests.filter(
    (request) => request.method === 'PATCH' && request.url.includes(`/namespaces/${namespace}/configmaps/settings`),
  );
  expect(patches.at(-1)?.contentType).toBe('application/strategic-merge-patch+json');
  if ((await kubectlMinorVersion()) >= 25) expect(patches.at(-1)?.url).toContain('fieldValidation=Strict');
}

/** `kubectl apply --server-side`: one PATCH with `application/apply-patch+yaml` and a field manager. */
export async function serverSideApply({ kubectl, server, namespace }: ScenarioContext): Promise<void> {
  const output = expectSuccess(
    await kubectl.run(['apply', '--server-side', '--force-conflicts', '-f', '-'], {
      stdin: manifest(namespace, 'red', 'nginx:1.28'),
    }),
  );
  expect(output).toContain('configmap/settings serverside-applied');
  expect(server.store.find('ConfigMap', namespace, 'settings')?.data).toEqual({ color: 'red' });
  const apply = server.requests.filter(
    (request) =>
      request.method === 'PATCH' &&
      request.contentType === 'application/apply-patch+yaml' &&
      request.url.includes(`/namespaces/${namespace}/`),
  );
  expect(apply.length).toBeGreaterThanOrEqual(2);
  expect(apply[0]?.url).toContain('fieldManager=kubectl');
}

/**
 * Unknown fields: kubectl 1.25+ asks `fieldValidation=Strict` and the server refuses the object, naming
 * the field; older kubectl sends nothing, so the server's default (Warn) drops it and warns.
 */
export async function strictValidationRefusesUnknownFields({
  kubectl,
  server,
  namespace,
}: ScenarioContext): Promise<void> {
  const result = await kubectl.run(['apply', '-f', '-'], {
    stdin: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\n  namespace: ${namespace}\ndatta:\n  a: b\n`,
  });
  if ((await kubectlMinorVersion()) >= 25) {
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('strict decoding error: unknown field "datta"');
    expect(server.store.find('ConfigMap', namespace, 'typo')).toBeUndefined();
  } else {
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('unknown field "datta"');
    expect(server.store.find('ConfigMap', namespace, 'typo')).not.toHaveProperty('datta');
  }
}

/** The upgrade kubectl uses first for exec (WebSocket since 1.30) and port-forward (since 1.31). */
export async function expectedFirstUpgrade(kind: 'exec' | 'portforward'): Promise<'websocket' | 'SPDY/3.1'> {
  const minor = await kubectlMinorVersion();
  return minor >= (kind === 'exec' ? 30 : 31) ? 'websocket' : 'SPDY/3.1';
}

/** `kubectl patch` in all three formats: strategic (list merge by key), merge (null deletes), JSON patch. */
export async function patchInThreeFormats({ kubectl, server, namespace }: ScenarioContext): Promise<void> {
  server.store.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'patched', namespace },
    data: { a: '1', b: '2' },
  });
  expectSuccess(
    await kubectl.run([
      'patch',
      'configmap',
      'patched',
      '-n',
      namespace,
      '--type=merge',
      '-p',
      '{"data":{"a":null,"c":"3"}}',
    ]),
  );
  expect(server.store.find('ConfigMap', namespace, 'patched')?.data).toEqual({ b: '2', c: '3' });
  expectSuccess(
    await kubectl.run([
      'patch',
      'configmap',
      'patched',
      '-n',
      namespace,
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/data/b","value":"20"},{"op":"add","path":"/metadata/labels","value":{"x":"y"}}]',
    ]),
  );
  const patched = server.store.find('ConfigMap', namespace, 'patched');
  expect(patched?.data).toEqual({ b: '20', c: '3' });
  expect(patched?.metadata.labels).toEqual({ x: 'y' });
  expectSuccess(
    await kubectl.run([
      'patch',
      'pod',
      'web-0',
      '-n',
      namespace,
      '-p',
      '{"spec":{"containers":[{"name":"main","env":[{"name":"LEVEL","value":"debug"}]}]}}',
    ]),
  );
  const pod = server.store.find('Pod', namespace, 'web-0') as unknown as {
    spec: { containers: { image: string; env: unknown[] }[] };
  };
  expect(pod.spec.containers[0]?.image).toBe('nginx:1.27');
  expect(pod.spec.containers[0]?.env).toEqual([
    { name: 'GREETING', value: 'hello' },
    { name: 'LEVEL', value: 'debug' },
  ]);
  const invalid = await kubectl.run([
    'patch',
    'configmap',
    'patched',
    '-n',
    namespace,
    '--type=json',
    '-p',
    '[{"op":"remove","path":"/data/missing"}]',
  ]);
  expect(invalid.code).toBe(1);
  expect(invalid.stderr).toContain('"/data/missing" does not exist');
  expect(server.store.find('ConfigMap', namespace, 'patched')?.data).toEqual({ b: '20', c: '3' });
}

/** `kubectl delete`: the object goes away (kubectl waits for it) and a second delete is NotFound. */
export async function deleteRemovesObject({ kubectl, server, namespace }: ScenarioContext): Promise<void> {
  server.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'doomed', namespace }, data: {} });
  expect(expectSuccess(await kubectl.run(['delete', 'configmap', 'doomed', '-n', namespace]))).toContain(
    'configmap "doomed" deleted',
  );
  expect(server.store.find('ConfigMap', namespace, 'doomed')).toBeUndefined();
  const again = await kubectl.run(['delete', 'configmap', 'doomed', '-n', namespace]);
  expect(again.stderr).toContain('Error from server (NotFound): configmaps "doomed" not found');
}

/**
 * `kubectl get -w`: the list, then a chunked watch from its resourceVersion; each event arrives as its
 * own Table row as soon as it happens — also after `idleMs` of silence (oes-birger cut watches at 8–10 s).
 */
export async function watchSeesEvents({ kubectl, server, namespace }: ScenarioContext, idleMs = 0): Promise<void> {
  const watch = kubectl.spawn(['get', 'configmaps', '-n', namespace, '-w', '--request-timeout=0']);
  try {
    server.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before-watch', namespace }, data: {} });
    await watch.waitFor(/before-watch/);
    server.store.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched-1', namespace },
      data: { k: 'v' },
    });
    await watch.waitFor(/watched-1\s+1\s+/);
    if (idleMs > 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    server.store.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched-2', namespace },
      data: { a: '1', b: '2' },
    });
    await watch.waitFor(/watched-2\s+2\s+/);
    expect(watch.child.exitCode).toBeNull();
  } finally {
    await watch.stop();
  }
  const watchRequest = server.requests.find(
    (request) => request.url.includes(`/namespaces/${namespace}/configmaps?`) && request.url.includes('watch=true'),
  );
  expect(watchRequest?.url).toMatch(/resourceVersion=\d+/);
  expect(watchRequest?.accept).toContain('as=Table');
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
 * `kubectl get -o json` of a large list (Clouddriver caches this way; lists reach tens of MB): the
 * harness gzips it like the apiserver does, and every item arrives intact.
 */
export async function largeListArrivesWhole(
  { kubectl, server, namespace }: ScenarioContext,
  count = 1500,
): Promise<void> {
  const filler = 'x'.repeat(4096);
  for (let index = 0; index < count; index += 1) {
    server.store.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `bulk-${String(index).padStart(5, '0')}`, namespace },
      data: { index: String(index), filler },
    });
  }
  const result = await kubectl.run(['get', 'configmaps', '-n', namespace, '-o', 'json'], { timeoutMs: 30_000 });
  expect(result.code).toBe(0);
  const list = JSON.parse(result.stdout) as {
    items: { metadata: { name: string }; data: { index: string; filler: string } }[];
  };
  expect(list.items).toHaveLength(count);
  expect(list.items.every((item, index) => item.data.index === String(index) && item.data.filler === filler)).toBe(
    true,
  );
  const request = server.requests
    .filter((entry) => entry.url.startsWith(`/api/v1/namespaces/${namespace}/configmaps`))
    .at(-1);
  expect(request?.acceptEncoding).toContain('gzip');
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

/**
 * What Clouddriver runs on deployments besides apply: `scale` (the scale subresource), `rollout restart`,
 * `pause`/`resume` (strategic patches) and `rollout status` (a watch on the deployment until settled).
 */
export async function deploymentOperations({ kubectl, server, namespace }: ScenarioContext): Promise<void> {
  expectSuccess(await kubectl.run(['apply', '-f', '-'], { stdin: manifest(namespace, 'blue', 'nginx:1.26') }));
  expect(expectSuccess(await kubectl.run(['scale', 'deployment', 'web', '-n', namespace, '--replicas=4']))).toContain(
    'deployment.apps/web scaled',
  );
  const replicas = () => (server.store.find('Deployment', namespace, 'web')?.spec as { replicas: number }).replicas;
  expect(replicas()).toBe(4);
  expect(expectSuccess(await kubectl.run(['rollout', 'restart', 'deployment/web', '-n', namespace]))).toContain(
    'deployment.apps/web restarted',
  );
  const template = (
    server.store.find('Deployment', namespace, 'web')?.spec as {
      template: { metadata: { annotations?: Record<string, string> } };
    }
  ).template;
  expect(template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  expectSuccess(await kubectl.run(['rollout', 'pause', 'deployment/web', '-n', namespace]));
  expect((server.store.find('Deployment', namespace, 'web')?.spec as { paused?: boolean }).paused).toBe(true);
  expectSuccess(await kubectl.run(['rollout', 'resume', 'deployment/web', '-n', namespace]));
  expect((server.store.find('Deployment', namespace, 'web')?.spec as { paused?: boolean }).paused).toBeUndefined();
  const status = expectSuccess(
    await kubectl.run(['rollout', 'status', 'deployment/web', '-n', namespace, '--timeout=10s']),
  );
  expect(status).toContain('deployment "web" successfully rolled out');
  const invalid = await kubectl.run(['scale', 'deployment', 'web', '-n', namespace, '--replicas=-1']);
  expect(invalid.code).not.toBe(0);
  expect(replicas()).toBe(4);
}

/**
 * The rest of Clouddriver's kubectl vocabulary for manifests: `create -f -`, `replace -f -` (a PUT of the
 * whole object), a multi-kind `get -o json` (a v1 List across kinds), and `delete -f -`.
 */
export async function manifestLifecycle({ kubectl, server, namespace }: ScenarioContext): Promise<void> {
  const service = (port: number) =>
    `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: ${namespace}\nspec:\n  selector: {app: web}\n  ports: [{port: ${port}, targetPort: 8080}]\n`;
  expect(expectSuccess(await kubectl.run(['create', '-f', '-'], { stdin: service(80) }))).toContain(
    'service/web created',
  );
  const created = server.store.find('Service', namespace, 'web')?.spec as { clusterIP: string };
  expect(created.clusterIP).toMatch(/^10\.96\.0\.\d+$/);
  expect(expectSuccess(await kubectl.run(['replace', '-f', '-'], { stdin: service(443) }))).toContain(
    'service/web replaced',
  );
  const replaced = server.store.find('Service', namespace, 'web')?.spec as {
    ports: { port: number }[];
    clusterIP: string;
  };
  expect(replaced.ports.map((port) => port.port)).toEqual([443]);
  expect(replaced.clusterIP).toBe(created.clusterIP);
  const list = JSON.parse(
    expectSuccess(await kubectl.run(['get', 'services,pods', '-n', namespace, '-o', 'json'])),
  ) as {
    kind: string;
    items: { kind: string; metadata: { name: string } }[];
  };
  expect(list.kind).toBe('List');
  expect(list.items.map((item) => `${item.kind}/${item.metadata.name}`)).toEqual([
    'Service/web',
    'Pod/db-0',
    'Pod/web-0',
  ]);
  expect(expectSuccess(await kubectl.run(['delete', '-f', '-'], { stdin: service(443) }))).toContain(
    'service "web" deleted',
  );
  expect(server.store.find('Service', namespace, 'web')).toBeUndefined();
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
 * A burst of watch events (oes-birger v5 dropped data frames when its 10-slot channel was full): every
 * one of `count` quick writes reaches `kubectl get -w --watch-only -o name`, in order.
 */
export async function watchDeliversBurst({ kubectl, server, namespace }: ScenarioContext, count = 2000): Promise<void> {
  const watch = kubectl.spawn([
    'get',
    'configmaps',
    '-n',
    namespace,
    '-w',
    '--watch-only',
    '-o',
    'name',
    '--request-timeout=0',
  ]);
  try {
    // The watch is established once a probe object shows up; the burst follows at once.
    for (let attempt = 0; !watch.output().includes('configmap/probe'); attempt += 1) {
      server.store.put({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'probe', namespace },
        data: { attempt: String(attempt) },
      });
      await watch.waitFor('configmap/probe', 500).catch(() => undefined);
      if (attempt > 40) throw new Error(`the watch never started: ${watch.errors()}`);
    }
    for (let index = 0; index < count; index += 1) {
      server.store.put({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `burst-${index}`, namespace },
        data: { index: String(index) },
      });
    }
    await watch.waitFor(`configmap/burst-${count - 1}\n`, 30_000);
    const names = watch
      .output()
      .split('\n')
      .filter((line) => line.startsWith('configmap/burst-'));
    expect(names).toEqual(Array.from({ length: count }, (_, index) => `configmap/burst-${index}`));
  } finally {
    await watch.stop();
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

/**
 * `kubectl describe` and `kubectl get events --field-selector involvedObject...` (Clouddriver reads a
 * manifest's events this way): the simulated scheduler's, kubelet's and deployment controller's events.
 */
export async function describeShowsEvents({ kubectl, namespace }: ScenarioContext): Promise<void> {
  const described = expectSuccess(await kubectl.run(['describe', 'pod', 'web-0', '-n', namespace]));
  expect(described).toMatch(/^Name:\s+web-0$/m);
  expect(described).toMatch(/^Status:\s+Running$/m);
  expect(described).toMatch(
    /Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned .*\/web-0 to harness-node/,
  );
  const events = JSON.parse(
    expectSuccess(
      await kubectl.run([
        'get',
        'events',
        '-n',
        namespace,
        '--field-selector',
        'involvedObject.name=web-0,involvedObject.kind=Pod',
        '-o',
        'json',
      ]),
    ),
  ) as { items: { reason: string; involvedObject: { name: string } }[] };
  expect(events.items.map((event) => event.reason).sort()).toEqual(['Scheduled', 'Started']);
  const refused = await kubectl.run(['get', 'events', '-n', namespace, '--field-selector', 'spec.nothing=x']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('field label not supported: spec.nothing');
}
