// The shared test helper startKubeApiServer(): a real etcd + kube-apiserver, an admin kubeconfig that
// kubectl accepts, a server that refuses anyone else, and a stop() that leaves nothing behind.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { startKubeApiServer, type KubeApiServer } from '@isd/test-support';

const run = promisify(execFile);
let server: KubeApiServer;

beforeAll(async () => {
  server = await startKubeApiServer();
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

function getWithoutCredentials(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

it('gives a kubeconfig with which kubectl creates, reads and deletes objects as a cluster admin', async () => {
  const kubectl = (...args: string[]) => run('kubectl', ['--kubeconfig', server.kubeconfigPath, ...args]);
  expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  await kubectl('create', 'namespace', 'helper-check');
  await kubectl('-n', 'helper-check', 'create', 'configmap', 'one', '--from-literal=a=b');
  const { stdout } = await kubectl('-n', 'helper-check', 'get', 'configmap', 'one', '-o', 'jsonpath={.data.a}');
  expect(stdout).toBe('b');
  const { stdout: allowed } = await kubectl('auth', 'can-i', '*', '*', '--all-namespaces');
  expect(allowed.trim()).toBe('yes');
  await kubectl('delete', 'namespace', 'helper-check', '--wait=false');
});

it('serves a certificate from the kubeconfig CA and, with RBAC, refuses an anonymous caller', async () => {
  const kubeconfig = JSON.parse(fs.readFileSync(server.kubeconfigPath, 'utf8')) as {
    clusters: { cluster: { 'certificate-authority-data': string } }[];
  };
  const ca = Buffer.from(kubeconfig.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString();
  const response = await getWithoutCredentials(`${server.url}/api/v1/namespaces`, ca);
  expect(response.status).toBe(403);
  expect(response.body).toContain('system:anonymous');
});

it('stops both processes and removes its files (and a second stop is harmless)', async () => {
  const dir = path.dirname(server.kubeconfigPath);
  await server.stop();
  expect(fs.existsSync(dir)).toBe(false);
  await expect(getWithoutCredentials(`${server.url}/readyz`, '')).rejects.toThrow(/ECONNREFUSED/);
  await server.stop();
});
