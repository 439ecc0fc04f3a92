// The kit's Fiat client against the Fiat harness: permissions from the View, cached, never open when Fiat fails.
import { FiatPermissionResolver, canAccessApplication, type Caller } from '@isd/kit';
import { startFiatHarness, type FiatHarness } from './fiat';

describe('FiatPermissionResolver against the Fiat harness', () => {
  let fiat: FiatHarness;
  let now = 0;
  beforeEach(async () => {
    now = 0;
    fiat = await startFiatHarness({
      users: {
        alice: { roles: ['Shop-Devs'], applications: { Shop: ['READ', 'WRITE', 'EXECUTE'], billing: ['READ'] } },
        root: { roles: ['admins'], admin: true },
        constructor: { applications: { shop: ['READ' as const] } },
      },
    });
  });
  afterEach(() => fiat.close());

  const callerOf = async (resolver: FiatPermissionResolver, user: string): Promise<Caller> => {
    const permissions = await resolver.permissionsFor(user);
    return { kind: 'user', user, roles: permissions.roles, permissions, via: 'gate' };
  };

  it('reads roles, admin and per-application authorizations from GET /authorize/{user}', async () => {
    const resolver = new FiatPermissionResolver(fiat.url, 30_000, 2_000, () => now);
    const alice = await callerOf(resolver, 'alice');
    expect(alice.kind === 'user' && alice.roles).toEqual(['shop-devs']);
    expect(canAccessApplication(alice, 'shop', 'WRITE')).toBe(true);
    expect(canAccessApplication(alice, 'SHOP', 'READ')).toBe(true);
    expect(canAccessApplication(alice, 'billing', 'READ')).toBe(true);
    expect(canAccessApplication(alice, 'billing', 'WRITE')).toBe(false);
    expect(canAccessApplication(alice, 'payments', 'READ')).toBe(false);
    const root = await callerOf(resolver, 'root');
    expect(canAccessApplication(root, 'payments', 'WRITE')).toBe(true);
    expect(fiat.requests).toEqual(['/authorize/alice', '/authorize/root']);
  });

  it('gives a user Fiat does not know (404) nothing, and names like constructor work', async () => {
    const resolver = new FiatPermissionResolver(fiat.url);
    const nobody = await callerOf(resolver, '__proto__');
    expect(canAccessApplication(nobody, 'shop', 'READ')).toBe(false);
    const constructorUser = await callerOf(resolver, 'constructor');
    expect(canAccessApplication(constructorUser, 'shop', 'READ')).toBe(true);
    expect(canAccessApplication(constructorUser, 'toString', 'READ')).toBe(false);
  });

  it('refuses a user name that would climb out of /authorize (401), without asking Fiat anything else', async () => {
    const resolver = new FiatPermissionResolver(fiat.url);
    for (const user of ['..', '%2e%2e', '.'])
      await expect(resolver.permissionsFor(user)).rejects.toMatchObject({
        category: 'AuthenticationError',
        code: 'user_invalid',
      });
    expect(fiat.requests).toEqual([]);
  });

  it('caches within the TTL, then asks again and sees a change', async () => {
    const resolver = new FiatPermissionResolver(fiat.url, 1_000, 2_000, () => now);
    await resolver.permissionsFor('alice');
    fiat.setUser('alice', { applications: {} });
    expect((await resolver.permissionsFor('alice')).applications.has('shop')).toBe(true);
    now = 1_001;
    expect((await resolver.permissionsFor('alice')).applications.has('shop')).toBe(false);
    expect(fiat.requests).toHaveLength(2);
  });

  it('fails closed with 503 (UnavailableError) when Fiat answers an error or cannot be reached', async () => {
    const resolver = new FiatPermissionResolver(fiat.url, 0);
    fiat.setDown(true);
    await expect(resolver.permissionsFor('alice')).rejects.toMatchObject({
      category: 'UnavailableError',
      code: 'fiat_unavailable',
    });
    await fiat.close();
    await expect(new FiatPermissionResolver(fiat.url, 0).permissionsFor('alice')).rejects.toMatchObject({
      category: 'UnavailableError',
    });
    fiat = await startFiatHarness({ users: {} });
  });

  it('honours allowAccessToUnknownApplications for applications the View does not list', async () => {
    const open = await startFiatHarness({
      users: { dana: { applications: { secret: ['READ'] } } },
      allowAccessToUnknownApplications: true,
    });
    try {
      const dana = await callerOf(new FiatPermissionResolver(open.url), 'dana');
      expect(canAccessApplication(dana, 'unlisted', 'WRITE')).toBe(true);
      expect(canAccessApplication(dana, 'secret', 'WRITE')).toBe(false);
    } finally {
      await open.close();
    }
  });
});
