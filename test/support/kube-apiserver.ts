// A real kube-apiserver backed by a real etcd, both started from the binaries scripts/install-test-tools.sh
// builds, on free loopback ports, with throwaway certificates. There is no kubelet: objects are stored
// and validated by the API server, but pods never run.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createTestCa, type TestCertificate } from './certificates';
import { freePort } from './processes';
import { requireTool } from './tools';

/** A running API server; `stop()` ends both processes and removes their files. */
export interface KubeApiServer {
  /** A kubeconfig whose current context is a cluster admin (client certificate in group system:masters). */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

export interface KubeApiServerOptions {
  /** How long to wait for /readyz; the default allows for two busy cores. */
  startTimeoutMs?: number;
}

/** A CA, the API server's serving certificate (127.0.0.1, localhost) and an admin client certificate. */
function createCertificates(): { ca: TestCertificate; serving: TestCertificate; admin: TestCertificate } {
  const ca = createTestCa('isd-test-kubernetes-ca');
  const serving = ca.issue({
    commonName: 'kube-apiserver',
    serverNames: ['127.0.0.1', 'localhost', 'kubernetes.default.svc'],
  });
  // The API server maps a client certificate's CN to the user and each O to a group.
  const admin = ca.issue({ commonName: 'isd-test-admin', organizations: ['system:masters'], client: true });
  return { ca, serving, admin };
}

/** A child process whose output is kept for error messages. */
interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

function startProcess(binary: string, args: string[]): Started {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    // The last 20 kB are enough to say why a start failed.
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // If the test process ends without stop() (a crash, a killed worker), don't leave the server running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  return { child, output: () => output, exited };
}

async function stopProcess(started: Started | undefined): Promise<void> {
  if (!started || started.child.exitCode !== null || started.child.signalCode !== null) return;
  started.child.kill('SIGTERM');
  const killed = setTimeout(() => started.child.kill('SIGKILL'), 10_000);
  await started.exited;
  clearTimeout(killed);
}

/** GET over loopback (http or https by the URL); resolves with the status and body, rejects on errors. */
function get(url: string, tls: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(url, { ...tls, method: 'GET', timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
    request.end();
  });
}

/**
 * Waits until `ready` resolves true, polling every 200 ms; fails at once when the process exits (with its
 * output) and after `timeoutMs` (with the last error).
 */
async function waitUntilReady(
  what: string,
  started: Started,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void started.exited.then(() => (exited = true));
  let lastProblem = 'not asked yet';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what} exited before it was ready:\n${started.output()}`);
    try {
      if (await ready()) return;
      lastProblem = 'not ready';
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms (${lastProblem}):\n${started.output()}`);
}

const portTaken = (output: string) => /address already in use/i.test(output);

/**
 * Starts etcd and a kube-apiserver on free loopback ports and returns an admin kubeconfig. Start one per
 * test file (startup takes seconds) and `stop()` it in afterAll.
 */
export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const startTimeoutMs = options.startTimeoutMs ?? 180_000;
  const etcdBinary = requireTool('etcd');
  const apiServerBinary = requireTool('kube-apiserver');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-kube-apiserver-'));
  const file = (name: string, content: string, mode = 0o600) => {
    const target = path.join(dir, name);
    fs.writeFileSync(target, content, { mode });
    return target;
  };

  const { ca, serving, admin } = createCertificates();
  const serviceAccountKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();
  const files = {
    ca: file('ca.crt', ca.certificatePem),
    servingCert: file('apiserver.crt', serving.certificatePem),
    servingKey: file('apiserver.key', serving.privateKeyPem),
    serviceAccountKey: file('service-account.key', serviceAccountKey),
  };

  let etcd: Started | undefined;
  let apiServer: Started | undefined;
  const stop = async () => {
    await stopProcess(apiServer);
    await stopProcess(etcd);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    // A port can be taken between freePort() and the bind; then the process says so and we try new ports.
    for (let attempt = 1; ; attempt++) {
      const [clientPort, peerPort] = [await freePort(), await freePort()];
      const etcdUrl = `http://127.0.0.1:${clientPort}`;
      const peerUrl = `http://127.0.0.1:${peerPort}`;
      fs.rmSync(path.join(dir, 'etcd'), { recursive: true, force: true });
      etcd = startProcess(etcdBinary, [
        '--name=isd-test',
        `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=isd-test=${peerUrl}`,
        '--listen-metrics-urls=',
        // Test data need not survive a crash; fsync on a busy disk would slow every write.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ]);
      try {
        await waitUntilReady(
          'etcd',
          etcd,
          async () => {
            const { status, body } = await get(`${etcdUrl}/health`);
            return status === 200 && /"health":\s*"true"/.test(body);
          },
          startTimeoutMs,
        );
      } catch (error) {
        if (attempt < 3 && portTaken(etcd.output())) continue;
        throw error;
      }

      const securePort = await freePort();
      const url = `https://127.0.0.1:${securePort}`;
      apiServer = startProcess(apiServerBinary, [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${securePort}`,
        `--cert-dir=${path.join(dir, 'certs')}`,
        `--tls-cert-file=${files.servingCert}`,
        `--tls-private-key-file=${files.servingKey}`,
        `--client-ca-file=${files.ca}`,
        `--service-account-key-file=${files.serviceAccountKey}`,
        `--service-account-signing-key-file=${files.serviceAccountKey}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=RBAC',
        // 127.0.0.1 is not a valid endpoint address for the `kubernetes` Service, so don't publish one.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
      ]);
      const tls = { ca: ca.certificatePem, cert: admin.certificatePem, key: admin.privateKeyPem };
      try {
        await waitUntilReady(
          'kube-apiserver',
          apiServer,
          async () => (await get(`${url}/readyz`, tls)).status === 200,
          startTimeoutMs,
        );
      } catch (error) {
        if (attempt < 3 && portTaken(apiServer.output())) {
          await stopProcess(apiServer);
          await stopProcess(etcd);
          continue;
        }
        throw error;
      }

      const kubeconfigPath = file('kubeconfig', kubeconfig(url, ca, admin));
      return { kubeconfigPath, url, stop };
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

function kubeconfig(url: string, ca: TestCertificate, admin: TestCertificate): string {
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  // JSON is YAML, and needs no YAML library here.
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'isd-test', cluster: { server: url, 'certificate-authority-data': base64(ca.certificatePem) } },
      ],
      users: [
        {
          name: 'isd-test-admin',
          user: {
            'client-certificate-data': base64(admin.certificatePem),
            'client-key-data': base64(admin.privateKeyPem),
          },
        },
      ],
      contexts: [{ name: 'isd-test', context: { cluster: 'isd-test', user: 'isd-test-admin', namespace: 'default' } }],
      'current-context': 'isd-test',
    },
    null,
    2,
  );
}
