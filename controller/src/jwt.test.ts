import { createHmac } from 'node:crypto';
import { generateTokenKeys, signToken, TokenError, verifyToken } from './jwt';

describe('JWT tokens', () => {
  const keys = { currentKeyId: 'new', keys: { old: 'b2xkLXNlY3JldA==', new: 'bmV3LXNlY3JldA==' } };

  it('signs and verifies with exp, aud and kid', async () => {
    const token = await signToken(keys, { aud: 'svc', a: 'agent', t: 'kubernetes', n: 'k' }, 60_000);
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
      kid: string;
      alg: string;
    };
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'new' });
    const claims = await verifyToken(keys, token, 'svc');
    expect(claims).toMatchObject({ aud: 'svc', a: 'agent', t: 'kubernetes', n: 'k' });
    expect(claims.exp - (claims.iat ?? 0)).toBe(60);
  });

  it('verifies a token signed by hand with the key text as HMAC key (tokens issued before jose)', async () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${part({ alg: 'HS256', typ: 'JWT', kid: 'old' })}.${part({ aud: 'svc', exp: 9_999_999_999 })}`;
    const signature = createHmac('sha256', keys.keys.old).update(unsigned).digest('base64url');
    expect((await verifyToken(keys, `${unsigned}.${signature}`, 'svc')).aud).toBe('svc');
  });

  it("refuses a kid named like an Object.prototype member, signed with that member's text (forged control token)", async () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const kid of ['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__']) {
      const unsigned = `${part({ alg: 'HS256', typ: 'JWT', kid })}.${part({ aud: 'svc', n: 'root', exp: 9_999_999_999 })}`;
      const memberText = String(Reflect.get(keys.keys, kid));
      const signature = createHmac('sha256', memberText).update(unsigned).digest('base64url');
      await expect(verifyToken(keys, `${unsigned}.${signature}`, 'svc')).rejects.toThrow('token kid is unknown');
    }
  });

  it('keeps verifying tokens of a rotated-out key while it is listed, and refuses after removal', async () => {
    const oldToken = await signToken({ ...keys, currentKeyId: 'old' }, { aud: 'svc' }, 60_000);
    expect((await verifyToken(keys, oldToken, 'svc')).aud).toBe('svc');
    await expect(verifyToken({ currentKeyId: 'new', keys: { new: keys.keys.new } }, oldToken, 'svc')).rejects.toThrow(
      'token kid is unknown',
    );
  });

  it('refuses expired, wrong-audience, tampered, unsigned and malformed tokens', async () => {
    const now = Date.now();
    const token = await signToken(keys, { aud: 'svc' }, 1_000, now);
    await expect(verifyToken(keys, token, 'svc', now + 2_000)).rejects.toThrow('token expired');
    await expect(verifyToken(keys, token, 'control', now)).rejects.toThrow('token audience must be control');
    await expect(verifyToken(keys, `${token.slice(0, -2)}xx`, 'svc', now)).rejects.toThrow(TokenError);
    await expect(verifyToken(keys, 'a.b', 'svc')).rejects.toThrow('token is not a valid JWT');
    const none = `${Buffer.from('{"alg":"none","kid":"new"}').toString('base64url')}.${Buffer.from('{"aud":"svc","exp":9999999999}').toString('base64url')}.`;
    await expect(verifyToken(keys, none, 'svc')).rejects.toThrow('token alg must be HS256');
    const withoutExp = await signToken(keys, { aud: 'svc' }, 1_000, now);
    const [header, , signature] = withoutExp.split('.');
    const noExpPayload = Buffer.from('{"aud":"svc"}').toString('base64url');
    await expect(verifyToken(keys, `${header}.${noExpPayload}.${signature}`, 'svc')).rejects.toThrow(TokenError);
  });

  it('generates a usable random key set', async () => {
    const generated = generateTokenKeys();
    expect((await verifyToken(generated, await signToken(generated, { aud: 'x' }, 1_000), 'x')).aud).toBe('x');
  });
});
