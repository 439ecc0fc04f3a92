// Notifications through a local SMTP server and a local Slack receiver: activation, reminder and
// outcome; a failing receiver is retried and never changes the gate.
import { asOrca, asUser, createPayload, eventually, startVisibility } from './helpers';
import { startPeer, type RecordedRequest } from './fake-peer';
import { startSmtp } from '@isd/test-support';

jest.setTimeout(60_000);

describe('notifications', () => {
  it('emails and posts to a Slack webhook on activation, reminder and outcome, retrying a failing Slack', async () => {
    const smtp = await startSmtp();
    let slackCalls = 0;
    const slack = await startPeer({
      'POST /hooks/T000/B000/secret': {
        // The first delivery fails: the queue must retry it.
        handle: () => (++slackCalls === 1 ? { status: 500, body: 'server_error' } : { status: 200, body: 'ok' }),
      },
    });
    const service = await startVisibility('postgres', {
      approvals: { deckUrl: 'https://spinnaker.example.com' },
      notifications: {
        slack: { webhookUrl: `${slack.url}/hooks/T000/B000/secret` },
        email: {
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
          from: 'isd@example.com',
          to: ['release-managers@example.com'],
        },
        reminderBeforeDeadlineMs: [27_000],
        retryDelaySeconds: 1,
      },
    });
    try {
      const created = await asOrca(
        service.url,
        'POST',
        '/api/v1/approvals',
        createPayload({ timeoutMs: 30_000, application: 'shop' }),
      );
      const id = created.body.id as string;
      await eventually(async () => (smtp.mails.length >= 2 ? true : undefined), 20_000);
      const subjects = smtp.mails.map((mail) => /Subject: (.*)/.exec(mail.raw)?.[1]);
      expect(subjects).toEqual(
        expect.arrayContaining(['Approval needed for shop / deploy', 'Reminder: approval needed for shop / deploy']),
      );
      expect(smtp.mails[0]?.to).toEqual(['release-managers@example.com']);
      // The body is quoted-printable: undo its soft line breaks before looking for the link.
      expect(smtp.mails[0]?.raw.replace(/=\r?\n/g, '')).toContain(
        `https://spinnaker.example.com/#/applications/shop/executions/details/${created.body.executionId as string}`,
      );

      const decided = await asUser(service.url, 'rm1', 'POST', `/api/v1/approvals/${id}/decisions`, {
        action: 'approve',
        comment: 'ship it',
      });
      expect(decided.body.status).toBe('approved');
      await eventually(
        async () => (smtp.mails.some((mail) => /Subject: \[APPROVED\]/.test(mail.raw)) ? true : undefined),
        20_000,
      );
      const outcome = smtp.mails.find((mail) => /Subject: \[APPROVED\]/.test(mail.raw));
      expect(outcome?.raw).toContain('approved by rm1');

      // Slack: the failed first delivery was retried; activation, reminder and outcome all arrived.
      const texts = await eventually(async () => {
        const delivered = slack.requests.map((request: RecordedRequest) => JSON.parse(request.body).text as string);
        return delivered.filter((text) => text.startsWith('[APPROVED]')).length && delivered.length >= 4
          ? delivered
          : undefined;
      }, 30_000);
      expect(texts).toEqual(
        expect.arrayContaining([
          'Approval needed for shop / deploy',
          'Reminder: approval needed for shop / deploy',
          '[APPROVED] approval for shop / deploy',
        ]),
      );
      expect((await asOrca(service.url, 'GET', `/api/v1/approvals/${id}`)).body.status).toBe('approved');
    } finally {
      await service.cleanup();
      await slack.close();
      await smtp.close();
    }
  });

  it('updates the Slack message in place with a bot token, and a dead SMTP server never fails the gate', async () => {
    const slack = await startPeer({
      'POST /api/chat.postMessage': {
        handle: (request) => ({
          status: 200,
          body: { ok: true, channel: JSON.parse(request.body).channel, ts: '1700000000.000100' },
        }),
      },
      'POST /api/chat.update': {
        handle: (request) => ({
          status: 200,
          body: { ok: true, channel: JSON.parse(request.body).channel, ts: JSON.parse(request.body).ts },
        }),
      },
    });
    const service = await startVisibility('postgres', {
      notifications: {
        slack: { botToken: 'xoxb-secret', channel: 'C0123', apiUrl: `${slack.url}/api` },
        email: { host: '127.0.0.1', port: 1, from: 'isd@example.com', to: ['x@example.com'] },
        reminderBeforeDeadlineMs: [],
        retryLimit: 1,
        retryDelaySeconds: 1,
        timeoutMs: 1_000,
      },
    });
    try {
      const created = await asOrca(service.url, 'POST', '/api/v1/approvals', createPayload());
      await eventually(
        async () => (slack.requests.some((request) => request.url === '/api/chat.postMessage') ? true : undefined),
        20_000,
      );
      expect(slack.requests[0]?.headers.authorization).toBe('Bearer xoxb-secret');
      const rejected = await asUser(
        service.url,
        'rm2',
        'POST',
        `/api/v1/approvals/${created.body.id as string}/decisions`,
        { action: 'reject', comment: 'not today' },
      );
      expect(rejected.body.status).toBe('rejected');
      const update = await eventually(
        async () => slack.requests.find((request) => request.url === '/api/chat.update'),
        20_000,
      );
      expect(JSON.parse(update.body)).toMatchObject({
        channel: 'C0123',
        ts: '1700000000.000100',
        text: '[REJECTED] approval for shop / deploy',
      });
      expect((await asOrca(service.url, 'GET', `/api/v1/approvals/${created.body.id as string}`)).body.status).toBe(
        'rejected',
      );
    } finally {
      await service.cleanup();
      await slack.close();
    }
  });
});
