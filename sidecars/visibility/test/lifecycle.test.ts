// The gate lifecycle on real Postgres and on the embedded PGlite default: create (idempotent), monitor,
// decide (N-of-M, rejects, self-approval, replays), cancel, expiry, and the audit trail.
import { asOrca, asUser, backends, createPayload, eventually, raw, startVisibility, testClock } from './helpers';

jest.setTimeout(60_000);

describe.each(backends)('approval lifecycle on %s', (backend) => {
  let service: Awaited<ReturnType<typeof startVisibility>>;
  let base: string;

  beforeAll(async () => {
    service = await startVisibility(backend);
    base = service.url;
  });
  afterAll(async () => {
    await service?.cleanup();
  });

  it('creates a gate with 202, a Location and the instance body', async () => {
    const created = await asOrca(base, 'POST', '/api/v1/approvals', createPayload());
    expect(created.status).toBe(202);
    expect(created.headers.get('location')).toBe(`/api/v1/approvals/${created.body.id}`);
    expect(created.body).toMatchObject({
      status: 'activated',
      approverGroups: [{ name: 'release-managers', required: 1, approvals: 0 }],
      decisions: [],
      evidence: [],
      canDecide: false,
      instructions: 'Check the dashboards first.',
    });
    const monitored = await asOrca(base, 'GET', created.headers.get('location') as string);
    expect(monitored.status).toBe(200);
    expect(monitored.body.status).toBe('activated');
    expect(Date.parse(monitored.body.deadline) - Date.parse(monitored.body.createdAt)).toBe(86_400_000);
  });

  it('answers 20 concurrent identical creates (an Orca retry storm) with one gate', async () => {
    const payload = createPayload();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => asOrca(base, 'POST', '/api/v1/approvals', payload)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(202));
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    const listed = await asOrca(base, 'GET', `/api/v1/approvals?executionId=${payload.executionId as string}`);
    expect(listed.body.approvals).toHaveLength(1);
  });

  it('keeps the first rules when a retried create tries to widen them', async () => {
    const payload = createPayload();
    const first = await asOrca(base, 'POST', '/api/v1/approvals', payload);
    const widened = await asOrca(base, 'POST', '/api/v1/approvals', {
      ...payload,
      approverGroups: [{ name: 'marketing', required: 1 }],
      allowSelfApproval: true,
    });
    expect(widened.body.id).toBe(first.body.id);
    expect(widened.body.approverGroups).toEqual([{ name: 'release-managers', required: 1, approvals: 0 }]);
    expect(widened.body.allowSelfApproval).toBe(false);
    expect(
      (await asUser(base, 'outsider', 'POST', `/api/v1/approvals/${first.body.id}/decisions`, { action: 'approve' }))
        .status,
    ).toBe(403);
  });

  it('needs N approvals from every group, counts a person once, and then approves', async () => {
    const created = await asOrca(
      base,
      'POST',
      '/api/v1/approvals',
      createPayload({
        approverGroups: [
          { name: 'release-managers', required: 2 },
          { name: 'qa', required: 1 },
        ],
      }),
    );
    const id = created.body.id as string;
    // rm3 is in both groups but fills one seat only.
    let answer = await asUser(base, 'rm3', 'POST', `/api/v1/approvals/${id}/decisions`, {
      action: 'approve',
      comment: 'ok',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('activated');
    answer = await asUser(base, 'rm1', 'POST', `/api/v1/approvals/${id}/decisions`, { action: 'approve' });
    expect(answer.body.status).toBe('activated');
    expect(answer.body.approverGroups).toEqual([
      { name: 'release-managers', required: 2, approvals: 2 },
      { name: 'qa', required: 1, approvals: 0 },
    ]);
    answer = await asUser(base, 'qa1', 'POST', `/api/v1/approvals/${id}/decisions`, { action: 'approve' });
    expect(answer.body.status).toBe('approved');
    expect(answer.body.decisions.map((decision: { user: string }) => decision.user)).toEqual(['rm3', 'rm1', 'qa1']);
    expect((await asOrca(base, 'GET', `/api/v1/approvals/${id}`)).body.status).toBe('approved');
    const closed = await asUser(base, 'rm2', 'POST', `/api/v1/approvals/${id}/decisions`, {
      action: 'reject',
      comment: 'late',
    });
    expect(closed.status).toBe(409);
  });

  it('rejects on any single reject, and a reject needs a comment', async () => {
    const created = await asOrca(
      base,
      'POST',
      '/api/v1/approvals',
      createPayload({ approverGroups: [{ name: 'release-managers', required: 2 }] }),
    );
    const id = created.body.id as string;
    const noComment = await asUser(base, 'rm1', 'POST', `/api/v1/approvals/${id}/decisions`, {
      action: 'reject',
      comment: '  ',
    });
    expect(noComment.status).toBe(400);
    expect(noComment.body.field).toBe('body.comment');
    expect(
      (await asUser(base, 'rm1', 'POST', `/api/v1/approvals/${id}/decisions`, { action: 'approve' })).body.status,
    ).toBe('activated');
    const rejected = await asUser(base, 'rm2', 'POST', `/api/v1/approvals/${id}/decisions`, {
      action: 'reject',
      comment: 'error budget spent',
    });
    expect(rejected.body.status).toBe('rejected');
  });

  it('refuses a forged user (401), an outsider (403), the triggering user (403) and a replay (409)', async () => {
    const created = await asOrca(
      base,
      'POST',
      '/api/v1/approvals',
      createPayload({ triggeredBy: 'rm1', approverGroups: [{ name: 'release-managers', required: 2 }] }),
    );
    const path = `/api/v1/approvals/${created.body.id as string}/decisions`;
    const forged = await raw(
      base,
      'POST',
      path,
      { 'content-type': 'application/json', 'x-spinnaker-user': 'rm2' },
      { action: 'approve' },
    );
    expect(forged.status).toBe(401);
    const wrongGate = await raw(
      base,
      'POST',
      path,
      {
        'content-type': 'application/json',
        'x-spinnaker-user': 'rm2',
        'x-isd-gate-token': 'not-the-gate-token-at-all',
      },
      { action: 'approve' },
    );
    expect(wrongGate.status).toBe(401);
    const orcaDecides = await asOrca(base, 'POST', path, { action: 'approve' });
    expect(orcaDecides.status).toBe(403);
    expect(orcaDecides.body.type).toBe('urn:isd:problem:service_token_not_accepted');
    const outsider = await asUser(base, 'outsider', 'POST', path, { action: 'approve' });
    expect(outsider.status).toBe(403);
    expect(outsider.body.detail).toMatch(/not in any approver group/);
    const self = await asUser(base, 'rm1', 'POST', path, { action: 'approve' });
    expect(self.status).toBe(403);
    expect(self.body.type).toBe('urn:isd:problem:self_approval');
    expect((await asUser(base, 'rm2', 'POST', path, { action: 'approve' })).status).toBe(200);
    const replay = await asUser(base, 'rm2', 'POST', path, { action: 'approve' });
    expect(replay.status).toBe(409);
    expect(replay.body.type).toBe('urn:isd:problem:already_decided');
    const gate = await asUser(base, 'rm1', 'GET', `/api/v1/approvals/${created.body.id as string}`);
    expect(gate.body.approverGroups[0].approvals).toBe(1);
    expect(gate.body.canApprove).toBe(false);
    expect(gate.body.canDecide).toBe(true);
  });

  it('lets the triggering user approve when the gate allows self-approval', async () => {
    const created = await asOrca(
      base,
      'POST',
      '/api/v1/approvals',
      createPayload({ triggeredBy: 'rm1', allowSelfApproval: true }),
    );
    const answer = await asUser(base, 'rm1', 'POST', `/api/v1/approvals/${created.body.id as string}/decisions`, {
      action: 'approve',
    });
    expect(answer.body.status).toBe('approved');
  });

  it('gives 50 concurrent decisions exactly one terminal transition; the others get 409', async () => {
    const users = Object.fromEntries(
      Array.from({ length: 50 }, (_, index) => [`approver${index}`, ['release-managers']]),
    );
    const many = await startVisibility(backend, {}, users);
    try {
      const created = await asOrca(many.url, 'POST', '/api/v1/approvals', createPayload());
      const path = `/api/v1/approvals/${created.body.id as string}/decisions`;
      const answers = await Promise.all(
        Object.keys(users).map((user, index) =>
          asUser(many.url, user, 'POST', path, index % 2 ? { action: 'approve' } : { action: 'reject', comment: 'no' }),
        ),
      );
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 409)).toHaveLength(49);
      const audit = await asOrca(many.url, 'GET', `/api/v1/approvals/${created.body.id as string}/audit`);
      const terminal = audit.body.events.filter(
        (event: { toStatus: string | null }) => event.toStatus && event.toStatus !== 'activated',
      );
      expect(terminal).toHaveLength(1);
      const gate = await asOrca(many.url, 'GET', `/api/v1/approvals/${created.body.id as string}`);
      expect(gate.body.decisions).toHaveLength(1);
    } finally {
      await many.cleanup();
    }
  });

  it('cancels idempotently and then refuses decisions', async () => {
    const created = await asOrca(base, 'POST', '/api/v1/approvals', createPayload());
    const id = created.body.id as string;
    const first = await asOrca(base, 'POST', `/api/v1/approvals/${id}/cancel`, {});
    const second = await asOrca(base, 'POST', `/api/v1/approvals/${id}/cancel`, {});
    expect([first.status, first.body.status, second.status, second.body.status]).toEqual([
      200,
      'canceled',
      200,
      'canceled',
    ]);
    const audit = await asOrca(base, 'GET', `/api/v1/approvals/${id}/audit`);
    expect(audit.body.events.map((event: { event: string }) => event.event)).toEqual(['activated', 'canceled']);
    expect((await asUser(base, 'rm1', 'POST', `/api/v1/approvals/${id}/decisions`, { action: 'approve' })).status).toBe(
      409,
    );
    expect(
      (await asUser(base, 'rm1', 'POST', `/api/v1/approvals/00000000-0000-4000-8000-000000000000/cancel`, {})).status,
    ).toBe(401);
    expect(
      (await asOrca(base, 'POST', `/api/v1/approvals/00000000-0000-4000-8000-000000000000/cancel`, {})).status,
    ).toBe(404);
  });

  it('expires on the job queue at the deadline, and a decision after it is 409', async () => {
    const created = await asOrca(base, 'POST', '/api/v1/approvals', createPayload({ timeoutMs: 1_500 }));
    const id = created.body.id as string;
    const expired = await eventually(async () => {
      const answer = await asOrca(base, 'GET', `/api/v1/approvals/${id}`);
      return answer.body.status === 'expired' ? answer : undefined;
    }, 15_000);
    expect(expired.body.canDecide).toBe(false);
    const late = await asUser(base, 'rm1', 'POST', `/api/v1/approvals/${id}/decisions`, { action: 'approve' });
    expect(late.status).toBe(409);
    expect(late.body.type).toBe('urn:isd:problem:gate_expired');
  });

  it('refuses a decision after the deadline even before the timer ran', async () => {
    // The gate's clock passes the deadline; the expiry timer is due a minute from now in real time.
    const clock = testClock();
    const ahead = await startVisibility(backend, {}, undefined, clock);
    try {
      const created = await asOrca(ahead.url, 'POST', '/api/v1/approvals', createPayload({ timeoutMs: 60_000 }));
      clock.advance(60_001);
      const id = created.body.id as string;
      const late = await asUser(ahead.url, 'rm1', 'POST', `/api/v1/approvals/${id}/decisions`, { action: 'approve' });
      expect(late.status).toBe(409);
      expect(late.body.type).toBe('urn:isd:problem:gate_expired');
      expect((await asOrca(ahead.url, 'GET', `/api/v1/approvals/${id}`)).body.status).toBe('expired');
    } finally {
      await ahead.cleanup();
    }
  });

  it('lists the inbox of what a user may still decide (mine=true)', async () => {
    const application = `inbox-${backend}`;
    const forRm = await asOrca(base, 'POST', '/api/v1/approvals', createPayload({ application }));
    await asOrca(
      base,
      'POST',
      '/api/v1/approvals',
      createPayload({ application, approverGroups: [{ name: 'qa', required: 1 }] }),
    );
    const decided = await asOrca(
      base,
      'POST',
      '/api/v1/approvals',
      createPayload({ application, approverGroups: [{ name: 'release-managers', required: 2 }] }),
    );
    await asUser(base, 'rm1', 'POST', `/api/v1/approvals/${decided.body.id as string}/decisions`, {
      action: 'approve',
    });
    const inbox = await asUser(
      base,
      'rm1',
      'GET',
      `/api/v1/approvals?status=activated&mine=true&application=${application}`,
    );
    expect(inbox.status).toBe(200);
    expect(inbox.body.approvals.map((approval: { id: string }) => approval.id)).toEqual([forRm.body.id]);
    expect(inbox.body.approvals[0].canDecide).toBe(true);
    const outsider = await asUser(
      base,
      'outsider',
      'GET',
      `/api/v1/approvals?status=activated&mine=true&application=${application}`,
    );
    expect(outsider.body.approvals).toEqual([]);
    expect((await asOrca(base, 'GET', '/api/v1/approvals?mine=true')).status).toBe(400);
    // Without a status filter the inbox still holds only open gates: a canceled one is nothing to decide.
    await asOrca(base, 'POST', `/api/v1/approvals/${forRm.body.id as string}/cancel`, {});
    const afterCancel = await asUser(base, 'rm1', 'GET', `/api/v1/approvals?mine=true&application=${application}`);
    expect(afterCancel.body.approvals).toEqual([]);
    const closedFilter = await asUser(base, 'rm1', 'GET', `/api/v1/approvals?mine=true&status=approved`);
    expect(closedFilter.body.approvals).toEqual([]);
  });

  it('refuses a literal ${...} naming the field, and autoDecision when sapor is not configured', async () => {
    const spel = await asOrca(base, 'POST', '/api/v1/approvals', createPayload({ triggeredBy: '${#currentUser()}' }));
    expect(spel.status).toBe(400);
    expect(spel.body.field).toBe('body.triggeredBy');
    const auto = await asOrca(
      base,
      'POST',
      '/api/v1/approvals',
      createPayload({ autoDecision: { policyPath: 'isd/approval/auto', mode: 'approve' } }),
    );
    expect(auto.status).toBe(400);
    expect(auto.body.field).toBe('body.autoDecision');
    expect(auto.body.detail).toMatch(/sapor is not configured/);
  });

  it('keeps an append-only audit trail with actor, auth method, channel and evidence digest', async () => {
    const created = await asOrca(base, 'POST', '/api/v1/approvals', createPayload());
    const id = created.body.id as string;
    await asUser(base, 'rm2', 'POST', `/api/v1/approvals/${id}/decisions`, {
      action: 'approve',
      comment: 'looks good',
    });
    const audit = await asUser(base, 'rm2', 'GET', `/api/v1/approvals/${id}/audit`);
    expect(audit.body.events).toMatchObject([
      { event: 'activated', actor: 'orca', authMethod: 'service-token', channel: 'orca', toStatus: 'activated' },
      {
        event: 'approval',
        actor: 'rm2',
        authMethod: 'gate-user',
        channel: 'api',
        fromStatus: 'activated',
        toStatus: 'approved',
        comment: 'looks good',
      },
    ]);
    expect(audit.body.events[1].evidenceDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    await expect(service.database.query('UPDATE audit_events SET actor = $1', ['mallory'])).rejects.toThrow(
      /append-only/,
    );
    await expect(service.database.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
  });
});
