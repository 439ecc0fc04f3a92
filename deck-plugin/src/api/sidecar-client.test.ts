import { FakeGate } from '../../test/fake-gate';
import {
  approvals,
  logTemplates,
  pipelineCheckAllow,
  pipelineCheckDeny,
  policies,
  templates,
} from '../../test/fixtures';
import { createGateProxyClient, SidecarError } from './sidecar-client';

function setup() {
  const gate = new FakeGate();
  const client = createGateProxyClient({ gateUrl: `${gate.gateUrl}/`, fetch: gate.fetch });
  return { gate, client };
}

describe('createGateProxyClient', () => {
  it('reads an approval through /proxies/visibility', async () => {
    const { gate, client } = setup();
    gate.on('GET /proxies/visibility/api/v1/approvals/apr-7f3c', { body: approvals.activated });
    await expect(client.getApproval('apr-7f3c')).resolves.toEqual(approvals.activated);
    expect(gate.requests[0]?.headers['X-RateLimit-App']).toBe('deck');
  });

  it('posts a decision as JSON with a Content-Type, which Gate needs to forward the body', async () => {
    const { gate, client } = setup();
    gate.on('POST /proxies/visibility/api/v1/approvals/apr-7f3c/decisions', { body: approvals.approved });
    await client.decideApproval('apr-7f3c', { action: 'approve', comment: 'ok' });
    expect(gate.requests[0]).toMatchObject({ body: { action: 'approve', comment: 'ok' } });
    expect(gate.requests[0]?.headers['Content-Type']).toBe('application/json');
  });

  it('escapes ids so a crafted id cannot reach another path', async () => {
    const { gate, client } = setup();
    await expect(client.getApproval('../../admin')).rejects.toThrow(SidecarError);
    expect(gate.requests[0]?.path).toBe('/proxies/visibility/api/v1/approvals/..%2F..%2Fadmin');
  });

  it('accepts lists bare or wrapped', async () => {
    const { gate, client } = setup();
    gate.on('GET /proxies/autopilot/api/v1/templates', { body: templates });
    gate.on('GET /proxies/sapor/api/v1/policies', { body: { revision: 7, policies } });
    await expect(client.listVerificationTemplates()).resolves.toEqual(templates);
    await expect(client.listPolicies()).resolves.toEqual(policies);
  });

  it('lists log templates and marks a log cluster with PUT as JSON, escaping application and key', async () => {
    const { gate, client } = setup();
    gate.on('GET /proxies/autopilot/api/v1/log-templates', { body: { templates: logTemplates } });
    await expect(client.listLogTemplates()).resolves.toEqual(logTemplates);
    const stored = { mark: 'critical', markedBy: 'ana', markedAt: '2026-12-01T00:00:00Z' };
    gate.on('PUT /proxies/autopilot/api/v1/applications/web/log-marks/3f1c0a9e5b7d2c4e6f8a0b1c', { body: stored });
    await expect(client.markLogCluster('web', '3f1c0a9e5b7d2c4e6f8a0b1c', 'critical', 'ERROR <*>')).resolves.toEqual(
      stored,
    );
    expect(gate.requests[1]).toMatchObject({ method: 'PUT', body: { mark: 'critical', template: 'ERROR <*>' } });
    expect(gate.requests[1]?.headers['Content-Type']).toBe('application/json');
    await expect(client.markLogCluster('a/b', '../x', 'expected')).rejects.toThrow(SidecarError);
    expect(gate.requests[2]?.path).toBe('/proxies/autopilot/api/v1/applications/a%2Fb/log-marks/..%2Fx');
  });

  it('sends the pipeline to sapor as {new} for the save-time check', async () => {
    const { gate, client } = setup();
    gate.on('POST /proxies/sapor/api/v1/policies/pipeline-check', { body: { deny: ['no'] } });
    await expect(client.checkPipeline({ name: 'p' })).resolves.toEqual({ deny: ['no'] });
    expect(gate.requests[0]?.body).toEqual({ new: { name: 'p' } });
  });

  it('reads sapor’s {status, messages} pipeline-check answer', async () => {
    const { gate, client } = setup();
    gate.on('POST /proxies/sapor/api/v1/policies/pipeline-check', { body: pipelineCheckDeny });
    await expect(client.checkPipeline({ name: 'p' })).resolves.toEqual({
      deny: pipelineCheckDeny.messages,
      decisionId: 'dec-pc-0001',
    });
    gate.on('POST /proxies/sapor/api/v1/policies/pipeline-check', { body: pipelineCheckAllow });
    await expect(client.checkPipeline({ name: 'p' })).resolves.toEqual({ deny: [], decisionId: 'dec-pc-0002' });
    gate.on('POST /proxies/sapor/api/v1/policies/pipeline-check', {
      body: { status: 'deny', messages: [], denies: [] },
    });
    await expect(client.checkPipeline({ name: 'p' })).resolves.toEqual({
      deny: ['denied by policy (no message given)'],
    });
  });

  it('builds browser URLs through Gate’s proxy', () => {
    expect(setup().client.proxyUrl('autopilot', '/api/v1/verifications/v/report')).toBe(
      'http://gate.test/proxies/autopilot/api/v1/verifications/v/report',
    );
  });

  it('turns a problem+json answer into an error carrying status and detail', async () => {
    const { gate, client } = setup();
    gate.on('POST /proxies/visibility/api/v1/approvals/a/decisions', {
      status: 400,
      body: { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'comment is required to reject' },
    });
    const error = await client.decideApproval('a', { action: 'reject', comment: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SidecarError);
    expect(error).toMatchObject({
      status: 400,
      service: 'visibility',
      message: 'visibility 400: comment is required to reject',
    });
  });

  it('names Gate 502 as the sidecar being unavailable', async () => {
    const { gate, client } = setup();
    gate.on('GET /proxies/sapor/api/v1/policies', { status: 502, text: '' });
    await expect(client.listPolicies()).rejects.toThrow('sapor is unavailable (Gate answered 502)');
  });

  it('reports a network failure with status 0', async () => {
    const client = createGateProxyClient({
      gateUrl: 'http://gate.test',
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
    });
    await expect(client.getVerification('v')).rejects.toMatchObject({
      status: 0,
      message: 'autopilot is unreachable through Gate: Failed to fetch',
    });
  });

  it('rejects a 200 whose body is not JSON', async () => {
    const { gate, client } = setup();
    gate.on('GET /proxies/autopilot/api/v1/verifications/v', { text: '<html>login</html>' });
    await expect(client.getVerification('v')).rejects.toThrow('body that is not JSON');
  });

  it('pages lists with the sidecar’s cursor, sending only the filters that are set', async () => {
    const { gate, client } = setup();
    gate.on('GET /proxies/autopilot/api/v1/verifications', (request) => ({
      body: {
        verifications: [{ id: request.query['cursor'] ?? 'first' }],
        next: request.query['cursor'] ? null : 'c1',
      },
    }));
    const first = await client.listVerifications({ application: 'checkout', pipeline: undefined, limit: 50 });
    expect(first).toEqual({ items: [{ id: 'first' }], next: 'c1' });
    expect(gate.requests[0]?.query).toEqual({ application: 'checkout', limit: '50' });
    const second = await client.listVerifications({ application: 'checkout', status: 'fail', limit: 50, cursor: 'c1' });
    expect(second).toEqual({ items: [{ id: 'c1' }], next: null });
    expect(gate.requests[1]?.query).toEqual({ application: 'checkout', status: 'fail', limit: '50', cursor: 'c1' });
    gate.on('GET /proxies/sapor/api/v1/policy-gates', { body: { gates: [], next: '' } });
    await expect(client.listPolicyGates({ application: 'a b', limit: 25 })).resolves.toEqual({ items: [], next: null });
    expect(gate.requests[2]?.query).toEqual({ application: 'a b', limit: '25' });
    gate.on('GET /proxies/autopilot/api/v1/test-verifications', {
      body: { testVerifications: [{ id: 't' }], next: 'c2' },
    });
    await expect(client.listTestVerifications({ application: 'checkout', status: 'fail', limit: 10 })).resolves.toEqual(
      {
        items: [{ id: 't' }],
        next: 'c2',
      },
    );
    expect(gate.requests[3]?.query).toEqual({ application: 'checkout', status: 'fail', limit: '10' });
  });

  it('asks for the JSON report and posts a playground check with the draft and input', async () => {
    const { gate, client } = setup();
    gate.on('GET /proxies/autopilot/api/v1/verifications/v%2F1/report', { body: { id: 'v/1', metrics: [] } });
    await client.getVerificationReport('v/1');
    expect(gate.requests[0]?.query).toEqual({ format: 'json' });
    gate.on('POST /proxies/sapor/api/v1/policies/my%20policy/check', {
      body: { passed: true, packages: [], tests: [] },
    });
    await client.checkPolicy('my policy', { modules: [{ name: 'p.rego', source: 'package x' }], input: { a: 1 } });
    expect(gate.requests[1]?.body).toEqual({ modules: [{ name: 'p.rego', source: 'package x' }], input: { a: 1 } });
  });
});
