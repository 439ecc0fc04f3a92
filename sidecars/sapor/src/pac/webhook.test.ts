import { createHmac } from 'node:crypto';
import { readWebhook, refMatches } from './webhook';

const SECRET = 'a-webhook-secret-of-some-length';
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('readWebhook', () => {
  it('reads a GitHub push and refuses a wrong or missing signature', () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'c0ffee' });
    expect(readWebhook({ 'x-github-event': 'push', 'x-hub-signature-256': sign(body) }, body, SECRET)).toEqual({
      kind: 'push',
      provider: 'github',
      refs: ['refs/heads/main'],
      commit: 'c0ffee',
    });
    expect(() =>
      readWebhook({ 'x-github-event': 'push', 'x-hub-signature-256': sign(body, 'x'.repeat(20)) }, body, SECRET),
    ).toThrow(expect.objectContaining({ code: 'webhook_signature_invalid', status: 401 }));
    expect(() => readWebhook({ 'x-github-event': 'push' }, body, SECRET)).toThrow(
      expect.objectContaining({ code: 'webhook_signature_missing' }),
    );
    const deleted = JSON.stringify({ ref: 'refs/heads/main', deleted: true });
    expect(
      readWebhook({ 'x-github-event': 'push', 'x-hub-signature-256': sign(deleted) }, deleted, SECRET),
    ).toMatchObject({ kind: 'ignored' });
  });

  it('checks the signature before reading the body', () => {
    expect(() =>
      readWebhook({ 'x-github-event': 'push', 'x-hub-signature-256': sign('x') }, 'not json', SECRET),
    ).toThrow(expect.objectContaining({ code: 'webhook_signature_invalid' }));
    expect(() =>
      readWebhook({ 'x-github-event': 'push', 'x-hub-signature-256': sign('not json') }, 'not json', SECRET),
    ).toThrow(expect.objectContaining({ code: 'webhook_body_invalid', status: 400 }));
  });

  it('reads GitLab pushes by the secret token, with the pushed commit', () => {
    const body = JSON.stringify({ ref: 'refs/tags/v1', checkout_sha: 'abc', after: 'def' });
    expect(readWebhook({ 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': SECRET }, body, SECRET)).toEqual({
      kind: 'push',
      provider: 'gitlab',
      refs: ['refs/tags/v1'],
      commit: 'abc',
    });
    expect(() => readWebhook({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'nope' }, body, SECRET)).toThrow(
      expect.objectContaining({ code: 'webhook_signature_invalid' }),
    );
    expect(
      readWebhook({ 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': SECRET }, body, SECRET),
    ).toMatchObject({
      kind: 'ignored',
    });
  });

  it('reads Bitbucket Cloud and Data Center pushes, skipping deleted refs', () => {
    const cloud = JSON.stringify({
      push: {
        changes: [
          { new: { type: 'branch', name: 'main', target: { hash: 'aaa' } } },
          { new: null, old: { type: 'branch', name: 'gone' } },
        ],
      },
    });
    expect(readWebhook({ 'x-event-key': 'repo:push', 'x-hub-signature': sign(cloud) }, cloud, SECRET)).toEqual({
      kind: 'push',
      provider: 'bitbucket-cloud',
      refs: ['refs/heads/main'],
      commit: 'aaa',
    });
    const server = JSON.stringify({
      changes: [
        { ref: { id: 'refs/heads/main' }, toHash: 'bbb', type: 'UPDATE' },
        { ref: { id: 'refs/heads/old' }, toHash: '000', type: 'DELETE' },
      ],
    });
    expect(
      readWebhook({ 'x-event-key': 'repo:refs_changed', 'x-hub-signature': sign(server) }, server, SECRET),
    ).toEqual({
      kind: 'push',
      provider: 'bitbucket-server',
      refs: ['refs/heads/main'],
      commit: 'bbb',
    });
    expect(() => readWebhook({ 'x-event-key': 'repo:push' }, cloud, SECRET)).toThrow(
      expect.objectContaining({ code: 'webhook_signature_missing' }),
    );
  });

  it('refuses a request of no known provider', () => {
    expect(() => readWebhook({}, '{}', SECRET)).toThrow(
      expect.objectContaining({ code: 'webhook_unknown', status: 400 }),
    );
  });
});

describe('refMatches', () => {
  it('matches the configured branch or tag by its full or short name only', () => {
    expect(refMatches('refs/heads/main', 'main')).toBe(true);
    expect(refMatches('refs/tags/main', 'main')).toBe(true);
    expect(refMatches('refs/heads/main-2', 'main')).toBe(false);
    expect(refMatches('refs/heads/feature/main', 'main')).toBe(false);
  });
});
