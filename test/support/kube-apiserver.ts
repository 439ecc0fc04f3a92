// A real kube-apiserver backed by a real etcd, both built by scripts/install-test-tools.sh, for tests that
// need the Kubernetes API itself (validation, server-side apply, watches, field managers). There is no
// kubelet or controller-manager: objects are stored and served, pods never run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './processes';
import { requireTool } from './tools';

/** A started kube-apiserver: an admin kubeconfig for it, its URL, and a way to stop it and its etcd. */
export interface StartedKubeApiServer {
  kubeconfigPath: string;
  url: string;
  /** The serving CA (PEM) and the admin bearer token, as written into the kubeconfig. */
  caPem: string;
  token: string;
  stop(): Promise<void>;
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function readyz(url: string, caPem: string, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.request(new URL('/readyz', url), {
      ca: caPem,
      headers: { authorization: `Bearer ${token}` },
      timeout: 2_000,
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Starts etcd and kube-apiserver on free loopback ports in a temporary directory, with a CA and serving
 * certificate made here (127.0.0.1 and localhost), a static admin token (system:masters) and RBAC.
 * Resolves once /readyz answers 200.
 */
export async function startKubeApiServer(options: { timeoutMs?: number } = {}): Promise<StartedKubeApiServer> {
  const etcdBinary = requireTool('etcd');
  const apiServerBinary = requireTool('kube-apiserver');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-apiserver-'));
  const file = (name: string) => path.join(dir, name);
  const output: string[] = [];
  const children: ChildProcess[] = [];
  const run = (binary: string, args: string[], name: string): ChildProcess => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      output.push(`[${name}] ${chunk.toString()}`);
      if (output.length > 400) output.splice(0, output.length - 400);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    children.push(child);
    return child;
  };
  const stop = async (): Promise<void> => {
    for (const child of [...children].reverse()) await stopProcess(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=test-kube-ca',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
    ]);
    openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=kube-apiserver',
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
    ]);
    fs.writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    openssl([
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      file('server.ext'),
      '-out',
      file('server.crt'),
    ]);
    openssl(['genrsa', '-out', file('sa.key'), '2048']);
    const token = randomBytes(24).toString('hex');
    fs.writeFileSync(file('tokens.csv'), `${token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });

    const etcdClient = await freePort();
    const etcdPeer = await freePort();
    run(
      etcdBinary,
      [
        '--data-dir',
        file('etcd'),
        '--listen-client-urls',
        `http://127.0.0.1:${etcdClient}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${etcdClient}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${etcdPeer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${etcdPeer}`,
        '--initial-cluster',
        `default=http://127.0.0.1:${etcdPeer}`,
        '--log-level',
        'warn',
      ],
      'etcd',
    );
    const port = await freePort();
    run(
      apiServerBinary,
      [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${port}`,
        `--tls-cert-file=${file('server.crt')}`,
        `--tls-private-key-file=${file('server.key')}`,
        `--token-auth-file=${file('tokens.csv')}`,
        '--authorization-mode=RBAC',
        `--service-account-key-file=${file('sa.key')}`,
        `--service-account-signing-key-file=${file('sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        '--service-cluster-ip-range=10.96.0.0/16',
        `--cert-dir=${file('certs')}`,
        '--enable-priority-and-fairness=false',
      ],
      'kube-apiserver',
    );
    const url = `https://127.0.0.1:${port}`;
    const caPem = fs.readFileSync(file('ca.crt'), 'utf8');
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    while (!(await readyz(url, caPem, token))) {
      const exited = children.find((child) => child.exitCode !== null);
      if (exited) throw new Error(`${exited.spawnargs[0]} exited with ${exited.exitCode}`);
      if (Date.now() > deadline) throw new Error(`kube-apiserver not ready within ${options.timeoutMs ?? 120_000} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const kubeconfigPath = file('kubeconfig');
    fs.writeFileSync(
      kubeconfigPath,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '  - name: test',
        '    cluster:',
        `      server: ${url}`,
        `      certificate-authority-data: ${Buffer.from(caPem).toString('base64')}`,
        'users:',
        '  - name: admin',
        '    user:',
        `      token: ${token}`,
        'contexts:',
        '  - name: test',
        '    context: { cluster: test, user: admin }',
        'current-context: test',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return { kubeconfigPath, url, caPem, token, stop };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output.join('').slice(-4_000)}`);
  }
}
