import { noPermissions, type Caller } from './auth';
import { UserWriteBudget, WriteBudgetError } from './user-write-budget';

const user = (name: string): Caller => ({
  kind: 'user',
  user: name,
  roles: [],
  permissions: noPermissions(),
  via: 'gate',
});
const service: Caller = { kind: 'service', name: 'orca' };

const budget = () => new UserWriteBudget({ perMinute: 5, configKey: 'userWrites.perMinute', writes: 'stored rows' });

describe('UserWriteBudget', () => {
  it("lets a user spend the minute's budget, then refuses with 429, the key and Retry-After", async () => {
    const writes = budget();
    await writes.spend(user('alice'), 3);
    await writes.spend('alice', 2);
    const refusal = await writes.spend(user('alice')).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(WriteBudgetError);
    expect(refusal).toMatchObject({ status: 429, code: 'write_limit_exceeded' });
    expect((refusal as WriteBudgetError).message).toContain('userWrites.perMinute');
    expect((refusal as WriteBudgetError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Another user's budget is their own, whatever their name.
    await writes.spend('bob', 5);
    await writes.spend('__proto__', 5);
    await writes.spend('constructor', 5);
  });

  it('refuses a request that needs more points than are left, though fewer than the limit', async () => {
    const writes = budget();
    await writes.spend('alice', 3);
    await expect(writes.spend('alice', 3)).rejects.toMatchObject({ status: 429 });
  });

  it('never counts a service or no user', async () => {
    const writes = budget();
    for (let n = 0; n < 20; n++) {
      await writes.spend(service, 5);
      await writes.spend(undefined, 5);
    }
    await writes.spend('alice', 5);
  });

  it("answers a request needing more than a whole minute's budget with a 400 naming the key, spending nothing", async () => {
    const writes = budget();
    const refusal = await writes.spend('alice', 6).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ status: 400, code: 'request_exceeds_write_limit' });
    expect((refusal as Error).message).toMatch(/needs 6 stored rows, more than userWrites.perMinute \(5\)/);
    await writes.spend('alice', 5);
  });
});
