// A restarted approval stage (same execution and stage id, after the gate closed and Orca's create
// retry window passed) gets a fresh gate instead of the old outcome; a retry inside the window does not.
import { asOrca, asUser, createPayload, startVisibility, testClock } from './helpers';

jest.setTimeout(30_000);

it('gives a restarted stage a fresh gate after the retry window, and a retry inside it the same gate', async () => {
  const clock = testClock();
  const service = await startVisibility('postgres', { approvals: { retryWindowMs: 60_000 } }, undefined, clock);
  try {
    const payload = createPayload();
    const first = await asOrca(service.url, 'POST', '/api/v1/approvals', payload);
    const approved = await asUser(
      service.url,
      'rm1',
      'POST',
      `/api/v1/approvals/${first.body.id as string}/decisions`,
      {
        action: 'approve',
      },
    );
    expect(approved.body.status).toBe('approved');
    const retried = await asOrca(service.url, 'POST', '/api/v1/approvals', payload);
    expect(retried.body).toMatchObject({ id: first.body.id, status: 'approved', attempt: 1 });

    clock.advance(60_001);
    const restarted = await Promise.all(
      Array.from({ length: 5 }, () => asOrca(service.url, 'POST', '/api/v1/approvals', payload)),
    );
    expect(new Set(restarted.map((answer) => answer.body.id)).size).toBe(1);
    expect(restarted[0]?.body).toMatchObject({ status: 'activated', attempt: 2, decisions: [] });
    expect(restarted[0]?.body.id).not.toBe(first.body.id);
    expect(restarted[0]?.headers.get('location')).toBe(`/api/v1/approvals/${restarted[0]?.body.id as string}`);
    // The old gate is untouched.
    expect((await asOrca(service.url, 'GET', `/api/v1/approvals/${first.body.id as string}`)).body.status).toBe(
      'approved',
    );
  } finally {
    await service.cleanup();
  }
});
