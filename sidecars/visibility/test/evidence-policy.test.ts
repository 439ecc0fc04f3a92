// Evidence gathered on activation and bound to decisions, and automatic decisions through sapor's
// OPA-compatible data API (a local stand-in that records the input it was given).
import { asOrca, asUser, createPayload, eventually, startVisibility } from './helpers';
import { fixture, startPeer } from './fake-peer';

jest.setTimeout(60_000);

describe('evidence and automatic decisions', () => {
  let peer: Awaited<ReturnType<typeof startPeer>>;
  let service: Awaited<ReturnType<typeof startVisibility>>;
  let policyAnswers: Record<string, unknown>;

  beforeAll(async () => {
    policyAnswers = {};
    peer = await startPeer({
      'GET /job/shop/57/api/json': { body: fixture('jenkins-build.json') },
      'GET /api/qualitygates/project_status': { body: fixture('sonarqube-project-status.json') },
      'GET /job/slow/1/api/json': { body: fixture('jenkins-build.json'), delayMs: 3_000 },
      'POST /v1/data/isd/approval/auto': { handle: () => ({ status: 200, body: policyAnswers.auto }) },
    });
    service = await startVisibility('postgres', {
      connectors: {
        timeoutMs: 800,
        jenkins: { url: peer.url, user: 'ci', apiToken: 'jenkins-secret' },
        sonarqube: { url: peer.url, token: 'sonar-secret' },
      },
      sapor: { url: peer.url, token: 'sapor-token-0123456789' },
    });
  });
  afterAll(async () => {
    await service?.cleanup();
    await peer?.close();
  });

  const gathered = (id: string) =>
    eventually(async () => {
      const answer = await asOrca(service.url, 'GET', `/api/v1/approvals/${id}`);
      return answer.body.evidenceStatus === 'gathered' ? answer.body : undefined;
    });

  it('gathers evidence on activation, a slow connector shows a timeout, and the digest is bound to the decision', async () => {
    const created = await asOrca(
      service.url,
      'POST',
      '/api/v1/approvals',
      createPayload({
        evidence: [
          { connector: 'jenkins', job: 'shop', build: 57 },
          { connector: 'sonarqube', projectKey: 'acme:shop' },
          { connector: 'jenkins', job: 'slow', build: 1 },
        ],
      }),
    );
    expect(created.body.evidenceStatus).toBe('pending');
    const gate = await gathered(created.body.id);
    expect(
      gate.evidence.map((card: { connector: string; status: string }) => `${card.connector}:${card.status}`),
    ).toEqual(['jenkins:warn', 'sonarqube:fail', 'jenkins:error']);
    expect(gate.evidence[2].error).toMatch(/timed out/);
    expect(gate.evidenceDigest).toMatch(/^sha256:/);
    expect(JSON.stringify(gate)).not.toMatch(/jenkins-secret|sonar-secret/);

    const stale = await asUser(service.url, 'rm1', 'POST', `/api/v1/approvals/${gate.id as string}/decisions`, {
      action: 'approve',
      evidenceDigest: `sha256:${'0'.repeat(64)}`,
    });
    expect(stale.status).toBe(409);
    expect(stale.body.type).toBe('urn:isd:problem:evidence_changed');
    const approved = await asUser(service.url, 'rm1', 'POST', `/api/v1/approvals/${gate.id as string}/decisions`, {
      action: 'approve',
      evidenceDigest: gate.evidenceDigest,
    });
    expect(approved.body.status).toBe('approved');
    expect(approved.body.decisions[0].evidenceDigest).toBe(gate.evidenceDigest);
    const audit = await asOrca(service.url, 'GET', `/api/v1/approvals/${gate.id as string}/audit`);
    expect(audit.body.events.map((event: { event: string }) => event.event)).toEqual([
      'activated',
      'evidence',
      'approval',
    ]);
    expect(audit.body.events[2].evidenceDigest).toBe(gate.evidenceDigest);
  });

  it('auto-approves when the policy allows, recording the decision id; the policy sees evidence but no secrets', async () => {
    policyAnswers.auto = { result: { allow: true, deny: [] }, decision_id: 'decision-1' };
    const created = await asOrca(
      service.url,
      'POST',
      '/api/v1/approvals',
      createPayload({
        evidence: [{ connector: 'jenkins', job: 'shop', build: 57 }],
        autoDecision: { policyPath: 'isd/approval/auto', mode: 'approve' },
      }),
    );
    const gate = await eventually(async () => {
      const answer = await asOrca(service.url, 'GET', `/api/v1/approvals/${created.body.id as string}`);
      return answer.body.status === 'approved' ? answer.body : undefined;
    });
    expect(gate.autoDecision.result).toMatchObject({ outcome: 'allow', decisionId: 'decision-1', messages: [] });
    const call = peer.requests.filter((request) => request.url === '/v1/data/isd/approval/auto').pop();
    expect(call?.headers['x-isd-service-token']).toBe('sapor-token-0123456789');
    const input = JSON.parse(call?.body ?? '{}').input;
    expect(input.approval.id).toBe(created.body.id);
    expect(input.evidence.jenkins[0]).toMatchObject({ result: 'UNSTABLE', number: 57 });
    expect(call?.body).not.toMatch(/jenkins-secret/);
    const audit = await asOrca(service.url, 'GET', `/api/v1/approvals/${created.body.id as string}/audit`);
    expect(audit.body.events.pop()).toMatchObject({
      event: 'policy',
      actor: 'policy:isd/approval/auto',
      authMethod: 'policy',
      toStatus: 'approved',
    });
  });

  it('auto-rejects with the deny messages in reject mode', async () => {
    policyAnswers.auto = { result: { deny: ['quality gate is ERROR'] }, decision_id: 'decision-2' };
    const created = await asOrca(
      service.url,
      'POST',
      '/api/v1/approvals',
      createPayload({ autoDecision: { policyPath: 'isd/approval/auto', mode: 'reject' } }),
    );
    const gate = await eventually(async () => {
      const answer = await asOrca(service.url, 'GET', `/api/v1/approvals/${created.body.id as string}`);
      return answer.body.status === 'rejected' ? answer.body : undefined;
    });
    expect(gate.autoDecision.result).toMatchObject({
      outcome: 'deny',
      decisionId: 'decision-2',
      messages: ['quality gate is ERROR'],
    });
  });

  it('only records a recommendation in recommend mode, and leaves an undecided policy to people', async () => {
    policyAnswers.auto = { result: { allow: false, deny: [{ msg: 'JIRA issue open' }] }, decision_id: 'decision-3' };
    const recommend = await asOrca(
      service.url,
      'POST',
      '/api/v1/approvals',
      createPayload({ autoDecision: { policyPath: 'isd/approval/auto', mode: 'recommend' } }),
    );
    const gate = await eventually(async () => {
      const answer = await asOrca(service.url, 'GET', `/api/v1/approvals/${recommend.body.id as string}`);
      return answer.body.autoDecision.result ? answer.body : undefined;
    });
    expect(gate.status).toBe('activated');
    expect(gate.autoDecision.result).toMatchObject({ outcome: 'deny', messages: ['JIRA issue open'] });

    policyAnswers.auto = {};
    const undecided = await asOrca(
      service.url,
      'POST',
      '/api/v1/approvals',
      createPayload({ autoDecision: { policyPath: 'isd/approval/auto', mode: 'approve' } }),
    );
    const open = await eventually(async () => {
      const answer = await asOrca(service.url, 'GET', `/api/v1/approvals/${undecided.body.id as string}`);
      return answer.body.autoDecision.result ? answer.body : undefined;
    });
    expect(open.status).toBe('activated');
    expect(open.autoDecision.result.outcome).toBe('undefined');
  });
});
