// The audited break-glass path: a triggering user with a break-glass role may approve their own
// execution with a reason; everyone else is still refused, and the audit trail says what happened.
import { asOrca, asUser, createPayload, startVisibility } from './helpers';

jest.setTimeout(30_000);

describe('break-glass self-approval', () => {
  let service: Awaited<ReturnType<typeof startVisibility>>;

  beforeAll(async () => {
    service = await startVisibility(
      'postgres',
      { approvals: { breakGlassRoles: ['SRE-Oncall'] } },
      { solo: ['release-managers', 'sre-oncall'], rm1: ['release-managers'] },
    );
  });
  afterAll(async () => {
    await service?.cleanup();
  });

  it('lets a break-glass role approve its own execution with a reason, and marks it in the decision and the audit', async () => {
    const created = await asOrca(service.url, 'POST', '/api/v1/approvals', createPayload({ triggeredBy: 'solo' }));
    const path = `/api/v1/approvals/${created.body.id as string}/decisions`;
    expect((await asUser(service.url, 'solo', 'POST', path, { action: 'approve' })).status).toBe(403);
    const noReason = await asUser(service.url, 'solo', 'POST', path, { action: 'approve', breakGlass: true });
    expect(noReason.status).toBe(400);
    expect(noReason.body.field).toBe('body.comment');
    const approved = await asUser(service.url, 'solo', 'POST', path, {
      action: 'approve',
      breakGlass: true,
      comment: 'sole maintainer, hotfix for INC-42',
    });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
    expect(approved.body.decisions[0]).toMatchObject({ user: 'solo', breakGlass: true });
    const audit = await asOrca(service.url, 'GET', `/api/v1/approvals/${created.body.id as string}/audit`);
    expect(audit.body.events[1]).toMatchObject({
      event: 'break-glass-approval',
      actor: 'solo',
      comment: 'sole maintainer, hotfix for INC-42',
      details: expect.objectContaining({ breakGlass: true }),
    });
  });

  it('refuses break-glass to a triggering user without the role', async () => {
    const created = await asOrca(service.url, 'POST', '/api/v1/approvals', createPayload({ triggeredBy: 'rm1' }));
    const refused = await asUser(
      service.url,
      'rm1',
      'POST',
      `/api/v1/approvals/${created.body.id as string}/decisions`,
      {
        action: 'approve',
        breakGlass: true,
        comment: 'please',
      },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('urn:isd:problem:break_glass_not_allowed');
    expect((await asOrca(service.url, 'GET', `/api/v1/approvals/${created.body.id as string}`)).body.decisions).toEqual(
      [],
    );
  });
});
