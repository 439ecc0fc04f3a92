// Deciding from e-mail: each recipient's mail (real SMTP) carries a single-use link; the link opens a
// page for a user through Gate and never decides by itself; the form decides once, under the same
// rules as any decision, and the link dies with the gate.
import { TEST_GATE_TOKEN, startSmtp, type Mail } from '@isd/test-support';
import { asOrca, createPayload, eventually, startVisibility } from './helpers';

jest.setTimeout(60_000);

const LINK_BASE = 'https://gate.example.com/proxies/visibility';

/** The decision link in a mail (quoted-printable soft breaks undone). */
function linkIn(mail: Mail): string {
  const match = /https:\/\/gate\.example\.com\/proxies\/visibility(\/api\/v1\/email-decisions\/[A-Za-z0-9_-]{43})/.exec(
    mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '='),
  );
  if (!match?.[1]) throw new Error(`no decision link in\n${mail.raw}`);
  return match[1];
}

/** A request as Gate's proxy sends it for a signed-in user (or, without user, with no session). */
async function asGateUser(base: string, path: string, user: string | null, form?: Record<string, string>) {
  const response = await fetch(`${base}${path}`, {
    method: form ? 'POST' : 'GET',
    headers: {
      ...(user ? { 'x-isd-gate-token': TEST_GATE_TOKEN, 'x-spinnaker-user': user } : {}),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('e-mail decision links', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let service: Awaited<ReturnType<typeof startVisibility>>;
  beforeAll(async () => {
    smtp = await startSmtp();
    service = await startVisibility('postgres', {
      notifications: {
        email: {
          host: '127.0.0.1',
          port: smtp.port,
          from: 'isd@example.com',
          to: ['rm1@example.com', 'rm2@example.com'],
          decisionLinkBase: LINK_BASE,
        },
        reminderBeforeDeadlineMs: [],
        retryDelaySeconds: 1,
      },
    });
  });
  afterAll(async () => {
    await service?.cleanup();
    await smtp?.close();
  });

  /** Creates a gate and returns the decision link of each recipient's activation mail. */
  async function gateWithLinks(overrides: Record<string, unknown> = {}) {
    const created = await asOrca(service.url, 'POST', '/api/v1/approvals', createPayload(overrides));
    const id = created.body.id as string;
    const executionId = created.body.executionId as string;
    const mails = await eventually(async () => {
      const mine = smtp.mails.filter((mail) => mail.raw.replace(/=\r?\n/g, '').includes(executionId));
      return mine.length >= 2 ? mine : undefined;
    }, 20_000);
    const linkFor = (to: string) => linkIn(mails.find((mail) => mail.to.includes(to)) as Mail);
    return { id, rm1: linkFor('rm1@example.com'), rm2: linkFor('rm2@example.com') };
  }

  const state = async (id: string) => (await asOrca(service.url, 'GET', `/api/v1/approvals/${id}`)).body;

  it('mails each recipient its own link; the page decides nothing; the form decides once as the signed-in user', async () => {
    const { id, rm1, rm2 } = await gateWithLinks({ approverGroups: [{ name: 'release-managers', required: 2 }] });
    expect(rm1).not.toBe(rm2);

    expect((await asGateUser(service.url, rm1, null)).status).toBe(401);
    const page = await asGateUser(service.url, rm1, 'rm1');
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.text).toContain('Signed in as <b>rm1</b>');
    expect(page.text).toContain('<form method="post">');
    // Opening the page (or a mail scanner fetching it) decides nothing and does not spend the link.
    expect((await asGateUser(service.url, rm1, 'rm1')).status).toBe(200);
    expect((await state(id)).decisions).toHaveLength(0);

    const decided = await asGateUser(service.url, rm1, 'rm1', { action: 'approve', comment: 'looks fine' });
    expect([decided.status, decided.text]).toEqual([
      200,
      expect.stringContaining('You approved. The gate is activated.'),
    ]);
    const again = await asGateUser(service.url, rm1, 'rm2', { action: 'approve' });
    expect([again.status, again.text]).toEqual([410, expect.stringContaining('already used')]);
    expect((await asGateUser(service.url, rm1, 'rm1')).status).toBe(410);

    // The second recipient's own link closes the 2-of-2 gate.
    expect((await asGateUser(service.url, rm2, 'rm2', { action: 'approve' })).status).toBe(200);
    const closed = await state(id);
    expect(closed.status).toBe('approved');
    expect(closed.decisions.map((decision: { user: string }) => decision.user)).toEqual(['rm1', 'rm2']);
    const audit = (await asOrca(service.url, 'GET', `/api/v1/approvals/${id}/audit`)).body.events;
    expect(audit.filter((event: { channel: string }) => event.channel === 'email')).toHaveLength(2);
  });

  it('holds the signed-in user to the gate rules and keeps a refused link usable', async () => {
    // rm2 triggered this run; the link works for whoever is signed in, under that person's rules.
    const { id, rm1 } = await gateWithLinks({ triggeredBy: 'rm2' });
    const outsider = await asGateUser(service.url, rm1, 'outsider', { action: 'approve' });
    expect([outsider.status, outsider.text]).toEqual([403, expect.stringContaining('not in any approver group')]);
    const self = await asGateUser(service.url, rm1, 'rm2', { action: 'approve' });
    expect([self.status, self.text]).toEqual([403, expect.stringContaining('does not allow self-approval')]);
    const noReason = await asGateUser(service.url, rm1, 'rm1', { action: 'reject', comment: ' ' });
    expect([noReason.status, noReason.text]).toEqual([400, expect.stringContaining('a reject needs a comment')]);
    const bogus = await asGateUser(service.url, rm1, 'rm1', { action: 'promote' });
    expect(bogus.status).toBe(400);
    expect((await state(id)).decisions).toHaveLength(0);
    // Nothing was decided with the link, so the approver can still use it.
    const rejected = await asGateUser(service.url, rm1, 'rm1', { action: 'reject', comment: 'wrong build' });
    expect(rejected.status).toBe(200);
    expect((await state(id)).status).toBe('rejected');
  });

  it('dies with the gate, and unknown or malformed links are refused', async () => {
    const { id, rm1, rm2 } = await gateWithLinks();
    expect((await asOrca(service.url, 'POST', `/api/v1/approvals/${id}/cancel`, {})).status).toBe(200);
    const page = await asGateUser(service.url, rm1, 'rm1');
    expect([page.status, page.text]).toEqual([410, expect.stringContaining('The gate is canceled')]);
    expect((await asGateUser(service.url, rm2, 'rm2', { action: 'approve' })).status).toBe(410);

    const expiring = await gateWithLinks({ timeoutMs: 2_000 });
    await eventually(async () => ((await state(expiring.id)).status === 'expired' ? true : undefined), 20_000);
    expect((await asGateUser(service.url, expiring.rm1, 'rm1', { action: 'approve' })).status).toBe(410);

    const unknown = `/api/v1/email-decisions/${'A'.repeat(43)}`;
    expect((await asGateUser(service.url, unknown, 'rm1')).status).toBe(404);
    expect((await asGateUser(service.url, '/api/v1/email-decisions/short', 'rm1')).status).toBe(400);
  });
});
