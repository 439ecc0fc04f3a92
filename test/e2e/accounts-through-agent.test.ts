// A remote cluster in one call: an admin creates an account "through agent X" in sapor; sapor asks the real
// tunnel controller's control API for the agent's manifest and a kubeconfig pointing at the controller, and
// registers the account with Clouddriver's account API (harness, behind the Gate API harness). The agent is
// started from the returned manifest (its certificates and config), next to a real kube-apiserver, and
// kubectl with the kubeconfig Clouddriver received reaches that API server through the tunnel. Deleting the
// accounts revokes what the controller issued: the kubeconfig stops working, and the agent is cut off once
// no account uses it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAgent, type RunningAgent } from '@isd/agent';
import type { RunningController } from '@isd/controller';
import { startLocalController } from './tunnel-support';
import type { RunningService } from '@isd/kit';
import { saporService, type SaporConfig } from '@isd/sapor';
import {
  createTestDatabase,
  eventually,
  gateHeaders,
  startKubeApiServer,
  startTestService,
  testServiceConfig,
  type KubeApiServer,
} from '@isd/test-support';
import { parse, parseAllDocuments } from 'yaml';
import { startClouddriverAccountApi, type ClouddriverAccountApi } from '../harness/clouddriver';
import { startGateApi, type GateApiHarness } from '../harness/gate';
import { createKubectlSession, type KubectlSession } from '../harness/kube-apiserver/kubectl';

jest.setTimeout(180_000);

const ADMIN = 'admin@example.com';
const AGENT = 'cluster-remote';

let apiServer: KubeApiServer;
let controller: RunningController;
let clouddriver: ClouddriverAccountApi;
let gate: GateApiHarness;
let sapor: RunningService<SaporConfig>;
let agent: RunningAgent | undefined;
let work: string;
let controllerStopped = false;
const sessions: KubectlSession[] = [];

