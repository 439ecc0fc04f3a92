// Revocation against renewal. An agent renews its certificate over the tunnel (at 1/3 of its lifetime by
// default), so the certificate its manifest holds is soon not the one it uses. Revoking that certificate (or
// one a thief used) left every renewal valid: whoever held an agent key could renew and keep the tunnel for
// good. Every agent certificate now carries its line (the first certificate's serial); revoking any
// certificate of the line refuses them all, and a revoked certificate cannot renew.
import { createHmac, X509Certificate } from 'node:crypto';
import https from 'node:https';
import { identityOfCertificate, normalizeSerial, type RunningController } from '@isd/controller';
import { startAgent, type RunningAgent } from '@isd/agent';
import { eventually } from '@isd/test-support';
import { startTestTarget, type TestTarget, startLocalController } from '../e2e/tunnel-support';

jest.setTimeout(60_000);

const HOUR_MS = 60 * 60 * 1000;
let target: TestTarget;
let controller: RunningController;
const agents: RunningAgent[] = [];

beforeAll(async () => {
  target = await startTestTarget();
  controller = await startLocalController({
    agentCertLifetimeMs: HOUR_MS,
  });
});

afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.stop();
});

afterAll(async () => {
  await controller?.stop();
  await target?.close();
});

type Credentials = { certPem: string; keyPem: string; caPem: string };

function agentWith(credentials: Credentials, extra: Partial<Parameters<typeof startAgent>[0]> = {}) {
  return startAgent({
    controllers: [controller.agentUrl],
    serverName: 'localhost',
    credentials,
    services: [{ name: 'ci', type: 'jenkins', url: target.url }],
    healthPort: null,
    ...extra,
  }).then((agent) => {
    agents.push(agent);
    return agent;
  });
}

/** Connects with `original` until the controller renews it, then stops that agent; returns the renewal. */
async function renewalOf(original: Credentials): Promise<Credentials> {
  let resolveRenewed: (credentials: Credentials) => void = () => undefined;
  const renewed = new Promise<Credentials>((resolve) => (resolveRenewed = resolve));
  await agentWith(original, { renewFraction: 0.99, onCredentialsRenewed: (c) => resolveRenewed(c) });
  const credentials = await renewed;
  for (const agent of agents.splice(0)) await agent.stop();
  return credentials;
}

const refusals = async () =>
  (await controller.metrics.refusedStreams.get()).values.find((value) => value.labels.reason === 'certificate')
    ?.value ?? 0;

/** Starts an agent with `credentials` and waits until the controller has refused its certificate. */
async function expectRefused(credentials: Credentials): Promise<void> {
  const before = await refusals();
  const agent = await agentWith(credentials);
  await eventually(async () => ((await refusals()) > before ? true : undefined), 20_000, 'a certificate refusal');
  expect(agent.connected).toBe(false);
  expect(controller.agents().some((session) => session.agentName === agent.agentName)).toBe(false);
}

describe('agent certificate revocation and renewal', () => {
  it('carries the first certificate as the line of every renewal', async () => {
    const original = await controller.issueAgentCredentials('cluster-line', { lifetimeMs: 60_000 });
    const lineage = normalizeSerial(new X509Certificate(original.certPem).serialNumber);
    const renewed = await renewalOf(original);
    expect(new X509Certificate(renewed.certPem).serialNumber).not.toBe(
      new X509Certificate(original.certPem).serialNumber,
    );
    for (const pem of [original.certPem, renewed.certPem])
      expect(identityOfCertificate(pem)).toEqual({ purpose: 'agent', agent: 'cluster-line', lineage });
  });

  it('refuses the renewed certificate once the one the agent was installed with is revoked', async () => {
    const original = await controller.issueAgentCredentials('cluster-installed', { lifetimeMs: 60_000 });
    const renewed = await renewalOf(original);
    await controller.revoke(original.certPem);
    await expectRefused(renewed);
  });

  it('refuses the installed certificate and every renewal once any renewal is revoked, by PEM or by serial', async () => {
    const original = await controller.issueAgentCredentials('cluster-stolen', { lifetimeMs: 60_000 });
    const renewed = await renewalOf(original);
    const connected = await agentWith(renewed);
    await connected.waitUntilConnected(10_000);
    // The operator revokes the serial of the session it sees; the thief's other certificates die with it.
    await controller.revoke(new X509Certificate(renewed.certPem).serialNumber);
    await eventually(
      async () => (controller.agents().some((s) => s.agentName === 'cluster-stolen') ? undefined : true),
      10_000,
      'the session to end',
    );
    await expectRefused(original);
  });
});

// The controller's tokens are HS256 with a `kid` naming the key. The key was looked up in a plain object,
// so `kid: "toString"` found Object.prototype.toString, whose text ("function toString() { [native code] }")
// anyone can sign with: a forged control token reached the control API (issue agents, revoke, …), a forged
// service token any agent's service. Only the key set's own entries are keys now.
describe('tokens whose kid names an Object.prototype member', () => {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const forged = (kid: string, claims: object) => {
    const unsigned = `${part({ alg: 'HS256', typ: 'JWT', kid })}.${part({ ...claims, exp: 9_999_999_999 })}`;
    const memberText = String(({} as Record<string, unknown>)[kid]);
    return `${unsigned}.${createHmac('sha256', memberText).update(unsigned).digest('base64url')}`;
  };
  const controlCall = (token: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = https.request(
        `${controller.controlUrl}/api/v1/getAgentStatistics`,
        { ca: controller.ca.certPem, headers: { authorization: `Bearer ${token}` } },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on('error', reject);
      request.end();
    });

  it('are refused by the control API (a real control token is served)', async () => {
    const real = await controller.issueControlCredentials('security-test');
    expect((await controlCall(real.token)).status).toBe(200);
    for (const kid of ['toString', 'constructor', 'valueOf', '__proto__']) {
      const answer = await controlCall(forged(kid, { aud: 'isd-tunnel-control', n: 'attacker' }));
      expect({ kid, status: answer.status }).toEqual({ kid, status: 401 });
    }
  });
});
