import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { CertificateAuthority, type RunningController } from '@isd/controller';
import { startAgent, type RunningAgent } from '@isd/agent';
import { call, startLocalController } from './tunnel-support';

const run = promisify(execFile);

describe('kubernetes service through the tunnel', () => {
  let clusterCa: CertificateAuthority;
  const seen: Array<{ url: string; authorization?: string }> = [];
  let apiserver: https.Server;
  let apiserverUrl: string;
  let controller: RunningController;
  let agent: RunningAgent;
  let directory: string;

  beforeAll(async () => {
    // The "apiserver" has its own CA, unrelated to the tunnel CA, as in a real cluster.
    clusterCa = await CertificateAuthority.generate('cluster CA');
    const serving = await clusterCa.issue(
      { purpose: 'server', name: 'apiserver' },
      { dnsNames: ['127.0.0.1', 'localhost'] },
    );
    apiserver = https.createServer({ key: serving.keyPem, cert: serving.certPem }, (req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      if (req.headers.authorization !== 'Bearer sa-token') {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"kind":"Status","code":401}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0-tunnel-test', path: req.url }));
    });
    await new Promise<void>((resolve) => apiserver.listen(0, '127.0.0.1', resolve));
    apiserverUrl = `https://127.0.0.1:${(apiserver.address() as AddressInfo).port}`;
    controller = await startLocalController();
    const agentKubeconfig = stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: {
            server: apiserverUrl,
            'certificate-authority-data': Buffer.from(clusterCa.certPem).toString('base64'),
          },
        },
      ],
      users: [{ name: 'u', user: { token: 'sa-token' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    });
    const wrongCa = await CertificateAuthority.generate('not the cluster CA');
    agent = await startAgent({
      controllers: [controller.agentUrl],
      serverName: 'localhost',
      credentials: await controller.issueAgentCredentials('cluster-k8s'),
      services: [
        { name: 'prod', type: 'kubernetes', kubeconfig: agentKubeconfig },
        // Same apiserver, but trusting the wrong CA: the agent must refuse to talk to it.
        {
          name: 'pinned',
          type: 'kubernetes',
          url: apiserverUrl,
          caPem: wrongCa.certPem,
          credentials: { type: 'bearer', token: 'sa-token' },
        },
      ],
      healthPort: null,
    });
    await agent.waitUntilConnected(5_000);
    directory = mkdtempSync(path.join(os.tmpdir(), 'tunnel-kube-'));
  });
  afterAll(async () => {
    await agent.stop();
    await controller.stop();
    apiserver.closeAllConnections();
    await new Promise((resolve) => apiserver.close(resolve));
    rmSync(directory, { recursive: true, force: true });
  });

  it.each(['cert', 'token'] as const)(
    'real kubectl works with the controller-generated kubeconfig (%s user)',
    async (shape) => {
      const file = path.join(directory, `kubeconfig-${shape}`);
      writeFileSync(file, (await controller.generateKubectlComponents('cluster-k8s', 'prod', { shape })).kubeconfig);
      const { stdout } = await run('kubectl', ['--kubeconfig', file, 'get', '--raw', '/version?x=%2F'], {
        timeout: 20_000,
      });
      expect(JSON.parse(stdout)).toMatchObject({ gitVersion: 'v1.32.0-tunnel-test', path: '/version?x=%2F' });
      // The apiserver saw the agent's ServiceAccount token, never the caller's credentials.
      expect(seen.at(-1)?.authorization).toBe('Bearer sa-token');
    },
  );

  it('verifies the apiserver CA: a target with an untrusted certificate is a 502, not a silent insecure call', async () => {
    const before = seen.length;
    const token = await controller.issueServiceToken('cluster-k8s', 'kubernetes', 'pinned');
    const result = await call(controller.serviceUrl, '/version', {
      caPem: controller.ca.certPem,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(result.status).toBe(502);
    expect(result.body.toString()).toMatch(/certificate/);
    expect(seen.length).toBe(before);
  });
});
