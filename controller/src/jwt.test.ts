import { generateTokenKeys, signToken, TokenError, verifyToken } from './jwt';

describe('JWT tokens', () => {
  const keys = { currentKeyId: 'new', keys: { old: 'b2xkLXNlY3JldA==', new: 'bmV3LXNlY3JldA==' } };

  it('signs and verifies with exp, aud and kid', () => {
    const token = signToken(keys, { aud: 'svc', a: 'agent', t: 'kubernetes', n: 'k' }, 60_000);
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
      kid: string;
      alg: string;
    };
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'new' });
    const claims = verifyToken(keys, token, 'svc');
    expect(claims).toMatchObject({ aud: 'svc', a: 'agent', t: 'kubernetes', n: 'k' });
    expect(claims.exp - claims.iat).toBe(60);
  });

  it('keeps verifying tokens of a rotated-out key while it is listed, and refuses after removal', () => {
    const oldToken = signToken({ ...keys, currentKeyId: 'old' }, { aud: 'svc' }, 60_000);
    expect(verifyToken(keys, oldToken, 'svc').aud).toBe('svc');
    expect(() => verifyToken({ currentKeyId: 'new', keys: { new: keys.keys.new } }, oldToken, 'svc')).toThrow(
      'token kid is unknown',
    );
  });

  it('refuses expired, wrong-audience, tampered and malformed tokens', () => {
    const now = Date.now();
    const token = signToken(keys, { aud: 'svc' }, 1_000, now);
    expect(() => verifyToken(keys, token, 'svc', now + 2_000)).toThrow('token expired');
    expect(() => verifyToken(keys, token, 'control', now)).toThrow('token audience must be control');
    expect(() => verifyToken(keys, `${token.slice(0, -2)}xx`, 'svc', now)).toThrow(TokenError);
    expect(() => verifyToken(keys, 'a.b', 'svc')).toThrow('token is not a JWT');
    const none = `${Buffer.from('{"alg":"none","kid":"new"}').toString('base64url')}.${Buffer.from('{"aud":"svc","exp":9999999999}').toString('base64url')}.`;
    expect(() => verifyToken(keys, none, 'svc')).toThrow('token alg must be HS256');
  });

  it('generates a usable random key set', () => {
    const generated = generateTokenKeys();
    expect(verifyToken(generated, signToken(generated, { aud: 'x' }, 1_000), 'x').aud).toBe('x');
  });
});
