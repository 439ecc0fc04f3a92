import { CertificateAuthority } from '@isd/controller';
import { startAgent } from '@isd/agent';
import { call, startTestTarget, startTunnel, type TunnelFixture } from './tunnel-support';

const HOUR_MS = 60 * 60 * 1000;

describe('tunnel authentication and authorization', () => {
  let tunnel: TunnelFixture;
  beforeAll(async () => {
    tunnel = await startTunnel('agent-a');
  });
  afterAll(async () => {
    await tunnel.close();
  });
  const send = (
    credentials: { certPem: string; keyPem: string; caPem: string } | undefined,
    headers: Record<string, string> = {},
  ) => call(tunnel.controller.serviceUrl, '/whoami', { caPem: tunnel.controller.ca.certPem, credentials, headers });

  async function agentConnects(
    credentials: { certPem: string; keyPem: string; caPem: string },
    waitMs = 1_500,
  ): Promise<boolean> {
    const agent = await startAgent({
      controllers: [tunnel.controller.agentUrl],
      serverName: 'localhost',
      credentials,
      services: [{ name: 'ci', type: 'jenkins', url: tunnel.target.url }],
      healthPort: null,
    });
    try {
      await agent.waitUntilConnected(waitMs);
      return true;
    } catch {
      return false;
    } finally {
      await agent.stop();
    }
  }

  it('accepts an agent certificate from the controller CA', async () => {
    expect(await agentConnects(await tunnel.controller.issueAgentCredentials('agent-x'))).toBe(true);
  });

  it('refuses an agent certificate from a foreign CA', async () => {
    const foreign = await (
      await CertificateAuthority.generate('foreign CA')
    ).issue({ purpose: 'agent', agent: 'agent-a' });
    expect(await agentConnects({ ...foreign, caPem: tunnel.controller.ca.certPem })).toBe(false);
  });

  it('refuses an expired agent certificate', async () => {
    const expired = await tunnel.controller.issueAgentCredentials('agent-a', {
      notBefore: new Date(Date.now() - 3 * HOUR_MS),
      lifetimeMs: HOUR_MS,
    });
    expect(await agentConnects(expired)).toBe(false);
  });

  it('refuses a revoked agent certificate', async () => {
    const credentials = await tunnel.controller.issueAgentCredentials('agent-r');
    await tunnel.controller.revoke(credentials.certPem);
    expect(await agentConnects(credentials)).toBe(false);
  });

  it('disconnects a connected agent when its certificate is revoked', async () => {
    const credentials = await tunnel.controller.issueAgentCredentials('agent-v');
    const agent = await startAgent({
      controllers: [tunnel.controller.agentUrl],
      serverName: 'localhost',
      credentials,
      services: [{ name: 'ci', type: 'jenkins', url: tunnel.target.url }],
      healthPort: null,
    });
    try {
      await agent.waitUntilConnected(5_000);
      await tunnel.controller.revoke(credentials.certPem);
      const deadline = Date.now() + 2_000;
      while (tunnel.controller.agents().some((session) => session.agentName === 'agent-v') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(tunnel.controller.agents().some((session) => session.agentName === 'agent-v')).toBe(false);
      // It keeps trying (never exits) but is refused every time.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(agent.connected).toBe(false);
    } finally {
      await agent.stop();
    }
  });

  it('refuses a service certificate presented as an agent certificate', async () => {
    await expect(
      startAgent({
        controllers: [tunnel.controller.agentUrl],
        credentials: await tunnel.controller.issueServiceCredentials('agent-a', 'jenkins', 'ci'),
        services: [],
        healthPort: null,
      }),
    ).rejects.toThrow(/not an agent certificate/);
  });

  it('refuses an agent whose configured name differs from its certificate', async () => {
    await expect(
      startAgent({
        controllers: [tunnel.controller.agentUrl],
        agentName: 'agent-b',
        credentials: await tunnel.controller.issueAgentCredentials('agent-a'),
        services: [],
        healthPort: null,
      }),
    ).rejects.toThrow(/agentName: is agent-b but the certificate names agent-a/);
  });

  it('lets a service certificate for agent A reach agent A', async () => {
    const result = await send(tunnel.caller);
    expect(result.status).toBe(200);
  });

  it('never lets a service certificate for agent A reach agent B', async () => {
    const target = await startTestTarget();
    const agentB = await startAgent({
      controllers: [tunnel.controller.agentUrl],
      serverName: 'localhost',
      credentials: await tunnel.controller.issueAgentCredentials('agent-b'),
      services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      healthPort: null,
    });
    try {
      await agentB.waitUntilConnected(5_000);
      const before = target.seen.length;
      const forA = await send(tunnel.caller);
      expect(forA.status).toBe(200);
      expect(target.seen.length).toBe(before);
      const forB = await send(await tunnel.controller.issueServiceCredentials('agent-b', 'jenkins', 'ci'));
      expect(forB.status).toBe(200);
      expect(target.seen.length).toBe(before + 1);
    } finally {
      await agentB.stop();
      await target.close();
    }
  });

  it('refuses a caller certificate from a foreign CA with 401', async () => {
    const foreign = await (
      await CertificateAuthority.generate('foreign CA')
    ).issue({
      purpose: 'service',
      agent: 'agent-a',
      type: 'jenkins',
      name: 'ci',
    });
    const result = await send(foreign);
    expect(result.status).toBe(401);
    expect(result.body.toString()).toContain('client certificate refused');
  });

  it('refuses an expired caller certificate with 401', async () => {
    const expired = await tunnel.controller.issueServiceCredentials('agent-a', 'jenkins', 'ci', {
      notBefore: new Date(Date.now() - 3 * HOUR_MS),
      lifetimeMs: HOUR_MS,
    });
    const result = await send(expired);
    expect(result.status).toBe(401);
  });

  it('refuses an agent certificate used as a caller certificate with 403', async () => {
    const result = await send(await tunnel.controller.issueAgentCredentials('agent-a'));
    expect(result.status).toBe(403);
  });

  it('refuses a revoked caller certificate', async () => {
    const credentials = await tunnel.controller.issueServiceCredentials('agent-a', 'jenkins', 'ci');
    await tunnel.controller.revoke(credentials.certPem);
    expect((await send(credentials)).status).toBe(401);
  });

  it('refuses a caller without certificate or token with 401', async () => {
    const result = await send(undefined);
    expect(result.status).toBe(401);
    expect(result.body.toString()).toContain('token');
  });

  it('accepts a bearer token, an X-Opsmx-Token and a basic-auth password token', async () => {
    const token = await tunnel.controller.issueServiceToken('agent-a', 'jenkins', 'ci');
    expect((await send(undefined, { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await send(undefined, { 'x-opsmx-token': token })).status).toBe(200);
    const basic = Buffer.from(`ci.agent-a:${token}`).toString('base64');
    const viaBasic = await send(undefined, { authorization: `Basic ${basic}` });
    expect(viaBasic.status).toBe(200);
    // The caller's token never reaches the target: the agent sends its own credentials.
    expect(JSON.parse(viaBasic.body.toString()).authorization).toBe(
      `Basic ${Buffer.from('spin:secret').toString('base64')}`,
    );
  });

  it('refuses expired, tampered and foreign tokens', async () => {
    const expired = await tunnel.controller.issueServiceToken('agent-a', 'jenkins', 'ci', { lifetimeMs: -1_000 });
    expect((await send(undefined, { authorization: `Bearer ${expired}` })).body.toString()).toContain('token expired');
    const token = await tunnel.controller.issueServiceToken('agent-a', 'jenkins', 'ci');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, a: 'agent-b' })).toString('base64url')}.${signature}`;
    const result = await send(undefined, { authorization: `Bearer ${forged}` });
    expect(result.status).toBe(401);
    expect(result.body.toString()).toContain('signature');
    const control = (await tunnel.controller.issueControlCredentials('ops')).token;
    expect((await send(undefined, { authorization: `Bearer ${control}` })).body.toString()).toContain('audience');
  });
});