async function call(method: string, url: string, body?: unknown) {
  const response = await fetch(`${sapor.url}${url}`, {
    method,
    headers: gateHeaders(ADMIN),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- test bodies are inspected freely
}

/** The agent's certificates and controller settings, from the manifest sapor returned. */
function agentFromManifest(manifest: string) {
  const documents = parseAllDocuments(manifest).map((document) => document.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any -- manifest documents
  const secret = documents.find((document) => document.kind === 'Secret')!;
  const configMap = documents.find((document) => document.kind === 'ConfigMap')!;
  const config = parse(configMap.data['agent.yaml'] as string) as {
    controllers: string[];
    serverName: string;
    services: Array<{ name: string; type: string }>;
  };
  return {
    config,
    credentials: {
      certPem: secret.stringData['tls.crt'] as string,
      keyPem: secret.stringData['tls.key'] as string,
      caPem: secret.stringData['ca.crt'] as string,
    },
  };
}

function kubectlWith(kubeconfig: string): KubectlSession {
  const session = createKubectlSession(kubeconfig);
  sessions.push(session);
  return session;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-accounts-e2e-'));
  apiServer = await startKubeApiServer();
  controller = await startLocalController();
  const caFile = path.join(work, 'controller-ca.pem');
  fs.writeFileSync(caFile, controller.ca.certPem);
  clouddriver = await startClouddriverAccountApi({ users: { sapor: { roles: ['admins'], admin: true } } });
  gate = await startGateApi({ basicAuthUsers: { sapor: 'gate-password' }, clouddriverUrl: clouddriver.url });
  const config = testServiceConfig(saporService, {
    databaseUrl: await createTestDatabase('e2e_accounts'),
    users: { [ADMIN]: ['admin'] },
    extra: {
      gate: { url: gate.url, username: 'sapor', password: 'gate-password' },
      accounts: {
        backend: 'clouddriver',
        controller: {
          url: controller.controlUrl,
          token: (await controller.issueControlCredentials('sapor')).token,
          caFile,
        },
      },
    },
  });
  sapor = await startTestService(saporService, config);
}, 180_000);

afterAll(async () => {
  for (const session of sessions) session.dispose();
  await agent?.stop();
  await sapor?.stop();
  await gate?.close();
  await clouddriver?.close();
  if (!controllerStopped) await controller?.stop();
  await apiServer?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

it('creates an account through an agent in one call; kubectl with the registered kubeconfig reaches the API server through the tunnel; deleting revokes it', async () => {
  const permissions = { READ: ['dev'], WRITE: ['admins'] };
  const created = await call('POST', '/api/v1/accounts', { name: 'remote-prod', agent: { name: AGENT }, permissions });
  expect(created.status).toBe(201);
  expect(created.body.account).toMatchObject({
    name: 'remote-prod',
    agent: { name: AGENT, namespace: 'isd-agent' },
    kubeconfig: { server: controller.serviceUrl, auth: 'client-certificate' },
  });
  const manifest = created.body.agentManifest as string;
  expect(manifest).toContain('kind: Deployment');

  // The registered kubeconfig points at the controller, never at the cluster.
  const registered = clouddriver.accounts.get('remote-prod')?.kubeconfigContents as string;
  expect(registered).toContain(controller.serviceUrl);
  expect(registered).not.toContain(apiServer.url);

  // The agent, as the manifest would run it in the remote cluster; here it holds the API server's kubeconfig
  // in place of the in-cluster service account (there is no pod to run it in).
  const fromManifest = agentFromManifest(manifest);
  expect(fromManifest.config.services).toEqual([{ name: 'kubernetes', type: 'kubernetes', inCluster: true }]);
  agent = await startAgent({
    controllers: fromManifest.config.controllers,
    serverName: fromManifest.config.serverName,
    credentials: fromManifest.credentials,
    services: [
      { name: 'kubernetes', type: 'kubernetes', kubeconfig: fs.readFileSync(apiServer.kubeconfigPath, 'utf8') },
    ],
    healthPort: null,
  });
  await agent.waitUntilConnected(30_000);

  const kubectl = kubectlWith(registered);
  const namespaces = await kubectl.run(['get', 'namespaces', '-o', 'name']);
  expect(namespaces.stderr).toBe('');
  expect(namespaces.stdout).toContain('namespace/default');
  const createdNamespace = await kubectl.run(['create', 'namespace', 'made-through-sapor']);
  expect(createdNamespace.code).toBe(0);
  const direct = kubectlWith(fs.readFileSync(apiServer.kubeconfigPath, 'utf8'));
  expect((await direct.run(['get', 'namespace', 'made-through-sapor', '-o', 'name'])).stdout).toContain(
    'namespace/made-through-sapor',
  );

  // A second account through the same agent: no new manifest, its own kubeconfig.
  const second = await call('POST', '/api/v1/accounts', { name: 'remote-ops', agent: { name: AGENT }, permissions });
  expect(second.status).toBe(201);
  expect(second.body.agentManifest).toBeUndefined();
  const secondKubectl = kubectlWith(clouddriver.accounts.get('remote-ops')?.kubeconfigContents as string);
  expect((await secondKubectl.run(['get', 'namespaces', '-o', 'name'])).code).toBe(0);

  // Deleting the first revokes its kubeconfig only: the agent still serves the second.
  const deleted = await call('DELETE', '/api/v1/accounts/remote-prod');
  expect(deleted.status).toBe(200);
  expect(deleted.body.revoked).toBe(1);
  expect(clouddriver.accounts.has('remote-prod')).toBe(false);
  const refused = await kubectl.run(['get', 'namespaces', '-o', 'name']);
  expect(refused.code).not.toBe(0);
  expect((await secondKubectl.run(['get', 'namespaces', '-o', 'name'])).code).toBe(0);

  // Replacing an account through the same agent: a new kubeconfig, the old one revoked, the agent kept.
  const replaced = await call('PUT', '/api/v1/accounts/remote-ops', {
    agent: { name: AGENT },
    namespaces: ['default'],
    permissions,
  });
  expect(replaced.status).toBe(200);
  expect(replaced.body.agentManifest).toBeUndefined();
  expect(replaced.body.account).toMatchObject({ version: 2, namespaces: ['default'] });
  const replacedKubectl = kubectlWith(clouddriver.accounts.get('remote-ops')?.kubeconfigContents as string);
  expect((await replacedKubectl.run(['get', 'namespace', 'default', '-o', 'name'])).code).toBe(0);
  expect((await secondKubectl.run(['get', 'namespaces', '-o', 'name'])).code).not.toBe(0);

  // Deleting the last account on the agent revokes the agent's certificate too: it is cut off.
  const last = await call('DELETE', '/api/v1/accounts/remote-ops');
  expect(last.status).toBe(200);
  expect(last.body.revoked).toBe(2);
  await eventually(
    async () => (controller.agents().some((session) => session.agentName === AGENT) ? undefined : true),
    20_000,
    'the agent cut off',
  );
  expect((await replacedKubectl.run(['get', 'namespaces', '-o', 'name'])).code).not.toBe(0);

  const history = await call('GET', '/api/v1/accounts/remote-prod/history');
  expect(history.body.history.map((entry: { action: string }) => entry.action)).toEqual(['deleted', 'created']);
  expect(JSON.stringify(history.body)).not.toContain('PRIVATE KEY');
});

it('with the controller down, deleting and creating through an agent change nothing', async () => {
  const permissions = { WRITE: ['admins'] };
  const created = await call('POST', '/api/v1/accounts', {
    name: 'remote-stays',
    agent: { name: 'cluster-other' },
    permissions,
  });
  expect(created.status).toBe(201);

  await controller.stop();
  controllerStopped = true;
  // Revoking comes first: with the controller down nothing is deleted, so no live credentials are orphaned.
  const deleted = await call('DELETE', '/api/v1/accounts/remote-stays');
  expect(deleted.status).toBe(503);
  expect(deleted.body.detail).toContain('controller');
  expect((await call('GET', '/api/v1/accounts/remote-stays')).status).toBe(200);
  expect(clouddriver.accounts.has('remote-stays')).toBe(true);

  const refused = await call('POST', '/api/v1/accounts', {
    name: 'remote-late',
    agent: { name: 'cluster-late' },
    permissions,
  });
  expect(refused.status).toBe(503);
  expect(clouddriver.accounts.has('remote-late')).toBe(false);
  expect((await call('GET', '/api/v1/accounts/remote-late')).status).toBe(404);
});
