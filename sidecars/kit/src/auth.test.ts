import {
  StaticPermissionResolver,
  applicationScope,
  canAccessApplication,
  inApplicationScope,
  permissionsFromFiatView,
  requireApplicationRead,
  requireApplicationWrite,
  type Caller,
} from './auth';

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

async function userCaller(resolver: StaticPermissionResolver, user: string): Promise<Caller> {
  const permissions = await resolver.permissionsFor(user);
  return { kind: 'user', user, roles: permissions.roles, permissions, via: 'gate' };
}

describe('StaticPermissionResolver', () => {
  const users = JSON.parse(
    '{"alice":{"roles":["Shop-Devs"],"applications":{"Shop":["READ","WRITE"],"billing":["READ"]}},' +
      '"root":{"admin":true},"legacy":["approvers"],"star":{"applications":{"*":["READ"],"secret":[]}},' +
      '"constructor":{"applications":{"shop":["READ"]}},"__proto__":{"applications":{"shop":["READ"]}}}',
  ) as Record<string, never>;
  const resolver = new StaticPermissionResolver(new Map(Object.entries(users)));

  it('gives users named like Object.prototype members their own entry or nothing, never a prototype member', async () => {
    for (const name of PROTOTYPE_NAMES) {
      const permissions = await resolver.permissionsFor(name);
      expect(Array.isArray(permissions.roles)).toBe(true);
      expect(permissions.applications).toBeInstanceOf(Map);
    }
    expect(canAccessApplication(await userCaller(resolver, 'constructor'), 'shop', 'READ')).toBe(true);
    expect(canAccessApplication(await userCaller(resolver, '__proto__'), 'shop', 'READ')).toBe(true);
    expect(canAccessApplication(await userCaller(resolver, 'toString'), 'shop', 'READ')).toBe(false);
  });

  it('reads per-application permissions case-insensitively; WRITE implies READ; others are closed', async () => {
    const alice = await userCaller(resolver, 'alice');
    expect(alice.kind === 'user' && alice.roles).toEqual(['shop-devs']);
    expect(canAccessApplication(alice, 'SHOP', 'WRITE')).toBe(true);
    expect(canAccessApplication(alice, 'billing', 'READ')).toBe(true);
    expect(canAccessApplication(alice, 'billing', 'WRITE')).toBe(false);
    expect(canAccessApplication(alice, 'payments', 'READ')).toBe(false);
    expect(() => requireApplicationRead(alice, 'payments', 'approval x')).toThrow(
      expect.objectContaining({ category: 'NotFoundError', message: 'approval x not found' }),
    );
    expect(() => requireApplicationWrite(alice, 'billing', 'approval x')).toThrow(
      expect.objectContaining({ category: 'NotAllowedError' }),
    );
  });

  it('a role list alone grants roles but no application; admins and Orca see everything; anonymous nothing', async () => {
    const legacy = await userCaller(resolver, 'legacy');
    expect(canAccessApplication(legacy, 'shop', 'READ')).toBe(false);
    expect(canAccessApplication(await userCaller(resolver, 'root'), 'anything', 'WRITE')).toBe(true);
    expect(canAccessApplication({ kind: 'service', name: 'orca' }, 'anything', 'WRITE')).toBe(true);
    expect(canAccessApplication({ kind: 'anonymous' }, 'anything', 'READ')).toBe(false);
  });

  it('turns permissions into a list scope that agrees with the item check', async () => {
    const names = ['shop', 'billing', 'payments', 'secret', 'constructor'];
    for (const user of ['alice', 'root', 'legacy', 'star', 'nobody']) {
      const caller = await userCaller(resolver, user);
      const scope = applicationScope(caller);
      for (const name of names)
        expect([user, name, inApplicationScope(scope, name)]).toEqual([
          user,
          name,
          canAccessApplication(caller, name, 'READ'),
        ]);
    }
  });
});

describe('permissionsFromFiatView', () => {
  it('ignores malformed entries and unknown authorizations instead of trusting them', () => {
    const permissions = permissionsFromFiatView({
      roles: [{ name: 'Ops' }, 'bare', null],
      applications: [
        { name: 'Shop', authorizations: ['READ', 'ADMIN'] },
        { name: 7, authorizations: ['WRITE'] },
        { name: 'x', authorizations: 'WRITE' },
      ],
      admin: 'yes',
    });
    expect(permissions.roles).toEqual(['ops']);
    expect(permissions.admin).toBe(false);
    expect([...permissions.applications.keys()]).toEqual(['shop']);
    expect([...permissions.applications.get('shop')!]).toEqual(['READ']);
  });
});
