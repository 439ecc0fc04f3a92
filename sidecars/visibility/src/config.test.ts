import { visibilityConfigSchema } from './config';

const base = { auth: { serviceToken: 'service-token-0123456789' } };

describe('visibility config: Slack and e-mail decisions', () => {
  it('refuses a signing secret without the bot token and channel, naming the keys', () => {
    const result = visibilityConfigSchema.safeParse({
      ...base,
      notifications: { slack: { webhookUrl: 'https://hooks.slack.com/services/T/B/x', signingSecret: 's3cret' } },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([
      'notifications.slack.botToken',
      'notifications.slack.channel',
    ]);
  });

  it('refuses a malformed Slack user id in the explicit mapping and an unknown identity mode', () => {
    const result = visibilityConfigSchema.safeParse({
      ...base,
      notifications: {
        slack: { botToken: 'xoxb-1', channel: 'C1', users: { alice: 'alice' }, identityFromEmail: 'name' },
      },
    });
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'notifications.slack.identityFromEmail',
      'notifications.slack.users.alice',
    ]);
  });

  it('accepts interactive Slack and e-mail links with their defaults', () => {
    const config = visibilityConfigSchema.parse({
      ...base,
      notifications: {
        slack: { botToken: 'xoxb-1', channel: 'C1', signingSecret: 's3cret', users: { U012AB: 'alice' } },
        email: {
          host: 'smtp',
          from: 'isd@x.io',
          to: ['rm@x.io'],
          decisionLinkBase: 'https://gate.x.io/proxies/visibility',
        },
      },
    });
    expect(config.notifications.slack).toMatchObject({ identityFromEmail: 'email', signatureMaxAgeSeconds: 300 });
    expect(config.notifications.email?.decisionLinkBase).toBe('https://gate.x.io/proxies/visibility');
  });
});

describe('visibility config: retention', () => {
  it('keeps closed gates 400 days by default and refuses a retention that cannot hold, naming the key', () => {
    expect(visibilityConfigSchema.parse(base).retention).toEqual({ days: 400, batchSize: 500 });
    const keyOf = (retention: unknown) =>
      visibilityConfigSchema.safeParse({ ...base, retention }).error?.issues.map((issue) => issue.path.join('.'));
    expect(keyOf({ days: 0 })).toEqual(['retention.days']);
    expect(keyOf({ days: 2.5 })).toEqual(['retention.days']);
    expect(keyOf({ batchSize: 0 })).toEqual(['retention.batchSize']);
  });
});
